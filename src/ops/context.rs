//! What a run is made with, built once in `main` and passed down: the case history, the bench
//! new cases go on, whether the shop's cases are learned from, and the one way every op plans.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use engine::{Assessment, EngineError, Evidence, StepKind};
use kb::Kb;
use store::{FinishedCase, Location, Store, StoreError};

use crate::case_store::{self, CaseKeeper};
use crate::ops::learn;
use crate::usage_error::UsageError;

/// Finished cases learned from: the most recent ones.
const MOST_CASES: usize = 5_000;

/// The settings of one run. Cheap to clone: a restore started from the dashboard takes its own.
#[derive(Clone, Default)]
pub struct Context {
    /// `--db` / `RESTORE_DOCTOR_DB`: a file or a PostgreSQL address; `None`: the OS data folder.
    db: Option<PathBuf>,
    /// The bench new cases are put on: `--bench`, else this computer's host name.
    bench: Option<String>,
    /// The shop's finished cases, read on first use; `None` with `--no-learn`.
    learned: Option<Arc<OnceLock<Vec<FinishedCase>>>>,
}

impl Context {
    /// The context of a run with the case history at `db`, the bench named `bench` (else the
    /// host name), learning from the shop's cases unless `learn` is false. A bench name given
    /// with a line break or another control character is refused: it is shown in lists,
    /// reports and other benches' histories, where it must not forge a line.
    pub fn new(
        db: Option<PathBuf>,
        bench: Option<String>,
        learn: bool,
    ) -> Result<Context, UsageError> {
        let bench = match bench {
            Some(given) => Some(bench_name(&given)?),
            None => gethostname::gethostname()
                .into_string()
                .ok()
                .map(|host| kb::text::one_line(host.trim()).into_owned()),
        }
        .map(|b| b.chars().take(64).collect::<String>())
        .filter(|b| !b.is_empty());
        Ok(Context {
            db,
            bench,
            learned: learn.then(Arc::default),
        })
    }

    /// `--db` as given.
    pub fn db(&self) -> Option<&Path> {
        self.db.as_deref()
    }

    /// The bench new cases are put on.
    pub fn bench(&self) -> Option<&str> {
        self.bench.as_deref()
    }

    /// Where the case history is.
    pub fn location(&self) -> Location {
        case_store::location(self.db())
    }

    /// The case history, opened to write (created and migrated as needed).
    pub fn open_store(&self) -> Result<Store, StoreError> {
        case_store::open(&self.location(), self.bench())
    }

    /// The case history, opened to read; `None` when there is none yet.
    pub fn open_to_read(&self) -> Result<Option<Store>, StoreError> {
        case_store::open_to_read(&self.location(), self.bench())
    }

    /// A keeper for a new case in the case history.
    pub fn keeper(&self) -> CaseKeeper {
        CaseKeeper::new(self.location(), self.bench.clone())
    }

    /// The shop's finished cases; none with `--no-learn` or when no history can be read.
    pub fn finished_cases(&self) -> &[FinishedCase] {
        let Some(learned) = &self.learned else {
            return &[];
        };
        learned.get_or_init(|| {
            self.open_to_read()
                .ok()
                .flatten()
                .and_then(|store| store.finished_cases(MOST_CASES).ok())
                .unwrap_or_default()
        })
    }

    /// The engine's assessment of `evidence`, with what the shop learned for its code and
    /// model: every command plans here, so the same evidence gets the same next step.
    pub fn assess(&self, kb: &Kb, evidence: Evidence) -> Result<Assessment, EngineError> {
        learn::assess(kb, self.finished_cases(), evidence)
    }

    /// The first action of the plan for `evidence`; `None` when the engine has none.
    pub fn next_action(&self, kb: &Kb, evidence: Evidence) -> Option<engine::Step> {
        self.assess(kb, evidence)
            .ok()?
            .plan
            .into_iter()
            .find(|s| s.kind == StepKind::Action)
    }
}

/// A bench name as given (`--bench`, `RESTORE_DOCTOR_BENCH`, spaces around it dropped), or why
/// it is refused.
fn bench_name(given: &str) -> Result<String, UsageError> {
    let name = given.trim();
    if name.chars().any(char::is_control) {
        return Err(UsageError::new(format!(
            "--bench (or RESTORE_DOCTOR_BENCH) \"{}\" has a line break or another control \
             character; a bench name is one line of text, such as front-desk",
            kb::text::one_line(name)
        )));
    }
    Ok(name.to_owned())
}
