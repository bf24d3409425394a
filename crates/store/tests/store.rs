//! The case store: cases and their history, privacy of the ECID, refusal of foreign or newer
//! files, crash safety under SIGKILL, and two writers at once. What does not depend on SQLite
//! files runs on both backends: SQLite, and a private PostgreSQL server when one is installed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use case::{CauseShare, Ledger, Subject, Verdict};
use jiff::Timestamp;
use kb::{CaseStatus, EventKind, EvidenceSource, Phase, StepKind, StepOutcome};
use store::{Filter, Location, Saved, Store, StoreError};

fn writer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_case-writer"))
}

/// Where a test makes its fresh, empty histories: SQLite files in a temporary folder, or new
/// databases on a private PostgreSQL server.
enum Place {
    Files(tempfile::TempDir),
    #[cfg(feature = "postgres")]
    Server(pgserver::Server),
}

impl Place {
    fn sqlite() -> Place {
        Place::Files(tempfile::tempdir().unwrap())
    }

    #[cfg(feature = "postgres")]
    fn postgres() -> Option<Place> {
        pgserver::Server::for_test().map(Place::Server)
    }

    fn fresh(&self, name: &str) -> Location {
        match self {
            Place::Files(dir) => Location::File(dir.path().join(format!("{name}.sqlite"))),
            #[cfg(feature = "postgres")]
            Place::Server(server) => Location::parse(&server.create_database(name).unwrap()),
        }
    }

    /// The location as the case-writer program takes it.
    fn arg(location: &Location) -> String {
        match location {
            Location::File(path) => path.display().to_string(),
            Location::Postgres(url) => url.clone(),
        }
    }
}

fn iphone_7_case(ecid: u64, code: &str, port: &str) -> Ledger {
    let mut ledger = Ledger::new();
    ledger.device.ecid = Some(ecid);
    ledger.device.port = Some(port.into());
    ledger.add(Subject::Model, "iPhone9,3", EvidenceSource::Usb);
    ledger.add(Subject::Code, code, EvidenceSource::Person);
    ledger
}

#[test]
fn a_case_keeps_everything_that_happened() {
    case_keeps_everything(&Place::sqlite());
}

fn case_keeps_everything(place: &Place) {
    let mut s = Store::open(place.fresh("cases")).unwrap();
    let mut ledger = iphone_7_case(0x001A_2B3C_4D5E_6F70, "4013", "1-2");
    ledger.device.hubs = Some(1);
    let (id, mut saved) = s.create(&ledger).unwrap();
    ledger.add(
        Subject::answer("voice-memos-greyed"),
        "yes",
        EvidenceSource::Person,
    );
    ledger.add(Subject::answer("hub-in-path"), "yes", EvidenceSource::Log);
    ledger.step("swap-cable", StepKind::Action, StepOutcome::Failed);
    ledger.event(
        EventKind::Drop,
        Some("1-2".into()),
        Some(Phase::RestoreOs),
        "lost in restore mode",
    );
    ledger.finish(
        CaseStatus::NeedsRepair,
        None,
        Some(Verdict {
            causes: vec![CauseShare {
                id: "audio-ic".into(),
                probability: 0.8,
            }],
            expected_cost_minutes: Some(30.0),
            note: None,
        }),
    );
    s.save(&id, &ledger, &mut saved).unwrap();
    // Saving again adds nothing twice.
    s.save(&id, &ledger, &mut saved).unwrap();
    let case = s.case(&id).unwrap();
    assert_eq!(case.ledger.status(), CaseStatus::NeedsRepair);
    assert_eq!(case.ledger.code(), Some(4013));
    assert_eq!(case.ledger.product_type(), Some("iPhone9,3"));
    assert_eq!(case.ledger.entries().len(), 4);
    assert_eq!(case.ledger.entries()[3].source, EvidenceSource::Log);
    assert_eq!(case.ledger.steps()[0].outcome, StepOutcome::Failed);
    assert_eq!(case.ledger.events()[0].phase, Some(Phase::RestoreOs));
    assert_eq!(case.ledger.verdict().unwrap().causes[0].id, "audio-ic");
    assert_eq!(
        (case.ledger.device.port.as_deref(), case.ledger.device.hubs),
        (Some("1-2"), Some(1))
    );
    assert_eq!(
        case.ledger.device.ecid, None,
        "the ECID itself is not stored without opting in"
    );
    assert_eq!(case.device_key, Some(s.device_key(0x001A_2B3C_4D5E_6F70)));
    let mut kept = Ledger::new();
    kept.device.ecid = Some(0x1234);
    kept.device.keep_ecid = true;
    let (kept, _) = s.create(&kept).unwrap();
    assert_eq!(s.case(&kept).unwrap().ledger.device.ecid, Some(0x1234));
    assert!(matches!(s.case("CNOPE"), Err(StoreError::NoCase(_))));
    assert!(matches!(
        s.save("CNOPE", &ledger, &mut Saved::default()),
        Err(StoreError::NoCase(_))
    ));
}

