//! The live USB path, unchanged, on an emulated bench: umockdev's testbed holds Apple devices
//! described from real reports (`tests/fixtures/umockdev`), and the binary reads them through
//! nusb as if they were plugged in; the bench unplugs and plugs them while it runs.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{Run, peers_present, test_db, test_home};

/// Longest wait for something the program should print; only reached when a test fails.
const PATIENCE: Duration = Duration::from_secs(60);

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/umockdev")
        .join(name)
}

/// The Python that has umockdev's GObject bindings: Debian's own first (a python3 earlier on
/// PATH, such as pyenv's, does not see Debian's packages).
fn python_with_umockdev() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|python| {
        Command::new(python)
            .args([
                "-c",
                "import gi; gi.require_version('UMockdev', '1.0'); from gi.repository import UMockdev",
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether umockdev can emulate devices here: its tools, its Python bindings, and its preload
/// reaching a child process (a sandbox can forbid LD_PRELOAD). When not, the test is skipped
/// with the reason, or fails under `RESTORE_DOCTOR_REQUIRE_PEERS=1`.
pub fn umockdev() -> Option<&'static str> {
    if !peers_present(
        &["umockdev-wrapper", "umockdev-run"],
        "umockdev gir1.2-umockdev-1.0 python3-gi",
    ) {
        return None;
    }
    let skip = |reason: String| {
        assert!(
            std::env::var("RESTORE_DOCTOR_REQUIRE_PEERS").as_deref() != Ok("1"),
            "umockdev required (RESTORE_DOCTOR_REQUIRE_PEERS=1) but {reason}"
        );
        eprintln!("skipped: {reason}");
        None
    };
    let Some(python) = python_with_umockdev() else {
        return skip(
            "umockdev's Python bindings are missing (apt-get install gir1.2-umockdev-1.0 python3-gi)"
                .to_owned(),
        );
    };
    let probe = Command::new("umockdev-wrapper")
        .arg(python)
        .arg(fixture("testbed.py"))
        .arg("--probe")
        .output();
    match probe {
        Ok(out) if out.status.success() => Some(python),
        Ok(out) => skip(format!(
            "umockdev's preload does not work here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => skip(format!("umockdev-wrapper could not be run: {e}")),
    }
}

/// Text a child writes, collected as it comes so a test can wait for a line.
#[derive(Clone, Default)]
pub struct Collected(Arc<(Mutex<(String, bool)>, Condvar)>);

impl Collected {
    /// Follows a pipe; text is added as it arrives, so a prompt waiting on the same line
    /// (`> `) is seen too.
    fn follow(pipe: impl Read + Send + 'static) -> Collected {
        let collected = Collected::default();
        let inner = collected.clone();
        std::thread::spawn(move || {
            let mut pipe = pipe;
            let mut buffer = vec![0u8; 8192];
            let mut pending = Vec::new();
            loop {
                let read = pipe.read(&mut buffer);
                let done = !matches!(read, Ok(n) if n > 0);
                if let Ok(n) = read {
                    pending.extend_from_slice(&buffer[..n]);
                }
                // Whole characters only; a split one waits for its rest.
                let whole = match std::str::from_utf8(&pending) {
                    Ok(_) => pending.len(),
                    Err(e) if e.error_len().is_none() && !done => e.valid_up_to(),
                    Err(_) => pending.len(),
                };
                let chunk: Vec<u8> = pending.drain(..whole).collect();
                let (lock, ready) = &*inner.0;
                let mut text = lock.lock().unwrap_or_else(|e| e.into_inner());
                text.0.push_str(&String::from_utf8_lossy(&chunk));
                text.1 |= done;
                ready.notify_all();
                if done {
                    return;
                }
            }
        });
        collected
    }

    fn text(&self) -> String {
        self.0.0.lock().unwrap_or_else(|e| e.into_inner()).0.clone()
    }

    /// Waits until the text so far satisfies `seen`; panics with the text after [`PATIENCE`].
    pub fn wait_for(&self, what: &str, seen: impl Fn(&str) -> bool) -> String {
        self.wait_until(what, |text, _| seen(text))
    }

    /// Waits until the writer closed its end, and returns everything it wrote.
    fn wait_closed(&self) -> String {
        self.wait_until("the end of the output", |_, closed| closed)
    }

    fn wait_until(&self, what: &str, done: impl Fn(&str, bool) -> bool) -> String {
        let (lock, ready) = &*self.0;
        let deadline = Instant::now() + PATIENCE;
        let mut text = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if done(&text.0, text.1) {
                return text.0.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero() && !text.1,
                "never saw {what}; the output was:\n{}",
                text.0
            );
            text = ready
                .wait_timeout(text, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// An emulated bench with the binary running on it.
pub struct Bench {
    child: Child,
    input: Option<std::process::ChildStdin>,
    _dir: tempfile::TempDir,
    control: PathBuf,
    pub stdout: Collected,
    pub stderr: Collected,
}

/// What to put on the bench and how to run the program there.
pub struct Setup<'a> {
    pub devices: &'a [&'a str],
    /// `PORT=DESCRIPTION|same|never`: what a phone in recovery mode comes back as when it is
    /// told to start iOS.
    pub boots: &'a [&'a str],
    pub env: &'a [(&'a str, &'a str)],
    /// Written to the program's standard input at once; or, when `typing`, the input stays
    /// open for [`Bench::type_line`].
    pub stdin: Option<&'a str>,
    pub typing: bool,
}

impl Setup<'_> {
    pub fn devices<'a>(devices: &'a [&'a str]) -> Setup<'a> {
        Setup {
            devices,
            boots: &[],
            env: &[],
            stdin: None,
            typing: false,
        }
    }
}

impl Bench {
    /// Starts `restore-doctor ARGS` on a bench holding `setup.devices`; `None` when umockdev is
    /// not usable here (the test is then skipped, saying why).
    pub fn start(setup: &Setup, args: &[&str]) -> Option<Bench> {
        let python = umockdev()?;
        let dir = tempfile::tempdir().unwrap();
        let control = dir.path().join("bench.sock");
        let home = test_home();
        let mut command = Command::new("umockdev-wrapper");
        command
            .arg(python)
            .arg(fixture("testbed.py"))
            .arg("--control")
            .arg(&control);
        for boot in setup.boots {
            let (port, target) = boot.split_once('=').unwrap();
            let target = match target {
                "same" | "never" => target.to_owned(),
                file => fixture(file).display().to_string(),
            };
            command.arg("--boot").arg(format!("{port}={target}"));
        }
        command
            .args(setup.devices.iter().map(|d| fixture(d)))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_restore-doctor"))
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("RESTORE_DOCTOR_DB", test_db())
            // Only the emulated bench: no usbmuxd of this machine answers.
            .env(
                "USBMUXD_SOCKET_ADDRESS",
                format!("UNIX:{}", dir.path().join("no-usbmuxd").display()),
            )
            .envs(setup.env.iter().copied())
            .stdin(if setup.stdin.is_some() || setup.typing {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start the umockdev bench");
        let mut input = None;
        if setup.typing {
            input = child.stdin.take();
        } else if let Some(input) = setup.stdin {
            let mut stdin = child.stdin.take().unwrap();
            let input = input.to_owned();
            std::thread::spawn(move || {
                let _ = stdin.write_all(input.as_bytes());
            });
        }
        let stdout = Collected::follow(child.stdout.take().unwrap());
        let stderr = Collected::follow(child.stderr.take().unwrap());
        Some(Bench {
            child,
            input,
            _dir: dir,
            control,
            stdout,
            stderr,
        })
    }

    /// Sends one request to the bench and returns its answer.
    pub fn send(&self, request: Value) -> Value {
        let deadline = Instant::now() + PATIENCE;
        let mut stream = loop {
            match UnixStream::connect(&self.control) {
                Ok(stream) => break stream,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("the bench's control socket never opened: {e}"),
            }
        };
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        writeln!(stream, "{request}").unwrap();
        let mut answer = String::new();
        BufReader::new(stream).read_line(&mut answer).unwrap();
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["ok"], true, "{request} → {answer}");
        answer
    }

    /// Unplugs the device on `port` (and anything behind it).
    pub fn unplug(&self, port: &str) {
        self.send(json!({"op": "remove", "device": port}));
    }

    /// Plugs in the device(s) a description holds.
    pub fn plug(&self, description: &str) {
        self.send(json!({"op": "add", "description": fixture(description)}));
    }

    /// Types a line, as the person would answer a prompt.
    pub fn type_line(&mut self, line: &str) {
        let input = self.input.as_mut().expect("a bench started with typing");
        writeln!(input, "{line}").unwrap();
        input.flush().unwrap();
    }

    /// Ctrl-C, as a person at the terminal would press it.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the program to end and returns what it printed.
    pub fn finish(mut self) -> Run {
        drop(self.input.take());
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the program did not end; it printed:\n{}\n{}",
                    self.stdout.text(),
                    self.stderr.text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Run {
            status: status.code().unwrap_or(-1),
            stdout: self.stdout.wait_closed(),
            stderr: self.stderr.wait_closed(),
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The computer's root hub with one phone in each mode: DFU (iPhone 6s, 1-2), recovery
/// (iPhone 8, 1-3), normal (an iPhone, 1-4), and a Mac in restore mode on another bus (3-1).
const EVERY_MODE: &[&str] = &[
    "xhci-root-hub.umockdev",
    "dfu-iphone6s-ipwndfu-168.umockdev",
    "recovery-iphone8-palera1n-17.umockdev",
    "normal-iphone-libimobiledevice-1491.umockdev",
    "restore-mac-libirecovery-123.umockdev",
];

#[test]
fn devices_reads_a_phone_in_each_mode_off_the_live_bus() {
    let Some(bench) = Bench::start(
        &Setup::devices(EVERY_MODE),
        &["devices", "--json", "--show-ids"],
    ) else {
        return;
    };
    let out = bench.finish();
    out.success();
    let json = out.json();
    let devices = json["devices"].as_array().unwrap();
    let on = |port: &str| {
        devices
            .iter()
            .find(|d| d["usb_path"] == port)
            .unwrap_or_else(|| panic!("nothing on {port}: {json:#}"))
    };
    // Paths as the kernel names the ports (dmesg's `usb 1-4`), in port order.
    let ports: Vec<&str> = devices
        .iter()
        .map(|d| d["usb_path"].as_str().unwrap())
        .collect();
    assert_eq!(ports, ["1-2", "1-3", "1-4", "3-1"]);
    let dfu = on("1-2");
    assert_eq!(dfu["mode"], "dfu");
    assert_eq!(dfu["product_type"], "iPhone8,1");
    assert_eq!(dfu["board"], "N71AP");
    assert_eq!(dfu["cpid"], "0x8000");
    assert_eq!(dfu["bdid"], "0x04");
    assert_eq!(dfu["ecid"], "0x000004F628A48D2C");
    let recovery = on("1-3");
    assert_eq!(recovery["mode"], "recovery");
    assert_eq!(recovery["product_type"], "iPhone10,4");
    assert_eq!(recovery["name"], "iPhone 8 (GSM)");
    assert_eq!(recovery["ecid"], "0x001838E00801EFAE");
    let normal = on("1-4");
    assert_eq!(normal["mode"], "normal");
    assert_eq!(normal["udid"], "00008120-00092D910EDB401E");
    assert_eq!(normal["ecid"], "0x00092D910EDB401E");
    assert_eq!(
        normal["product_type"],
        Value::Null,
        "no model from USB alone"
    );
    let restore = on("3-1");
    assert_eq!(restore["mode"], "restore");
    assert_eq!(restore["cpid"], "0x6030");
    for d in devices {
        assert_eq!(d["speed_mbps"], 480, "{d}");
        assert_eq!(d["hubs_in_path"], 0, "{d}");
        assert_eq!(d["source"], "live", "read through nusb, not a sysfs root");
    }
}

#[test]
fn devices_names_the_hubs_between_a_phone_and_the_computer() {
    let Some(bench) = Bench::start(
        &Setup::devices(&["hub-three-deep-libimobiledevice-190.umockdev"]),
        &["devices"],
    ) else {
        return;
    };
    let out = bench.finish();
    out.success();
    assert!(
        out.stdout.contains("normal mode")
            && out.stdout.contains("model unknown")
            && out.stdout.contains("path 1-1.4.3.3"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("via hub (built in) → hub → hub")
            && out.stdout.contains("plug it straight into the computer"),
        "{}",
        out.stdout
    );
    let Some(bench) = Bench::start(
        &Setup::devices(&["hub-three-deep-libimobiledevice-190.umockdev"]),
        &["devices", "--json"],
    ) else {
        return;
    };
    let json = bench.finish().json();
    let phone = &json["devices"][0];
    assert_eq!(phone["usb_path"], "1-1.4.3.3");
    assert_eq!(
        phone["hubs_in_path"], 2,
        "two VIA hubs; the chipset's rate-matching hub is part of the computer"
    );
    let hubs: Vec<(&str, &str, &Value)> = phone["hubs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["vid"].as_str().unwrap(),
                h["pid"].as_str().unwrap(),
                &h["built_in"],
            )
        })
        .collect();
    assert_eq!(
        hubs,
        [
            ("0x8087", "0x0024", &json!(true)),
            ("0x2109", "0x2811", &json!(false)),
            ("0x2109", "0x2811", &json!(false)),
        ]
    );
}

#[test]
fn devices_text_names_each_phone_and_masks_its_ecid() {
    let Some(bench) = Bench::start(&Setup::devices(EVERY_MODE), &["devices"]) else {
        return;
    };
    let out = bench.finish();
    out.success();
    for line in [
        "DFU mode · iPhone 6s (iPhone8,1, N71AP)",
        "recovery mode · iPhone 8 (GSM) (iPhone10,4, D201AP)",
        "path 1-3",
        "restore mode",
    ] {
        assert!(out.stdout.contains(line), "{line}: {}", out.stdout);
    }
    assert!(!out.stdout.contains("4F628A48D2C"), "{}", out.stdout);
}

#[test]
fn devices_watch_sees_a_phone_leave_and_come_back_in_normal_mode() {
    let Some(bench) = Bench::start(
        &Setup::devices(&[
            "xhci-root-hub.umockdev",
            "recovery-iphone8-palera1n-17.umockdev",
        ]),
        &["devices", "--watch", "--json"],
    ) else {
        return;
    };
    let lines = |text: &str| -> Vec<Value> {
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let count = |text: &str| lines(text).len();
    bench
        .stdout
        .wait_for("the phone in recovery mode", |t| count(t) >= 1);
    bench.unplug("1-3");
    bench.stdout.wait_for("its detach", |t| count(t) >= 2);
    bench.plug("normal-iphone8-palera1n-17.umockdev");
    bench
        .stdout
        .wait_for("it back in normal mode", |t| count(t) >= 3);
    bench.interrupt();
    let out = bench.finish();
    let events = lines(&out.stdout);
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["device"]["mode"].as_str().unwrap(),
                e["device"]["usb_path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("attach", "recovery", "1-3"),
            ("detach", "recovery", "1-3"),
            ("attach", "normal", "1-3"),
        ],
        "{}",
        out.stderr
    );
}

/// Text with its wrapping undone (a pipe gets lines of at most 100 columns): every run of
/// white space is one space.
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The JSON objects among the lines of `text`.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Keeps the phone off the bus for the scenario's gap: a time the sequence being played is made
/// of (longer than the tracker's 3 s re-enumeration window), not a wait for the program.
fn hold_off_bus(seconds: f64) {
    std::thread::sleep(Duration::from_secs_f64(seconds));
}

#[test]
fn watch_live_tells_the_ibec_reenumeration_from_the_failed_restore_mode_entry() {
    // The sequence of idevicerestore#725 (crates/watch/tests/scenarios/real-idevicerestore-725.scenario):
    // recovery → gone → recovery (iBEC, expected) → gone → recovery again (it failed to enter
    // restore mode), played by the bench with the iPhone 8 in recovery mode on port 1-3, gaps
    // shortened to 4 s.
    let Some(bench) = Bench::start(
        &Setup::devices(&["xhci-root-hub.umockdev", RECOVERY_8]),
        &["watch", "--json"],
    ) else {
        return;
    };
    let kinds = |text: &str| -> Vec<String> {
        json_lines(text)
            .iter()
            .filter_map(|e| e["kind"].as_str().map(str::to_owned))
            .collect()
    };
    let count = |text: &str, kind: &str| kinds(text).iter().filter(|k| *k == kind).count();
    bench
        .stdout
        .wait_for("the phone attached", |t| count(t, "attach") >= 1);
    bench.unplug("1-3");
    bench
        .stdout
        .wait_for("its detach", |t| count(t, "detach") >= 1);
    hold_off_bus(4.0);
    bench.plug(RECOVERY_8);
    bench
        .stdout
        .wait_for("the iBEC re-enumeration", |t| count(t, "mode-change") >= 1);
    bench.unplug("1-3");
    bench
        .stdout
        .wait_for("the second detach", |t| count(t, "detach") >= 2);
    hold_off_bus(4.0);
    bench.plug(RECOVERY_8);
    bench.stdout.wait_for("the drop", |t| count(t, "drop") >= 1);
    bench.interrupt();
    let out = bench.finish();
    assert_eq!(
        out.status, 1,
        "a drop was seen: {}\n{}",
        out.stdout, out.stderr
    );
    let events = json_lines(&out.stdout);
    let drop = events.iter().find(|e| e["kind"] == "drop").unwrap();
    assert!(
        drop["message"]
            .as_str()
            .unwrap()
            .contains("failed to enter restore mode"),
        "{drop}"
    );
    assert_eq!(drop["port"], "1-3");
    assert_eq!(drop["phase"], "recovery-boot");
    let change = events.iter().find(|e| e["kind"] == "mode-change").unwrap();
    assert!(
        change["message"]
            .as_str()
            .unwrap()
            .contains("as expected after iBEC"),
        "{change}"
    );
}

const RECOVERY_8: &str = "recovery-iphone8-palera1n-17.umockdev";

#[cfg(feature = "dashboard")]
#[test]
fn serve_without_replay_shows_the_emulated_bench_and_follows_it() {
    let Some(bench) = Bench::start(
        &Setup::devices(EVERY_MODE),
        &["serve", "--bind", "127.0.0.1:0"],
    ) else {
        return;
    };
    let address = dashboard_address(&bench);
    let ports = || -> Vec<String> {
        let body = http_get(&address, "/api/devices");
        let json: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        json["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d["usb_path"].as_str().unwrap(),
                    d["mode"].as_str().unwrap()
                )
            })
            .collect()
    };
    let until = |what: &str, wanted: &[&str]| {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = ports();
            if now == wanted {
                return;
            }
            assert!(Instant::now() < deadline, "{what}: the page shows {now:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    until(
        "the bench as plugged in",
        &["1-2 dfu", "1-3 recovery", "1-4 normal", "3-1 restore"],
    );
    bench.unplug("1-2");
    until(
        "the DFU phone unplugged",
        &["1-3 recovery", "1-4 normal", "3-1 restore"],
    );
    bench.interrupt();
    let out = bench.finish();
    assert_eq!(out.status, 0, "{}", out.stderr);
}

#[cfg(feature = "dashboard")]
/// The page tells the phone in recovery mode to start iOS: irecovery (the stand-in) is run
/// for it alone, the phone comes back in normal mode on its port and the port says so in
/// words; the DFU phone beside it is refused with nothing sent.
#[test]
fn serve_tells_a_phone_in_recovery_mode_to_start_ios() {
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("irecovery-runs");
    let db = dir.path().join("cases.sqlite");
    let irecovery =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/irecovery/irecovery");
    let env = [("IRECOVERY_STANDIN_RAN", ran.to_str().unwrap())];
    let setup = Setup {
        boots: &["1-3=normal-iphone8-palera1n-17.umockdev"],
        env: &env,
        ..Setup::devices(EVERY_MODE)
    };
    let args = [
        "--db",
        db.to_str().unwrap(),
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--irecovery",
        irecovery.to_str().unwrap(),
    ];
    let Some(bench) = Bench::start(&setup, &args) else {
        return;
    };
    let address = dashboard_address(&bench);
    let port_1_3 = || -> (Value, bool) {
        let state: Value = serde_json::from_str(&http_get(&address, "/api/state")).unwrap();
        let enabled = state["exit_recovery_enabled"] == true;
        let port = state["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["port"] == "1-3")
            .cloned()
            .unwrap_or(Value::Null);
        (port, enabled)
    };
    let until = |what: &str, done: &dyn Fn(&Value) -> bool| {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (port, enabled) = port_1_3();
            assert!(
                enabled,
                "irecovery was given: the page may send the command"
            );
            if done(&port) {
                return port;
            }
            assert!(Instant::now() < deadline, "{what}: port 1-3 is {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    until("the phone in recovery mode", &|p| {
        p["present"] == true && p["device"]["mode"] == "recovery"
    });
    let (status, answer) = http_post(&address, "/api/exit-recovery", r#"{"port":"1-2"}"#);
    assert_eq!(status, 409, "{answer}");
    assert!(answer.contains("DFU mode"), "{answer}");
    let (status, answer) = http_post(&address, "/api/exit-recovery", r#"{"port":"1-3"}"#);
    assert_eq!(status, 202, "{answer}");
    let back = until("the phone back in iOS", &|p| {
        p["device"]["mode"] == "normal"
            && p["note"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("Back in iOS"))
    });
    assert!(
        !back["note"]["message"].as_str().unwrap().contains('\u{1b}'),
        "plain words on the page: {back}"
    );
    let runs: Vec<Vec<String>> = std::fs::read_to_string(&ran)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Vec<String>>(l).unwrap())
        .filter(|args| args != &["-V"])
        .collect();
    assert_eq!(
        runs,
        [["-i", "0x001838E00801EFAE", "-n"]],
        "only the recovery-mode phone"
    );
    bench.interrupt();
    let out = bench.finish();
    assert_eq!(out.status, 0, "{}", out.stderr);
}

#[cfg(feature = "dashboard")]
/// The `host:port` the dashboard printed as its first line.
fn dashboard_address(bench: &Bench) -> String {
    let first = bench.stdout.wait_for("the address", |t| t.contains('\n'));
    first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned()
}

#[cfg(feature = "dashboard")]
/// One HTTP/1.1 POST of a JSON body from the page's own origin; the status and the answer.
fn http_post(address: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[cfg(feature = "dashboard")]
/// One HTTP/1.1 GET; the body.
fn http_get(address: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    }
}

#[cfg(feature = "dashboard")]
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

#[test]
fn the_session_reads_the_phone_off_usb_and_asks_nothing_usb_showed() {
    let setup = Setup {
        stdin: Some("4013\nq\n"),
        ..Setup::devices(&["xhci-root-hub.umockdev", RECOVERY_8])
    };
    let Some(bench) = Bench::start(&setup, &["diagnose", "--no-save"]) else {
        return;
    };
    let out = bench.finish();
    assert!(
        flat(&out.stdout).contains(
            "Found on USB: iPhone 8 (GSM) in recovery mode on port 1-3, 480 Mb/s, straight into the computer."
        ),
        "{}",
        out.stdout
    );
    for asked in [
        "Which iPhone or iPad is it?",
        "What does the phone show while it is connected?",
        "Is there a hub, dock, monitor, keyboard or adapter between the phone and the computer?",
        "Is the phone's USB link slower than it should be?",
    ] {
        assert!(
            !out.stdout.contains(asked),
            "asked what USB showed ({asked}): {}",
            out.stdout
        );
    }
    let said = flat(&out.stdout);
    assert!(
        said.contains("--model iPhone10,4")
            && said.contains("--observe device-mode=recovery")
            && said.contains("--observe hub-in-path=no")
            && said.contains("--observe link-speed=expected"),
        "what USB showed is kept: {}",
        out.stdout
    );
}
