//! The guided session: asks for the model and the error code, offers one step at a time with
//! its reasons, records each outcome, re-plans, and ends fixed, stopped or with a verdict.

use std::fmt::Write as _;
use std::io;

use engine::{Assessment, Evidence, Step, StepKind};
use kb::{Kb, Observation};
use usb::live::DeviceSource;

use crate::output::{self, DIM, HEADING, STRONG, WARN, WIDTH, paint};
use crate::session::prompter::{Choice, Prompter};
use crate::session::{dfu_coach, retry_watch};

/// A safety stop: no real session needs more steps than the kb has actions and questions.
const MAX_STEPS: usize = 60;

/// What happened to one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    Fixed,
    Failed,
    CannotDo,
    Skipped,
    Answered,
    Unknown,
}

impl StepOutcome {
    fn words(self) -> &'static str {
        match self {
            StepOutcome::Fixed => "fixed it",
            StepOutcome::Failed => "did not help",
            StepOutcome::CannotDo => "could not be done",
            StepOutcome::Skipped => "skipped",
            StepOutcome::Answered => "answered",
            StepOutcome::Unknown => "not known",
        }
    }
}

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
pub struct SessionEnd<'kb> {
    pub ending: Ending,
    pub evidence: Evidence<'kb>,
}

/// Where a session writes down what happens, as it happens (the case history).
pub trait Recorder {
    /// The device and the code as the session now knows them.
    fn context(&mut self, evidence: &Evidence);
    /// A fact learned, with where it came from (person, usb-watch, log).
    fn observed(&mut self, observation: &Observation, source: &str);
    /// A step offered and its outcome.
    fn step(&mut self, id: &str, kind: &str, outcome: StepOutcome);
    /// A timeline event: a USB drop or loop, a log finding.
    fn event(&mut self, kind: &str, port: Option<&str>, phase: Option<&str>, message: &str);
    /// The end, with the last assessment (the verdict).
    fn ended(&mut self, ending: &Ending, assessment: Option<&Assessment>);
}

/// How a session starts.
pub struct Start<'a, 'kb> {
    pub evidence: Evidence<'kb>,
    /// What a look at USB showed, said after the introduction.
    pub usb_note: String,
    /// A USB source to watch while the person retries, when there is one.
    pub usb: Option<&'a dyn DeviceSource>,
    /// Recent restore logs found where the OS keeps them, offered before the first question.
    pub recent_logs: Vec<std::path::PathBuf>,
    /// The case history to write to, if any.
    pub recorder: Option<&'a mut dyn Recorder>,
    /// Ask for the model / the error code (not given on the command line or seen on USB).
    pub ask_device: bool,
    pub ask_code: bool,
}

impl<'kb> Start<'_, 'kb> {
    /// A start that asks for nothing and watches nothing.
    #[cfg(test)]
    pub fn quiet(evidence: Evidence<'kb>) -> Self {
        Start {
            evidence,
            usb_note: String::new(),
            usb: None,
            recent_logs: Vec::new(),
            recorder: None,
            ask_device: false,
            ask_code: false,
        }
    }
}

/// Runs a guided session.
pub fn run<'kb>(
    kb: &'kb Kb,
    prompter: &mut dyn Prompter,
    start: Start<'_, 'kb>,
) -> io::Result<SessionEnd<'kb>> {
    let Start {
        mut evidence,
        usb_note,
        usb,
        recent_logs,
        recorder,
        ask_device,
        ask_code,
    } = start;
    let mut nothing = NoRecorder;
    let recorder: &mut dyn Recorder = match recorder {
        Some(r) => r,
        None => &mut nothing,
    };
    prompter.say(&paint(HEADING, "Restore Doctor · guided session"))?;
    prompter.say(
        output::wrap(
            "I will suggest the cheapest likely fix first, one step at a time, and re-plan after each one. Answer with the number or the word in front of an option; q stops at any time. Nothing here touches your phone: you do each step yourself.",
            "",
            WIDTH,
        )
        .trim_end(),
    )?;
    if !usb_note.is_empty() {
        prompter.say(&paint(DIM, &usb_note))?;
    }
    let (ending, last) = drive(
        kb,
        prompter,
        &mut evidence,
        recorder,
        usb,
        &recent_logs,
        ask_device,
        ask_code,
    )?;
    recorder.ended(&ending, last.as_ref());
    Ok(SessionEnd { ending, evidence })
}

