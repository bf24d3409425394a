//! Restore Doctor's knowledge base: the vocabulary (causes, actions, questions) and the facts
//! (error codes, devices, DFU families) every other crate reasons over, compiled from TOML.
//!
//! The data lives in `crates/kb/data/*.toml` (the source of truth). `build.rs` parses and
//! validates it (see [`validate`]): broken data fails the build, and the binary carries the
//! checked result in a compact form that loads without parsing. A new error code or device is
//! a data change, not a code change.

// `build.rs` compiles these sources as a module of its own, where `crate::` is the script:
// the modules are `pub(crate)` so its `use kb::*` finds them (a private module would not be).
pub(crate) mod actions;
pub(crate) mod answers;
pub(crate) mod causes;
pub(crate) mod codes;
pub(crate) mod devices;
pub(crate) mod dfu;
pub(crate) mod dialogs;
mod event;
#[cfg(any(feature = "source", not(kb_image)))]
pub(crate) mod files;
pub(crate) mod lazy;
pub(crate) mod notes;
pub(crate) mod outcomes;
pub(crate) mod questions;
pub mod text;
pub(crate) mod tool_messages;
pub mod validate;
pub(crate) mod vocab;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use actions::{Action, Condition, ConditionalFixes};
pub use answers::{AnswerKey, MAX_KEY_LINES};
pub use causes::{Cause, Group, GroupPrior};
pub use codes::{
    Category, CodeEntry, CodeLookup, CodeMatch, CodeParseError, CodeRange, display_code, parse_code,
};
pub use devices::{
    Biometric, Connector, Device, DeviceKind, DeviceLookupError, ModelNumberTable, Resolved,
    UsbProductTable, reword,
};
pub use dfu::{DfuFamily, DfuSigns, DfuStep};
pub use dialogs::{DialogCode, DialogExample, DialogLanguage};
pub use event::{CauseShare, NamedStep, RestoreEvent, RestoreVerdict, Stamped};
#[cfg(any(feature = "source", not(kb_image)))]
pub use files::KbFiles;
pub use lazy::Lazy;
pub use notes::Note;
pub use outcomes::{
    CaseField, CaseLineError, CaseReading, Confidence, OutcomeGroup, Phrase, RealCase, Resolution,
    parse_case_lines, parse_cases,
};
pub use questions::{Observation, Question, UNKNOWN_ANSWER};
use serde::{Deserialize, Serialize};
pub use strum::VariantArray;
pub use tool_messages::{
    Component, DomainNumber, ErrorDomain, FunctionMessages, Level, Message, MessagePhase,
    MessageSource, Role, ServerStatus, Tool, ToolKind, ToolMessage, ToolMessages,
};
pub use validate::Problem;
pub use vocab::{
    CaseStatus, EventKind, EvidenceSource, Phase, RestoreStep, StepKind, StepOutcome, Strength,
};

/// A kb name as it reads inside a sentence: the first letter lowered unless the first word is
/// an acronym or a proper noun ("Use a different USB port" → "use a different USB port",
/// "USB hub" and "Apple ID problems" unchanged).
pub fn in_sentence(name: &str) -> String {
    let first_word = name.split_whitespace().next().unwrap_or("");
    let acronym = first_word.chars().skip(1).any(char::is_uppercase);
    if acronym || first_word == "Apple" {
        return name.to_owned();
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A probability as people read it: "38 %", or "<1 %" for a small value that is not zero
/// (never "0 %" for something still possible).
pub fn percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct > 0.0 && pct < 1.0 {
        "<1 %".to_owned()
    } else {
        format!("{pct:.0} %")
    }
}

/// Why a knowledge base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    /// The compiled form cannot be read.
    #[error("{file}: {message}")]
    Parse { file: &'static str, message: String },
    /// Data files that are not valid TOML or not of the expected shape, each with its line.
    #[error("the knowledge base has {} unreadable file(s):\n{}", .0.len(), validate::render(.0))]
    Unreadable(Vec<Problem>),
    /// The data parsed but is inconsistent (dangling ids, bad probabilities, missing sources).
    #[error("the knowledge base has {} problem(s):\n{}", .0.len(), validate::render(.0))]
    Invalid(Vec<Problem>),
}

impl KbError {
    /// Every problem, one each, as the build names them when it stops on broken data.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            KbError::Parse { file, message } => vec![Problem {
                file,
                entry: String::new(),
                message: message.clone(),
            }],
            KbError::Unreadable(problems) | KbError::Invalid(problems) => problems.clone(),
        }
    }
}

/// A citation that entries refer to by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
}

