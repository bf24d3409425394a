//! The observe check, shared by the `observe` fuzz target and the corpus replay test: answer
//! lists from any sources go through the case ledger into the engine, and no belief is NaN.

pub fn check(data: &[u8]) {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let text = String::from_utf8_lossy(data);
    let mut ledger = case::Ledger::new();
    let sources = <kb::EvidenceSource as kb::VariantArray>::VARIANTS;
    for (i, item) in text.split(['\n', ' ']).take(64).enumerate() {
        if let Some((question, answer)) = item.split_once('=') {
            ledger.add(
                case::Subject::answer(question),
                answer,
                sources[i % sources.len()],
            );
        }
    }
    if let Ok(assessment) = engine::assess(kb, &ledger.evidence(kb, case::Skipped::PutOff)) {
        assert!(assessment.causes.iter().all(|c| c.probability.is_finite()));
    }
}
