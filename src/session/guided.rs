//! The guided session: one step at a time with its reasons; every answer, outcome and event
//! goes into the case ledger, the plan is redone after each, and it ends fixed, stopped or
//! with a verdict.

use std::io;
use std::path::PathBuf;

use case::{Ledger, Skipped, Subject, Verdict};
use engine::{Assessment, Step, StepKind};
use kb::{CaseStatus, EventKind, EvidenceSource, Kb, Observation, StepOutcome};
use usb::source::DeviceSource;

use crate::case_store::CaseKeeper;
use crate::ops::{Context, evidence};
use crate::output::{self, DIM, HEADING, paint};
use crate::session::exit_offer::{self, Offered};
use crate::session::intake::{self, Asked, ErrorAnswer};
use crate::session::prompter::{Choice, Prompter, Reworded};
use crate::session::{dfu_coach, render, retry_watch};

/// A safety stop: no real session needs more steps than the kb has actions and questions.
const MAX_STEPS: usize = 60;

/// How the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The named action fixed it.
    Fixed(String),
    /// Everything worth trying was tried: the phone needs a repair bench.
    NeedsRepair,
    /// The person stopped before the end.
    Stopped,
}

/// How a session ended and everything it learned.
#[derive(Debug)]
pub struct SessionEnd {
    pub ending: Ending,
    pub ledger: Ledger,
}

/// How a session starts.
pub struct Start<'a> {
    /// What is known already: the command line, a resumed case, a look at USB.
    pub ledger: Ledger,
    /// What a look at USB showed, said after the introduction.
    pub usb_note: Option<String>,
    /// A USB source to watch while the person retries, when there is one.
    pub usb: Option<&'a dyn DeviceSource>,
    /// Recent restore logs found where the OS keeps them, offered before the first question.
    pub recent_logs: Vec<PathBuf>,
    /// The case history that keeps the ledger as it grows, if any.
    pub keeper: Option<&'a mut CaseKeeper>,
    /// Ask for the model / the error code when nothing has told them yet.
    pub ask_device: bool,
    pub ask_code: bool,
    /// Ask what was already tried (one multi-select) when nothing has told it yet.
    pub ask_tried: bool,
}

impl Start<'_> {
    /// A start that asks for nothing, watches nothing and keeps nothing.
    #[cfg(test)]
    pub fn quiet(ledger: Ledger) -> Self {
        Start {
            ledger,
            usb_note: None,
            usb: None,
            recent_logs: Vec::new(),
            keeper: None,
            ask_device: false,
            ask_code: false,
            ask_tried: false,
        }
    }
}

/// Runs a guided session.
pub fn run(
    ctx: &Context,
    kb: &Kb,
    prompter: &mut dyn Prompter,
    start: Start<'_>,
) -> io::Result<SessionEnd> {
    let kind = start
        .ledger
        .product_type()
        .and_then(|p| kb.find_device(p).ok())
        .map(|d| d.kind);
    let mut reworded = Reworded::new(prompter, kind);
    let mut session = Session {
        ctx,
        kb,
        prompter: &mut reworded,
        ledger: start.ledger,
        usb: start.usb,
        keeper: start.keeper,
    };
    let (ending, last) = session.drive(
        start.usb_note.as_deref(),
        &start.recent_logs,
        Intake {
            device: start.ask_device,
            code: start.ask_code,
            tried: start.ask_tried,
        },
    )?;
    let status = match &ending {
        Ending::Fixed(_) => CaseStatus::Fixed,
        Ending::NeedsRepair => CaseStatus::NeedsRepair,
        Ending::Stopped => CaseStatus::Open,
    };
    let fixed_by = match &ending {
        Ending::Fixed(id) => Some(id.clone()),
        _ => None,
    };
    session.ledger.finish(
        status,
        fixed_by,
        last.as_ref().map(Verdict::from_assessment),
    );
    session.keep()?;
    Ok(SessionEnd {
        ending,
        ledger: session.ledger,
    })
}

/// What the session asks before the first step.
struct Intake {
    device: bool,
    code: bool,
    tried: bool,
}

/// What happened to an offered action.
enum Offer {
    Outcome(StepOutcome),
    Stop,
}

