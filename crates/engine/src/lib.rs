//! Restore Doctor's decision-theoretic troubleshooting engine: a single-fault belief over the
//! kb's causes, and the next step chosen by efficiency and the value of information.
//!
//! Pure and deterministic: [`assess`] takes the kb and the evidence and returns an
//! [`Assessment`]; no I/O. The method follows Heckerman, Breese & Rommelse (1995) and SACSO.
//!
//! How the engine is judged (`evaluate`, `replay`, `simulate`: real cases, real people's
//! answers, simulated faults) is behind the `evaluation` feature, for tests and benches only.

#[cfg(feature = "evaluation")]
pub mod evaluate;
pub mod experience;
pub mod model;
pub mod plan;
#[cfg(feature = "evaluation")]
pub mod replay;
#[cfg(feature = "evaluation")]
pub mod simulate;

use kb::{Device, Kb, Observation, percent};
use serde::Serialize;

pub use experience::{Experience, LocalCase, LocalExperience, Prior};
use model::{BACKUP_QUESTION, Model};
use plan::{Situation, greedy, question_to_ask, refine};

/// Everything known about one failed restore.
#[derive(Debug, Clone, Default)]
pub struct Evidence<'kb> {
    /// The error code the person saw, if any.
    pub code: Option<i64>,
    pub device: Option<&'kb Device>,
    pub observations: Vec<Observation>,
    /// Actions tried that did not fix it.
    pub failed: Vec<String>,
    /// Actions the person cannot do (no second computer, ...).
    pub unavailable: Vec<String>,
    /// Questions the person cannot answer; they are not asked again.
    pub declined: Vec<String>,
    /// Questions the person answered (or could not) since the last action they were offered:
    /// at most [`FREE_QUESTIONS`] come in a row before the next action.
    pub questions_in_a_row: usize,
    /// Which priors to start from.
    pub prior: Prior<'kb>,
    /// What the shop's own finished cases of this code and model showed, if it learns.
    pub local: Option<&'kb LocalExperience>,
}

impl<'kb> Evidence<'kb> {
    /// What a real case knew at the start, read by the kb's phrase table, with these priors.
    pub fn from_case(reading: kb::CaseReading<'kb>, prior: Prior<'kb>) -> Evidence<'kb> {
        Evidence {
            code: reading.code,
            device: reading.device,
            observations: reading.observations,
            failed: reading.failed,
            unavailable: reading.cannot,
            declined: Vec::new(),
            questions_in_a_row: 0,
            prior,
            local: None,
        }
    }
}

/// Questions asked in a row before an action comes (issue 29: a person answers three, then
/// wants something to do; a fourth worth more waits until after the next action).
pub const FREE_QUESTIONS: usize = 3;

/// Evidence that names things the kb does not know, or that rules out every cause.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("unknown question '{id}'; known questions: {}", .valid.join(", "))]
    UnknownQuestion { id: String, valid: Vec<String> },
    #[error("'{answer}' is not an answer to {question}; answers: {}", .valid.join(", "))]
    UnknownAnswer {
        question: String,
        answer: String,
        valid: Vec<String>,
    },
    #[error("unknown action '{id}'; known actions: {}", .valid.join(", "))]
    UnknownAction { id: String, valid: Vec<String> },
    #[error("the evidence rules out every cause the knowledge base knows; check the answers given")]
    NoCauseLeft,
}

/// A cause with its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CauseBelief {
    pub id: String,
    pub probability: f64,
}

/// Whether a step is something to do or something to find out (the kb's word for it).
pub use kb::StepKind;

/// One step of the plan, with the reasons it is where it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    pub id: String,
    /// P(this step fixes it | every earlier step failed); `None` for questions.
    pub p_fix: Option<f64>,
    /// Expected cost in minutes: the person's time plus, while no backup is known, the value
    /// of the data the step is expected to lose.
    pub cost_minutes: f64,
    /// The person's time alone, in minutes.
    pub time_minutes: f64,
    pub erases_data: bool,
    /// Causes this step addresses, with their probability at this point of the plan.
    pub addresses: Vec<CauseBelief>,
    /// Expected minutes from this step until the problem is fixed.
    pub expected_remaining_minutes: f64,
    pub why: String,
}

