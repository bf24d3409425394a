//! `restore-doctor completions SHELL`: prints a completion script for the shell.
//! The script is generated from the same command definitions as `--help`.

use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap_complete::Shell;

pub fn run(shell: Shell) -> anyhow::Result<ExitCode> {
    let mut command = with_kb_values(crate::cli::command(), crate::knowledge::knowledge()?);
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "restore-doctor", &mut out);
    Ok(ExitCode::SUCCESS)
}

/// The command with the kb's ids as the values a shell offers: every QUESTION=ANSWER for
/// `--observe` and every action for `--failed`, `--fixed` and `--cannot` (parsing stays open,
/// so the kb's own error messages still explain a wrong value).
fn with_kb_values(command: clap::Command, kb: &kb::Kb) -> clap::Command {
    let answers: Vec<String> = kb
        .questions
        .iter()
        .flat_map(|q| q.answers.iter().map(move |a| format!("{}={a}", q.id)))
        .collect();
    let actions: Vec<String> = kb.actions.iter().map(|a| a.id.clone()).collect();
    let offer = |values: &[String]| {
        PossibleValuesParser::new(values.iter().map(|v| PossibleValue::new(v.clone())))
    };
    let flags: [(&str, &str, &[String]); 5] = [
        ("diagnose", "observe", &answers),
        ("diagnose", "failed", &actions),
        ("diagnose", "cannot", &actions),
        ("record", "failed", &actions),
        ("record", "fixed", &actions),
    ];
    flags.iter().fold(command, |command, (sub, flag, values)| {
        command.mut_subcommand(*sub, |c| {
            c.mut_arg(*flag, |a| a.value_parser(offer(values)))
        })
    })
}
