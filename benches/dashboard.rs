//! The dashboard under load: `restore-doctor serve` replays a bench of BENCH_DEVICES phones
//! (20) changing BENCH_RATE times a second (10,000) for BENCH_SECONDS (60), while one SSE
//! client counts every event and a headless Chromium page draws them.
//!
//! Prints: events sent and received (a gap in the SSE ids is a lost event), the server's
//! resident memory each ten seconds, and the page's own timing of an update (arrival of an
//! event to the frame that showed it): median, p99 and max. `cargo bench --bench dashboard`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fantoccini::ClientBuilder;
use serde_json::json;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A recording of `devices` phones, each cycling DFU → recovery → restore mode, `rate`
/// changes a second in all, for `seconds`.
fn recording(devices: u64, rate: u64, seconds: u64) -> String {
    let mut text = String::from("# restore-doctor scenario 1\n");
    let cycle = [
        ("attach", "1227"),
        ("detach", "1227"),
        ("attach", "1281"),
        ("detach", "1281"),
        ("attach", "12a8"),
        ("detach", "12a8"),
    ];
    let total = rate * seconds;
    for n in 0..total {
        let phone = n % devices;
        let step = (n / devices) as usize % cycle.len();
        let (change, pid) = cycle[step];
        let port = format!("1-{}.{}", 2 + phone / 7, 1 + phone % 7);
        let t = n as f64 / rate as f64;
        let id = if pid == "12a8" {
            format!("udid=00008030-{:016X}", 0xB000 + phone)
        } else {
            format!("ecid=0x{:016X}", 0xB000 + phone)
        };
        text.push_str(&format!(
            "{t:.4} {change} {port} 05ac:{pid} {id} speed=480\n"
        ));
    }
    text
}

fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Reads the SSE stream: counts events by name and the ids that were skipped.
fn listen(
    address: String,
    done: Arc<AtomicBool>,
    received: Arc<AtomicU64>,
    missing: Arc<AtomicU64>,
    findings: Arc<AtomicU64>,
) {
    let mut stream = TcpStream::connect(&address).expect("connect");
    write!(
        stream,
        "GET /api/events HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut reader = BufReader::with_capacity(1 << 20, stream);
    let mut last: Option<u64> = None;
    let mut line = String::new();
    while !done.load(Ordering::Relaxed) {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => continue,
        }
        // Chunked transfer puts chunk sizes on lines of their own; only SSE fields count.
        if let Some(id) = line
            .strip_prefix("id:")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            if let Some(previous) = last {
                missing.fetch_add(id.saturating_sub(previous + 1), Ordering::Relaxed);
            }
            last = Some(id);
            received.fetch_add(1, Ordering::Relaxed);
        } else if line.trim_end() == "event: finding" || line.trim_end() == "event:finding" {
            findings.fetch_add(1, Ordering::Relaxed);
        } else if line.starts_with("event: resync") || line.starts_with("event:resync") {
            missing.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn main() {
    let devices = setting("BENCH_DEVICES", 20);
    let rate = setting("BENCH_RATE", 10_000);
    let seconds = setting("BENCH_SECONDS", 60);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("load.scenario");
    std::fs::write(&file, recording(devices, rate, seconds)).unwrap();
    let mut server: Child = Command::new(env!("CARGO_BIN_EXE_restore-doctor"))
        .arg("--db")
        .arg(dir.path().join("cases.sqlite"))
        .args(["serve", "--bind", "127.0.0.1:0", "--speed", "1", "--replay"])
        .arg(&file)
        .env("PATH", "/nonexistent")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let address = first
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let started = Instant::now();

    let done = Arc::new(AtomicBool::new(false));
    let (received, missing, findings) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let listener = {
        let (address, done, received, missing, findings) = (
            address.clone(),
            done.clone(),
            received.clone(),
            missing.clone(),
            findings.clone(),
        );
        std::thread::spawn(move || listen(address, done, received, missing, findings))
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let driver_port = free_port();
    let mut driver = Command::new("chromedriver")
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (apt-get install chromium-driver)");
    while TcpStream::connect(("127.0.0.1", driver_port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = tempfile::tempdir().unwrap();
    let page = runtime.block_on(async {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--window-size=1280,800",
                format!("--user-data-dir={}", profile.path().display())]}),
        );
        let client = ClientBuilder::rustls().unwrap().capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{driver_port}")).await.expect("Chromium");
        client.goto(&format!("http://{address}/")).await.unwrap();
        client
    });

    let mut memory = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds + 3) {
        std::thread::sleep(
            Duration::from_secs(10)
                .min(Duration::from_secs(seconds + 3).saturating_sub(started.elapsed())),
        );
        memory.push((
            started.elapsed().as_secs(),
            resident_kib(server.id()).unwrap_or(0),
        ));
    }
    let page_figures = runtime.block_on(async {
        let value = page
            .execute(
                "const t = window.restoreDoctor.timings.slice().sort((a, b) => a - b);
                 const q = (p) => t.length ? t[Math.min(t.length - 1, Math.floor(p * t.length))] : null;
                 return {n: t.length, median: q(0.5), p99: q(0.99), max: t.length ? t[t.length - 1] : null,
                         counts: window.restoreDoctor.counts};",
                vec![],
            )
            .await
            .unwrap();
        let _ = page.close().await;
        value
    });
    done.store(true, Ordering::Relaxed);
    let state: serde_json::Value = {
        let mut stream = TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "GET /api/state HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or("{}");
        // The state is sent in one piece or chunked; take the JSON object either way.
        let start = body.find('{').unwrap_or(0);
        let end = body.rfind('}').map_or(body.len(), |e| e + 1);
        serde_json::from_str(&body[start..end]).unwrap_or_default()
    };
    let _ = listener.join();
    let _ = server.kill();
    let _ = server.wait();
    let _ = driver.kill();
    let _ = driver.wait();

    println!(
        "dashboard load: {devices} devices, {rate} USB changes/s for {seconds} s ({} changes)",
        rate * seconds
    );
    println!(
        "SSE client: {} events received ({} findings), {} missing; the server's last sequence number {}",
        received.load(Ordering::Relaxed),
        findings.load(Ordering::Relaxed),
        missing.load(Ordering::Relaxed),
        state["seq"]
    );
    let rss: Vec<String> = memory
        .iter()
        .map(|(t, kib)| format!("{t} s: {:.1} MiB", *kib as f64 / 1024.0))
        .collect();
    println!("server resident memory: {}", rss.join(", "));
    println!(
        "page: {} updates timed; arrival to drawn: median {:.1} ms, p99 {:.1} ms, max {:.1} ms; events {}; state loads {}; resyncs {}",
        page_figures["n"],
        page_figures["median"].as_f64().unwrap_or(f64::NAN),
        page_figures["p99"].as_f64().unwrap_or(f64::NAN),
        page_figures["max"].as_f64().unwrap_or(f64::NAN),
        page_figures["counts"]["events"],
        page_figures["counts"]["loads"],
        page_figures["counts"]["resync"],
    );
}
