//! Reads one log file with the scanner, for profiling: `cargo run --release -p logs --example
//! scan_file FILE` (under `perf stat` or `perf record`).

fn main() {
    let path = std::env::args().nth(1).expect("a log file");
    let kb = kb::Kb::embedded().expect("embedded kb");
    let start = std::time::Instant::now();
    let file = std::fs::File::open(&path).expect("readable");
    let report = logs::analyze_reader(kb, file, &mut |_| {}).expect("read");
    println!(
        "{:.3} s, {} lines, phase {:?}",
        start.elapsed().as_secs_f64(),
        report.lines,
        report.phase
    );
}
