//! The case ledger: the one record of a case — the phone and its port, every piece of evidence
//! with its source, the steps tried and their outcomes, timeline events and the verdict.
//!
//! Every producer of evidence (the person, USB, usbmuxd, a watched retry, a log, a supervised
//! restore) adds to it through [`Ledger::add`], which applies one precedence rule (see
//! [`Merge`]); the engine reads [`Ledger::evidence`], which counts each fact once. The store
//! persists a ledger (a [`StoredCase`] is one with its id and times) and the report renders one;
//! neither decides what it means.

use engine::{Assessment, Evidence};
use jiff::Timestamp;
use kb::{CaseStatus, EventKind, EvidenceSource, Kb, Observation, Phase, StepKind, StepOutcome};
use serde::{Deserialize, Serialize};

/// What a piece of evidence is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "question")]
pub enum Subject {
    /// The error number the restore ended with.
    Code,
    /// The phone's product type (`iPhone9,3`).
    Model,
    /// The answer to a kb question.
    Answer(String),
}

impl Subject {
    pub fn answer(question: impl Into<String>) -> Subject {
        Subject::Answer(question.into())
    }
}

/// One piece of evidence as it was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub at: Timestamp,
    pub subject: Subject,
    pub value: String,
    pub source: EvidenceSource,
}

/// What [`Ledger::add`] did with a piece of evidence.
///
/// The rule: a stronger source wins (a measurement beats a person's answer, which beats an
/// inference from a log — [`EvidenceSource::strength`]); between equally strong sources the
/// later word wins. A repeat of what is already believed is not recorded again, so nothing is
/// ever counted twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    /// Nothing was known about this subject; now this is.
    New,
    /// It replaced an earlier, weaker or older value (returned here).
    Replaced(String),
    /// It says what is already believed; nothing was added.
    Same,
    /// A stronger source said otherwise; it is kept in the record but does not count.
    Overruled,
}

/// The phone and where it is plugged in, as far as anything showed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceContext {
    /// The board (`d101ap`), when USB or the kb showed it.
    pub board: Option<String>,
    /// The chip id. The store keeps only a salted hash of it unless `keep_ecid` is set.
    pub ecid: Option<u64>,
    /// The person asked to keep the ECID itself (`--keep-ecid`).
    pub keep_ecid: bool,
    /// The USB port path (`1-4`, `1-1.3`): the bench-port identity.
    pub port: Option<String>,
    /// External hubs between the phone and the computer.
    pub hubs: Option<u8>,
}

/// A step offered and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub at: Timestamp,
    pub id: String,
    pub kind: StepKind,
    pub outcome: StepOutcome,
}

/// A timeline event: a drop or loop seen while watching, a log finding, a code change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub kind: EventKind,
    pub port: Option<String>,
    pub phase: Option<Phase>,
    pub message: String,
}

/// One cause and its share of the belief at the end.
pub use kb::CauseShare;

/// The engine's last word on a case: the ranked causes and the effort it expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub causes: Vec<CauseShare>,
    /// The effort the engine still expected; unknown in a few verdicts of the first release.
    #[serde(default)]
    pub expected_cost_minutes: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Verdict {
    /// At most this many causes are kept (the rest are below any threshold worth showing).
    pub const MAX_CAUSES: usize = 12;

    pub fn from_assessment(assessment: &Assessment) -> Verdict {
        Verdict {
            causes: assessment
                .causes
                .iter()
                .take(Self::MAX_CAUSES)
                .map(|c| CauseShare {
                    id: c.id.clone(),
                    probability: c.probability,
                })
                .collect(),
            expected_cost_minutes: Some(assessment.expected_cost_minutes),
            note: assessment.note.clone(),
        }
    }
}

/// Whether a step the person skipped stays out of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// Out until another action has been tried after it ("skip for now").
    PutOff,
    /// Back in: everything else has been tried.
    BroughtBack,
}

