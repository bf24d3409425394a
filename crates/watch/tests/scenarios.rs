//! Every scenario file under tests/scenarios plays through the tracker to the findings its
//! story expects: healthy restores raise no drop, the drop patterns are caught in the right
//! phase, loops and bad ports are named.

use watch::{EventKind, Finding, Stage, Tracker, observations, port_verdict, scenario};

fn play(name: &str) -> (Tracker, Vec<Finding>) {
    let path = format!(
        "{}/tests/scenarios/{name}.scenario",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let events = scenario::parse(&text).unwrap();
    let mut tracker = Tracker::default();
    let mut findings = Vec::new();
    for e in &events {
        findings.extend(tracker.push(e));
    }
    let end = events.last().unwrap().t + 1000.0;
    findings.extend(tracker.tick(end));
    (tracker, findings)
}

fn kinds(findings: &[Finding], kind: EventKind) -> Vec<&Finding> {
    findings.iter().filter(|f| f.kind == kind).collect()
}

fn obs(findings: &[Finding]) -> Vec<(String, String)> {
    observations(findings)
        .into_iter()
        .map(|o| (o.question, o.answer))
        .collect()
}

#[test]
fn healthy_dfu_restore_has_no_drop() {
    let (_, f) = play("healthy-dfu-restore");
    assert!(kinds(&f, EventKind::Drop).is_empty(), "{f:#?}");
    let stages: Vec<Stage> = kinds(&f, EventKind::ModeChange)
        .iter()
        .map(|f| f.stage)
        .collect();
    assert_eq!(
        stages,
        [
            Stage::Recovery,
            Stage::Recovery,
            Stage::RestoreMode,
            Stage::Restored
        ]
    );
    assert_eq!(
        f.iter().map(|f| f.device).max(),
        Some(1),
        "one device throughout"
    );
    assert_eq!(obs(&f), [("disconnect-during-restore".into(), "no".into())]);
}

#[test]
fn healthy_update_from_normal_mode_has_no_drop() {
    let (_, f) = play("healthy-update-from-normal");
    assert!(kinds(&f, EventKind::Drop).is_empty(), "{f:#?}");
    assert_eq!(f.last().unwrap().stage, Stage::Restored);
    assert_eq!(
        f.iter().map(|f| f.device).max(),
        Some(1),
        "followed across UDID and ECID"
    );
}

#[test]
fn a_drop_in_restore_mode_is_caught_at_once() {
    let (_, f) = play("drop-in-restore-mode");
    let drops = kinds(&f, EventKind::Drop);
    assert_eq!(drops.len(), 1, "reported once: {f:#?}");
    assert_eq!(
        drops[0].t, 104.25,
        "at the moment of the disconnect, not at the end"
    );
    assert_eq!(drops[0].phase, Some(kb::Phase::RestoreOs));
    assert!(drops[0].message.contains("4013"), "{}", drops[0].message);
    assert_eq!(drops[0].port.as_deref(), Some("1-2"));
    assert!(f.last().unwrap().message.contains("after the drop"));
    assert_eq!(
        obs(&f),
        [
            ("disconnect-during-restore".into(), "yes".into()),
            ("failed-phase".into(), "restore-os".into())
        ]
    );
}

#[test]
fn back_in_recovery_after_the_kernel_is_a_failed_restore_mode_entry() {
    for name in ["back-to-recovery-after-kernel", "real-idevicerestore-725"] {
        let (_, f) = play(name);
        let drops = kinds(&f, EventKind::Drop);
        assert_eq!(drops.len(), 1, "{name}: {f:#?}");
        assert!(
            drops[0].message.contains("failed to enter restore mode"),
            "{name}"
        );
        assert_eq!(drops[0].phase, Some(kb::Phase::RecoveryBoot));
        assert_eq!(
            kinds(&f, EventKind::ModeChange).len(),
            1,
            "{name}: the iBEC re-enumeration is expected"
        );
    }
}

#[test]
fn the_ibec_reconnect_of_idevicerestore_479_is_expected() {
    let (_, f) = play("real-idevicerestore-479");
    assert!(kinds(&f, EventKind::Drop).is_empty(), "{f:#?}");
    assert!(
        kinds(&f, EventKind::ModeChange)[0]
            .message
            .contains("as expected after iBEC")
    );
}

#[test]
fn usbmuxd_147_restore_mode_never_seen_is_a_drop_by_timeout() {
    let (_, f) = play("real-usbmuxd-147");
    let drops = kinds(&f, EventKind::Drop);
    assert_eq!(drops.len(), 1, "{f:#?}");
    assert!(
        drops[0].message.contains("not back"),
        "{}",
        drops[0].message
    );
    assert_eq!(drops[0].t, 340.0, "dated when the 300 s window ran out");
    assert_eq!(drops[0].gap, Some(300.0));
    assert!(f.last().unwrap().message.contains("after the drop"));
}

#[test]
fn a_flapping_port_is_a_loop() {
    let (tracker, f) = play("flapping-port");
    assert_eq!(kinds(&f, EventKind::Loop).len(), 1, "{f:#?}");
    assert!(kinds(&f, EventKind::Glitch).len() >= 2);
    assert_eq!(tracker.ports()["1-3"].loops, 1);
}

#[test]
fn two_devices_on_two_ports_name_the_bad_port() {
    let (tracker, f) = play("two-devices-one-bad-port");
    let drops = kinds(&f, EventKind::Drop);
    assert_eq!(drops.len(), 2, "{f:#?}");
    assert!(drops.iter().all(|d| d.port.as_deref() == Some("1-3")));
    let ports = tracker.ports();
    assert_eq!(ports["1-3"].drops, 2);
    assert_eq!(ports["1-3"].devices.len(), 2, "two different phones");
    assert_eq!(ports["1-1"].drops, 0);
    let verdict = port_verdict(&tracker);
    assert_eq!(verdict.len(), 1);
    assert!(verdict[0].starts_with("port 1-3: 2 drop(s)"), "{verdict:?}");
    assert!(
        f.iter()
            .any(|x| x.port.as_deref() == Some("1-1") && x.stage == Stage::Restored)
    );
}

#[test]
fn memory_stays_bounded_with_many_devices() {
    let mut tracker = Tracker::default();
    for i in 0..5000u64 {
        let line = format!("{} attach 9-{} 05ac:1227 ecid=0x{:016X}", i, i % 50, i + 1);
        let event = scenario::parse_line(1, &line).unwrap().unwrap();
        tracker.push(&event);
        let detach = scenario::parse_line(
            1,
            &format!(
                "{}.5 detach 9-{} 05ac:1227 ecid=0x{:016X}",
                i,
                i % 50,
                i + 1
            ),
        )
        .unwrap()
        .unwrap();
        tracker.push(&detach);
    }
    assert!(tracker.ports().len() <= 50);
    let last = scenario::parse_line(1, "6000 attach 9-1 05ac:1281 ecid=0x0000000000001388")
        .unwrap()
        .unwrap();
    let found = tracker.push(&last);
    assert!(
        found.iter().any(|f| f.device == 5000),
        "recent devices are still followed"
    );
}

mod replay_values {
    use proptest::prelude::*;

    proptest! {
        /// No time value in a recording makes the parser or the tracker panic.
        #[test]
        fn any_time_values_are_refused_or_tracked(times in prop::collection::vec(prop::num::f64::ANY, 1..20)) {
            let text: String = times
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let kind = if i % 2 == 0 { "attach" } else { "detach" };
                    format!("{t} {kind} 1-4 05ac:12a8 ecid=0x1\n")
                })
                .collect();
            if let Ok(events) = watch::scenario::parse(&text) {
                let mut tracker = watch::Tracker::default();
                for e in &events {
                    tracker.push(e);
                }
                let end = events.last().map_or(0.0, |e| e.t);
                tracker.tick(end + 1000.0);
            }
        }
    }
}

