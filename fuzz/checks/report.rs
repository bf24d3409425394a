//! The report check, shared by the `report` fuzz target and the corpus replay test: a case
//! whose every text came from outside renders in all three formats, with no markup of its own.

/// Builds a case from NUL-separated parts of `data` and renders it.
pub fn check(data: &[u8]) {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let text = String::from_utf8_lossy(data);
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
    let case = case::StoredCase {
        id: part(8),
        created_at: jiff::Timestamp::UNIX_EPOCH,
        updated_at: jiff::Timestamp::UNIX_EPOCH,
        device_key: None,
        bench: Some(part(9)),
        ledger,
    };
    let html = report::html(kb, &case, false);
    assert!(
        !html.contains("<script"),
        "no markup from the case reaches the page"
    );
    let _ = report::markdown(kb, &case, false);
    let _ = report::json(kb, &case, false);
}
