//! Tree-shaped USB listings: macOS `system_profiler SPUSBDataType` (text and `-json`), `ioreg -p
//! IOUSB -l` (text and `-a` plist) and usbmuxd device records; parents of a device are its hubs.

use plist::Value;

use crate::{AppleDevice, Hub, Speed, classify};

/// Hub tiers walked above a device (USB has at most seven).
const MAX_TIERS: usize = 16;
/// Deepest nesting of a property list read; real listings nest a few dozen levels at most,
/// and deeper input would only exhaust the stack of a recursive reader.
const MAX_NESTING: usize = 256;

/// How deeply `<dict>` / `<array>` elements nest in an XML property list (stops counting
/// past [`MAX_NESTING`]).
fn plist_nesting(xml: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut rest = xml;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        if rest.starts_with("dict>") || rest.starts_with("array>") {
            depth += 1;
            deepest = deepest.max(depth);
            if deepest > MAX_NESTING {
                break;
            }
        } else if rest.starts_with("/dict>") || rest.starts_with("/array>") {
            depth = depth.saturating_sub(1);
        }
    }
    deepest
}

/// Properties of one node of a tree listing, as text.
#[derive(Debug, Default)]
struct Node {
    name: String,
    depth: usize,
    props: Vec<(String, String)>,
    parent: Option<usize>,
}

impl Node {
    fn get(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .find_map(|k| {
                self.props
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(k))
            })
            .map(|(_, v)| v.trim().trim_matches('"'))
    }
}

fn parse_number(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t.split_whitespace().next().unwrap_or(t);
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// "Up to 480 Mb/s", "Up to 10 Gb/s", "high_speed", or ioreg's "Device Speed" number.
fn speed_text(text: &str) -> Option<Speed> {
    let t = text.to_ascii_lowercase();
    let named = [
        ("super_speed_plus", Speed::SuperPlus),
        ("super_speed", Speed::Super),
        ("high_speed", Speed::High),
        ("full_speed", Speed::Full),
        ("low_speed", Speed::Low),
    ];
    if let Some((_, s)) = named.iter().find(|(n, _)| t.contains(n)) {
        return Some(*s);
    }
    let number: String = t
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let value: f64 = number.parse().ok()?;
    if t.contains("gb/s") {
        Speed::from_rate(&(value * 1000.0).to_string())
    } else {
        Speed::from_rate(&number)
    }
}

fn ioreg_speed(number: u64) -> Option<Speed> {
    match number {
        0 => Some(Speed::Low),
        1 => Some(Speed::Full),
        2 => Some(Speed::High),
        3 => Some(Speed::Super),
        4 | 5 => Some(Speed::SuperPlus),
        _ => None,
    }
}

/// Builds device records from a parsed tree: every node with Apple mobile vendor/product ids,
/// with the device-like nodes above it as its hubs.
fn devices_from_nodes(nodes: &[Node], source: &str, out: &mut Vec<AppleDevice>) {
    let ids = |n: &Node| -> Option<(u16, u16)> {
        let pid = parse_number(n.get(&["Product ID", "idProduct", "product_id"])?)?;
        let number = n
            .get(&["Vendor ID", "idVendor", "vendor_id"])
            .and_then(parse_number);
        // A paste cut off mid-number ("idVendor" = 145 for 1452) still names its vendor.
        let apple_by_name = n
            .get(&["USB Vendor Name", "Manufacturer", "manufacturer"])
            .is_some_and(|v| v.starts_with("Apple"));
        let vid = match number {
            Some(v) if v == u64::from(crate::APPLE_VID) => v,
            _ if apple_by_name => u64::from(crate::APPLE_VID),
            Some(v) => v,
            None => return None,
        };
        Some((u16::try_from(vid).ok()?, u16::try_from(pid).ok()?))
    };
    for node in nodes {
        let Some((vid, pid)) = ids(node) else {
            continue;
        };
        if classify(vid, pid).is_none() {
            continue;
        }
        let mut d = AppleDevice::new(source);
        d.set_ids(vid, pid);
        if let Some(serial) = node.get(&[
            "Serial Number",
            "USB Serial Number",
            "kUSBSerialNumberString",
            "serial_num",
        ]) {
            d.absorb_serial(serial);
            d.absorb_udid(serial);
        }
        d.speed = node
            .get(&["Speed", "device_speed"])
            .and_then(speed_text)
            .or_else(|| {
                node.get(&["Device Speed"])
                    .and_then(parse_number)
                    .and_then(ioreg_speed)
            });
        if let Some(location) = node.get(&["Location ID", "locationID", "location_id"]) {
            d.location_id = parse_number(location).and_then(|v| u32::try_from(v).ok());
            d.usb_path = d.location_id.map(|l| format!("0x{l:08x}"));
        }
        // USB allows seven tiers; a paste nested deeper is not a real bus, and walking it all
        // for every device would cost time and memory proportional to depth × devices.
        let mut parent = node.parent;
        let mut tiers = 0;
        while let Some(p) = parent.filter(|_| tiers < MAX_TIERS) {
            tiers += 1;
            let hub = &nodes[p];
            if let Some((hvid, hpid)) = ids(hub) {
                d.hubs.push(Hub {
                    name: Some(hub.name.clone()),
                    vid: Some(hvid),
                    pid: Some(hpid),
                    built_in: hub.get(&["Built-In", "Built-in_Device"]).and_then(yes_no),
                });
            }
            parent = hub.parent;
        }
        d.hubs.reverse();
        out.push(d);
    }
}

/// `system_profiler SPUSBDataType` text: "Name:" lines open nodes, "Key: value" lines fill
/// them, indentation gives the tree.
fn system_profiler_text(text: &str) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for line in text.lines() {
        let depth = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(name) = trimmed.strip_suffix(':') {
            while stack.last().is_some_and(|&i| nodes[i].depth >= depth) {
                stack.pop();
            }
            nodes.push(Node {
                name: name.to_owned(),
                depth,
                props: Vec::new(),
                parent: stack.last().copied(),
            });
            stack.push(nodes.len() - 1);
        } else if let Some((key, value)) = trimmed.split_once(": ")
            && let Some(&current) = stack.last()
        {
            nodes[current]
                .props
                .push((key.to_owned(), value.to_owned()));
        }
    }
    nodes
}

