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
