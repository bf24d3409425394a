//! Watching USB while the person retries a restore: a background watcher feeds the timeline
//! tracker until the person says the attempt ended; its findings become evidence.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kb::Kb;
use usb::source::DeviceSource;
use watch::{EventKind, Finding};

use crate::usb_watch::LinkWatch;

use crate::session::prompter::Prompter;

/// How often the source is polled while watching.
const INTERVAL: Duration = Duration::from_millis(200);

/// Watches `source` until the person presses Enter, then returns what was seen.
pub fn watch_retry(
    kb: &Kb,
    source: &dyn DeviceSource,
    prompter: &mut dyn Prompter,
) -> io::Result<Vec<Finding>> {
    let stop = AtomicBool::new(false);
    let findings = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut link = LinkWatch::new(source, INTERVAL);
            let mut seen = Vec::new();
            loop {
                if let Ok(tick) = link.next(kb) {
                    seen.extend(tick.findings);
                }
                if stop.load(Ordering::Relaxed) {
                    return seen;
                }
            }
        });
        let answered = prompter.text("Watching the USB connection. Retry now; press Enter when the restore has finished or failed.");
        stop.store(true, Ordering::Relaxed);
        let seen = watcher.join().unwrap_or_default();
        answered.map(|_| seen)
    })?;
    Ok(findings)
}

/// One line per drop or loop, or a note that none was seen.
pub fn summary(findings: &[Finding]) -> Vec<String> {
    let alerts: Vec<String> = findings
        .iter()
        .filter(|f| matches!(f.kind, EventKind::Drop | EventKind::Loop))
        .map(|f| {
            let port = f
                .port
                .as_deref()
                .map(|p| format!(" on {p}"))
                .unwrap_or_default();
            let phase = f.phase.map(|p| format!(" ({p})")).unwrap_or_default();
            format!("{:.1} s{port}{phase}: {}", f.t, f.message)
        })
        .collect();
    if alerts.is_empty() {
        vec!["No drop seen while watching.".to_owned()]
    } else {
        alerts
    }
}
