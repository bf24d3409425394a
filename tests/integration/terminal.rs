//! The guided session driven through a real pseudo-terminal, as a person would use it:
//! typed answers, a verdict at the end, and Ctrl-C leaving cleanly.

use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{Any, ControlCode, Eof, Expect, Regex, Session};

fn spawn(args: &[&str]) -> expectrl::session::OsSession {
    let mut command = crate::harness::command();
    command.args(args).env("NO_COLOR", "1");
    let mut session = Session::spawn(command).expect("spawn in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session
}

fn exit_code(session: &expectrl::session::OsSession) -> i32 {
    match session.get_process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("did not exit normally: {other:?}"),
    }
}

/// Size and modification time of the database a person's own runs would use, if any.
fn users_database() -> Option<(u64, std::time::SystemTime)> {
    let meta = std::fs::metadata(store::default_path()).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

#[test]
fn a_whole_session_for_an_iphone_7_ends_with_the_audio_ic_verdict() {
    let users = users_database();
    // The pseudo-terminal is 80 columns wide, as a default terminal window.
    let mut p = spawn(&[]);
    p.expect("Which iPhone or iPad is it?").unwrap();
    p.send_line("iPhone 7").unwrap();
    p.expect("What error number").unwrap();
    p.send_line("An unknown error occurred (4013).").unwrap();
    let mut transcript = String::new();
    let prompts = [
        "Type their numbers",
        "Your answer:",
        "How did it go?",
        "Did the error number change?",
        "Type erase to go ahead",
        "DFU mode needs",
        "Verdict:",
    ];
    for _ in 0..30 {
        let found = p.expect(Any(prompts)).unwrap();
        let before = String::from_utf8_lossy(found.before()).into_owned();
        let matched = String::from_utf8_lossy(found.get(0).unwrap()).into_owned();
        transcript.push_str(&before);
        transcript.push_str(&matched);
        match matched.as_str() {
            // Someone whose iPhone 7 shows every Audio IC sign, and whom no cheap fix helps.
            "Your answer:" if before.contains("Voice Memos") || before.contains("speaker") => {
                p.send_line("yes")
            }
            "Your answer:" => p.send_line("unknown"),
            // Nothing tried before the session.
            "Type their numbers" => p.send_line(""),
            "How did it go?" => p.send_line("failed"),
            "Did the error number change?" => p.send_line("same"),
            // Enter leaves the phone as it is: nothing but the typed word erases.
            "Type erase to go ahead" => p.send_line(""),
            "DFU mode needs" => p.send_line("known"),
            _ => break,
        }
        .unwrap();
    }
    let rest = p.expect(Eof).unwrap();
    transcript.push_str(&String::from_utf8_lossy(rest.before()));
    transcript.push_str(&String::from_utf8_lossy(rest.get(0).unwrap_or_default()));
    assert!(transcript.contains("Verdict:"), "{transcript}");
    assert!(transcript.contains("Audio IC failure"), "{transcript}");
    assert!(
        transcript.contains("Question: Before the trouble started, were the Voice Memos"),
        "{transcript}"
    );
    assert!(
        transcript.contains("to check first: audio IC failure"),
        "{transcript}"
    );
    assert_eq!(exit_code(&p), 1, "a repair-bench verdict exits 1");
    for line in transcript.lines() {
        let shown = line.trim_end_matches('\r');
        assert!(
            shown.chars().count() <= 80,
            "wider than the 80-column terminal: {shown:?}"
        );
    }
    assert_eq!(
        users_database(),
        users,
        "the session left the user's own case history alone"
    );
}

#[test]
fn ctrl_c_stops_cleanly() {
    let mut p = spawn(&["diagnose"]);
    p.expect("Which iPhone or iPad is it?").unwrap();
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("Stopped. Restore Doctor changed nothing on the phone")
        .unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&p), 130);
}

#[test]
fn end_of_input_stops_and_says_how_to_resume() {
    let mut p = spawn(&["diagnose", "--code", "4013", "--model", "iPhone 12"]);
    p.expect(Any([
        "Type their numbers",
        "Your answer:",
        "How did it go?",
    ]))
    .unwrap();
    p.send_line("q").unwrap();
    p.expect("To pick up where you left off:").unwrap();
    // The case was saved, so the hint resumes it, as the program was started.
    p.expect(Regex("restore-doctor diagnose --resume C[0-9A-F]{10}"))
        .unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&p), 0);
}

