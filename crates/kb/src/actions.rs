//! Actions a person can take, with their cost in minutes, whether they erase the phone, and
//! how likely each is to fix each cause.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Something to do about a failed restore.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub name: String,
    pub summary: String,
    /// Minutes of the person's time, including one retry of the restore.
    pub cost_minutes: f64,
    pub erases_data: bool,
    /// The repair-shop action: it always fixes, at its cost.
    #[serde(default)]
    pub escalation: bool,
    pub steps: Vec<String>,
    /// P(the restore then works | cause) for the causes this action can fix.
    #[serde(default)]
    pub fixes: BTreeMap<String, f64>,
    pub sources: Vec<String>,
}

impl Action {
    /// Probability that this action fixes the problem if `cause` is the fault.
    pub fn p_fix(&self, cause: &str) -> f64 {
        if self.escalation {
            1.0
        } else {
            self.fixes.get(cause).copied().unwrap_or(0.0)
        }
    }
}
