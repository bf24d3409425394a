//! Every real log under tests/fixtures/real-logs (copied from shared/samples/real-logs, each
//! with its `# source:` and `# expected:` lines) yields its expected final code and phase.

use logs::{LogReport, analyze_text};

fn read(name: &str) -> LogReport {
    let path = format!(
        "{}/tests/fixtures/real-logs/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        text.starts_with("# source:"),
        "{name} keeps its source line"
    );
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("# "))
        .map(|l| format!("{l}\n"))
        .collect();
    analyze_text(kb::Kb::embedded().unwrap(), &body)
}

/// (file, expected final code, expected phase) from each file's `# expected:` line.
const EXPECTED: &[(&str, Option<i64>, Option<&str>)] = &[
    ("futurerestore-issue-56", Some(53), Some("finalize")),
    ("idevicerestore-issue-130", Some(-1), Some("firmware")),
    ("idevicerestore-issue-138", Some(-1), Some("firmware")),
    ("idevicerestore-issue-278", None, Some("firmware")),
    ("idevicerestore-issue-352", Some(53), Some("finalize")),
    ("idevicerestore-issue-539", None, Some("finalize")),
    ("idevicerestore-issue-553", Some(68), Some("finalize")),
    ("idevicerestore-issue-626", None, Some("finalize")),
    ("itunes-dialog-ifixit-iphone7-4013", Some(4013), None),
    (
        "itunes-dialog-joeygadget-1603",
        Some(1603),
        Some("recovery-boot"),
    ),
    ("itunes-dialog-kobomo-75-ja", Some(75), Some("firmware")),
    (
        "itunes-dialog-macrumors-error21-dfu",
        Some(21),
        Some("recovery-boot"),
    ),
    (
        "itunes-dialog-tonyandrewmeyer-3104",
        Some(3104),
        Some("personalize"),
    ),
    ("itunes-mac-pastebin-S9EYGaum", None, Some("personalize")),
    ("itunes-win-modmyi-error1002", Some(1002), Some("firmware")),
    (
        "itunes-win-pastebin-w4L6WTL7",
        Some(3194),
        Some("personalize"),
    ),
    ("legacy-ios-kit-issue-348", None, Some("firmware")),
    ("legacy-ios-kit-issue-387", Some(28), Some("restore-os")),
    ("futurerestore-tihmstar-issue-110", None, Some("firmware")),
    (
        "futurerestore-tihmstar-issue-33",
        None,
        Some("recovery-boot"),
    ),
];

/// (file, format) for the logs a program wrote: the format names the program, and for the
/// command-line tools it is the restore tool the planner is told.
const FORMATS: &[(&str, &str)] = &[
    ("futurerestore-tihmstar-issue-110", "futurerestore"),
    ("futurerestore-tihmstar-issue-33", "futurerestore"),
    ("idevicerestore-issue-138", "idevicerestore"),
    ("idevicerestore-issue-553", "idevicerestore"),
    ("legacy-ios-kit-issue-387", "idevicerestore"),
    ("idevicerestore-issue-354", "restored"),
    ("itunes-mac-pastebin-S9EYGaum", "itunes-mac"),
    ("itunes-win-pastebin-w4L6WTL7", "itunes-windows"),
    ("itunes-dialog-kobomo-75-ja", "dialog"),
];

#[test]
fn every_tool_log_names_its_tool() {
    for (name, format) in FORMATS {
        let report = read(name);
        assert_eq!(report.format, Some(*format), "{name}");
        let tool = report
            .observations
            .iter()
            .find(|(q, _)| q == "restore-tool")
            .map(|(_, a)| a.as_str());
        let expected = ["idevicerestore", "futurerestore"]
            .contains(format)
            .then_some(*format);
        assert_eq!(tool, expected, "{name}");
    }
}

