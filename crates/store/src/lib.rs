//! Case history in SQLite: every case's ledger (device and port, evidence with its source,
//! steps, events, verdict) kept row by row as it grows; devices and bench ports have history.
//!
//! One file, WAL journal, every write in a transaction; versioned migrations in portable SQL. A
//! corrupted file, a foreign database or one from a newer version is refused and never written.

mod errors;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use case::{DeviceContext, Entry, Event, Ledger, StepRecord, Subject, Verdict};
use jiff::Timestamp;
use kb::{CaseStatus, EventKind, EvidenceSource, Phase, StepKind, StepOutcome};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use errors::StoreError;
/// The SQLite binding, for tools and tests that inspect a database file directly.
pub use rusqlite;

/// The migrations, in order; their position + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_cases.sql"),
    include_str!("../migrations/002_ledger.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A case as stored: its id, when it was opened and last touched, the salted device key, and
/// the ledger itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredCase {
    pub id: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The ECID as this database's salted hash (the ECID itself is in the ledger only when the
    /// person asked to keep it).
    pub device_key: Option<String>,
    pub ledger: Ledger,
}

/// How much of a ledger is already in the store: the rows after these are new.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Saved {
    entries: usize,
    steps: usize,
    events: usize,
}

impl Saved {
    /// Everything in `ledger` is stored (a ledger just loaded).
    pub fn everything(ledger: &Ledger) -> Saved {
        Saved {
            entries: ledger.entries().len(),
            steps: ledger.steps().len(),
            events: ledger.events().len(),
        }
    }
}

/// Which cases `history` lists.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An ECID (matched through its salted hash), a product type or a model name.
    pub device: Option<String>,
    /// Any of these product types (a model name resolved by the caller's kb), besides `device`.
    pub product_types: Vec<String>,
    pub code: Option<i64>,
    /// Cases created at or after this time.
    pub since: Option<Timestamp>,
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

/// A time as stored: RFC 3339 in UTC with milliseconds, so text order is time order.
pub fn stored_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn parse_time(text: &str) -> rusqlite::Result<Timestamp> {
    Timestamp::from_str(text).map_err(|e| bad_value(text, &e.to_string()))
}

fn bad_value(value: &str, why: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("'{value}': {why}").into(),
    )
}

fn word<T: FromStr>(text: &str) -> rusqlite::Result<T> {
    T::from_str(text).map_err(|_| bad_value(text, "not a word this version knows"))
}

/// Where cases are kept when neither `--db` nor `RESTORE_DOCTOR_DB` says otherwise: the OS data
/// folder (`$XDG_DATA_HOME`, `~/Library/Application Support`, `%APPDATA%`).
pub fn default_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("restore-doctor")
        .join("cases.sqlite")
}

/// How a database is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    ReadWrite,
    ReadOnly,
}

