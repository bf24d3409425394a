//! The case history: a guided session saves its case step by step, `history` lists it,
//! `report` writes it as Markdown, HTML and JSON (identifiers masked), `--resume` continues it,
//! and the HTML report is checked in a real headless Chromium.

use crate::harness::{run_with, run_with_stdin};

fn db(dir: &tempfile::TempDir) -> String {
    dir.path().join("cases.sqlite").display().to_string()
}

/// A session on an iPhone 7 whose Voice Memos were greyed out: ends in a verdict.
fn repair_case(db: &str) -> String {
    let out = run_with_stdin(
        &[
            "--db",
            db,
            "diagnose",
            "--code",
            "4013",
            "--model",
            "iPhone9,3",
            "--observe",
            "voice-memos-greyed=yes",
        ],
        // Enter: nothing tried yet; Enter: no other sign known; then a backup exists and the
        // phone stopped starting by itself.
        b"\n\nyes\nby-itself\n",
    );
    assert_eq!(out.status, 1, "a repair verdict: {}", out.stdout);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("Case C"))
        .expect("the case id is shown");
    line.split_whitespace().nth(1).unwrap().to_owned()
}

#[test]
fn a_session_is_saved_listed_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let id = repair_case(&db);
    let history = run_with(&["--db", &db, "history", "--json"], &[]).json();
    let case = &history["cases"][0];
    assert_eq!(case["id"], id.as_str());
    assert_eq!(case["status"], "needs-repair");
    assert_eq!(case["code"], 4013);
    assert_eq!(case["verdict"]["causes"][0]["id"], "audio-ic");
    assert!(
        case["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "voice-memos-greyed" && e["value"] == "yes")
    );
    let filtered = run_with(&["--db", &db, "history", "--code", "3194", "--json"], &[]).json();
    assert!(filtered["cases"].as_array().unwrap().is_empty());
    let text = run_with(&["--db", &db, "history", "--device", "iPhone 7"], &[]);
    assert!(
        text.stdout.contains(&id) && text.prose().contains("top cause: Audio IC failure"),
        "{}",
        text.stdout
    );

    let md = run_with(&["--db", &db, "report", &id], &[]);
    md.success();
    assert!(
        md.stdout
            .starts_with(&format!("# Restore Doctor case {id}"))
    );
    assert!(
        md.stdout
            .contains("## What the repair shop should check first")
    );
    assert!(md.stdout.contains("Audio IC failure"));
    let json = run_with(&["--db", &db, "report", &id, "--format", "json"], &[]).json();
    assert!(
        json["device_key"].is_null(),
        "the device key is not shared by default"
    );
    assert_eq!(
        json["check_first"][0]["cause"],
        "Audio IC failure (iPhone 7 \"loop disease\")"
    );
    let missing = run_with(&["--db", &db, "report", "CNOPE"], &[]);
    assert_eq!(missing.status, 2);
    assert!(
        missing.stderr.contains("no case CNOPE"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_fixed_case_points_at_what_its_fix_fixed_not_at_the_board() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    run_with(
        &[
            "--db",
            &db,
            "record",
            "--code",
            "4013",
            "--model",
            "iPad7,5",
            "--failed",
            "swap-cable",
            "--fixed",
            "dfu-restore",
        ],
        &[],
    )
    .success();
    let report = run_with(&["--db", &db, "report", "--format", "json"], &[]).json();
    assert_eq!(report["status"], "fixed");
    let top = report["causes"][0]["id"].as_str().unwrap();
    assert!(
        ["firmware-state", "boot-firmware"].contains(&top),
        "a DFU restore fixed it, so the software it rewrites is on top: {}",
        report["causes"]
    );
    assert_eq!(report["check_first"], serde_json::json!([]));
    let md = run_with(&["--db", &db, "report"], &[]);
    md.success();
    assert!(
        !md.stdout
            .contains("What the repair shop should check first")
            && !md.stdout.contains("Logic board"),
        "{}",
        md.stdout
    );
    let history = run_with(&["--db", &db, "history"], &[]).prose();
    assert!(
        history.contains("top cause: Stuck or corrupt software state")
            || history.contains("top cause: Damaged low-level firmware"),
        "{history}"
    );
}

#[test]
fn a_stopped_session_can_be_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    // "failed" answers an action and is refused by a question, which then takes "unknown":
    // this input works whatever mix of questions and actions the planner offers.
    let first = run_with_stdin(
        &[
            "--db",
            &db,
            "diagnose",
            "--code",
            "4013",
            "--model",
            "iPhone 12",
        ],
        &[&b"\n\n"[..], &b"failed\nunknown\n".repeat(10)].concat(),
    );
    let id = first
        .stdout
        .lines()
        .find(|l| l.starts_with("Case C"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    let saved = run_with(&["--db", &db, "report", &id, "--format", "json"], &[]).json();
    assert_eq!(saved["status"], "open");
    let failed: Vec<&str> = saved["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "failed")
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(!failed.is_empty(), "{saved}");
    let second = run_with_stdin(&["--db", &db, "diagnose", "--resume", &id], b"q\n");
    assert!(
        second.stdout.contains(&format!("Case {id}")),
        "{}",
        second.stdout
    );
    assert!(
        !second.stdout.contains("Which iPhone or iPad")
            && !second.stdout.contains("What error number"),
        "model and code come from the case: {}",
        second.stdout
    );
    assert!(
        second
            .stdout
            .contains("4013: the phone lost its USB connection"),
        "the code is kept: {}",
        second.stdout
    );
    assert!(
        second.stdout.contains(&format!("diagnose --resume {id}")),
        "{}",
        second.stdout
    );
    let resumed = run_with(&["--db", &db, "report", &id, "--format", "json"], &[]).json();
    assert_eq!(
        resumed["evidence"], saved["evidence"],
        "resuming adds no answer twice"
    );
    assert_eq!(resumed["code"], 4013);
    let missing = run_with(&["--db", &db, "diagnose", "--resume", "CNOPE"], &[]);
    assert_eq!(missing.status, 2);
}

#[test]
fn no_save_leaves_the_history_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    run_with_stdin(
        &["--db", &db, "diagnose", "--code", "4013", "--no-save"],
        b"q\n",
    );
    let history = run_with(&["--db", &db, "history", "--json"], &[]).json();
    assert!(history["cases"].as_array().unwrap().is_empty());
}

#[test]
fn a_broken_database_is_a_clear_error_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    std::fs::write(
        &path,
        b"this is not sqlite at all, just text that someone saved here",
    )
    .unwrap();
    let out = run_with(&["--db", path.to_str().unwrap(), "history"], &[]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr.contains("is not a database file"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is not sqlite at all, just text that someone saved here"
    );
}

/// Renders the HTML report in Debian's headless Chromium, prints it to PDF, and checks from
/// Chromium's network log that the page requested nothing.
#[test]
fn the_html_report_renders_prints_and_stays_offline() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        if std::env::var("RESTORE_DOCTOR_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("chromium is required (RESTORE_DOCTOR_REQUIRE_PEERS=1) but not installed");
        }
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let id = repair_case(&db);
    let html = dir.path().join("case.html");
    run_with(
        &[
            "--db",
            &db,
            "report",
            &id,
            "--format",
            "html",
            "--output",
            html.to_str().unwrap(),
        ],
        &[],
    )
    .success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://") && !page.contains("<script"),
        "self-contained"
    );
    let profile = dir.path().join("profile");
    let pdf = dir.path().join("case.pdf");
    let url = format!("file://{}", html.display());
    let chrome = |extra: &[String]| {
        std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .output()
            .unwrap()
    };
    let netlog = dir.path().join("net.json");
    let dom = chrome(&[
        format!("--log-net-log={}", netlog.display()),
        "--dump-dom".into(),
        url.clone(),
    ]);
    let rendered = String::from_utf8_lossy(&dom.stdout);
    assert!(
        rendered.contains("What the repair shop should check first"),
        "rendered DOM: {rendered}"
    );
    let printed = chrome(&[format!("--print-to-pdf={}", pdf.display()), url.clone()]);
    let bytes = std::fs::read(&pdf)
        .unwrap_or_else(|e| panic!("no PDF ({e}): {}", String::from_utf8_lossy(&printed.stderr)));
    assert!(
        bytes.starts_with(b"%PDF") && bytes.len() > 5_000,
        "a real PDF"
    );
    // Requests a page makes carry its origin ("null" for a file); the browser's own
    // background traffic does not. A canary page with a remote image proves the check bites.
    let canary = dir.path().join("canary.html");
    std::fs::write(
        &canary,
        "<html><body><img src=\"https://example.invalid/x.png\">canary</body></html>",
    )
    .unwrap();
    let canary_log = dir.path().join("canary.json");
    chrome(&[
        format!("--log-net-log={}", canary_log.display()),
        "--dump-dom".into(),
        format!("file://{}", canary.display()),
    ]);
    assert!(
        !page_requests(&canary_log).is_empty(),
        "the network check must see a page's request"
    );
    assert_eq!(
        page_requests(&netlog),
        Vec::<String>::new(),
        "the report page made network requests"
    );
}

/// URLs requested by a page (not by the browser itself) in a Chromium net log.
fn page_requests(netlog: &std::path::Path) -> Vec<String> {
    let log = std::fs::read_to_string(netlog).unwrap_or_default();
    let mut urls = Vec::new();
    for (at, _) in log
        .match_indices("\"initiator\":\"null\"")
        .chain(log.match_indices("\"initiator\":\"file"))
    {
        let (mut from, mut to) = (at.saturating_sub(800), (at + 800).min(log.len()));
        while !log.is_char_boundary(from) {
            from -= 1;
        }
        while !log.is_char_boundary(to) {
            to += 1;
        }
        let window = &log[from..to];
        if let Some(start) = window.find("\"url\":\"") {
            let rest = &window[start + 7..];
            urls.push(rest[..rest.find('"').unwrap_or(rest.len())].to_owned());
        }
    }
    urls
}

#[test]
fn cases_can_be_reported_by_prefix_or_latest_deleted_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let first = repair_case(&db);
    let second = repair_case(&db);
    let latest = run_with(&["--db", &db, "report", "--format", "json"], &[]).json();
    assert_eq!(
        latest["id"],
        second.as_str(),
        "report alone gives the latest case"
    );
    let prefix = (3..first.len())
        .map(|n| &first[..n])
        .find(|p| !second.starts_with(p))
        .unwrap();
    let by_prefix = run_with(&["--db", &db, "report", prefix, "--format", "json"], &[]).json();
    assert_eq!(by_prefix["id"], first.as_str());
    let bad_date = run_with(&["--db", &db, "history", "--since", "2026-13-45"], &[]);
    assert!(bad_date.usage_error().contains("2026-13-45"));
    let deleted = run_with(&["--db", &db, "history", "--delete", &first], &[]);
    deleted.success();
    assert!(deleted.stdout.contains(&first));
    let gone = run_with(&["--db", &db, "report", &first], &[]);
    assert!(gone.usage_error().contains("no case"));
    run_with(
        &["--db", &db, "history", "--prune", "--before", "2000-01-01"],
        &[],
    )
    .success();
    let kept = run_with(&["--db", &db, "history", "--json"], &[]).json();
    assert_eq!(kept["cases"].as_array().unwrap().len(), 1);
    let pruned = run_with(
        &["--db", &db, "history", "--prune", "--before", "2999-01-01"],
        &[],
    );
    assert!(
        pruned.stdout.contains("Deleted 1 case(s)"),
        "{}",
        pruned.stdout
    );
    let empty = run_with(&["--db", &db, "history", "--json"], &[]).json();
    assert!(empty["cases"].as_array().unwrap().is_empty());
}

