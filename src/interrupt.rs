//! Ctrl-C for interactive commands: a line saying nothing on the phone was touched and exit
//! 130, or, for commands that watch until stopped, a flag so they can end with their summary.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// Makes Ctrl-C end an interactive command cleanly: a line saying nothing on the phone was
/// touched, and exit status 130.
pub fn exit_cleanly_on_interrupt() {
    let _ = ctrlc::set_handler(|| {
        anstream::eprintln!(
            "\nStopped. Restore Doctor changed nothing on the phone; run it again to start over."
        );
        std::process::exit(130);
    });
}

/// A flag that turns true on Ctrl-C, or when the person types q and Enter on a terminal: for
/// commands that run until told to stop and then print a summary.
pub fn stop_on_interrupt_or_q() -> &'static AtomicBool {
    static STOP: AtomicBool = AtomicBool::new(false);
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed));
    if std::io::stdin().is_terminal() {
        std::thread::spawn(|| {
            for line in std::io::stdin().lines() {
                match line {
                    Ok(l) if matches!(l.trim(), "q" | "Q" | "quit") => break,
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
            STOP.store(true, Ordering::Relaxed);
        });
    }
    &STOP
}