#[test]
fn a_case_is_found_by_a_unique_prefix_and_can_be_deleted_or_pruned() {
    prefix_delete_prune(&Place::sqlite());
}

fn prefix_delete_prune(place: &Place) {
    let mut s = Store::open(place.fresh("prefix")).unwrap();
    let ids: Vec<String> = (0..3)
        .map(|i| {
            // Times are kept to the millisecond: "latest" is only defined across them.
            std::thread::sleep(Duration::from_millis(2));
            s.create(&iphone_7_case(0x1000 + i, "4013", "1-1"))
                .unwrap()
                .0
        })
        .collect();
    let first = &ids[0];
    let prefix = (3..first.len())
        .map(|n| &first[..n])
        .find(|p| ids.iter().filter(|i| i.starts_with(p)).count() == 1)
        .unwrap();
    assert_eq!(&s.case(prefix).unwrap().id, first);
    assert_eq!(&s.case(&first.to_lowercase()).unwrap().id, first);
    assert!(matches!(s.case("C"), Err(StoreError::Ambiguous { .. })));
    assert_eq!(s.latest().unwrap().unwrap().id, ids[2]);
    assert_eq!(&s.delete(first).unwrap(), first);
    assert!(matches!(s.case(first), Err(StoreError::NoCase(_))));
    assert_eq!(s.count().unwrap(), 2);
    assert_eq!(
        s.prune(Timestamp::now() - jiff::SignedDuration::from_hours(1))
            .unwrap(),
        0
    );
    assert_eq!(
        s.prune(Timestamp::now() + jiff::SignedDuration::from_secs(1))
            .unwrap(),
        2
    );
    assert_eq!(s.count().unwrap(), 0);
    assert!(s.latest().unwrap().is_none());
}

#[test]
fn history_filters_by_device_code_date_and_port() {
    history_filters(&Place::sqlite());
}

fn history_filters(place: &Place) {
    let mut s = Store::open(place.fresh("history")).unwrap();
    let (a, _) = s
        .create(&iphone_7_case(0xAAAA_0000_0001, "4013", "1-1"))
        .unwrap();
    let mut twelve = iphone_7_case(0xBBBB_0000_0002, "3194", "1-2");
    twelve.add(Subject::Model, "iPhone13,2", EvidenceSource::Usb);
    twelve.event(EventKind::Drop, Some("1-2".into()), None, "dropped");
    let (b, _) = s.create(&twelve).unwrap();
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
            device: Some("iphone13,2".into()),
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
            port: Some("1-1".into()),
            ..Default::default()
        }),
        vec![a.clone()]
    );
    assert_eq!(
        ids(Filter {
            since: Some("2999-01-01T00:00:00Z".parse().unwrap()),
            ..Default::default()
        }),
        Vec::<String>::new()
    );
    assert_eq!(ids(Filter::default()).len(), 2);
    let ports = s.ports(None).unwrap();
    assert_eq!(ports.iter().find(|p| p.port == "1-2").unwrap().drops, 1);
    let later = s
        .ports(Some("2999-01-01T00:00:00Z".parse().unwrap()))
        .unwrap();
    assert!(later.is_empty(), "only cases since then count: {later:?}");
    // The salt makes hashes differ between databases: a hash means nothing elsewhere.
    let other = Store::open(place.fresh("other")).unwrap();
    assert_ne!(
        other.device_key(0xAAAA_0000_0001),
        s.device_key(0xAAAA_0000_0001)
    );
}

