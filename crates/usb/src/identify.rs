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
    /// What the paste leaves open, in plain words ("these two records may be one device").
    pub notes: Vec<String>,
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
/// A Windows device path or id: `USB\VID_05AC&PID_1227\<serial>` (Device Manager,
/// SetupAPI logs, `pnputil`), `\\?\usb#vid_05ac&pid_1281&mi_01#...` (interface paths), a
/// hardware id with `&REV_xxxx`, backslashes doubled in `.reg` exports, or no serial at all.
static WINDOWS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\busb[#\\]+)?\bvid_([0-9a-f]{4})&pid_([0-9a-f]{4})(?:&rev_[0-9a-f]{4})?(?:&mi_[0-9a-f]{2})?(?:[#\\]+([^#\\\s{}]+))?",
    )
});
/// Windows' names for the drivers an Apple device in each mode loads (Device Manager).
const WINDOWS_DRIVERS: [(&str, Mode); 4] = [
    ("apple recovery (dfu) usb driver", Mode::Dfu),
    (
        "apple recovery (iboot) usb composite device",
        Mode::Recovery,
    ),
    ("apple recovery (iboot) usb driver", Mode::Recovery),
    ("apple mobile device usb composite device", Mode::Normal),
];
static IRECOVERY_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*(CPID|CPRV|BDID|ECID|CPFM|SCEP|IBFL|SRTG|SRNM|IMEI|NONC|SNON|PWND|SDOM|MODE|PRODUCT|MODEL|NAME|VID|PID):\s+(.*?)\s*$",
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
static MODE_LINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(DFU|Recovery|WTF|Port DFU) Mode(?: via Debug USB \(KIS\))?\s*$"));
/// idevicerestore: `Found device in DFU mode` (also Recovery, Restore, WTF).
static FOUND_IN_MODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bFound device in (DFU|Recovery|Restore|WTF|Normal) mode\b"));
/// libirecovery's debug output: `found device with ECID 001665dc38f020a6` (hex, unpadded or
/// `%016llx`).
static FOUND_ECID: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bfound device with ECID:? (?:0x)?([0-9a-f]{6,16})\b"));
/// idevicerestore's ECID lines: `ECID: 967983531442214` (decimal) or `Found ECID 5969...`.
static ECID_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s*(?:\[\w+\]\s*)?(?:Found )?ECID:? (0x[0-9a-fA-F]{1,16}|[0-9a-fA-F]{1,20})\s*$")
});
/// A UDID named as one: `udid 427d...`, `UDID: 0000...`, `idevice_id -l`'s `<udid> (USB)`.
static UDID_NAMED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\budid[:=]?\s+([0-9a-f]{40}|[0-9a-f]{8}-?[0-9a-f]{16})\b|^\s*([0-9a-f]{40}|[0-9a-f]{8}-?[0-9a-f]{16})\s+\((?:usb|network)\)\s*$)",
    )
});
/// The boot firmware idevicerestore extracts names the board: `iBEC.d10.RELEASE.im4p`.
static FIRMWARE_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:iBEC|iBSS|LLB|iBoot)\.([a-z]\w{1,8})\.(?:RELEASE|DEVELOPMENT|DEBUG)\.(?:im4p|img3)\b")
});
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
    let text = clean(text);
    let mut found = Identified::default();
    let mut devices = Vec::new();
    tree::parse_trees(&text, &mut devices, &mut found.formats);
    parse_lines(&text, &mut devices, &mut found.formats);
    let has_identity =
        |d: &AppleDevice| d.ecid.is_some() || d.udid.is_some() || d.usb_path.is_some();
    let says_something = |d: &AppleDevice| {
        d.mode != Mode::Unknown
            || d.vid.is_some()
            || d.cpid.is_some()
            || d.ecid.is_some()
            || d.product_type.is_some()
    };
    // Records with an identity (ECID, UDID, USB path) first, then the others: a record without
    // one joins the only device it fits, or stays apart when it fits none.
    let (anchored, loose): (Vec<AppleDevice>, Vec<AppleDevice>) =
        devices.into_iter().partition(|d| has_identity(d));
    let mut merged: Vec<AppleDevice> = Vec::new();
    let mut udid_only: Vec<AppleDevice> = Vec::new();
    for device in anchored {
        if !says_something(&device) {
            // A UDID alone: kept aside until it is clear whether it is a device of its own.
            if device.udid.is_some() && !udid_only.iter().any(|u| u.udid == device.udid) {
                udid_only.push(device);
            }
            continue;
        }
        if let Some(existing) = merged.iter_mut().find(|m| same_device(m, &device)) {
            existing.merge(device);
        } else if merged.len() < MAX_DEVICES {
            merged.push(device);
        }
    }
    let anchored_count = merged.len();
    for device in loose.into_iter().filter(|d| says_something(d)) {
        let fits: Vec<usize> = (0..merged.len())
            .filter(|&i| same_device(&merged[i], &device))
            .collect();
        let among_anchored = fits.iter().filter(|&&i| i < anchored_count).count();
        match fits.as_slice() {
            [one] => merged[*one].merge(device),
            [] if merged.len() < MAX_DEVICES => merged.push(device),
            [] => {}
            _ if among_anchored >= 2 => {
                if found.notes.len() < MAX_NOTES {
                    found.notes.push(format!(
                        "A {} record ({}) fits {} of the devices above; it is not counted as a device of its own.",
                        device.source,
                        device.mode.id(),
                        fits.len()
                    ));
                }
            }
            [first, ..] => merged[*first].merge(device),
        }
    }
    join_bus_numbers(&mut merged, &mut found.notes);
    for device in udid_only {
        if merged.is_empty() {
            merged.push(device);
        } else if found.notes.len() < MAX_NOTES {
            found.notes.push(
                "The text names a UDID that nothing ties to the devices above: it may be one of them, or another device."
                    .to_owned(),
            );
        }
    }
    found.devices = merged.into_iter().map(|d| d.finish(kb)).collect();
    found
}

