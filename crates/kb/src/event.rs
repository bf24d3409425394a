//! What happens while a phone is restored, as one typed event: the `restore --json` line, the
//! dashboard's news of a restore, and its verdict, each serialised to its documented shape.

use serde::{Deserialize, Serialize};

use crate::vocab::{Phase, RestoreStep};

/// An event at `t` seconds from the start of the run (or of the dashboard).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped<E> {
    pub t: f64,
    #[serde(flatten)]
    pub event: E,
}

/// Something a supervised restore showed, as it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RestoreEvent {
    /// The phone was identified (`iPhone9,3`).
    Device {
        product_type: String,
    },
    /// The restore moved into a phase.
    Phase {
        phase: Phase,
        words: String,
    },
    Progress {
        step: RestoreStep,
        fraction: f64,
    },
    /// A line of the tool's reporting a failure.
    Error {
        line: String,
    },
    /// The tool saw the phone leave USB where it must stay (`source` is `tool`).
    Drop {
        phase: Phase,
        source: String,
    },
    /// The phone left USB between stages, as it does when it restarts into the next one.
    Disconnect {
        phase: Option<Phase>,
    },
    /// The phone came back in a mode.
    Reconnect {
        mode: String,
    },
    /// Something the tool's output implies, in words.
    Finding {
        text: String,
    },
    /// A line of the tool's own output (the dashboard's log tail; not a `--json` line).
    Line {
        line: String,
    },
    /// How a run ended.
    Verdict(Box<RestoreVerdict>),
}

impl RestoreEvent {
    /// The phase event for `phase`, with its words.
    pub fn phase(phase: Phase) -> RestoreEvent {
        RestoreEvent::Phase {
            phase,
            words: phase.words().to_owned(),
        }
    }
}

/// How one run of the tool ended and, when it failed, what to do next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreVerdict {
    /// The run's number for this phone, from 1.
    pub attempt: u32,
    pub restored: bool,
    /// The phase it failed in; `null` for a restored phone or an unknown phase.
    pub phase: Option<Phase>,
    pub code: Option<i64>,
    /// The tool's exit status; `null` when it was ended by a signal.
    pub tool_status: Option<i32>,
    pub link_dropped: bool,
    /// The product type the tool reported.
    pub device: Option<String>,
    pub next_step: Option<NamedStep>,
    /// The case the run is kept in.
    pub case: Option<String>,
    /// The three likeliest causes of a failure.
    pub causes: Option<Vec<CauseShare>>,
    /// The signal that stopped the run; only a stopped run says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Whether a bench put the phone back in its queue; only a bench says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_again: Option<bool>,
    /// Why the tool could not be run at all; only such a run says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RestoreVerdict {
    /// The verdict of a run whose tool could not be started, and why.
    pub fn not_run(error: String) -> RestoreVerdict {
        RestoreVerdict {
            attempt: 1,
            restored: false,
            phase: None,
            code: None,
            tool_status: None,
            link_dropped: false,
            device: None,
            next_step: None,
            case: None,
            causes: None,
            stopped: None,
            queued_again: None,
            error: Some(error),
        }
    }
}

/// A plan's step by id and name, with why when there is room for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedStep {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A cause with its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseShare {
    pub id: String,
    pub probability: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_back_as_it_was_written() {
        let events = [
            RestoreEvent::phase(Phase::RestoreOs),
            RestoreEvent::Progress {
                step: RestoreStep::UploadFilesystem,
                fraction: 0.5,
            },
            RestoreEvent::Disconnect { phase: None },
            RestoreEvent::Verdict(Box::new(RestoreVerdict {
                attempt: 1,
                restored: false,
                phase: Some(Phase::RestoreOs),
                code: Some(4013),
                tool_status: Some(255),
                link_dropped: true,
                device: None,
                next_step: None,
                case: None,
                causes: Some(vec![CauseShare {
                    id: "cable-or-port".to_owned(),
                    probability: 0.5,
                }]),
                stopped: None,
                queued_again: Some(true),
                error: None,
            })),
        ];
        for event in events {
            let stamped = Stamped { t: 1.5, event };
            let text = serde_json::to_string(&stamped).unwrap();
            let back: Stamped<RestoreEvent> = serde_json::from_str(&text).unwrap();
            assert_eq!(back, stamped, "{text}");
        }
    }

    #[test]
    fn kinds_and_words_are_the_documented_ones() {
        let value = serde_json::to_value(Stamped {
            t: 2.0,
            event: RestoreEvent::Progress {
                step: RestoreStep::VerifyFilesystem,
                fraction: 1.0,
            },
        })
        .unwrap();
        assert_eq!(value["kind"], "progress");
        assert_eq!(value["step"], "verify-filesystem");
        assert_eq!(value["t"], 2.0);
        let value = serde_json::to_value(RestoreEvent::phase(Phase::RecoveryBoot)).unwrap();
        assert_eq!(value["phase"], "recovery-boot");
        assert_eq!(value["words"], Phase::RecoveryBoot.words());
    }
}
