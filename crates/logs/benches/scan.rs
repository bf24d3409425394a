//! Scan benchmark (`cargo bench -p logs`): a generated 1 GiB restore log (realistic
//! idevicerestore and device-log lines, a few errors) read by `logs` and searched by ripgrep
//! (`rg -j1`, Debian's package) for every literal the scanner looks for; throughput of both and
//! their ratio, and beside it rg with the rules' triggers alone. `BENCH_BYTES` changes the size;
//! the file is kept in the system temp directory.
//!
//! `BENCH_INPUT=real` reads the real logs instead (`shared/samples/real-logs` in a folder
//! above the workspace, or the folder `BENCH_REAL_LOGS` names), concatenated and repeated to the same
//! size: logs as they are, where most lines hold something the rules read.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const LINES: &[&str] = &[
    "08:05:07.797    <Debug> irecv_event_cb: device 001A2B3C4D5E6F70 (udid: N/A) connected in Recovery mode",
    "08:05:07.801    <Info> About to send NORData...",
    "08:05:07.812    <Debug> DEBUG: tss_response_get_path_by_entry: No entry 'RestoreLogo' in TSS response",
    "[10:37:00.0662-GMT]{5>20} CHECKPOINT BEGIN: MAIN:[0x040E] enable_usb",
    "[10:37:01.0101-GMT]{5>20} ASR RESTORE PROGRESS: 37%",
    "[10:37:01.0202-GMT]{5>20} ASR: Copied 1073741824 bytes in 12.23 seconds, 85742.12 KiB/s",
    "executing /usr/sbin/nvram restore-step-user-progress=42",
    "08:06:10.551    <Info> Restoring image (13)",
    "[10:37:02.0001-GMT]{5>20} mount_hfs: /dev/disk0s1s1 on /mnt1: read-write, journaled",
    "[10:37:02.0002-GMT]{5>20} entering copy_file_with_progress",
    "[10:37:02.0003-GMT]{5>20} iBoot build-version=iBoot-7459.102.5 build-style=RELEASE",
    "[10:37:02.0004-GMT]{5>20} AppleBCMWLANCore: setPowerState: 1 -> 2",
    "08:06:11.102    <Debug> Sending filesystem payload chunk 27312 of 65536 (131072 bytes)",
    "[10:37:03.0005-GMT]{5>20} IOUSBDeviceController::setupDevice: descriptors configured, speed high",
    "[10:37:03.0006-GMT]{5>20} apfs_vfsop_mount: mounting root volume read-only, role 0x1",
];

const RARE: &[&str] = &[
    "08:07:02.127    <Error> Could not read data (-11). Aborting.",
    "Status: Verification Error",
    "08:07:02.130    <Error> ERROR: Unable to successfully restore device",
];

fn generate(path: &PathBuf, bytes: u64) {
    let file = std::fs::File::create(path).expect("create the benchmark log");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let (mut written, mut n) = (0u64, 0u64);
    while written < bytes {
        n += 1;
        // About one error line per 2 million lines.
        let line = if n % 2_000_003 == 0 {
            RARE[(n % 3) as usize]
        } else {
            LINES[(n.wrapping_mul(2_654_435_761) >> 7) as usize % LINES.len()]
        };
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
        written += line.len() as u64 + 1;
    }
    out.flush().unwrap();
}

/// The real logs, each file's text, in name order.
fn real_logs() -> Result<(PathBuf, Vec<Vec<u8>>), String> {
    // `shared/` sits beside the repository (or beside the folder of worktrees).
    let folder = match std::env::var_os("BENCH_REAL_LOGS") {
        Some(folder) => PathBuf::from(folder),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|dir| dir.join("shared/samples/real-logs"))
            .find(|dir| dir.is_dir())
            .ok_or("no shared/samples/real-logs beside the workspace")?,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let texts: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    if texts.iter().all(Vec::is_empty) {
        return Err(format!("no logs in {}", folder.display()));
    }
    Ok((folder, texts))
}