/// A record whose only identity is a bus and device number (lsusb) joins the one device from
/// another source it fits that has no USB path of its own (an lsusb line beside the same
/// phone's serial string). When it fits several, or when one bus lists the same product id
/// under several device numbers (a phone re-enumerates with a new number at each reconnect),
/// the paste could be fewer devices than listed, and a note says so.
fn join_bus_numbers(merged: &mut Vec<AppleDevice>, notes: &mut Vec<String>) {
    let bus_only = |d: &AppleDevice| d.ecid.is_none() && d.udid.is_none() && d.usb_path.is_some();
    let mut i = 0;
    while i < merged.len() {
        if !bus_only(&merged[i]) {
            i += 1;
            continue;
        }
        let fits: Vec<usize> = (0..merged.len())
            .filter(|&j| {
                let (a, b) = (&merged[i], &merged[j]);
                j != i
                    && b.usb_path.is_none()
                    && (b.ecid.is_some() || b.udid.is_some())
                    && a.compatible(b)
                    && ((a.pid.is_some() && a.pid == b.pid)
                        || (a.mode != Mode::Unknown && a.mode == b.mode))
            })
            .collect();
        match fits.as_slice() {
            [j] => {
                let record = merged.remove(i);
                let j = if *j > i { j - 1 } else { *j };
                merged[j].merge(record);
                continue;
            }
            [_, _, ..] if notes.len() < MAX_NOTES => notes.push(format!(
                "The {} record at {} ({} mode) fits {} of the devices listed: the paste may hold fewer devices than it lists.",
                merged[i].source,
                merged[i].usb_path.as_deref().unwrap_or("?"),
                merged[i].mode.id(),
                fits.len()
            )),
            _ => {}
        }
        i += 1;
    }
    let mut seen: Vec<(String, Option<u16>)> = Vec::new();
    for d in merged.iter().filter(|d| bus_only(d)) {
        let bus = d
            .usb_path
            .as_deref()
            .and_then(|p| p.strip_prefix("bus "))
            .and_then(|p| p.split_whitespace().next())
            .unwrap_or("")
            .to_owned();
        if bus.is_empty() {
            continue;
        }
        let key = (bus, d.pid);
        if seen.contains(&key) {
            if notes.len() < MAX_NOTES {
                notes.push(format!(
                    "Bus {} lists {} under more than one device number: a phone gets a new number each time it reconnects, so these may be one device.",
                    key.0,
                    d.pid.map_or_else(|| "the same device".to_owned(), |p| format!("05ac:{p:04x}"))
                ));
            }
            break;
        }
        seen.push(key);
    }
}

/// Most notes kept for one paste.
pub const MAX_NOTES: usize = 8;

/// The paste with what copying puts in it by accident made harmless: terminal escapes (real,
/// or shown as `^[`) are removed, CRLF and lone CR (a progress line redrawn) become line
/// breaks, and NUL bytes (real, or shown as `^@`) and other control characters become spaces,
/// so they split tokens rather than glue them together.
fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    let stray = |c: char| c.is_control() && !matches!(c, '\t' | '\n');
    if !text.contains("^@") && !text.contains("^[") && !text.contains(stray) {
        return std::borrow::Cow::Borrowed(text);
    }
    let spaced: String = text
        .replace("^[", "\u{1b}")
        .replace("^@", " ")
        .replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\r' => '\n',
            // ESC opens an escape sequence and BEL may close one (a window title).
            '\u{1b}' | '\u{7}' | '\t' | '\n' => c,
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let stripped = anstream::adapter::strip_str(&spaced).to_string();
    std::borrow::Cow::Owned(
        stripped
            .chars()
            .map(|c| if stray(c) { ' ' } else { c })
            .collect(),
    )
}

