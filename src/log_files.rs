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

/// Logs in the default locations changed within the last week, newest first.
pub fn recent_default_logs() -> Vec<PathBuf> {
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    let mut files = Vec::new();
    for dir in default_locations() {
        walk(&dir, &mut files);
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

/// The files to read: given paths (directories walked), or the default locations, newest first.
pub fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if paths.is_empty() {
        for dir in default_locations() {
            walk(&dir, &mut files);
        }
        if files.is_empty() {
            files = current_directory_logs();
        }
    } else {
        for path in paths {
            if path.is_dir() {
                walk(path, &mut files);
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
