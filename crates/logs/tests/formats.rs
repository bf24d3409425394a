//! One test per format and per kind of awkward input: the macOS unified log, idevicerestore's
//! timestamped debug output, UTF-16 with and without a byte-order mark, gzip, CRLF, invalid
//! bytes, binary junk, one enormous line.

use std::io::Write;

use logs::{analyze_reader, analyze_text};

fn kb() -> &'static kb::Kb {
    kb::Kb::embedded().unwrap()
}

fn analyze_bytes(bytes: Vec<u8>) -> logs::LogReport {
    analyze_reader(kb(), std::io::Cursor::new(bytes), &mut |_| {}).unwrap()
}

const IDEVICERESTORE: &str = "08:05:01.100    <Info> Found device in DFU mode
08:05:02.412    <Info> Sending TSS request to https://gs.apple.com/TSS/controller?action=2
08:05:03.001    <Info> Received SHSH blobs
08:05:09.300    <Debug> irecv_event_cb: device 001A2B3C4D5E6F70 (udid: N/A) disconnected
08:05:12.870    <Debug> irecv_event_cb: device 001A2B3C4D5E6F70 (udid: N/A) connected in Recovery mode
08:05:40.000    <Info> Waiting for device to enter restore mode...
08:06:10.551    <Info> Restoring image (13)
08:07:02.127    <Error> Could not read data (-11). Aborting.
08:07:02.130    <Error> ERROR: Unable to successfully restore device
08:07:02.131    <Error> ERROR: Unable to restore device
";

#[test]
fn idevicerestore_debug_with_timestamps() {
    let r = analyze_text(kb(), IDEVICERESTORE);
    assert_eq!(r.format, Some("idevicerestore"));
    assert_eq!(r.phase.map(kb::Phase::id), Some("restore-os"));
    assert_eq!(r.last_operation.as_ref().unwrap().id, Some(13));
    let kinds: Vec<&str> = r.disconnects.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, ["disconnect", "reconnect", "disconnect"]);
    assert_eq!(r.disconnects[1].mode.as_deref(), Some("Recovery"));
    assert_eq!(r.disconnects[2].time.as_deref(), Some("08:07:02.127"));
    assert!(
        r.observations
            .contains(&("disconnect-during-restore".into(), "yes".into()))
    );
    assert!(r.findings.iter().any(|f| f.text.contains("USB link")));
    assert_eq!(
        r.final_code, None,
        "-11 is idevicerestore's own error, not an iTunes code"
    );
}

#[test]
fn macos_unified_log() {
    let text = "Timestamp                       Thread     Type        Activity             PID    TTL
2025-03-30 10:12:01.123456+0100 0x1a2b     Default     0x0                  712    0    MobileDeviceUpdater: [com.apple.MobileDevice:restore] Restoring iPhone software
2025-03-30 10:14:44.000001+0100 0x1a2b     Error       0x0                  712    0    MobileDeviceUpdater: [com.apple.MobileDevice:restore] AMRestorePerformRestoreModeRestoreWithError failed with error: 4013
2025-03-30 10:14:44.100000+0100 0x1a2b     Default     0x0                  712    0    MobileDeviceUpdater: An unknown error occurred (4013).
";
    let r = analyze_text(kb(), text);
    assert_eq!(r.format, Some("unified-log"));
    assert_eq!(r.final_code, Some(4013));
    assert_eq!(r.phase.map(kb::Phase::id), Some("restore-os"));
}

#[test]
fn utf16_with_and_without_bom_and_crlf() {
    let text = IDEVICERESTORE.replace('\n', "\r\n");
    for bom in [true, false] {
        let mut bytes = if bom { vec![0xff, 0xfe] } else { Vec::new() };
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let r = analyze_bytes(bytes);
        assert_eq!(r.encoding, "utf-16le");
        assert_eq!(r.phase.map(kb::Phase::id), Some("restore-os"), "bom {bom}");
        assert_eq!(r.lines, 10);
    }
    let be: Vec<u8> = [0xfe, 0xff]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    assert_eq!(analyze_bytes(be).encoding, "utf-16be");
}

