//! Where a case history lives: a SQLite file (the default) or a PostgreSQL database named by
//! URL or by a libpq keyword string (`host=… dbname=…`). Shown to people with any password
//! masked.

use std::fmt;
use std::path::{Path, PathBuf};

/// A case history's place.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL database: `postgres://user:password@host:port/database`, or the same as
    /// libpq keywords: `host=… port=… user=… password=… dbname=…`.
    Postgres(String),
}

/// The keywords of a libpq connection string (PostgreSQL's documentation, "Parameter Key
/// Words"); a `--db` value that starts with one of them and `=` is a connection string.
const LIBPQ_KEYWORDS: [&str; 40] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "requiressl",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "service",
    "target_session_attrs",
];

/// Whether `text` is a libpq keyword string: it starts with a known keyword and `=`.
fn is_keyword_string(text: &str) -> bool {
    let text = text.trim_start();
    let key_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    LIBPQ_KEYWORDS.contains(&&text[..key_end]) && text[key_end..].trim_start().starts_with('=')
}

impl Location {
    /// A `--db` value: a `postgres://` or `postgresql://` URL or a libpq keyword string
    /// (`host=db.local dbname=cases`), else a file path (write `./host=x` for a file of that
    /// name).
    pub fn parse(text: &str) -> Location {
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("postgres://")
            || lower.starts_with("postgresql://")
            || is_keyword_string(text)
        {
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

/// A libpq keyword string with the values of `password` and `sslpassword` replaced by `***`.
/// Values may be quoted (`password='a b\'c'`); past anything that does not read as
/// `keyword = value`, the rest is masked whole.
fn masked_keywords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        out.push_str(&rest[..rest.len() - trimmed.len()]);
        rest = trimmed;
        if rest.is_empty() {
            return out;
        }
        let Some(eq) = rest.find('=') else {
            out.push_str("***");
            return out;
        };
        let key = rest[..eq].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            out.push_str("***");
            return out;
        }
        let after_eq = &rest[eq + 1..];
        let value_start = eq + 1 + (after_eq.len() - after_eq.trim_start().len());
        let value = &rest[value_start..];
        let value_len = if let Some(quoted) = value.strip_prefix('\'') {
            let mut escaped = false;
            let close = quoted.char_indices().find(|&(_, c)| {
                let end = c == '\'' && !escaped;
                escaped = c == '\\' && !escaped;
                end
            });
            match close {
                Some((i, _)) => i + 2,
                None => value.len(),
            }
        } else {
            value.find(char::is_whitespace).unwrap_or(value.len())
        };
        out.push_str(&rest[..value_start]);
        if key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("sslpassword") {
            out.push_str("***");
        } else {
            out.push_str(&value[..value_len]);
        }
        rest = &value[value_len..];
    }
}

/// The URL (or keyword string) with its password replaced by `***`.
fn masked(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return masked_keywords(url);
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
            Location::File(path) => f.write_str(&kb::text::one_line(&path.display().to_string())),
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

    #[test]
    fn a_libpq_keyword_string_is_postgres_and_its_password_never_shown() {
        let text = "host=db.local port=5432 user=shop password=s3cret dbname=cases";
        let location = Location::parse(text);
        assert_eq!(location, Location::Postgres(text.to_owned()));
        assert_eq!(
            location.to_string(),
            "host=db.local port=5432 user=shop password=*** dbname=cases"
        );
        assert!(!format!("{location:?}").contains("s3cret"));
        for (text, shown) in [
            (
                "  dbname = cases password = 'a b\\'c' sslpassword=x",
                "  dbname = cases password = *** sslpassword=***",
            ),
            ("host=h password='never closed", "host=h password=***"),
            ("user=u PASSWORD=p", "user=u PASSWORD=***"),
            ("host=h password s3cret", "host=h ***"),
        ] {
            assert!(
                matches!(Location::parse(text), Location::Postgres(_)),
                "{text}"
            );
            assert_eq!(Location::parse(text).to_string(), shown, "{text}");
        }
        for file in ["./host=x", "cases.sqlite", "hostel=1.sqlite", "my host=x"] {
            assert!(matches!(Location::parse(file), Location::File(_)), "{file}");
        }
    }
}
