//! How Apple devices are shown: one readable block per device, the `devices` / `identify` JSON
//! shape, and redaction of ECID, serial number, UDID and IMEI unless `--show-ids`.

use std::fmt::Write as _;

use serde::Serialize;
use usb::{AppleDevice, Mode};

use crate::output::{DIM, STRONG, WARN, paint};

/// Keeps the last four characters of an identifier and masks the rest.
pub fn redact(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let keep = chars.len().min(4);
    let masked = chars.len() - keep;
    "*".repeat(masked) + &chars[masked..].iter().collect::<String>()
}

fn id_text(value: Option<String>, show: bool) -> Option<String> {
    value.map(|v| if show { v } else { redact(&v) })
}

pub fn ecid_text(d: &AppleDevice, show: bool) -> Option<String> {
    d.ecid.map(|e| {
        let hex = format!("{e:016X}");
        format!("0x{}", if show { hex } else { redact(&hex) })
    })
}

fn mode_words(d: &AppleDevice) -> String {
    let base = match d.mode {
        Mode::Normal => "normal mode (booted, or restore mode: the product id is the same)",
        Mode::Recovery => "recovery mode",
        Mode::Dfu => "DFU mode",
        Mode::Restore => "restore mode",
        Mode::Wtf => "WTF mode",
        Mode::Unknown => "unknown mode",
    };
    match &d.mode_detail {
        Some(detail) => format!("{base}, {detail}"),
        None => base.to_owned(),
    }
}

/// A device as readable lines.
pub fn device_text(number: usize, d: &AppleDevice, show_ids: bool) -> String {
    let mut out = String::new();
    let model = match (&d.name, &d.product_type) {
        (Some(name), Some(pt)) => format!(
            "{name} ({pt}{})",
            d.board
                .as_ref()
                .map(|b| format!(", {b}"))
                .unwrap_or_default()
        ),
        (None, Some(pt)) => pt.clone(),
        _ => "model unknown".to_owned(),
    };
    let model = match &d.os_version {
        Some(version) => format!("{model} · iOS {version}"),
        None => model,
    };
    let _ = writeln!(
        out,
        "{} · {} · {}",
        paint(STRONG, &format!("Device {number}")),
        mode_words(d),
        model
    );
    let mut usb_line = Vec::new();
    if let (Some(vid), Some(pid)) = (d.vid, d.pid) {
        usb_line.push(format!("USB {vid:04x}:{pid:04x}"));
    }
    if let Some(speed) = d.speed {
        usb_line.push(format!("{} Mb/s ({} speed)", speed.mbps(), speed.id()));
    }
    if let Some(path) = &d.usb_path {
        usb_line.push(format!("path {path}"));
    }
    let hubs: Vec<String> = d
        .hubs
        .iter()
        .map(|h| {
            let name = h.name.clone().unwrap_or_else(|| "hub".to_owned());
            if h.built_in == Some(true) {
                format!("{name} (built in)")
            } else {
                name
            }
        })
        .collect();
    if !hubs.is_empty() {
        usb_line.push(format!("via {}", hubs.join(" → ")));
    }
    if !usb_line.is_empty() {
        let _ = writeln!(out, "  {}", usb_line.join(" · "));
    }
    let mut ids = Vec::new();
    if let Some(cpid) = d.cpid {
        ids.push(format!("CPID 0x{cpid:04X}"));
    }
    if let Some(bdid) = d.bdid {
        ids.push(format!("BDID 0x{bdid:02X}"));
    }
    if let Some(ecid) = ecid_text(d, show_ids) {
        ids.push(format!("ECID {ecid}"));
    }
    if let Some(serial) = id_text(d.serial_number.clone(), show_ids) {
        ids.push(format!("serial {serial}"));
    }
    if let Some(udid) = id_text(d.udid.clone(), show_ids) {
        ids.push(format!("UDID {udid}"));
    }
    if !ids.is_empty() {
        let _ = writeln!(out, "  {}", ids.join(" · "));
    }
    let tags: Vec<String> = d
        .serial_tags
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "ECID" | "SRNM" | "IMEI" | "CPID" | "BDID" | "NONC" | "SNON"
            )
        })
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !tags.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            paint(DIM, &format!("tags: {}", tags.join(", ")))
        );
    }
    for hint in hints(d) {
        let _ = writeln!(out, "  {} {hint}", paint(WARN, "!"));
    }
    out
}

