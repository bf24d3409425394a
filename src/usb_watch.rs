//! Watching the USB link: the one loop that turns a device source's attaches and detaches into
//! the timeline tracker's findings, used by `watch`, `devices --watch` and the session's retry.

use std::time::{Duration, Instant};

use kb::Kb;
use usb::UsbError;
use usb::source::{Change, DeviceSource, Watcher};
use watch::{Finding, Tracker};

/// What one turn of the loop saw: the raw changes and what the tracker made of them.
pub struct Tick {
    /// Seconds since the watch started.
    pub t: f64,
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
}

/// A watched link: a [`Watcher`] feeding a [`Tracker`] on one clock.
pub struct LinkWatch<'s> {
    watcher: Watcher<'s>,
    pub tracker: Tracker,
    start: Instant,
    started: bool,
}

impl<'s> LinkWatch<'s> {
    pub fn new(source: &'s dyn DeviceSource, interval: Duration) -> LinkWatch<'s> {
        LinkWatch {
            watcher: Watcher::new(source, interval),
            tracker: Tracker::default(),
            start: Instant::now(),
            started: false,
        }
    }

    /// True when OS hotplug events wake the loop (else it polls).
    pub fn has_hotplug(&self) -> bool {
        self.watcher.has_hotplug()
    }

    /// The next turn: what is on USB now the first time, then what changed after one hotplug
    /// event or one interval (possibly nothing), with the tracker's findings for it.
    pub fn next(&mut self, kb: &Kb) -> Result<Tick, UsbError> {
        let changes = if self.started {
            self.watcher.wait_once(kb)?
        } else {
            self.started = true;
            self.watcher.poll(kb)?
        };
        let t = self.start.elapsed().as_secs_f64();
        let mut findings = Vec::new();
        for change in &changes {
            findings.extend(self.tracker.push(&watch::event(t, change.clone())));
        }
        findings.extend(self.tracker.tick(t));
        Ok(Tick {
            t,
            changes,
            findings,
        })
    }
}
