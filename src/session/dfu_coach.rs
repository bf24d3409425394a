//! The DFU coach: a model family's button steps with a visible countdown per step, the cable
//! warning, and how to tell DFU (black screen) from recovery mode (Apple logo).

use std::io;

use kb::{Connector, Device, DfuFamily, Kb};
use usb::Mode;
use usb::source::DeviceSource;

use crate::output::{self, DIM, HEADING, STRONG, WARN, paint};
use crate::session::prompter::Prompter;

/// The family for a device.
pub fn family_for<'kb>(kb: &'kb Kb, device: &Device) -> Option<&'kb DfuFamily> {
    kb.dfu_family(&device.dfu)
}

/// Walks the person through DFU entry. With `wait`, each step is timed with a countdown;
/// otherwise the steps are only printed. False when the person stopped (q) before the start.
pub fn coach(
    kb: &Kb,
    family: &DfuFamily,
    device: Option<&Device>,
    prompter: &mut dyn Prompter,
    wait: bool,
) -> io::Result<bool> {
    let title = match device {
        Some(d) => format!(
            "DFU mode for {} ({}) · family {}: {}",
            d.model,
            d.product_types_text(),
            family.letter,
            family.name
        ),
        None => format!("DFU mode · family {}: {}", family.letter, family.name),
    };
    prompter.say(&paint(HEADING, &title))?;
    let lightning = device.is_none_or(|d| d.connector == Connector::Lightning);
    let mut before = String::from(
        "Connect the phone to the computer, straight into a port on the computer, and open Finder (Mac) or Apple Devices / iTunes (Windows).",
    );
    if lightning {
        before.push(' ');
        before.push_str(&kb.dfu_signs.cable_warning);
    }
    prompter.say(output::wrap(&before, "  ").trim_end())?;
    if wait {
        if prompter
            .text("Press Enter when you are ready to start (q stops).")?
            .is_none()
        {
            return Ok(false);
        }
        prompter.say("  Get ready…")?;
        prompter.countdown(3)?;
    }
    for (i, step) in family.steps.iter().enumerate() {
        let timing = match &step.until {
            Some(until) => format!("until {until} (about {} s)", step.seconds),
            None => format!("{} s", step.seconds),
        };
        prompter.say(&format!(
            "  {}. {}  {}",
            i + 1,
            paint(STRONG, &step.text),
            paint(DIM, &timing)
        ))?;
        if wait {
            prompter.countdown(step.seconds)?;
        }
    }
    let signs = &kb.dfu_signs;
    prompter.say(output::wrap(&format!("Worked: {}", signs.success), "  ").trim_end())?;
    prompter.say(&paint(WARN, "  If it did not work:"))?;
    prompter.say(output::wrap(&signs.recovery_instead, "  ").trim_end())?;
    prompter.say(output::wrap(&signs.booted_instead, "  ").trim_end())?;
    Ok(true)
}

/// What USB shows after the button sequence, in words: DFU confirmed, or what went wrong.
/// Returns `None` when USB cannot be read.
pub fn confirm(kb: &Kb, source: &dyn DeviceSource) -> Option<(bool, String)> {
    let devices = source.snapshot(kb).ok()?;
    let dfu = devices.iter().find(|d| d.mode == Mode::Dfu);
    Some(match (dfu, devices.first()) {
        (Some(d), _) => {
            let pid = d.pid.map(|p| format!(" (USB product id 0x{p:04x})")).unwrap_or_default();
            (true, format!("DFU mode confirmed{pid}: the phone is ready to restore."))
        }
        (None, Some(d)) if d.mode == Mode::Recovery => (
            false,
            "The phone is in recovery mode (0x1281), not DFU: the buttons were held too long or the wrong one was released. Start over.".to_owned(),
        ),
        (None, Some(d)) if d.mode == Mode::Normal => (
            false,
            "The phone started normally: the buttons were released too early. Start over.".to_owned(),
        ),
        (None, Some(_)) => (false, "The phone is on USB but not in DFU mode. Start over.".to_owned()),
        (None, None) => (
            false,
            "Nothing is visible on USB. Check the cable (a USB-C-to-Lightning cable often blocks DFU entry) and that it is plugged straight into the computer, then start over.".to_owned(),
        ),
    })
}
