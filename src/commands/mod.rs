//! One module per command; `run` dispatches the parsed command line to them and returns the
//! process exit code.

mod cases;
mod completions;
mod device_view;
mod devices;
mod dfu;
mod diagnose;
mod explain;
mod identify;
mod logs;
mod watch;
mod watch_view;

use std::process::ExitCode;

use anyhow::anyhow;
use std::fmt::Write as _;

use engine::{Step, StepKind};
use kb::{Device, Kb};

use crate::cli::{Cli, Command};
use crate::output::{self, DIM, STRONG, WARN, WIDTH, paint};
use crate::usage_error::UsageError;

/// Runs the command the person asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let db = cli.db.as_deref();
    match cli.command {
        None => diagnose::run(db, &crate::cli::DiagnoseArgs::default()),
        Some(Command::Diagnose(args)) => diagnose::run(db, &args),
        Some(Command::History(args)) => cases::history(db, &args),
        Some(Command::Report(args)) => cases::report(db, &args),
        Some(Command::Dfu(args)) => dfu::run(&args),
        Some(Command::Devices(args)) => devices::run(&args),
        Some(Command::Identify(args)) => identify::run(&args),
        Some(Command::Watch(args)) => watch::run(&args),
        Some(Command::Logs(args)) => logs::run(&args),
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Completions { shell }) => completions::run(shell),
    }
}

/// The embedded knowledge base, or an error if it is broken (which tests prevent).
pub fn knowledge() -> anyhow::Result<&'static Kb> {
    Kb::embedded().map_err(|e| anyhow!("the built-in knowledge base is broken: {e}"))
}

/// Resolves `--model`, turning an unknown model into a usage error with a suggestion.
pub fn resolve_model<'kb>(kb: &'kb Kb, model: Option<&str>) -> anyhow::Result<Option<&'kb Device>> {
    match model {
        None => Ok(None),
        Some(query) => kb
            .find_device(query)
            .map(Some)
            .map_err(|e| UsageError::new(e.to_string()).into()),
    }
}

/// The most likely causes, one line each ("  38 %  Audio IC failure  (hardware)"), at least
/// `min` likely and at most `max` of them.
pub fn cause_lines(kb: &Kb, causes: &[engine::CauseBelief], min: f64, max: usize) -> String {
    let mut out = String::new();
    for belief in causes.iter().filter(|c| c.probability >= min).take(max) {
        if let Some(cause) = kb.cause(&belief.id) {
            let tag = if cause.hardware {
                paint(DIM, "  (hardware)")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:>5}  {}{tag}",
                output::percent(belief.probability),
                cause.name
            );
        }
    }
    out
}

/// The device a command understood, as its `--json` echoes it (`null` when none was given).
#[derive(serde::Serialize)]
pub struct DeviceJson<'a> {
    pub product_type: &'a str,
    pub name: &'a str,
    pub model: &'a str,
    pub board: Option<&'a str>,
}

impl<'a> From<&'a kb::Device> for DeviceJson<'a> {
    fn from(d: &'a kb::Device) -> Self {
        DeviceJson {
            product_type: &d.product_type,
            name: &d.name,
            model: &d.model,
            board: d.board.as_deref(),
        }
    }
}

/// One plan step as text: its name (or question), cost, summary and why.
pub fn step_text(kb: &Kb, number: usize, step: &Step) -> String {
    let mut out = String::new();
    match step.kind {
        StepKind::Question => {
            let question = kb
                .question(&step.id)
                .map_or(step.id.as_str(), |q| q.text.as_str());
            let _ = writeln!(out, "  {number}. {} {question}", paint(STRONG, "Check:"));
        }
        StepKind::Action => {
            let action = kb.action(&step.id);
            let name = action.map_or(step.id.as_str(), |a| a.name.as_str());
            let odds = paint(DIM, &format!("  ({})", output::minutes(step.time_minutes)));
            let erase = if step.erases_data {
                paint(WARN, " (erases the phone)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {number}. {}{odds}{erase}", paint(STRONG, name));
            if let Some(a) = action {
                out.push_str(&output::wrap(&a.summary, "     ", WIDTH));
            }
        }
    }
    out.push_str(&output::wrap(&format!("Why: {}", step.why), "     ", WIDTH));
    out
}

/// Makes Ctrl-C end an interactive command cleanly: a line saying nothing on the phone was
/// touched, and exit status 130.
pub fn exit_cleanly_on_interrupt() {
    let _ = ctrlc::set_handler(|| {
        anstream::eprintln!(
            "\nStopped. Restore Doctor changed nothing on the phone; run it again to start over."
        );
        std::process::exit(130);
    });
}
