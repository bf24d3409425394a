//! Logs are told by the lines their tools print, not by their file names: idevicerestore in
//! both output formats, futurerestore, the front ends that run them (3uTools, Legacy iOS Kit,
//! FutureRestore GUI) and what the failure means in words.

use logs::{LogReport, analyze_text};

fn kb() -> &'static kb::Kb {
    kb::Kb::embedded().unwrap()
}

fn fixture(name: &str) -> LogReport {
    let path = format!(
        "{}/tests/fixtures/tools/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# source:"),
        "{name} keeps its source line"
    );
    let body: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    analyze_text(kb(), &body)
}

fn observation<'r>(r: &'r LogReport, question: &str) -> Option<&'r str> {
    r.observations
        .iter()
        .find(|(q, _)| q == question)
        .map(|(_, a)| a.as_str())
}

#[test]
fn a_3utools_flash_log_is_3utools_built_on_idevicerestore() {
    let r = fixture("3utools-idevicerestore-issue-560");
    assert_eq!(r.format, Some("3utools"));
    assert_eq!(r.built_on, Some("idevicerestore"));
    assert_eq!(r.phase.map(kb::Phase::id), Some("finalize"));
    let step = r.failed_step.as_ref().unwrap();
    assert_eq!((step.role, step.component), ("cause", Some("fdr")));
    assert!(step.context.contains("Unable to receive message from FDR"));
    assert_eq!(observation(&r, "restore-tool"), Some("3utools"));
    assert!(
        r.findings.iter().any(|f| f.text.contains("factory-data")),
        "{:?}",
        r.findings
    );
}

#[test]
fn legacy_ios_kit_is_named_by_its_own_lines() {
    let r = fixture("legacy-ios-kit-issue-348-end");
    assert_eq!(r.format, Some("legacy-ios-kit"));
    assert_eq!(r.built_on, Some("idevicerestore"));
    assert_eq!(r.phase.map(kb::Phase::id), Some("firmware"));
    assert_eq!(observation(&r, "restore-tool"), Some("other"));
}

#[test]
fn futurerestore_gui_names_its_log_over_futurerestore() {
    let text = "FutureRestore GUI Log – 2022-12-18 13:22:01
Command ran: futurerestore -t blob.shsh2 --latest-sep --latest-baseband iPhone.ipsw
Version: 22a5d89bdec6e1c441012d63822184c93530b7e5 - 274
futurerestore init done
Found device in Recovery mode
Identified device as d10ap, iPhone9,3
[exception]:
what=Device ApNonce does not match APTicket nonce
";
    let r = analyze_text(kb(), text);
    assert_eq!(r.format, Some("futurerestore-gui"));
    assert_eq!(r.phase.map(kb::Phase::id), Some("personalize"));
    assert_eq!(observation(&r, "restore-tool"), Some("futurerestore"));
}

/// A line in idevicerestore's shape whose message the table does not hold names the tool and
/// no phase; a known one after it gives the phase.
#[test]
fn a_line_that_matches_a_tool_only_partly_gives_the_tool_and_no_phase() {
    let unknown = "12:00:01.100    <Info> Found device in Recovery mode
12:00:02.300   <Error> Something no idevicerestore ever printed
";
    let r = analyze_text(kb(), unknown);
    assert_eq!((r.format, r.phase), (Some("idevicerestore"), None));
    let known = format!("{unknown}12:00:02.400   <Error> Unable to send iBEC\n");
    let r = analyze_text(kb(), &known);
    assert_eq!(r.phase.map(kb::Phase::id), Some("recovery-boot"));
}

/// The signing server's answer is said in words, and a refused ticket is no hardware evidence.
#[test]
fn the_signing_servers_answer_is_explained() {
    let text = "Found device in Recovery mode
Identified device as n71ap, iPhone8,1
Sending TSS request attempt 1... response successfully received
Updating baseband (19)
Sending Baseband TSS request...
TSS server returned: STATUS=94&MESSAGE=This device isn't eligible for the requested build.
ERROR: TSS request failed (status=94, message=This device isn't eligible for the requested build.)
ERROR: Unable to fetch Baseband TSS
ERROR: Unable to send baseband data
ERROR: Unable to restore device
";
    let r = analyze_text(kb(), text);
    assert_eq!(r.phase.map(kb::Phase::id), Some("firmware"));
    let tss = r.tss.iter().find(|t| t.status == 94).unwrap();
    assert_eq!(tss.code, Some(3194));
    assert!(tss.meaning.unwrap().contains("no longer signed"));
    assert_eq!(observation(&r, "firmware-step-failed"), None);
}

/// A failed component update is said in words and becomes the planner's evidence.
#[test]
fn a_failed_component_update_says_what_it_implies() {
    let text = "12:00:01.100    <Info> Found device in Recovery mode
12:00:09.000    <Info> Updating baseband (19)
12:00:09.100    <Info> About to send BasebandData...
12:00:10.000   <Error> device didn't accept BasebandData
12:00:10.100   <Error> Unable to send baseband data
12:00:10.200   <Error> Unable to restore device
";
    let r = analyze_text(kb(), text);
    assert_eq!(r.phase.map(kb::Phase::id), Some("firmware"));
    assert_eq!(r.failed_step.as_ref().unwrap().component, Some("baseband"));
    assert_eq!(observation(&r, "firmware-step-failed"), Some("baseband"));
    assert!(r.findings.iter().any(|f| f.text.contains("modem fault")));
}
