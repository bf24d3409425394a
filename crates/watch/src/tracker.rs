//! The restore-aware tracker: follows each device across re-enumerations, infers the restore
//! stage from the sequence of modes, and classifies every disappearance as an expected
//! transition, a re-enumeration glitch, a drop, or a connect / disconnect loop.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use kb::{EventKind, Phase};
use serde::Serialize;
use usb::{AppleDevice, Mode};

use crate::scenario::{Event, LinkChange};

/// Where a device is in a restore, as far as USB shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Booted iOS, before any restore was seen.
    Normal,
    Dfu,
    Recovery,
    /// The restore ramdisk is running: the normal-mode product id right after recovery.
    RestoreMode,
    /// Booted iOS again after restore mode: the restore finished.
    Restored,
    Wtf,
    #[default]
    Unknown,
}

impl Stage {
    /// Order along a restore: DFU → recovery → restore mode → restored.
    fn rank(self) -> u8 {
        match self {
            Stage::Normal | Stage::Unknown => 0,
            Stage::Wtf => 1,
            Stage::Dfu => 2,
            Stage::Recovery => 3,
            Stage::RestoreMode => 4,
            Stage::Restored => 5,
        }
    }

    /// The DESIGN.md phase a failure in this stage belongs to.
    pub fn phase(self) -> Option<Phase> {
        match self {
            Stage::Dfu | Stage::Recovery | Stage::Wtf => Some(Phase::RecoveryBoot),
            Stage::RestoreMode => Some(Phase::RestoreOs),
            _ => None,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Stage::Normal => "normal mode",
            Stage::Dfu => "DFU mode",
            Stage::Recovery => "recovery mode",
            Stage::RestoreMode => "restore mode",
            Stage::Restored => "normal mode after the restore",
            Stage::Wtf => "WTF mode",
            Stage::Unknown => "an unknown mode",
        }
    }
}

/// One conclusion, ready to show or to turn into evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub t: f64,
    pub kind: EventKind,
    /// Which device (tracks are numbered from 1 in order of appearance).
    pub device: usize,
    pub name: Option<String>,
    pub port: Option<String>,
    pub stage: Stage,
    pub phase: Option<Phase>,
    /// Seconds the device was gone, for returns and drops.
    pub gap: Option<f64>,
    pub message: String,
}

/// Timing rules, from idevicerestore's waits (research/peers.md §2.2).
#[derive(Debug, Clone)]
pub struct Windows {
    /// Back in the same mode within this many seconds: a re-enumeration glitch.
    pub glitch: f64,
    /// DFU → recovery after iBSS / iBEC: 10 s to disconnect, 10 s to come back (+ slack).
    pub from_dfu: f64,
    /// Recovery → restore mode: idevicerestore waits up to 300 s.
    pub from_recovery: f64,
    /// Normal → recovery (EnterRecovery), or a reboot: 60 s + 60 s.
    pub from_normal: f64,
    /// Restore mode → restored (the final reboot).
    pub from_restore_mode: f64,
    /// A restore that ends sooner than this after entering restore mode did not finish.
    pub min_restore: f64,
    /// Recovery → recovery within this is the expected iBEC re-enumeration.
    pub recovery_reenumeration: f64,
    /// This many disconnects within `loop_span` seconds is a loop.
    pub loop_count: usize,
    pub loop_span: f64,
}

impl Default for Windows {
    fn default() -> Windows {
        Windows {
            glitch: 3.0,
            from_dfu: 30.0,
            from_recovery: 300.0,
            from_normal: 180.0,
            from_restore_mode: 240.0,
            min_restore: 60.0,
            recovery_reenumeration: 60.0,
            loop_count: 3,
            loop_span: 30.0,
        }
    }
}

/// Counts per USB path, across every device seen there.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PortStats {
    pub attaches: u32,
    pub detaches: u32,
    pub drops: u32,
    pub glitches: u32,
    pub loops: u32,
    pub devices: BTreeSet<usize>,
}

#[derive(Debug, Clone, Default)]
struct Track {
    id: usize,
    ecid: Option<u64>,
    udid: Option<String>,
    serial: Option<String>,
    port: Option<String>,
    pid: Option<u16>,
    name: Option<String>,
    stage: Stage,
    attached: bool,
    detached_at: Option<f64>,
    deadline: Option<f64>,
    restore_since: Option<f64>,
    /// A drop was already reported for the current absence.
    dropped: bool,
    /// The current restore attempt already failed; an unplug now is not another drop. Cleared
    /// when the device moves forward again (a new attempt).
    attempt_failed: bool,
    recovery_returns: u32,
    detaches: VecDeque<f64>,
    loop_reported_at: Option<f64>,
}

