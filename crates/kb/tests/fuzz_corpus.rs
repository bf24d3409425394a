//! Replays the `code_model` fuzz corpus through the same check the fuzz target runs: codes, models, masking.

#[path = "../../../fuzz/checks/code_model.rs"]
mod check;

#[test]
fn code_model_corpus_replays_without_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/code_model");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        if let Ok(input) = std::fs::read(entry.path()) {
            check::check(&input);
            seen += 1;
        }
    }
    assert!(seen > 0, "the code_model corpus is empty");
}
