use super::*;
use kb::EvidenceSource::{Log, Person, Usb, Watch};

fn kb() -> &'static Kb {
    Kb::embedded().unwrap()
}

#[test]
fn a_measurement_beats_an_answer_which_beats_a_log() {
    let mut ledger = Ledger::new();
    let hub = Subject::answer("hub-in-path");
    assert_eq!(ledger.add(hub.clone(), "yes", Log), Merge::New);
    assert_eq!(
        ledger.add(hub.clone(), "no", Person),
        Merge::Replaced("yes".into())
    );
    assert_eq!(ledger.add(hub.clone(), "yes", Log), Merge::Overruled);
    assert_eq!(ledger.current(&hub).unwrap().value, "no");
    assert_eq!(
        ledger.add(hub.clone(), "yes", Usb),
        Merge::Replaced("no".into())
    );
    assert_eq!(ledger.add(hub.clone(), "no", Person), Merge::Overruled);
    assert_eq!(ledger.current(&hub).unwrap().value, "yes");
    assert_eq!(ledger.current(&hub).unwrap().source, Usb);
}

#[test]
fn the_later_word_wins_between_equals_and_a_repeat_is_not_recorded() {
    let mut ledger = Ledger::new();
    ledger.add(Subject::Code, "4013", Person);
    assert_eq!(ledger.add(Subject::Code, "4013", Person), Merge::Same);
    assert_eq!(ledger.entries().len(), 1);
    assert_eq!(
        ledger.add(Subject::Code, "4014", Person),
        Merge::Replaced("4013".into())
    );
    assert_eq!(ledger.code(), Some(4014));
    // A log's code does not override what the person said it was.
    assert_eq!(ledger.add(Subject::Code, "9", Log), Merge::Overruled);
    assert_eq!(ledger.code(), Some(4014));
}

#[test]
fn the_engine_sees_each_answer_once_whatever_its_sources() {
    let mut ledger = Ledger::new();
    ledger.add(Subject::answer("hub-in-path"), "yes", Log);
    ledger.add(Subject::answer("hub-in-path"), "yes", Person);
    ledger.add(Subject::answer("hub-in-path"), "yes", Watch);
    ledger.add(Subject::answer("not-a-question"), "yes", Person);
    ledger.add(Subject::answer("hub-in-path"), "maybe", Person);
    let evidence = ledger.evidence(kb(), Skipped::PutOff);
    assert_eq!(
        evidence.observations,
        vec![Observation::new("hub-in-path", "yes")]
    );
}

#[test]
fn a_skipped_step_comes_back_once_another_action_was_tried() {
    let mut ledger = Ledger::new();
    ledger.add(Subject::Code, "4013", Person);
    ledger.step("swap-cable", StepKind::Action, StepOutcome::Skipped);
    let now = ledger.evidence(kb(), Skipped::PutOff);
    assert_eq!(now.unavailable, vec!["swap-cable".to_owned()]);
    assert_eq!(ledger.skipped(), vec!["swap-cable"]);
    let back = ledger.evidence(kb(), Skipped::BroughtBack);
    assert!(back.unavailable.is_empty());
    ledger.step("change-port", StepKind::Action, StepOutcome::Failed);
    let later = ledger.evidence(kb(), Skipped::PutOff);
    assert!(later.unavailable.is_empty(), "{later:?}");
    assert_eq!(later.failed, vec!["change-port".to_owned()]);
    ledger.step("swap-cable", StepKind::Action, StepOutcome::CannotDo);
    assert!(ledger.skipped().is_empty());
    assert_eq!(
        ledger.evidence(kb(), Skipped::PutOff).unavailable,
        vec!["swap-cable".to_owned()]
    );
}

#[test]
fn model_and_code_reach_the_engine() {
    let mut ledger = Ledger::new();
    assert!(!ledger.has_evidence());
    ledger.add(Subject::Model, "iPhone9,3", Person);
    ledger.add(Subject::Model, "iPhone10,4", Usb);
    ledger.add(Subject::Code, "4013", Person);
    ledger.step("hub-in-path", StepKind::Question, StepOutcome::Unknown);
    let evidence = ledger.evidence(kb(), Skipped::PutOff);
    assert_eq!(evidence.device.unwrap().product_type, "iPhone10,4");
    assert_eq!(evidence.code, Some(4013));
    assert_eq!(evidence.declined, vec!["hub-in-path".to_owned()]);
    assert!(ledger.has_evidence());
}