/// A recorder that keeps nothing (sessions run with `--no-save`, and tests).
struct NoRecorder;

impl Recorder for NoRecorder {
    fn context(&mut self, _: &Evidence) {}
    fn observed(&mut self, _: &Observation, _: &str) {}
    fn step(&mut self, _: &str, _: &str, _: StepOutcome) {}
    fn event(&mut self, _: &str, _: Option<&str>, _: Option<&str>, _: &str) {}
    fn ended(&mut self, _: &Ending, _: Option<&Assessment>) {}
}

/// Records the observations added since `before`, with their source.
fn record_new(recorder: &mut dyn Recorder, evidence: &Evidence, before: usize, source: &str) {
    for o in evidence.observations.iter().skip(before) {
        recorder.observed(o, source);
    }
}

/// The session proper: logs, model and code, then one step at a time until an ending. Returns
/// the ending and the last assessment made.
#[allow(clippy::too_many_arguments)]
fn drive<'kb>(
    kb: &'kb Kb,
    prompter: &mut dyn Prompter,
    evidence: &mut Evidence<'kb>,
    recorder: &mut dyn Recorder,
    usb: Option<&dyn DeviceSource>,
    recent_logs: &[std::path::PathBuf],
    ask_device: bool,
    mut ask_code: bool,
) -> io::Result<(Ending, Option<Assessment>)> {
    let stopped = |last: Option<Assessment>| Ok((Ending::Stopped, last));
    if !recent_logs.is_empty() {
        let before = evidence.observations.len();
        match read_recent_logs(kb, prompter, recent_logs, evidence, recorder)? {
            None => return stopped(None),
            Some(found_code) => ask_code &= !found_code,
        }
        record_new(recorder, evidence, before, "log");
    }
    let mut history = Vec::new();
    if ask_device {
        match ask_model(kb, prompter)? {
            Asked::Value(device) => evidence.device = device,
            Asked::Stop => return stopped(None),
        }
    }
    if ask_code {
        match ask_error_code(prompter)? {
            Asked::Value(code) => evidence.code = code,
            Asked::Stop => return stopped(None),
        }
    }
    recorder.context(evidence);
    let mut last = None;
    for _ in 0..MAX_STEPS {
        let assessment = match engine::assess(kb, evidence) {
            Ok(a) => a,
            Err(e) => {
                prompter.say(&format!(
                    "The answers so far contradict each other ({e}). Stopping here."
                ))?;
                return stopped(last);
            }
        };
        let Some(step) = assessment.plan.first().cloned() else {
            return stopped(Some(assessment));
        };
        prompter.say("")?;
        prompter.say(&beliefs_line(kb, &assessment))?;
        let before = evidence.observations.len();
        match step.kind {
            StepKind::Question => {
                let Some(outcome) = ask_question(kb, prompter, &step, evidence)? else {
                    return stopped(Some(assessment));
                };
                record_new(recorder, evidence, before, "person");
                if outcome == StepOutcome::Unknown {
                    recorder.step(&step.id, "question", outcome);
                }
                history.push((step.id.clone(), outcome));
            }
            StepKind::Action => {
                let action = kb.action(&step.id).expect("plan ids come from the kb");
                if action.escalation {
                    prompter.say(&verdict(kb, &assessment, evidence, &history))?;
                    return Ok((Ending::NeedsRepair, Some(assessment)));
                }
                let Some(outcome) =
                    offer_action(kb, prompter, &step, &assessment, evidence, usb, recorder)?
                else {
                    return stopped(Some(assessment));
                };
                record_new(recorder, evidence, before, "usb-watch");
                recorder.step(&step.id, "action", outcome);
                history.push((step.id.clone(), outcome));
                match outcome {
                    StepOutcome::Fixed => {
                        prompter.say(&fixed_text(kb, &step.id, &history))?;
                        return Ok((Ending::Fixed(step.id.clone()), Some(assessment)));
                    }
                    StepOutcome::Failed => evidence.failed.push(step.id.clone()),
                    _ => evidence.unavailable.push(step.id.clone()),
                }
            }
        }
        last = Some(assessment);
    }
    stopped(last)
}

