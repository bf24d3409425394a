//! `restore-doctor record` and `history --import`: finished cases written down elsewhere (at the
//! bench by hand, or a shop's old notes) stored like any other case, so the planner learns.

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use case::{Ledger, Subject};
use kb::{CaseStatus, EvidenceSource, Kb, OutcomeGroup, StepKind, StepOutcome};
use serde_json::json;

use crate::case_store;
use crate::cli::RecordArgs;
use crate::knowledge::{knowledge, resolve_model};
use crate::output::{self, DIM, paint};
use crate::usage_error::UsageError;

/// Largest cases file read.
const MAX_IMPORT: u64 = 64 * 1024 * 1024;

/// A finished case: what it failed with, on what, what was tried and what fixed it (nothing:
/// it went on to a repair bench).
struct Outcome<'a> {
    code: Option<i64>,
    product_type: Option<&'a str>,
    observations: Vec<kb::Observation>,
    failed: Vec<String>,
    fixed: Option<String>,
    port: Option<String>,
}

impl Outcome<'_> {
    fn ledger(&self) -> Ledger {
        let source = EvidenceSource::Person;
        let mut ledger = Ledger::new();
        ledger.device.port = self.port.clone();
        if let Some(code) = self.code {
            ledger.add(Subject::Code, code.to_string(), source);
        }
        if let Some(product_type) = self.product_type {
            ledger.add(Subject::Model, product_type, source);
        }
        for observation in &self.observations {
            ledger.observe(observation, source);
        }
        for action in &self.failed {
            ledger.step(action.clone(), StepKind::Action, StepOutcome::Failed);
        }
        match &self.fixed {
            Some(action) => {
                ledger.step(action.clone(), StepKind::Action, StepOutcome::Fixed);
                ledger.finish(CaseStatus::Fixed, Some(action.clone()), None);
            }
            None => ledger.finish(CaseStatus::NeedsRepair, None, None),
        }
        ledger
    }
}

/// An action id the planner knows, or a usage error that lists them.
fn known_action(kb: &Kb, id: &str) -> anyhow::Result<String> {
    match kb.action(id.trim()) {
        Some(action) => Ok(action.id.clone()),
        None => Err(UsageError::new(format!(
            "unknown action '{}'; actions: {}",
            kb::text::printable(id),
            kb.actions
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

pub fn run(db: Option<&Path>, args: &RecordArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let code = kb::parse_code(&args.code).map_err(|e| UsageError::new(e.to_string()))?;
    let device = resolve_model(kb, args.model.model.as_deref())?;
    let failed = args
        .failed
        .iter()
        .map(|a| known_action(kb, a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let fixed = args
        .fixed
        .as_deref()
        .map(|a| known_action(kb, a))
        .transpose()?;
    let outcome = Outcome {
        code: Some(code),
        product_type: device.map(|d| d.product_type.as_str()),
        observations: Vec::new(),
        failed,
        fixed,
        // Shown later in lists and reports: no control characters, and not a novel.
        port: args
            .port
            .as_deref()
            .map(|p| kb::text::printable(p.trim()).chars().take(64).collect()),
    };
    let mut store = case_store::open(db)?;
    let id = store
        .import(&[(outcome.ledger(), Some(args.confidence.level().id()))])?
        .remove(0);
    let case = store.case(&id)?;
    if args.json {
        output::print_json(&report::json(kb, &case, false))?;
        return Ok(ExitCode::SUCCESS);
    }
    let what = match &outcome.fixed {
        Some(action) => format!(
            "fixed by {}",
            kb.action(action)
                .map_or(action.clone(), |a| kb::in_sentence(&a.name))
        ),
        None => "not fixed by anything tried".to_owned(),
    };
    let on = device.map_or("an unknown model".to_owned(), |d| d.model.clone());
    let bench = case
        .bench
        .as_deref()
        .map(|b| format!(" on bench {b}"))
        .unwrap_or_default();
    output::line(
        output::wrap(
            &format!(
                "Recorded case {id}{bench}: {} on {on}, {what}.",
                kb::display_code(code)
            ),
            "",
        )
        .trim_end(),
    )?;
    output::line(paint(
        DIM,
        "The planner counts it from now on: restore-doctor learn --show",
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `history --import FILE`: every case of a cases file, all stored in one go or none.
pub fn import(db: Option<&Path>, path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let shown = kb::text::printable(&path.display().to_string()).into_owned();
    let file = std::fs::File::open(path)
        .map_err(|e| UsageError::new(format!("cannot read {shown}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_IMPORT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_IMPORT {
        return Err(UsageError::new(format!(
            "{shown} is larger than {} MB; split it",
            MAX_IMPORT >> 20
        ))
        .into());
    }
    let text = String::from_utf8_lossy(&bytes);
    let cases = kb::parse_cases(&text).map_err(|e| UsageError::new(format!("{shown}: {e}")))?;
    let mut outcomes = Vec::new();
    let mut skipped = Vec::new();
    for case in &cases {
        let Some(resolution) = kb.resolution(&case.resolved_by) else {
            skipped.push(case.id.clone());
            continue;
        };
        let reading = kb.read_case(case);
        let fixed = match resolution.group {
            OutcomeGroup::Unresolved => None,
            _ => resolution
                .actions
                .iter()
                .find(|a| kb.action(a).is_some())
                .cloned(),
        };
        let outcome = Outcome {
            code: reading.code,
            product_type: reading.device.map(|d| d.product_type.as_str()),
            observations: reading.observations,
            failed: reading.failed,
            fixed,
            port: None,
        };
        outcomes.push((outcome.ledger(), Some(case.confidence.id())));
    }
    let mut store = case_store::open(db)?;
    let ids = store.import(&outcomes)?;
    let fixed = outcomes
        .iter()
        .filter(|(l, _)| l.status() == CaseStatus::Fixed)
        .count();
    if json {
        output::print_json(&json!({
            "imported": ids.len(),
            "fixed": fixed,
            "unresolved": ids.len() - fixed,
            "skipped": skipped,
            "cases": ids,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    output::line(format!(
        "Imported {} case(s) from {shown} into {}: {fixed} fixed, {} not fixed by anything tried.",
        ids.len(),
        store.location(),
        ids.len() - fixed
    ))?;
    if !skipped.is_empty() {
        output::line(output::wrap(
            &format!(
                "Skipped {}: their outcome (resolved_by) is not one the knowledge base knows ({}).",
                skipped.len(),
                skipped.join(", ")
            ),
            "",
        ).trim_end())?;
    }
    Ok(ExitCode::SUCCESS)
}