#[test]
fn reading_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    run_with(&["--db", &db, "history"], &[]).success();
    let report = run_with(&["--db", &db, "report"], &[]);
    assert!(report.usage_error().contains("no case history yet"));
    assert!(!std::path::Path::new(&db).exists());
}

/// A small tmpfs mounted for one test and unmounted after it; `None` (with the reason
/// printed) where this machine does not let the tests mount file systems.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "skipped: cannot mount a tmpfs here ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn remount(&self, how: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(self.dir.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {how}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_read_only_place_is_read_and_said_to_be_read_only_and_a_full_disk_is_named() {
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let db = fs.dir.path().join("cases.sqlite").display().to_string();
    let id = repair_case(&db);
    fs.remount("ro");
    let history = run_with(&["--db", &db, "history", "--json"], &[]);
    history.success();
    assert_eq!(history.json()["cases"][0]["id"], id.as_str());
    run_with(&["--db", &db, "report", &id], &[]).success();
    let session = run_with_stdin(&["--db", &db, "diagnose", "--code", "4013"], b"q\n");
    assert!(
        session.stderr.contains("read-only"),
        "a session says why it cannot save: {}",
        session.stderr
    );
    fs.remount("rw");
    std::fs::remove_file(&db).unwrap();
    // Fill the disk, then try to start a new history there.
    let filler = fs.dir.path().join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 2 << 20]);
    let full = run_with_stdin(
        &[
            "--db",
            &fs.dir.path().join("new.sqlite").display().to_string(),
            "diagnose",
            "--code",
            "4013",
        ],
        b"q\n",
    );
    assert!(full.stderr.contains("full"), "{}", full.stderr);
}
