//! What one line of a log says, read without any memory of the lines before it: the part of
//! the work that runs on any core, in any order. The analyzer applies the facts in line order.

use std::borrow::Cow;
use std::ops::Range;

use kb::Phase;

use crate::find::Mark;
use crate::messages::{self, Entry};
use crate::rules::{self, CodeSource, Trigger};
use crate::{CONTEXT, Checkpoint, FORMATS, Finding, TssStatus, UsbEvent};

/// What the literals found in one line set off.
#[derive(Debug, Default)]
pub struct Hits {
    pub formats: [bool; FORMATS.len()],
    /// The strongest phase hint (lower rank wins).
    phase: Option<(u8, Phase)>,
    code: bool,
    dialog: bool,
    prose: bool,
    progress: bool,
    checkpoint: bool,
    tss: bool,
    usb: bool,
    failure: bool,
    findings: u32,
    /// The message-catalog anchors in the line (rarely more than a few: kept inline).
    messages: smallvec::SmallVec<[u32; 4]>,
    /// Whether any trigger is in the line (a failure word alone makes no line worth reading).
    triggered: bool,
}

impl Hits {
    pub fn add(&mut self, mark: Mark) {
        let trigger = match mark {
            Mark::Trigger(trigger) => trigger,
            Mark::Message(anchor) => {
                self.triggered = true;
                self.messages.push(anchor);
                return;
            }
            Mark::Failure => {
                self.failure = true;
                return;
            }
        };
        self.triggered = true;
        match trigger {
            Trigger::Format(i) => self.formats[i] = true,
            Trigger::Phase(rank, phase) => {
                if self.phase.is_none_or(|(r, _)| rank < r) {
                    self.phase = Some((rank, phase));
                }
            }
            Trigger::Code => self.code = true,
            Trigger::Dialog => self.dialog = true,
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

    pub fn has_trigger(&self) -> bool {
        self.triggered
    }
}

/// A code a line holds, with where it came from.
#[derive(Debug)]
pub struct CodeFact {
    pub code: i64,
    pub source: CodeSource,
    pub context: String,
    /// A person said Apple's app showed it ("iTunes gives error 9").
    pub from_app: bool,
}

/// What a line says about the restore's operation.
#[derive(Debug)]
pub enum OperationFact {
    Started {
        id: u32,
        name: Option<String>,
        progress: Option<i64>,
    },
    Progress(i64),
}

/// Which way a USB line goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UsbKind {
    Disconnect,
    Reconnect,
}

/// Everything one line says; lines that say nothing are never kept.
#[derive(Debug, Default)]
pub struct LineFacts {
    pub no: u64,
    pub formats: [bool; FORMATS.len()],
    /// The phase the line names, its rank, and whether the line reports a failure.
    pub phase: Option<(usize, Phase, bool)>,
    /// The firmware component named on a failed firmware line.
    pub component: Option<&'static str>,
    pub code: Option<CodeFact>,
    pub tool_code: Option<i64>,
    pub operation: Option<OperationFact>,
    /// Rare, so boxed: every line read is moved into its block's list.
    pub checkpoint_failure: Option<Box<Checkpoint>>,
    pub tss: Option<Box<TssStatus>>,
    /// The device leaving or coming back; the details are read only while the report has room.
    pub usb: Option<UsbKind>,
    /// Where the line is in its block.
    pub span: Range<usize>,
    pub unexpected_disconnect: bool,
    pub findings: u32,
    /// The tool message the line is.
    pub message: Option<&'static Entry>,
}

/// A line shortened to what a report shows of it.
pub fn short(line: &str) -> String {
    let printable = kb::text::printable(line);
    let trimmed = printable.trim();
    match trimmed.char_indices().nth(CONTEXT) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

fn int(s: &str) -> Option<i64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A line's bytes as text safe to read and show: broken UTF-8 replaced, a carriage return at
/// the end dropped, and no terminal escape or other control character kept. The usual line
/// (printable ASCII) is borrowed as it is, after one pass that checks it.
pub fn line_text(raw: &[u8]) -> Cow<'_, str> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    // No early exit: the whole-line check compiles to a few vector instructions.
    let plain = raw.iter().fold(true, |ok, b| ok & (0x20..0x7f).contains(b));
    if plain && let Ok(text) = std::str::from_utf8(raw) {
        return Cow::Borrowed(text);
    }
    let lossy = String::from_utf8_lossy(raw);
    match kb::text::printable(&lossy) {
        Cow::Borrowed(_) => lossy,
        Cow::Owned(clean) => Cow::Owned(clean),
    }
}

/// Reads line `no`, at `span` in its block, whose literals set off `hits`. The line is
/// [`line_text`] (or other text without control characters).
pub fn read_line(no: u64, span: Range<usize>, line: &str, hits: &Hits) -> LineFacts {
    let mut facts = LineFacts {
        no,
        span,
        formats: hits.formats,
        findings: hits.findings,
        ..LineFacts::default()
    };
    if !hits.messages.is_empty() {
        facts.message = messages::CATALOG.find(line, &hits.messages);
    }
    let mut phase_here = hits.phase.map(|(rank, phase)| (usize::from(rank), phase));
    if hits.dialog
        && let Some(dialog) = kb::Kb::embedded().ok().and_then(|kb| kb.dialog_code(line))
    {
        // The words of an error dialog, in any language Apple ships, trusted in any log.
        facts.code = Some(CodeFact {
            code: dialog.code,
            source: CodeSource::Status,
            context: short(line),
            from_app: false,
        });
    } else if hits.code || hits.checkpoint || hits.prose || hits.findings != 0 {
        codes_in(&mut facts, line, hits.prose);
    }
    if hits.progress || line.ends_with(')') {
        facts.operation = operation_in(line, hits.progress);
    }
    if hits.checkpoint
        && let Some(from_checkpoint) = checkpoints_in(&mut facts, line)
    {
        phase_here = phase_here.or(Some((0, from_checkpoint)));
    }
    if hits.tss {
        facts.tss = tss_in(no, line).map(Box::new);
    }
    if hits.usb || hits.findings & (1 << 8 | 1 << 12) != 0 {
        usb_in(&mut facts, line);
    }
    if let Some((rank, phase)) = phase_here {
        let failure = hits.failure;
        facts.phase = Some((rank, phase, failure));
        if failure && phase == Phase::Firmware {
            facts.component = rules::component_in(line);
        }
    }
    facts
}

impl LineFacts {
    /// Whether the line said anything at all.
    pub fn is_empty(&self) -> bool {
        !self.formats.iter().any(|f| *f)
            && self.phase.is_none()
            && self.code.is_none()
            && self.tool_code.is_none()
            && self.operation.is_none()
            && self.checkpoint_failure.is_none()
            && self.tss.is_none()
            && self.usb.is_none()
            && self.findings == 0
            && self.message.is_none()
    }