#[test]
fn every_sample_gives_its_expected_code_and_phase() {
    let mut wrong = Vec::new();
    for (name, code, phase) in EXPECTED {
        let report = read(name);
        // The expected phase is the one the log itself shows; a phase inferred from the code
        // is marked as such and checked apart.
        let shown = report.phase.filter(|_| report.phase_source == Some("log"));
        if report.phase.is_some() && report.phase_source.is_none() {
            wrong.push(format!("{name}: a phase without its source"));
        }
        if report.final_code != *code || shown.map(kb::Phase::id) != *phase {
            wrong.push(format!(
                "{name}: got code {:?} phase {:?}, expected {code:?} {phase:?}",
                report.final_code, report.phase
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// What a sample's `# expected:` line says: the code (`None` for unknown) and the phases that
/// count as right (none for unknown; "fdr" is the finalize phase; "a/b" accepts either).
fn expected_of(text: &str) -> (Option<i64>, Vec<String>) {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# expected: "))
        .expect("an expected line");
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap_or("unknown")
            .to_owned()
    };
    let code = field("code=").parse().ok();
    let phase = field("phase=");
    let phases = match phase.as_str() {
        "unknown" => Vec::new(),
        p => p
            .split('/')
            .map(|p| if p == "fdr" { "finalize" } else { p }.to_owned())
            .collect(),
    };
    (code, phases)
}

/// Every real log (all of shared/samples/real-logs): the final code right in at least 95 % of
/// them and the phase in at least 85 % of those whose phase is known.
#[test]
fn the_real_logs_give_the_right_code_and_phase_often_enough() {
    let dir = format!("{}/tests/fixtures/real-logs", env!("CARGO_MANIFEST_DIR"));
    let (mut codes, mut phases, mut files, mut known) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let name = name.trim_end_matches(".txt");
        let text = std::fs::read_to_string(format!("{dir}/{name}.txt")).unwrap();
        let (code, expected_phases) = expected_of(&text);
        let report = read(name);
        files += 1;
        if report.final_code == code {
            codes += 1;
        } else {
            wrong.push(format!(
                "{name}: code {:?}, expected {code:?}",
                report.final_code
            ));
        }
        if !expected_phases.is_empty() {
            known += 1;
            let phase = report.phase.map(|p| p.id().to_owned());
            if phase.as_ref().is_some_and(|p| expected_phases.contains(p)) {
                phases += 1;
            } else {
                wrong.push(format!(
                    "{name}: phase {phase:?}, expected {expected_phases:?}"
                ));
            }
        }
    }
    println!(
        "code {codes}/{files}, phase {phases}/{known}\n{}",
        wrong.join("\n")
    );
    assert!(files >= 39, "the samples are all here");
    assert!(codes * 100 >= files * 95, "code {codes}/{files}: {wrong:?}");
    assert!(
        phases * 100 >= known * 85,
        "phase {phases}/{known}: {wrong:?}"
    );
}

#[test]
fn formats_are_recognised() {
    assert_eq!(
        read("idevicerestore-issue-553").format,
        Some("idevicerestore")
    );
    assert_eq!(read("idevicerestore-issue-130").format, Some("restored"));
    assert_eq!(
        read("itunes-win-modmyi-error1002").format,
        Some("itunes-windows")
    );
    assert_eq!(
        read("itunes-mac-pastebin-S9EYGaum").format,
        Some("itunes-mac")
    );
    assert_eq!(read("itunes-dialog-kobomo-75-ja").format, Some("dialog"));
}

#[test]
fn apple_logs_say_which_computer_wrote_them() {
    let host_os = |name: &str| {
        read(name)
            .observations
            .into_iter()
            .find(|(q, _)| q == "host-os")
            .map(|(_, a)| a)
    };
    assert_eq!(
        host_os("itunes-win-modmyi-error1002").as_deref(),
        Some("windows")
    );
    assert_eq!(
        host_os("itunes-mac-pastebin-S9EYGaum").as_deref(),
        Some("mac")
    );
    // idevicerestore runs anywhere, and a pasted dialog says nothing about the computer.
    assert_eq!(host_os("idevicerestore-issue-553"), None);
    assert_eq!(host_os("itunes-dialog-kobomo-75-ja"), None);
}

#[test]
fn signing_server_statuses_and_their_codes() {
    let win = read("itunes-win-pastebin-w4L6WTL7");
    assert_eq!(win.tss.len(), 1);
    assert_eq!((win.tss[0].status, win.tss[0].code), (94, Some(3194)));
    assert!(
        win.findings
            .iter()
            .any(|f| f.text.contains("isn't eligible"))
    );
    let baseband = read("idevicerestore-issue-278");
    assert_eq!(baseband.tss[0].status, 133);
    assert_eq!(
        baseband.tss[0].code, None,
        "133 has no known iTunes code; not guessed"
    );
    assert!(
        baseband
            .findings
            .iter()
            .any(|f| f.text.contains("baseband's signature"))
    );
}

#[test]
fn operations_checkpoints_and_findings() {
    let bb = read("idevicerestore-issue-138");
    let op = bb.last_operation.unwrap();
    assert_eq!(
        (op.id, op.name.as_deref()),
        (Some(19), Some("Updating baseband"))
    );
    let fw = read("idevicerestore-issue-130");
    assert_eq!(fw.last_operation.unwrap().progress, Some(60));
    let modem = read("itunes-win-modmyi-error1002");
    assert_eq!(modem.last_operation.unwrap().id, Some(19));
    assert!(
        modem
            .findings
            .iter()
            .any(|f| f.text.contains("baseband (modem) did not answer"))
    );
    let fdr = read("idevicerestore-issue-352");
    assert_eq!(fdr.checkpoint_failures[0].id, "0x067B");
    assert!(fdr.findings.iter().any(|f| f.text.contains("HTTP 403")));
    let splat = read("idevicerestore-issue-626");
    assert_eq!(splat.checkpoint_failures[0].id, "0x648");
    assert!(splat.findings.iter().any(|f| f.text.contains("splat")));
    let nor = read("legacy-ios-kit-issue-348");
    assert!(
        nor.findings
            .iter()
            .any(|f| f.text.contains("NOR flash") && f.text.contains("error 37"))
    );
}

#[test]
fn disconnects_become_evidence() {
    let dfu = read("itunes-dialog-macrumors-error21-dfu");
    assert!(
        dfu.disconnects.iter().any(|d| d.kind == "disconnect"),
        "{:?}",
        dfu.disconnects
    );
    assert!(
        dfu.observations
            .contains(&("disconnect-during-restore".to_owned(), "yes".to_owned()))
    );
    assert!(
        dfu.observations
            .contains(&("failed-phase".to_owned(), "recovery-boot".to_owned()))
    );
    let quiet = read("idevicerestore-issue-539");
    assert!(
        !quiet
            .observations
            .iter()
            .any(|(q, _)| q == "disconnect-during-restore")
    );
}