/// The engine's answer: what is probably wrong and what to do, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Every cause still possible, most likely first.
    pub causes: Vec<CauseBelief>,
    pub plan: Vec<Step>,
    /// Expected minutes until fixed when following the plan.
    pub expected_cost_minutes: f64,
    /// Set when the evidence contradicted itself and was read as possibly mistaken.
    pub note: Option<String>,
}

/// Checks the evidence's ids against the kb.
fn check_evidence(kb: &Kb, evidence: &Evidence) -> Result<(), EngineError> {
    for o in &evidence.observations {
        let Some(q) = kb.question(&o.question) else {
            return Err(EngineError::UnknownQuestion {
                id: o.question.clone(),
                valid: kb.questions.iter().map(|q| q.id.clone()).collect(),
            });
        };
        if !q.has_answer(&o.answer) {
            return Err(EngineError::UnknownAnswer {
                question: o.question.clone(),
                answer: o.answer.clone(),
                valid: q.answers.clone(),
            });
        }
    }
    for id in &evidence.declined {
        if kb.question(id).is_none() {
            return Err(EngineError::UnknownQuestion {
                id: id.clone(),
                valid: kb.questions.iter().map(|q| q.id.clone()).collect(),
            });
        }
    }
    for id in evidence.failed.iter().chain(&evidence.unavailable) {
        if kb.action(id).is_none() {
            return Err(EngineError::UnknownAction {
                id: id.clone(),
                valid: kb.actions.iter().map(|a| a.id.clone()).collect(),
            });
        }
    }
    Ok(())
}

/// Evidence reduced to what the posterior uses: the last answer to each question and each
/// failed action once. A failed repair-shop visit says nothing about the cause (the next shop
/// may succeed), so it is left out.
fn distinct_evidence<'e>(
    model: &Model,
    evidence: &'e Evidence,
) -> (Vec<&'e Observation>, Vec<usize>) {
    let mut answers: Vec<&Observation> = Vec::new();
    for o in evidence.observations.iter().rev() {
        if !answers.iter().any(|a| a.question == o.question) {
            answers.push(o);
        }
    }
    answers.reverse();
    let mut failed: Vec<usize> = Vec::new();
    for id in &evidence.failed {
        if let Some(a) = model.action_index(id)
            && !model.actions[a].escalation
            && !failed.contains(&a)
        {
            failed.push(a);
        }
    }
    (answers, failed)
}

/// The unnormalised belief with every likelihood and failure factor raised to at least
/// `floor` (0 for the exact posterior; a small floor treats the evidence as possibly wrong).
fn belief_with_floor(kb: &Kb, model: &Model, evidence: &Evidence, floor: f64) -> Vec<f64> {
    let (answers, failed) = distinct_evidence(model, evidence);
    let lookup = evidence.code.map(|c| kb.lookup_code(c));
    let mut belief: Vec<f64> = model
        .causes
        .iter()
        .zip(&model.priors)
        .map(|(cause, prior)| {
            prior
                * lookup
                    .as_ref()
                    .map_or(1.0, |l| l.likelihood(cause).max(floor))
        })
        .collect();
    if let Some(local) = evidence.local {
        belief = local.update(model, &belief, kb.settings.local_pseudo_cases);
    }
    for o in answers {
        if let Some(q) = kb.question(&o.question) {
            for (p, cause) in belief.iter_mut().zip(&model.causes) {
                *p *= q.likelihood(cause, &o.answer).max(floor);
            }
        }
    }
    for a in failed {
        for (p, f) in belief.iter_mut().zip(&model.actions[a].fixes) {
            *p *= (1.0 - f).max(floor);
        }
    }
    belief
}

/// The likelihood floor used when the evidence rules out every cause.
const CONTRADICTION_FLOOR: f64 = 1e-3;