    /// Moves the line from its block's numbering to the file's: `before` lines precede the block.
    pub fn renumber(&mut self, before: u64) {
        self.no += before;
        for line in [
            self.checkpoint_failure.as_mut().map(|c| &mut c.line),
            self.tss.as_mut().map(|t| &mut t.line),
        ]
        .into_iter()
        .flatten()
        {
            *line += before;
        }
    }

    /// The findings the line set off, in the order of the rules.
    pub fn findings(&self) -> impl Iterator<Item = Finding> + '_ {
        rules::FINDINGS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.findings & (1 << i) != 0)
            .map(|(_, text)| Finding {
                line: self.no,
                text,
            })
    }
}

fn codes_in(facts: &mut LineFacts, line: &str, prose: bool) {
    let prose = prose && rules::may_name_a_code(line);
    let found = |code: i64, source: CodeSource| {
        Some(CodeFact {
            code,
            source,
            context: short(line),
            from_app: false,
        })
    };
    // Each rule runs only when its own literal is in the line: regexes are the slow part.
    let has = |needle: &str| rules::holds(line, needle);
    if has("ErrorDomain") || has("Error/") {
        // An error with its domain: only the outermost error of AMRestoreErrorDomain is a code
        // Apple's app shows; a deeper link or another domain (Ramrod, AuthInstall, Mach…)
        // numbers its own errors.
        if let Some((outermost, domain, number)) = domain_error(line) {
            if outermost && domain == rules::RESTORE_DOMAIN {
                facts.code = found(number, CodeSource::Status);
            } else {
                facts.tool_code = Some(number);
            }
            return;
        }
    }
    let status = None
        .or_else(|| {
            has("AMR")
                .then(|| rules::AMR_CODE.captures(line))
                .flatten()
                .and_then(|c| int(&c[1]))
        })
        .or_else(|| {
            has("Unhandled status message")
                .then(|| rules::UNHANDLED_STATUS.captures(line))
                .flatten()
                .and_then(|c| int(&c[1]))
        })
        .or_else(|| {
            has("Status: ")
                .then(|| rules::STATUS_LINE.captures(line))
                .flatten()
                .and_then(|c| rules::status_code(&c[1]))
        })
        .or_else(|| {
            has("FAILURE:(")
                .then(|| rules::FAILURE_CODE.captures(line))
                .flatten()
                .and_then(|c| int(&c[1]))
        })
        .or_else(|| {
            has("restore-step-codes")
                .then(|| rules::STEP_CODES.captures(line))
                .flatten()
                .and_then(|c| int(&c[2]))
                .filter(|c| *c != 0)
        })
        .or_else(|| {
            // idevicerestore returns -AMRError; -1, -2, -5 and -11 are its own host errors.
            has("idevicerestore_start")
                .then(|| rules::START_RESULT.captures(line))
                .flatten()
                .and_then(|c| int(&c[1]))
                .filter(|c| *c < -11)
                .map(|c| -c)
        });
    if let Some(code) = status {
        facts.code = found(code, CodeSource::Status);
    } else if has("cached server error") {
        if let Some(code) = rules::SERVER_CODE.captures(line).and_then(|c| int(&c[1])) {
            facts.code = found(code, CodeSource::Server);
        }
    } else if prose
        && rules::may_name_the_app(line)
        && let Some(c) = rules::APP_CODE.captures(line)
        && let Some(code) = c.get(1).or_else(|| c.get(2)).and_then(|m| int(m.as_str()))
    {
        facts.code = found(code, CodeSource::Status).map(|f| CodeFact {
            from_app: true,
            ..f
        });
    } else if prose {
        if let Some(code) = rules::QUOTED_CODE.captures(line).and_then(|c| int(&c[1])) {
            facts.code = found(code, CodeSource::Dialog);
        } else if let Some(c) = rules::PROSE_CODE.captures(line)
            && let Some(code) = int(&c[1])
        {
            let before = line[..c.get(0).map_or(0, |m| m.start())].to_ascii_lowercase();
            if rules::TOOL_DOMAINS
                .iter()
                .any(|d| before.trim_end().ends_with(d))
            {
                facts.tool_code = Some(code);
            } else {
                facts.code = found(code, CodeSource::Dialog);
            }
        }
    }
}

