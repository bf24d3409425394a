//! A small harness: run the real binary with arguments and environment, then check its exit
//! code, stdout and stderr.

use std::process::{Command, Output};

/// What one run of the binary produced.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `restore-doctor` with `args` (colour left on auto, which is off in a pipe).
pub fn run(args: &[&str]) -> Run {
    run_with(args, &[])
}

/// A home and data folder private to this test run, so tests never touch the user's files.
pub fn test_home() -> std::path::PathBuf {
    let home =
        std::env::temp_dir().join(format!("restore-doctor-test-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("test home folder");
    home
}

/// A case database private to this test run, so tests never touch the user's history.
pub fn test_db() -> String {
    std::env::temp_dir()
        .join(format!("restore-doctor-test-{}.sqlite", std::process::id()))
        .display()
        .to_string()
}

/// The binary, with colour on auto, the test database and a private home and data folder
/// (so even a command that ignores `RESTORE_DOCTOR_DB` cannot reach the user's own files).
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_restore-doctor"));
    let home = test_home();
    command
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("RESTORE_DOCTOR_DB", test_db());
    command
}

/// Runs `restore-doctor` with extra environment variables.
pub fn run_with(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = command();
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run restore-doctor");
    Run {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

impl Run {
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.status, 0,
            "stderr: {}\nstdout: {}",
            self.stderr, self.stdout
        );
        self
    }

    /// A usage error: exit 2, one line on stderr, nothing on stdout, no panic.
    pub fn usage_error(&self) -> &str {
        assert_eq!(
            self.status, 2,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert_eq!(self.stderr.trim_end().lines().count(), 1, "{}", self.stderr);
        self.stderr.trim_end()
    }

    /// Standard output with every run of spaces and line breaks made one space: what it
    /// says, whatever the width it was wrapped to.
    pub fn prose(&self) -> String {
        self.stdout.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// Writes one USB device directory of a sysfs tree (the kernel's documented attribute files).
pub fn sysfs_device(root: &std::path::Path, name: &str, attrs: &[(&str, &str)]) {
    let dir = root.join("bus/usb/devices").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (k, v) in attrs {
        std::fs::write(dir.join(k), format!("{v}\n")).unwrap();
    }
}

/// A sysfs tree with an iPhone 7 in DFU mode behind an external hub on port 1-2.
pub fn sysfs_dfu_iphone7_behind_hub() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sysfs_device(
        dir.path(),
        "1-2",
        &[
            ("idVendor", "05e3"),
            ("idProduct", "0610"),
            ("removable", "removable"),
            ("product", "USB2.0 Hub"),
        ],
    );
    sysfs_device(
        dir.path(),
        "1-2.3",
        &[
            ("idVendor", "05ac"),
            ("idProduct", "1227"),
            ("speed", "480"),
            (
                "serial",
                "CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]",
            ),
        ],
    );
    dir
}

/// Runs `restore-doctor` with text on standard input.
pub fn run_with_stdin(args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    let mut child = command()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    Run {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// A stand-in usbmuxd on a Unix socket that speaks the real frames, with one phone attached
/// (an iPhone 11 on location 0x14400000) whose lockdown answers like a phone that is not
/// paired: `QueryType`, and `GetValue` for one key or for all. Returns its folder (keep it)
/// and its `USBMUXD_SOCKET_ADDRESS`.
#[cfg(unix)]
pub fn stand_in_usbmuxd() -> (tempfile::TempDir, String) {
    use std::io::{Read, Write};
    fn send(s: &mut std::os::unix::net::UnixStream, xml: &str) {
        // A phone sends the XML declaration; libplist's reader wants it.
        let xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}");
        let mut out = (xml.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(xml.as_bytes());
        let _ = s.write_all(&out);
    }
    fn lockdown(mut s: std::os::unix::net::UnixStream) {
        const VALUES: [(&str, &str); 5] = [
            ("ProductType", "<string>iPhone12,1</string>"),
            ("ProductVersion", "<string>17.5.1</string>"),
            ("BuildVersion", "<string>21F90</string>"),
            ("DeviceClass", "<string>iPhone</string>"),
            ("UniqueChipID", "<integer>7365887390543728</integer>"),
        ];
        loop {
            let mut length = [0u8; 4];
            if s.read_exact(&mut length).is_err() {
                return;
            }
            let mut payload = vec![0u8; u32::from_be_bytes(length) as usize];
            if s.read_exact(&mut payload).is_err() {
                return;
            }
            let Ok(asked) = usbmux::frame::decode(&payload) else {
                return;
            };
            let request = asked
                .get("Request")
                .and_then(|v| v.as_string())
                .unwrap_or("");
            let xml = match (request, asked.get("Key").and_then(|v| v.as_string())) {
                ("QueryType", _) => "<plist version=\"1.0\"><dict><key>Request</key><string>QueryType</string><key>Type</key><string>com.apple.mobile.lockdown</string></dict></plist>".to_owned(),
                ("GetValue", Some(key)) => match VALUES.iter().find(|(k, _)| *k == key) {
                    Some((_, value)) => format!("<plist version=\"1.0\"><dict><key>Key</key><string>{key}</string><key>Request</key><string>GetValue</string><key>Value</key>{value}</dict></plist>"),
                    None => format!("<plist version=\"1.0\"><dict><key>Error</key><string>MissingValue</string><key>Key</key><string>{key}</string><key>Request</key><string>GetValue</string></dict></plist>"),
                },
                ("GetValue", None) => {
                    let all: String = VALUES.iter().map(|(k, v)| format!("<key>{k}</key>{v}")).collect();
                    format!("<plist version=\"1.0\"><dict><key>Request</key><string>GetValue</string><key>Value</key><dict>{all}</dict></dict></plist>")
                }
                (other, _) => format!("<plist version=\"1.0\"><dict><key>Error</key><string>InvalidHostID</string><key>Request</key><string>{other}</string></dict></plist>"),
            };
            send(&mut s, &xml);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usbmuxd");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            std::thread::spawn(move || {
                loop {
                    let mut head = [0u8; usbmux::frame::HEADER];
                    if s.read_exact(&mut head).is_err() {
                        return;
                    }
                    let Ok(header) = usbmux::frame::Header::parse(&head) else {
                        return;
                    };
                    let mut payload = vec![0u8; header.payload_len()];
                    if s.read_exact(&mut payload).is_err() {
                        return;
                    }
                    let Ok(asked) = usbmux::frame::decode(&payload) else {
                        return;
                    };
                    let kind = asked
                        .get("MessageType")
                        .and_then(|v| v.as_string())
                        .unwrap_or("")
                        .to_owned();
                    let xml = match kind.as_str() {
                        "Connect" | "Listen" => {
                            "<plist version=\"1.0\"><dict><key>MessageType</key><string>Result</string><key>Number</key><integer>0</integer></dict></plist>"
                        }
                        "ListDevices" => {
                            "<plist version=\"1.0\"><dict><key>DeviceList</key><array><dict><key>DeviceID</key><integer>3</integer><key>MessageType</key><string>Attached</string><key>Properties</key><dict><key>ConnectionSpeed</key><integer>480000000</integer><key>ConnectionType</key><string>USB</string><key>DeviceID</key><integer>3</integer><key>LocationID</key><integer>339738624</integer><key>ProductID</key><integer>4776</integer><key>SerialNumber</key><string>00008030-001A2B3C4D5E6F70</string></dict></dict></array></dict></plist>"
                        }
                        "ReadBUID" => {
                            "<plist version=\"1.0\"><dict><key>BUID</key><string>5B3F2E1A-0000-4000-8000-000000000001</string></dict></plist>"
                        }
                        _ => {
                            "<plist version=\"1.0\"><dict><key>MessageType</key><string>Result</string><key>Number</key><integer>2</integer></dict></plist>"
                        }
                    };
                    let dict = usbmux::frame::decode(xml.as_bytes()).unwrap();
                    if s.write_all(&usbmux::frame::encode(&dict, header.tag))
                        .is_err()
                    {
                        return;
                    }
                    if kind == "Connect" {
                        lockdown(s);
                        return;
                    }
                }
            });
        }
    });
    let address = format!("UNIX:{}", path.display());
    (dir, address)
}

/// Whether the Debian tools a test talks to are installed. Missing ones skip the test with a
/// printed reason, or fail it when `RESTORE_DOCTOR_REQUIRE_PEERS=1` (as `.ci/run` sets).
pub fn peers_present(tools: &[&str], package: &str) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| {
            !std::process::Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("RESTORE_DOCTOR_REQUIRE_PEERS").as_deref() != Ok("1"),
        "{missing:?} required (RESTORE_DOCTOR_REQUIRE_PEERS=1) but not installed (apt-get install {package})"
    );
    eprintln!("skipped: {missing:?} not installed (apt-get install {package})");
    false
}
