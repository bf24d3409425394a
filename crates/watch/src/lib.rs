//! The restore-aware connection timeline behind `restore-doctor watch`: timestamped USB events
//! in, findings out (expected mode changes, glitches, drops, loops), with per-port statistics.
//!
//! Pure: events come from the live bus or a recorded scenario file; time is the events' own.

pub mod scenario;
pub mod tracker;

use kb::{Observation, Phase};

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
    let mut seen = Seen::default();
    for f in findings {
        seen.add(f);
    }
    seen.observations()
}

/// What a watch has shown so far, summed up as each finding arrives: the alerts to count and
/// the evidence for the engine. It stays the same size however long the watch runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    /// Drops and loops reported.
    pub drops: usize,
    pub loops: usize,
    /// The phase of the first drop that had one.
    drop_phase: Option<Phase>,
    /// A device came back in normal mode after restore mode.
    finished: bool,
}

impl Seen {
    /// Takes in one more finding.
    pub fn add(&mut self, f: &Finding) {
        match f.kind {
            EventKind::Drop => {
                self.drops += 1;
                self.drop_phase = self.drop_phase.or(f.phase);
            }
            EventKind::Loop => self.loops += 1,
            _ => {}
        }
        self.finished |= f.stage == Stage::Restored;
    }

    /// The engine's evidence from the findings so far (see [`observations`]).
    pub fn observations(&self) -> Vec<Observation> {
        match self.drop_phase {
            Some(phase) => vec![
                Observation::new("disconnect-during-restore", "yes"),
                Observation::new("failed-phase", phase.id()),
            ],
            None if self.finished => vec![Observation::new("disconnect-during-restore", "no")],
            None => Vec::new(),
        }
    }
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
