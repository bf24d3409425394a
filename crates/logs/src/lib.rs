//! Restore-log forensics: reads idevicerestore / futurerestore output, the device's own restore
//! log, iTunes logs, the macOS unified log and pasted dialogs, and says why the restore failed.
//!
//! Streaming with bounded memory: any size, gzip, UTF-16; a multi-literal prefilter picks the
//! few lines worth parsing. Pure apart from reading the `Read` it is given.

mod facts;
mod find;
mod input;
mod messages;
mod rules;
mod scan;
mod window;

use std::io::Read;

use kb::{Kb, Observation, Phase, Role};
use serde::Serialize;

use facts::{LineFacts, OperationFact};
pub use input::{CHUNK, Encoding, Limited, MAX_UNPACKED, is_binary};
use rules::CodeSource;

/// Longest line examined at once; a longer line is read in windows of this size, cut between
/// words.
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
    /// The code iTunes showed for it, when the log or the kb says.
    pub code: Option<i64>,
    /// What the status means, in plain words (from the kb), when known.
    pub meaning: Option<&'static str>,
    pub line: u64,
}

/// The tool message that reports what went wrong, as the tool's own table reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedStep {
    pub line: u64,
    /// The line as it is in the log.
    pub context: String,
    /// The message as the tool's source prints it, with its placeholders.
    pub message: &'static str,
    /// The tool whose message it is.
    pub tool: &'static str,
    /// The part of the phone it names (baseband, nfc, fdr…), when it names one.
    pub component: Option<&'static str>,
    /// Whether it names the failure (`cause`) or only reports an earlier one (`consequence`).
    pub role: &'static str,
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

/// A failure message the analyzer keeps while reading.
#[derive(Debug, Clone)]
struct FailureHit {
    line: u64,
    entry: &'static messages::Entry,
    context: String,
}

/// Everything read from one log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogReport {
    /// The tool that wrote the log: idevicerestore, futurerestore, restored (the device's own
    /// log), itunes-windows, itunes-mac, unified-log, legacy-ios-kit, 3utools,
    /// futurerestore-gui, downr1n, irecovery; or dialog (text a person pasted).
    pub format: Option<&'static str>,
    /// The tool whose restore code the writer runs (idevicerestore for futurerestore and the
    /// front ends), when the kb says.
    pub built_on: Option<&'static str>,
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
    /// The tool message that ended the restore, when the log has one.
    pub failed_step: Option<FailedStep>,
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

/// Log formats, in the order the format triggers of `rules::TRIGGERS` number them, then the
/// front ends and irecovery (named by the kb's tool message table).
const FORMATS: [&str; 11] = [
    "idevicerestore",
    "futurerestore",
    "restored",
    "itunes-windows",
    "itunes-mac",
    "unified-log",
    "legacy-ios-kit",
    "3utools",
    "futurerestore-gui",
    "downr1n",
    "irecovery",
];

/// The front ends' places in [`FORMATS`]: a line of their own names the log over the tool
/// they run.
const FRONT_ENDS: std::ops::Range<usize> = 6..10;

/// Where a phase stands in a restore's order: the parts before restore mode in turn, then
/// restore mode (whose parts interleave).
fn stage(phase: Phase) -> u8 {
    match phase {
        Phase::Extract => 0,
        Phase::Personalize => 1,
        Phase::RecoveryBoot => 2,
        Phase::RestoreOs | Phase::Firmware | Phase::Finalize => 3,
    }
}

/// The two command-line tools' places in [`FORMATS`].
const IDEVICERESTORE: usize = 0;
const FUTURERESTORE: usize = 1;

fn push<T>(list: &mut Vec<T>, item: T) {
    if list.len() < MAX_ITEMS {
        list.push(item);
    }
}

