//! One module per command; `run` dispatches the parsed command line to them and returns the
//! process exit code.

mod completions;
mod explain;

use std::process::ExitCode;

use anyhow::anyhow;
use kb::{Device, Kb};

use crate::cli::{Cli, Command};
use crate::usage_error::UsageError;

/// Runs the command the person asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Explain(args) => explain::run(&args),
        Command::Completions { shell } => completions::run(shell),
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
