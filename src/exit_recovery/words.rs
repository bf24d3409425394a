//! What became of a phone told to leave recovery mode, in words for people, and the case a
//! run is kept as: shared by the `exit-recovery` command and the dashboard's button.

use engine::StepKind;
use kb::{CaseStatus, Kb};
use usb::Mode;

use super::{ACTION, Outcome, PhoneResult, Progress, Target};
use crate::exit_recovery;
use crate::ops::Context;
use crate::output::{self, DIM, GOOD, STRONG, WARN, paint};

pub fn progress_line(progress: &Progress, several: bool) -> Option<String> {
    let who = |t: &Target| {
        if several {
            format!("{}: ", t.device.usb_path.as_deref().unwrap_or("?"))
        } else {
            String::new()
        }
    };
    Some(match progress {
        Progress::Telling(t) if several => format!("{}telling it to start iOS", who(t)),
        Progress::Telling(_) => return None,
        Progress::Told(t, run) if run.sent() => {
            format!("{}told: the phone is restarting", who(t))
        }
        Progress::Told(t, run) => paint(
            WARN,
            &format!(
                "{}✗ irecovery did not reach the phone ({})",
                who(t),
                exit_recovery::tool_words(run)
            ),
        ),
        Progress::Left(t, seconds) => paint(
            DIM,
            &format!(
                "{}the phone left USB {seconds:.0} s after the command (restarting)",
                who(t)
            ),
        ),
        Progress::Done(result) => match &result.outcome {
            Outcome::Back { mode, .. } => {
                format!("{}back on USB in {} mode", who(&result.target), mode.id())
            }
            Outcome::Stayed { .. } => format!("{}still in recovery mode", who(&result.target)),
            Outcome::Gone { .. } => format!("{}not back on USB", who(&result.target)),
            Outcome::NotSent | Outcome::Stopped(_) => return None,
        },
    })
}

/// The step that follows a phone back in recovery mode: it restarted and could not start iOS,
/// so its system is damaged, and an Update reinstalls iOS over it keeping the data. (The
/// engine's plan does not know this: to it the step only failed.)
const AFTER_RECOVERY: &str = "try-update-instead";

/// Keeps the run as a case: its step with the outcome and what USB showed. Returns the case id
/// when it was saved.
pub fn keep_case(ctx: &Context, result: &PhoneResult, no_save: bool) -> Option<String> {
    let mut ledger = exit_recovery::ledger_for(&result.target);
    exit_recovery::record(&mut ledger, result);
    ledger.step(ACTION, StepKind::Action, result.outcome.step_outcome());
    if result.outcome.in_ios() {
        ledger.finish(CaseStatus::Fixed, Some(ACTION.to_owned()), None);
    } else {
        ledger.finish(CaseStatus::Open, None, None);
    }
    if no_save {
        return None;
    }
    let mut keeper = ctx.keeper();
    keeper.keep(&ledger);
    keeper.id().map(str::to_owned)
}

/// The next step to name after `outcome`, from the knowledge base.
pub fn next_step<'kb>(kb: &'kb Kb, outcome: &Outcome) -> Option<&'kb kb::Action> {
    match outcome {
        Outcome::Back {
            mode: Mode::Recovery,
            ..
        } => kb.action(AFTER_RECOVERY),
        _ => None,
    }
}

/// What became of one phone, in words, with what to do now.
pub fn verdict_text(kb: &Kb, result: &PhoneResult, several: bool) -> String {
    let phone = result.target.words();
    let lead = if several {
        format!("{}: ", capitalised(&phone))
    } else {
        String::new()
    };
    let next_words = || match next_step(kb, &result.outcome) {
        Some(action) => format!(
            " Next: {}. {} `restore-doctor restore --latest` runs it for you.",
            paint(STRONG, &action.name),
            action.summary
        ),
        None => String::new(),
    };
    let text = match &result.outcome {
        Outcome::Back {
            mode: Mode::Normal,
            seconds,
        } => paint(
            GOOD,
            &format!(
                "{lead}Back in iOS: {phone} started normally after {seconds:.0} s, with its data as it was. Back it up now (Finder, iTunes or iCloud) before anything else."
            ),
        ),
        Outcome::Back {
            mode: Mode::Recovery,
            seconds,
        } => format!(
            "{}{}",
            paint(
                WARN,
                &format!(
                    "{lead}Back in recovery mode after {seconds:.0} s: {phone} restarted but could not start iOS, so its system is damaged."
                )
            ),
            next_words()
        ),
        Outcome::Back { mode, seconds } => format!(
            "{}{}",
            paint(
                WARN,
                &format!(
                    "{lead}{phone} came back in {} mode after {seconds:.0} s, not in iOS.",
                    mode.id()
                )
            ),
            next_words()
        ),
        Outcome::Stayed { seconds } => format!(
            "{}{}",
            paint(
                WARN,
                &format!(
                    "{lead}{phone} was still in recovery mode {seconds:.0} s after the command: it did not restart. Unplug it, plug it straight into the computer and run this again."
                )
            ),
            next_words()
        ),
        Outcome::Gone { seconds } => paint(
            WARN,
            &format!(
                "{lead}{phone} left USB and was not back {seconds:.0} s later. Look at its screen: an Apple logo or a progress bar means it is still starting, so give it a few more minutes; the computer-and-cable picture means it is back in recovery mode (plug it in again and run this again); a black screen: force-restart it with its buttons."
            ),
        ),
        Outcome::NotSent => {
            let run = result.tool.as_ref();
            let how = run.map_or("it was not run".to_owned(), exit_recovery::tool_words);
            let advice = if run.is_some_and(|r| r.timed_out) {
                "It was stopped so it cannot hang; the phone was not told. Unplug the phone, plug it straight into the computer and run this again."
            } else {
                "Another program may hold the phone (Finder, iTunes, Apple Devices, 3uTools or another irecovery): close them, unplug the phone, plug it back in and run this again."
            };
            paint(
                WARN,
                &format!("{lead}irecovery did not reach {phone} ({how}). {advice}"),
            )
        }
        Outcome::Stopped(_) => format!(
            "{lead}Stopped before it was known what became of {phone}. Nothing was erased; run this again to try once more."
        ),
    };
    output::wrap(&text, "")
}

pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
