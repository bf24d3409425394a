//! A supervised restore as a use-case: the phone's case, one run of idevicerestore with the
//! USB link watched beside it, and what the run's ending puts in the case and makes of it.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use case::{Ledger, Verdict};
use engine::StepKind;
use kb::{CaseStatus, EventKind, Kb, NamedStep, RestoreEvent, RestoreVerdict, StepOutcome};
use supervise::{Ending, Request, Stopper, Tool};
use usb::AppleDevice;
use watch::Finding;

use crate::ops::{Context, evidence};
use crate::usb_source;
use crate::usb_watch::LinkWatch;

/// How often the link is polled beside the tool.
const LINK_INTERVAL: Duration = Duration::from_millis(200);

/// What one run shows as it goes: the tool's events and the link watch's findings.
pub enum RunNews {
    Tool(RestoreEvent),
    Link(Finding),
}

/// A new case for the phone with `ecid`, with what USB showed of it when it was `seen`:
/// model, port, hubs, board and the link's answers (mode, hub in the path, speed).
pub fn new_case(kb: &Kb, ecid: Option<u64>, seen: Option<&AppleDevice>) -> Ledger {
    let mut ledger = Ledger::new();
    if let Some(device) = seen {
        // The computer is this one, which the run's ending says (`evidence::restore_ending`).
        let here = false;
        evidence::usb_look(
            kb,
            &mut ledger,
            std::slice::from_ref(device),
            device,
            true,
            here,
        );
    }
    ledger.device.ecid = ecid.or(ledger.device.ecid);
    ledger
}

/// The phones on USB now (from `sysfs_root` in tests); empty when the bus cannot be read.
pub fn on_usb(kb: &Kb, sysfs_root: Option<&Path>) -> Result<Vec<AppleDevice>, String> {
    usb_source::for_watching(kb, None, sysfs_root)
        .snapshot(kb)
        .map_err(|e| e.to_string())
}

/// The phone one restore is for, among `devices`: the one with `ecid`, else the only one in
/// DFU or recovery mode; `None` when USB cannot tell.
pub fn the_phone(devices: Vec<AppleDevice>, ecid: Option<u64>) -> Option<AppleDevice> {
    let mut ready = devices.into_iter().filter(|d| match ecid {
        Some(ecid) => d.ecid == Some(ecid),
        None => matches!(d.mode, usb::Mode::Dfu | usb::Mode::Recovery),
    });
    let first = ready.next()?;
    ready.next().is_none().then_some(first)
}

/// Runs the tool once for `request`, with the link watched beside it, handing each event and
/// finding to `news` as it comes. A failure of `news` (a reader gone) never cuts the tool off:
/// the first one is returned once the tool has finished.
pub fn run_once(
    kb: &'static Kb,
    tool: &Tool,
    request: &Request,
    sysfs_root: Option<&Path>,
    stopper: &Stopper,
    news: &mut dyn FnMut(RunNews) -> io::Result<()>,
) -> anyhow::Result<Ending> {
    let stop = AtomicBool::new(false);
    let (link_tx, link_rx) = mpsc::channel::<Finding>();
    std::thread::scope(|scope| {
        let stop = &stop;
        scope.spawn(move || watch_link(kb, sysfs_root, stop, |f| link_tx.send(f).is_ok()));
        let mut failed = None;
        let ending = supervise::run(kb, tool, request, stopper, &mut |event| {
            let told = link_rx
                .try_iter()
                .try_for_each(|finding| news(RunNews::Link(finding)))
                .and_then(|()| news(RunNews::Tool(event)));
            if let Err(e) = told {
                failed.get_or_insert(e);
            }
        });
        stop.store(true, Ordering::Relaxed);
        let told = link_rx
            .try_iter()
            .try_for_each(|finding| news(RunNews::Link(finding)));
        if let Some(e) = failed {
            return Err(e.into());
        }
        told?;
        ending.map_err(|e| anyhow::anyhow!("idevicerestore could not be run: {e}"))
    })
}

