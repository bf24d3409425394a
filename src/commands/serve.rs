//! `restore-doctor serve`: the bench dashboard. Feeds the web crate's bench from the USB watch
//! (or a replayed recording) and runs the supervised restores the page starts.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use supervise::{Stopper, Tool};
use web::{Bench, Dashboard, RecoveryExiter, Restorer, Token};

use crate::cli::ServeArgs;
use crate::exit_recovery::Irecovery;
use crate::knowledge::knowledge;
use crate::ops::Context;
use crate::ops::serve_feed::{self, PageExiter, PageRestorer, Runs};
use crate::ops::watch::Recording;
use crate::usage_error::UsageError;

pub fn run(ctx: &Context, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let recording = match &args.replay {
        Some(path) => Some(Recording::open(path)?),
        None => None,
    };
    // SIGINT, SIGTERM and SIGHUP stop the server, and with it every restore the page started.
    let stopper = Stopper::on_signals()?;
    let _hold = stopper.hold();
    let runs: Runs = Arc::default();
    let restorer = match Tool::find(args.idevicerestore.as_deref(), &stopper) {
        Ok(tool) => Some(Box::new(PageRestorer {
            ctx: ctx.clone(),
            kb,
            tool,
            stopper: stopper.clone(),
            runs: runs.clone(),
        }) as Box<dyn Restorer>),
        Err(e) if args.idevicerestore.is_some() => {
            return Err(UsageError::new(e.to_string()).into());
        }
        Err(_) => None,
    };
    let exiter = match Irecovery::find(args.irecovery.as_deref(), &stopper) {
        Ok(tool) => Some(Box::new(PageExiter {
            ctx: ctx.clone(),
            kb,
            tool,
            sysfs_root: args.sysfs_root.clone(),
            stopper: stopper.clone(),
            runs: runs.clone(),
        }) as Box<dyn RecoveryExiter>),
        Err(e) if args.irecovery.is_some() => {
            return Err(UsageError::new(e.to_string()).into());
        }
        Err(_) => None,
    };
    let token = if args.bind.ip().is_loopback() {
        None
    } else {
        Some(Token::random()?)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.bind))
        .map_err(|e| UsageError::new(format!("cannot listen on {}: {e}", args.bind)))?;
    let address = listener.local_addr()?;
    let bench = Bench::new(args.show_ids);
    let restores = if restorer.is_some() {
        "restores can be started from the page"
    } else {
        "idevicerestore was not found, so restores cannot be started from the page"
    };
    let mut out = std::io::stdout().lock();
    match &token {
        None => writeln!(
            out,
            "Bench dashboard on http://{address}/ ({restores}). Ctrl-C stops it."
        )?,
        Some(token) => writeln!(
            out,
            "Bench dashboard on http://{address}/, reachable from other computers: open \
             http://{address}/?token={} (the token is shown only now; requests without it are \
             refused). {restores}. Ctrl-C stops it.",
            token.as_str()
        )?,
    }
    out.flush()?;
    drop(out);
    let dashboard = Dashboard {
        kb,
        bench: bench.clone(),
        db: Some(ctx.location()),
        restorer,
        exiter,
        site: web::Site::new(address),
        token,
        show_ids: args.show_ids,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let feed = {
        let (bench, stop) = (bench.clone(), stop.clone());
        let sysfs_root = args.sysfs_root.clone();
        let speed = args.speed;
        let ctx = ctx.clone();
        std::thread::spawn(move || match recording {
            Some(recording) => serve_feed::replay(&ctx, kb, &bench, &recording, speed, &stop),
            None => serve_feed::live(&ctx, kb, &bench, sysfs_root.as_deref(), &stop),
        })
    };
    let stopping = stopper.clone();
    let served = runtime.block_on(web::serve(listener, dashboard, async move {
        let _ = tokio::task::spawn_blocking(move || stopping.wait()).await;
    }));
    stop.store(true, Ordering::Relaxed);
    let _ = feed.join();
    // The restores saw the same stop: each ends its tool (SIGKILL after the grace period, or at
    // a second Ctrl-C) and keeps its case.
    let running = std::mem::take(&mut *runs.lock().unwrap_or_else(PoisonError::into_inner));
    for run in running {
        let _ = run.join();
    }
    served?;
    Ok(ExitCode::SUCCESS)
}
