//! Start-up benchmark (`cargo bench --bench startup`): how long a person waits for a quick
//! command, as a multiple of `rg --version` (Debian's ripgrep) on the same machine at the same
//! moment. Each run of a command is paired with a run of rg just before it; the median of the
//! ratios is printed, with the median times. BENCH_RUNS sets the pairs (200).
//!
//! The commands run with their own empty home and case history, never the user's.
//! BENCH_BIN measures another build of the program (to compare before and after).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The commands a person waits for, as `restore-doctor` arguments.
const COMMANDS: &[&[&str]] = &[
    &["explain", "4013"],
    &["diagnose", "--plan", "--json"],
    &["explain", "4013", "--model", "iPhone 7", "--json"],
    &["--version"],
];

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Seconds one run of `command` takes, its output thrown away; `None` when it cannot start or
/// fails.
fn time(command: &mut Command) -> Option<f64> {
    let start = Instant::now();
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let took = start.elapsed().as_secs_f64();
    status.success().then_some(took)
}

fn ours(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("RESTORE_DOCTOR_DB", home.join("cases.sqlite"))
        .env("NO_COLOR", "1");
    command
}

/// The program measured: this build's, or the one `BENCH_BIN` names (to compare builds).
fn binary() -> std::ffi::OsString {
    std::env::var_os("BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_restore-doctor").into())
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200)
        .max(1);
    let home = std::env::temp_dir().join(format!("restore-doctor-startup-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("a temporary home");
    if time(Command::new("rg").arg("--version")).is_none() {
        println!("rg is not available: install Debian's ripgrep to compare against it");
        return;
    }
    for args in COMMANDS {
        // One run first so the binary is in the page cache for both.
        if time(&mut ours(&home, args)).is_none() {
            println!("restore-doctor {} failed; skipped", args.join(" "));
            continue;
        }
        let (mut ratios, mut theirs, mut mine) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let (Some(rg), Some(us)) = (
                time(Command::new("rg").arg("--version")),
                time(&mut ours(&home, args)),
            ) else {
                continue;
            };
            ratios.push(us / rg);
            theirs.push(rg);
            mine.push(us);
        }
        if ratios.is_empty() {
            continue;
        }
        println!(
            "restore-doctor {:<40} {:6.2} ms, rg --version {:5.2} ms: median ratio {:.2} over {} pairs",
            args.join(" "),
            median(&mut mine) * 1e3,
            median(&mut theirs) * 1e3,
            median(&mut ratios),
            ratios.len()
        );
    }
    let _ = std::fs::remove_dir_all(&home);
}
