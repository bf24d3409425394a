//! Our own JSON snapshot of the devices seen (`devices --save`, `--from`): a field technician's
//! capture from any OS becomes a file others can load and a regression fixture.

use std::fs;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{AppleDevice, UsbError};

/// Largest snapshot file read.
const MAX_SNAPSHOT: u64 = 32 * 1024 * 1024;
/// The format version written; newer files are refused rather than misread.
pub const VERSION: u32 = 1;

/// A saved list of devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub devices: Vec<AppleDevice>,
}

/// Writes a snapshot as pretty JSON.
pub fn save(path: &Path, devices: &[AppleDevice]) -> Result<(), UsbError> {
    let snapshot = Snapshot {
        version: VERSION,
        devices: devices.to_vec(),
    };
    let text =
        serde_json::to_string_pretty(&snapshot).map_err(|e| UsbError::Snapshot(e.to_string()))?;
    fs::write(path, text + "\n").map_err(|e| UsbError::Io {
        what: path.display().to_string(),
        source: e,
    })
}

/// Reads a snapshot written by [`save`].
pub fn load(path: &Path) -> Result<Vec<AppleDevice>, UsbError> {
    let io = |e| UsbError::Io {
        what: path.display().to_string(),
        source: e,
    };
    let file = fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    file.take(MAX_SNAPSHOT + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_SNAPSHOT {
        return Err(UsbError::Snapshot(format!(
            "{} is larger than {} MB",
            path.display(),
            MAX_SNAPSHOT >> 20
        )));
    }
    parse(&text).map_err(|e| UsbError::Snapshot(format!("{}: {e}", path.display())))
}

/// Reads a snapshot's text; the error says what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<AppleDevice>, String> {
    let snapshot: Snapshot =
        serde_json::from_str(text).map_err(|e| format!("not a device snapshot: {e}"))?;
    if snapshot.version > VERSION {
        return Err(format!(
            "written by a newer version (format {}); this one reads format {VERSION}",
            snapshot.version
        ));
    }
    Ok(snapshot.devices)
}
