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
    anstream::eprintln!("{prefix}: {}", kb::text::one_line(&message(err)));
    ExitCode::from(2)
}

/// The error and its causes, `: `-joined, up to the first cause the message already says (an
/// error that words its source into its own message has said what lies below it too).
fn message(err: &anyhow::Error) -> String {
    let mut message = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if message.contains(&text) {
            break;
        }
        message = format!("{message}: {text}");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn a_cause_already_worded_into_the_message_is_not_said_again() {
        let io = std::io::Error::other("disk on fire");
        let plain = anyhow::Error::new(io).context("cannot read cases.sqlite");
        assert_eq!(message(&plain), "cannot read cases.sqlite: disk on fire");
        let worded = store::StoreError::Corrupted {
            path: "cases.sqlite".to_owned(),
            cause: store::Cause::Io {
                doing: "reading".to_owned(),
                source: std::io::Error::other("disk on fire"),
            },
        };
        let said = message(&anyhow::Error::new(worded));
        assert_eq!(said.matches("disk on fire").count(), 1, "{said}");
    }
}
