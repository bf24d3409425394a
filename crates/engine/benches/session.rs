//! Session replay benchmark (`cargo bench -p engine --bench session`): the guided session
//! replayed as the people of the real cases answer it (`tests/data/answers.jsonl`, or any key
//! file in that shape given as `RESTORE_DOCTOR_ANSWERS=FILE`), per group, for the engine, the
//! engine told every answer up front, the seed article's order and Apple's order; then the
//! reader-based replay of the same cases (every fact handed over up front) as a second figure.

use engine::evaluate::{Ordering, SEED_ORDER, Summary, score_all};
use engine::replay::{Figures, KeyGroup, Policy, Replayed, replay};
use engine::{Experience, Prior};
use kb::{AnswerKey, Kb, OutcomeGroup};

const DEV_KEY: &str = include_str!("../tests/data/answers.jsonl");

fn main() {
    let kb = Kb::embedded().expect("embedded kb");
    let (label, text) = match std::env::var_os("RESTORE_DOCTOR_ANSWERS") {
        Some(path) => match read(std::path::Path::new(&path)) {
            Ok(text) => (path.to_string_lossy().into_owned(), text),
            Err(message) => {
                eprintln!(
                    "RESTORE_DOCTOR_ANSWERS={}: {message}",
                    path.to_string_lossy()
                );
                std::process::exit(2);
            }
        },
        None => ("tests/data/answers.jsonl".to_owned(), DEV_KEY.to_owned()),
    };
    let keys = match kb.parse_answer_keys(&text) {
        Ok(keys) => keys,
        Err(e) => {
            eprintln!("{label}: {e}");
            std::process::exit(2);
        }
    };
    let verbose = std::env::var_os("VERBOSE").is_some();
    println!("Session replay of {label}: {} keys", keys.len());
    println!(
        "(first 3 = the real fix among the first three actions; minutes = questions and actions until it, or everything and the repair shop)\n"
    );
    // Leave-one-out: the priors calibrated without the case itself, where the kb's real cases
    // hold it (a held-out key is not among them, so there it equals the calibrated priors).
    let left_out: Vec<Experience> = keys
        .iter()
        .map(|key| Experience::from_cases(kb, kb.real_cases.iter().filter(|c| c.id != key.id)))
        .collect();
    let apple = run(kb, &keys, |_| Policy::Apple, false);
    let seed = run(
        kb,
        &keys,
        |_| Policy::Fixed(SEED_ORDER.map(String::from).to_vec()),
        false,
    );
    let rows: Vec<(&str, Vec<Replayed>)> = vec![
        (
            "engine (session)",
            run(kb, &keys, |_| Policy::Session(Prior::Calibrated), verbose),
        ),
        (
            "engine, leave-one-out",
            run(
                kb,
                &keys,
                |i| Policy::Session(Prior::With(&left_out[i])),
                false,
            ),
        ),
        (
            "engine told every answer",
            run(kb, &keys, |_| Policy::Told(Prior::Calibrated), false),
        ),
        ("seed order", seed.clone()),
        ("Apple's order", apple),
    ];
    println!(
        "{:<26}{:<22}{:>7}{:>11}{:>11}{:>10}{:>11}{:>11}",
        "policy", "group", "cases", "first 3", "mean rank", "minutes", "vs seed", "questions"
    );
    for (name, cases) in &rows {
        for (group, pick) in groups() {
            let mine = Figures::of(cases.iter().filter(|r| pick(r)));
            let theirs = Figures::of(seed.iter().filter(|r| pick(r)));
            println!(
                "{name:<26}{group:<22}{:>7}{:>11}{:>11.1}{:>10.0}{:>11.2}{:>11.1}",
                mine.cases,
                format!(
                    "{}/{} {:.0}%",
                    mine.in_first_three,
                    mine.cases,
                    mine.share() * 100.0
                ),
                mine.mean_rank,
                mine.mean_minutes,
                mine.mean_minutes / theirs.mean_minutes.max(1e-9),
                mine.mean_questions
            );
        }
    }

    println!(
        "\nReader-based replay of kb/data/real-cases.jsonl (every fact read from the case text, handed over up front)"
    );
    let reader = score_all(kb, &kb.real_cases, &Ordering::Engine(Prior::Calibrated));
    let reader_seed = score_all(
        kb,
        &kb.real_cases,
        &Ordering::Fixed(SEED_ORDER.map(String::from).to_vec()),
    );
    for (group, pick) in [
        (
            "software/connection",
            &[OutcomeGroup::Connection, OutcomeGroup::Software][..],
        ),
        ("hardware", &[OutcomeGroup::Hardware][..]),
    ] {
        let s = Summary::of(reader.iter().filter(|c| pick.contains(&c.group)));
        let t = Summary::of(reader_seed.iter().filter(|c| pick.contains(&c.group)));
        println!(
            "engine, calibrated        {group:<22}{:>7}{:>11}{:>11.1}{:>10.0}{:>11.2}",
            s.cases,
            format!("{}/{} {:.0}%", s.in_first_three, s.cases, s.share() * 100.0),
            s.mean_rank,
            s.mean_minutes,
            s.mean_minutes / t.mean_minutes.max(1e-9)
        );
    }
}

type Pick = fn(&Replayed) -> bool;

/// The groups the figures are printed for.
fn groups() -> [(&'static str, Pick); 4] {
    [
        ("software/connection", |r| {
            r.group == Some(KeyGroup::Software)
        }),
        ("hardware", |r| r.group == Some(KeyGroup::Hardware)),
        ("tool users", |r| r.group.is_some() && r.tool_user),
        ("all scored", |r| r.group.is_some()),
    ]
}

/// Replays every key under the policy made for it; prints each path when `verbose`.
fn run<'a>(
    kb: &Kb,
    keys: &[AnswerKey<'a>],
    policy: impl Fn(usize) -> Policy<'a>,
    verbose: bool,
) -> Vec<Replayed> {
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let r = match replay(kb, key, &policy(i)) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            };
            if verbose {
                println!(
                    "{:<44} {:<20} rank {:>4} {:>3} q {}",
                    r.id,
                    r.group.map_or("not scored", KeyGroup::id),
                    r.rank.map_or("-".to_owned(), |k| k.to_string()),
                    r.questions,
                    r.path
                        .iter()
                        .map(|(kind, id)| match kind {
                            kb::StepKind::Question => format!("{id}?"),
                            kb::StepKind::Action => id.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(" → ")
                );
            }
            r
        })
        .collect()
}

/// Reads a key file; `cargo bench` runs in crates/engine, so a relative path is also looked
/// for from the workspace root.
fn read(path: &std::path::Path) -> Result<String, String> {
    let from_root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(path)
        .or_else(|e| {
            if path.is_relative() {
                std::fs::read_to_string(&from_root)
            } else {
                Err(e)
            }
        })
        .map_err(|e| format!("cannot read it: {e}"))
}