/// Most tracks kept; the longest-gone ones are forgotten first, so memory stays flat.
const MAX_TRACKS: usize = 256;
/// Most loop timestamps kept per track.
const MAX_LOOP_TIMES: usize = 16;

/// Follows USB events and reports findings. Pure: time comes from the events and `tick`.
#[derive(Debug, Default)]
pub struct Tracker {
    pub windows: Windows,
    tracks: Vec<Track>,
    next_id: usize,
    ports: BTreeMap<String, PortStats>,
}

fn stage_of(mode: Mode) -> Stage {
    match mode {
        Mode::Normal => Stage::Normal,
        Mode::Dfu => Stage::Dfu,
        Mode::Recovery => Stage::Recovery,
        Mode::Restore => Stage::RestoreMode,
        Mode::Wtf => Stage::Wtf,
        Mode::Unknown => Stage::Unknown,
    }
}

impl Tracker {
    pub fn new(windows: Windows) -> Tracker {
        Tracker {
            windows,
            ..Tracker::default()
        }
    }

    /// Per-port counts so far.
    pub fn ports(&self) -> &BTreeMap<String, PortStats> {
        &self.ports
    }

    /// The track a device belongs to: same ECID, else same UDID or serial, else the same port
    /// (for devices whose identity is not visible in every mode).
    fn find(&self, d: &AppleDevice, kind: LinkChange) -> Option<usize> {
        if let Some(ecid) = d.ecid
            && let Some(i) = self.tracks.iter().position(|t| t.ecid == Some(ecid))
        {
            return Some(i);
        }
        if let Some(udid) = &d.udid
            && let Some(i) = self
                .tracks
                .iter()
                .position(|t| t.udid.as_ref() == Some(udid))
        {
            return Some(i);
        }
        if let Some(serial) = &d.serial_number
            && let Some(i) = self
                .tracks
                .iter()
                .position(|t| t.serial.as_ref() == Some(serial))
        {
            return Some(i);
        }
        let port = d.usb_path.as_ref()?;
        self.tracks.iter().rposition(|t| {
            t.port.as_ref() == Some(port)
                && match kind {
                    // A detach names the device attached there now.
                    LinkChange::Detach => t.attached,
                    // An attach continues a device that left this port and has no conflicting id.
                    LinkChange::Attach => !t.attached && (d.ecid.is_none() || t.ecid.is_none()),
                }
        })
    }

    fn window_after(&self, stage: Stage) -> f64 {
        let w = &self.windows;
        match stage {
            Stage::Dfu | Stage::Wtf => w.from_dfu,
            Stage::Recovery => w.from_recovery,
            Stage::RestoreMode => w.from_restore_mode,
            Stage::Normal | Stage::Restored | Stage::Unknown => w.from_normal,
        }
    }

    fn finding(
        &self,
        track: &Track,
        t: f64,
        kind: EventKind,
        gap: Option<f64>,
        message: String,
    ) -> Finding {
        Finding {
            t,
            kind,
            device: track.id,
            name: track.name.clone(),
            port: track.port.clone(),
            stage: track.stage,
            phase: if kind == EventKind::Drop {
                track.stage.phase()
            } else {
                None
            },
            gap,
            message,
        }
    }

    fn port_stats(&mut self, port: &Option<String>) -> Option<&mut PortStats> {
        let port = port.as_ref()?;
        if !self.ports.contains_key(port) && self.ports.len() >= MAX_TRACKS * 4 {
            return None;
        }
        Some(self.ports.entry(port.clone()).or_default())
    }

    fn count(&mut self, port: &Option<String>, device: usize, kind: EventKind) {
        if let Some(stats) = self.port_stats(port) {
            stats.devices.insert(device);
            match kind {
                EventKind::Attach | EventKind::ModeChange => stats.attaches += 1,
                EventKind::Detach => stats.detaches += 1,
                EventKind::Drop => stats.drops += 1,
                EventKind::Glitch => stats.glitches += 1,
                EventKind::Loop => stats.loops += 1,
                // The tracker itself never reports the other kinds.
                _ => {}
            }
        }
    }

    /// Takes one event and returns what it means now. Call [`Tracker::tick`] as time passes so
    /// a device that never comes back is reported.
    pub fn push(&mut self, event: &Event) -> Vec<Finding> {
        let mut out = self.tick(event.t);
        match event.kind {
            LinkChange::Attach => self.attach(event, &mut out),
            LinkChange::Detach => self.detach(event, &mut out),
        }
        for f in &out {
            let port = f.port.clone();
            self.count(&port, f.device, f.kind);
        }
        out
    }

