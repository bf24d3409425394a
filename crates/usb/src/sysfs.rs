//! A Linux sysfs tree (`<root>/bus/usb/devices/*`) read as a device source: the same
//! attributes nusb reads, from a configurable root so tests can use captured trees.

use std::fs;
use std::path::{Path, PathBuf};

use kb::Kb;

use crate::{APPLE_VID, AppleDevice, Hub, Speed, UsbError, classify};

/// Reads devices from a sysfs root (`/sys` on a live system).
#[derive(Debug, Clone)]
pub struct SysfsSource {
    pub root: PathBuf,
}

/// Longest attribute value read; sysfs attributes are a few bytes.
const MAX_ATTRIBUTE: u64 = 4096;

fn attribute(dir: &Path, name: &str) -> Option<String> {
    use std::io::Read;
    let file = fs::File::open(dir.join(name)).ok()?;
    let mut text = String::new();
    file.take(MAX_ATTRIBUTE).read_to_string(&mut text).ok()?;
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn hex_attribute(dir: &Path, name: &str) -> Option<u16> {
    u16::from_str_radix(&attribute(dir, name)?, 16).ok()
}

impl SysfsSource {
    pub fn new(root: impl Into<PathBuf>) -> SysfsSource {
        SysfsSource { root: root.into() }
    }

    /// Every Apple phone or tablet in the tree, with the hubs above it.
    pub fn snapshot(&self, kb: &Kb) -> Result<Vec<AppleDevice>, UsbError> {
        let devices_dir = self.root.join("bus/usb/devices");
        let entries = fs::read_dir(&devices_dir).map_err(|e| UsbError::Io {
            what: devices_dir.display().to_string(),
            source: e,
        })?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            // Interfaces ("1-4:1.0") and root hubs ("usb1") are not devices on a port.
            .filter(|n| !n.contains(':') && n.contains('-'))
            .collect();
        names.sort();
        let mut found = Vec::new();
        for name in &names {
            let dir = devices_dir.join(name);
            if let Some(mut d) = device_from_attributes(name, |a| attribute(&dir, a)) {
                d.hubs = hubs_above(&devices_dir, name);
                found.push(d.finish(kb));
            }
        }
        Ok(found)
    }
}

/// The Apple device a port's attribute files describe (`idVendor`, `idProduct`, `serial`,
/// `speed`), or `None` for anything else. Pure: `attribute` reads one file's trimmed text.
pub fn device_from_attributes(
    name: &str,
    attribute: impl Fn(&str) -> Option<String>,
) -> Option<AppleDevice> {
    let hex = |a: &str| attribute(a).and_then(|v| u16::from_str_radix(&v, 16).ok());
    let (vid, pid) = (hex("idVendor")?, hex("idProduct")?);
    if vid != APPLE_VID || classify(vid, pid).is_none() {
        return None;
    }
    let mut d = AppleDevice::new("sysfs");
    d.set_ids(vid, pid);
    if let Some(serial) = attribute("serial") {
        d.absorb_serial(&serial);
        d.absorb_udid(&serial);
    }
    d.speed = attribute("speed").and_then(|s| Speed::from_rate(&s));
    d.usb_path = Some(name.to_owned());
    Some(d)
}

/// The hubs between a device and its root port: `1-4.2.1` sits behind `1-4` and `1-4.2`.
fn hubs_above(devices_dir: &Path, name: &str) -> Vec<Hub> {
    let Some((bus, ports)) = name.split_once('-') else {
        return Vec::new();
    };
    let parts: Vec<&str> = ports.split('.').collect();
    (1..parts.len())
        .map(|n| {
            let dir = devices_dir.join(format!("{bus}-{}", parts[..n].join(".")));
            Hub {
                name: attribute(&dir, "product"),
                vid: hex_attribute(&dir, "idVendor"),
                pid: hex_attribute(&dir, "idProduct"),
                // The kernel marks ports wired inside the computer as "fixed".
                built_in: attribute(&dir, "removable").and_then(|r| match r.as_str() {
                    "fixed" => Some(true),
                    "removable" => Some(false),
                    _ => None,
                }),
            }
        })
        .collect()
}
