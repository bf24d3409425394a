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

/// What is not a restore log says so, by name, exit 1; one broken file does not stop the rest.
#[test]
fn files_that_are_not_restore_logs_are_named_and_never_misread() {
    let dir = tempfile::tempdir().unwrap();
    let readme = format!("{}/README.md", env!("CARGO_MANIFEST_DIR"));
    let out = run(&["logs", &readme]);
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert!(out.stdout.contains("not a restore log"), "{}", out.stdout);
    assert!(!out.stdout.contains("Error 40"), "{}", out.stdout);
    let json = run(&["logs", "--json", &readme]).json();
    assert_eq!(json["files"][0]["restore_log"], false);
    assert!(json["files"][0]["final_code"].is_null());
    let binary = run(&["logs", env!("CARGO_BIN_EXE_restore-doctor")]);
    assert_eq!(binary.status, 1);
    assert!(binary.stdout.contains("a binary file"), "{}", binary.stdout);
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    assert!(
        run(&["logs", empty.to_str().unwrap()])
            .stdout
            .contains("not a restore log")
    );
    let device = run(&["logs", "/dev/zero"]);
    assert_eq!(device.status, 1);
    assert!(
        device.stdout.contains("not a regular file"),
        "{}",
        device.stdout
    );
    // A folder with a broken gzip and a real log: the broken one is named, the log is read.
    std::fs::write(dir.path().join("broken.log.gz"), b"\x1f\x8b\x08\x00garbage").unwrap();
    std::fs::copy(
        sample("idevicerestore-issue-138"),
        dir.path().join("restore.log"),
    )
    .unwrap();
    let folder = run(&["logs", dir.path().to_str().unwrap()]);
    folder.success();
    assert!(
        folder.stdout.contains("broken.log.gz · cannot be read"),
        "{}",
        folder.stdout
    );
    assert!(folder.stdout.contains("Error -1"), "{}", folder.stdout);
}

#[test]
fn identifiers_in_logs_are_masked_unless_asked_and_escapes_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("restore.log");
    std::fs::write(
        &log,
        "INFO: idevicerestore 1.0.0\nStatus: Verification Error\n[12:00:01] USB disconnect ECID 0x001A2B3C4D5E6F70 UDID 00008101-001A2B3C4D5E6F70 \u{1b}]0;pwned\u{7}\u{1b}[2J\nERROR: Unable to send data to ASR\n",
    )
    .unwrap();
    let masked = run(&["logs", log.to_str().unwrap()]);
    let json = run(&["logs", "--json", log.to_str().unwrap()]);
    for out in [&masked.stdout, &json.stdout] {
        assert!(!out.contains("001A2B3C4D5E"), "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains("\\u001b"), "{out}");
    }
    assert!(
        masked.stdout.contains("USB disconnect ECID *"),
        "{}",
        masked.stdout
    );
    let shown = run(&["logs", "--json", "--show-ids", log.to_str().unwrap()]);
    assert!(
        shown.stdout.contains("001A2B3C4D5E6F70"),
        "{}",
        shown.stdout
    );
}

#[test]
fn more_files_than_the_limit_say_how_many_were_left_out() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..205 {
        std::fs::write(dir.path().join(format!("{i}.log")), "error 4013\n").unwrap();
    }
    let out = run(&["logs", dir.path().to_str().unwrap()]);
    assert!(
        out.stdout.contains("5 more file(s) were not read"),
        "{}",
        &out.stdout[out.stdout.len().saturating_sub(300)..]
    );
}

/// A real log, as bytes.
fn real_log() -> Vec<u8> {
    std::fs::read(sample("idevicerestore-issue-138")).unwrap()
}

#[test]
fn endless_standard_input_ends_with_a_clear_message() {
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let out = crate::harness::command()
        .args(["logs", "-"])
        .stdin(zero)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("- · cannot be read: more than 64 MB of zero bytes in a row from byte 0"),
        "{stdout}"
    );
}

#[test]
fn zero_padding_and_stray_bytes_do_not_hide_a_real_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = real_log();
    // As a crash leaves it: the log, then zero padding, then the log again after a restart.
    let mut padded = log.clone();
    padded.extend([0u8; 4096]);
    padded.extend(&log);
    std::fs::write(dir.path().join("padded.log"), &padded).unwrap();
    let mut leading = vec![0u8; 4096];
    leading.extend(&log);
    std::fs::write(dir.path().join("leading.log"), &leading).unwrap();
    for stray in [
        &b"\xff\xfe\xfd\xfc\xfb"[..],
        b"\xfe\xff\x80\x81\x82",
        b"\xc0\xc1\xf5\xf6\xf7",
    ] {
        let mut bytes = stray.to_vec();
        bytes.extend(&log);
        std::fs::write(
            dir.path().join(format!("stray-{:02x}.log", stray[0])),
            bytes,
        )
        .unwrap();
    }
    let json = run(&["logs", "--json", dir.path().to_str().unwrap()]).json();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 5, "{json}");
    for f in files {
        assert_eq!(f["restore_log"], true, "{f}");
        assert_eq!(f["final_code"], -1, "{f}");
        assert_eq!(f["phase"], "firmware", "{f}");
    }
}

