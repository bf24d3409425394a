//! A shop's history: outcomes recorded by hand and imported, several benches in one history
//! (SQLite, and a private PostgreSQL server written by two processes at once), and plans that
//! learn from them.

use std::path::Path;

use serde_json::Value;

use crate::harness::command;

/// `restore-doctor --db DB [--bench BENCH] ARGS…`: exit status, stdout, stderr.
fn run_on(db: &str, bench: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut command = command();
    command.args(["--db", db]);
    if let Some(bench) = bench {
        command.args(["--bench", bench]);
    }
    let out = command
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(db: &str, args: &[&str]) -> Value {
    let (status, stdout, stderr) = run_on(db, None, args);
    assert_eq!(status, 0, "{args:?}: {stdout}{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Ten outcomes of 4013 on an iPhone 11: eight fixed by a new port after a cable did not help,
/// one fixed by the cable, one nothing fixed. Five from each bench, the two benches writing at
/// the same time.
fn record_ten(db: &str) {
    let outcomes: Vec<Vec<&str>> = (0..10)
        .map(|i| match i {
            0..8 => vec!["--failed", "swap-cable", "--fixed", "change-port"],
            8 => vec!["--fixed", "swap-cable"],
            _ => vec!["--failed", "change-port", "--unresolved"],
        })
        .collect();
    std::thread::scope(|scope| {
        for (bench, mine) in [("front", 0), ("back", 1)] {
            let outcomes = &outcomes;
            scope.spawn(move || {
                for outcome in outcomes.iter().skip(mine).step_by(2) {
                    let mut args = vec!["record", "--code", "4013", "--model", "iPhone 11"];
                    args.extend(outcome);
                    let (status, stdout, stderr) = run_on(db, Some(bench), &args);
                    assert_eq!(status, 0, "{stdout}{stderr}");
                    assert!(stdout.contains(&format!("on bench {bench}")), "{stdout}");
                }
            });
        }
    });
}

/// The history lists the ten together with their benches, and the plan for 4013 on an
/// iPhone 11 starts with the port, saying why; without learning it does not.
fn ten_outcomes_from_two_benches_change_the_plan(db: &str) {
    record_ten(db);
    let history = json_of(db, &["history", "--json"]);
    let cases = history["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10, "{history}");
    let on = |bench: &str| cases.iter().filter(|c| c["bench"] == bench).count();
    assert_eq!((on("front"), on("back")), (5, 5), "{history}");
    let benches: Vec<&str> = history["benches"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["bench"].as_str())
        .collect();
    assert_eq!(benches, ["back", "front"]);
    let front_only = json_of(db, &["--bench", "front", "history", "--json"]);
    assert_eq!(front_only["cases"].as_array().unwrap().len(), 5);

    let plan = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend([
            "diagnose",
            "--code",
            "4013",
            "--model",
            "iPhone 11",
            "--plan",
            "--json",
        ]);
        let plan = json_of(db, &args);
        plan["plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == "action")
            .unwrap()
            .clone()
    };
    let learned = plan(&[]);
    assert_eq!(learned["id"], "change-port", "{learned}");
    let why = learned["why"].as_str().unwrap();
    assert!(
        why.contains("At this shop") && why.contains("8 of 9"),
        "the plan says why: {why}"
    );
    let kb_only = plan(&["--no-learn"]);
    assert_ne!(kb_only["id"], "change-port", "{kb_only}");
    assert!(!kb_only["why"].as_str().unwrap().contains("At this shop"));

    let learn = json_of(db, &["learn", "--show", "--json"]);
    let group = &learn["groups"][0];
    assert_eq!(
        (group["code"].as_i64(), group["model"].as_str()),
        (Some(4013), Some("iPhone 11"))
    );
    assert_eq!(group["first_step"]["learned"], "change-port");
    let port = group["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "change-port")
        .unwrap();
    assert_eq!(
        (port["fixed"].as_u64(), port["tries"].as_u64()),
        (Some(8), Some(9))
    );
}

#[test]
fn ten_outcomes_from_two_benches_in_sqlite_change_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    ten_outcomes_from_two_benches_change_the_plan(db.to_str().unwrap());
}

#[cfg(feature = "postgres")]
#[test]
fn ten_outcomes_from_two_benches_in_postgresql_change_the_plan() {
    let Some(server) = pgserver::Server::for_test() else {
        return;
    };
    let url = server.create_database("shop").unwrap();
    ten_outcomes_from_two_benches_change_the_plan(&url);
    // The password in the URL never shows, not even in an error.
    let wrong = url.replace(pgserver::PASSWORD, "not-the-password");
    let (status, stdout, stderr) = run_on(&wrong, None, &["history"]);
    assert_ne!(status, 0);
    assert!(
        stderr.contains("refused the user name or password"),
        "{stderr}"
    );
    assert!(
        !format!("{stdout}{stderr}").contains("not-the-password"),
        "{stderr}"
    );
    assert!(stderr.lines().count() <= 2, "a short error: {stderr}");
}

#[test]
fn real_cases_import_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("imported.sqlite");
    let db = db.to_str().unwrap();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kb/data/real-cases.jsonl");
    let lines = std::fs::read_to_string(&cases).unwrap().lines().count();
    let imported = json_of(
        db,
        &["history", "--import", cases.to_str().unwrap(), "--json"],
    );
    assert_eq!(
        imported["imported"].as_u64(),
        Some(lines as u64),
        "{imported}"
    );
    let unresolved = std::fs::read_to_string(&cases)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"resolved_by\": \"unresolved\""))
        .count();
    assert_eq!(
        imported["unresolved"].as_u64(),
        Some(unresolved as u64),
        "{imported}"
    );
    let history = json_of(db, &["history", "--json"]);
    assert_eq!(history["cases"].as_array().unwrap().len(), lines);

    // A file with a broken line is refused whole, naming the line; nothing is written.
    let broken = dir.path().join("broken.jsonl");
    let mut text = std::fs::read_to_string(&cases).unwrap();
    text.push_str("{\"id\": \"half\", \"resolved_by\": \n");
    std::fs::write(&broken, text).unwrap();
    let fresh = dir.path().join("fresh.sqlite");
    let (status, _, stderr) = run_on(
        fresh.to_str().unwrap(),
        None,
        &["history", "--import", broken.to_str().unwrap()],
    );
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains(&format!("line {}", lines + 1)), "{stderr}");
    assert!(!fresh.exists(), "nothing written");
}

