//! `restore-doctor devices`: the Apple phones and tablets on USB now (or in a saved snapshot or
//! a sysfs tree), as a table or JSON; `--watch` prints attaches and detaches as they happen.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use usb::AppleDevice;
use usb::source::{Change, DeviceSource};

use crate::cli::DevicesArgs;
use crate::device_view::{DeviceJson, device_text};
use crate::interrupt::exit_cleanly_on_interrupt;
use crate::knowledge::knowledge;
use crate::output::{self, DIM, paint};
use crate::usb_source;
use crate::usb_watch::LinkWatch;
use crate::usbmux_view;

#[derive(Serialize)]
struct DevicesJson {
    devices: Vec<DeviceJson>,
    sources: Vec<SourceJson>,
}

/// Whether one way of seeing devices answered.
#[derive(Serialize)]
struct SourceJson {
    name: &'static str,
    ok: bool,
    error: Option<String>,
}

impl SourceJson {
    fn of<T, E: std::fmt::Display>(name: &'static str, result: &Result<T, E>) -> SourceJson {
        SourceJson {
            name,
            ok: result.is_ok(),
            error: result
                .as_ref()
                .err()
                .map(|e| kb::text::printable(&e.to_string()).into_owned()),
        }
    }
}

#[derive(Serialize)]
struct EventJson {
    t: f64,
    kind: &'static str,
    device: DeviceJson,
}

