//! What a restore installs: an IPSW file that was checked to be one (an existing regular file
//! named `.ipsw` or `.zip`), or the latest firmware Apple signs.

use std::path::{Path, PathBuf};

/// What the firmware comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Firmware {
    /// An IPSW file on this computer.
    Ipsw(Ipsw),
    /// The latest signed firmware, downloaded by idevicerestore.
    Latest,
}

/// An existing regular file with an `.ipsw` or `.zip` name (in any case), by its absolute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipsw(PathBuf);

/// Why a path is not an IPSW to restore.
#[derive(Debug, thiserror::Error)]
pub enum IpswError {
    #[error("{path}: no such file. Give the path of a downloaded .ipsw file, or --latest")]
    Missing { path: String },
    #[error("{path} is not a file: give the .ipsw file itself")]
    NotAFile { path: String },
    #[error(
        "{path}: an IPSW's name ends in .ipsw (or .zip); give the path of a downloaded .ipsw file"
    )]
    NotAnIpswName { path: String },
    #[error("{path} cannot be read: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Ipsw {
    /// Checks `path` now, before anything waits for a phone.
    pub fn new(path: &Path) -> Result<Ipsw, IpswError> {
        let shown = || kb::text::printable(&path.display().to_string()).into_owned();
        let named_ipsw = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("ipsw") || e.eq_ignore_ascii_case("zip"));
        if !named_ipsw {
            return Err(IpswError::NotAnIpswName { path: shown() });
        }
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(IpswError::Missing { path: shown() });
            }
            Err(source) => {
                return Err(IpswError::Unreadable {
                    path: shown(),
                    source,
                });
            }
        };
        if !metadata.is_file() {
            return Err(IpswError::NotAFile { path: shown() });
        }
        let absolute = std::path::absolute(path).map_err(|source| IpswError::Unreadable {
            path: shown(),
            source,
        })?;
        Ok(Ipsw(absolute))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_existing_file_named_ipsw_or_zip_is_an_ipsw() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["iPhone.ipsw", "iPhone.IPSW", "restore.Zip", "-le.ipsw"] {
            let path = dir.path().join(name);
            std::fs::write(&path, b"PK").unwrap();
            let ipsw = Ipsw::new(&path).unwrap();
            assert!(ipsw.path().is_absolute());
        }
        std::fs::write(dir.path().join("-le"), b"PK").unwrap();
        let refused = |path: &Path| Ipsw::new(path).err().unwrap();
        assert!(matches!(
            refused(&dir.path().join("-le")),
            IpswError::NotAnIpswName { .. }
        ));
        for flag in ["-le", "--erase", "-e", "--latest"] {
            assert!(matches!(
                refused(Path::new(flag)),
                IpswError::NotAnIpswName { .. }
            ));
        }
        assert!(matches!(
            refused(&dir.path().join("gone.ipsw")),
            IpswError::Missing { .. }
        ));
        let folder = dir.path().join("extracted.ipsw");
        std::fs::create_dir(&folder).unwrap();
        assert!(matches!(refused(&folder), IpswError::NotAFile { .. }));
        assert!(matches!(
            refused(Path::new("/dev/null.ipsw")),
            IpswError::Missing { .. }
        ));
    }
}