/// The state built from a log's lines, in order.
#[derive(Clone)]
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
    /// How far the restore got by the tools' own steps and operations: it moves on, and not
    /// back to an earlier part before restore mode.
    reached: Option<Phase>,
    /// The tool failure messages since the last step (the last group ended the restore).
    failures: Vec<FailureHit>,
    /// A step came after the last failure: the restore went on.
    failures_closed: bool,
    /// The tool said its run is over: later lines' hints are not the restore's.
    ended: bool,
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
            reached: None,
            failures: Vec::new(),
            failures_closed: false,
            ended: false,
        }
    }

    /// The restore got to `phase`, unless it is an earlier part than one it already passed.
    fn advance(&mut self, phase: Phase) {
        if self.reached.is_none_or(|r| stage(phase) >= stage(r)) {
            self.reached = Some(phase);
        }
    }

    /// Takes in a tool message.
    fn message(
        &mut self,
        entry: &'static messages::Entry,
        no: u64,
        context: impl FnOnce() -> String,
    ) {
        if let Some(i) = FORMATS.iter().position(|f| *f == entry.tool) {
            self.format_votes[i] += 1;
        }
        match entry.role {
            Role::Start => {
                self.reached = None;
                self.failures.clear();
                self.failures_closed = false;
                self.ended = false;
            }
            Role::End => self.ended = true,
            Role::Step => {
                if let Some(phase) = entry.phase.phase() {
                    self.advance(phase);
                    self.failures_closed = true;
                }
            }
            Role::Cause | Role::Consequence => {
                if self.failures_closed {
                    self.failures.clear();
                    self.failures_closed = false;
                }
                push(
                    &mut self.failures,
                    FailureHit {
                        line: no,
                        entry,
                        context: context(),
                    },
                );
            }
            Role::Detail | Role::Warning | Role::Usage | Role::Host => {}
        }
    }

    /// Takes in what line `facts.no`, at `facts.span` in `text`, said.
    fn apply(&mut self, facts: LineFacts, text: &[u8]) {
        let no = facts.no;
        for (votes, hit) in self.format_votes.iter_mut().zip(facts.formats) {
            *votes += u32::from(hit);
        }
        for finding in facts.findings() {
            if !self.report.findings.iter().any(|f| f.text == finding.text) {
                push(&mut self.report.findings, finding);
            }
        }
        if let Some(code) = facts.code {
            if code.from_app {
                self.app_code = self.app_code.or(Some(code.code));
            }
            let list = if code.source == CodeSource::Dialog {
                self.last_prose_code = Some((no, code.code));
                &mut self.prose_codes
            } else {
                self.last_code = Some((no, code.code));
                &mut self.report.codes
            };
            push(
                list,
                CodeHit {
                    code: code.code,
                    line: no,
                    context: code.context,
                },
            );
        }
        self.report.tool_code = self.report.tool_code.or(facts.tool_code);
        match facts.operation {
            Some(OperationFact::Started { id, name, progress }) => {
                self.report.last_operation = Some(Operation {
                    id: Some(id),
                    name,
                    progress,
                });
                self.latest_phase = Some(rules::operation_phase(id));
                self.advance(rules::operation_phase(id));
                self.failures_closed = true;
            }
            Some(OperationFact::Progress(progress)) => {
                let op = self.report.last_operation.get_or_insert(Operation {
                    id: None,
                    name: None,
                    progress: None,
                });
                op.progress = Some(progress);
            }
            None => {}
        }
        if let Some(failure) = facts.checkpoint_failure {
            push(&mut self.report.checkpoint_failures, *failure);
        }
        // A status without its message, printed again within a few lines, is the same answer.
        if let Some(tss) = facts.tss
            && (tss.message.is_some()
                || !self
                    .report
                    .tss
                    .iter()
                    .any(|t| t.status == tss.status && no - t.line < 5))
        {
            push(&mut self.report.tss, *tss);
        }
        self.unexpected_disconnect |= facts.unexpected_disconnect;
        if let Some(kind) = facts.usb
            && self.report.disconnects.len() < MAX_ITEMS
            && let Some(raw) = text.get(facts.span.clone())
        {
            let event = facts::usb_event(kind, no, &facts::line_text(raw));
            self.report.disconnects.push(event);
        }
        if let Some(entry) = facts.message {
            let span = facts.span.clone();
            self.message(entry, no, || {
                text.get(span)
                    .map(|raw| facts::short(&facts::line_text(raw)))
                    .unwrap_or_default()
            });
        }
        if let Some((rank, phase, failure)) = facts.phase.filter(|_| !self.ended) {
            self.latest_phase = Some(phase);
            if failure && self.failure_phase.is_none_or(|(r, _)| rank < r) {
                self.failure_phase = Some((rank, phase));
            }
            self.failed_component = self.failed_component.or(facts.component);
        }
    }
    fn finish(mut self) -> LogReport {
        let best = self
            .format_votes
            .iter()
            .enumerate()
            .max_by_key(|(_, v)| **v)
            .filter(|(_, v)| **v > 0)
            .map(|(i, _)| i);
        // A front end's own line names the log over the tool it runs; futurerestore prints
        // idevicerestore's lines too, and any line of its own says which.
        let front_end = FRONT_ENDS
            .filter(|i| self.format_votes[*i] > 0)
            .max_by_key(|i| self.format_votes[*i]);
        let best = front_end.or(best.map(|i| {
            if i == IDEVICERESTORE && self.format_votes[FUTURERESTORE] > 0 {
                FUTURERESTORE
            } else {
                i
            }
        }));
        let tool_log = best.is_some();
        self.report.format = Some(best.map_or("dialog", |i| FORMATS[i]));
        let tool = best.and_then(|i| messages::table()?.tool(FORMATS[i]));
        self.report.built_on = tool.and_then(|t| t.built_on.as_deref());
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
        let failed = self.failed_step();
        self.report.phase = failed.phase;
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
        let component = failed
            .component
            .or(self.failed_component.filter(|_| !failed.signing));
        if let Some(hit) = failed.hit {
            self.report.failed_step = Some(FailedStep {
                line: hit.line,
                context: hit.context,
                message: hit.entry.text,
                tool: hit.entry.tool,
                component,
                role: if hit.entry.role == Role::Cause {
                    "cause"
                } else {
                    "consequence"
                },
            });
            // What the failure implies: the message's own meaning, or its component's (not
            // when Apple's signing server refused the component's ticket).
            let implied = hit.entry.meaning.or_else(|| {
                let c = messages::table()?.component(component.filter(|_| !failed.signing)?)?;
                Some(c.failed.as_str())
            });
            if let Some(text) = implied
                && !self.report.findings.iter().any(|f| f.text == text)
            {
                push(
                    &mut self.report.findings,
                    Finding {
                        line: hit.line,
                        text,
                    },
                );
            }
        }
        for tss in &mut self.report.tss {
            if let Some(known) = messages::table().and_then(|t| t.server_status(tss.status)) {
                tss.meaning = Some(known.meaning.as_str());
                tss.code = tss.code.or(known.code);
            }
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
        // A component's update failing says something about the part; Apple's signing server
        // refusing its ticket does not.
        let in_firmware = self.report.phase.is_none_or(|p| p == Phase::Firmware);
        let signing_refused = failed.signing;
        let step_failed = component
            .filter(|_| in_firmware && !signing_refused)
            .and_then(|c| messages::table()?.component(c)?.answer.as_deref())
            .or(modem_silent.then_some("baseband"));
        if let Some(answer) = step_failed {
            observations.push(("firmware-step-failed".to_owned(), answer.to_owned()));
        }
        // The tool that wrote the log is the restore tool (Finder, iTunes and Apple Devices
        // share formats, so only the other tools are told apart).
        if let Some(answer) = tool
            .filter(|t| t.kind != kb::ToolKind::Apple)
            .and_then(|t| t.answer.as_deref())
        {
            observations.push(("restore-tool".to_owned(), answer.to_owned()));
        }
        // Apple's own logs say which system wrote them.
        let host_os = match self.report.format {
            Some("itunes-windows") => Some("windows"),
            Some("itunes-mac" | "unified-log") => Some("mac"),
            _ => None,
        };
        if let Some(os) = host_os {
            observations.push(("host-os".to_owned(), os.to_owned()));
        }
        self.report.observations = observations;
        self.report
    }

    /// The phase the restore failed in, the failure message that says so and the component
    /// it names. The tools' last failures, when no step followed them, come first: the cause
    /// among them in its own phase (one of the parts before restore mode, printed in restore
    /// mode, is in the part reached; one printed in several phases is in the step in
    /// progress); then the strongest failure hint; then a consequence; then how far the
    /// restore got.
    fn failed_step(&self) -> Failed {
        let last = if self.failures_closed {
            &[][..]
        } else {
            &self.failures[..]
        };
        let hint = self.failure_phase.map(|(_, p)| p);
        let reached = self.reached;
        // Of the causes, the one furthest on: a signing-server refusal printed while fetching
        // the baseband's ticket is the baseband step failing.
        let cause = last
            .iter()
            .filter(|f| f.entry.role == Role::Cause)
            .max_by_key(|f| {
                let stage = f.entry.phase.phase().map_or(0, stage);
                (stage, std::cmp::Reverse(f.line))
            });
        let consequence = last.iter().find(|f| f.entry.role == Role::Consequence);
        let component = cause
            .and_then(|c| c.entry.component)
            .or_else(|| last.iter().find_map(|f| f.entry.component));
        let phase = match cause.map(|c| c.entry.phase.phase()) {
            Some(Some(own)) => Some(match reached {
                Some(r) if stage(r) == 3 && stage(own) < 3 => r,
                _ => own,
            }),
            Some(None) => hint.or(reached).or(self.latest_phase),
            // Only a report of an earlier failure: the log's own hints first (the final
            // status checkpoint after it, say), then the report's phase or a later one reached.
            None if consequence.is_some() => hint.or(self.latest_phase).or_else(|| {
                let own = consequence?.entry.phase.phase();
                match (own, reached) {
                    (Some(own), Some(r)) if stage(r) >= stage(own) => Some(r),
                    (own, r) => own.or(r),
                }
            }),
            None => hint.or(reached),
        }
        .or(reached)
        .or(self.latest_phase);
        Failed {
            phase,
            hit: cause.or(consequence).cloned(),
            component,
            signing: last.iter().any(|f| {
                f.entry.role == Role::Cause && f.entry.phase == kb::MessagePhase::Personalize
            }),
        }
    }
}