#[test]
fn a_ledger_round_trips_through_json_with_its_documented_words() {
    let mut ledger = Ledger::new();
    ledger.add(Subject::answer("device-mode"), "dfu", Usb);
    ledger.step("dfu-restore", StepKind::Action, StepOutcome::CannotDo);
    ledger.event(
        EventKind::Drop,
        Some("1-4".into()),
        Some(Phase::RestoreOs),
        "gone",
    );
    ledger.finish(
        CaseStatus::NeedsRepair,
        None,
        Some(Verdict {
            causes: vec![CauseShare {
                id: "nand".into(),
                probability: 0.5,
            }],
            expected_cost_minutes: Some(60.0),
            note: None,
        }),
    );
    let json = serde_json::to_string(&ledger).unwrap();
    for word in [
        "\"usb\"",
        "\"cannot-do\"",
        "\"restore-os\"",
        "\"needs-repair\"",
    ] {
        assert!(json.contains(word), "{word} in {json}");
    }
    let back: Ledger = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ledger);
}

/// A verdict as it stood before the last step: the board and the storage chip on top.
fn board_first_verdict() -> Verdict {
    Verdict {
        causes: vec![
            CauseShare {
                id: "logic-board".into(),
                probability: 0.32,
            },
            CauseShare {
                id: "nand".into(),
                probability: 0.24,
            },
            CauseShare {
                id: "boot-firmware".into(),
                probability: 0.2,
            },
        ],
        expected_cost_minutes: Some(300.0),
        note: None,
    }
}

#[test]
fn a_fixed_case_names_what_its_fix_says_about_the_cause() {
    let mut ledger = Ledger::new();
    ledger.add(Subject::Code, "4013", Person);
    ledger.add(Subject::Model, "iPad7,5", Person);
    ledger.step("swap-cable", StepKind::Action, StepOutcome::Failed);
    ledger.step("dfu-restore", StepKind::Action, StepOutcome::Fixed);
    ledger.finish(
        CaseStatus::Fixed,
        Some("dfu-restore".into()),
        Some(board_first_verdict()),
    );
    let causes = ledger.final_causes(kb());
    let top = &causes[0];
    assert!(
        !kb().cause(&top.id).unwrap().hardware,
        "a DFU restore that worked points at software, not {causes:?}"
    );
    let share = |id: &str| {
        causes
            .iter()
            .find(|c| c.id == id)
            .map_or(0.0, |c| c.probability)
    };
    assert!(share("logic-board") < 0.05, "{causes:?}");
    assert!(
        share("cable") < share("firmware-state") / 4.0,
        "a new cable did not help: {causes:?}"
    );
    let total: f64 = causes.iter().map(|c| c.probability).sum();
    assert!((total - 1.0).abs() < 1e-6 || causes.len() == Verdict::MAX_CAUSES);
}

#[test]
fn a_case_that_was_not_fixed_keeps_its_verdict() {
    let mut ledger = Ledger::new();
    ledger.add(Subject::Code, "4013", Person);
    ledger.step("dfu-restore", StepKind::Action, StepOutcome::Failed);
    ledger.finish(CaseStatus::NeedsRepair, None, Some(board_first_verdict()));
    assert_eq!(ledger.final_causes(kb()), board_first_verdict().causes);
}

#[test]
fn an_old_verdict_without_a_note_still_reads_and_a_wrong_one_does_not() {
    let old = r#"{"causes":[{"id":"nand","probability":0.4}],"expected_cost_minutes":12.5}"#;
    let verdict: Verdict = serde_json::from_str(old).unwrap();
    assert_eq!(verdict.causes[0].id, "nand");
    assert!(serde_json::from_str::<Verdict>(r#"{"causes":"nand"}"#).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn source() -> impl Strategy<Value = EvidenceSource> {
        prop::sample::select(<EvidenceSource as kb::VariantArray>::VARIANTS.to_vec())
    }

    proptest! {
        /// Whatever order sources speak in, the answer that counts is the strongest source's
        /// latest word, and the engine sees one observation per question.
        #[test]
        fn the_current_answer_is_the_strongest_latest(
            said in prop::collection::vec((source(), prop::sample::select(vec!["yes", "no"])), 1..12)
        ) {
            let mut ledger = Ledger::new();
            for (s, answer) in &said {
                ledger.add(Subject::answer("hub-in-path"), *answer, *s);
            }
            let strongest = said.iter().map(|(s, _)| s.strength()).max().unwrap();
            let expected = said.iter().rev().find(|(s, _)| s.strength() == strongest).unwrap().1;
            prop_assert_eq!(ledger.current(&Subject::answer("hub-in-path")).unwrap().value.as_str(), expected);
            let evidence = ledger.evidence(kb(), Skipped::PutOff);
            prop_assert_eq!(evidence.observations.len(), 1);
        }
    }
}