/// Offers to read recent restore logs; returns whether they gave an error code (`None` when
/// the person stops).
fn read_recent_logs(
    kb: &Kb,
    prompter: &mut dyn Prompter,
    files: &[std::path::PathBuf],
    evidence: &mut Evidence,
    recorder: &mut dyn Recorder,
) -> io::Result<Option<bool>> {
    let newest = files[0].display();
    let options = [
        Choice::new("read", "Yes, read them"),
        Choice::new("no", "No"),
    ];
    let prompt = format!(
        "I found {} restore log(s) from the last week (newest: {newest}). Read them for clues?",
        files.len()
    );
    match prompter.choose(&prompt, &options)? {
        None => return Ok(None),
        Some(1) => return Ok(Some(false)),
        Some(_) => {}
    }
    let mut found_code = false;
    for path in files {
        let Ok(file) = std::fs::File::open(path) else {
            continue;
        };
        let Ok(report) = logs::analyze_reader(kb, file, &mut |_| {}) else {
            continue;
        };
        if let (None, Some(code)) = (evidence.code, report.final_code) {
            evidence.code = Some(code);
            found_code = true;
            let phase = report.phase.unwrap_or("phase not shown");
            prompter.say(&format!(
                "  {}: error {} ({phase})",
                path.display(),
                kb::display_code(code)
            ))?;
        }
        for finding in &report.findings {
            let message = format!("{}: {}", path.display(), finding.text);
            recorder.event("log-finding", None, report.phase, &message);
        }
        for o in report.kb_observations() {
            if !evidence
                .observations
                .iter()
                .any(|e| e.question == o.question)
            {
                evidence.observations.push(o);
            }
        }
    }
    Ok(Some(found_code))
}

enum Asked<T> {
    Value(T),
    Stop,
}

fn ask_model<'kb>(
    kb: &'kb Kb,
    prompter: &mut dyn Prompter,
) -> io::Result<Asked<Option<&'kb kb::Device>>> {
    let mut prompt = "Which iPhone or iPad is it? Type its name (iPhone 7), product type (iPhone9,3) or board (D101AP); press Enter if you don't know.".to_owned();
    for _ in 0..5 {
        let Some(answer) = prompter.text(&prompt)? else {
            return Ok(Asked::Stop);
        };
        if answer.is_empty() {
            return Ok(Asked::Value(None));
        }
        match kb.find_device(&answer) {
            Ok(device) => {
                prompter.say(&format!(
                    "  {} ({}, {}).",
                    device.model,
                    device.product_type,
                    device.connector.id()
                ))?;
                return Ok(Asked::Value(Some(device)));
            }
            Err(e) => {
                prompt = format!(
                    "{}. Try again, or press Enter to go on without the model.",
                    upper_first(&e.to_string())
                )
            }
        }
    }
    Ok(Asked::Value(None))
}

