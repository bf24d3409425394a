//! The guided session and `diagnose --plan --json` take the same path for the same person: a
//! few answer keys of the real cases are replayed through `--plan` one step at a time (answers
//! as `--observe`, "I don't know" as `--observe QUESTION=unknown`, failed steps as `--failed`),
//! then the interactive session is run with the answers that path needs; the session's saved
//! steps, the `--plan` path and the engine's own replay must be the same.

use engine::replay::{Policy, replay};
use kb::{AnswerKey, Kb, StepKind};

use crate::harness::{run, run_with_stdin};

const KEY: &str = include_str!("../../crates/engine/tests/data/answers.jsonl");

/// A tool user without a code, a hardware 4013 whose error repeats, an erased phone fixed by
/// a DFU restore, a case without model or backup, and one fixed by leaving recovery mode.
const CASES: [&str; 5] = [
    "gh-idevicerestore-363-windriver",
    "chakoku-iphone7-4013",
    "suzukineko-iphone5-dfu",
    "kobomo-75",
    "jasonq-recboot-recovery",
];

fn kb() -> &'static Kb {
    Kb::embedded().expect("kb")
}

/// The steps the person of `key` takes when each step is the first of `diagnose --plan`.
fn plan_path(key: &AnswerKey) -> Vec<(StepKind, String)> {
    let mut args: Vec<String> = ["--no-learn", "diagnose", "--plan", "--json"]
        .map(String::from)
        .to_vec();
    if let Some(code) = key.code {
        args.extend(["--code".to_owned(), code.to_string()]);
    }
    if let Some(device) = key.device {
        args.extend(["--model".to_owned(), device.product_type.clone()]);
    }
    for id in &key.failed {
        args.extend(["--failed".to_owned(), id.clone()]);
    }
    let mut path = Vec::new();
    for _ in 0..engine::replay::MAX_STEPS {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&words);
        out.success();
        let json = out.json();
        let Some(step) = json["plan"].as_array().and_then(|p| p.first()).cloned() else {
            break;
        };
        let id = step["id"].as_str().expect("an id").to_owned();
        if step["kind"] == "question" {
            let answer = key.answer(&id).unwrap_or(kb::UNKNOWN_ANSWER);
            args.extend(["--observe".to_owned(), format!("{id}={answer}")]);
            path.push((StepKind::Question, id));
            continue;
        }
        let action = kb().action(&id).expect("a kb action");
        path.push((StepKind::Action, id.clone()));
        if key.fix.contains(&id) || action.escalation {
            break;
        }
        args.extend(["--failed".to_owned(), id.clone()]);
        // The follow-up after a failed restore: the same number again.
        if action.worked.is_none()
            && key.code.is_some()
            && key.answer("error-repeats") == Some("yes")
            && !args.iter().any(|a| a.starts_with("error-repeats="))
        {
            args.extend(["--observe".to_owned(), "error-repeats=yes".to_owned()]);
            path.push((StepKind::Question, "error-repeats".to_owned()));
        }
    }
    path
}

/// What the person types in the guided session to take this path.
fn session_input(key: &AnswerKey, path: &[(StepKind, String)]) -> String {
    let mut lines: Vec<String> = Vec::new();
    if key.device.is_none() {
        lines.push(String::new());
    }
    if key.code.is_none() {
        lines.push(String::new());
    }
    let choices: Vec<&str> = kb()
        .actions
        .iter()
        .filter(|a| !a.escalation)
        .map(|a| a.id.as_str())
        .collect();
    let tried: Vec<String> = key
        .failed
        .iter()
        .map(|id| (choices.iter().position(|c| c == id).unwrap() + 1).to_string())
        .collect();
    lines.push(tried.join(" "));
    // No sign named in the checklist: the person answers each question as it comes, as
    // `--plan` asks it.
    lines.push(String::new());
    let mut steps = path.iter().peekable();
    while let Some((kind, id)) = steps.next() {
        if *kind == StepKind::Question {
            lines.push(key.answer(id).unwrap_or("unknown").to_owned());
            continue;
        }
        let action = kb().action(id).unwrap();
        if action.escalation {
            break;
        }
        if action.erases_data {
            lines.push("erase".to_owned());
        }
        if id == "dfu-restore"
            && key
                .device
                .is_some_and(|d| kb().dfu_family(&d.dfu).is_some())
        {
            lines.push("known".to_owned());
        }
        if key.fix.contains(id) {
            lines.push("fixed".to_owned());
            break;
        }
        lines.push("failed".to_owned());
        if action.worked.is_none() {
            // "Did the error number change?": the same number, when the person knows it
            // comes back; the path shows it as the answer to error-repeats.
            let same = key.code.is_some()
                && key.answer("error-repeats") == Some("yes")
                && steps
                    .peek()
                    .is_some_and(|(k, q)| *k == StepKind::Question && q == "error-repeats");
            if same {
                steps.next();
            }
            lines.push(if same { "same" } else { "none" }.to_owned());
        }
    }
    lines.push("q".to_owned());
    lines.join("\n") + "\n"
}

#[test]
fn the_session_and_the_plan_take_the_same_path_for_the_same_person() {
    let keys = kb().parse_answer_keys(KEY).expect("the dev key");
    let usb = tempfile::tempdir().unwrap();
    for id in CASES {
        let key = keys.iter().find(|k| k.id == id).expect("a key of the list");
        let path = plan_path(key);
        let engine = replay(kb(), key, &Policy::Session(engine::Prior::Calibrated))
            .expect("the engine replays it");
        assert_eq!(path, engine.path, "{id}: --plan and the engine's replay");

        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cases.sqlite").display().to_string();
        let mut args = vec![
            "--no-learn",
            "--db",
            &db,
            "diagnose",
            "--sysfs-root",
            usb.path().to_str().unwrap(),
        ];
        let code = key.code.map(|c| c.to_string());
        if let Some(code) = &code {
            args.extend(["--code", code]);
        }
        if let Some(device) = key.device {
            args.extend(["--model", &device.product_type]);
        }
        let session = run_with_stdin(&args, session_input(key, &path).as_bytes());
        let report = run(&["--db", &db, "report", "--format", "json"]).json();

        let steps: Vec<(StepKind, String)> = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let kind = if s["kind"] == "question" {
                    StepKind::Question
                } else {
                    StepKind::Action
                };
                (kind, s["step"].as_str().unwrap().to_owned())
            })
            .collect();
        // The session records what was tried before it as failed steps first.
        let tried = key.failed.len();
        assert_eq!(
            steps[..tried]
                .iter()
                .map(|(_, id)| id.as_str())
                .collect::<Vec<_>>(),
            key.failed.iter().map(String::as_str).collect::<Vec<_>>(),
            "{id}: {}",
            session.stdout
        );
        // A verdict is not a step the person took.
        let expected: Vec<_> = path
            .iter()
            .filter(|(_, s)| kb().action(s).is_none_or(|a| !a.escalation))
            .cloned()
            .collect();
        assert_eq!(
            steps[tried..],
            expected,
            "{id}: the session\n{}",
            session.stdout
        );
    }
}
