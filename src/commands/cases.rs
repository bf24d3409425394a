//! `restore-doctor history` and `restore-doctor report [CASE]`: the case history of devices
//! and bench ports (and deleting from it), and reports for a forum, a repair shop or tools.

use std::process::ExitCode;

use jiff::Timestamp;
use kb::text::one_line;
use serde::Serialize;
use store::{Filter, StoredCase};

use crate::cli::{HistoryArgs, ReportArgs, ReportFormat};
use crate::knowledge::knowledge;
use crate::ops::Context;
use crate::output::{self, DIM, STRONG, paint};
use crate::usage_error::UsageError;

#[derive(Serialize)]
struct HistoryJson {
    cases: Vec<serde_json::Value>,
    ports: Vec<store::PortHistory>,
    benches: Vec<store::BenchHistory>,
}

/// A `YYYY-MM-DD` date as the start of that day in UTC; an impossible date is a usage error.
fn day(flag: &str, text: &str) -> anyhow::Result<Timestamp> {
    when(text, &jiff::Zoned::now()).ok_or_else(|| {
        UsageError::new(format!(
            "{flag} takes a date (2026-11-01), today, yesterday, or a time back from now (7d, 2 weeks); '{}' is none of these",
            kb::text::printable(text)
        ))
        .into()
    })
}

/// A point in time as a person writes it, in their own time zone: a date (its midnight),
/// `today`, `yesterday`, or a span back from `now` (`7d`, `2 weeks`, `3 days ago`).
fn when(text: &str, now: &jiff::Zoned) -> Option<Timestamp> {
    let text = text.trim().to_lowercase();
    let midnight = |date: jiff::civil::Date| {
        date.to_zoned(now.time_zone().clone())
            .ok()
            .map(|z| z.timestamp())
    };
    match text.as_str() {
        "today" => return midnight(now.date()),
        "yesterday" => return midnight(now.date().yesterday().ok()?),
        _ => {}
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return midnight(date);
    }
    let span: jiff::Span = text.trim_end_matches(" ago").parse().ok()?;
    now.checked_sub(span.abs()).ok().map(|z| z.timestamp())
}