/// Two records can describe the same device: nothing conflicts, and an identity field is
/// shared (ECID, UDID, USB path), or one of them has no identity field and shares the product
/// id or the mode, or names no mode at all (irecovery's "opening device" line and
/// idevicerestore's ECID line, say).
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
    // A record that names no mode (a UDID, a product type) fits any mode.
    let any_mode = (a.mode == Mode::Unknown && a.pid.is_none())
        || (b.mode == Mode::Unknown && b.pid.is_none());
    (anchorless(a) || anchorless(b)) && (same_pid || same_mode || any_mode)
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
    /// Old irecovery (2013 and before) printed CPID, BDID and ECID in decimal.
    irecovery_decimal: bool,
    /// The device an idevicerestore or futurerestore log is about: its mode as last seen, its
    /// ECID, product type and board.
    idevicerestore: Option<AppleDevice>,
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
        // Lines of XML or JSON belong to the tree formats, read whole elsewhere; a quoted
        // Windows device id (a `.reg` export's `"DeviceInstance"="USB\\VID_…"`) is read here.
        if (trimmed.starts_with('<') || trimmed.starts_with('"')) && !WINDOWS.is_match(line) {
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
        let mut windows = false;
        for c in WINDOWS.captures_iter(line) {
            windows = true;
            note(formats, "windows device path");
            if let (Some(vid), Some(pid)) = (hex16(&c[1]), hex16(&c[2])) {
                let mut d = AppleDevice::new("windows");
                d.set_ids(vid, pid);
                if let Some(serial) = c.get(3) {
                    // SetupAPI logs close the device id with "]" right after the serial's own.
                    let serial = serial.as_str();
                    d.absorb_serial(serial);
                    if d.cpid.is_none() {
                        d.absorb_udid(serial);
                    }
                }
                if vid == APPLE_VID && crate::classify(vid, pid).is_some() {
                    out.push(d);
                }
            }
        }
        if windows {
            continue;
        }
        let lower = trimmed.to_ascii_lowercase();
        if let Some((_, mode)) = WINDOWS_DRIVERS
            .iter()
            .find(|(name, _)| lower.contains(name))
        {
            note(formats, "windows driver name");
            let mut d = AppleDevice::new("windows driver");
            d.mode = *mode;
            out.push(d);
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
        if let Some(c) = FOUND_ECID.captures(line) {
            note(formats, "irecovery");
            let d = st
                .irecovery
                .get_or_insert_with(|| AppleDevice::new("irecovery"));
            d.ecid = d.ecid.or(u64::from_str_radix(&c[1], 16).ok());
            continue;
        }
        if let Some(c) = FOUND_IN_MODE.captures(line) {
            note(formats, "idevicerestore");
            let d = st
                .idevicerestore
                .get_or_insert_with(|| AppleDevice::new("idevicerestore"));
            d.mode = mode_word(&c[1]);
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
                if &c[1] == "Port DFU" {
                    d.mode_detail = Some("Port DFU".to_owned());
                }
            }
            continue;
        }
        if st.irecovery.is_none()
            && let Some(c) = ECID_LINE.captures(line)
        {
            // idevicerestore prints the ECID it found ("ECID: 967983531442214", "Found ECID
            // ..."), in decimal, outside any irecovery block: it belongs to the log's device.
            note(formats, "idevicerestore");
            let d = st
                .idevicerestore
                .get_or_insert_with(|| AppleDevice::new("idevicerestore"));
            d.ecid = d.ecid.or(ecid_value(&c[1], false));
            continue;
        }
        if let Some(c) = IRECOVERY_FIELD.captures(line) {
            note(formats, "irecovery");
            if st.irecovery.is_none() {
                st.irecovery_decimal = false;
            }
            if &c[1] == "CPID" {
                // irecovery before 2015 printed "CPID: 35136": five decimal digits, where
                // later ones print four hex digits, with or without 0x.
                let value = c[2].trim();
                st.irecovery_decimal =
                    value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit());
            }
            let decimal = st.irecovery_decimal;
            let d = st
                .irecovery
                .get_or_insert_with(|| AppleDevice::new("irecovery"));
            irecovery_field(d, &c[1], &c[2], decimal);
            continue;
        }
        if let Some(c) = IRECV_EVENT.captures(line) {
            note(formats, "idevicerestore");
            let ecid = u64::from_str_radix(&c[1], 16).ok();
            // A different ECID is a different device: the log's device so far is complete.
            if st
                .idevicerestore
                .as_ref()
                .is_some_and(|d| d.ecid.is_some() && ecid.is_some() && d.ecid != ecid)
            {
                take_apple(st.idevicerestore.take(), out);
            }
            let d = st
                .idevicerestore
                .get_or_insert_with(|| AppleDevice::new("idevicerestore"));
            d.mode = mode_word(&c[2]);
            d.ecid = d.ecid.or(ecid);
            continue;
        }
        if let Some(c) = IDENTIFIED_AS.captures(line) {
            note(formats, "idevicerestore");
            let d = st
                .idevicerestore
                .get_or_insert_with(|| AppleDevice::new("idevicerestore"));
            d.board = Some(c[1].to_ascii_uppercase());
            d.product_type = Some(c[2].to_owned());
            continue;
        }
        if let Some(c) = FIRMWARE_FILE.captures(line) {
            // "Extracting iBEC.d10.RELEASE.im4p": the boot firmware for the board being restored.
            note(formats, "idevicerestore");
            let d = st
                .idevicerestore
                .get_or_insert_with(|| AppleDevice::new("idevicerestore"));
            if d.board.is_none() && d.product_type.is_none() {
                d.board = Some(format!("{}AP", c[1].to_ascii_uppercase()));
            }
            continue;
        }
        if let Some(c) = UDID_NAMED.captures(line) {
            note(formats, "udid");
            let mut d = AppleDevice::new("udid");
            d.absorb_udid(c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str()));
            if d.udid.is_some() {
                out.push(d);
            }
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
    take_apple(st.idevicerestore.take(), out);
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
    let word = word.to_ascii_lowercase();
    match word.strip_prefix("port ").unwrap_or(&word) {
        "dfu" => Mode::Dfu,
        "recovery" => Mode::Recovery,
        "wtf" => Mode::Wtf,
        "restore" => Mode::Restore,
        "normal" => Mode::Normal,
        _ => Mode::Unknown,
    }
}