#[test]
fn plain_live_watch_ends_on_q_with_its_summary() {
    let tree = crate::harness::sysfs_dfu_iphone7_behind_hub();
    let mut p = spawn(&[
        "watch",
        "--plain",
        "--sysfs-root",
        tree.path().to_str().unwrap(),
    ]);
    p.expect("appeared in DFU mode").unwrap();
    p.send_line("q").unwrap();
    p.expect("No drop or connection loop seen.").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&p), 0);
}

#[test]
fn watch_shows_a_live_view_on_a_terminal_and_q_quits() {
    let tree = crate::harness::sysfs_dfu_iphone7_behind_hub();
    let mut p = spawn(&["watch", "--sysfs-root", tree.path().to_str().unwrap()]);
    // The view redraws only changed cells and skips blanks, so look for single words.
    p.expect("watching").unwrap();
    p.expect("Timeline").unwrap();
    p.expect("appeared").unwrap();
    crate::harness::sysfs_device(tree.path(), "1-2.3", &[("idProduct", "1281")]);
    p.expect("recovery").unwrap();
    p.send("q").unwrap();
    p.expect("No drop or connection loop seen.").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&p), 0);
}

#[test]
fn every_text_command_fits_an_80_column_window() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cases.sqlite");
    let db = db.to_str().unwrap();
    crate::harness::run(&[
        "--db",
        db,
        "record",
        "--code",
        "4013",
        "--model",
        "iPhone 11",
        "--failed",
        "swap-cable",
        "--fixed",
        "change-port",
    ])
    .success();
    let logs = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/logs/tests/fixtures/real-logs"
    );
    let commands: [&[&str]; 7] = [
        &["explain", "4013", "--model", "iPhone9,3"],
        &["explain", "3194"],
        &["diagnose", "--code", "4013", "--plan"],
        &["logs", logs],
        &["history"],
        &["learn", "--show"],
        &["dfu", "--model", "iPhone 12", "--no-wait"],
    ];
    for args in commands {
        let mut with_db = vec!["--db", db];
        with_db.extend_from_slice(args);
        let out = crate::harness::run_with(&with_db, &[("COLUMNS", "80")]);
        assert!(!out.stdout.is_empty(), "{args:?}: {}", out.stderr);
        for line in out.stdout.lines() {
            // Only a word longer than the window (a web address) may stick out.
            let one_word = line.split_whitespace().count() <= 2;
            assert!(
                line.chars().count() <= 80 || one_word,
                "{args:?} is wider than 80 columns: {line}"
            );
        }
    }
}

/// `restore` on a real terminal: its progress bar is drawn between idevicerestore's lines and
/// never over them. The bytes the terminal received, played into a terminal emulator, leave
/// every error line of the tool whole on the screen, then the verdict.
#[test]
fn restores_progress_bar_never_draws_over_a_line_of_the_tool() {
    use std::io::Read as _;

    let stand_in = crate::restore::StandIn::bench(&[("any", &["drop-in-restore-mode"])], 1, 0.1);
    let db = tempfile::tempdir().unwrap();
    let mut command = stand_in.command(&db.path().join("cases.sqlite"), &["--latest"]);
    command
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    let (rows, columns) = (60, 100);
    let mut session = Session::spawn(command).expect("spawn in a pty");
    session
        .get_process_mut()
        .set_window_size(columns, rows)
        .unwrap();
    let mut shown = Vec::new();
    // Everything the terminal receives until the program ends (EIO when the pty closes).
    let _ = session.read_to_end(&mut shown);
    let size = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut terminal = vt100::Parser::new(size(rows), size(columns), 0);
    terminal.process(&shown);
    // Row by row, as a person sees them (indicatif pads its lines to the width, which the
    // emulator counts as a row wrapping into the next).
    let screen: String = terminal
        .screen()
        .rows(0, columns)
        .map(|row| row.trim_end().to_owned() + "\n")
        .collect();
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/idevicerestore/drop-in-restore-mode.txt"),
    )
    .unwrap();
    let errors: Vec<&str> = fixture.lines().filter(|l| l.starts_with("ERROR")).collect();
    assert!(errors.len() >= 2);
    let raw = String::from_utf8_lossy(&shown);
    assert!(raw.contains('['), "a progress bar was drawn: {raw:?}");
    for error in errors {
        assert!(
            screen.lines().any(|l| l.trim_end().ends_with(error)),
            "{error:?} is not whole on the screen:\n{screen}"
        );
    }
    let verdict = screen.find("The restore failed").expect("the verdict");
    assert!(
        screen[..verdict].contains("Unable to restore device"),
        "the verdict comes after the tool's lines:\n{screen}"
    );
    assert!(
        !screen.contains("sending the system ["),
        "no progress bar is left on the screen:\n{screen}"
    );
}
