//! Experience from resolved cases: how often each cause turned out to be the fault, blended
//! into the kb's priors as a Dirichlet update in which the kb counts as a number of cases.

use std::collections::BTreeMap;

use kb::{Kb, OutcomeGroup, RealCase};

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