/// The error a line names with its domain: whether it is the outermost error, the domain and
/// its number. A chain link (`1: RamrodErrorDomain/3e9: …`) gives its number in hex, as a
/// 32-bit value (`ffffffff` is -1); an `NSError` (`Error Domain=X Code=-1`) in decimal, its
/// first domain being the outermost.
fn domain_error(line: &str) -> Option<(bool, &str, i64)> {
    if let Some(c) = rules::CHAIN_LINK.captures(line) {
        let number = match c[3].strip_prefix('-') {
            Some(hex) => i64::from_str_radix(hex, 16).ok().map(|n| -n),
            None => u32::from_str_radix(&c[3], 16)
                .ok()
                .map(|raw| i64::from(raw as i32)),
        }?;
        let domain = c.get(2).map_or("", |m| m.as_str());
        return Some((&c[1] == "0", domain, number));
    }
    let c = rules::NS_ERROR.captures(line)?;
    let domain = c.get(1).map_or("", |m| m.as_str());
    Some((true, domain, c[2].parse().ok()?))
}

/// The operation a line starts, or the progress it reports (only a line with a progress
/// trigger can).
fn operation_in(line: &str, progress: bool) -> Option<OperationFact> {
    if let Some((id, name)) = rules::operation_in(line) {
        Some(OperationFact::Started {
            id,
            name: Some(name.to_owned()),
            progress: None,
        })
    } else if rules::holds(line, "<Restore Device")
        && let Some(c) = rules::ITUNES_OPERATION.captures(line)
        && let Ok(id) = c[1].parse::<u32>()
    {
        let name = rules::OPERATIONS
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| (*n).to_owned());
        Some(OperationFact::Started {
            id,
            name,
            progress: c[2].parse().ok(),
        })
    } else if progress {
        rules::number_after(line, "restore-step-user-progress")
            .or_else(|| rules::number_after(line, "PROGRESS: "))
            .map(OperationFact::Progress)
    } else {
        None
    }
}

