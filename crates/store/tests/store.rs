//! The case store: cases and their history, privacy of the ECID, refusal of foreign or newer
//! files, crash safety under SIGKILL, and two writers at once.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use store::{Filter, NewCase, Store, StoreError};

fn writer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_case-writer"))
}

#[test]
fn a_case_keeps_everything_that_happened() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("cases.sqlite")).unwrap();
    let id = s
        .create_case(&NewCase {
            ecid: Some(0x001A_2B3C_4D5E_6F70),
            code: Some(4013),
            port: Some("1-2".into()),
            ..Default::default()
        })
        .unwrap();
    s.set_device(&id, Some("iPhone9,3"), Some("iPhone 7"), None)
        .unwrap();
    s.add_evidence(
        &id,
        "observation",
        "voice-memos-greyed",
        Some("yes"),
        "person",
    )
    .unwrap();
    s.add_evidence(&id, "failed", "swap-cable", None, "person")
        .unwrap();
    s.add_step(&id, "swap-cable", "action", "failed").unwrap();
    s.add_event(
        &id,
        "drop",
        Some("1-2"),
        Some("restore-os"),
        "lost in restore mode",
    )
    .unwrap();
    s.finish(&id, "needs-repair", None, Some("{\"causes\":[]}"))
        .unwrap();
    let case = s.case(&id).unwrap();
    assert_eq!(case.status, "needs-repair");
    assert_eq!(
        (case.code, case.model.as_deref()),
        (Some(4013), Some("iPhone 7"))
    );
    assert_eq!(case.evidence.len(), 2);
    assert_eq!(case.steps[0].outcome, "failed");
    assert_eq!(case.events[0].phase.as_deref(), Some("restore-os"));
    assert_eq!(
        case.ecid, None,
        "the ECID itself is not stored without opting in"
    );
    assert_eq!(case.device_key, Some(s.device_key(0x001A_2B3C_4D5E_6F70)));
    let kept = s
        .create_case(&NewCase {
            ecid: Some(0x1234),
            keep_ecid: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        s.case(&kept).unwrap().ecid.as_deref(),
        Some("0x0000000000001234")
    );
    assert!(matches!(s.case("CNOPE"), Err(StoreError::NoCase(_))));
    assert!(matches!(
        s.add_step("CNOPE", "x", "action", "failed"),
        Err(StoreError::NoCase(_))
    ));
}

#[test]
fn history_filters_by_device_code_date_and_port() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("h.sqlite")).unwrap();
    let a = s
        .create_case(&NewCase {
            ecid: Some(0xAAAA_0000_0001),
            code: Some(4013),
            model: Some("iPhone 7".into()),
            port: Some("1-1".into()),
            ..Default::default()
        })
        .unwrap();
    let b = s
        .create_case(&NewCase {
            ecid: Some(0xBBBB_0000_0002),
            code: Some(3194),
            model: Some("iPhone 12".into()),
            port: Some("1-2".into()),
            ..Default::default()
        })
        .unwrap();
    s.add_event(&b, "drop", Some("1-2"), None, "dropped")
        .unwrap();
    let ids = |f: Filter| {
        s.history(&f)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(Filter {
            device: Some("0xAAAA00000001".into()),
            ..Default::default()
        }),
        vec![a.clone()]
    );
    assert_eq!(
        ids(Filter {
            device: Some("iphone 12".into()),
            ..Default::default()
        }),
        vec![b.clone()]
    );
    assert_eq!(
        ids(Filter {
            code: Some(3194),
            ..Default::default()
        }),
        vec![b.clone()]
    );
    assert_eq!(
        ids(Filter {
            since: Some("2999-01-01".into()),
            ..Default::default()
        }),
        Vec::<String>::new()
    );
    assert_eq!(ids(Filter::default()).len(), 2);
    let ports = s.ports().unwrap();
    assert_eq!(ports.iter().find(|p| p.port == "1-2").unwrap().drops, 1);
    // The salt makes hashes differ between databases: a hash means nothing elsewhere.
    let other = Store::open(&dir.path().join("other.sqlite")).unwrap();
    assert_ne!(
        other.device_key(0xAAAA_0000_0001),
        s.device_key(0xAAAA_0000_0001)
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    let junk: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, &junk).unwrap();
    let err = Store::open(&path).err().expect("refused").to_string();
    assert!(err.contains("not a Restore Doctor database"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), junk, "the file is unchanged");
}

#[test]
fn a_newer_schema_is_refused_and_not_migrated_down() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite_connection(&path);
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'future')",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(
        matches!(err, StoreError::NewerVersion { found: 99, .. }),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is unchanged"
    );
}

fn rusqlite_connection(path: &std::path::Path) -> store::rusqlite::Connection {
    store::rusqlite::Connection::open(path).unwrap()
}

/// Kills the writer with SIGKILL at varying points, many times; every case it reported as
/// committed must be there, complete, and the database must pass SQLite's integrity check.
#[test]
fn sigkill_at_random_points_loses_no_committed_case() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.sqlite");
    let runs = 40;
    let mut committed = Vec::new();
    for run in 0..runs {
        let mut child = writer()
            .args([path.to_str().unwrap(), "cases", "100000"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        // Vary the kill point: 20 ms to ~400 ms into the run.
        std::thread::sleep(Duration::from_millis(20 + (run * 37 % 380) as u64));
        child.kill().unwrap();
        let _ = child.wait();
        for line in reader.join().unwrap() {
            if let Some(id) = line.strip_prefix("committed ") {
                committed.push(id.to_owned());
            }
        }
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.integrity_check().unwrap(), "ok");
    let mut lost = 0;
    for id in &committed {
        match s.case(id) {
            Ok(case)
                if case.status == "needs-repair"
                    && case.evidence.len() == 2
                    && case.steps.len() == 1
                    && case.events.len() == 1 => {}
            _ => lost += 1,
        }
    }
    println!(
        "crash test: {runs} runs, {runs} kills, {} committed cases, {lost} lost, {} cases in the file",
        committed.len(),
        s.count().unwrap()
    );
    assert!(committed.len() > runs, "the writer got some work done");
    assert_eq!(lost, 0);
}

#[test]
fn two_writers_at_once_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.sqlite");
    let mut s = Store::open(&path).unwrap();
    let id = s.create_case(&NewCase::default()).unwrap();
    drop(s);
    let per_writer = 300;
    let children: Vec<_> = (0..2)
        .map(|_| {
            writer()
                .args([
                    path.to_str().unwrap(),
                    "steps",
                    &id,
                    &per_writer.to_string(),
                ])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let s = Store::open(&path).unwrap();
    let steps = s.case(&id).unwrap().steps;
    assert_eq!(steps.len(), 2 * per_writer);
    let mut names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 2 * per_writer);
}
