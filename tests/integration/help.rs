//! `--help` teaches every command with examples; `--version` answers.

use crate::harness::run;

#[test]
fn every_command_has_help_with_examples() {
    let top = run(&["--help"]);
    top.success();
    assert!(top.stdout.contains("Examples:"));
    for command in [
        "diagnose",
        "devices",
        "identify",
        "dfu",
        "explain",
        "completions",
    ] {
        let out = run(&[command, "--help"]);
        out.success();
        assert!(
            out.stdout.contains("Examples:"),
            "{command} --help lacks examples"
        );
        assert!(out.stdout.contains("Usage: restore-doctor"), "{command}");
    }
}

/// The question ids `diagnose --help` lists are every question the kb can take with --observe.
#[test]
fn diagnose_help_names_every_question() {
    let out = run(&["diagnose", "--help"]);
    out.success();
    let listed = out.stdout.replace('\n', " ");
    for question in &kb::Kb::embedded().unwrap().questions {
        assert!(
            listed.contains(&format!(" {},", question.id))
                || listed.contains(&format!(" {}.", question.id)),
            "diagnose --help does not list {}",
            question.id
        );
    }
}

#[test]
fn version_is_printed() {
    let out = run(&["--version"]);
    out.success();
    assert!(out.stdout.starts_with("restore-doctor "), "{}", out.stdout);
}

#[test]
fn unknown_commands_are_usage_errors() {
    let out = run(&["fix-my-phone"]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr.contains("unrecognized subcommand"),
        "{}",
        out.stderr
    );
}

/// The history, bench and learning flags appear only where a command uses them, and no
/// environment variable is shown with a stray `=`.
#[test]
fn global_flags_show_only_where_they_are_used() {
    for command in ["dfu", "devices", "identify", "logs", "completions"] {
        let out = run(&[command, "--help"]);
        out.success();
        for flag in ["--db", "--bench", "--no-learn"] {
            assert!(!out.stdout.contains(flag), "{command} --help shows {flag}");
        }
    }
    for command in ["diagnose", "restore", "serve"] {
        let out = run(&[command, "--help"]);
        out.success();
        for flag in ["--db", "--bench", "--no-learn"] {
            assert!(out.stdout.contains(flag), "{command} --help lacks {flag}");
        }
        assert!(!out.stdout.contains("=]"), "{command}: {}", out.stdout);
    }
    let history = run(&["history", "--help"]);
    assert!(history.stdout.contains("--bench") && !history.stdout.contains("--no-learn"));
}

/// `restore` with nothing to restore names both ways to say what: a file or --latest.
#[test]
fn restore_usage_names_latest() {
    let out = run(&["restore"]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("Usage: ") && l.ends_with(" restore [OPTIONS] <IPSW|--latest>")),
        "{}",
        out.stderr
    );
    let both = run(&["restore", "x.ipsw", "--latest"]);
    assert_eq!(both.status, 2, "{}", both.stderr);
}
