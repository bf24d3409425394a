//! Case history in SQLite: every diagnosis is a case with its device, error code, evidence,
//! steps tried and their outcomes, timeline events and verdict; devices and ports have history.
//!
//! One file, WAL journal, every write in a transaction; versioned migrations in portable SQL. A
//! corrupted file or one from a newer version is refused, never overwritten or migrated down.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The SQLite binding, for tools and tests that inspect a database file directly.
pub use rusqlite;

/// The migrations, in order; their position + 1 is the schema version.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/001_cases.sql")];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {message}")]
    Open { path: String, message: String },
    #[error(
        "{path} was written by a newer Restore Doctor (schema {found}, this one knows {SCHEMA_VERSION}); it was left untouched"
    )]
    NewerVersion { path: String, found: i64 },
    #[error("no case {0}")]
    NoCase(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// A new case.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    pub ecid: Option<u64>,
    /// Keep the ECID itself, not only its salted hash (the user opted in).
    pub keep_ecid: bool,
    pub product_type: Option<String>,
    pub model: Option<String>,
    pub code: Option<i64>,
    pub port: Option<String>,
}

/// A row of evidence: an observation, a failed or impossible action, a declined question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceRow {
    pub at: String,
    pub kind: String,
    pub name: String,
    pub value: Option<String>,
    pub source: String,
}

/// A step offered and what happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    pub at: String,
    pub step: String,
    pub kind: String,
    pub outcome: String,
}

/// A timeline event (USB watch alert, log finding).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub at: String,
    pub kind: String,
    pub port: Option<String>,
    pub phase: Option<String>,
    pub message: String,
}

/// A whole case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub status: String,
    pub device_key: Option<String>,
    pub ecid: Option<String>,
    pub product_type: Option<String>,
    pub model: Option<String>,
    pub code: Option<i64>,
    pub port: Option<String>,
    pub fixed_by: Option<String>,
    /// The verdict as JSON text (causes with probabilities, expected cost).
    pub verdict: Option<String>,
    pub evidence: Vec<EvidenceRow>,
    pub steps: Vec<StepRow>,
    pub events: Vec<EventRow>,
}

/// Which cases `history` lists.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An ECID (matched through its salted hash), a product type or a model name.
    pub device: Option<String>,
    pub code: Option<i64>,
    /// Cases created on or after this date (`YYYY-MM-DD`).
    pub since: Option<String>,
    pub port: Option<String>,
    pub limit: usize,
}

/// Counts per bench port across cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortHistory {
    pub port: String,
    pub cases: u64,
    pub drops: u64,
    pub needs_repair: u64,
}

/// An open case-history database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    salt: String,
}

