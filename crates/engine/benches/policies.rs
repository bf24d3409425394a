//! Policy benchmark (`cargo bench -p engine`): simulated 4013 cases drawn from the kb's own
//! numbers, from numbers perturbed up to a factor of two and from the real cases' mix of
//! causes, played by the engine, the engine as the guided session runs it with the phone on
//! USB, the seed article's order, Apple's order, a random order, the engine told every answer
//! for free (the most better questions could give) and an oracle
//! that knows the true cause (about the best any policy can reach);
//! then the real cases replayed per group; then the time of one assessment (alone with
//! `BENCH_ASSESSMENT_ONLY=1`).
//! `RESTORE_DOCTOR_CASES=FILE.jsonl` replays a held-out set of cases (the cases.jsonl shape)
//! as well, with the priors calibrated on the kb's own cases only.

use std::time::Instant;

use engine::evaluate::{Ordering, SEED_ORDER, Summary, score_all};
use engine::simulate::{Policy, Rng, Truth, play, sample_world};
use engine::{Evidence, Prior, assess};
use kb::{Device, Kb, OutcomeGroup, RealCase};

const CODE: i64 = 4013;
const CASES: usize = 4_000;

fn mean_costs(
    kb: &Kb,
    device: Option<&Device>,
    truth: &Truth,
    policies: &[(&str, Policy)],
    seed: u64,
) -> Vec<f64> {
    policies
        .iter()
        .map(|(_, policy)| {
            // The same phones for every policy (a world fixes in advance what fixes it and
            // what its owner answers); the dice only shuffle the random order.
            let mut worlds = Rng::new(seed);
            let mut dice = Rng::new(seed ^ 0xD1CE);
            let mut cost = 0.0;
            for _ in 0..CASES {
                let world = sample_world(kb, truth, &mut worlds);
                cost += play(kb, CODE, device, &world, truth, policy, &mut dice).cost;
            }
            cost / CASES as f64
        })
        .collect()
}

fn main() {
    let kb = Kb::embedded().expect("embedded kb");
    if std::env::var_os("BENCH_ASSESSMENT_ONLY").is_some() {
        time_one_assessment(kb);
        return;
    }
    // A held-out set is read first, so a wrong path stops the bench before its long part.
    let held_out_cases = std::env::var_os("RESTORE_DOCTOR_CASES").map(|path| {
        match read_cases(std::path::Path::new(&path)) {
            Ok(cases) => (path, cases),
            Err(message) => {
                eprintln!("RESTORE_DOCTOR_CASES={}: {message}", path.to_string_lossy());
                std::process::exit(2);
            }
        }
    });
    let families: [(&str, Option<&str>); 4] = [
        ("unknown model", None),
        ("iPhone 7", Some("iPhone9,3")),
        ("iPhone X", Some("iPhone10,3")),
        ("iPad 9th gen", Some("iPad12,1")),
    ];
    let apple_order = kb
        .lookup_code(CODE)
        .category
        .expect("4013 has a category")
        .apple_steps
        .clone();
    let policies = [
        ("engine", Policy::Engine),
        ("phone on USB", Policy::OnUsb),
        ("seed order", Policy::seed_order()),
        ("Apple's order", Policy::Fixed(apple_order)),
        ("random", Policy::Random),
        ("every answer", Policy::Informed),
        ("oracle", Policy::Oracle),
    ];

    println!("Mean cost to a fix for error {CODE}, {CASES} simulated cases per family and truth");
    println!(
        "(cost = minutes + {} min of data, counted once, when a step loses it without a backup)\n",
        kb.settings.data_loss_minutes
    );
    print!("{:<16}{:<26}", "family", "truth");
    for (name, _) in &policies {
        print!("{name:>15}");
    }
    println!(
        "{:>13}{:>13}{:>13}{:>13}",
        "engine/seed", "USB/seed", "answers/seed", "oracle/seed"
    );
    let column = |name: &str| {
        policies
            .iter()
            .position(|(n, _)| *n == name)
            .expect("a policy of the table")
    };
    let (seed, compared) = (
        column("seed order"),
        [
            column("engine"),
            column("phone on USB"),
            column("every answer"),
            column("oracle"),
        ],
    );
    // Per truth: engine, the phone on USB, every answer known and the oracle, each over the
    // seed order, per family.
    let mut ratios: Vec<(&str, [Vec<f64>; 4])> = Vec::new();
    for (label, model) in families {
        let device = model.map(|m| kb.find_device(m).expect("model in kb"));
        let mut truths = vec![
            ("kb's own numbers", Truth::kb(kb, CODE, device)),
            ("real cases' mix", Truth::empirical(kb, CODE, device)),
        ];
        let mut rng = Rng::new(0x5EED);
        for i in 0..3 {
            let name = ["perturbed ×2 (a)", "perturbed ×2 (b)", "perturbed ×2 (c)"][i];
            truths.push((name, Truth::perturbed(kb, CODE, device, 2.0, &mut rng)));
        }
        for (name, truth) in &truths {
            let means = mean_costs(kb, device, truth, &policies, 0xC0FFEE);
            print!("{label:<16}{name:<26}");
            for m in &means {
                print!("{m:>15.0}");
            }
            let row = compared.map(|i| means[i] / means[seed]);
            for ratio in row {
                print!("{ratio:>13.2}");
            }
            println!();
            let key = if name.starts_with("perturbed") {
                "perturbed"
            } else {
                name
            };
            let index = match ratios.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    ratios.push((key, Default::default()));
                    ratios.len() - 1
                }
            };
            for (column, value) in ratios[index].1.iter_mut().zip(row) {
                column.push(value);
            }
        }
    }
    println!();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    for (key, [engine, usb, answers, oracle]) in &ratios {
        println!(
            "engine/seed, {key}: mean {:.3}, worst {:.3} (phone on USB: {:.3}, worst {:.3}; told every answer for free: {:.3}; knowing the cause: {:.3})",
            mean(engine),
            engine.iter().copied().fold(0.0, f64::max),
            mean(usb),
            usb.iter().copied().fold(0.0, f64::max),
            mean(answers),
            mean(oracle)
        );
    }

    println!(
        "\nReal cases (kb/data/real-cases.jsonl): the real fix's rank, share in the first three actions, minutes until it"
    );
    let orderings = [
        ("engine, kb priors only", Ordering::Engine(Prior::KbOnly)),
        ("engine, calibrated", Ordering::Engine(Prior::Calibrated)),
        ("engine, leave-one-out", Ordering::EngineLeaveOneOut),
        (
            "seed order",
            Ordering::Fixed(SEED_ORDER.map(String::from).to_vec()),
        ),
        ("Apple's order", Ordering::Apple),
    ];
    print_table(kb, &kb.real_cases, &orderings);
    if let Some((path, cases)) = held_out_cases {
        println!(
            "\nHeld-out cases ({}): priors calibrated on the kb's cases only",
            path.to_string_lossy()
        );
        let held_out: Vec<_> = orderings
            .into_iter()
            .filter(|(_, o)| !matches!(o, Ordering::EngineLeaveOneOut))
            .collect();
        print_table(kb, &cases, &held_out);
    }

    time_one_assessment(kb);
}

