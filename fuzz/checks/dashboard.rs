//! The dashboard request check, shared by the `dashboard` fuzz target and the corpus replay
//! test: any bytes sent to `serve` get answers, never a panic or a hang, and nothing starts
//! unless a request from the page's own origin asked for it in full.
//!
//! An input that starts with an ASCII capital (a method) is what a client writes on one
//! connection: request heads, headers and bodies, pipelined. Any other input is a body the page
//! could send: it is posted, with the page's own headers, to `/api/restores` and to
//! `/api/exit-recovery`. The bench holds three phones: one in recovery mode with an ECID
//! ([`RECOVERY`]), one in DFU mode with an ECID ([`DFU`]) and one in normal mode with none
//! ([`NORMAL`]). The restorer and the recovery exiter are stand-ins that only note what they were
//! asked to start: nothing is ever run.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Where the dashboard under test is served.
const SITE: &str = "127.0.0.1:7878";
/// The port with a phone in recovery mode, with an ECID.
pub const RECOVERY: &str = "1-4";
/// The port with a phone in DFU mode, with an ECID.
pub const DFU: &str = "1-5";
/// The port with a phone in normal mode, no ECID.
pub const NORMAL: &str = "2-1";
const ECID_RECOVERY: u64 = 0x0000_1A2B_3C4D_5E6F;
const ECID_DFU: u64 = 0x0000_0011_2233_4455;
/// The most an answer to one input may be: a few small JSON answers and the page.
const MAX_ANSWER: usize = 4 << 20;
/// Far longer than any input may take, even on a busy machine under a sanitizer.
const PATIENCE: Duration = Duration::from_secs(60);

/// An IPSW file that exists, so that a restore of a file can start:
/// `/tmp/restore-doctor-fuzz/firmware.ipsw` on Linux (an empty file; nothing reads it).
pub fn firmware() -> &'static PathBuf {
    static FIRMWARE: OnceLock<PathBuf> = OnceLock::new();
    FIRMWARE.get_or_init(|| {
        let dir = std::env::temp_dir().join("restore-doctor-fuzz");
        std::fs::create_dir_all(&dir).expect("a folder for the stand-in IPSW");
        let path = dir.join("firmware.ipsw");
        if !path.is_file() {
            std::fs::File::create(&path)
                .and_then(|mut f| f.write_all(b""))
                .expect("the stand-in IPSW");
        }
        path
    })
}

/// What the stand-ins were asked to start.
#[derive(Default)]
struct Started {
    restores: Mutex<Vec<web::RestoreJob>>,
    exits: Mutex<Vec<String>>,
}

struct Restorer(Arc<Started>);

impl web::Restorer for Restorer {
    fn start(&self, job: web::RestoreJob, _bench: Arc<web::Bench>) -> Result<(), String> {
        self.0.restores.lock().unwrap().push(job);
        Ok(())
    }
}

struct Exiter(Arc<Started>);

impl web::RecoveryExiter for Exiter {
    fn start(
        &self,
        port: String,
        _phone: usb::AppleDevice,
        _bench: Arc<web::Bench>,
    ) -> Result<(), String> {
        self.0.exits.lock().unwrap().push(port);
        Ok(())
    }
}

fn phone(port: &str, pid: u16, ecid: Option<u64>) -> usb::AppleDevice {
    let mut device = usb::AppleDevice::new("fuzz");
    device.usb_path = Some(port.to_owned());
    device.set_ids(usb::APPLE_VID, pid);
    device.ecid = ecid;
    device
}

/// What every input is served with, made once (a bench's event channel alone is megabytes): a
/// runtime, and a bench with the three phones whose event streams have ended, so that a request
/// for them ends too. What requests change on the bench (the restores it lists, at most 64)
/// changes no answer.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    bench: Arc<web::Bench>,
    token: web::Token,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let bench = web::Bench::new(false);
        bench.usb_change(true, &phone(RECOVERY, 0x1281, Some(ECID_RECOVERY)));
        bench.usb_change(true, &phone(DFU, 0x1227, Some(ECID_DFU)));
        bench.usb_change(true, &phone(NORMAL, 0x12a8, None));
        bench.close();
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            bench,
            token: web::Token::random().expect("a token"),
        }
    })
}

