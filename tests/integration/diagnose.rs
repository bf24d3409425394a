//! `diagnose --plan`: the assessment for evidence given on the command line, and clear errors
//! for ids the knowledge base does not know.

use crate::harness::run;

#[test]
fn plan_json_has_the_documented_shape() {
    let json = run(&[
        "diagnose",
        "--code",
        "4013",
        "--model",
        "iPhone9,3",
        "--observe",
        "voice-memos-greyed=yes",
        "--failed",
        "swap-cable",
        "--plan",
        "--json",
    ])
    .json();
    let causes = json["causes"].as_array().unwrap();
    assert_eq!(causes[0]["id"], "audio-ic", "{json}");
    let total: f64 = causes
        .iter()
        .map(|c| c["probability"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9);
    let plan = json["plan"].as_array().unwrap();
    for step in plan {
        assert!(["action", "question"].contains(&step["kind"].as_str().unwrap()));
        assert!(step["why"].as_str().is_some_and(|w| !w.is_empty()));
        assert!(step["cost_minutes"].as_f64().unwrap() > 0.0);
    }
    assert!(
        plan.iter().all(|s| s["id"] != "swap-cable"),
        "a failed action is not proposed again"
    );
    let repair = plan
        .iter()
        .position(|s| s["id"] == "professional-repair")
        .unwrap();
    assert!(
        repair <= 3,
        "the Audio IC verdict comes within a few steps: {plan:?}"
    );
    assert!(json["expected_cost_minutes"].as_f64().unwrap() > 0.0);
}

#[test]
fn with_only_4013_known_the_first_actions_are_cheap_connection_fixes() {
    let json = run(&["diagnose", "--code", "4013", "--plan", "--json"]).json();
    let actions: Vec<&str> = json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "action")
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for a in &actions[..2] {
        assert!(
            [
                "swap-cable",
                "change-port",
                "remove-hub",
                "clean-device-port"
            ]
            .contains(a),
            "{actions:?}"
        );
    }
}

#[test]
fn a_hub_in_the_path_puts_remove_hub_first() {
    let json = run(&[
        "diagnose",
        "--code",
        "4013",
        "--observe",
        "hub-in-path=yes",
        "--plan",
        "--json",
    ])
    .json();
    let first = json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "action")
        .unwrap();
    assert_eq!(first["id"], "remove-hub", "{json}");
}

#[test]
fn signing_errors_plan_signing_and_network_first() {
    let json = run(&["diagnose", "--code", "3194", "--plan", "--json"]).json();
    let first = json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "action")
        .unwrap();
    assert!(
        ["use-signed-firmware", "check-hosts-file", "check-network"]
            .contains(&first["id"].as_str().unwrap()),
        "{first}"
    );
}

#[test]
fn plan_text_lists_causes_and_numbered_steps() {
    let out = run(&["diagnose", "--code", "4013", "--plan"]);
    out.success();
    assert!(out.stdout.contains("Most likely causes"));
    assert!(out.stdout.contains("Plan · expected effort until fixed"));
    assert!(out.stdout.contains("Why: "));
}

#[test]
fn unknown_ids_are_clear_errors_listing_the_valid_ones() {
    let message = run(&[
        "diagnose",
        "--code",
        "4013",
        "--observe",
        "hub=yes",
        "--plan",
    ])
    .usage_error()
    .to_owned();
    assert!(
        message.contains("unknown question 'hub'") && message.contains("hub-in-path"),
        "{message}"
    );
    let message = run(&["diagnose", "--observe", "hub-in-path=maybe", "--plan"])
        .usage_error()
        .to_owned();
    assert!(message.contains("answers: yes, no"), "{message}");
    let message = run(&["diagnose", "--failed", "swap-cables", "--plan"])
        .usage_error()
        .to_owned();
    assert!(
        message.contains("unknown action 'swap-cables'") && message.contains("swap-cable,"),
        "{message}"
    );
    let message = run(&["diagnose", "--observe", "hub-in-path", "--plan"])
        .usage_error()
        .to_owned();
    assert!(message.contains("QUESTION=ANSWER"), "{message}");
    // The interactive session checks ids before it starts asking.
    let message = run(&["diagnose", "--failed", "nope"])
        .usage_error()
        .to_owned();
    assert!(message.contains("unknown action 'nope'"), "{message}");
}

#[test]
fn without_a_terminal_the_session_stops_at_end_of_input() {
    let out = run(&["diagnose", "--code", "4013"]);
    out.success();
    assert!(
        out.stdout.contains("Which iPhone or iPad is it?"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("To pick up where you left off"),
        "{}",
        out.stdout
    );
}
