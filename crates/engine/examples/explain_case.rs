//! Prints how each real case is read and the engine's plan for it:
//! `cargo run -p engine --example explain_case [ID-PREFIX] [FILE.jsonl]` (the kb's cases by default;
//! `TOP=N` lists the N likeliest causes, five by default).

use engine::{Evidence, Prior, StepKind, assess};
use kb::Kb;

fn main() {
    let kb = Kb::embedded().expect("kb");
    let filter = std::env::args().nth(1).unwrap_or_default();
    let top: usize = std::env::var("TOP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let cases = match std::env::args().nth(2) {
        Some(path) => {
            let text = std::fs::read_to_string(&path).expect("a readable cases file");
            kb::parse_cases(&text).expect("the cases.jsonl shape")
        }
        None => kb.real_cases.clone(),
    };
    for case in cases.iter().filter(|c| c.id.starts_with(&filter)) {
        let r = kb.read_case(case);
        let evidence = Evidence::from_case(r.clone(), Prior::Calibrated);
        let a = assess(kb, &evidence).expect("assessment");
        let plan: Vec<&str> = a
            .plan
            .iter()
            .filter(|s| s.kind == StepKind::Action)
            .map(|s| s.id.as_str())
            .collect();
        let obs: Vec<String> = r
            .observations
            .iter()
            .map(|o| format!("{}={}", o.question, o.answer))
            .collect();
        println!(
            "{} [{}] code {:?} device {:?}\n  obs {}\n  failed {:?} cannot {:?}\n  causes {}\n  plan {}\n",
            case.id,
            case.resolved_by,
            r.code,
            r.device.map(|d| d.model.as_str()),
            obs.join(" "),
            r.failed,
            r.cannot,
            a.causes
                .iter()
                .take(top)
                .map(|c| format!("{} {:.0}%", c.id, c.probability * 100.0))
                .collect::<Vec<_>>()
                .join(", "),
            plan.join(" → ")
        );
    }
}
