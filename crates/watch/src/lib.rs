//! The restore-aware connection timeline behind `restore-doctor watch`: timestamped USB events
//! in, findings out (expected mode changes, glitches, drops, loops), with per-port statistics.
//!
//! Pure: events come from the live bus or a recorded scenario file; time is the events' own.

pub mod scenario;
pub mod tracker;

use kb::Observation;

pub use kb::EventKind;
pub use scenario::{Event, LinkChange};
pub use tracker::{Finding, PortStats, Stage, Tracker, Windows};

/// The timeline event for a change a USB watcher saw at time `t`.
pub fn event(t: f64, change: usb::source::Change) -> Event {
    match change {
        usb::source::Change::Attached(device) => Event {
            t,
            kind: LinkChange::Attach,
            device,
        },
        usb::source::Change::Detached(device) => Event {
            t,
            kind: LinkChange::Detach,
            device,
        },
    }
}

/// Evidence for the engine from what was watched: whether the phone dropped off USB during a
/// restore, and in which phase. A watched restore that finished without a drop says "no".
pub fn observations(findings: &[Finding]) -> Vec<Observation> {
    let drop = findings
        .iter()
        .find(|f| f.kind == EventKind::Drop && f.phase.is_some());
    let finished = findings.iter().any(|f| f.stage == Stage::Restored);
    let mut out = Vec::new();
    match drop {
        Some(d) => {
            out.push(Observation::new("disconnect-during-restore", "yes"));
            if let Some(phase) = d.phase {
                out.push(Observation::new("failed-phase", phase.id()));
            }
        }
        None if finished => out.push(Observation::new("disconnect-during-restore", "no")),
        None => {}
    }
    out
}

/// A short verdict on the ports: the ones that dropped, worst first.
pub fn port_verdict(tracker: &Tracker) -> Vec<String> {
    let mut ports: Vec<(&String, &PortStats)> = tracker
        .ports()
        .iter()
        .filter(|(_, s)| s.drops + s.loops > 0)
        .collect();
    ports.sort_by_key(|(_, s)| std::cmp::Reverse(s.drops * 2 + s.loops));
    ports
        .into_iter()
        .map(|(port, s)| {
            format!(
                "port {port}: {} drop(s), {} loop(s), {} glitch(es) across {} device(s)",
                s.drops,
                s.loops,
                s.glitches,
                s.devices.len()
            )
        })
        .collect()
}
