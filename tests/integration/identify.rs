//! `identify`: pasted listings decoded, identifiers masked by default, bad input handled.

use crate::harness::{run, run_with_stdin};

const RECOVERY: &str = "opening device 05ac:1281 @ 0x01120000...
Connected to iPhone8,1, model n71ap, cpid 0x8000, bdid 0x04
CPID: 0x8000
BDID: 0x04
ECID: 0x000005752935f194
SRNM: FVMCL013HFLV
MODE: Recovery";

#[test]
fn decodes_irecovery_from_stdin_with_ids_masked() {
    let out = run_with_stdin(&["identify"], RECOVERY.as_bytes());
    out.success();
    assert!(
        out.stdout
            .contains("Device 1 · recovery mode · iPhone 6s (iPhone8,1, N71AP)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ECID 0x************F194"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("5752935"), "the ECID is masked");
    assert!(!out.stdout.contains("FVMCL013"), "the serial is masked");
    assert!(out.stdout.contains("Recovery mode, not DFU"));
    let shown = run_with_stdin(&["identify", "--show-ids"], RECOVERY.as_bytes());
    assert!(shown.stdout.contains("0x000005752935F194") && shown.stdout.contains("FVMCL013HFLV"));
}

#[test]
fn json_has_the_documented_device_shape() {
    let json = run(&[
        "identify",
        "--json",
        "Bus 004 Device 005: ID 05ac:1227 Apple, Inc. Mobile Device (DFU Mode)",
    ])
    .json();
    let d = &json["devices"][0];
    for key in [
        "mode",
        "product_type",
        "name",
        "cpid",
        "bdid",
        "ecid",
        "vid",
        "pid",
        "speed",
        "usb_path",
        "hubs_in_path",
    ] {
        assert!(d.get(key).is_some(), "missing {key}: {d}");
    }
    assert_eq!(d["mode"], "dfu");
    assert_eq!(d["pid"], "0x1227");
    assert!(
        d["product_type"].is_null(),
        "no serial string: the model is unknown, not guessed"
    );
    assert!(d["ecid"].is_null());
    assert_eq!(json["formats"][0], "lsusb");
}

#[test]
fn text_without_devices_exits_1_and_says_what_it_reads() {
    let out = run(&["identify", "hello, this is not a USB listing"]);
    assert_eq!(out.status, 1);
    assert!(
        out.stdout.contains("No Apple phone or tablet found"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("system_profiler"));
}

#[test]
fn binary_junk_on_stdin_is_not_a_crash() {
    let junk: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let out = run_with_stdin(&["identify", "--json"], &junk);
    assert!(out.status == 0 || out.status == 1, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn input_over_16_mb_is_refused_clearly() {
    let big = vec![b'a'; 17 * 1024 * 1024];
    let out = run_with_stdin(&["identify"], &big);
    let message = out.usage_error();
    assert!(message.contains("larger than 16 MB"), "{message}");
}

/// A PowerShell redirect saves UTF-16: it reads like any other paste.
#[test]
fn a_utf16_paste_is_decoded() {
    let text = "usb 1-4: New USB device found, idVendor=05ac, idProduct=1227\r\n";
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let out = run_with_stdin(&["identify", "--json", "-"], &bytes);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["devices"][0]["mode"], "dfu");
}
