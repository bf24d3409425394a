//! A bench of phones restored as one use-case: a queue of idevicerestore runs, at most `jobs`
//! at a time, each phone with its own case, failed ones tried again at the end.

use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use case::Ledger;
use kb::{Kb, RestoreEvent};
use supervise::{Ending, ErasePermit, Firmware, Request, Stopper, Tool};
use usb::{AppleDevice, Mode};
use watch::Finding;

use crate::case_store::CaseKeeper;
use crate::ops::Context;
use crate::ops::restore::{self, Failure};

/// One phone of the bench and its case.
pub struct Phone {
    /// Numbered from 1 in the order given (or found on USB).
    pub number: usize,
    pub ecid: u64,
    /// What USB showed of it when the command started; `None` when it was not seen.
    pub seen: Option<AppleDevice>,
    pub attempts: u32,
    pub ledger: Ledger,
    pub keeper: Option<CaseKeeper>,
    /// The last run's ending and what the engine made of a failure.
    pub last: Option<(Ending, Option<Failure>)>,
    /// What the link watch saw on its port during the current run.
    link: Vec<Finding>,
}

impl Phone {
    fn new(kb: &Kb, number: usize, ecid: u64, seen: Option<AppleDevice>) -> Phone {
        let ledger = restore::new_case(kb, Some(ecid), seen.as_ref());
        Phone {
            number,
            ecid,
            seen,
            attempts: 0,
            ledger,
            keeper: None,
            last: None,
            link: Vec::new(),
        }
    }

    /// The port it is on, when USB showed it.
    pub fn port(&self) -> Option<&str> {
        self.ledger.device.port.as_deref()
    }

    /// The model by name as USB showed it, else the product type the tool reported.
    pub fn model(&self) -> Option<String> {
        let seen = self.seen.as_ref();
        seen.and_then(|d| d.name.clone().or_else(|| d.product_type.clone()))
            .or_else(|| self.last.as_ref().and_then(|(e, _)| e.device.clone()))
    }

    pub fn restored(&self) -> bool {
        self.last.as_ref().is_some_and(|(e, _)| e.succeeded())
    }

    /// The engine's next step after the last run, when it failed.
    pub fn next_step(&self) -> Option<&engine::Step> {
        self.last
            .as_ref()
            .filter(|(e, _)| !e.succeeded())
            .and_then(|(_, f)| f.as_ref()?.next.as_ref())
    }

    /// The case the phone's runs are kept in.
    pub fn case_id(&self) -> Option<&str> {
        self.keeper.as_ref().and_then(|k| k.id())
    }
}

/// The phones to restore and how many phones on USB were left alone (not in DFU or recovery):
/// with `all`, every phone on USB in DFU or recovery mode; else the phones with `ecids`.
pub fn phones(
    kb: &Kb,
    all: bool,
    ecids: &[u64],
    sysfs_root: Option<&Path>,
) -> Result<(Vec<Phone>, usize), String> {
    let on_usb = restore::on_usb(kb, sysfs_root);
    if all {
        let devices = on_usb.map_err(|e| {
            format!(
                "--all needs to see the USB bus, which could not be read: {e}. Name the phones with --ecid instead."
            )
        })?;
        let (ready, left): (Vec<_>, Vec<_>) = devices
            .into_iter()
            .partition(|d| matches!(d.mode, Mode::Dfu | Mode::Recovery) && d.ecid.is_some());
        if ready.is_empty() {
            return Err("No phone in DFU or recovery mode on USB. Put each phone in recovery or DFU mode (`restore-doctor dfu` coaches it); `restore-doctor devices` shows what is attached.".to_owned());
        }
        let phones = ready
            .into_iter()
            .enumerate()
            .filter_map(|(i, d)| Some(Phone::new(kb, i + 1, d.ecid?, Some(d))))
            .collect();
        return Ok((phones, left.len()));
    }
    let devices = on_usb.unwrap_or_default();
    let mut unique: Vec<u64> = Vec::new();
    for &ecid in ecids {
        if !unique.contains(&ecid) {
            unique.push(ecid);
        }
    }
    let phones = unique
        .into_iter()
        .enumerate()
        .map(|(i, ecid)| {
            let seen = devices.iter().find(|d| d.ecid == Some(ecid)).cloned();
            Phone::new(kb, i + 1, ecid, seen)
        })
        .collect();
    Ok((phones, 0))
}

