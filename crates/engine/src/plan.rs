//! Planning: the greedy efficiency-ordered action sequence with updating after each failure,
//! its expected cost of repair (ECR), and the myopic value-of-information rule for questions.

use crate::model::Model;

/// A question must be expected to save at least this many minutes beyond its own to be asked:
/// it interrupts the fixing and spends the person's patience, which its minutes do not count
/// (SACSO weighs a step's "insult" beside its time). About half of a cheap step (another port,
/// 12 min; another cable, 15 min): a question that saves less is not worth stopping for
/// (project estimate). In the session replay of the dev key, 0.5 min asked 7.6 questions a
/// case and 5 min 6.3; 6 to 9 min ask 5.9 to 4.9 with the same fixes reached, 10 min and more
/// start to miss fixes.
pub const MIN_SAVING: f64 = 8.0;

/// Belief mass below which a plan stops: every cause left is practically ruled out.
const NEGLIGIBLE: f64 = 1e-12;

/// Which actions are still on the table, whether the phone's data is still at stake (no
/// backup exists and nothing has erased the phone yet), and, once a question's answer is
/// supposed, the fix rates that answer gives an action (a phone in recovery mode can be told
/// to leave it).
#[derive(Debug, Clone)]
pub struct Situation {
    pub available: Vec<bool>,
    pub data_at_stake: bool,
    /// Per action: fix rates per cause that replace the model's, or `None` for the model's.
    pub fixes: Vec<Option<Vec<f64>>>,
}

impl Situation {
    pub fn all_available(model: &Model, data_at_stake: bool) -> Situation {
        Situation {
            available: vec![true; model.actions.len()],
            data_at_stake,
            fixes: vec![None; model.actions.len()],
        }
    }

    /// The fix rates per cause of an action in this situation.
    pub fn fixes<'a>(&'a self, model: &'a Model, action: usize) -> &'a [f64] {
        self.fixes[action]
            .as_deref()
            .unwrap_or(&model.actions[action].fixes)
    }
}

/// An ordered list of actions with its expected cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    pub actions: Vec<usize>,
    /// Expected minutes until the problem is fixed when following the sequence.
    pub expected_cost: f64,
}

/// Multiplies a belief by the chance that an action fails under each cause (unnormalised).
pub fn after_failure(model: &Model, belief: &[f64], action: usize) -> Vec<f64> {
    failed_under(&model.actions[action].fixes, belief)
}

/// Multiplies a belief by the chance that an action with these fix rates fails under each
/// cause (unnormalised).
fn failed_under(fixes: &[f64], belief: &[f64]) -> Vec<f64> {
    belief
        .iter()
        .zip(fixes)
        .map(|(p, f)| p * (1.0 - f))
        .collect()
}

/// [`failed_under`] without a new belief: the belief is multiplied where it is.
fn fail_in_place(fixes: &[f64], belief: &mut [f64]) {
    for (p, f) in belief.iter_mut().zip(fixes) {
        *p *= 1.0 - f;
    }
}

/// Expected cost of following `actions` in order from `belief` (normalised internally):
/// each action's minutes weighted by the probability that every earlier one failed, and the
/// data's value once, at the first step that loses it.
pub fn sequence_cost(model: &Model, belief: &[f64], actions: &[usize], data_at_stake: bool) -> f64 {
    let total: f64 = belief.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut b: Vec<f64> = belief.iter().map(|p| p / total).collect();
    let mut at_stake = data_at_stake;
    let mut cost = 0.0;
    for &a in actions {
        let mass: f64 = b.iter().sum();
        if mass <= NEGLIGIBLE {
            break;
        }
        cost += model.expected_cost(a, &b, at_stake);
        at_stake &= !model.actions[a].erases_data;
        fail_in_place(&model.actions[a].fixes, &mut b);
    }
    cost
}

/// Greedy planning with updating (Langseth & Jensen's Algorithm 2): repeatedly take the
/// available action with the highest P(fix | all earlier failed) / cost, until the escalation
/// action (which always fixes) is taken or nothing is left to fix.
pub fn greedy(model: &Model, belief: &[f64], situation: &Situation) -> Sequence {
    let total: f64 = belief.iter().sum();
    if total <= 0.0 {
        return Sequence {
            actions: Vec::new(),
            expected_cost: 0.0,
        };
    }
    let mut b: Vec<f64> = belief.iter().map(|p| p / total).collect();
    let mut used = vec![false; model.actions.len()];
    let mut actions = Vec::new();
    let mut expected_cost = 0.0;
    let mut at_stake = situation.data_at_stake;
    loop {
        let mass: f64 = b.iter().sum();
        if mass <= NEGLIGIBLE {
            break;
        }
        let mut best: Option<(usize, f64, f64)> = None;
        for (i, (&done, &available)) in used.iter().zip(&situation.available).enumerate() {
            if done || !available {
                continue;
            }
            // What the action fixes and, while the data is at stake, the mass under which it
            // loses the data, in one pass (each sum in the same order as `Iterator::sum`).
            let fixes = situation.fixes(model, i);
            let action = &model.actions[i];
            let (mut fixed, mut lost) = (-0.0f64, -0.0f64);
            for ((f, l), p) in fixes.iter().zip(&action.data_loss).zip(&b) {
                fixed += f * p;
                lost += l * p;
            }
            if fixed <= 0.0 {
                continue;
            }
            let mut cost = mass * action.cost;
            if at_stake {
                cost += lost * model.data_loss_minutes;
            }
            let cost = cost / mass;
            let efficiency = fixed / mass / cost;
            let better = match best {
                None => true,
                Some((_, e, c)) => {
                    efficiency > e + 1e-12 || ((efficiency - e).abs() <= 1e-12 && cost < c)
                }
            };
            if better {
                best = Some((i, efficiency, cost));
            }
        }
        let Some((chosen, _, cost)) = best else {
            break;
        };
        used[chosen] = true;
        actions.push(chosen);
        expected_cost += mass * cost;
        if model.actions[chosen].escalation {
            break;
        }
        at_stake &= !model.actions[chosen].erases_data;
        fail_in_place(situation.fixes(model, chosen), &mut b);
    }
    Sequence {
        actions,
        expected_cost,
    }
}

