//! `watch`: replaying recordings (the 4013 drop pattern, a healthy restore, a bad port), JSON
//! lines, recording with `devices --watch --record`, and bad recordings.

use std::process::Stdio;
use std::time::Duration;

use crate::harness::{run, sysfs_device, sysfs_dfu_iphone7_behind_hub};

fn scenario(name: &str) -> String {
    format!(
        "{}/crates/watch/tests/scenarios/{name}.scenario",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn replaying_the_4013_pattern_alerts_with_phase_port_and_next_step() {
    let out = run(&[
        "watch",
        "--replay",
        &scenario("drop-in-restore-mode"),
        "--code",
        "4013",
    ]);
    assert_eq!(out.status, 1, "a drop was seen");
    let text = &out.prose();
    assert!(
        text.contains("104.250s ✗ DROP device 1 on 1-2, phase restore-os"),
        "{text}"
    );
    assert!(
        text.contains("Next: Use a different, certified cable"),
        "{text}"
    );
    assert!(text.contains("port 1-2: 1 drop(s)"));
    assert!(
        text.contains("--observe disconnect-during-restore=yes --observe failed-phase=restore-os")
    );
}

#[test]
fn a_flapping_port_ends_with_a_summary_that_agrees_and_exit_1() {
    let out = run(&[
        "watch",
        "--replay",
        &scenario("flapping-port"),
        "--speed",
        "0",
    ]);
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert!(out.stdout.contains("LOOP"), "{}", out.stdout);
    assert!(
        out.stdout.contains("1 connection loop(s) seen."),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("No drop"), "{}", out.stdout);
}

#[test]
fn a_healthy_restore_replays_clean() {
    let out = run(&["watch", "--replay", &scenario("healthy-dfu-restore")]);
    out.success();
    assert!(
        out.stdout.contains("No drop or connection loop seen."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("restore mode → normal mode after the restore")
    );
}

#[test]
fn json_lines_end_with_a_verdict() {
    let out = run(&[
        "watch",
        "--replay",
        &scenario("two-devices-one-bad-port"),
        "--json",
    ]);
    assert_eq!(out.status, 1);
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for l in &lines {
        assert!(l["t"].is_number() && l["kind"].is_string(), "{l}");
    }
    let drops: Vec<_> = lines.iter().filter(|l| l["kind"] == "drop").collect();
    assert_eq!(drops.len(), 2);
    assert!(
        drops
            .iter()
            .all(|d| d["port"] == "1-3" && d["next_step"]["id"].is_string())
    );
    let verdict = lines.last().unwrap();
    assert_eq!(verdict["kind"], "verdict");
    assert!(
        verdict["ports"][0]
            .as_str()
            .unwrap()
            .starts_with("port 1-3")
    );
}

#[test]
fn replay_speed_follows_the_recording_clock() {
    let start = std::time::Instant::now();
    run(&[
        "watch",
        "--replay",
        &scenario("real-idevicerestore-479"),
        "--speed",
        "10",
    ])
    .success();
    let took = start.elapsed().as_secs_f64();
    assert!(
        (0.9..5.0).contains(&took),
        "11 s of recording at 10x took {took:.2} s"
    );
}

#[test]
fn a_bad_recording_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.scenario");
    std::fs::write(&file, "0.0 attach 1-1 05ac:1227\n1.0 unplug 1-1\n").unwrap();
    let message = run(&["watch", "--replay", file.to_str().unwrap()])
        .usage_error()
        .to_owned();
    assert!(
        message.contains("line 2") && message.contains("attach or detach"),
        "{message}"
    );
    let missing = run(&["watch", "--replay", "/nonexistent.scenario"])
        .usage_error()
        .to_owned();
    assert!(missing.contains("cannot read"), "{missing}");
}

#[test]
fn a_recording_of_devices_watch_replays() {
    let tree = sysfs_dfu_iphone7_behind_hub();
    let recording = tree.path().join("capture.scenario");
    let mut child = crate::harness::command()
        .args([
            "devices",
            "--watch",
            "--sysfs-root",
            tree.path().to_str().unwrap(),
            "--record",
            recording.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let wait_for = |lines: usize| {
        for _ in 0..100 {
            if std::fs::read_to_string(&recording)
                .map(|t| t.lines().count())
                .unwrap_or(0)
                >= lines
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the recording did not reach {lines} lines");
    };
    wait_for(2);
    sysfs_device(
        tree.path(),
        "1-2.3",
        &[
            ("idProduct", "1281"),
            (
                "serial",
                "CPID:8010 BDID:0C ECID:001A2B3C4D5E6F70 SRNM:[F17XXXXXXXXX]",
            ),
        ],
    );
    wait_for(4);
    child.kill().unwrap();
    let _ = child.wait();
    let text = std::fs::read_to_string(&recording).unwrap();
    assert!(text.starts_with("# restore-doctor scenario 1"), "{text}");
    let out = run(&["watch", "--replay", recording.to_str().unwrap(), "--json"]);
    let kinds: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        ["attach", "detach", "mode-change", "verdict"],
        "{}",
        out.stdout
    );
}
