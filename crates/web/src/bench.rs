//! The bench as the dashboard sees it: every port with its phone, stage and counters, the
//! recent alerts and the supervised restores; each change is also broadcast to the pages.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use kb::{NamedStep, Phase, RestoreEvent, RestoreStep, RestoreVerdict, Stamped};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;
use usb::AppleDevice;
use usb::json::DeviceJson;
use watch::{EventKind, Finding, Stage};

/// Ports kept at most: a bench with more is not a bench, and input must not grow memory.
const MAX_PORTS: usize = 512;
/// Alerts kept for a page that opens later.
const MAX_ALERTS: usize = 200;
/// Restores kept (running and finished).
const MAX_RESTORES: usize = 64;
/// Lines of a restore's log kept for its tail.
const LOG_TAIL: usize = 60;
/// Characters kept of one line of a restore's log.
const LINE_KEPT: usize = 2_000;
/// What the link watch saw on a restoring phone's port, kept for its case.
const LINK_KEPT: usize = 200;
/// Messages a slow page may fall behind before it is told to reload the state.
const CHANNEL: usize = 65_536;

/// One change as the pages receive it: an SSE event name, its sequence number and JSON data.
#[derive(Debug)]
pub struct Message {
    pub seq: u64,
    pub event: &'static str,
    pub data: String,
}

/// A port of the bench and what was last seen on it.
#[derive(Debug, Clone, Default)]
struct Port {
    device: Option<AppleDevice>,
    present: bool,
    stage: Option<Stage>,
    /// What USB showed last.
    last: Option<PortNews>,
    /// The last thing the bench did to the phone (told it to leave recovery mode), in words.
    note: Option<PortNews>,
    drops: u32,
    loops: u32,
    glitches: u32,
    restore: Option<u64>,
}

/// Something seen or done on a port, in words.
#[derive(Debug, Clone, Serialize)]
struct PortNews {
    /// Seconds since the bench started.
    t: f64,
    /// A timeline event's kind (`drop`, `attach`, …), or what the bench did (`exit-recovery`).
    kind: &'static str,
    message: String,
}

/// A port as the page shows it.
#[derive(Serialize)]
struct PortView<'a> {
    port: &'a str,
    present: bool,
    device: Option<DeviceJson>,
    stage: Option<Stage>,
    stage_words: Option<&'static str>,
    last: Option<&'a PortNews>,
    note: Option<&'a PortNews>,
    drops: u32,
    loops: u32,
    glitches: u32,
    /// The restore running (or last run) on it.
    restore: Option<u64>,
}

/// Everything a page needs when it opens.
#[derive(Serialize)]
struct Snapshot<'a> {
    /// The sequence number the events that follow continue from.
    seq: u64,
    t: f64,
    ports: Vec<PortView<'a>>,
    alerts: &'a VecDeque<Value>,
    restores: Vec<&'a RestoreView>,
    ignored_ports: u64,
    replay_done: bool,
    /// The wall-clock time the bench started; `None` while a recording is replayed, whose
    /// times are the recording's.
    started_ms: Option<u64>,
    sources: Vec<SourceView<'a>>,
}

/// The phones on the bench, in the `devices --json` shape, and whether each source of
/// devices could be read.
#[derive(Serialize)]
struct DevicesView<'a> {
    devices: Vec<DeviceJson>,
    sources: Vec<SourceView<'a>>,
}

/// A source of devices as the API and the page show it: whether it could be read, why not,
/// and what to do about it.
#[derive(Serialize)]
struct SourceView<'a> {
    name: &'a str,
    ok: bool,
    error: Option<&'a str>,
    /// What to do about the error (`null` when there is none); no such field for the bench
    /// itself, which is always read.
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Option<&'static str>>,
}

/// The bench itself as a source of devices: the phones it holds.
const BENCH_SOURCE: SourceView<'static> = SourceView {
    name: "bench",
    ok: true,
    error: None,
    help: None,
};

