//! Restore-log forensics: reads idevicerestore / futurerestore output, the device's own restore
//! log, iTunes logs, the macOS unified log and pasted dialogs, and says why the restore failed.
//!
//! Streaming with bounded memory: any size, gzip, UTF-16; a multi-literal prefilter picks the
//! few lines worth parsing. Pure apart from reading the `Read` it is given.

mod find;
mod input;
mod rules;

use std::io::Read;

use aho_corasick::AhoCorasick;
use kb::{Kb, Observation, Phase};
use serde::Serialize;

pub use input::{CHUNK, Encoding};
use rules::{CodeSource, Trigger};

/// Longest line examined; the rest of a longer line is skipped.
pub const MAX_LINE: usize = 64 * 1024;
/// Most items of each kind kept per file, so memory stays bounded on any input.
const MAX_ITEMS: usize = 500;
/// Characters of context kept per item.
const CONTEXT: usize = 240;

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the log: {0}")]
pub struct LogError(#[from] std::io::Error);

/// An error code with the line it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeHit {
    pub code: i64,
    pub line: u64,
    pub context: String,
}

/// The last restore operation seen (idevicerestore's numbering, also used by iTunes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    pub id: Option<u32>,
    pub name: Option<String>,
    pub progress: Option<i64>,
}

/// A signing-server (TSS) answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TssStatus {
    pub status: u32,
    pub message: Option<String>,
    /// The code iTunes showed for it, when the log says.
    pub code: Option<i64>,
    pub line: u64,
}

/// A failed device-side checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    pub id: String,
    pub name: Option<String>,
    pub result: i64,
    pub line: u64,
}

/// The device leaving or coming back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsbEvent {
    pub kind: &'static str,
    pub mode: Option<String>,
    pub time: Option<String>,
    pub line: u64,
    pub context: String,
}

/// A conclusion in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub line: u64,
    pub text: &'static str,
}

/// Everything read from one log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogReport {
    /// idevicerestore, restored (the device's own log), itunes-windows, itunes-mac,
    /// unified-log, futurerestore, or dialog (text a person pasted).
    pub format: Option<&'static str>,
    pub final_code: Option<i64>,
    pub codes: Vec<CodeHit>,
    pub phase: Option<Phase>,
    /// A tool's or component's own error number ("BBUpdater error 50", "ramrod error 1020"):
    /// not a code Finder, iTunes or Apple Devices shows, so never the `final_code`.
    pub tool_code: Option<i64>,
    /// Where the phase came from: `log` (the log's own lines) or `code` (the code's usual
    /// phase in the kb, when the log shows none), or `None` with no phase.
    pub phase_source: Option<&'static str>,
    pub last_operation: Option<Operation>,
    pub tss: Vec<TssStatus>,
    pub checkpoint_failures: Vec<Checkpoint>,
    pub disconnects: Vec<UsbEvent>,
    pub findings: Vec<Finding>,
    pub observations: Vec<(String, String)>,
    pub lines: u64,
    pub bytes: u64,
    pub encoding: &'static str,
    pub compressed: bool,
}

impl LogReport {
    /// The engine's observations from this log.
    pub fn kb_observations(&self) -> Vec<Observation> {
        self.observations
            .iter()
            .map(|(q, a)| Observation::new(q.clone(), a.clone()))
            .collect()
    }
}

/// Log formats, in the order the format triggers of `rules::TRIGGERS` number them.
const FORMATS: [&str; 6] = [
    "idevicerestore",
    "futurerestore",
    "restored",
    "itunes-windows",
    "itunes-mac",
    "unified-log",
];

/// What the literals found in one line set off.
#[derive(Debug, Default)]
struct Hits {
    formats: [bool; FORMATS.len()],
    /// The strongest phase hint (lower rank wins).
    phase: Option<(u8, Phase)>,
    code: bool,
    prose: bool,
    progress: bool,
    checkpoint: bool,
    tss: bool,
    usb: bool,
    findings: u32,
}

