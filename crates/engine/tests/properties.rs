//! Invariants of the belief update and the planner, on the real kb and on random evidence.

use engine::model::Model;
use engine::{Evidence, StepKind, assess, posterior};
use kb::{Kb, Observation};
use proptest::prelude::*;

fn kb() -> &'static Kb {
    Kb::embedded().expect("embedded kb")
}

/// Random but valid evidence: a code from the kb (or none), a device (or none), some
/// answered questions and some failed actions.
/// Indexes into the kb: code, device, (question, answer) pairs, failed actions.
type RawEvidence = (
    Option<usize>,
    Option<usize>,
    Vec<(usize, usize)>,
    Vec<usize>,
);

fn evidence_strategy() -> impl Strategy<Value = RawEvidence> {
    let kb = kb();
    (
        proptest::option::of(0..kb.codes.len()),
        proptest::option::of(0..kb.devices.len()),
        proptest::collection::vec((0..kb.questions.len(), 0..6usize), 0..4),
        proptest::collection::vec(0..kb.actions.len(), 0..4),
    )
}

fn build(raw: &RawEvidence) -> Evidence<'static> {
    let kb = kb();
    let (code, device, answers, failed) = raw;
    Evidence {
        code: code.map(|i| kb.codes[i].numbers()[0]),
        device: device.map(|i| &kb.devices[i]),
        observations: answers
            .iter()
            .map(|(q, a)| {
                let q = &kb.questions[*q];
                Observation::new(q.id.clone(), q.answers[a % q.answers.len()].clone())
            })
            .collect(),
        failed: failed
            .iter()
            .map(|a| kb.actions[*a].id.clone())
            .filter(|id| id != "professional-repair")
            .collect(),
        unavailable: Vec::new(),
        declined: Vec::new(),
        questions_in_a_row: 0,
        prior: engine::Prior::default(),
        local: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_posterior_sums_to_one(raw in evidence_strategy()) {
        let evidence = build(&raw);
        let model = Model::for_evidence(kb(), &evidence);
        if let Ok(belief) = posterior(kb(), &model, &evidence) {
            let total: f64 = belief.iter().sum();
            prop_assert!((total - 1.0).abs() < 1e-9, "sum {}", total);
            prop_assert!(belief.iter().all(|p| (0.0..=1.0).contains(p)));
        }
    }

    #[test]
    fn a_failed_action_never_raises_its_own_chance(raw in evidence_strategy(), action in 0..16usize) {
        let kb = kb();
        let evidence = build(&raw);
        let model = Model::for_evidence(kb, &evidence);
        let action = action % model.actions.len();
        prop_assume!(!model.actions[action].escalation);
        let Ok(before) = posterior(kb, &model, &evidence) else { return Ok(()); };
        let mut after_evidence = evidence.clone();
        after_evidence.failed.push(model.actions[action].id.clone());
        let Ok(after) = posterior(kb, &model, &after_evidence) else { return Ok(()); };
        prop_assert!(
            model.p_fix(action, &after) <= model.p_fix(action, &before) + 1e-12,
            "{}: {} -> {}", model.actions[action].id, model.p_fix(action, &before), model.p_fix(action, &after)
        );
    }

    #[test]
    fn every_plan_ends_with_a_step_that_settles_it(raw in evidence_strategy()) {
        let evidence = build(&raw);
        if let Ok(a) = assess(kb(), &evidence) {
            let last = a.plan.last().expect("a plan");
            prop_assert_eq!(last.kind, StepKind::Action);
            prop_assert!(a.expected_cost_minutes > 0.0 && a.expected_cost_minutes.is_finite());
            // Questions come only first, and no step is repeated.
            let ids: Vec<&str> = a.plan.iter().map(|s| s.id.as_str()).collect();
            let mut unique = ids.clone();
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(unique.len(), ids.len());
            prop_assert!(a.plan.iter().skip(1).all(|s| s.kind == StepKind::Action));
            // Failed actions are not proposed again.
            for failed in &evidence.failed {
                prop_assert!(!ids.contains(&failed.as_str()), "{} proposed again", failed);
            }
        }
    }
}