/// Engine-wide numbers that belong to no single entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Minutes of the person's time that losing the phone's data is worth (no backup).
    pub data_loss_minutes: f64,
    /// Share of hardware repairs that give the phone back with its data (a repair shop fixes a
    /// software fault by restoring, which always erases).
    pub repair_keeps_data: f64,
    /// How many cases the kb's own priors count as when resolved cases update them.
    pub kb_pseudo_cases: f64,
    /// How many cases the kb's belief for one code and model counts as when a shop's own
    /// finished cases of that code and model update it.
    pub local_pseudo_cases: f64,
    /// What an erasing step costs a person without a backup, in plain words.
    pub erase_warning: String,
    /// Said after the erase warning while Update has not been tried.
    pub update_first: String,
    pub sources: Vec<String>,
}

/// The whole knowledge base, with indexes for lookups by id. The tables few commands read
/// are [`Lazy`]: read from the compiled form when first used.
#[derive(Debug, Serialize, Deserialize)]
pub struct Kb {
    pub sources: Lazy<Vec<Source>>,
    pub categories: Vec<Category>,
    pub codes: Vec<CodeEntry>,
    pub ranges: Vec<CodeRange>,
    pub causes: Vec<Cause>,
    pub actions: Vec<Action>,
    pub questions: Vec<Question>,
    pub groups: Vec<Group>,
    pub devices: Lazy<Vec<Device>>,
    /// The regulatory model numbers (A1778…) printed on the back or in the SIM tray.
    pub model_numbers: Lazy<Vec<ModelNumberTable>>,
    /// Normal-mode USB product ids that name one model (0x1294: iPhone 3GS).
    pub usb_products: Lazy<Vec<UsbProductTable>>,
    pub device_sources: Lazy<Vec<String>>,
    pub dfu_families: Lazy<Vec<DfuFamily>>,
    pub dfu_signs: Lazy<DfuSigns>,
    pub notes: Vec<Note>,
    pub settings: Settings,
    /// What real outcomes mean, and how a case's text is read (outcomes.toml).
    pub resolutions: Vec<Resolution>,
    pub phrases: Lazy<Vec<Phrase>>,
    /// Apple's restore and update dialog in every language it ships (dialogs.toml).
    pub dialog_languages: Lazy<Vec<DialogLanguage>>,
    /// The real cases the engine is calibrated and checked on (real-cases.jsonl).
    pub real_cases: Lazy<Vec<RealCase>>,
    /// What the restore tools print and what it means (tool-messages.toml): checked when the
    /// program is built, read on first use, as only log reading needs it.
    tool_messages: Lazy<ToolMessages>,
    /// Each code number's entry, made when the kb is loaded.
    #[serde(skip)]
    code_index: HashMap<i64, usize>,
    /// Each question's place by its id, made when the kb is loaded: an assessment looks
    /// questions up thousands of times.
    #[serde(skip)]
    question_index: HashMap<String, usize>,
    /// Each device's names as lookups compare them, made on first use.
    #[serde(skip)]
    device_names: OnceLock<Vec<devices::DeviceNames>>,
    /// One stand-in per model with several rows (see [`Kb::find_device`]), made on first use.
    #[serde(skip)]
    stand_ins: OnceLock<Vec<Device>>,
}

impl Kb {
    /// The knowledge base compiled into this binary: parsed and validated when the binary was
    /// built (`build.rs`), read from its compact form on first use.
    #[cfg(kb_image)]
    pub fn embedded() -> Result<&'static Kb, &'static KbError> {
        static KB: OnceLock<Result<Kb, KbError>> = OnceLock::new();
        KB.get_or_init(|| Kb::from_image(include_bytes!(concat!(env!("OUT_DIR"), "/kb.postcard"))))
            .as_ref()
    }

    /// The knowledge base as the build script sees it, before any compact form exists: the
    /// TOML parsed and validated on first use.
    #[cfg(not(kb_image))]
    pub fn embedded() -> Result<&'static Kb, &'static KbError> {
        static KB: OnceLock<Result<Kb, KbError>> = OnceLock::new();
        KB.get_or_init(|| Kb::load(&KbFiles::embedded())).as_ref()
    }

    /// Reads a knowledge base from the compact form [`Kb::to_image`] wrote.
    pub fn from_image(bytes: &[u8]) -> Result<Kb, KbError> {
        let mut kb: Kb = postcard::from_bytes(bytes).map_err(|e| KbError::Parse {
            file: "the compiled knowledge base",
            message: e.to_string(),
        })?;
        kb.index();
        Ok(kb)
    }

    /// The compact form of this knowledge base (postcard), as `build.rs` embeds it.
    pub fn to_image(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("a knowledge base always serialises")
    }

    /// Parses and validates a set of data files (the `source` feature; the build does it).
    #[cfg(any(feature = "source", not(kb_image)))]
    pub fn load(files: &KbFiles) -> Result<Kb, KbError> {
        let kb = files.parse()?;
        let mut problems = validate::check(&kb);
        problems.extend(validate::tool_messages(&kb, &kb.tool_messages));
        if problems.is_empty() {
            Ok(kb)
        } else {
            Err(KbError::Invalid(problems))
        }
    }

