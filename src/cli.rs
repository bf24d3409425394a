//! The command line: every command, flag and the help text that teaches how to use them.
//! Parsing only; the commands themselves live in `commands/`.

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

const ABOUT: &str = "Gets a failed iPhone / iPad restore or update working again, or shows with \
evidence that the phone needs a repair bench.";

const LONG_ABOUT: &str = "Gets a failed iPhone / iPad restore or update working again, or shows \
with evidence that the phone needs a repair bench.

Restore Doctor knows Apple's restore error codes and what usually causes them, ranks the causes \
for your model, and plans the cheapest likely fix first: it tells you why each step is next and \
what to do if it fails. Everything runs offline.";

const AFTER_HELP: &str = "\
Examples:
  restore-doctor explain 4013                   What error 4013 means and what to do first
  restore-doctor explain 4013 --model \"iPhone 7\" The same, ranked for an iPhone 7
  restore-doctor explain \"An unknown error occurred (4014).\"
  restore-doctor completions bash > ~/.local/share/bash-completion/completions/restore-doctor

Exit codes: 0 ok, 1 a problem was found, 2 bad input or an error.";

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "restore-doctor",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// When to use colour: auto (only on a terminal, and not when NO_COLOR is set), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: clap::ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain an error code: what it means, Apple's category, likely causes for your model, first steps.
    #[command(
        long_about = "Explain an error code from Finder, iTunes or the Apple Devices app: what it \
means, which category Apple puts it in, the likely causes ranked (for your model when you give \
one), and the first steps with why each is next.\n\nThe code can be typed as a number (4013, -1, \
0xE8000015) or pasted with its message (\"An unknown error occurred (4013).\"). A code the \
program does not know gets an honest \"unknown\" and the general plan.",
        after_help = "Examples:\n  restore-doctor explain 4013\n  restore-doctor explain 4013 --model iPhone9,3\n  restore-doctor explain 3194 --json\n  restore-doctor explain -1\n  restore-doctor explain \"An unknown error occurred (4013).\""
    )]
    Explain(ExplainArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  restore-doctor completions bash > ~/.local/share/bash-completion/completions/restore-doctor\n  restore-doctor completions zsh > ~/.zfunc/_restore-doctor\n  restore-doctor completions fish > ~/.config/fish/completions/restore-doctor.fish"
    )]
    Completions {
        /// The shell to generate completions for.
        shell: Shell,
    },
}

/// Which device the person has.
#[derive(Debug, Args)]
pub struct ModelArg {
    /// Your model: a product type (iPhone9,3), a model name ("iPhone 7", any case) or a board
    /// config (D101AP). Causes and steps are then ranked for that model.
    #[arg(long, short, value_name = "MODEL")]
    pub model: Option<String>,
}

/// `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error code (4013, -1, 0xE8000015) or the error message that contains it.
    #[arg(value_name = "CODE", allow_negative_numbers = true)]
    pub code: String,

    #[command(flatten)]
    pub model: ModelArg,

    /// Print JSON for other programs instead of text.
    #[arg(long)]
    pub json: bool,
}