#[test]
fn an_observation_a_cause_cannot_produce_removes_it() {
    let kb = kb();
    let evidence = Evidence {
        code: Some(4013),
        observations: vec![Observation::new("hub-in-path", "no")],
        ..Evidence::default()
    };
    let model = Model::from_kb(kb, None);
    let belief = posterior(kb, &model, &evidence).unwrap();
    let hub = model.cause_index("usb-hub").unwrap();
    assert_eq!(belief[hub], 0.0);
    let a = assess(kb, &evidence).unwrap();
    assert!(a.causes.iter().all(|c| c.id != "usb-hub"));
    assert!(
        a.plan.iter().all(|s| s.id != "remove-hub"),
        "nothing left for remove-hub to fix"
    );
}

#[test]
fn unknown_ids_are_errors_that_list_the_valid_ones() {
    let kb = kb();
    let bad_question = Evidence {
        observations: vec![Observation::new("is-it-plugged-in", "yes")],
        ..Evidence::default()
    };
    let err = assess(kb, &bad_question).unwrap_err().to_string();
    assert!(
        err.contains("unknown question 'is-it-plugged-in'") && err.contains("hub-in-path"),
        "{err}"
    );
    let bad_answer = Evidence {
        observations: vec![Observation::new("hub-in-path", "maybe")],
        ..Evidence::default()
    };
    let err = assess(kb, &bad_answer).unwrap_err().to_string();
    assert!(err.contains("answers: yes, no"), "{err}");
    let bad_action = Evidence {
        failed: vec!["pray".to_owned()],
        ..Evidence::default()
    };
    let err = assess(kb, &bad_action).unwrap_err().to_string();
    assert!(
        err.contains("unknown action 'pray'") && err.contains("swap-cable"),
        "{err}"
    );
}

