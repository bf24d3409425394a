//! `restore-doctor identify [TEXT | -]`: decodes a pasted USB listing, serial string, irecovery
//! or ideviceinfo output into Apple devices: mode, model, ECID, speed, path and hubs.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::IdentifyArgs;
use crate::device_view::{DeviceJson, device_text};
use crate::knowledge::knowledge;
use crate::output::{self, DIM, paint};
use crate::usage_error::UsageError;

/// Largest paste read; anything bigger is not a USB listing.
const MAX_PASTE: u64 = 16 * 1024 * 1024;

#[derive(Serialize)]
struct IdentifyJson {
    devices: Vec<DeviceJson>,
    formats: Vec<&'static str>,
    /// What the paste leaves open ("these may be one device").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

pub fn run(args: &IdentifyArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let text = match args.text.as_deref() {
        Some(text) if text != "-" => text.to_owned(),
        _ => read_stdin()?,
    };
    let found = usb::identify::identify(kb, &text);
    if args.json {
        output::print_json(&IdentifyJson {
            devices: found
                .devices
                .iter()
                .map(|d| DeviceJson::new(d, args.show_ids))
                .collect(),
            formats: found.formats.clone(),
            notes: found.notes.clone(),
        })?;
    } else if found.devices.is_empty() {
        anstream::println!("No Apple phone or tablet found in this text.");
        anstream::print!(
            "{}",
            output::wrap(
                "It reads: DFU / recovery serial strings (also ipwndfu's Found: line), lsusb (also -v, -t and grepped pieces), dmesg, irecovery -q (old and new, and its debug output), idevicerestore logs, Windows device ids (Device Manager, Get-PnpDevice, pnputil, SetupAPI logs, .reg exports) and driver names, ideviceinfo, idevice_id -l, system_profiler SPUSBDataType (text or -json), ioreg -p IOUSB -l (text or -a) and usbmuxd device records, with terminal colours and Windows line ends.",
                "  ",
            )
        );
    } else {
        for (i, d) in found.devices.iter().enumerate() {
            anstream::print!("{}", device_text(i + 1, d, args.show_ids));
        }
        for note in &found.notes {
            anstream::print!("{}", output::wrap(note, ""));
        }
        let mut footer = format!("Read as: {}.", found.formats.join(", "));
        if !args.show_ids {
            footer.push_str(" Identifiers are masked; --show-ids shows them.");
        }
        anstream::println!("{}", paint(DIM, &footer));
    }
    Ok(if found.devices.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_stdin() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        anstream::eprintln!("Paste the output, then press Ctrl-D (Ctrl-Z and Enter on Windows).");
    }
    let mut bytes = Vec::new();
    stdin.lock().take(MAX_PASTE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_PASTE {
        return Err(UsageError::new(format!(
            "the input is larger than {} MB; paste only the USB listing or log excerpt",
            MAX_PASTE >> 20
        ))
        .into());
    }
    // A PowerShell redirect saves UTF-16; it reads like any other paste.
    Ok(logs::decode_text(&bytes, MAX_PASTE as usize))
}
