//! `exit-recovery`: a stand-in irecovery (Debian's 1.0.0 lines and exit statuses) tells the
//! emulated phone to start iOS, and the bench turns it into a normal-mode phone (or back into
//! recovery mode, or nothing); DFU mode, no phone, an unknown ECID and a failing or stopped
//! irecovery are said in words with their exit codes.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::harness::{Run, command, run, sysfs_device};
use crate::live_usb::{Bench, Setup, flat};

fn stand_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/irecovery/irecovery")
}

/// The arguments irecovery was run with, one list per run.
/// The arguments irecovery was run with to act on a phone (its `-V` left out), one list a run.
fn runs_of(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Vec<String>>(l).unwrap())
        .filter(|args| args != &["-V"])
        .collect()
}

/// A bench with the root hub and `devices`, running `exit-recovery ARGS` with the stand-in
/// irecovery and a case history of its own.
struct Told {
    dir: tempfile::TempDir,
}

impl Told {
    fn new() -> Told {
        Told {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> String {
        self.dir.path().join("cases.sqlite").display().to_string()
    }

    fn ran(&self) -> PathBuf {
        self.dir.path().join("irecovery-runs")
    }

    fn on_bench(&self, devices: &[&str], boots: &[&str], args: &[&str]) -> Option<Run> {
        let ran = self.ran().display().to_string();
        let db = self.db();
        let irecovery = stand_in().display().to_string();
        let mut all = vec!["--db", &db, "exit-recovery", "--irecovery", &irecovery];
        all.extend_from_slice(args);
        let env = [("IRECOVERY_STANDIN_RAN", ran.as_str())];
        let setup = Setup {
            boots,
            env: &env,
            ..Setup::devices(devices)
        };
        Some(Bench::start(&setup, &all)?.finish())
    }

    fn report(&self, case: &str) -> Value {
        run(&["--db", &self.db(), "report", case, "--format", "json"])
            .success()
            .json()
    }
}

const ROOT: &str = "xhci-root-hub.umockdev";
const RECOVERY: &str = "recovery-iphone8-palera1n-17.umockdev";
const DFU: &str = "dfu-iphone6s-ipwndfu-168.umockdev";

#[test]
fn the_phone_in_recovery_mode_comes_back_in_ios_and_the_case_says_so() {
    let told = Told::new();
    let Some(out) = told.on_bench(
        &[ROOT, RECOVERY, DFU],
        &["1-3=normal-iphone8-palera1n-17.umockdev"],
        &[],
    ) else {
        return;
    };
    assert_eq!(out.status, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        flat(&out.stdout)
            .contains("tells the iPhone 8 (GSM) on port 1-3 (ECID 0x************EFAE)"),
        "{}",
        out.stdout
    );
    assert!(
        flat(&out.stdout).contains("the phone left USB"),
        "{}",
        out.stdout
    );
    assert!(
        flat(&out.stdout).contains("Back in iOS: the iPhone 8 (GSM) on port 1-3 started normally"),
        "{}",
        out.stdout
    );
    assert!(
        flat(&out.stdout).contains("The iPhone 6s on port 1-2 is in DFU mode and is left as it is"),
        "the DFU phone beside it is named and left alone: {}",
        out.stdout
    );
    assert_eq!(
        runs_of(&told.ran()),
        [["-i", "0x001838E00801EFAE", "-n"]],
        "one run, for the phone in recovery mode, its ECID typed into hex"
    );
    let case = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Case "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no case in {}", out.stdout));
    let report = told.report(case);
    let text = report.to_string();
    assert!(text.contains("exit-recovery-mode"), "{report:#}");
    assert_eq!(report["status"], "fixed", "{report:#}");
}

#[test]
fn a_phone_back_in_recovery_mode_gets_the_update_next_and_exit_1() {
    let told = Told::new();
    let Some(out) = told.on_bench(&[ROOT, RECOVERY], &["1-3=same"], &["--json"]) else {
        return;
    };
    assert_eq!(out.status, 1, "{}\n{}", out.stdout, out.stderr);
    let json = out.json();
    let phone = &json["phones"][0];
    assert_eq!(phone["outcome"], "recovery", "{json:#}");
    assert_eq!(phone["mode"], "recovery");
    assert_eq!(phone["port"], "1-3");
    assert_eq!(phone["ecid"], "0x************EFAE", "masked by default");
    assert_eq!(phone["tool"]["status"], 0);
    assert_eq!(phone["tool"]["version"], "1.0.0");
    assert_eq!(
        phone["next_step"]["id"], "try-update-instead",
        "the next step that keeps data: {json:#}"
    );
    let case = phone["case"].as_str().unwrap();
    let report = told.report(case).to_string();
    assert!(report.contains("exit-recovery-mode"), "{report}");
}

