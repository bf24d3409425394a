//! Every real capture under tests/fixtures/real-usb (copied from shared/samples/real-usb, each
//! with its `# source:` and `# expected:` lines) decodes to the values its header expects.

use kb::Kb;
use usb::identify::identify;
use usb::{AppleDevice, Mode, Speed};

fn decode(name: &str) -> Vec<AppleDevice> {
    let path = format!(
        "{}/tests/fixtures/real-usb/{name}",
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
    identify(Kb::embedded().unwrap(), &body).devices
}

fn one(name: &str) -> AppleDevice {
    let devices = decode(name);
    assert_eq!(devices.len(), 1, "{name}: {devices:#?}");
    devices.into_iter().next().unwrap()
}

#[test]
fn ipwndfu_156_two_dfu_strings() {
    let d = decode("dfu-serial__ipwndfu-156__iphone6splus-and-iphone6.txt");
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].mode, Mode::Dfu);
    assert_eq!((d[0].cpid, d[0].bdid), (Some(0x8000), Some(0x06)));
    assert_eq!(d[0].product_type.as_deref(), Some("iPhone8,2"));
    assert_eq!(d[0].board.as_deref(), Some("N66AP"));
    assert_eq!(d[0].name.as_deref(), Some("iPhone 6s Plus"));
    assert_eq!(d[0].ecid, Some(0x0000_038E_8E58_B41C));
    assert_eq!(d[0].serial_tags["IBFL"], "1C");
    assert_eq!(d[0].serial_tags["SRTG"], "iBoot-2234.0.0.3.3");
    assert_eq!(d[1].mode, Mode::Dfu);
    assert_eq!(d[1].product_type.as_deref(), Some("iPhone7,2"));
    assert_eq!(d[1].board.as_deref(), Some("N61AP"));
    assert_eq!(d[1].ecid, Some(0x0011_7120_1046_E026));
    assert_eq!(d[1].serial_tags["SRTG"], "iBoot-1992.0.0.1.19");
}

#[test]
fn ipwndfu_195_one_dfu_string() {
    let d = one("dfu-serial__ipwndfu-195__iphone6.txt");
    assert_eq!(d.mode, Mode::Dfu);
    assert_eq!(d.product_type.as_deref(), Some("iPhone7,2"));
    assert_eq!(d.ecid, Some(0x0003_3514_0432_8826));
    assert_eq!(d.serial_tags["CPRV"], "11");
}

#[test]
fn dmesg_on_a_usb3_port_is_high_speed_without_a_hub() {
    let d = one("dmesg__libimobiledevice-1491__iphone-usb3-port.txt");
    assert_eq!(d.mode, Mode::Normal);
    assert_eq!(d.pid, Some(0x12a8));
    assert_eq!(d.speed, Some(Speed::High));
    assert_eq!(d.usb_path.as_deref(), Some("1-4"));
    assert_eq!(d.external_hubs(), 0);
    assert_eq!(d.cpid, Some(0x8120));
    assert_eq!(d.ecid, Some(0x0009_2D91_0EDB_401E));
    assert_eq!(
        d.product_type, None,
        "CPID without BDID does not name a model"
    );
    let obs = usb::evidence::observations(&[d], false);
    assert!(
        obs.contains(&kb::Observation::new("link-speed", "expected")),
        "480 Mb/s on USB 3 is normal"
    );
    assert!(obs.contains(&kb::Observation::new("hub-in-path", "no")));
}

#[test]
fn ideviceinfo_of_an_iphone_11() {
    let d = one("ideviceinfo__ideviceactivate-19__iphone11-unactivated.txt");
    assert_eq!(d.mode, Mode::Normal);
    assert_eq!((d.cpid, d.bdid), (Some(0x8030), Some(0x04)));
    assert_eq!(d.product_type.as_deref(), Some("iPhone12,1"));
    assert_eq!(d.board.as_deref(), Some("N104AP"));
    assert_eq!(d.name.as_deref(), Some("iPhone 11"));
}

#[test]
fn idevicerestore_debug_lines_name_the_ecid_and_mode() {
    let d = one("idevicerestore-log__idevicerestore-479__iphone7-ibec-reconnect-ok.txt");
    assert_eq!(d.mode, Mode::Recovery);
    assert_eq!(d.ecid, Some(0x0016_65dc_38f0_20a6));
    assert_eq!(d.pid, Some(0x1281));
    let masked = one("idevicerestore-log__idevicerestore-725__iphone14-back-to-recovery.txt");
    assert_eq!(masked.mode, Mode::Recovery);
    assert_eq!(masked.ecid, None, "a masked ECID (XYZ) is null");
}

#[test]
fn ioreg_fragment_of_a_normal_iphone() {
    let d = one("ioreg-iousb__cordova-ios-639__iphone-normal.txt");
    assert_eq!(d.mode, Mode::Normal);
    assert_eq!(d.pid, Some(0x12a8));
    assert_eq!(d.speed, Some(Speed::High));
    assert_eq!(d.location_id, Some(0x1440_0000));
    assert_eq!(d.external_hubs(), 0);
    assert_eq!(
        d.serial_number, None,
        "the serial above belongs to the previous device"
    );
    assert_eq!(d.udid, None);
}