/// The time of one assessment (4013 on an iPhone 7), 2,000 times: the work behind every
/// answer in the session.
fn time_one_assessment(kb: &Kb) {
    let evidence = Evidence {
        code: Some(CODE),
        device: Some(kb.find_device("iPhone9,3").expect("iPhone 7")),
        ..Evidence::default()
    };
    let mut times = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let start = Instant::now();
        let a = assess(kb, &evidence).expect("assessment");
        times.push(start.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(a);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "\nOne assessment (4013, iPhone 7, questions included): median {:.0} µs, p99 {:.0} µs",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

/// Reads a cases file; `cargo bench` runs in crates/engine, so a relative path is also looked
/// for from the workspace root.
fn read_cases(path: &std::path::Path) -> Result<Vec<RealCase>, String> {
    let from_root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    let text = std::fs::read_to_string(path)
        .or_else(|e| {
            if path.is_relative() {
                std::fs::read_to_string(&from_root)
            } else {
                Err(e)
            }
        })
        .map_err(|e| format!("cannot read it: {e}"))?;
    kb::parse_cases(&text).map_err(|e| format!("not the cases.jsonl shape: {e}"))
}

/// Prints each ordering's summary per group of the cases.
fn print_table(kb: &Kb, cases: &[RealCase], orderings: &[(&str, Ordering)]) {
    println!(
        "{:<24}{:<22}{:>7}{:>11}{:>11}{:>10}",
        "ordering", "group", "cases", "first 3", "mean rank", "minutes"
    );
    for (label, ordering) in orderings {
        let scores = score_all(kb, cases, ordering);
        let groups: [(&str, Summary); 4] = [
            (
                "software/connection",
                Summary::of(scores.iter().filter(|s| {
                    matches!(s.group, OutcomeGroup::Connection | OutcomeGroup::Software)
                })),
            ),
            (
                "hardware",
                Summary::of(scores.iter().filter(|s| s.group == OutcomeGroup::Hardware)),
            ),
            (
                "tool users",
                Summary::of(scores.iter().filter(|s| s.tool_user)),
            ),
            (
                "unresolved (→ shop)",
                Summary::of(
                    scores
                        .iter()
                        .filter(|s| s.group == OutcomeGroup::Unresolved),
                ),
            ),
        ];
        for (group, s) in groups {
            println!(
                "{label:<24}{group:<22}{:>7}{:>11}{:>11.1}{:>10.0}",
                s.cases,
                format!("{}/{} {:.0}%", s.in_first_three, s.cases, s.share() * 100.0),
                s.mean_rank,
                s.mean_minutes
            );
        }
    }
}