/// Watches the USB link until `stop`, handing every finding to `send` (false: nobody listens).
pub fn watch_link(
    kb: &Kb,
    sysfs_root: Option<&Path>,
    stop: &AtomicBool,
    send: impl Fn(Finding) -> bool,
) {
    let source = usb_source::for_watching(kb, None, sysfs_root);
    let mut link = LinkWatch::new(source.as_ref(), LINK_INTERVAL);
    while !stop.load(Ordering::Relaxed) {
        match link.next(kb) {
            Ok(tick) => {
                if !tick.findings.into_iter().all(&send) {
                    return;
                }
            }
            Err(_) => std::thread::sleep(LINK_INTERVAL),
        }
    }
}

/// The drops and loops among `findings`: what a run's view shows at once.
pub fn is_alert(finding: &Finding) -> bool {
    matches!(finding.kind, EventKind::Drop | EventKind::Loop)
}

/// The action this restore was, as the knowledge base names it.
fn attempt_action(request: &Request, ending: &Ending) -> &'static str {
    let from_dfu = ending
        .report
        .disconnects
        .first()
        .and_then(|e| e.mode.as_deref())
        .is_some_and(|m| m.eq_ignore_ascii_case("DFU"));
    match (request.erase.is_some(), from_dfu) {
        (false, _) => "try-update-instead",
        (true, true) => "dfu-restore",
        (true, false) => "recovery-restore",
    }
}

/// What the engine makes of a failed run.
pub struct Failure {
    pub verdict: Verdict,
    pub next: Option<engine::Step>,
}

/// Puts what the run showed (and the `link` findings beside it) into the case, with the run
/// as a step; for a failed run, what the engine makes of it through [`Context::assess`].
pub fn record(
    ctx: &Context,
    kb: &Kb,
    ledger: &mut Ledger,
    request: &Request,
    ending: &Ending,
    link: &[Finding],
) -> Option<Failure> {
    evidence::restore_ending(kb, ledger, ending);
    evidence::link_findings(ledger, link);
    let action = attempt_action(request, ending);
    let status = ending.status.map_or("ended by a signal".to_owned(), |s| {
        format!("exit status {s}")
    });
    let stopped = ending
        .stopped
        .map(|s| format!(", stopped by {}", s.name()))
        .unwrap_or_default();
    ledger.event(
        EventKind::Phase,
        None,
        ending.phase(),
        format!(
            "idevicerestore {status} after {:.0} s{stopped}",
            ending.seconds
        ),
    );
    if ending.stopped.is_some() {
        // Stopped by the person (or the system), not failed: the attempt proves nothing.
        ledger.finish(CaseStatus::Open, None, None);
        return None;
    }
    if ending.succeeded() {
        ledger.step(action, StepKind::Action, StepOutcome::Fixed);
        ledger.finish(CaseStatus::Fixed, Some(action.to_owned()), None);
        return None;
    }
    ledger.step(action, StepKind::Action, StepOutcome::Failed);
    let assessment = ctx
        .assess(kb, ledger.evidence(kb, case::Skipped::PutOff))
        .ok()?;
    let verdict = Verdict::from_assessment(&assessment);
    ledger.finish(CaseStatus::Open, None, Some(verdict.clone()));
    Some(Failure {
        verdict,
        next: assessment
            .plan
            .into_iter()
            .find(|s| s.kind == StepKind::Action),
    })
}

/// An action's name as the knowledge base words it.
pub fn action_name(kb: &Kb, id: &str) -> String {
    kb.action(id).map_or(id.to_owned(), |a| a.name.clone())
}

/// The verdict of run number `attempt`: how it ended and, when it failed, the next step and
/// the likeliest causes.
pub fn verdict(
    kb: &Kb,
    attempt: u32,
    ending: &Ending,
    failure: Option<&Failure>,
    case_id: Option<&str>,
) -> RestoreVerdict {
    RestoreVerdict {
        attempt,
        restored: ending.succeeded(),
        phase: if ending.succeeded() {
            None
        } else {
            ending.phase()
        },
        code: ending.code(),
        tool_status: ending.status,
        link_dropped: ending.link_dropped(),
        device: ending.device.clone(),
        next_step: failure.and_then(|f| f.next.as_ref()).map(|s| NamedStep {
            id: s.id.clone(),
            name: action_name(kb, &s.id),
            why: Some(s.why.clone()),
        }),
        case: case_id.map(str::to_owned),
        causes: failure.map(|f| f.verdict.causes.iter().take(3).cloned().collect()),
        stopped: ending.stopped.map(|s| s.name().to_owned()),
        queued_again: None,
        error: None,
    }
}
