//! The case history as commands use it: where it is, opening it to write or only to read,
//! and keeping a session's ledger saved as it grows.

use std::path::Path;
use std::time::{Duration, Instant};

use case::Ledger;
use store::{Location, Saved, Store, StoreError};

/// `--db` / `RESTORE_DOCTOR_DB` (a file, or a `postgres://` URL), or the OS data folder.
pub fn location(db: Option<&Path>) -> Location {
    db.map_or_else(|| Location::File(store::default_path()), Location::from)
}

/// Opens the case history at `location` to write (creating and migrating it as needed); new
/// cases go on `bench`.
pub fn open(location: &Location, bench: Option<&str>) -> Result<Store, StoreError> {
    let mut store = if location.file() == Some(store::default_path().as_path()) {
        Store::open_default()?
    } else {
        Store::open(location)?
    };
    store.set_bench(bench.map(str::to_owned));
    Ok(store)
}

/// Opens the case history to read: works on a read-only mount and never creates a file. A
/// database from an older release is brought up to date first when it can be written.
pub fn open_to_read(location: &Location, bench: Option<&str>) -> Result<Option<Store>, StoreError> {
    if !location.exists() {
        return Ok(None);
    }
    match Store::open_read_only(location) {
        Err(StoreError::NeedsMigration { .. }) => open(location, bench).map(Some),
        other => other.map(Some),
    }
}

/// The first wait before saving is tried again after a failure; it doubles up to [`MOST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(250);
/// The longest wait between tries.
const MOST_WAIT: Duration = Duration::from_secs(30);
/// How long the last save of a session (its ending) keeps trying before it says the case was
/// not saved.
const FINAL_WAIT: Duration = Duration::from_secs(30);

/// Keeps a ledger in the case history as it grows. The case is opened the first time the
/// ledger holds any evidence, so a session with nothing in it leaves no case. A history that
/// stops answering (a PostgreSQL server restarted, a network cut) is tried again with back-off:
/// what could not be written stays in the ledger and is written when it answers again. The
/// session's last save (its ending) keeps trying for a while, then says plainly that the case
/// was not saved.
pub struct CaseKeeper {
    location: Location,
    bench: Option<String>,
    store: Option<Store>,
    id: Option<String>,
    saved: Saved,
    trouble: Option<Trouble>,
    /// Saving failed in a way trying again cannot mend (a refused password, a damaged file).
    failed: bool,
    final_wait: Duration,
}

/// Saving failed: the wait before the next try, and when that is.
struct Trouble {
    wait: Duration,
    next_try: Instant,
}

impl CaseKeeper {
    /// A keeper for a new case in the history at `location`, on `bench`.
    pub fn new(location: Location, bench: Option<String>) -> CaseKeeper {
        CaseKeeper {
            location,
            bench,
            store: None,
            id: None,
            saved: Saved::default(),
            trouble: None,
            failed: false,
            final_wait: FINAL_WAIT,
        }
    }

    /// A keeper that goes on with a case already stored.
    pub fn resume(store: Store, id: String, ledger: &Ledger) -> CaseKeeper {
        CaseKeeper {
            location: store.location().clone(),
            bench: store.bench().map(str::to_owned),
            store: Some(store),
            id: Some(id),
            saved: Saved::everything(ledger),
            trouble: None,
            failed: false,
            final_wait: FINAL_WAIT,
        }
    }

    /// The case id, once there is a case.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Saves what the ledger gained. Returns the case id when this call opened the case. While
    /// the history does not answer, a call tries again only when its back-off has passed; a
    /// ledger that has ended (fixed, sent to repair, stopped) is tried until [`FINAL_WAIT`].
    pub fn keep(&mut self, ledger: &Ledger) -> Option<String> {
        if self.failed || (self.id.is_none() && !ledger.has_evidence()) {
            return None;
        }
        let ending = ledger.recorded_status().is_some();
        let give_up = Instant::now() + self.final_wait;
        loop {
            if let Some(trouble) = &self.trouble {
                let now = Instant::now();
                if now < trouble.next_try {
                    if !ending {
                        return None;
                    }
                    if trouble.next_try > give_up {
                        self.say_not_saved();
                        return None;
                    }
                    std::thread::sleep(trouble.next_try - now);
                }
            }
            match self.save(ledger) {
                Ok(opened) => {
                    if self.trouble.take().is_some() {
                        anstream::eprintln!(
                            "restore-doctor: the case history answers again; everything so far is saved."
                        );
                    }
                    return opened;
                }
                Err(e) if !e.is_transient() => {
                    self.failed = true;
                    anstream::eprintln!(
                        "restore-doctor: saving the case failed, the session goes on unsaved: {e}"
                    );
                    return None;
                }
                Err(e) => {
                    // The connection is dropped: the next try opens a new one.
                    self.store = None;
                    let wait = match &self.trouble {
                        None => {
                            anstream::eprintln!(
                                "restore-doctor: saving the case failed ({e}); what this session adds is kept and saved when the history answers again."
                            );
                            FIRST_WAIT
                        }
                        Some(t) => (t.wait * 2).min(MOST_WAIT),
                    };
                    self.trouble = Some(Trouble {
                        wait,
                        next_try: Instant::now() + wait,
                    });
                }
            }
        }
    }

