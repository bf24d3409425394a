//! `serve`: the bench dashboard in a real headless Chromium (through chromedriver), fed by a
//! replayed bench recording; the API's shapes, the token and the erase confirmation.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::harness::{command, peers_present};
use crate::restore::StandIn;

fn bench_recording() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bench/three-ports-one-dropping.scenario")
}

/// A running `restore-doctor serve`, stopped when dropped.
struct Server {
    child: Child,
    /// `host:port` to connect to.
    address: String,
    token: Option<String>,
    db: tempfile::TempDir,
}

impl Server {
    fn start(bind: &str, args: &[&str]) -> Server {
        let db = tempfile::tempdir().unwrap();
        let mut child = command()
            .arg("--db")
            .arg(db.path().join("cases.sqlite"))
            .args(["serve", "--bind", bind])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first
            .split("http://")
            .nth(1)
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let address = url
            .split('/')
            .next()
            .unwrap()
            .replace("0.0.0.0", "127.0.0.1");
        let token = first.split("?token=").nth(1).map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_hexdigit)
                .collect::<String>()
        });
        Server {
            child,
            address,
            token,
            db,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// One HTTP/1.1 request: the status and the whole answer.
    fn request(&self, method: &str, path: &str, headers: &[&str], body: &str) -> (u16, String) {
        self.request_to(&self.address, method, path, headers, body)
    }

    /// A JSON `POST` as the dashboard's page sends it: with the page's own `Origin`.
    fn post(&self, path: &str, body: &str) -> (u16, String) {
        let origin = format!("Origin: http://{}", self.address);
        self.request(
            "POST",
            path,
            &[&origin, "Content-Type: application/json"],
            body,
        )
    }

    /// The same, addressed (`Host`) to `host`.
    fn request_to(
        &self,
        host: &str,
        method: &str,
        path: &str,
        headers: &[&str],
        body: &str,
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for header in headers {
            request.push_str(header);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        request.push_str(body);
        // A server that refuses a request may answer and hang up before it is all sent, and
        // then reset the connection: what it answered is read all the same.
        let _ = stream.write_all(request.as_bytes());
        let mut answer = Vec::new();
        let mut buffer = [0u8; 8192];
        while let Ok(n @ 1..) = stream.read(&mut buffer) {
            answer.extend_from_slice(&buffer[..n]);
        }
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, answer)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn body_json(answer: &str) -> Value {
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

/// chromedriver with a headless Chromium session, ended when dropped.
struct Browser {
    driver: Child,
    client: Option<Client>,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn open() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({"args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,800",
                format!("--user-data-dir={}", profile.path().display()),
            ]}),
        );
        let client = ClientBuilder::rustls()
            .unwrap()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Browser {
            driver,
            client: Some(client),
            _profile: profile,
        }
    }

    fn page(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Runs `script` (which returns a value) until `ready` accepts it, for up to `seconds`.
    async fn until(&self, script: &str, seconds: u64, ready: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let value = self.page().execute(script, vec![]).await.unwrap();
            if ready(&value) {
                return value;
            }
            assert!(
                started.elapsed() < Duration::from_secs(seconds),
                "gave up waiting: {script} is {value}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn browser_present() -> bool {
    peers_present(&["chromium", "chromedriver"], "chromium chromium-driver")
}

const PORTS: &str = "return [...document.querySelectorAll('#hubs .port')].map(p => p.dataset.port)";
const ALERTS: &str =
    "return [...document.querySelectorAll('#alerts .alert')].map(a => a.innerText)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_every_port_and_the_drops_as_they_happen_in_two_tabs() {
    if !browser_present() {
        return;
    }
    // 20 times real time: the first drop comes about 5.5 s after the start, the second at 11.5 s.
    let recording = bench_recording();
    let server = Server::start(
        "127.0.0.1:0",
        &["--replay", recording.to_str().unwrap(), "--speed", "20"],
    );
    let browser = Browser::open().await;
    browser.page().goto(&server.url()).await.unwrap();
    let ports = browser
        .until(PORTS, 20, |v| v.as_array().is_some_and(|a| a.len() == 3))
        .await;
    assert_eq!(ports, json!(["1-2.1", "1-2.2", "1-2.3"]));
    let alerts = browser
        .until(ALERTS, 40, |v| v.as_array().is_some_and(|a| a.len() == 2))
        .await;
    for alert in alerts.as_array().unwrap() {
        let text = alert.as_str().unwrap();
        assert!(
            text.contains("1-2.3") && text.contains(kb::Phase::RestoreOs.words()),
            "the phase in words: {text}"
        );
        assert!(!text.contains("null"), "{text}");
        assert!(
            text.contains("into the recording"),
            "a replay's times are the recording's: {text}"
        );
        assert!(
            text.contains("Take the hub"),
            "a drop behind a hub says to take the hub out first: {text}"
        );
        assert!(text.contains("Next:"), "a drop says what to do: {text}");
    }
    let seen = browser
        .page()
        .execute("return window.restoreDoctor.counts", vec![])
        .await
        .unwrap();
    assert_eq!(seen["loads"], 1, "the alerts came without a reload: {seen}");
    assert!(seen["alert"].as_u64() >= Some(1), "{seen}");
    let dropping = browser
        .page()
        .execute(
            "return [...document.querySelectorAll('#hubs .port.dropping')].map(p => p.dataset.port)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        dropping,
        json!(["1-2.3"]),
        "the slot that keeps failing stands out"
    );

    // Once the replay has ended, a second tab opened then shows the same bench.
    browser
        .until(
            "return document.querySelector('#status').textContent",
            30,
            |v| v == "live · the replay has ended",
        )
        .await;
    let first = browser.page().window().await.unwrap();
    let second = browser.page().new_window(true).await.unwrap();
    browser
        .page()
        .switch_to_window(second.handle)
        .await
        .unwrap();
    browser.page().goto(&server.url()).await.unwrap();
    browser
        .until(ALERTS, 20, |v| v.as_array().is_some_and(|a| a.len() == 2))
        .await;
    let ports_there = browser.until(PORTS, 5, |v| v.is_array()).await;
    assert_eq!(ports_there, ports);
    // Compared once the recording has played out (a tab in the background draws when shown).
    let ended = "return window.restoreDoctor.model.replayDone";
    browser.until(ended, 30, |v| v == &json!(true)).await;
    let text = "return document.querySelector('#hubs').innerText";
    let second_view = browser.page().execute(text, vec![]).await.unwrap();
    browser.page().switch_to_window(first).await.unwrap();
    browser.until(ended, 30, |v| v == &json!(true)).await;
    let first_view = browser.until(text, 10, |v| v == &second_view).await;
    assert_eq!(first_view, second_view);

    // Screenshots for a person to look at (kept beside the test binaries, not committed).
    for (width, height) in [(1280, 800), (390, 844)] {
        browser.page().set_window_size(width, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = browser.page().screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let path =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dashboard-{width}x{height}.png"));
        std::fs::write(&path, png).unwrap();
    }
    // And printed, as a technician would for a repair ticket.
    let pdf = browser
        .page()
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.pdf"),
        pdf,
    )
    .unwrap();
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erase_from_the_page_needs_the_word_and_a_second_confirmation() {
    if !browser_present() {
        return;
    }
    let stand_in = StandIn::bench(&[("0x0000000000000C03", &["success"])], 1, 0.0);
    let recording = bench_recording();
    let server = Server::start(
        "127.0.0.1:0",
        &[
            "--replay",
            recording.to_str().unwrap(),
            "--speed",
            "0",
            "--idevicerestore",
            stand_in.path().to_str().unwrap(),
        ],
    );
    let browser = Browser::open().await;
    let page = browser.page();
    page.goto(&server.url()).await.unwrap();
    browser
        .until("return window.restoreDoctor.model.replayDone", 20, |v| {
            v == true
        })
        .await;
    // At the end of the recording only the phone on 1-2.3 is in recovery mode: the one that
    // can be restored.
    let buttons = browser
        .until(
            "return [...document.querySelectorAll('.restore-button')].map(b => b.closest('.port').dataset.port)",
            20,
            |v| v.as_array().is_some_and(|a| !a.is_empty()),
        )
        .await;
    assert_eq!(buttons, json!(["1-2.3"]));
    page.find(Locator::Css(".restore-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.find(Locator::Css("input[name=kind][value=erase]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let start = page.find(Locator::Id("restore-start")).await.unwrap();
    let word = page.find(Locator::Id("erase-word")).await.unwrap();
    assert!(!start.is_enabled().await.unwrap(), "no word, no erase");
    word.send_keys("eras").await.unwrap();
    assert!(!start.is_enabled().await.unwrap(), "a wrong word, no erase");
    word.send_keys("e").await.unwrap();
    assert!(start.is_enabled().await.unwrap());
    start.click().await.unwrap();
    let again = page.find(Locator::Id("erase-again")).await.unwrap();
    assert!(again.is_displayed().await.unwrap(), "a second confirmation");
    assert!(start.text().await.unwrap().contains("Yes, erase"));
    assert!(
        stand_in.runs("0x0000000000000C03").is_empty(),
        "nothing started before the second yes"
    );

    // The server checks too: a request that skips either confirmation is refused.
    let refused = page
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const ask = (body) => fetch('/api/restores', {method: 'POST',
               headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)}).then(r => r.status);
             Promise.all([
               ask({port: '1-2.3', erase: true, typed: 'erase', confirmed: false}),
               ask({port: '1-2.3', erase: true, typed: 'yes', confirmed: true}),
               ask({port: '1-2.3', erase: true, confirmed: true}),
             ]).then(done);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(refused, json!([403, 403, 403]));
    assert!(
        stand_in.runs("0x0000000000000C03").is_empty(),
        "idevicerestore never started by them"
    );

    start.click().await.unwrap();
    let state = browser
        .until(
            "const s = document.querySelector('.restore .state'); return s ? s.textContent : null",
            30,
            |v| v == "restored" || v == "failed",
        )
        .await;
    assert_eq!(state, "restored");
    // Started once, for the phone on that port, with the erase.
    let runs = stand_in.runs("0x0000000000000C03");
    assert_eq!(runs.len(), 1);
    assert!(runs[0].contains(&"-e".to_owned()), "{runs:?}");
    let log = page
        .find(Locator::Css(".restore pre.log"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        log.contains("Restore Finished") || log.contains("DONE"),
        "{log}"
    );

    // The case it made is listed and its report opens.
    let (status, cases) = server.request("GET", "/api/cases", &[], "");
    assert_eq!(status, 200);
    let cases = body_json(&cases);
    let id = cases["cases"][0]["id"].as_str().expect("a case").to_owned();
    assert_eq!(cases["cases"][0]["status"], "fixed", "{cases}");
    let (status, report) = server.request("GET", &format!("/api/cases/{id}/report"), &[], "");
    assert_eq!(status, 200);
    assert!(report.contains("<html") && report.contains(&id), "{report}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_page_catches_up_after_the_server_restarts() {
    if !browser_present() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let recording = bench_recording();
    let server = Server::start(
        &bind,
        &["--replay", recording.to_str().unwrap(), "--speed", "0"],
    );
    let browser = Browser::open().await;
    browser.page().goto(&server.url()).await.unwrap();
    browser
        .until(PORTS, 20, |v| v.as_array().is_some_and(|a| a.len() == 3))
        .await;
    drop(server);
    browser
        .until(
            "return document.getElementById('status').textContent",
            20,
            |v| v.as_str().is_some_and(|s| s.contains("reconnecting")),
        )
        .await;
    // Back on the same address with another bench: the page shows it without being reloaded.
    let other = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/watch/tests/scenarios/two-devices-one-bad-port.scenario");
    let _server = Server::start(
        &bind,
        &["--replay", other.to_str().unwrap(), "--speed", "0"],
    );
    let ports = browser
        .until(PORTS, 30, |v| v.as_array().is_some_and(|a| a.len() == 2))
        .await;
    assert_eq!(ports, json!(["1-1", "1-3"]));
    let status = browser
        .page()
        .execute(
            "return document.getElementById('status').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, "live · the replay has ended");
    browser.close().await;
}

/// A restore started from the page on a live bus: the link watch sees the phone drop in
/// restore mode while idevicerestore runs, and the case the restore leaves keeps that drop.
#[test]
fn a_restore_started_from_the_page_keeps_what_the_link_showed() {
    let bus = tempfile::tempdir().unwrap();
    let tool = crate::restore::dropping_stand_in(bus.path());
    let server = Server::start(
        "127.0.0.1:0",
        &[
            "--sysfs-root",
            bus.path().to_str().unwrap(),
            "--idevicerestore",
            tool.to_str().unwrap(),
        ],
    );
    let wait = |what: &str, ready: &dyn Fn(&Value) -> bool| {
        let started = Instant::now();
        loop {
            let state = body_json(&server.request("GET", "/api/state", &[], "").1);
            if ready(&state) {
                return state;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what}: {state}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait("the phone on 1-1", &|s| {
        s["ports"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["port"] == "1-1" && p["present"] == true))
    });
    let (status, answer) = server.post("/api/restores", r#"{"port":"1-1"}"#);
    assert_eq!(status, 202, "{answer}");
    let state = wait("the restore's end", &|s| {
        s["restores"][0]["state"]
            .as_str()
            .is_some_and(|s| s != "running")
    });
    assert_eq!(state["restores"][0]["state"], "failed", "{state}");
    assert!(
        state["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "drop" && a["port"] == "1-1"),
        "{state}"
    );
    let cases = body_json(&server.request("GET", "/api/cases", &[], "").1);
    let events = cases["cases"][0]["events"].as_array().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "drop" && e["port"] == "1-1" && e["phase"] == "restore-os"),
        "the case keeps the drop: {cases}"
    );
    assert_eq!(cases["ports"][0]["drops"], 1, "{cases}");
}

#[test]
fn the_api_answers_its_shapes_and_other_computers_need_the_token() {
    let recording = bench_recording();
    let replay = ["--replay", recording.to_str().unwrap(), "--speed", "0"];
    let local = Server::start("127.0.0.1:0", &replay);
    assert_eq!(local.token, None, "no token on this computer alone");
    // Wait for the replay to end; then the bench is as the recording left it.
    let started = Instant::now();
    while !body_json(&local.request("GET", "/api/state", &[], "").1)["replay_done"]
        .as_bool()
        .unwrap_or(false)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the replay never ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, answer) = local.request("GET", "/api/devices", &[], "");
    assert_eq!(status, 200, "{answer}");
    let devices = body_json(&answer);
    // The `devices --json` shape, identifiers masked.
    let paths: Vec<&str> = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["usb_path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["1-2.1", "1-2.2", "1-2.3"], "{devices}");
    let phone = &devices["devices"][2];
    for key in [
        "mode",
        "ecid",
        "udid",
        "vid",
        "pid",
        "speed",
        "speed_mbps",
        "hubs_in_path",
        "source",
    ] {
        assert!(phone.get(key).is_some(), "{key} in {phone}");
    }
    assert_eq!(phone["mode"], "recovery");
    assert_eq!(phone["ecid"], "0x************0C03");
    assert_eq!(devices["sources"][0]["ok"], true);
    let (status, page) = local.request("GET", "/", &[], "");
    assert_eq!(status, 200);
    assert!(
        page.contains("content-security-policy: default-src 'none'"),
        "{page}"
    );
    let (status, _) = local.request(
        "POST",
        "/api/restores",
        &[
            "Origin: http://evil.example",
            "Content-Type: application/json",
        ],
        r#"{"port":"1-2.3"}"#,
    );
    assert_eq!(status, 403, "another site's page cannot start a restore");

    let open = Server::start("0.0.0.0:0", &replay);
    let token = open.token.clone().expect("a token is printed");
    assert_eq!(token.len(), 32);
    assert_eq!(open.request("GET", "/api/devices", &[], "").0, 401);
    assert_eq!(open.request("GET", "/", &[], "").0, 401);
    assert_eq!(open.request("GET", "/api/events", &[], "").0, 401);
    let wrong = format!("Authorization: Bearer {}", "0".repeat(32));
    assert_eq!(open.request("GET", "/api/devices", &[&wrong], "").0, 401);
    let bearer = format!("Authorization: Bearer {token}");
    assert_eq!(open.request("GET", "/api/devices", &[&bearer], "").0, 200);
    // Opening the printed address keeps the token in a cookie and drops it from the address.
    let (status, answer) = open.request("GET", &format!("/?token={token}"), &[], "");
    assert_eq!(status, 303, "{answer}");
    assert!(
        answer.contains("set-cookie: restore_doctor_token="),
        "{answer}"
    );
    let cookie = format!("Cookie: restore_doctor_token={token}");
    assert_eq!(open.request("GET", "/api/devices", &[&cookie], "").0, 200);
    assert!(
        !open.db.path().join("cases.sqlite").exists(),
        "serving writes no case"
    );
}

/// Stopping the server (SIGTERM) stops the restore the page started: idevicerestore and the
/// child it started are gone, and the server exits.
#[test]
fn a_restore_from_the_page_ends_when_the_server_stops() {
    use crate::restore::{lingering_stand_in, running, send, tool_pids, until};
    let bus = recovery_phone_on_1_1();
    let tool = lingering_stand_in(bus.path(), "wait");
    let mut server = Server::start(
        "127.0.0.1:0",
        &[
            "--sysfs-root",
            bus.path().to_str().unwrap(),
            "--idevicerestore",
            tool.to_str().unwrap(),
        ],
    );
    until(30, "the phone on 1-1", || {
        body_json(&server.request("GET", "/api/state", &[], "").1)["ports"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["port"] == "1-1" && p["present"] == true))
    });
    let (status, answer) = server.post("/api/restores", r#"{"port":"1-1"}"#);
    assert_eq!(status, 202, "{answer}");
    let [tool_pid, child_pid] = tool_pids(bus.path());
    send(server.child.id(), rustix::process::Signal::TERM);
    until(60, "the tool and its child are gone", || {
        !running(tool_pid) && !running(child_pid)
    });
    until(60, "the server exits", || {
        server.child.try_wait().unwrap().is_some()
    });
}

/// A bus with a phone in recovery mode on port 1-1 (ECID 0x001A2B3C4D5E6F70).
fn recovery_phone_on_1_1() -> tempfile::TempDir {
    let bus = tempfile::tempdir().unwrap();
    crate::harness::sysfs_device(
        bus.path(),
        "1-1",
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
    bus
}

/// The `ipsw` field of a restore from the page is a file to restore, never a flag: `--erase`,
/// `-e` and `-le` are refused before anything starts, and a real IPSW goes after `--`.
#[test]
fn an_ipsw_field_that_reads_as_flags_never_reaches_the_tool() {
    let bus = recovery_phone_on_1_1();
    let stand_in = StandIn::bench(&[("0x001A2B3C4D5E6F70", &["success"])], 1, 0.0);
    let server = Server::start(
        "127.0.0.1:0",
        &[
            "--sysfs-root",
            bus.path().to_str().unwrap(),
            "--idevicerestore",
            stand_in.path().to_str().unwrap(),
        ],
    );
    crate::restore::until(30, "the phone on 1-1", || {
        body_json(&server.request("GET", "/api/state", &[], "").1)["ports"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["port"] == "1-1" && p["present"] == true))
    });
    for body in [
        json!({"port": "1-1", "ipsw": "--erase"}),
        json!({"port": "1-1", "ipsw": "-e"}),
        json!({"port": "1-1", "ipsw": "-le"}),
        json!({"port": "1-1", "ipsw": "-le", "erase": false}),
        json!({"port": "1-1", "ipsw": "/nonexistent/x.ipsw"}),
    ] {
        let (status, answer) = server.post("/api/restores", &body.to_string());
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            body_json(&answer)["error"]
                .as_str()
                .unwrap()
                .contains("nothing was started")
        );
    }
    assert!(
        stand_in.runs("0x001A2B3C4D5E6F70").is_empty(),
        "never started"
    );
    let ipsw = stand_in.ipsw();
    let (status, answer) = server.post(
        "/api/restores",
        &json!({"port": "1-1", "ipsw": ipsw}).to_string(),
    );
    assert_eq!(status, 202, "{answer}");
    crate::restore::until(30, "the restore's end", || {
        body_json(&server.request("GET", "/api/state", &[], "").1)["restores"][0]["state"]
            .as_str()
            .is_some_and(|s| s != "running")
    });
    let runs = stand_in.runs("0x001A2B3C4D5E6F70");
    let args = &runs[0];
    assert_eq!(args[args.len() - 2..], ["--".to_owned(), ipsw], "{args:?}");
    assert!(!args.contains(&"-e".to_owned()), "{args:?}");
}

/// A page from another name that resolves to 127.0.0.1 (DNS rebinding: its Origin matches its
/// Host) reads nothing and starts nothing: every route answers 421, the page and its assets
/// included. An Origin of another scheme or port is refused too.
#[test]
fn requests_addressed_to_another_name_or_from_another_origin_are_refused() {
    let bus = recovery_phone_on_1_1();
    let stand_in = StandIn::bench(&[("0x001A2B3C4D5E6F70", &["success"])], 1, 0.0);
    let server = Server::start(
        "127.0.0.1:0",
        &[
            "--sysfs-root",
            bus.path().to_str().unwrap(),
            "--idevicerestore",
            stand_in.path().to_str().unwrap(),
        ],
    );
    crate::restore::until(30, "the phone on 1-1", || {
        body_json(&server.request("GET", "/api/state", &[], "").1)["ports"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["port"] == "1-1" && p["present"] == true))
    });
    let port = server.address.rsplit(':').next().unwrap().to_owned();
    let evil = format!("evil.example:{port}");
    let evil_origin = format!("Origin: http://{evil}");
    let erase = r#"{"port":"1-1","erase":true,"typed":"erase","confirmed":true}"#;
    for (method, path, body) in [
        ("GET", "/", ""),
        ("GET", "/app.js", ""),
        ("GET", "/app.css", ""),
        ("GET", "/api/state", ""),
        ("GET", "/api/devices", ""),
        ("GET", "/api/cases", ""),
        ("GET", "/api/cases/C1A2/report", ""),
        ("GET", "/api/events", ""),
        ("GET", "/nothing-here", ""),
        ("POST", "/api/restores", erase),
    ] {
        for host in [evil.as_str(), "evil.example", "127.0.0.1", "127.0.0.1:1"] {
            let (status, answer) = server.request_to(
                host,
                method,
                path,
                &[&evil_origin, "Content-Type: application/json"],
                body,
            );
            assert_eq!(status, 421, "{method} {path} to {host}: {answer}");
            assert!(!answer.contains("1-1"), "nothing of the bench: {answer}");
        }
    }
    // An absolute address in the request line names the server too, whatever the Host says.
    let (status, answer) = server.request("GET", &format!("http://{evil}/api/state"), &[], "");
    assert_eq!(status, 421, "{answer}");
    // localhost is this computer, with the same port.
    let localhost = format!("localhost:{port}");
    assert_eq!(
        server
            .request_to(&localhost, "GET", "/api/state", &[], "")
            .0,
        200
    );
    // The right Host with another origin: another scheme, port or name.
    for origin in [
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{}", port.parse::<u16>().unwrap() ^ 1),
        format!("http://{evil}"),
        "null".to_owned(),
    ] {
        let origin = format!("Origin: {origin}");
        for (method, path, body) in [("POST", "/api/restores", erase), ("GET", "/api/cases", "")] {
            let (status, answer) = server.request(
                method,
                path,
                &[&origin, "Content-Type: application/json"],
                body,
            );
            assert_eq!(status, 403, "{origin} {method} {path}: {answer}");
        }
    }
    // A change that names no page at all (a browser always names it) is refused too.
    let (status, answer) = server.request(
        "POST",
        "/api/restores",
        &["Content-Type: application/json"],
        erase,
    );
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("nothing was done"), "{answer}");
    assert!(
        stand_in.runs("0x001A2B3C4D5E6F70").is_empty(),
        "no restore, and no erase, was started"
    );
    // The page's own origin is fine.
    let (status, answer) = server.post("/api/restores", r#"{"port":"1-1"}"#);
    assert_eq!(status, 202, "{answer}");
}

/// A body larger than the restore form is refused before it is read through, and a body that
/// does not arrive is given up (408) and its connection closed: neither starts anything.
#[test]
fn a_request_body_is_bounded_in_size_and_time() {
    let bus = recovery_phone_on_1_1();
    let stand_in = StandIn::bench(&[("0x001A2B3C4D5E6F70", &["success"])], 1, 0.0);
    let server = Server::start(
        "127.0.0.1:0",
        &[
            "--sysfs-root",
            bus.path().to_str().unwrap(),
            "--idevicerestore",
            stand_in.path().to_str().unwrap(),
        ],
    );
    crate::restore::until(30, "the phone on 1-1", || {
        body_json(&server.request("GET", "/api/state", &[], "").1)["ports"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["port"] == "1-1" && p["present"] == true))
    });
    // A valid form padded to 64 KiB.
    let padded = format!(r#"{{"port":"1-1","ipsw":null{}}}"#, " ".repeat(64 * 1024));
    let (status, answer) = server.post("/api/restores", &padded);
    assert_eq!(status, 413, "{answer}");

    // A body announced as 200 bytes of which one comes.
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    write!(
        stream,
        "POST /api/restores HTTP/1.1\r\nHost: {0}\r\nOrigin: http://{0}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{",
        server.address
    )
    .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the server still waits for the body: {}",
            String::from_utf8_lossy(&answer)
        );
        let mut buffer = [0u8; 1024];
        // Waits up to a second for the server to answer or hang up.
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(_) => {}
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        stand_in.runs("0x001A2B3C4D5E6F70").is_empty(),
        "nothing was started"
    );
}

/// Answers say not to sniff their type nor send a referrer, and the API's (state, cases,
/// reports) not to be stored; the token is taken from the address only on the page itself.
#[test]
fn answers_carry_their_safety_headers_and_the_token_stays_out_of_api_addresses() {
    let recording = bench_recording();
    let replay = ["--replay", recording.to_str().unwrap(), "--speed", "0"];
    let local = Server::start("127.0.0.1:0", &replay);
    for path in [
        "/",
        "/app.js",
        "/api/state",
        "/api/cases",
        "/api/cases/C1A2/report",
    ] {
        let (_, answer) = local.request("GET", path, &[], "");
        let head = answer
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            head.contains("x-content-type-options: nosniff"),
            "{path}: {head}"
        );
        assert!(
            head.contains("referrer-policy: no-referrer"),
            "{path}: {head}"
        );
        if path.starts_with("/api/") {
            assert!(head.contains("cache-control: no-store"), "{path}: {head}");
        }
    }
    let open = Server::start("0.0.0.0:0", &replay);
    let token = open.token.clone().expect("a token is printed");
    for path in ["/api/devices", "/api/state", "/api/cases", "/app.js"] {
        let (status, _) = open.request("GET", &format!("{path}?token={token}"), &[], "");
        assert_eq!(status, 401, "{path}?token= is not accepted");
    }
    let (status, answer) = open.request("GET", &format!("/?token={token}"), &[], "");
    assert_eq!(status, 303, "{answer}");
}

/// A client that sends its request head one line every two seconds is disconnected once the
/// head has taken longer than the server allows (10 s), well before it is done.
#[test]
fn a_client_that_trickles_its_headers_is_disconnected() {
    let recording = bench_recording();
    let server = Server::start(
        "127.0.0.1:0",
        &["--replay", recording.to_str().unwrap(), "--speed", "0"],
    );
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let started = Instant::now();
    let mut head = format!("GET /api/state HTTP/1.1\r\nHost: {}\r\n", server.address);
    let mut answer = Vec::new();
    let closed = loop {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the trickling connection is still open"
        );
        if stream.write_all(head.as_bytes()).is_err() {
            break true;
        }
        head = format!(
            "X-Trickle-{}: {}\r\n",
            answer.len(),
            started.elapsed().as_millis()
        );
        let mut buffer = [0u8; 1024];
        // Waits up to two seconds for the server to answer or hang up.
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => {}
        }
    };
    assert!(closed);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        !answer.contains("\"ports\""),
        "no state was served: {answer}"
    );
}

