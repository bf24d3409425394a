//! Replays the `observe` fuzz corpus: answer lists through the ledger into the engine.

#[test]
fn observe_corpus_replays_without_panic() {
    let kb = kb::Kb::embedded().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/observe");
    let sources = <kb::EvidenceSource as kb::VariantArray>::VARIANTS;
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        let mut ledger = case::Ledger::new();
        for (i, item) in text.split(['\n', ' ']).take(64).enumerate() {
            if let Some((question, answer)) = item.split_once('=') {
                ledger.add(
                    case::Subject::answer(question),
                    answer,
                    sources[i % sources.len()],
                );
            }
        }
        if let Ok(a) = engine::assess(kb, &ledger.evidence(kb, case::Skipped::PutOff)) {
            assert!(a.causes.iter().all(|c| c.probability.is_finite()));
        }
        seen += 1;
    }
    assert!(seen > 0, "the observe corpus is empty");
}
