//! Replays the guided session as a real person answers it (an answer key, the `answers.jsonl`
//! shape): each time the plan's first step; a question answered from the key or "I don't
//! know"; an action that is not the real fix fails; until the fix, the repair shop or 25 steps.

use kb::{AnswerKey, Kb, Observation, StepKind};

use crate::evaluate::THIRD_PARTY_TOOLS;
use crate::{EngineError, Evidence, Prior, assess};

/// A replay stops after this many steps (questions and actions), as the samples README says.
pub const MAX_STEPS: usize = 25;

/// Steps whose instructions plug the cable straight into the computer: they take a hub out of
/// the path as well, so a key whose fix is `remove-hub` counts them as reaching it.
const PLUGS_STRAIGHT_IN: [&str; 2] = ["swap-cable", "change-port"];

/// The question the guided session's follow-up answers after a failed restore ("did the error
/// number change?": the same number again).
const ERROR_REPEATS: &str = "error-repeats";

/// Who decides the next step.
#[derive(Debug, Clone)]
pub enum Policy<'a> {
    /// The engine's plan as the guided session follows it, starting from code, model and
    /// what was tried.
    Session(Prior<'a>),
    /// The same, told every answer of the key before the first step: what better questions
    /// could still gain.
    Told(Prior<'a>),
    /// A fixed list of actions; tried ones and those that do not apply are skipped, and the
    /// repair shop ends it.
    Fixed(Vec<String>),
    /// Apple's list for the code's category (the "disconnected" list without a code).
    Apple,
}

/// Which kind of case a key is, by its fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyGroup {
    /// Fixed by something the person can do: cable, port, computer, software.
    Software,
    /// Fixed at a repair shop (or unresolved in a way that looks like hardware).
    Hardware,
}

impl KeyGroup {
    pub fn id(self) -> &'static str {
        match self {
            KeyGroup::Software => "software/connection",
            KeyGroup::Hardware => "hardware",
        }
    }
}

/// How a replay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The real fix was reached.
    Fixed,
    /// The plan sent the phone to a repair shop that is not the real fix.
    Shop,
    /// [`MAX_STEPS`] steps without the fix.
    OutOfSteps,
    /// The plan had nothing left to offer.
    NoPlan,
}

/// One replayed case.
#[derive(Debug, Clone, PartialEq)]
pub struct Replayed {
    pub id: String,
    /// `None` when the key names no fix (the case is not scored).
    pub group: Option<KeyGroup>,
    /// The person used a third-party restore tool.
    pub tool_user: bool,
    /// Position of the real fix among the actions offered (1-based), if reached.
    pub rank: Option<usize>,
    /// Minutes spent: questions and actions up to the fix; when it was not reached, everything
    /// offered plus the repair shop, where the person ends up.
    pub minutes: f64,
    /// Questions asked.
    pub questions: usize,
    /// Every step taken, in order.
    pub path: Vec<(StepKind, String)>,
    pub ended: Ended,
    /// The answers contradicted each other at some step (the plan carried a note).
    pub contradicted: bool,
}

/// Why a replay could not go on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    #[error("line {line} ({id}): {source}")]
    Engine {
        line: usize,
        id: String,
        source: EngineError,
    },
    #[error("line {line} ({id}): the plan asked '{question}' a second time")]
    AskedTwice {
        line: usize,
        id: String,
        question: String,
    },
}

/// Whether taking this action reaches the key's real fix.
fn reaches_fix(key: &AnswerKey, action: &str) -> bool {
    key.fix.iter().any(|f| f == action)
        || (key.fix.iter().any(|f| f == "remove-hub") && PLUGS_STRAIGHT_IN.contains(&action))
}

/// The key's group, or `None` when it names no fix.
pub fn group_of(kb: &Kb, key: &AnswerKey) -> Option<KeyGroup> {
    if key.fix.is_empty() {
        return None;
    }
    let shop = kb.escalation().map(|a| a.id.as_str());
    Some(if key.fix.iter().any(|f| Some(f.as_str()) == shop) {
        KeyGroup::Hardware
    } else {
        KeyGroup::Software
    })
}