/// A bench whose USB bus cannot be read says so, why and what to do, instead of waiting for
/// a phone it could never see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bus_that_cannot_be_read_is_said_instead_of_no_phone_seen() {
    let missing = tempfile::tempdir().unwrap();
    let root = missing.path().join("no-such-sysfs");
    let server = Server::start("127.0.0.1:0", &["--sysfs-root", root.to_str().unwrap()]);
    let started = Instant::now();
    let usb = loop {
        let (status, answer) = server.request("GET", "/api/state", &[], "");
        assert_eq!(status, 200, "{answer}");
        let state = body_json(&answer);
        let sources = state["sources"].as_array().cloned().unwrap_or_default();
        if let Some(usb) = sources.into_iter().find(|s| s["name"] == "usb") {
            break usb;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{state}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(usb["ok"], false, "{usb}");
    assert!(
        usb["error"]
            .as_str()
            .is_some_and(|e| e.contains("no-such-sysfs")),
        "{usb}"
    );
    let help = usb["help"].as_str().unwrap();
    assert!(help.contains("USB bus"), "{help}");
    let (_, devices) = server.request("GET", "/api/devices", &[], "");
    assert!(
        body_json(&devices)["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "usb" && s["ok"] == false),
        "{devices}"
    );

    if !browser_present() {
        return;
    }
    let browser = Browser::open().await;
    browser.page().goto(&server.url()).await.unwrap();
    let problem = browser
        .until(
            "return document.querySelector('#source-problems').innerText",
            20,
            |v| v.as_str().is_some_and(|t| !t.is_empty()),
        )
        .await;
    assert!(problem.as_str().unwrap().contains(help), "{problem}");
    let no_phone = browser
        .page()
        .execute("return document.querySelector('#no-ports').hidden", vec![])
        .await
        .unwrap();
    assert_eq!(
        no_phone,
        json!(true),
        "'No phone seen yet' is not the story here"
    );
    browser.close().await;
}

/// The same evidence gets the same next step in every command: a phone that drops in restore
/// mode, restored once by `restore` and once from the dashboard, gets the next step that
/// `diagnose --plan` gives its case.
#[test]
fn restore_the_dashboard_and_diagnose_name_the_same_next_step() {
    let next_in_plan = |db: &Path, case: &str| -> String {
        let out = command()
            .arg("--db")
            .arg(db)
            .args(["diagnose", "--resume", case, "--plan", "--json"])
            .output()
            .unwrap();
        let plan: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        let step = plan["plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == "action")
            .unwrap_or_else(|| panic!("an action in {plan}"));
        step["id"].as_str().unwrap().to_owned()
    };

    // Behind a hub: only a case that keeps what USB showed of the phone knows it.
    let port = "1-2.2";
    let bus = tempfile::tempdir().unwrap();
    let tool = crate::restore::dropping_stand_in_on(bus.path(), port);
    let db = tempfile::tempdir().unwrap();
    let db = db.path().join("cases.sqlite");
    let out = command()
        .arg("--db")
        .arg(&db)
        .args(["restore", "--latest", "--json", "--idevicerestore"])
        .arg(&tool)
        .arg("--sysfs-root")
        .arg(bus.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let verdict: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(verdict["kind"], "verdict", "{stdout}");
    let from_restore = verdict["next_step"]["id"].as_str().unwrap().to_owned();
    let case = verdict["case"].as_str().unwrap();
    assert_eq!(next_in_plan(&db, case), from_restore, "{stdout}");
    assert_eq!(from_restore, "remove-hub", "the hub comes first: {stdout}");

    let bus = tempfile::tempdir().unwrap();
    let tool = crate::restore::dropping_stand_in_on(bus.path(), port);
    let server = Server::start(
        "127.0.0.1:0",
        &[
            "--sysfs-root",
            bus.path().to_str().unwrap(),
            "--idevicerestore",
            tool.to_str().unwrap(),
        ],
    );
    let state = || body_json(&server.request("GET", "/api/state", &[], "").1);
    let started = Instant::now();
    let until = |what: &str, ready: &dyn Fn(&Value) -> bool| loop {
        let now = state();
        if ready(&now) {
            return now;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{what}: {now}");
        std::thread::sleep(Duration::from_millis(100));
    };
    until("the phone on its port", &|s| {
        s["ports"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["port"] == port && p["present"] == true))
    });
    let (status, answer) = server.post("/api/restores", &json!({ "port": port }).to_string());
    assert_eq!(status, 202, "{answer}");
    let state = until("the restore's verdict", &|s| {
        s["restores"][0]["verdict"]["kind"] == "verdict"
    });
    let verdict = &state["restores"][0]["verdict"];
    assert_eq!(
        verdict["next_step"]["id"].as_str(),
        Some(from_restore.as_str()),
        "the dashboard and `restore` disagree: {state}"
    );
    let page_db = server.db.path().join("cases.sqlite");
    let case = verdict["case"].as_str().unwrap();
    assert_eq!(next_in_plan(&page_db, case), from_restore, "{state}");
}
