//! Apple phones and tablets on USB: their mode (normal, recovery, DFU, restore, WTF), model,
//! ECID, link speed, USB path and the hubs in between, from any source behind one record.
//!
//! Sources: a Linux sysfs tree, our own JSON snapshots and text people paste (`identify`), each
//! a `source::DeviceSource`; the live bus (nusb) is the `usb-live` crate. Devices yield kb
//! observations. Nothing here talks to the USB bus itself.

pub mod evidence;
pub mod identify;
pub mod json;
pub mod serial;
pub mod snapshot;
pub mod source;
pub mod sysfs;
mod tree;

use std::collections::BTreeMap;

use kb::Kb;
use serde::{Deserialize, Serialize};

/// Why devices could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UsbError {
    #[error("cannot read {what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("cannot list USB devices: {0}")]
    Live(String),
    #[error("{0}")]
    Snapshot(String),
}

/// Apple's USB vendor id.
pub const APPLE_VID: u16 = 0x05ac;

/// What the device is doing, as its USB product id (and serial string) tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Normal,
    Recovery,
    Dfu,
    Restore,
    Wtf,
    Unknown,
}

impl Mode {
    pub fn id(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Recovery => "recovery",
            Mode::Dfu => "dfu",
            Mode::Restore => "restore",
            Mode::Wtf => "wtf",
            Mode::Unknown => "unknown",
        }
    }
}

/// Negotiated USB link speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Speed {
    Low,
    Full,
    High,
    Super,
    SuperPlus,
}

impl Speed {
    pub fn mbps(self) -> u32 {
        match self {
            Speed::Low => 1,
            Speed::Full => 12,
            Speed::High => 480,
            Speed::Super => 5000,
            Speed::SuperPlus => 10000,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Speed::Low => "low",
            Speed::Full => "full",
            Speed::High => "high",
            Speed::Super => "super",
            Speed::SuperPlus => "super-plus",
        }
    }

    /// Reads a speed written in Mb/s ("480", "1.5", "5000") or bit/s (480000000).
    pub fn from_rate(text: &str) -> Option<Speed> {
        let value: f64 = text.trim().parse().ok()?;
        let mbps = if value >= 1_000_000.0 {
            value / 1_000_000.0
        } else {
            value
        };
        Some(match mbps {
            m if m < 5.0 => Speed::Low,
            m if m < 100.0 => Speed::Full,
            m if m < 1000.0 => Speed::High,
            m if m < 8000.0 => Speed::Super,
            _ => Speed::SuperPlus,
        })
    }
}

/// A hub between the device and the host controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hub {
    pub name: Option<String>,
    pub vid: Option<u16>,
    pub pid: Option<u16>,
    /// Part of the computer itself (a Mac's root-port hub, a laptop's internal hub).
    pub built_in: Option<bool>,
}

/// One Apple phone or tablet seen on USB. Unknown values are `None`, never guessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppleDevice {
    pub mode: Mode,
    /// A finer mode name where the product id has one ("Port DFU", "pwned DFU", ...).
    pub mode_detail: Option<String>,
    pub product_type: Option<String>,
    pub name: Option<String>,
    /// The product types the device can be when only its model is known (a 30-pin iPhone 4's
    /// USB product id names the model, not the variant); empty otherwise.
    #[serde(default)]
    pub candidates: Vec<String>,
    pub board: Option<String>,
    pub cpid: Option<u32>,
    pub bdid: Option<u32>,
    pub ecid: Option<u64>,
    /// Apple serial number (SRNM or lockdown SerialNumber).
    pub serial_number: Option<String>,
    pub udid: Option<String>,
    pub imei: Option<String>,
    /// Every tag of the DFU / recovery serial string, unknown ones included.
    pub serial_tags: BTreeMap<String, String>,
    pub vid: Option<u16>,
    pub pid: Option<u16>,
    pub speed: Option<Speed>,
    /// Bus and port chain, e.g. `1-4.2` (Linux style) or a macOS location id.
    pub usb_path: Option<String>,
    pub location_id: Option<u32>,
    /// The iOS / iPadOS version, where lockdown told it (normal mode only).
    #[serde(default)]
    pub os_version: Option<String>,
    pub hubs: Vec<Hub>,
    /// Where this record came from (live, sysfs, lsusb, irecovery, ...).
    pub source: String,
}

