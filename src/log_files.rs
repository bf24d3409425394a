//! Restore logs on disk: where Finder, iTunes and Apple Devices keep them, which files a
//! command should read, and reading one with a progress line for big files.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use logs::LogReport;

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

/// Logs in the default locations and restore logs in the current directory, changed within
/// the last week, newest first.
pub fn recent_default_logs() -> Vec<PathBuf> {
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    let mut files = Vec::new();
    for dir in default_locations() {
        walk(&dir, &mut files);
    }
    files.extend(current_directory_logs());
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

/// Adds the files under `dir` (at most [`MAX_DEPTH`] folders down; links not followed).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let files = walkdir::WalkDir::new(dir)
        .max_depth(MAX_DEPTH + 1)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path);
    let room = (MAX_FILES * 4).saturating_sub(out.len());
    out.extend(files.take(room));
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The files a command will read, and how many more there were past the limit.
pub struct Collected {
    pub files: Vec<PathBuf>,
    pub left_out: usize,
}

/// The files to read: files named on the command line in the order given; what a folder or
/// the default locations hold, newest first. A path that exists but is not a file or folder (a
/// device, a pipe) is kept, so it can be reported by name rather than called missing.
pub fn collect(paths: &[PathBuf]) -> anyhow::Result<Collected> {
    let mut files = Vec::new();
    if paths.is_empty() {
        for dir in default_locations() {
            walk(&dir, &mut files);
        }
        if files.is_empty() {
            files = current_directory_logs();
        }
        files.sort_by_key(|p| std::cmp::Reverse(modified(p)));
    } else {
        for path in paths {
            if path.is_dir() {
                let mut found = Vec::new();
                walk(path, &mut found);
                found.sort_by_key(|p| std::cmp::Reverse(modified(p)));
                files.extend(found);
            } else if path.as_os_str() == "-" || std::fs::metadata(path).is_ok() {
                files.push(path.clone());
            } else {
                return Err(UsageError::new(format!(
                    "{}: no such file or directory",
                    kb::text::printable(&path.display().to_string())
                ))
                .into());
            }
        }
    }
    let left_out = files.len().saturating_sub(MAX_FILES);
    files.truncate(MAX_FILES);
    Ok(Collected { files, left_out })
}

/// Why a file was not read as a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// A device, a pipe or a socket, not a file.
    NotAFile,
    /// Binary data (a program, an image, random bytes), not text.
    Binary,
    /// It could not be opened or read (the reason).
    Unreadable(String),
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skipped::NotAFile => write!(f, "not a regular file (a device or a pipe); not read"),
            Skipped::Binary => write!(f, "a binary file, not a text log; skipped"),
            Skipped::Unreadable(why) => write!(f, "cannot be read: {why}"),
        }
    }
}

/// What reading one file gave.
pub enum Examined {
    /// It was read; `restore_log` says whether it is a restore log at all.
    Read {
        report: Box<LogReport>,
        restore_log: bool,
    },
    Skipped(Skipped),
}

/// Reads one file as the `logs` command does: special and binary files are skipped, a
/// broken file is reported rather than stopping the run, and what was read is checked for
/// being a restore log at all.
pub fn examine(kb: &kb::Kb, path: &Path) -> Examined {
    let head = if path.as_os_str() == "-" {
        Vec::new()
    } else {
        match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => return Examined::Skipped(Skipped::NotAFile),
            Err(e) => return Examined::Skipped(Skipped::Unreadable(e.to_string())),
            Ok(_) => match read_head(path) {
                Ok(head) => head,
                Err(e) => return Examined::Skipped(Skipped::Unreadable(e.to_string())),
            },
        }
    };
    if looks_binary(&head) {
        return Examined::Skipped(Skipped::Binary);
    }
    match read(kb, path) {
        Ok(report) => Examined::Read {
            restore_log: is_restore_log(&report, &head),
            report: Box::new(report),
        },
        Err(e) => Examined::Skipped(Skipped::Unreadable(e.to_string())),
    }
}

/// The first bytes of a file, enough to tell text from binary.
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(8192)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// Binary rather than text: zero bytes or many control bytes, unless it is gzip or UTF-16
/// (whose zero bytes fall on every other position).
fn looks_binary(head: &[u8]) -> bool {
    if head.is_empty() || head.starts_with(&[0x1f, 0x8b]) {
        return false;
    }
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return false;
    }
    let zeros_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let half = head.len() / 2 + 1;
    let (even, odd) = (zeros_at(0), zeros_at(1));
    let utf16 =
        (even * 10 > half * 4 && odd * 20 < half) || (odd * 10 > half * 4 && even * 20 < half);
    if utf16 {
        return false;
    }
    let controls = head
        .iter()
        .filter(|b| matches!(**b, 0..=8 | 0x0e..=0x1a | 0x1c..=0x1f))
        .count();
    even + odd > 0 || controls * 10 > head.len()
}

/// A restore log (or a pasted restore message) rather than some other text: it has lines,
/// shows a code, a phase, a finding, a signing answer or a disconnect, and is not
/// documentation or source code that merely mentions them.
fn is_restore_log(report: &LogReport, head: &[u8]) -> bool {
    // A restore tool's own lines make a restore log, whatever else the file says.
    let a_tool_wrote_it = report.format.is_some_and(|f| f != "dialog");
    let says_something = a_tool_wrote_it
        || report.final_code.is_some()
        || report.phase.is_some()
        || !report.findings.is_empty()
        || !report.tss.is_empty()
        || !report.disconnects.is_empty();
    if report.lines == 0 || !says_something {
        return false;
    }
    let text = String::from_utf8_lossy(head);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let prose = lines
        .iter()
        .filter(|l| {
            let l = l.trim_start();
            [
                "#", "```", "|", "- ", "* ", "> ", "//", "fn ", "use ", "let ", "pub ", "[[",
            ]
            .iter()
            .any(|m| l.starts_with(m))
        })
        .count();
    // A page of Markdown or code, not a log someone saved or pasted (a short log with a few
    // comment lines on top is still a log).
    !(lines.len() >= 20 && prose * 10 >= lines.len() * 3)
}

/// Reads one file (or standard input for `-`).
pub fn read(kb: &kb::Kb, path: &Path) -> anyhow::Result<LogReport> {
    if path.as_os_str() == "-" {
        return Ok(logs::analyze_reader(kb, std::io::stdin(), &mut |_| {})?);
    }
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(UsageError::new(format!(
            "{}: {}",
            kb::text::printable(&path.display().to_string()),
            Skipped::NotAFile
        ))
        .into());
    }
    let file = std::fs::File::open(path).map_err(|e| {
        UsageError::new(format!(
            "cannot read {}: {e}",
            kb::text::printable(&path.display().to_string())
        ))
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let show = size >= PROGRESS_FROM && std::io::stderr().is_terminal();
    let mut last_percent = u64::MAX;
    let mut progress = |read: u64| {
        let percent = read * 100 / size.max(1);
        if show && percent != last_percent {
            last_percent = percent;
            anstream::eprint!(
                "\r  reading {}: {percent:>3} % of {} MB ",
                kb::text::printable(&path.display().to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_is_told_from_text_gzip_and_utf16() {
        assert!(looks_binary(b"\x7fELF\x02\x01\x01\0\0\0\0\0"));
        assert!(!looks_binary(b"2026-01-01 idevicerestore: error 4013\n"));
        assert!(!looks_binary(&[0x1f, 0x8b, 8, 0, 0, 0]));
        let utf16: Vec<u8> = "error 4013 while restoring\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(!looks_binary(&utf16));
    }
}
