use super::*;
use crate::ops::Context;
use crate::session::prompter::ScriptedPrompter;

fn kb() -> &'static Kb {
    Kb::embedded().unwrap()
}

/// A ledger in which the person could answer no question, so only actions are offered.
fn no_questions() -> Ledger {
    let mut ledger = Ledger::new();
    for q in &kb().questions {
        ledger.step(q.id.clone(), StepKind::Question, StepOutcome::Unknown);
    }
    ledger
}

fn with(mut ledger: Ledger, facts: &[(Subject, &str)]) -> Ledger {
    for (subject, value) in facts {
        ledger.add(subject.clone(), *value, EvidenceSource::Person);
    }
    ledger
}

fn failed(ledger: &mut Ledger, actions: &[&str]) {
    for a in actions {
        ledger.step(*a, StepKind::Action, StepOutcome::Failed);
    }
}

fn evidence(ledger: &Ledger) -> engine::Evidence<'static> {
    ledger.evidence(kb(), Skipped::PutOff)
}

#[test]
fn an_ipad_is_called_an_ipad_from_the_moment_its_model_is_known() {
    let mut p = ScriptedPrompter::new(&["iPad7,5", "4013", "fixed"]);
    run(
        &Context::default(),
        kb(),
        &mut p,
        Start {
            ask_device: true,
            ask_code: true,
            ..Start::quiet(no_questions())
        },
    )
    .unwrap();
    let after_model = &p.transcript[p.transcript.find("4013").unwrap()..];
    assert!(
        after_model.contains("the iPad lost its USB connection"),
        "{}",
        p.transcript
    );
    assert!(!after_model.contains("phone"), "{after_model}");
}

#[test]
fn a_cable_fault_ends_fixed_at_the_first_step() {
    let mut p = ScriptedPrompter::new(&["iPhone 12", "4013", "fixed"]);
    let end = run(
        &Context::default(),
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
            .contains("4013: the phone lost its USB connection"),
        "the code in one plain line: {}",
        p.transcript
    );
    assert!(
        p.transcript.contains("Most likely fixed within about"),
        "{}",
        p.transcript
    );
    assert!(
        p.transcript
            .contains("Fixed: Use a different, certified cable.")
    );
    assert_eq!(end.ledger.status(), CaseStatus::Fixed);
    assert_eq!(end.ledger.fixed_by(), Some("swap-cable"));
}

#[test]
fn iphone_7_with_greyed_voice_memos_reaches_the_audio_ic_verdict_in_a_few_steps() {
    let start = with(
        Ledger::new(),
        &[
            (Subject::Code, "4013"),
            (Subject::Model, "iPhone9,3"),
            (Subject::answer("voice-memos-greyed"), "yes"),
        ],
    );
    // A backup exists, the phone stopped starting by itself and shows recovery mode; every
    // later question is answered "yes", every action fails with the same number.
    let answers = [
        "yes",
        "by-itself",
        "recovery",
        "failed",
        "same",
        "yes",
        "failed",
        "same",
        "yes",
        "failed",
        "same",
    ];
    let mut p = ScriptedPrompter::new(&answers);
    let end = run(&Context::default(), kb(), &mut p, Start::quiet(start)).unwrap();
    assert_eq!(end.ending, Ending::NeedsRepair, "{}", p.transcript);
    assert!(end.ledger.steps().len() <= 5, "{}", p.transcript);
    assert!(
        p.transcript
            .contains("Verdict: the phone most likely needs a repair bench")
    );
    assert!(
        p.transcript.contains("to check first: audio IC failure"),
        "{}",
        p.transcript
    );
    assert!(
        !p.transcript
            .contains("speaker (speakerphone) option greyed"),
        "the speaker question repeats the Voice Memos one: {}",
        p.transcript
    );
}