/// What a USB product id means for an Apple device; `None` for Apple products that are not
/// phones or tablets (keyboards, hubs, Bluetooth, IR receivers, T2).
pub fn classify(vid: u16, pid: u16) -> Option<(Mode, Option<&'static str>)> {
    if vid != APPLE_VID {
        return None;
    }
    Some(match pid {
        0x1227 => (Mode::Dfu, None),
        0x1222 => (Mode::Wtf, None),
        0x1280..=0x1283 => (Mode::Recovery, None),
        0x1290..=0x12af => (Mode::Normal, None),
        0xf014 => (Mode::Dfu, Some("Port DFU")),
        0x1881 => (Mode::Dfu, Some("DFU via Debug USB (KIS)")),
        0x1338 => (Mode::Dfu, Some("checkra1n stage-2 DFU")),
        0x4141 => (Mode::Unknown, Some("PongoOS")),
        0x1901..=0x1905 => (Mode::Restore, Some("Apple-silicon Mac in restore mode")),
        _ => return None,
    })
}

impl AppleDevice {
    /// A copy fit for a file meant to be shared (`devices --save`, `--record`): the ECID is
    /// replaced by `stand_in` (a small number that still tells devices apart in a replay),
    /// and the serial number, UDID, IMEI and the serial string's ECID and SRNM are masked.
    pub fn shareable(&self, stand_in: u64) -> AppleDevice {
        let mask = |v: &Option<String>| v.as_deref().map(kb::text::mask);
        let mut copy = self.clone();
        copy.ecid = self.ecid.map(|_| stand_in);
        copy.serial_number = mask(&self.serial_number);
        copy.udid = mask(&self.udid);
        copy.imei = mask(&self.imei);
        for (tag, value) in copy.serial_tags.iter_mut() {
            match tag.as_str() {
                "ECID" => *value = format!("{stand_in:016X}"),
                "SRNM" | "IMEI" => *value = kb::text::mask(value),
                _ => {}
            }
        }
        copy
    }

    /// An empty record from a source; parsers fill it in, then call [`AppleDevice::finish`].
    pub fn new(source: &str) -> AppleDevice {
        AppleDevice {
            mode: Mode::Unknown,
            mode_detail: None,
            product_type: None,
            name: None,
            candidates: Vec::new(),
            board: None,
            cpid: None,
            bdid: None,
            ecid: None,
            serial_number: None,
            udid: None,
            imei: None,
            serial_tags: BTreeMap::new(),
            vid: None,
            pid: None,
            speed: None,
            usb_path: None,
            location_id: None,
            os_version: None,
            hubs: Vec::new(),
            source: source.to_owned(),
        }
    }

    /// Takes in a DFU / recovery serial string.
    pub fn absorb_serial(&mut self, text: &str) {
        let info = serial::parse(text);
        if !info.identifies_a_device() {
            return;
        }
        self.cpid = self.cpid.or(info.cpid);
        self.bdid = self.bdid.or(info.bdid);
        self.ecid = self.ecid.or(info.ecid);
        self.serial_number = self.serial_number.take().or(info.srnm.clone());
        self.imei = self.imei.take().or(info.imei.clone());
        if info.pwnd.is_some() {
            self.mode_detail = Some("pwned DFU".to_owned());
        }
        if self.mode == Mode::Unknown {
            self.mode = info.mode();
        }
        for (k, v) in info.tags {
            self.serial_tags.entry(k).or_insert(v);
        }
    }

