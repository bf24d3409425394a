//! Replays the `report` fuzz corpus: cases whose every text came from outside render safely.

#[test]
fn report_corpus_replays_without_panic_or_markup() {
    let kb = kb::Kb::embedded().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/report");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        let parts: Vec<&str> = text.split('\u{0}').collect();
        let part = |i: usize| parts.get(i).copied().unwrap_or("").to_owned();
        let mut ledger = case::Ledger::new();
        ledger.device.port = Some(part(0));
        ledger.add(case::Subject::Model, part(1), kb::EvidenceSource::Usb);
        ledger.add(case::Subject::Code, part(2), kb::EvidenceSource::Person);
        ledger.add(
            case::Subject::answer(part(3)),
            part(4),
            kb::EvidenceSource::Log,
        );
        ledger.step(part(5), kb::StepKind::Action, kb::StepOutcome::Failed);
        ledger.event(kb::EventKind::LogFinding, Some(part(6)), None, part(7));
        let case = store::StoredCase {
            id: part(8),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
            device_key: None,
            ledger,
        };
        let html = report::html(kb, &case, false);
        assert!(!html.contains("<script"), "{html}");
        let _ = report::markdown(kb, &case, false);
        let _ = report::json(kb, &case, false);
        seen += 1;
    }
    assert!(seen > 0, "the report corpus is empty");
}