impl Hits {
    fn add(&mut self, trigger: Trigger) {
        match trigger {
            Trigger::Format(i) => self.formats[i] = true,
            Trigger::Phase(rank, phase) => {
                if self.phase.is_none_or(|(r, _)| rank < r) {
                    self.phase = Some((rank, phase));
                }
            }
            Trigger::Code => self.code = true,
            Trigger::Prose => self.prose = true,
            Trigger::Progress => self.progress = true,
            Trigger::Checkpoint => {
                self.checkpoint = true;
                self.formats[2] = true;
            }
            Trigger::Tss => self.tss = true,
            Trigger::Usb => self.usb = true,
            Trigger::Finding(i) => self.findings |= 1 << i,
        }
    }
}

fn short(line: &str) -> String {
    let printable = kb::text::printable(line);
    let trimmed = printable.trim();
    match trimmed.char_indices().nth(CONTEXT) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

fn push<T>(list: &mut Vec<T>, item: T) {
    if list.len() < MAX_ITEMS {
        list.push(item);
    }
}

/// Line-by-line state while reading one log.
struct Analyzer<'kb> {
    kb: &'kb Kb,
    report: LogReport,
    format_votes: [u32; FORMATS.len()],
    /// Codes from free prose ("error 4013"), kept apart: trusted only in pasted dialogs.
    prose_codes: Vec<CodeHit>,
    /// The last code seen, and the last from prose: lists stop growing, these never do.
    last_code: Option<(u64, i64)>,
    last_prose_code: Option<(u64, i64)>,
    latest_phase: Option<Phase>,
    /// The strongest phase named on a failure line, with its rank (lower is stronger).
    failure_phase: Option<(usize, Phase)>,
    /// A code a person said Apple's app showed ("iTunes gives error 9"): it is the code,
    /// whatever numbers the tool printed.
    app_code: Option<i64>,
    /// The component whose firmware update failed (baseband, gas-gauge, nfc), if a failure
    /// line named one.
    failed_component: Option<&'static str>,
    unexpected_disconnect: bool,
}

