//! Fuzzes `--observe QUESTION=ANSWER` lists through the case ledger into the engine.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let text = String::from_utf8_lossy(data);
    let mut ledger = case::Ledger::new();
    let sources = <kb::EvidenceSource as kb::VariantArray>::VARIANTS;
    for (i, item) in text.split(['\n', ' ']).take(64).enumerate() {
        if let Some((question, answer)) = item.split_once('=') {
            let source = sources[i % sources.len()];
            ledger.add(case::Subject::answer(question), answer, source);
        }
    }
    if let Ok(assessment) = engine::assess(kb, &ledger.evidence(kb, case::Skipped::PutOff)) {
        assert!(assessment.causes.iter().all(|c| c.probability.is_finite()));
    }
});
