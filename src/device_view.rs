//! How Apple devices are shown: one readable block per device (the JSON shape is `usb::json`),
//! with ECID, serial number, UDID and IMEI masked unless `--show-ids`.

use std::fmt::Write as _;

use usb::{AppleDevice, Mode};

use crate::output::{DIM, STRONG, WARN, paint};

pub use usb::json::DeviceJson;
use usb::json::{ecid_text, id_text};

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

/// "iPhone3,1, iPhone3,2 or iPhone3,3".
fn one_of(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
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
        // The model is known, its variant is not (a 30-pin iPhone 4's product id).
        (Some(name), None) if !d.candidates.is_empty() => {
            format!("{name} ({})", one_of(&d.candidates))
        }
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
