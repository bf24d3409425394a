//! Restore logs on disk: where Finder, iTunes and Apple Devices keep them, which files a
//! command should read (the newest first), and reading one with a progress bar for big files.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use logs::LogReport;

use crate::usage_error::UsageError;

/// Most files read from directories and default locations in one run.
const MAX_FILES: usize = 200;
/// How deep directories are walked.
const MAX_DEPTH: usize = 4;
/// Most files looked at (their modification time) in one run; past that the count of files
/// left out is a lower bound, and said so.
const MAX_SEEN: usize = 200_000;
/// Bytes of each file looked at to tell text from binary.
const SAMPLE: usize = 64 * 1024;
/// Files at least this big get a progress bar on a terminal.
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
    let mut newest = Newest::new(20);
    for dir in default_locations() {
        walk(&dir, &mut newest);
    }
    for path in current_directory_logs() {
        newest.offer(modified(&path), path);
    }
    let mut files = newest.after(Vec::new()).files;
    files.retain(|p| modified(p).elapsed().is_ok_and(|age| age < week));
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

/// Offers the files under `dir` (at most [`MAX_DEPTH`] folders down; links not followed).
fn walk(dir: &Path, newest: &mut Newest) {
    let files = walkdir::WalkDir::new(dir)
        .max_depth(MAX_DEPTH + 1)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file());
    for entry in files {
        if newest.full() {
            return;
        }
        let time = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        newest.offer(time, entry.into_path());
    }
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The newest `keep` files of all those offered, by modification time (then by path), and how
/// many were offered: memory stays bounded by `keep` in a folder of any size.
struct Newest {
    keep: usize,
    /// The oldest kept file on top, to be pushed out by a newer one.
    heap: BinaryHeap<Reverse<(SystemTime, PathBuf)>>,
    seen: usize,
}

impl Newest {
    fn new(keep: usize) -> Newest {
        Newest {
            keep,
            heap: BinaryHeap::with_capacity(keep + 1),
            seen: 0,
        }
    }

    /// Whether [`MAX_SEEN`] files were looked at: the rest are not.
    fn full(&self) -> bool {
        self.seen >= MAX_SEEN
    }

    fn offer(&mut self, time: SystemTime, path: PathBuf) {
        self.seen += 1;
        self.heap.push(Reverse((time, path)));
        if self.heap.len() > self.keep {
            self.heap.pop();
        }
    }

    /// The files `given` (at most `keep` of them), then as many of the newest kept as there is
    /// room for, newest first.
    fn after(self, mut given: Vec<PathBuf>) -> Collected {
        let offered = given.len() + self.seen;
        given.truncate(self.keep);
        let room = self.keep - given.len();
        given.extend(
            self.heap
                .into_sorted_vec()
                .into_iter()
                .take(room)
                .map(|Reverse((_, path))| path),
        );
        Collected {
            left_out: offered - given.len(),
            left_out_at_least: self.seen >= MAX_SEEN,
            files: given,
        }
    }
}

/// The files a command will read (the newest first), and how many more there were past the
/// limit.
pub struct Collected {
    pub files: Vec<PathBuf>,
    pub left_out: usize,
    /// The folders held more files than were looked at: `left_out` is a lower bound.
    pub left_out_at_least: bool,
}

/// The files to read: the files given, in the order given, then the files of the folders given
/// (or of the default locations), newest first, up to [`MAX_FILES`] in all. A path that exists
/// but is not a file or folder (a device, a pipe) is kept, so it can be reported by name rather
/// than called missing.
pub fn collect(paths: &[PathBuf]) -> anyhow::Result<Collected> {
    let mut given = Vec::new();
    let mut newest = Newest::new(MAX_FILES);
    if paths.is_empty() {
        for dir in default_locations() {
            walk(&dir, &mut newest);
        }
        if newest.seen == 0 {
            for path in current_directory_logs() {
                newest.offer(modified(&path), path);
            }
        }
    }
    for path in paths {
        if path.is_dir() {
            walk(path, &mut newest);
        } else if path.as_os_str() == "-" || std::fs::metadata(path).is_ok() {
            given.push(path.clone());
        } else {
            return Err(UsageError::new(format!(
                "{}: no such file or directory",
                kb::text::one_line(&path.display().to_string())
            ))
            .into());
        }
    }
    Ok(newest.after(given))
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
    if path.as_os_str() != "-" {
        match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => return Examined::Skipped(Skipped::NotAFile),
            Err(e) => return Examined::Skipped(Skipped::Unreadable(e.to_string())),
            Ok(_) => {}
        }
    }
    let input = match Input::open(path) {
        Ok(input) => input,
        Err(e) => return Examined::Skipped(Skipped::Unreadable(e.to_string())),
    };
    if logs::is_binary(&input.head) {
        return Examined::Skipped(Skipped::Binary);
    }
    let head = input.head[..input.head.len().min(8192)].to_vec();
    match analyze(kb, path, input) {
        Ok(report) => Examined::Read {
            restore_log: is_restore_log(&report, &head),
            report: Box::new(report),
        },
        // "cannot be read: cannot read the log: …" says it twice; the reason is enough.
        Err(e) => Examined::Skipped(Skipped::Unreadable(
            std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string),
        )),
    }
}

/// A file or standard input opened for reading, with its first bytes already taken.
struct Input {
    head: Vec<u8>,
    rest: Box<dyn Read + Send>,
    /// The size on disk (0 for standard input).
    size: u64,
}

impl Input {
    /// Opens `path` (standard input for `-`, read with the same cap as an unpacked file) and
    /// takes its first [`SAMPLE`] bytes.
    fn open(path: &Path) -> std::io::Result<Input> {
        let (mut reader, size): (Box<dyn Read + Send>, u64) = if path.as_os_str() == "-" {
            let stdin = logs::Limited::new(std::io::stdin(), logs::MAX_UNPACKED, "standard input");
            (Box::new(stdin), 0)
        } else {
            let file = std::fs::File::open(path)?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            (Box::new(file), size)
        };
        let mut head = Vec::with_capacity(SAMPLE);
        (&mut reader).take(SAMPLE as u64).read_to_end(&mut head)?;
        Ok(Input {
            head,
            rest: reader,
            size,
        })
    }

    /// Everything, the first bytes included.
    fn reader(self) -> impl Read + Send + 'static {
        std::io::Cursor::new(self.head).chain(self.rest)
    }
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
    let shown = || kb::text::one_line(&path.display().to_string()).into_owned();
    if path.as_os_str() != "-" && std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(UsageError::new(format!("{}: {}", shown(), Skipped::NotAFile)).into());
    }
    let input =
        Input::open(path).map_err(|e| UsageError::new(format!("cannot read {}: {e}", shown())))?;
    Ok(analyze(kb, path, input)?)
}

/// Analyses an opened input, with a progress bar on a terminal for a big file.
fn analyze(kb: &kb::Kb, path: &Path, input: Input) -> Result<LogReport, logs::LogError> {
    let size = input.size;
    let bar = (size >= PROGRESS_FROM && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "  reading {msg}: [{bar:30}] {percent:>3} % of {total_bytes}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(kb::text::one_line(&path.display().to_string()).into_owned());
        bar
    });
    let mut progress = |read: u64| {
        if let Some(bar) = &bar {
            bar.set_position(read);
        }
    };
    let report = logs::analyze_reader(kb, input.reader(), &mut progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report
}
