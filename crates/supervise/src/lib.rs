//! Runs idevicerestore under supervision: finds the tool, builds its command line (an erase
//! only with an [`ErasePermit`]), reads its output as it comes and says what the run ended with.
//!
//! idevicerestore skips its own "type YES" prompt whenever its input is not a terminal, and
//! the supervisor never gives it one: the permit is the only guard before an erase. Every tool
//! runs as a [`Group`]: it ends when Restore Doctor ends.

mod firmware;
mod group;
mod lines;
mod tool;

use std::ffi::OsString;
use std::io;
use std::process::Command;
use std::time::Instant;

use kb::{Kb, Phase, RestoreEvent};
use logs::{LineNews, LiveLog, LogReport};

pub use firmware::{Firmware, Ipsw, IpswError};
pub use group::{Exit, GRACE, Group, Hold, StopSignal, Stopper, Stream};
pub use kb::RestoreStep as Step;
pub use lines::Lines;
pub use tool::{Tool, ToolError};

/// Leave to erase the phone: only a person's typed word or an explicit flag makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasePermit(());

impl ErasePermit {
    /// The word a person must type to allow an erase.
    pub const WORD: &'static str = "erase";

    /// A permit when `typed` is the word (spaces around it ignored), else none.
    pub fn typed(typed: &str) -> Option<ErasePermit> {
        (typed.trim() == Self::WORD).then_some(ErasePermit(()))
    }

    /// A permit given on the command line (`--yes-erase`), for benches with no terminal.
    pub fn from_flag() -> ErasePermit {
        ErasePermit(())
    }
}

/// One restore to run: typed fields only, so that nothing from outside becomes a flag.
#[derive(Debug, Clone)]
pub struct Request {
    pub firmware: Firmware,
    /// The phone to restore, when several are attached.
    pub ecid: Option<u64>,
    /// An erase restore instead of an update, with its permit.
    pub erase: Option<ErasePermit>,
}

impl Request {
    /// idevicerestore's arguments: plain progress and debug output always, `-e` only with a
    /// permit, the IPSW after `--`.
    ///
    /// idevicerestore 1.0.0 (Debian's; `main` in src/idevicerestore.c of
    /// github.com/libimobiledevice/idevicerestore, tag 1.0.0) reads its options with glibc's
    /// `getopt_long(argc, argv, "dhcesxtpli:u:nC:kyPRT:zv", …)`. glibc permutes: an option is
    /// read wherever it stands, so a path such as `-le` would be taken as `-l -e` (latest,
    /// erase). `--` ends the options, and the one operand after it is the IPSW
    /// (`argc - optind == 1`); Debian's binary does this (`idevicerestore -- -h` looks for a
    /// phone instead of printing its help). `-i`'s value is read whole with `strtoull(…, 0)`,
    /// so the ECID is written from a number as `0x` and 16 hex digits, as everywhere else.
    pub fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-P".into(), "-d".into()];
        if let Some(ecid) = self.ecid {
            args.extend(["-i".into(), kb::text::ecid(ecid, true).into()]);
        }
        if self.erase.is_some() {
            args.push("-e".into());
        }
        match &self.firmware {
            Firmware::Latest => args.push("-l".into()),
            Firmware::Ipsw(ipsw) => args.extend(["--".into(), ipsw.path().into()]),
        }
        args
    }
}

/// A progress step by the number idevicerestore's `-P` prints for it.
fn step_from_number(n: u32) -> Option<Step> {
    Some(match n {
        0 => Step::Detect,
        1 => Step::Prepare,
        2 => Step::UploadFilesystem,
        3 => Step::VerifyFilesystem,
        4 => Step::FlashFirmware,
        5 => Step::FlashBaseband,
        6 => Step::UpdateOtherFirmware,
        _ => return None,
    })
}

