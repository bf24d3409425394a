//! `identify`: decodes what people paste — serial strings, lsusb (-v, -t, grepped pieces),
//! dmesg, irecovery, idevicerestore debug lines, Windows device paths, ideviceinfo, and the tree
//! formats of system_profiler, ioreg and usbmuxd — into Apple device records.

use std::sync::LazyLock;

use kb::Kb;
use regex::Regex;

use crate::{APPLE_VID, AppleDevice, Mode, Speed, tree};

/// Longest line examined; longer lines are cut (a real line of any of these formats is short).
const MAX_LINE: usize = 8 * 1024;
/// Most devices reported from one paste.
pub const MAX_DEVICES: usize = 512;

/// What a paste contained.
#[derive(Debug, Clone, Default)]
pub struct Identified {
    pub devices: Vec<AppleDevice>,
    /// The formats recognised, in the order first seen.
    pub formats: Vec<&'static str>,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid built-in pattern")
}

static LSUSB: LazyLock<Regex> =
    LazyLock::new(|| re(r"Bus (\d{1,3}) Device (\d{1,3}): ID ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})"));
/// libusb's `testlibusb`: `Dev (bus 1, device 17): 05AC - 12A8 speed: 480M`, then indented
/// `Manufacturer:` / `Product:` / `Serial Number:` lines.
static TESTLIBUSB: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^Dev \(bus (\d+), device (\d+)\): ([0-9A-Fa-f]{4}) - ([0-9A-Fa-f]{4})(?: speed: (\d+(?:\.\d+)?)([MG]))?",
    )
});
static TESTLIBUSB_SERIAL: LazyLock<Regex> = LazyLock::new(|| re(r"^\s+Serial Number:\s+(.+?)\s*$"));
static LSUSB_V_VENDOR: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*idVendor\s+0x([0-9a-fA-F]{4})"));
static LSUSB_V_PRODUCT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*idProduct\s+0x([0-9a-fA-F]{4})"));
static LSUSB_V_SERIAL: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*iSerial\s+\d+\s+(.+)$"));
static LSUSB_T: LazyLock<Regex> =
    LazyLock::new(|| re(r"Port (\d+):\s*Dev (\d+), If \d+, Class=([^,]*),.*?,\s*([\d.]+)M\s*$"));
static LSUSB_T_ID: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*ID ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\b"));
static DMESG_NEW: LazyLock<Regex> = LazyLock::new(|| {
    re(r"usb (\d+-[\d.]+): new (low|full|high|super|SuperSpeed|SuperSpeed Plus)[- ]speed")
});
static DMESG_IDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"usb (\d+-[\d.]+): New USB device found, idVendor=([0-9a-fA-F]{4}), idProduct=([0-9a-fA-F]{4})",
    )
});
static DMESG_SERIAL: LazyLock<Regex> =
    LazyLock::new(|| re(r"usb (\d+-[\d.]+): SerialNumber: (\S.*)$"));
static WINDOWS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)usb[#\\]vid_([0-9a-f]{4})&pid_([0-9a-f]{4})(?:&mi_[0-9a-f]{2})?[#\\]([^#\\\s{}]+)")
});
static IRECOVERY_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*(CPID|CPRV|BDID|ECID|CPFM|SCEP|IBFL|SRTG|SRNM|IMEI|NONC|SNON|PWND|MODE|PRODUCT|MODEL|NAME):\s+(.*?)\s*$",
    )
});
static OPENING: LazyLock<Regex> = LazyLock::new(|| {
    re(r"opening device ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?: @ 0x([0-9a-fA-F]+))?")
});
static CONNECTED_TO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"Connected to ([A-Za-z]+\d+,\d+), model (\w+), cpid 0x([0-9a-fA-F]+), bdid 0x([0-9a-fA-F]+)",
    )
});
static MODE_LINE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(DFU|Recovery|WTF) Mode\s*$"));
static IRECV_EVENT: LazyLock<Regex> =
    LazyLock::new(|| re(r"irecv_event_cb: device (\S+) \(udid: [^)]*\) connected in (\w+) mode"));
