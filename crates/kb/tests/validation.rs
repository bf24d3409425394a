//! The validator catches broken data: each test breaks one thing in a copy of the real data
//! files and checks that loading fails with a message naming the problem.

use kb::{Kb, KbError, KbFiles};

fn problems_after(edit: impl FnOnce(&mut KbFiles)) -> Vec<String> {
    let mut files = KbFiles::embedded();
    edit(&mut files);
    match Kb::load(&files) {
        Ok(_) => Vec::new(),
        Err(KbError::Invalid(problems)) => problems
            .iter()
            .map(|p| format!("{} [{}]: {}", p.file, p.entry, p.message))
            .collect(),
        Err(other) => vec![other.to_string()],
    }
}

fn replace_once(text: &mut String, from: &str, to: &str) {
    assert!(text.contains(from), "fixture text {from:?} not found");
    *text = text.replacen(from, to, 1);
}

#[test]
fn unbroken_data_has_no_problems() {
    assert_eq!(problems_after(|_| {}), Vec::<String>::new());
}

#[test]
fn a_dangling_cause_id_is_caught() {
    let problems = problems_after(|f| replace_once(&mut f.actions, "cable = 0.85", "cabel = 0.85"));
    assert!(
        problems.iter().any(|p| p.contains("actions.toml [swap-cable]") && p.contains("unknown cause 'cabel'")),
        "{problems:?}"
    );
}

#[test]
fn a_dangling_action_in_apples_steps_is_caught() {
    let problems = problems_after(|f| {
        replace_once(
            &mut f.categories,
            "\"update-host-software\", \"restart-both\"",
            "\"update-host-software\", \"reboot-everything\"",
        )
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("unknown action 'reboot-everything'")),
        "{problems:?}"
    );
}

#[test]
fn a_dangling_group_and_dfu_family_are_caught() {
    let problems = problems_after(|f| {
        replace_once(
            &mut f.causes,
            "applies_to = [\"iphone-7\"]",
            "applies_to = [\"iphone-seven\"]",
        );
        replace_once(
            &mut f.devices,
            "dfu = \"iphone-7\"",
            "dfu = \"iphone-seven\"",
        );
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("unknown group 'iphone-seven'")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("unknown DFU family 'iphone-seven'")),
        "{problems:?}"
    );
}

#[test]
fn a_probability_out_of_range_is_caught() {
    let problems =
        problems_after(|f| replace_once(&mut f.actions, "host-port = 0.9", "host-port = 1.9"));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("[change-port]") && p.contains("P(fix | host-port) is 1.9")),
        "{problems:?}"
    );
    let problems = problems_after(|f| replace_once(&mut f.causes, "prior = 0.22", "prior = -0.2"));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("[cable]") && p.contains("prior is -0.2")),
        "{problems:?}"
    );
}

#[test]
fn a_question_row_that_does_not_sum_to_one_is_caught() {
    let problems = problems_after(|f| {
        replace_once(
            &mut f.questions,
            "audio-ic = { yes = 0.8, no = 0.2 }",
            "audio-ic = { yes = 0.8, no = 0.3 }",
        )
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("[voice-memos-greyed]") && p.contains("sums to 1.1")),
        "{problems:?}"
    );
}

#[test]
fn an_entry_without_a_source_is_caught() {
    let problems = problems_after(|f| {
        replace_once(
            &mut f.codes,
            "sources = [\"P-3194a\", \"S2\", \"apple-108308\"]",
            "sources = []",
        )
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("[code 3194]: has no sources")),
        "{problems:?}"
    );
}

#[test]
fn an_unknown_source_id_is_caught() {
    let problems = problems_after(|f| {
        replace_once(
            &mut f.causes,
            "sources = [\"rossmann-4013\"]",
            "sources = [\"my-uncle\"]",
        )
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("unknown source 'my-uncle'")),
        "{problems:?}"
    );
}

#[test]
fn a_code_described_twice_is_caught() {
    let problems = problems_after(|f| replace_once(&mut f.codes, "code = 4016", "code = 4013"));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("[code 4013]: code is described twice")),
        "{problems:?}"
    );
}

#[test]
fn a_typo_in_a_field_name_is_a_parse_error() {
    let mut files = KbFiles::embedded();
    replace_once(&mut files.actions, "cost_minutes = 15", "cost_minuts = 15");
    let err = Kb::load(&files).unwrap_err().to_string();
    assert!(err.contains("\n  actions.toml [line "), "{err}");
    assert!(err.contains("cost_minuts"), "{err}");
}

/// The tool message table is checked with the rest: a failure a tool prints must map to a
/// phase, and a message must name a known component.
#[test]
fn a_tool_failure_without_a_phase_is_caught() {
    let found = problems_after(|f| {
        replace_once(
            &mut f.tool_messages,
            "{ level = \"error\", text = \"Unable to connect to ASR client\"",
            "{ level = \"error\", text = \"Unable to connect to ASR client\", phase = \"none\"",
        )
    });
    assert!(
        found.iter().any(|p| p.contains("a failure with no phase")),
        "{found:?}"
    );
    let found = problems_after(|f| {
        replace_once(
            &mut f.tool_messages,
            "name = \"restore_send_baseband_data\"\nphase = \"firmware\"\ncomponent = \"baseband\"",
            "name = \"restore_send_baseband_data\"\nphase = \"firmware\"\ncomponent = \"modem\"",
        )
    });
    assert!(
        found
            .iter()
            .any(|p| p.contains("unknown component 'modem'")),
        "{found:?}"
    );
}

#[test]
fn every_unreadable_file_is_named_with_its_line_not_only_the_first() {
    let mut files = KbFiles::embedded();
    replace_once(&mut files.actions, "cost_minutes = 15", "cost_minuts = 15");
    files.devices.push_str("\n[[device]\n");
    files.real_cases.push_str("\n{not json\n");
    let problems = Kb::load(&files).unwrap_err().problems();
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let typo_line = files
        .actions
        .lines()
        .position(|l| l.contains("cost_minuts"))
        .unwrap()
        + 1;
    assert!(
        lines[0].starts_with(&format!("actions.toml [line {typo_line}, column ")),
        "{lines:?}"
    );
    assert!(lines[0].contains("cost_minuts"), "{lines:?}");
    assert!(lines[1].starts_with("devices.toml [line "), "{lines:?}");
    let last_case = files.real_cases.lines().count();
    assert!(
        lines[2].starts_with(&format!("real-cases.jsonl [line {last_case}]: ")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.contains('\n')), "{lines:?}");
}

#[test]
fn every_inconsistency_is_named_on_its_own_line() {
    let mut files = KbFiles::embedded();
    replace_once(&mut files.codes, "code = 4016", "code = 4013");
    replace_once(
        &mut files.actions,
        "cost_minutes = 15",
        "cost_minutes = -15",
    );
    let problems = Kb::load(&files).unwrap_err().problems();
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("codes.toml [code 4013]: ")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("actions.toml [")),
        "{lines:?}"
    );
}