/// A database written by the first release (schema 1, made by its own binary in real
/// sessions and committed as a fixture) opens, migrates and keeps every case.
#[test]
fn a_database_from_the_first_release_migrates_and_keeps_every_case() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/schema-v1.sqlite"
        ),
        &path,
    )
    .unwrap();
    let before: Vec<(String, Option<i64>, String)> = {
        let conn = rusqlite_connection(&path);
        let mut q = conn
            .prepare("SELECT id, code, status FROM cases ORDER BY id")
            .unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(before.len() >= 8, "the fixture holds real cases");
    let read_only = Store::open_read_only(&path).err().expect("needs migrating");
    assert!(
        matches!(read_only, StoreError::NeedsMigration { .. }),
        "{read_only}"
    );
    let s = Store::open(&path).unwrap();
    assert_eq!(s.integrity_check().unwrap(), "ok");
    assert_eq!(s.count().unwrap() as usize, before.len());
    for (id, code, status) in &before {
        let case = s.case(id).unwrap();
        assert_eq!(case.ledger.code(), *code, "{id}");
        assert_eq!(case.ledger.status().id(), status, "{id}");
        for entry in case.ledger.entries() {
            assert_ne!(entry.value, "", "{id}: {entry:?}");
        }
    }
    let repaired = s
        .history(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|c| {
            c.ledger
                .verdict()
                .is_some_and(|v| v.causes[0].id == "audio-ic")
        })
        .expect("the repair verdict survives");
    assert!(
        repaired
            .ledger
            .answers()
            .iter()
            .any(|e| e.subject == Subject::answer("voice-memos-greyed")
                && e.source == EvidenceSource::Person)
    );
    drop(s);
    // Once migrated, a reader can open it without writing.
    assert_eq!(
        Store::open_read_only(&path).unwrap().count().unwrap() as usize,
        before.len()
    );
}

#[test]
fn a_foreign_sqlite_file_is_refused_and_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photos.sqlite");
    {
        let conn = rusqlite_connection(&path);
        conn.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('beach');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("not Restore Doctor's"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is unchanged"
    );
    assert!(
        !dir.path().join("photos.sqlite-wal").exists(),
        "not switched to WAL"
    );
}

