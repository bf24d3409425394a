//! DFU-mode button families: timed steps per family and the signs that tell DFU from
//! recovery mode.

use serde::{Deserialize, Serialize};

/// One button sequence shared by a family of models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DfuFamily {
    pub id: String,
    /// The family's letter in the research notes (A–E).
    pub letter: String,
    pub name: String,
    pub recovery_buttons: String,
    /// How to force-restart the phone: what leaves DFU mode (no command can).
    pub force_restart: String,
    #[serde(rename = "step")]
    pub steps: Vec<DfuStep>,
    pub sources: Vec<String>,
}

/// One timed step of a DFU sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DfuStep {
    pub text: String,
    pub seconds: u32,
    /// The step ends when this happens rather than on the clock.
    pub until: Option<String>,
}

/// How to tell whether DFU entry worked, common to every family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DfuSigns {
    pub success: String,
    pub recovery_instead: String,
    pub booted_instead: String,
    pub cable_warning: String,
    pub sources: Vec<String>,
}
