//! `restore-doctor dfu [--model M] [--no-wait]`: the DFU coach on its own, for one model's
//! family with a countdown, or every family's steps when no model is given.

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::cli::DfuArgs;
use crate::interrupt::exit_cleanly_on_interrupt;
use crate::knowledge::{knowledge, resolve_model};
use crate::session::dfu_coach;
use crate::session::prompter::{Prompter, Reworded, TerminalPrompter};
use crate::usb_source;

pub fn run(args: &DfuArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let device = resolve_model(kb, args.model.model.as_deref())?;
    let mut terminal = TerminalPrompter::new();
    let mut prompter = Reworded::new(&mut terminal, device.map(|d| d.kind));
    match device {
        Some(device) => {
            let family = dfu_coach::family_for(kb, device).ok_or_else(|| {
                anyhow::anyhow!("no DFU steps are known for {}", device.product_type)
            })?;
            let wait =
                !args.no_wait && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
            if wait {
                exit_cleanly_on_interrupt();
            }
            if !dfu_coach::coach(kb, family, Some(device), &mut prompter, wait)? {
                return Ok(ExitCode::SUCCESS);
            }
            // With a timed sequence, or when a test tree is given, check what was reached.
            if wait || args.sysfs_root.is_some() {
                let source = usb_source::source(None, args.sysfs_root.as_deref());
                if let Some((ok, words)) = dfu_coach::confirm(kb, source.as_ref()) {
                    prompter.say(&format!("  {} {words}", if ok { "✓" } else { "✗" }))?;
                    if !ok {
                        return Ok(ExitCode::from(1));
                    }
                }
            }
        }
        None => {
            prompter.say("Pass --model to be coached for your model; here are the steps of every button family.\n")?;
            for family in &kb.dfu_families {
                dfu_coach::coach(kb, family, None, &mut prompter, false)?;
                prompter.say("")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
