//! Replays the `dashboard` fuzz corpus through the same check the fuzz target runs: any bytes
//! sent to the dashboard, as a whole connection or as the page's request bodies.

#[path = "../../../fuzz/checks/dashboard.rs"]
mod check;

#[test]
fn dashboard_corpus_replays_without_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/dashboard");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        if let Ok(input) = std::fs::read(entry.path()) {
            check::check(&input);
            seen += 1;
        }
    }
    assert!(seen > 0, "the dashboard corpus is empty");
}