fn normalised(belief: Vec<f64>) -> Option<Vec<f64>> {
    let total: f64 = belief.iter().sum();
    (total > 0.0 && total.is_finite()).then(|| belief.iter().map(|p| p / total).collect())
}

/// The normalised single-fault posterior: prior for the device × likelihood of the error
/// code × likelihood of every answer × chance that every failed action would have failed.
/// Evidence that rules out every cause is an error here; [`assess`] plans around it.
pub fn posterior(kb: &Kb, model: &Model, evidence: &Evidence) -> Result<Vec<f64>, EngineError> {
    check_evidence(kb, evidence)?;
    normalised(belief_with_floor(kb, model, evidence, 0.0)).ok_or(EngineError::NoCauseLeft)
}

/// The posterior as [`assess`] plans with it: evidence that rules out every cause is read as
/// possibly mistaken (each factor floored), and the note says so.
fn tolerant_posterior(
    kb: &Kb,
    model: &Model,
    evidence: &Evidence,
) -> Result<(Vec<f64>, Option<String>), EngineError> {
    check_evidence(kb, evidence)?;
    Ok(
        match normalised(belief_with_floor(kb, model, evidence, 0.0)) {
            Some(belief) => (belief, None),
            None => (
                normalised(belief_with_floor(kb, model, evidence, CONTRADICTION_FLOOR))
                    .ok_or(EngineError::NoCauseLeft)?,
                Some(CONTRADICTION_NOTE.to_owned()),
            ),
        },
    )
}

/// Whether a step that erases the phone has already run (the data is then no longer at stake,
/// and the phone's own system is gone).
fn erased(kb: &Kb, failed: &[String]) -> bool {
    failed
        .iter()
        .any(|id| kb.action(id).is_some_and(|a| a.erases_data))
}

/// Whether the latest answer about a backup says there is one.
fn has_backup(observations: &[Observation]) -> bool {
    observations
        .iter()
        .rev()
        .find(|o| o.question == BACKUP_QUESTION)
        .is_some_and(|o| o.answer == "yes")
}

