//! `explain`: meaning, category, ranked causes, first steps, model notes, bad input.

use crate::harness::{run, run_with};

#[test]
fn explains_4013_in_plain_words() {
    let out = run(&["explain", "4013"]);
    out.success();
    let text = &out.prose();
    assert!(
        text.contains(
            "Error 4013 Apple's category: Device disconnected during the update or restore"
        ),
        "{text}"
    );
    assert!(
        text.contains("Usually happens while writing the new system to the phone")
            && !text.contains("(restore-os)"),
        "the phase in words, not its id: {text}"
    );
    assert!(
        text.contains("Where this comes from")
            && text.contains("https://")
            && !text.contains("Sources:"),
        "sources as titles with links: {text}"
    );
    for line in out.stdout.lines() {
        // Only a word longer than the line (a web address) may stick out.
        assert!(
            line.chars().count() <= 100 || line.split_whitespace().count() == 1,
            "no line wider than 100 columns in a pipe: {line}"
        );
    }
    assert!(text.contains("What it means"));
    assert!(text.contains("Most likely causes"));
    assert!(text.contains("Usually not the cause: a worn battery, a cracked screen"));
    assert!(
        text.contains("1. Use a different, certified cable"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour in a pipe");
}

#[test]
fn the_audio_ic_note_appears_for_iphone_7_only() {
    for model in ["iPhone 7", "iphone 7 plus", "iPhone9,3", "D101AP"] {
        let out = run(&["explain", "4013", "--model", model]);
        out.success();
        assert!(out.stdout.contains("Audio IC"), "{model}: {}", out.stdout);
        assert!(out.stdout.contains("Voice Memos greyed out"), "{model}");
    }
    for code in ["4014", "4005"] {
        let out = run(&["explain", code, "--model", "iPhone 7"]);
        assert!(out.stdout.contains("Voice Memos"), "{code}");
    }
    let iphone8 = run(&["explain", "4013", "--model", "iPhone 8"]);
    assert!(
        !iphone8.stdout.contains("Voice Memos"),
        "{}",
        iphone8.stdout
    );
    let other_code = run(&["explain", "3194", "--model", "iPhone 7"]);
    assert!(!other_code.stdout.contains("Voice Memos"));
}

#[test]
fn json_has_the_documented_shape() {
    let json = run(&["explain", "4013", "--model", "iPhone9,3", "--json"]).json();
    assert_eq!(json["code"], 4013);
    assert_eq!(json["known"], true);
    assert_eq!(json["category"], "disconnected");
    assert!(json["summary"].as_str().unwrap().contains("USB"));
    assert_eq!(json["device"]["product_type"], "iPhone9,3");
    let causes = json["causes"].as_array().unwrap();
    let total: f64 = causes
        .iter()
        .map(|c| c["probability"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9, "probabilities sum to {total}");
    let probabilities: Vec<f64> = causes
        .iter()
        .map(|c| c["probability"].as_f64().unwrap())
        .collect();
    assert!(
        probabilities.windows(2).all(|w| w[0] >= w[1]),
        "sorted, most likely first"
    );
    assert!(causes.iter().any(|c| c["id"] == "audio-ic"));
    let plan = json["plan"].as_array().unwrap();
    assert!(!plan.is_empty());
    for step in plan {
        for key in ["kind", "id", "p_fix", "cost_minutes", "why"] {
            assert!(step.get(key).is_some(), "step lacks {key}: {step}");
        }
    }
    assert_eq!(plan.last().unwrap()["id"], "professional-repair");
    assert!(
        json["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "iphone-7-audio-ic")
    );
    assert!(json["expected_cost_minutes"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_model_changes_the_ranking() {
    let audio = |model: &str| {
        let json = run(&["explain", "4013", "--model", model, "--json"]).json();
        json["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "audio-ic")
            .map_or(0.0, |c| c["probability"].as_f64().unwrap())
    };
    assert!(audio("iPhone 7") > 0.1);
    assert_eq!(audio("iPhone 12"), 0.0);
}

#[test]
fn signing_errors_point_at_signing_and_network_not_cables() {
    let json = run(&["explain", "3194", "--json"]).json();
    assert_eq!(json["category"], "server");
    let top = json["causes"][0]["id"].as_str().unwrap();
    assert!(["signing", "hosts-file", "network"].contains(&top), "{top}");
    let first_action = json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "action")
        .unwrap();
    assert!(
        ["use-signed-firmware", "check-hosts-file", "check-network"]
            .contains(&first_action["id"].as_str().unwrap()),
        "{first_action}"
    );
}

#[test]
fn codes_inside_ranges_and_unknown_codes_answer_honestly() {
    let range = run(&["explain", "3777", "--json"]).json();
    assert_eq!(range["known"], false);
    assert_eq!(range["match"], "range");
    assert_eq!(range["category"], "server");
    let unknown = run(&["explain", "12345", "--json"]).json();
    assert_eq!(unknown["known"], false);
    assert_eq!(unknown["match"], "none");
    assert!(unknown["category"].is_null());
    assert!(
        !unknown["plan"].as_array().unwrap().is_empty(),
        "the generic plan is still given"
    );
    let text = run(&["explain", "12345"]);
    assert!(text.stdout.contains("unknown code"), "{}", text.stdout);
}

#[test]
fn negative_hex_and_pasted_codes_are_read() {
    for (arg, code) in [
        ("-1", -1),
        ("0xE8000015", 0xE800_0015_i64),
        ("An unknown error occurred (4014).", 4014),
    ] {
        let json = run(&["explain", arg, "--json"]).json();
        assert_eq!(json["code"], code, "{arg}");
    }
    let json = run(&["explain", "--json", "--", "-1"]).json();
    assert_eq!(json["code"], -1);
    assert_eq!(
        run(&["explain", "0xE8000015", "--json"]).json()["code_display"],
        "0xE8000015"
    );
}

#[test]
fn bad_input_is_one_clear_line_and_exit_2() {
    let message = run(&["explain", "abc"]).usage_error().to_owned();
    assert!(message.contains("'abc' is not an error code"), "{message}");
    let message = run(&["explain", "99999999999999999999"])
        .usage_error()
        .to_owned();
    assert!(message.contains("too large"), "{message}");
    let message = run(&["explain", ""]).usage_error().to_owned();
    assert!(message.contains("no error code given"), "{message}");
    let message = run(&["explain", "4013", "--model", "iphne 7"])
        .usage_error()
        .to_owned();
    assert!(message.contains("did you mean 'iPhone 7'"), "{message}");
    let message = run(&["explain", "4013", "--model", "Pixel 9"])
        .usage_error()
        .to_owned();
    assert!(message.contains("unknown model 'Pixel 9'"), "{message}");
    let binary_junk = "\u{1}\u{2}\u{fffd}garbage";
    run(&["explain", binary_junk]).usage_error();
    let huge = "9".repeat(100_000);
    let message = run(&["explain", &huge]).usage_error().to_owned();
    assert!(message.len() < 300, "the message stays short");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let forced = run(&["--color", "always", "explain", "4013"]);
    assert!(forced.stdout.contains("\u{1b}["), "colour when forced");
    let no_color = run_with(
        &["explain", "4013"],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
    );
    assert!(!no_color.stdout.contains("\u{1b}["), "NO_COLOR wins");
}

#[test]
fn an_ipad_is_called_an_ipad() {
    let out = run(&["explain", "4013", "--model", "iPad7,5"]);
    out.success();
    let text = out.prose();
    assert!(text.contains("on the iPad"), "{text}");
    let phone = text
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("phone") || w.eq_ignore_ascii_case("phones"));
    assert!(!phone, "no 'phone' for an iPad: {text}");
}