/// The case history changed: pages reload their list (an empty object).
#[derive(Serialize)]
struct CasesChanged {}

/// A replayed recording was played to its end.
#[derive(Serialize)]
struct Replayed {
    done: bool,
}

/// A supervised restore as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreView {
    pub id: u64,
    pub port: String,
    /// `running`, `restored` or `failed`.
    pub state: &'static str,
    pub erase: bool,
    pub phase: Option<Phase>,
    pub phase_words: Option<String>,
    pub step: Option<RestoreStep>,
    pub fraction: Option<f64>,
    pub log: VecDeque<String>,
    /// The `restore --json` verdict line.
    pub verdict: Option<Stamped<RestoreEvent>>,
}

#[derive(Debug, Default)]
struct State {
    seq: u64,
    ports: BTreeMap<String, Port>,
    alerts: VecDeque<Value>,
    restores: BTreeMap<u64, RestoreView>,
    /// What the link watch saw on each running restore's port.
    restore_link: BTreeMap<u64, Vec<Finding>>,
    next_restore: u64,
    ignored_ports: u64,
    /// A recording is being replayed: its times are the recording's, not this morning's.
    replaying: bool,
    /// A replayed recording has been played to its end.
    replay_done: bool,
    /// Each source of devices and, when it could not be read the last time, why.
    sources: BTreeMap<&'static str, Option<String>>,
}

/// The shared bench: fed from the USB watch (or a replay) and from restores, read by pages.
pub struct Bench {
    state: Mutex<State>,
    tx: broadcast::Sender<Arc<Message>>,
    /// True once the server stops: the event streams end so that it can.
    closing: tokio::sync::watch::Sender<bool>,
    show_ids: bool,
    start: Instant,
    /// The wall-clock time of `start`, in milliseconds since 1970, so a page can show the time
    /// of day of anything the bench timed.
    started_ms: u64,
}

impl Bench {
    /// An empty bench; identifiers are masked in everything it says unless `show_ids`.
    pub fn new(show_ids: bool) -> Arc<Bench> {
        Arc::new(Bench {
            state: Mutex::new(State::default()),
            tx: broadcast::channel(CHANNEL).0,
            closing: tokio::sync::watch::channel(false).0,
            show_ids,
            start: Instant::now(),
            started_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        })
    }

    /// Seconds since the bench started.
    pub fn t(&self) -> f64 {
        (self.start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    /// New messages from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Message>> {
        self.tx.subscribe()
    }

    /// The server is stopping: every event stream ends.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Completes once the server is stopping.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut closing = self.closing.subscribe();
        async move {
            // A dropped sender is a bench gone, which is closed too.
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A feed that panicked mid-update leaves counters, not broken invariants: go on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Broadcasts `data` as JSON. Like everything the pages and the API receive, it goes through
    /// a [`Value`], whose keys come out in alphabetical order at every level (this workspace's
    /// serde_json is built without `preserve_order`): the order the pages have always had,
    /// whatever order a type declares its fields in.
    fn send(&self, state: &mut State, event: &'static str, data: impl Serialize) {
        // Our own types, with string keys only: nothing here fails to become a value.
        let mut data = serde_json::to_value(data).unwrap_or_default();
        state.seq += 1;
        if !self.show_ids {
            kb::text::redact_json(&mut data);
        }
        let message = Message {
            seq: state.seq,
            event,
            data: data.to_string(),
        };
        // No page listening is not an error.
        let _ = self.tx.send(Arc::new(message));
    }

    /// The port's entry, unless the bench is full (then the change is only counted).
    fn port<'s>(state: &'s mut State, port: &str) -> Option<&'s mut Port> {
        if !state.ports.contains_key(port) && state.ports.len() >= MAX_PORTS {
            state.ignored_ports += 1;
            return None;
        }
        Some(state.ports.entry(port.to_owned()).or_default())
    }

