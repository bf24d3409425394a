//! Replay benchmark (`cargo bench --bench replay`): `restore-doctor watch --replay FILE --json`
//! on a recording of many flapping ports (BENCH_LINES attach / detach lines, 500,000, on 35
//! ports, one every millisecond: about 20 MB), timed with its peak memory by `/usr/bin/time`
//! (Debian's `time`). Prints the seconds, the peak resident memory and its ratio to the file.

use std::io::{BufWriter, Write};
use std::process::{Command, Stdio};

/// Ports in the recording.
const PORTS: u64 = 35;

/// Line `n`: each port in turn goes DFU → recovery → restore mode and back, attaching and
/// detaching every 35 ms, so it glitches, drops and loops all the time.
fn line(n: u64) -> String {
    let port = n % PORTS;
    let step = (n / PORTS) % 6;
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

/// The program measured: this build's, or the one `BENCH_BIN` names (to compare builds).
fn binary() -> std::ffi::OsString {
    std::env::var_os("BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_restore-doctor").into())
}

fn main() {
    let lines: u64 = std::env::var("BENCH_LINES")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(500_000);
    let path = std::env::temp_dir().join(format!("restore-doctor-flapping-{lines}.scenario"));
    let file = std::fs::File::create(&path).expect("create the recording");
    let mut out = BufWriter::new(file);
    writeln!(out, "# restore-doctor scenario 1").unwrap();
    for n in 0..lines {
        out.write_all(line(n).as_bytes()).unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let size = std::fs::metadata(&path).unwrap().len();
    let home = std::env::temp_dir().join(format!("restore-doctor-replay-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("a temporary home");
    let run = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(binary())
        .args(["watch", "--replay"])
        .arg(&path)
        .arg("--json")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("RESTORE_DOCTOR_DB", home.join("cases.sqlite"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output();
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_file(&path);
    let output = match run {
        Ok(output) => output,
        Err(e) => {
            println!("/usr/bin/time is not available ({e}): install Debian's time package");
            return;
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let Some((seconds, kib)) = stderr
        .lines()
        .last()
        .and_then(|l| l.split_once(' '))
        .and_then(|(s, k)| Some((s.parse::<f64>().ok()?, k.parse::<u64>().ok()?)))
    else {
        println!("the replay failed: {stderr}");
        return;
    };
    println!(
        "watch --replay --json of {lines} lines on {PORTS} flapping ports ({:.1} MB, {}): {seconds:.2} s, peak memory {:.1} MB = {:.2}× the file",
        size as f64 / 1e6,
        path.display(),
        kib as f64 * 1024.0 / 1e6,
        kib as f64 * 1024.0 / size as f64
    );
}