/// Everything known about one case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub device: DeviceContext,
    entries: Vec<Entry>,
    steps: Vec<StepRecord>,
    events: Vec<Event>,
    status: Option<CaseStatus>,
    fixed_by: Option<String>,
    verdict: Option<Verdict>,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// A ledger as it was saved (the store's loader).
    pub fn rebuild(
        device: DeviceContext,
        entries: Vec<Entry>,
        steps: Vec<StepRecord>,
        events: Vec<Event>,
        ending: (CaseStatus, Option<String>, Option<Verdict>),
    ) -> Ledger {
        let (status, fixed_by, verdict) = ending;
        Ledger {
            device,
            entries,
            steps,
            events,
            status: Some(status),
            fixed_by,
            verdict,
        }
    }

    /// Adds a piece of evidence by the precedence rule of [`Merge`].
    pub fn add(
        &mut self,
        subject: Subject,
        value: impl Into<String>,
        source: EvidenceSource,
    ) -> Merge {
        let value = value.into();
        let merge = match self.current(&subject) {
            None => Merge::New,
            // Said again: only a stronger source's confirmation is worth recording.
            Some(now) if now.value == value && source.strength() <= now.source.strength() => {
                return Merge::Same;
            }
            Some(now) if now.value == value => Merge::Same,
            Some(now) if source.strength() >= now.source.strength() => {
                Merge::Replaced(now.value.clone())
            }
            Some(_) => Merge::Overruled,
        };
        self.entries.push(Entry {
            at: Timestamp::now(),
            subject,
            value,
            source,
        });
        merge
    }

    /// Adds a kb answer (`hub-in-path=yes`).
    pub fn observe(&mut self, observation: &Observation, source: EvidenceSource) -> Merge {
        self.add(
            Subject::answer(observation.question.clone()),
            observation.answer.clone(),
            source,
        )
    }

    /// The piece of evidence that counts for a subject: the strongest source, then the latest.
    pub fn current(&self, subject: &Subject) -> Option<&Entry> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| &e.subject == subject)
            .max_by_key(|(i, e)| (e.source.strength(), *i))
            .map(|(_, e)| e)
    }

    /// The error code that counts now.
    pub fn code(&self) -> Option<i64> {
        self.current(&Subject::Code)
            .and_then(|e| e.value.parse().ok())
    }

    /// The product type that counts now.
    pub fn product_type(&self) -> Option<&str> {
        self.current(&Subject::Model).map(|e| e.value.as_str())
    }

    /// Every piece of evidence, in the order it was given (overruled ones included).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The answers that count, one per question, in the order they were first given.
    pub fn answers(&self) -> Vec<&Entry> {
        let mut seen: Vec<&Subject> = Vec::new();
        let mut out = Vec::new();
        for entry in &self.entries {
            if matches!(entry.subject, Subject::Answer(_)) && !seen.contains(&&entry.subject) {
                seen.push(&entry.subject);
                out.extend(self.current(&entry.subject));
            }
        }
        out
    }

    pub fn step(&mut self, id: impl Into<String>, kind: StepKind, outcome: StepOutcome) {
        self.steps.push(StepRecord {
            at: Timestamp::now(),
            id: id.into(),
            kind,
            outcome,
        });
    }

    pub fn steps(&self) -> &[StepRecord] {
        &self.steps
    }

    pub fn event(
        &mut self,
        kind: EventKind,
        port: Option<String>,
        phase: Option<Phase>,
        message: impl Into<String>,
    ) {
        self.events.push(Event {
            at: Timestamp::now(),
            kind,
            port,
            phase,
            message: message.into(),
        });
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Closes the case (or records where it stands): its status, what fixed it, the verdict.
    pub fn finish(
        &mut self,
        status: CaseStatus,
        fixed_by: Option<String>,
        verdict: Option<Verdict>,
    ) {
        self.status = Some(status);
        self.fixed_by = fixed_by;
        if verdict.is_some() {
            self.verdict = verdict;
        }
    }

    pub fn status(&self) -> CaseStatus {
        self.status.unwrap_or(CaseStatus::Open)
    }

    /// The status set by [`Ledger::finish`], if it was ever called.
    pub fn recorded_status(&self) -> Option<CaseStatus> {
        self.status
    }

    pub fn fixed_by(&self) -> Option<&str> {
        self.fixed_by.as_deref()
    }

    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    /// The causes as the case ended. A fixed case shows what its fix says about the cause:
    /// the belief given the evidence and that the fixing step worked, so the causes it fixes
    /// come first. Any other case shows the engine's last verdict.
    pub fn final_causes(&self, kb: &Kb) -> Vec<CauseShare> {
        let recorded = || self.verdict().map(|v| v.causes.clone()).unwrap_or_default();
        let Some(fix) = self
            .fixed_by()
            .filter(|_| self.status() == CaseStatus::Fixed)
        else {
            return recorded();
        };
        match engine::causes_given_fix(kb, &self.evidence(kb, Skipped::BroughtBack), fix) {
            Ok(Some(causes)) => causes
                .into_iter()
                .take(Verdict::MAX_CAUSES)
                .map(|c| CauseShare {
                    id: c.id,
                    probability: c.probability,
                })
                .collect(),
            _ => recorded(),
        }
    }

    /// Whether the case holds anything worth keeping: a code, a model, an answer, a step, an
    /// event, or a phone seen on a port.
    pub fn has_evidence(&self) -> bool {
        !self.entries.is_empty()
            || !self.steps.is_empty()
            || !self.events.is_empty()
            || self.device.port.is_some()
            || self.device.ecid.is_some()
    }

    /// Actions skipped and not yet done since.
    pub fn skipped(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let later = &self.steps[i + 1..];
            if step.kind == StepKind::Action
                && step.outcome == StepOutcome::Skipped
                && !later.iter().any(|s| s.id == step.id)
                && !out.contains(&step.id.as_str())
            {
                out.push(&step.id);
            }
        }
        out
    }

    /// What the engine needs, with each fact counted once. Answers the kb does not know (from
    /// an older database, say) are left out rather than guessed at.
    pub fn evidence<'kb>(&self, kb: &'kb Kb, skipped: Skipped) -> Evidence<'kb> {
        let observations = self
            .answers()
            .into_iter()
            .filter_map(|e| match &e.subject {
                Subject::Answer(q) if kb.question(q).is_some_and(|k| k.has_answer(&e.value)) => {
                    Some(Observation::new(q.clone(), e.value.clone()))
                }
                _ => None,
            })
            .collect();
        let mut failed = Vec::new();
        let mut unavailable = Vec::new();
        let mut declined = Vec::new();
        let put_off = self.skipped_put_off();
        for step in &self.steps {
            let list = match (step.kind, step.outcome) {
                (StepKind::Action, StepOutcome::Failed) => &mut failed,
                (StepKind::Action, StepOutcome::CannotDo | StepOutcome::Declined) => {
                    &mut unavailable
                }
                (StepKind::Action, StepOutcome::Skipped)
                    if skipped == Skipped::PutOff && put_off.contains(&step.id.as_str()) =>
                {
                    &mut unavailable
                }
                (StepKind::Question, StepOutcome::Unknown) => &mut declined,
                _ => continue,
            };
            if !list.contains(&step.id) {
                list.push(step.id.clone());
            }
        }
        // Questions since the last action offered, however it went.
        let questions_in_a_row = self
            .steps
            .iter()
            .rev()
            .take_while(|s| s.kind == StepKind::Question)
            .count();
        Evidence {
            code: self.code(),
            device: self.product_type().and_then(|p| kb.find_device(p).ok()),
            observations,
            failed,
            unavailable,
            declined,
            questions_in_a_row,
            prior: engine::Prior::default(),
            local: None,
        }
    }

    /// Skipped actions still put off: no other action has been done since they were skipped.
    fn skipped_put_off(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            if step.kind != StepKind::Action || step.outcome != StepOutcome::Skipped {
                continue;
            }
            let done_since = self.steps[i + 1..].iter().any(|s| {
                s.kind == StepKind::Action
                    && matches!(
                        s.outcome,
                        StepOutcome::Failed
                            | StepOutcome::CannotDo
                            | StepOutcome::Declined
                            | StepOutcome::Fixed
                    )
            });
            if !done_since {
                out.push(step.id.as_str());
            }
        }
        out
    }
}

/// A case as stored: its id, when it was opened and last touched, the salted device key, the
/// bench it was worked on, and the ledger itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredCase {
    pub id: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The ECID as this database's salted hash (the ECID itself is in the ledger only when the
    /// person asked to keep it).
    pub device_key: Option<String>,
    /// The bench (computer) the case was worked on, when it said.
    pub bench: Option<String>,
    pub ledger: Ledger,
}

/// A time as stored: RFC 3339 in UTC with milliseconds, so text order is time order.
pub fn stored_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests;
