//! Answer keys (the `answers.jsonl` shape): how the person of a real case answers the guided
//! session — the code and model they start from, each question's answer, what they had already
//! tried and which steps count as the real fix.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{CaseLineError, Device, Kb, Observation};

/// One line of an answer key, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyLine {
    id: String,
    code: Option<i64>,
    model: Option<String>,
    #[serde(default)]
    answers: BTreeMap<String, String>,
    #[serde(default)]
    defaults: Vec<String>,
    #[serde(default)]
    failed: Vec<String>,
    fix: Vec<String>,
    #[serde(default)]
    note: Option<String>,
}

/// How one person answers the guided session, checked against the kb.
#[derive(Debug, Clone)]
pub struct AnswerKey<'kb> {
    pub id: String,
    /// The line of the key file it came from (1-based).
    pub line: usize,
    pub code: Option<i64>,
    pub device: Option<&'kb Device>,
    /// The answer this person gives to each question they can answer; every other question
    /// gets "I don't know".
    pub answers: Vec<Observation>,
    /// Questions whose answer was assumed rather than read from the case.
    pub defaults: Vec<String>,
    /// Actions tried without success before the session.
    pub failed: Vec<String>,
    /// Actions that count as the real fix; empty when none does (the case is not scored).
    pub fix: Vec<String>,
    /// What the key's writer noted about the case.
    pub note: Option<String>,
}

impl AnswerKey<'_> {
    /// This person's answer to a question, if they know it.
    pub fn answer(&self, question: &str) -> Option<&str> {
        self.answers
            .iter()
            .find(|o| o.question == question)
            .map(|o| o.answer.as_str())
    }
}

/// The most lines an answer key may have; more is refused rather than read without end.
pub const MAX_KEY_LINES: usize = 100_000;

impl Kb {
    /// Reads an answer key, one JSON object a line (blank lines skipped). A line that is not
    /// the shape, names a model the kb does not know, or a question, answer or action id the
    /// kb does not have, is an error naming the line.
    pub fn parse_answer_keys(&self, text: &str) -> Result<Vec<AnswerKey<'_>>, CaseLineError> {
        let mut keys: Vec<AnswerKey> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let error = |message: String| CaseLineError {
                line: i + 1,
                message,
            };
            if i >= MAX_KEY_LINES {
                return Err(error(format!("more than {MAX_KEY_LINES} lines")));
            }
            if line.trim().is_empty() {
                continue;
            }
            let raw: KeyLine = serde_json::from_str(line).map_err(|e| error(e.to_string()))?;
            let key = self.check_key_line(raw, i + 1).map_err(error)?;
            if keys.iter().any(|k| k.id == key.id) {
                return Err(error(format!("the id '{}' is used twice", key.id)));
            }
            keys.push(key);
        }
        Ok(keys)
    }

    fn check_key_line(&self, raw: KeyLine, line: usize) -> Result<AnswerKey<'_>, String> {
        let device = match raw.model.as_deref() {
            Some(model) => Some(
                self.find_device(model)
                    .map_err(|e| format!("{}: model: {e}", raw.id))?,
            ),
            None => None,
        };
        let mut answers = Vec::new();
        for (question, answer) in raw.answers {
            let Some(q) = self.question(&question) else {
                return Err(format!("{}: unknown question '{question}'", raw.id));
            };
            if !q.has_answer(&answer) {
                return Err(format!(
                    "{}: '{answer}' is not an answer to {question}; answers: {}",
                    raw.id,
                    q.answers.join(", ")
                ));
            }
            answers.push(Observation::new(question, answer));
        }
        for question in &raw.defaults {
            if self.question(question).is_none() {
                return Err(format!(
                    "{}: unknown question '{question}' in defaults",
                    raw.id
                ));
            }
        }
        for (field, ids) in [("failed", &raw.failed), ("fix", &raw.fix)] {
            if let Some(unknown) = ids.iter().find(|id| self.action(id).is_none()) {
                return Err(format!("{}: unknown action '{unknown}' in {field}", raw.id));
            }
        }
        Ok(AnswerKey {
            id: raw.id,
            line,
            code: raw.code,
            device,
            answers,
            defaults: raw.defaults,
            failed: raw.failed,
            fix: raw.fix,
            note: raw.note,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Kb;

    fn kb() -> &'static Kb {
        Kb::embedded().expect("kb")
    }

    const GOOD: &str = r#"{"id": "a", "code": 4013, "model": "iPhone 7", "answers": {"hub-in-path": "yes"}, "defaults": [], "failed": ["swap-cable"], "fix": ["remove-hub"], "note": "n"}"#;

    #[test]
    fn a_key_line_is_read_into_kb_terms() {
        let keys = kb().parse_answer_keys(&format!("\n{GOOD}\n")).expect("key");
        assert_eq!(keys.len(), 1);
        let key = &keys[0];
        assert_eq!((key.id.as_str(), key.line, key.code), ("a", 2, Some(4013)));
        // "iPhone 7" is the model, not one of its variants (iPhone9,1 or iPhone9,3).
        assert_eq!(key.device.map(|d| d.model.as_str()), Some("iPhone 7"));
        assert_eq!(key.device.and_then(|d| d.known_product_type()), None);
        assert_eq!(key.answer("hub-in-path"), Some("yes"));
        assert_eq!(key.answer("boot-loop"), None);
        assert_eq!(key.failed, ["swap-cable"]);
    }

    #[test]
    fn an_unknown_id_is_an_error_naming_the_line() {
        for (bad, words) in [
            (GOOD.replace("hub-in-path", "hub"), "unknown question 'hub'"),
            (
                GOOD.replace("\"yes\"", "\"maybe\""),
                "'maybe' is not an answer to hub-in-path",
            ),
            (
                GOOD.replace("\"swap-cable\"", "\"swap-cables\""),
                "unknown action 'swap-cables' in failed",
            ),
            (
                GOOD.replace("\"remove-hub\"", "\"hub-out\""),
                "unknown action 'hub-out' in fix",
            ),
            (GOOD.replace("iPhone 7", "iPhone 99"), "model"),
            (GOOD.replace("\"note\"", "\"notes\""), "unknown field"),
            ("{not json".to_owned(), "line 2"),
        ] {
            let text = format!("{GOOD}\n{bad}\n");
            let error = kb().parse_answer_keys(&text).expect_err(&bad).to_string();
            assert!(error.starts_with("line 2: "), "{error}");
            assert!(error.contains(words), "{error} should say {words}");
        }
        let twice = kb()
            .parse_answer_keys(&format!("{GOOD}\n{GOOD}"))
            .expect_err("twice");
        assert!(twice.to_string().contains("used twice"), "{twice}");
    }
}
