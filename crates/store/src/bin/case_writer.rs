//! Test helper: writes cases (or steps of one case) as fast as it can and prints
//! `committed <id>` after each case is fully written. The crash and concurrency tests kill it
//! or run two at once; it also measures database size per 1,000 cases.
//!
//! Usage: case-writer DB cases N | case-writer DB steps CASE N

use std::io::Write;
use std::path::Path;

use case::{CauseShare, Ledger, Subject, Verdict};
use kb::{CaseStatus, EventKind, EvidenceSource, Phase, StepKind, StepOutcome};

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
                let mut ledger = Ledger::new();
                ledger.device.ecid = Some(0x0010_0000_0000 + i);
                ledger.device.port = Some(format!("1-{}", i % 4 + 1));
                ledger.add(Subject::Model, "iPhone9,3", EvidenceSource::Usb);
                ledger.add(Subject::Code, "4013", EvidenceSource::Person);
                ledger.add(Subject::answer("hub-in-path"), "no", EvidenceSource::Usb);
                ledger.add(
                    Subject::answer("voice-memos-greyed"),
                    "yes",
                    EvidenceSource::Person,
                );
                ledger.step("swap-cable", StepKind::Action, StepOutcome::Failed);
                ledger.event(
                    EventKind::Drop,
                    Some("1-2".into()),
                    Some(Phase::RestoreOs),
                    "lost in restore mode",
                );
                ledger.finish(
                    CaseStatus::NeedsRepair,
                    None,
                    Some(Verdict {
                        causes: vec![CauseShare {
                            id: "audio-ic".into(),
                            probability: 0.9,
                        }],
                        expected_cost_minutes: Some(60.0),
                        note: None,
                    }),
                );
                let (id, _) = store.create(&ledger).expect("create");
                writeln!(out, "committed {id}").expect("stdout");
                out.flush().expect("stdout");
            }
        }
        ("steps", [case, n]) => {
            let n: u64 = n.parse().expect("a count");
            let mut ledger = Ledger::new();
            let mut saved = store::Saved::default();
            for i in 0..n {
                ledger.step(
                    format!("step-{}-{i}", std::process::id()),
                    StepKind::Action,
                    StepOutcome::Failed,
                );
                store.save(case, &ledger, &mut saved).expect("step");
            }
            writeln!(out, "done").expect("stdout");
        }
        _ => {
            eprintln!("usage: case-writer DB cases N | case-writer DB steps CASE N");
            std::process::exit(2);
        }
    }
}
