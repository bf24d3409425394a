//! irecovery, the libirecovery tool that talks to a phone in recovery mode: finding it, and
//! running `irecovery -i ECID -n` (set auto-boot, save, reboot) under supervision.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::ecid::Ecid;
use supervise::{Group, StopSignal, Stopper, Stream};

/// How long irecovery may take. It tries to open the phone six times a second apart before it
/// gives up ("ERROR: Unable to connect to device"), and the three commands take a moment: a
/// run still going after this is stuck on the USB link.
pub const LIMIT: Duration = Duration::from_secs(30);
/// How long `-V` may take.
const VERSION_LIMIT: Duration = Duration::from_secs(10);
/// Output kept from a run: irecovery prints a few lines at most.
const KEPT: usize = 8192;

/// An irecovery that answered `-V`.
#[derive(Debug, Clone)]
pub struct Irecovery {
    pub path: PathBuf,
    /// `1.0.0`, from `irecovery 1.0.0`.
    pub version: String,
}

/// Why irecovery cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IrecoveryError {
    #[error(
        "irecovery was not found on PATH. Install it (Debian and Ubuntu: `apt install irecovery`; macOS: `brew install libirecovery`) or pass --irecovery PATH"
    )]
    Missing,
    #[error("{path} could not be started: {reason}")]
    Unrunnable { path: String, reason: String },
    #[error("{path} did not answer like irecovery (it printed {printed:?} for -V)")]
    Unexpected { path: String, printed: String },
}

/// How one `irecovery -n` ended.
#[derive(Debug, Clone)]
pub struct ToolRun {
    /// Its exit status; `None` when it was ended by a signal.
    pub status: Option<i32>,
    /// Its last line of output (an `ERROR: …` line when it failed), control characters removed.
    pub said: Option<String>,
    /// It was still running at [`LIMIT`] and was ended.
    pub timed_out: bool,
    /// Restore Doctor was asked to stop (Ctrl-C) while it ran.
    pub stopped: Option<StopSignal>,
}

impl ToolRun {
    /// The command was sent: irecovery returns 0 once it opened the phone and sent the three
    /// commands (it does not check their answers).
    pub fn sent(&self) -> bool {
        self.status == Some(0) && !self.timed_out && self.stopped.is_none()
    }
}

impl Irecovery {
    /// The first `irecovery` on PATH (`irecovery.exe` on Windows), if there is one (without
    /// running it).
    pub fn on_path() -> Option<PathBuf> {
        which::which("irecovery").ok()
    }

    /// The tool at `path`, or the first on PATH, checked by its `-V`.
    pub fn find(path: Option<&Path>, stopper: &Stopper) -> Result<Irecovery, IrecoveryError> {
        let path = match path {
            Some(path) => path.to_owned(),
            None => Irecovery::on_path().ok_or(IrecoveryError::Missing)?,
        };
        let shown = kb::text::printable(&path.display().to_string()).into_owned();
        let not_runnable = |reason: String| IrecoveryError::Unrunnable {
            path: shown.clone(),
            reason,
        };
        let mut command = Command::new(&path);
        command.arg("-V");
        let group = Group::spawn(&mut command, stopper).map_err(|e| not_runnable(e.to_string()))?;
        let mut printed = Vec::new();
        let exit = group
            .run(Some(VERSION_LIMIT), &mut |stream, bytes| {
                if stream == Stream::Stdout && printed.len() < KEPT {
                    printed.extend_from_slice(bytes);
                }
            })
            .map_err(|e| not_runnable(e.to_string()))?;
        if exit.timed_out {
            return Err(not_runnable(format!(
                "it did not answer -V within {} s",
                VERSION_LIMIT.as_secs()
            )));
        }
        let printed = String::from_utf8_lossy(&printed);
        let first = printed.lines().next().unwrap_or("").trim();
        let version = first
            .strip_prefix("irecovery ")
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()));
        match version {
            Some(version) => Ok(Irecovery {
                path,
                version: kb::text::printable(version).into_owned(),
            }),
            None => Err(IrecoveryError::Unexpected {
                path: shown,
                printed: kb::text::printable(first).chars().take(80).collect(),
            }),
        }
    }

    /// The arguments for one phone: `-i 0x… -n`. The ECID is a typed value; nothing a person
    /// typed reaches the command line any other way.
    pub fn args(ecid: Ecid) -> [String; 3] {
        ["-i".to_owned(), ecid.arg(), "-n".to_owned()]
    }

    /// Runs `irecovery -i ECID -n` in a process group of its own, ended on a stop request or
    /// after [`LIMIT`].
    pub fn tell(&self, ecid: Ecid, stopper: &Stopper) -> io::Result<ToolRun> {
        let mut command = Command::new(&self.path);
        command.args(Irecovery::args(ecid));
        let group = Group::spawn(&mut command, stopper)?;
        let mut output = Vec::new();
        let exit = group.run(Some(LIMIT), &mut |_, bytes| {
            if output.len() < KEPT {
                output.extend_from_slice(bytes);
            }
        })?;
        let text = String::from_utf8_lossy(&output);
        let said = text
            .lines()
            .map(|l| kb::text::printable(l).trim().to_owned())
            .rfind(|l| !l.is_empty());
        Ok(ToolRun {
            status: exit.status.code(),
            said,
            timed_out: exit.timed_out,
            stopped: exit.stopped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_the_ecid_as_hex_then_normal() {
        let ecid = Ecid::parse("0x001838E00801EFAE").unwrap();
        assert_eq!(Irecovery::args(ecid), ["-i", "0x001838E00801EFAE", "-n"]);
    }
}
