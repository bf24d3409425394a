//! One adapter per producer of evidence: a restore log's report, a look at USB, the link
//! watch's findings and a supervised run's ending, each written into the ledger with its source.

use case::{Ledger, Subject};
use kb::{EventKind, EvidenceSource, Kb, Observation};
use supervise::Ending;
use usb::AppleDevice;
use watch::Finding;

/// What a restore log (or a pasted line of one) showed: its final code, its findings as
/// events named by `label` (a file name, "pasted message"), and its answers.
pub fn log_report(ledger: &mut Ledger, report: &logs::LogReport, label: &str) {
    if let Some(code) = report.final_code {
        ledger.add(Subject::Code, code.to_string(), EvidenceSource::Log);
    }
    for finding in &report.findings {
        ledger.event(
            EventKind::LogFinding,
            None,
            report.phase,
            format!("{label}: {}", finding.text),
        );
    }
    for o in report.kb_observations() {
        ledger.observe(&o, EvidenceSource::Log);
    }
}

/// The one phone a look at USB found among `devices`: its model, port, hubs, chip and ECID,
/// and what USB says of the link (mode, hubs in the path, speed). `live`: the bus itself was
/// read, not a saved listing; `here`: the bus is this computer's, so its OS is the host's.
pub fn usb_look(
    kb: &Kb,
    ledger: &mut Ledger,
    devices: &[AppleDevice],
    device: &AppleDevice,
    live: bool,
    here: bool,
) {
    if let Some(product_type) = &device.product_type {
        ledger.add(Subject::Model, product_type.clone(), EvidenceSource::Usb);
    }
    ledger.device.port = device.usb_path.clone().or(ledger.device.port.take());
    ledger.device.hubs = Some(u8::try_from(device.external_hubs()).unwrap_or(u8::MAX));
    ledger.device.ecid = device.ecid.or(ledger.device.ecid);
    ledger.device.board = device
        .product_type
        .as_deref()
        .and_then(|p| kb.find_device(p).ok())
        .and_then(|d| d.board.clone())
        .or_else(|| device.board.clone())
        .or(ledger.device.board.take());
    for o in usb::evidence::observations(devices, live) {
        ledger.observe(&o, EvidenceSource::Usb);
    }
    if let Some(os) = crate::this_computer::os().filter(|_| here) {
        ledger.observe(&Observation::new("host-os", os), EvidenceSource::Usb);
    }
}

/// What the link watch saw during a run or a retry: its answers (drops, loops, the port
/// that keeps dropping) and each drop or loop as an event.
pub fn link_findings(ledger: &mut Ledger, findings: &[Finding]) {
    for observation in watch::observations(findings) {
        ledger.observe(&observation, EvidenceSource::Watch);
    }
    for finding in findings
        .iter()
        .filter(|f| matches!(f.kind, EventKind::Drop | EventKind::Loop))
    {
        ledger.event(
            finding.kind,
            finding.port.clone(),
            finding.phase,
            finding.message.clone(),
        );
    }
}

/// How a supervised run of idevicerestore ended: the model and code it reported and, for a
/// failure, what its output implies (the phase, a drop); the tool and this computer always,
/// since the run was here.
pub fn restore_ending(kb: &Kb, ledger: &mut Ledger, ending: &Ending) {
    let source = EvidenceSource::Restore;
    if let Some(device) = &ending.device {
        ledger.add(Subject::Model, device.clone(), source);
    }
    if let Some(code) = ending.code() {
        ledger.add(Subject::Code, code.to_string(), source);
    }
    let mut observations = ending.report.kb_observations();
    if let Some(phase) = ending.phase() {
        observations.push(Observation::new("failed-phase", phase.id()));
    }
    if ending.link_dropped() {
        observations.push(Observation::new("disconnect-during-restore", "yes"));
    }
    if let Some(os) = crate::this_computer::os() {
        observations.push(Observation::new("host-os", os));
    }
    for observation in observations
        .iter()
        .filter(|o| kb.question(&o.question).is_some())
    {
        let setting = matches!(observation.question.as_str(), "restore-tool" | "host-os");
        if !ending.succeeded() || setting {
            ledger.observe(observation, source);
        }
    }
}