/// Assesses the evidence: the posterior over causes and the plan, with a question first when
/// asking it is expected to save more than it costs. Evidence that contradicts itself (rules
/// out every cause) is treated as possibly mistaken, and the assessment says so in `note`.
pub fn assess(kb: &Kb, evidence: &Evidence) -> Result<Assessment, EngineError> {
    let model = Model::for_evidence(kb, evidence);
    let (belief, note) = tolerant_posterior(kb, &model, evidence)?;
    let erased = erased(kb, &evidence.failed);
    // The data is at stake while no backup is known and nothing has erased the phone.
    let situation_with = |observations: &[Observation]| {
        let mut situation = Situation::all_available(&model, !has_backup(observations) && !erased);
        // Steps an answer says were done already ("the same error after a DFU restore on a
        // second computer").
        let done: Vec<&String> = observations
            .iter()
            .filter(|o| o.answer == "yes")
            .filter_map(|o| kb.question(&o.question))
            .flat_map(|q| &q.tried_if_yes)
            .collect();
        for (a, action) in kb.actions.iter().enumerate() {
            if !action.offered(observations, erased) || done.contains(&&action.id) {
                situation.available[a] = false;
            }
        }
        for id in evidence.failed.iter().chain(&evidence.unavailable) {
            let a = model.action_index(id).expect("checked");
            if !model.actions[a].escalation {
                situation.available[a] = false;
            }
        }
        situation
    };
    let situation = situation_with(&evidence.observations);
    let sequence = refine(
        &model,
        &belief,
        greedy(&model, &belief, &situation),
        &situation,
    );
    let answered: Vec<&str> = evidence
        .observations
        .iter()
        .map(|o| o.question.as_str())
        .collect();
    let code_has_phase = evidence
        .code
        .and_then(|c| kb.lookup_code(c).entry)
        .is_some_and(|e| e.phase.is_some());
    let candidates: Vec<usize> = (0..model.questions.len())
        .filter(|&q| {
            let question = &model.questions[q];
            let id = question.id.as_str();
            let implied =
                code_has_phase && kb.question(id).is_some_and(|q| q.answered_by_code_phase);
            let repeats = kb.question(id).is_some_and(|k| {
                k.overlaps.iter().any(|o| {
                    answered.contains(&o.as_str()) || evidence.declined.iter().any(|d| d == o)
                })
            });
            let tried_already = kb.question(id).is_some_and(|k| {
                k.tried_if_yes
                    .iter()
                    .any(|a| evidence.failed.contains(a) || evidence.unavailable.contains(a))
            });
            !question.observed_only
                && !tried_already
                && !answered.contains(&id)
                && !evidence.declined.iter().any(|d| d == id)
                && !implied
                && !repeats
        })
        .collect();
    // What the situation would be once a question is answered: the actions on offer, and the
    // fix rates of actions whose conditions ask that question.
    let after = |q: usize, answer: usize| {
        let question = &model.questions[q];
        let mut observations = evidence.observations.clone();
        observations.push(Observation::new(
            question.id.clone(),
            question.answers[answer].clone(),
        ));
        let mut situation = situation_with(&observations);
        for (a, action) in kb.actions.iter().enumerate() {
            if !action.escalation && action.depends_on(&question.id) {
                situation.fixes[a] = Some(
                    model
                        .causes
                        .iter()
                        .map(|c| kb.p_fix_expected(action, c, &observations))
                        .collect(),
                );
            }
        }
        situation
    };
    // Asking is weighed against acting at once with the same (greedy) planner its answers get.
    let baseline = greedy(&model, &belief, &situation);
    let question = (evidence.questions_in_a_row < FREE_QUESTIONS)
        .then(|| question_to_ask(&model, &belief, &candidates, &baseline, &after))
        .flatten();

    // A step that may not apply to this phone is not offered blind: the question that decides
    // it (is there a hub to take out? what does the phone show?) comes first, within the same
    // limit of questions in a row.
    let decider = question.is_none() && evidence.questions_in_a_row < FREE_QUESTIONS;
    let decides = decider
        .then(|| sequence.actions.first())
        .flatten()
        .and_then(|&first| {
            let action = kb.action(&model.actions[first].id)?;
            let q = action.only_if.iter().chain(&action.not_if).find_map(|c| {
                candidates
                    .iter()
                    .copied()
                    .find(|&q| model.questions[q].id == c.question)
            })?;
            Some((q, action))
        });

    let explain = Explainer {
        kb,
        model: &model,
        observations: &evidence.observations,
    };
    let mut plan = Vec::new();
    let mut expected_cost = sequence.expected_cost;
    if let Some((q, eco)) = question {
        plan.push(explain.question_step(q, &belief, eco, baseline.expected_cost));
        expected_cost = eco;
    } else if let Some((q, action)) = decides {
        let eco = plan::cost_of_asking(&model, &belief, q, baseline.expected_cost, &after);
        let mut step = explain.question_step(q, &belief, eco, baseline.expected_cost);
        step.why = format!(
            "Answering takes about {:.0} min and decides whether the next step, {}, applies to this phone.",
            model.questions[q].cost,
            kb::in_sentence(&action.name)
        );
        plan.push(step);
    }
    plan.extend(explain.action_steps(&sequence.actions, &belief, &situation));

    let mut causes: Vec<CauseBelief> = model
        .causes
        .iter()
        .zip(&belief)
        .filter(|(_, p)| **p > 0.0)
        .map(|(id, p)| CauseBelief {
            id: id.clone(),
            probability: *p,
        })
        .collect();
    causes.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    Ok(Assessment {
        causes,
        plan,
        expected_cost_minutes: expected_cost,
        note,
    })
}

