//! Device sources and watching any of them for attach / detach: hotplug events wake the
//! watcher where a source has them (the live bus, in `usb-live`), a polling diff covers the rest.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use kb::Kb;

use crate::sysfs::SysfsSource;
use crate::{AppleDevice, UsbError, identify, snapshot};

/// Anything that can list the Apple devices it sees.
pub trait DeviceSource: Send + Sync {
    /// The devices seen now.
    fn snapshot(&self, kb: &Kb) -> Result<Vec<AppleDevice>, UsbError>;
    /// True for the live bus: an empty list then means nothing is plugged in.
    fn is_live(&self) -> bool {
        false
    }
    /// True when the devices are on this computer's own bus (live, or read from its sysfs),
    /// not in a file or a paste from elsewhere: a phone seen there is restored from here.
    fn on_this_computer(&self) -> bool {
        self.is_live()
    }
    /// A wake-up channel fed by OS hotplug events, if the source has one.
    fn hotplug(&self) -> Option<Receiver<()>> {
        None
    }
}

impl DeviceSource for SysfsSource {
    fn snapshot(&self, kb: &Kb) -> Result<Vec<AppleDevice>, UsbError> {
        SysfsSource::snapshot(self, kb)
    }

    fn on_this_computer(&self) -> bool {
        true
    }
}

/// A snapshot file written by `devices --save`.
#[derive(Debug, Clone)]
pub struct SnapshotFile(pub std::path::PathBuf);

impl DeviceSource for SnapshotFile {
    fn snapshot(&self, _kb: &Kb) -> Result<Vec<AppleDevice>, UsbError> {
        snapshot::load(&self.0)
    }
}

/// Text a person pasted, decoded by `identify`.
#[derive(Debug, Clone)]
pub struct PastedText(pub String);

impl DeviceSource for PastedText {
    fn snapshot(&self, kb: &Kb) -> Result<Vec<AppleDevice>, UsbError> {
        Ok(identify::identify(kb, &self.0).devices)
    }
}

/// A device appearing or disappearing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Attached(AppleDevice),
    Detached(AppleDevice),
}

/// What makes two sightings the same attachment: same port, same product id, same chip.
/// A mode change re-enumerates with a new product id, so it is a detach and an attach.
fn key(d: &AppleDevice) -> (Option<String>, Option<u16>, Option<u64>, Option<String>) {
    (d.usb_path.clone(), d.pid, d.ecid, d.udid.clone())
}

/// Follows a source and reports changes, woken by hotplug events where there are any and by
/// polling every `interval` always.
pub struct Watcher<'s> {
    source: &'s dyn DeviceSource,
    known: Vec<AppleDevice>,
    wake: Option<Receiver<()>>,
    pub interval: Duration,
}

impl<'s> Watcher<'s> {
    /// Starts watching; the devices present now are reported by [`Watcher::initial`].
    pub fn new(source: &'s dyn DeviceSource, interval: Duration) -> Watcher<'s> {
        Watcher {
            wake: source.hotplug(),
            source,
            known: Vec::new(),
            interval,
        }
    }

    /// True when OS hotplug events drive the watcher (else it only polls).
    pub fn has_hotplug(&self) -> bool {
        self.wake.is_some()
    }

    /// Compares the source with what was known and returns the differences.
    pub fn poll(&mut self, kb: &Kb) -> Result<Vec<Change>, UsbError> {
        let now = self.source.snapshot(kb)?;
        let mut changes: Vec<Change> = self
            .known
            .iter()
            .filter(|old| !now.iter().any(|n| key(n) == key(old)))
            .cloned()
            .map(Change::Detached)
            .collect();
        changes.extend(
            now.iter()
                .filter(|n| !self.known.iter().any(|old| key(old) == key(n)))
                .cloned()
                .map(Change::Attached),
        );
        self.known = now;
        Ok(changes)
    }

    /// Waits for one hotplug event or one polling interval, whichever comes first, then
    /// reports what changed (possibly nothing).
    pub fn wait_once(&mut self, kb: &Kb) -> Result<Vec<Change>, UsbError> {
        match &self.wake {
            Some(rx) => match rx.recv_timeout(self.interval) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.wake = None,
            },
            None => thread::sleep(self.interval),
        }
        self.poll(kb)
    }

    /// Blocks until something changes, then reports it.
    pub fn next_changes(&mut self, kb: &Kb) -> Result<Vec<Change>, UsbError> {
        loop {
            let changes = self.wait_once(kb)?;
            if !changes.is_empty() {
                return Ok(changes);
            }
        }
    }
}
