//! Questions and observations: a fixed set of answers and, per cause, how likely each answer
//! is if that cause were the fault.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The row of a question's likelihood table that applies to causes not named in it.
pub const ANY_CAUSE: &str = "*";

/// The word for "I don't know" where an answer is typed (`--observe hub-in-path=unknown`);
/// no question may have it as an answer.
pub const UNKNOWN_ANSWER: &str = "unknown";

/// Something the program asks or observes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub help: Option<String>,
    pub answers: Vec<String>,
    /// Each answer as a person reads it; `yes` and `no` need none.
    #[serde(default)]
    pub answer_words: BTreeMap<String, String>,
    pub cost_minutes: f64,
    /// The program can observe this by itself (USB, logs).
    #[serde(default)]
    pub auto: bool,
    /// Something a person knows in seconds and that changes the plan (the program used, the
    /// computer's system, what the phone shows): asked before other questions whenever its
    /// answer is worth asking at all.
    #[serde(default)]
    pub intake: bool,
    /// A line pasted from a restore log can answer it (the session offers to read one).
    #[serde(default)]
    pub pasted: bool,
    /// Never asked of a person: only USB, a log or a supervised restore can answer it.
    #[serde(default)]
    pub observed_only: bool,
    /// Not asked when the error code's entry already names the phase it happens in.
    #[serde(default)]
    pub answered_by_code_phase: bool,
    /// Questions that ask the same thing in other words: once one is answered (or declined),
    /// this one is not asked.
    #[serde(default)]
    pub overlaps: Vec<String>,
    /// A "yes" says these actions were tried and failed: they are not offered again, and the
    /// question is not asked once one of them was told as tried (it would count it twice).
    #[serde(default)]
    pub tried_if_yes: Vec<String>,
    /// Only worth asking for devices in these groups.
    #[serde(default)]
    pub applies_to: Vec<String>,
    /// A sign a person may already know, said as a statement ("Voice Memos was greyed out"):
    /// the session lists these in one checklist, and a picked one is this question's "yes".
    #[serde(default)]
    pub symptom: Option<String>,
    /// Share of people asked who can answer; the others say "I don't know" (a question about
    /// a test most people have not done is worth less than its answers suggest).
    #[serde(default = "always")]
    pub answerable_share: f64,
    /// cause id (or "*") → answer → P(answer | cause).
    #[serde(default)]
    pub likelihood: BTreeMap<String, BTreeMap<String, f64>>,
    pub sources: Vec<String>,
}

fn always() -> f64 {
    1.0
}

impl Question {
    /// P(answer | cause). A question without a likelihood table says nothing about causes.
    pub fn likelihood(&self, cause: &str, answer: &str) -> f64 {
        self.likelihood_under(cause)(answer)
    }

    /// P(answer | cause) for any answer, with the cause's row found once (the engine asks
    /// for every answer of a question in turn).
    pub fn likelihood_under(&self, cause: &str) -> impl Fn(&str) -> f64 + '_ {
        let row = (!self.likelihood.is_empty()).then(|| {
            self.likelihood
                .get(cause)
                .or_else(|| self.likelihood.get(ANY_CAUSE))
        });
        move |answer| match row {
            // A question without a likelihood table says nothing about causes.
            None => 1.0,
            Some(row) => row.and_then(|r| r.get(answer)).copied().unwrap_or(0.0),
        }
    }

    pub fn has_answer(&self, answer: &str) -> bool {
        self.answers.iter().any(|a| a == answer)
    }

    /// An answer in the words a person reads ("An update failed and left it on the recovery
    /// screen" for `failed-update`); the id itself only for an answer the kb does not know.
    pub fn words<'a>(&'a self, answer: &'a str) -> &'a str {
        match self.answer_words.get(answer) {
            Some(words) => words,
            None => plain_answer(answer).unwrap_or(answer),
        }
    }
}

/// The words of the answers that need no table of their own.
fn plain_answer(answer: &str) -> Option<&'static str> {
    match answer {
        "yes" => Some("Yes"),
        "no" => Some("No"),
        "unknown" => Some("I don't know"),
        _ => None,
    }
}

/// Whether an answer has words for people, from the question's table or as a plain answer.
pub(crate) fn has_words(question: &Question, answer: &str) -> bool {
    question.answer_words.contains_key(answer) || plain_answer(answer).is_some()
}

/// An answered question: what a person said, or what USB, logs or a watch session saw.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Observation {
    pub question: String,
    pub answer: String,
}

impl Observation {
    pub fn new(question: impl Into<String>, answer: impl Into<String>) -> Observation {
        Observation {
            question: question.into(),
            answer: answer.into(),
        }
    }
}