fn ask_error_code(prompter: &mut dyn Prompter) -> io::Result<Asked<Option<i64>>> {
    let mut prompt = "What error number did Finder, iTunes or Apple Devices show? Type it (4013) or paste the message; press Enter if there was none.".to_owned();
    for _ in 0..5 {
        let Some(answer) = prompter.text(&prompt)? else {
            return Ok(Asked::Stop);
        };
        if answer.is_empty() {
            return Ok(Asked::Value(None));
        }
        match kb::parse_code(&answer) {
            Ok(code) => return Ok(Asked::Value(Some(code))),
            Err(e) => {
                prompt = format!(
                    "{}. Try again, or press Enter to go on without it.",
                    upper_first(&e.to_string())
                )
            }
        }
    }
    Ok(Asked::Value(None))
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn beliefs_line(kb: &Kb, assessment: &Assessment) -> String {
    let top: Vec<String> = assessment
        .causes
        .iter()
        .take(3)
        .map(|c| {
            let name = kb.cause(&c.id).map_or(c.id.as_str(), |c| c.name.as_str());
            format!(
                "{} {}",
                kb::in_sentence(name),
                output::percent(c.probability)
            )
        })
        .collect();
    paint(DIM, &format!("Most likely now: {}.", top.join(" · ")))
}

fn ask_question(
    kb: &Kb,
    prompter: &mut dyn Prompter,
    step: &Step,
    evidence: &mut Evidence,
) -> io::Result<Option<StepOutcome>> {
    let question = kb.question(&step.id).expect("plan ids come from the kb");
    let mut text = format!("{} {}\n", paint(STRONG, "Question:"), question.text);
    if let Some(help) = &question.help {
        text.push_str(&output::wrap(help, "  ", WIDTH));
    }
    text.push_str(&output::wrap(
        &format!("Why I ask: {}", step.why),
        "  ",
        WIDTH,
    ));
    prompter.say(text.trim_end())?;
    let mut options: Vec<Choice> = question
        .answers
        .iter()
        .map(|a| Choice::new(a.as_str(), a.as_str()))
        .collect();
    options.push(Choice::new("unknown", "I don't know"));
    let Some(picked) = prompter.choose("Your answer:", &options)? else {
        return Ok(None);
    };
    if picked == question.answers.len() {
        evidence.declined.push(question.id.clone());
        Ok(Some(StepOutcome::Unknown))
    } else {
        evidence.observations.push(Observation::new(
            question.id.clone(),
            question.answers[picked].clone(),
        ));
        Ok(Some(StepOutcome::Answered))
    }
}

fn offer_action(
    kb: &Kb,
    prompter: &mut dyn Prompter,
    step: &Step,
    assessment: &Assessment,
    evidence: &mut Evidence,
    usb: Option<&dyn DeviceSource>,
    recorder: &mut dyn Recorder,
) -> io::Result<Option<StepOutcome>> {
    let action = kb.action(&step.id).expect("plan ids come from the kb");
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} {}  {}",
        paint(STRONG, "Next:"),
        paint(STRONG, &action.name),
        paint(
            DIM,
            &format!("(about {})", output::minutes(action.cost_minutes))
        )
    );
    text.push_str(&output::wrap(&format!("Why: {}", step.why), "  ", WIDTH));
    for (i, s) in action.steps.iter().enumerate() {
        let wrapped = output::wrap(s, "     ", WIDTH);
        let _ = write!(text, "  {}. {}", i + 1, wrapped.trim_start());
    }
    let _ = write!(
        text,
        "{}",
        paint(
            DIM,
            &format!(
                "  Expected effort until fixed from here: about {}.",
                output::minutes(assessment.expected_cost_minutes)
            )
        )
    );
    prompter.say(&text)?;

    if action.erases_data {
        prompter.say(&output::wrap(
            "This step erases everything on the phone. Do it only if you have a backup or accept losing what is on it.",
            &paint(WARN, "  ! "),
            WIDTH,
        ))?;
        let confirm = [
            Choice::new(
                "erase",
                "I have a backup, or losing the data is acceptable: I will do it",
            ),
            Choice::new("keep", "Do not erase: skip this step"),
        ];
        match prompter.choose("Erase the phone?", &confirm)? {
            None => return Ok(None),
            Some(1) => return Ok(Some(StepOutcome::CannotDo)),
            Some(_) => {}
        }
    }
    if action.id == "dfu-restore"
        && let Some(family) = evidence.device.and_then(|d| dfu_coach::family_for(kb, d))
    {
        let coach = [
            Choice::new("coach", "Coach me through DFU mode with a countdown"),
            Choice::new("known", "I know how"),
        ];
        match prompter.choose("DFU mode needs precise button timing.", &coach)? {
            None => return Ok(None),
            Some(0) => {
                dfu_coach::coach(kb, family, evidence.device, prompter, true)?;
                if let Some((ok, words)) = usb.and_then(|source| dfu_coach::confirm(kb, source)) {
                    prompter.say(&format!("  {} {words}", if ok { "✓" } else { "✗" }))?;
                }
            }
            Some(_) => {}
        }
    }
    let mut outcomes = vec![
        Choice::new("fixed", "It worked: the restore or update finished"),
        Choice::new("failed", "I did it, and it still fails"),
        Choice::new("cant", "I can't do this step"),
        Choice::new("skip", "Skip it for now"),
    ];
    if usb.is_some() {
        outcomes.push(Choice::new(
            "watch",
            "Watch the USB connection while I retry, then tell you",
        ));
    }
    loop {
        let Some(picked) = prompter.choose("How did it go?", &outcomes)? else {
            return Ok(None);
        };
        let outcome = match outcomes[picked].key.as_str() {
            "fixed" => StepOutcome::Fixed,
            "failed" => StepOutcome::Failed,
            "cant" => StepOutcome::CannotDo,
            "skip" => StepOutcome::Skipped,
            _ => {
                if let Some(source) = usb {
                    let findings = retry_watch::watch_retry(kb, source, prompter)?;
                    for line in retry_watch::summary(&findings) {
                        prompter.say(&format!("  {line}"))?;
                    }
                    for f in findings.iter().filter(|f| {
                        matches!(f.kind, watch::FindingKind::Drop | watch::FindingKind::Loop)
                    }) {
                        let kind = if f.kind == watch::FindingKind::Drop {
                            "drop"
                        } else {
                            "loop"
                        };
                        recorder.event(kind, f.port.as_deref(), f.phase, &f.message);
                    }
                    let learned = retry_watch::new_observations(&findings, &evidence.observations);
                    evidence.observations.extend(learned);
                }
                outcomes.pop();
                continue;
            }
        };
        return Ok(Some(outcome));
    }
}