    /// A phone appeared on (or left) its port.
    pub fn usb_change(&self, attached: bool, device: &AppleDevice) {
        let Some(name) = device.usb_path.as_deref() else {
            return;
        };
        let mut state = self.lock();
        let Some(port) = Self::port(&mut state, name) else {
            return;
        };
        port.present = attached;
        if attached || port.device.is_none() {
            port.device = Some(device.clone());
        }
        let view = self.port_view(name, port);
        self.send(&mut state, "port", view);
    }

    /// What the timeline tracker made of the link, in the `watch --json` shape, with the
    /// engine's next step for an alert.
    pub fn finding(&self, finding: &Finding, next_step: Option<&NamedStep>) {
        let mut object = serde_json::to_value(finding).unwrap_or_default();
        if let Some(step) = next_step {
            object["next_step"] = serde_json::to_value(step).unwrap_or_default();
        }
        if let Some(phase) = finding.phase {
            object["phase_words"] = Value::from(phase.words());
        }
        let mut state = self.lock();
        self.send(&mut state, "finding", object.clone());
        let alert = matches!(
            finding.kind,
            EventKind::Drop | EventKind::Loop | EventKind::Glitch
        );
        if alert {
            if state.alerts.len() >= MAX_ALERTS {
                state.alerts.pop_front();
            }
            state.alerts.push_back(object.clone());
            self.send(&mut state, "alert", object.clone());
        }
        let Some(name) = finding.port.as_deref() else {
            return;
        };
        let Some(port) = Self::port(&mut state, name) else {
            return;
        };
        let restoring = port.restore;
        port.stage = Some(finding.stage);
        match finding.kind {
            EventKind::Drop => port.drops += 1,
            EventKind::Loop => port.loops += 1,
            EventKind::Glitch => port.glitches += 1,
            EventKind::Attach | EventKind::ModeChange => port.present = true,
            EventKind::Detach => port.present = false,
            _ => {}
        }
        port.last = Some(PortNews::of(finding));
        let view = self.port_view(name, port);
        if let Some(seen) = restoring.and_then(|id| state.restore_link.get_mut(&id))
            && seen.len() < LINK_KEPT
        {
            seen.push(finding.clone());
        }
        self.send(&mut state, "port", view);
    }

    /// What the link watch saw on the port of restore `id` while it ran (given once).
    pub fn restore_link(&self, id: u64) -> Vec<Finding> {
        self.lock().restore_link.remove(&id).unwrap_or_default()
    }

    /// A port as its event carries it: a value of its own, so that `send` can take the state.
    fn port_view(&self, name: &str, port: &Port) -> Value {
        serde_json::to_value(PortView::new(name, port, self.show_ids)).unwrap_or_default()
    }

    /// The phone on `port` with its ECID, when one is there now.
    pub fn phone_on(&self, port: &str) -> Option<AppleDevice> {
        let state = self.lock();
        let port = state.ports.get(port)?;
        port.present.then(|| port.device.clone()).flatten()
    }

    /// Something the bench did to the phone on `port` (told it to leave recovery mode), in
    /// words: the port's note, beside what USB showed last.
    pub fn port_note(&self, port: &str, kind: &'static str, message: &str) {
        let t = self.t();
        let mut state = self.lock();
        let Some(entry) = Self::port(&mut state, port) else {
            return;
        };
        entry.note = Some(PortNews {
            t,
            kind,
            message: message.to_owned(),
        });
        let view = self.port_view(port, entry);
        self.send(&mut state, "port", view);
    }

    /// A restore of the phone on `port` begins; its id.
    pub fn restore_started(&self, port: &str, erase: bool) -> u64 {
        let mut state = self.lock();
        state.next_restore += 1;
        let id = state.next_restore;
        while state.restores.len() >= MAX_RESTORES {
            let done = state
                .restores
                .iter()
                .find(|(_, r)| r.state != "running")
                .map(|(id, _)| *id);
            match done.or_else(|| state.restores.keys().next().copied()) {
                Some(old) => {
                    state.restores.remove(&old);
                    state.restore_link.remove(&old);
                }
                None => break,
            }
        }
        let view = RestoreView {
            id,
            port: port.to_owned(),
            state: "running",
            erase,
            phase: None,
            phase_words: None,
            step: None,
            fraction: None,
            log: VecDeque::new(),
            verdict: None,
        };
        state.restores.insert(id, view.clone());
        state.restore_link.insert(id, Vec::new());
        if let Some(p) = Self::port(&mut state, port) {
            p.restore = Some(id);
        }
        self.send(&mut state, "restore", restore_view(&view));
        id
    }

