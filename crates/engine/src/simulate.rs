//! A case generator in SACSO's sense: samples a true fault from the kb model, then plays a
//! troubleshooting policy against it until the phone is fixed, counting the minutes spent.

use kb::{Device, Kb, Observation};

use crate::model::BACKUP_QUESTION;
use crate::{Evidence, StepKind, assess};

/// A small deterministic random generator (xorshift64*), so simulations are reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// An index drawn with the given (not necessarily normalised) weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i;
            }
            target -= w;
        }
        weights.len() - 1
    }
}

/// The hidden truth of one simulated case.
#[derive(Debug, Clone)]
pub struct World {
    pub cause: String,
    pub backup: bool,
}

/// How a simulated person chooses what to do next.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Ask the engine after every step.
    Engine,
    /// A fixed list of actions, in order (the seed article's, or Apple's for the category).
    Fixed(Vec<String>),
    /// Every ordinary action in a random order, then the repair shop.
    Random,
}

impl Policy {
    /// The seed article's fixed order: cable and port, the computer's software, a DFU restore,
    /// another computer, then the repair shop.
    pub fn seed_order() -> Policy {
        Policy::Fixed(
            [
                "swap-cable",
                "change-port",
                "remove-hub",
                "update-host-software",
                "dfu-restore",
                "different-computer",
                "professional-repair",
            ]
            .map(String::from)
            .to_vec(),
        )
    }
}

/// What a simulated case cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseCost {
    /// Minutes spent, plus the data-loss cost when an erasing action ran without a backup.
    pub cost: f64,
    /// Minutes spent only.
    pub minutes: f64,
    pub steps: usize,
}

/// Samples the true cause from the kb's posterior for this code and device, and whether the
/// person has a backup (half of them do).
pub fn sample_world(kb: &Kb, code: i64, device: Option<&Device>, rng: &mut Rng) -> World {
    let lookup = kb.lookup_code(code);
    let weights: Vec<f64> = kb
        .causes
        .iter()
        .map(|c| kb.prior(c, device) * lookup.likelihood(&c.id))
        .collect();
    World {
        cause: kb.causes[rng.weighted(&weights)].id.clone(),
        backup: rng.unit() < 0.5,
    }
}

/// Plays one case to the end (at most 50 steps).
pub fn play(
    kb: &Kb,
    code: i64,
    device: Option<&Device>,
    world: &World,
    policy: &Policy,
    rng: &mut Rng,
) -> CaseCost {
    let mut evidence = Evidence {
        code: Some(code),
        device,
        ..Evidence::default()
    };
    let mut total = CaseCost {
        cost: 0.0,
        minutes: 0.0,
        steps: 0,
    };
    let mut order: Vec<String> = match policy {
        Policy::Fixed(list) => list.clone(),
        Policy::Random => random_order(kb, rng),
        Policy::Engine => Vec::new(),
    };
    order.reverse();
    for _ in 0..50 {
        let (kind, id) = match policy {
            Policy::Engine => match assess(kb, &evidence)
                .ok()
                .and_then(|a| a.plan.into_iter().next())
            {
                Some(step) => (step.kind, step.id),
                None => break,
            },
            Policy::Fixed(_) | Policy::Random => match order.pop() {
                Some(id) => (StepKind::Action, id),
                None => break,
            },
        };
        total.steps += 1;
        if kind == StepKind::Question {
            let Some(question) = kb.question(&id) else {
                break;
            };
            total.cost += question.cost_minutes;
            total.minutes += question.cost_minutes;
            let answer = if question.id == BACKUP_QUESTION {
                if world.backup { "yes" } else { "no" }.to_owned()
            } else {
                let weights: Vec<f64> = question
                    .answers
                    .iter()
                    .map(|a| question.likelihood(&world.cause, a))
                    .collect();
                question.answers[rng.weighted(&weights)].clone()
            };
            evidence.observations.push(Observation::new(id, answer));
            continue;
        }
        let Some(action) = kb.action(&id) else { break };
        total.minutes += action.cost_minutes;
        total.cost += action.cost_minutes;
        if action.erases_data && !world.backup {
            total.cost += kb.settings.data_loss_minutes;
        }
        if rng.unit() < action.p_fix(&world.cause) {
            return total;
        }
        evidence.failed.push(id);
    }
    total
}

fn random_order(kb: &Kb, rng: &mut Rng) -> Vec<String> {
    let mut ids: Vec<String> = kb
        .actions
        .iter()
        .filter(|a| !a.escalation)
        .map(|a| a.id.clone())
        .collect();
    for i in (1..ids.len()).rev() {
        ids.swap(i, rng.range(0, i));
    }
    ids.extend(kb.escalation().map(|a| a.id.clone()));
    ids
}
