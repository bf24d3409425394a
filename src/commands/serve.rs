//! `restore-doctor serve`: the bench dashboard. Feeds the web crate's bench from the USB watch
//! (or a replayed recording) and runs the supervised restores the page starts.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use case::{DeviceContext, Ledger};
use kb::{EventKind, Kb, Phase};
use serde_json::json;
use supervise::{Firmware, Happening, Request, Stopper, Tool};
use watch::scenario::LinkChange;
use watch::{Finding, Tracker};
use web::{Bench, Dashboard, RecoveryExiter, RestoreJob, Restorer, Token};

use super::restore::{as_json, record, verdict_json};
use super::watch::{Advice, Recording};
use crate::case_store::CaseKeeper;
use crate::cli::ServeArgs;
use crate::exit_recovery::{self, Ecid, Irecovery, Progress, Target};
use crate::knowledge::knowledge;
use crate::usage_error::UsageError;
use crate::usb_source;
use crate::usb_watch::LinkWatch;

/// How often a live bus is polled when the OS sends no hotplug events.
const POLL: Duration = Duration::from_millis(250);

pub fn run(db: Option<&Path>, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let recording = match &args.replay {
        Some(path) => Some(Recording::open(path)?),
        None => None,
    };
    // SIGINT, SIGTERM and SIGHUP stop the server, and with it every restore the page started.
    let stopper = Stopper::on_signals()?;
    let _hold = stopper.hold();
    let runs: Runs = Arc::default();
    let restorer = match Tool::find(args.idevicerestore.as_deref(), &stopper) {
        Ok(tool) => Some(Box::new(PageRestorer {
            kb,
            tool,
            db: db.map(Path::to_owned),
            stopper: stopper.clone(),
            runs: runs.clone(),
        }) as Box<dyn Restorer>),
        Err(e) if args.idevicerestore.is_some() => {
            return Err(UsageError::new(e.to_string()).into());
        }
        Err(_) => None,
    };
    let exiter = match Irecovery::find(args.irecovery.as_deref(), &stopper) {
        Ok(tool) => Some(Box::new(PageExiter {
            kb,
            tool,
            db: db.map(Path::to_owned),
            sysfs_root: args.sysfs_root.clone(),
            stopper: stopper.clone(),
            runs: runs.clone(),
        }) as Box<dyn RecoveryExiter>),
        Err(e) if args.irecovery.is_some() => {
            return Err(UsageError::new(e.to_string()).into());
        }
        Err(_) => None,
    };
    let token = if args.bind.ip().is_loopback() {
        None
    } else {
        Some(Token::random()?)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.bind))
        .map_err(|e| UsageError::new(format!("cannot listen on {}: {e}", args.bind)))?;
    let address = listener.local_addr()?;
    let bench = Bench::new(args.show_ids);
    let restores = if restorer.is_some() {
        "restores can be started from the page"
    } else {
        "idevicerestore was not found, so restores cannot be started from the page"
    };
    let mut out = std::io::stdout().lock();
    match &token {
        None => writeln!(
            out,
            "Bench dashboard on http://{address}/ ({restores}). Ctrl-C stops it."
        )?,
        Some(token) => writeln!(
            out,
            "Bench dashboard on http://{address}/, reachable from other computers: open \
             http://{address}/?token={} (the token is shown only now; requests without it are \
             refused). {restores}. Ctrl-C stops it.",
            token.as_str()
        )?,
    }
    out.flush()?;
    drop(out);
    let dashboard = Dashboard {
        kb,
        bench: bench.clone(),
        db: Some(crate::case_store::location(db)),
        restorer,
        exiter,
        site: web::Site::new(address),
        token,
        show_ids: args.show_ids,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let feed = {
        let (bench, stop) = (bench.clone(), stop.clone());
        let sysfs_root = args.sysfs_root.clone();
        let speed = args.speed;
        std::thread::spawn(move || match recording {
            Some(recording) => replay(kb, &bench, &recording, speed, &stop),
            None => live(kb, &bench, sysfs_root.as_deref(), &stop),
        })
    };
    let stopping = stopper.clone();
    let served = runtime.block_on(web::serve(listener, dashboard, async move {
        let _ = tokio::task::spawn_blocking(move || stopping.wait()).await;
    }));
    stop.store(true, Ordering::Relaxed);
    let _ = feed.join();
    // The restores saw the same stop: each ends its tool (SIGKILL after the grace period, or at
    // a second Ctrl-C) and keeps its case.
    let running = std::mem::take(&mut *runs.lock().unwrap_or_else(PoisonError::into_inner));
    for run in running {
        let _ = run.join();
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Hands findings to the bench, with the engine's next step for each drop or loop, worked out
/// from what the same port showed before and whether a hub is in its path.
struct Adviser<'kb> {
    kb: &'kb Kb,
    by_port: BTreeMap<String, Advice<'kb>>,
    /// Ports with a hub between them and the computer, as the page groups them.
    behind_hub: BTreeMap<String, bool>,
}

impl<'kb> Adviser<'kb> {
    fn new(kb: &'kb Kb) -> Adviser<'kb> {
        Adviser {
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
                advice.next_step(self.kb, None, model, if hub { &known } else { &[] })
            })
            .flatten()
            .map(|s| {
                let name = self
                    .kb
                    .action(&s.id)
                    .map_or(s.id.clone(), |a| a.name.clone());
                json!({"id": s.id, "name": name, "why": s.why})
            });
        bench.finding(&finding, step);
    }
}

/// Plays a recording (checked already) into the bench at `speed` times real time (0: at
/// once), reading it as it goes.
fn replay(kb: &Kb, bench: &Bench, recording: &Recording, speed: f64, stop: &AtomicBool) {
    bench.replay_started();
    let mut tracker = Tracker::default();
    let mut adviser = Adviser::new(kb);
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
fn live(kb: &Kb, bench: &Bench, sysfs_root: Option<&Path>, stop: &AtomicBool) {
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
    let mut adviser = Adviser::new(kb);
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
type Runs = Arc<Mutex<Vec<JoinHandle<()>>>>;

/// Runs the restores the page starts: idevicerestore under supervision, ended with the server,
/// its news on the bench, the case kept in the history.
struct PageRestorer {
    kb: &'static Kb,
    tool: Tool,
    db: Option<PathBuf>,
    stopper: Stopper,
    runs: Runs,
}

impl Restorer for PageRestorer {
    fn start(&self, job: RestoreJob, bench: Arc<Bench>) -> Result<(), String> {
        let request = Request {
            firmware: job.ipsw.clone().map_or(Firmware::Latest, Firmware::Ipsw),
            ecid: Some(job.ecid),
            erase: job.erase,
        };
        let (kb, tool, db) = (self.kb, self.tool.clone(), self.db.clone());
        let stopper = self.stopper.clone();
        let run = std::thread::Builder::new()
            .name(format!("restore {}", job.port))
            .spawn(move || run_restore(kb, &tool, db.as_deref(), &job, &request, &stopper, &bench))
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
struct PageExiter {
    kb: &'static Kb,
    tool: Irecovery,
    db: Option<PathBuf>,
    sysfs_root: Option<PathBuf>,
    stopper: Stopper,
    runs: Runs,
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
        let (kb, tool, db) = (self.kb, self.tool.clone(), self.db.clone());
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
                            exit_recovery::words::keep_case(db.as_deref(), result, false);
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

fn run_restore(
    kb: &Kb,
    tool: &Tool,
    db: Option<&Path>,
    job: &RestoreJob,
    request: &Request,
    stopper: &Stopper,
    bench: &Bench,
) {
    let mut phase: Option<Phase> = None;
    let ended = supervise::run(kb, tool, request, stopper, &mut |happening| {
        let news = match &happening {
            Happening::Line(line) => Some(json!({"kind": "line", "line": line})),
            Happening::Phase(p) => {
                phase = Some(*p);
                as_json(&happening, bench.t(), phase)
            }
            _ => as_json(&happening, bench.t(), phase),
        };
        if let Some(news) = news {
            bench.restore_news(job.id, &news);
        }
    });
    let ending = match ended {
        Ok(ending) => ending,
        Err(e) => {
            let error = format!("idevicerestore could not be run: {e}");
            bench.restore_ended(job.id, json!({"restored": false, "error": error}));
            return;
        }
    };
    let mut ledger = Ledger::new();
    ledger.device = DeviceContext {
        ecid: Some(job.ecid),
        port: Some(job.port.clone()),
        ..DeviceContext::default()
    };
    let failure = record(
        kb,
        &mut ledger,
        request,
        &ending,
        &bench.restore_link(job.id),
    );
    let mut keeper = CaseKeeper::new(db);
    keeper.keep(&ledger);
    let verdict = verdict_json(kb, bench.t(), 1, &ending, failure.as_ref(), keeper.id());
    bench.restore_ended(job.id, verdict);
}
