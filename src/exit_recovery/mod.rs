//! Telling a phone stuck in recovery mode to start iOS (the use-case behind `exit-recovery`, the
//! session's offer and the dashboard's button): irecovery run under supervision, then the bus
//! watched until the phone is back in iOS, back in recovery mode, or gone.

mod choose;
mod comeback;
mod ecid;
mod irecovery;
pub mod words;

use std::time::{Duration, Instant};

use case::Ledger;
use kb::{EventKind, Kb, StepOutcome};
use usb::source::{Change, DeviceSource, Watcher};
use usb::{AppleDevice, Mode, UsbError};

pub use choose::{Refusal, Target, Wanted, choose, device_words};
use comeback::Comeback;
pub use comeback::{Return, Waits};
pub use ecid::Ecid;
pub use irecovery::{Irecovery, LIMIT as TOOL_LIMIT, ToolRun};
pub use supervise::{StopSignal, Stopper};

/// The kb's action this is.
pub const ACTION: &str = "exit-recovery-mode";

/// The waits, documented in `exit-recovery --help`: a reboot leaves USB within seconds; iOS
/// takes up to a minute or two to start (longer on a first start after an update).
pub const WAITS: Waits = Waits {
    leave: 30.0,
    back: 180.0,
};

/// How often the bus is looked at when no hotplug event wakes the watch.
const LOOK: Duration = Duration::from_millis(250);

/// What became of one phone.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// irecovery sent the command and the phone came back on USB in `mode`.
    Back { mode: Mode, seconds: f64 },
    /// Still in recovery mode after the wait: the command did not take.
    Stayed { seconds: f64 },
    /// It left USB and did not come back within the wait.
    Gone { seconds: f64 },
    /// irecovery did not send the command (it failed, or hung and was ended).
    NotSent,
    /// The person stopped Restore Doctor first.
    Stopped(StopSignal),
}

impl Outcome {
    /// The phone started iOS.
    pub fn in_ios(&self) -> bool {
        matches!(
            self,
            Outcome::Back {
                mode: Mode::Normal,
                ..
            }
        )
    }

    /// A stable word for JSON.
    pub fn id(&self) -> &'static str {
        match self {
            Outcome::Back {
                mode: Mode::Normal, ..
            } => "ios",
            Outcome::Back {
                mode: Mode::Recovery,
                ..
            } => "recovery",
            Outcome::Back { .. } => "other-mode",
            Outcome::Stayed { .. } => "stayed",
            Outcome::Gone { .. } => "gone",
            Outcome::NotSent => "not-sent",
            Outcome::Stopped(_) => "stopped",
        }
    }

    /// The step's outcome in the case: only a command that reached the phone counts as tried.
    pub fn step_outcome(&self) -> StepOutcome {
        match self {
            _ if self.in_ios() => StepOutcome::Fixed,
            Outcome::Back { .. } | Outcome::Stayed { .. } | Outcome::Gone { .. } => {
                StepOutcome::Failed
            }
            Outcome::NotSent | Outcome::Stopped(_) => StepOutcome::Skipped,
        }
    }
}

/// One phone's run: what irecovery did and what became of the phone.
#[derive(Debug, Clone)]
pub struct PhoneResult {
    pub target: Target,
    /// `None` when it was never started (stopped before).
    pub tool: Option<ToolRun>,
    pub outcome: Outcome,
}

