//! Experience from resolved cases: how often each cause turned out to be the fault, blended
//! into the kb's priors as a Dirichlet update in which the kb counts as a number of cases.

use std::collections::BTreeMap;

use kb::{Kb, OutcomeGroup, RealCase};
use serde::Serialize;

use crate::model::Model;

/// Which priors the engine starts from.
#[derive(Debug, Clone, Copy, Default)]
pub enum Prior<'a> {
    /// The kb's priors updated with the real cases shipped in the kb (the default).
    #[default]
    Calibrated,
    /// The kb's priors alone.
    KbOnly,
    /// The kb's priors updated with these counts (a shop's own history, or a held-out set).
    With(&'a Experience),
}

/// Resolved cases counted per cause, weighted by how sure each report is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Experience {
    counts: BTreeMap<String, f64>,
}

impl Experience {
    /// Counts the cases whose outcome names a cause; unresolved cases and fixes that do not
    /// say what was wrong teach nothing here.
    pub fn from_cases<'a>(kb: &Kb, cases: impl IntoIterator<Item = &'a RealCase>) -> Experience {
        let mut counts: BTreeMap<String, f64> = BTreeMap::new();
        for case in cases {
            let Some(resolution) = kb.resolution(&case.resolved_by) else {
                continue;
            };
            if resolution.group == OutcomeGroup::Unresolved {
                continue;
            }
            if let Some(cause) = &resolution.cause {
                *counts.entry(cause.clone()).or_default() += case.confidence.weight();
            }
        }
        Experience { counts }
    }

    /// The counts of the real cases in the kb.
    pub fn calibration(kb: &Kb) -> Experience {
        Experience::from_cases(kb, &kb.real_cases)
    }

    /// The weighted count of cases caused by `cause`.
    pub fn count(&self, cause: &str) -> f64 {
        self.counts.get(cause).copied().unwrap_or(0.0)
    }

    /// Blends the counts into priors (indexed like `causes`): the kb's normalised prior
    /// counts as `pseudo_cases` cases. A cause the device cannot have stays impossible.
    pub fn blend(&self, causes: &[String], priors: &[f64], pseudo_cases: f64) -> Vec<f64> {
        let total: f64 = priors.iter().sum();
        if total <= 0.0 {
            return priors.to_vec();
        }
        causes
            .iter()
            .zip(priors)
            .map(|(c, p)| {
                if *p > 0.0 {
                    pseudo_cases * p / total + self.count(c)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// One of a shop's finished cases of the code and model at hand, as the engine learns from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocalCase {
    /// Actions tried that did not fix it, in order.
    pub failed: Vec<String>,
    /// The action that fixed it; `None` when nothing did (it went on to a repair bench).
    pub fixed: Option<String>,
    /// How much it teaches: 1 for a sure record, less for an unsure one.
    pub weight: f64,
}

/// A shop's experience with one code on one model: the update the engine makes to its belief
/// over causes once the code is known, the kb's belief counting as a number of cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocalExperience {
    pub cases: Vec<LocalCase>,
}

/// Rounds of re-estimating which cause each case had; the shares settle well within them.
const ROUNDS: usize = 20;
/// What a case nothing fixed teaches, against one a step fixed.
const UNRESOLVED_WEIGHT: f64 = 0.5;

impl LocalExperience {
    pub fn is_empty(&self) -> bool {
        self.cases.iter().all(|c| c.weight <= 0.0)
    }

    /// The belief (indexed like `model.causes`) updated with these cases. Each case is shared
    /// out over the causes by how well each explains it — the belief, times the chance that
    /// every failed action would fail and the fixing action would fix under that cause — and
    /// the shares are re-estimated with the updated belief until they settle (expectation
    /// maximisation). The belief given counts as `pseudo_cases` cases; a case nothing fixed
    /// teaches half as much; the repair shop's fix says nothing of the cause. A cause the
    /// belief rules out stays ruled out.
    pub fn update(&self, model: &Model, belief: &[f64], pseudo_cases: f64) -> Vec<f64> {
        let total: f64 = belief.iter().sum();
        if total <= 0.0 || !total.is_finite() || self.is_empty() {
            return belief.to_vec();
        }
        let base: Vec<f64> = belief.iter().map(|p| p / total).collect();
        // Per case: how likely its story is under each cause, and how much it teaches.
        let stories: Vec<(Vec<f64>, f64)> = self
            .cases
            .iter()
            .filter(|case| case.weight > 0.0)
            .map(|case| {
                let mut likelihood = vec![1.0; base.len()];
                for id in &case.failed {
                    if let Some(a) = model
                        .action_index(id)
                        .filter(|&a| !model.actions[a].escalation)
                    {
                        for (l, f) in likelihood.iter_mut().zip(&model.actions[a].fixes) {
                            *l *= 1.0 - f;
                        }
                    }
                }
                let fixed_here = case
                    .fixed
                    .as_deref()
                    .and_then(|id| model.action_index(id))
                    .filter(|&a| !model.actions[a].escalation);
                match fixed_here {
                    Some(a) => {
                        for (l, f) in likelihood.iter_mut().zip(&model.actions[a].fixes) {
                            *l *= f;
                        }
                        (likelihood, case.weight)
                    }
                    None => (likelihood, case.weight * UNRESOLVED_WEIGHT),
                }
            })
            .collect();
        let mut current = base.clone();
        let mut counts = vec![0.0; base.len()];
        for _ in 0..ROUNDS {
            counts.iter_mut().for_each(|n| *n = 0.0);
            for (likelihood, weight) in &stories {
                let parts: Vec<f64> = current.iter().zip(likelihood).map(|(p, l)| p * l).collect();
                let sum: f64 = parts.iter().sum();
                if sum > 0.0 && sum.is_finite() {
                    for (n, part) in counts.iter_mut().zip(parts) {
                        *n += weight * part / sum;
                    }
                }
            }
            let next: Vec<f64> = base
                .iter()
                .zip(&counts)
                .map(|(p, n)| if *p > 0.0 { pseudo_cases * p + n } else { 0.0 })
                .collect();
            let next_total: f64 = next.iter().sum();
            if next_total <= 0.0 {
                return belief.to_vec();
            }
            current = next.iter().map(|p| p / next_total).collect();
        }
        base.iter()
            .zip(&counts)
            .map(|(p, n)| if *p > 0.0 { pseudo_cases * p + n } else { 0.0 })
            .collect()
    }
}
