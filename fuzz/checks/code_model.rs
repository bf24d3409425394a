//! The code and model check, shared by the `code_model` fuzz target and the corpus replay
//! test: what people type for a code or a model, masked and made printable.

pub fn check(data: &[u8]) {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let text = String::from_utf8_lossy(data);
    let _ = kb::parse_code(&text);
    let _ = kb.find_device(&text);
    let _ = kb.device_in_text(&text);
    let _ = kb::text::redact_identifiers(&text);
    assert!(!kb::text::printable(&text).contains('\u{1b}'));
}
