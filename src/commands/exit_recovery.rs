//! `restore-doctor exit-recovery`: tells the phones in recovery mode to start iOS, says in
//! words what became of each, and keeps every run as a step of a case.

use std::io;
use std::process::ExitCode;
use std::time::Instant;

use kb::Kb;
use serde::Serialize;
use serde_json::Value;
use usb::{AppleDevice, Mode};

use crate::cli::ExitRecoveryArgs;
use crate::device_view::DeviceJson;
use crate::exit_recovery::words::{capitalised, keep_case, next_step, progress_line, verdict_text};
use crate::exit_recovery::{
    self, Irecovery, Outcome, PhoneResult, Refusal, Stopper, Target, Waits, Wanted, device_words,
};
use crate::knowledge::knowledge;
use crate::ops::Context;
use crate::output::{self, DIM, paint};
use crate::usage_error::UsageError;
use crate::usb_source;

pub fn run(ctx: &Context, args: &ExitRecoveryArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let stopper = Stopper::on_signals()?;
    let source = usb_source::source(None, args.sysfs_root.as_deref());
    let devices = source.snapshot(kb)?;
    let wanted = match (args.ecid, args.all) {
        (Some(ecid), _) => Wanted::Ecid(ecid),
        (None, true) => Wanted::All,
        (None, false) => Wanted::Only,
    };
    let chosen = match exit_recovery::choose(&devices, wanted) {
        Ok(chosen) => chosen,
        Err(refusal) => {
            let text = refusal_text(kb, &refusal, args.show_ids);
            if args.json {
                output::print_json(&refusal_json(&refusal, &text, args.show_ids)?)?;
            } else {
                output::line(text.trim_end())?;
            }
            return Ok(ExitCode::from(2));
        }
    };
    let tool = Irecovery::find(args.irecovery.as_deref(), &stopper)
        .map_err(|e| UsageError::new(e.to_string()))?;
    let waits = Waits {
        back: f64::from(args.wait),
        ..exit_recovery::WAITS
    };
    let started = Instant::now();
    let several = chosen.targets.len() > 1;
    let mut failed_show: Option<io::Error> = None;
    if !args.json {
        for device in &chosen.left_in_dfu {
            say(&dfu_note(kb, device))?;
        }
        say(&format!(
            "irecovery {} ({}) tells {} to start iOS: it sets auto-boot, saves it and restarts the phone. Nothing is erased. Waiting up to {} s for it to come back.",
            tool.version,
            kb::text::printable(&tool.path.display().to_string()),
            phones_words(&chosen.targets, args.show_ids),
            args.wait,
        ))?;
    }
    let results = exit_recovery::run(
        kb,
        source.as_ref(),
        &tool,
        chosen.targets,
        waits,
        &stopper,
        &mut |progress| {
            if args.json || failed_show.is_some() {
                return;
            }
            if let Some(line) = progress_line(&progress, several) {
                let s = started.elapsed().as_secs();
                let clock = format!("{:>3}:{:02}", s / 60, s % 60);
                if let Err(e) = output::line(format!("{clock}  {line}")) {
                    failed_show = Some(e);
                }
            }
        },
    )?;
    if let Some(e) = failed_show {
        return Err(e.into());
    }
    let shown: Vec<(&PhoneResult, Option<String>)> = results
        .iter()
        .map(|r| (r, keep_case(ctx, r, args.no_save)))
        .collect();
    if args.json {
        let run = RunJson {
            phones: shown
                .iter()
                .map(|(r, case_id)| phone_json(kb, r, case_id.as_deref(), &tool, args.show_ids))
                .collect(),
            left_in_dfu: chosen
                .left_in_dfu
                .iter()
                .map(|d| DeviceJson::new(d, args.show_ids))
                .collect(),
            wait_seconds: args.wait,
        };
        output::print_json(&serde_json::to_value(run)?)?;
    } else {
        for (result, case_id) in &shown {
            output::line("")?;
            output::line(verdict_text(kb, result, several).trim_end())?;
            if let Some(id) = case_id {
                output::line(paint(
                    DIM,
                    &format!("Case {id} saved: restore-doctor report {id}"),
                ))?;
            }
        }
    }
    if let Some(signal) = results.iter().find_map(|r| match r.outcome {
        Outcome::Stopped(signal) => Some(signal),
        _ => None,
    }) {
        return Ok(ExitCode::from(signal.exit_code()));
    }
    Ok(if results.iter().all(|r| r.outcome.in_ios()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn say(text: &str) -> io::Result<()> {
    output::line(output::wrap(text, "").trim_end())
}

/// "the iPhone 8 (GSM) on port 1-3 (ECID 0x…EFAE)", or "3 phones in recovery mode".
fn phones_words(targets: &[Target], show_ids: bool) -> String {
    match targets {
        [one] => format!("{} (ECID {})", one.words(), one.ecid.shown(show_ids)),
        many => format!("{} phones in recovery mode", many.len()),
    }
}

/// How to leave DFU mode for this phone: its family's force restart, or every family's.
fn force_restart_words(kb: &Kb, device: &AppleDevice) -> String {
    let family = device
        .product_type
        .as_deref()
        .and_then(|p| kb.find_device(p).ok())
        .and_then(|d| kb.dfu_family(&d.dfu));
    match family {
        Some(family) => family.force_restart.clone(),
        None => kb
            .dfu_families
            .iter()
            .map(|f| format!("{}: {}", f.name, f.force_restart))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn dfu_note(kb: &Kb, device: &AppleDevice) -> String {
    format!(
        "{} is in DFU mode and is left as it is: no command can send a phone out of DFU mode. To leave it, force-restart it: {}",
        capitalised(&device_words(device)),
        force_restart_words(kb, device)
    )
}

/// Why nothing was done, and what the person can do, in words.
fn refusal_text(kb: &Kb, refusal: &Refusal, show_ids: bool) -> String {
    let list = |devices: &[AppleDevice]| -> String {
        devices
            .iter()
            .map(|d| {
                let ecid = exit_recovery::Ecid::of(d)
                    .map(|e| format!(", ECID {}", e.shown(show_ids)))
                    .unwrap_or_default();
                format!("- {}, {} mode{ecid}\n", device_words(d), d.mode.id())
            })
            .collect()
    };
    let text = match refusal {
        Refusal::NoPhone => "No iPhone or iPad is on USB, so there is nothing to tell. Connect the phone in recovery mode (the computer-and-cable picture on its screen) straight to the computer, then run this again; `restore-doctor devices` shows what the computer sees.".to_owned(),
        Refusal::InDfu(devices) => {
            let mut text = String::new();
            for device in devices {
                text.push_str(&output::wrap(
                    &format!(
                        "{} is in DFU mode (a black screen). A phone in DFU mode cannot be sent out by a command: only recovery mode (the computer-and-cable picture) takes one, so irecovery was not run.",
                        capitalised(&device_words(device))
                    ),
                    "",
                ));
                text.push_str(&output::wrap(
                    &format!(
                        "To leave DFU mode, force-restart it with its buttons: {} If its system is whole it starts iOS; if it shows the computer-and-cable picture instead, run `restore-doctor exit-recovery` again.",
                        force_restart_words(kb, device)
                    ),
                    "",
                ));
            }
            return text;
        }
        Refusal::NotInRecovery(devices) => {
            let what = if devices.iter().any(|d| d.mode == Mode::Restore) {
                "restore mode means a restore is running: let it finish"
            } else {
                "a phone in normal mode has started iOS already (or is being restored)"
            };
            return format!(
                "{}{}",
                output::wrap(
                    &format!("No phone on USB is in recovery mode, so there is nothing to leave ({what}). On USB now:"),
                    ""
                ),
                list(devices)
            );
        }
        Refusal::UnknownEcid { wanted, there } => {
            let head = format!("No phone with ECID {} is on USB.", wanted.shown(show_ids));
            return if there.is_empty() {
                output::wrap(&format!("{head} No iPhone or iPad is on USB at all."), "")
            } else {
                format!(
                    "{}{}",
                    output::wrap(&format!("{head} On USB now:"), ""),
                    list(there)
                )
            };
        }
        Refusal::Several(devices) => {
            return format!(
                "{}{}",
                output::wrap(
                    &format!(
                        "{} phones are in recovery mode. Pick one with --ecid (as `restore-doctor devices --show-ids` shows it), or tell them all with --all:",
                        devices.len()
                    ),
                    ""
                ),
                list(devices)
            );
        }
        Refusal::NoEcid(device) => format!(
            "{} is in recovery mode but did not give its ECID over USB, so irecovery cannot be told which phone it is. Unplug it and plug it back in, then run this again.",
            capitalised(&device_words(device))
        ),
    };
    output::wrap(&text, "")
}

fn refusal_json(refusal: &Refusal, text: &str, show_ids: bool) -> serde_json::Result<Value> {
    let (reason, devices): (&str, Vec<&AppleDevice>) = match refusal {
        Refusal::NoPhone => ("no-phone", Vec::new()),
        Refusal::InDfu(d) => ("dfu-mode", d.iter().collect()),
        Refusal::NotInRecovery(d) => ("not-in-recovery", d.iter().collect()),
        Refusal::UnknownEcid { there, .. } => ("unknown-ecid", there.iter().collect()),
        Refusal::Several(d) => ("several", d.iter().collect()),
        Refusal::NoEcid(d) => ("no-ecid", vec![d.as_ref()]),
    };
    let mut value = serde_json::to_value(RefusalJson {
        phones: Vec::new(),
        refused: Refused {
            reason,
            message: text.split_whitespace().collect::<Vec<_>>().join(" "),
            devices: devices
                .into_iter()
                .map(|d| DeviceJson::new(d, show_ids))
                .collect(),
        },
    })?;
    if !show_ids {
        kb::text::redact_json(&mut value);
    }
    Ok(value)
}

fn phone_json<'a>(
    kb: &'a Kb,
    result: &'a PhoneResult,
    case_id: Option<&'a str>,
    tool: &'a Irecovery,
    show_ids: bool,
) -> PhoneJson<'a> {
    let device = &result.target.device;
    let (mode, seconds) = match &result.outcome {
        Outcome::Back { mode, seconds } => (Some(mode.id()), Some(*seconds)),
        Outcome::Stayed { seconds } | Outcome::Gone { seconds } => (None, Some(*seconds)),
        _ => (None, None),
    };
    PhoneJson {
        port: device.usb_path.as_deref(),
        name: device.name.as_deref(),
        product_type: device.product_type.as_deref(),
        ecid: result.target.ecid.shown(show_ids),
        outcome: result.outcome.id(),
        in_ios: result.outcome.in_ios(),
        mode,
        seconds: seconds.map(|s| (s * 10.0).round() / 10.0),
        tool: result.tool.as_ref().map(|run| ToolJson {
            version: &tool.version,
            status: run.status,
            said: run.said.as_deref(),
            timed_out: run.timed_out,
        }),
        case: case_id,
        next_step: next_step(kb, &result.outcome).map(|a| StepJson {
            id: &a.id,
            name: &a.name,
            summary: &a.summary,
        }),
    }
}

/// What `exit-recovery --json` prints. It is made into a `serde_json::Value` before printing,
/// so its keys (and the devices') come out in alphabetical order (see [`output::print_json`]).
#[derive(Serialize)]
struct RunJson<'a> {
    phones: Vec<PhoneJson<'a>>,
    /// The phones in DFU mode, left as they are.
    left_in_dfu: Vec<DeviceJson>,
    wait_seconds: u32,
}

/// What `exit-recovery --json` prints when nothing was done.
#[derive(Serialize)]
struct RefusalJson<'a> {
    /// Always empty: no phone was told anything.
    phones: Vec<PhoneJson<'a>>,
    refused: Refused,
}

/// Why nothing was done, in words, and the phones on USB that made it so.
#[derive(Serialize)]
struct Refused {
    reason: &'static str,
    message: String,
    devices: Vec<DeviceJson>,
}

/// A phone told to start iOS, and what became of it.
#[derive(Serialize)]
struct PhoneJson<'a> {
    port: Option<&'a str>,
    name: Option<&'a str>,
    product_type: Option<&'a str>,
    ecid: String,
    outcome: &'static str,
    in_ios: bool,
    /// The mode it came back in.
    mode: Option<&'static str>,
    /// Seconds until it came back, or until the wait ended.
    seconds: Option<f64>,
    /// irecovery's run; `None` when it was never started.
    tool: Option<ToolJson<'a>>,
    /// The case the run is kept as.
    case: Option<&'a str>,
    next_step: Option<StepJson<'a>>,
}

/// How irecovery's run went.
#[derive(Serialize)]
struct ToolJson<'a> {
    version: &'a str,
    status: Option<i32>,
    said: Option<&'a str>,
    timed_out: bool,
}

/// The action to take next, in words.
#[derive(Serialize)]
struct StepJson<'a> {
    id: &'a str,
    name: &'a str,
    summary: &'a str,
}