    fn attach(&mut self, event: &Event, out: &mut Vec<Finding>) {
        let d = &event.device;
        let t = event.t;
        let Some(i) = self.find(d, LinkChange::Attach) else {
            self.new_track(d, t, out);
            return;
        };
        // Taken out while it changes (the findings read the windows beside it), put back after.
        let mut track = std::mem::take(&mut self.tracks[i]);
        let before = track.stage;
        let mut after = stage_of(d.mode);
        // Restore mode keeps the normal product id: normal right after recovery is restore
        // mode, and normal right after restore mode is the restored system.
        if after == Stage::Normal {
            after = match before {
                Stage::Recovery | Stage::Dfu => Stage::RestoreMode,
                Stage::RestoreMode => Stage::Restored,
                other => other,
            };
        }
        let gap = track.detached_at.map(|at| t - at);
        let was_attached = track.attached;
        track.attached = true;
        track.detached_at = None;
        track.deadline = None;
        track.port = d.usb_path.clone().or(track.port);
        track.pid = d.pid;
        track.ecid = track.ecid.or(d.ecid);
        track.udid = track.udid.or(d.udid.clone());
        track.serial = track.serial.or(d.serial_number.clone());
        track.name = track.name.or(d.name.clone());
        let already_dropped = std::mem::take(&mut track.dropped);
        track.stage = after;
        if after == Stage::RestoreMode && before != Stage::RestoreMode {
            track.restore_since = Some(t);
        }
        let gap_text = gap.map(|g| format!(" after {g:.1} s")).unwrap_or_default();
        let w = self.windows.clone();
        // Recovery never turns into DFU by itself during a restore: the person put the phone
        // back into DFU (or recovery, after a failed attempt) to try again.
        let new_attempt = !was_attached
            && ((before == Stage::Recovery && after == Stage::Dfu)
                || (track.attempt_failed
                    && matches!(after, Stage::Dfu | Stage::Recovery)
                    && before != Stage::RestoreMode));
        if new_attempt || after == Stage::Dfu {
            // Every attempt goes through its own iBEC re-enumeration.
            track.recovery_returns = 0;
        }
        let finding = if was_attached && before == after {
            None
        } else if new_attempt {
            track.attempt_failed = false;
            track.restore_since = None;
            Some((
                EventKind::ModeChange,
                format!(
                    "a new attempt: back in {}{gap_text} (put there for another try)",
                    after.words()
                ),
            ))
        } else if already_dropped {
            Some((
                EventKind::Attach,
                format!("came back in {}{gap_text}, after the drop", after.words()),
            ))
        } else if before == Stage::Recovery && after == Stage::Recovery {
            track.recovery_returns += 1;
            if track.recovery_returns == 1 && gap.is_some_and(|g| g <= w.recovery_reenumeration) {
                Some((
                    EventKind::ModeChange,
                    format!("re-enumerated in recovery mode{gap_text}, as expected after iBEC"),
                ))
            } else {
                Some((
                    EventKind::Drop,
                    format!(
                        "came back in recovery mode again{gap_text}: the phone failed to enter restore mode"
                    ),
                ))
            }
        } else if before == after && before == Stage::RestoreMode {
            Some((
                EventKind::Drop,
                format!(
                    "dropped off USB in restore mode and came back{gap_text}: even a short drop ends the restore"
                ),
            ))
        } else if before == after && gap.is_some_and(|g| g <= w.glitch) {
            Some((
                EventKind::Glitch,
                format!("re-enumerated in {}{gap_text}", after.words()),
            ))
        } else if after.rank() < before.rank()
            && before.rank() >= Stage::Recovery.rank()
            && after != Stage::Normal
        {
            Some((
                EventKind::Drop,
                format!(
                    "came back in {} after {}{gap_text}: the restore fell back",
                    after.words(),
                    before.words()
                ),
            ))
        } else {
            Some((
                EventKind::ModeChange,
                format!("{} → {}{gap_text}", before.words(), after.words()),
            ))
        };
        if after == Stage::Restored {
            track.restore_since = None;
        }
        if let Some((kind, _)) = &finding {
            match kind {
                EventKind::Drop => track.attempt_failed = true,
                EventKind::ModeChange if after.rank() > before.rank() => {
                    track.attempt_failed = false
                }
                _ => {}
            }
        }
        if let Some((kind, message)) = finding {
            let mut f = self.finding(&track, t, kind, gap, message);
            if kind == EventKind::Drop {
                // A drop noticed when the phone comes back belongs to where it was lost: a
                // restore-mode drop seen at the re-attach in recovery is still `restore-os`.
                f.phase = before.phase().or(f.phase);
            }
            out.push(f);
        }
        self.tracks[i] = track;
    }

