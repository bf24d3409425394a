//! Prints how the guided session goes for each line of an answer key: the path the engine takes
//! as the person answers, and the path when it is told every answer up front.
//! `cargo run -p engine --example replay_key -- [ID-PREFIX] [FILE.jsonl]` (the dev key by default;
//! `TOP=N` lists the N likeliest causes at the start, five by default).

use engine::replay::{Policy, replay};
use engine::{Evidence, Prior, assess};
use kb::{Kb, StepKind};

fn main() {
    let kb = Kb::embedded().expect("kb");
    let filter = std::env::args().nth(1).unwrap_or_default();
    let top: usize = std::env::var("TOP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let text = match std::env::args().nth(2) {
        Some(path) => std::fs::read_to_string(&path).expect("a readable key file"),
        None => include_str!("../tests/data/answers.jsonl").to_owned(),
    };
    let keys = kb
        .parse_answer_keys(&text)
        .expect("the answers.jsonl shape");
    for key in keys.iter().filter(|k| k.id.starts_with(&filter)) {
        let told = Evidence {
            code: key.code,
            device: key.device,
            observations: key.answers.clone(),
            failed: key.failed.clone(),
            ..Evidence::default()
        };
        let causes = assess(kb, &told).expect("an assessment").causes;
        println!(
            "{} fix {:?} failed {:?}\n  told, causes: {}",
            key.id,
            key.fix,
            key.failed,
            causes
                .iter()
                .take(top)
                .map(|c| format!("{} {:.0}%", c.id, c.probability * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (label, policy) in [
            ("session", Policy::Session(Prior::Calibrated)),
            ("told", Policy::Told(Prior::Calibrated)),
        ] {
            let r = replay(kb, key, &policy).expect("replays");
            let path: Vec<String> = r
                .path
                .iter()
                .map(|(kind, id)| match kind {
                    StepKind::Question => match key.answer(id) {
                        Some(a) => format!("{id}={a}"),
                        None => format!("{id}=?"),
                    },
                    StepKind::Action => format!("[{id}]"),
                })
                .collect();
            println!(
                "  {label:<8} rank {:?} q {}: {}",
                r.rank,
                r.questions,
                path.join(" ")
            );
        }
    }
}