    /// Something a running restore said: its phase and progress, and a line of its log tail.
    pub fn restore_news(&self, id: u64, event: &RestoreEvent) {
        let mut state = self.lock();
        let Some(view) = state.restores.get_mut(&id) else {
            return;
        };
        let (kind, text) = match event {
            RestoreEvent::Phase { phase, words } => {
                view.phase = Some(*phase);
                view.phase_words = Some(words.clone());
                ("", String::new())
            }
            RestoreEvent::Progress { step, fraction } => {
                view.step = Some(*step);
                view.fraction = Some(*fraction);
                ("", String::new())
            }
            RestoreEvent::Line { line } => ("", line.clone()),
            RestoreEvent::Device { product_type } => ("device", product_type.clone()),
            RestoreEvent::Error { line } => ("error", line.clone()),
            RestoreEvent::Drop { phase, .. } => ("drop", phase.id().to_owned()),
            RestoreEvent::Disconnect { phase } => (
                "disconnect",
                phase.map(Phase::id).unwrap_or_default().to_owned(),
            ),
            RestoreEvent::Reconnect { mode } => ("reconnect", mode.clone()),
            RestoreEvent::Finding { text } => ("finding", text.clone()),
            RestoreEvent::Verdict(_) => return,
        };
        match event {
            RestoreEvent::Phase { .. } | RestoreEvent::Progress { .. } => {}
            RestoreEvent::Line { .. } => push_line(&mut view.log, text),
            _ => push_line(&mut view.log, format!("{kind}: {text}")),
        }
        let view = restore_view(view);
        self.send(&mut state, "restore", view);
    }

    /// A restore ended with its verdict (kept as the `restore --json` verdict line).
    pub fn restore_ended(&self, id: u64, verdict: RestoreVerdict) {
        let t = self.t();
        let mut state = self.lock();
        let Some(view) = state.restores.get_mut(&id) else {
            return;
        };
        view.state = if verdict.restored {
            "restored"
        } else {
            "failed"
        };
        view.verdict = Some(Stamped {
            t,
            event: RestoreEvent::Verdict(Box::new(verdict)),
        });
        let view = restore_view(view);
        self.send(&mut state, "restore", view);
        self.send(&mut state, "cases", CasesChanged {});
    }

    /// A case was added to the history: pages reload their list.
    pub fn cases_changed(&self) {
        let mut state = self.lock();
        self.send(&mut state, "cases", CasesChanged {});
    }

    /// Whether a source of devices (`usb`, `usbmuxd`) could be read just now; a change is news
    /// for the pages, which say why and what to do instead of "no phone seen".
    pub fn source_read(&self, name: &'static str, error: Option<String>) {
        let mut state = self.lock();
        if state.sources.get(name) == Some(&error) {
            return;
        }
        self.send(&mut state, "source", source_view(name, error.as_deref()));
        state.sources.insert(name, error);
    }

    /// The bench is fed from a recording: the times it shows are the recording's.
    pub fn replay_started(&self) {
        self.lock().replaying = true;
    }

    /// A replayed recording has been played to its end: the bench stays as it left it.
    pub fn replay_finished(&self) {
        let mut state = self.lock();
        state.replay_done = true;
        self.send(&mut state, "replay", Replayed { done: true });
    }

