//! Case history in SQLite (one file, the default) or PostgreSQL (a shop's shared history):
//! every case's ledger (device, port and bench, evidence with its source, steps, events,
//! verdict) kept row by row as it grows; devices, benches and ports have history.
//!
//! Every write is a transaction; the same versioned migrations, in portable SQL, run on both.
//! A corrupted file, a foreign database or one from a newer version is refused and never written.

mod conn;
mod errors;
mod location;
#[cfg_attr(not(feature = "postgres"), path = "no_server.rs")]
mod server;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use case::{DeviceContext, Entry, Event, Ledger, StepRecord, Subject, Verdict};
pub use case::{StoredCase, stored_time};
use jiff::Timestamp;
use kb::{CaseStatus, EventKind, EvidenceSource, Phase, StepKind, StepOutcome};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use sha2::{Digest, Sha256};

use conn::{Cell, Conn, Param, Row, Transaction};
pub use errors::{Cause, StoreError};
pub use location::Location;
/// The SQLite binding, for tools and tests that inspect a database file directly.
pub use rusqlite;

/// The migrations, in order; their position + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_cases.sql"),
    include_str!("../migrations/002_ledger.sql"),
    include_str!("../migrations/003_benches.sql"),
    include_str!("../migrations/004_source_ids.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a PostgreSQL server may take to answer a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
    pub bench: Option<String>,
    pub limit: usize,
}

/// Counts per bench port across cases. A port is a place on one bench: `1-2.3` on two benches
/// is two ports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortHistory {
    pub bench: Option<String>,
    pub port: String,
    pub cases: u64,
    pub drops: u64,
    pub needs_repair: u64,
}

/// Counts per bench across cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchHistory {
    pub bench: Option<String>,
    pub cases: u64,
    pub fixed: u64,
    pub needs_repair: u64,
    pub drops: u64,
}

/// A finished case as the engine learns from it: its code and model, how it ended, how sure
/// its record is, and the actions tried in order with what each did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinishedCase {
    pub code: Option<i64>,
    pub product_type: Option<String>,
    /// Fixed, or sent to a repair bench.
    pub status: CaseStatus,
    /// How sure its record is (`high`, `medium`, `low`); `None` for cases worked here.
    pub confidence: Option<String>,
    /// The actions tried, in order, with what each did (failed or fixed).
    pub actions: Vec<(String, StepOutcome)>,
}

/// A finished case to import: its ledger, how sure its record is, and its id in the file it
/// came from (its key: the same id is never imported twice).
#[derive(Debug, Clone)]
pub struct Import<'a> {
    pub ledger: Ledger,
    pub confidence: Option<&'a str>,
    pub source_id: Option<&'a str>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// The new cases' ids, in order.
    pub ids: Vec<String>,
    /// The source ids already in the history, not added again.
    pub already: Vec<String>,
}

/// An open case history.
pub struct Store {
    conn: Conn,
    location: Location,
    salt: String,
    /// The bench new cases are put on, unless their ledger already names one.
    bench: Option<String>,
}

fn parse_time(text: &str) -> Result<Timestamp, String> {
    Timestamp::from_str(text).map_err(|e| format!("'{text}': {e}"))
}

fn word<T: FromStr>(text: &str) -> Result<T, String> {
    T::from_str(text).map_err(|_| format!("'{text}': not a word this version knows"))
}

/// Column `i` of a row as required text.
fn text(row: &Row, i: usize) -> Result<String, String> {
    row.get(i)
        .and_then(Cell::text)
        .ok_or_else(|| format!("column {i} is empty"))
}

fn optional_text(row: &Row, i: usize) -> Option<String> {
    row.get(i).and_then(Cell::text)
}