/// The causes once an action is known to have fixed the phone: the belief before the action,
/// each cause weighed by how often that action fixes it (Bayes, with "it worked" as the
/// evidence). Causes the action cannot fix drop out; `None` when it fixes none of them.
pub fn causes_given_fix(
    kb: &Kb,
    evidence: &Evidence,
    action: &str,
) -> Result<Option<Vec<CauseBelief>>, EngineError> {
    let model = Model::for_evidence(kb, evidence);
    let Some(fixing) = kb.action(action) else {
        return Err(EngineError::UnknownAction {
            id: action.to_owned(),
            valid: kb.actions.iter().map(|a| a.id.clone()).collect(),
        });
    };
    let (before, _) = tolerant_posterior(kb, &model, evidence)?;
    let weighed = model
        .causes
        .iter()
        .zip(before)
        .map(|(cause, p)| p * kb.p_fix_expected(fixing, cause, &evidence.observations))
        .collect();
    let Some(after) = normalised(weighed) else {
        return Ok(None);
    };
    let mut causes: Vec<CauseBelief> = model
        .causes
        .iter()
        .zip(after)
        .filter(|(_, p)| *p > 0.0)
        .map(|(id, probability)| CauseBelief {
            id: id.clone(),
            probability,
        })
        .collect();
    causes.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    Ok(Some(causes))
}

/// What an assessment says when the evidence ruled out every cause.
pub const CONTRADICTION_NOTE: &str = "The answers contradict each other: together they rule out every cause known. The plan treats each of them as possibly mistaken; check the answers and the steps marked as tried.";

/// Turns plan indices into steps with their reasons in plain words.
struct Explainer<'a> {
    kb: &'a Kb,
    model: &'a Model,
    /// The answers so far: they can change what an action fixes, and so why it is next.
    observations: &'a [Observation],
}

