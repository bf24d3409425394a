//! Model-specific notes that accompany certain codes on certain devices, such as the
//! iPhone 7 Audio IC warning for 4013.

use serde::{Deserialize, Serialize};

/// A note shown by `explain` for some codes on some device groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub id: String,
    pub title: String,
    pub codes: Vec<i64>,
    pub groups: Vec<String>,
    /// The cause the note is about; its note or summary and symptoms are printed.
    pub cause: String,
    /// Questions whose answers tell this cause apart.
    #[serde(default)]
    pub questions: Vec<String>,
    pub sources: Vec<String>,
}
