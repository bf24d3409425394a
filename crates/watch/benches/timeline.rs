//! Timeline benchmark (`cargo bench -p watch`): detection latency from an event to its alert in
//! a full-speed replay (p50, p99), then many flapping ports at full speed (half a million
//! attach / detach lines on 35 ports, one every millisecond, read from text as a replay reads
//! them), then 10,000 events per second for 60 seconds through the tracker with every event
//! counted and resident memory sampled. `BENCH_SECONDS` shortens the last.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use watch::{Event, EventKind, Tracker, scenario};

/// A steady stream of restores on 50 ports: each phone goes DFU → recovery → recovery →
/// restore mode and leaves it; each cycle is a new phone. Time is compressed (10,000 events a
/// second), so every restore-mode exit comes too early and raises a drop alert.
fn event(n: u64) -> Event {
    let port = n % 50;
    let step = (n / 50) % 9;
    let cycle = n / 450;
    let ecid = cycle * 50 + port + 1;
    let t = n as f64 / 10_000.0;
    let udid = format!("udid=00008101-{ecid:016X}");
    let ecid_field = format!("ecid=0x{ecid:016X}");
    let (kind, ids, id) = match step {
        0 => ("attach", "05ac:1227", &ecid_field),
        1 => ("detach", "05ac:1227", &ecid_field),
        2 => ("attach", "05ac:1281", &ecid_field),
        3 => ("detach", "05ac:1281", &ecid_field),
        4 => ("attach", "05ac:1281", &ecid_field),
        5 => ("detach", "05ac:1281", &ecid_field),
        6 => ("attach", "05ac:12a8", &udid),
        7 => ("detach", "05ac:12a8", &udid),
        _ => ("attach", "05ac:12a8", &udid),
    };
    let line = format!("{t:.4} {kind} 7-{port} {ids} {id} speed=480");
    scenario::parse_line(1, &line)
        .expect("valid line")
        .expect("an event")
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    latency();
    flapping();
    throughput();
}

/// Line `n` of a recording where 35 ports flap: each port in turn goes DFU → recovery →
/// restore mode and back, attaching and detaching every 35 ms.
fn flapping_line(n: u64) -> String {
    let port = n % 35;
    let step = (n / 35) % 6;
    let t = n as f64 / 1000.0;
    let path = format!("1-{}.{}", 1 + port / 7, 1 + port % 7);
    let pid = ["1227", "1227", "1281", "1281", "12a8", "12a8"][step as usize];
    if step.is_multiple_of(2) {
        let ecid = 0x0010_0000_0000_0000 + port;
        format!("{t:.3} attach {path} 05ac:{pid} ecid=0x{ecid:016X}\n")
    } else {
        format!("{t:.3} detach {path} 05ac:{pid}\n")
    }
}

/// Half a million flapping lines parsed and tracked at full speed: the time per line must not
/// grow with the length of the recording, nor the memory.
fn flapping() {
    let text: String = (0..500_000).map(flapping_line).collect();
    let before = rss_kib().unwrap_or(0);
    let mut tracker = Tracker::default();
    let mut counts = [0u64; 2];
    let mut halves = [0.0; 2];
    let start = Instant::now();
    for (i, event) in scenario::events(&text).enumerate() {
        let event = event.expect("a valid line");
        for f in tracker.push(&event) {
            counts[0] += u64::from(f.kind == EventKind::Drop);
            counts[1] += u64::from(f.kind == EventKind::Loop);
        }
        if i == 250_000 {
            halves[0] = start.elapsed().as_secs_f64();
        }
    }
    let took = start.elapsed().as_secs_f64();
    halves[1] = took - halves[0];
    println!(
        "Flapping: 500000 lines ({:.1} MB) on 35 ports in {took:.2} s ({:.0} lines/s; first half {:.2} s, second half {:.2} s), {} drops, {} loops; memory grew {} KiB",
        text.len() as f64 / 1e6,
        500_000.0 / took,
        halves[0],
        halves[1],
        counts[0],
        counts[1],
        rss_kib().unwrap_or(0).saturating_sub(before)
    );
}

/// The time push() takes from receiving an event to returning its alert.
fn latency() {
    let events: Vec<Event> = (0..200_000).map(event).collect();
    let mut tracker = Tracker::default();
    let mut alert_us = Vec::new();
    let mut all_us = Vec::with_capacity(events.len());
    for e in &events {
        let start = Instant::now();
        let findings = tracker.push(e);
        let took = start.elapsed().as_secs_f64() * 1e6;
        all_us.push(took);
        if findings.iter().any(|f| f.kind == EventKind::Drop) {
            alert_us.push(took);
        }
    }
    alert_us.sort_by(f64::total_cmp);
    all_us.sort_by(f64::total_cmp);
    println!(
        "Detection latency, event to alert, full-speed replay of {} events: {} drop alerts, p50 {:.2} µs, p99 {:.2} µs (all events: p50 {:.2} µs, p99 {:.2} µs)",
        events.len(),
        alert_us.len(),
        percentile(&alert_us, 0.5),
        percentile(&alert_us, 0.99),
        percentile(&all_us, 0.5),
        percentile(&all_us, 0.99)
    );
}

/// 10,000 events per second, paced in real time by a producer thread, for `BENCH_SECONDS`.
fn throughput() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let rate = 10_000u64;
    let (tx, rx) = mpsc::sync_channel::<Event>(100_000);
    let producer = std::thread::spawn(move || {
        let start = Instant::now();
        let mut sent = 0u64;
        while sent < seconds * rate {
            let due = Duration::from_secs_f64(sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
            // Batches of 100 keep pacing cheap.
            for _ in 0..100 {
                tx.send(event(sent)).expect("consumer alive");
                sent += 1;
            }
        }
        (sent, start.elapsed())
    });
    let mut tracker = Tracker::default();
    let mut received = 0u64;
    let mut drops = 0u64;
    let mut samples = Vec::new();
    let mut next_sample = Instant::now();
    for e in rx {
        drops += tracker
            .push(&e)
            .iter()
            .filter(|f| f.kind == EventKind::Drop)
            .count() as u64;
        received += 1;
        if Instant::now() >= next_sample {
            samples.push(rss_kib().unwrap_or(0));
            next_sample += Duration::from_secs(5);
        }
    }
    let (sent, took) = producer.join().expect("producer");
    samples.push(rss_kib().unwrap_or(0));
    println!(
        "Throughput: sent {sent}, processed {received} ({} lost) in {:.1} s = {:.0} events/s; {drops} drops found",
        sent - received,
        took.as_secs_f64(),
        received as f64 / took.as_secs_f64()
    );
    println!(
        "Resident memory every 5 s (KiB): first {}, last {}, max {} ({} samples)",
        samples.first().unwrap_or(&0),
        samples.last().unwrap_or(&0),
        samples.iter().max().unwrap_or(&0),
        samples.len()
    );
}