/// The real logs one after the other, again and again, until `bytes` are written.
fn repeat_real(path: &PathBuf, texts: &[Vec<u8>], bytes: u64) {
    let file = std::fs::File::create(path).expect("create the benchmark log");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut written = 0u64;
    while written < bytes {
        for text in texts {
            out.write_all(text).unwrap();
            written += text.len() as u64;
            if !text.ends_with(b"\n") {
                out.write_all(b"\n").unwrap();
                written += 1;
            }
        }
    }
    out.flush().unwrap();
}

fn main() {
    let bytes: u64 = std::env::var("BENCH_BYTES")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(1 << 30);
    let real = std::env::var("BENCH_INPUT").is_ok_and(|i| i == "real");
    let path = if real {
        let (folder, texts) = match real_logs() {
            Ok(found) => found,
            Err(e) => {
                println!("BENCH_INPUT=real: {e}; set BENCH_REAL_LOGS to a folder of real logs");
                return;
            }
        };
        let path = std::env::temp_dir().join(format!("restore-doctor-bench-real-{bytes}.log"));
        println!(
            "Real logs: {} files ({} KiB) from {}, repeated to {} MiB at {}",
            texts.len(),
            texts.iter().map(Vec::len).sum::<usize>() >> 10,
            folder.display(),
            bytes >> 20,
            path.display()
        );
        // Made again each time: the real logs may have changed.
        repeat_real(&path, &texts, bytes);
        path
    } else {
        let path = std::env::temp_dir().join(format!("restore-doctor-bench-{bytes}.log"));
        if std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < bytes {
            println!("Generating {} MiB at {} ...", bytes >> 20, path.display());
            generate(&path, bytes);
        }
        path
    };
    let size = std::fs::metadata(&path).unwrap().len() as f64;
    let kb = kb::Kb::embedded().unwrap();

    let mut ours = Vec::new();
    let mut report = None;
    for _ in 0..3 {
        let start = Instant::now();
        let file = std::fs::File::open(&path).unwrap();
        report = Some(logs::analyze_reader(kb, file, &mut |_| {}).unwrap());
        ours.push(start.elapsed().as_secs_f64());
    }
    ours.sort_by(f64::total_cmp);
    let report = report.unwrap();
    println!(
        "logs: {:.0} MB/s (best of 3, {:.2} s); {} lines, final code {:?}, phase {:?}",
        size / ours[0] / 1e6,
        ours[0],
        report.lines,
        report.final_code,
        report.phase
    );

    let all = rg_seconds(&path, "all", &logs::search_literals());
    let triggers = rg_seconds(&path, "triggers", &logs::trigger_literals());
    let (Some((all, all_lines)), Some((triggers, trigger_lines))) = (all, triggers) else {
        println!("rg not available; install Debian's ripgrep to compare");
        return;
    };
    println!(
        "rg -j1 -F with the same {} literals: {:.0} MB/s (best of 3, {all:.2} s); {all_lines} matching lines",
        logs::search_literals().len(),
        size / all / 1e6,
    );
    println!("throughput ratio logs / rg: {:.2}", all / ours[0]);
    println!(
        "rg -j1 -F with the rules' {} triggers only: {:.0} MB/s (best of 3, {triggers:.2} s); {trigger_lines} matching lines; ratio logs / rg: {:.2}",
        logs::trigger_literals().len(),
        size / triggers / 1e6,
        triggers / ours[0]
    );
}

/// ripgrep's best of three seconds (one thread, fixed strings, counting lines) for `literals`
/// in the file at `path`, and the lines it counted; none when rg cannot be run.
fn rg_seconds(path: &std::path::Path, name: &str, literals: &[&str]) -> Option<(f64, String)> {
    assert!(
        literals.iter().all(|l| !l.contains('\n')),
        "a literal with a line break cannot go in a pattern file"
    );
    let patterns = std::env::temp_dir().join(format!("restore-doctor-bench-{name}.patterns"));
    std::fs::write(&patterns, literals.join("\n") + "\n").expect("write the pattern file");
    let mut best = f64::INFINITY;
    let mut matched = String::new();
    for _ in 0..3 {
        let start = Instant::now();
        let out = Command::new("rg")
            .args(["-j1", "-c", "-F", "-f"])
            .arg(&patterns)
            .arg(path)
            .output()
            .ok()?;
        best = best.min(start.elapsed().as_secs_f64());
        matched = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    }
    Some((best, matched))
}