static IDENTIFIED_AS: LazyLock<Regex> =
    LazyLock::new(|| re(r"Identified device as (\w+), ([A-Za-z]+\d+,\d+)"));
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| re(r"^([A-Za-z][A-Za-z0-9]+): (.*)$"));
static SERIAL_TAG: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(CPID|ECID|BDID):[0-9a-fx\[]"));

fn hex16(s: &str) -> Option<u16> {
    u16::from_str_radix(s, 16).ok()
}

fn hex32(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

/// Decodes a paste. Never fails: text it does not understand yields no devices.
pub fn identify(kb: &Kb, text: &str) -> Identified {
    let mut found = Identified::default();
    let mut devices = Vec::new();
    tree::parse_trees(text, &mut devices, &mut found.formats);
    parse_lines(text, &mut devices, &mut found.formats);
    let mut merged: Vec<AppleDevice> = Vec::new();
    for device in devices {
        if device.mode == Mode::Unknown
            && device.vid.is_none()
            && device.cpid.is_none()
            && device.ecid.is_none()
            && device.product_type.is_none()
        {
            continue;
        }
        if let Some(existing) = merged.iter_mut().find(|m| same_device(m, &device)) {
            existing.merge(device);
        } else if merged.len() < MAX_DEVICES {
            merged.push(device);
        }
    }
    found.devices = merged.into_iter().map(|d| d.finish(kb)).collect();
    found
}

/// Two records describe the same device: nothing conflicts, and an identity field is shared
/// (ECID, UDID, USB path), or one of them has no identity field and shares the product id or
/// the mode (irecovery's "opening device" line and idevicerestore's ECID line, say).
fn same_device(a: &AppleDevice, b: &AppleDevice) -> bool {
    if !a.compatible(b) {
        return false;
    }
    let shared = |x: Option<String>, y: Option<String>| x.is_some() && x == y;
    if shared(a.ecid.map(|e| e.to_string()), b.ecid.map(|e| e.to_string()))
        || shared(a.udid.clone(), b.udid.clone())
        || shared(a.usb_path.clone(), b.usb_path.clone())
    {
        return true;
    }
    let anchorless = |d: &AppleDevice| d.ecid.is_none() && d.usb_path.is_none() && d.udid.is_none();
    let same_pid = a.pid.is_some() && a.pid == b.pid;
    let same_mode = a.mode != Mode::Unknown && a.mode == b.mode;
    (anchorless(a) || anchorless(b)) && (same_pid || same_mode)
}

fn note(formats: &mut Vec<&'static str>, format: &'static str) {
    if !formats.contains(&format) {
        formats.push(format);
    }
}

/// Per-format state while reading line by line.
#[derive(Default)]
struct LineState {
    lsusb_v: Option<AppleDevice>,
    irecovery: Option<AppleDevice>,
    ideviceinfo: Option<AppleDevice>,
    /// dmesg devices by port path, with the order they were first seen: a lookup per line
    /// stays constant-time however many ports a long log names.
    dmesg: std::collections::HashMap<String, (usize, AppleDevice)>,
    lsusb_t_bus: Option<String>,
    lsusb_t_ports: Vec<(usize, String)>,
    /// The last `lsusb -t` port line, waiting for the `ID` line `lsusb -tv` prints under it.
    lsusb_t_pending: Option<(String, Option<Speed>, bool, usize)>,
}

fn take_apple(device: Option<AppleDevice>, out: &mut Vec<AppleDevice>) {
    if let Some(d) = device {
        out.push(d);
    }
}

fn parse_lines(text: &str, out: &mut Vec<AppleDevice>, formats: &mut Vec<&'static str>) {
    let mut st = LineState::default();
    for raw in text.lines() {
        let line: &str = match raw.char_indices().nth(MAX_LINE) {
            Some((cut, _)) => &raw[..cut],
            None => raw,
        };
        let line = line.trim_matches(|c: char| c == '`' || c.is_whitespace() && c != ' ');
        let trimmed = line.trim().trim_matches('`').trim();
        // Lines of XML or JSON belong to the tree formats, read whole elsewhere.
        if trimmed.starts_with('<') || trimmed.starts_with('"') {
            continue;
        }

        if let Some(c) = TESTLIBUSB.captures(line) {
            note(formats, "testlibusb");
            take_apple(st.lsusb_v.take(), out);
            if let (Some(vid), Some(pid)) = (hex16(&c[3]), hex16(&c[4])) {
                let mut d = AppleDevice::new("testlibusb");
                d.set_ids(vid, pid);
                d.usb_path = Some(format!("bus {} device {}", &c[1], &c[2]));
                d.speed = c.get(5).zip(c.get(6)).and_then(|(n, unit)| {
                    let n: f64 = n.as_str().parse().ok()?;
                    Speed::from_rate(
                        &(if unit.as_str() == "G" { n * 1000.0 } else { n }).to_string(),
                    )
                });
                if vid == APPLE_VID && crate::classify(vid, pid).is_some() {
                    st.lsusb_v = Some(d);
                }
            }
            continue;
        }
        if let Some(c) = TESTLIBUSB_SERIAL.captures(line)
            && let Some(d) = st.lsusb_v.as_mut().filter(|d| d.source == "testlibusb")
        {
            d.absorb_serial(&c[1]);
            d.absorb_udid(&c[1]);
            continue;
        }
        if let Some(c) = LSUSB.captures(line) {
            note(formats, "lsusb");
            take_apple(st.lsusb_v.take(), out);
            if let (Some(vid), Some(pid)) = (hex16(&c[3]), hex16(&c[4])) {
                let mut d = AppleDevice::new("lsusb");
                d.set_ids(vid, pid);
                d.usb_path = Some(format!(
                    "bus {} device {}",
                    c[1].trim_start_matches('0'),
                    c[2].trim_start_matches('0')
                ));
                if vid == APPLE_VID && crate::classify(vid, pid).is_some() {
                    st.lsusb_v = Some(d);
                }
            }
            continue;
        }
        if let Some(c) = LSUSB_V_VENDOR.captures(trimmed) {
            note(formats, "lsusb -v");
            let vid = hex16(&c[1]);
            let current_has_vid = st
                .lsusb_v
                .as_ref()
                .is_some_and(|d| d.vid.is_some() && d.pid.is_some() && d.source == "lsusb -v");
            if current_has_vid || st.lsusb_v.is_none() {
                take_apple(st.lsusb_v.take(), out);
                let mut d = AppleDevice::new("lsusb -v");
                d.vid = vid;
                st.lsusb_v = Some(d);
            } else if let Some(d) = &mut st.lsusb_v {
                d.vid = vid;
            }
            continue;
        }
        if let Some(c) = LSUSB_V_PRODUCT.captures(trimmed) {
            note(formats, "lsusb -v");
            let d = st
                .lsusb_v
                .get_or_insert_with(|| AppleDevice::new("lsusb -v"));
            if let Some(pid) = hex16(&c[1]) {
                d.set_ids(d.vid.unwrap_or(APPLE_VID), pid);
            }
            continue;
        }
        if let Some(c) = LSUSB_V_SERIAL.captures(trimmed) {
            if let Some(d) = &mut st.lsusb_v {
                d.absorb_serial(&c[1]);
                d.absorb_udid(&c[1]);
            }
            continue;
        }
        if trimmed.starts_with("/:  Bus") {
            note(formats, "lsusb -t");
            st.lsusb_t_bus = trimmed.split_whitespace().nth(2).map(|b| {
                b.split('.')
                    .next()
                    .unwrap_or(b)
                    .trim_start_matches('0')
                    .to_owned()
            });
            st.lsusb_t_ports.clear();
            continue;
        }
        if trimmed.starts_with("|__") {
            if let Some(c) = LSUSB_T.captures(line) {
                note(formats, "lsusb -t");
                let depth = line.find("|__").unwrap_or(0);
                st.lsusb_t_ports.retain(|(d, _)| *d < depth);
                st.lsusb_t_ports
                    .push((depth, c[1].trim_start_matches('0').to_owned()));
                let chain: Vec<&str> = st.lsusb_t_ports.iter().map(|(_, p)| p.as_str()).collect();
                let path = st
                    .lsusb_t_bus
                    .as_ref()
                    .map_or_else(|| chain.join("."), |b| format!("{b}-{}", chain.join(".")));
                let is_hub = c[3].eq_ignore_ascii_case("hub");
                st.lsusb_t_pending = Some((path, Speed::from_rate(&c[4]), is_hub, chain.len()));
            }
            continue;
        }
        if let Some(c) = LSUSB_T_ID.captures(line)
            && let Some((path, speed, is_hub, ports)) = st.lsusb_t_pending.take()
        {
            if let (Some(vid), Some(pid)) = (hex16(&c[1]), hex16(&c[2]))
                && !is_hub
                && crate::classify(vid, pid).is_some()
            {
                let mut d = AppleDevice::new("lsusb -t");
                d.set_ids(vid, pid);
                d.speed = speed;
                d.usb_path = Some(path);
                d.hubs = vec![
                    crate::Hub {
                        name: None,
                        vid: None,
                        pid: None,
                        built_in: None
                    };
                    ports.saturating_sub(1)
                ];
                out.push(d);
            }
            continue;
        }
        if let Some(c) = DMESG_NEW.captures(line) {
            note(formats, "dmesg");
            let path = c[1].to_owned();
            let mut d = AppleDevice::new("dmesg");
            d.speed = match &c[2] {
                "low" => Some(Speed::Low),
                "full" => Some(Speed::Full),
                "high" => Some(Speed::High),
                "SuperSpeed Plus" => Some(Speed::SuperPlus),
                _ => Some(Speed::Super),
            };
            d.hubs = path_hubs(&path);
            d.usb_path = Some(path.clone());
            let seen = st.dmesg.len();
            st.dmesg.insert(path, (seen, d));
            continue;
        }
        if let Some(c) = DMESG_IDS.captures(line) {
            note(formats, "dmesg");
            let path = c[1].to_owned();
            if let (Some(vid), Some(pid)) = (hex16(&c[2]), hex16(&c[3])) {
                if vid == APPLE_VID {
                    dmesg_device(&mut st.dmesg, &path).set_ids(vid, pid);
                } else {
                    // Not Apple's: nothing more about this port matters.
                    st.dmesg.remove(&path);
                }
            }
            continue;
        }
        if let Some(c) = DMESG_SERIAL.captures(line) {
            let path = c[1].to_owned();
            let d = dmesg_device(&mut st.dmesg, &path);
            d.absorb_serial(&c[2]);
            d.absorb_udid(&c[2]);
            continue;
        }
        for c in WINDOWS.captures_iter(line) {
            note(formats, "windows device path");
            if let (Some(vid), Some(pid)) = (hex16(&c[1]), hex16(&c[2])) {
                let mut d = AppleDevice::new("windows");
                d.set_ids(vid, pid);
                d.absorb_serial(&c[3]);
                if d.cpid.is_none() {
                    d.absorb_udid(&c[3]);
                }
                out.push(d);
            }
        }
        if WINDOWS.is_match(line) {
            continue;
        }
        if let Some(c) = OPENING.captures(line) {
            note(formats, "irecovery");
            take_apple(st.irecovery.take(), out);
            let mut d = AppleDevice::new("irecovery");
            if let (Some(vid), Some(pid)) = (hex16(&c[1]), hex16(&c[2])) {
                d.set_ids(vid, pid);
            }
            d.location_id = c.get(3).and_then(|m| hex32(m.as_str()));
            st.irecovery = Some(d);
            continue;
        }
        if let Some(c) = CONNECTED_TO.captures(line) {
            note(formats, "irecovery");
            let d = st
                .irecovery
                .get_or_insert_with(|| AppleDevice::new("irecovery"));
            d.product_type = Some(c[1].to_owned());
            d.board = Some(c[2].to_ascii_uppercase());
            d.cpid = hex32(&c[3]);
            d.bdid = hex32(&c[4]);
            continue;
        }
        if let Some(c) = MODE_LINE.captures(line) {
            if let Some(d) = &mut st.irecovery {
                d.mode = mode_word(&c[1]);
            }
            continue;
        }
        if let Some(c) = IRECOVERY_FIELD.captures(line) {
            note(formats, "irecovery");
            let d = st
                .irecovery
                .get_or_insert_with(|| AppleDevice::new("irecovery"));
            irecovery_field(d, &c[1], &c[2]);
            continue;
        }
        if let Some(c) = IRECV_EVENT.captures(line) {
            note(formats, "idevicerestore");
            let mut d = AppleDevice::new("idevicerestore");
            d.mode = mode_word(&c[2]);
            if let Ok(ecid) = u64::from_str_radix(&c[1], 16) {
                d.ecid = Some(ecid);
            }
            out.push(d);
            continue;
        }
        if let Some(c) = IDENTIFIED_AS.captures(line) {
            note(formats, "idevicerestore");
            let mut d = AppleDevice::new("idevicerestore");
            d.board = Some(c[1].to_ascii_uppercase());
            d.product_type = Some(c[2].to_owned());
            out.push(d);
            continue;
        }
        if let Some(c) = KEY_VALUE.captures(trimmed)
            && ideviceinfo_field(&mut st.ideviceinfo, &c[1], c[2].trim())
        {
            note(formats, "ideviceinfo");
            continue;
        }
        if SERIAL_TAG.find_iter(line).count() >= 2 {
            note(formats, "serial string");
            let mut d = AppleDevice::new("serial string");
            d.absorb_serial(line);
            if d.cpid.is_some() || d.ecid.is_some() {
                out.push(d);
            }
        }
    }
    take_apple(st.lsusb_v.take(), out);
    take_apple(st.irecovery.take(), out);
    take_apple(st.ideviceinfo.take(), out);
    let mut dmesg: Vec<(usize, AppleDevice)> = st
        .dmesg
        .into_values()
        .filter(|(_, d)| {
            d.vid == Some(APPLE_VID) && d.pid.and_then(|p| crate::classify(APPLE_VID, p)).is_some()
        })
        .collect();
    dmesg.sort_by_key(|(seen, _)| *seen);
    out.extend(dmesg.into_iter().map(|(_, d)| d));
}

fn dmesg_device<'a>(
    devices: &'a mut std::collections::HashMap<String, (usize, AppleDevice)>,
    path: &str,
) -> &'a mut AppleDevice {
    let seen = devices.len();
    &mut devices
        .entry(path.to_owned())
        .or_insert_with(|| {
            let mut d = AppleDevice::new("dmesg");
            d.usb_path = Some(path.to_owned());
            d.hubs = path_hubs(path);
            (seen, d)
        })
        .1
}

