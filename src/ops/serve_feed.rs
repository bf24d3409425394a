//! The dashboard's feed as a use-case: USB (or a recording) read into the web crate's bench
//! with the next step for each drop, and the restores and recovery exits the page starts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kb::{EventKind, Kb, NamedStep};
use supervise::{Firmware, Request, Stopper, Tool};
use watch::scenario::LinkChange;
use watch::{Finding, Tracker};
use web::{Bench, RecoveryExiter, RestoreJob, Restorer};

use crate::exit_recovery::{self, Ecid, Irecovery, Progress, Target};
use crate::ops::Context;
use crate::ops::restore::{self, action_name};
use crate::ops::watch::{Advice, Recording};
use crate::usb_source;
use crate::usb_watch::LinkWatch;

/// How often a live bus is polled when the OS sends no hotplug events.
const POLL: Duration = Duration::from_millis(250);

/// Hands findings to the bench, with the engine's next step for each drop or loop, worked out
/// from what the same port showed before and whether a hub is in its path.
struct Adviser<'kb> {
    ctx: &'kb Context,
    kb: &'kb Kb,
    by_port: BTreeMap<String, Advice<'kb>>,
    /// Ports with a hub between them and the computer, as the page groups them.
    behind_hub: BTreeMap<String, bool>,
}

impl<'kb> Adviser<'kb> {
    fn new(ctx: &'kb Context, kb: &'kb Kb) -> Adviser<'kb> {
        Adviser {
            ctx,
            kb,
            by_port: BTreeMap::new(),
            behind_hub: BTreeMap::new(),
        }
    }

    /// A phone seen on a port: the bench's change, and whether a hub that is not part of the
    /// computer is in the port's path (where the hubs are not known, as in a recording, a
    /// Linux port path through a hub's port, `1-2.3`, says there is one).
    fn saw(&mut self, bench: &Bench, attached: bool, device: &usb::AppleDevice) {
        bench.usb_change(attached, device);
        if let Some(port) = &device.usb_path
            && (self.behind_hub.contains_key(port) || self.behind_hub.len() < 512)
        {
            let hub = device.hubs.iter().any(|h| h.built_in != Some(true))
                || (device.hubs.is_empty() && port.contains('.'));
            self.behind_hub.insert(port.clone(), hub);
        }
    }

    fn tell(&mut self, bench: &Bench, finding: Finding) {
        let key = finding.port.clone().unwrap_or_default();
        if !self.by_port.contains_key(&key) && self.by_port.len() >= 512 {
            self.by_port.clear();
        }
        let advice = self.by_port.entry(key).or_default();
        advice.add(&finding);
        let step = matches!(finding.kind, EventKind::Drop | EventKind::Loop)
            .then(|| {
                let model = finding
                    .name
                    .as_deref()
                    .and_then(|n| self.kb.devices.iter().find(|d| d.name == n));
                let hub = self
                    .behind_hub
                    .get(finding.port.as_deref().unwrap_or_default())
                    .copied()
                    .unwrap_or(false);
                let known = [kb::Observation::new("hub-in-path", "yes")];
                advice.next_step(
                    self.ctx,
                    self.kb,
                    None,
                    model,
                    if hub { &known } else { &[] },
                )
            })
            .flatten()
            .map(|s| NamedStep {
                name: action_name(self.kb, &s.id),
                id: s.id,
                why: Some(s.why),
            });
        bench.finding(&finding, step.as_ref());
    }
}

/// Plays a recording (checked already) into the bench at `speed` times real time (0: at
/// once), reading it as it goes.
pub fn replay(
    ctx: &Context,
    kb: &Kb,
    bench: &Bench,
    recording: &Recording,
    speed: f64,
    stop: &AtomicBool,
) {
    bench.replay_started();
    let mut tracker = Tracker::default();
    let mut adviser = Adviser::new(ctx, kb);
    let start = Instant::now();
    let mut end = 0.0;
    let events = recording.events().into_iter().flatten();
    for event in events.map_while(Result::ok) {
        end = event.t;
        if speed > 0.0 {
            let due = Duration::from_secs_f64(event.t / speed);
            while let Some(wait) = due.checked_sub(start.elapsed()) {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(wait.min(Duration::from_millis(100)));
            }
        }
        let device = event.device.clone().finish(kb);
        adviser.saw(bench, event.kind == LinkChange::Attach, &device);
        for finding in tracker.push(&event) {
            adviser.tell(bench, finding);
        }
    }
    // A device still gone at the end of the recording is judged by its window.
    for finding in tracker.tick(end + tracker.windows.from_recovery) {
        adviser.tell(bench, finding);
    }
    bench.replay_finished();
}

/// Watches the USB bus (or a sysfs tree) into the bench until `stop`.
pub fn live(ctx: &Context, kb: &Kb, bench: &Bench, sysfs_root: Option<&Path>, stop: &AtomicBool) {
    let source = usb_source::for_watching(kb, None, sysfs_root);
    // The bus itself, or usbmuxd's list where the bus cannot be read (then the page says so).
    let name = if source.is_live() || sysfs_root.is_some() {
        "usb"
    } else {
        if let Err(e) = usb_source::source(None, None).snapshot(kb) {
            bench.source_read("usb", Some(e.to_string()));
        }
        "usbmuxd"
    };
    let mut link = LinkWatch::new(source.as_ref(), POLL);
    let mut adviser = Adviser::new(ctx, kb);
    while !stop.load(Ordering::Relaxed) {
        match link.next(kb) {
            Ok(tick) => {
                bench.source_read(name, None);
                for change in &tick.changes {
                    match change {
                        usb::source::Change::Attached(d) => adviser.saw(bench, true, d),
                        usb::source::Change::Detached(d) => adviser.saw(bench, false, d),
                    }
                }
                for finding in tick.findings {
                    adviser.tell(bench, finding);
                }
            }
            Err(e) => {
                bench.source_read(name, Some(e.to_string()));
                std::thread::sleep(POLL);
            }
        }
    }
}

