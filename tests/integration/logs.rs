//! `logs`: real samples, folders, the default places (with HOME pointed at a test folder),
//! JSON, standard input, and the guided session reading a log.

use crate::harness::{run, run_with, run_with_stdin};

fn sample(name: &str) -> String {
    format!(
        "{}/crates/logs/tests/fixtures/real-logs/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn reads_a_real_idevicerestore_log() {
    let out = run(&["logs", &sample("idevicerestore-issue-138")]);
    out.success();
    let text = &out.stdout;
    assert!(
        text.contains(
            "Error -1 · failed while updating the phone's firmware, modem or other chips (firmware)"
        ),
        "{text}"
    );
    assert!(text.contains("Last operation: Updating baseband (19)"));
    assert!(text.contains("--code -1 --observe failed-phase=firmware"));
}

#[test]
fn json_has_the_documented_shape() {
    let json = run(&[
        "logs",
        "--json",
        &sample("itunes-win-pastebin-w4L6WTL7"),
        &sample("idevicerestore-issue-352"),
    ])
    .json();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        for key in [
            "path",
            "format",
            "final_code",
            "codes",
            "phase",
            "last_operation",
            "disconnects",
            "findings",
            "observations",
        ] {
            assert!(f.get(key).is_some(), "missing {key}");
        }
    }
    let codes: Vec<i64> = files
        .iter()
        .map(|f| f["final_code"].as_i64().unwrap())
        .collect();
    assert!(codes.contains(&3194) && codes.contains(&53), "{codes:?}");
}

#[test]
fn a_folder_is_walked_and_stdin_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    std::fs::write(dir.path().join("a/b/restore.log"), "Status: Disk Failure\n").unwrap();
    std::fs::write(
        dir.path().join("a/notes.txt"),
        "An unknown error occurred (4014).\n",
    )
    .unwrap();
    let json = run(&["logs", "--json", dir.path().to_str().unwrap()]).json();
    assert_eq!(json["files"].as_array().unwrap().len(), 2);
    let piped = run_with_stdin(
        &["logs", "--json", "-"],
        "不明なエラーが発生しました(75)".as_bytes(),
    )
    .json();
    assert_eq!(piped["files"][0]["final_code"], 75);
}

#[test]
fn with_no_path_the_usual_places_are_searched() {
    let home = tempfile::tempdir().unwrap();
    let logs_dir = home.path().join("Library/Logs/iPhone Updater Logs");
    std::fs::create_dir_all(&logs_dir).unwrap();
    std::fs::write(logs_dir.join("iPhoneUpdater 2026-11-20.log"), "2026-11-20 10:00:00.000 [1:2]: <Restore Device 0x1>: operation 19 progress -1\ndevice returned AMR error 1002\n").unwrap();
    let out = run_with(
        &["logs"],
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("APPDATA", "/nonexistent"),
            ("LOCALAPPDATA", "/nonexistent"),
        ],
    );
    out.success();
    assert!(out.stdout.contains("Error 1002"), "{}", out.stdout);
    let empty = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_restore-doctor"));
    let none = command
        .arg("logs")
        .current_dir(empty.path())
        .env("HOME", empty.path())
        .env_remove("APPDATA")
        .env_remove("LOCALAPPDATA")
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stdout).contains("No restore logs found"));
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let message = run(&["logs", "/no/such/restore.log"])
        .usage_error()
        .to_owned();
    assert!(message.contains("no such file"), "{message}");
}

#[test]
fn diagnose_reads_a_log_given_to_it() {
    let json = run(&[
        "diagnose",
        "--log",
        &sample("itunes-win-pastebin-w4L6WTL7"),
        "--plan",
        "--json",
    ])
    .json();
    assert_eq!(
        json["causes"][0]["id"], "signing",
        "the log's 3194 drove the ranking: {json}"
    );
    let plan = run(&[
        "diagnose",
        "--log",
        &sample("idevicerestore-issue-352"),
        "--observe",
        "failed-phase=restore-os",
        "--plan",
        "--json",
    ]);
    plan.success();
}