/// A restore-mode drop noticed at the re-attach keeps its phase; the person's new try (back
/// into DFU mode) is an attempt, not a drop; its iBEC re-enumeration is expected again.
#[test]
fn a_second_attempt_is_told_apart_from_a_drop() {
    let (tracker, f) = play("retry-after-restore-mode-drop");
    let drops = kinds(&f, EventKind::Drop);
    assert_eq!(drops.len(), 1, "{f:#?}");
    assert_eq!(
        drops[0].phase,
        Some(kb::Phase::RestoreOs),
        "{:#?}",
        drops[0]
    );
    assert!(
        f.iter().any(|x| x.message.starts_with("a new attempt")),
        "{f:#?}"
    );
    let reenumerations = f
        .iter()
        .filter(|x| x.message.contains("as expected after iBEC"))
        .count();
    assert_eq!(reenumerations, 2, "one per attempt: {f:#?}");
    assert!(
        f.iter().any(|x| x.stage == Stage::Restored),
        "the second attempt finished: {f:#?}"
    );
    assert_eq!(
        tracker.ports()["1-3"].drops,
        1,
        "counts agree with the alerts"
    );
}

/// idevicerestore#236's bench: three phones at three hub depths; the deeper two fail to enter
/// restore mode (one of them twice), the shallow one finishes. Three drops, counted per port.
#[test]
fn a_bench_hub_counts_each_failed_attempt_once_per_port() {
    let (tracker, f) = play("bench-hub-depth-three-phones");
    let drops = kinds(&f, EventKind::Drop);
    assert_eq!(drops.len(), 3, "{drops:#?}");
    assert!(
        drops
            .iter()
            .all(|d| d.phase == Some(kb::Phase::RecoveryBoot))
    );
    let ports = tracker.ports();
    assert_eq!(ports["4-1.3.2"].drops, 2);
    assert_eq!(ports["4-1.3.2.2"].drops, 1);
    assert_eq!(ports["4-1.2"].drops, 0);
    assert!(
        f.iter()
            .any(|x| x.port.as_deref() == Some("4-1.2") && x.stage == Stage::Restored)
    );
    let verdict = port_verdict(&tracker);
    assert!(
        verdict.first().is_some_and(|v| v.contains("4-1.3.2")),
        "{verdict:?}"
    );
}

/// A dock's connector loses contact in restore mode: the drop is caught when it happens, in
/// restore-os, on the dock's slot; the phone on the computer's own port finishes.
#[test]
fn a_dock_drop_in_restore_mode_names_the_dock_slot() {
    let (tracker, f) = play("dock-drop-in-restore-mode");
    let drops = kinds(&f, EventKind::Drop);
    assert_eq!(drops.len(), 1, "{f:#?}");
    assert_eq!(drops[0].t, 118.5, "at the detach, not at the re-attach");
    assert_eq!(drops[0].phase, Some(kb::Phase::RestoreOs));
    assert_eq!(drops[0].port.as_deref(), Some("2-1.4"));
    let ports = tracker.ports();
    assert_eq!(ports["2-1.4"].drops, 1, "counts agree with the alerts");
    assert_eq!(ports["1-1"].drops, 0);
    assert!(
        f.iter()
            .any(|x| x.port.as_deref() == Some("1-1") && x.stage == Stage::Restored)
    );
    let verdict = port_verdict(&tracker);
    assert!(
        verdict.first().is_some_and(|v| v.starts_with("port 2-1.4")),
        "{verdict:?}"
    );
}
