//! Learning from a shop's own outcomes: a handful of local cases nudges the plan, ten that
//! agree change it, and nothing the kb rules out comes back.

use engine::{Evidence, LocalAction, LocalExperience, assess};

fn kb() -> &'static kb::Kb {
    kb::Kb::embedded().expect("embedded kb")
}

fn first_action(local: Option<&LocalExperience>) -> (String, f64) {
    let kb = kb();
    let evidence = Evidence {
        code: Some(4013),
        device: kb.find_device("iPhone 11").ok(),
        local,
        ..Evidence::default()
    };
    let assessment = assess(kb, &evidence).unwrap();
    let step = assessment
        .plan
        .into_iter()
        .find(|s| s.kind == engine::StepKind::Action)
        .unwrap();
    let port_cause: f64 = assessment
        .causes
        .iter()
        .filter(|c| kb.action("change-port").unwrap().p_fix(&c.id) > 0.0)
        .map(|c| c.probability)
        .sum();
    (step.id, port_cause)
}

fn port_fixes(fixed: f64, failed: f64) -> LocalExperience {
    LocalExperience {
        actions: vec![
            LocalAction {
                action: "change-port".into(),
                fixed,
                failed,
                failed_unresolved: 0.0,
            },
            LocalAction {
                action: "swap-cable".into(),
                fixed: 0.0,
                failed: fixed,
                failed_unresolved: 0.0,
            },
        ],
    }
}

#[test]
fn eight_port_fixes_in_ten_put_the_port_first_and_one_only_nudges() {
    let (kb_first, kb_share) = first_action(None);
    assert_ne!(kb_first, "change-port", "the kb alone starts elsewhere");
    let (one_first, one_share) = first_action(Some(&port_fixes(1.0, 0.0)));
    let (eight_first, eight_share) = first_action(Some(&port_fixes(8.0, 2.0)));
    assert!(
        one_share > kb_share && one_share < eight_share,
        "{kb_share} {one_share} {eight_share}"
    );
    assert_ne!(
        one_first, "change-port",
        "one case nudges, it does not decide"
    );
    assert_eq!(eight_first, "change-port");
}

#[test]
fn local_cases_never_bring_back_a_cause_the_kb_rules_out() {
    let kb = kb();
    let device = kb.find_device("iPhone 11").ok();
    let local = LocalExperience {
        actions: kb
            .actions
            .iter()
            .map(|a| LocalAction {
                action: a.id.clone(),
                fixed: 50.0,
                failed: 0.0,
                failed_unresolved: 50.0,
            })
            .collect(),
    };
    let with = |local| {
        assess(
            kb,
            &Evidence {
                code: Some(4013),
                device,
                local,
                ..Evidence::default()
            },
        )
        .unwrap()
    };
    let plain = with(None);
    let learned = with(Some(&local));
    let possible: Vec<&str> = plain.causes.iter().map(|c| c.id.as_str()).collect();
    for cause in &learned.causes {
        assert!(
            possible.contains(&cause.id.as_str()),
            "{} came back",
            cause.id
        );
    }
    let total: f64 = learned.causes.iter().map(|c| c.probability).sum();
    assert!((total - 1.0).abs() < 1e-9);
}