impl<'kb> Analyzer<'kb> {
    fn new(kb: &'kb Kb) -> Analyzer<'kb> {
        Analyzer {
            kb,
            report: LogReport::default(),
            format_votes: [0; FORMATS.len()],
            prose_codes: Vec::new(),
            last_code: None,
            last_prose_code: None,
            latest_phase: None,
            failure_phase: None,
            failed_component: None,
            app_code: None,
            unexpected_disconnect: false,
        }
    }

    fn code(&mut self, code: i64, line_no: u64, line: &str, source: CodeSource) {
        let list = if source == CodeSource::Dialog {
            self.last_prose_code = Some((line_no, code));
            &mut self.prose_codes
        } else {
            self.last_code = Some((line_no, code));
            &mut self.report.codes
        };
        if list.len() < MAX_ITEMS {
            list.push(CodeHit {
                code,
                line: line_no,
                context: short(line),
            });
        }
    }

    fn line(&mut self, no: u64, line: &str, hits: &Hits) {
        // Nothing read from a log keeps a terminal escape or another control character.
        let printable = kb::text::printable(line);
        let line = printable.as_ref();
        for (i, hit) in hits.formats.iter().enumerate() {
            self.format_votes[i] += u32::from(*hit);
        }
        let mut phase_here = hits.phase.map(|(rank, phase)| (usize::from(rank), phase));
        if hits.code || hits.checkpoint || hits.prose || hits.findings != 0 {
            self.codes_in(no, line, hits.prose);
        }
        if hits.progress || line.ends_with(')') {
            self.operations_in(line);
        }
        if hits.checkpoint
            && let Some(from_checkpoint) = self.checkpoints_in(no, line)
        {
            phase_here = phase_here.or(Some((0, from_checkpoint)));
        }
        if hits.tss {
            self.tss_in(no, line);
        }
        if hits.usb || hits.findings & (1 << 8 | 1 << 12) != 0 {
            self.usb_in(no, line);
        }
        for (i, text) in rules::FINDINGS.iter().enumerate() {
            if hits.findings & (1 << i) != 0
                && !self.report.findings.iter().any(|f| f.text == *text)
            {
                push(&mut self.report.findings, Finding { line: no, text });
            }
        }
        if let Some((rank, phase)) = phase_here {
            self.latest_phase = Some(phase);
            // Words that make a phase line a failure line ("ERROR" and "Error" hold "rror").
            static FAILURE_WORDS: std::sync::LazyLock<AhoCorasick> =
                std::sync::LazyLock::new(|| {
                    AhoCorasick::new(["ERROR", "FAILURE", "rror", "failed", "Unable to"])
                        .expect("valid failure words")
                });
            let failure = FAILURE_WORDS.is_match(line);
            if failure && self.failure_phase.is_none_or(|(r, _)| rank < r) {
                self.failure_phase = Some((rank, phase));
            }
            if failure && phase == Phase::Firmware {
                self.failed_component = self.failed_component.or(rules::component_in(line));
            }
        }
    }

    fn codes_in(&mut self, no: u64, line: &str, prose: bool) {
        let int = |s: &str| -> Option<i64> {
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => i64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        };
        // Each rule runs only when its own literal is in the line: regexes are the slow part.
        let has = |needle: &str| line.contains(needle);
        if (has("(") || has("（"))
            && let Some(c) = rules::DIALOG_CODE.captures(line)
            && let Some(code) = int(&c[1])
        {
            // The words of an error dialog, trusted in any log.
            self.code(code, no, line, CodeSource::Status);
            return;
        }
        let status = None
            .or_else(|| {
                has("AMRestoreErrorDomain/")
                    .then(|| {
                        // AMRestoreErrorDomain carries the code as a 32-bit hex number (ffffffff = -1).
                        rules::DOMAIN_CODE
                            .captures(line)
                            .and_then(|c| u32::from_str_radix(&c[1], 16).ok())
                            .map(|raw| i64::from(raw as i32))
                    })
                    .flatten()
            })
            .or_else(|| {
                has("AMR")
                    .then(|| rules::AMR_CODE.captures(line).and_then(|c| int(&c[1])))
                    .flatten()
            })
            .or_else(|| {
                has("Unhandled status message")
                    .then(|| {
                        rules::UNHANDLED_STATUS
                            .captures(line)
                            .and_then(|c| int(&c[1]))
                    })
                    .flatten()
            })
            .or_else(|| {
                has("Status: ")
                    .then(|| {
                        rules::STATUS_LINE
                            .captures(line)
                            .and_then(|c| rules::status_code(&c[1]))
                    })
                    .flatten()
            })
            .or_else(|| {
                has("FAILURE:(")
                    .then(|| rules::FAILURE_CODE.captures(line).and_then(|c| int(&c[1])))
                    .flatten()
            })
            .or_else(|| {
                has("restore-step-codes")
                    .then(|| {
                        rules::STEP_CODES
                            .captures(line)
                            .and_then(|c| int(&c[2]))
                            .filter(|c| *c != 0)
                    })
                    .flatten()
            })
            .or_else(|| {
                // idevicerestore returns -AMRError; -1, -2, -5 and -11 are its own host errors.
                has("idevicerestore_start")
                    .then(|| {
                        rules::START_RESULT
                            .captures(line)
                            .and_then(|c| int(&c[1]))
                            .filter(|c| *c < -11)
                            .map(|c| -c)
                    })
                    .flatten()
            });
        if let Some(code) = status {
            self.code(code, no, line, CodeSource::Status);
        } else if has("cached server error") {
            if let Some(code) = rules::SERVER_CODE.captures(line).and_then(|c| int(&c[1])) {
                self.code(code, no, line, CodeSource::Server);
            }
        } else if prose
            && let Some(c) = rules::APP_CODE.captures(line)
            && let Some(code) = c.get(1).or_else(|| c.get(2)).and_then(|m| int(m.as_str()))
        {
            self.app_code = self.app_code.or(Some(code));
            self.code(code, no, line, CodeSource::Status);
        } else if prose {
            if let Some(code) = rules::QUOTED_CODE.captures(line).and_then(|c| int(&c[1])) {
                self.code(code, no, line, CodeSource::Dialog);
            } else if let Some(c) = rules::PROSE_CODE.captures(line)
                && let Some(code) = int(&c[1])
            {
                let before = line[..c.get(0).map_or(0, |m| m.start())].to_ascii_lowercase();
                if rules::TOOL_DOMAINS
                    .iter()
                    .any(|d| before.trim_end().ends_with(d))
                {
                    self.report.tool_code = self.report.tool_code.or(Some(code));
                } else {
                    self.code(code, no, line, CodeSource::Dialog);
                }
            }
        }
    }

    fn operations_in(&mut self, line: &str) {
        if let Some((id, name)) = rules::operation_in(line) {
            self.report.last_operation = Some(Operation {
                id: Some(id),
                name: Some(name.to_owned()),
                progress: None,
            });
            self.latest_phase = Some(rules::operation_phase(id));
        } else if line.contains("<Restore Device")
            && let Some(c) = rules::ITUNES_OPERATION.captures(line)
            && let Ok(id) = c[1].parse::<u32>()
        {
            let name = rules::OPERATIONS
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, n)| (*n).to_owned());
            self.report.last_operation = Some(Operation {
                id: Some(id),
                name,
                progress: c[2].parse().ok(),
            });
            self.latest_phase = Some(rules::operation_phase(id));
        } else if let Some(progress) = rules::number_after(line, "restore-step-user-progress")
            .or_else(|| rules::number_after(line, "PROGRESS: "))
        {
            let op = self.report.last_operation.get_or_insert(Operation {
                id: None,
                name: None,
                progress: None,
            });
            op.progress = Some(progress);
        }
    }

    /// Records checkpoint failures; returns the phase a checkpoint id on this line names.
    fn checkpoints_in(&mut self, no: u64, line: &str) -> Option<Phase> {
        if line.contains("FAILURE:(")
            && let Some(c) = rules::FAILURE_CODE.captures(line)
        {
            push(
                &mut self.report.checkpoint_failures,
                Checkpoint {
                    id: format!("0x{}", &c[2]),
                    name: Some(c[3].to_owned()),
                    result: c[1].parse().unwrap_or(0),
                    line: no,
                },
            );
        } else if line.contains("Checkpoint FAILURE id")
            && let Some(c) = rules::CHECKPOINT_FAIL.captures(line)
        {
            let name = c.get(3).map(|m| short(m.as_str()));
            push(
                &mut self.report.checkpoint_failures,
                Checkpoint {
                    id: format!("0x{}", &c[1]),
                    name,
                    result: c[2].parse().unwrap_or(0),
                    line: no,
                },
            );
        }
        let hex = |s: &str| u32::from_str_radix(s, 16).ok();
        if line.contains("restore-step-codes") {
            return rules::STEP_CODES
                .captures(line)
                .and_then(|c| hex(&c[1]))
                .and_then(rules::checkpoint_phase);
        }
        if line.contains("restore-step-ids") {
            let c = rules::STEP_IDS.captures(line)?;
            let last = c[1].rsplit(';').next().unwrap_or("");
            let id = last
                .split(':')
                .next()
                .unwrap_or("")
                .trim_start_matches("0x");
            return hex(id).and_then(rules::checkpoint_phase);
        }
        rules::checkpoint_id(line).and_then(rules::checkpoint_phase)
    }

    fn tss_in(&mut self, no: u64, line: &str) {
        if let Some(c) = rules::TSS_SERVER.captures(line) {
            let status: u32 = c[1].parse().unwrap_or(0);
            // The one mapping the logs spell out: status 94 is error 3194.
            let code = (status == 94).then_some(3194);
            push(
                &mut self.report.tss,
                TssStatus {
                    status,
                    message: Some(c[2].to_owned()),
                    code,
                    line: no,
                },
            );
        } else if let Some(c) = rules::TSS_STATUS.captures(line)
            && let Ok(status) = c[1].parse::<u32>()
            && !self
                .report
                .tss
                .iter()
                .any(|t| t.status == status && no - t.line < 5)
        {
            push(
                &mut self.report.tss,
                TssStatus {
                    status,
                    message: None,
                    code: None,
                    line: no,
                },
            );
        }
    }

    fn usb_in(&mut self, no: u64, line: &str) {
        let time = || rules::TIMESTAMP.captures(line).map(|c| c[1].to_owned());
        if rules::DISCONNECT.is_match(line) {
            if !line.contains("_event_cb") {
                self.unexpected_disconnect = true;
            }
            if self.report.disconnects.len() >= MAX_ITEMS {
                return;
            }
            push(
                &mut self.report.disconnects,
                UsbEvent {
                    kind: "disconnect",
                    mode: None,
                    time: time(),
                    line: no,
                    context: short(line),
                },
            );
        } else if self.report.disconnects.len() < MAX_ITEMS
            && let Some(c) = rules::RECONNECT.captures(line)
        {
            let mode = c.get(1).or_else(|| c.get(2)).map(|m| m.as_str().to_owned());
            push(
                &mut self.report.disconnects,
                UsbEvent {
                    kind: "reconnect",
                    mode,
                    time: time(),
                    line: no,
                    context: short(line),
                },
            );
        }
    }

    fn finish(mut self) -> LogReport {
        let best = self
            .format_votes
            .iter()
            .enumerate()
            .max_by_key(|(_, v)| **v)
            .filter(|(_, v)| **v > 0);
        let tool_log = best.is_some();
        self.report.format = Some(best.map_or("dialog", |(i, _)| FORMATS[i]));
        if !tool_log {
            // In text a person wrote, "error 4013" is the code they saw.
            self.report
                .codes
                .extend(std::mem::take(&mut self.prose_codes));
            self.report.codes.sort_by_key(|c| c.line);
        }
        // The lists may have stopped growing; the last-seen codes did not. Prose counts only
        // in a paste, and there whichever came later wins.
        let last_prose = self.last_prose_code.filter(|_| !tool_log);
        self.report.final_code = self
            .app_code
            .or(self.last_code.max(last_prose).map(|(_, code)| code));
        self.report.phase = self.failure_phase.map(|(_, p)| p).or(self.latest_phase);
        self.report.phase_source = self.report.phase.map(|_| "log");
        if self.report.phase.is_none() {
            // Nothing in the log names the phase; the code's usual phase is the best guess,
            // said as such.
            self.report.phase = self
                .report
                .final_code
                .and_then(|c| self.kb.lookup_code(c).entry)
                .and_then(|e| e.phase);
            self.report.phase_source = self.report.phase.map(|_| "code");
        }
        let mut observations = Vec::new();
        if let Some(phase) = self.report.phase {
            observations.push(("failed-phase".to_owned(), phase.id().to_owned()));
        }
        if self.unexpected_disconnect {
            observations.push(("disconnect-during-restore".to_owned(), "yes".to_owned()));
        }
        // A modem that stops answering is a failed baseband step even without "error" in it.
        let modem_silent = self
            .report
            .findings
            .iter()
            .any(|f| f.text == rules::FINDINGS[5]);
        if let Some(component) = self.failed_component.or(modem_silent.then_some("baseband")) {
            observations.push(("firmware-step-failed".to_owned(), component.to_owned()));
        }
        // The tool that wrote the log is the restore tool (Finder, iTunes and Apple Devices
        // share formats, so only the command-line tools are told apart).
        if let Some(tool @ ("idevicerestore" | "futurerestore")) = self.report.format {
            observations.push(("restore-tool".to_owned(), tool.to_owned()));
        }
        self.report.observations = observations;
        self.report
    }
}

