//! What the guided session says, as text: the code in one line, beliefs, a step with its why,
//! the effort a person can act on, the erase warning, the fixed summary and the verdict.

use std::fmt::Write as _;

use case::Ledger;
use engine::{Assessment, Evidence, Step, StepKind};
use kb::{Kb, StepOutcome};

use crate::output::{self, DIM, HEADING, STRONG, WARN, paint};
use crate::plan_text::cause_lines;

/// The code in one plain line: "4013: the phone lost its USB connection during the update…".
pub fn code_line(kb: &Kb, code: i64) -> String {
    let lookup = kb.lookup_code(code);
    let plain = match lookup.entry {
        Some(entry) => first_sentence(&entry.meaning),
        None => match lookup.category {
            Some(category) => format!("an error Apple files under \"{}\"", category.name),
            None => "an error number Restore Doctor does not know".to_owned(),
        },
    };
    format!("{}: {}", kb::display_code(code), kb::in_sentence(&plain))
}

fn first_sentence(text: &str) -> String {
    let end = text
        .match_indices(". ")
        .map(|(i, _)| i)
        .next()
        .unwrap_or(text.len());
    text[..end].trim_end_matches('.').to_owned()
}

/// "Most likely now: a cable 38 % · a USB port 20 % · …".
pub fn beliefs_line(kb: &Kb, assessment: &Assessment) -> String {
    let top: Vec<String> = assessment
        .causes
        .iter()
        .take(3)
        .map(|c| {
            let name = kb.cause(&c.id).map_or(c.id.as_str(), |c| c.name.as_str());
            format!(
                "{} {}",
                kb::in_sentence(name),
                output::percent(c.probability)
            )
        })
        .collect();
    paint(DIM, &format!("Most likely now: {}.", top.join(" · ")))
}

/// The effort from here in words a person can act on: how long until it is most likely fixed
/// following the plan, and what comes if not. `None` when the plan has no doable action.
pub fn effort_line(kb: &Kb, plan: &[Step]) -> Option<String> {
    let mut minutes = 0.0;
    let mut still_failing = 1.0;
    let mut shop = false;
    for step in plan.iter().filter(|s| s.kind == StepKind::Action) {
        if kb.action(&step.id).is_some_and(|a| a.escalation) {
            shop = true;
            break;
        }
        minutes += step.time_minutes;
        still_failing *= 1.0 - step.p_fix.unwrap_or(0.0);
        if still_failing <= 0.5 {
            break;
        }
    }
    let first_is_shop = plan
        .iter()
        .find(|s| s.kind == StepKind::Action)
        .is_some_and(|s| kb.action(&s.id).is_some_and(|a| a.escalation));
    if first_is_shop {
        return None;
    }
    let chance = 1.0 - still_failing;
    Some(if chance >= 0.5 {
        format!(
            "Most likely fixed within about {}; if not, the plan goes on{}.",
            output::minutes(round_up(minutes)),
            if plan_reaches_shop(kb, plan) {
                " and ends at a repair shop"
            } else {
                ""
            }
        )
    } else if shop {
        format!(
            "The steps worth trying take about {} and {}; if not, a repair shop.",
            output::minutes(round_up(minutes)),
            fix_words(chance)
        )
    } else {
        format!(
            "The steps left take about {} and {}.",
            output::minutes(round_up(minutes)),
            fix_words(chance)
        )
    })
}

fn plan_reaches_shop(kb: &Kb, plan: &[Step]) -> bool {
    plan.iter()
        .any(|s| kb.action(&s.id).is_some_and(|a| a.escalation))
}

/// Minutes rounded up to a number a person would say (5, 10, 15, 30, 45, then hours).
fn round_up(minutes: f64) -> f64 {
    let steps = [5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0];
    steps
        .into_iter()
        .find(|s| minutes <= *s)
        .unwrap_or_else(|| (minutes / 60.0).ceil() * 60.0)
}

/// How often steps fix it, as a person would say it ("fix it about 3 times in 10").
fn fix_words(p: f64) -> String {
    match (p * 10.0).round() as u32 {
        0 => "rarely fix it".to_owned(),
        1 => "fix it about 1 time in 10".to_owned(),
        n => format!("fix it about {n} times in 10"),
    }
}

/// A question with its help and why.
pub fn question_text(kb: &Kb, step: &Step) -> String {
    let Some(question) = kb.question(&step.id) else {
        return step.id.clone();
    };
    let mut text = format!("{} {}\n", paint(STRONG, "Question:"), question.text);
    if let Some(help) = &question.help {
        text.push_str(&output::wrap(help, "  "));
    }
    text.push_str(&output::wrap(&format!("Why I ask: {}", step.why), "  "));
    text.trim_end().to_owned()
}

/// An action with its steps, why, and the effort line.
pub fn action_text(kb: &Kb, step: &Step, assessment: &Assessment) -> String {
    let Some(action) = kb.action(&step.id) else {
        return step.id.clone();
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} {}  {}",
        paint(STRONG, "Next:"),
        paint(STRONG, &action.name),
        paint(
            DIM,
            &format!("(about {})", output::minutes(action.cost_minutes))
        )
    );
    text.push_str(&output::wrap(&format!("Why: {}", step.why), "  "));
    for (i, s) in action.steps.iter().enumerate() {
        let _ = writeln!(text, "  {}. {}", i + 1, s);
    }
    if let Some(effort) = effort_line(kb, &assessment.plan) {
        text.push_str(&paint(DIM, &output::wrap(&effort, "  ")));
    }
    output::fit(text.trim_end())
}