impl Explainer<'_> {
    fn cause_name(&self, id: &str) -> String {
        self.kb
            .cause(id)
            .map_or_else(|| id.to_owned(), |c| kb::in_sentence(&c.name))
    }

    fn action_steps(&self, actions: &[usize], belief: &[f64], situation: &Situation) -> Vec<Step> {
        let model = self.model;
        let mut b = belief.to_vec();
        let mut at_stake = situation.data_at_stake;
        let mut steps: Vec<Step> = Vec::new();
        for (i, &a) in actions.iter().enumerate() {
            let mass: f64 = b.iter().sum();
            let normalized: Vec<f64> = b.iter().map(|p| p / mass).collect();
            let action = &model.actions[a];
            let p_fix = model.p_fix(a, &normalized);
            let cost = model.expected_cost(a, &normalized, at_stake);
            let remaining = plan::sequence_cost(model, &normalized, &actions[i..], at_stake);
            let mut addresses: Vec<CauseBelief> = model
                .causes
                .iter()
                .zip(&normalized)
                .zip(&action.fixes)
                .filter(|((_, p), f)| **p * **f > 1e-4)
                .map(|((id, p), _)| CauseBelief {
                    id: id.clone(),
                    probability: *p,
                })
                .collect();
            addresses.sort_by(|x, y| y.probability.total_cmp(&x.probability));
            let why = self.action_why(
                a,
                p_fix,
                &normalized,
                &addresses,
                at_stake,
                actions.get(i + 1),
            );
            steps.push(Step {
                kind: StepKind::Action,
                id: action.id.clone(),
                p_fix: Some(p_fix),
                cost_minutes: cost,
                time_minutes: action.cost,
                erases_data: action.erases_data,
                addresses,
                expected_remaining_minutes: remaining,
                why,
            });
            at_stake &= !action.erases_data;
            b = plan::after_failure(model, &normalized, a);
        }
        steps
    }

    /// The share of the belief on causes inside the phone.
    fn hardware_share(&self, belief: &[f64]) -> f64 {
        self.model
            .causes
            .iter()
            .zip(belief)
            .filter(|(id, _)| self.kb.cause(id).is_some_and(|c| c.hardware))
            .map(|(_, p)| p)
            .sum()
    }

    fn action_why(
        &self,
        a: usize,
        p_fix: f64,
        belief: &[f64],
        addresses: &[CauseBelief],
        data_at_stake: bool,
        next: Option<&usize>,
    ) -> String {
        let action = &self.model.actions[a];
        let mut why = if action.escalation {
            let hardware = self.hardware_share(belief);
            let mut why = if hardware >= 0.5 {
                format!(
                    "What is left is most likely inside the phone ({}); a repair shop can test and replace the part, which settles it (about {:.0} min of your time).",
                    percent(hardware),
                    action.cost
                )
            } else {
                format!(
                    "A repair shop settles it whatever the cause (about {:.0} min of your time); the steps before it are cheaper only while they still have a fair chance.",
                    action.cost
                )
            };
            if data_at_stake {
                why.push_str(" A shop fixes a software fault with a restore, which erases the phone as well; the data survives only a hardware repair that keeps it, or a separate data-recovery service.");
            }
            why
        } else {
            format!(
                "Fixes it about {} of the time from here and takes about {:.0} min",
                percent(p_fix),
                action.cost
            )
        };
        if !action.escalation {
            if action.erases_data && data_at_stake {
                why.push_str(&format!(
                    ", and it erases the phone: without a backup its data is lost (weighed as {:.0} min)",
                    self.model.data_loss_cost(a, belief, true)
                ));
            } else if action.erases_data {
                why.push_str(
                    "; it erases the phone, but a backup exists or the data is already gone",
                );
            }
            let named: Vec<String> = addresses
                .iter()
                .take(3)
                .map(|c| format!("{} ({})", self.cause_name(&c.id), percent(c.probability)))
                .collect();
            let conditional = self
                .kb
                .action(&action.id)
                .and_then(|a| a.fixes_if.as_ref())
                .filter(|c| c.met_by(self.observations));
            if let Some(conditional) = conditional {
                why.push_str(&format!(". {}", conditional.why.trim_end_matches('.')));
            } else if !named.is_empty() {
                why.push_str(&format!(". It addresses {}", named.join(", ")));
            }
            why.push('.');
        }
        if let Some(&n) = next {
            let next_name = self
                .kb
                .action(&self.model.actions[n].id)
                .map_or(self.model.actions[n].id.as_str(), |a| a.name.as_str());
            why.push_str(&format!(
                " If it fails, next: {}.",
                kb::in_sentence(next_name)
            ));
        }
        why
    }

    fn question_step(&self, q: usize, belief: &[f64], eco: f64, ecr_now: f64) -> Step {
        let question = &self.model.questions[q];
        // The answer that would move belief the most, to say what the question can reveal.
        let mut shift: Option<(String, usize, f64)> = None;
        for (answer, row) in question.answers.iter().zip(&question.likelihood) {
            let conditioned: Vec<f64> = belief.iter().zip(row).map(|(p, l)| p * l).collect();
            let total: f64 = conditioned.iter().sum();
            if total <= 0.0 {
                continue;
            }
            for (c, p) in conditioned.iter().enumerate() {
                let rise = p / total - belief[c];
                if shift.as_ref().is_none_or(|s| rise > s.2) {
                    shift = Some((answer.clone(), c, rise));
                }
            }
        }
        let mut why = format!(
            "Answering takes about {:.0} min and is expected to save about {:.0} min of trying things",
            question.cost,
            (ecr_now - eco).max(0.0)
        );
        if question.sets_backup {
            why.push_str(": with a backup, erasing restores stop being costly.");
        } else if let Some((answer, c, rise)) = shift.filter(|s| s.2 > 0.01) {
            let words = self
                .kb
                .question(&question.id)
                .map_or(answer.as_str(), |q| q.words(&answer));
            why.push_str(&format!(
                ": the answer \"{words}\" would make {} {} likely (now {}).",
                self.cause_name(&self.model.causes[c]),
                percent(belief[c] + rise),
                percent(belief[c])
            ));
        } else {
            why.push('.');
        }
        Step {
            kind: StepKind::Question,
            id: question.id.clone(),
            p_fix: None,
            cost_minutes: question.cost,
            time_minutes: question.cost,
            erases_data: false,
            addresses: Vec::new(),
            expected_remaining_minutes: eco,
            why,
        }
    }
}
