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
#[cfg(feature = "dashboard")]
mod serve;
mod watch;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::ops::Context;

/// Runs the command the person asked for, in `ctx`.
pub fn run(ctx: &Context, cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => diagnose::run(ctx, &crate::cli::DiagnoseArgs::default()),
        Some(Command::Diagnose(args)) => diagnose::run(ctx, &args),
        Some(Command::History(args)) => match &args.import {
            Some(file) => record::import(ctx, file, args.skip_unknown, args.json),
            None => cases::history(ctx, cli.bench.as_deref().map(str::trim), &args),
        },
        Some(Command::Report(args)) => cases::report(ctx, &args),
        Some(Command::Record(args)) => record::run(ctx, &args),
        Some(Command::Learn(args)) => learn::run(ctx, &args),
        Some(Command::Dfu(args)) => dfu::run(&args),
        #[cfg(feature = "dashboard")]
        Some(Command::Serve(args)) => serve::run(ctx, &args),
        #[cfg(not(feature = "dashboard"))]
        Some(Command::Serve(_)) => Err(anyhow::anyhow!(
            "this build of Restore Doctor has no dashboard (it was built without the `dashboard` feature); `serve` needs a build with it"
        )),
        Some(Command::ExitRecovery(args)) => exit_recovery::run(ctx, &args),
        Some(Command::Devices(args)) => devices::run(&args),
        Some(Command::Identify(args)) => identify::run(&args),
        Some(Command::Watch(args)) => watch::run(ctx, &args),
        Some(Command::Logs(args)) => logs::run(&args),
        Some(Command::Restore(args)) => restore::run(ctx, &args),
        Some(Command::Explain(args)) => explain::run(&args),
        Some(Command::Completions { shell }) => completions::run(shell),
    }
}
