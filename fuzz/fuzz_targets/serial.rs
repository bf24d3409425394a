//! Fuzzes the DFU / recovery serial-string parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let info = usb::serial::parse(&text);
    for (tag, value) in &info.tags {
        assert_eq!(tag.len(), 4);
        assert!(value.len() <= text.len());
    }
});
