//! The JSON other tools read, byte for byte: every documented `--json` shape (and the
//! dashboard's state and SSE payloads) compared with the output captured in `tests/golden/`.
//!
//! The goldens were written by the program as it was at c0008dc, before the house was rebuilt,
//! so a change of shape, key order or number formatting fails here. Only values that change
//! from run to run (times since start, case ids, dates, temporary paths) are blanked before the
//! comparison. `RESTORE_DOCTOR_BLESS=1 cargo test --test integration golden` rewrites them; do
//! that only for a change of shape that is meant, and say so in its commit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::harness::{command, sysfs_dfu_iphone7_behind_hub};
use crate::restore::StandIn;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `actual` with the golden file `name` (or writes it when blessing).
fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var("RESTORE_DOCTOR_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless to create it)", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its golden at line {}:\n  golden: {}\n  now:    {}",
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

/// Replaces the value of every `"key":` (compact or pretty) in `text` with `"…"`: the scalar
/// that follows (a string, number, `null` or `true` / `false`).
fn blank(text: &str, keys: &[&str]) -> String {
    let mut out = text.to_owned();
    for key in keys {
        let needle = format!("\"{key}\":");
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&needle) {
            let (before, after) = rest.split_at(at + needle.len());
            result.push_str(before);
            let space = after.len() - after.trim_start_matches(' ').len();
            result.push_str(&after[..space]);
            let after = &after[space..];
            let end = if let Some(string) = after.strip_prefix('"') {
                let mut escaped = false;
                let close = string
                    .char_indices()
                    .find(|&(_, c)| {
                        let end = c == '"' && !escaped;
                        escaped = c == '\\' && !escaped;
                        end
                    })
                    .map_or(string.len(), |(i, _)| i);
                (close + 2).min(after.len())
            } else {
                after.find([',', '}', ']', '\n']).unwrap_or(after.len())
            };
            let value = &after[..end];
            if value.starts_with('{') || value.starts_with('[') {
                result.push_str(value);
            } else {
                result.push_str("\"…\"");
            }
            rest = &after[end..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Standard output of `restore-doctor ARGS` run in the workspace root (exit 0 or 1), with a
/// case history of its own (empty unless `--db` says otherwise), so what other tests record
/// cannot change what is planned here.
fn stdout_of(args: &[&str], env: &[(&str, &str)]) -> String {
    stdout_with_input(args, env, b"")
}

/// The same, with `input` on standard input.
fn stdout_with_input(args: &[&str], env: &[(&str, &str)], input: &[u8]) -> String {
    let own = tempfile::tempdir().unwrap();
    let mut command = command();
    command
        .current_dir(root())
        .env("RESTORE_DOCTOR_DB", own.path().join("cases.sqlite"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn explain_json_is_unchanged() {
    let mut all = String::new();
    for args in [
        &["explain", "4013", "--json"][..],
        &["explain", "4013", "--model", "iPhone 7", "--json"],
        &["explain", "An unknown error occurred (4014).", "--json"],
        &["explain", "0xE8000015", "--json"],
        &["explain", "-1", "--json"],
        &["explain", "3194", "--model", "iPad 9", "--json"],
        &["explain", "987654", "--json"],
    ] {
        all.push_str(&stdout_of(args, &[]));
    }
    golden("explain.json", &all);
}

#[test]
fn diagnose_plan_json_is_unchanged() {
    let db = tempfile::tempdir().unwrap();
    let db = db.path().join("cases.sqlite");
    let db = db.to_str().unwrap();
    let log = "crates/logs/tests/fixtures/real-logs/idevicerestore-issue-539.txt";
    let mut all = String::new();
    for args in [
        &["diagnose", "--plan", "--json"][..],
        &["diagnose", "--code", "3194", "--plan", "--json"],
        &[
            "diagnose",
            "--code",
            "4013",
            "--model",
            "iPhone9,3",
            "--observe",
            "voice-memos-greyed=yes",
            "--failed",
            "swap-cable",
            "--plan",
            "--json",
        ],
        &[
            "diagnose",
            "--code",
            "4014",
            "--observe",
            "hub-in-path=yes",
            "--cannot",
            "different-computer",
            "--json",
        ],
        &["diagnose", "--log", log, "--plan", "--json"],
    ] {
        let mut with_db = vec!["--db", db];
        with_db.extend_from_slice(args);
        all.push_str(&stdout_of(&with_db, &[]));
    }
    golden("diagnose-plan.json", &all);
}

#[test]
fn identify_json_is_unchanged() {
    let fixtures = root().join("crates/usb/tests/fixtures/real-usb");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut all = String::new();
    for path in &names {
        let name = path.strip_prefix(root()).unwrap().to_str().unwrap();
        all.push_str(&format!("# {name}\n"));
        let text = std::fs::read(path).unwrap();
        all.push_str(&stdout_with_input(&["identify", "--json"], &[], &text));
    }
    let serial = "CPID:8010 CPRV:11 BDID:0C ECID:001A2B3C4D5E6F70 SRTG:[iBoot-2696.0.0.1.33]";
    all.push_str(&stdout_of(
        &["identify", serial, "--json", "--show-ids"],
        &[],
    ));
    golden("identify.json", &all);
}

#[test]
fn devices_json_is_unchanged() {
    let bus = sysfs_dfu_iphone7_behind_hub();
    let nowhere = [(
        "USBMUXD_SOCKET_ADDRESS",
        "UNIX:/nonexistent/restore-doctor/usbmuxd",
    )];
    let sysfs = bus.path().to_str().unwrap();
    let mut all = stdout_of(&["devices", "--json", "--sysfs-root", sysfs], &nowhere);
    all.push_str(&stdout_of(
        &["devices", "--json", "--show-ids", "--sysfs-root", sysfs],
        &nowhere,
    ));
    #[cfg(unix)]
    {
        let (_daemon, address) = crate::harness::stand_in_usbmuxd();
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(empty.path().join("bus/usb/devices")).unwrap();
        all.push_str(&stdout_of(
            &[
                "devices",
                "--json",
                "--sysfs-root",
                empty.path().to_str().unwrap(),
            ],
            &[("USBMUXD_SOCKET_ADDRESS", &address)],
        ));
    }
    golden("devices.json", &all);
}

#[test]
fn logs_json_is_unchanged() {
    let dir = "crates/logs/tests/fixtures/real-logs";
    let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| format!("{dir}/{}", e.unwrap().file_name().to_str().unwrap()))
        .collect();
    names.sort();
    let mut args = vec!["logs", "--json"];
    args.extend(names.iter().map(String::as_str));
    let mut all = stdout_of(&args, &[]);
    all.push_str(&stdout_of(
        &[
            "logs",
            "--json",
            "--show-ids",
            "tests/fixtures/idevicerestore/drop-in-restore-mode.txt",
            "tests/fixtures/idevicerestore/fdr.txt",
        ],
        &[],
    ));
    golden("logs.json", &all);
}

#[test]
fn watch_json_lines_are_unchanged() {
    let mut scenarios = vec!["tests/fixtures/bench/three-ports-one-dropping.scenario".to_owned()];
    let dir = "crates/watch/tests/scenarios";
    let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| format!("{dir}/{}", e.unwrap().file_name().to_str().unwrap()))
        .collect();
    names.sort();
    scenarios.extend(names);
    let mut all = String::new();
    for scenario in &scenarios {
        all.push_str(&format!("# {scenario}\n"));
        all.push_str(&stdout_of(&["watch", "--replay", scenario, "--json"], &[]));
    }
    all.push_str(&stdout_of(
        &[
            "watch",
            "--replay",
            "crates/watch/tests/scenarios/drop-in-restore-mode.scenario",
            "--code",
            "4013",
            "--model",
            "iPhone 7",
            "--json",
        ],
        &[],
    ));
    golden("watch.jsonl", &all);
}

/// The volatile values of a restore's lines: seconds since start and the case id.
fn restore_lines(stdout: &str) -> String {
    blank(stdout, &["t", "case"])
}

#[test]
fn restore_json_lines_are_unchanged() {
    let mut all = String::new();
    for transcript in [
        "success",
        "drop-in-restore-mode",
        "restore-mode-not-entered",
        "ibec-did-not-disconnect",
        "fdr",
        "baseband",
    ] {
        let stand_in = StandIn::new(transcript);
        let db = tempfile::tempdir().unwrap();
        let output = stand_in
            .command(&db.path().join("cases.sqlite"), &["--latest", "--json"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        all.push_str(&format!(
            "# {transcript}: exit {}\n",
            output.status.code().unwrap_or(-1)
        ));
        all.push_str(&restore_lines(&String::from_utf8(output.stdout).unwrap()));
    }
    // A bench of two phones one after the other (--jobs 1), the second failing once.
    let bus = tempfile::tempdir().unwrap();
    for (port, pid, serial) in [
        (
            "1-2.1",
            "1227",
            "CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]",
        ),
        (
            "1-2.2",
            "1281",
            "CPID:8015 CPRV:11 CPFM:03 SCEP:01 BDID:06 ECID:000B1C2D3E4F5061 IBFL:3C SRNM:[F17XXXXXXXXX]",
        ),
    ] {
        crate::harness::sysfs_device(
            bus.path(),
            port,
            &[
                ("idVendor", "05ac"),
                ("idProduct", pid),
                ("speed", "480"),
                ("serial", serial),
            ],
        );
    }
    let stand_in = StandIn::bench(
        &[
            ("0x001A2B3C4D5E6F70", &["success"]),
            ("0x000B1C2D3E4F5061", &["drop-in-restore-mode", "success"]),
        ],
        1,
        0.0,
    );
    let db = tempfile::tempdir().unwrap();
    let output = stand_in
        .command_on(
            bus.path(),
            &db.path().join("cases.sqlite"),
            &["--latest", "--all", "--jobs", "1", "--retry", "1", "--json"],
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    all.push_str(&format!(
        "# bench: exit {}\n",
        output.status.code().unwrap_or(-1)
    ));
    all.push_str(&restore_lines(&String::from_utf8(output.stdout).unwrap()));
    golden("restore.jsonl", &all);
}

#[test]
fn case_history_json_is_unchanged() {
    let db = tempfile::tempdir().unwrap();
    let db = db.path().join("cases.sqlite");
    let db = db.to_str().unwrap();
    let volatile = [
        "opened",
        "updated",
        "created",
        "started",
        "at",
        "when",
        "time",
        "date",
        "generated",
        "last_touched",
        "created_at",
        "updated_at",
        "ecid_hash",
    ];
    let mut all = String::new();
    // Finished cases in the cases.jsonl shape, made up here so the golden does not depend on a
    // file outside the repository. One file each: cases imported together share a time, and
    // the history's order among them would be left to chance.
    let imports: Vec<tempfile::NamedTempFile> = [
        r#"{"id":"golden-1","source":"made up for this test","error_code":4013,"device":"iPhone 11","tried_without_success":["swap-cable"],"resolved_by":"computer-port","confidence":"high"}"#,
        r#"{"id":"golden-2","source":"made up for this test","error_code":4013,"device":"iPhone 11","tried_without_success":[],"resolved_by":"computer-port","confidence":"medium"}"#,
        r#"{"id":"golden-3","source":"made up for this test","error_code":9,"device":"iPhone 7","tried_without_success":["swap-cable","change-port"],"resolved_by":"unresolved","confidence":"low"}"#,
    ]
    .iter()
    .map(|line| {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), format!("{line}\n")).unwrap();
        file
    })
    .collect();
    let import = |n: usize| -> Vec<&str> {
        vec![
            "history",
            "--import",
            imports[n].path().to_str().unwrap(),
            "--json",
        ]
    };
    let steps: Vec<Vec<&str>> = vec![
        vec![
            "record",
            "--code",
            "4013",
            "--model",
            "iPhone 11",
            "--failed",
            "swap-cable",
            "--fixed",
            "change-port",
            "--port",
            "1-2.3",
            "--json",
        ],
        vec![
            "record",
            "--code",
            "4014",
            "--model",
            "iPhone 7",
            "--unresolved",
            "--confidence",
            "low",
            "--json",
        ],
        import(0),
        import(1),
        import(2),
        vec!["history", "--json"],
        vec!["history", "--code", "4013", "--json"],
        vec!["history", "--port", "1-2.3", "--json"],
        vec!["learn", "--show", "--json"],
        vec!["report", "--format", "json"],
    ];
    for args in steps {
        let mut with_db = vec!["--db", db, "--bench", "golden-bench"];
        with_db.extend_from_slice(&args);
        all.push_str(&format!("# {}\n", args[..2].join(" ")));
        all.push_str(&blank_case_ids(&blank(
            &stdout_of(&with_db, &[]),
            &volatile,
        )));
    }
    let plan = [
        "diagnose",
        "--code",
        "4013",
        "--model",
        "iPhone 11",
        "--plan",
        "--json",
    ];
    for learning in [&["--no-learn"][..], &[]] {
        let mut with_db = vec!["--db", db];
        with_db.extend_from_slice(learning);
        with_db.extend_from_slice(&plan);
        all.push_str(&format!("# diagnose {}\n", learning.join(" ")));
        all.push_str(&stdout_of(&with_db, &[]));
    }
    golden("cases.json", &all);
}

#[cfg(feature = "dashboard")]
/// A `serve --replay` of a bench recording, run to its end: the page's state (the ports and
/// the alerts, which are the SSE `port` and `finding` payloads) and the devices.
#[test]
fn dashboard_json_is_unchanged() {
    use std::io::{BufRead, BufReader, Read};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let db = tempfile::tempdir().unwrap();
    let mut child = command()
        .current_dir(root())
        .arg("--db")
        .arg(db.path().join("cases.sqlite"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--idevicerestore",
            "/nonexistent/idevicerestore",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // An idevicerestore that is not there is a usage error: the page cannot restore with it.
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    let mut child = command()
        .current_dir(root())
        .arg("--db")
        .arg(db.path().join("cases.sqlite"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--replay",
            "tests/fixtures/bench/three-ports-one-dropping.scenario",
            "--speed",
            "0",
        ])
        .env("PATH", "/nonexistent")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|u| u.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    let get = |path: &str| {
        let mut stream = TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    };
    let started = Instant::now();
    let state = loop {
        let state = get("/api/state");
        if state.contains("\"replay_done\":true") {
            break state;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{state}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut all = format!("# state\n{}\n", blank(&state, &["t"]));
    all.push_str(&format!("# devices\n{}\n", get("/api/devices")));
    all.push_str(&format!("# cases\n{}\n", get("/api/cases")));
    let _ = child.kill();
    let _ = child.wait();
    golden("dashboard.json", &all);
}

/// Replaces every case id (`"C"` and ten hex digits, as the store makes them) with `"C…"`.
fn blank_case_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\"C") {
        let candidate = &rest[at + 2..];
        let is_id = candidate.len() > 10
            && candidate.as_bytes()[..10]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
            && candidate.as_bytes()[10] == b'"';
        if is_id {
            out.push_str(&rest[..at]);
            out.push_str("\"C…\"");
            rest = &candidate[11..];
        } else {
            out.push_str(&rest[..at + 2]);
            rest = candidate;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn blank_replaces_only_the_named_scalars() {
    assert_eq!(
        blank_case_ids(r#"["CEBC04AA202","Cable","C1"]"#),
        r#"["C…","Cable","C1"]"#
    );
    assert_eq!(
        blank(
            r#"{"t":0.5,"kind":"x","case":"C1","next":{"t":"a\"b"},"list":[1]}"#,
            &["t", "case", "list"]
        ),
        r#"{"t":"…","kind":"x","case":"…","next":{"t":"…"},"list":[1]}"#
    );
    assert_eq!(
        blank("{\n  \"id\": null,\n  \"n\": 3\n}", &["id"]),
        "{\n  \"id\": \"…\",\n  \"n\": 3\n}"
    );
}
