//! One module per command; `run` dispatches the parsed command line to them and returns the
//! process exit code.

mod cases;
mod completions;
mod devices;
mod dfu;
mod diagnose;
mod exit_recovery;
mod explain;
mod identify;
mod learn;
mod logs;
mod record;
mod restore;
mod restore_bench;
mod serve;
mod watch;
mod watch_view;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the command the person asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let db = cli.db.as_deref();
    match cli.command {
        None => diagnose::run(db, &crate::cli::DiagnoseArgs::default()),
        Some(Command::Diagnose(args)) => diagnose::run(db, &args),
        Some(Command::History(args)) => cases::history(db, cli.bench.as_deref(), &args),
        Some(Command::Report(args)) => cases::report(db, &args),
        Some(Command::Record(args)) => record::run(db, &args),
        Some(Command::Learn(args)) => learn::run(&args),
        Some(Command::Dfu(args)) => dfu::run(&args),
        Some(Command::Serve(args)) => serve::run(db, &args),
        Some(Command::ExitRecovery(args)) => exit_recovery::run(db, &args),
        Some(Command::Devices(args)) => devices::run(&args),
        Some(Command::Identify(args)) => identify::run(&args),
        Some(Command::Watch(args)) => watch::run(&args),
        Some(Command::Logs(args)) => logs::run(&args),
        Some(Command::Restore(args)) => restore::run(db, &args),
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Completions { shell }) => completions::run(shell),
    }
}