    /// Takes in a UDID. New devices use `CPID-ECID` (`%08X-%016X`, sometimes written without
    /// the dash); 40-hex-digit UDIDs of older devices say nothing about the chip.
    pub fn absorb_udid(&mut self, udid: &str) {
        let udid = udid.trim();
        let hex: String = udid.chars().filter(|c| *c != '-').collect();
        if hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.cpid = self.cpid.or(u32::from_str_radix(&hex[..8], 16).ok());
            self.ecid = self.ecid.or(u64::from_str_radix(&hex[8..], 16).ok());
            self.udid = Some(format!("{}-{}", &hex[..8], &hex[8..]).to_ascii_uppercase());
        } else if hex.len() == 40
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            // Restore mode reports all F (and some tools all 0): a placeholder, not an id.
            && !hex.bytes().all(|b| b == b'F' || b == b'f')
            && !hex.bytes().all(|b| b == b'0')
        {
            self.udid = Some(udid.to_owned());
        }
        // Anything else (a DFU serial string, "[redacted]") is not a UDID.
    }

    /// Sets vendor and product id and the mode they imply.
    pub fn set_ids(&mut self, vid: u16, pid: u16) {
        self.vid = Some(vid);
        self.pid = Some(pid);
        if let Some((mode, detail)) = classify(vid, pid) {
            self.mode = mode;
            if let Some(detail) = detail {
                self.mode_detail = Some(detail.to_owned());
            }
        }
    }

    /// Fills the model from the kb's device table (by chip and board id, else by product type
    /// or board config, else by a normal-mode USB product id that names one model). An unknown
    /// pair stays unknown; a model with several variants gives its name and the candidates,
    /// never one of them.
    pub fn finish(mut self, kb: &Kb) -> AppleDevice {
        let device = match (self.cpid, self.bdid) {
            (Some(cpid), Some(bdid)) => kb.device_by_chip(cpid, bdid),
            _ => None,
        }
        .or_else(|| {
            self.product_type.as_deref().and_then(|p| {
                kb.devices
                    .iter()
                    .find(|d| d.product_type.eq_ignore_ascii_case(p))
            })
        })
        .or_else(|| {
            self.board.as_deref().and_then(|b| {
                kb.devices.iter().find(|d| {
                    d.board
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(b))
                })
            })
        });
        if let Some(d) = device {
            self.product_type = Some(d.product_type.clone());
            self.name = Some(d.name.clone());
            self.board = d.board.clone().or(self.board.take());
            self.cpid = self.cpid.or(d.cpid);
            self.bdid = self.bdid.or(d.bdid);
        } else if self.product_type.is_none()
            && self.cpid.is_none()
            && self.vid == Some(APPLE_VID)
            && let Some(found) = self.pid.and_then(|pid| kb.model_by_usb_product(pid))
        {
            // The product id of a 30-pin-era device names its model.
            match found.device() {
                Some(d) => {
                    self.product_type = Some(d.product_type.clone());
                    self.name = Some(d.name.clone());
                    self.board = d.board.clone();
                }
                None => {
                    self.product_type = found.product_type().map(str::to_owned);
                    self.name = Some(found.model.to_owned());
                    if self.product_type.is_none() {
                        self.candidates =
                            found.candidates().into_iter().map(str::to_owned).collect();
                    }
                }
            }
        }
        if let Some(board) = &mut self.board {
            *board = board.to_ascii_uppercase();
        }
        self.make_printable();
        self
    }

    /// Removes control characters and terminal escapes from every text that came from the
    /// outside (a paste, a descriptor, a file), so no field can take over a terminal.
    fn make_printable(&mut self) {
        let clean = |field: &mut Option<String>| {
            if let Some(text) = field {
                *text = kb::text::printable(text).into_owned();
            }
        };
        for field in [
            &mut self.mode_detail,
            &mut self.product_type,
            &mut self.name,
            &mut self.board,
            &mut self.serial_number,
            &mut self.udid,
            &mut self.imei,
            &mut self.usb_path,
        ] {
            clean(field);
        }
        for hub in &mut self.hubs {
            clean(&mut hub.name);
        }
        self.source = kb::text::printable(&self.source).into_owned();
        self.serial_tags = std::mem::take(&mut self.serial_tags)
            .into_iter()
            .map(|(k, v)| {
                (
                    kb::text::printable(&k).into_owned(),
                    kb::text::printable(&v).into_owned(),
                )
            })
            .collect();
    }

    /// Hubs between the device and the computer that are not part of the computer itself.
    pub fn external_hubs(&self) -> usize {
        self.hubs
            .iter()
            .filter(|h| h.built_in != Some(true))
            .count()
    }

    /// True when two records can describe the same device: no field set on both differs.
    pub(crate) fn compatible(&self, other: &AppleDevice) -> bool {
        fn same<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
        }
        same(&self.ecid, &other.ecid)
            && same(&self.pid, &other.pid)
            && same(&self.cpid, &other.cpid)
            && same(&self.bdid, &other.bdid)
            && same(&self.usb_path, &other.usb_path)
            && same(&self.udid, &other.udid)
            && same(&self.product_type, &other.product_type)
    }

    /// Fills this record's unknown fields from another record of the same device.
    pub(crate) fn merge(&mut self, other: AppleDevice) {
        macro_rules! fill {
            ($($field:ident),*) => { $( if self.$field.is_none() { self.$field = other.$field; } )* };
        }
        fill!(
            mode_detail,
            product_type,
            name,
            board,
            cpid,
            bdid,
            ecid,
            serial_number,
            udid,
            imei,
            vid,
            pid,
            speed,
            usb_path,
            location_id
        );
        if self.mode == Mode::Unknown {
            self.mode = other.mode;
        }
        if self.candidates.is_empty() {
            self.candidates = other.candidates;
        }
        for (k, v) in other.serial_tags {
            self.serial_tags.entry(k).or_insert(v);
        }
        if self.hubs.is_empty() {
            self.hubs = other.hubs;
        }
        if !self.source.split('+').any(|s| s == other.source) {
            self.source = format!("{}+{}", self.source, other.source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_ids_map_to_modes() {
        assert_eq!(classify(APPLE_VID, 0x1227), Some((Mode::Dfu, None)));
        assert_eq!(
            classify(APPLE_VID, 0x1281).map(|m| m.0),
            Some(Mode::Recovery)
        );
        assert_eq!(classify(APPLE_VID, 0x12a8).map(|m| m.0), Some(Mode::Normal));
        assert_eq!(classify(APPLE_VID, 0x1222).map(|m| m.0), Some(Mode::Wtf));
        assert_eq!(
            classify(APPLE_VID, 0xf014),
            Some((Mode::Dfu, Some("Port DFU")))
        );
        assert_eq!(
            classify(APPLE_VID, 0x1902).map(|m| m.0),
            Some(Mode::Restore)
        );
        assert_eq!(
            classify(APPLE_VID, 0x8600),
            None,
            "T2 bridge is part of a Mac"
        );
        assert_eq!(classify(APPLE_VID, 0x800c), None, "Apple hub");
        assert_eq!(classify(APPLE_VID, 0x0250), None, "Apple keyboard");
        assert_eq!(classify(0x18d1, 0x1227), None, "not Apple");
    }

    #[test]
    fn udids_of_new_devices_carry_chip_and_ecid() {
        let mut d = AppleDevice::new("test");
        d.absorb_udid("0000812000092D910EDB401E");
        assert_eq!(d.cpid, Some(0x8120));
        assert_eq!(d.ecid, Some(0x0009_2D91_0EDB_401E));
        assert_eq!(d.udid.as_deref(), Some("00008120-00092D910EDB401E"));
        let mut old = AppleDevice::new("test");
        old.absorb_udid("3e2f9a1c4b5d6e7f8091a2b3c4d5e6f708192a3b");
        assert_eq!((old.cpid, old.ecid), (None, None));
        assert!(old.udid.is_some());
    }

    #[test]
    fn speeds_read_from_mbps_or_bits() {
        assert_eq!(Speed::from_rate("480"), Some(Speed::High));
        assert_eq!(Speed::from_rate("480000000"), Some(Speed::High));
        assert_eq!(Speed::from_rate("1.5"), Some(Speed::Low));
        assert_eq!(Speed::from_rate("12"), Some(Speed::Full));
        assert_eq!(Speed::from_rate("5000"), Some(Speed::Super));
        assert_eq!(Speed::from_rate("10000"), Some(Speed::SuperPlus));
        assert_eq!(Speed::from_rate("fast"), None);
    }
}
