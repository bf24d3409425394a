//! `restore-doctor history` and `restore-doctor report CASE`: the case history of devices and
//! bench ports, and reports for a forum (Markdown), a repair shop (HTML) or tools (JSON).

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;
use store::{Filter, Store};

use crate::cli::{HistoryArgs, ReportArgs, ReportFormat};
use crate::commands::knowledge;
use crate::output::{self, DIM, STRONG, paint};
use crate::usage_error::UsageError;

/// Opens the case history at `--db` / `RESTORE_DOCTOR_DB`, or the default location.
pub fn open_store(db: Option<&Path>) -> anyhow::Result<Store> {
    let path = db.map_or_else(store::default_path, Path::to_owned);
    Ok(Store::open(&path)?)
}

#[derive(Serialize)]
struct HistoryJson {
    cases: Vec<serde_json::Value>,
    ports: Vec<store::PortHistory>,
}

pub fn history(db: Option<&Path>, args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let store = open_store(db)?;
    let code = match &args.code {
        Some(text) => Some(kb::parse_code(text).map_err(|e| UsageError::new(e.to_string()))?),
        None => None,
    };
    if let Some(since) = &args.since {
        let valid = since.len() == 10
            && since.chars().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !valid {
            return Err(UsageError::new(format!(
                "--since expects a date like 2026-11-01, not '{since}'"
            ))
            .into());
        }
    }
    let filter = Filter {
        device: args.device.clone(),
        code,
        since: args.since.clone(),
        port: args.port.clone(),
        limit: 200,
    };
    let cases = store.history(&filter)?;
    let ports = store.ports()?;
    if args.json {
        output::print_json(&HistoryJson {
            cases: cases.iter().map(|c| report::json(kb, c, false)).collect(),
            ports,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if cases.is_empty() {
        anstream::println!("No cases match in {}.", store.path().display());
        return Ok(ExitCode::SUCCESS);
    }
    for case in &cases {
        let device = case
            .model
            .clone()
            .or_else(|| case.product_type.clone())
            .unwrap_or_else(|| "unknown model".to_owned());
        let code = case
            .code
            .map_or_else(|| "no code".to_owned(), kb::display_code);
        let verdict: report::Verdict = case
            .verdict
            .as_deref()
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default();
        let top = verdict
            .causes
            .first()
            .and_then(|c| {
                kb.cause(&c.id).map(|k| {
                    format!(
                        " · top cause: {} {}",
                        k.name,
                        output::percent(c.probability)
                    )
                })
            })
            .unwrap_or_default();
        let when = case
            .created_at
            .get(..16)
            .unwrap_or(&case.created_at)
            .replace('T', " ");
        anstream::println!(
            "{}  {when}  {device} · {code} · {} · {} step(s){top}",
            paint(STRONG, &case.id),
            case.status,
            case.steps.len()
        );
    }
    let troubled: Vec<_> = ports
        .iter()
        .filter(|p| p.drops + p.needs_repair > 0)
        .collect();
    if !troubled.is_empty() {
        anstream::println!("\n{}", paint(STRONG, "Bench ports"));
        for p in troubled {
            anstream::println!(
                "  {}: {} case(s), {} drop(s), {} sent to repair",
                p.port,
                p.cases,
                p.drops,
                p.needs_repair
            );
        }
    }
    anstream::println!(
        "{}",
        paint(DIM, "restore-doctor report CASE writes a case's report.")
    );
    Ok(ExitCode::SUCCESS)
}

pub fn report(db: Option<&Path>, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let store = open_store(db)?;
    let case = store.case(&args.case).map_err(|e| match e {
        store::StoreError::NoCase(id) => UsageError::new(format!(
            "no case {id} in {}; restore-doctor history lists them",
            store.path().display()
        ))
        .into(),
        other => anyhow::Error::from(other),
    })?;
    let text = match args.format {
        ReportFormat::Md => report::markdown(kb, &case, args.show_ids),
        ReportFormat::Html => report::html(kb, &case, args.show_ids),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&report::json(kb, &case, args.show_ids))? + "\n"
        }
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| UsageError::new(format!("cannot write {}: {e}", path.display())))?;
            anstream::eprintln!("Wrote {}.", path.display());
        }
        None => anstream::print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