/// What [`Analyzer::failed_step`] found.
struct Failed {
    phase: Option<Phase>,
    hit: Option<FailureHit>,
    component: Option<&'static str>,
    /// A cause among the last failures is Apple's signing server refusing.
    signing: bool,
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

/// Every literal the scanner searches for (the rules' triggers, the dialog's wordings, the
/// failure words and the tool messages' anchors): what a comparison with grep tools should search.
pub fn search_literals() -> Vec<&'static str> {
    find::literals()
}

/// The rules' own triggers alone, a part of [`search_literals`] (what the scan bench compared
/// with before the dialog's wordings and the tool messages were looked for too).
pub fn trigger_literals() -> Vec<&'static str> {
    rules::TRIGGERS
        .iter()
        .map(|(literal, _)| *literal)
        .collect()
}

/// Reads a whole log from any reader and analyses it, on every core. `progress` is told the
/// input bytes read so far as the analysis moves on.
pub fn analyze_reader(
    kb: &Kb,
    reader: impl Read + Send + 'static,
    progress: &mut dyn FnMut(u64),
) -> Result<LogReport, LogError> {
    analyze_in_blocks(kb, reader, CHUNK, progress)
}

/// [`analyze_reader`] with blocks of about `block_bytes` for the workers.
fn analyze_in_blocks(
    kb: &Kb,
    reader: impl Read + Send + 'static,
    block_bytes: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<LogReport, LogError> {
    let mut text = input::TextReader::new(reader)?;
    let mut analyzer = Analyzer::new(kb);
    let (mut lines, mut read_total) = (0u64, 0u64);
    scan::scan(&mut text, block_bytes, &mut |block| {
        for mut facts in block.facts {
            facts.renumber(lines);
            analyzer.apply(facts, &block.text);
        }
        lines += block.lines;
        read_total = block.read_total;
        progress(read_total);
    })?;
    let mut report = analyzer.finish();
    report.lines = lines;
    report.bytes = read_total;
    report.encoding = text.encoding.id();
    report.compressed = text.compressed;
    Ok(report)
}

/// What one line of a live log said, as it arrived.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LineNews {
    /// The phase the line names, and whether the line reports a failure in it.
    pub phase: Option<(Phase, bool)>,
    /// An error code on the line.
    pub code: Option<i64>,
    /// The device left (`Some(None)`) or came back in a mode (`Some(Some("Recovery"))`).
    pub usb: Option<Option<String>>,
    /// Findings the line set off, in plain words.
    pub findings: Vec<&'static str>,
}