/// What a person should know about what the device shows.
fn hints(d: &AppleDevice) -> Vec<&'static str> {
    let mut hints = Vec::new();
    if d.external_hubs() > 0 {
        hints.push("A hub or dock is between the phone and the computer: for a restore, plug it straight into the computer.");
    }
    if d.speed.is_some_and(|s| s < usb::Speed::High) {
        hints.push("The link runs below 480 Mb/s, which no iPhone or iPad should: suspect the cable or the port.");
    }
    if d.mode == Mode::Recovery {
        hints.push("Recovery mode, not DFU: if you were entering DFU mode, you held the buttons too long; start over.");
    }
    hints
}

/// A hub in the JSON shape.
#[derive(Serialize)]
struct HubJson {
    name: Option<String>,
    vid: Option<String>,
    pid: Option<String>,
    built_in: Option<bool>,
}

/// A device in the JSON shape DESIGN.md documents (unknown values are null).
#[derive(Serialize)]
pub struct DeviceJson {
    mode: &'static str,
    mode_detail: Option<String>,
    product_type: Option<String>,
    name: Option<String>,
    board: Option<String>,
    cpid: Option<String>,
    bdid: Option<String>,
    ecid: Option<String>,
    serial_number: Option<String>,
    udid: Option<String>,
    imei: Option<String>,
    vid: Option<String>,
    pid: Option<String>,
    speed: Option<&'static str>,
    speed_mbps: Option<u32>,
    usb_path: Option<String>,
    location_id: Option<String>,
    os_version: Option<String>,
    hubs_in_path: usize,
    hubs: Vec<HubJson>,
    serial_tags: std::collections::BTreeMap<String, String>,
    source: String,
}

impl DeviceJson {
    pub fn new(d: &AppleDevice, show_ids: bool) -> DeviceJson {
        let mut tags = d.serial_tags.clone();
        if !show_ids {
            for key in ["ECID", "SRNM", "IMEI", "NONC", "SNON"] {
                if let Some(v) = tags.get_mut(key) {
                    *v = redact(v);
                }
            }
        }
        DeviceJson {
            mode: d.mode.id(),
            mode_detail: d.mode_detail.clone(),
            product_type: d.product_type.clone(),
            name: d.name.clone(),
            board: d.board.clone(),
            cpid: d.cpid.map(|v| format!("0x{v:04X}")),
            bdid: d.bdid.map(|v| format!("0x{v:02X}")),
            ecid: ecid_text(d, show_ids),
            serial_number: id_text(d.serial_number.clone(), show_ids),
            udid: id_text(d.udid.clone(), show_ids),
            imei: id_text(d.imei.clone(), show_ids),
            vid: d.vid.map(|v| format!("0x{v:04x}")),
            pid: d.pid.map(|v| format!("0x{v:04x}")),
            speed: d.speed.map(usb::Speed::id),
            speed_mbps: d.speed.map(usb::Speed::mbps),
            usb_path: d.usb_path.clone(),
            location_id: d.location_id.map(|l| format!("0x{l:08x}")),
            os_version: d.os_version.clone(),
            hubs_in_path: d.external_hubs(),
            hubs: d
                .hubs
                .iter()
                .map(|h| HubJson {
                    name: h.name.clone(),
                    vid: h.vid.map(|v| format!("0x{v:04x}")),
                    pid: h.pid.map(|v| format!("0x{v:04x}")),
                    built_in: h.built_in,
                })
                .collect(),
            serial_tags: tags,
            source: d.source.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_the_last_four() {
        assert_eq!(redact("0000038E8E58B41C"), "************B41C");
        assert_eq!(redact("FVMCL013HFLV"), "********HFLV");
        assert_eq!(redact("abc"), "abc");
    }

    #[test]
    fn json_redacts_identifiers_unless_asked() {
        let mut d = AppleDevice::new("test");
        d.absorb_serial(
            "CPID:8000 BDID:04 ECID:000005752935F194 SRNM:[FVMCL013HFLV] IMEI:[356789012345678]",
        );
        let hidden = serde_json::to_string(&DeviceJson::new(&d, false)).unwrap();
        for secret in ["000005752935F194", "FVMCL013HFLV", "356789012345678"] {
            assert!(!hidden.contains(secret), "{secret} leaked: {hidden}");
        }
        assert!(hidden.contains("F194"));
        let shown = serde_json::to_string(&DeviceJson::new(&d, true)).unwrap();
        assert!(shown.contains("0x000005752935F194") && shown.contains("FVMCL013HFLV"));
    }
}
