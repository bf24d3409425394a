//! The planner against the true optimum: on many random small models (up to 8 actions) the
//! expected cost of the engine's plan is compared with the best of all action orders, found
//! by brute force.

use engine::model::{Model, ModelAction};
use engine::plan::{Situation, greedy, refine, sequence_cost};
use engine::simulate::Rng;

/// A random model: 2–8 causes, 2–7 ordinary actions that each fix one to three causes
/// imperfectly (so actions overlap), and an escalation action that fixes everything. With
/// `data`, some actions erase the phone, the escalation loses the data under some causes (as
/// a shop restoring a software fault does) and the data is worth up to 300 minutes.
fn random_model(rng: &mut Rng, data: bool) -> Model {
    let n = rng.range(2, 8);
    let m = rng.range(2, 7);
    let causes: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let priors: Vec<f64> = (0..n).map(|_| 0.05 + rng.unit()).collect();
    let mut actions: Vec<ModelAction> = (0..m)
        .map(|j| {
            let mut fixes = vec![0.0; n];
            for _ in 0..rng.range(1, 3) {
                fixes[rng.range(0, n - 1)] = 0.3 + 0.7 * rng.unit();
            }
            let erases_data = data && rng.unit() < 0.3;
            ModelAction {
                id: format!("a{j}"),
                cost: 1.0 + 59.0 * rng.unit(),
                fixes,
                data_loss: vec![if erases_data { 1.0 } else { 0.0 }; n],
                erases_data,
                escalation: false,
            }
        })
        .collect();
    let service_loss = (0..n)
        .map(|_| match (data, rng.unit() < 0.5) {
            (true, true) => 1.0,
            (true, false) => 0.9 * rng.unit(),
            (false, _) => 0.0,
        })
        .collect();
    actions.push(ModelAction {
        id: "service".to_owned(),
        cost: 100.0 + 500.0 * rng.unit(),
        fixes: vec![1.0; n],
        data_loss: service_loss,
        erases_data: false,
        escalation: true,
    });
    Model {
        causes,
        priors,
        actions,
        questions: Vec::new(),
        data_loss_minutes: if data { 300.0 * rng.unit() } else { 0.0 },
    }
}

/// The cheapest expected cost over every ordered subset of the ordinary actions, followed by
/// the escalation action.
fn brute_force(model: &Model, belief: &[f64]) -> f64 {
    let escalation = model.actions.len() - 1;
    let mut best = f64::INFINITY;
    let mut sequence = Vec::new();
    let mut used = vec![false; escalation];
    fn search(
        model: &Model,
        belief: &[f64],
        sequence: &mut Vec<usize>,
        used: &mut [bool],
        escalation: usize,
        best: &mut f64,
    ) {
        sequence.push(escalation);
        *best = best.min(sequence_cost(model, belief, sequence, true));
        sequence.pop();
        for a in 0..escalation {
            if !used[a] {
                used[a] = true;
                sequence.push(a);
                search(model, belief, sequence, used, escalation, best);
                sequence.pop();
                used[a] = false;
            }
        }
    }
    search(
        model,
        belief,
        &mut sequence,
        &mut used,
        escalation,
        &mut best,
    );
    best
}

#[test]
fn the_plan_is_within_five_percent_of_the_optimum() {
    let mut rng = Rng::new(0x5EED_1995);
    let instances = 400;
    let mut gaps = Vec::with_capacity(instances);
    for i in 0..instances {
        let model = random_model(&mut rng, i % 2 == 1);
        let belief = model.priors.clone();
        let situation = Situation::all_available(&model, true);
        let plan = refine(
            &model,
            &belief,
            greedy(&model, &belief, &situation),
            &situation,
        );
        let optimum = brute_force(&model, &belief);
        assert!(
            plan.expected_cost >= optimum - 1e-9,
            "cannot beat the optimum"
        );
        gaps.push(plan.expected_cost / optimum - 1.0);
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let worst = gaps.iter().copied().fold(0.0, f64::max);
    let within = gaps.iter().filter(|g| **g <= 0.05).count();
    println!(
        "optimum gap over {instances} random models: mean {:.3} %, worst {:.3} %, {within} within 5 %",
        mean * 100.0,
        worst * 100.0
    );
    assert!(mean <= 0.05, "mean gap {mean}");
    assert!(
        within as f64 >= 0.95 * instances as f64,
        "only {within} of {instances} within 5 %"
    );
}

#[test]
fn greedy_is_exactly_optimal_when_actions_do_not_overlap() {
    // SACSO Prop. 2: each action fixes its own cause only, single fault, fixed costs: the
    // efficiency order is optimal.
    let mut rng = Rng::new(42);
    for _ in 0..100 {
        let mut model = random_model(&mut rng, false);
        let n = model.causes.len();
        let ordinary = model.actions.len() - 1;
        if ordinary > n {
            continue;
        }
        for (j, action) in model.actions.iter_mut().take(ordinary).enumerate() {
            let keep = j;
            let p = action.fixes.iter().copied().fold(0.3, f64::max);
            action.fixes = (0..n).map(|i| if i == keep { p } else { 0.0 }).collect();
        }
        let belief = model.priors.clone();
        let plan = greedy(&model, &belief, &Situation::all_available(&model, false));
        let optimum = brute_force(&model, &belief);
        assert!(
            (plan.expected_cost - optimum).abs() < 1e-6 * optimum,
            "{} vs {}",
            plan.expected_cost,
            optimum
        );
    }
}