/// Text as a person would read it from pasted or saved bytes: UTF-16 (a PowerShell
/// redirect) and gzip are decoded like a log, anything else is read as UTF-8 with invalid bytes
/// replaced. At most `limit` bytes of text are kept.
pub fn decode_text(bytes: &[u8], limit: usize) -> String {
    let owned = bytes.to_vec();
    let mut out = Vec::new();
    if let Ok(mut reader) = input::TextReader::new(std::io::Cursor::new(owned)) {
        while out.len() <= limit {
            match reader.read_into(&mut out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    out.truncate(limit);
    String::from_utf8_lossy(&out).into_owned()
}

/// The literals the scanner searches for (what a comparison with grep tools should search).
pub fn search_literals() -> Vec<&'static str> {
    rules::TRIGGERS
        .iter()
        .map(|(literal, _)| *literal)
        .collect()
}

/// Reads a whole log from any reader and analyses it. `progress` is told the input bytes read
/// so far after each chunk.
pub fn analyze_reader(
    kb: &Kb,
    reader: impl Read + Send + 'static,
    progress: &mut dyn FnMut(u64),
) -> Result<LogReport, LogError> {
    let mut text = input::TextReader::new(reader)?;
    let mut analyzer = Analyzer::new(kb);
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut read_total = 0u64;
    let mut line_no = 0u64;
    let mut skipping_long_line = false;
    loop {
        let n = text.read_into(&mut buffer)?;
        read_total += n as u64;
        progress(read_total);
        let end = if n == 0 {
            buffer.len()
        } else {
            match memchr::memrchr(b'\n', &buffer) {
                Some(i) => i + 1,
                None if buffer.len() > MAX_LINE => {
                    // One enormous line: look at its start once, skip the rest of it.
                    if !skipping_long_line {
                        line_no += 1;
                        let mut hits = Hits::default();
                        find::all_triggers(&buffer[..MAX_LINE]).for_each(|t| hits.add(t));
                        analyzer.line(
                            line_no,
                            &String::from_utf8_lossy(&buffer[..MAX_LINE]),
                            &hits,
                        );
                        skipping_long_line = true;
                    }
                    buffer.clear();
                    continue;
                }
                None => continue,
            }
        };
        let block = &buffer[..end];
        let mut start = 0;
        if skipping_long_line {
            start = memchr::memchr(b'\n', block).map_or(block.len(), |i| i + 1);
            skipping_long_line = false;
        }
        let mut counted_to = start;
        let mut from = start;
        // Finds the first trigger, takes its whole line, then searches on from the next line.
        while let Some(at) = find::next_hit(block, from) {
            let line_start = memchr::memrchr(b'\n', &block[..at]).map_or(0, |i| i + 1);
            let line_end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |i| at + i);
            line_no +=
                memchr::memchr_iter(b'\n', &block[counted_to..line_start]).count() as u64 + 1;
            counted_to = (line_end + 1).min(block.len());
            from = counted_to;
            let raw = &block[line_start..line_end.min(line_start + MAX_LINE)];
            let mut hits = Hits::default();
            find::triggers_in(raw, at - line_start).for_each(|t| hits.add(t));
            let line = String::from_utf8_lossy(raw);
            analyzer.line(line_no, line.trim_end_matches('\r'), &hits);
            if from >= block.len() {
                break;
            }
        }
        line_no += memchr::memchr_iter(b'\n', &block[counted_to..]).count() as u64;
        // A last line without a newline, not already counted by a match in it.
        if n == 0 && counted_to < block.len() && !block.ends_with(b"\n") {
            line_no += 1;
        }
        buffer.drain(..end);
        if n == 0 {
            break;
        }
    }
    let mut report = analyzer.finish();
    report.lines = line_no;
    report.bytes = read_total;
    report.encoding = text.encoding.id();
    report.compressed = text.compressed;
    Ok(report)
}

/// Analyses text already in memory (a paste).
pub fn analyze_text(kb: &Kb, text: &str) -> LogReport {
    let owned = text.as_bytes().to_vec();
    analyze_reader(kb, std::io::Cursor::new(owned), &mut |_| {}).unwrap_or_default()
}
