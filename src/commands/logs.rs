//! `restore-doctor logs [PATH...]`: reads restore logs (files, directories, or the places the OS
//! keeps them) and says per file which tool wrote it, the code, the phase, the operation, the
//! signing-server answer, the disconnects and what that implies.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use logs::LogReport;
use serde::Serialize;

use crate::cli::LogsArgs;
use crate::knowledge::knowledge;
use crate::log_files;
use crate::output::{self, DIM, STRONG, WARN, paint};

#[derive(Serialize)]
struct FileJson<'a> {
    path: String,
    #[serde(flatten)]
    report: &'a LogReport,
}

#[derive(Serialize)]
struct LogsJson<'a> {
    files: Vec<FileJson<'a>>,
}

/// A report as text.
pub fn report_text(path: &Path, r: &LogReport) -> String {
    let mut out = String::new();
    let format = r.format.unwrap_or("unknown");
    let _ = writeln!(
        out,
        "{} · {format} · {} lines",
        paint(STRONG, &path.display().to_string()),
        r.lines
    );
    match r.final_code {
        Some(code) => {
            let _ = write!(out, "  Error {}", kb::display_code(code));
        }
        None => out.push_str("  No error code in this log"),
    }
    match r.phase {
        Some(p) => {
            let _ = writeln!(out, " · failed while {} ({p})", p.words());
        }
        None => out.push_str(" · phase not shown\n"),
    }
    if let Some(op) = &r.last_operation {
        let progress = op.progress.map(|p| format!("progress {p} %"));
        let line = match (&op.name, op.id) {
            (Some(n), Some(id)) => format!(
                "Last operation: {n} ({id}){}",
                progress.map(|p| format!(", {p}")).unwrap_or_default()
            ),
            (None, Some(id)) => format!(
                "Last operation: {id}{}",
                progress.map(|p| format!(", {p}")).unwrap_or_default()
            ),
            _ => format!("Device {}", progress.unwrap_or_default()),
        };
        let _ = writeln!(out, "  {line}");
    }
    for t in &r.tss {
        let code = t.code.map(|c| format!(" = error {c}")).unwrap_or_default();
        let message = t
            .message
            .as_ref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  Apple's signing server answered status {}{code}{message}",
            t.status
        );
    }
    for c in &r.checkpoint_failures {
        let name = c.name.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "  Device checkpoint failed: {} {name} (result {}, line {})",
            c.id, c.result, c.line
        );
    }
    let drops = r
        .disconnects
        .iter()
        .filter(|d| d.kind == "disconnect")
        .count();
    if drops > 0 {
        let last = r
            .disconnects
            .iter()
            .rev()
            .find(|d| d.kind == "disconnect")
            .expect("counted");
        let at = last
            .time
            .as_ref()
            .map(|t| format!(" at {t}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  Disconnects: {drops} (last{at}, line {}: {})",
            last.line, last.context
        );
    }
    for f in &r.findings {
        out.push_str(&output::wrap(
            &format!("{} {} (line {})", paint(WARN, "→"), f.text, f.line),
            "  ",
        ));
    }
    if r.final_code.is_some() || !r.observations.is_empty() {
        let mut command = "restore-doctor diagnose".to_owned();
        if let Some(code) = r.final_code {
            let _ = write!(command, " --code {}", kb::display_code(code));
        }
        for (q, a) in &r.observations {
            let _ = write!(command, " --observe {q}={a}");
        }
        let _ = writeln!(
            out,
            "  {}",
            paint(DIM, &format!("For the planner: {command}"))
        );
    }
    out
}

pub fn run(args: &LogsArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let files = log_files::collect(&args.paths)?;
    if files.is_empty() {
        anstream::println!("No restore logs found. Looked in:");
        for dir in log_files::default_locations() {
            anstream::println!("  {}", dir.display());
        }
        anstream::println!("  the current directory (files named *restore*, *updater* or *.log)");
        anstream::println!("Pass a file or folder: restore-doctor logs PATH");
        return Ok(ExitCode::from(1));
    }
    let mut reports = Vec::new();
    for path in &files {
        reports.push((path.clone(), log_files::read(kb, path)?));
    }
    if args.json {
        let files = reports
            .iter()
            .map(|(path, report)| FileJson {
                path: path.display().to_string(),
                report,
            })
            .collect();
        output::print_json(&LogsJson { files })?;
    } else {
        for (i, (path, report)) in reports.iter().enumerate() {
            if i > 0 {
                anstream::println!();
            }
            anstream::print!("{}", report_text(path, report));
        }
    }
    Ok(ExitCode::SUCCESS)
}
