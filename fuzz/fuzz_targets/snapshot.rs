//! Fuzzes the snapshot format `devices --from` reads.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = usb::snapshot::parse(&String::from_utf8_lossy(data));
});