#[test]
fn gzip_is_unpacked() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(IDEVICERESTORE.as_bytes()).unwrap();
    let r = analyze_bytes(gz.finish().unwrap());
    assert!(r.compressed);
    assert_eq!(r.phase.map(kb::Phase::id), Some("restore-os"));
}

#[test]
fn invalid_bytes_binary_junk_and_a_huge_line() {
    let mut bytes: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 9) as u8)
        .filter(|b| *b != 0)
        .collect();
    bytes.extend_from_slice(b"\n\xff\xfe garbage \xc3\x28 An unknown error occurred (4014).\n");
    let r = analyze_bytes(bytes);
    assert_eq!(r.final_code, Some(4014));
    let mut huge = vec![b'x'; 5 * 1024 * 1024];
    huge.extend_from_slice(b"\nStatus: Disk Failure\n");
    let r = analyze_bytes(huge);
    assert_eq!(r.final_code, Some(6));
    assert_eq!(r.lines, 2);
}

#[test]
fn a_japanese_dialog_and_prose_codes() {
    let r = analyze_text(
        kb(),
        "iPhone “iPhone” を復元できませんでした。不明なエラーが発生しました（4013）。",
    );
    assert_eq!(r.final_code, Some(4013));
    let prose = analyze_text(
        kb(),
        "The restore stopped and iTunes said error 9 after the progress bar.",
    );
    assert_eq!(prose.final_code, Some(9));
    assert_eq!(prose.format, Some("dialog"));
}

/// Apple's dialog in every language of the kb's table, pasted as a log or quoted in a story,
/// gives its code, not a number from the device's name ("iPhone 7").
#[test]
fn the_dialog_in_every_language_gives_its_code() {
    for lang in &kb().dialog_languages {
        for example in &lang.example {
            let text = example
                .text
                .replace("^FILENAME", "iPhone 7")
                .replace("^ERRORNUMBER", "4013");
            let code = example.code.unwrap_or(4013);
            let pasted = analyze_text(kb(), &format!("{text}\n"));
            assert_eq!(pasted.final_code, Some(code), "{}: {text}", lang.id);
            let story =
                format!("Tried 3 cables.\nThen iTunes said:\n{text}\nNothing after that.\n");
            assert_eq!(
                analyze_text(kb(), &story).final_code,
                Some(code),
                "{}: {story}",
                lang.id
            );
        }
    }
}

#[test]
fn empty_input_is_an_empty_report() {
    let r = analyze_text(kb(), "");
    assert_eq!((r.final_code, r.phase, r.lines), (None, None, 0));
}

#[test]
fn the_final_code_is_the_last_even_past_the_kept_list() {
    // More code lines than the report keeps: the list stops growing, the final code does not.
    let mut log = String::new();
    for _ in 0..600 {
        log.push_str("08:07:02.130    <Info> Status: Disk Failure\n");
    }
    log.push_str("08:07:03.000    <Info> Status: Failed to mount filesystems\n");
    let r = analyze_text(kb(), &log);
    assert!(r.codes.len() < 601, "the kept list is bounded");
    assert_eq!(r.final_code, Some(27));
    // In a paste, a later prose code wins over an earlier dialog code, and the reverse.
    let paste = "An unknown error occurred (4013).\nThen it said error 9.";
    assert_eq!(analyze_text(kb(), paste).final_code, Some(9));
    let paste = "It said error 9 first.\nAn unknown error occurred (4013).";
    assert_eq!(analyze_text(kb(), paste).final_code, Some(4013));
}