/// Improves a plan by local search: moves single actions to other positions, drops actions and
/// inserts available ones while that lowers the expected cost. Greedy ordering is optimal only
/// when actions do not overlap and costs do not depend on the cause (the repair shop's data
/// loss does); this removes most of the remaining gap at a small, bounded cost.
pub fn refine(model: &Model, belief: &[f64], plan: Sequence, situation: &Situation) -> Sequence {
    let data_at_stake = situation.data_at_stake;
    let mut actions = plan.actions;
    let mut best = plan.expected_cost;
    for _ in 0..=actions.len() {
        let mut improved = false;
        for candidate in 0..model.actions.len() {
            if !situation.available[candidate]
                || model.actions[candidate].escalation
                || actions.contains(&candidate)
            {
                continue;
            }
            let mut best_insert: Option<(usize, f64)> = None;
            for at in 0..=actions.len() {
                actions.insert(at, candidate);
                let cost = sequence_cost(model, belief, &actions, data_at_stake);
                actions.remove(at);
                if cost < best - 1e-9 && best_insert.is_none_or(|(_, c)| cost < c) {
                    best_insert = Some((at, cost));
                }
            }
            if let Some((at, cost)) = best_insert {
                actions.insert(at, candidate);
                best = cost;
                improved = true;
            }
        }
        for from in 0..actions.len() {
            for to in 0..actions.len() {
                if from == to {
                    continue;
                }
                let moved = actions.remove(from);
                actions.insert(to, moved);
                let cost = sequence_cost(model, belief, &actions, data_at_stake);
                if cost < best - 1e-9 {
                    best = cost;
                    improved = true;
                } else {
                    let moved = actions.remove(to);
                    actions.insert(from, moved);
                }
            }
        }
        let mut i = 0;
        while i + 1 < actions.len() {
            if model.actions[actions[i]].escalation {
                i += 1;
                continue;
            }
            let removed = actions.remove(i);
            let cost = sequence_cost(model, belief, &actions, data_at_stake);
            if cost < best - 1e-9 {
                best = cost;
                improved = true;
            } else {
                actions.insert(i, removed);
                i += 1;
            }
        }
        if !improved {
            break;
        }
    }
    // An escalation that ended up before the end makes what follows it pointless.
    if let Some(pos) = actions.iter().position(|&a| model.actions[a].escalation) {
        actions.truncate(pos + 1);
    }
    Sequence {
        expected_cost: sequence_cost(model, belief, &actions, data_at_stake),
        actions,
    }
}

/// The expected cost of asking a question first and then planning greedily on its answer
/// (ECO in Heckerman, Breese & Rommelse): the question's cost plus the answer-weighted ECR;
/// a person who cannot answer leaves the plan as it is (`unanswered`, the ECR now).
/// `after(question, answer)` is the situation once that answer is known: an answer can make
/// erasing cheap (a backup) or put actions on the table (the restore tool in use).
pub fn cost_of_asking(
    model: &Model,
    belief: &[f64],
    question: usize,
    unanswered: f64,
    after: &dyn Fn(usize, usize) -> Situation,
) -> f64 {
    let q = &model.questions[question];
    let total: f64 = belief.iter().sum();
    if total <= 0.0 {
        return q.cost;
    }
    let known = q.answerable.clamp(0.0, 1.0);
    let mut cost = q.cost + (1.0 - known) * unanswered;
    for (answer, row) in q.likelihood.iter().enumerate() {
        let conditioned: Vec<f64> = belief.iter().zip(row).map(|(p, l)| p * l).collect();
        let p_answer: f64 = conditioned.iter().sum::<f64>() / total;
        if p_answer <= NEGLIGIBLE {
            continue;
        }
        cost +=
            known * p_answer * greedy(model, &conditioned, &after(question, answer)).expected_cost;
    }
    cost
}

/// The question worth asking now, if any, and its expected cost of asking (ECO).
///
/// A question is worth asking when its ECO beats acting without it (`plan`, from the same
/// greedy planner as the answers' plans, so only the question's worth is compared) by at least
/// [`MIN_SAVING`]. Among those, an intake question (known in seconds: the program, the
/// computer, what the phone shows) comes first; otherwise the one with the lowest ECO. The
/// beliefs are re-assessed after every step, so a question not worth asking now is weighed
/// again later.
pub fn question_to_ask(
    model: &Model,
    belief: &[f64],
    candidates: &[usize],
    plan: &Sequence,
    after: &dyn Fn(usize, usize) -> Situation,
) -> Option<(usize, f64)> {
    let worth: Vec<(usize, f64)> = candidates
        .iter()
        .map(|&q| {
            (
                q,
                cost_of_asking(model, belief, q, plan.expected_cost, after),
            )
        })
        .filter(|&(_, eco)| eco <= plan.expected_cost - MIN_SAVING)
        .collect();
    let lowest = |intake: bool| {
        worth
            .iter()
            .filter(|(q, _)| !intake || model.questions[*q].intake)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .copied()
    };
    lowest(true).or_else(|| lowest(false))
}