/// The dashboard served on `bound`, reachable from other computers with a token when `token`.
fn dashboard(bound: &str, token: bool, started: &Arc<Started>) -> web::Dashboard {
    web::Dashboard {
        kb: kb::Kb::embedded().expect("embedded kb"),
        bench: fixture().bench.clone(),
        db: None,
        restorer: Some(Box::new(Restorer(started.clone()))),
        exiter: Some(Box::new(Exiter(started.clone()))),
        site: web::Site::new(bound.parse().expect("an address")),
        token: token.then(|| fixture().token.clone()),
        show_ids: false,
    }
}

/// Writes `input` on one connection to `dashboard`, closes the writing side and reads every answer
/// until the server closes the connection.
async fn exchange(dashboard: web::Dashboard, input: Vec<u8>) -> Vec<u8> {
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let served = tokio::spawn(web::serve_connection(server, web::router(dashboard)));
    let (mut reading, mut writing) = tokio::io::split(&mut client);
    let write = async move {
        // The server may close first (a refused body): what it did not read is not an error.
        let _ = writing.write_all(&input).await;
        let _ = writing.shutdown().await;
    };
    let read = async move {
        let mut answer = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match reading.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&chunk[..n]);
                    assert!(
                        answer.len() <= MAX_ANSWER,
                        "answers over {MAX_ANSWER} bytes"
                    );
                }
            }
        }
        answer
    };
    let ((), answer) = tokio::join!(write, read);
    drop(client);
    // A malformed request is the client's error, not a failure of the server.
    let _ = served.await.expect("the connection task did not panic");
    answer
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    fixture().runtime.block_on(async {
        tokio::time::timeout(PATIENCE, future)
            .await
            .expect("the dashboard answered within 60 s")
    })
}

/// The status codes of the answers in `answer`, in order.
fn statuses(answer: &[u8]) -> Vec<u16> {
    let mut found = Vec::new();
    let mut rest = answer;
    while let Some(head_end) = find(rest, b"\r\n\r\n") {
        let head = std::str::from_utf8(&rest[..head_end]).expect("an answer's head is text");
        // HTTP/1.1, or 1.0 when the request was 1.0.
        let status = head
            .strip_prefix("HTTP/1.1 ")
            .or_else(|| head.strip_prefix("HTTP/1.0 "))
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP/1.x status line: {head:?}"));
        found.push(status);
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (n, value) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| value.trim())
            })
        };
        rest = &rest[head_end + 4..];
        if rest.starts_with(b"HTTP/1.1 ") || rest.starts_with(b"HTTP/1.0 ") {
            // An answer to HEAD: its length is said, its body not sent (no body starts so).
            continue;
        }
        if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            rest = after_chunks(rest);
        } else {
            let length = header("content-length").map_or(0, |v| v.parse().expect("a length"));
            rest = &rest[length.min(rest.len())..];
        }
    }
    found
}

/// What follows a chunked body (an event stream's) at the start of `body`; nothing when it
/// was cut off.
fn after_chunks(mut body: &[u8]) -> &[u8] {
    while let Some(line_end) = find(body, b"\r\n") {
        let Some(size) = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
        else {
            return &[];
        };
        body = &body[(line_end + 2 + size + 2).min(body.len())..];
        if size == 0 {
            break;
        }
    }
    body
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What holds for every restore that started, whatever asked for it: a port with a phone that
/// has an ECID, that phone's ECID, and an IPSW that is an existing file named as one.
fn check_restore(job: &web::RestoreJob) {
    let expected = match job.port.as_str() {
        RECOVERY => ECID_RECOVERY,
        DFU => ECID_DFU,
        other => panic!("a restore started on {other:?}, a port with no phone with an ECID"),
    };
    assert_eq!(job.ecid, expected);
    if let Some(ipsw) = &job.ipsw {
        let path = ipsw.path();
        assert!(path.is_absolute() && path.is_file(), "{}", path.display());
        let named = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("ipsw") || e.eq_ignore_ascii_case("zip"));
        assert!(named, "{}", path.display());
    }
}

