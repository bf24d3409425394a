//! `devices`: a sysfs tree as the source, JSON, snapshots, watching, and the no-device help.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::harness::{run, sysfs_device, sysfs_dfu_iphone7_behind_hub};

#[test]
fn lists_a_dfu_iphone_behind_a_hub() {
    let tree = sysfs_dfu_iphone7_behind_hub();
    let out = run(&["devices", "--sysfs-root", tree.path().to_str().unwrap()]);
    out.success();
    assert!(
        out.stdout
            .contains("DFU mode · iPhone 7 (GSM) (iPhone9,3, D101AP)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("path 1-2.3"));
    assert!(out.stdout.contains("via USB2.0 Hub"));
    assert!(out.stdout.contains("plug it straight into the computer"));
    assert!(
        !out.stdout.contains("001A2B3C4D5E"),
        "ECID masked by default"
    );
}

#[test]
fn json_save_and_from_round_trip() {
    let tree = sysfs_dfu_iphone7_behind_hub();
    let snapshot = tree.path().join("bench.json");
    let saved = run(&[
        "devices",
        "--sysfs-root",
        tree.path().to_str().unwrap(),
        "--save",
        snapshot.to_str().unwrap(),
        "--json",
    ]);
    saved.success();
    let live = saved.json();
    assert_eq!(live["devices"][0]["hubs_in_path"], 1);
    assert_eq!(live["devices"][0]["speed_mbps"], 480);
    let loaded = run(&[
        "devices",
        "--from",
        snapshot.to_str().unwrap(),
        "--json",
        "--show-ids",
    ])
    .json();
    assert_eq!(loaded["devices"][0]["product_type"], "iPhone9,3");
    // A snapshot is for sharing: the ECID is a stand-in unless it was saved with --show-ids.
    assert_eq!(loaded["devices"][0]["ecid"], "0x0000000000000001");
    let file = std::fs::read_to_string(&snapshot).unwrap();
    assert!(
        !file.contains("1A2B3C4D5E6F70")
            && !file.contains("1A2B3C4D5E6F70".to_lowercase().as_str()),
        "{file}"
    );
    assert!(!file.contains("7365887390543728"), "not even in decimal");
    let kept = tree.path().join("kept.json");
    run(&[
        "devices",
        "--sysfs-root",
        tree.path().to_str().unwrap(),
        "--save",
        kept.to_str().unwrap(),
        "--show-ids",
    ])
    .success();
    let kept = run(&[
        "devices",
        "--from",
        kept.to_str().unwrap(),
        "--json",
        "--show-ids",
    ])
    .json();
    assert_eq!(kept["devices"][0]["ecid"], "0x001A2B3C4D5E6F70");
    let broken = tree.path().join("broken.json");
    std::fs::write(&broken, "{\"version\": 99, \"devices\": []}").unwrap();
    let message = run(&["devices", "--from", broken.to_str().unwrap()]).stderr;
    assert!(message.contains("newer version"), "{message}");
}

#[test]
fn no_device_says_so_with_tips() {
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(empty.path().join("bus/usb/devices")).unwrap();
    let out = run(&["devices", "--sysfs-root", empty.path().to_str().unwrap()]);
    assert_eq!(out.status, 1);
    assert!(
        out.stdout.contains("No Apple phone or tablet"),
        "{}",
        out.stdout
    );
    // The live bus: on a machine without USB (a container) this is a clear error, otherwise
    // a list or the no-device help; never a panic.
    let live = run(&["devices"]);
    assert!([0, 1, 2].contains(&live.status), "{}", live.stderr);
    assert!(!live.stderr.contains("panicked"));
}

#[test]
fn watch_prints_events_as_they_happen() {
    let tree = sysfs_dfu_iphone7_behind_hub();
    let mut child = crate::harness::command()
        .args([
            "devices",
            "--watch",
            "--json",
            "--sysfs-root",
            tree.path().to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || -> serde_json::Value {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("an event line");
        serde_json::from_str(&line).unwrap()
    };
    let first = next();
    assert_eq!(first["kind"], "attach");
    assert_eq!(first["device"]["mode"], "dfu");
    // The phone leaves DFU for recovery: it re-enumerates with another product id.
    sysfs_device(tree.path(), "1-2.3", &[("idProduct", "1281")]);
    let events = [next(), next()];
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "detach" && e["device"]["mode"] == "dfu"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "attach" && e["device"]["mode"] == "recovery"),
        "{events:?}"
    );
    assert!(events.iter().all(|e| e["t"].as_f64().unwrap() > 1.7e9));
}

#[test]
fn the_guided_session_uses_the_attached_device() {
    let tree = sysfs_dfu_iphone7_behind_hub();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cases.sqlite").display().to_string();
    let out = run(&[
        "--db",
        &db,
        "diagnose",
        "--keep-ecid",
        "--sysfs-root",
        tree.path().to_str().unwrap(),
    ]);
    out.success();
    assert!(
        out.stdout.contains(
            "Found on USB: iPhone 7 (GSM) in dfu mode on port 1-2.3, 480 Mb/s, through 1 hub(s)."
        ),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("Which iPhone or iPad is it?"),
        "the model came from USB"
    );
    let resume = out.stdout.lines().last().unwrap();
    assert!(resume.contains("diagnose --resume C"), "{resume}");
    // The case is found by its bench port and keeps where each fact came from.
    let history = run(&["--db", &db, "history", "--port", "1-2.3", "--json"]).json();
    let case = &history["cases"][0];
    assert_eq!(case["port"], "1-2.3", "{history}");
    assert_eq!(case["hubs"], 1);
    let source = |name: &str| {
        case["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .map(|e| e["source"].clone())
    };
    assert_eq!(source("model"), Some("usb".into()), "{case}");
    assert_eq!(source("device-mode"), Some("usb".into()), "{case}");
    assert_eq!(source("hub-in-path"), Some("usb".into()), "{case}");
    // A phone on this computer's bus is restored from this computer.
    assert_eq!(source("host-os"), Some("usb".into()), "{case}");
    assert!(
        case["ecid"].as_str().unwrap().starts_with("0x****"),
        "masked, as devices --json shows it"
    );
    let id = case["id"].as_str().unwrap();
    let shown = run(&["--db", &db, "report", id, "--show-ids"]);
    assert!(
        shown.stdout.contains("**ECID:** 0x001A2B3C4D5E6F70"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("1-2.3"), "the report shows the port");
}

/// `devices --watch --json | head -n1`: once the reader has its line and goes away, the watch
/// ends by itself with exit 0, even though nothing changes on USB any more.
#[test]
fn a_watch_whose_reader_goes_away_ends_quietly() {
    let tree = sysfs_dfu_iphone7_behind_hub();
    for command in [
        vec!["devices", "--watch", "--json"],
        vec!["watch", "--json"],
    ] {
        let mut child = crate::harness::command()
            .args(&command)
            .args(["--sysfs-root", tree.path().to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("attach"), "{command:?}: {first}");
        // The reader is dropped here, closing the pipe.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{command:?} kept running after its reader went away"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(0), "{command:?}: {stderr}");
        assert!(stderr.is_empty(), "{command:?}: {stderr}");
    }
}

/// A recording made for a bug report carries stand-ins, not the phone's identifiers.
#[test]
fn a_recording_is_masked_unless_asked() {
    let tree = sysfs_dfu_iphone7_behind_hub();
    let recording = tree.path().join("bench.scenario");
    let mut child = crate::harness::command()
        .args([
            "devices",
            "--watch",
            "--json",
            "--sysfs-root",
            tree.path().to_str().unwrap(),
            "--record",
            recording.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&recording).unwrap();
    assert!(text.contains("ecid=0x0000000000000001"), "{text}");
    assert!(!text.contains("1A2B3C4D5E6F70"), "{text}");
    let replayed = run(&["watch", "--replay", recording.to_str().unwrap()]);
    assert!(
        replayed.stdout.contains("appeared in DFU mode"),
        "{}",
        replayed.stdout
    );
}

/// A stand-in usbmuxd on a Unix socket (the real frames, one attached phone whose lockdown
/// answers `GetValue` without pairing): `devices` shows the phone usbmuxd knows with its model,
/// iOS version and bench-port location, and says which sources answered.
#[cfg(unix)]
#[test]
fn devices_include_the_phones_usbmuxd_knows() {
    let (_dir, address) = crate::harness::stand_in_usbmuxd();
    let out = crate::harness::run_with(
        &["devices", "--json"],
        &[("USBMUXD_SOCKET_ADDRESS", &address)],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let json = out.json();
    let sources = json["sources"].as_array().unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s["name"] == "usbmuxd" && s["ok"] == true),
        "{json}"
    );
    let phone = json["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["source"] == "usbmuxd")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(phone["location_id"], "0x14400000", "{phone}");
    assert_eq!(phone["mode"], "normal");
    assert_eq!(phone["speed_mbps"], 480);
    assert_eq!(phone["product_type"], "iPhone12,1", "{phone}");
    assert_eq!(phone["name"], "iPhone 11", "{phone}");
    assert_eq!(phone["os_version"], "17.5.1", "{phone}");
    assert!(
        phone["udid"].as_str().unwrap().starts_with('*'),
        "masked: {phone}"
    );
    assert!(
        phone["ecid"].as_str().unwrap().starts_with("0x*"),
        "masked: {phone}"
    );
}

/// Debian's real usbmuxd in a private mount namespace: `devices --json` says usbmuxd answered.
#[cfg(unix)]
#[test]
fn devices_ask_the_real_usbmuxd() {
    if !crate::harness::peers_present(&["usbmuxd"], "usbmuxd") {
        return;
    }
    let binary = env!("CARGO_BIN_EXE_restore-doctor");
    let script = format!(
        "mount -t tmpfs tmpfs /run || exit 77
usbmuxd -f >/dev/null 2>&1 &
d=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S /run/usbmuxd ] && break; sleep 0.2; done
{binary} devices --json; echo \"exit $?\"
kill $d; wait $d 2>/dev/null; exit 0"
    );
    let command = crate::harness::command();
    let out = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .envs(
            command
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        eprintln!(
            "skipped: cannot start an isolated usbmuxd here (unshare -m with a tmpfs on /run)"
        );
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let json_end = text.rfind("exit ").unwrap();
    let json: serde_json::Value = serde_json::from_str(&text[..json_end]).unwrap();
    assert!(
        json["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "usbmuxd" && s["ok"] == true),
        "{text}"
    );
    assert!(text.contains("exit 0") || text.contains("exit 1"), "{text}");
}

/// The stand-in is real enough for libimobiledevice's own tools: `idevice_id -l` lists its
/// phone and `ideviceinfo -s` reads its values through it, as Restore Doctor does.
#[cfg(unix)]
#[test]
fn the_stand_in_daemon_and_phone_satisfy_the_real_client_tools() {
    if !crate::harness::peers_present(&["idevice_id", "ideviceinfo"], "libimobiledevice-utils") {
        return;
    }
    let (_dir, address) = crate::harness::stand_in_usbmuxd();
    let tool = |args: &[&str]| {
        let out = std::process::Command::new(args[0])
            .args(&args[1..])
            .env("USBMUXD_SOCKET_ADDRESS", &address)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, listed, err) = tool(&["idevice_id", "-l"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(listed.trim(), "00008030-001A2B3C4D5E6F70", "{listed}");
    let (code, info, err) = tool(&["ideviceinfo", "-s", "-k", "ProductType"]);
    assert_eq!((code, info.trim()), (Some(0), "iPhone12,1"), "{err}");
    let ours = crate::harness::run_with(
        &["devices", "--json"],
        &[("USBMUXD_SOCKET_ADDRESS", &address)],
    )
    .json();
    let phone = ours["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["source"] == "usbmuxd")
        .cloned()
        .unwrap();
    assert_eq!(phone["product_type"], info.trim());
    assert_eq!(phone["os_version"], "17.5.1");
}

/// Where USB cannot be read, the session learns the phone from usbmuxd and lockdown: the model
/// and the mode become evidence from `usbmux`, and nothing about them is asked.
#[cfg(unix)]
#[test]
fn the_session_takes_the_model_from_usbmuxd_where_usb_cannot_be_read() {
    if std::path::Path::new("/sys/bus/usb/devices").exists() {
        eprintln!("skipped: this machine has a readable USB bus, so the session reads it first");
        return;
    }
    let (_dir, address) = crate::harness::stand_in_usbmuxd();
    let db = tempfile::tempdir().unwrap();
    let db_path = db.path().join("cases.sqlite").display().to_string();
    let out = crate::harness::command()
        .args(["--db", &db_path, "diagnose", "--code", "4013"])
        .env("USBMUXD_SOCKET_ADDRESS", &address)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("usbmuxd knows iPhone 11 on iOS 17.5.1, in normal mode"),
        "{stdout}"
    );
    assert!(!stdout.contains("Which iPhone or iPad"), "{stdout}");
    let case =
        crate::harness::run_with(&["--db", &db_path, "report", "--format", "json"], &[]).json();
    let model = case["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "model")
        .cloned()
        .unwrap_or_else(|| panic!("{case}"));
    assert_eq!(model["value"], "iPhone12,1");
    assert_eq!(model["source"], "usbmux");
}

/// Where USB cannot be read, `devices --watch` follows usbmuxd's device list instead.
#[cfg(unix)]
#[test]
fn devices_watch_follows_usbmuxd_where_usb_cannot_be_read() {
    if std::path::Path::new("/sys/bus/usb/devices").exists() {
        eprintln!("skipped: this machine has a readable USB bus, which is watched first");
        return;
    }
    let (_dir, address) = crate::harness::stand_in_usbmuxd();
    let mut child = crate::harness::command()
        .args(["devices", "--watch", "--json"])
        .env("USBMUXD_SOCKET_ADDRESS", &address)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let event: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(event["kind"], "attach", "{first}");
    assert_eq!(event["device"]["source"], "usbmuxd", "{first}");
    assert_eq!(event["device"]["location_id"], "0x14400000", "{first}");
}
