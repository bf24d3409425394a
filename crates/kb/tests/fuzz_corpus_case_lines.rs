//! Replays the `case_lines` fuzz corpus through the same check the fuzz target runs: any bytes
//! as a cases file for `history --import`.

#[path = "../../../fuzz/checks/case_lines.rs"]
mod check;

#[test]
fn case_lines_corpus_replays_without_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/case_lines");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        if let Ok(input) = std::fs::read(entry.path()) {
            check::check(&input);
            seen += 1;
        }
    }
    assert!(seen > 0, "the case_lines corpus is empty");
}
