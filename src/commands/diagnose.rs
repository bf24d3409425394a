//! `restore-doctor diagnose`: the guided session, or with `--plan` / `--json` the engine's
//! assessment for the evidence given on the command line, printed without asking anything.

use std::fmt::Write as _;
use std::process::ExitCode;

use engine::{Assessment, Evidence};
use kb::{Kb, Observation};
use usb::live::DeviceSource;

use crate::cli::DiagnoseArgs;
use crate::commands::{
    DeviceJson, cases, cause_lines, devices, exit_cleanly_on_interrupt, knowledge, logs,
    resolve_model, step_text,
};
use crate::output::{self, DIM, HEADING, WIDTH, paint};
use crate::session::guided::{self, Ending, Recorder, Start, StepOutcome};
use crate::session::prompter::TerminalPrompter;
use crate::usage_error::UsageError;

pub fn run(db: Option<&std::path::Path>, args: &DiagnoseArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let mut evidence = evidence_from_args(kb, args)?;
    let mut resumed = None;
    if let Some(id) = &args.resume {
        let store = cases::open_store(db)?;
        let case = store.case(id).map_err(|e| UsageError::new(e.to_string()))?;
        resume_evidence(kb, &case, &mut evidence);
        resumed = Some(case.id);
    }
    if args.plan || args.json {
        let assessment =
            engine::assess(kb, &evidence).map_err(|e| UsageError::new(e.to_string()))?;
        if args.json {
            output::print_json(&PlanJson {
                code: evidence.code,
                device: evidence.device.map(DeviceJson::from),
                assessment: &assessment,
            })?;
        } else {
            anstream::print!("{}", plan_text(kb, &assessment));
        }
        return Ok(ExitCode::SUCCESS);
    }
    exit_cleanly_on_interrupt();
    let source = devices::source(args.usb_from.as_deref(), args.sysfs_root.as_deref());
    let (usb_note, usb_readable) = look_at_usb(kb, source.as_ref(), &mut evidence);
    // A saved snapshot never changes, so there is nothing to watch in it.
    let watchable = usb_readable && args.usb_from.is_none();
    // Recent logs where Finder / iTunes / Apple Devices keep them are offered to the session.
    let recent_logs = if args.log.is_empty() {
        logs::recent_default_logs()
    } else {
        Vec::new()
    };
    let mut recorder = if args.no_save {
        None
    } else {
        CaseRecorder::open(db, resumed, &evidence, args.keep_ecid)
    };
    if let Some(r) = &recorder {
        anstream::println!(
            "{}",
            paint(
                DIM,
                &format!(
                    "Case {} (restore-doctor report {} writes its report).",
                    r.id, r.id
                )
            )
        );
    }
    let start = Start {
        recorder: recorder.as_mut().map(|r| r as &mut dyn Recorder),
        recent_logs,
        ask_device: evidence.device.is_none(),
        ask_code: args.code.is_none(),
        evidence,
        usb_note,
        usb: watchable.then_some(source.as_ref()),
    };
    let mut prompter = TerminalPrompter::new();
    let end = guided::run(kb, &mut prompter, start)?;
    Ok(match end.ending {
        Ending::NeedsRepair => ExitCode::from(1),
        Ending::Fixed(_) => ExitCode::SUCCESS,
        Ending::Stopped => {
            anstream::println!(
                "\nStopped. To pick up where you left off:\n  {}",
                resume_command(&end.evidence)
            );
            ExitCode::SUCCESS
        }
    })
}