#[test]
fn a_record_with_an_unknown_action_or_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.sqlite");
    let db = db.to_str().unwrap();
    for args in [
        vec![
            "record",
            "--code",
            "4013",
            "--model",
            "iPhone 11",
            "--fixed",
            "prayer",
        ],
        vec![
            "record",
            "--code",
            "4013",
            "--model",
            "iPhone 99",
            "--fixed",
            "swap-cable",
        ],
        vec![
            "record",
            "--code",
            "4013",
            "--fixed",
            "swap-cable",
            "--unresolved",
        ],
        vec!["record", "--code", "4013"],
    ] {
        let (status, _, stderr) = run_on(db, None, &args);
        assert_eq!(status, 2, "{args:?}: {stderr}");
    }
    assert!(!Path::new(db).exists(), "nothing written");
}

#[test]
fn a_password_in_the_environment_never_shows_in_help_or_errors() {
    let url = "postgres://shop:hunter2@127.0.0.1:1/cases";
    for args in [&["history", "--help"][..], &["history"][..]] {
        let out = command()
            .env("RESTORE_DOCTOR_DB", url)
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains("hunter2"), "{args:?}: {text}");
    }
}

/// `history --json | head`: a reader that goes away early is not an error.
#[test]
fn a_reader_that_goes_away_early_is_not_an_error() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("many.sqlite");
    let db = db.to_str().unwrap();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kb/data/real-cases.jsonl");
    json_of(
        db,
        &["history", "--import", cases.to_str().unwrap(), "--json"],
    );
    let mut child = command()
        .args(["--db", db, "history", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe is closed here, long before the 47 cases are written.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_recorded_port_never_drives_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.sqlite");
    let db = db.to_str().unwrap();
    let (status, _, stderr) = run_on(
        db,
        None,
        &[
            "record",
            "--code",
            "4013",
            "--fixed",
            "swap-cable",
            "--port",
            "1-1\u{1b}[2J",
        ],
    );
    assert_eq!(status, 0, "{stderr}");
    let (_, history, _) = run_on(db, None, &["history"]);
    assert!(history.contains("port 1-1[2J"), "{history}");
    assert!(!history.contains('\u{1b}'), "{history:?}");
}

/// Three finished cases in the cases.jsonl shape, the third with an outcome the kb does not
/// know.
const THREE: [&str; 3] = [
    r#"{"id":"shop-1","error_code":4013,"device":"iPhone 11","tried_without_success":["swap-cable"],"resolved_by":"computer-port","confidence":"high"}"#,
    r#"{"id":"shop-2","error_code":9,"device":"iPhone 7","resolved_by":"unresolved","confidence":"low"}"#,
    r#"{"id":"shop-3","error_code":4014,"resolved_by":"prayed-to-the-phone","confidence":"low"}"#,
];

#[test]
fn importing_the_same_file_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("twice.sqlite");
    let db = db.to_str().unwrap();
    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, format!("{}\n{}\n", THREE[0], THREE[1])).unwrap();
    let file = file.to_str().unwrap();
    let first = json_of(db, &["history", "--import", file, "--json"]);
    assert_eq!(first["imported"], 2, "{first}");
    let again = json_of(db, &["history", "--import", file, "--json"]);
    assert_eq!(again["imported"], 0, "{again}");
    assert_eq!(again["skipped"], serde_json::json!(["shop-1", "shop-2"]));
    let (status, stdout, _) = run_on(db, None, &["history", "--import", file]);
    assert_eq!(status, 0);
    assert!(
        stdout
            .contains("2 case(s) were already in the history (same id) and were not added again."),
        "{stdout}"
    );
    let history = json_of(db, &["history", "--json"]);
    assert_eq!(history["cases"].as_array().unwrap().len(), 2, "{history}");
}

