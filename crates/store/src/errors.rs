//! What can go wrong with a case database, each in words a person can act on: a corrupted
//! file, a read-only place, a full disk, a foreign or newer database, a case that is not there.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, OpenFlags};

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} is not a database file (it may be another kind of file); it was left untouched"
    )]
    NotADatabase { path: String },
    #[error(
        "{path} is a database, but not Restore Doctor's (it has tables of its own); it was left untouched"
    )]
    Foreign { path: String },
    #[error(
        "{path} is damaged (SQLite: {cause}); it was left untouched. Move it aside to start a new history, or restore a backup of it"
    )]
    Corrupted {
        path: String,
        #[source]
        cause: Cause,
    },
    #[error(
        "{path} cannot be written: the file or its folder is read-only ({cause}). `history` and `report` can still read it; point --db at a writable place to save cases"
    )]
    ReadOnly {
        path: String,
        #[source]
        cause: Cause,
    },
    #[error("the disk holding {path} is full ({cause}); free some space and try again")]
    DiskFull {
        path: String,
        #[source]
        cause: Cause,
    },
    #[error("{path}: {cause}")]
    CannotOpen {
        path: String,
        #[source]
        cause: Cause,
    },
    #[error("{path} does not exist")]
    Missing { path: String },
    #[error(
        "the folder {folder} does not exist, so {path} cannot be made there; create the folder first, or check --db for a typing mistake"
    )]
    NoFolder { path: String, folder: String },
    #[error(
        "{path} was written by a newer Restore Doctor (schema {found}, this one knows {}); it was left untouched",
        crate::SCHEMA_VERSION
    )]
    NewerVersion { path: String, found: i64 },
    #[error(
        "{path} was written by an older Restore Doctor; open it once with a command that saves (such as `restore-doctor diagnose`) to bring it up to date"
    )]
    NeedsMigration { path: String },
    #[error("no case {0}")]
    NoCase(String),
    #[error("{prefix} matches several cases ({}); give more of the id", matches.join(", "))]
    Ambiguous {
        prefix: String,
        matches: Vec<String>,
    },
    #[error("case {case}: its {what} cannot be read ({why})")]
    Unreadable {
        case: String,
        what: String,
        why: String,
    },
    #[error("cannot encode the case: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("no random numbers from the operating system: {0}")]
    Random(#[from] getrandom::Error),
    #[error("{}", describe(.0))]
    Sql(#[from] rusqlite::Error),
    #[error("cannot use the case history at {location}: {message}; nothing was written")]
    Server { location: String, message: String },
    /// The server did not answer (refused, timed out, gone): worth trying again later.
    #[error("cannot use the case history at {location}: {message}; nothing was written")]
    Unreachable { location: String, message: String },
    #[cfg(feature = "postgres")]
    #[error("PostgreSQL: {}", crate::server::describe(.0))]
    Postgres(#[from] postgres::Error),
    /// A PostgreSQL address given to a build without the `postgres` feature.
    #[error(
        "cannot use the case history at {location}: this build of Restore Doctor has no PostgreSQL support (it was built without the `postgres` feature); give --db a file, or use a build with PostgreSQL"
    )]
    NoPostgres { location: String },
    #[error("{0}")]
    Unsupported(String),
}

/// What SQLite or the file system said, kept as the source of the error that names the file.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
    /// What was being done (`cannot write there`) and the system's error.
    #[error("{doing}: {source}")]
    Io {
        doing: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// Whether trying again later may succeed: the server could not be reached or the
    /// connection was lost (a restart, a network cut), or another writer held the file.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unreachable { .. } => true,
            #[cfg(feature = "postgres")]
            StoreError::Postgres(e) => crate::server::is_transient(e),
            StoreError::Sql(e) => matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }
}

/// A SQLite error in words, naming the usual physical causes.
fn describe(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => format!("the disk is full ({e})"),
        Some(ErrorCode::SystemIoFailure) => {
            format!("the disk could not be written: it may be full or failing ({e})")
        }
        Some(ErrorCode::ReadOnly) => format!("the database is read-only ({e})"),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            format!("the database is damaged ({e})")
        }
        _ => format!("database error: {e}"),
    }
}

/// Classifies a SQLite error met while opening or migrating the file at `path`.
pub(crate) fn from_sql(path: &str, e: rusqlite::Error) -> StoreError {
    let path = path.to_owned();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupted {
            path,
            cause: e.into(),
        },
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => StoreError::ReadOnly {
            path,
            cause: e.into(),
        },
        Some(ErrorCode::DiskFull) => StoreError::DiskFull {
            path,
            cause: e.into(),
        },
        Some(ErrorCode::CannotOpen) => StoreError::CannotOpen {
            path,
            cause: e.into(),
        },
        _ => StoreError::Sql(e),
    }
}

/// Names the file in an error that came from a query.
pub(crate) fn in_file(path: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Sql(e) => from_sql(path, e),
        other => other,
    }
}

/// An error met while opening `path` for writing. SQLite says "unable to open" both for a
/// read-only place and for other trouble, so a write check tells them apart.
pub(crate) fn while_writing(path: &Path, e: rusqlite::Error) -> StoreError {
    if matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly)
    ) && let Err(read_only) = check_writable(path)
    {
        return read_only;
    }
    from_sql(&path.display().to_string(), e)
}

/// Whether `path` (or, for a new file, its folder) can be written; the error says why not.
pub(crate) fn check_writable(path: &Path) -> Result<(), StoreError> {
    let probe = if path.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
    } else {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let probe = dir.join(".restore-doctor-write-check");
        std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe))
    };
    probe.map_err(|io| from_io(&path.display().to_string(), "cannot write there", io))
}

/// Classifies an I/O error met while preparing the file's folder.
pub(crate) fn from_io(path: &str, doing: &str, e: std::io::Error) -> StoreError {
    let path = path.to_owned();
    let kind = e.kind();
    let cause = Cause::Io {
        doing: doing.to_owned(),
        source: e,
    };
    match kind {
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
            StoreError::ReadOnly { path, cause }
        }
        std::io::ErrorKind::StorageFull => StoreError::DiskFull { path, cause },
        _ => StoreError::CannotOpen { path, cause },
    }
}

/// A read-only connection. A WAL database on read-only media cannot make its shared-memory
/// file, so there it is opened as immutable (nothing else can be writing to it).
pub(crate) fn read_only_connection(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::CannotOpen) => {
            drop(conn);
            let uri = format!(
                "file:{}?immutable=1",
                path.display()
                    .to_string()
                    .replace('%', "%25")
                    .replace('?', "%3f")
                    .replace('#', "%23")
            );
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
        }
        _ => Ok(conn),
    }
}
