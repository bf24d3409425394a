//! What this shop's own finished cases teach: the case history's counts turned into the
//! engine's local experience for one code and model, and the words a plan says when it changed.

use std::collections::BTreeMap;

use engine::{Assessment, EngineError, Evidence, LocalCase, LocalExperience};
use kb::{Confidence, Device, Kb, StepOutcome};
use serde::Serialize;
use store::FinishedCase;

/// One code on one model (or on every model, when the model is unknown).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Group {
    pub code: Option<i64>,
    pub model: Option<String>,
}

/// One action's record in a group, in whole cases, for people.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Record {
    pub action: String,
    pub fixed: u64,
    pub tries: u64,
}

/// What a group's finished cases teach: the engine's weighted counts and the plain record.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Learned {
    pub experience: LocalExperience,
    pub records: Vec<Record>,
}

impl Learned {
    fn add(&mut self, kb: &Kb, case: &FinishedCase) {
        let weight = case
            .confidence
            .as_deref()
            .and_then(Confidence::from_id)
            .map_or(1.0, Confidence::weight);
        let known: Vec<&(String, StepOutcome)> = case
            .actions
            .iter()
            .filter(|(id, _)| kb.action(id).is_some())
            .collect();
        for (id, outcome) in &known {
            if !self.records.iter().any(|r| r.action == *id) {
                self.records.push(Record {
                    action: id.clone(),
                    ..Record::default()
                });
                // The kb's order, whatever order the cases came in.
                self.records
                    .sort_by_key(|r| kb.actions.iter().position(|a| a.id == r.action));
            }
            if let Some(record) = self.records.iter_mut().find(|r| r.action == *id) {
                record.tries += 1;
                if *outcome == StepOutcome::Fixed {
                    record.fixed += 1;
                }
            }
        }
        let case = LocalCase {
            failed: known
                .iter()
                .filter(|(_, o)| *o == StepOutcome::Failed)
                .map(|(id, _)| id.clone())
                .collect(),
            fixed: known
                .iter()
                .find(|(_, o)| *o == StepOutcome::Fixed)
                .map(|(id, _)| id.clone()),
            weight,
        };
        // Cases finished in the same instant come from the store in any order; keeping them
        // sorted makes every sum over them, and so every plan, the same from run to run.
        let at = self
            .experience
            .cases
            .partition_point(|c| local_case_order(c, &case).is_lt());
        self.experience.cases.insert(at, case);
    }
}

fn local_case_order(a: &LocalCase, b: &LocalCase) -> std::cmp::Ordering {
    (&a.fixed, &a.failed)
        .cmp(&(&b.fixed, &b.failed))
        .then(a.weight.total_cmp(&b.weight))
}

/// The model a stored product type belongs to.
fn model_of(kb: &Kb, product_type: Option<&str>) -> Option<String> {
    product_type
        .and_then(|p| kb.find_device(p).ok())
        .map(|d| d.model.clone())
}

/// What the shop's finished cases teach about `code` on `device` (every model when it is
/// unknown); `None` without a code or without such cases.
pub fn for_case(
    kb: &Kb,
    finished: &[FinishedCase],
    code: Option<i64>,
    device: Option<&Device>,
) -> Option<Learned> {
    let code = code?;
    let mut learned = Learned::default();
    for case in finished.iter().filter(|c| c.code == Some(code)) {
        let same_model = match device {
            Some(d) => {
                model_of(kb, case.product_type.as_deref()).as_deref() == Some(d.model.as_str())
            }
            None => true,
        };
        if same_model {
            learned.add(kb, case);
        }
    }
    (!learned.experience.is_empty()).then_some(learned)
}

/// Every group the shop's finished cases teach about.
pub fn groups(kb: &Kb, finished: &[FinishedCase]) -> BTreeMap<Group, Learned> {
    let mut groups: BTreeMap<Group, Learned> = BTreeMap::new();
    for case in finished {
        let group = Group {
            code: case.code,
            model: model_of(kb, case.product_type.as_deref()),
        };
        groups.entry(group).or_default().add(kb, case);
    }
    groups
}

/// The engine's assessment with what the shop's `finished` cases teach for this code and
/// model, the plan's reasons saying so where it has a record.
pub fn assess(
    kb: &Kb,
    finished: &[FinishedCase],
    evidence: Evidence,
) -> Result<Assessment, EngineError> {
    let learned = for_case(kb, finished, evidence.code, evidence.device);
    let evidence = Evidence {
        local: learned.as_ref().map(|l| &l.experience),
        ..evidence
    };
    let mut assessment = engine::assess(kb, &evidence)?;
    if let Some(learned) = &learned {
        let code = evidence.code.map_or_else(String::new, kb::display_code);
        let model = evidence
            .device
            .map_or("these phones".to_owned(), |d| d.model.clone());
        for step in &mut assessment.plan {
            let Some(record) = learned
                .records
                .iter()
                .find(|r| r.action == step.id && r.tries > 0)
            else {
                continue;
            };
            let name = kb
                .action(&step.id)
                .map_or(step.id.clone(), |a| kb::in_sentence(&a.name));
            step.why.push_str(&format!(
                " At this shop, {name} fixed {code} on {model} in {} of {} {}.",
                record.fixed,
                record.tries,
                if record.tries == 1 { "try" } else { "tries" }
            ));
        }
    }
    Ok(assessment)
}