#[test]
fn a_file_saved_by_windows_notepad_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notepad.sqlite");
    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, format!("\u{feff}{}\r\n{}\r\n", THREE[0], THREE[1])).unwrap();
    let imported = json_of(
        db.to_str().unwrap(),
        &["history", "--import", file.to_str().unwrap(), "--json"],
    );
    assert_eq!(imported["imported"], 2, "{imported}");
}

#[test]
fn an_unknown_outcome_is_an_error_naming_its_line_unless_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unknown.sqlite");
    let db = db.to_str().unwrap();
    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, THREE.join("\n")).unwrap();
    let file = file.to_str().unwrap();
    let (status, stdout, stderr) = run_on(db, None, &["history", "--import", file]);
    assert_eq!(status, 2, "{stdout}{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("line 3: the outcome 'prayed-to-the-phone' (resolved_by) is not one the knowledge base knows; nothing was imported"),
        "{stderr}"
    );
    assert!(!Path::new(db).exists(), "nothing written");
    let (status, stdout, _) = run_on(db, None, &["history", "--import", file, "--skip-unknown"]);
    assert_eq!(status, 1, "some were skipped: {stdout}");
    assert!(stdout.contains("Imported 2 case(s)"), "{stdout}");
    assert!(
        stdout.contains(
            "Skipped 1: their outcome (resolved_by) is not one the knowledge base knows (lines 3)."
        ),
        "{stdout}"
    );
}

#[test]
fn an_enormous_import_line_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.jsonl");
    let symptom = "it says 4013 ".repeat(50 << 20 >> 4);
    let huge = format!(
        r#"{{"id":"big","error_code":4013,"symptoms":["{symptom}"],"resolved_by":"computer-port","confidence":"low"}}"#
    );
    std::fs::write(&file, format!("{}\n{huge}\n", THREE[0])).unwrap();
    let db = dir.path().join("huge.sqlite");
    let (status, _, stderr) = run_on(
        db.to_str().unwrap(),
        None,
        &["history", "--import", file.to_str().unwrap()],
    );
    assert_eq!(status, 2, "{stderr}");
    assert!(
        stderr.contains("line 2: longer than 64 KB; a case is one short JSON object"),
        "{stderr}"
    );
}