/// The threads of the restores the page started, joined when the server stops.
pub type Runs = Arc<Mutex<Vec<JoinHandle<()>>>>;

/// Runs the restores the page starts: idevicerestore under supervision, ended with the server,
/// its news on the bench, the case kept in the history.
pub struct PageRestorer {
    pub ctx: Context,
    pub kb: &'static Kb,
    pub tool: Tool,
    pub stopper: Stopper,
    pub runs: Runs,
}

impl Restorer for PageRestorer {
    fn start(&self, job: RestoreJob, bench: Arc<Bench>) -> Result<(), String> {
        let request = Request {
            firmware: job.ipsw.clone().map_or(Firmware::Latest, Firmware::Ipsw),
            ecid: Some(job.ecid),
            erase: job.erase,
        };
        let (ctx, kb, tool) = (self.ctx.clone(), self.kb, self.tool.clone());
        let stopper = self.stopper.clone();
        let run = std::thread::Builder::new()
            .name(format!("restore {}", job.port))
            .spawn(move || run_restore(&ctx, kb, &tool, &job, &request, &stopper, &bench))
            .map_err(|e| format!("could not start a restore: {e}"))?;
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        runs.retain(|run| !run.is_finished());
        runs.push(run);
        Ok(())
    }
}

/// Tells the phones the page picks to leave recovery mode: irecovery under supervision, the
/// phone watched until it is back (or the wait runs out), each step said on its port and kept
/// as a case, as `exit-recovery` does.
pub struct PageExiter {
    pub ctx: Context,
    pub kb: &'static Kb,
    pub tool: Irecovery,
    pub sysfs_root: Option<PathBuf>,
    pub stopper: Stopper,
    pub runs: Runs,
}

impl RecoveryExiter for PageExiter {
    fn start(
        &self,
        port: String,
        phone: usb::AppleDevice,
        bench: Arc<Bench>,
    ) -> Result<(), String> {
        let ecid = Ecid::of(&phone).ok_or("the phone shows no ECID")?;
        let target = Target {
            device: phone,
            ecid,
        };
        let (ctx, kb, tool) = (self.ctx.clone(), self.kb, self.tool.clone());
        let (sysfs_root, stopper) = (self.sysfs_root.clone(), self.stopper.clone());
        let run = std::thread::Builder::new()
            .name(format!("exit-recovery {port}"))
            .spawn(move || {
                let source = usb_source::for_watching(kb, None, sysfs_root.as_deref());
                let say = |text: &str| {
                    let plain = anstream::adapter::strip_str(text).to_string();
                    bench.port_note(&port, "exit-recovery", &plain);
                };
                let results = exit_recovery::run(
                    kb,
                    source.as_ref(),
                    &tool,
                    vec![target],
                    exit_recovery::WAITS,
                    &stopper,
                    &mut |progress| {
                        if let Progress::Telling(_) = progress {
                            say("telling the phone to start iOS (irecovery)");
                        } else if let Some(line) =
                            exit_recovery::words::progress_line(&progress, false)
                        {
                            say(&line);
                        }
                    },
                );
                match results {
                    Ok(results) => {
                        for result in &results {
                            say(&exit_recovery::words::verdict_text(kb, result, false));
                            exit_recovery::words::keep_case(&ctx, result, false);
                        }
                        bench.cases_changed();
                    }
                    Err(e) => say(&format!("USB could not be watched: {e}")),
                }
            })
            .map_err(|e| format!("could not start irecovery: {e}"))?;
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        runs.retain(|run| !run.is_finished());
        runs.push(run);
        Ok(())
    }
}

/// Runs one restore the page started: the tool's events onto the bench as they come, the
/// case kept in the history with what the link showed on its port, the verdict last.
fn run_restore(
    ctx: &Context,
    kb: &Kb,
    tool: &Tool,
    job: &RestoreJob,
    request: &Request,
    stopper: &Stopper,
    bench: &Bench,
) {
    // What USB shows of the phone as its restore starts goes into its case, as `restore` does.
    let seen = bench.phone_on(&job.port);
    let ended = supervise::run(kb, tool, request, stopper, &mut |event| {
        bench.restore_news(job.id, &event);
    });
    let ending = match ended {
        Ok(ending) => ending,
        Err(e) => {
            let error = format!("idevicerestore could not be run: {e}");
            bench.restore_ended(job.id, kb::RestoreVerdict::not_run(error));
            return;
        }
    };
    let mut ledger = restore::new_case(kb, Some(job.ecid), seen.as_ref());
    ledger.device.port = Some(job.port.clone());
    let link = bench.restore_link(job.id);
    let failure = restore::record(ctx, kb, &mut ledger, request, &ending, &link);
    let mut keeper = ctx.keeper();
    keeper.keep(&ledger);
    let verdict = restore::verdict(kb, 1, &ending, failure.as_ref(), keeper.id());
    bench.restore_ended(job.id, verdict);
}
