//! Replays the logs fuzz corpus (fuzz/corpus/logs) as an ordinary test.

#[test]
fn logs_corpus_replays_without_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/logs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let bytes = std::fs::read(entry.path()).unwrap();
        let r = logs::analyze_reader(
            kb::Kb::embedded().unwrap(),
            std::io::Cursor::new(bytes.clone()),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(r.bytes, bytes.len() as u64);
        seen += 1;
    }
    assert!(seen > 0, "the logs corpus is empty");
}
