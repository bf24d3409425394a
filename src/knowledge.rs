//! The built-in knowledge base for commands: loading it, turning `--model` into a device with a
//! usage error that suggests, and the device as `--json` echoes it.

use anyhow::anyhow;
use kb::{Device, Kb};

use crate::usage_error::UsageError;

/// The embedded knowledge base, or an error if it is broken (which tests prevent).
pub fn knowledge() -> anyhow::Result<&'static Kb> {
    Kb::embedded().map_err(|e| anyhow!("the built-in knowledge base is broken: {e}"))
}

/// Resolves `--model`, turning an unknown model into a usage error with a suggestion.
pub fn resolve_model<'kb>(kb: &'kb Kb, model: Option<&str>) -> anyhow::Result<Option<&'kb Device>> {
    match model {
        None => Ok(None),
        Some(query) => kb
            .find_device(query)
            .map(Some)
            .map_err(|e| UsageError::new(e.to_string()).into()),
    }
}

/// The device a command understood, as its `--json` echoes it (`null` when none was given).
/// A model's name that several variants share ("iPhone 7") has no product type and no board,
/// and lists the product types it can be as `candidates`.
#[derive(serde::Serialize)]
pub struct DeviceJson<'a> {
    pub product_type: Option<&'a str>,
    pub name: &'a str,
    pub model: &'a str,
    pub board: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub candidates: &'a [String],
}

impl<'a> From<&'a kb::Device> for DeviceJson<'a> {
    fn from(d: &'a kb::Device) -> Self {
        DeviceJson {
            product_type: d.known_product_type(),
            name: &d.name,
            model: &d.model,
            board: d.board.as_deref(),
            candidates: &d.variants,
        }
    }
}