/// Hubs implied by a Linux port path: `1-4` is on a root port, `1-4.2` behind one hub.
fn path_hubs(path: &str) -> Vec<crate::Hub> {
    let depth = path
        .split('-')
        .nth(1)
        .map_or(0, |ports| ports.split('.').count().saturating_sub(1));
    vec![
        crate::Hub {
            name: None,
            vid: None,
            pid: None,
            built_in: None
        };
        depth
    ]
}

fn mode_word(word: &str) -> Mode {
    match word.to_ascii_lowercase().as_str() {
        "dfu" => Mode::Dfu,
        "recovery" => Mode::Recovery,
        "wtf" => Mode::Wtf,
        "restore" => Mode::Restore,
        "normal" => Mode::Normal,
        _ => Mode::Unknown,
    }
}

fn irecovery_field(d: &mut AppleDevice, key: &str, value: &str) {
    let known = !value.is_empty() && value != "N/A";
    match key {
        "CPID" => d.cpid = hex32(value),
        "BDID" => d.bdid = hex32(value),
        "ECID" if known => d.ecid = u64::from_str_radix(value.trim_start_matches("0x"), 16).ok(),
        "SRNM" if known => d.serial_number = Some(value.to_owned()),
        "IMEI" if known => d.imei = Some(value.to_owned()),
        "MODE" => d.mode = mode_word(value.split_whitespace().next().unwrap_or("")),
        "PRODUCT" if known => d.product_type = Some(value.to_owned()),
        "MODEL" if known => d.board = Some(value.to_ascii_uppercase()),
        _ => {}
    }
    if known && !matches!(key, "MODE" | "PRODUCT" | "MODEL" | "NAME") {
        d.serial_tags
            .entry(key.to_owned())
            .or_insert_with(|| value.trim_start_matches("0x").to_owned());
    }
}