/// An ECID as the tools print it: `0x` hex, or 16 zero-padded hex digits (`%016llx`, serial
/// strings, newer irecovery), or decimal (idevicerestore, irecovery before 2019). Hex letters
/// or a zero-padded 16-digit value decide hex; otherwise a bare number is decimal unless
/// `hex_by_default`.
fn ecid_value(value: &str, hex_by_default: bool) -> Option<u64> {
    let value = value.trim();
    if let Some(hex) = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        return u64::from_str_radix(hex, 16).ok();
    }
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digits_only = value.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (value.len() == 16 && value.starts_with('0')) || hex_by_default {
        u64::from_str_radix(value, 16).ok()
    } else {
        value.parse().ok()
    }
}

/// One `irecovery -q` line. `decimal`: the block comes from an irecovery that printed CPID and
/// BDID in decimal (before 2015).
fn irecovery_field(d: &mut AppleDevice, key: &str, value: &str, decimal: bool) {
    let known = !value.is_empty() && value != "N/A";
    let number = |v: &str| {
        let v = v.trim();
        if decimal && !v.starts_with("0x") {
            v.parse::<u32>().ok()
        } else {
            hex32(v)
        }
    };
    match key {
        "CPID" => d.cpid = number(value),
        "BDID" => d.bdid = number(value),
        // Newer irecovery prints 0x%016llx; 2015-2019 ones printed %lld (decimal).
        "ECID" if known => d.ecid = ecid_value(value, false),
        "SRNM" if known => d.serial_number = Some(value.to_owned()),
        "IMEI" if known => d.imei = Some(value.to_owned()),
        "MODE" => {
            d.mode = mode_word(
                value
                    .trim_start_matches("Port ")
                    .split_whitespace()
                    .next()
                    .unwrap_or(""),
            );
            if value.starts_with("Port DFU") {
                d.mode_detail = Some("Port DFU".to_owned());
            } else if value.contains("Debug USB") {
                d.mode_detail = Some("DFU via Debug USB (KIS)".to_owned());
            }
        }
        "PRODUCT" if known => d.product_type = Some(value.to_owned()),
        "MODEL" if known => d.board = Some(value.to_ascii_uppercase()),
        // libirecovery's debug output in KIS mode: "VID: 0x05ac", "PID: 0x1881".
        "VID" => d.vid = hex32(value).and_then(|v| u16::try_from(v).ok()),
        "PID" => {
            if let Some(pid) = hex32(value).and_then(|v| u16::try_from(v).ok()) {
                d.set_ids(d.vid.unwrap_or(APPLE_VID), pid);
            }
        }
        _ => {}
    }
    if known && !matches!(key, "MODE" | "PRODUCT" | "MODEL" | "NAME" | "VID" | "PID") {
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