/// Looks at USB once before the session: with exactly one Apple device attached, its model
/// (unless given) and what USB says (mode, hub, link speed) become evidence. Returns a line
/// telling the person what was seen, and whether USB could be read at all.
fn look_at_usb<'kb>(
    kb: &'kb Kb,
    source: &dyn DeviceSource,
    evidence: &mut Evidence<'kb>,
) -> (String, bool) {
    let devices = match source.snapshot(kb) {
        Ok(devices) => devices,
        Err(e) => return (format!("(USB not checked: {e}.)"), false),
    };
    let note = match devices.as_slice() {
        [] => "No iPhone or iPad is visible on USB right now.".to_owned(),
        [device] => {
            if evidence.device.is_none() {
                evidence.device = device
                    .product_type
                    .as_deref()
                    .and_then(|p| kb.find_device(p).ok());
            }
            let answered: Vec<String> = evidence
                .observations
                .iter()
                .map(|o| o.question.clone())
                .collect();
            evidence.observations.extend(
                usb::evidence::observations(&devices, source.is_live())
                    .into_iter()
                    .filter(|o| !answered.contains(&o.question)),
            );
            let model = device
                .name
                .clone()
                .unwrap_or_else(|| "an Apple device".to_owned());
            let speed = device
                .speed
                .map(|s| format!(", {} Mb/s", s.mbps()))
                .unwrap_or_default();
            let hubs = match device.external_hubs() {
                0 => ", straight into the computer".to_owned(),
                n => format!(", through {n} hub(s)"),
            };
            format!(
                "Found on USB: {model} in {} mode{speed}{hubs}.",
                device.mode.id()
            )
        }
        many => format!(
            "{} Apple devices are on USB; unplug the others so I can tell which one to look at.",
            many.len()
        ),
    };
    (note, true)
}

/// The command line that starts a session with everything this one learned.
fn resume_command(evidence: &Evidence) -> String {
    let mut command = "restore-doctor diagnose".to_owned();
    if let Some(code) = evidence.code {
        let _ = write!(command, " --code {}", kb::display_code(code));
    }
    if let Some(device) = evidence.device {
        let _ = write!(command, " --model {}", device.product_type);
    }
    for o in &evidence.observations {
        let _ = write!(command, " --observe {}={}", o.question, o.answer);
    }
    for a in &evidence.failed {
        let _ = write!(command, " --failed {a}");
    }
    for a in &evidence.unavailable {
        let _ = write!(command, " --cannot {a}");
    }
    command
}

/// Builds the starting evidence from the flags, checking every id against the kb so a typo is
/// a clear error listing the valid ids, before anything is asked.
fn evidence_from_args<'kb>(kb: &'kb Kb, args: &DiagnoseArgs) -> anyhow::Result<Evidence<'kb>> {
    let code = match &args.code {
        Some(text) => Some(kb::parse_code(text).map_err(|e| UsageError::new(e.to_string()))?),
        None => None,
    };
    let device = resolve_model(kb, args.model.model.as_deref())?;
    let mut observations = Vec::new();
    let mut code = code;
    for path in &args.log {
        let report = logs::read(kb, path)?;
        code = code.or(report.final_code);
        observations.extend(report.kb_observations());
    }
    for item in &args.observe {
        // What the person says overrides what a log suggested.
        let Some((question, answer)) = item.split_once('=') else {
            return Err(UsageError::new(format!(
                "--observe expects QUESTION=ANSWER (for example hub-in-path=yes), not '{item}'"
            ))
            .into());
        };
        observations.retain(|o: &Observation| o.question != question.trim());
        observations.push(Observation::new(question.trim(), answer.trim()));
    }
    let evidence = Evidence {
        code,
        device,
        observations,
        failed: args.failed.clone(),
        unavailable: args.cannot.clone(),
        declined: Vec::new(),
        prior: engine::Prior::default(),
    };
    // Validate ids now, so the interactive session never starts on a typo.
    engine::assess(kb, &evidence).map_err(|e| UsageError::new(e.to_string()))?;
    Ok(evidence)
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
        out.push_str(&output::wrap(note, "", WIDTH));
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

/// Rebuilds a saved case's evidence: code, model, answers, and the steps that failed, could
/// not be done or could not be answered. What the command line says is kept on top.
fn resume_evidence<'kb>(kb: &'kb Kb, case: &store::Case, evidence: &mut Evidence<'kb>) {
    evidence.code = evidence.code.or(case.code);
    if evidence.device.is_none() {
        evidence.device = case
            .product_type
            .as_deref()
            .and_then(|p| kb.find_device(p).ok());
    }
    for row in &case.evidence {
        if row.kind == "observation"
            && let Some(value) = &row.value
            && kb.question(&row.name).is_some_and(|q| q.has_answer(value))
            && !evidence.observations.iter().any(|o| o.question == row.name)
        {
            evidence
                .observations
                .push(Observation::new(row.name.clone(), value.clone()));
        }
    }
    for step in &case.steps {
        let list = match (step.kind.as_str(), step.outcome.as_str()) {
            ("action", "failed") => &mut evidence.failed,
            ("action", "cannot-do" | "skipped") => &mut evidence.unavailable,
            ("question", "unknown") => &mut evidence.declined,
            _ => continue,
        };
        if !list.contains(&step.step) {
            list.push(step.step.clone());
        }
    }
}