/// A log read line by line as a tool writes it, by the same rules as a whole file.
pub struct LiveLog<'kb> {
    analyzer: Analyzer<'kb>,
    lines: u64,
}

impl<'kb> LiveLog<'kb> {
    pub fn new(kb: &'kb Kb) -> LiveLog<'kb> {
        LiveLog {
            analyzer: Analyzer::new(kb),
            lines: 0,
        }
    }

    /// Reads the next line (without its line end; longer lines are cut at [`MAX_LINE`]).
    pub fn push_line(&mut self, line: &str) -> LineNews {
        self.lines += 1;
        let mut cut = line.len().min(MAX_LINE);
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        let line = &line[..cut];
        let mut hits = facts::Hits::default();
        find::each_mark(line.as_bytes(), |_, _, m| hits.add(m));
        let line = kb::text::printable(line);
        let line = line.as_ref();
        let facts = facts::read_line(self.lines, 0..line.len(), line, &hits);
        let news = LineNews {
            phase: facts.phase.map(|(_, phase, failure)| (phase, failure)),
            code: facts.code.as_ref().map(|c| c.code),
            usb: facts.usb.map(|kind| {
                let event = facts::usb_event(kind, self.lines, line);
                (kind == facts::UsbKind::Reconnect).then(|| event.mode.unwrap_or_default())
            }),
            findings: facts.findings().map(|f| f.text).collect(),
        };
        self.analyzer.apply(facts, line.as_bytes());
        news
    }

    /// The report on everything read so far.
    pub fn report(&self) -> LogReport {
        let mut report = self.analyzer.clone().finish();
        report.lines = self.lines;
        report.encoding = Encoding::Utf8.id();
        report
    }
}

/// Analyses text already in memory (a paste).
pub fn analyze_text(kb: &Kb, text: &str) -> LogReport {
    let owned = text.as_bytes().to_vec();
    analyze_reader(kb, std::io::Cursor::new(owned), &mut |_| {}).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    /// Every line of the real logs kept as test fixtures.
    static REAL_LINES: LazyLock<Vec<String>> = LazyLock::new(|| {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-logs");
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(folder).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            lines.extend(String::from_utf8_lossy(&bytes).lines().map(str::to_owned));
        }
        lines.sort();
        lines
    });