struct Session<'a, 'kb> {
    ctx: &'a Context,
    kb: &'kb Kb,
    prompter: &'a mut dyn Prompter,
    ledger: Ledger,
    usb: Option<&'a dyn DeviceSource>,
    keeper: Option<&'a mut CaseKeeper>,
}

impl Session<'_, '_> {
    /// Saves the ledger (the case is opened the first time it holds evidence, and announced).
    fn keep(&mut self) -> io::Result<()> {
        let opened = self
            .keeper
            .as_deref_mut()
            .and_then(|k| k.keep(&self.ledger));
        if let Some(id) = opened {
            self.prompter.say(&paint(
                DIM,
                &format!("Case {id} (restore-doctor report {id} writes its report)."),
            ))?;
        }
        Ok(())
    }

    /// Intake, then one step at a time until an ending. Returns it and the last assessment.
    fn drive(
        &mut self,
        usb_note: Option<&str>,
        recent_logs: &[PathBuf],
        intake: Intake,
    ) -> io::Result<(Ending, Option<Assessment>)> {
        let kb = self.kb;
        self.prompter
            .say(&paint(HEADING, "Restore Doctor · guided session"))?;
        self.prompter.say(
            output::wrap(
                "I will suggest the cheapest likely fix first, one step at a time, and re-plan after each one. Answer with the number or the word in front of an option; q stops at any prompt. Nothing here touches your phone: you do each step yourself.",
                "",
            )
            .trim_end(),
        )?;
        if let Some(note) = usb_note {
            self.prompter.say(&paint(DIM, note))?;
        }
        self.keep()?;
        if intake::read_recent_logs(kb, self.prompter, recent_logs, &mut self.ledger)?.is_none() {
            return Ok((Ending::Stopped, None));
        }
        self.keep()?;
        if intake.device && self.ledger.product_type().is_none() {
            match intake::ask_model(kb, self.prompter)? {
                Asked::Value(Some(device)) => {
                    self.prompter.device_is(Some(device.kind));
                    self.ledger.add(
                        Subject::Model,
                        device.product_type.clone(),
                        EvidenceSource::Person,
                    );
                }
                Asked::Value(None) => {}
                Asked::Stop => return Ok((Ending::Stopped, None)),
            }
        }
        if intake.code && self.ledger.code().is_none() {
            let prompt = "What error number did Finder, iTunes or Apple Devices show? Type it (4013) or paste the message; press Enter if there was none.";
            match intake::ask_error_code(kb, self.prompter, prompt)? {
                Asked::Value(ErrorAnswer::Code(code)) => {
                    self.ledger
                        .add(Subject::Code, code.to_string(), EvidenceSource::Person);
                }
                Asked::Value(ErrorAnswer::Message(report)) => {
                    evidence::log_report(&mut self.ledger, &report, "pasted message");
                }
                Asked::Value(ErrorAnswer::Nothing) => {}
                Asked::Stop => return Ok((Ending::Stopped, None)),
            }
        }
        self.keep()?;
        if let Some(code) = self.ledger.code() {
            self.prompter
                .say(output::wrap(&render::code_line(kb, code), "").trim_end())?;
        }
        if intake.tried
            && !self
                .ledger
                .steps()
                .iter()
                .any(|s| s.kind == StepKind::Action)
        {
            match intake::ask_tried(kb, self.prompter)? {
                Asked::Value(tried) => {
                    for id in tried {
                        self.ledger.step(id, StepKind::Action, StepOutcome::Failed);
                    }
                }
                Asked::Stop => return Ok((Ending::Stopped, None)),
            }
            let device = self
                .ledger
                .product_type()
                .and_then(|p| kb.find_device(p).ok());
            match intake::ask_symptoms(kb, self.prompter, device, &self.ledger)? {
                Asked::Value(signs) => {
                    for id in signs {
                        self.ledger.observe(
                            &kb::Observation::new(id.clone(), "yes"),
                            EvidenceSource::Person,
                        );
                        self.ledger
                            .step(id, StepKind::Question, StepOutcome::Answered);
                    }
                }
                Asked::Stop => return Ok((Ending::Stopped, None)),
            }
            self.keep()?;
        }
        let mut last = None;
        for _ in 0..MAX_STEPS {
            let kind = self
                .ledger
                .product_type()
                .and_then(|p| kb.find_device(p).ok())
                .map(|d| d.kind);
            self.prompter.device_is(kind);
            let Some((assessment, step)) = self.next_step()? else {
                return Ok((Ending::Stopped, last));
            };
            self.prompter.say("")?;
            self.prompter.say(&render::beliefs_line(kb, &assessment))?;
            match step.kind {
                StepKind::Question => {
                    if !self.ask(&step)? {
                        return Ok((Ending::Stopped, Some(assessment)));
                    }
                }
                StepKind::Action => {
                    if kb.action(&step.id).is_some_and(|a| a.escalation) {
                        let evidence = self.ledger.evidence(kb, Skipped::BroughtBack);
                        self.prompter.say(&render::verdict(
                            kb,
                            &assessment,
                            &evidence,
                            &self.ledger,
                        ))?;
                        return Ok((Ending::NeedsRepair, Some(assessment)));
                    }
                    let outcome = match self.offer(&step, &assessment)? {
                        Offer::Outcome(outcome) => outcome,
                        Offer::Stop => return Ok((Ending::Stopped, Some(assessment))),
                    };
                    self.ledger.step(step.id.clone(), StepKind::Action, outcome);
                    self.keep()?;
                    match outcome {
                        StepOutcome::Fixed => {
                            self.prompter
                                .say(&render::fixed_text(kb, &step.id, &self.ledger))?;
                            return Ok((Ending::Fixed(step.id.clone()), Some(assessment)));
                        }
                        // Only a step that ends in a restore or update can show a new number.
                        StepOutcome::Failed
                            if kb.action(&step.id).is_none_or(|a| a.worked.is_none())
                                && !self.ask_code_change()? =>
                        {
                            return Ok((Ending::Stopped, Some(assessment)));
                        }
                        _ => {}
                    }
                }
            }
            last = Some(assessment);
        }
        Ok((Ending::Stopped, last))
    }