/// `history`; `bench` (the global `--bench`) keeps one bench's cases.
pub fn history(ctx: &Context, bench: Option<&str>, args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    if let Some(id) = &args.delete {
        let mut store = ctx.open_store()?;
        let id = store.delete(id).map_err(not_found(&store))?;
        output::line(format!("Deleted case {id}."))?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.prune {
        let before = day("--before", args.before.as_deref().unwrap_or_default())?;
        let mut store = ctx.open_store()?;
        let n = store.prune(before)?;
        output::line(format!(
            "Deleted {n} case(s) last touched before {}.",
            args.before.as_deref().unwrap_or_default()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let code = match &args.code {
        Some(text) => Some(kb::parse_code(text).map_err(|e| UsageError::new(e.to_string()))?),
        None => None,
    };
    let since = args
        .since
        .as_deref()
        .map(|s| day("--since", s))
        .transpose()?;
    // A model name matches every product type the kb knows it by (iPhone 7: 9,1 and 9,3), and
    // the cases where only the model was known (recorded by its name).
    let product_types = match args.device.as_deref().map(|d| kb.find_device(d)) {
        Some(Ok(found)) => kb
            .devices
            .iter()
            .filter(|d| d.model == found.model)
            .map(|d| d.product_type.clone())
            .chain(std::iter::once(found.model.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let filter = Filter {
        device: args.device.clone(),
        product_types,
        code,
        since,
        port: args.port.clone(),
        bench: bench.map(str::to_owned),
        limit: 200,
    };
    let Some(store) = ctx.open_to_read()? else {
        return no_history(ctx, args.json);
    };
    let cases = store.history(&filter)?;
    let ports = store.ports(since)?;
    let benches = store.benches(since)?;
    if args.json {
        output::print_json(&HistoryJson {
            cases: cases.iter().map(|c| report::json(kb, c, false)).collect(),
            ports,
            benches,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if cases.is_empty() {
        output::line(format!("No cases match in {}.", store.location()))?;
        return Ok(ExitCode::SUCCESS);
    }
    for case in &cases {
        output::line(output::fit(&case_line(kb, case)))?;
    }
    let troubled: Vec<_> = ports
        .iter()
        .filter(|p| p.drops + p.needs_repair > 0)
        .collect();
    if !troubled.is_empty() {
        output::line(format!("\n{}", paint(STRONG, "Bench ports")))?;
        for p in troubled {
            let bench = p
                .bench
                .as_deref()
                .map(|b| format!("{} ", one_line(b)))
                .unwrap_or_default();
            output::line(format!(
                "  {bench}{}: {} case(s), {} drop(s), {} sent to repair",
                one_line(&p.port),
                p.cases,
                p.drops,
                p.needs_repair
            ))?;
        }
    }
    if benches.len() > 1 {
        output::line(format!("\n{}", paint(STRONG, "Benches")))?;
        for b in &benches {
            output::line(format!(
                "  {}: {} case(s), {} fixed, {} sent to repair, {} drop(s)",
                b.bench.as_deref().map_or("(not named)".into(), one_line),
                b.cases,
                b.fixed,
                b.needs_repair,
                b.drops
            ))?;
        }
    }
    output::line(output::fit(&paint(
        DIM,
        "restore-doctor report CASE writes a case's report; history --delete CASE removes one.",
    )))?;
    Ok(ExitCode::SUCCESS)
}

/// One case in a line: id, when, model, code, status, steps, top cause.
fn case_line(kb: &kb::Kb, case: &StoredCase) -> String {
    let ledger = &case.ledger;
    let device = ledger
        .product_type()
        .map(|p| {
            kb.find_device(p)
                .map_or_else(|_| p.to_owned(), |d| d.model.clone())
        })
        .unwrap_or_else(|| "unknown model".to_owned());
    let code = ledger
        .code()
        .map_or_else(|| "no code".to_owned(), kb::display_code);
    let top = ledger
        .final_causes(kb)
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
    // A shop's shared history is written by every bench's program: its names stay on one line.
    let bench = case.bench.as_deref().map(one_line);
    let port = ledger.device.port.as_deref().map(one_line);
    let port = match (bench, port) {
        (Some(bench), Some(port)) => format!(" · {bench} port {port}"),
        (None, Some(port)) => format!(" · port {port}"),
        (Some(bench), None) => format!(" · {bench}"),
        (None, None) => String::new(),
    };
    format!(
        "{}  {}  {device} · {code}{port} · {} · {} step(s){top}",
        paint(STRONG, &case.id),
        case.created_at.strftime("%Y-%m-%d %H:%M"),
        ledger.status().words(),
        ledger.steps().len()
    )
}

fn no_history(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        output::print_json(&HistoryJson {
            cases: Vec::new(),
            ports: Vec::new(),
            benches: Vec::new(),
        })?;
    } else {
        output::line(format!(
            "No case history yet ({} does not exist).",
            ctx.location()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Turns "no such case" into a usage error that says where to look.
fn not_found(store: &store::Store) -> impl Fn(store::StoreError) -> anyhow::Error + '_ {
    move |e| match e {
        store::StoreError::NoCase(id) => UsageError::new(format!(
            "no case {id} in {}; restore-doctor history lists them",
            store.location()
        ))
        .into(),
        store::StoreError::Ambiguous { .. } => UsageError::new(e.to_string()).into(),
        other => anyhow::Error::from(other),
    }
}

pub fn report(ctx: &Context, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let Some(store) = ctx.open_to_read()? else {
        return Err(UsageError::new(format!(
            "no case history yet ({} does not exist); a `restore-doctor diagnose` session makes the first case",
            ctx.location()
        ))
        .into());
    };
    let case = match &args.case {
        Some(id) => store.case(id).map_err(not_found(&store))?,
        None => store
            .latest()?
            .ok_or_else(|| UsageError::new(format!("no cases yet in {}", store.location())))?,
    };
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
            anstream::eprintln!(
                "Wrote {} (case {}).",
                kb::text::one_line(&path.display().to_string()),
                case.id
            );
        }
        None => {
            use std::io::Write as _;
            let mut out = anstream::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::when;

    #[test]
    fn a_time_is_read_as_people_write_it() {
        let now: jiff::Zoned = "2026-12-07T15:30:00+01:00[Europe/Paris]".parse().unwrap();
        let at = |text: &str| when(text, &now).map(|t| t.to_zoned(now.time_zone().clone()));
        let midnight = |day: &str| Some(format!("{day}T00:00:00+01:00[Europe/Paris]"));
        let shown = |text: &str| at(text).map(|z| z.to_string());
        assert_eq!(shown("today"), midnight("2026-12-07"));
        assert_eq!(shown("Yesterday"), midnight("2026-12-06"));
        assert_eq!(
            shown("2026-11-01"),
            Some("2026-11-01T00:00:00+01:00[Europe/Paris]".into())
        );
        assert_eq!(
            shown("7d"),
            Some("2026-11-30T15:30:00+01:00[Europe/Paris]".into())
        );
        assert_eq!(shown("2 weeks"), shown("14 days ago"));
        for nonsense in ["", "last tuesday", "2026-13-01", "7x", "-"] {
            assert_eq!(at(nonsense), None, "{nonsense}");
        }
    }
}
