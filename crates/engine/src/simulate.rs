//! A case generator in SACSO's sense: samples a true fault from the kb model, then plays a
//! troubleshooting policy against it until the phone is fixed, counting the minutes spent.

use kb::{Device, Kb, Observation};

use crate::model::{BACKUP_QUESTION, data_loss_share};
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

/// The hidden truth of one simulated case: one phone and its owner, decided in advance, so
/// that every policy meets the same phone (the same steps fix it, the same answers come back)
/// and policies are compared on the same cases rather than on different dice.
#[derive(Debug, Clone)]
pub struct World {
    pub cause: String,
    pub backup: bool,
    /// The person's answer to every question but the backup one, drawn from its likelihoods
    /// under the cause. They also decide whether an action applies or what it fixes (removing
    /// a hub fixes nothing where there is none).
    pub answers: Vec<Observation>,
    /// Questions this person cannot answer (each with its `answerable_share`).
    pub unanswerable: Vec<String>,
    /// Per action, indexed like `kb.actions`: a uniform draw; the action fixes this phone when
    /// the draw is below its true fix rate.
    pub rolls: Vec<f64>,
}

impl World {
    /// A phone with this cause and backup, the `given` answers, and everything else drawn.
    pub fn draw(kb: &Kb, cause: &str, backup: bool, given: &[Observation], rng: &mut Rng) -> World {
        let mut answers = given.to_vec();
        let mut unanswerable = Vec::new();
        for question in &kb.questions {
            if question.id != BACKUP_QUESTION && !answers.iter().any(|o| o.question == question.id)
            {
                answers.push(Observation::new(
                    question.id.clone(),
                    draw_answer(question, cause, rng),
                ));
            }
            if rng.unit() >= question.answerable_share {
                unanswerable.push(question.id.clone());
            }
        }
        World {
            cause: cause.to_owned(),
            backup,
            answers,
            unanswerable,
            rolls: kb.actions.iter().map(|_| rng.unit()).collect(),
        }
    }

    /// What this person answers to a question.
    fn answer(&self, question: &str) -> Option<String> {
        if question == BACKUP_QUESTION {
            return Some(if self.backup { "yes" } else { "no" }.to_owned());
        }
        self.answers
            .iter()
            .find(|o| o.question == question)
            .map(|o| o.answer.clone())
    }
}

/// How a simulated person chooses what to do next.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Ask the engine after every step.
    Engine,
    /// The engine as the guided session runs it with the phone on this computer's USB: what
    /// the computer sees by itself ([`SEEN_ON_USB`]) is known before the first question.
    OnUsb,
    /// Ask the engine, which also knows this shop's finished cases of the code and model.
    Learning(crate::LocalExperience),
    /// A fixed list of actions, in order (the seed article's, or Apple's for the category).
    Fixed(Vec<String>),
    /// Every ordinary action in a random order, then the repair shop.
    Random,
    /// Plans like the engine, but is told every question's answer at the start, for free (the
    /// logs' too): no policy that learns only by asking can do better, so the gap between it
    /// and the engine is all that better questions could still gain.
    Informed,
    /// Knows the true cause, the true fix rates and whether a backup exists, and tries the
    /// fixes in the best order for that cause: about the best a policy that must find the cause
    /// could hope for.
    Oracle,
}