/// How the bench is restored: the firmware, the leave to erase, how many at once and how many
/// more tries a failed phone gets.
pub struct Plan<'a> {
    pub firmware: Firmware,
    pub erase: Option<ErasePermit>,
    pub jobs: usize,
    pub retries: u32,
    pub sysfs_root: Option<&'a Path>,
}

impl Plan<'_> {
    fn request(&self, phone: &Phone) -> Request {
        Request {
            firmware: self.firmware.clone(),
            ecid: Some(phone.ecid),
            erase: self.erase,
        }
    }
}

/// What a bench's view is told as the queue runs.
pub trait BenchView {
    /// A run of `phone` started (its `attempts` counts it).
    fn started(&mut self, phone: &Phone) -> io::Result<()>;
    /// The tool said something about `phone`.
    fn event(&mut self, phone: &Phone, event: RestoreEvent) -> io::Result<()>;
    /// The link watch saw something, on the port of `phone` when it is one of the bench's.
    fn link(&mut self, phone: Option<&Phone>, finding: &Finding) -> io::Result<()>;
    /// The tool could not be run for `phone`.
    fn could_not_run(&mut self, phone: &Phone, error: &io::Error) -> io::Result<()>;
    /// A run of `phone` ended (its `last`); `again`: it goes back in the queue.
    fn ended(&mut self, kb: &Kb, phone: &Phone, again: bool) -> io::Result<()>;
}

/// What the queue hears from the runs and the link watch.
enum News {
    Seen(usize, RestoreEvent),
    Ended(usize, Box<io::Result<Ending>>),
    Link(Finding),
}

/// Runs the queue to its end: starts runs while fewer than `plan.jobs` are running, tells
/// `view` what they say, keeps each phone's case and puts failed phones back at the end while
/// they have tries left; once `stopper` is asked to stop, starts nothing more. Returns the first
/// error of the view; a failure to show never cuts a run off.
pub fn run(
    ctx: &Context,
    kb: &'static Kb,
    tool: &Tool,
    plan: &Plan,
    stopper: &Stopper,
    phones: &mut [Phone],
    view: &mut dyn BenchView,
) -> Option<io::Error> {
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<News>();
    std::thread::scope(|scope| {
        let link_tx = tx.clone();
        let stop = &stop;
        scope.spawn(move || {
            restore::watch_link(kb, plan.sysfs_root, stop, |finding| {
                link_tx.send(News::Link(finding)).is_ok()
            })
        });
        let mut queue: VecDeque<usize> = (0..phones.len()).collect();
        let mut running = 0;
        let mut failed_show = None;
        let mut shown = |result: io::Result<()>| {
            if let Err(e) = result {
                failed_show.get_or_insert(e);
            }
        };
        loop {
            while running < plan.jobs && stopper.requested().is_none() {
                let Some(i) = queue.pop_front() else { break };
                let phone = &mut phones[i];
                phone.attempts += 1;
                shown(view.started(phone));
                let request = plan.request(phone);
                let tx = tx.clone();
                scope.spawn(move || {
                    let ending = supervise::run(kb, tool, &request, stopper, &mut |event| {
                        let _ = tx.send(News::Seen(i, event));
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
                News::Seen(i, event) => shown(view.event(&phones[i], event)),
                News::Link(finding) => {
                    let phone = phones
                        .iter_mut()
                        .find(|p| p.port().is_some() && p.port() == finding.port.as_deref());
                    if let Some(phone) = phone {
                        phone.link.push(finding.clone());
                        shown(view.link(Some(phone), &finding));
                    } else {
                        shown(view.link(None, &finding));
                    }
                }
                News::Ended(i, ending) => {
                    running -= 1;
                    let phone = &mut phones[i];
                    let again = match *ending {
                        Ok(ending) => {
                            let request = plan.request(phone);
                            let failure = restore::record(
                                ctx,
                                kb,
                                &mut phone.ledger,
                                &request,
                                &ending,
                                &phone.link,
                            );
                            phone.link.clear();
                            if let Some(keeper) = phone.keeper.as_mut() {
                                keeper.keep(&phone.ledger);
                            }
                            let stopped = ending.stopped.is_some();
                            phone.last = Some((ending, failure));
                            !phone.restored() && !stopped && phone.attempts <= plan.retries
                        }
                        Err(e) => {
                            shown(view.could_not_run(phone, &e));
                            false
                        }
                    };
                    if again {
                        queue.push_back(i);
                    }
                    shown(view.ended(kb, phone, again));
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        failed_show
    })
}
