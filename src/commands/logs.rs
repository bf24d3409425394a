//! `restore-doctor logs [PATH...]`: reads restore logs (files, directories, or the places the OS
//! keeps them) and says per file which tool wrote it, the code, the phase, the operation, the
//! signing-server answer, the disconnects and what that implies.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use logs::LogReport;
use serde::Serialize;

use crate::cli::LogsArgs;
use crate::commands::knowledge;
use crate::output::{self, DIM, STRONG, WARN, WIDTH, paint};
use crate::usage_error::UsageError;

/// Most files read from directories and default locations in one run.
const MAX_FILES: usize = 200;
/// How deep directories are walked.
const MAX_DEPTH: usize = 4;
/// Files at least this big get a progress line on a terminal.
const PROGRESS_FROM: u64 = 64 * 1024 * 1024;

/// Where Finder, iTunes and Apple Devices keep restore logs, per OS (existing ones only).
pub fn default_locations() -> Vec<PathBuf> {
    let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
    let mut places = Vec::new();
    if let Some(home) = env("HOME") {
        // macOS: iTunes' and Finder's updater logs and the MobileDevice crash-reporter folder.
        places.push(home.join("Library/Logs/iPhone Updater Logs"));
        places.push(home.join("Library/Logs/CrashReporter/MobileDevice"));
        places.push(home.join("Library/Logs/MobileDevice"));
    }
    for var in ["APPDATA", "LOCALAPPDATA"] {
        if let Some(base) = env(var) {
            // Windows: iTunes / Apple Devices keep the same two folders under Apple Computer\Logs.
            places.push(base.join("Apple Computer/Logs/iPhone Updater Logs"));
            places.push(base.join("Apple Computer/Logs/CrashReporter/MobileDevice"));
        }
    }
    places.push(PathBuf::from("/Library/Logs/MobileDevice"));
    places.into_iter().filter(|p| p.is_dir()).collect()
}

/// Logs in the default locations changed within the last week, newest first.
pub fn recent_default_logs() -> Vec<PathBuf> {
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    let mut files = Vec::new();
    for dir in default_locations() {
        walk(&dir, 0, &mut files);
    }
    files.retain(|p| modified(p).elapsed().is_ok_and(|age| age < week));
    files.sort_by_key(|p| std::cmp::Reverse(modified(p)));
    files.truncate(20);
    files
}

/// Files worth reading in the current directory when nothing else is found.
fn current_directory_logs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(".") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            (name.contains("restore")
                || name.contains("updater")
                || name.ends_with(".log")
                || name.ends_with(".log.gz"))
                && !name.ends_with(".json")
        })
        .collect()
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH || out.len() >= MAX_FILES * 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, depth + 1, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The files to read: given paths (directories walked), or the default locations, newest first.
pub fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if paths.is_empty() {
        for dir in default_locations() {
            walk(&dir, 0, &mut files);
        }
        if files.is_empty() {
            files = current_directory_logs();
        }
    } else {
        for path in paths {
            if path.is_dir() {
                walk(path, 0, &mut files);
            } else if path.is_file() || path.as_os_str() == "-" {
                files.push(path.clone());
            } else {
                return Err(UsageError::new(format!(
                    "{}: no such file or directory",
                    path.display()
                ))
                .into());
            }
        }
    }
    files.sort_by_key(|p| std::cmp::Reverse(modified(p)));
    files.truncate(MAX_FILES);
    Ok(files)
}

/// Reads one file (or standard input for `-`).
pub fn read(kb: &kb::Kb, path: &Path) -> anyhow::Result<LogReport> {
    if path.as_os_str() == "-" {
        return Ok(logs::analyze_reader(kb, std::io::stdin(), &mut |_| {})?);
    }
    let file = std::fs::File::open(path)
        .map_err(|e| UsageError::new(format!("cannot read {}: {e}", path.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let show = size >= PROGRESS_FROM && std::io::stderr().is_terminal();
    let mut last_percent = u64::MAX;
    let mut progress = |read: u64| {
        let percent = read * 100 / size.max(1);
        if show && percent != last_percent {
            last_percent = percent;
            anstream::eprint!(
                "\r  reading {}: {percent:>3} % of {} MB ",
                path.display(),
                size >> 20
            );
        }
    };
    let report = logs::analyze_reader(kb, file, &mut progress)?;
    if show {
        anstream::eprintln!();
    }
    Ok(report)
}

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

fn phase_words(phase: &str) -> &'static str {
    match phase {
        "extract" => "downloading or unpacking the software",
        "personalize" => "asking Apple to sign the software",
        "recovery-boot" => "preparing the phone, before the restore system was running",
        "restore-os" => "writing the new system to the phone",
        "firmware" => "updating the phone's firmware, modem or other chips",
        "finalize" => "the final steps (factory data, system patch, final status)",
        _ => "",
    }
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
            let _ = writeln!(out, " · failed while {} ({p})", phase_words(p));
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
            WIDTH,
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
    let files = collect(&args.paths)?;
    if files.is_empty() {
        anstream::println!("No restore logs found. Looked in:");
        for dir in default_locations() {
            anstream::println!("  {}", dir.display());
        }
        anstream::println!("  the current directory (files named *restore*, *updater* or *.log)");
        anstream::println!("Pass a file or folder: restore-doctor logs PATH");
        return Ok(ExitCode::from(1));
    }
    let mut reports = Vec::new();
    for path in &files {
        reports.push((path.clone(), read(kb, path)?));
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