    fn new_track(&mut self, d: &AppleDevice, t: f64, out: &mut Vec<Finding>) {
        if self.tracks.len() >= MAX_TRACKS {
            // Forget the device gone longest (or, if all are attached, the oldest).
            let victim = self
                .tracks
                .iter()
                .enumerate()
                .min_by(|a, b| {
                    let key = |t: &Track| (t.attached, t.detached_at.unwrap_or(f64::MAX));
                    let (ka, kb) = (key(a.1), key(b.1));
                    ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
                })
                .map_or(0, |(i, _)| i);
            self.tracks.remove(victim);
        }
        self.next_id += 1;
        let stage = stage_of(d.mode);
        let track = Track {
            id: self.next_id,
            ecid: d.ecid,
            udid: d.udid.clone(),
            serial: d.serial_number.clone(),
            port: d.usb_path.clone(),
            pid: d.pid,
            name: d.name.clone(),
            stage,
            attached: true,
            detached_at: None,
            deadline: None,
            restore_since: (stage == Stage::RestoreMode).then_some(t),
            dropped: false,
            attempt_failed: false,
            recovery_returns: 0,
            detaches: VecDeque::new(),
            loop_reported_at: None,
        };
        out.push(self.finding(
            &track,
            t,
            EventKind::Attach,
            None,
            format!("appeared in {}", stage.words()),
        ));
        self.tracks.push(track);
    }

    fn detach(&mut self, event: &Event, out: &mut Vec<Finding>) {
        let t = event.t;
        let Some(i) = self.find(&event.device, LinkChange::Detach) else {
            return;
        };
        if !self.tracks[i].attached {
            return;
        }
        let mut track = std::mem::take(&mut self.tracks[i]);
        track.attached = false;
        track.detached_at = Some(t);
        track.deadline = Some(t + self.window_after(track.stage));
        track.detaches.push_back(t);
        while track.detaches.len() > MAX_LOOP_TIMES
            || track
                .detaches
                .front()
                .is_some_and(|&d| t - d > self.windows.loop_span)
        {
            track.detaches.pop_front();
        }
        out.push(self.finding(
            &track,
            t,
            EventKind::Detach,
            None,
            format!("disconnected from {}", track.stage.words()),
        ));
        if track.stage == Stage::RestoreMode
            && let Some(since) = track.restore_since
            && t - since < self.windows.min_restore
        {
            track.dropped = true;
            track.attempt_failed = true;
            out.push(self.finding(
                &track,
                t,
                EventKind::Drop,
                None,
                format!("lost in restore mode {:.0} s after it started, too soon for a finished restore: the 4013 pattern", t - since),
            ));
        }
        let recent = track.detaches.len();
        if recent >= self.windows.loop_count
            && track
                .loop_reported_at
                .is_none_or(|at| t - at > self.windows.loop_span)
        {
            track.loop_reported_at = Some(t);
            out.push(self.finding(
                &track,
                t,
                EventKind::Loop,
                None,
                format!(
                    "{recent} disconnects within {:.0} s: a connect / disconnect loop",
                    self.windows.loop_span
                ),
            ));
        }
        self.tracks[i] = track;
    }

    /// Reports devices that did not come back within their window by time `now`.
    pub fn tick(&mut self, now: f64) -> Vec<Finding> {
        let mut out = Vec::new();
        for i in 0..self.tracks.len() {
            let track = &self.tracks[i];
            let Some(deadline) = track.deadline.filter(|d| *d <= now) else {
                continue;
            };
            if track.attached || track.dropped || track.attempt_failed {
                continue;
            }
            let gone = deadline - track.detached_at.unwrap_or(deadline);
            let expected = match track.stage {
                Stage::Normal | Stage::Restored | Stage::Unknown => None,
                stage => Some(stage),
            };
            let Some(stage) = expected else {
                // Leaving normal mode for a while is nothing to report.
                self.tracks[i].deadline = None;
                continue;
            };
            {
                let finding = self.finding(
                    track,
                    deadline,
                    EventKind::Drop,
                    Some(gone),
                    format!(
                        "gone {gone:.0} s from {} and not back: the restore has lost the phone",
                        stage.words()
                    ),
                );
                out.push(finding);
            }
            self.tracks[i].dropped = true;
        }
        for f in &out {
            let port = f.port.clone();
            self.count(&port, f.device, f.kind);
        }
        out
    }
}