/// The page's own request to `path` with `body`.
fn page_request(path: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {SITE}\r\nOrigin: http://{SITE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// The restore form as the dashboard reads it (its fields and defaults).
#[derive(serde::Deserialize)]
struct RestoreForm {
    port: String,
    #[serde(default)]
    ipsw: Option<String>,
    #[serde(default)]
    erase: bool,
    #[serde(default)]
    typed: Option<String>,
    #[serde(default)]
    confirmed: bool,
}

/// A body as the page sends it: the restore form and the exit-recovery form.
fn check_body(body: &[u8]) {
    let form = serde_json::from_slice::<RestoreForm>(body);
    let started = Arc::new(Started::default());
    let answer = run(exchange(
        dashboard(SITE, false, &started),
        page_request("/api/restores", body),
    ));
    let status = statuses(&answer);
    let restores = std::mem::take(&mut *started.restores.lock().unwrap());
    match status[..] {
        [202] => {
            let [job] = &restores[..] else {
                panic!("202 with {} restores", restores.len())
            };
            check_restore(job);
            let form = form.expect("a restore started from a form that reads");
            assert_eq!(form.port, job.port);
            // An erase only with the typed word and the second confirmation.
            if job.erase.is_some() {
                assert!(form.erase && form.confirmed);
                assert_eq!(form.typed.as_deref().map(str::trim), Some("erase"));
            }
            // The file asked for, or none when none was named.
            let asked = form.ipsw.as_deref().filter(|p| !p.trim().is_empty());
            match (&job.ipsw, asked) {
                (Some(ipsw), Some(asked)) => {
                    assert_eq!(ipsw.path(), std::path::absolute(asked).unwrap())
                }
                (None, None) => {}
                (ipsw, asked) => panic!("IPSW {ipsw:?} for {asked:?}"),
            }
        }
        [400 | 403 | 404 | 409 | 413 | 415 | 422] => assert!(restores.is_empty()),
        _ => panic!(
            "restore answers {status:?} to {:?}",
            String::from_utf8_lossy(body)
        ),
    }

    let answer = run(exchange(
        dashboard(SITE, false, &started),
        page_request("/api/exit-recovery", body),
    ));
    let status = statuses(&answer);
    let exits = std::mem::take(&mut *started.exits.lock().unwrap());
    match status[..] {
        // Only the phone in recovery mode with an ECID can be told to leave it.
        [202] => assert_eq!(exits, [RECOVERY]),
        [400 | 404 | 409 | 413 | 415 | 422] => assert!(exits.is_empty()),
        _ => panic!(
            "exit-recovery answers {status:?} to {:?}",
            String::from_utf8_lossy(body)
        ),
    }
    assert!(started.restores.lock().unwrap().is_empty());
}

/// What a client writes on one connection, to a dashboard on this computer and to one that other
/// computers reach with a token.
fn check_connection(input: &[u8]) {
    let started = Arc::new(Started::default());
    let answer = run(exchange(dashboard(SITE, false, &started), input.to_vec()));
    let status = statuses(&answer);
    assert!(
        answer.is_empty() || !status.is_empty(),
        "an answer with no status line"
    );
    assert!(
        status.iter().all(|s| *s != 500),
        "a server error answering {:?}",
        String::from_utf8_lossy(input)
    );
    let restores = std::mem::take(&mut *started.restores.lock().unwrap());
    for job in &restores {
        check_restore(job);
    }
    let exits = std::mem::take(&mut *started.exits.lock().unwrap());
    assert!(exits.iter().all(|port| port == RECOVERY), "{exits:?}");
    if !restores.is_empty() || !exits.is_empty() {
        // Started only by a request that named the page as its origin.
        let lower = String::from_utf8_lossy(input).to_ascii_lowercase();
        assert!(lower.contains("origin:"), "started with no Origin");
    }

    // From another computer, nothing gets past a token nobody here knows.
    let answer = run(exchange(
        dashboard("0.0.0.0:7878", true, &started),
        input.to_vec(),
    ));
    let status = statuses(&answer);
    assert!(
        status.iter().all(|s| !(200..400).contains(s) && *s != 500),
        "{status:?} with no token for {:?}",
        String::from_utf8_lossy(input)
    );
    assert!(started.restores.lock().unwrap().is_empty());
    assert!(started.exits.lock().unwrap().is_empty());
}

pub fn check(data: &[u8]) {
    firmware();
    if data.first().is_some_and(u8::is_ascii_uppercase) {
        check_connection(data);
    } else {
        check_body(data);
    }
}
