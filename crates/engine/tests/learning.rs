//! Learning from a shop's own outcomes: a handful of local cases nudges the plan, ten that
//! agree change it, and nothing the kb rules out comes back.

use engine::{Evidence, LocalCase, LocalExperience, assess};

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

/// `port` cases a new port fixed after a new cable did not, and one the cable fixed.
fn port_fixes(port: usize) -> LocalExperience {
    let mut cases: Vec<LocalCase> = (0..port)
        .map(|_| LocalCase {
            failed: vec!["swap-cable".into()],
            fixed: Some("change-port".into()),
            weight: 1.0,
        })
        .collect();
    cases.push(LocalCase {
        failed: Vec::new(),
        fixed: Some("swap-cable".into()),
        weight: 1.0,
    });
    LocalExperience { cases }
}

#[test]
fn eight_port_fixes_in_nine_put_the_port_first_and_one_only_nudges() {
    let (kb_first, kb_share) = first_action(None);
    assert_ne!(kb_first, "change-port", "the kb alone starts elsewhere");
    let (one_first, one_share) = first_action(Some(&port_fixes(1)));
    let (eight_first, eight_share) = first_action(Some(&port_fixes(8)));
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
        cases: kb
            .actions
            .iter()
            .flat_map(|a| {
                [
                    LocalCase {
                        failed: Vec::new(),
                        fixed: Some(a.id.clone()),
                        weight: 50.0,
                    },
                    LocalCase {
                        failed: vec![a.id.clone()],
                        fixed: None,
                        weight: 50.0,
                    },
                ]
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