#[test]
fn failures_change_the_plan_and_are_not_offered_again() {
    let mut p = ScriptedPrompter::new(&["", "4013", "failed", "same", "failed", "same", "q"]);
    let end = run(
        &Context::default(),
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
    let failed = evidence(&end.ledger).failed;
    assert_eq!(failed.len(), 2, "{}", p.transcript);
    assert_ne!(failed[0], failed[1]);
    assert_eq!(
        end.ledger
            .current(&Subject::answer("error-repeats"))
            .map(|e| e.value.as_str()),
        Some("yes"),
        "'the same number' answers the repeat question"
    );
}

/// A phone left in recovery mode by a failed update is first told to leave it, and success for
/// that step is the phone starting, not a finished restore.
#[test]
fn leaving_recovery_mode_comes_first_after_a_failed_update() {
    let start = with(
        no_questions(),
        &[
            (Subject::Code, "4013"),
            (Subject::answer("device-mode"), "recovery"),
            (Subject::answer("mode-entered-by"), "failed-update"),
        ],
    );
    let start_again = start.clone();
    let mut p = ScriptedPrompter::new(&["fixed"]);
    let end = run(&Context::default(), kb(), &mut p, Start::quiet(start)).unwrap();
    assert_eq!(
        end.ending,
        Ending::Fixed("exit-recovery-mode".to_owned()),
        "{}",
        p.transcript
    );
    assert!(
        p.transcript
            .contains("It worked: the phone starts iOS again"),
        "{}",
        p.transcript
    );
    assert!(p.transcript.contains("system whole"), "{}", p.transcript);
    // Leaving recovery mode runs no restore, so there is no new error number to ask about.
    let mut p = ScriptedPrompter::new(&["failed", "q"]);
    run(&Context::default(), kb(), &mut p, Start::quiet(start_again)).unwrap();
    assert!(
        !p.transcript.contains("Did the error number change")
            && !p.transcript.contains("Did it show an error number"),
        "{}",
        p.transcript
    );
}

#[test]
fn a_new_error_number_after_a_failed_step_redoes_the_plan() {
    let start = with(no_questions(), &[(Subject::Code, "4013")]);
    let mut p = ScriptedPrompter::new(&["failed", "new", "3194", "q"]);
    let end = run(&Context::default(), kb(), &mut p, Start::quiet(start)).unwrap();
    assert_eq!(end.ledger.code(), Some(3194), "{}", p.transcript);
    assert!(
        end.ledger
            .events()
            .iter()
            .any(|e| e.kind == EventKind::CodeChange && e.message.contains("4013 became 3194")),
        "{:?}",
        end.ledger.events()
    );
    let after = p.transcript.rsplit("Which number now?").next().unwrap();
    assert!(after.contains("3194: "), "{after}");
    assert!(
        after.contains("Next:") && !after.contains("Next: Use a different, certified cable"),
        "the plan is redone for 3194: {after}"
    );
}

#[test]
fn a_skipped_step_comes_back_later() {
    let start = with(no_questions(), &[(Subject::Code, "4013")]);
    let mut p = ScriptedPrompter::new(&["skip", "failed", "none", "q"]);
    let end = run(&Context::default(), kb(), &mut p, Start::quiet(start)).unwrap();
    let offers: Vec<&str> = p
        .transcript
        .lines()
        .filter(|l| l.starts_with("Next: "))
        .collect();
    assert_eq!(offers.len(), 3, "{}", p.transcript);
    assert_eq!(
        offers[0], offers[2],
        "the skipped step is offered again after another was tried"
    );
    assert!(
        !evidence(&end.ledger)
            .unavailable
            .contains(&"swap-cable".to_owned())
    );
}

#[test]
fn no_more_than_three_questions_come_before_the_first_action() {
    let mut start = with(
        Ledger::new(),
        &[(Subject::Code, "4013"), (Subject::Model, "iPhone 7")],
    );
    // Steps tried before the session (on the command line) do not open the budget again.
    start.step("dfu-restore", StepKind::Action, StepOutcome::Failed);
    let mut p = ScriptedPrompter::new(&["unknown"; 12]);
    run(&Context::default(), kb(), &mut p, Start::quiet(start)).unwrap();
    let before_action = p.transcript.split("Next:").next().unwrap();
    let questions = before_action.matches("Question:").count();
    assert!(
        p.transcript.contains("Next:"),
        "an action comes: {}",
        p.transcript
    );
    assert!(questions <= 3, "{questions} questions: {before_action}");
}

/// Between two actions, too, at most three questions come in a row.
#[test]
fn questions_come_at_most_three_in_a_row_between_actions() {
    let start = with(
        Ledger::new(),
        &[
            (Subject::Code, "4013"),
            (Subject::answer("backup-available"), "no"),
            (Subject::answer("restore-tool"), "itunes"),
            (Subject::answer("mode-entered-by"), "failed-update"),
            (Subject::answer("device-mode"), "recovery"),
        ],
    );
    // Three questions come first here, then leaving recovery mode, which fails.
    let mut script = vec!["unknown", "unknown", "unknown", "failed"];
    script.extend(["unknown"; 12]);
    script.push("q");
    let mut p = ScriptedPrompter::new(&script);
    run(&Context::default(), kb(), &mut p, Start::quiet(start)).unwrap();
    assert!(
        p.transcript.matches("Next:").count() >= 2,
        "{}",
        p.transcript
    );
    for stretch in p.transcript.split("Next:") {
        let questions = stretch.matches("Question:").count();
        assert!(questions <= 3, "{questions} questions in a row: {stretch}");
    }
}

#[test]
fn bad_model_and_code_are_asked_again_with_a_hint() {
    let mut p = ScriptedPrompter::new(&["iphne 7", "iPhone 7", "abc", "4013", "q"]);
    let end = run(
        &Context::default(),
        kb(),
        &mut p,
        Start {
            ask_device: true,
            ask_code: true,
            ..Start::quiet(Ledger::new())
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
    assert_eq!(end.ledger.code(), Some(4013));
    let model = kb()
        .find_device(end.ledger.product_type().unwrap())
        .unwrap();
    assert_eq!(model.model, "iPhone 7");
    assert_eq!(end.ledger.entries()[0].source, EvidenceSource::Person);
}

/// A message pasted at the error prompt is read as a log line: said in words, its phase and
/// failed step taken as evidence, and the number is not asked again.
#[test]
fn a_pasted_message_at_the_error_prompt_becomes_evidence() {
    let mut p = ScriptedPrompter::new(&[
        "iPhone 7",
        "ERROR: Unable to connect to device in restore mode",
        "q",
    ]);
    let end = run(
        &Context::default(),
        kb(),
        &mut p,
        Start {
            ask_device: true,
            ask_code: true,
            ..Start::quiet(Ledger::new())
        },
    )
    .unwrap();
    assert!(
        p.transcript.contains("That is idevicerestore's message")
            && p.transcript.contains(kb::Phase::RecoveryBoot.words()),
        "{}",
        p.transcript
    );
    assert!(
        !p.transcript.contains("not an error code"),
        "{}",
        p.transcript
    );
    assert_eq!(end.ledger.code(), None);
    let phase = end
        .ledger
        .entries()
        .iter()
        .find(|e| e.subject == Subject::answer("failed-phase"))
        .expect("the phase is evidence");
    assert_eq!(phase.value, "recovery-boot");
    assert_eq!(phase.source, EvidenceSource::Log);
}

/// Everything cheap has failed on an iPhone 12 stuck in a boot loop.
fn restore_is_next(backup: &str) -> Ledger {
    let mut ledger = with(
        no_questions(),
        &[
            (Subject::Code, "4013"),
            (Subject::Model, "iPhone 12"),
            (Subject::answer("backup-available"), backup),
            (Subject::answer("boot-loop"), "yes"),
        ],
    );
    failed(
        &mut ledger,
        &[
            "swap-cable",
            "change-port",
            "remove-hub",
            "clean-device-port",
            "update-host-software",
            "restart-both",
            "try-update-instead",
            "different-computer",
        ],
    );
    ledger
}

#[test]
fn an_erase_needs_the_typed_word_and_says_what_is_lost() {
    for not_the_word in ["1", "e", "yes", ""] {
        let mut p = ScriptedPrompter::new(&[not_the_word, "q"]);
        let end = run(
            &Context::default(),
            kb(),
            &mut p,
            Start::quiet(restore_is_next("no")),
        )
        .unwrap();
        assert!(
            p.transcript.contains("Type erase to go ahead"),
            "{}",
            p.transcript
        );
        assert!(
            p.transcript.contains("data-recovery service"),
            "without a backup the loss is said in plain words: {}",
            p.transcript
        );
        let last = end.ledger.steps().last().unwrap();
        assert!(
            last.outcome == StepOutcome::Declined && kb().action(&last.id).unwrap().erases_data,
            "'{not_the_word}' does not erase: {:?}",
            end.ledger.steps().last()
        );
    }
    let mut p = ScriptedPrompter::new(&["erase", "known", "fixed"]);
    let end = run(
        &Context::default(),
        kb(),
        &mut p,
        Start::quiet(restore_is_next("yes")),
    )
    .unwrap();
    assert!(
        matches!(&end.ending, Ending::Fixed(by) if kb().action(by).unwrap().erases_data),
        "{}",
        p.transcript
    );
    assert!(
        p.transcript
            .contains("your backup is what brings the data back")
    );
}

#[test]
fn the_dfu_coach_is_offered_before_a_dfu_restore_and_q_stops_it_at_once() {
    // Code 68 points at the phone's software state; with a backup, and a recovery restore
    // the person cannot do, DFU restore comes first.
    let start = || {
        let mut ledger = with(
            no_questions(),
            &[
                (Subject::Code, "68"),
                (Subject::Model, "iPhone 12"),
                (Subject::answer("backup-available"), "yes"),
            ],
        );
        ledger.step("recovery-restore", StepKind::Action, StepOutcome::CannotDo);
        ledger
    };
    let mut p = ScriptedPrompter::new(&["erase", "coach", "", "fixed"]);
    let end = run(&Context::default(), kb(), &mut p, Start::quiet(start())).unwrap();
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
    let mut p = ScriptedPrompter::new(&["erase", "coach", "q"]);
    let end = run(&Context::default(), kb(), &mut p, Start::quiet(start())).unwrap();
    assert_eq!(end.ending, Ending::Stopped);
    assert_eq!(p.countdown_seconds, 0, "nothing counted after q");
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
        ..Start::quiet(with(no_questions(), &[(Subject::Code, "4013")]))
    };
    let end = run(&Context::default(), kb(), &mut p, start).unwrap();
    assert!(
        p.transcript.contains("the 4013 pattern"),
        "{}",
        p.transcript
    );
    let seen = |q: &str, a: &str| {
        end.ledger
            .current(&Subject::answer(q))
            .is_some_and(|e| e.value == a && e.source == EvidenceSource::Watch)
    };
    assert!(seen("disconnect-during-restore", "yes"));
    assert!(seen("failed-phase", "restore-os"));
    assert!(
        end.ledger
            .events()
            .iter()
            .any(|e| e.kind == EventKind::Drop)
    );
    assert_eq!(
        evidence(&end.ledger).failed.len(),
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
    let end = run(&Context::default(), kb(), &mut p, start).unwrap();
    assert!(
        p.transcript.contains("I found 1 restore log(s)"),
        "{}",
        p.transcript
    );
    assert!(
        !p.transcript.contains(&dir.path().display().to_string()),
        "only the file name is shown"
    );
    assert_eq!(end.ledger.code(), Some(3194));
    assert_eq!(
        end.ledger.current(&Subject::Code).unwrap().source,
        EvidenceSource::Log
    );
    assert!(
        !p.transcript.contains("What error number"),
        "the code came from the log"
    );
    assert!(
        evidence(&end.ledger)
            .observations
            .contains(&Observation::new("failed-phase", "personalize"))
    );
}

/// A question a log can answer takes a pasted line: a failed NFC update read from it is the
/// log's evidence; a line that says nothing about it is asked about again.
#[test]
fn a_pasted_log_line_answers_the_firmware_question() {
    let step = Step {
        kind: StepKind::Question,
        id: "firmware-step-failed".to_owned(),
        p_fix: None,
        cost_minutes: 1.0,
        time_minutes: 1.0,
        erases_data: false,
        addresses: Vec::new(),
        expected_remaining_minutes: 0.0,
        why: "Answering takes about 1 min.".to_owned(),
    };
    let mut p = ScriptedPrompter::new(&[
        "paste",
        "Restore completed",
        "paste",
        "update_stockholm: NfRestore Failed with error 6",
    ]);
    let mut session = Session {
        ctx: &Context::default(),
        kb: kb(),
        prompter: &mut p,
        ledger: Ledger::new(),
        usb: None,
        keeper: None,
    };
    assert!(session.ask(&step).unwrap());
    let ledger = session.ledger;
    let answer = ledger
        .current(&Subject::answer("firmware-step-failed"))
        .expect("answered from the line");
    assert_eq!(answer.value, "nfc");
    assert_eq!(answer.source, EvidenceSource::Log);
    assert!(
        p.transcript.contains("That line does not say"),
        "{}",
        p.transcript
    );
    assert!(
        p.transcript
            .contains("Read from the line: The NFC controller update."),
        "{}",
        p.transcript
    );
    assert_eq!(ledger.steps().len(), 1, "one question, answered once");
}

/// The signs a person already knows are said in one checklist, in the kb's words for this
/// model, and each picked one is that question's "yes": it is not asked again.
#[test]
fn known_signs_are_said_in_one_step_and_not_asked_again() {
    let iphone7 = kb().find_device("iPhone9,3").unwrap();
    let groups = kb().groups_of(iphone7);
    let signs: Vec<&str> = kb()
        .questions
        .iter()
        .filter(|q| q.symptom.is_some())
        .filter(|q| {
            q.applies_to.is_empty() || q.applies_to.iter().any(|g| groups.contains(&g.as_str()))
        })
        .map(|q| q.id.as_str())
        .collect();
    assert!(
        !signs.contains(&"face-id-failed"),
        "no Face ID on an iPhone 7"
    );
    let number = |id: &str| signs.iter().position(|s| *s == id).unwrap() + 1;
    let picked = format!("{} {}", number("voice-memos-greyed"), number("boot-loop"));
    // Nothing tried; two signs, one of them mistyped first.
    let mut p = ScriptedPrompter::new(&["", "0", &picked]);
    let start = with(
        Ledger::new(),
        &[(Subject::Model, "iPhone9,3"), (Subject::Code, "4013")],
    );
    let end = run(
        &Context::default(),
        kb(),
        &mut p,
        Start {
            ask_tried: true,
            ..Start::quiet(start)
        },
    )
    .unwrap();
    assert!(
        p.transcript
            .contains("Voice Memos or the speakerphone button was greyed out"),
        "{}",
        p.transcript
    );
    assert!(
        p.transcript.contains("there is no option 0"),
        "{}",
        p.transcript
    );
    for id in ["voice-memos-greyed", "boot-loop"] {
        let entry = end.ledger.current(&Subject::answer(id)).expect(id);
        assert_eq!(
            (entry.value.as_str(), entry.source),
            ("yes", EvidenceSource::Person)
        );
    }
    assert!(
        !p.transcript
            .contains("Question: Before the trouble started, were the Voice Memos"),
        "{}",
        p.transcript
    );
}