    /// Everything a page needs when it opens: the ports, recent alerts and restores, and the
    /// sequence number the events that follow continue from.
    pub fn snapshot(&self) -> Value {
        let state = self.lock();
        let snapshot = Snapshot {
            seq: state.seq,
            t: self.t(),
            ports: state
                .ports
                .iter()
                .map(|(name, port)| PortView::new(name, port, self.show_ids))
                .collect(),
            alerts: &state.alerts,
            restores: state.restores.values().collect(),
            ignored_ports: state.ignored_ports,
            replay_done: state.replay_done,
            started_ms: (!state.replaying).then_some(self.started_ms),
            sources: source_views(&state.sources).collect(),
        };
        // Into a `Value` to mask identifiers, which also sorts its keys as `send` says.
        let mut value = serde_json::to_value(snapshot).unwrap_or_default();
        if !self.show_ids {
            kb::text::redact_json(&mut value);
        }
        value
    }

    /// The phones on the bench now, in the `devices --json` shape.
    pub fn devices(&self) -> Value {
        let state = self.lock();
        let devices = DevicesView {
            devices: state
                .ports
                .values()
                .filter(|p| p.present)
                .filter_map(|p| p.device.as_ref())
                .map(|d| DeviceJson::new(d, self.show_ids))
                .collect(),
            sources: std::iter::once(BENCH_SOURCE)
                .chain(source_views(&state.sources))
                .collect(),
        };
        // Keys sorted as `send` says.
        serde_json::to_value(devices).unwrap_or_default()
    }
}

impl<'a> PortView<'a> {
    fn new(name: &'a str, port: &'a Port, show_ids: bool) -> PortView<'a> {
        PortView {
            port: name,
            present: port.present,
            device: port.device.as_ref().map(|d| DeviceJson::new(d, show_ids)),
            stage: port.stage,
            stage_words: port.stage.map(Stage::words),
            last: port.last.as_ref(),
            note: port.note.as_ref(),
            drops: port.drops,
            loops: port.loops,
            glitches: port.glitches,
            restore: port.restore,
        }
    }
}

impl PortNews {
    /// What the timeline tracker saw on a port.
    fn of(finding: &Finding) -> PortNews {
        PortNews {
            t: finding.t,
            kind: finding.kind.id(),
            message: finding.message.clone(),
        }
    }
}

/// Each source of devices as the API and the page show it.
fn source_views<'a>(
    sources: &'a BTreeMap<&'static str, Option<String>>,
) -> impl Iterator<Item = SourceView<'a>> {
    sources
        .iter()
        .map(|(name, error)| source_view(name, error.as_deref()))
}

fn source_view<'a>(name: &'a str, error: Option<&'a str>) -> SourceView<'a> {
    let help = error.map(|_| match name {
        "usb" => "Restore Doctor could not read this computer's USB bus. Run it as a user who may (on Linux: root, or with usbmuxd's udev rules); in a container or virtual machine, pass the USB devices through.",
        "usbmuxd" => "usbmuxd did not answer. Start it (Linux: the usbmuxd service; Windows: Apple Mobile Device Support, which comes with Apple Devices or iTunes).",
        _ => "This source of devices could not be read.",
    });
    SourceView {
        name,
        ok: error.is_none(),
        error,
        help: Some(help),
    }
}

/// A restore as the pages receive it.
fn restore_view(view: &RestoreView) -> Value {
    serde_json::to_value(view).unwrap_or_default()
}