    fn in_blocks(text: &str, block_bytes: usize) -> LogReport {
        let owned = text.as_bytes().to_vec();
        let kb = Kb::embedded().unwrap();
        analyze_in_blocks(kb, std::io::Cursor::new(owned), block_bytes, &mut |_| {}).unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// However the text is cut into blocks for the workers, the report is the one a single
        /// block gives: line numbers, first and last items, counts.
        #[test]
        fn blocks_of_any_size_give_the_same_report(
            picks in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 1..300),
            block_bytes in 1usize..3000,
            last_newline in proptest::prelude::any::<bool>(),
        ) {
            let mut text: String = picks
                .iter()
                .map(|i| format!("{}\n", i.get(&REAL_LINES)))
                .collect();
            if !last_newline {
                text.pop();
            }
            proptest::prop_assert_eq!(in_blocks(&text, block_bytes), in_blocks(&text, CHUNK));
        }
    }

    /// A line of `len` bytes of filler words with `insert` at each of `at`.
    fn long_line(len: usize, inserts: &[(usize, &str)]) -> String {
        let mut line = "lorem ipsum dolor ".repeat(len / 18 + 1);
        line.truncate(len);
        for (at, text) in inserts.iter().rev() {
            line.insert_str(*at, text);
        }
        line
    }

    #[test]
    fn a_code_deep_in_an_enormous_line_is_found_on_that_line() {
        let big = long_line(
            3 << 20,
            &[
                (MAX_LINE - 5, " An unknown error occurred (4013). "),
                ((3 << 20) - 10, " An unknown error occurred (4014). "),
            ],
        );
        let text = format!("INFO: idevicerestore 1.0.0\n{big}\nStatus: Disk Failure\n");
        for block_bytes in [CHUNK, 1000, MAX_LINE + 7] {
            let report = in_blocks(&text, block_bytes);
            assert_eq!(report.lines, 3, "{block_bytes}");
            let codes: Vec<(i64, u64)> = report.codes.iter().map(|c| (c.code, c.line)).collect();
            assert!(codes.contains(&(4014, 2)), "{block_bytes}: {codes:?}");
            assert_eq!(report, in_blocks(&text, CHUNK), "{block_bytes}");
        }
        // The same line as the whole input, with no line end.
        let alone = in_blocks(&big, 4096);
        assert_eq!((alone.lines, alone.final_code), (1, Some(4014)));
    }

    #[test]
    fn a_dialog_quoted_late_in_a_line_or_window_is_read() {
        for len in [40_000, MAX_LINE - 100, 5 * MAX_LINE / 2] {
            let line = long_line(len, &[(len - 50, " An unknown error occurred (4013). ")]);
            let report = in_blocks(&format!("{line}\n"), CHUNK);
            assert_eq!(report.final_code, Some(4013), "{len}");
        }
    }
}