    /// The assessment now and the step to offer: a skipped step comes back before the repair
    /// shop.
    fn next_step(&mut self) -> io::Result<Option<(Assessment, Step)>> {
        let kb = self.kb;
        let mut assessment = match self
            .ctx
            .assess(kb, self.ledger.evidence(kb, Skipped::PutOff))
        {
            Ok(a) => a,
            Err(e) => {
                self.prompter.say(&format!(
                    "The answers so far contradict each other ({e}). Stopping here."
                ))?;
                return Ok(None);
            }
        };
        let escalation_first = assessment
            .plan
            .iter()
            .find(|s| s.kind == StepKind::Action)
            .is_some_and(|s| kb.action(&s.id).is_some_and(|a| a.escalation));
        let skipped: Vec<String> = self
            .ledger
            .skipped()
            .into_iter()
            .map(str::to_owned)
            .collect();
        if escalation_first && !skipped.is_empty() {
            let names: Vec<String> = skipped
                .iter()
                .map(|id| {
                    kb.action(id)
                        .map_or(id.clone(), |a| kb::in_sentence(&a.name))
                })
                .collect();
            self.prompter.say(
                output::wrap(
                    &format!(
                        "Before a repair shop: you skipped {} earlier, and it is still worth trying.",
                        names.join(" and ")
                    ),
                    "",
                )
                .trim_end(),
            )?;
            if let Ok(back) = self
                .ctx
                .assess(kb, self.ledger.evidence(kb, Skipped::BroughtBack))
            {
                assessment = back;
            }
        }
        // The engine keeps questions to three in a row (the ledger counts them).
        let step = assessment.plan.first().cloned();
        Ok(step.map(|s| (assessment, s)))
    }

    /// Asks a question; false when the person stops.
    fn ask(&mut self, step: &Step) -> io::Result<bool> {
        let Some(question) = self.kb.question(&step.id) else {
            return Ok(false);
        };
        self.prompter
            .say(&output::fit(&render::question_text(self.kb, step)))?;
        let mut options: Vec<Choice> = question
            .answers
            .iter()
            .map(|a| Choice::new(a.as_str(), question.words(a)))
            .collect();
        options.push(Choice::new("unknown", "I don't know"));
        if question.pasted {
            options.push(Choice::new("paste", "Paste the line from the restore log"));
        }
        let picked = loop {
            let Some(picked) = self.prompter.choose("Your answer:", &options)? else {
                return Ok(false);
            };
            if options[picked].key != "paste" {
                break picked;
            }
            let Some(line) = self.prompter.text("Paste the line:")? else {
                return Ok(false);
            };
            if self.read_pasted(question, &line)? {
                self.keep()?;
                return Ok(true);
            }
        };
        if picked == question.answers.len() {
            self.ledger.step(
                question.id.clone(),
                StepKind::Question,
                StepOutcome::Unknown,
            );
        } else {
            self.ledger.observe(
                &Observation::new(question.id.clone(), question.answers[picked].clone()),
                EvidenceSource::Person,
            );
            self.ledger.step(
                question.id.clone(),
                StepKind::Question,
                StepOutcome::Answered,
            );
        }
        self.keep()?;
        Ok(true)
    }