#[test]
fn a_db_in_a_folder_that_does_not_exist_is_an_error_and_no_folder_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("no-such-folder/cases.sqlite");
    let (status, stdout, stderr) = run_on(
        db.to_str().unwrap(),
        None,
        &["record", "--code", "4013", "--fixed", "change-port"],
    );
    assert_eq!(status, 2, "{stdout}{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!dir.path().join("no-such-folder").exists());
}

#[cfg(feature = "postgres")]
#[test]
fn a_libpq_keyword_string_is_postgresql_and_its_password_is_never_shown() {
    let Some(server) = pgserver::Server::for_test() else {
        return;
    };
    let url = server.create_database("keywords").unwrap();
    let keywords = |password: &str| {
        format!(
            "host=127.0.0.1 port={} user=postgres password={password} dbname=keywords",
            server.port()
        )
    };
    let db = keywords(pgserver::PASSWORD);
    let (status, stdout, stderr) = run_on(
        &db,
        Some("front"),
        &["record", "--code", "4013", "--fixed", "change-port"],
    );
    assert_eq!(status, 0, "{stdout}{stderr}");
    // The case is in the server, not in a stray local file.
    assert_eq!(
        json_of(&url, &["history", "--json"])["cases"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, stdout, stderr) = run_on(&db, None, &["history", "--code", "1"]);
    assert!(stdout.contains("password=***"), "{stdout}");
    assert!(!format!("{stdout}{stderr}").contains(pgserver::PASSWORD));
    let (status, stdout, stderr) = run_on(&keywords("not-the-password"), None, &["history"]);
    assert_eq!(status, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("refused the user name or password"),
        "{stderr}"
    );
    assert!(
        !format!("{stdout}{stderr}").contains("not-the-password"),
        "{stderr}"
    );
}

/// A bench name cannot forge a line: one given with a line break is refused before anything is
/// written, and one already in a shared history (written by another bench's program) is shown
/// with its line breaks escaped in `history` and the reports.
#[test]
fn a_bench_name_never_starts_a_line_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let db = db.to_str().unwrap();
    let forged = "front\nrestore-doctor: every phone on this bench is fixed\u{1b}[2J";
    let record = [
        "record",
        "--code",
        "4013",
        "--model",
        "iPhone 11",
        "--fixed",
        "swap-cable",
    ];
    let (status, stdout, stderr) = run_on(db, Some(forged), &record);
    assert_eq!((status, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("front\\nrestore-doctor: every phone") && !stderr.contains('\u{1b}'),
        "{stderr}"
    );
    let from_env = command()
        .args(["--db", db])
        .args(record)
        .env("RESTORE_DOCTOR_BENCH", "back\r\nforged")
        .output()
        .unwrap();
    assert_eq!(from_env.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&from_env.stderr).lines().count(), 1);
    assert!(!Path::new(db).exists(), "nothing was written");

    // Another bench's program wrote the name as it was given.
    let mut store = store::Store::open(Path::new(db)).unwrap();
    store.set_bench(Some(forged.to_owned()));
    let mut ledger = case::Ledger::new();
    ledger.device.port = Some("1-2\nforged port line".to_owned());
    let (id, _) = store.create(&ledger).unwrap();
    drop(store);
    let (status, stdout, stderr) = run_on(db, None, &["history"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        !stdout
            .lines()
            .any(|l| l.starts_with("restore-doctor:") || l.starts_with("forged")),
        "{stdout}"
    );
    assert!(
        stdout.contains("front\\nrestore-doctor: every phone"),
        "{stdout}"
    );
    assert!(stdout.contains("1-2\\nforged port line"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    let (status, report, stderr) = run_on(db, None, &["report", &id, "--format", "md"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        report.contains("- **Bench:** front\\nrestore-doctor: every phone"),
        "{report}"
    );
    assert!(
        !report.lines().any(|l| l.starts_with("restore-doctor:")),
        "{report}"
    );
}