    /// Says, once the last save gave up, that the case is not saved as it ended.
    fn say_not_saved(&self) {
        let kept = match &self.id {
            Some(id) => format!(
                " Case {id} stays in {} as it was before, still open.",
                self.location
            ),
            None => " No case was opened.".to_owned(),
        };
        anstream::eprintln!(
            "restore-doctor: the case was NOT saved: the case history at {} did not answer for {} s.{kept}",
            self.location,
            self.final_wait.as_secs()
        );
    }

    fn save(&mut self, ledger: &Ledger) -> Result<Option<String>, StoreError> {
        let store = match &mut self.store {
            Some(store) => store,
            None => self
                .store
                .insert(open(&self.location, self.bench.as_deref())?),
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

#[cfg(test)]
mod tests {
    #[cfg(feature = "postgres")]
    use case::Subject;
    #[cfg(feature = "postgres")]
    use kb::{CaseStatus, EvidenceSource, StepKind, StepOutcome};

    use super::*;

    /// A ledger with a code, as a session has after its first answer.
    #[cfg(feature = "postgres")]
    fn started() -> Ledger {
        let mut ledger = Ledger::new();
        ledger.add(Subject::Code, "4013".to_owned(), EvidenceSource::Person);
        ledger
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn what_a_restarted_postgresql_missed_is_written_when_it_answers_and_the_case_ends_fixed() {
        let Some(server) = pgserver::Server::for_test() else {
            return;
        };
        let url = server.create_database("keeper").unwrap();
        let mut keeper = CaseKeeper::new(Location::parse(&url), None);
        let mut ledger = started();
        let id = keeper.keep(&ledger).expect("the case is opened");

        server.stop().unwrap();
        ledger.step(
            "swap-cable".to_owned(),
            StepKind::Action,
            StepOutcome::Failed,
        );
        assert_eq!(keeper.keep(&ledger), None);
        assert!(keeper.trouble.is_some(), "kept for later, not given up");

        server.start_again().unwrap();
        ledger.step(
            "change-port".to_owned(),
            StepKind::Action,
            StepOutcome::Fixed,
        );
        ledger.finish(CaseStatus::Fixed, Some("change-port".to_owned()), None);
        keeper.keep(&ledger);
        assert!(keeper.trouble.is_none(), "saved once the server answered");

        let case = Store::open_read_only(Location::parse(&url))
            .unwrap()
            .case(&id)
            .unwrap();
        assert_eq!(case.ledger.status(), CaseStatus::Fixed);
        let steps: Vec<&str> = case.ledger.steps().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(steps, ["swap-cable", "change-port"]);
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn a_history_that_stays_away_leaves_the_case_open_and_is_not_tried_for_ever() {
        let Some(server) = pgserver::Server::for_test() else {
            return;
        };
        let url = server.create_database("away").unwrap();
        let mut keeper = CaseKeeper::new(Location::parse(&url), None);
        keeper.final_wait = Duration::from_secs(1);
        let mut ledger = started();
        let id = keeper.keep(&ledger).expect("the case is opened");
        server.stop().unwrap();
        ledger.finish(CaseStatus::Fixed, Some("change-port".to_owned()), None);
        let started = Instant::now();
        assert_eq!(keeper.keep(&ledger), None);
        assert!(started.elapsed() < Duration::from_secs(20), "gave up");
        assert!(keeper.trouble.is_some(), "not saved, and it knows");

        server.start_again().unwrap();
        let case = Store::open_read_only(Location::parse(&url))
            .unwrap()
            .case(&id)
            .unwrap();
        assert_eq!(
            case.ledger.status(),
            CaseStatus::Open,
            "as the message says"
        );
    }

    #[test]
    fn a_db_path_in_a_missing_folder_is_refused_and_nothing_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo/cases.sqlite");
        let error = open(&location(Some(&path)), None)
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains("does not exist"), "{error}");
        assert!(!dir.path().join("typo").exists());
    }
}