/// What an erasing step costs, said before the person agrees to it.
pub fn erase_warning(kb: &Kb, backup_known: bool, update_tried: bool) -> String {
    let mut text = if backup_known {
        "This step erases everything on the phone; your backup is what brings the data back."
            .to_owned()
    } else {
        kb.settings.erase_warning.clone()
    };
    if !update_tried {
        text.push(' ');
        text.push_str(&kb.settings.update_first);
    }
    output::wrap(&text, &paint(WARN, "  ! "))
        .trim_end()
        .to_owned()
}

/// The things done, one line each ("Swap the cable: did not help").
pub fn tried_lines(kb: &Kb, ledger: &Ledger) -> String {
    let mut out = String::new();
    for step in ledger.steps().iter().filter(|s| s.kind == StepKind::Action) {
        let name = kb.action(&step.id).map_or(step.id.as_str(), |a| &a.name);
        let _ = writeln!(out, "  - {name}: {}", step.outcome.words());
    }
    out
}

pub fn fixed_text(kb: &Kb, id: &str, ledger: &Ledger) -> String {
    let name = kb.action(id).map_or(id, |a| a.name.as_str());
    let mut out = format!("{}\n", paint(HEADING, &format!("Fixed: {name}.")));
    out.push_str(&tried_lines(kb, ledger));
    out.trim_end().to_owned()
}

/// The repair verdict: what is most likely broken, what was tried, what to tell a shop, and
/// what it means for the data.
pub fn verdict(kb: &Kb, assessment: &Assessment, evidence: &Evidence, ledger: &Ledger) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        paint(
            HEADING,
            "Verdict: the phone most likely needs a repair bench"
        )
    );
    let software_left: f64 = assessment
        .causes
        .iter()
        .filter(|c| kb.cause(&c.id).is_some_and(|k| !k.hardware))
        .map(|c| c.probability)
        .sum();
    out.push_str(&output::wrap(
        &format!(
            "The fixes worth trying at home have been tried or ruled out. What is left is most likely inside the phone ({} likely hardware), and needs a technician's tools to find and fix.",
            output::percent(1.0 - software_left)
        ),
        "  ",
    ));
    let _ = writeln!(out, "{}", paint(STRONG, "Most likely causes"));
    out.push_str(&cause_lines(kb, &assessment.causes, 0.02, 5));
    if ledger.steps().iter().any(|s| s.kind == StepKind::Action) {
        let _ = writeln!(out, "{}", paint(STRONG, "What was tried"));
        out.push_str(&tried_lines(kb, ledger));
    }
    let _ = writeln!(out, "{}", paint(STRONG, "Tell the repair shop"));
    let mut facts = Vec::new();
    if let Some(d) = evidence.device {
        facts.push(format!(
            "the model: {} ({}, board {})",
            d.model,
            d.product_types_text(),
            d.board.as_deref().unwrap_or("unknown")
        ));
    }
    if let Some(code) = evidence.code {
        facts.push(format!("the error: {}", kb::display_code(code)));
    }
    for o in &evidence.observations {
        if let Some(q) = kb.question(&o.question) {
            facts.push(format!("{} {}", q.text, q.words(&o.answer)));
        }
    }
    if ledger
        .steps()
        .iter()
        .any(|s| s.kind == StepKind::Action && s.outcome == StepOutcome::Failed)
    {
        facts.push("that the steps listed above did not help".to_owned());
    }
    if let Some(top) = assessment
        .causes
        .iter()
        .find(|c| kb.cause(&c.id).is_some_and(|c| c.hardware))
    {
        let name = kb
            .cause(&top.id)
            .map_or(top.id.as_str(), |c| c.name.as_str());
        facts.push(format!(
            "to check first: {} ({})",
            kb::in_sentence(name),
            output::percent(top.probability)
        ));
    }
    let no_backup = evidence
        .observations
        .iter()
        .any(|o| o.question == "backup-available" && o.answer == "no");
    if no_backup {
        facts.push("that the data matters and there is no backup: ask whether they can recover it before any restore".to_owned());
    }
    for f in facts {
        out.push_str(&output::fit(&format!("  - {f}")));
        out.push('\n');
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chances_read_as_a_person_says_them() {
        assert_eq!(fix_words(0.02), "rarely fix it");
        assert_eq!(fix_words(0.1), "fix it about 1 time in 10");
        assert_eq!(fix_words(0.34), "fix it about 3 times in 10");
    }

    fn kb() -> &'static Kb {
        Kb::embedded().unwrap()
    }

    #[test]
    fn a_code_reads_as_one_plain_line() {
        let line = code_line(kb(), 4013);
        assert!(
            line.starts_with("4013: the phone lost its USB connection"),
            "{line}"
        );
        assert!(!line.contains(". "), "one sentence: {line}");
        assert!(code_line(kb(), 123_456).contains("does not know"));
    }

    #[test]
    fn the_effort_line_names_a_time_to_act_on_not_a_mean() {
        let evidence = Evidence {
            code: Some(4013),
            ..Evidence::default()
        };
        let assessment = engine::assess(kb(), &evidence).unwrap();
        let line = effort_line(kb(), &assessment.plan).unwrap();
        assert!(line.starts_with("Most likely fixed within about"), "{line}");
        assert!(
            !line.contains(&output::minutes(assessment.expected_cost_minutes)),
            "not the mean: {line}"
        );
        assert!(line.ends_with("ends at a repair shop."), "{line}");
    }

    #[test]
    fn minutes_round_up_to_what_a_person_would_say() {
        assert_eq!(round_up(3.0), 5.0);
        assert_eq!(round_up(22.0), 30.0);
        assert_eq!(round_up(200.0), 240.0);
    }
}
