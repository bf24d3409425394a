//! Replays the `replay` fuzz corpus through the recording parser and the tracker.

#[test]
fn replay_corpus_replays_without_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/replay");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        if let Ok(events) = watch::scenario::parse(&text) {
            let mut tracker = watch::Tracker::default();
            for event in events.iter().take(10_000) {
                tracker.push(event);
            }
        }
        seen += 1;
    }
    assert!(seen > 0, "the replay corpus is empty");
}
