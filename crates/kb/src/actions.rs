//! Actions a person can take, with their cost in minutes, whether they erase the phone, and
//! how likely each is to fix each cause.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Something to do about a failed restore.
#[derive(Debug, Clone, Deserialize)]
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
    /// P(the restore then works | cause) for the causes this action can fix.
    #[serde(default)]
    pub fixes: BTreeMap<String, f64>,
    /// Offered only when this question was answered with one of these answers (a tool update
    /// is only for people who use that tool).
    pub only_if: Option<Condition>,
    /// Not offered when this question was answered with one of these answers.
    pub not_if: Option<Condition>,
    pub sources: Vec<String>,
}

/// An answer condition on an action's availability.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub question: String,
    pub answers: Vec<String>,
}

impl Condition {
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

    /// Whether the action is on offer given the answers so far (the last answer to a question
    /// counts).
    pub fn offered(&self, answers: &[crate::Observation]) -> bool {
        self.only_if.as_ref().is_none_or(|c| c.met_by(answers))
            && !self.not_if.as_ref().is_some_and(|c| c.met_by(answers))
    }
}