/// Adds a line to a log tail as one line: text from the tool cannot start a line of its own.
fn push_line(log: &mut VecDeque<String>, line: String) {
    if log.len() >= LOG_TAIL {
        log.pop_front();
    }
    let line = kb::text::printable(&line).replace('\n', "\\n");
    let line = match line.char_indices().nth(LINE_KEPT) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    };
    log.push_back(line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn phone(port: &str) -> AppleDevice {
        let mut device = AppleDevice::new("test");
        device.usb_path = Some(port.to_owned());
        device.set_ids(usb::APPLE_VID, 0x1281);
        device.ecid = Some(0x0000_1A2B_3C4D_5E6F);
        device
    }

    #[test]
    fn what_input_can_grow_is_bounded() {
        let bench = Bench::new(false);
        for n in 0..(MAX_PORTS + 40) {
            bench.usb_change(true, &phone(&format!("1-{n}")));
        }
        let snapshot = bench.snapshot();
        assert_eq!(snapshot["ports"].as_array().unwrap().len(), MAX_PORTS);
        assert_eq!(snapshot["ignored_ports"], 40);
        let id = bench.restore_started("1-1", false);
        for n in 0..(LOG_TAIL * 3) {
            bench.restore_news(
                id,
                &RestoreEvent::Line {
                    line: format!("line {n}"),
                },
            );
        }
        let snapshot = bench.snapshot();
        let log = snapshot["restores"][0]["log"].as_array().unwrap();
        assert_eq!(log.len(), LOG_TAIL);
        assert_eq!(
            log.last().unwrap(),
            &json!(format!("line {}", LOG_TAIL * 3 - 1))
        );
    }

    #[test]
    fn a_line_of_the_log_stays_one_line() {
        let bench = Bench::new(false);
        let id = bench.restore_started("1-1", false);
        let forged = "Restoring\nERROR: Unable to restore device\r\u{1b}[2J";
        let line = |line: &str| RestoreEvent::Line {
            line: line.to_owned(),
        };
        bench.restore_news(id, &line(forged));
        bench.restore_news(
            id,
            &RestoreEvent::Error {
                line: "a\nb".to_owned(),
            },
        );
        bench.restore_news(id, &line(&"x".repeat(LINE_KEPT * 3)));
        let snapshot = bench.snapshot();
        let log = snapshot["restores"][0]["log"].as_array().unwrap();
        assert_eq!(
            log[0],
            json!("Restoring\\nERROR: Unable to restore device[2J")
        );
        assert_eq!(log[1], json!("error: a\\nb"));
        assert_eq!(log[2].as_str().unwrap().chars().count(), LINE_KEPT + 1);
    }

    #[test]
    fn identifiers_are_masked_unless_asked() {
        let masked = Bench::new(false);
        masked.usb_change(true, &phone("1-1"));
        let id = masked.restore_started("1-1", false);
        let tool_line = |line: &str| RestoreEvent::Line {
            line: line.to_owned(),
        };
        masked.restore_news(id, &tool_line("ECID: 0x1A2B3C4D5E6F"));
        // The spellings an audit found shown in a restore's log tail (issue 28).
        for line in [
            "ChipID=1543505009998",
            "SN: DNPX12345678",
            "Serial# F17XXXXX1234",
            "IMEI 35 678901 234567 8",
            "ICCID 89012601234567890123",
            "anna.berg@icloud.com",
            "+44 20 7946 0958",
            "WiFiAddress a4:83:e7:12:34:56",
        ] {
            masked.restore_news(id, &tool_line(line));
        }
        let text = masked.snapshot().to_string();
        assert!(!text.contains("1A2B3C4D5E6F"), "{text}");
        for secret in [
            "15435050",
            "DNPX1234",
            "F17XXXXX",
            "678901 234",
            "8901260123",
            "anna.berg",
            "7946 0",
            "a4:83:e7",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(!masked.devices().to_string().contains("1A2B3C4D5E6F"));
        let shown = Bench::new(true);
        shown.usb_change(true, &phone("1-1"));
        assert!(shown.devices().to_string().contains("1A2B3C4D5E6F"));
    }

    #[test]
    fn every_change_reaches_a_subscriber_in_order() {
        let bench = Bench::new(false);
        let mut rx = bench.subscribe();
        bench.usb_change(true, &phone("1-1"));
        bench.usb_change(false, &phone("1-1"));
        let first = rx.try_recv().unwrap();
        let second = rx.try_recv().unwrap();
        assert_eq!((first.event, second.seq), ("port", first.seq + 1));
        let port: Value = serde_json::from_str(&second.data).unwrap();
        assert_eq!(port["present"], false);
        assert_eq!(
            bench.phone_on("1-1"),
            None,
            "a phone that left cannot be restored"
        );
    }
}
