//! Causes of a failed restore (the states of the engine's single fault) and the named device
//! groups that decide which causes apply to which model.

use serde::{Deserialize, Serialize};

use crate::{Device, Kb};

/// A possible fault behind a failed restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub hardware: bool,
    /// Prior probability when the device is unknown.
    pub prior: f64,
    /// If set, the cause is impossible for a known device outside these groups.
    #[serde(default)]
    pub applies_to: Vec<String>,
    /// The cause is impossible for a known device in any of these groups (a modem fault on a
    /// Wi-Fi-only iPad).
    #[serde(default)]
    pub not_for: Vec<String>,
    /// Priors for devices in particular groups; the first matching group wins.
    #[serde(default)]
    pub prior_for: Vec<GroupPrior>,
    /// One of the seed article's "usually NOT the cause" entries.
    #[serde(default)]
    pub usually_not: bool,
    /// A "usually not" entry is not said when one of these causes is likely (at least
    /// [`Cause::LIKELY`]): "the iOS version" is the point when Apple no longer signs it.
    #[serde(default)]
    pub unless_likely: Vec<String>,
    #[serde(default)]
    pub symptoms: Vec<String>,
    pub note: Option<String>,
    pub sources: Vec<String>,
}

impl Cause {
    /// The share of belief at which a cause counts as likely for [`Cause::unless_likely`].
    pub const LIKELY: f64 = 0.1;

    /// Whether this is a "usually not the cause" entry worth saying, given each cause's
    /// probability (`probability` returns 0 for a cause ruled out).
    pub fn usually_not_here(&self, probability: impl Fn(&str) -> f64) -> bool {
        self.usually_not
            && !self
                .unless_likely
                .iter()
                .any(|c| probability(c) >= Cause::LIKELY)
    }
}

/// A prior that holds for devices of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupPrior {
    pub group: String,
    pub prior: f64,
}

/// A named set of product types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub product_types: Vec<String>,
    pub sources: Vec<String>,
}

impl Kb {
    /// The unnormalised prior of a cause for a device (or for an unknown device), zero when
    /// the cause cannot occur on that device.
    pub fn prior(&self, cause: &Cause, device: Option<&Device>) -> f64 {
        Kb::prior_in(cause, device.map(|d| self.groups_of(d)).as_deref())
    }

    /// [`Kb::prior`] for a device whose groups ([`Kb::groups_of`]) are already known.
    pub fn prior_in(cause: &Cause, groups: Option<&[&str]>) -> f64 {
        let Some(groups) = groups else {
            return cause.prior;
        };
        if cause.not_for.iter().any(|g| groups.contains(&g.as_str())) {
            return 0.0;
        }
        if !cause.applies_to.is_empty()
            && !cause
                .applies_to
                .iter()
                .any(|g| groups.contains(&g.as_str()))
        {
            return 0.0;
        }
        cause
            .prior_for
            .iter()
            .find(|p| groups.contains(&p.group.as_str()))
            .map_or(cause.prior, |p| p.prior)
    }
}
