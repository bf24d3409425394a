//! Fuzzes the paste decoder: any bytes must give a result, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let text = String::from_utf8_lossy(data);
    let found = usb::identify::identify(kb, &text);
    assert!(found.devices.len() <= usb::identify::MAX_DEVICES);
});