/// What happens, as it happens.
pub enum Progress<'a> {
    /// irecovery is about to be run for a phone.
    Telling(&'a Target),
    /// irecovery ended.
    Told(&'a Target, &'a ToolRun),
    /// The phone left USB, `seconds` after the command.
    Left(&'a Target, f64),
    /// A phone's fate is known.
    Done(&'a PhoneResult),
}

/// Tells each target to start iOS, one after the other, then watches `source` until each is
/// back, stayed, or the waits ran out. A stop request ends it at once; what is not known then
/// is [`Outcome::Stopped`].
pub fn run(
    kb: &Kb,
    source: &dyn DeviceSource,
    tool: &Irecovery,
    targets: Vec<Target>,
    waits: Waits,
    stopper: &Stopper,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<PhoneResult>, UsbError> {
    // Signals are requests until the results are in: the cases are saved either way.
    let _hold = stopper.hold();
    let mut watcher = Watcher::new(source, LOOK);
    let mut present = Vec::new();
    apply(&mut present, watcher.poll(kb)?);
    let mut results = Vec::new();
    let mut following: Vec<(Target, ToolRun, Comeback, Instant)> = Vec::new();
    for target in targets {
        if let Some(signal) = stopper.requested() {
            results.push(finish(target, None, Outcome::Stopped(signal), progress));
            continue;
        }
        progress(Progress::Telling(&target));
        let run = match tool.tell(target.ecid, stopper) {
            Ok(run) => run,
            Err(e) => ToolRun {
                status: None,
                said: Some(format!("could not be started: {e}")),
                timed_out: false,
                stopped: None,
            },
        };
        progress(Progress::Told(&target, &run));
        if let Some(signal) = run.stopped {
            results.push(finish(
                target,
                Some(run),
                Outcome::Stopped(signal),
                progress,
            ));
        } else if !run.sent() {
            results.push(finish(target, Some(run), Outcome::NotSent, progress));
        } else {
            let comeback = Comeback::new(&target);
            following.push((target, run, comeback, Instant::now()));
        }
    }
    while !following.is_empty() {
        if let Some(signal) = stopper.requested() {
            for (target, run, _, _) in following.drain(..) {
                results.push(finish(
                    target,
                    Some(run),
                    Outcome::Stopped(signal),
                    progress,
                ));
            }
            break;
        }
        apply(&mut present, watcher.wait_once(kb)?);
        let mut still = Vec::new();
        for (target, run, mut comeback, since) in following.drain(..) {
            let t = since.elapsed().as_secs_f64();
            let had_left = comeback.left_at().is_some();
            let seen = comeback.see(t, &present, waits);
            if let (false, Some(left)) = (had_left, comeback.left_at()) {
                progress(Progress::Left(&target, left));
            }
            match seen {
                Some(back) => {
                    let outcome = match back {
                        Return::Back { mode, seconds } => Outcome::Back { mode, seconds },
                        Return::Stayed { seconds } => Outcome::Stayed { seconds },
                        Return::Gone { seconds } => Outcome::Gone { seconds },
                    };
                    results.push(finish(target, Some(run), outcome, progress));
                }
                None => still.push((target, run, comeback, since)),
            }
        }
        following = still;
    }
    Ok(results)
}

fn finish(
    target: Target,
    tool: Option<ToolRun>,
    outcome: Outcome,
    progress: &mut dyn FnMut(Progress),
) -> PhoneResult {
    let result = PhoneResult {
        target,
        tool,
        outcome,
    };
    progress(Progress::Done(&result));
    result
}

/// Keeps `present` (what is on USB) up to date with the watcher's changes.
fn apply(present: &mut Vec<AppleDevice>, changes: Vec<Change>) {
    for change in changes {
        match change {
            Change::Attached(d) => present.push(d),
            Change::Detached(d) => present.retain(|p| p != &d),
        }
    }
}

/// What the run showed, as the case records it: the phone's mode seen on USB and an event
/// saying what became of it. The step itself is recorded by the caller
/// (`ledger.step(ACTION, …, result.outcome.step_outcome())`).
pub fn record(ledger: &mut Ledger, result: &PhoneResult) {
    let port = result.target.device.usb_path.clone();
    let (kind, message) = match &result.outcome {
        Outcome::Back { mode, seconds } => (
            EventKind::ModeChange,
            format!(
                "irecovery -n: the phone left recovery mode and came back in {} mode after {seconds:.0} s",
                mode.id()
            ),
        ),
        Outcome::Stayed { seconds } => (
            EventKind::Error,
            format!("irecovery -n: the phone was still in recovery mode after {seconds:.0} s"),
        ),
        Outcome::Gone { seconds } => (
            EventKind::Detach,
            format!("irecovery -n: the phone left USB and was not back after {seconds:.0} s"),
        ),
        Outcome::NotSent => (
            EventKind::Error,
            format!(
                "irecovery -n did not reach the phone ({})",
                result
                    .tool
                    .as_ref()
                    .map_or("not run".to_owned(), tool_words)
            ),
        ),
        Outcome::Stopped(_) => (
            EventKind::Error,
            "irecovery -n: stopped before the phone's fate was known".to_owned(),
        ),
    };
    ledger.event(kind, port, None, message);
}

/// How irecovery ended, in a few words: "exit status 255: ERROR: Unable to connect to device".
pub fn tool_words(run: &ToolRun) -> String {
    let how = if run.timed_out {
        format!("still running after {} s, ended", TOOL_LIMIT.as_secs())
    } else {
        match run.status {
            Some(status) => format!("exit status {status}"),
            None => "ended by a signal".to_owned(),
        }
    };
    match &run.said {
        Some(line) => format!("{how}: {line}"),
        None => how,
    }
}

/// A new case for a phone about to be told, placed where USB saw it.
pub fn ledger_for(target: &Target) -> Ledger {
    let device = &target.device;
    let mut ledger = Ledger::new();
    ledger.device = case::DeviceContext {
        board: device.board.clone(),
        ecid: Some(target.ecid.value()),
        keep_ecid: false,
        port: device.usb_path.clone(),
        hubs: Some(u8::try_from(device.external_hubs()).unwrap_or(u8::MAX)),
    };
    if let Some(product) = &device.product_type {
        ledger.add(
            case::Subject::Model,
            product.clone(),
            kb::EvidenceSource::Usb,
        );
    }
    ledger.observe(
        &kb::Observation::new("device-mode", "recovery"),
        kb::EvidenceSource::Usb,
    );
    ledger
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_command_that_reached_the_phone_is_a_tried_step() {
        let back = |mode| Outcome::Back { mode, seconds: 5.0 };
        assert_eq!(back(Mode::Normal).step_outcome(), StepOutcome::Fixed);
        assert_eq!(back(Mode::Recovery).step_outcome(), StepOutcome::Failed);
        assert_eq!(
            Outcome::Gone { seconds: 180.0 }.step_outcome(),
            StepOutcome::Failed
        );
        assert_eq!(Outcome::NotSent.step_outcome(), StepOutcome::Skipped);
        assert_eq!(
            Outcome::Stopped(StopSignal::Interrupt).step_outcome(),
            StepOutcome::Skipped
        );
        assert!(back(Mode::Normal).in_ios() && !back(Mode::Recovery).in_ios());
    }
}
