//! Watching USB while the person retries a restore: a background watcher feeds the timeline
//! tracker until the person says the attempt ended; its findings become evidence.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kb::{Kb, Observation};
use usb::live::{DeviceSource, Watcher};
use watch::{Finding, FindingKind, Tracker};

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
            let mut watcher = Watcher::new(source, INTERVAL);
            let mut tracker = Tracker::default();
            let mut seen = Vec::new();
            let start = Instant::now();
            let mut changes = watcher.poll(kb).unwrap_or_default();
            loop {
                let t = start.elapsed().as_secs_f64();
                for change in changes {
                    seen.extend(tracker.push(&watch::event(t, change)));
                }
                seen.extend(tracker.tick(t));
                if stop.load(Ordering::Relaxed) {
                    return seen;
                }
                changes = watcher.wait_once(kb).unwrap_or_default();
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
        .filter(|f| matches!(f.kind, FindingKind::Drop | FindingKind::Loop))
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

/// The observations the watch adds, leaving questions already answered alone.
pub fn new_observations(findings: &[Finding], known: &[Observation]) -> Vec<Observation> {
    watch::observations(findings)
        .into_iter()
        .filter(|o| !known.iter().any(|k| k.question == o.question))
        .collect()
}