fn tried_lines(kb: &Kb, history: &[(String, StepOutcome)]) -> String {
    let mut out = String::new();
    // Answers are listed with the facts; this is the list of things done.
    for (id, outcome) in history.iter().filter(|(id, _)| kb.action(id).is_some()) {
        let name = kb
            .action(id)
            .map(|a| a.name.clone())
            .or_else(|| kb.question(id).map(|q| q.text.clone()))
            .unwrap_or_else(|| id.clone());
        let _ = writeln!(out, "  - {name}: {}", outcome.words());
    }
    out
}

fn fixed_text(kb: &Kb, id: &str, history: &[(String, StepOutcome)]) -> String {
    let name = kb.action(id).map_or(id, |a| a.name.as_str());
    let mut out = format!("{}\n", paint(HEADING, &format!("Fixed: {name}.")));
    out.push_str(&tried_lines(kb, history));
    out.trim_end().to_owned()
}

/// The hardware verdict: what is most likely broken, what was ruled out, what to tell a shop.
fn verdict(
    kb: &Kb,
    assessment: &Assessment,
    evidence: &Evidence,
    history: &[(String, StepOutcome)],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        paint(
            HEADING,
            "Verdict: the phone most likely needs a repair bench"
        )
    );
    out.push_str(&output::wrap(
        "The cheap fixes worth trying have been tried or ruled out. What is left is most likely inside the phone, which no cable, computer or restore can fix.",
        "  ",
        WIDTH,
    ));
    let _ = writeln!(out, "{}", paint(STRONG, "Most likely causes"));
    out.push_str(&crate::commands::cause_lines(
        kb,
        &assessment.causes,
        0.02,
        5,
    ));
    if history.iter().any(|(id, _)| kb.action(id).is_some()) {
        let _ = writeln!(out, "{}", paint(STRONG, "What was tried"));
        out.push_str(&tried_lines(kb, history));
    }
    let _ = writeln!(out, "{}", paint(STRONG, "Tell the repair shop"));
    let mut facts = Vec::new();
    if let Some(d) = evidence.device {
        facts.push(format!(
            "the model: {} ({}, board {})",
            d.model,
            d.product_type,
            d.board.as_deref().unwrap_or("unknown")
        ));
    }
    if let Some(code) = evidence.code {
        facts.push(format!("the error: {}", kb::display_code(code)));
    }
    for o in &evidence.observations {
        if let Some(q) = kb.question(&o.question) {
            facts.push(format!("{} → {}", q.text, o.answer));
        }
    }
    if !evidence.failed.is_empty() {
        facts.push("that the steps listed above did not help".to_owned());
    }
    if let Some(top) = assessment
        .causes
        .iter()
        .find(|c| kb.cause(&c.id).is_some_and(|c| c.hardware))
    {
        let name = kb
            .cause(&top.id)
            .map_or(top.id.as_str(), |c| c.name.as_str());
        facts.push(format!(
            "to check first: {} ({})",
            kb::in_sentence(name),
            output::percent(top.probability)
        ));
    }
    for f in facts {
        out.push_str(&output::wrap(&format!("- {f}"), "  ", WIDTH));
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::prompter::ScriptedPrompter;

    fn kb() -> &'static Kb {
        Kb::embedded().unwrap()
    }

    /// Evidence in which the person cannot answer any question, so only actions are offered.
    fn no_questions() -> Evidence<'static> {
        Evidence {
            declined: kb().questions.iter().map(|q| q.id.clone()).collect(),
            ..Evidence::default()
        }
    }

    #[test]
    fn a_cable_fault_ends_fixed_at_the_first_step() {
        let mut p = ScriptedPrompter::new(&["iPhone 12", "4013", "fixed"]);
        let end = run(
            kb(),
            &mut p,
            Start {
                ask_device: true,
                ask_code: true,
                ..Start::quiet(no_questions())
            },
        )
        .unwrap();
        assert_eq!(
            end.ending,
            Ending::Fixed("swap-cable".to_owned()),
            "{}",
            p.transcript
        );
        assert!(
            p.transcript
                .contains("Next: Use a different, certified cable"),
            "{}",
            p.transcript
        );
        assert!(
            p.transcript
                .contains("Fixed: Use a different, certified cable.")
        );
    }

    #[test]
    fn iphone_7_with_greyed_voice_memos_reaches_the_audio_ic_verdict_in_a_few_steps() {
        let start = Evidence {
            code: Some(4013),
            device: Some(kb().find_device("iPhone9,3").unwrap()),
            observations: vec![Observation::new("voice-memos-greyed", "yes")],
            ..Evidence::default()
        };
        // Answer every question "yes" and report every action as still failing.
        let answers = [
            "yes", "failed", "yes", "failed", "yes", "failed", "yes", "failed",
        ];
        let mut p = ScriptedPrompter::new(&answers);
        let end = run(
            kb(),
            &mut p,
            Start {
                ask_device: false,
                ask_code: false,
                ..Start::quiet(start)
            },
        )
        .unwrap();
        assert_eq!(end.ending, Ending::NeedsRepair, "{}", p.transcript);
        let steps = end.evidence.failed.len() + end.evidence.observations.len() - 1;
        assert!(steps <= 4, "{steps} steps: {}", p.transcript);
        assert!(
            p.transcript
                .contains("Verdict: the phone most likely needs a repair bench")
        );
        assert!(
            p.transcript.contains("Audio IC failure"),
            "{}",
            p.transcript
        );
        assert!(
            p.transcript.contains("to check first: audio IC failure"),
            "{}",
            p.transcript
        );
    }

    #[test]
    fn failures_change_the_plan_and_are_not_offered_again() {
        let mut p = ScriptedPrompter::new(&["", "4013", "failed", "failed", "q"]);
        let end = run(
            kb(),
            &mut p,
            Start {
                ask_device: true,
                ask_code: true,
                ..Start::quiet(no_questions())
            },
        )
        .unwrap();
        assert_eq!(end.ending, Ending::Stopped);
        assert_eq!(end.evidence.failed.len(), 2, "{}", p.transcript);
        assert_ne!(end.evidence.failed[0], end.evidence.failed[1]);
    }

    #[test]
    fn bad_model_and_code_are_asked_again_with_a_hint() {
        let mut p = ScriptedPrompter::new(&["iphne 7", "iPhone 7", "abc", "4013", "q"]);
        let end = run(
            kb(),
            &mut p,
            Start {
                ask_device: true,
                ask_code: true,
                ..Start::quiet(Evidence::default())
            },
        )
        .unwrap();
        assert!(
            p.transcript.contains("did you mean 'iPhone 7'"),
            "{}",
            p.transcript
        );
        assert!(
            p.transcript.contains("'abc' is not an error code"),
            "{}",
            p.transcript
        );
        assert_eq!(end.evidence.code, Some(4013));
        assert_eq!(end.evidence.device.unwrap().model, "iPhone 7");
    }

    #[test]
    fn erasing_steps_need_explicit_confirmation() {
        // Everything cheap has failed; the person has a backup, so DFU restore comes up.
        let kb = kb();
        let start = Evidence {
            code: Some(4013),
            device: Some(kb.find_device("iPhone 12").unwrap()),
            observations: vec![
                Observation::new("backup-available", "yes"),
                Observation::new("boot-loop", "yes"),
            ],
            failed: [
                "swap-cable",
                "change-port",
                "remove-hub",
                "clean-device-port",
                "update-host-software",
                "restart-both",
                "try-update-instead",
                "different-computer",
            ]
            .map(String::from)
            .to_vec(),
            ..Evidence::default()
        };
        let mut answers = vec!["unknown"; 10];
        answers.extend(["keep", "q"]);
        let mut p = ScriptedPrompter::new(&answers);
        let end = run(kb, &mut p, Start::quiet(start)).unwrap();
        assert!(
            p.transcript
                .contains("This step erases everything on the phone"),
            "{}",
            p.transcript
        );
        assert!(
            end.evidence
                .unavailable
                .iter()
                .any(|a| a == "dfu-restore" || a == "recovery-restore"),
            "{:?}\n{}",
            end.evidence.unavailable,
            p.transcript
        );
    }

    #[test]
    fn the_dfu_coach_is_offered_before_a_dfu_restore() {
        let kb = kb();
        // Code 68 points at the phone's software state; with a backup, and a recovery restore
        // the person cannot do, DFU restore comes first.
        let start = Evidence {
            code: Some(68),
            device: Some(kb.find_device("iPhone 12").unwrap()),
            observations: vec![Observation::new("backup-available", "yes")],
            unavailable: vec!["recovery-restore".to_owned()],
            ..no_questions()
        };
        let mut p = ScriptedPrompter::new(&["erase", "coach", "", "fixed"]);
        let end = run(kb, &mut p, Start::quiet(start)).unwrap();
        assert_eq!(
            end.ending,
            Ending::Fixed("dfu-restore".to_owned()),
            "{}",
            p.transcript
        );
        assert!(
            p.transcript.contains("DFU mode for iPhone 12"),
            "{}",
            p.transcript
        );
        assert_eq!(
            p.countdown_seconds,
            3 + 1 + 1 + 10 + 5 + 10,
            "get-ready and the five timed steps"
        );
    }

    #[test]
    fn watching_a_retry_turns_a_drop_into_evidence() {
        let tree = tempfile::tempdir().unwrap();
        let dir = tree.path().join("bus/usb/devices/1-4");
        std::fs::create_dir_all(&dir).unwrap();
        let write =
            |name: &str, value: &str| std::fs::write(dir.join(name), format!("{value}\n")).unwrap();
        write("idVendor", "05ac");
        write("idProduct", "1281");
        write("speed", "480");
        write(
            "serial",
            "CPID:8101 BDID:0C ECID:001A2B3C4D5E6F70 SRNM:[F17XXXXXXXXX]",
        );
        let source = usb::sysfs::SysfsSource::new(tree.path());
        let mut p = ScriptedPrompter::new(&["watch", "", "failed", "q"]);
        let device_dir = dir.clone();
        p.on_text = Some(Box::new(move |prompt| {
            if !prompt.starts_with("Watching") {
                return;
            }
            let pause = || std::thread::sleep(std::time::Duration::from_millis(700));
            pause();
            // Restore mode (the normal product id after recovery), then gone after a moment.
            std::fs::write(device_dir.join("idProduct"), "12a8\n").unwrap();
            std::fs::write(device_dir.join("serial"), "00008101001A2B3C4D5E6F70\n").unwrap();
            pause();
            std::fs::remove_dir_all(&device_dir).unwrap();
            pause();
        }));
        let start = Start {
            usb: Some(&source),
            ..Start::quiet(Evidence {
                code: Some(4013),
                ..no_questions()
            })
        };
        let end = run(kb(), &mut p, start).unwrap();
        assert!(
            p.transcript.contains("the 4013 pattern"),
            "{}",
            p.transcript
        );
        assert!(
            end.evidence
                .observations
                .contains(&Observation::new("disconnect-during-restore", "yes"))
        );
        assert!(
            end.evidence
                .observations
                .contains(&Observation::new("failed-phase", "restore-os"))
        );
        assert_eq!(
            end.evidence.failed.len(),
            1,
            "the step then failed and was recorded"
        );
    }

    #[test]
    fn recent_logs_are_offered_and_their_code_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("restore.log");
        std::fs::write(&log, "error from server=94 (This device isn't eligible for the requested build.)\ncached server error text: (3194)\n").unwrap();
        let mut p = ScriptedPrompter::new(&["read", "q"]);
        let start = Start {
            recent_logs: vec![log],
            ask_code: true,
            ..Start::quiet(no_questions())
        };
        let end = run(kb(), &mut p, start).unwrap();
        assert!(
            p.transcript.contains("I found 1 restore log(s)"),
            "{}",
            p.transcript
        );
        assert_eq!(end.evidence.code, Some(3194));
        assert!(
            !p.transcript.contains("What error number"),
            "the code came from the log"
        );
        assert!(
            end.evidence
                .observations
                .contains(&Observation::new("failed-phase", "personalize"))
        );
    }
}
