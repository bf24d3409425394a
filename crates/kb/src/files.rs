//! The knowledge base's data files as text, and their parsing into typed values.
//! Tests swap one file's text to feed the validator broken data.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::outcomes::{Phrase, Resolution, parse_cases};
use crate::{
    Action, Category, Cause, CodeEntry, CodeRange, Device, DfuFamily, DfuSigns, Group, Kb, KbError,
    Note, Question, Settings, Source, ToolMessages,
};

/// The text of every data file. [`KbFiles::embedded`] gives the ones compiled into the binary.
#[derive(Debug, Clone)]
pub struct KbFiles {
    pub sources: String,
    pub categories: String,
    pub codes: String,
    pub causes: String,
    pub actions: String,
    pub questions: String,
    pub groups: String,
    pub devices: String,
    pub dfu: String,
    pub notes: String,
    pub settings: String,
    pub outcomes: String,
    /// Apple's restore dialog in every language (dialogs.toml).
    pub dialogs: String,
    /// Real cases, one JSON object a line (the engine's calibration set).
    pub real_cases: String,
    /// What the restore tools print and what it means.
    pub tool_messages: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    source: Vec<Source>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    category: Vec<Category>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodesFile {
    code: Vec<CodeEntry>,
    #[serde(default)]
    range: Vec<CodeRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CausesFile {
    cause: Vec<Cause>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionsFile {
    action: Vec<Action>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionsFile {
    question: Vec<Question>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupsFile {
    group: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevicesFile {
    sources: Vec<String>,
    device: Vec<Device>,
    #[serde(default)]
    model_number: Vec<crate::devices::ModelNumbers>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DfuFile {
    family: Vec<DfuFamily>,
    signs: DfuSigns,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomesFile {
    resolution: Vec<Resolution>,
    phrase: Vec<Phrase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DialogsFile {
    language: Vec<crate::DialogLanguage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotesFile {
    note: Vec<Note>,
}

fn parse<T: DeserializeOwned>(file: &'static str, text: &str) -> Result<T, KbError> {
    toml::from_str(text).map_err(|e| KbError::Parse {
        file,
        message: e.to_string(),
    })
}

impl KbFiles {
    /// The data files compiled into this binary.
    pub fn embedded() -> KbFiles {
        KbFiles {
            sources: include_str!("../data/sources.toml").to_owned(),
            categories: include_str!("../data/categories.toml").to_owned(),
            codes: include_str!("../data/codes.toml").to_owned(),
            causes: include_str!("../data/causes.toml").to_owned(),
            actions: include_str!("../data/actions.toml").to_owned(),
            questions: include_str!("../data/questions.toml").to_owned(),
            groups: include_str!("../data/groups.toml").to_owned(),
            devices: include_str!("../data/devices.toml").to_owned(),
            dfu: include_str!("../data/dfu.toml").to_owned(),
            notes: include_str!("../data/notes.toml").to_owned(),
            settings: include_str!("../data/settings.toml").to_owned(),
            outcomes: include_str!("../data/outcomes.toml").to_owned(),
            dialogs: include_str!("../data/dialogs.toml").to_owned(),
            real_cases: include_str!("../data/real-cases.jsonl").to_owned(),
            tool_messages: include_str!("../data/tool-messages.toml").to_owned(),
        }
    }

    pub(crate) fn parse(&self) -> Result<Kb, KbError> {
        let sources: SourcesFile = parse("sources.toml", &self.sources)?;
        let categories: CategoriesFile = parse("categories.toml", &self.categories)?;
        let codes: CodesFile = parse("codes.toml", &self.codes)?;
        let causes: CausesFile = parse("causes.toml", &self.causes)?;
        let actions: ActionsFile = parse("actions.toml", &self.actions)?;
        let questions: QuestionsFile = parse("questions.toml", &self.questions)?;
        let groups: GroupsFile = parse("groups.toml", &self.groups)?;
        let devices: DevicesFile = parse("devices.toml", &self.devices)?;
        let dfu: DfuFile = parse("dfu.toml", &self.dfu)?;
        let notes: NotesFile = parse("notes.toml", &self.notes)?;
        let settings: Settings = parse("settings.toml", &self.settings)?;
        let outcomes: OutcomesFile = parse("outcomes.toml", &self.outcomes)?;
        let dialogs: DialogsFile = parse("dialogs.toml", &self.dialogs)?;
        let real_cases = parse_cases(&self.real_cases).map_err(|e| KbError::Parse {
            file: "real-cases.jsonl",
            message: e.to_string(),
        })?;

        let mut code_index = HashMap::new();
        for (i, entry) in codes.code.iter().enumerate() {
            for number in entry.numbers() {
                code_index.entry(number).or_insert(i);
            }
        }
        Ok(Kb {
            sources: sources.source,
            categories: categories.category,
            codes: codes.code,
            ranges: codes.range,
            causes: causes.cause,
            actions: actions.action,
            questions: questions.question,
            groups: groups.group,
            devices: devices.device,
            model_numbers: devices.model_number,
            device_sources: devices.sources,
            dfu_families: dfu.family,
            dfu_signs: dfu.signs,
            notes: notes.note,
            settings,
            resolutions: outcomes.resolution,
            phrases: outcomes.phrase,
            dialog_languages: dialogs.language,
            real_cases,
            tool_messages_text: self.tool_messages.clone(),
            tool_messages: std::sync::OnceLock::new(),
            code_index,
            device_names: std::sync::OnceLock::new(),
        })
    }
}

/// Parses the tool message table (tool-messages.toml) and checks it against `kb`.
pub(crate) fn parse_tool_messages(kb: &Kb, text: &str) -> Result<ToolMessages, KbError> {
    let table: ToolMessages = parse("tool-messages.toml", text)?;
    let problems = crate::validate::tool_messages(kb, &table);
    if problems.is_empty() {
        Ok(table)
    } else {
        Err(KbError::Invalid(problems))
    }
}

impl Kb {
    pub(crate) fn code_position(&self, code: i64) -> Option<usize> {
        self.code_index.get(&code).copied()
    }
}
