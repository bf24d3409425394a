//! The person's typed leave to erase: the word `erase` at a terminal, or `--yes-erase`; the
//! only guard there is, since idevicerestore skips its own prompt off a terminal.

use std::io::{BufRead, IsTerminal, Write};

use supervise::ErasePermit;

use crate::output::{WARN, paint};
use crate::usage_error::UsageError;

/// The person's leave to erase `what` ("the phone", "3 phones").
pub fn erase_permit(yes_erase: bool, what: &str) -> anyhow::Result<ErasePermit> {
    if yes_erase {
        return Ok(ErasePermit::from_flag());
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(UsageError::new(
            "--erase needs you to type `erase` at a terminal, and there is none here. It deletes everything on the phone; add --yes-erase only if that is what you want.",
        )
        .into());
    }
    let mut err = std::io::stderr();
    writeln!(
        err,
        "{}",
        paint(
            WARN,
            &format!(
                "A full restore ERASES {what}: photos, messages and everything else stored there are \
                 lost. Only a backup (Finder, iTunes or iCloud) keeps them; without one, try an \
                 update first (run this again without --erase)."
            )
        )
    )?;
    write!(err, "Type erase to continue, anything else to stop: ")?;
    err.flush()?;
    let mut typed = String::new();
    std::io::stdin().lock().read_line(&mut typed)?;
    ErasePermit::typed(&typed).ok_or_else(|| {
        UsageError::new("Not erased: the word was not typed. Nothing was started.").into()
    })
}
