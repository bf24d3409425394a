//! What a person sees of a bench restore: lines tagged with each phone's port (and a progress
//! bar per running phone on a terminal), or JSON lines that carry the phone, and the summary.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Instant;

use kb::{Kb, NamedStep, Phase, RestoreEvent, Stamped};
use serde::Serialize;
use supervise::{Ending, Tool};
use watch::Finding;

use crate::cli::RestoreArgs;
use crate::ops::bench_restore::{BenchView, Phone};
use crate::ops::restore::{action_name, is_alert, verdict};
use crate::output::{self, DIM, GOOD, STRONG, WARN, paint};
use crate::views::restore_screen::{
    LinkLine, clock, duration, failed_words, in_words, json_line, progress_bar, stopped_words,
};

/// A phone as a bench's JSON lines name it.
#[derive(Serialize)]
struct PhoneId {
    number: usize,
    port: Option<String>,
    /// Masked: the bench's lines are shared.
    ecid: String,
}

/// A line of the bench about one phone: the line's own fields and the phone.
#[derive(Serialize)]
struct OnPhone<T> {
    #[serde(flatten)]
    line: T,
    phone: PhoneId,
}

/// A phone as the first and last lines list it.
#[derive(Serialize)]
struct PhoneRow<'a> {
    #[serde(flatten)]
    id: PhoneId,
    model: Option<String>,
    #[serde(flatten)]
    detail: RowDetail<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RowDetail<'a> {
    /// Before the runs: the mode USB showed.
    Seen { mode: Option<&'static str> },
    /// After them: how the phone ended.
    Ended {
        restored: bool,
        attempts: u32,
        phase: Option<Phase>,
        code: Option<i64>,
        next_step: Option<NamedStep>,
        case: Option<&'a str>,
    },
}

/// The bench's first and last lines.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum BenchLine<'a> {
    Bench {
        jobs: u16,
        retries: u32,
        erase: bool,
        tool_version: &'a str,
        phones: Vec<PhoneRow<'a>>,
    },
    Start {
        attempt: u32,
    },
    Summary {
        restored: usize,
        failed: usize,
        phones: Vec<PhoneRow<'a>>,
    },
}

/// A bench as it runs: lines or JSON lines, a progress bar per running phone on a terminal.
pub struct BenchScreen {
    json: bool,
    start: Instant,
    bars: Option<indicatif::MultiProgress>,
    /// The running phones' bars, by phone number.
    bar: BTreeMap<usize, indicatif::ProgressBar>,
}

/// How a phone is called on screen: its port, else its masked ECID.
fn label(phone: &Phone) -> String {
    phone
        .port()
        .map_or_else(|| format!("ECID {}", masked_ecid(phone)), str::to_owned)
}

fn masked_ecid(phone: &Phone) -> String {
    kb::text::ecid(phone.ecid, false)
}

fn id(phone: &Phone) -> PhoneId {
    PhoneId {
        number: phone.number,
        port: phone.port().map(str::to_owned),
        ecid: masked_ecid(phone),
    }
}

impl BenchScreen {
    pub fn new(json: bool) -> BenchScreen {
        BenchScreen {
            json,
            start: Instant::now(),
            bars: (!json && std::io::stderr().is_terminal()).then(indicatif::MultiProgress::new),
            bar: BTreeMap::new(),
        }
    }

