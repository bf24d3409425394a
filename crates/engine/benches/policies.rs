//! Policy benchmark (`cargo bench -p engine`): simulated 4013 cases on several device
//! families, played by the engine, the seed article's fixed order, Apple's category order and
//! a random order; then the time of one assessment.

use std::time::Instant;

use engine::simulate::{Policy, Rng, play, sample_world};
use engine::{Evidence, assess};
use kb::Kb;

const CODE: i64 = 4013;
const CASES: usize = 10_000;

fn main() {
    let kb = Kb::embedded().expect("embedded kb");
    let families: [(&str, Option<&str>); 6] = [
        ("unknown model", None),
        ("iPhone 7 (Lightning, Touch ID)", Some("iPhone9,3")),
        ("iPhone X (Face ID)", Some("iPhone10,3")),
        ("iPhone 8 (Lightning, Touch ID)", Some("iPhone10,1")),
        ("iPhone 15 (USB-C)", Some("iPhone15,4")),
        ("iPad 9th gen (Home button)", Some("iPad12,1")),
    ];
    let apple_order = kb
        .lookup_code(CODE)
        .category
        .expect("4013 has a category")
        .apple_steps
        .clone();
    let policies = [
        ("engine", Policy::Engine),
        ("seed order", Policy::seed_order()),
        ("Apple's order", Policy::Fixed(apple_order)),
        ("random", Policy::Random),
    ];

    println!("Mean cost to a fix for error {CODE}, {CASES} simulated cases per family");
    println!(
        "(cost = minutes + {} min of data loss when an erasing step ran without a backup; minutes alone in brackets)\n",
        kb.settings.data_loss_minutes
    );
    print!("{:<34}", "family");
    for (name, _) in &policies {
        print!("{name:>22}");
    }
    println!("{:>14}", "engine/seed");
    let mut overall = vec![(0.0, 0.0); policies.len()];
    for (label, model) in families {
        let device = model.map(|m| kb.find_device(m).expect("model in kb"));
        print!("{label:<34}");
        let mut means = Vec::new();
        for (p, (_, policy)) in policies.iter().enumerate() {
            // The same worlds and dice for every policy.
            let mut rng = Rng::new(0xC0FFEE);
            let (mut cost, mut minutes) = (0.0, 0.0);
            for _ in 0..CASES {
                let world = sample_world(kb, CODE, device, &mut rng);
                let case = play(kb, CODE, device, &world, policy, &mut rng);
                cost += case.cost;
                minutes += case.minutes;
            }
            let (cost, minutes) = (cost / CASES as f64, minutes / CASES as f64);
            overall[p].0 += cost / families.len() as f64;
            overall[p].1 += minutes / families.len() as f64;
            means.push(cost);
            print!("{:>22}", format!("{cost:.0} ({minutes:.0})"));
        }
        println!("{:>14.2}", means[0] / means[1]);
    }
    print!("{:<34}", "all families");
    for (cost, minutes) in &overall {
        print!("{:>22}", format!("{cost:.0} ({minutes:.0})"));
    }
    println!("{:>14.2}\n", overall[0].0 / overall[1].0);

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
        "One assessment (4013, iPhone 7, questions included): median {:.0} µs, p99 {:.0} µs",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}
