//! A small harness: run the real binary with arguments and environment, then check its exit
//! code, stdout and stderr.

use std::process::{Command, Output};

/// What one run of the binary produced.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `restore-doctor` with `args` (colour left on auto, which is off in a pipe).
pub fn run(args: &[&str]) -> Run {
    run_with(args, &[])
}

/// Runs `restore-doctor` with extra environment variables.
pub fn run_with(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_restore-doctor"));
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        command.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run restore-doctor");
    Run {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

impl Run {
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.status, 0,
            "stderr: {}\nstdout: {}",
            self.stderr, self.stdout
        );
        self
    }

    /// A usage error: exit 2, one line on stderr, nothing on stdout, no panic.
    pub fn usage_error(&self) -> &str {
        assert_eq!(
            self.status, 2,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert_eq!(self.stderr.trim_end().lines().count(), 1, "{}", self.stderr);
        self.stderr.trim_end()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}