    /// The tool message table, checked when the program was built and read on first use.
    pub fn tool_messages(&self) -> &ToolMessages {
        &self.tool_messages
    }

    /// Makes the lookup indexes (each code number's entry, the first entry naming it wins).
    pub(crate) fn index(&mut self) {
        self.code_index.clear();
        for (i, entry) in self.codes.iter().enumerate() {
            for number in entry.numbers() {
                self.code_index.entry(number).or_insert(i);
            }
        }
        self.question_index.clear();
        for (i, question) in self.questions.iter().enumerate() {
            self.question_index.entry(question.id.clone()).or_insert(i);
        }
    }

    pub(crate) fn code_position(&self, code: i64) -> Option<usize> {
        self.code_index.get(&code).copied()
    }

    pub fn cause(&self, id: &str) -> Option<&Cause> {
        self.causes.iter().find(|c| c.id == id)
    }

    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.question_index
            .get(id)
            .and_then(|&i| self.questions.get(i))
            .filter(|q| q.id == id)
    }

    /// The chance that an action fixes the problem when `cause` is the fault, given the answers
    /// so far. Whether it applies to this phone counts by how likely the answers that rule it
    /// out are under the cause while their question is open (taking out a hub fixes nothing
    /// where there is none; only a phone in recovery mode can be told to leave it). Higher
    /// rates under `fixes_if` count only once its answer is given: until then the question
    /// that earns them is worth asking first.
    pub fn p_fix_expected(&self, action: &Action, cause: &str, answers: &[Observation]) -> f64 {
        let chance = |condition: &Condition| {
            self.question(&condition.question)
                .map_or(0.0, |q| condition.chance(q, cause, answers))
        };
        let applies = action.only_if.as_ref().map_or(1.0, chance)
            * action.not_if.as_ref().map_or(1.0, |c| 1.0 - chance(c));
        let rate = if action.fixes_if.as_ref().is_some_and(|c| c.met_by(answers)) {
            action.p_fix_when_met(cause)
        } else {
            action.p_fix(cause)
        };
        applies * rate
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    pub fn dfu_family(&self, id: &str) -> Option<&DfuFamily> {
        self.dfu_families.iter().find(|f| f.id == id)
    }

    /// The escalation action ("take it to a repair shop"), which fixes every cause.
    pub fn escalation(&self) -> Option<&Action> {
        self.actions.iter().find(|a| a.escalation)
    }

    /// Every group a device belongs to: whether it has a modem (`cellular`, `wifi-only`, or
    /// `modem-unknown`), its kind, connector, biometric sensor, DFU family and the named groups
    /// that list its product type.
    pub fn groups_of<'a>(&'a self, device: &'a Device) -> Vec<&'a str> {
        let mut groups = vec![
            match device.has_modem() {
                Some(true) => "cellular",
                Some(false) => "wifi-only",
                None => "modem-unknown",
            },
            device.kind.id(),
            device.connector.id(),
            device.biometric.id(),
            device.dfu.as_str(),
        ];
        // A model's stand-in is in a named group when every one of its variants is.
        let in_group = |g: &Group| {
            if device.variants.is_empty() {
                g.product_types.contains(&device.product_type)
            } else {
                device.variants.iter().all(|v| g.product_types.contains(v))
            }
        };
        groups.extend(
            self.groups
                .iter()
                .filter(|g| in_group(g))
                .map(|g| g.id.as_str()),
        );
        groups
    }

    /// Notes that apply to this code on this device (all notes for the code when the device
    /// is unknown).
    pub fn notes_for(&self, code: i64, device: Option<&Device>) -> Vec<&Note> {
        let groups = device.map(|d| self.groups_of(d));
        self.notes
            .iter()
            .filter(|n| n.codes.contains(&code))
            .filter(|n| match &groups {
                Some(groups) => n.groups.iter().any(|g| groups.contains(&g.as_str())),
                None => true,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{in_sentence, percent};

    #[test]
    fn percent_never_rounds_small_values_to_zero() {
        assert_eq!(percent(0.004), "<1 %");
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(0.386), "39 %");
        assert_eq!(percent(1.0), "100 %");
    }

    #[test]
    fn names_read_naturally_inside_sentences() {
        assert_eq!(
            in_sentence("Use a different USB port"),
            "use a different USB port"
        );
        assert_eq!(
            in_sentence("USB hub, dock or adapter"),
            "USB hub, dock or adapter"
        );
        assert_eq!(in_sentence("Apple ID problems"), "Apple ID problems");
        assert_eq!(in_sentence("The iOS version"), "the iOS version");
        assert_eq!(in_sentence(""), "");
    }
}