pub fn run(args: &DevicesArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let source = usb_source::source(args.from.as_deref(), args.sysfs_root.as_deref());
    if args.watch {
        let watched =
            usb_source::for_watching(kb, args.from.as_deref(), args.sysfs_root.as_deref());
        return watch(kb, watched.as_ref(), args);
    }
    let from_usb = source.snapshot(kb);
    // On the live bus usbmuxd is asked too: it names normal-mode phones, and it is the only
    // view where the Apple driver owns the device or no bus is visible (a container, a VM).
    let from_usbmux = source.is_live().then(|| usbmux_view::devices(kb));
    let mut sources = vec![SourceJson::of("usb", &from_usb)];
    if let Some(result) = &from_usbmux {
        sources.push(SourceJson::of("usbmuxd", result));
    }
    let usb_readable = from_usb.is_ok();
    let mut devices = match (from_usb, &from_usbmux) {
        (Ok(devices), _) => devices,
        (Err(_), Some(Ok(_))) => Vec::new(),
        (Err(e), Some(Err(mux))) => {
            return Err(anyhow::anyhow!(
                "{e}; and usbmuxd did not answer either: {mux}"
            ));
        }
        (Err(e), None) => return Err(e.into()),
    };
    if let Some(Ok(muxed)) = from_usbmux {
        usbmux_view::merge(&mut devices, muxed);
    }
    if let Some(path) = &args.save {
        // A snapshot is for sharing: identifiers stay out unless asked for.
        let shared: Vec<AppleDevice> = if args.show_ids {
            devices.clone()
        } else {
            devices
                .iter()
                .enumerate()
                .map(|(i, d)| d.shareable(i as u64 + 1))
                .collect()
        };
        usb::snapshot::save(path, &shared)?;
        anstream::eprintln!(
            "Saved {} device(s) to {}.",
            devices.len(),
            kb::text::one_line(&path.display().to_string())
        );
    }
    if args.json {
        output::print_json(&DevicesJson {
            devices: devices
                .iter()
                .map(|d| DeviceJson::new(d, args.show_ids))
                .collect(),
            sources,
        })?;
    } else if devices.is_empty() {
        anstream::print!("{}", no_device_help(source.is_live()));
    } else {
        for (i, d) in devices.iter().enumerate() {
            anstream::print!("{}", device_text(i + 1, d, args.show_ids));
        }
        if !args.show_ids {
            anstream::println!(
                "{}",
                paint(DIM, "Identifiers are masked; --show-ids shows them.")
            );
        }
    }
    if !usb_readable && !args.json {
        anstream::println!(
            "{}",
            paint(
                DIM,
                "USB could not be listed here; these are the phones usbmuxd knows. Phones in DFU or recovery mode cannot be seen that way."
            )
        );
    }
    // Nothing on a bus that could be read is "found nothing"; usbmuxd alone cannot say that.
    Ok(if devices.is_empty() && usb_readable {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn no_device_help(live: bool) -> String {
    if !live {
        return "No Apple phone or tablet in this source.\n".to_owned();
    }
    let mut out = String::from("No iPhone or iPad is visible on USB.\n");
    for tip in [
        "Check the cable: use an Apple or MFi cable you know works, straight into the computer.",
        "Unlock the phone and tap Trust if it asks whether to trust this computer (normal mode only).",
        "A phone in DFU mode has a black screen: it is on, even if it looks off.",
        "Windows: install Apple Devices (or iTunes) so Apple's Mobile Device driver is present; in Device Manager the phone must not show a warning sign.",
        "macOS: open Finder; if the phone shows there, Restore Doctor should see it too.",
        "Linux: the device should appear in lsusb; if it does not, try another port or cable.",
    ] {
        out.push_str(&output::wrap(&format!("- {tip}"), "  "));
    }
    out
}

fn seconds_since_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn watch(kb: &kb::Kb, source: &dyn DeviceSource, args: &DevicesArgs) -> anyhow::Result<ExitCode> {
    exit_cleanly_on_interrupt();
    let mut link = LinkWatch::new(source, Duration::from_millis(500));
    if !args.json {
        let how = if link.has_hotplug() {
            "hotplug events and polling"
        } else {
            "polling every 0.5 s"
        };
        output::line(paint(
            DIM,
            &format!("Watching for Apple devices ({how}); Ctrl-C stops."),
        ))?;
    }
    let mut recording = match &args.record {
        Some(path) => {
            let mut file = std::fs::File::create(path)?;
            writeln!(file, "{}", watch::scenario::HEADER)?;
            Some(file)
        }
        None => None,
    };
    // The recording is for a bug report: each ECID becomes a stand-in number unless asked.
    let mut stand_ins: Vec<u64> = Vec::new();
    // A reader that went away (`| head -n1`) ends the watch even while nothing changes.
    while !output::reader_gone() {
        let tick = link.next(kb)?;
        for change in &tick.changes {
            if let Some(file) = &mut recording {
                let change = if args.show_ids {
                    change.clone()
                } else {
                    shareable_change(change, &mut stand_ins)
                };
                let event = watch::event(tick.t, change);
                writeln!(file, "{}", watch::scenario::format_event(&event))?;
                file.flush()?;
            }
            let (kind, device): (&'static str, &AppleDevice) = match change {
                Change::Attached(d) => ("attach", d),
                Change::Detached(d) => ("detach", d),
            };
            if args.json {
                let event = EventJson {
                    t: seconds_since_epoch(),
                    kind,
                    device: DeviceJson::new(device, args.show_ids),
                };
                output::line(serde_json::to_string(&event)?)?;
            } else {
                let sign = if kind == "attach" { "+" } else { "-" };
                // The device's own lines, without the (painted) "Device 0 · " in front.
                let text = device_text(0, device, args.show_ids);
                let text = text
                    .split_once(" · ")
                    .map_or(text.as_str(), |(_, rest)| rest);
                output::line(format!("{sign} {}", text.trim_end()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A change with its device made shareable; the same ECID always gets the same stand-in.
fn shareable_change(change: &Change, stand_ins: &mut Vec<u64>) -> Change {
    let stand_in = |d: &AppleDevice, seen: &mut Vec<u64>| {
        let ecid = d.ecid.unwrap_or(0);
        let at = seen.iter().position(|e| *e == ecid).unwrap_or_else(|| {
            seen.push(ecid);
            seen.len() - 1
        });
        at as u64 + 1
    };
    match change {
        Change::Attached(d) => Change::Attached(d.shareable(stand_in(d, stand_ins))),
        Change::Detached(d) => Change::Detached(d.shareable(stand_in(d, stand_ins))),
    }
}
