//! The replay check, shared by the `replay` fuzz target and the corpus replay test: any
//! recording is refused or played through the tracker.

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(events) = watch::scenario::parse(&text) {
        let mut tracker = watch::Tracker::default();
        for event in events.iter().take(10_000) {
            tracker.push(event);
        }
    }
}
