//! Where a case history lives: a SQLite file (the default) or a PostgreSQL database named by
//! URL. Shown to people with any password in the URL masked.

use std::fmt;
use std::path::{Path, PathBuf};

/// A case history's place.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL database: `postgres://user:password@host:port/database`.
    Postgres(String),
}

impl Location {
    /// A `--db` value: a `postgres://` or `postgresql://` URL, else a file path.
    pub fn parse(text: &str) -> Location {
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Location::Postgres(text.to_owned())
        } else {
            Location::File(PathBuf::from(text))
        }
    }

    /// The file, for a SQLite history.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }

    /// Whether a history is there at all (a server always counts: it is asked when opened).
    pub fn exists(&self) -> bool {
        match self {
            Location::File(path) => path.exists(),
            Location::Postgres(_) => true,
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::parse(&path.to_string_lossy())
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Location {
        Location::from(path.as_path())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::from(path.as_path())
    }
}

impl From<&Location> for Location {
    fn from(location: &Location) -> Location {
        location.clone()
    }
}

/// The URL with its password replaced by `***`.
fn masked(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(cut) => rest.split_at(cut),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    // A password may also come as a parameter: `?password=…`.
    let tail: Vec<String> = tail
        .split('&')
        .map(|part| match part.split_once("password=") {
            Some((before, _)) => format!("{before}password=***"),
            None => part.to_owned(),
        })
        .collect();
    format!("{scheme}://{authority}{}", tail.join("&"))
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&masked(url)),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_postgres_and_passwords_never_shown() {
        let url = "postgres://shop:s3cret@db.local:5432/cases?sslmode=disable";
        let location = Location::parse(url);
        assert!(matches!(location, Location::Postgres(_)));
        let shown = location.to_string();
        assert_eq!(
            shown,
            "postgres://shop:***@db.local:5432/cases?sslmode=disable"
        );
        assert!(!format!("{location:?}").contains("s3cret"));
        assert_eq!(
            Location::parse("postgresql://u@h/d?password=p4ss").to_string(),
            "postgresql://u@h/d?password=***"
        );
        assert_eq!(
            Location::parse("/tmp/cases.sqlite"),
            Location::File("/tmp/cases.sqlite".into())
        );
    }
}
