//! Finding idevicerestore: the path given, or the first on PATH, and the version it reports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{Group, Stopper, Stream};

/// How long `--version` may take.
const VERSION_LIMIT: Duration = Duration::from_secs(10);
/// Output of `--version` kept at most.
const VERSION_OUTPUT: usize = 4096;

/// An idevicerestore that answered `--version`.
#[derive(Debug, Clone)]
pub struct Tool {
    pub path: PathBuf,
    /// `1.0.0`, from `idevicerestore 1.0.0`.
    pub version: String,
}

/// Why idevicerestore cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(
        "idevicerestore was not found on PATH. Install it (Debian and Ubuntu: `apt install idevicerestore`; macOS: `brew install idevicerestore`) or pass --idevicerestore PATH"
    )]
    NotFound,
    #[error("{path} could not be started: {reason}")]
    NotRunnable { path: String, reason: String },
    #[error("{path} did not answer like idevicerestore (it printed {printed:?} for --version)")]
    NotIdevicerestore { path: String, printed: String },
}

impl Tool {
    /// Finds the tool at `path`, or as `idevicerestore` on PATH, and checks its version (run
    /// as a [`Group`], so that a tool that hangs is ended).
    pub fn find(path: Option<&Path>, stopper: &Stopper) -> Result<Tool, ToolError> {
        let path = match path {
            Some(path) => path.to_owned(),
            None => which::which("idevicerestore").map_err(|_| ToolError::NotFound)?,
        };
        let shown = path.display().to_string();
        let not_runnable = |e: std::io::Error| ToolError::NotRunnable {
            path: shown.clone(),
            reason: e.to_string(),
        };
        let mut stdout = Vec::new();
        Group::spawn(Command::new(&path).arg("--version"), stopper)
            .map_err(not_runnable)?
            .run(Some(VERSION_LIMIT), &mut |stream, bytes| {
                if stream == Stream::Stdout {
                    let room = VERSION_OUTPUT.saturating_sub(stdout.len());
                    stdout.extend_from_slice(&bytes[..bytes.len().min(room)]);
                }
            })
            .map_err(not_runnable)?;
        let printed = String::from_utf8_lossy(&stdout);
        let first = printed.lines().next().unwrap_or("").trim();
        let version = first
            .strip_prefix("idevicerestore ")
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()));
        match version {
            Some(version) => Ok(Tool {
                path,
                version: version.to_owned(),
            }),
            None => Err(ToolError::NotIdevicerestore {
                path: shown,
                printed: kb::text::printable(first).chars().take(80).collect(),
            }),
        }
    }
}