    /// Reads a pasted log line: what it shows becomes the log's evidence. True when it
    /// answers the question asked; otherwise the person is told so and asked again.
    fn read_pasted(&mut self, question: &kb::Question, line: &str) -> io::Result<bool> {
        let report = logs::analyze_text(self.kb, line);
        let observations = report.kb_observations();
        let Some(answer) = observations
            .iter()
            .find(|o| o.question == question.id)
            .map(|o| o.answer.clone())
        else {
            self.prompter
                .say("  That line does not say; pick an answer, or \"I don't know\".")?;
            return Ok(false);
        };
        evidence::log_report(&mut self.ledger, &report, "pasted line");
        self.ledger.step(
            question.id.clone(),
            StepKind::Question,
            StepOutcome::Answered,
        );
        self.prompter.say(&format!(
            "  Read from the line: {}.",
            question.words(&answer)
        ))?;
        Ok(true)
    }

    /// Offers an action: what to do and why, the typed confirmation for an erase, the DFU
    /// coach, an optional watched retry, then how it went.
    fn offer(&mut self, step: &Step, assessment: &Assessment) -> io::Result<Offer> {
        let kb = self.kb;
        let Some(action) = kb.action(&step.id) else {
            return Ok(Offer::Stop);
        };
        self.prompter
            .say(&render::action_text(kb, step, assessment))?;
        if action.id == crate::exit_recovery::ACTION {
            match exit_offer::offer(kb, self.usb, &mut self.ledger, self.prompter)? {
                Offered::Stop => return Ok(Offer::Stop),
                Offered::Done(outcome) => return Ok(Offer::Outcome(outcome)),
                Offered::NotTaken => {}
            }
        }
        if action.erases_data {
            let backup = self
                .ledger
                .current(&Subject::answer("backup-available"))
                .is_some_and(|e| e.value == "yes");
            let update_tried = self
                .ledger
                .steps()
                .iter()
                .any(|s| s.id == "try-update-instead" && s.outcome != StepOutcome::Skipped);
            self.prompter
                .say(&render::erase_warning(kb, backup, update_tried))?;
            let Some(typed) = self.prompter.text(
                "Type erase to go ahead with this step, or press Enter to leave the phone as it is.",
            )?
            else {
                return Ok(Offer::Stop);
            };
            if !typed.trim().eq_ignore_ascii_case("erase") {
                self.prompter
                    .say("  Not erasing. This step will not be offered again in this session.")?;
                return Ok(Offer::Outcome(StepOutcome::Declined));
            }
        }
        let device = self.ledger.evidence(kb, Skipped::PutOff).device;
        if action.id == "dfu-restore"
            && let Some(family) = device.and_then(|d| dfu_coach::family_for(kb, d))
        {
            let coach = [
                Choice::new("coach", "Coach me through DFU mode with a countdown"),
                Choice::new("known", "I know how"),
            ];
            match self
                .prompter
                .choose("DFU mode needs precise button timing.", &coach)?
            {
                None => return Ok(Offer::Stop),
                Some(0) => {
                    if !dfu_coach::coach(kb, family, device, self.prompter, true)? {
                        return Ok(Offer::Stop);
                    }
                    if let Some((ok, words)) =
                        self.usb.and_then(|source| dfu_coach::confirm(kb, source))
                    {
                        self.prompter
                            .say(&format!("  {} {words}", if ok { "✓" } else { "✗" }))?;
                    }
                }
                Some(_) => {}
            }
        }
        let worked = action
            .worked
            .as_deref()
            .unwrap_or("the restore or update finished");
        let mut outcomes = vec![
            Choice::new("fixed", format!("It worked: {worked}")),
            Choice::new("failed", "I did it, and it still fails"),
            Choice::new("cant", "I can't do this step"),
            Choice::new("skip", "Skip it for now (it comes back later)"),
        ];
        if self.usb.is_some() {
            outcomes.push(Choice::new(
                "watch",
                "Watch the USB connection while I retry, then tell you",
            ));
        }
        loop {
            let Some(picked) = self.prompter.choose("How did it go?", &outcomes)? else {
                return Ok(Offer::Stop);
            };
            let outcome = match outcomes[picked].key.as_str() {
                "fixed" => StepOutcome::Fixed,
                "failed" => StepOutcome::Failed,
                "cant" => StepOutcome::CannotDo,
                "skip" => StepOutcome::Skipped,
                _ => {
                    self.watch_retry()?;
                    outcomes.pop();
                    continue;
                }
            };
            return Ok(Offer::Outcome(outcome));
        }
    }