/// Reads a `progress: STEP FRACTION` line.
fn progress_in(line: &str) -> Option<(Step, f64)> {
    let mut words = line.strip_prefix("progress: ")?.split_whitespace();
    let step = step_from_number(words.next()?.parse().ok()?)?;
    let fraction: f64 = words.next()?.parse().ok()?;
    fraction
        .is_finite()
        .then_some((step, fraction.clamp(0.0, 1.0)))
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Ending {
    /// The tool's exit status; `None` when it was ended by a signal.
    pub status: Option<i32>,
    /// The stop request (a signal to Restore Doctor) that ended the run, when one did.
    pub stopped: Option<StopSignal>,
    /// Everything its output said, read like a log.
    pub report: LogReport,
    /// The product type it identified.
    pub device: Option<String>,
    /// The tool found no phone to restore.
    pub no_device: bool,
    /// Times the phone left the bus in restore mode.
    pub drops: u32,
    pub seconds: f64,
}

impl Ending {
    pub fn succeeded(&self) -> bool {
        self.status == Some(0)
    }

    /// The error code: the log's, else the one the exit status carries (idevicerestore
    /// returns −AMRError; −1, −2, −5 and −11 are its own host errors, no code).
    pub fn code(&self) -> Option<i64> {
        self.report.final_code.or_else(|| {
            let status = self.status.filter(|s| (1..=255).contains(s))?;
            let amr = 256 - i64::from(status);
            (amr > 11).then_some(amr)
        })
    }

    /// The phase it failed in: the log's, else what the exit status says (−2: the phone did
    /// not go into restore mode).
    pub fn phase(&self) -> Option<Phase> {
        self.report
            .phase
            .or((self.status == Some(254)).then_some(Phase::RecoveryBoot))
    }

    /// The link dropped: a disconnect in restore mode, the tool's −11, or its log saying so.
    pub fn link_dropped(&self) -> bool {
        self.drops > 0
            || self.status == Some(245)
            || self
                .report
                .observations
                .iter()
                .any(|(q, a)| q == "disconnect-during-restore" && a == "yes")
    }
}

/// Runs `tool` for `request` as a [`Group`] ended by `stopper`, telling `seen` each event as
/// the output arrives.
pub fn run(
    kb: &Kb,
    tool: &Tool,
    request: &Request,
    stopper: &Stopper,
    seen: &mut dyn FnMut(RestoreEvent),
) -> io::Result<Ending> {
    let started = Instant::now();
    let mut command = Command::new(&tool.path);
    command.args(request.args());
    let group = Group::spawn(&mut command, stopper)?;
    let mut live = LiveLog::new(kb);
    let (mut out, mut err) = (Lines::default(), Lines::default());
    let mut device = None;
    let mut reading = Reading::default();
    let exit = group.run(None, &mut |stream, chunk| {
        let lines = match stream {
            Stream::Stdout => &mut out,
            Stream::Stderr => &mut err,
        };
        for line in lines.push(chunk) {
            reading.line(&mut live, &line, &mut device, seen);
        }
    })?;
    for line in [out.finish(), err.finish()].into_iter().flatten() {
        reading.line(&mut live, &line, &mut device, seen);
    }
    Ok(Ending {
        status: exit.status.code(),
        stopped: exit.stopped,
        report: live.report(),
        device,
        no_device: reading.no_device,
        drops: reading.drops,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What the supervisor remembers between lines, to tell only what is new.
#[derive(Default)]
struct Reading {
    phase: Option<Phase>,
    findings: Vec<&'static str>,
    no_device: bool,
    drops: u32,
    /// The tool said the restore finished: the reboot that follows is no drop.
    finished: bool,
}

impl Reading {
    fn line(
        &mut self,
        live: &mut LiveLog,
        line: &str,
        device: &mut Option<String>,
        seen: &mut dyn FnMut(RestoreEvent),
    ) {
        let printable = kb::text::printable(line).trim_end().to_owned();
        if printable.is_empty() {
            return;
        }
        if let Some((step, fraction)) = progress_in(&printable) {
            seen(RestoreEvent::Progress { step, fraction });
            return;
        }
        let news: LineNews = live.push_line(&printable);
        self.no_device |= printable.contains("Unable to discover device mode");
        self.finished |= printable.contains("Restore Finished");
        seen(RestoreEvent::Line {
            line: printable.clone(),
        });
        if device.is_none()
            && let Some(product) = identified_in(&printable)
        {
            *device = Some(product.to_owned());
            seen(RestoreEvent::Device {
                product_type: product.to_owned(),
            });
        }
        if let Some((phase, failure)) = news.phase {
            if self.phase != Some(phase) {
                self.phase = Some(phase);
                seen(RestoreEvent::phase(phase));
            }
            if failure {
                seen(RestoreEvent::Error {
                    line: printable.clone(),
                });
            }
        } else if printable.starts_with("ERROR") || news.code.is_some() {
            seen(RestoreEvent::Error {
                line: printable.clone(),
            });
        }
        let in_restore_mode = matches!(self.phase, Some(Phase::RestoreOs | Phase::Firmware));
        match news.usb {
            Some(None) if in_restore_mode && !self.finished => {
                self.drops += 1;
                seen(RestoreEvent::Drop {
                    phase: self.phase.unwrap_or(Phase::RestoreOs),
                    source: "tool".to_owned(),
                });
            }
            Some(None) => seen(RestoreEvent::Disconnect { phase: self.phase }),
            Some(Some(mode)) => seen(RestoreEvent::Reconnect { mode }),
            None => {}
        }
        for finding in news.findings {
            if !self.findings.contains(&finding) {
                self.findings.push(finding);
                seen(RestoreEvent::Finding {
                    text: finding.to_owned(),
                });
            }
        }
    }
}

/// The product type in `Identified device as n69ap, iPhone8,4`.
fn identified_in(line: &str) -> Option<&str> {
    let rest = line.split("Identified device as ").nth(1)?;
    let product = rest.split(", ").nth(1)?.trim();
    let valid = product.len() <= 16
        && product.contains(',')
        && product
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ',');
    valid.then_some(product)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_erase_needs_the_typed_word() {
        assert!(ErasePermit::typed("erase").is_some());
        assert!(ErasePermit::typed("  erase\n").is_some());
        for refused in ["", "yes", "YES", "y", "e", "1", "Erase", "erase it"] {
            assert!(ErasePermit::typed(refused).is_none(), "{refused:?}");
        }
    }

    #[test]
    fn the_tool_is_never_told_to_erase_without_a_permit() {
        let dir = tempfile::tempdir().unwrap();
        // A file whose name reads as flags is still only the IPSW.
        let path = dir.path().join("-le.ipsw");
        std::fs::write(&path, b"PK").unwrap();
        let update = Request {
            firmware: Firmware::Ipsw(Ipsw::new(&path).unwrap()),
            ecid: Some(0x1234),
            erase: None,
        };
        let args = update.args();
        assert!(
            !args
                .iter()
                .any(|a| a == "-e" || a == "--erase" || a == "-l"),
            "{args:?}"
        );
        assert_eq!(
            args,
            [
                "-P",
                "-d",
                "-i",
                "0x0000000000001234",
                "--",
                path.to_str().unwrap()
            ]
        );
        let erase = Request {
            erase: ErasePermit::typed("erase"),
            firmware: Firmware::Latest,
            ..update
        };
        assert_eq!(
            erase.args(),
            ["-P", "-d", "-i", "0x0000000000001234", "-e", "-l"]
        );
    }

    #[test]
    fn progress_lines_are_read() {
        assert_eq!(
            progress_in("progress: 2 0.500000"),
            Some((Step::UploadFilesystem, 0.5))
        );
        assert_eq!(progress_in("progress: 9 0.5"), None);
        assert_eq!(progress_in("progress: 1 NaN"), None);
        assert_eq!(progress_in("progress: 1 7"), Some((Step::Prepare, 1.0)));
    }

    #[test]
    fn the_identified_device_is_read() {
        assert_eq!(
            identified_in("Identified device as n69ap, iPhone8,4"),
            Some("iPhone8,4")
        );
        assert_eq!(identified_in("Identified device as n69ap"), None);
    }

    #[test]
    fn the_exit_status_carries_the_code_and_phase() {
        let ending = |status| Ending {
            status: Some(status),
            stopped: None,
            report: LogReport::default(),
            device: None,
            no_device: false,
            drops: 0,
            seconds: 0.0,
        };
        assert_eq!(ending(188).code(), Some(68), "-68 is AMRError 68");
        assert_eq!(ending(255).code(), None, "-1 is the tool's own");
        assert_eq!(ending(245).code(), None);
        assert!(ending(245).link_dropped());
        assert_eq!(ending(254).phase(), Some(Phase::RecoveryBoot));
        assert!(ending(0).succeeded());
    }
}