/// Seconds since 1970 as an ISO-8601 UTC time with milliseconds.
pub fn iso_time(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

fn now() -> String {
    iso_time(SystemTime::now())
}

fn random_hex(bytes: usize) -> String {
    let mut out = String::new();
    while out.len() < bytes * 2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(bytes * 2);
    out
}

/// Where cases are kept when neither `--db` nor `RESTORE_DOCTOR_DB` says otherwise.
pub fn default_path() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(target_os = "windows") {
        env("APPDATA").unwrap_or_else(|| PathBuf::from("."))
    } else if cfg!(target_os = "macos") {
        env("HOME").map_or_else(
            || PathBuf::from("."),
            |h| h.join("Library/Application Support"),
        )
    } else {
        env("XDG_DATA_HOME")
            .or_else(|| env("HOME").map(|h| h.join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."))
    };
    base.join("restore-doctor").join("cases.sqlite")
}

impl Store {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        let open_err = |message: String| StoreError::Open {
            path: shown.clone(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| open_err(format!("cannot create {}: {e}", dir.display())))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| open_err(e.to_string()))?;
        // Reading the schema first fails cleanly on a file that is not a database, before
        // anything is written to it.
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| {
                open_err(format!(
                    "not a Restore Doctor database ({e}); it was left untouched"
                ))
            })?;
        let version: i64 = if tables == 0 {
            0
        } else {
            conn.query_row(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(|e| {
                open_err(format!(
                    "not a Restore Doctor database ({e}); it was left untouched"
                ))
            })?
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerVersion {
                path: shown,
                found: version,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| open_err(e.to_string()))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| open_err(e.to_string()))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| open_err(e.to_string()))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
            salt: String::new(),
        };
        store.migrate(version)?;
        store.salt = store.salt()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self, from: i64) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")?;
        // Another process may have migrated while this one waited for the lock.
        let current: i64 = tx.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(current.max(from) as usize)
        {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![i as i64 + 1, now()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The per-database salt for ECID hashes, made on first use.
    fn salt(&mut self) -> Result<String, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT value FROM settings WHERE key = 'ecid_salt'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let salt = match existing {
            Some(s) => s,
            None => {
                let s = random_hex(32);
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES ('ecid_salt', ?1)",
                    params![s],
                )?;
                s
            }
        };
        tx.commit()?;
        Ok(salt)
    }

    /// The salted hash that stands for an ECID in this database.
    pub fn device_key(&self, ecid: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.salt.as_bytes());
        h.update(format!("{ecid:016X}").as_bytes());
        h.finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Opens a new case and returns its id.
    pub fn create_case(&mut self, case: &NewCase) -> Result<String, StoreError> {
        let id = format!("C{}", random_hex(5).to_uppercase());
        let at = now();
        let device_key = case.ecid.map(|e| self.device_key(e));
        let ecid = case
            .ecid
            .filter(|_| case.keep_ecid)
            .map(|e| format!("0x{e:016X}"));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO cases (id, created_at, updated_at, status, device_key, ecid, product_type, model, code, port)
             VALUES (?1, ?2, ?2, 'open', ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, at, device_key, ecid, case.product_type, case.model, case.code, case.port],
        )?;
        tx.commit()?;
        Ok(id)
    }

    fn touch(tx: &rusqlite::Transaction, id: &str) -> Result<(), StoreError> {
        let changed = tx.execute(
            "UPDATE cases SET updated_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        if changed == 0 {
            return Err(StoreError::NoCase(id.to_owned()));
        }
        Ok(())
    }

    fn append(
        &mut self,
        id: &str,
        table: &str,
        columns: &str,
        values: &[&dyn rusqlite::ToSql],
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::touch(&tx, id)?;
        let seq: i64 = tx.query_row(
            &format!("SELECT coalesce(max(seq), 0) + 1 FROM {table} WHERE case_id = ?1"),
            params![id],
            |r| r.get(0),
        )?;
        let placeholders: Vec<String> = (0..values.len()).map(|i| format!("?{}", i + 4)).collect();
        let sql = format!(
            "INSERT INTO {table} (case_id, seq, at, {columns}) VALUES (?1, ?2, ?3, {})",
            placeholders.join(", ")
        );
        let at = now();
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id, &seq, &at];
        all.extend_from_slice(values);
        tx.execute(&sql, all.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// Records an observation, a failed / impossible action or a declined question.
    pub fn add_evidence(
        &mut self,
        id: &str,
        kind: &str,
        name: &str,
        value: Option<&str>,
        source: &str,
    ) -> Result<(), StoreError> {
        self.append(
            id,
            "evidence",
            "kind, name, value, source",
            &[&kind, &name, &value, &source],
        )
    }

    /// Records a step and its outcome.
    pub fn add_step(
        &mut self,
        id: &str,
        step: &str,
        kind: &str,
        outcome: &str,
    ) -> Result<(), StoreError> {
        self.append(
            id,
            "steps",
            "step, kind, outcome",
            &[&step, &kind, &outcome],
        )
    }

    /// Records a timeline event.
    pub fn add_event(
        &mut self,
        id: &str,
        kind: &str,
        port: Option<&str>,
        phase: Option<&str>,
        message: &str,
    ) -> Result<(), StoreError> {
        self.append(
            id,
            "events",
            "kind, port, phase, message",
            &[&kind, &port, &phase, &message],
        )
    }

    /// Updates what the case knows about the device and the code.
    pub fn set_device(
        &mut self,
        id: &str,
        product_type: Option<&str>,
        model: Option<&str>,
        code: Option<i64>,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::touch(&tx, id)?;
        tx.execute(
            "UPDATE cases SET product_type = coalesce(?2, product_type), model = coalesce(?3, model), code = coalesce(?4, code) WHERE id = ?1",
            params![id, product_type, model, code],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Closes (or updates) a case: its status, what fixed it, the verdict JSON.
    pub fn finish(
        &mut self,
        id: &str,
        status: &str,
        fixed_by: Option<&str>,
        verdict: Option<&str>,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::touch(&tx, id)?;
        tx.execute("UPDATE cases SET status = ?2, fixed_by = ?3, verdict = coalesce(?4, verdict) WHERE id = ?1", params![id, status, fixed_by, verdict])?;
        tx.commit()?;
        Ok(())
    }

    /// Loads a whole case.
    pub fn case(&self, id: &str) -> Result<Case, StoreError> {
        let mut case = self
            .conn
            .query_row(
                "SELECT id, created_at, updated_at, status, device_key, ecid, product_type, model, code, port, fixed_by, verdict FROM cases WHERE id = ?1 COLLATE NOCASE",
                params![id],
                |r| {
                    Ok(Case {
                        id: r.get(0)?,
                        created_at: r.get(1)?,
                        updated_at: r.get(2)?,
                        status: r.get(3)?,
                        device_key: r.get(4)?,
                        ecid: r.get(5)?,
                        product_type: r.get(6)?,
                        model: r.get(7)?,
                        code: r.get(8)?,
                        port: r.get(9)?,
                        fixed_by: r.get(10)?,
                        verdict: r.get(11)?,
                        evidence: Vec::new(),
                        steps: Vec::new(),
                        events: Vec::new(),
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NoCase(id.to_owned()))?;
        let mut q = self.conn.prepare(
            "SELECT at, kind, name, value, source FROM evidence WHERE case_id = ?1 ORDER BY seq",
        )?;
        case.evidence = q
            .query_map(params![case.id], |r| {
                Ok(EvidenceRow {
                    at: r.get(0)?,
                    kind: r.get(1)?,
                    name: r.get(2)?,
                    value: r.get(3)?,
                    source: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut q = self
            .conn
            .prepare("SELECT at, step, kind, outcome FROM steps WHERE case_id = ?1 ORDER BY seq")?;
        case.steps = q
            .query_map(params![case.id], |r| {
                Ok(StepRow {
                    at: r.get(0)?,
                    step: r.get(1)?,
                    kind: r.get(2)?,
                    outcome: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut q = self.conn.prepare(
            "SELECT at, kind, port, phase, message FROM events WHERE case_id = ?1 ORDER BY seq",
        )?;
        case.events = q
            .query_map(params![case.id], |r| {
                Ok(EventRow {
                    at: r.get(0)?,
                    kind: r.get(1)?,
                    port: r.get(2)?,
                    phase: r.get(3)?,
                    message: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(case)
    }

    /// Case ids matching the filter, newest first.
    pub fn history(&self, filter: &Filter) -> Result<Vec<Case>, StoreError> {
        let device_key = filter.device.as_deref().and_then(|d| {
            let hex = d.trim_start_matches("0x").trim_start_matches("0X");
            u64::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.len() >= 8)
                .map(|e| self.device_key(e))
        });
        let mut q = self.conn.prepare(
            "SELECT id FROM cases
             WHERE (?1 IS NULL OR device_key = ?1 OR product_type = ?2 COLLATE NOCASE OR model = ?2 COLLATE NOCASE)
               AND (?3 IS NULL OR code = ?3)
               AND (?4 IS NULL OR created_at >= ?4)
               AND (?5 IS NULL OR port = ?5)
             ORDER BY created_at DESC, id LIMIT ?6",
        )?;
        let device_any = filter
            .device
            .as_ref()
            .map(|_| device_key.clone().unwrap_or_default());
        let limit = if filter.limit == 0 { 100 } else { filter.limit } as i64;
        let ids: Vec<String> = q
            .query_map(
                params![
                    device_any,
                    filter.device,
                    filter.code,
                    filter.since,
                    filter.port,
                    limit
                ],
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        ids.iter().map(|id| self.case(id)).collect()
    }

    /// Per-port counts across all cases: how often each bench port dropped or ended in repair.
    pub fn ports(&self) -> Result<Vec<PortHistory>, StoreError> {
        let mut q = self.conn.prepare(
            "SELECT c.port, count(DISTINCT c.id),
                    (SELECT count(*) FROM events e JOIN cases c2 ON c2.id = e.case_id WHERE c2.port = c.port AND e.kind = 'drop'),
                    sum(CASE WHEN c.status = 'needs-repair' THEN 1 ELSE 0 END)
             FROM cases c WHERE c.port IS NOT NULL GROUP BY c.port ORDER BY c.port",
        )?;
        let rows = q
            .query_map([], |r| {
                Ok(PortHistory {
                    port: r.get(0)?,
                    cases: r.get::<_, i64>(1)? as u64,
                    drops: r.get::<_, i64>(2)? as u64,
                    needs_repair: r.get::<_, i64>(3)? as u64,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// SQLite's own consistency check ("ok" when sound).
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// How many cases are stored.
    pub fn count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_are_correct_dates() {
        assert_eq!(iso_time(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso_time(UNIX_EPOCH + Duration::from_millis(1_763_720_000_123)),
            "2025-11-21T10:13:20.123Z"
        );
        assert_eq!(
            iso_time(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