    /// Watches USB during a retry; drops and loops become events and evidence.
    fn watch_retry(&mut self) -> io::Result<()> {
        let Some(source) = self.usb else {
            return Ok(());
        };
        let findings = retry_watch::watch_retry(self.kb, source, self.prompter)?;
        for line in retry_watch::summary(&findings) {
            self.prompter.say(&format!("  {line}"))?;
        }
        for f in findings
            .iter()
            .filter(|f| matches!(f.kind, EventKind::Drop | EventKind::Loop))
        {
            self.ledger
                .event(f.kind, f.port.clone(), f.phase, f.message.clone());
        }
        for o in watch::observations(&findings) {
            self.ledger.observe(&o, EvidenceSource::Watch);
        }
        self.keep()
    }

    /// Records the answer "did the same error come back?" that the follow-up gave, as an
    /// answered question when it says something new.
    fn repeats(&mut self, answer: &str) {
        const ERROR_REPEATS: &str = "error-repeats";
        let observation = Observation::new(ERROR_REPEATS, answer);
        if matches!(
            self.ledger.observe(&observation, EvidenceSource::Person),
            case::Merge::New | case::Merge::Replaced(_)
        ) {
            self.ledger
                .step(ERROR_REPEATS, StepKind::Question, StepOutcome::Answered);
        }
    }

    /// After a failed step: did the error number change? Codes change between attempts
    /// (4013 → 9 → 4014), and the plan is redone with the new one. False when stopped.
    fn ask_code_change(&mut self) -> io::Result<bool> {
        let before = self.ledger.code();
        let options = match before {
            Some(code) => vec![
                Choice::new(
                    "same",
                    format!("The same number ({})", kb::display_code(code)),
                ),
                Choice::new("new", "A different number"),
                Choice::new("none", "No number this time, or I did not see one"),
            ],
            None => vec![
                Choice::new("new", "It showed an error number"),
                Choice::new("none", "No number"),
            ],
        };
        // Without a number before, there is nothing to change: ask whether one showed.
        let question = if before.is_some() {
            "Did the error number change?"
        } else {
            "Did it show an error number this time?"
        };
        let Some(picked) = self.prompter.choose(question, &options)? else {
            return Ok(false);
        };
        match options[picked].key.as_str() {
            "same" => self.repeats("yes"),
            "new" => match intake::ask_error_code(self.kb, self.prompter, "Which number now?")? {
                Asked::Stop => return Ok(false),
                Asked::Value(ErrorAnswer::Message(report)) => {
                    evidence::log_report(&mut self.ledger, &report, "pasted message");
                }
                Asked::Value(ErrorAnswer::Code(code)) if Some(code) != before => {
                    self.ledger
                        .add(Subject::Code, code.to_string(), EvidenceSource::Person);
                    let message = match before {
                        Some(old) => format!(
                            "error {} became {}",
                            kb::display_code(old),
                            kb::display_code(code)
                        ),
                        None => format!("error {}", kb::display_code(code)),
                    };
                    self.ledger
                        .event(EventKind::CodeChange, None, None, message);
                    if before.is_some() {
                        self.repeats("no");
                    }
                    self.prompter
                        .say(output::wrap(&render::code_line(self.kb, code), "  ").trim_end())?;
                }
                Asked::Value(_) => {}
            },
            _ => {}
        }
        self.keep()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests;
