//! `restore`: idevicerestore under supervision. Debian's idevicerestore with no phone, and a
//! stand-in that replays real idevicerestore transcripts line by line with their exit status.

use std::path::{Path, PathBuf};

use crate::harness::{command, peers_present, run_with};

/// A stand-in `idevicerestore`: answers `--version` like 1.0.0, and for each run records its
/// arguments, prints the lines of the transcript planned for the phone it was given (`-i`; the
/// plan "any" without it) one by one and exits with the transcript's status. The n-th run for a
/// phone replays the n-th transcript of its plan (the last one again when the plan runs out);
/// a phone with no plan is not there (idevicerestore's "Unable to discover device mode").
pub struct StandIn {
    dir: tempfile::TempDir,
}

impl StandIn {
    /// A stand-in that replays `transcript` for the one phone attached.
    pub fn new(transcript: &str) -> StandIn {
        StandIn::bench(&[("any", &[transcript])], 1, 0.0)
    }

    /// A stand-in for a bench: `plans` maps the ECID idevicerestore is given (`0x…`) to the
    /// transcripts of its runs. Each run waits (up to 3 s) until `together` runs have started,
    /// so that runs meant to overlap do, and notes how many were running; `delay` seconds pass
    /// between lines.
    pub fn bench(plans: &[(&str, &[&str])], together: usize, delay: f64) -> StandIn {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/idevicerestore");
        for (ecid, transcripts) in plans {
            let plan: String = transcripts
                .iter()
                .map(|t| format!("{}\n", fixtures.join(format!("{t}.txt")).display()))
                .collect();
            std::fs::write(dir.path().join(format!("plan.{ecid}")), plan).unwrap();
        }
        let script = format!(
            "#!/bin/sh\n\
             if [ \"$1\" = --version ]; then echo 'idevicerestore 1.0.0'; exit 0; fi\n\
             dir='{dir}'\n\
             ecid=any; prev=\n\
             for a in \"$@\"; do [ \"$prev\" = -i ] && ecid=$a; prev=$a; done\n\
             n=$(( $(cat \"$dir/count.$ecid\" 2>/dev/null || echo 0) + 1 ))\n\
             [ -f \"$dir/plan.$ecid\" ] || {{ echo 'ERROR: Unable to discover device mode. Please make sure a device is attached.'; exit 255; }}\n\
             echo $n > \"$dir/count.$ecid\"\n\
             printf '%s\\n' \"$@\" > \"$dir/args.$ecid.$n\"\n\
             fixture=$(sed -n \"${{n}}p\" \"$dir/plan.$ecid\")\n\
             [ -n \"$fixture\" ] || fixture=$(tail -n 1 \"$dir/plan.$ecid\")\n\
             mkdir -p \"$dir/running\"; touch \"$dir/running/$$\"\n\
             i=0; while [ $(ls \"$dir/running\" | wc -l) -lt {together} ] && [ $i -lt 60 ]; do sleep 0.05; i=$((i+1)); done\n\
             ls \"$dir/running\" | wc -l >> \"$dir/together\"\n\
             grep -v '^# ' \"$fixture\" | while IFS= read -r line; do printf '%s\\n' \"$line\"; sleep {delay}; done\n\
             rm -f \"$dir/running/$$\"\n\
             exit $(sed -n 's/^# exit: //p' \"$fixture\")\n",
            dir = dir.path().display(),
        );
        let path = dir.path().join("idevicerestore");
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        StandIn { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("idevicerestore")
    }

    /// An IPSW file to restore (made on first use; the stand-in never reads it).
    pub fn ipsw(&self) -> String {
        ipsw_in(self.dir.path())
    }

    /// The arguments of the last run without `-i`, or `None` when it never ran a restore.
    pub fn args(&self) -> Option<Vec<String>> {
        self.runs("any").pop()
    }

    /// The arguments of every run for the phone with `ecid` (`0x…`), in order.
    pub fn runs(&self, ecid: &str) -> Vec<Vec<String>> {
        (1..)
            .map_while(|n| {
                std::fs::read_to_string(self.dir.path().join(format!("args.{ecid}.{n}"))).ok()
            })
            .map(|text| text.lines().map(str::to_owned).collect())
            .collect()
    }

    /// The most runs that were going at the same time.
    pub fn most_at_once(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("together"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .max()
            .unwrap_or(0)
    }

    /// `restore-doctor --db DB restore --idevicerestore STANDIN ARGS…` on an empty USB bus.
    pub fn command(&self, db: &Path, args: &[&str]) -> std::process::Command {
        let empty_bus = self.dir.path().join("sysfs");
        std::fs::create_dir_all(&empty_bus).unwrap();
        self.command_on(&empty_bus, db, args)
    }

    /// The same, with the USB bus read from the sysfs tree at `bus`.
    pub fn command_on(&self, bus: &Path, db: &Path, args: &[&str]) -> std::process::Command {
        let mut command = command();
        command
            .arg("--db")
            .arg(db)
            .arg("restore")
            .arg("--idevicerestore")
            .arg(self.path())
            .arg("--sysfs-root")
            .arg(bus)
            .args(args);
        command
    }

    fn restore(&self, db: &Path, args: &[&str]) -> (i32, String, String) {
        let output = self
            .command(db, args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    }
}

/// An IPSW file in `dir` (a zip's first bytes), by its path.
pub fn ipsw_in(dir: &Path) -> String {
    let path = dir.join("iPhone8,1_15.5_19F77_Restore.ipsw");
    std::fs::write(&path, b"PK\x03\x04").unwrap();
    path.display().to_string()
}

fn verdict_of(stdout: &str) -> serde_json::Value {
    let last = stdout.lines().last().expect("a verdict line");
    let verdict: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(verdict["kind"], "verdict", "{stdout}");
    verdict
}

#[test]
fn a_replayed_success_exits_0_and_closes_the_case_as_fixed() {
    let stand_in = StandIn::new("success");
    let db = tempfile::tempdir().unwrap();
    let db = db.path().join("cases.sqlite");
    let (status, stdout, stderr) = stand_in.restore(&db, &["--latest", "--json"]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    let verdict = verdict_of(&stdout);
    assert_eq!(verdict["restored"], true);
    assert_eq!(verdict["next_step"], serde_json::Value::Null);
    assert!(stdout.contains(r#""kind":"progress""#), "{stdout}");
    assert!(stdout.contains(r#""step":"upload-filesystem""#), "{stdout}");
    let args = stand_in.args().unwrap();
    assert!(
        args.contains(&"-P".to_owned()) && args.contains(&"-l".to_owned()),
        "{args:?}"
    );
    assert!(
        !args.contains(&"-e".to_owned()),
        "an update by default: {args:?}"
    );
    let history = run_with(&["--db", db.to_str().unwrap(), "history", "--json"], &[]).json();
    let case = &history["cases"][0];
    assert_eq!(case["status"], "fixed", "{history}");
    assert_eq!(case["fixed_by"], "try-update-instead", "{history}");
    // idevicerestore ran on this computer, so the case knows which system that was.
    let id = case["id"].as_str().unwrap();
    let report = run_with(
        &[
            "--db",
            db.to_str().unwrap(),
            "report",
            id,
            "--format",
            "json",
        ],
        &[],
    )
    .json();
    let host_os = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "host-os")
        .map(|e| e["value"].clone());
    assert_eq!(host_os, Some("linux".into()), "{report}");
}

/// Each replayed failure names the phase it failed in and a next step, and exits 1.
#[test]
fn replayed_failures_name_the_phase_and_a_next_step() {
    for (transcript, phase) in [
        ("restore-mode-not-entered", "recovery-boot"),
        ("ibec-did-not-disconnect", "recovery-boot"),
        ("drop-in-restore-mode", "restore-os"),
        ("fdr", "finalize"),
        ("baseband", "firmware"),
    ] {
        let stand_in = StandIn::new(transcript);
        let db = tempfile::tempdir().unwrap();
        let (status, stdout, stderr) = stand_in.restore(
            &db.path().join("cases.sqlite"),
            &[&stand_in.ipsw(), "--json"],
        );
        assert_eq!(status, 1, "{transcript}: {stdout}{stderr}");
        let verdict = verdict_of(&stdout);
        assert_eq!(verdict["restored"], false, "{transcript}");
        assert_eq!(verdict["phase"], phase, "{transcript}: {verdict}");
        assert!(
            verdict["next_step"]["id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{transcript}: {verdict}"
        );
        assert!(
            verdict["case"].is_string(),
            "{transcript}: the case is kept"
        );
        assert!(verdict["tool_status"].is_i64(), "{transcript}");
    }
}

#[test]
fn a_drop_in_restore_mode_is_shown_when_it_happens() {
    let stand_in = StandIn::new("drop-in-restore-mode");
    let db = tempfile::tempdir().unwrap();
    let (_, stdout, _) =
        stand_in.restore(&db.path().join("c.sqlite"), &[&stand_in.ipsw(), "--json"]);
    let lines: Vec<&str> = stdout.lines().collect();
    let drop = lines
        .iter()
        .position(|l| l.contains(r#""kind":"drop""#))
        .expect("a drop line");
    let verdict = lines.len() - 1;
    assert!(drop < verdict, "before the verdict");
    assert!(
        lines[drop].contains(r#""phase":"restore-os""#),
        "{}",
        lines[drop]
    );
    assert_eq!(verdict_of(&stdout)["link_dropped"], true);
    assert!(
        !stdout.contains("D0759"),
        "identifiers are masked: {stdout}"
    );
}

#[test]
fn the_text_verdict_says_what_failed_and_what_to_do_next() {
    let stand_in = StandIn::new("drop-in-restore-mode");
    let db = tempfile::tempdir().unwrap();
    let (status, stdout, _) = stand_in.restore(&db.path().join("c.sqlite"), &[&stand_in.ipsw()]);
    assert_eq!(status, 1);
    assert!(stdout.contains("DROP"), "{stdout}");
    assert!(stdout.contains("The restore failed while"), "{stdout}");
    assert!(stdout.contains("Next: "), "{stdout}");
    assert!(stdout.contains("restore-doctor restore"), "{stdout}");
}

#[test]
fn erase_without_a_terminal_is_refused_and_never_reaches_the_tool() {
    let stand_in = StandIn::new("success");
    let db = tempfile::tempdir().unwrap();
    let (status, stdout, stderr) =
        stand_in.restore(&db.path().join("c.sqlite"), &["--latest", "--erase"]);
    assert_eq!(status, 2, "{stdout}{stderr}");
    assert!(stderr.contains("--yes-erase"), "{stderr}");
    assert_eq!(stand_in.args(), None, "idevicerestore was never started");
    let (status, _, _) = stand_in.restore(
        &db.path().join("c.sqlite"),
        &["--latest", "--erase", "--yes-erase", "--json"],
    );
    assert_eq!(status, 0);
    assert!(stand_in.args().unwrap().contains(&"-e".to_owned()));
}

#[test]
fn a_tool_that_is_not_idevicerestore_is_a_clear_error() {
    let db = tempfile::tempdir().unwrap();
    let output = command()
        .arg("--db")
        .arg(db.path().join("c.sqlite"))
        .args(["restore", "--latest", "--idevicerestore", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("did not answer like idevicerestore"),
        "{stderr}"
    );
}

/// Debian's idevicerestore with no phone gives up after about 10 s; the supervisor says so
/// plainly and exits 2.
#[test]
fn debians_idevicerestore_with_no_phone_is_a_clear_message() {
    if !peers_present(&["idevicerestore"], "idevicerestore") {
        return;
    }
    let db = tempfile::tempdir().unwrap();
    let empty_bus = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let output = command()
        .arg("--db")
        .arg(db.path().join("c.sqlite"))
        .args(["restore", "--latest", "--sysfs-root"])
        .arg(empty_bus.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(started.elapsed().as_secs() < 30);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("found no phone"), "{stderr}");
    assert!(!db.path().join("c.sqlite").exists() || stderr.contains("no phone"));
}

/// At a terminal, --erase runs only after the typed word: "yes" stops before the tool starts,
/// "erase" starts it with -e.
#[test]
fn the_erase_confirmation_in_a_terminal_needs_the_word() {
    use expectrl::process::unix::WaitStatus;
    use expectrl::{Eof, Expect, Session};
    let db = tempfile::tempdir().unwrap();
    for (typed, expected_exit, erased) in [("yes", 2, false), ("erase", 0, true)] {
        let stand_in = StandIn::new("success");
        let mut command = stand_in.command(&db.path().join("c.sqlite"), &["--latest", "--erase"]);
        command.env("NO_COLOR", "1");
        let mut p = Session::spawn(command).expect("spawn in a pty");
        p.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
        p.expect("ERASES the phone").unwrap();
        p.expect("Type erase to continue").unwrap();
        p.send_line(typed).unwrap();
        p.expect(Eof).unwrap();
        let code = match p.get_process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(code, expected_exit, "typed {typed:?}");
        match stand_in.args() {
            None => assert!(!erased, "typed {typed:?}: the tool never started"),
            Some(args) => assert_eq!(args.contains(&"-e".to_owned()), erased, "{args:?}"),
        }
    }
}

/// A bus with a phone in recovery mode on port 1-1, and a stand-in idevicerestore that moves
/// it into restore mode (product id 0x12a8) and then takes it off the bus, as a loose cable
/// does, before replaying the real lines of that failure (idevicerestore#759). Returns the
/// stand-in.
pub fn dropping_stand_in(bus: &Path) -> PathBuf {
    dropping_stand_in_on(bus, "1-1")
}

/// The same, with the phone on `port` (`1-2.2`: behind a hub).
pub fn dropping_stand_in_on(bus: &Path, port: &str) -> PathBuf {
    let phone = bus.join("bus/usb/devices").join(port);
    crate::harness::sysfs_device(
        bus,
        port,
        &[
            ("idVendor", "05ac"),
            ("idProduct", "1281"),
            ("speed", "480"),
            (
                "serial",
                "CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRNM:[F17XXXXXXXXX]",
            ),
        ],
    );
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/idevicerestore/drop-in-restore-mode.txt");
    let tool = bus.join("idevicerestore");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = --version ]; then echo 'idevicerestore 1.0.0'; exit 0; fi\n\
             grep -v '^# ' '{fixture}' | sed -n '1,5p'\n\
             sleep 1; echo 12a8 > '{phone}/idProduct'\n\
             grep -v '^# ' '{fixture}' | sed -n '6,10p'\n\
             sleep 1.5; rm -rf '{phone}'\n\
             sleep 1.5\n\
             grep -v '^# ' '{fixture}' | sed -n '12,$p'\n\
             exit 255\n",
            fixture = fixture.display(),
            phone = phone.display(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    tool
}

/// The link watched beside the tool, on a bus that changes while it runs: the drop is shown
/// from USB while the tool still runs, with its port and phase, and the case keeps it.
#[test]
fn a_drop_seen_on_usb_during_the_restore_is_shown_and_kept() {
    let bus = tempfile::tempdir().unwrap();
    let tool = dropping_stand_in(bus.path());
    let db = bus.path().join("cases.sqlite");
    let output = command()
        .arg("--db")
        .arg(&db)
        .args([
            "restore",
            &ipsw_in(bus.path()),
            "--json",
            "--idevicerestore",
        ])
        .arg(&tool)
        .arg("--sysfs-root")
        .arg(bus.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let usb_drop = lines
        .iter()
        .position(|l| l["source"] == "usb" && l["kind"] == "drop")
        .unwrap_or_else(|| panic!("a drop seen on USB: {stdout}"));
    assert_eq!(lines[usb_drop]["port"], "1-1");
    assert_eq!(lines[usb_drop]["phase"], "restore-os");
    let tool_error = lines
        .iter()
        .position(|l| l["kind"] == "error")
        .expect("the tool's error lines");
    assert!(
        usb_drop < tool_error,
        "shown as it happened, before the tool gave up"
    );
    let history = run_with(&["--db", db.to_str().unwrap(), "history", "--json"], &[]).json();
    let port = &history["ports"][0];
    assert_eq!(
        (port["port"].as_str(), port["drops"].as_u64()),
        (Some("1-1"), Some(1)),
        "{history}"
    );
}

/// A stand-in idevicerestore that prints the real first lines of a restore (`success.txt`),
/// starts a child (`sleep`), writes both process ids to `pids` in its folder, and then runs
/// `then` (shell). Returns the stand-in's path.
pub fn lingering_stand_in(dir: &Path, then: &str) -> PathBuf {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/idevicerestore/success.txt");
    let pids = dir.join("pids");
    let tool = dir.join("idevicerestore");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = --version ]; then echo 'idevicerestore 1.0.0'; exit 0; fi\n\
             grep -v '^# ' '{fixture}' | sed -n '1,5p'\n\
             sleep 300 &\n\
             {{ echo $$; echo $!; }} > '{pids}.tmp'; mv '{pids}.tmp' '{pids}'\n\
             {then}\n",
            fixture = fixture.display(),
            pids = pids.display(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    tool
}

/// Whether process `pid` still runs (a zombie waiting for its parent does not).
pub fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|s| !s.starts_with('Z'))
    })
}

/// Polls `ready` every 20 ms for up to `seconds`.
pub fn until(seconds: u64, what: &str, mut ready: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(seconds),
            "gave up waiting: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The stand-in's process id and its child's, once it has written them.
pub fn tool_pids(dir: &Path) -> [i32; 2] {
    let pids = dir.join("pids");
    until(30, "the stand-in started", || pids.exists());
    let text = std::fs::read_to_string(pids).unwrap();
    let mut numbers = text.lines().map(|l| l.trim().parse().unwrap());
    [numbers.next().unwrap(), numbers.next().unwrap()]
}

pub fn send(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

/// SIGTERM or SIGHUP to `restore` ends idevicerestore and everything it started, keeps the
/// case, and exits with 128 + the signal's number.
#[test]
fn a_signal_to_restore_ends_the_tool_and_its_children() {
    use rustix::process::Signal;
    for (signal, name, exit) in [(Signal::TERM, "SIGTERM", 143), (Signal::HUP, "SIGHUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let tool = lingering_stand_in(dir.path(), "wait");
        let db = dir.path().join("cases.sqlite");
        let restore = command()
            .arg("--db")
            .arg(&db)
            .args(["restore", "--latest", "--json", "--idevicerestore"])
            .arg(&tool)
            .arg("--sysfs-root")
            .arg(dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let [tool_pid, child_pid] = tool_pids(dir.path());
        assert!(running(tool_pid) && running(child_pid));
        send(restore.id(), signal);
        until(60, "the tool and its child are gone", || {
            !running(tool_pid) && !running(child_pid)
        });
        let output = restore.wait_with_output().unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(exit), "{name}: {stdout}");
        let verdict = verdict_of(&stdout);
        assert_eq!(verdict["stopped"], name, "{verdict}");
        assert_eq!(verdict["restored"], false);
        assert!(verdict["case"].is_string(), "the case is kept: {verdict}");
    }
}

/// Ctrl-C is passed on; a tool that does not stop is killed, with its children, at the second
/// Ctrl-C.
#[test]
fn a_second_ctrl_c_kills_a_tool_that_does_not_stop() {
    use rustix::process::Signal;
    let dir = tempfile::tempdir().unwrap();
    let heard = dir.path().join("heard");
    let tool = lingering_stand_in(
        dir.path(),
        &format!(
            "trap 'echo ERROR: interrupted; touch {}' INT; while :; do sleep 1; done",
            heard.display()
        ),
    );
    let mut restore = command()
        .arg("--db")
        .arg(dir.path().join("cases.sqlite"))
        .args([
            "restore",
            "--latest",
            "--json",
            "--no-save",
            "--idevicerestore",
        ])
        .arg(&tool)
        .arg("--sysfs-root")
        .arg(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let [tool_pid, child_pid] = tool_pids(dir.path());
    send(restore.id(), Signal::INT);
    until(30, "the tool heard the Ctrl-C", || heard.exists());
    assert!(running(tool_pid), "the tool goes on");
    assert_eq!(restore.try_wait().unwrap(), None, "and so does restore");
    send(restore.id(), Signal::INT);
    until(30, "the tool and its child are killed", || {
        !running(tool_pid) && !running(child_pid)
    });
    let output = restore.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(130), "{stdout}");
    assert!(stdout.contains("interrupted"), "{stdout}");
    assert_eq!(verdict_of(&stdout)["stopped"], "SIGINT");
}

/// A tool that exits but leaves a child holding its output does not keep `restore` waiting,
/// and the child is ended.
#[test]
fn a_child_left_holding_the_output_does_not_hold_the_restore() {
    let dir = tempfile::tempdir().unwrap();
    let tool = lingering_stand_in(dir.path(), "echo 'Restore Finished'; exit 0");
    let mut restore = command()
        .arg("--db")
        .arg(dir.path().join("cases.sqlite"))
        .args(["restore", "--latest", "--json", "--idevicerestore"])
        .arg(&tool)
        .arg("--sysfs-root")
        .arg(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let [_, child_pid] = tool_pids(dir.path());
    until(
        120,
        "restore ends although the child still holds its output",
        || restore.try_wait().unwrap().is_some(),
    );
    until(30, "the child is ended", || !running(child_pid));
    let output = restore.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(verdict_of(&stdout)["restored"], true);
}

/// Text that reads as flags is never passed to idevicerestore as flags: as the IPSW it is
/// refused at once (no file of that name), before the tool starts or waits for a phone.
#[test]
fn an_ipsw_argument_that_reads_as_flags_never_reaches_the_tool() {
    let stand_in = StandIn::new("success");
    let db = tempfile::tempdir().unwrap();
    for flags in [
        "-le",
        "-e",
        "--erase",
        "-l",
        "/tmp/not-there.ipsw",
        "notes.txt",
    ] {
        let output = stand_in
            .command(&db.path().join("c.sqlite"), &["--", flags])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{flags}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(".ipsw"), "{stderr}");
        assert_eq!(
            stand_in.args(),
            None,
            "{flags}: idevicerestore never started"
        );
    }
    // A file whose name looks like flags is restored as a file, after `--`, with no erase.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("-le.ipsw"), b"PK\x03\x04").unwrap();
    let output = stand_in
        .command(&db.path().join("c.sqlite"), &["--json", "--", "-le.ipsw"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let args = stand_in.args().unwrap();
    let path = std::fs::canonicalize(dir.path()).unwrap().join("-le.ipsw");
    assert_eq!(
        args[args.len() - 2..],
        ["--".to_owned(), path.display().to_string()],
        "{args:?}"
    );
    assert!(!args.iter().any(|a| a == "-e" || a == "-l"), "{args:?}");
}

/// An ECID is a number: anything else is refused before the tool starts.
#[test]
fn an_ecid_that_is_not_a_number_is_refused() {
    let stand_in = StandIn::new("success");
    let db = tempfile::tempdir().unwrap();
    let output = stand_in
        .command(&db.path().join("c.sqlite"), &["--latest", "--ecid=-e"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("not an ECID")
    );
    assert_eq!(stand_in.args(), None);
}

/// The tool's own lines, shown live (text and JSON), never show an identifier in any of the
/// spellings the audit of issue 28 found.
#[test]
fn identifiers_in_the_tools_lines_are_masked_live() {
    let stand_in = StandIn::new("identifiers");
    let db = tempfile::tempdir().unwrap();
    let db = db.path().join("ids.sqlite");
    let secrets = [
        "15435050",
        "DNPX1234",
        "F17XXXXX",
        "C39ZK0AB",
        "678901 234",
        "8901260123",
        "anna.berg",
        "7946 0",
        "a4:83:e7",
    ];
    let ipsw = stand_in.ipsw();
    let (_, text, _) = stand_in.restore(&db, &[&ipsw]);
    let (_, json, _) = stand_in.restore(&db, &[&ipsw, "--json"]);
    assert!(text.contains("ERROR: Unable to restore device"), "{text}");
    assert!(json.contains("ERROR: Unable to restore device"), "{json}");
    for out in [&text, &json] {
        for secret in secrets {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
    }
}