/// Records a checkpoint failure; returns the phase a checkpoint id on this line names.
fn checkpoints_in(facts: &mut LineFacts, line: &str) -> Option<Phase> {
    let no = facts.no;
    if rules::holds(line, "FAILURE:(")
        && let Some(c) = rules::FAILURE_CODE.captures(line)
    {
        facts.checkpoint_failure = Some(Box::new(Checkpoint {
            id: format!("0x{}", &c[2]),
            name: Some(c[3].to_owned()),
            result: c[1].parse().unwrap_or(0),
            line: no,
        }));
    } else if rules::holds(line, "Checkpoint FAILURE id")
        && let Some(c) = rules::CHECKPOINT_FAIL.captures(line)
    {
        facts.checkpoint_failure = Some(Box::new(Checkpoint {
            id: format!("0x{}", &c[1]),
            name: c.get(3).map(|m| short(m.as_str())),
            result: c[2].parse().unwrap_or(0),
            line: no,
        }));
    }
    let hex = |s: &str| u32::from_str_radix(s, 16).ok();
    if rules::holds(line, "restore-step-codes") {
        return rules::STEP_CODES
            .captures(line)
            .and_then(|c| hex(&c[1]))
            .and_then(rules::checkpoint_phase);
    }
    if rules::holds(line, "restore-step-ids") {
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

fn tss_in(no: u64, line: &str) -> Option<TssStatus> {
    // Each regex runs only when its own literal is in the line.
    if let Some(c) = rules::holds(line, "error from server=")
        .then(|| rules::TSS_SERVER.captures(line))
        .flatten()
    {
        let status: u32 = c[1].parse().unwrap_or(0);
        // The one mapping the logs spell out: status 94 is error 3194.
        let code = (status == 94).then_some(3194);
        Some(TssStatus {
            status,
            message: Some(c[2].to_owned()),
            code,
            meaning: None,
            line: no,
        })
    } else {
        if !rules::holds(line, "status") {
            return None;
        }
        let status = rules::TSS_STATUS.captures(line)?[1].parse::<u32>().ok()?;
        Some(TssStatus {
            status,
            message: None,
            code: None,
            meaning: None,
            line: no,
        })
    }
}

fn usb_in(facts: &mut LineFacts, line: &str) {
    if rules::may_disconnect(line) && rules::DISCONNECT.is_match(line) {
        facts.unexpected_disconnect = !rules::holds(line, "_event_cb");
        facts.usb = Some(UsbKind::Disconnect);
    } else if rules::RECONNECT.is_match(line) {
        facts.usb = Some(UsbKind::Reconnect);
    }
}

/// The details of line `no`'s USB event; the line is [`line_text`].
pub fn usb_event(kind: UsbKind, no: u64, line: &str) -> UsbEvent {
    let mode = match kind {
        UsbKind::Disconnect => None,
        UsbKind::Reconnect => rules::RECONNECT
            .captures(line)
            .and_then(|c| c.get(1).or_else(|| c.get(2)))
            .map(|m| m.as_str().to_owned()),
    };
    UsbEvent {
        kind: match kind {
            UsbKind::Disconnect => "disconnect",
            UsbKind::Reconnect => "reconnect",
        },
        mode,
        time: rules::TIMESTAMP.captures(line).map(|c| c[1].to_owned()),
        line: no,
        context: short(line),
    }
}
