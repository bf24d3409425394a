//! `restore-doctor restore`: runs idevicerestore under supervision, shows its phases and
//! progress in plain words, watches the link beside it, and names the next step when it fails.

use std::io::BufRead;
use std::process::ExitCode;

use supervise::{Firmware, Ipsw, Request, Stopper, Tool};

use crate::cli::RestoreArgs;
use crate::knowledge::knowledge;
use crate::ops::{Context, bench_restore, restore};
use crate::output;
use crate::usage_error::UsageError;
use crate::views::bench_table::BenchScreen;
use crate::views::confirm::erase_permit;
use crate::views::restore_screen::Screen;

pub fn run(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    // The firmware is checked first: a wrong path is an error at once, never a wait for a phone.
    let firmware = match &args.ipsw {
        Some(path) if !args.latest => {
            Firmware::Ipsw(Ipsw::new(path).map_err(|e| UsageError::new(e.to_string()))?)
        }
        _ => Firmware::Latest,
    };
    // SIGINT, SIGTERM and SIGHUP end the tool with us (see `supervise::Group`).
    let stopper = Stopper::on_signals()?;
    let tool = Tool::find(args.idevicerestore.as_deref(), &stopper)
        .map_err(|e| UsageError::new(e.to_string()))?;
    if args.all || args.ecid.len() > 1 {
        return bench(ctx, kb, &tool, firmware, args, &stopper);
    }
    let ecid = args.ecid.first().map(|e| e.value());
    let erase = args
        .erase
        .then(|| erase_permit(args.yes_erase, "the phone"))
        .transpose()?;
    let request = Request {
        firmware,
        ecid,
        erase,
    };
    let mut screen = Screen::new(args.json);
    screen.note(&format!(
        "Running idevicerestore {} ({}): {}.",
        tool.version,
        kb::text::one_line(&tool.path.display().to_string()),
        if erase.is_some() {
            "a full restore that ERASES the phone"
        } else {
            "an update, which keeps the phone's data"
        }
    ))?;
    let on_usb = restore::on_usb(kb, args.sysfs_root.as_deref()).unwrap_or_default();
    let seen = restore::the_phone(on_usb, ecid);
    let mut ledger = restore::new_case(kb, None, seen.as_ref());
    let mut keeper = (!args.no_save).then(|| ctx.keeper());
    for attempt in 1..=args.retry.saturating_add(1) {
        // From the start of the tool to the saved case, a signal is answered, not fatal.
        let hold = stopper.hold();
        let mut link = Vec::new();
        let ending = restore::run_once(
            kb,
            &tool,
            &request,
            args.sysfs_root.as_deref(),
            &stopper,
            &mut |news| {
                if let restore::RunNews::Link(finding) = &news {
                    link.push(finding.clone());
                }
                screen.news(news)
            },
        );
        screen.finish_progress();
        let ending = ending?;
        if ending.no_device && ending.device.is_none() && ending.stopped.is_none() {
            return Err(UsageError::new(
                "idevicerestore found no phone. Connect it (recovery or DFU mode for a restore) and check it is the only one, or pass --ecid; `restore-doctor devices` shows what is on USB.",
            )
            .into());
        }
        let failure = restore::record(ctx, kb, &mut ledger, &request, &ending, &link);
        if let Some(keeper) = keeper.as_mut() {
            keeper.keep(&ledger);
        }
        screen.verdict(
            kb,
            attempt,
            &ending,
            failure.as_ref(),
            keeper.as_ref().and_then(|k| k.id()),
        )?;
        if let Some(signal) = stopper.requested() {
            return Ok(ExitCode::from(signal.exit_code()));
        }
        if ending.succeeded() {
            return Ok(ExitCode::SUCCESS);
        }
        drop(hold);
        if attempt <= args.retry && !wait_for_change(args.json)? {
            break;
        }
    }
    Ok(ExitCode::from(1))
}

/// `--all` or several `--ecid`: the bench's phones restored by a queue, each shown on its port.
/// Exit 0 when all were restored.
fn bench(
    ctx: &Context,
    kb: &'static kb::Kb,
    tool: &Tool,
    firmware: Firmware,
    args: &RestoreArgs,
    stopper: &Stopper,
) -> anyhow::Result<ExitCode> {
    let ecids: Vec<u64> = args.ecid.iter().map(|e| e.value()).collect();
    let (mut phones, left_alone) =
        bench_restore::phones(kb, args.all, &ecids, args.sysfs_root.as_deref())
            .map_err(UsageError::new)?;
    let erase = args
        .erase
        .then(|| erase_permit(args.yes_erase, &format!("{} phones", phones.len())))
        .transpose()?;
    if !args.no_save {
        for phone in &mut phones {
            phone.keeper = Some(ctx.keeper());
        }
    }
    // From the first run to the summary, a signal stops the runs instead of ending us.
    let _hold = stopper.hold();
    let mut screen = BenchScreen::new(args.json);
    screen.introduce(tool, &phones, args, erase.is_some(), left_alone)?;
    let plan = bench_restore::Plan {
        firmware,
        erase,
        jobs: usize::from(args.jobs),
        retries: args.retry,
        sysfs_root: args.sysfs_root.as_deref(),
    };
    let failed_show = bench_restore::run(ctx, kb, tool, &plan, stopper, &mut phones, &mut screen);
    screen.summary(kb, &phones)?;
    if let Some(e) = failed_show {
        return Err(e.into());
    }
    if let Some(signal) = stopper.requested() {
        return Ok(ExitCode::from(signal.exit_code()));
    }
    Ok(if phones.iter().all(bench_restore::Phone::restored) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Waits for the person to make the change; false when they stop.
fn wait_for_change(json: bool) -> anyhow::Result<bool> {
    if !json {
        output::line(
            "Make the change, then press Enter to run the restore again (q and Enter to stop).",
        )?;
    }
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer)?;
    Ok(read > 0 && answer.trim() != "q")
}
