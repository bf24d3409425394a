//! `restore-doctor logs [PATH...]`: reads restore logs (files, directories, or the places the OS
//! keeps them) and says per file which tool wrote it, the code, the phase, the operation, the
//! signing-server answer, the disconnects and what that implies.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kb::Phase;
use kb::text::{one_line, printable};
use logs::LogReport;
use serde::Serialize;

use crate::cli::LogsArgs;
use crate::knowledge::knowledge;
use crate::log_files::{self, Examined};
use crate::output::{self, DIM, STRONG, WARN, paint};

/// What `logs --json` prints. Made into a `serde_json::Value` to mask identifiers, so its keys
/// come out in alphabetical order (see [`output::print_json`]).
#[derive(Serialize)]
struct LogsJson<'a> {
    files: Vec<FileJson<'a>>,
    /// Files found but not read (more than a folder's share).
    left_out: usize,
}

/// One file in `logs --json`: the report (`restore_log` false when it is not one, with no
/// code or phase claimed), or why it was skipped.
#[derive(Serialize)]
struct FileJson<'a> {
    path: String,
    restore_log: bool,
    #[serde(flatten)]
    read: FileRead<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum FileRead<'a> {
    Log(&'a LogReport),
    /// Read, but no tool's restore log: its length, and `null` where a log says its format,
    /// code and phase.
    NotALog {
        format: Option<&'static str>,
        final_code: Option<i64>,
        phase: Option<Phase>,
        lines: u64,
    },
    Skipped {
        skipped: String,
    },
}

/// A report as text.
pub fn report_text(path: &Path, r: &LogReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · {} · {} lines",
        paint(STRONG, &one_line(&path.display().to_string())),
        writer(r),
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
    if let Some(step) = &r.failed_step {
        let what = if step.role == "cause" {
            "Failed at"
        } else {
            "Last failure reported"
        };
        out.push_str(&output::wrap(
            &format!("{what} (line {}): {}", step.line, step.context),
            "  ",
        ));
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
        if let Some(meaning) = t.meaning {
            out.push_str(&output::wrap(
                &format!("{} {meaning}", paint(WARN, "→")),
                "    ",
            ));
        }
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

/// Which program wrote the log, in words, and what it is built on.
fn writer(r: &LogReport) -> String {
    let Some(id) = r.format else {
        return "unknown".to_owned();
    };
    if id == "dialog" {
        return "text a person pasted (no tool's output)".to_owned();
    }
    let kb = knowledge().ok();
    let name = kb
        .and_then(|kb| kb.tool_messages().tool(id))
        .map_or(id, |t| t.name.as_str());
    match r.built_on {
        Some(base) if base != id => format!("{name}, built on {base}"),
        _ => name.to_owned(),
    }
}

pub fn run(args: &LogsArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let collected = log_files::collect(&args.paths)?;
    if collected.files.is_empty() {
        output::line("No restore logs found. Looked in:")?;
        for dir in log_files::default_locations() {
            output::line(format!("  {}", one_line(&dir.display().to_string())))?;
        }
        output::line("  the current directory (files named *restore*, *updater* or *.log)")?;
        output::line("Pass a file or folder: restore-doctor logs PATH")?;
        return Ok(ExitCode::from(1));
    }
    let examined: Vec<(PathBuf, Examined)> = collected
        .files
        .iter()
        .map(|path| (path.clone(), log_files::examine(kb, path)))
        .collect();
    let any_log = examined.iter().any(|(_, e)| {
        matches!(
            e,
            Examined::Read {
                restore_log: true,
                ..
            }
        )
    });
    let conceal = |text: String| {
        if args.show_ids {
            text
        } else {
            kb::text::redact_identifiers(&text)
        }
    };
    if args.json {
        let files = LogsJson {
            files: examined
                .iter()
                .map(|(path, e)| file_json(path, e))
                .collect(),
            left_out: collected.left_out,
        };
        let mut value = serde_json::to_value(files)?;
        if !args.show_ids {
            kb::text::redact_json(&mut value);
        }
        output::print_json(&value)?;
    } else {
        for (i, (path, e)) in examined.iter().enumerate() {
            if i > 0 {
                output::line("")?;
            }
            let name = paint(STRONG, &one_line(&path.display().to_string()));
            let text = match e {
                Examined::Read {
                    report,
                    restore_log: true,
                } => report_text(path, report),
                Examined::Read { report, .. } => format!(
                    "{name} · not a restore log ({} lines: no restore tool's output, no error code or phase)\n",
                    report.lines
                ),
                Examined::Skipped(why) => format!("{name} · {why}\n"),
            };
            output::line(output::fit(conceal(text).trim_end()))?;
        }
        if collected.left_out > 0 {
            let more = if collected.left_out_at_least {
                "At least "
            } else {
                ""
            };
            output::line(output::fit(&paint(
                WARN,
                &format!(
                    "\n{more}{} more file(s) were not read: only the newest {} by modification time were. Pass a file or a smaller folder to read the others.",
                    collected.left_out,
                    collected.files.len()
                ),
            )))?;
        }
    }
    Ok(if any_log {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn file_json<'a>(path: &Path, examined: &'a Examined) -> FileJson<'a> {
    let (restore_log, read) = match examined {
        Examined::Read {
            report,
            restore_log: true,
        } => (true, FileRead::Log(report)),
        Examined::Read { report, .. } => (
            false,
            FileRead::NotALog {
                format: None,
                final_code: None,
                phase: None,
                lines: report.lines,
            },
        ),
        Examined::Skipped(why) => (
            false,
            FileRead::Skipped {
                skipped: why.to_string(),
            },
        ),
    };
    FileJson {
        path: printable(&path.display().to_string()).into_owned(),
        restore_log,
        read,
    }
}
