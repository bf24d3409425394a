//! Hostile pastes: nesting no real listing has, logs that name a new port on every line, and
//! indentation thousands of levels deep finish quickly, in bounded memory, without a crash.
//! (Time and memory at the full size limits are measured with the release binary; see the
//! README's "Hostile input" figures.)

use usb::identify::identify;

fn kb() -> &'static kb::Kb {
    kb::Kb::embedded().unwrap()
}

#[test]
fn a_plist_nested_twenty_thousand_deep_is_refused_without_a_stack_overflow() {
    let depth = 20_000;
    let xml = format!(
        "<?xml version=\"1.0\"?><plist version=\"1.0\">{}{}</plist>",
        "<dict><key>IORegistryEntryChildren</key><array>".repeat(depth),
        "</array></dict>".repeat(depth)
    );
    assert!(identify(kb(), &xml).devices.is_empty());
    let usbmuxd = format!(
        "<plist version=\"1.0\">{}<key>ProductID</key><integer>4776</integer>{}</plist>",
        "<dict><key>Properties</key>".repeat(depth),
        "</dict>".repeat(depth)
    );
    assert!(identify(kb(), &usbmuxd).devices.is_empty());
}

#[test]
fn a_dmesg_naming_a_new_port_on_every_line_is_read_in_one_pass() {
    let mut text = String::new();
    let mut i = 0u32;
    while text.len() < 2 << 20 {
        let port = format!(
            "{}-{}.{}.{}",
            i % 9 + 1,
            i % 7 + 1,
            (i / 63) % 7 + 1,
            i / 441
        );
        let vendor = if i.is_multiple_of(100) {
            "05ac"
        } else {
            "0bda"
        };
        text.push_str(&format!(
            "usb {port}: new high-speed USB device number {} using xhci_hcd\nusb {port}: New USB device found, idVendor={vendor}, idProduct=12a8\n",
            i % 127
        ));
        i += 1;
    }
    let found = identify(kb(), &text);
    assert!(!found.devices.is_empty());
    assert!(found.devices.len() <= 512, "the device list is capped");
    assert!(found.devices.iter().all(|d| d.vid == Some(0x05ac)));
}

#[test]
fn indentation_thousands_deep_walks_at_most_sixteen_hub_tiers() {
    let mut text = String::from("USB:\n\n");
    for depth in 0..800 {
        let indent = " ".repeat(2 * depth);
        text.push_str(&format!(
            "{indent}Hub:\n\n{indent}  Product ID: 0x0610\n{indent}  Vendor ID: 0x05e3\n\n"
        ));
    }
    let indent = " ".repeat(1600);
    text.push_str(&format!(
        "{indent}iPhone:\n\n{indent}  Product ID: 0x12a8\n{indent}  Vendor ID: 0x05ac (Apple Inc.)\n"
    ));
    let found = identify(kb(), &text);
    assert_eq!(found.devices.len(), 1);
    assert!(found.devices[0].hubs.len() <= 16);
}

#[test]
fn escapes_in_a_paste_never_reach_a_field() {
    let found = identify(
        kb(),
        "CPID:8010 BDID:0C ECID:001A2B3C4D5E6F70 SRNM:[\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J]",
    );
    let d = &found.devices[0];
    let all = format!("{:?} {:?} {:?}", d.serial_number, d.serial_tags, d.name);
    assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{all}");
}

#[test]
fn placeholders_and_serial_strings_are_never_read_as_identifiers() {
    for text in [
        "CPID:8010 BDID:0C ECID:<REMOVED_ECID> SRTG:[iBoot-2696.0.0.1.33]",
        "CPID:8010 BDID:0C ECID:[redacted] SRTG:[iBoot-2696.0.0.1.33]",
        "CPID:8010 BDID:0C ECID:ECIDNUMBER SRTG:[iBoot-2696.0.0.1.33]",
        "CPID:8015 BDID:06 ECID:XXXX IBFL:3C SRTG:[iBoot-4076.0.0.1.11]",
    ] {
        let found = identify(kb(), text);
        assert_eq!(found.devices[0].ecid, None, "{text}");
        assert_eq!(found.devices[0].udid, None, "{text}");
    }
    let mut restore = usb::AppleDevice::new("test");
    restore.absorb_udid("ffffffffffffffffffffffffffffffffffffffff");
    assert_eq!(
        restore.udid, None,
        "restore mode's all-F UDID is a placeholder"
    );
    let mut dfu = usb::AppleDevice::new("test");
    dfu.absorb_udid("CPID:8010 CPRV:11 BDID:0C ECID:001A2B3C4D5E6F70 SRTG:[iBoot-2696.0.0.1.33]");
    assert_eq!(dfu.udid, None, "a DFU serial string is not a UDID");
}