#[test]
fn irecovery_qv_of_an_iphone_6s_in_recovery() {
    let d = one("irecovery-qv__turdus-bugtracker-24__iphone6s-recovery.txt");
    assert_eq!(d.mode, Mode::Recovery);
    assert_eq!(d.pid, Some(0x1281));
    assert_eq!(d.location_id, Some(0x0112_0000));
    assert_eq!(d.product_type.as_deref(), Some("iPhone8,1"));
    assert_eq!(d.board.as_deref(), Some("N71AP"));
    assert_eq!((d.cpid, d.bdid), (Some(0x8000), Some(0x04)));
    assert_eq!(d.ecid, Some(0x0000_0575_2935_f194));
    assert_eq!(d.serial_number.as_deref(), Some("FVMCL013HFLV"));
    assert_eq!(d.imei, None, "IMEI: N/A is unknown");
    assert!(!d.serial_tags.contains_key("SRTG"), "SRTG: N/A in recovery");
}

#[test]
fn lsusb_and_irecovery_together_are_one_dfu_iphone_5s() {
    let d = one("lsusb-irecovery__libimobiledevice-815__iphone5s-dfu.txt");
    assert_eq!(d.mode, Mode::Dfu);
    assert_eq!(d.pid, Some(0x1227));
    assert_eq!(d.product_type.as_deref(), Some("iPhone6,1"));
    assert_eq!((d.cpid, d.bdid), (Some(0x8960), Some(0x00)));
}

#[test]
fn a_recovery_timeline_keeps_each_enumeration() {
    let d = decode("lsusb-timeline__usbmuxd-147__recovery-to-restore-mode.txt");
    assert_eq!(d.len(), 3, "{d:#?}");
    assert!(
        d.iter()
            .all(|d| d.mode == Mode::Recovery && d.pid == Some(0x1281))
    );
    let paths: Vec<_> = d.iter().map(|d| d.usb_path.clone().unwrap()).collect();
    assert_eq!(
        paths,
        ["bus 1 device 11", "bus 1 device 12", "bus 1 device 14"]
    );
}

#[test]
fn grepped_lsusb_v_of_a_recovery_ipad() {
    let d = one("lsusb-v-grep__ipwndfu-142__ipad-air2-recovery.txt");
    assert_eq!(d.mode, Mode::Recovery, "0x1281 is recovery, not DFU");
    assert_eq!(d.product_type, None, "no serial string, no model");
}

#[test]
fn plain_lsusb_of_an_ipad_2() {
    let d = one("lsusb__ipad_charge-1__ipad2-normal-129f.txt");
    assert_eq!(d.mode, Mode::Normal);
    assert_eq!(d.pid, Some(0x129f));
    assert_eq!((d.ecid, d.serial_number.as_deref()), (None, None));
}

#[test]
fn system_profiler_with_a_built_in_hub_is_not_a_hub_problem() {
    let d = one("system-profiler__whatcable-291__iphone-10gbps-builtin-hub.txt");
    assert_eq!(d.mode, Mode::Normal);
    assert_eq!(d.pid, Some(0x12a8));
    assert_eq!(d.speed, Some(Speed::SuperPlus));
    assert_eq!(d.location_id, Some(0x0222_0000));
    assert_eq!(d.hubs.len(), 1);
    assert_eq!(d.hubs[0].built_in, Some(true));
    assert_eq!(d.external_hubs(), 0);
    assert_eq!(
        (d.ecid, d.udid.as_deref()),
        (None, None),
        "a redacted serial gives nothing"
    );
    let obs = usb::evidence::observations(&[d], false);
    assert!(obs.contains(&kb::Observation::new("hub-in-path", "no")));
    assert!(obs.contains(&kb::Observation::new("link-speed", "expected")));
}

#[test]
fn libusb_1346_testlibusb_listing() {
    let d = one("testlibusb__libusb-1346__iphone-normal.txt");
    assert_eq!(d.mode, Mode::Normal);
    assert_eq!((d.vid, d.pid), (Some(0x05ac), Some(0x12a8)));
    assert_eq!(d.speed, Some(Speed::High));
    assert_eq!(d.udid, None, "no serial in the listing");
}

/// Every capture decodes to the mode and model its `# expected:` line names (the header
/// says `mode=…` and `-> ProductType` where the text shows them).
#[test]
fn every_capture_gives_its_expected_mode_and_model() {
    let dir = format!("{}/tests/fixtures/real-usb", env!("CARGO_MANIFEST_DIR"));
    let mut wrong = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let expected = text
            .lines()
            .find_map(|l| l.strip_prefix("# expected:"))
            .unwrap_or("");
        let devices = decode(&name);
        let field = |key: &str| {
            expected.split(key).nth(1).map(|rest| {
                rest.split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("")
                    .to_lowercase()
            })
        };
        if let Some(mode) = field("mode=")
            && !devices.iter().any(|d| d.mode.id() == mode)
        {
            wrong.push(format!(
                "{name}: mode {mode}, got {:?}",
                devices.iter().map(|d| d.mode).collect::<Vec<_>>()
            ));
        }
        if let Some(product) = expected
            .split("-> ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .filter(|p| p.starts_with("iPhone") || p.starts_with("iPad"))
            && !devices
                .iter()
                .any(|d| d.product_type.as_deref() == Some(product))
        {
            wrong.push(format!("{name}: model {product}"));
        }
        seen += 1;
    }
    assert!(seen >= 31, "{seen} captures");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