#[test]
fn a_phone_that_never_comes_back_is_said_after_the_wait() {
    let told = Told::new();
    let Some(out) = told.on_bench(&[ROOT, RECOVERY], &["1-3=never"], &["--wait", "2"]) else {
        return;
    };
    assert_eq!(out.status, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        flat(&out.stdout).contains("left USB and was not back 2 s later")
            && flat(&out.stdout).contains("Look at its screen"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_phone_in_dfu_mode_is_refused_with_the_button_way_and_irecovery_is_not_run() {
    let told = Told::new();
    let Some(out) = told.on_bench(&[ROOT, DFU], &[], &[]) else {
        return;
    };
    assert_eq!(out.status, 2, "{}\n{}", out.stdout, out.stderr);
    for words in [
        "The iPhone 6s on port 1-2 is in DFU mode (a black screen)",
        "cannot be sent out by a command",
        "Hold the Home button and the Side (or Top) button together until the Apple logo appears.",
    ] {
        assert!(flat(&out.stdout).contains(words), "{words}: {}", out.stdout);
    }
    assert!(runs_of(&told.ran()).is_empty(), "irecovery was run");
    let Some(out) = told.on_bench(&[ROOT, DFU], &[], &["--json"]) else {
        return;
    };
    assert_eq!(out.status, 2);
    let json = out.json();
    assert_eq!(json["refused"]["reason"], "dfu-mode");
    assert_eq!(json["refused"]["devices"][0]["product_type"], "iPhone8,1");
}

/// A sysfs tree with the iPhone 8 in recovery mode on 1-3 (the bench's phone, as files).
fn recovery_tree() -> tempfile::TempDir {
    let tree = tempfile::tempdir().unwrap();
    sysfs_device(
        tree.path(),
        "1-3",
        &[
            ("idVendor", "05ac"),
            ("idProduct", "1281"),
            ("speed", "480"),
            (
                "serial",
                "SDOM:01 CPID:8015 CPRV:11 CPFM:03 SCEP:01 BDID:0A ECID:001838E00801EFAE IBFL:3C",
            ),
        ],
    );
    tree
}

fn exit_recovery_on(tree: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let irecovery = stand_in().display().to_string();
    let root = tree.display().to_string();
    let mut all = vec![
        "exit-recovery",
        "--no-save",
        "--sysfs-root",
        &root,
        "--irecovery",
        &irecovery,
    ];
    all.extend_from_slice(args);
    let mut env = env.to_vec();
    env.push(("IRECOVERY_STANDIN_SYSFS", &root));
    crate::harness::run_with(&all, &env)
}

#[test]
fn no_phone_is_nothing_to_do() {
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tree.path().join("bus/usb/devices")).unwrap();
    let out = exit_recovery_on(tree.path(), &[], &[]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(
        flat(&out.stdout).contains("No iPhone or iPad is on USB"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unknown_ecid_lists_the_phones_there_are() {
    let tree = recovery_tree();
    let out = exit_recovery_on(tree.path(), &["--ecid", "0x1A2B3C4D5E6F70"], &[]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("No phone with ECID 0x************6F70 is on USB")
            && flat(&out.stdout).contains(
                "- the iPhone 8 (GSM) on port 1-3, recovery mode, ECID 0x************EFAE"
            ),
        "{}",
        out.stdout
    );
}

#[test]
fn an_ecid_that_is_not_one_never_reaches_irecovery() {
    let tree = recovery_tree();
    let log = tree.path().join("runs");
    let log_text = log.display().to_string();
    for bad in ["--normal", "0x12zz", "0", "-1", "0x00000000000000000"] {
        let out = exit_recovery_on(
            tree.path(),
            &[&format!("--ecid={bad}")],
            &[("IRECOVERY_STANDIN_RAN", &log_text)],
        );
        assert_eq!(out.status, 2, "{bad}: {}", out.stderr);
        assert!(
            out.stderr.contains("is not an ECID"),
            "{bad}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"));
    }
    assert!(runs_of(&log).is_empty());
}

#[test]
fn a_missing_irecovery_is_one_sentence_with_the_next_step() {
    let tree = recovery_tree();
    let out = run(&[
        "exit-recovery",
        "--no-save",
        "--sysfs-root",
        tree.path().to_str().unwrap(),
        "--irecovery",
        "/nonexistent/irecovery",
    ]);
    let line = out.usage_error();
    assert!(line.contains("could not be started"), "{line}");
    let empty = tempfile::tempdir().unwrap();
    let out = crate::harness::run_with(
        &[
            "exit-recovery",
            "--no-save",
            "--sysfs-root",
            tree.path().to_str().unwrap(),
        ],
        &[("PATH", empty.path().to_str().unwrap())],
    );
    let line = out.usage_error();
    assert!(
        line.contains("irecovery was not found on PATH") && line.contains("apt install irecovery"),
        "{line}"
    );
}

#[test]
fn irecovery_that_cannot_reach_the_phone_is_said_with_its_own_words() {
    let tree = recovery_tree();
    let out = exit_recovery_on(
        tree.path(),
        &[],
        &[("IRECOVERY_STANDIN_FAULT", "no-connect")],
    );
    assert_eq!(out.status, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        flat(&out.stdout)
            .contains("irecovery did not reach the iPhone 8 (GSM) on port 1-3 (exit status 255: ERROR: Unable to connect to device)")
            && flat(&out.stdout).contains("Another program may hold the phone"),
        "{}",
        out.stdout
    );
}

#[test]
fn ctrl_c_ends_a_hanging_irecovery_and_everything_it_started() {
    let tree = recovery_tree();
    let pids = tree.path().join("pids");
    let root = tree.path().display().to_string();
    let child = command()
        .args([
            "exit-recovery",
            "--no-save",
            "--sysfs-root",
            &root,
            "--irecovery",
            stand_in().to_str().unwrap(),
        ])
        .env("IRECOVERY_STANDIN_SYSFS", &root)
        .env("IRECOVERY_STANDIN_FAULT", "hang")
        .env("IRECOVERY_STANDIN_PIDS", &pids)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !pids.exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the stand-in never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Stopped"), "{stdout}");
    for pid in std::fs::read_to_string(&pids).unwrap().lines() {
        let gone = || !Path::new(&format!("/proc/{pid}")).exists() || zombie(pid);
        let until = std::time::Instant::now();
        while !gone() {
            assert!(
                until.elapsed() < std::time::Duration::from_secs(30),
                "process {pid} of irecovery's group still runs"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// A process that ended and waits for its parent to read its status.
fn zombie(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')))
}

#[test]
fn the_session_offers_to_send_the_command_and_sees_the_phone_start_ios() {
    let irecovery_dir = stand_in().parent().unwrap().display().to_string();
    let path = format!(
        "{irecovery_dir}:{}",
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cases.sqlite").display().to_string();
    let env = [("PATH", path.as_str())];
    let setup = Setup {
        boots: &["1-3=normal-iphone8-palera1n-17.umockdev"],
        env: &env,
        typing: true,
        ..Setup::devices(&[ROOT, RECOVERY])
    };
    // What a person who lost the phone to a failed update knows; the rest is asked.
    let Some(mut bench) = Bench::start(
        &setup,
        &[
            "--db",
            &db,
            "diagnose",
            "--code",
            "4013",
            "--observe",
            "backup-available=no",
            "--observe",
            "mode-entered-by=failed-update",
        ],
    ) else {
        return;
    };
    let offer = "I can send the command to the iPhone 8 (GSM) on port 1-3 for you";
    // Every time the session waits for an answer its last line is the cue `> `: questions get
    // "I don't know", anything else Enter, until the step comes with its offer.
    let cues = |t: &str| t.split('\n').filter(|l| l.starts_with("> ")).count();
    let (mut answered, mut seen) = (0, 0);
    loop {
        let text = bench
            .stdout
            .wait_for("the session waiting for an answer", |t| cues(t) > answered);
        let block = flat(&text[seen..]);
        seen = text.len();
        answered += 1;
        if block.contains(offer) {
            bench.type_line("1");
            break;
        }
        assert!(answered < 15, "the step never came: {text}");
        assert!(
            !block.contains("How did it go?"),
            "another step came first: {text}"
        );
        bench.type_line(if block.contains("Your answer:") {
            "unknown"
        } else {
            ""
        });
    }
    let out = bench.finish();
    assert_eq!(out.status, 0, "{}\n{}", out.stdout, out.stderr);
    let all = flat(&out.stdout);
    let after = all.split(offer).nth(1).unwrap();
    assert!(
        after.contains("the phone left USB") && after.contains("✓ Back in iOS"),
        "{after}"
    );
    assert!(
        !after.contains("How did it go?"),
        "USB said how it went: {after}"
    );
    assert!(
        after.contains("Fixed: Tell the phone to leave recovery mode."),
        "{after}"
    );
    let case = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Case "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no case in {}", out.stdout));
    let report = run(&["--db", &db, "report", case, "--format", "json"])
        .success()
        .json()
        .to_string();
    assert!(
        report.contains("came back in normal mode"),
        "the event is in the case: {report}"
    );
}
