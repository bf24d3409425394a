//! The computer's own USB bus through nusb: the Apple devices on it now, and OS hotplug events
//! that wake a `usb::source::Watcher`. What differs per OS is fenced in `platform/<os>`.

mod platform;

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver};
use std::thread;

use futures_lite::{StreamExt, future};
use kb::Kb;
use nusb::MaybeFuture;
use usb::source::DeviceSource;
use usb::{APPLE_VID, AppleDevice, Hub, Speed, UsbError, classify};

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
            d.usb_path = Some(platform::port_path(info));
            d.location_id = platform::location_id(info);
            d.hubs = (1..chain.len())
                .map(|n| {
                    let hub = by_chain.get(&(info.bus_id().to_owned(), chain[..n].to_vec()));
                    Hub {
                        name: hub.and_then(|h| h.product_string()).map(str::to_owned),
                        vid: hub.map(|h| h.vendor_id()),
                        pid: hub.map(|h| h.product_id()),
                        built_in: hub.and_then(|h| platform::built_in(h)),
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

/// Forwards every hotplug event as a wake-up until the receiver is gone.
fn drive_hotplug(mut watch: nusb::hotplug::HotplugWatch, tx: &mpsc::Sender<()>) {
    while future::block_on(watch.next()).is_some() {
        if tx.send(()).is_err() {
            return;
        }
    }
}
