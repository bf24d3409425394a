//! `completions SHELL` prints a script that knows the commands.

use crate::harness::run;

#[test]
fn completion_scripts_name_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell]);
        out.success();
        assert!(
            out.stdout.contains("explain"),
            "{shell} script lacks explain"
        );
        assert!(out.stdout.contains("restore-doctor"), "{shell}");
    }
    assert_eq!(run(&["completions", "tcsh"]).status, 2);
}

/// The shells offer the kb's answers for --observe and its actions for --failed.
#[test]
fn completion_offers_answers_and_actions() {
    let kb = kb::Kb::embedded().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        out.success();
        for question in &kb.questions {
            let pair = format!("{}={}", question.id, question.answers[0]);
            assert!(out.stdout.contains(&pair), "{shell} does not offer {pair}");
        }
        for action in &kb.actions {
            assert!(
                out.stdout.contains(&action.id),
                "{shell} lacks {}",
                action.id
            );
        }
    }
    // Parsing stays open: an unknown answer is the kb's own usage error, not clap's list.
    let out = run(&[
        "diagnose",
        "--code",
        "4013",
        "--observe",
        "hub-in-path=maybe",
        "--plan",
    ]);
    assert_eq!(out.status, 2);
    assert!(!out.stderr.contains("possible values"), "{}", out.stderr);
}