#[test]
fn a_code_far_into_one_enormous_line_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.log");
    let mut line = "0123456789abcdef ".repeat(1 << 20).into_bytes();
    line.extend(b"ERROR: Unable to restore device\n");
    line.extend("filler ".repeat(100_000).into_bytes());
    line.extend(b"An unknown error occurred (4013).");
    std::fs::write(&path, &line).unwrap();
    let json = run(&["logs", "--json", path.to_str().unwrap()]).json();
    let file = &json["files"][0];
    assert_eq!(file["final_code"], 4013, "{file}");
    assert_eq!(file["codes"][0]["line"], 2, "{file}");
}

#[test]
fn a_gzip_bomb_is_refused_saying_so() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'A'; 1 << 20]).unwrap();
    let bomb = gz.finish().unwrap().repeat(1024);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("restore.log.gz");
    std::fs::write(&path, bomb).unwrap();
    let out = run(&["logs", path.to_str().unwrap()]);
    assert_eq!(out.status, 1, "{}", out.stdout);
    // The message is wrapped to the terminal: its words, whatever the line breaks.
    let words = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("unpacks to over 250 times its size (a gzip bomb"),
        "{}",
        out.stdout
    );
}

/// Sets a file's modification time to `seconds_ago` before now.
fn age(path: &std::path::Path, seconds_ago: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(seconds_ago))
        .unwrap();
}

#[test]
fn a_big_folder_is_read_newest_first_and_the_files_left_out_are_counted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let newest = dir.path().join("restore-newest.log");
    std::fs::write(&newest, "An unknown error occurred (4013).\n").unwrap();
    for i in 0..1999u64 {
        let path = dir.path().join(format!("old-{i:04}.log"));
        std::fs::write(&path, "An unknown error occurred (4014).\n").unwrap();
        age(&path, 3600 + i);
    }
    let json = run(&["logs", "--json", dir.path().to_str().unwrap()]).json();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 200);
    assert_eq!(json["left_out"], 1800, "{}", json["left_out"]);
    assert!(
        files[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("restore-newest.log")
    );
    assert_eq!(files[0]["final_code"], 4013);
    // Then by age: old-0000 is the youngest of the rest, old-0198 the oldest read.
    assert!(files[1]["path"].as_str().unwrap().ends_with("old-0000.log"));
    assert!(
        files[199]["path"]
            .as_str()
            .unwrap()
            .ends_with("old-0198.log")
    );
    let text = run(&["logs", dir.path().to_str().unwrap()]);
    assert!(
        text.stdout.contains(
            "1800 more file(s) were not read: only the newest 200 by modification time were."
        ),
        "{}",
        &text.stdout[text.stdout.len().saturating_sub(300)..]
    );
}

#[test]
fn a_newline_in_a_file_name_never_forges_an_output_line() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir
        .path()
        .join("x.log\nrestore-doctor: all clear, no error\u{1b}[2J");
    std::fs::write(&evil, real_log()).unwrap();
    let out = run(&["logs", dir.path().to_str().unwrap()]);
    assert!(
        out.stdout
            .lines()
            .all(|l| !l.starts_with("restore-doctor: all clear")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("x.log\\nrestore-doctor: all clear, no error\\u{1b}[2J · "),
        "{}",
        out.stdout
    );
    let missing = run(&["logs", "/no/such\nrestore-doctor: fine"]);
    assert!(
        missing
            .usage_error()
            .contains("/no/such\\nrestore-doctor: fine")
    );
}

/// Each spelling of an identifier the audit found shown, on a line `logs` quotes, and the part
/// of it that must not be shown.
const SPELLINGS: &[(&str, &str)] = &[
    ("ChipID=1543505009998", "15435050"),
    ("SN: DNPX12345678", "DNPX1234"),
    ("Serial# F17XXXXX1234", "F17XXXXX"),
    ("serial_number=C39ZK0ABN72J", "C39ZK0AB"),
    ("IMEI 35 678901 234567 8", "678901 234"),
    ("ICCID 89012601234567890123", "8901260123456"),
    ("apple id anna.berg@icloud.com", "anna.berg"),
    ("owner +44 20 7946 0958", "7946 0"),
    ("WiFiAddress a4:83:e7:12:34:56", "a4:83:e7"),
    ("DeviceName=Anna's iPhone", "Anna"),
];

#[test]
fn every_spelling_of_an_identifier_is_masked_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (spelling, _)) in SPELLINGS.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("restore-{i}.log")),
            format!("Status: Verification Error\n[12:00:01] USB disconnect {spelling}\nERROR: Unable to send data to ASR\n"),
        )
        .unwrap();
    }
    let folder = dir.path().to_str().unwrap();
    let text = run(&["logs", folder]).stdout;
    let json = run(&["logs", "--json", folder]).stdout;
    let shown = run(&["logs", "--json", "--show-ids", folder]).stdout;
    for (spelling, secret) in SPELLINGS {
        assert!(
            shown.contains(secret),
            "{spelling} is quoted at all: {shown}"
        );
        assert!(!text.contains(secret), "{spelling} in {text}");
        assert!(!json.contains(secret), "{spelling} in {json}");
    }
}
