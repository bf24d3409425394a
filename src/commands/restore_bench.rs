//! `restore --all` and several `--ecid`: a bench of phones restored by a queue of idevicerestore
//! runs, at most `--jobs` at a time, each shown with its port, failed ones tried again at the end.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use case::Ledger;
use kb::{EventKind, Kb, Phase};
use serde_json::json;
use supervise::{Ending, ErasePermit, Firmware, Happening, Stopper, Tool};
use usb::{AppleDevice, Mode};
use watch::Finding;

use super::restore::{
    Failure, action_name, as_json, duration, ecid_arg, erase_permit, failed_words, in_words,
    ledger_for, progress_bar, record, request_for, stopped_words, verdict_json, watch_link,
};
use crate::case_store::CaseKeeper;
use crate::cli::RestoreArgs;
use crate::output::{self, DIM, GOOD, STRONG, WARN, paint};
use crate::usage_error::UsageError;
use crate::usb_source;

/// Restores every phone the flags name, `--jobs` at a time, until `stopper` stops them all.
/// Exit 0 when all were restored.
pub fn run(
    kb: &'static Kb,
    db: Option<&Path>,
    tool: &Tool,
    firmware: &Firmware,
    args: &RestoreArgs,
    stopper: &Stopper,
) -> anyhow::Result<ExitCode> {
    let (mut phones, left_alone) = bench_phones(kb, args)?;
    let erase = if args.erase {
        Some(erase_permit(
            args.yes_erase,
            &format!("{} phones", phones.len()),
        )?)
    } else {
        None
    };
    for phone in &mut phones {
        phone.keeper = (!args.no_save).then(|| CaseKeeper::new(db));
    }
    // From the first run to the summary, a signal stops the runs instead of ending us.
    let _hold = stopper.hold();
    let mut screen = BenchScreen::new(args.json);
    screen.introduce(tool, &phones, args, erase.is_some(), left_alone)?;
    let failed_show = run_queue(
        kb,
        tool,
        (firmware, erase),
        args,
        stopper,
        &mut phones,
        &mut screen,
    );
    screen.summary(kb, &phones)?;
    if let Some(e) = failed_show {
        return Err(e.into());
    }
    if let Some(signal) = stopper.requested() {
        return Ok(ExitCode::from(signal.exit_code()));
    }
    Ok(if phones.iter().all(Phone::restored) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One phone of the bench and its case.
struct Phone {
    /// Numbered from 1 in the order given (or found on USB).
    number: usize,
    ecid: u64,
    /// What USB showed of it when the command started; `None` when it was not seen.
    seen: Option<AppleDevice>,
    attempts: u32,
    ledger: Ledger,
    keeper: Option<CaseKeeper>,
    /// The last run's ending and what the engine made of a failure.
    last: Option<(Ending, Option<Failure>)>,
    phase: Option<Phase>,
    /// What the link watch saw on its port during the current run.
    link: Vec<Finding>,
    bar: Option<indicatif::ProgressBar>,
}

impl Phone {
    fn new(number: usize, ecid: u64, seen: Option<AppleDevice>) -> Phone {
        let ledger = ledger_for(Some(ecid), seen.as_ref());
        Phone {
            number,
            ecid,
            seen,
            attempts: 0,
            ledger,
            keeper: None,
            last: None,
            phase: None,
            link: Vec::new(),
            bar: None,
        }
    }

    fn port(&self) -> Option<&str> {
        self.ledger.device.port.as_deref()
    }

    /// How the phone is called on screen: its port, else its masked ECID.
    fn label(&self) -> String {
        self.port()
            .map_or_else(|| format!("ECID {}", self.masked_ecid()), str::to_owned)
    }

    fn masked_ecid(&self) -> String {
        kb::text::mask(&format!("{:X}", self.ecid))
    }

    /// The model by name as USB showed it, else the product type the tool reported.
    fn model(&self) -> Option<String> {
        let seen = self.seen.as_ref();
        seen.and_then(|d| d.name.clone().or_else(|| d.product_type.clone()))
            .or_else(|| self.last.as_ref().and_then(|(e, _)| e.device.clone()))
    }

    fn restored(&self) -> bool {
        self.last.as_ref().is_some_and(|(e, _)| e.succeeded())
    }

    /// The engine's next step after the last run, when it failed.
    fn next_step(&self) -> Option<&engine::Step> {
        self.last
            .as_ref()
            .filter(|(e, _)| !e.succeeded())
            .and_then(|(_, f)| f.as_ref()?.next.as_ref())
    }

    fn identity(&self) -> serde_json::Value {
        json!({"number": self.number, "port": self.port(), "ecid": self.masked_ecid()})
    }
}

/// The phones to restore and how many phones on USB were left alone (not in DFU or recovery).
fn bench_phones(kb: &Kb, args: &RestoreArgs) -> anyhow::Result<(Vec<Phone>, usize)> {
    let on_usb = usb_source::for_watching(kb, None, args.sysfs_root.as_deref()).snapshot(kb);
    if args.all {
        let devices = on_usb.map_err(|e| {
            UsageError::new(format!(
                "--all needs to see the USB bus, which could not be read: {e}. Name the phones with --ecid instead."
            ))
        })?;
        let (ready, left): (Vec<_>, Vec<_>) = devices
            .into_iter()
            .partition(|d| matches!(d.mode, Mode::Dfu | Mode::Recovery) && d.ecid.is_some());
        if ready.is_empty() {
            return Err(UsageError::new(
                "No phone in DFU or recovery mode on USB. Put each phone in recovery or DFU mode (`restore-doctor dfu` coaches it); `restore-doctor devices` shows what is attached.",
            )
            .into());
        }
        let phones = ready
            .into_iter()
            .enumerate()
            .filter_map(|(i, d)| Some(Phone::new(i + 1, d.ecid?, Some(d))))
            .collect();
        return Ok((phones, left.len()));
    }
    let devices = on_usb.unwrap_or_default();
    let mut ecids: Vec<u64> = Vec::new();
    for text in &args.ecid {
        let ecid = ecid_arg(text)?;
        if !ecids.contains(&ecid) {
            ecids.push(ecid);
        }
    }
    let phones = ecids
        .into_iter()
        .enumerate()
        .map(|(i, ecid)| {
            let seen = devices.iter().find(|d| d.ecid == Some(ecid)).cloned();
            Phone::new(i + 1, ecid, seen)
        })
        .collect();
    Ok((phones, 0))
}

/// What the queue hears from the runs and the link watch.
enum News {
    Seen(usize, Happening),
    Ended(usize, Box<std::io::Result<Ending>>),
    Link(Finding),
}

/// Runs the queue to its end: starts runs while fewer than `--jobs` are running, shows what
/// they say, keeps each phone's case and puts failed phones back at the end while they have
/// tries left; once `stopper` is asked to stop, starts nothing more. Returns the first error in
/// showing something; a failure to show never cuts a run off.
fn run_queue(
    kb: &'static Kb,
    tool: &Tool,
    (firmware, erase): (&Firmware, Option<ErasePermit>),
    args: &RestoreArgs,
    stopper: &Stopper,
    phones: &mut [Phone],
    screen: &mut BenchScreen,
) -> Option<std::io::Error> {
    let jobs = usize::from(args.jobs);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<News>();
    std::thread::scope(|scope| {
        let link_tx = tx.clone();
        let stop = &stop;
        scope.spawn(move || {
            watch_link(kb, args.sysfs_root.as_deref(), stop, |finding| {
                link_tx.send(News::Link(finding)).is_ok()
            })
        });
        let mut queue: VecDeque<usize> = (0..phones.len()).collect();
        let mut running = 0;
        let mut failed_show = None;
        let mut shown = |result: std::io::Result<()>| {
            if let Err(e) = result {
                failed_show.get_or_insert(e);
            }
        };
        loop {
            while running < jobs && stopper.requested().is_none() {
                let Some(i) = queue.pop_front() else { break };
                let phone = &mut phones[i];
                phone.attempts += 1;
                phone.phase = None;
                shown(screen.started(phone));
                let request = request_for(firmware, Some(phone.ecid), erase);
                let tx = tx.clone();
                scope.spawn(move || {
                    let ending = supervise::run(kb, tool, &request, stopper, &mut |happening| {
                        let _ = tx.send(News::Seen(i, happening));
                    });
                    let _ = tx.send(News::Ended(i, Box::new(ending)));
                });
                running += 1;
            }
            if running == 0 {
                break;
            }
            let Ok(news) = rx.recv() else { break };
            match news {
                News::Seen(i, happening) => shown(screen.show(&mut phones[i], &happening)),
                News::Link(finding) => {
                    let phone = phones
                        .iter_mut()
                        .find(|p| p.port().is_some() && p.port() == finding.port.as_deref());
                    shown(screen.link(phone, &finding));
                }
                News::Ended(i, ending) => {
                    running -= 1;
                    let phone = &mut phones[i];
                    let again = match *ending {
                        Ok(ending) => {
                            let failure = record_run(kb, (firmware, erase), phone, &ending);
                            phone.last = Some((ending, failure));
                            let stopped = phone
                                .last
                                .as_ref()
                                .is_some_and(|(e, _)| e.stopped.is_some());
                            !phone.restored() && !stopped && phone.attempts <= args.retry
                        }
                        Err(e) => {
                            shown(screen.could_not_run(phone, &e));
                            false
                        }
                    };
                    if again {
                        queue.push_back(i);
                    }
                    shown(screen.ended(kb, phone, again));
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        failed_show
    })
}

/// Keeps one run in its phone's case; for a failure, what the engine makes of it.
fn record_run(
    kb: &Kb,
    (firmware, erase): (&Firmware, Option<ErasePermit>),
    phone: &mut Phone,
    ending: &Ending,
) -> Option<Failure> {
    let request = request_for(firmware, Some(phone.ecid), erase);
    let failure = record(kb, &mut phone.ledger, &request, ending, &phone.link);
    phone.link.clear();
    if let Some(keeper) = phone.keeper.as_mut() {
        keeper.keep(&phone.ledger);
    }
    failure
}

/// What the person sees of a bench: lines tagged with each phone's port (and a progress bar
/// per running phone on a terminal), or JSON lines that carry the phone.
struct BenchScreen {
    json: bool,
    start: Instant,
    bars: Option<indicatif::MultiProgress>,
}

impl BenchScreen {
    fn new(json: bool) -> BenchScreen {
        BenchScreen {
            json,
            start: Instant::now(),
            bars: (!json && std::io::stderr().is_terminal()).then(indicatif::MultiProgress::new),
        }
    }

    fn t(&self) -> f64 {
        (self.start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    fn clock(&self) -> String {
        let s = self.start.elapsed().as_secs();
        format!("{:>3}:{:02}", s / 60, s % 60)
    }

    fn emit(&self, phone: Option<&Phone>, mut value: serde_json::Value) -> std::io::Result<()> {
        if let Some(phone) = phone {
            value["phone"] = phone.identity();
        }
        kb::text::redact_json(&mut value);
        output::line(serde_json::to_string(&value).unwrap_or_default())
    }

    /// A line about `phone` (or the bench), above the progress bars when there are any.
    fn say(&self, phone: Option<&Phone>, text: &str) -> std::io::Result<()> {
        let tag = phone
            .map(|p| format!("[{}] ", p.label()))
            .unwrap_or_default();
        let line = kb::text::redact_identifiers(&format!("{}  {tag}{text}", self.clock()));
        match &self.bars {
            Some(bars) => bars.println(output::fit(&line)),
            None => output::line(output::fit(&line)),
        }
    }

    fn introduce(
        &self,
        tool: &Tool,
        phones: &[Phone],
        args: &RestoreArgs,
        erase: bool,
        left_alone: usize,
    ) -> std::io::Result<()> {
        if self.json {
            let phones: Vec<_> = phones
                .iter()
                .map(|p| {
                    let mut value = p.identity();
                    value["model"] = json!(p.model());
                    value["mode"] = json!(p.seen.as_ref().map(|d| d.mode.id()));
                    value
                })
                .collect();
            return self.emit(
                None,
                json!({"t": self.t(), "kind": "bench", "jobs": args.jobs, "retries": args.retry,
                       "erase": erase, "tool_version": tool.version, "phones": phones}),
            );
        }
        let what = if erase {
            "full restores that ERASE each phone"
        } else {
            "updates, which keep each phone's data"
        };
        output::line(
            output::wrap(
                &format!(
                    "Restoring {} phones with idevicerestore {}, at most {} at a time: {what}.",
                    phones.len(),
                    tool.version,
                    args.jobs
                ),
                "",
            )
            .trim_end(),
        )?;
        let models: Vec<String> = phones
            .iter()
            .map(|p| p.model().unwrap_or_else(|| "model ?".to_owned()))
            .collect();
        let model_width = models.iter().map(|m| m.chars().count()).max().unwrap_or(0);
        let port_width = phones
            .iter()
            .map(|p| p.label().chars().count())
            .max()
            .unwrap_or(0);
        for (phone, model) in phones.iter().zip(&models) {
            let mode = phone
                .seen
                .as_ref()
                .map_or("not seen on USB".to_owned(), |d| {
                    format!("{} mode", d.mode.id())
                });
            output::line(output::fit(&format!(
                "  {:>2}. {:<port_width$}  {model:<model_width$}  ECID {}  {mode}",
                phone.number,
                phone.label(),
                phone.masked_ecid()
            )))?;
        }
        if left_alone > 0 {
            let phones = if left_alone == 1 {
                "1 other phone on USB is"
            } else {
                &format!("{left_alone} other phones on USB are")
            };
            output::line(paint(
                DIM,
                &format!("{phones} not in DFU or recovery mode and left alone."),
            ))?;
        }
        Ok(())
    }

    fn started(&self, phone: &Phone) -> std::io::Result<()> {
        if self.json {
            return self.emit(
                Some(phone),
                json!({"t": self.t(), "kind": "start", "attempt": phone.attempts}),
            );
        }
        let attempt = if phone.attempts > 1 {
            format!(" (attempt {})", phone.attempts)
        } else {
            String::new()
        };
        self.say(
            Some(phone),
            &paint(STRONG, &format!("idevicerestore started{attempt}")),
        )
    }

    fn show(&self, phone: &mut Phone, happening: &Happening) -> std::io::Result<()> {
        match happening {
            Happening::Phase(phase) => phone.phase = Some(*phase),
            Happening::Progress(step, fraction) if !self.json => {
                if let Some(bars) = &self.bars {
                    let label = phone.label();
                    let bar = phone.bar.get_or_insert_with(|| {
                        let bar = bars.add(progress_bar("{prefix:>10} {msg:>22}"));
                        bar.set_prefix(label);
                        bar
                    });
                    bar.set_message(step.words());
                    bar.set_position((fraction * 1000.0) as u64);
                }
                return Ok(());
            }
            _ => {}
        }
        if self.json {
            return match as_json(happening, self.t(), phone.phase) {
                Some(value) => self.emit(Some(phone), value),
                None => Ok(()),
            };
        }
        match in_words(happening) {
            Some(text) => self.say(Some(phone), &text),
            None => Ok(()),
        }
    }

    /// A drop or loop the link watch saw, tagged with the phone on that port when there is one.
    fn link(&self, phone: Option<&mut Phone>, finding: &Finding) -> std::io::Result<()> {
        let phone = phone.map(|phone| {
            phone.link.push(finding.clone());
            &*phone
        });
        if !matches!(finding.kind, EventKind::Drop | EventKind::Loop) {
            return Ok(());
        }
        if self.json {
            let mut value = serde_json::to_value(finding).unwrap_or_default();
            value["source"] = json!("usb");
            return self.emit(phone, value);
        }
        let port = match (phone, finding.port.as_deref()) {
            (None, Some(port)) => format!(" on port {port}"),
            _ => String::new(),
        };
        self.say(
            phone,
            &paint(WARN, &format!("✗ USB{port}: {}", finding.message)),
        )
    }

    fn could_not_run(&self, phone: &Phone, error: &std::io::Error) -> std::io::Result<()> {
        let text = format!("idevicerestore could not be run: {error}");
        if self.json {
            return self.emit(
                Some(phone),
                json!({"t": self.t(), "kind": "error", "line": text}),
            );
        }
        self.say(Some(phone), &paint(WARN, &format!("✗ {text}")))
    }

    /// The end of one run: its verdict, and whether the phone goes back in the queue.
    fn ended(&self, kb: &Kb, phone: &mut Phone, again: bool) -> std::io::Result<()> {
        if let Some(bar) = phone.bar.take() {
            bar.finish_and_clear();
            if let Some(bars) = &self.bars {
                bars.remove(&bar);
            }
        }
        let Some((ending, failure)) = &phone.last else {
            return Ok(());
        };
        let case_id = phone.keeper.as_ref().and_then(|k| k.id());
        if self.json {
            let mut value = verdict_json(
                kb,
                self.t(),
                phone.attempts,
                ending,
                failure.as_ref(),
                case_id,
            );
            value["queued_again"] = json!(again);
            return self.emit(Some(phone), value);
        }
        if ending.succeeded() {
            return self.say(
                Some(phone),
                &paint(GOOD, &format!("✓ restored in {}", duration(ending.seconds))),
            );
        }
        if let Some(signal) = ending.stopped {
            return self.say(
                Some(phone),
                &paint(WARN, &format!("■ {}", stopped_words(signal, ending))),
            );
        }
        let next = failure
            .as_ref()
            .and_then(|f| f.next.as_ref())
            .map(|step| format!(" Next: {}.", action_name(kb, &step.id)))
            .unwrap_or_default();
        let then = if again {
            " Queued again at the end."
        } else {
            ""
        };
        self.say(
            Some(phone),
            &paint(WARN, &format!("✗ {}{next}{then}", failed_words(ending))),
        )
    }

    /// One line per phone: how it ended, the next step for the failed ones, and the case.
    fn summary(&self, kb: &Kb, phones: &[Phone]) -> std::io::Result<()> {
        let restored = phones.iter().filter(|p| p.restored()).count();
        if self.json {
            let rows: Vec<_> = phones
                .iter()
                .map(|p| {
                    let mut value = p.identity();
                    let ending = p.last.as_ref().map(|(e, _)| e);
                    value["model"] = json!(p.model());
                    value["restored"] = json!(p.restored());
                    value["attempts"] = json!(p.attempts);
                    value["phase"] = json!(
                        ending
                            .filter(|e| !e.succeeded())
                            .and_then(Ending::phase)
                            .map(Phase::id)
                    );
                    value["code"] = json!(ending.and_then(Ending::code));
                    value["next_step"] = json!(
                        p.next_step()
                            .map(|s| json!({"id": s.id, "name": action_name(kb, &s.id)}))
                    );
                    value["case"] = json!(p.keeper.as_ref().and_then(|k| k.id()));
                    value
                })
                .collect();
            return self.emit(
                None,
                json!({"t": self.t(), "kind": "summary", "restored": restored,
                       "failed": phones.len() - restored, "phones": rows}),
            );
        }
        output::line("")?;
        let headline = format!("{restored} of {} phones restored.", phones.len());
        output::line(paint(
            if restored == phones.len() { GOOD } else { WARN },
            &headline,
        ))?;
        let port_width = phones
            .iter()
            .map(|p| p.label().chars().count())
            .max()
            .unwrap_or(0);
        let model_width = phones
            .iter()
            .map(|p| p.model().map_or(1, |m| m.chars().count()))
            .max()
            .unwrap_or(0);
        for phone in phones {
            let result = match &phone.last {
                Some((e, _)) if e.succeeded() => "restored".to_owned(),
                Some((e, _)) if e.stopped.is_some() => "stopped".to_owned(),
                Some((e, _)) => format!(
                    "failed{}{}",
                    e.phase()
                        .map(|p| format!(" in {}", p.id()))
                        .unwrap_or_default(),
                    e.code().map(|c| format!(", error {c}")).unwrap_or_default()
                ),
                None => "not run".to_owned(),
            };
            let tries = if phone.attempts > 1 {
                format!(" after {} attempts", phone.attempts)
            } else {
                String::new()
            };
            let next = phone
                .next_step()
                .map(|s| format!(" — next: {}", action_name(kb, &s.id)))
                .unwrap_or_default();
            let case = phone
                .keeper
                .as_ref()
                .and_then(|k| k.id())
                .map(|id| paint(DIM, &format!("  (case {id})")))
                .unwrap_or_default();
            output::line(output::fit(&format!(
                "  {:<port_width$}  {:<model_width$}  {result}{tries}{next}{case}",
                phone.label(),
                phone.model().unwrap_or_else(|| "?".to_owned()),
            )))?;
        }
        Ok(())
    }
}
