//! Fuzzes what people type for an error code and a model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let text = String::from_utf8_lossy(data);
    let _ = kb::parse_code(&text);
    let _ = kb.find_device(&text);
    let _ = kb.device_in_text(&text);
    let _ = kb::text::redact_identifiers(&text);
    assert!(!kb::text::printable(&text).contains('\u{1b}'));
});
