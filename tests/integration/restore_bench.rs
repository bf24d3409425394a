//! `restore --all` and several `--ecid`: a queue of stand-in idevicerestore runs replaying real
//! transcripts, at most `--jobs` at once, failed phones retried, each phone its own case.

use crate::harness::{run_with, sysfs_device};
use crate::restore::StandIn;

const IPHONE7: &str = "0x001A2B3C4D5E6F70";
const IPHONE_X: &str = "0x000B1C2D3E4F5061";
const IPAD: &str = "0x00112233445566AA";

/// A bench: three phones on a hub (DFU on 1-2.1 and 1-2.3, recovery on 1-2.2) and a fourth
/// on 1-1 that booted normally and must be left alone.
fn bench_bus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    sysfs_device(
        root,
        "1-2",
        &[
            ("idVendor", "05e3"),
            ("idProduct", "0610"),
            ("removable", "removable"),
        ],
    );
    let phone = |port: &str, pid: &str, serial: &str| {
        sysfs_device(
            root,
            port,
            &[
                ("idVendor", "05ac"),
                ("idProduct", pid),
                ("speed", "480"),
                ("serial", serial),
            ],
        );
    };
    phone(
        "1-2.1",
        "1227",
        "CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]",
    );
    phone(
        "1-2.2",
        "1281",
        "CPID:8015 CPRV:11 CPFM:03 SCEP:01 BDID:06 ECID:000B1C2D3E4F5061 IBFL:3C SRNM:[F17XXXXXXXXX] IMEI:[356789012345678]",
    );
    phone(
        "1-2.3",
        "1227",
        "CPID:8020 CPRV:11 CPFM:03 SCEP:01 BDID:0E ECID:00112233445566AA IBFL:3C SRTG:[iBoot-4076.0.0.1.1]",
    );
    phone("1-1", "12a8", "00008030000A1B2C3D4E5F60AABBCCDD11223344");
    dir
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn all_restores_every_phone_in_dfu_or_recovery_at_most_jobs_at_once_and_retries_failures() {
    let stand_in = StandIn::bench(
        &[
            (IPHONE7, &["success"]),
            (IPHONE_X, &["drop-in-restore-mode", "success"]),
            (IPAD, &["fdr"]),
        ],
        2,
        0.02,
    );
    let bus = bench_bus();
    let db = tempfile::tempdir().unwrap();
    let db = db.path().join("cases.sqlite");
    let output = stand_in
        .command_on(
            bus.path(),
            &db,
            &["--latest", "--all", "--jobs", "2", "--retry", "1", "--json"],
        )
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let lines = json_lines(&stdout);
    assert_eq!(lines[0]["kind"], "bench");
    assert_eq!(lines[0]["phones"].as_array().unwrap().len(), 3, "{stdout}");

    // One run for the phone that succeeded, two for each that failed (--retry 1); never more
    // than two at once, and two did run together; the normal-mode phone was never touched.
    assert_eq!(stand_in.runs(IPHONE7).len(), 1);
    assert_eq!(stand_in.runs(IPHONE_X).len(), 2);
    assert_eq!(stand_in.runs(IPAD).len(), 2);
    assert_eq!(stand_in.most_at_once(), 2, "--jobs 2");
    assert!(stand_in.runs("any").is_empty());
    for ecid in [IPHONE7, IPHONE_X, IPAD] {
        for args in stand_in.runs(ecid) {
            let i = args.iter().position(|a| a == "-i").expect("-i");
            assert_eq!(args[i + 1], ecid);
            assert!(!args.contains(&"-e".to_owned()), "an update: {args:?}");
        }
    }

    // Each phone's events carry its port; the drop came from the phone on 1-2.2.
    let drop = lines
        .iter()
        .find(|l| l["kind"] == "drop")
        .expect("a drop line");
    assert_eq!(drop["phone"]["port"], "1-2.2", "{drop}");
    let first_verdict_of_x = lines
        .iter()
        .find(|l| l["kind"] == "verdict" && l["phone"]["port"] == "1-2.2")
        .unwrap();
    assert_eq!(first_verdict_of_x["restored"], false);
    assert_eq!(first_verdict_of_x["queued_again"], true);
    assert_eq!(first_verdict_of_x["phase"], "restore-os");

    let summary = lines.last().unwrap();
    assert_eq!(summary["kind"], "summary", "{summary}");
    assert_eq!(summary["restored"], 2);
    assert_eq!(summary["failed"], 1);
    let row = |port: &str| {
        summary["phones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["port"] == port)
            .unwrap_or_else(|| panic!("{port} in {summary}"))
            .clone()
    };
    assert_eq!(row("1-2.1")["restored"], true);
    assert_eq!(row("1-2.2")["restored"], true);
    assert_eq!(row("1-2.2")["attempts"], 2);
    assert_eq!(row("1-2.3")["restored"], false);
    assert_eq!(row("1-2.3")["phase"], "finalize");
    assert!(row("1-2.3")["next_step"]["id"].is_string(), "{summary}");
    assert!(
        !stdout.to_lowercase().contains("1a2b3c4d5e6f70"),
        "ECIDs are masked"
    );

    // Each phone is its own case, on its own port.
    let history = run_with(&["--db", db.to_str().unwrap(), "history", "--json"], &[]).json();
    assert_eq!(history["cases"].as_array().unwrap().len(), 3, "{history}");
    let ports: Vec<&str> = history["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["port"].as_str())
        .collect();
    assert_eq!(ports, ["1-2.1", "1-2.2", "1-2.3"], "{history}");
    let fixed = history["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fixed")
        .count();
    assert_eq!(fixed, 2, "{history}");
}

#[test]
fn several_ecids_are_restored_by_ecid_and_told_apart_on_screen() {
    let stand_in = StandIn::bench(&[(IPHONE7, &["success"]), (IPHONE_X, &["success"])], 2, 0.0);
    let db = tempfile::tempdir().unwrap();
    let ipsw = stand_in.ipsw();
    // The same phone twice is one phone; decimal and hex both name it.
    let output = stand_in
        .command(
            &db.path().join("c.sqlite"),
            &[
                &ipsw,
                "--ecid",
                "0x001A2B3C4D5E6F70",
                "--ecid",
                "3127205388308577",
                "--ecid",
                IPHONE7,
            ],
        )
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("2 of 2 phones restored."), "{stdout}");
    assert_eq!(stand_in.runs(IPHONE7).len(), 1);
    assert_eq!(stand_in.runs(IPHONE_X).len(), 1);
    assert_eq!(stand_in.most_at_once(), 2);
    // Not on this bus, so no port: the masked ECID tells them apart.
    assert!(stdout.contains("[ECID 0x************6F70]"), "{stdout}");
    assert!(stdout.contains("[ECID 0x************5061]"), "{stdout}");
    assert!(!stdout.contains("1A2B3C4D5E6F70"), "{stdout}");
}

#[test]
fn a_bench_with_nothing_to_restore_or_an_unconfirmed_erase_starts_nothing() {
    let stand_in = StandIn::bench(&[(IPHONE7, &["success"])], 1, 0.0);
    let db = tempfile::tempdir().unwrap();
    let db = db.path().join("c.sqlite");
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(empty.path().join("bus/usb/devices")).unwrap();
    let bus = bench_bus();
    let run = |bus: &std::path::Path, args: &[&str]| {
        let output = stand_in
            .command_on(bus, &db, args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (code, stderr) = run(empty.path(), &["--latest", "--all"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("No phone in DFU or recovery mode"),
        "{stderr}"
    );
    let (code, stderr) = run(empty.path(), &["--latest", "--ecid", "0xZZ", "--ecid", "1"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not an ECID"), "{stderr}");
    let (code, stderr) = run(bus.path(), &["--latest", "--all", "--erase"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--yes-erase"), "{stderr}");
    assert!(stand_in.runs(IPHONE7).is_empty(), "nothing was started");
    assert!(!db.exists(), "no case was opened");
}