#[test]
fn a_failed_component_update_and_the_tool_become_evidence() {
    let kb = kb::Kb::embedded().unwrap();
    let read = |text: &'static str| logs::analyze_reader(kb, text.as_bytes(), &mut |_| {}).unwrap();
    let nfc = read(
        "idevicerestore 1.0.0\nINFO: Got status message\nupdate_stockholm: NfRestore Failed with error 6\nERROR: Unable to restore device\n",
    );
    assert!(
        nfc.observations
            .contains(&("firmware-step-failed".into(), "nfc".into())),
        "{:?}",
        nfc.observations
    );
    assert!(
        nfc.observations
            .contains(&("restore-tool".into(), "idevicerestore".into())),
        "{:?}",
        nfc.observations
    );
    let gauge = read("[12:00:01] ERROR: GasGauge update failed (error 0x3)\n");
    assert!(
        gauge
            .observations
            .contains(&("firmware-step-failed".into(), "gas-gauge".into())),
        "{:?}",
        gauge.observations
    );
    let fine = read("[12:00:01] Updating baseband firmware\n[12:00:09] Restore completed\n");
    assert!(
        !fine
            .observations
            .iter()
            .any(|(q, _)| q == "firmware-step-failed"),
        "{:?}",
        fine.observations
    );
    assert!(
        !fine.observations.iter().any(|(q, _)| q == "restore-tool"),
        "a dialog names no tool"
    );
}

/// Rule families from real logs: restore mode never reached, FDR at the end, a person's
/// iTunes code beside a tool's output, a component's own error number kept apart, and a
/// dialog's phase inferred from its code and said so.
#[test]
fn line_families_give_their_phase_and_code() {
    let kb = kb::Kb::embedded().unwrap();
    let read = |text: &'static str| logs::analyze_reader(kb, text.as_bytes(), &mut |_| {}).unwrap();
    let never = read(
        "restore_is_current_device: device 0759 is not in restore mode\nERROR: Unable to connect to device in restore mode\nERROR: Unable to restore device\n",
    );
    assert_eq!(never.phase, Some(kb::Phase::RecoveryBoot));
    let fdr = read("INFO: idevicerestore\nERROR: Unable to receive message from FDR\n");
    assert_eq!(fdr.phase, Some(kb::Phase::Finalize));
    let person = read(
        "With iTunes I was not able to restore the device because I got a 2001 error\nidevicerestore 1.0.0\nERROR: Unable to send iBEC\nError -9 when setting configuration\n",
    );
    assert_eq!(person.final_code, Some(2001));
    let component = read(
        "update_baseband: bbupdater error: (BBUpdater error 50 - Failed creating a communication transport to baseband.)\n",
    );
    assert_eq!(
        (component.final_code, component.tool_code),
        (None, Some(50))
    );
    let dialog = read("The iPhone could not be restored. An unknown error occurred (4013).\n");
    assert_eq!(dialog.phase_source, Some("code"));
    assert!(dialog.phase.is_some());
}

/// Only the outermost AMRestoreErrorDomain error is the code Apple's app shows; a deeper link
/// of the chain, and every number of another domain, is the domain's own.
#[test]
fn error_domains_keep_their_own_numbers() {
    let chain = "0: AMRestoreErrorDomain/ffffffff: failed to update device firmware
1: AMRestoreErrorDomain/3ec: ramrod firmware update failed
2: RamrodErrorDomain/3e9: update_iBoot: error writing image
";
    let r = analyze_text(kb(), chain);
    assert_eq!(r.final_code, Some(-1));
    assert_eq!(
        r.tool_code,
        Some(1004),
        "the deeper link is the domain's number"
    );
    let ramrod = analyze_text(
        kb(),
        "0: RamrodErrorDomain/3fc: update_generic_firmware: failed to copy response for Savage\n",
    );
    assert_eq!((ramrod.final_code, ramrod.tool_code), (None, Some(1020)));
    let nserror = analyze_text(
        kb(),
        "2025-03-30 10:14:44 MobileDeviceUpdater: restore failed: Error Domain=AMRestoreErrorDomain Code=-1 \"failed\" UserInfo={NSUnderlyingError=0x600 {Error Domain=RamrodErrorDomain Code=1004 \"x\"}}\n",
    );
    assert_eq!(nserror.final_code, Some(-1));
    let mach = analyze_text(
        kb(),
        "MobileDeviceUpdater: Error Domain=NSMachErrorDomain Code=-536870181 \"(ipc/send) invalid destination port\"\n",
    );
    assert_eq!(mach.final_code, None);
}
