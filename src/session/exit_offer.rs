//! The session's offer to send the "leave recovery mode" command itself when that step comes
//! up, irecovery is installed and the phone is on this computer's USB in recovery mode.

use std::io;

use case::Ledger;
use kb::{Kb, StepOutcome};
use usb::source::DeviceSource;

use crate::exit_recovery::{
    self, Ecid, Irecovery, Outcome, Progress, Stopper, WAITS, Wanted, device_words,
};
use crate::output::{DIM, paint};
use crate::session::prompter::{Choice, Prompter};

/// What came of the offer.
pub enum Offered {
    /// Not made (no irecovery, no phone in recovery mode here), or declined: the session
    /// goes on and asks how the step went.
    NotTaken,
    /// The person stopped.
    Stop,
    /// Done: the step's outcome, already known from USB.
    Done(StepOutcome),
}

/// Offers to run `irecovery -n` for the phone in recovery mode on `usb`, runs it when asked,
/// and puts what happened into the ledger.
pub fn offer(
    kb: &Kb,
    usb: Option<&dyn DeviceSource>,
    ledger: &mut Ledger,
    prompter: &mut dyn Prompter,
) -> io::Result<Offered> {
    let Some(source) = usb.filter(|s| s.on_this_computer()) else {
        return Ok(Offered::NotTaken);
    };
    let Some(path) = Irecovery::on_path() else {
        return Ok(Offered::NotTaken);
    };
    let Ok(devices) = source.snapshot(kb) else {
        return Ok(Offered::NotTaken);
    };
    let wanted = ledger
        .device
        .ecid
        .and_then(Ecid::new)
        .map_or(Wanted::Only, Wanted::Ecid);
    let Ok(chosen) = exit_recovery::choose(&devices, wanted) else {
        return Ok(Offered::NotTaken);
    };
    let Some(target) = chosen.targets.into_iter().next() else {
        return Ok(Offered::NotTaken);
    };
    let options = [
        Choice::new("run", "Send it now, and watch the phone come back"),
        Choice::new("myself", "I'll do it myself"),
    ];
    let prompt = format!(
        "irecovery is installed ({}): I can send the command to {} for you. Nothing is erased.",
        kb::text::printable(&path.display().to_string()),
        device_words(&target.device)
    );
    match prompter.choose(&prompt, &options)? {
        None => return Ok(Offered::Stop),
        Some(1) => return Ok(Offered::NotTaken),
        Some(_) => {}
    }
    // The session's own Ctrl-C ends it at once; irecovery, bounded by its time limit, is not
    // left waiting for a stop request that never comes.
    let stopper = Stopper::default();
    let tool = match Irecovery::find(Some(&path), &stopper) {
        Ok(tool) => tool,
        Err(e) => {
            prompter.say(&format!("  {e}"))?;
            return Ok(Offered::NotTaken);
        }
    };
    prompter.say(&paint(
        DIM,
        &format!(
            "  Sending it through irecovery {}; waiting up to {:.0} s for the phone to come back.",
            tool.version, WAITS.back
        ),
    ))?;
    let mut lines = Vec::new();
    let results = exit_recovery::run(
        kb,
        source,
        &tool,
        vec![target],
        WAITS,
        &stopper,
        &mut |progress| match progress {
            Progress::Left(..) => lines.push("the phone left USB (restarting)".to_owned()),
            Progress::Told(_, run) if !run.sent() => lines.push(format!(
                "irecovery did not reach the phone ({})",
                exit_recovery::tool_words(run)
            )),
            _ => {}
        },
    );
    for line in lines {
        prompter.say(&paint(DIM, &format!("  {line}")))?;
    }
    let result = match results {
        Ok(mut results) if !results.is_empty() => results.remove(0),
        Ok(_) => return Ok(Offered::NotTaken),
        Err(e) => {
            prompter.say(&format!("  USB could not be watched: {e}"))?;
            return Ok(Offered::NotTaken);
        }
    };
    exit_recovery::record(ledger, &result);
    let words = match &result.outcome {
        Outcome::Back { mode, seconds } if *mode == usb::Mode::Normal => {
            format!(
                "  ✓ Back in iOS after {seconds:.0} s. Back the phone up now, before anything else."
            )
        }
        Outcome::Back { mode, seconds } => format!(
            "  ✗ Back in {} mode after {seconds:.0} s: the phone could not start iOS, so its system is damaged.",
            mode.id()
        ),
        Outcome::Stayed { seconds } => {
            format!(
                "  ✗ Still in recovery mode {seconds:.0} s after the command: it did not restart."
            )
        }
        Outcome::Gone { seconds } => format!(
            "  ✗ It left USB and was not back {seconds:.0} s later: look at its screen (an Apple logo means it is still starting)."
        ),
        Outcome::NotSent | Outcome::Stopped(_) => {
            "  The command did not reach the phone; tell me how it goes if you do it yourself."
                .to_owned()
        }
    };
    prompter.say(&words)?;
    Ok(match result.outcome {
        Outcome::NotSent | Outcome::Stopped(_) => Offered::NotTaken,
        outcome => Offered::Done(outcome.step_outcome()),
    })
}
