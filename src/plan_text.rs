//! The engine's beliefs and plans as terminal text: cause lines and plan steps, shared by
//! `explain`, `diagnose --plan` and the guided session.

use std::fmt::Write as _;

use engine::{Step, StepKind};
use kb::Kb;

use crate::output::{self, DIM, STRONG, WARN, paint};

/// The most likely causes, one line each ("  38 %  Audio IC failure  (hardware)"), at least
/// `min` likely and at most `max` of them.
pub fn cause_lines(kb: &Kb, causes: &[engine::CauseBelief], min: f64, max: usize) -> String {
    let mut out = String::new();
    for belief in causes.iter().filter(|c| c.probability >= min).take(max) {
        if let Some(cause) = kb.cause(&belief.id) {
            let tag = if cause.hardware {
                paint(DIM, "  (hardware)")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:>5}  {}{tag}",
                output::percent(belief.probability),
                cause.name
            );
        }
    }
    out
}

/// One plan step as text: its name (or question), cost, summary and why.
pub fn step_text(kb: &Kb, number: usize, step: &Step) -> String {
    let mut out = String::new();
    match step.kind {
        StepKind::Question => {
            let question = kb
                .question(&step.id)
                .map_or(step.id.as_str(), |q| q.text.as_str());
            let _ = writeln!(out, "  {number}. {} {question}", paint(STRONG, "Check:"));
        }
        StepKind::Action => {
            let action = kb.action(&step.id);
            let name = action.map_or(step.id.as_str(), |a| a.name.as_str());
            let odds = paint(DIM, &format!("  ({})", output::minutes(step.time_minutes)));
            let erase = if step.erases_data {
                paint(WARN, " (erases the phone)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {number}. {}{odds}{erase}", paint(STRONG, name));
            if let Some(a) = action {
                out.push_str(&output::wrap(&a.summary, "     "));
            }
        }
    }
    out.push_str(&output::wrap(&format!("Why: {}", step.why), "     "));
    out
}
