//! Replays the `code_model` fuzz corpus: codes, models, identifier masking, escapes.

#[test]
fn code_model_corpus_replays_without_panic() {
    let kb = kb::Kb::embedded().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/code_model");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        let _ = kb::parse_code(&text);
        let _ = kb.find_device(&text);
        let _ = kb.device_in_text(&text);
        let _ = kb::text::redact_identifiers(&text);
        assert!(!kb::text::printable(&text).contains('\u{1b}'));
        seen += 1;
    }
    assert!(seen > 0, "the code_model corpus is empty");
}
