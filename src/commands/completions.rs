//! `restore-doctor completions SHELL`: prints a completion script for the shell.
//! The script is generated from the same command definitions as `--help`.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

pub fn run(shell: Shell) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "restore-doctor", &mut out);
    Ok(ExitCode::SUCCESS)
}
