//! `restore-doctor record` and `history --import`: finished cases written down elsewhere (at the
//! bench by hand, or a shop's old notes) stored like any other case, so the planner learns.

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use case::{Ledger, Subject};
use kb::{CaseStatus, EvidenceSource, Kb, OutcomeGroup, StepKind, StepOutcome};
use serde::Serialize;

use crate::cli::RecordArgs;
use crate::knowledge::{knowledge, resolve_model};
use crate::ops::Context;
use crate::output::{self, DIM, paint};
use crate::usage_error::UsageError;

/// What `history --import --json` prints. Fields in alphabetical order, the order this JSON
/// had when it was built as a `serde_json::Value` (see [`output::print_json`]).
#[derive(Serialize)]
struct ImportJson<'a> {
    /// The new cases' ids, in order.
    cases: &'a [String],
    /// New cases a step fixed.
    fixed: usize,
    imported: usize,
    /// Cases not stored, because already there or with an unknown outcome.
    skipped: Vec<&'a str>,
    unresolved: usize,
}

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

pub fn run(ctx: &Context, args: &RecordArgs) -> anyhow::Result<ExitCode> {
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
    let mut store = ctx.open_store()?;
    let id = store
        .import(&[store::Import {
            ledger: outcome.ledger(),
            confidence: Some(args.confidence.level().id()),
            source_id: None,
        }])?
        .ids
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
        .map(|b| format!(" on bench {}", kb::text::one_line(b)))
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

/// `history --import FILE`: every case of a cases file, all stored in one go or none; cases
/// already imported (by their id) are not added again. An unknown outcome refuses the file,
/// naming its line, unless `skip_unknown` (then the exit code is 1 when any was skipped).
pub fn import(
    ctx: &Context,
    path: &Path,
    skip_unknown: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let shown = kb::text::one_line(&path.display().to_string()).into_owned();
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
    let cases =
        kb::parse_case_lines(&text).map_err(|e| UsageError::new(format!("{shown}: {e}")))?;
    let mut outcomes = Vec::new();
    let mut unknown = Vec::new();
    for (line, case) in &cases {
        let Some(resolution) = kb.resolution(&case.resolved_by) else {
            unknown.push((*line, case));
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
        outcomes.push(store::Import {
            ledger: outcome.ledger(),
            confidence: Some(case.confidence.id()),
            source_id: Some(case.id.as_str()),
        });
    }
    if let (Some((line, case)), false) = (unknown.first(), skip_unknown) {
        return Err(UsageError::new(format!(
            "{shown}: line {line}: the outcome '{}' (resolved_by) is not one the knowledge base knows{}; nothing was imported (--skip-unknown imports the others)",
            kb::text::one_line(&kb::text::printable(&case.resolved_by)),
            match unknown.len() {
                1 => String::new(),
                n => format!(", nor are {} more", n - 1),
            }
        ))
        .into());
    }
    let mut store = ctx.open_store()?;
    let imported = store.import(&outcomes)?;
    let new: Vec<&store::Import> = outcomes
        .iter()
        .filter(|o| {
            o.source_id
                .is_none_or(|id| !imported.already.iter().any(|a| a == id))
        })
        .collect();
    let fixed = new
        .iter()
        .filter(|o| o.ledger.status() == CaseStatus::Fixed)
        .count();
    let added = imported.ids.len();
    let status = if unknown.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if json {
        let skipped: Vec<&str> = imported
            .already
            .iter()
            .map(String::as_str)
            .chain(unknown.iter().map(|(_, c)| c.id.as_str()))
            .collect();
        output::print_json(&ImportJson {
            cases: &imported.ids,
            fixed,
            imported: added,
            skipped,
            unresolved: added - fixed,
        })?;
        return Ok(status);
    }
    output::line(format!(
        "Imported {added} case(s) from {shown} into {}: {fixed} fixed, {} not fixed by anything tried.",
        store.location(),
        added - fixed
    ))?;
    if !imported.already.is_empty() {
        output::line(format!(
            "{} case(s) were already in the history (same id) and were not added again.",
            imported.already.len()
        ))?;
    }
    if !unknown.is_empty() {
        let mut lines: Vec<String> = unknown
            .iter()
            .take(10)
            .map(|(l, _)| l.to_string())
            .collect();
        if unknown.len() > 10 {
            lines.push(format!("and {} more", unknown.len() - 10));
        }
        output::line(
            output::wrap(
                &format!(
                    "Skipped {}: their outcome (resolved_by) is not one the knowledge base knows (lines {}).",
                    unknown.len(),
                    lines.join(", ")
                ),
                "",
            )
            .trim_end(),
        )?;
    }
    Ok(status)
}