#[test]
fn when_every_action_has_failed_only_the_repair_shop_is_left() {
    let kb = kb();
    let evidence = Evidence {
        code: Some(4013),
        failed: kb
            .actions
            .iter()
            .filter(|a| !a.escalation)
            .map(|a| a.id.clone())
            .collect(),
        ..Evidence::default()
    };
    let a = assess(kb, &evidence).unwrap();
    assert_eq!(a.plan.len(), 1);
    assert_eq!(a.plan[0].id, "professional-repair");
    let hardware: f64 = a
        .causes
        .iter()
        .filter(|c| kb.cause(&c.id).is_some_and(|c| c.hardware))
        .map(|c| c.probability)
        .sum();
    assert!(
        hardware > 0.8,
        "after every software fix failed, hardware is {hardware}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the evidence, contradictions included, the assessment is a plan of finite
    /// numbers: no NaN from the data or the contradiction fallback.
    #[test]
    fn no_evidence_makes_a_number_nan(raw in evidence_strategy()) {
        let evidence = build(&raw);
        let a = assess(kb(), &evidence).expect("valid ids always get a plan");
        prop_assert!(a.expected_cost_minutes.is_finite());
        for c in &a.causes {
            prop_assert!(c.probability.is_finite() && (0.0..=1.0).contains(&c.probability));
        }
        for s in &a.plan {
            prop_assert!(s.cost_minutes.is_finite() && s.expected_remaining_minutes.is_finite());
            prop_assert!(s.p_fix.is_none_or(|p| p.is_finite()));
        }
    }

    /// Without a backup, a restore still comes before the repair shop while a software fault
    /// a restore fixes is above 15 % at that point (the shop would erase the phone as well).
    #[test]
    fn without_a_backup_a_restore_comes_before_the_shop(raw in evidence_strategy()) {
        let mut evidence = build(&raw);
        evidence.observations.retain(|o| o.question != "backup-available");
        evidence.observations.push(Observation::new("backup-available", "no"));
        let Ok(a) = assess(kb(), &evidence) else { return Ok(()); };
        let Some(shop) = a.plan.iter().position(|s| s.id == "professional-repair") else {
            return Ok(());
        };
        let software: f64 = a.plan[shop]
            .addresses
            .iter()
            .filter(|c| c.id == "firmware-state" || c.id == "boot-firmware")
            .map(|c| c.probability)
            .sum();
        let restore_left = ["recovery-restore", "dfu-restore"]
            .iter()
            .any(|r| !evidence.failed.iter().any(|f| f == r));
        if software > 0.15 && restore_left {
            prop_assert!(
                a.plan[..shop].iter().any(|s| s.erases_data),
                "software {software:.2} before the shop, plan {:?}",
                a.plan.iter().map(|s| s.id.as_str()).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn a_tool_user_is_told_to_update_the_tool_early() {
    let kb = kb();
    let evidence = Evidence {
        observations: vec![Observation::new("restore-tool", "idevicerestore")],
        ..Evidence::default()
    };
    let a = assess(kb, &evidence).expect("plan");
    let actions: Vec<&str> = a
        .plan
        .iter()
        .filter(|s| s.kind == StepKind::Action)
        .map(|s| s.id.as_str())
        .take(2)
        .collect();
    assert!(actions.contains(&"update-restore-tool"), "{actions:?}");
    let finder = Evidence {
        observations: vec![Observation::new("restore-tool", "finder")],
        ..Evidence::default()
    };
    let a = assess(kb, &finder).expect("plan");
    assert!(
        a.plan.iter().all(|s| s.id != "update-restore-tool"),
        "a Finder user has no tool to update"
    );
}

/// A question whose answer puts actions on the table or raises what they fix is worth what
/// those actions can do: once the link fixes have failed, which program restores it (whether
/// updating or switching the tool is possible) and how the phone got there (a failed update
/// makes leaving recovery mode likely to work) are among the three questions asked before
/// anything else.
#[test]
fn a_question_that_opens_actions_is_valued_for_them() {
    let kb = kb();
    let mut evidence = Evidence {
        code: Some(4013),
        observations: vec![Observation::new("backup-available", "yes")],
        failed: ["swap-cable", "change-port", "different-computer"]
            .map(String::from)
            .to_vec(),
        ..Evidence::default()
    };
    let answers = [
        ("restore-tool", "itunes"),
        ("mode-entered-by", "person"),
        ("host-os", "mac"),
        ("device-mode", "recovery"),
    ];
    let mut asked = Vec::new();
    for _ in 0..3 {
        let a = assess(kb, &evidence).expect("plan");
        let step = &a.plan[0];
        assert_eq!(step.kind, StepKind::Question, "{:?}", a.plan);
        match answers.iter().find(|(q, _)| *q == step.id) {
            Some((q, answer)) => evidence.observations.push(Observation::new(*q, *answer)),
            None => evidence.declined.push(step.id.clone()),
        }
        evidence.questions_in_a_row += 1;
        asked.push(step.id.clone());
    }
    for expected in ["restore-tool", "mode-entered-by"] {
        assert!(asked.iter().any(|q| q == expected), "{asked:?}");
    }
}

/// With nothing between the phone and the computer there is no hub to take out, however long
/// the plan runs.
#[test]
fn no_hub_means_no_step_to_remove_one() {
    let kb = kb();
    let evidence = Evidence {
        code: Some(4013),
        observations: [
            ("hub-in-path", "no"),
            ("disconnect-during-restore", "yes"),
            ("backup-available", "no"),
            ("restore-tool", "itunes"),
            ("mode-entered-by", "failed-update"),
            ("boot-loop", "no"),
            ("repaired-before", "no"),
            ("no-service", "no"),
            ("host-os", "windows"),
        ]
        .map(|(q, a)| Observation::new(q, a))
        .to_vec(),
        failed: [
            "swap-cable",
            "change-port",
            "clean-device-port",
            "update-host-software",
            "try-update-instead",
            "restart-both",
        ]
        .map(String::from)
        .to_vec(),
        unavailable: vec!["different-computer".into()],
        ..Evidence::default()
    };
    let a = assess(kb, &evidence).expect("plan");
    assert!(
        a.plan.iter().all(|s| s.id != "remove-hub"),
        "{:?}",
        a.plan.iter().map(|s| s.id.as_str()).collect::<Vec<_>>()
    );
}

/// Another phone restoring fine on the same computer, cable and port takes belief off
/// everything the two share and puts it on this phone (or model-specific software).
#[test]
fn another_phone_working_on_the_same_setup_points_away_from_it() {
    let kb = kb();
    let share = |answer: Option<&str>, ids: &[&str]| -> f64 {
        let evidence = Evidence {
            code: Some(4013),
            observations: answer
                .map(|a| vec![Observation::new("other-device-same-setup", a)])
                .unwrap_or_default(),
            ..Evidence::default()
        };
        assess(kb, &evidence)
            .expect("plan")
            .causes
            .iter()
            .filter(|c| ids.contains(&c.id.as_str()))
            .map(|c| c.probability)
            .sum()
    };
    let setup = ["cable", "host-port", "usb-hub", "host-computer"];
    let phone = ["firmware-state", "boot-firmware", "nand", "logic-board"];
    assert!(share(Some("yes"), &setup) < share(None, &setup) / 2.0);
    assert!(share(Some("yes"), &phone) > share(None, &phone));
    assert!(share(Some("no"), &setup) > share(None, &setup));
}

/// A request that timed out points at the network or Apple's busy servers; one redirected by a
/// hosts entry is answered with a refusal. The plans check the likelier one first.
#[test]
fn a_timeout_points_at_the_network_and_a_refusal_at_the_hosts_file_or_signing() {
    let kb = kb();
    let assessed = |code: i64| {
        let evidence = Evidence {
            code: Some(code),
            ..Evidence::default()
        };
        assess(kb, &evidence).expect("plan")
    };
    let p = |a: &engine::Assessment, id: &str| {
        a.causes
            .iter()
            .find(|c| c.id == id)
            .map_or(0.0, |c| c.probability)
    };
    let rank = |a: &engine::Assessment, id: &str| {
        a.plan
            .iter()
            .filter(|s| s.kind == StepKind::Action)
            .position(|s| s.id == id)
            .unwrap_or(usize::MAX)
    };
    let timeout = assessed(3014);
    assert!(p(&timeout, "network") > p(&timeout, "hosts-file"));
    assert!(rank(&timeout, "check-network") < rank(&timeout, "check-hosts-file"));
    for refusal in [1013, 3194] {
        let refused = assessed(refusal);
        assert!(
            p(&refused, "hosts-file") > p(&refused, "network"),
            "{refusal}"
        );
    }
    let refused = assessed(3194);
    assert!(rank(&refused, "check-hosts-file") < rank(&refused, "check-network"));
    // Apple refuses an unsigned build at once (3194), it does not time out (3014).
    assert!(p(&refused, "signing") > 2.0 * p(&timeout, "signing"));
    assert!(rank(&timeout, "check-network") < rank(&timeout, "use-signed-firmware"));
}

/// On a Face ID iPhone, Face ID failing before the trouble points at the front sensor flex.
#[test]
fn face_id_failing_points_at_the_front_sensor_flex() {
    let kb = kb();
    let iphone11 = kb.find_device("iPhone 11").expect("device");
    let flex = |answer: Option<&str>| {
        let evidence = Evidence {
            code: Some(4013),
            device: Some(iphone11),
            observations: answer
                .map(|a| vec![Observation::new("face-id-failed", a)])
                .unwrap_or_default(),
            ..Evidence::default()
        };
        assess(kb, &evidence)
            .expect("plan")
            .causes
            .iter()
            .find(|c| c.id == "earpiece-flex")
            .map_or(0.0, |c| c.probability)
    };
    assert!(flex(Some("yes")) > 3.0 * flex(None));
    assert!(flex(Some("no")) < flex(None));
}

/// A work, school or hotel network, or a VPN or proxy, makes the network the first thing to
/// check for a server error.
#[test]
fn a_filtered_network_is_checked_first() {
    let kb = kb();
    let first_action = |observations: Vec<Observation>| {
        let evidence = Evidence {
            code: Some(3014),
            observations,
            ..Evidence::default()
        };
        assess(kb, &evidence)
            .expect("plan")
            .plan
            .into_iter()
            .find(|s| s.kind == StepKind::Action)
            .map(|s| s.id)
    };
    let tool = Observation::new("restore-tool", "finder");
    assert_ne!(
        first_action(vec![tool.clone()]).as_deref(),
        Some("check-network")
    );
    assert_eq!(
        first_action(vec![tool, Observation::new("network-restricted", "yes")]).as_deref(),
        Some("check-network")
    );
}

/// A computer on a system its maker no longer updates points at the computer's software, and
/// updating it moves ahead of the steps it was behind; an up-to-date one points away.
#[test]
fn an_out_of_date_computer_points_at_its_software() {
    let kb = kb();
    let assessed = |answer: Option<&str>| {
        let mut observations = vec![Observation::new("restore-tool", "itunes")];
        observations.extend(answer.map(|a| Observation::new("host-up-to-date", a)));
        let evidence = Evidence {
            code: Some(4013),
            observations,
            ..Evidence::default()
        };
        assess(kb, &evidence).expect("plan")
    };
    let software = |a: &engine::Assessment| {
        a.causes
            .iter()
            .find(|c| c.id == "host-software")
            .map_or(0.0, |c| c.probability)
    };
    let rank = |a: &engine::Assessment| {
        a.plan
            .iter()
            .filter(|s| s.kind == StepKind::Action)
            .position(|s| s.id == "update-host-software")
            .unwrap_or(usize::MAX)
    };
    let (unknown, old, current) = (assessed(None), assessed(Some("no")), assessed(Some("yes")));
    assert!(software(&old) > 1.5 * software(&unknown));
    assert!(software(&current) < software(&unknown));
    assert!(
        rank(&old) < rank(&unknown),
        "{} {}",
        rank(&old),
        rank(&unknown)
    );
}

/// A question few people can answer is worth less than its answers suggest: the planner weighs
/// the "I don't know" share as the plan it already has.
#[test]
fn a_question_few_can_answer_is_worth_less() {
    use engine::plan::{Situation, cost_of_asking, greedy};
    let kb = kb();
    let mut model = Model::from_kb(kb, None);
    let belief = model.priors.clone();
    let situation = Situation::all_available(&model, false);
    let now = greedy(&model, &belief, &situation).expected_cost;
    let q = model
        .question_index("other-device-same-setup")
        .expect("question");
    let after = |_: usize, _: usize| situation.clone();
    let mut eco = |share: f64| {
        model.questions[q].answerable = share;
        cost_of_asking(&model, &belief, q, now, &after)
    };
    let (always, rarely, never) = (eco(1.0), eco(0.35), eco(1e-9));
    assert!(
        always < rarely && rarely < never,
        "{always} {rarely} {never}"
    );
    // Nobody can answer: asking only costs its minutes.
    assert!(
        (never - (now + kb.question("other-device-same-setup").unwrap().cost_minutes)).abs() < 1e-6
    );
}

/// A phone left in recovery mode by a failed update usually still has its system: telling it to
/// leave recovery mode comes first, and says why, unless the update stopped while the system was
/// written or an erase has run since (then nothing is left to start).
#[test]
fn a_failed_update_leaves_a_system_worth_starting() {
    let kb = kb();
    let actions = |answers: &[(&str, &str)], failed: &[&str]| {
        let evidence = Evidence {
            code: Some(4013),
            observations: answers
                .iter()
                .map(|(q, a)| Observation::new(*q, *a))
                .collect(),
            failed: failed.iter().map(|f| f.to_string()).collect(),
            ..Evidence::default()
        };
        let assessed = assess(kb, &evidence).expect("plan");
        let steps: Vec<(String, String)> = assessed
            .plan
            .into_iter()
            .filter(|s| s.kind == StepKind::Action)
            .map(|s| (s.id, s.why))
            .collect();
        steps
    };
    let first = |steps: &[(String, String)]| steps.first().map(|(id, _)| id.clone());
    let exit = Some("exit-recovery-mode".to_owned());
    let recovery = ("device-mode", "recovery");
    let updated = actions(&[recovery, ("mode-entered-by", "failed-update")], &[]);
    assert_eq!(first(&updated), exit, "{updated:?}");
    assert!(updated[0].1.contains("system whole"), "{}", updated[0].1);
    // Only recovery mode takes the command.
    let in_dfu = actions(
        &[("device-mode", "dfu"), ("mode-entered-by", "failed-update")],
        &[],
    );
    assert!(
        !in_dfu.iter().any(|(id, _)| Some(id) == exit.as_ref()),
        "{in_dfu:?}"
    );
    let by_person = actions(&[recovery, ("mode-entered-by", "person")], &[]);
    assert_ne!(first(&by_person), exit, "{by_person:?}");
    let mid_write = actions(
        &[
            recovery,
            ("mode-entered-by", "failed-update"),
            ("failed-phase", "restore-os"),
        ],
        &[],
    );
    assert_ne!(first(&mid_write), exit, "{mid_write:?}");
    let erased = actions(
        &[recovery, ("mode-entered-by", "failed-update")],
        &["recovery-restore"],
    );
    assert!(
        !erased.iter().any(|(id, _)| Some(id) == exit.as_ref()),
        "{erased:?}"
    );
}