/// `ioreg -p IOUSB -l` text: "+-o Name@loc  <class ...>" opens a node at its column, `"key" =
/// value` lines fill the latest node.
fn ioreg_text(text: &str) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for line in text.lines() {
        if let Some(col) = line.find("+-o ") {
            let rest = &line[col + 4..];
            let name = rest
                .split("  <")
                .next()
                .unwrap_or(rest)
                .split('@')
                .next()
                .unwrap_or(rest)
                .trim();
            while stack.last().is_some_and(|&i| nodes[i].depth >= col) {
                stack.pop();
            }
            nodes.push(Node {
                name: name.to_owned(),
                depth: col,
                props: Vec::new(),
                parent: stack.last().copied(),
            });
            stack.push(nodes.len() - 1);
            continue;
        }
        let trimmed = line.trim_start_matches(|c: char| c == '|' || c.is_whitespace());
        if let Some(rest) = trimmed.strip_prefix('"')
            && let Some((key, value)) = rest.split_once("\" = ")
            && let Some(&current) = stack.last()
        {
            nodes[current]
                .props
                .push((key.to_owned(), value.to_owned()));
        }
    }
    nodes
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => i
            .as_unsigned()
            .map(|u| u.to_string())
            .or_else(|| i.as_signed().map(|s| s.to_string())),
        Value::Boolean(b) => Some(if *b { "Yes" } else { "No" }.to_owned()),
        Value::Real(r) => Some(r.to_string()),
        _ => None,
    }
}

