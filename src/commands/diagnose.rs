//! `restore-doctor diagnose`: the guided session, or with `--plan` / `--json` the engine's
//! assessment for the evidence given on the command line, printed without asking anything.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use case::{Ledger, Skipped, Subject};
use engine::Assessment;
use kb::{EvidenceSource, Kb, StepKind, StepOutcome};

use crate::case_store::CaseKeeper;
use crate::cli::DiagnoseArgs;
use crate::interrupt::exit_cleanly_on_interrupt;
use crate::knowledge::{DeviceJson, knowledge, resolve_model};
use crate::ops::{Context, evidence};
use crate::output::{self, DIM, HEADING, paint};
use crate::plan_text::{cause_lines, step_text};
use crate::session::guided::{self, Ending, Start};
use crate::session::intake;
use crate::session::prompter::TerminalPrompter;
use crate::usage_error::UsageError;
use crate::{log_files, usb_source};

pub fn run(ctx: &Context, args: &DiagnoseArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let (mut ledger, mut keeper) = match &args.resume {
        Some(id) => {
            let store = ctx.open_store()?;
            let case = store.case(id).map_err(|e| UsageError::new(e.to_string()))?;
            // `--json` prints one JSON object and nothing else.
            if !args.json {
                output::line(paint(
                    DIM,
                    &format!(
                        "Case {} resumed (restore-doctor report {} writes its report).",
                        case.id, case.id
                    ),
                ))?;
            }
            let keeper = CaseKeeper::resume(store, case.id.clone(), &case.ledger);
            (case.ledger, Some(keeper))
        }
        None => (Ledger::new(), None),
    };
    add_arguments(kb, args, &mut ledger)?;
    if args.plan || args.json {
        let evidence = ledger.evidence(kb, Skipped::PutOff);
        let (code, device) = (evidence.code, evidence.device);
        let assessment = ctx
            .assess(kb, evidence)
            .map_err(|e| UsageError::new(e.to_string()))?;
        if args.json {
            output::print_json(&PlanJson {
                code,
                device: device.map(DeviceJson::from),
                assessment: &assessment,
            })?;
        } else {
            output::line(output::fit(plan_text(kb, &assessment).trim_end()))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    exit_cleanly_on_interrupt();
    ledger.device.keep_ecid = args.keep_ecid;
    let source = usb_source::source(args.usb_from.as_deref(), args.sysfs_root.as_deref());
    let (usb_note, usb_readable) = intake::look_at_usb(kb, source.as_ref(), &mut ledger);
    // A saved snapshot never changes, so there is nothing to watch in it.
    let watchable = usb_readable && args.usb_from.is_none();
    // Recent logs where Finder / iTunes / Apple Devices keep them are offered to the session.
    let recent_logs = if args.log.is_empty() && args.resume.is_none() {
        log_files::recent_default_logs()
    } else {
        Vec::new()
    };
    if !args.no_save && keeper.is_none() {
        keeper = Some(ctx.keeper());
    }
    let resumed = args.resume.is_some();
    let start = Start {
        ledger,
        usb_note: Some(usb_note),
        usb: watchable.then_some(source.as_ref()),
        recent_logs,
        keeper: keeper.as_mut(),
        // A resumed case was asked already; what it did not know stays unknown.
        ask_device: !resumed && args.model.model.is_none(),
        ask_code: !resumed && args.code.is_none(),
        ask_tried: !resumed && args.failed.is_empty() && args.cannot.is_empty(),
    };
    let mut prompter = TerminalPrompter::new();
    let end = guided::run(ctx, kb, &mut prompter, start)?;
    Ok(match end.ending {
        Ending::NeedsRepair => ExitCode::from(1),
        Ending::Fixed(_) => ExitCode::SUCCESS,
        Ending::Stopped => {
            let hint = match keeper.as_ref().and_then(CaseKeeper::id) {
                Some(id) => resume_by_id(ctx.db(), id),
                None => resume_by_flags(&end.ledger),
            };
            output::line(format!(
                "\nStopped. To pick up where you left off:\n  {hint}"
            ))?;
            ExitCode::SUCCESS
        }
    })
}

/// The program as the person started it (`restore-doctor`, `./restore-doctor`, a full path).
fn program() -> String {
    std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "restore-doctor".to_owned())
}

/// Quotes an argument for a shell when it needs it.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `restore-doctor [--db FILE] diagnose --resume CASE`, as the person started it.
fn resume_by_id(db: Option<&Path>, id: &str) -> String {
    // A password in the place is shown masked: the person types it again.
    let db = db
        .filter(|_| std::env::var_os("RESTORE_DOCTOR_DB").is_none())
        .map(|d| {
            format!(
                " --db {}",
                shell_word(&store::Location::from(d).to_string())
            )
        })
        .unwrap_or_default();
    format!("{}{db} diagnose --resume {id}", shell_word(&program()))
}

/// The command line that starts a session with everything this unsaved one learned.
fn resume_by_flags(ledger: &Ledger) -> String {
    let mut command = format!("{} diagnose", shell_word(&program()));
    if let Some(code) = ledger.code() {
        let _ = write!(command, " --code {}", kb::display_code(code));
    }
    if let Some(model) = ledger.product_type() {
        let _ = write!(command, " --model {model}");
    }
    for e in ledger.answers() {
        if let Subject::Answer(q) = &e.subject {
            let _ = write!(
                command,
                " --observe {}",
                shell_word(&format!("{q}={}", e.value))
            );
        }
    }
    for step in ledger.steps().iter().filter(|s| s.kind == StepKind::Action) {
        match step.outcome {
            StepOutcome::Failed => {
                let _ = write!(command, " --failed {}", step.id);
            }
            StepOutcome::CannotDo | StepOutcome::Declined => {
                let _ = write!(command, " --cannot {}", step.id);
            }
            _ => {}
        }
    }
    command
}

/// Adds what the command line says to the ledger, as the person's word, checking every id
/// against the kb so a typo is a clear error listing the valid ids before anything is asked.
fn add_arguments(kb: &Kb, args: &DiagnoseArgs, ledger: &mut Ledger) -> anyhow::Result<()> {
    for path in &args.log {
        let report = log_files::read(kb, path)?;
        let name = path
            .file_name()
            .map_or_else(|| "a log".to_owned(), |n| n.to_string_lossy().into_owned());
        evidence::log_report(ledger, &report, &name);
    }
    if let Some(text) = &args.code {
        let code = kb::parse_code(text).map_err(|e| UsageError::new(e.to_string()))?;
        ledger.add(Subject::Code, code.to_string(), EvidenceSource::Person);
    }
    if let Some(device) = resolve_model(kb, args.model.model.as_deref())? {
        ledger.add(
            Subject::Model,
            device.product_type.clone(),
            EvidenceSource::Person,
        );
    }
    // Answers and tried steps in the order they were given: the answers after the last tried
    // step are questions asked in a row, as in the guided session.
    let mut given: Vec<(usize, Given)> = Vec::new();
    let position = |positions: &[usize], i: usize| positions.get(i).copied().unwrap_or(i);
    for (i, item) in args.observe.iter().enumerate() {
        given.push((position(&args.positions.observe, i), Given::Answer(item)));
    }
    for (ids, positions, outcome) in [
        (&args.failed, &args.positions.failed, StepOutcome::Failed),
        (&args.cannot, &args.positions.cannot, StepOutcome::CannotDo),
    ] {
        for (i, id) in ids.iter().enumerate() {
            // Without positions, tried steps come after the answers.
            let at = positions.get(i).copied().unwrap_or(usize::MAX / 2 + i);
            given.push((at, Given::Step(id, outcome)));
        }
    }
    given.sort_by_key(|(at, _)| *at);
    for (_, item) in given {
        match item {
            Given::Answer(item) => observe_argument(kb, item, ledger)?,
            Given::Step(id, outcome) => ledger.step(id.clone(), StepKind::Action, outcome),
        }
    }
    // Validate action ids now, so the interactive session never starts on a typo.
    engine::assess(kb, &ledger.evidence(kb, Skipped::PutOff))
        .map_err(|e| UsageError::new(e.to_string()))?;
    Ok(())
}

/// One evidence flag of the command line.
enum Given<'a> {
    Answer(&'a String),
    Step(&'a String, StepOutcome),
}

/// Adds one `--observe QUESTION=ANSWER` as the person's answer to that question, or
/// `QUESTION=unknown` as a question they cannot answer (it is not asked again).
fn observe_argument(kb: &Kb, item: &str, ledger: &mut Ledger) -> anyhow::Result<()> {
    let Some((question, answer)) = item.split_once('=') else {
        return Err(UsageError::new(format!(
            "--observe expects QUESTION=ANSWER (for example hub-in-path=yes, or hub-in-path=unknown), not '{item}'"
        ))
        .into());
    };
    let (question, answer) = (question.trim(), answer.trim());
    if answer == kb::UNKNOWN_ANSWER {
        let evidence = engine::Evidence {
            declined: vec![question.to_owned()],
            ..engine::Evidence::default()
        };
        engine::assess(kb, &evidence).map_err(|e| UsageError::new(e.to_string()))?;
        ledger.step(question, StepKind::Question, StepOutcome::Unknown);
        return Ok(());
    }
    let observation = kb::Observation::new(question, answer);
    check_answer(kb, &observation)?;
    ledger.observe(&observation, EvidenceSource::Person);
    ledger.step(question, StepKind::Question, StepOutcome::Answered);
    Ok(())
}

/// An answer the kb does not know is a usage error listing the answers it does.
fn check_answer(kb: &Kb, o: &kb::Observation) -> anyhow::Result<()> {
    let evidence = engine::Evidence {
        observations: vec![o.clone()],
        ..engine::Evidence::default()
    };
    engine::assess(kb, &evidence).map_err(|e| UsageError::new(e.to_string()))?;
    Ok(())
}

/// `diagnose --plan --json`: the assessment with the code and device it was made for.
#[derive(serde::Serialize)]
struct PlanJson<'a> {
    code: Option<i64>,
    device: Option<DeviceJson<'a>>,
    #[serde(flatten)]
    assessment: &'a Assessment,
}

fn plan_text(kb: &Kb, assessment: &Assessment) -> String {
    let mut out = String::new();
    if let Some(note) = &assessment.note {
        out.push_str(&output::wrap(note, ""));
        out.push('\n');
    }
    let _ = writeln!(out, "{}", paint(HEADING, "Most likely causes"));
    out.push_str(&cause_lines(kb, &assessment.causes, 0.01, 8));
    let _ = writeln!(
        out,
        "\n{}",
        paint(
            HEADING,
            &format!(
                "Plan · expected effort until fixed: about {}",
                output::minutes(assessment.expected_cost_minutes)
            )
        )
    );
    for (i, step) in assessment.plan.iter().enumerate() {
        out.push_str(&step_text(kb, i + 1, step));
    }
    out
}
