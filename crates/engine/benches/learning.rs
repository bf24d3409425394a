//! Learning benchmark (`cargo bench -p engine --bench learning`): a shop whose truth differs
//! from the knowledge base — its bench computer is behind half of its 4013 failures, which no
//! question reveals (a hub is found by asking) — works through cases with the engine. After
//! 0, 10, 50 and 200 finished cases of its own, the mean minutes to a fix of new cases for:
//! the engine with the knowledge base alone, the engine that learns from those cases, and an
//! oracle that knows each phone's true cause.

use engine::simulate::{Policy, Rng, Truth, World, play, play_traced, sample_world};
use engine::{LocalCase, LocalExperience};
use kb::{Device, Kb};

const CODE: i64 = 4013;
const TEST_CASES: usize = 2_000;
const HISTORY: [usize; 4] = [0, 10, 50, 200];
/// The shop's own fault (its bench computer), and the share of its failures it causes.
const SHOP_CAUSE: &str = "host-computer";
const SHOP_SHARE: f64 = 0.5;

/// The knowledge base's truth for 4013 on this model, with the shop's cause raised to half.
fn shop_truth(kb: &Kb, device: Option<&Device>) -> Truth {
    let mut truth = Truth::kb(kb, CODE, device);
    let shop = kb
        .causes
        .iter()
        .position(|c| c.id == SHOP_CAUSE)
        .expect("the shop's cause is in the kb");
    let others: f64 = truth
        .cause_weights
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != shop)
        .map(|(_, w)| w)
        .sum();
    truth.cause_weights[shop] = others * SHOP_SHARE / (1.0 - SHOP_SHARE);
    truth
}

/// What `cases` finished cases taught, worked by a shop that learns as it goes.
fn history(
    kb: &Kb,
    device: Option<&Device>,
    truth: &Truth,
    cases: usize,
    rng: &mut Rng,
) -> LocalExperience {
    let mut local = LocalExperience::default();
    for _ in 0..cases {
        let world = sample_world(kb, truth, rng);
        let policy = Policy::Learning(local.clone());
        let (_, mut tried) = play_traced(kb, CODE, device, &world, truth, &policy, rng);
        let fixed = tried
            .last()
            .filter(|id| kb.action(id).is_some_and(|a| !a.escalation))
            .cloned();
        if fixed.is_some() {
            tried.pop();
        }
        local.cases.push(LocalCase {
            failed: tried,
            fixed,
            weight: 1.0,
        });
    }
    local
}

/// The actions a person who knew the cause would try: cheapest per chance of a fix first.
fn oracle(kb: &Kb, truth: &Truth, world: &World) -> Policy {
    let mut actions: Vec<(f64, String)> = kb
        .actions
        .iter()
        .filter(|a| !a.escalation)
        .filter_map(|a| {
            let p = truth.p_fix(kb, &a.id, world);
            (p > 0.0).then(|| (a.cost_minutes / p, a.id.clone()))
        })
        .collect();
    actions.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut order: Vec<String> = actions.into_iter().map(|(_, id)| id).collect();
    order.extend(kb.escalation().map(|a| a.id.clone()));
    Policy::Fixed(order)
}

/// Mean minutes to a fix and its standard error over the same new cases for every policy.
fn mean_minutes(
    kb: &Kb,
    device: Option<&Device>,
    truth: &Truth,
    policy: Option<&Policy>,
) -> (f64, f64) {
    // The same phones for every policy; the dice of each step drawn separately.
    let mut worlds = Rng::new(7);
    let mut dice = Rng::new(8);
    let minutes: Vec<f64> = (0..TEST_CASES)
        .map(|_| {
            let world = sample_world(kb, truth, &mut worlds);
            let oracle_policy;
            let policy = match policy {
                Some(p) => p,
                None => {
                    oracle_policy = oracle(kb, truth, &world);
                    &oracle_policy
                }
            };
            play(kb, CODE, device, &world, truth, policy, &mut dice).minutes
        })
        .collect();
    let n = minutes.len() as f64;
    let mean = minutes.iter().sum::<f64>() / n;
    let variance = minutes.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

fn main() {
    let kb = Kb::embedded().expect("embedded kb");
    let device = kb.find_device("iPhone 11").ok();
    let truth = shop_truth(kb, device);
    println!(
        "A shop whose bench computer causes {:.0} % of 4013 failures on iPhone 11; {TEST_CASES} new cases per point",
        SHOP_SHARE * 100.0
    );
    println!(
        "{:>16} {:>18} {:>18} {:>14}",
        "finished cases", "kb only (min)", "learning (min)", "oracle (min)"
    );
    let (kb_only, kb_error) = mean_minutes(kb, device, &truth, Some(&Policy::Engine));
    let (best, best_error) = mean_minutes(kb, device, &truth, None);
    for cases in HISTORY {
        let mut rng = Rng::new(1000 + cases as u64);
        let local = history(kb, device, &truth, cases, &mut rng);
        let (learning, error) = mean_minutes(kb, device, &truth, Some(&Policy::Learning(local)));
        println!(
            "{cases:>16} {:>18} {:>18} {:>14}",
            format!("{kb_only:.0} ± {kb_error:.0}"),
            format!("{learning:.0} ± {error:.0}"),
            format!("{best:.0} ± {best_error:.0}")
        );
    }
}