impl Store {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::open_with(path, Access::ReadWrite)
    }

    /// Opens an existing database for reading only: works on a read-only mount, never migrates
    /// or writes. A database from an older version must be opened for writing once first.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        Self::open_with(path, Access::ReadOnly)
    }

    fn open_with(path: &Path, access: Access) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        let conn = match access {
            Access::ReadWrite => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        errors::from_io(&shown, &format!("cannot create {}", dir.display()), e)
                    })?;
                }
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                Connection::open_with_flags(path, flags)
                    .map_err(|e| errors::while_writing(path, e))?
            }
            Access::ReadOnly => {
                if !path.exists() {
                    return Err(StoreError::Missing { path: shown });
                }
                errors::read_only_connection(path).map_err(|e| errors::from_sql(&shown, e))?
            }
        };
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| errors::from_sql(&shown, e))?;
        let version = match errors::schema_version(&conn, &shown) {
            // A WAL database on a read-only place cannot even be read for writing.
            Err(StoreError::CannotOpen { .. }) if access == Access::ReadWrite => {
                errors::check_writable(path)?;
                errors::schema_version(&conn, &shown)?
            }
            other => other?,
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerVersion {
                path: shown,
                found: version,
            });
        }
        let mut store = Store {
            conn,
            path: path.to_owned(),
            salt: String::new(),
        };
        match access {
            Access::ReadWrite => {
                for (pragma, value) in [
                    ("journal_mode", "WAL"),
                    ("synchronous", "FULL"),
                    ("foreign_keys", "ON"),
                ] {
                    store
                        .conn
                        .pragma_update(None, pragma, value)
                        .map_err(|e| errors::while_writing(path, e))?;
                }
                store
                    .migrate(version)
                    .map_err(|e| errors::in_file(&shown, e))?;
                store.salt = store.make_salt().map_err(|e| errors::in_file(&shown, e))?;
            }
            Access::ReadOnly => {
                if version < SCHEMA_VERSION {
                    return Err(StoreError::NeedsMigration { path: shown });
                }
                store.salt = store
                    .conn
                    .query_row(
                        "SELECT value FROM settings WHERE key = 'ecid_salt'",
                        [],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| errors::from_sql(&shown, e))?
                    .unwrap_or_default();
            }
        }
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
                params![i as i64 + 1, stored_time(Timestamp::now())],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The per-database salt for ECID hashes, made on first use from the OS's random source.
    fn make_salt(&mut self) -> Result<String, StoreError> {
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
                let s = random_hex::<32>()?;
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
        hex(&h.finalize()[..12])
    }

    /// Stores a new case with everything its ledger holds; returns its id and what is saved.
    pub fn create(&mut self, ledger: &Ledger) -> Result<(String, Saved), StoreError> {
        let id = format!("C{}", random_hex::<5>()?.to_uppercase());
        let device_key = ledger.device.ecid.map(|e| self.device_key(e));
        let at = stored_time(Timestamp::now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO cases (id, created_at, updated_at, status) VALUES (?1, ?2, ?2, 'open')",
            params![id, at],
        )?;
        let mut saved = Saved::default();
        write(&tx, &id, ledger, device_key, &mut saved)?;
        tx.commit()?;
        Ok((id, saved))
    }

    /// Adds what `ledger` gained since `saved` to case `id`, and updates what the case row
    /// knows (device, code, status, verdict). Several writers may add to one case at once.
    pub fn save(&mut self, id: &str, ledger: &Ledger, saved: &mut Saved) -> Result<(), StoreError> {
        let device_key = ledger.device.ecid.map(|e| self.device_key(e));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut next = *saved;
        write(&tx, id, ledger, device_key, &mut next)?;
        tx.commit()?;
        *saved = next;
        Ok(())
    }

    /// Loads a whole case by its id or a unique start of it (`C1A2` for `C1A2B3C4D5E`).
    pub fn case(&self, id: &str) -> Result<StoredCase, StoreError> {
        let pattern = format!("{}%", id.replace(['%', '_'], ""));
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM cases WHERE id LIKE ?1 ORDER BY id LIMIT 6")?
            .query_map(params![pattern], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let exact = ids.iter().find(|i| i.eq_ignore_ascii_case(id));
        match (exact, ids.as_slice()) {
            (Some(one), _) | (None, [one]) => self.load(one),
            (None, []) => Err(StoreError::NoCase(id.to_owned())),
            (None, many) => Err(StoreError::Ambiguous {
                prefix: id.to_owned(),
                matches: many.to_vec(),
            }),
        }
    }

    /// The case touched most recently, if there is any.
    pub fn latest(&self) -> Result<Option<StoredCase>, StoreError> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM cases ORDER BY updated_at DESC, id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|id| self.load(&id)).transpose()
    }

    fn load(&self, id: &str) -> Result<StoredCase, StoreError> {
        type Head = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<u8>,
        );
        let head: Head = self
            .conn
            .query_row(
                "SELECT id, created_at, updated_at, status, device_key, ecid, port, hubs FROM cases WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NoCase(id.to_owned()))?;
        let (id, created, updated, status, device_key, ecid, port, hubs) = head;
        let (board, fixed_by, verdict): (Option<String>, Option<String>, Option<String>) =
            self.conn.query_row(
                "SELECT board, fixed_by, verdict FROM cases WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
        let unreadable = |what: &str, why: String| StoreError::Unreadable {
            case: id.clone(),
            what: what.to_owned(),
            why,
        };
        let verdict: Option<Verdict> = verdict
            .map(|v| serde_json::from_str(&v))
            .transpose()
            .map_err(|e| unreadable("verdict", e.to_string()))?;
        let status: CaseStatus = word(&status).map_err(|e| unreadable("status", e.to_string()))?;
        let ecid = ecid
            .map(|e| u64::from_str_radix(e.trim_start_matches("0x"), 16))
            .transpose()
            .map_err(|e| unreadable("ECID", e.to_string()))?;
        let device = DeviceContext {
            board,
            keep_ecid: ecid.is_some(),
            ecid,
            port,
            hubs,
        };
        let entries = self
            .conn
            .prepare("SELECT at, kind, name, value, source FROM evidence WHERE case_id = ?1 ORDER BY seq")?
            .query_map(params![id], |r| {
                let kind: String = r.get(1)?;
                let name: String = r.get(2)?;
                let subject = match kind.as_str() {
                    "code" => Subject::Code,
                    "model" => Subject::Model,
                    "observation" => Subject::Answer(name),
                    other => return Err(bad_value(other, "not a kind of evidence")),
                };
                Ok(Entry {
                    at: parse_time(&r.get::<_, String>(0)?)?,
                    subject,
                    value: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    source: word::<EvidenceSource>(&r.get::<_, String>(4)?)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable("evidence", e.to_string()))?;
        let steps = self
            .conn
            .prepare("SELECT at, step, kind, outcome FROM steps WHERE case_id = ?1 ORDER BY seq")?
            .query_map(params![id], |r| {
                Ok(StepRecord {
                    at: parse_time(&r.get::<_, String>(0)?)?,
                    id: r.get(1)?,
                    kind: word::<StepKind>(&r.get::<_, String>(2)?)?,
                    outcome: word::<StepOutcome>(&r.get::<_, String>(3)?)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable("steps", e.to_string()))?;
        let events = self
            .conn
            .prepare(
                "SELECT at, kind, port, phase, message FROM events WHERE case_id = ?1 ORDER BY seq",
            )?
            .query_map(params![id], |r| {
                Ok(Event {
                    at: parse_time(&r.get::<_, String>(0)?)?,
                    kind: word::<EventKind>(&r.get::<_, String>(1)?)?,
                    port: r.get(2)?,
                    phase: r
                        .get::<_, Option<String>>(3)?
                        .map(|p| word::<Phase>(&p))
                        .transpose()?,
                    message: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable("events", e.to_string()))?;
        Ok(StoredCase {
            created_at: parse_time(&created).map_err(|e| unreadable("date", e.to_string()))?,
            updated_at: parse_time(&updated).map_err(|e| unreadable("date", e.to_string()))?,
            id,
            device_key,
            ledger: Ledger::rebuild(device, entries, steps, events, (status, fixed_by, verdict)),
        })
    }

    /// Cases matching the filter, newest first.
    pub fn history(&self, filter: &Filter) -> Result<Vec<StoredCase>, StoreError> {
        let device_key = filter.device.as_deref().and_then(|d| {
            let hex = d.trim_start_matches("0x").trim_start_matches("0X");
            u64::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.len() >= 8)
                .map(|e| self.device_key(e))
        });
        // Product types are few and come from the kb; each gets its own placeholder.
        let types: Vec<String> = (0..filter.product_types.len().min(32))
            .map(|i| format!("?{}", i + 7))
            .collect();
        let any_type = if types.is_empty() {
            String::new()
        } else {
            format!(" OR product_type IN ({})", types.join(", "))
        };
        let mut q = self.conn.prepare(&format!(
            "SELECT id FROM cases
             WHERE (?1 IS NULL OR device_key = ?1 OR product_type = ?2 COLLATE NOCASE OR model = ?2 COLLATE NOCASE{any_type})
               AND (?3 IS NULL OR code = ?3)
               AND (?4 IS NULL OR created_at >= ?4)
               AND (?5 IS NULL OR port = ?5)
             ORDER BY created_at DESC, id LIMIT ?6"
        ))?;
        let device_any = filter
            .device
            .as_ref()
            .map(|_| device_key.clone().unwrap_or_default());
        let limit = if filter.limit == 0 { 100 } else { filter.limit } as i64;
        let since = filter.since.map(stored_time);
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![
            &device_any,
            &filter.device,
            &filter.code,
            &since,
            &filter.port,
            &limit,
        ];
        values.extend(
            filter
                .product_types
                .iter()
                .take(32)
                .map(|t| t as &dyn rusqlite::ToSql),
        );
        let ids: Vec<String> = q
            .query_map(values.as_slice(), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter().map(|id| self.load(id)).collect()
    }

    /// Deletes one case (by id or unique prefix) with everything recorded in it.
    pub fn delete(&mut self, id: &str) -> Result<String, StoreError> {
        let id = self.case(id)?.id;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        delete_cases(&tx, "id = ?1", &id)?;
        tx.commit()?;
        Ok(id)
    }

    /// Deletes every case last touched before `before`; returns how many.
    pub fn prune(&mut self, before: Timestamp) -> Result<u64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = delete_cases(&tx, "updated_at < ?1", &stored_time(before))?;
        tx.commit()?;
        Ok(n)
    }

    /// Per-port counts across the cases created since `since` (all of them for `None`): how
    /// often each bench port dropped or ended in repair.
    pub fn ports(&self, since: Option<Timestamp>) -> Result<Vec<PortHistory>, StoreError> {
        let since = since.map(stored_time).unwrap_or_default();
        let mut q = self.conn.prepare(
            "SELECT c.port, count(DISTINCT c.id),
                    (SELECT count(*) FROM events e JOIN cases c2 ON c2.id = e.case_id
                      WHERE c2.port = c.port AND e.kind = 'drop' AND c2.created_at >= ?1),
                    sum(CASE WHEN c.status = 'needs-repair' THEN 1 ELSE 0 END)
             FROM cases c WHERE c.port IS NOT NULL AND c.created_at >= ?1
             GROUP BY c.port ORDER BY c.port",
        )?;
        let rows = q
            .query_map(params![since], |r| {
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

/// Writes the case row and the ledger's rows after `saved`, in the caller's transaction.
fn write(
    tx: &rusqlite::Transaction,
    id: &str,
    ledger: &Ledger,
    device_key: Option<String>,
    saved: &mut Saved,
) -> Result<(), StoreError> {
    let device = &ledger.device;
    let ecid = device
        .ecid
        .filter(|_| device.keep_ecid)
        .map(|e| format!("0x{e:016X}"));
    let verdict = ledger
        .verdict()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Encode(e.to_string()))?;
    let changed = tx.execute(
        "UPDATE cases SET updated_at = ?2,
             product_type = coalesce(?3, product_type), code = coalesce(?4, code),
             port = coalesce(?5, port), hubs = coalesce(?6, hubs), board = coalesce(?7, board),
             device_key = coalesce(?8, device_key), ecid = coalesce(?9, ecid),
             status = coalesce(?10, status), fixed_by = coalesce(?11, fixed_by),
             verdict = coalesce(?12, verdict)
         WHERE id = ?1",
        params![
            id,
            stored_time(Timestamp::now()),
            ledger.product_type(),
            ledger.code(),
            device.port,
            device.hubs,
            device.board,
            device_key,
            ecid,
            ledger.recorded_status().map(CaseStatus::id),
            ledger.fixed_by(),
            verdict
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::NoCase(id.to_owned()));
    }
    for e in &ledger.entries()[saved.entries.min(ledger.entries().len())..] {
        let (kind, name) = match &e.subject {
            Subject::Code => ("code", "code"),
            Subject::Model => ("model", "model"),
            Subject::Answer(q) => ("observation", q.as_str()),
        };
        append(
            tx,
            id,
            "evidence",
            &e.at,
            "kind, name, value, source",
            &[&kind, &name, &e.value, &e.source.id()],
        )?;
    }
    for s in &ledger.steps()[saved.steps.min(ledger.steps().len())..] {
        let kind: &str = s.kind.into();
        append(
            tx,
            id,
            "steps",
            &s.at,
            "step, kind, outcome",
            &[&s.id, &kind, &s.outcome.id()],
        )?;
    }
    for e in &ledger.events()[saved.events.min(ledger.events().len())..] {
        append(
            tx,
            id,
            "events",
            &e.at,
            "kind, port, phase, message",
            &[&e.kind.id(), &e.port, &e.phase.map(Phase::id), &e.message],
        )?;
    }
    *saved = Saved::everything(ledger);
    Ok(())
}

/// Appends one row to a case's evidence, steps or events, numbered after the last one.
fn append(
    tx: &rusqlite::Transaction,
    id: &str,
    table: &str,
    at: &Timestamp,
    columns: &str,
    values: &[&dyn rusqlite::ToSql],
) -> Result<(), StoreError> {
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
    let at = stored_time(*at);
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id, &seq, &at];
    all.extend_from_slice(values);
    tx.execute(&sql, all.as_slice())?;
    Ok(())
}

/// Deletes the cases matching `condition` (with one parameter) and their rows.
fn delete_cases(
    tx: &rusqlite::Transaction,
    condition: &str,
    value: &str,
) -> Result<u64, StoreError> {
    for table in ["evidence", "steps", "events"] {
        tx.execute(
            &format!(
                "DELETE FROM {table} WHERE case_id IN (SELECT id FROM cases WHERE {condition})"
            ),
            params![value],
        )?;
    }
    Ok(tx.execute(
        &format!("DELETE FROM cases WHERE {condition}"),
        params![value],
    )? as u64)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` random bytes from the OS, as hex.
fn random_hex<const N: usize>() -> Result<String, StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_sort_as_text_in_time_order() {
        let a = Timestamp::from_millisecond(1_763_720_000_000).unwrap();
        let b = Timestamp::from_millisecond(1_763_720_000_123).unwrap();
        assert_eq!(stored_time(a), "2025-11-21T10:13:20.000Z");
        assert!(stored_time(a) < stored_time(b));
        assert_eq!(parse_time(&stored_time(b)).unwrap(), b);
    }
}
