//! `restore-doctor`: gets a failed iPhone / iPad restore working again, or shows with evidence
//! that the phone needs a repair bench. This file wires the commands and maps errors to exits.

mod case_store;
mod cli;
mod commands;
mod device_view;
mod exit_recovery;
mod interrupt;
mod knowledge;
mod log_files;
mod ops;
mod output;
mod plan_text;
mod session;
mod this_computer;
mod usage_error;
mod usb_source;
mod usb_watch;
mod usbmux_view;
mod views;

use std::io;
use std::process::ExitCode;

use cli::Cli;
use usage_error::UsageError;

fn main() -> ExitCode {
    let cli = Cli::parse_in_order();
    output::set_color(cli.color);
    let context = match ops::Context::new(cli.db.clone(), cli.bench.clone(), !cli.no_learn) {
        Ok(context) => context,
        Err(e) => return report(&e.into()),
    };
    match commands::run(&context, cli) {
        Ok(code) => code,
        Err(err) => report(&err),
    }
}

/// Prints an error in one place and picks the exit code: a closed pipe is not an error
/// (`restore-doctor explain 4013 | head`); everything else exits 2.
fn report(err: &anyhow::Error) -> ExitCode {
    for cause in err.chain() {
        // A JSON writer wraps the pipe's error in its own.
        let kind = cause
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| cause.downcast_ref::<serde_json::Error>()?.io_error_kind());
        if kind == Some(io::ErrorKind::BrokenPipe) {
            return ExitCode::SUCCESS;
        }
    }
    let prefix = if err.downcast_ref::<UsageError>().is_some() {
        "restore-doctor"
    } else {
        "restore-doctor: error"
    };
    // Messages echo what was typed or read (file names too); none of it may drive the
    // terminal or start a line of its own.
    let message = format!("{err:#}");
    anstream::eprintln!("{prefix}: {}", kb::text::one_line(&message));
    ExitCode::from(2)
}
