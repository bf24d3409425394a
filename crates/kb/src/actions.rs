//! Actions a person can take, with their cost in minutes, whether they erase the phone, and
//! how likely each is to fix each cause.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Something to do about a failed restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub name: String,
    pub summary: String,
    /// Minutes of the person's time, including one retry of the restore.
    pub cost_minutes: f64,
    pub erases_data: bool,
    /// The repair-shop action: it always fixes, at its cost.
    #[serde(default)]
    pub escalation: bool,
    pub steps: Vec<String>,
    /// What success looks like when it is not a finished restore or update (the phone starts
    /// iOS again); the guided session offers it as "It worked: …".
    pub worked: Option<String>,
    /// P(the restore then works | cause) for the causes this action can fix.
    #[serde(default)]
    pub fixes: BTreeMap<String, f64>,
    /// Offered only when this question was answered with one of these answers (a tool update
    /// is only for people who use that tool).
    pub only_if: Option<Condition>,
    /// Not offered when this question was answered with one of these answers.
    pub not_if: Option<Condition>,
    /// Fix rates that replace `fixes` once a question has been answered a certain way (leaving
    /// recovery mode brings back a phone whose update stopped with its system intact).
    pub fixes_if: Option<ConditionalFixes>,
    /// Works only on the phone's own system, so it is not offered once a step that erases the
    /// phone has run (leaving recovery mode brings nothing back after an erase).
    #[serde(default)]
    pub needs_intact_system: bool,
    pub sources: Vec<String>,
}

/// Fix rates that hold once a condition is met, for the causes they name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalFixes {
    pub when: Condition,
    /// The plain rates hold again when this is also met.
    pub unless: Option<Condition>,
    /// Why the step helps then, in one sentence for the person (replaces the list of causes
    /// it addresses).
    pub why: String,
    pub fixes: BTreeMap<String, f64>,
}

impl ConditionalFixes {
    /// Whether these rates hold given the answers so far.
    pub fn met_by(&self, answers: &[crate::Observation]) -> bool {
        self.when.met_by(answers) && !self.unless.as_ref().is_some_and(|u| u.met_by(answers))
    }
}

/// An answer condition on an action's availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub question: String,
    pub answers: Vec<String>,
}

impl Condition {
    /// The chance that the condition holds when `cause` is the fault: 1 or 0 once its question
    /// is answered, else the share of the question's likelihood under the cause that its
    /// answers take (a question without likelihoods splits evenly).
    pub fn chance(
        &self,
        question: &crate::Question,
        cause: &str,
        answers: &[crate::Observation],
    ) -> f64 {
        if let Some(given) = answers.iter().rev().find(|o| o.question == self.question) {
            return if self.answers.contains(&given.answer) {
                1.0
            } else {
                0.0
            };
        }
        let likelihood = question.likelihood_under(cause);
        let weight = |a: &String| likelihood(a);
        let total: f64 = question.answers.iter().map(weight).sum();
        if total <= 0.0 {
            return 0.0;
        }
        question
            .answers
            .iter()
            .filter(|a| self.answers.contains(a))
            .map(weight)
            .sum::<f64>()
            / total
    }

    /// Whether the last answer given to the condition's question is one of its answers.
    pub fn met_by(&self, answers: &[crate::Observation]) -> bool {
        answers
            .iter()
            .rev()
            .find(|o| o.question == self.question)
            .is_some_and(|o| self.answers.contains(&o.answer))
    }
}

impl Action {
    /// Probability that this action fixes the problem if `cause` is the fault.
    pub fn p_fix(&self, cause: &str) -> f64 {
        if self.escalation {
            1.0
        } else {
            self.fixes.get(cause).copied().unwrap_or(0.0)
        }
    }

    /// The fix rate once the `fixes_if` condition holds: its own rate for the causes it names,
    /// the plain one otherwise (and without a `fixes_if`).
    pub fn p_fix_when_met(&self, cause: &str) -> f64 {
        self.fixes_if
            .as_ref()
            .and_then(|c| c.fixes.get(cause).copied())
            .unwrap_or_else(|| self.p_fix(cause))
    }

    /// The conditions that decide whether the action applies or what it fixes.
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        let conditional = self
            .fixes_if
            .iter()
            .flat_map(|f| std::iter::once(&f.when).chain(&f.unless));
        self.only_if.iter().chain(&self.not_if).chain(conditional)
    }

    /// Whether the answer to this question can decide whether the action applies or what it
    /// fixes.
    pub fn depends_on(&self, question: &str) -> bool {
        self.conditions().any(|c| c.question == question)
    }

    /// Whether the action is on offer given the answers so far (the last answer to a question
    /// counts) and whether a step that erases the phone has already run.
    pub fn offered(&self, answers: &[crate::Observation], erased: bool) -> bool {
        !(erased && self.needs_intact_system)
            && self.only_if.as_ref().is_none_or(|c| c.met_by(answers))
            && !self.not_if.as_ref().is_some_and(|c| c.met_by(answers))
    }
}