/// ideviceinfo prints `Key: value` lines; only its own keys are taken. Returns whether the
/// line was one of them.
fn ideviceinfo_field(current: &mut Option<AppleDevice>, key: &str, value: &str) -> bool {
    let numeric = || value.parse::<u64>().ok();
    let d = || AppleDevice::new("ideviceinfo");
    match key {
        "ProductType" => current.get_or_insert_with(d).product_type = Some(value.to_owned()),
        "HardwareModel" => current.get_or_insert_with(d).board = Some(value.to_ascii_uppercase()),
        "ChipID" => {
            current.get_or_insert_with(d).cpid = numeric().and_then(|v| u32::try_from(v).ok())
        }
        "BoardId" => {
            current.get_or_insert_with(d).bdid = numeric().and_then(|v| u32::try_from(v).ok())
        }
        "UniqueChipID" => current.get_or_insert_with(d).ecid = numeric(),
        "UniqueDeviceID" => current.get_or_insert_with(d).absorb_udid(value),
        "SerialNumber" => current.get_or_insert_with(d).serial_number = Some(value.to_owned()),
        "InternationalMobileEquipmentIdentity" => {
            current.get_or_insert_with(d).imei = Some(value.to_owned())
        }
        "DeviceClass" | "BuildVersion" | "ProductVersion" | "ActivationState"
        | "CPUArchitecture" => {
            current.get_or_insert_with(d);
        }
        _ => return false,
    }
    if let Some(dev) = current {
        dev.mode = Mode::Normal;
    }
    true
}
