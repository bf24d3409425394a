//! The live USB bus through nusb, and watching any source for attach / detach: hotplug events
//! wake the watcher where the OS delivers them, and a polling diff covers the rest (containers,
//! udev-less Linux). OS-specific code is the few `cfg` lines below.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use futures_core::Stream;
use kb::Kb;
use nusb::MaybeFuture;

use crate::sysfs::SysfsSource;
use crate::{APPLE_VID, AppleDevice, Hub, Speed, UsbError, classify, identify, snapshot};

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

/// The computer's own USB bus.
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveSource;

fn speed(s: Option<nusb::Speed>) -> Option<Speed> {
    match s? {
        nusb::Speed::Low => Some(Speed::Low),
        nusb::Speed::Full => Some(Speed::Full),
        nusb::Speed::High => Some(Speed::High),
        nusb::Speed::Super => Some(Speed::Super),
        nusb::Speed::SuperPlus => Some(Speed::SuperPlus),
        _ => None,
    }
}

#[cfg(target_os = "linux")]
fn built_in(info: &nusb::DeviceInfo) -> Option<bool> {
    match std::fs::read_to_string(info.sysfs_path().join("removable"))
        .ok()?
        .trim()
    {
        "fixed" => Some(true),
        "removable" => Some(false),
        _ => None,
    }
}

#[cfg(not(target_os = "linux"))]
fn built_in(_info: &nusb::DeviceInfo) -> Option<bool> {
    None
}

/// The port path as Linux names the device (`1-4.2`: bus 1, root port 4, hub port 2), the
/// name dmesg, sysfs and `--sysfs-root` use; nusb's bus id is zero-padded (`001`).
#[cfg(target_os = "linux")]
fn port_path(info: &nusb::DeviceInfo) -> String {
    let ports: Vec<String> = info.port_chain().iter().map(u8::to_string).collect();
    format!("{}-{}", info.busnum(), ports.join("."))
}

#[cfg(not(target_os = "linux"))]
fn port_path(info: &nusb::DeviceInfo) -> String {
    let ports: Vec<String> = info.port_chain().iter().map(u8::to_string).collect();
    format!("{}-{}", info.bus_id(), ports.join("."))
}

#[cfg(target_os = "macos")]
fn location_id(info: &nusb::DeviceInfo) -> Option<u32> {
    Some(info.location_id())
}

#[cfg(not(target_os = "macos"))]
fn location_id(_info: &nusb::DeviceInfo) -> Option<u32> {
    None
}

impl DeviceSource for LiveSource {
    fn snapshot(&self, kb: &Kb) -> Result<Vec<AppleDevice>, UsbError> {
        let all: Vec<nusb::DeviceInfo> = nusb::list_devices()
            .wait()
            .map_err(|e| {
                UsbError::Live(format!(
                    "{e} (in a container or virtual machine, pass the USB bus through)"
                ))
            })?
            .collect();
        let by_chain: HashMap<(String, Vec<u8>), &nusb::DeviceInfo> = all
            .iter()
            .map(|d| ((d.bus_id().to_owned(), d.port_chain().to_vec()), d))
            .collect();
        let mut found = Vec::new();
        for info in &all {
            if info.vendor_id() != APPLE_VID
                || classify(info.vendor_id(), info.product_id()).is_none()
            {
                continue;
            }
            let mut d = AppleDevice::new("live");
            d.set_ids(info.vendor_id(), info.product_id());
            if let Some(serial) = info.serial_number() {
                d.absorb_serial(serial);
                d.absorb_udid(serial);
            }
            d.speed = speed(info.speed());
            let chain = info.port_chain();
            d.usb_path = Some(port_path(info));
            d.location_id = location_id(info);
            d.hubs = (1..chain.len())
                .map(|n| {
                    let hub = by_chain.get(&(info.bus_id().to_owned(), chain[..n].to_vec()));
                    Hub {
                        name: hub.and_then(|h| h.product_string()).map(str::to_owned),
                        vid: hub.map(|h| h.vendor_id()),
                        pid: hub.map(|h| h.product_id()),
                        built_in: hub.and_then(|h| built_in(h)),
                    }
                })
                .collect();
            found.push(d.finish(kb));
        }
        // The OS lists devices in no set order; numbering follows the ports, as in sysfs.
        found.sort_by(|a, b| a.usb_path.cmp(&b.usb_path));
        Ok(found)
    }

    fn is_live(&self) -> bool {
        true
    }

    fn hotplug(&self) -> Option<Receiver<()>> {
        let watch = nusb::watch_devices().ok()?;
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("usb-hotplug".to_owned())
            .spawn(move || drive_hotplug(watch, &tx))
            .ok()?;
        Some(rx)
    }
}

/// Wakes a parked thread when a stream has something.
struct ThreadWaker(thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Forwards every hotplug event as a wake-up until the receiver is gone.
fn drive_hotplug(mut watch: nusb::hotplug::HotplugWatch, tx: &mpsc::Sender<()>) {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match Pin::new(&mut watch).poll_next(&mut cx) {
            Poll::Ready(Some(_)) => {
                if tx.send(()).is_err() {
                    return;
                }
            }
            Poll::Ready(None) => return,
            Poll::Pending => thread::park(),
        }
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