/// Writes the session into the case history as it goes. A store that fails is reported once
/// and then left alone: the session itself goes on.
struct CaseRecorder {
    store: store::Store,
    id: String,
    failed: bool,
}

impl CaseRecorder {
    fn open(
        db: Option<&std::path::Path>,
        resume: Option<String>,
        evidence: &Evidence,
        keep_ecid: bool,
    ) -> Option<CaseRecorder> {
        let opened = cases::open_store(db).and_then(|mut store| {
            let id = match resume {
                Some(id) => id,
                None => store.create_case(&store::NewCase {
                    ecid: None,
                    keep_ecid,
                    product_type: evidence.device.map(|d| d.product_type.clone()),
                    model: evidence.device.map(|d| d.model.clone()),
                    code: evidence.code,
                    port: None,
                })?,
            };
            Ok(CaseRecorder {
                store,
                id,
                failed: false,
            })
        });
        match opened {
            Ok(mut recorder) => {
                for o in &evidence.observations {
                    recorder.observed(o, "start");
                }
                Some(recorder)
            }
            Err(e) => {
                anstream::eprintln!("restore-doctor: this session is not saved: {e:#}");
                None
            }
        }
    }

    fn keep(&mut self, result: Result<(), store::StoreError>) {
        if let Err(e) = result
            && !self.failed
        {
            self.failed = true;
            anstream::eprintln!(
                "restore-doctor: saving the case failed, the session goes on unsaved: {e}"
            );
        }
    }
}

impl Recorder for CaseRecorder {
    fn context(&mut self, evidence: &Evidence) {
        let device = evidence.device;
        let result = self.store.set_device(
            &self.id,
            device.map(|d| d.product_type.as_str()),
            device.map(|d| d.model.as_str()),
            evidence.code,
        );
        self.keep(result);
    }

    fn observed(&mut self, o: &Observation, source: &str) {
        let result = self.store.add_evidence(
            &self.id,
            "observation",
            &o.question,
            Some(&o.answer),
            source,
        );
        self.keep(result);
    }

    fn step(&mut self, id: &str, kind: &str, outcome: StepOutcome) {
        let outcome = match outcome {
            StepOutcome::Fixed => "fixed",
            StepOutcome::Failed => "failed",
            StepOutcome::CannotDo => "cannot-do",
            StepOutcome::Skipped => "skipped",
            StepOutcome::Answered => "answered",
            StepOutcome::Unknown => "unknown",
        };
        let result = self.store.add_step(&self.id, id, kind, outcome);
        self.keep(result);
    }

    fn event(&mut self, kind: &str, port: Option<&str>, phase: Option<&str>, message: &str) {
        let result = self.store.add_event(&self.id, kind, port, phase, message);
        self.keep(result);
    }

    fn ended(&mut self, ending: &Ending, assessment: Option<&Assessment>) {
        let verdict = assessment.map(|a| {
            serde_json::json!({
                "causes": a.causes.iter().take(12).map(|c| serde_json::json!({"id": c.id, "probability": c.probability})).collect::<Vec<_>>(),
                "expected_cost_minutes": a.expected_cost_minutes,
            })
            .to_string()
        });
        let (status, fixed_by) = match ending {
            Ending::Fixed(by) => ("fixed", Some(by.as_str())),
            Ending::NeedsRepair => ("needs-repair", None),
            Ending::Stopped => ("open", None),
        };
        let result = self
            .store
            .finish(&self.id, status, fixed_by, verdict.as_deref());
        self.keep(result);
    }
}