#[test]
fn a_damaged_database_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    {
        let mut s = Store::open(&path).unwrap();
        for i in 0..200 {
            s.create(&iphone_7_case(i, "4013", "1-1")).unwrap();
        }
    }
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192);
    // Keep the header page; overwrite the pages after it.
    for b in &mut bytes[4096..] {
        *b = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path)
        .and_then(|s| s.history(&Filter::default()).map(|_| ()))
        .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("damaged"), "{text}");
    // SQLite's own error is kept as the source, not only its words.
    let source = std::error::Error::source(&err).expect("the source is kept");
    assert!(text.contains(&source.to_string()), "{text} / {source}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    let junk: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, &junk).unwrap();
    let err = Store::open(&path).err().expect("refused").to_string();
    assert!(err.contains("not a database file"), "{err}");
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
    let place = Place::sqlite();
    let location = place.fresh("crash");
    sigkill_loses_nothing(&location);
    let s = Store::open(&location).unwrap();
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

/// Kills writers of `location` at varying points; every committed case must be there, whole.
fn sigkill_loses_nothing(location: &Location) {
    let path = Place::arg(location);
    let runs = 40;
    let mut committed = Vec::new();
    for run in 0..runs {
        let mut child = writer()
            .args([path.as_str(), "cases", "100000"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, said) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        // The kill lands 0 to ~380 ms after the writer's first commit (however long a busy
        // machine takes to get it there), a different point each run.
        let first = said
            .recv_timeout(Duration::from_secs(120))
            .expect("the writer commits a case");
        std::thread::sleep(Duration::from_millis((run * 37 % 380) as u64));
        child.kill().unwrap();
        let _ = child.wait();
        reader.join().unwrap();
        for line in std::iter::once(first).chain(said.try_iter()) {
            if let Some(id) = line.strip_prefix("committed ") {
                committed.push(id.to_owned());
            }
        }
    }
    let s = Store::open(location).unwrap();
    let mut lost = 0;
    for id in &committed {
        match s.case(id) {
            Ok(case)
                if case.ledger.status() == CaseStatus::NeedsRepair
                    && case.ledger.entries().len() == 4
                    && case.ledger.steps().len() == 1
                    && case.ledger.events().len() == 1 => {}
            _ => lost += 1,
        }
    }
    println!(
        "crash test on {location}: {runs} runs, {runs} kills, {} committed cases, {lost} lost, {} cases stored",
        committed.len(),
        s.count().unwrap()
    );
    assert!(committed.len() >= runs, "the writer got some work done");
    assert_eq!(lost, 0);
}

#[test]
fn two_writers_at_once_lose_no_update() {
    two_writers(&Place::sqlite());
}

fn two_writers(place: &Place) {
    let location = place.fresh("busy");
    let path = Place::arg(&location);
    let mut s = Store::open(&location).unwrap();
    let (id, _) = s.create(&Ledger::new()).unwrap();
    drop(s);
    let per_writer = 300;
    let children: Vec<_> = (0..2)
        .map(|_| {
            writer()
                .args([path.as_str(), "steps", &id, &per_writer.to_string()])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let s = Store::open(&location).unwrap();
    let case = s.case(&id).unwrap();
    let steps = case.ledger.steps();
    assert_eq!(steps.len(), 2 * per_writer);
    let mut names: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 2 * per_writer);
}

#[test]
fn benches_are_told_apart_and_outcomes_counted() {
    benches_and_outcomes(&Place::sqlite());
}

/// Cases from two benches: filtered and summed per bench, the same port on two benches kept
/// apart, and the finished cases' steps counted per code, model and action.
fn benches_and_outcomes(place: &Place) {
    let location = place.fresh("benches");
    let mut front = Store::open(&location).unwrap();
    front.set_bench(Some("front".into()));
    let mut back = Store::open(&location).unwrap();
    back.set_bench(Some("back".into()));
    for (on_front, fixed_by, drop) in [
        (true, "change-port", true),
        (true, "change-port", false),
        (false, "swap-cable", false),
    ] {
        let store = if on_front { &mut front } else { &mut back };
        let mut ledger = iphone_7_case(0x5000, "4013", "1-2");
        ledger.step("swap-cable", StepKind::Action, StepOutcome::Failed);
        if drop {
            ledger.event(EventKind::Drop, Some("1-2".into()), None, "dropped");
        }
        ledger.step(fixed_by, StepKind::Action, StepOutcome::Fixed);
        ledger.finish(CaseStatus::Fixed, Some(fixed_by.into()), None);
        store.create(&ledger).unwrap();
    }
    // An open case teaches nothing yet.
    let mut open = iphone_7_case(0x5001, "4013", "1-3");
    open.step("change-port", StepKind::Action, StepOutcome::Failed);
    back.create(&open).unwrap();

    let only = |bench: &str| {
        front
            .history(&Filter {
                bench: Some(bench.into()),
                ..Default::default()
            })
            .unwrap()
    };
    assert_eq!(only("front").len(), 2);
    assert_eq!(only("back").len(), 2);
    assert!(
        only("back")
            .iter()
            .all(|c| c.bench.as_deref() == Some("back"))
    );
    let ports = front.ports(None).unwrap();
    let port = |bench: &str, port: &str| {
        ports
            .iter()
            .find(|p| p.bench.as_deref() == Some(bench) && p.port == port)
            .unwrap_or_else(|| panic!("{bench} {port} in {ports:?}"))
            .clone()
    };
    assert_eq!(
        (port("front", "1-2").cases, port("front", "1-2").drops),
        (2, 1)
    );
    assert_eq!(
        (port("back", "1-2").cases, port("back", "1-2").drops),
        (1, 0)
    );
    let benches = front.benches(None).unwrap();
    let bench = |name: &str| {
        benches
            .iter()
            .find(|b| b.bench.as_deref() == Some(name))
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            bench("front").cases,
            bench("front").fixed,
            bench("front").drops
        ),
        (2, 2, 1)
    );
    assert_eq!((bench("back").cases, bench("back").fixed), (2, 1));
    let finished = front.finished_cases(100).unwrap();
    assert_eq!(
        finished.len(),
        3,
        "the open case is not finished: {finished:?}"
    );
    let fixed_by_port = finished
        .iter()
        .filter(|c| c.actions.last() == Some(&("change-port".to_owned(), StepOutcome::Fixed)))
        .count();
    assert_eq!(fixed_by_port, 2);
    for case in &finished {
        assert_eq!(
            (case.code, case.product_type.as_deref()),
            (Some(4013), Some("iPhone9,3"))
        );
        assert_eq!(
            case.actions[0],
            ("swap-cable".to_owned(), StepOutcome::Failed),
            "in order"
        );
    }
    assert_eq!(front.finished_cases(1).unwrap().len(), 1, "the limit holds");
}

#[cfg(feature = "postgres")]
/// The same suite on PostgreSQL, one database per part on one private server.
#[test]
fn the_shared_suite_on_postgresql() {
    let Some(place) = Place::postgres() else {
        return;
    };
    case_keeps_everything(&place);
    prefix_delete_prune(&place);
    history_filters(&place);
    benches_and_outcomes(&place);
    two_writers(&place);
}

#[cfg(feature = "postgres")]
#[test]
fn sigkill_on_postgresql_loses_no_committed_case() {
    let Some(place) = Place::postgres() else {
        return;
    };
    sigkill_loses_nothing(&place.fresh("crash"));
}

#[cfg(feature = "postgres")]
/// Bad places on a real server: nothing reached, a wrong password, no such database, a
/// database of another program or of a newer release. Clear errors, passwords never shown,
/// nothing written.
#[test]
fn bad_postgresql_places_are_clear_errors_and_nothing_is_written() {
    let Some(server) = pgserver::Server::for_test() else {
        return;
    };
    let error = |url: &str| match Store::open(Location::parse(url)) {
        Ok(_) => panic!("{url} opened"),
        Err(e) => e.to_string(),
    };
    let down = error("postgres://postgres:hunter2@127.0.0.1:1/cases");
    assert!(down.contains("cannot be reached"), "{down}");
    let wrong = error(&format!(
        "postgres://postgres:hunter2@127.0.0.1:{}/postgres",
        server.port()
    ));
    assert!(
        wrong.contains("refused the user name or password"),
        "{wrong}"
    );
    for message in [&down, &wrong] {
        assert!(
            !message.contains("hunter2"),
            "the password is never shown: {message}"
        );
        assert!(message.contains("postgres:***@"), "{message}");
    }
    let missing = error(&server.url("no_such_db"));
    assert!(missing.contains("no such database"), "{missing}");

    let foreign = server.create_database("foreign").unwrap();
    let mut raw = postgres::Client::connect(&foreign, postgres::NoTls).unwrap();
    raw.batch_execute("CREATE TABLE invoices (id TEXT)")
        .unwrap();
    assert!(matches!(
        Store::open(Location::parse(&foreign)),
        Err(StoreError::Foreign { .. })
    ));
    let tables = |raw: &mut postgres::Client| -> i64 {
        raw.query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0)
    };
    assert_eq!(tables(&mut raw), 1, "nothing was created");

    let newer = server.create_database("newer").unwrap();
    drop(Store::open(Location::parse(&newer)).unwrap());
    let mut raw = postgres::Client::connect(&newer, postgres::NoTls).unwrap();
    raw.batch_execute("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')")
        .unwrap();
    assert!(matches!(
        Store::open(Location::parse(&newer)),
        Err(StoreError::NewerVersion { found: 99, .. })
    ));
    let versions: i64 = raw
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        versions,
        store::SCHEMA_VERSION + 1,
        "not migrated down or touched"
    );
}

/// A build without the `postgres` feature refuses a PostgreSQL address in one clear line,
/// never echoes its password and makes no file of that name.
#[cfg(not(feature = "postgres"))]
#[test]
fn a_build_without_postgresql_refuses_a_server_address_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let before: Vec<_> = std::fs::read_dir(".").unwrap().collect();
    for url in [
        "postgres://shop:hunter2@db.local/cases",
        "host=db.local user=shop password=hunter2 dbname=cases",
    ] {
        let message = match Store::open(Location::parse(url)) {
            Ok(_) => panic!("{url} opened"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains("no PostgreSQL support"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!message.contains('\n'), "{message}");
        assert!(Store::open_read_only(Location::parse(url)).is_err());
    }
    let after: Vec<_> = std::fs::read_dir(".").unwrap().collect();
    assert_eq!(before.len(), after.len(), "no file was made");
    drop(dir);
}