/// Replays one key under a policy.
pub fn replay(kb: &Kb, key: &AnswerKey, policy: &Policy) -> Result<Replayed, ReplayError> {
    let mut out = Replayed {
        id: key.id.clone(),
        group: group_of(kb, key),
        tool_user: key
            .answer("restore-tool")
            .is_some_and(|t| THIRD_PARTY_TOOLS.contains(&t)),
        rank: None,
        minutes: 0.0,
        questions: 0,
        path: Vec::new(),
        ended: Ended::NoPlan,
        contradicted: false,
    };
    let engine_error = |source| ReplayError::Engine {
        line: key.line,
        id: key.id.clone(),
        source,
    };
    let mut evidence = Evidence {
        code: key.code,
        device: key.device,
        failed: key.failed.clone(),
        ..Evidence::default()
    };
    let mut fixed: Vec<String> = match policy {
        Policy::Session(prior) => {
            evidence.prior = *prior;
            Vec::new()
        }
        Policy::Told(prior) => {
            evidence.prior = *prior;
            evidence.observations = key.answers.clone();
            Vec::new()
        }
        Policy::Fixed(list) => fixed_list(kb, list, key),
        Policy::Apple => {
            let category = key
                .code
                .and_then(|c| kb.lookup_code(c).category)
                .or_else(|| kb.category("disconnected"));
            fixed_list(
                kb,
                &category.map(|c| c.apple_steps.clone()).unwrap_or_default(),
                key,
            )
        }
    };
    fixed.reverse();
    let fixed_order = matches!(policy, Policy::Fixed(_) | Policy::Apple);
    let mut actions = 0;
    for _ in 0..MAX_STEPS {
        let (kind, id) = if fixed_order {
            match fixed.pop() {
                Some(id) => (StepKind::Action, id),
                None => break,
            }
        } else {
            let assessment = assess(kb, &evidence).map_err(engine_error)?;
            out.contradicted |= assessment.note.is_some();
            match assessment.plan.into_iter().next() {
                Some(step) => (step.kind, step.id),
                None => break,
            }
        };
        out.path.push((kind, id.clone()));
        if kind == StepKind::Question {
            if out.path[..out.path.len() - 1].contains(&(kind, id.clone())) {
                return Err(ReplayError::AskedTwice {
                    line: key.line,
                    id: key.id.clone(),
                    question: id,
                });
            }
            out.questions += 1;
            out.minutes += kb.question(&id).map_or(0.0, |q| q.cost_minutes);
            evidence.questions_in_a_row += 1;
            match key.answer(&id) {
                Some(answer) => evidence.observations.push(Observation::new(id, answer)),
                None => evidence.declined.push(id),
            }
            continue;
        }
        let Some(action) = kb.action(&id) else {
            break;
        };
        actions += 1;
        evidence.questions_in_a_row = 0;
        out.minutes += action.cost_minutes;
        if reaches_fix(key, &id) {
            out.rank = Some(actions);
            out.ended = Ended::Fixed;
            return Ok(out);
        }
        if action.escalation {
            out.ended = Ended::Shop;
            return Ok(out);
        }
        evidence.failed.push(id);
        // The session asks whether the number changed after a failed restore; a person whose
        // error came back the same says so, which answers the question. (A fixed list asks
        // nothing.)
        if !fixed_order
            && action.worked.is_none()
            && key.code.is_some()
            && key.answer(ERROR_REPEATS) == Some("yes")
            && !evidence
                .observations
                .iter()
                .any(|o| o.question == ERROR_REPEATS)
        {
            out.path
                .push((StepKind::Question, ERROR_REPEATS.to_owned()));
            out.questions += 1;
            out.minutes += kb.question(ERROR_REPEATS).map_or(0.0, |q| q.cost_minutes);
            evidence.questions_in_a_row += 1;
            evidence
                .observations
                .push(Observation::new(ERROR_REPEATS, "yes"));
        }
    }
    if out.path.len() >= MAX_STEPS {
        out.ended = Ended::OutOfSteps;
    }
    out.minutes += kb.escalation().map_or(0.0, |a| a.cost_minutes);
    Ok(out)
}

/// A fixed list without the actions already tried or not on offer to this person, ending
/// with the repair shop.
fn fixed_list(kb: &Kb, list: &[String], key: &AnswerKey) -> Vec<String> {
    let erased = crate::erased(kb, &key.failed);
    let mut out: Vec<String> = list
        .iter()
        .filter(|id| !key.failed.contains(id))
        .filter(|id| {
            kb.action(id)
                .is_some_and(|a| a.offered(&key.answers, erased))
        })
        .cloned()
        .collect();
    if let Some(shop) = kb.escalation()
        && !out.contains(&shop.id)
    {
        out.push(shop.id.clone());
    }
    out
}

/// Figures for a set of replayed cases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub cases: usize,
    /// Cases with the real fix among the first three actions.
    pub in_first_three: usize,
    /// Mean rank of the real fix (10 when it was not reached).
    pub mean_rank: f64,
    pub mean_minutes: f64,
    pub mean_questions: f64,
}

impl Figures {
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a Replayed>) -> Figures {
        let (mut n, mut top, mut rank, mut minutes, mut questions) = (0, 0, 0.0, 0.0, 0);
        for r in cases {
            n += 1;
            top += usize::from(r.rank.is_some_and(|k| k <= 3));
            rank += r.rank.map_or(10.0, |k| k as f64);
            minutes += r.minutes;
            questions += r.questions;
        }
        let d = n.max(1) as f64;
        Figures {
            cases: n,
            in_first_three: top,
            mean_rank: rank / d,
            mean_minutes: minutes / d,
            mean_questions: questions as f64 / d,
        }
    }

    pub fn share(&self) -> f64 {
        self.in_first_three as f64 / self.cases.max(1) as f64
    }
}
