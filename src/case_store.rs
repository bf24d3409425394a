//! The case history as commands use it: where it is, opening it to write or only to read,
//! and keeping a session's ledger saved as it grows.

use std::path::Path;
use std::sync::OnceLock;

use case::Ledger;
use store::{Location, Saved, Store, StoreError};

/// The bench (this computer, in a shop's shared history) new cases are put on.
static BENCH: OnceLock<Option<String>> = OnceLock::new();

/// Sets the bench for this run: `--bench` / `RESTORE_DOCTOR_BENCH`, else the host name.
pub fn set_bench(bench: Option<String>) {
    let bench = bench
        .or_else(|| gethostname::gethostname().into_string().ok())
        .map(|b| {
            kb::text::printable(b.trim())
                .chars()
                .take(64)
                .collect::<String>()
        })
        .filter(|b| !b.is_empty());
    // Set once, from main; a second call changes nothing.
    let _ = BENCH.set(bench);
}

/// `--db` / `RESTORE_DOCTOR_DB` (a file, or a `postgres://` URL), or the OS data folder.
pub fn location(db: Option<&Path>) -> Location {
    db.map_or_else(|| Location::File(store::default_path()), Location::from)
}

/// Opens the case history to write (creating and migrating it as needed).
pub fn open(db: Option<&Path>) -> Result<Store, StoreError> {
    open_at(&location(db))
}

fn open_at(location: &Location) -> Result<Store, StoreError> {
    let mut store = Store::open(location)?;
    store.set_bench(BENCH.get().cloned().flatten());
    Ok(store)
}

/// Opens the case history to read: works on a read-only mount and never creates a file. A
/// database from an older release is brought up to date first when it can be written.
pub fn open_to_read(db: Option<&Path>) -> Result<Option<Store>, StoreError> {
    let location = location(db);
    if !location.exists() {
        return Ok(None);
    }
    match Store::open_read_only(&location) {
        Err(StoreError::NeedsMigration { .. }) => open_at(&location).map(Some),
        other => other.map(Some),
    }
}

/// Keeps a ledger in the case history as it grows. The case is opened the first time the
/// ledger holds any evidence, so a session with nothing in it leaves no case. A store that
/// fails is reported once, and the session goes on unsaved.
pub struct CaseKeeper {
    location: Location,
    store: Option<Store>,
    id: Option<String>,
    saved: Saved,
    failed: bool,
}

impl CaseKeeper {
    /// A keeper for a new case in the database at `db` (or the default one).
    pub fn new(db: Option<&Path>) -> CaseKeeper {
        CaseKeeper {
            location: location(db),
            store: None,
            id: None,
            saved: Saved::default(),
            failed: false,
        }
    }

    /// A keeper that goes on with a case already stored.
    pub fn resume(store: Store, id: String, ledger: &Ledger) -> CaseKeeper {
        CaseKeeper {
            location: store.location().clone(),
            store: Some(store),
            id: Some(id),
            saved: Saved::everything(ledger),
            failed: false,
        }
    }

    /// The case id, once there is a case.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Saves what the ledger gained. Returns the case id when this call opened the case.
    pub fn keep(&mut self, ledger: &Ledger) -> Option<String> {
        if self.failed || (self.id.is_none() && !ledger.has_evidence()) {
            return None;
        }
        let result = self.save(ledger);
        match result {
            Ok(opened) => opened,
            Err(e) => {
                self.failed = true;
                anstream::eprintln!(
                    "restore-doctor: saving the case failed, the session goes on unsaved: {e}"
                );
                None
            }
        }
    }

    fn save(&mut self, ledger: &Ledger) -> Result<Option<String>, StoreError> {
        let store = match &mut self.store {
            Some(store) => store,
            None => self.store.insert(open_at(&self.location)?),
        };
        match &self.id {
            Some(id) => {
                store.save(id, ledger, &mut self.saved)?;
                Ok(None)
            }
            None => {
                let (id, saved) = store.create(ledger)?;
                self.saved = saved;
                self.id = Some(id.clone());
                Ok(Some(id))
            }
        }
    }
}
