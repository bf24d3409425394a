//! The knowledge base's data files as text, and their parsing into typed values.
//! Tests swap one file's text to feed the validator broken data.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::outcomes::{Phrase, Resolution, parse_cases};
use crate::{
    Action, Category, Cause, CodeEntry, CodeRange, Device, DfuFamily, DfuSigns, Group, Kb, KbError,
    Lazy, Note, Problem, Question, Settings, Source, ToolMessages,
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
    model_numbers: Vec<super::devices::ModelNumberTable>,
    #[serde(default)]
    usb_product: Vec<super::devices::UsbProductTable>,
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

/// Reads one data file; what is wrong with it goes to `problems`, with its line and column.
fn parse<T: DeserializeOwned>(
    file: &'static str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match toml::from_str(text) {
        Ok(value) => Some(value),
        Err(e) => {
            problems.push(Problem {
                file,
                entry: e
                    .span()
                    .map_or_else(String::new, |span| position(text, span.start)),
                message: one_line(e.message()),
            });
            None
        }
    }
}

/// "line 12, column 3" for a byte offset into `text`.
fn position(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("line {line}, column {column}")
}

/// A message on one line, as a build error or a list of problems shows it.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
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

    /// Parses every file, naming every file that cannot be read (not only the first).
    pub(crate) fn parse(&self) -> Result<Kb, KbError> {
        let bad = &mut Vec::new();
        let sources: Option<SourcesFile> = parse("sources.toml", &self.sources, bad);
        let categories: Option<CategoriesFile> = parse("categories.toml", &self.categories, bad);
        let codes: Option<CodesFile> = parse("codes.toml", &self.codes, bad);
        let causes: Option<CausesFile> = parse("causes.toml", &self.causes, bad);
        let actions: Option<ActionsFile> = parse("actions.toml", &self.actions, bad);
        let questions: Option<QuestionsFile> = parse("questions.toml", &self.questions, bad);
        let groups: Option<GroupsFile> = parse("groups.toml", &self.groups, bad);
        let devices: Option<DevicesFile> = parse("devices.toml", &self.devices, bad);
        let dfu: Option<DfuFile> = parse("dfu.toml", &self.dfu, bad);
        let notes: Option<NotesFile> = parse("notes.toml", &self.notes, bad);
        let settings: Option<Settings> = parse("settings.toml", &self.settings, bad);
        let outcomes: Option<OutcomesFile> = parse("outcomes.toml", &self.outcomes, bad);
        let dialogs: Option<DialogsFile> = parse("dialogs.toml", &self.dialogs, bad);
        let tool_messages: Option<ToolMessages> =
            parse("tool-messages.toml", &self.tool_messages, bad);
        let real_cases = parse_cases(&self.real_cases)
            .map_err(|e| {
                bad.push(Problem {
                    file: "real-cases.jsonl",
                    entry: format!("line {}", e.line),
                    message: one_line(&e.message),
                });
            })
            .ok();
        let (
            Some(sources),
            Some(categories),
            Some(codes),
            Some(causes),
            Some(actions),
            Some(questions),
            Some(groups),
            Some(devices),
            Some(dfu),
            Some(notes),
            Some(settings),
            Some(outcomes),
            Some(dialogs),
            Some(real_cases),
            Some(tool_messages),
        ) = (
            sources,
            categories,
            codes,
            causes,
            actions,
            questions,
            groups,
            devices,
            dfu,
            notes,
            settings,
            outcomes,
            dialogs,
            real_cases,
            tool_messages,
        )
        else {
            return Err(KbError::Unreadable(std::mem::take(bad)));
        };

        let mut kb = Kb {
            sources: Lazy::ready(sources.source),
            categories: categories.category,
            codes: codes.code,
            ranges: codes.range,
            causes: causes.cause,
            actions: actions.action,
            questions: questions.question,
            groups: groups.group,
            devices: Lazy::ready(devices.device),
            model_numbers: Lazy::ready(devices.model_numbers),
            usb_products: Lazy::ready(devices.usb_product),
            device_sources: Lazy::ready(devices.sources),
            dfu_families: Lazy::ready(dfu.family),
            dfu_signs: Lazy::ready(dfu.signs),
            notes: notes.note,
            settings,
            resolutions: outcomes.resolution,
            phrases: Lazy::ready(outcomes.phrase),
            dialog_languages: Lazy::ready(dialogs.language),
            real_cases: Lazy::ready(real_cases),
            tool_messages: Lazy::ready(tool_messages),
            code_index: HashMap::new(),
            question_index: HashMap::new(),
            device_names: std::sync::OnceLock::new(),
            stand_ins: std::sync::OnceLock::new(),
        };
        kb.index();
        Ok(kb)
    }
}