fn count(row: &Row, i: usize) -> u64 {
    row.get(i)
        .and_then(Cell::int)
        .map_or(0, |n| u64::try_from(n).unwrap_or(0))
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
    /// Opens (creating if missing) the history at `location` and brings its schema up to date.
    pub fn open(location: impl Into<Location>) -> Result<Store, StoreError> {
        Self::open_with(location.into(), Access::ReadWrite)
    }

    /// Opens (creating it and its folder if missing) the history in the OS data folder, the
    /// one place whose folder this program makes itself.
    pub fn open_default() -> Result<Store, StoreError> {
        let path = default_path();
        if let Some(dir) = path.parent() {
            let shown = kb::text::one_line(&path.display().to_string()).into_owned();
            std::fs::create_dir_all(dir).map_err(|e| {
                errors::from_io(&shown, &format!("cannot create {}", dir.display()), e)
            })?;
        }
        Self::open(path)
    }

    /// Opens an existing history for reading only: works on a read-only mount, never migrates
    /// or writes. A history from an older version must be opened for writing once first.
    pub fn open_read_only(location: impl Into<Location>) -> Result<Store, StoreError> {
        Self::open_with(location.into(), Access::ReadOnly)
    }

    fn open_with(location: Location, access: Access) -> Result<Store, StoreError> {
        let shown = location.to_string();
        let conn = match &location {
            Location::File(path) => sqlite_connection(path, access)?,
            Location::Postgres(url) => {
                let conn = Conn::postgres(url, &shown, CONNECT_TIMEOUT)?;
                if access == Access::ReadOnly {
                    conn.batch("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                        .map_err(|e| in_place(&shown, e))?;
                }
                conn
            }
        };
        let version = match schema_version(&conn, &shown) {
            // A WAL database on a read-only place cannot even be read for writing.
            Err(StoreError::CannotOpen { .. }) if access == Access::ReadWrite => {
                if let Some(path) = location.file() {
                    errors::check_writable(path)?;
                }
                schema_version(&conn, &shown)?
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
            location,
            salt: String::new(),
            bench: None,
        };
        match access {
            Access::ReadWrite => {
                if let Conn::Sqlite(sqlite) = &store.conn {
                    for (pragma, value) in [
                        ("journal_mode", "WAL"),
                        ("synchronous", "FULL"),
                        ("foreign_keys", "ON"),
                    ] {
                        pragma_waiting(sqlite, pragma, value).map_err(|e| {
                            let path = store.location.file().unwrap_or(std::path::Path::new(""));
                            errors::while_writing(path, e)
                        })?;
                    }
                }
                store.migrate(version).map_err(|e| in_place(&shown, e))?;
                store.salt = store.make_salt().map_err(|e| in_place(&shown, e))?;
            }
            Access::ReadOnly => {
                if version < SCHEMA_VERSION {
                    return Err(StoreError::NeedsMigration { path: shown });
                }
                store.salt = store
                    .conn
                    .query("SELECT value FROM settings WHERE key = 'ecid_salt'", &[])
                    .map_err(|e| in_place(&shown, e))?
                    .first()
                    .and_then(|row| optional_text(row, 0))
                    .unwrap_or_default();
            }
        }
        Ok(store)
    }

    /// Where this history is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Puts new cases on `bench` (a computer of the shop) unless their ledger says another.
    pub fn set_bench(&mut self, bench: Option<String>) {
        self.bench = bench;
    }

    /// The bench new cases go on.
    pub fn bench(&self) -> Option<&str> {
        self.bench.as_deref()
    }

    fn migrate(&mut self, from: i64) -> Result<(), StoreError> {
        let tx = self.conn.begin()?;
        tx.lock_schema()?;
        tx.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")?;
        // Another process may have migrated while this one waited for the lock.
        let current = tx
            .query(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )?
            .first()
            .and_then(|row| row.first().and_then(Cell::int))
            .unwrap_or(0);
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(current.max(from) as usize)
        {
            tx.batch(sql)?;
            tx.query(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                &[(i as i64 + 1).into(), stored_time(Timestamp::now()).into()],
            )?;
        }
        tx.commit()
    }

    /// The per-database salt for ECID hashes, made on first use from the OS's random source.
    fn make_salt(&mut self) -> Result<String, StoreError> {
        let tx = self.conn.begin()?;
        tx.lock_schema()?;
        let existing = tx
            .query("SELECT value FROM settings WHERE key = 'ecid_salt'", &[])?
            .first()
            .and_then(|row| optional_text(row, 0));
        let salt = match existing {
            Some(s) => s,
            None => {
                let s = random_hex::<32>()?;
                tx.query(
                    "INSERT INTO settings (key, value) VALUES ('ecid_salt', ?1)",
                    &[s.clone().into()],
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
        let tx = self.conn.begin()?;
        let (id, saved) = self.insert(&tx, ledger, None)?;
        tx.commit()?;
        Ok((id, saved))
    }

    /// Stores finished cases recorded elsewhere (by hand, or a shop's old notes), all or none.
    /// A case whose source id is already in the history (the same file imported again) is not
    /// added a second time.
    pub fn import(&mut self, cases: &[Import<'_>]) -> Result<Imported, StoreError> {
        let tx = self.conn.begin()?;
        let mut imported = Imported::default();
        for case in cases {
            if let Some(source_id) = case.source_id {
                let known = tx.query(
                    "SELECT id FROM cases WHERE source_id = ?1",
                    &[source_id.into()],
                )?;
                if !known.is_empty() {
                    imported.already.push(source_id.to_owned());
                    continue;
                }
            }
            let (id, _) = self.insert(&tx, &case.ledger, case.confidence)?;
            if let Some(source_id) = case.source_id {
                tx.query(
                    "UPDATE cases SET source_id = ?2 WHERE id = ?1",
                    &[id.as_str().into(), source_id.into()],
                )?;
            }
            imported.ids.push(id);
        }
        tx.commit()?;
        Ok(imported)
    }

    fn insert(
        &self,
        tx: &Transaction,
        ledger: &Ledger,
        confidence: Option<&str>,
    ) -> Result<(String, Saved), StoreError> {
        let id = format!("C{}", random_hex::<5>()?.to_uppercase());
        let device_key = ledger.device.ecid.map(|e| self.device_key(e));
        let at = stored_time(Timestamp::now());
        tx.query(
            "INSERT INTO cases (id, created_at, updated_at, status, bench, confidence) VALUES (?1, ?2, ?2, 'open', ?3, ?4)",
            &[id.clone().into(), at.into(), self.bench.clone().into(), confidence.into()],
        )?;
        let mut saved = Saved::default();
        write(tx, &id, ledger, device_key, &mut saved)?;
        Ok((id, saved))
    }

    /// Adds what `ledger` gained since `saved` to case `id`, and updates what the case row
    /// knows (device, code, status, verdict). Several writers may add to one case at once.
    pub fn save(&mut self, id: &str, ledger: &Ledger, saved: &mut Saved) -> Result<(), StoreError> {
        let device_key = ledger.device.ecid.map(|e| self.device_key(e));
        let tx = self.conn.begin()?;
        let mut next = *saved;
        write(&tx, id, ledger, device_key, &mut next)?;
        tx.commit()?;
        *saved = next;
        Ok(())
    }

    /// Loads a whole case by its id or a unique start of it (`C1A2` for `C1A2B3C4D5E`).
    pub fn case(&self, id: &str) -> Result<StoredCase, StoreError> {
        let pattern = format!("{}%", id.replace(['%', '_'], "").to_uppercase());
        let ids: Vec<String> = self
            .conn
            .query(
                "SELECT id FROM cases WHERE upper(id) LIKE ?1 ORDER BY id LIMIT 6",
                &[pattern.into()],
            )?
            .iter()
            .filter_map(|row| optional_text(row, 0))
            .collect();
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
        let id = self
            .conn
            .query(
                "SELECT id FROM cases ORDER BY updated_at DESC, id LIMIT 1",
                &[],
            )?
            .first()
            .and_then(|row| optional_text(row, 0));
        id.map(|id| self.load(&id)).transpose()
    }

    fn load(&self, id: &str) -> Result<StoredCase, StoreError> {
        let head = self
            .conn
            .query(
                "SELECT id, created_at, updated_at, status, device_key, ecid, port, hubs, board, fixed_by, verdict, bench FROM cases WHERE id = ?1",
                &[id.into()],
            )?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NoCase(id.to_owned()))?;
        let unreadable = |what: &str, why: String| StoreError::Unreadable {
            case: id.to_owned(),
            what: what.to_owned(),
            why,
        };
        let id = text(&head, 0).map_err(|e| unreadable("id", e))?;
        let verdict: Option<Verdict> = optional_text(&head, 10)
            .map(|v| serde_json::from_str(&v))
            .transpose()
            .map_err(|e| unreadable("verdict", e.to_string()))?;
        let status: CaseStatus = text(&head, 3)
            .and_then(|s| word(&s))
            .map_err(|e| unreadable("status", e))?;
        let ecid = optional_text(&head, 5)
            .map(|e| u64::from_str_radix(e.trim_start_matches("0x"), 16))
            .transpose()
            .map_err(|e| unreadable("ECID", e.to_string()))?;
        let device = DeviceContext {
            board: optional_text(&head, 8),
            keep_ecid: ecid.is_some(),
            ecid,
            port: optional_text(&head, 6),
            hubs: head
                .get(7)
                .and_then(Cell::int)
                .and_then(|h| u8::try_from(h).ok()),
        };
        let rows = |sql: &str| self.conn.query(sql, &[id.clone().into()]);
        let entries = rows(
            "SELECT at, kind, name, value, source FROM evidence WHERE case_id = ?1 ORDER BY seq",
        )?
        .iter()
        .map(|r| {
            let subject = match text(r, 1)?.as_str() {
                "code" => Subject::Code,
                "model" => Subject::Model,
                "observation" => Subject::Answer(text(r, 2)?),
                other => return Err(format!("'{other}': not a kind of evidence")),
            };
            Ok(Entry {
                at: parse_time(&text(r, 0)?)?,
                subject,
                value: optional_text(r, 3).unwrap_or_default(),
                source: word::<EvidenceSource>(&text(r, 4)?)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| unreadable("evidence", e))?;
        let steps =
            rows("SELECT at, step, kind, outcome FROM steps WHERE case_id = ?1 ORDER BY seq")?
                .iter()
                .map(|r| {
                    Ok(StepRecord {
                        at: parse_time(&text(r, 0)?)?,
                        id: text(r, 1)?,
                        kind: word::<StepKind>(&text(r, 2)?)?,
                        outcome: word::<StepOutcome>(&text(r, 3)?)?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(|e| unreadable("steps", e))?;
        let events = rows(
            "SELECT at, kind, port, phase, message FROM events WHERE case_id = ?1 ORDER BY seq",
        )?
        .iter()
        .map(|r| {
            Ok(Event {
                at: parse_time(&text(r, 0)?)?,
                kind: word::<EventKind>(&text(r, 1)?)?,
                port: optional_text(r, 2),
                phase: optional_text(r, 3).map(|p| word::<Phase>(&p)).transpose()?,
                message: text(r, 4)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| unreadable("events", e))?;
        let time = |i| {
            text(&head, i)
                .and_then(|t| parse_time(&t))
                .map_err(|e| unreadable("date", e))
        };
        Ok(StoredCase {
            created_at: time(1)?,
            updated_at: time(2)?,
            device_key: optional_text(&head, 4),
            bench: optional_text(&head, 11),
            ledger: Ledger::rebuild(
                device,
                entries,
                steps,
                events,
                (status, optional_text(&head, 9), verdict),
            ),
            id,
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
            .map(|i| format!("?{}", i + 8))
            .collect();
        let any_type = if types.is_empty() {
            String::new()
        } else {
            format!(" OR product_type IN ({})", types.join(", "))
        };
        let sql = format!(
            "SELECT id FROM cases
             WHERE (?1 IS NULL OR device_key = ?1 OR lower(product_type) = lower(?2) OR lower(model) = lower(?2){any_type})
               AND (?3 IS NULL OR code = ?3)
               AND (?4 IS NULL OR created_at >= ?4)
               AND (?5 IS NULL OR port = ?5)
               AND (?7 IS NULL OR bench = ?7)
             ORDER BY created_at DESC, id LIMIT ?6"
        );
        let device_any = filter
            .device
            .as_ref()
            .map(|_| device_key.clone().unwrap_or_default());
        let limit = if filter.limit == 0 { 100 } else { filter.limit } as i64;
        let mut values: Vec<Param> = vec![
            device_any.into(),
            filter.device.clone().into(),
            filter.code.into(),
            filter.since.map(stored_time).into(),
            filter.port.clone().into(),
            limit.into(),
            filter.bench.clone().into(),
        ];
        values.extend(
            filter
                .product_types
                .iter()
                .take(32)
                .map(|t| Param::from(t.as_str())),
        );
        let ids: Vec<String> = self
            .conn
            .query(&sql, &values)?
            .iter()
            .filter_map(|row| optional_text(row, 0))
            .collect();
        ids.iter().map(|id| self.load(id)).collect()
    }

    /// Deletes one case (by id or unique prefix) with everything recorded in it.
    pub fn delete(&mut self, id: &str) -> Result<String, StoreError> {
        let id = self.case(id)?.id;
        let tx = self.conn.begin()?;
        delete_cases(&tx, "id = ?1", &id)?;
        tx.commit()?;
        Ok(id)
    }

    /// Deletes every case last touched before `before`; returns how many.
    pub fn prune(&mut self, before: Timestamp) -> Result<u64, StoreError> {
        let tx = self.conn.begin()?;
        let n = delete_cases(&tx, "updated_at < ?1", &stored_time(before))?;
        tx.commit()?;
        Ok(n)
    }

    /// Per-port counts across the cases created since `since` (all of them for `None`): how
    /// often each port of each bench dropped or ended in repair.
    pub fn ports(&self, since: Option<Timestamp>) -> Result<Vec<PortHistory>, StoreError> {
        let since = since.map(stored_time).unwrap_or_default();
        let rows = self.conn.query(
            "SELECT c.bench, c.port, count(DISTINCT c.id),
                    (SELECT count(*) FROM events e JOIN cases c2 ON c2.id = e.case_id
                      WHERE c2.port = c.port AND coalesce(c2.bench, '') = coalesce(c.bench, '')
                        AND e.kind = 'drop' AND c2.created_at >= ?1),
                    sum(CASE WHEN c.status = 'needs-repair' THEN 1 ELSE 0 END)
             FROM cases c WHERE c.port IS NOT NULL AND c.created_at >= ?1
             GROUP BY c.bench, c.port ORDER BY c.bench, c.port",
            &[since.into()],
        )?;
        Ok(rows
            .iter()
            .map(|r| PortHistory {
                bench: optional_text(r, 0),
                port: optional_text(r, 1).unwrap_or_default(),
                cases: count(r, 2),
                drops: count(r, 3),
                needs_repair: count(r, 4),
            })
            .collect())
    }

    /// Per-bench counts across the cases created since `since` (all of them for `None`).
    pub fn benches(&self, since: Option<Timestamp>) -> Result<Vec<BenchHistory>, StoreError> {
        let since = since.map(stored_time).unwrap_or_default();
        let rows = self.conn.query(
            "SELECT c.bench, count(*),
                    sum(CASE WHEN c.status = 'fixed' THEN 1 ELSE 0 END),
                    sum(CASE WHEN c.status = 'needs-repair' THEN 1 ELSE 0 END),
                    (SELECT count(*) FROM events e JOIN cases c2 ON c2.id = e.case_id
                      WHERE coalesce(c2.bench, '') = coalesce(c.bench, '')
                        AND e.kind = 'drop' AND c2.created_at >= ?1)
             FROM cases c WHERE c.created_at >= ?1
             GROUP BY c.bench ORDER BY c.bench",
            &[since.into()],
        )?;
        Ok(rows
            .iter()
            .map(|r| BenchHistory {
                bench: optional_text(r, 0),
                cases: count(r, 1),
                fixed: count(r, 2),
                needs_repair: count(r, 3),
                drops: count(r, 4),
            })
            .collect())
    }

    /// The most recent finished cases (fixed, or sent to a repair bench), at most `limit`,
    /// with the actions each tried: what the planner learns from.
    pub fn finished_cases(&self, limit: usize) -> Result<Vec<FinishedCase>, StoreError> {
        let rows = self.conn.query(
            "SELECT c.id, c.code, c.product_type, c.status, c.confidence, s.step, s.outcome
             FROM cases c LEFT JOIN steps s
               ON s.case_id = c.id AND s.kind = 'action' AND s.outcome IN ('failed', 'fixed')
             WHERE c.id IN (SELECT id FROM cases WHERE status IN ('fixed', 'needs-repair')
                            ORDER BY updated_at DESC, id LIMIT ?1)
             ORDER BY c.id, s.seq",
            &[(limit.min(i64::MAX as usize) as i64).into()],
        )?;
        let mut cases: Vec<(String, FinishedCase)> = Vec::new();
        for r in &rows {
            let id = optional_text(r, 0).unwrap_or_default();
            if cases.last().is_none_or(|(last, _)| *last != id) {
                let status =
                    text(r, 3)
                        .and_then(|s| word(&s))
                        .map_err(|why| StoreError::Unreadable {
                            case: id.clone(),
                            what: "status".to_owned(),
                            why,
                        })?;
                cases.push((
                    id.clone(),
                    FinishedCase {
                        code: r.get(1).and_then(Cell::int),
                        product_type: optional_text(r, 2),
                        status,
                        confidence: optional_text(r, 4),
                        actions: Vec::new(),
                    },
                ));
            }
            if let (Some(step), Some(outcome)) = (optional_text(r, 5), optional_text(r, 6)) {
                let outcome =
                    word::<StepOutcome>(&outcome).map_err(|why| StoreError::Unreadable {
                        case: id.clone(),
                        what: "steps".to_owned(),
                        why,
                    })?;
                if let Some((_, case)) = cases.last_mut() {
                    case.actions.push((step, outcome));
                }
            }
        }
        Ok(cases.into_iter().map(|(_, case)| case).collect())
    }

    /// SQLite's own consistency check ("ok" when sound); a PostgreSQL server keeps its own.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        match &self.conn {
            Conn::Sqlite(sqlite) => {
                Ok(sqlite.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
            }
            Conn::Postgres(_) => Err(StoreError::Unsupported(
                "PostgreSQL checks its own consistency; integrity_check is for SQLite files"
                    .to_owned(),
            )),
        }
    }

    /// How many cases are stored.
    pub fn count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query("SELECT count(*) FROM cases", &[])?
            .first()
            .map_or(0, |row| count(row, 0)))
    }
}

/// Sets a pragma, waiting out other processes: SQLite answers a switch to WAL "locked" at
/// once, without its busy handler, while another process is creating the same new file.
fn pragma_waiting(sqlite: &Connection, pragma: &str, value: &str) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    loop {
        match sqlite.pragma_update(None, pragma, value) {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// How long a connection waits for other writers.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// A SQLite connection to the file at `path`, set up to wait for other writers.
fn sqlite_connection(path: &std::path::Path, access: Access) -> Result<Conn, StoreError> {
    let shown = kb::text::one_line(&path.display().to_string()).into_owned();
    let conn = match access {
        Access::ReadWrite => {
            // A folder is never made here: a typing mistake in --db must not leave a stray
            // history somewhere (the default folder is made by [`Store::open_default`]).
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                && !dir.is_dir()
            {
                return Err(StoreError::NoFolder {
                    path: shown,
                    folder: kb::text::one_line(&dir.display().to_string()).into_owned(),
                });
            }
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            Connection::open_with_flags(path, flags).map_err(|e| errors::while_writing(path, e))?
        }
        Access::ReadOnly => {
            if !path.exists() {
                return Err(StoreError::Missing { path: shown });
            }
            errors::read_only_connection(path).map_err(|e| errors::from_sql(&shown, e))?
        }
    };
    conn.busy_timeout(BUSY_WAIT)
        .map_err(|e| errors::from_sql(&shown, e))?;
    Ok(Conn::Sqlite(conn))
}

/// Names the place in an error that came from a query.
fn in_place(shown: &str, e: StoreError) -> StoreError {
    match e {
        #[cfg(feature = "postgres")]
        StoreError::Postgres(e) => server::classify(shown, e),
        other => errors::in_file(shown, other),
    }
}

/// The schema version of an open history: 0 for an empty one. Reads only, so a foreign or
/// damaged database is refused before anything is written to it.
fn schema_version(conn: &Conn, shown: &str) -> Result<i64, StoreError> {
    let tables_sql = if conn.is_postgres() {
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    };
    let tables: Vec<String> = conn
        .query(tables_sql, &[])
        .map_err(|e| in_place(shown, e))?
        .iter()
        .filter_map(|row| optional_text(row, 0))
        .collect();
    if tables.is_empty() {
        return Ok(0);
    }
    if !tables.iter().any(|t| t == "schema_migrations") {
        return Err(StoreError::Foreign {
            path: shown.to_owned(),
        });
    }
    Ok(conn
        .query(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .map_err(|e| in_place(shown, e))?
        .first()
        .and_then(|row| row.first().and_then(Cell::int))
        .unwrap_or(0))
}

/// Writes the case row and the ledger's rows after `saved`, in the caller's transaction.
fn write(
    tx: &Transaction,
    id: &str,
    ledger: &Ledger,
    device_key: Option<String>,
    saved: &mut Saved,
) -> Result<(), StoreError> {
    let device = &ledger.device;
    let ecid = device
        .ecid
        .filter(|_| device.keep_ecid)
        .map(|e| kb::text::ecid(e, true));
    let verdict = ledger
        .verdict()
        .map(serde_json::to_string)
        .transpose()
        .map_err(StoreError::Encode)?;
    // Updating the case row first also locks it: writers of one case take turns from here.
    let changed = tx.query(
        "UPDATE cases SET updated_at = ?2,
             product_type = coalesce(?3, product_type), code = coalesce(?4, code),
             port = coalesce(?5, port), hubs = coalesce(?6, hubs), board = coalesce(?7, board),
             device_key = coalesce(?8, device_key), ecid = coalesce(?9, ecid),
             status = coalesce(?10, status), fixed_by = coalesce(?11, fixed_by),
             verdict = coalesce(?12, verdict)
         WHERE id = ?1 RETURNING id",
        &[
            id.into(),
            stored_time(Timestamp::now()).into(),
            ledger.product_type().into(),
            ledger.code().into(),
            (&device.port).into(),
            device.hubs.map(i64::from).into(),
            (&device.board).into(),
            device_key.into(),
            ecid.into(),
            ledger.recorded_status().map(CaseStatus::id).into(),
            ledger.fixed_by().into(),
            verdict.into(),
        ],
    )?;
    if changed.is_empty() {
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
            vec![
                kind.into(),
                name.into(),
                e.value.as_str().into(),
                e.source.id().into(),
            ],
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
            vec![s.id.as_str().into(), kind.into(), s.outcome.id().into()],
        )?;
    }
    for e in &ledger.events()[saved.events.min(ledger.events().len())..] {
        append(
            tx,
            id,
            "events",
            &e.at,
            "kind, port, phase, message",
            vec![
                e.kind.id().into(),
                (&e.port).into(),
                e.phase.map(Phase::id).into(),
                e.message.as_str().into(),
            ],
        )?;
    }
    *saved = Saved::everything(ledger);
    Ok(())
}

/// Appends one row to a case's evidence, steps or events, numbered after the last one.
fn append(
    tx: &Transaction,
    id: &str,
    table: &str,
    at: &Timestamp,
    columns: &str,
    values: Vec<Param>,
) -> Result<(), StoreError> {
    let placeholders: Vec<String> = (0..values.len()).map(|i| format!("?{}", i + 3)).collect();
    let sql = format!(
        "INSERT INTO {table} (case_id, seq, at, {columns})
         SELECT ?1, coalesce(max(seq), 0) + 1, ?2, {} FROM {table} WHERE case_id = ?1",
        placeholders.join(", ")
    );
    let mut all: Vec<Param> = vec![id.into(), stored_time(*at).into()];
    all.extend(values);
    tx.query(&sql, &all)?;
    Ok(())
}

/// Deletes the cases matching `condition` (with one parameter) and their rows.
fn delete_cases(tx: &Transaction, condition: &str, value: &str) -> Result<u64, StoreError> {
    for table in ["evidence", "steps", "events"] {
        tx.query(
            &format!(
                "DELETE FROM {table} WHERE case_id IN (SELECT id FROM cases WHERE {condition})"
            ),
            &[value.into()],
        )?;
    }
    Ok(tx
        .query(
            &format!("DELETE FROM cases WHERE {condition} RETURNING id"),
            &[value.into()],
        )?
        .len() as u64)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` random bytes from the OS, as hex.
fn random_hex<const N: usize>() -> Result<String, StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
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
