//! What the restore tools print, read from their own public sources at a named commit: each
//! message as a pattern with its phase, the component it names and whether it is a cause or a
//! consequence; the tools and what they are built on; the firmware components and what a
//! failed update of each implies; Apple's signing-server statuses and error domains.

use serde::{Deserialize, Serialize};

use crate::Phase;

/// The whole table (tool-messages.toml).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolMessages {
    /// Where messages were read from: a repository at a commit, or a public page.
    #[serde(rename = "source")]
    pub sources: Vec<MessageSource>,
    #[serde(rename = "tool")]
    pub tools: Vec<Tool>,
    #[serde(rename = "component")]
    pub components: Vec<Component>,
    #[serde(rename = "server_status")]
    pub server_statuses: Vec<ServerStatus>,
    #[serde(rename = "domain")]
    pub domains: Vec<ErrorDomain>,
    #[serde(rename = "function")]
    pub functions: Vec<FunctionMessages>,
}

/// A place messages were read from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageSource {
    pub id: String,
    /// `https://github.com/owner/name` or the page's address.
    pub url: String,
    /// The commit the source was read at (a repository), or none (a page).
    pub commit: Option<String>,
    /// The tool's version there, or what the source is, in words.
    pub version: String,
}

/// How a tool is related to the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToolKind {
    /// Apple's own software (Finder, iTunes, Apple Devices, the phone's restore daemon).
    Apple,
    /// A command-line restore tool.
    CommandLine,
    /// A program that runs a command-line tool and shows or saves its output.
    FrontEnd,
}

/// A program whose output a log can be.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// The `format` a log of it is reported as.
    pub id: String,
    pub name: String,
    pub kind: ToolKind,
    /// The tool whose restore code it runs (idevicerestore for futurerestore and its front
    /// ends); none for Apple's own software.
    pub built_on: Option<String>,
    /// Its answer to the `restore-tool` question, when one fits.
    pub answer: Option<String>,
    /// Its lines' look, when that alone names it (say, `HH:MM:SS.mmm <Error>`), in words.
    pub looks: Option<String>,
    pub sources: Vec<String>,
}

/// A part of the phone (or a step) a message can name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub id: String,
    /// What a person calls it ("the baseband (modem)").
    pub name: String,
    /// What its failure implies, in plain words.
    pub failed: String,
    /// Its answer to the `firmware-step-failed` question, when one fits.
    pub answer: Option<String>,
}

/// What Apple's signing server (TSS) means by a status it sends back (`STATUS=94`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerStatus {
    pub status: u32,
    pub meaning: String,
    /// The code Finder, iTunes or Apple Devices shows for it, where a log says so.
    pub code: Option<i64>,
    pub sources: Vec<String>,
}

/// An error domain in Apple's logs, and whether its numbers are the codes Apple's app shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDomain {
    pub id: String,
    pub meaning: String,
    /// Its numbers are the codes Finder, iTunes and Apple Devices show.
    pub shown_by_apple: bool,
    #[serde(default, rename = "number")]
    pub numbers: Vec<DomainNumber>,
    pub sources: Vec<String>,
}

/// One number of a domain and what it was seen to mean.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainNumber {
    pub number: i64,
    pub meaning: String,
    pub sources: Vec<String>,
}

/// A phase as the table gives it: one of the restore's phases, the phase of the step in
/// progress (a message printed in several phases), or none (the tool's own set-up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessagePhase {
    Extract,
    Personalize,
    RecoveryBoot,
    RestoreOs,
    Firmware,
    Finalize,
    Current,
    None,
}

impl MessagePhase {
    /// The restore phase, when the message names one.
    pub fn phase(self) -> Option<Phase> {
        Some(match self {
            MessagePhase::Extract => Phase::Extract,
            MessagePhase::Personalize => Phase::Personalize,
            MessagePhase::RecoveryBoot => Phase::RecoveryBoot,
            MessagePhase::RestoreOs => Phase::RestoreOs,
            MessagePhase::Firmware => Phase::Firmware,
            MessagePhase::Finalize => Phase::Finalize,
            MessagePhase::Current | MessagePhase::None => return None,
        })
    }
}

/// How loud the tool printed a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Error,
    /// futurerestore's thrown errors (`reterror`, `retassure`), printed after `what=`.
    Exception,
    Warning,
    Info,
    Debug,
}

/// What a message says about the restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The tool found the phone and starts (again): what came before was another attempt.
    Start,
    /// The tool's run is over: what follows (its advice, a person's words) is not the
    /// restore's.
    End,
    /// A failure that names what went wrong.
    Cause,
    /// A failure that only reports an earlier one ("Unable to restore device").
    Consequence,
    /// A step of the restore starting or done.
    Step,
    /// Detail printed along the way.
    Detail,
    Warning,
    /// The command line was wrong: the restore never started.
    Usage,
    /// The computer itself failed (memory, files): says nothing about the phone.
    Host,
}

impl Role {
    /// Whether the message reports the restore failing.
    pub fn is_failure(self) -> bool {
        matches!(self, Role::Cause | Role::Consequence)
    }
}

/// The messages one function of a tool prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionMessages {
    pub tool: String,
    /// The sources (ids) the messages were read from.
    pub read_from: Vec<String>,
    pub file: String,
    pub name: String,
    /// The phase of the function's role; messages may say otherwise.
    pub phase: Option<MessagePhase>,
    pub component: Option<String>,
    pub messages: Vec<Message>,
}

/// A message as printed, with its placeholders: `{n}` a number, `{x}` a hex number, `{f}` a
/// fraction, `{s}` any text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub level: Level,
    pub text: String,
    pub role: Option<Role>,
    pub phase: Option<MessagePhase>,
    /// The component, or `none` where the function's does not apply.
    pub component: Option<String>,
    /// What it means, in plain words, where the words alone do not say.
    pub meaning: Option<String>,
}

/// One message with everything its function gives it.
#[derive(Debug, Clone, Copy)]
pub struct ToolMessage<'a> {
    pub tool: &'a str,
    pub file: &'a str,
    pub function: &'a str,
    pub level: Level,
    pub text: &'a str,
    pub role: Role,
    pub phase: MessagePhase,
    pub component: Option<&'a str>,
    pub meaning: Option<&'a str>,
}

impl ToolMessages {
    /// Every message, resolved against its function.
    pub fn messages(&self) -> impl Iterator<Item = ToolMessage<'_>> + '_ {
        self.functions.iter().flat_map(|f| {
            f.messages.iter().map(move |m| ToolMessage {
                tool: &f.tool,
                file: &f.file,
                function: &f.name,
                level: m.level,
                text: &m.text,
                role: m.role.unwrap_or(match m.level {
                    Level::Error | Level::Exception => Role::Cause,
                    Level::Warning => Role::Warning,
                    Level::Info => Role::Step,
                    Level::Debug => Role::Detail,
                }),
                phase: m.phase.or(f.phase).unwrap_or(MessagePhase::None),
                component: match m.component.as_deref() {
                    Some("none") => None,
                    Some(c) => Some(c),
                    None => f.component.as_deref(),
                },
                meaning: m.meaning.as_deref(),
            })
        })
    }

    pub fn tool(&self, id: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.id == id)
    }

    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }

    pub fn server_status(&self, status: u32) -> Option<&ServerStatus> {
        self.server_statuses.iter().find(|s| s.status == status)
    }

    pub fn domain(&self, id: &str) -> Option<&ErrorDomain> {
        self.domains.iter().find(|d| d.id == id)
    }
}