impl Policy {
    /// The seed article's fixed order: cable and port, the computer's software, a DFU restore,
    /// another computer, then the repair shop.
    pub fn seed_order() -> Policy {
        Policy::Fixed(crate::evaluate::SEED_ORDER.map(String::from).to_vec())
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

/// The hidden truth cases are drawn from: how often each cause is the fault, and how likely
/// each action is to fix each cause. The engine never sees it.
#[derive(Debug, Clone)]
pub struct Truth {
    /// Weight per cause, indexed like `kb.causes`.
    pub cause_weights: Vec<f64>,
    /// P(fix | cause) per action and cause, indexed like `kb.actions` and `kb.causes`.
    pub fixes: Vec<Vec<f64>>,
    /// The same once the action's `fixes_if` condition is met (`None` for actions without one).
    pub conditional_fixes: Vec<Option<Vec<f64>>>,
}

impl Truth {
    /// The engine's own numbers (its calibrated prior × the code's likelihood): the engine's
    /// beliefs are right.
    pub fn kb(kb: &Kb, code: i64, device: Option<&Device>) -> Truth {
        let lookup = kb.lookup_code(code);
        let evidence = Evidence {
            device,
            ..Evidence::default()
        };
        let model = crate::model::Model::for_evidence(kb, &evidence);
        Truth {
            cause_weights: kb
                .causes
                .iter()
                .zip(&model.priors)
                .map(|(c, prior)| prior * lookup.likelihood(&c.id))
                .collect(),
            fixes: kb
                .actions
                .iter()
                .map(|a| kb.causes.iter().map(|c| a.p_fix(&c.id)).collect())
                .collect(),
            conditional_fixes: kb
                .actions
                .iter()
                .map(|a| {
                    a.fixes_if
                        .is_some()
                        .then(|| kb.causes.iter().map(|c| a.p_fix_when_met(&c.id)).collect())
                })
                .collect(),
        }
    }

    /// The kb's numbers, each prior and each non-zero fix rate multiplied by a random factor
    /// between 1/`factor` and `factor` (fix rates capped at 1; the repair shop still fixes all).
    pub fn perturbed(
        kb: &Kb,
        code: i64,
        device: Option<&Device>,
        factor: f64,
        rng: &mut Rng,
    ) -> Truth {
        let mut truth = Truth::kb(kb, code, device);
        let spread = factor.max(1.0).ln();
        let scale = |rng: &mut Rng| (spread * (2.0 * rng.unit() - 1.0)).exp();
        for w in &mut truth.cause_weights {
            *w *= scale(rng);
        }
        for ((a, row), conditional) in kb
            .actions
            .iter()
            .zip(&mut truth.fixes)
            .zip(&mut truth.conditional_fixes)
        {
            if a.escalation {
                continue;
            }
            for f in row.iter_mut().chain(conditional.iter_mut().flatten()) {
                if *f > 0.0 {
                    *f = (*f * scale(rng)).min(1.0);
                }
            }
        }
        truth
    }

    /// Causes in the mix the real cases show (their counts × the code's likelihood), with the
    /// kb's fix rates.
    pub fn empirical(kb: &Kb, code: i64, device: Option<&Device>) -> Truth {
        let lookup = kb.lookup_code(code);
        let counts = crate::Experience::calibration(kb);
        let mut truth = Truth::kb(kb, code, device);
        truth.cause_weights = kb
            .causes
            .iter()
            .map(|c| {
                let possible = kb.prior(c, device) > 0.0;
                if possible {
                    counts.count(&c.id) * lookup.likelihood(&c.id)
                } else {
                    0.0
                }
            })
            .collect();
        truth
    }

    /// The true chance that an action fixes a world's fault, given the world's answers.
    pub fn p_fix(&self, kb: &Kb, action: &str, world: &World) -> f64 {
        let a = kb.actions.iter().position(|x| x.id == action);
        let c = kb.causes.iter().position(|x| x.id == world.cause);
        let (Some(a), Some(c)) = (a, c) else {
            return 0.0;
        };
        let met = kb.actions[a]
            .fixes_if
            .as_ref()
            .is_some_and(|f| f.met_by(&world.answers));
        match &self.conditional_fixes[a] {
            Some(row) if met => row[c],
            _ => self.fixes[a][c],
        }
    }
}

/// Samples a phone: the true cause from a truth, whether the person has a backup (half do),
/// their answers and which steps would fix it.
pub fn sample_world(kb: &Kb, truth: &Truth, rng: &mut Rng) -> World {
    let cause = kb.causes[rng.weighted(&truth.cause_weights)].id.clone();
    let backup = rng.unit() < 0.5;
    World::draw(kb, &cause, backup, &[], rng)
}

/// An answer to a question drawn from its likelihoods under the true cause.
fn draw_answer(question: &kb::Question, cause: &str, rng: &mut Rng) -> String {
    let weights: Vec<f64> = question
        .answers
        .iter()
        .map(|a| question.likelihood(cause, a))
        .collect();
    question.answers[rng.weighted(&weights)].clone()
}

/// What the guided session reads before asking anything when the phone is on this computer:
/// the phone's mode, a hub in between and the link's speed from USB (`usb::evidence`), and the
/// computer's own system (`host-os`).
pub const SEEN_ON_USB: [&str; 4] = ["device-mode", "hub-in-path", "link-speed", "host-os"];

/// The simulated phone's answers to these questions, as a policy is told them for free.
fn told<'q>(world: &World, questions: impl IntoIterator<Item = &'q str>) -> Vec<Observation> {
    questions
        .into_iter()
        .filter_map(|q| Some(Observation::new(q, world.answer(q)?)))
        .collect()
}

/// Plays one case to the end (at most 50 steps). The data's value is counted once: at the
/// first erasing step, or when the repair shop fixes the phone without keeping the data.
pub fn play(
    kb: &Kb,
    code: i64,
    device: Option<&Device>,
    world: &World,
    truth: &Truth,
    policy: &Policy,
    rng: &mut Rng,
) -> CaseCost {
    play_traced(kb, code, device, world, truth, policy, rng).0
}

/// [`play`], also returning the actions tried in order; the last fixed the phone unless the
/// case ran out of steps.
pub fn play_traced(
    kb: &Kb,
    code: i64,
    device: Option<&Device>,
    world: &World,
    truth: &Truth,
    policy: &Policy,
    rng: &mut Rng,
) -> (CaseCost, Vec<String>) {
    let mut evidence = Evidence {
        code: Some(code),
        device,
        local: match policy {
            Policy::Learning(local) => Some(local),
            _ => None,
        },
        observations: match policy {
            // Every question that applies to the device.
            Policy::Informed => told(
                world,
                crate::model::Model::from_kb(kb, device)
                    .questions
                    .iter()
                    .map(|q| q.id.as_str()),
            ),
            Policy::OnUsb => told(world, SEEN_ON_USB),
            _ => Vec::new(),
        },
        ..Evidence::default()
    };
    let mut tried = Vec::new();
    let mut total = CaseCost {
        cost: 0.0,
        minutes: 0.0,
        steps: 0,
    };
    let mut data_at_stake = !world.backup;
    let mut erased = false;
    let hardware = kb.cause(&world.cause).is_some_and(|c| c.hardware);
    let mut order: Vec<String> = match policy {
        Policy::Fixed(list) => list.clone(),
        Policy::Random => random_order(kb, rng),
        Policy::Oracle => oracle_order(kb, world, truth),
        Policy::Engine | Policy::OnUsb | Policy::Learning(_) | Policy::Informed => Vec::new(),
    };
    order.reverse();
    for _ in 0..50 {
        let (kind, id) = match policy {
            Policy::Engine | Policy::OnUsb | Policy::Learning(_) | Policy::Informed => {
                match assess(kb, &evidence)
                    .ok()
                    .and_then(|a| a.plan.into_iter().next())
                {
                    Some(step) => (step.kind, step.id),
                    None => break,
                }
            }
            Policy::Fixed(_) | Policy::Random | Policy::Oracle => match order.pop() {
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
            match world.answer(&id) {
                Some(answer) if !world.unanswerable.contains(&id) => {
                    evidence.observations.push(Observation::new(id, answer));
                }
                _ => evidence.declined.push(id),
            }
            continue;
        }
        let Some(index) = kb.actions.iter().position(|a| a.id == id) else {
            break;
        };
        let action = &kb.actions[index];
        tried.push(id.clone());
        total.minutes += action.cost_minutes;
        total.cost += action.cost_minutes;
        if action.erases_data && data_at_stake {
            total.cost += kb.settings.data_loss_minutes;
            data_at_stake = false;
        }
        // A step that does not apply to this phone (no hub to remove, a phone in DFU mode to
        // leave recovery mode, nothing left after an erase) fixes nothing.
        let applies = action.offered(&world.answers, erased);
        erased |= action.erases_data;
        let roll = world.rolls.get(index).copied().unwrap_or(1.0);
        if applies && roll < truth.p_fix(kb, &action.id, world) {
            if action.escalation && data_at_stake {
                total.cost += data_loss_share(kb, action, hardware) * kb.settings.data_loss_minutes;
            }
            return (total, tried);
        }
        evidence.failed.push(id);
    }
    (total, tried)
}

/// The cheapest order for a known cause: independent tries are best taken by chance of
/// success per minute (data loss counted when there is no backup), up to the repair shop;
/// steps that do not apply to this phone are left out.
fn oracle_order(kb: &Kb, world: &World, truth: &Truth) -> Vec<String> {
    let hardware = kb.cause(&world.cause).is_some_and(|c| c.hardware);
    let data = if world.backup {
        0.0
    } else {
        kb.settings.data_loss_minutes
    };
    let mut ranked: Vec<(f64, String)> = kb
        .actions
        .iter()
        .filter(|a| a.offered(&world.answers, false))
        .map(|a| {
            let lost = data_loss_share(kb, a, hardware);
            let p = if a.escalation {
                1.0
            } else {
                truth.p_fix(kb, &a.id, world)
            };
            (p / (a.cost_minutes + lost * data), a.id.clone())
        })
        .filter(|(rate, _)| *rate > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut order = Vec::new();
    for (_, id) in ranked {
        let escalation = kb.action(&id).is_some_and(|a| a.escalation);
        order.push(id);
        if escalation {
            break;
        }
    }
    order
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
