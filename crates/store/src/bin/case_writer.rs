//! Test helper: writes cases (or steps of one case) as fast as it can and prints
//! `committed <id>` after each case is fully written. The crash and concurrency tests kill it
//! or run two at once; it also measures database size per 1,000 cases.
//!
//! Usage: case-writer DB cases N | case-writer DB steps CASE N

use std::io::Write;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (db, mode) = match args.as_slice() {
        [db, mode, ..] => (db, mode.as_str()),
        _ => {
            eprintln!("usage: case-writer DB cases N | case-writer DB steps CASE N");
            std::process::exit(2);
        }
    };
    let mut store = store::Store::open(Path::new(db)).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let mut out = std::io::stdout().lock();
    match (mode, &args[2..]) {
        ("cases", [n]) => {
            let n: u64 = n.parse().expect("a count");
            for i in 0..n {
                let id = store
                    .create_case(&store::NewCase {
                        ecid: Some(0x0010_0000_0000 + i),
                        product_type: Some("iPhone9,3".into()),
                        model: Some("iPhone 7".into()),
                        code: Some(4013),
                        port: Some(format!("1-{}", i % 4 + 1)),
                        ..Default::default()
                    })
                    .expect("create");
                store
                    .add_evidence(&id, "observation", "hub-in-path", Some("no"), "usb")
                    .expect("evidence");
                store
                    .add_evidence(
                        &id,
                        "observation",
                        "voice-memos-greyed",
                        Some("yes"),
                        "person",
                    )
                    .expect("evidence");
                store
                    .add_step(&id, "swap-cable", "action", "failed")
                    .expect("step");
                store
                    .add_event(
                        &id,
                        "drop",
                        Some("1-2"),
                        Some("restore-os"),
                        "lost in restore mode",
                    )
                    .expect("event");
                store
                    .finish(
                        &id,
                        "needs-repair",
                        None,
                        Some(r#"{"causes":[{"id":"audio-ic","probability":0.9}]}"#),
                    )
                    .expect("finish");
                writeln!(out, "committed {id}").expect("stdout");
                out.flush().expect("stdout");
            }
        }
        ("steps", [case, n]) => {
            let n: u64 = n.parse().expect("a count");
            for i in 0..n {
                store
                    .add_step(
                        case,
                        &format!("step-{}-{i}", std::process::id()),
                        "action",
                        "failed",
                    )
                    .expect("step");
            }
            writeln!(out, "done").expect("stdout");
        }
        _ => {
            eprintln!("usage: case-writer DB cases N | case-writer DB steps CASE N");
            std::process::exit(2);
        }
    }
}