    fn t(&self) -> f64 {
        (self.start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    /// A JSON line about `phone`.
    fn emit<T: Serialize>(&self, phone: &Phone, line: T) -> std::io::Result<()> {
        json_line(&OnPhone {
            line,
            phone: id(phone),
        })
    }

    /// A line about `phone` (or the bench), above the progress bars when there are any.
    fn say(&self, phone: Option<&Phone>, text: &str) -> std::io::Result<()> {
        let tag = phone
            .map(|p| format!("[{}] ", label(p)))
            .unwrap_or_default();
        let line = kb::text::redact_identifiers(&format!("{}  {tag}{text}", clock(self.start)));
        match &self.bars {
            Some(bars) => bars.println(output::fit(&line)),
            None => output::line(output::fit(&line)),
        }
    }

    /// The bench before the runs: the phones, the tool and what the runs do.
    pub fn introduce(
        &self,
        tool: &Tool,
        phones: &[Phone],
        args: &RestoreArgs,
        erase: bool,
        left_alone: usize,
    ) -> std::io::Result<()> {
        if self.json {
            let phones = phones
                .iter()
                .map(|p| PhoneRow {
                    id: id(p),
                    model: p.model(),
                    detail: RowDetail::Seen {
                        mode: p.seen.as_ref().map(|d| d.mode.id()),
                    },
                })
                .collect();
            return json_line(&Stamped {
                t: self.t(),
                event: BenchLine::Bench {
                    jobs: args.jobs,
                    retries: args.retry,
                    erase,
                    tool_version: &tool.version,
                    phones,
                },
            });
        }
        let what = if erase {
            "full restores that ERASE each phone"
        } else {
            "updates, which keep each phone's data"
        };
        output::line(
            output::wrap(
                &format!(
                    "Restoring {} phones with idevicerestore {}, at most {} at a time: {what}.",
                    phones.len(),
                    tool.version,
                    args.jobs
                ),
                "",
            )
            .trim_end(),
        )?;
        let models: Vec<String> = phones
            .iter()
            .map(|p| p.model().unwrap_or_else(|| "model ?".to_owned()))
            .collect();
        let model_width = models.iter().map(|m| m.chars().count()).max().unwrap_or(0);
        let port_width = phones
            .iter()
            .map(|p| label(p).chars().count())
            .max()
            .unwrap_or(0);
        for (phone, model) in phones.iter().zip(&models) {
            let mode = phone
                .seen
                .as_ref()
                .map_or("not seen on USB".to_owned(), |d| {
                    format!("{} mode", d.mode.id())
                });
            output::line(output::fit(&format!(
                "  {:>2}. {:<port_width$}  {model:<model_width$}  ECID {}  {mode}",
                phone.number,
                label(phone),
                masked_ecid(phone)
            )))?;
        }
        if left_alone > 0 {
            let phones = if left_alone == 1 {
                "1 other phone on USB is"
            } else {
                &format!("{left_alone} other phones on USB are")
            };
            output::line(paint(
                DIM,
                &format!("{phones} not in DFU or recovery mode and left alone."),
            ))?;
        }
        Ok(())
    }

    /// One line per phone: how it ended, the next step for the failed ones, and the case.
    pub fn summary(&self, kb: &Kb, phones: &[Phone]) -> std::io::Result<()> {
        let restored = phones.iter().filter(|p| p.restored()).count();
        if self.json {
            let rows = phones
                .iter()
                .map(|p| {
                    let ending = p.last.as_ref().map(|(e, _)| e);
                    PhoneRow {
                        id: id(p),
                        model: p.model(),
                        detail: RowDetail::Ended {
                            restored: p.restored(),
                            attempts: p.attempts,
                            phase: ending.filter(|e| !e.succeeded()).and_then(Ending::phase),
                            code: ending.and_then(Ending::code),
                            next_step: p.next_step().map(|s| NamedStep {
                                id: s.id.clone(),
                                name: action_name(kb, &s.id),
                                why: None,
                            }),
                            case: p.case_id(),
                        },
                    }
                })
                .collect();
            return json_line(&Stamped {
                t: self.t(),
                event: BenchLine::Summary {
                    restored,
                    failed: phones.len() - restored,
                    phones: rows,
                },
            });
        }
        output::line("")?;
        let headline = format!("{restored} of {} phones restored.", phones.len());
        output::line(paint(
            if restored == phones.len() { GOOD } else { WARN },
            &headline,
        ))?;
        let port_width = phones
            .iter()
            .map(|p| label(p).chars().count())
            .max()
            .unwrap_or(0);
        let model_width = phones
            .iter()
            .map(|p| p.model().map_or(1, |m| m.chars().count()))
            .max()
            .unwrap_or(0);
        for phone in phones {
            let result = match &phone.last {
                Some((e, _)) if e.succeeded() => "restored".to_owned(),
                Some((e, _)) if e.stopped.is_some() => "stopped".to_owned(),
                Some((e, _)) => format!(
                    "failed{}{}",
                    e.phase()
                        .map(|p| format!(" in {}", p.id()))
                        .unwrap_or_default(),
                    e.code().map(|c| format!(", error {c}")).unwrap_or_default()
                ),
                None => "not run".to_owned(),
            };
            let tries = if phone.attempts > 1 {
                format!(" after {} attempts", phone.attempts)
            } else {
                String::new()
            };
            let next = phone
                .next_step()
                .map(|s| format!(" — next: {}", action_name(kb, &s.id)))
                .unwrap_or_default();
            let case = phone
                .case_id()
                .map(|id| paint(DIM, &format!("  (case {id})")))
                .unwrap_or_default();
            output::line(output::fit(&format!(
                "  {:<port_width$}  {:<model_width$}  {result}{tries}{next}{case}",
                label(phone),
                phone.model().unwrap_or_else(|| "?".to_owned()),
            )))?;
        }
        Ok(())
    }
}

impl BenchView for BenchScreen {
    fn started(&mut self, phone: &Phone) -> std::io::Result<()> {
        if self.json {
            let line = Stamped {
                t: self.t(),
                event: BenchLine::Start {
                    attempt: phone.attempts,
                },
            };
            return self.emit(phone, line);
        }
        let attempt = if phone.attempts > 1 {
            format!(" (attempt {})", phone.attempts)
        } else {
            String::new()
        };
        self.say(
            Some(phone),
            &paint(STRONG, &format!("idevicerestore started{attempt}")),
        )
    }

    fn event(&mut self, phone: &Phone, event: RestoreEvent) -> std::io::Result<()> {
        if let RestoreEvent::Progress { step, fraction } = &event
            && !self.json
        {
            if let Some(bars) = &self.bars {
                let bar = self.bar.entry(phone.number).or_insert_with(|| {
                    let bar = bars.add(progress_bar("{prefix:>10} {msg:>22}"));
                    bar.set_prefix(label(phone));
                    bar
                });
                bar.set_message(step.words());
                bar.set_position((fraction * 1000.0) as u64);
            }
            return Ok(());
        }
        if self.json {
            if matches!(event, RestoreEvent::Line { .. }) {
                return Ok(());
            }
            let line = Stamped { t: self.t(), event };
            return self.emit(phone, line);
        }
        match in_words(&event) {
            Some(text) => self.say(Some(phone), &text),
            None => Ok(()),
        }
    }

    fn link(&mut self, phone: Option<&Phone>, finding: &Finding) -> std::io::Result<()> {
        if !is_alert(finding) {
            return Ok(());
        }
        if self.json {
            return match phone {
                Some(phone) => self.emit(phone, LinkLine::new(finding)),
                None => json_line(&LinkLine::new(finding)),
            };
        }
        let port = match (phone, finding.port.as_deref()) {
            (None, Some(port)) => format!(" on port {port}"),
            _ => String::new(),
        };
        self.say(
            phone,
            &paint(WARN, &format!("✗ USB{port}: {}", finding.message)),
        )
    }

    fn could_not_run(&mut self, phone: &Phone, error: &std::io::Error) -> std::io::Result<()> {
        let text = format!("idevicerestore could not be run: {error}");
        if self.json {
            let line = Stamped {
                t: self.t(),
                event: RestoreEvent::Error { line: text },
            };
            return self.emit(phone, line);
        }
        self.say(Some(phone), &paint(WARN, &format!("✗ {text}")))
    }

    fn ended(&mut self, kb: &Kb, phone: &Phone, again: bool) -> std::io::Result<()> {
        if let Some(bar) = self.bar.remove(&phone.number) {
            bar.finish_and_clear();
            if let Some(bars) = &self.bars {
                bars.remove(&bar);
            }
        }
        let Some((ending, failure)) = &phone.last else {
            return Ok(());
        };
        if self.json {
            let mut verdict = verdict(
                kb,
                phone.attempts,
                ending,
                failure.as_ref(),
                phone.case_id(),
            );
            verdict.queued_again = Some(again);
            let line = Stamped {
                t: self.t(),
                event: RestoreEvent::Verdict(Box::new(verdict)),
            };
            return self.emit(phone, line);
        }
        if ending.succeeded() {
            return self.say(
                Some(phone),
                &paint(GOOD, &format!("✓ restored in {}", duration(ending.seconds))),
            );
        }
        if let Some(signal) = ending.stopped {
            return self.say(
                Some(phone),
                &paint(WARN, &format!("■ {}", stopped_words(signal, ending))),
            );
        }
        let next = failure
            .as_ref()
            .and_then(|f| f.next.as_ref())
            .map(|step| format!(" Next: {}.", action_name(kb, &step.id)))
            .unwrap_or_default();
        let then = if again {
            " Queued again at the end."
        } else {
            ""
        };
        self.say(
            Some(phone),
            &paint(WARN, &format!("✗ {}{next}{then}", failed_words(ending))),
        )
    }
}
