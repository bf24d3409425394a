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

/// What one action did in a shop's finished cases of one code and model, weighted by how sure
/// each record is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocalAction {
    pub action: String,
    /// Cases it fixed.
    pub fixed: f64,
    /// Tries that failed, in any finished case.
    pub failed: f64,
    /// Tries that failed in cases nothing fixed here (sent to a repair bench).
    pub failed_unresolved: f64,
}

impl LocalAction {
    /// Its fix rate here: the share of tries that fixed the phone.
    pub fn fix_rate(&self) -> Option<f64> {
        let tries = self.fixed + self.failed;
        (tries > 0.0).then(|| self.fixed / tries)
    }
}

/// A shop's experience with one code on one model: the update the engine makes to its belief
/// over causes once the code is known (the kb's belief counting as a number of cases).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocalExperience {
    pub actions: Vec<LocalAction>,
}

impl LocalExperience {
    pub fn is_empty(&self) -> bool {
        self.actions
            .iter()
            .all(|a| a.fixed <= 0.0 && a.failed_unresolved <= 0.0)
    }

    /// What it says about `action`, if anything.
    pub fn action(&self, action: &str) -> Option<&LocalAction> {
        self.actions.iter().find(|a| a.action == action)
    }

    /// The belief (indexed like `model.causes`) updated with these cases: each case an action
    /// fixed counts for the causes that action fixes, shared out by the belief times the
    /// action's fix rate; each failed try in a case nothing fixed counts, half as much, for
    /// the causes it does not fix. The belief given counts as `pseudo_cases` cases. A cause the
    /// belief rules out stays ruled out.
    pub fn update(&self, model: &Model, belief: &[f64], pseudo_cases: f64) -> Vec<f64> {
        let total: f64 = belief.iter().sum();
        if total <= 0.0 || !total.is_finite() || self.is_empty() {
            return belief.to_vec();
        }
        let base: Vec<f64> = belief.iter().map(|p| p / total).collect();
        let mut counts = vec![0.0; base.len()];
        let mut share = |weight: f64, rate: &dyn Fn(usize) -> f64| {
            if weight <= 0.0 {
                return;
            }
            let parts: Vec<f64> = base.iter().enumerate().map(|(c, p)| p * rate(c)).collect();
            let sum: f64 = parts.iter().sum();
            if sum > 0.0 {
                for (n, part) in counts.iter_mut().zip(parts) {
                    *n += weight * part / sum;
                }
            }
        };
        for local in &self.actions {
            let Some(a) = model.action_index(&local.action) else {
                continue;
            };
            let action = &model.actions[a];
            // The repair shop fixes everything: that it did says nothing of the cause.
            if action.escalation {
                continue;
            }
            share(local.fixed, &|c| action.fixes[c]);
            share(0.5 * local.failed_unresolved, &|c| 1.0 - action.fixes[c]);
        }
        base.iter()
            .zip(&counts)
            .map(|(p, n)| if *p > 0.0 { pseudo_cases * p + n } else { 0.0 })
            .collect()
    }
}
