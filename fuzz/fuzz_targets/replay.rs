//! Fuzzes the recording format `watch --replay` reads, and the tracker that plays it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(events) = watch::scenario::parse(&text) {
        let mut tracker = watch::Tracker::default();
        for event in events.iter().take(10_000) {
            tracker.push(event);
        }
    }
});