/// Flattens a plist / JSON tree whose children sit under `children` keys into nodes.
fn nodes_from_value(
    value: &Value,
    children_keys: &[&str],
    parent: Option<usize>,
    depth: usize,
    nodes: &mut Vec<Node>,
) {
    match value {
        Value::Dictionary(dict) => {
            let name = ["IORegistryEntryName", "_name", "USB Product Name"]
                .iter()
                .find_map(|k| dict.get(k).and_then(value_text))
                .unwrap_or_default();
            let props = dict
                .iter()
                .filter_map(|(k, v)| value_text(v).map(|t| (k.clone(), t)))
                .collect();
            nodes.push(Node {
                name,
                depth,
                props,
                parent,
            });
            let me = nodes.len() - 1;
            for (key, child) in dict.iter() {
                if children_keys.contains(&key.as_str()) {
                    nodes_from_value(child, children_keys, Some(me), depth + 1, nodes);
                } else if let Value::Dictionary(_) = child {
                    // usbmuxd nests the interesting values under "Properties".
                    nodes_from_value(child, children_keys, parent, depth, nodes);
                } else if let Value::Array(_) = child {
                    nodes_from_value(child, children_keys, parent, depth, nodes);
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter().take(crate::identify::MAX_DEVICES * 8) {
                nodes_from_value(item, children_keys, parent, depth, nodes);
            }
        }
        _ => {}
    }
}

/// usbmuxd records: `ProductID`, `LocationID`, `ConnectionSpeed` (bit/s), `SerialNumber` (UDID).
fn usbmuxd_devices(nodes: &[Node], out: &mut Vec<AppleDevice>) {
    for node in nodes {
        let Some(pid) = node
            .get(&["ProductID"])
            .and_then(parse_number)
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        if node.get(&["ConnectionType"]).is_some_and(|t| t != "USB") {
            continue;
        }
        let mut d = AppleDevice::new("usbmuxd");
        d.set_ids(crate::APPLE_VID, pid);
        if let Some(udid) = node.get(&["SerialNumber", "UDID"]) {
            d.absorb_udid(udid);
        }
        d.speed = node.get(&["ConnectionSpeed"]).and_then(Speed::from_rate);
        d.location_id = node
            .get(&["LocationID"])
            .and_then(parse_number)
            .and_then(|v| u32::try_from(v).ok());
        d.usb_path = d.location_id.map(|l| format!("0x{l:08x}"));
        out.push(d);
    }
}

/// The part of a paste that is a property list, if any.
fn plist_slice(text: &str) -> Option<&str> {
    let start = text.find("<?xml").or_else(|| text.find("<plist"))?;
    let end = text[start..].rfind("</plist>")? + start + "</plist>".len();
    Some(&text[start..end])
}

/// Finds and parses every tree format in the paste.
pub(crate) fn parse_trees(text: &str, out: &mut Vec<AppleDevice>, formats: &mut Vec<&'static str>) {
    let mut note = |f: &'static str| {
        if !formats.contains(&f) {
            formats.push(f);
        }
    };
    if text.contains("+-o ") && text.contains("<class ") {
        note("ioreg");
        devices_from_nodes(&ioreg_text(text), "ioreg", out);
    }
    if text.contains("Product ID:") && text.contains("Vendor ID:") {
        note("system_profiler");
        devices_from_nodes(&system_profiler_text(text), "system_profiler", out);
    }
    let trimmed = text.trim_start();
    // JSON read straight into a plist value, so one walker serves both.
    if trimmed.starts_with('{')
        && text.contains("SPUSB")
        && let Ok(json) = serde_json::from_str::<Value>(trimmed)
    {
        note("system_profiler -json");
        let mut nodes = Vec::new();
        nodes_from_value(&json, &["_items"], None, 0, &mut nodes);
        devices_from_nodes(&nodes, "system_profiler", out);
    }
    if let Some(xml) = plist_slice(text)
        && plist_nesting(xml) <= MAX_NESTING
        && let Ok(value) = Value::from_reader_xml(xml.as_bytes())
    {
        let mut nodes = Vec::new();
        if xml.contains("IORegistryEntryChildren") {
            note("ioreg -a");
            nodes_from_value(&value, &["IORegistryEntryChildren"], None, 0, &mut nodes);
            devices_from_nodes(&nodes, "ioreg", out);
        } else if xml.contains("ProductID") {
            note("usbmuxd");
            nodes_from_value(&value, &[], None, 0, &mut nodes);
            usbmuxd_devices(&nodes, out);
        }
    }
}
