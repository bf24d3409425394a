//! The paste shapes the held-out captures showed and the dev ones did not, one test each,
//! written in each tool's own layout (the tool and version named per test): ipwndfu's `Found:`
//! line, irecovery's debug and older output, Windows device ids, stray NULs, `NONC` without
//! `SNON`, old 40-digit UDIDs, new serial-string tags and 30-pin-era product ids.

use kb::Kb;
use usb::identify::{Identified, identify};
use usb::{AppleDevice, Mode};

fn kb() -> &'static Kb {
    Kb::embedded().unwrap()
}

fn read(text: &str) -> Identified {
    identify(kb(), text)
}

fn one(text: &str) -> AppleDevice {
    let found = read(text);
    assert_eq!(found.devices.len(), 1, "{text}\n{:#?}", found.devices);
    found.devices.into_iter().next().unwrap()
}

fn model(d: &AppleDevice) -> (Mode, Option<&str>) {
    (d.mode, d.product_type.as_deref())
}

/// ipwndfu (axi0mX) prints the DFU serial string after `Found:`, with `PWND:[checkm8]` once
/// the exploit ran.
#[test]
fn ipwndfu_found_lines() {
    let d = one("*** checkm8 exploit by axi0mX ***
Found: CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRTG:[iBoot-2696.0.0.1.33] PWND:[checkm8]
Device is now in pwned DFU Mode.
(2.53 seconds)");
    assert_eq!(model(&d), (Mode::Dfu, Some("iPhone9,3")));
    assert_eq!(d.mode_detail.as_deref(), Some("pwned DFU"));
    assert_eq!(d.serial_tags["PWND"], "checkm8");
    // Not yet pwned, and not supported: the string still names the device.
    let d = one("Found: CPID:8015 CPRV:11 CPFM:03 SCEP:01 BDID:0E ECID:0011223344556677 IBFL:3C SRTG:[iBoot-3332.0.0.1.23]
ERROR: This device is not supported.");
    assert_eq!(model(&d), (Mode::Dfu, Some("iPhone10,6")));
}

/// libirecovery's debug output (`irecovery -vv`, or LIBIRECOVERY_DEBUG_LEVEL): the device it
/// opened, its ECID, what it connected to and the mode.
#[test]
fn irecovery_debug_output() {
    let d = one("Attempting to connect... 
opening device 05ac:1227 @ 0x14100000...
found device with ECID 001a2b3c4d5e6f70
Setting to configuration 1
Setting to interface 0:0
Connected to iPhone10,3, model d22ap, cpid 0x8015, bdid 0x06
DFU Mode");
    assert_eq!(model(&d), (Mode::Dfu, Some("iPhone10,3")));
    assert_eq!(d.ecid, Some(0x001a_2b3c_4d5e_6f70));
    assert_eq!(d.location_id, Some(0x1410_0000));
    // `irecovery -m` of a Port DFU device.
    let d = one("opening device 05ac:f014...\nPort DFU Mode");
    assert_eq!(d.mode, Mode::Dfu);
    assert_eq!(d.mode_detail.as_deref(), Some("Port DFU"));
}

/// irecovery before 2015 printed CPID, BDID and ECID in decimal (`%d`, `%lld`); from 2015 to
/// 2019 CPID and BDID in hex without 0x and the ECID in decimal. Neither is read as hex.
#[test]
fn older_irecovery_numbers_read_as_they_were_printed() {
    let d = one("CPID: 35136
BDID: 4
ECID: 6536251254238
SRNM: C39FXXXXDTWD
IMEI: N/A
MODE: Recovery");
    assert_eq!((d.cpid, d.bdid), (Some(0x8940), Some(0x04)));
    assert_eq!(model(&d), (Mode::Recovery, Some("iPad2,1")));
    assert_eq!(d.ecid, Some(6_536_251_254_238));
    let d = one("CPID: 8010
CPRV: 11
BDID: 0c
ECID: 7364353469382718
CPFM: 03
SCEP: 01
IBFL: 3c
SRNM: N/A
IMEI: N/A
MODE: DFU");
    assert_eq!(model(&d), (Mode::Dfu, Some("iPhone9,3")));
    assert_eq!(d.ecid, Some(7_364_353_469_382_718));
}

/// libirecovery in KIS mode (Debug USB, product id 0x1881) prints the serial string and the
/// ids it read, one per line.
#[test]
fn irecovery_kis_debug_output() {
    let d = one("Loading device info in KIS mode...
Serial: SDOM:01 CPID:8140 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3D SRTG:[iBoot-10151.0.0.0.1]
Manufacturer: Apple Inc.
Product: Apple Mobile Device (DFU Mode)
VID: 0x05ac
PID: 0x1881");
    assert_eq!(model(&d), (Mode::Dfu, Some("iPhone17,1")));
    assert_eq!(d.mode_detail.as_deref(), Some("DFU via Debug USB (KIS)"));
}

/// idevicerestore prints the ECID in decimal and the board in the firmware it extracts; the
/// device's mode is the last one the log saw.
#[test]
fn an_idevicerestore_log_names_one_device() {
    let d = one("Found device in DFU mode
ECID: 967983531442214
Identified device as d22ap, iPhone10,3
Extracting iBSS.d22.RELEASE.im4p (Firmware/dfu/iBSS.d22.RELEASE.im4p)...
Sending iBSS (1246147 bytes)...
irecv_event_cb: device 000370603a8a4026 (udid: N/A) disconnected
irecv_event_cb: device 000370603a8a4026 (udid: N/A) connected in Recovery mode");
    assert_eq!(model(&d), (Mode::Recovery, Some("iPhone10,3")));
    assert_eq!(d.ecid, Some(967_983_531_442_214));
}

/// Windows: Device Manager's instance path (upper case, `_` for spaces), SetupAPI's log line
/// (closing its own bracket), a hardware id with `&REV_`, `pnputil /enum-devices` and a driver
/// name alone.
#[test]
fn windows_device_ids_in_every_form() {
    let d = one(
        r"USB\VID_05AC&PID_1227\CPID:8015_CPRV:11_CPFM:03_SCEP:01_BDID:0E_ECID:001A2B3C4D5E6F70_IBFL:3C_SRTG:[IBOOT-3332.0.0.1.23]",
    );
    assert_eq!(model(&d), (Mode::Dfu, Some("iPhone10,6")));
    let d = one(
        r">>>  [Device Install (Hardware initiated) - USB\VID_05AC&PID_1281\CPID:8010_CPRV:11_CPFM:03_SCEP:01_BDID:08_ECID:001A2B3C4D5E6F70_IBFL:1A_SRNM:[F17XXXXXHG7F]_IMEI:[355XXXXXXXXXXXX]]
>>>  Section start 2021/03/04 10:11:12.345",
    );
    assert_eq!(model(&d), (Mode::Recovery, Some("iPhone9,1")));
    assert_eq!(d.imei.as_deref(), Some("355XXXXXXXXXXXX"));
    let d = one(r"Hardware IDs: USB\VID_05AC&PID_12A8&REV_1403&MI_00");
    assert_eq!(model(&d), (Mode::Normal, None));
    let d = one(
        r"Instance ID:                USB\VID_05AC&PID_12A8\00008030001E2D2E0C02802E
Device Description:         Apple Mobile Device USB Composite Device
Class Name:                 USB",
    );
    assert_eq!(model(&d), (Mode::Normal, None));
    assert_eq!(d.cpid, Some(0x8030));
    // Registry exports double the backslashes.
    let d = one(
        r#""DeviceInstance"="USB\\VID_05AC&PID_1281\\CPID:8960_CPRV:11_CPFM:03_SCEP:01_BDID:00_ECID:000A1B2C3D4E5F60_IBFL:1B""#,
    );
    assert_eq!(model(&d), (Mode::Recovery, Some("iPhone6,1")));
    let d = one("Universal Serial Bus controllers\n    Apple Recovery (DFU) USB Driver");
    assert_eq!(model(&d), (Mode::Dfu, None));
}

/// A NUL copied into a paste, as `^@` or as the byte, splits tokens instead of gluing them: the
/// SRTG after it still says DFU.
#[test]
fn a_stray_nul_inside_a_paste() {
    for nul in ["^@", "\0", "\0\0"] {
        let text = format!(
            "CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C{nul}SRTG:[iBoot-2696.0.0.1.33]{nul}"
        );
        let d = one(&text);
        assert_eq!(model(&d), (Mode::Dfu, Some("iPhone9,3")), "{text:?}");
        assert_eq!(d.ecid, Some(0x001A_2B3C_4D5E_6F70));
        let lsusb = format!(
            "Bus 001 Device 007: ID 05ac:1281 Apple, Inc. Apple Mobile Device [Recovery Mode]\n  iSerial                 3 CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:02 ECID:000A1B2C3D4E5F60 IBFL:1B SRNM:[F2LXXXXXXXXX]{nul}\n"
        );
        let d = one(&lsusb);
        assert_eq!(model(&d), (Mode::Recovery, Some("iPhone6,2")), "{lsusb:?}");
    }
}

/// An A6 or older device's strings carry an ApNonce (NONC) but no SEP nonce (SNON): the nonce
/// is kept as a tag and never read as an ECID or a UDID.
#[test]
fn nonc_without_snon() {
    let d = one(
        "CPID:8950 CPRV:20 CPFM:03 SCEP:01 BDID:00 ECID:000004AB12CD34EF IBFL:03 SRNM:[DNPXXXXXXXXX] IMEI:[013XXXXXXXXXXXX] NONC:1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
    );
    assert_eq!(model(&d), (Mode::Recovery, Some("iPhone5,1")));
    assert_eq!(d.ecid, Some(0x0000_04AB_12CD_34EF));
    assert_eq!(d.udid, None);
    assert!(d.serial_tags.contains_key("NONC"));
    let d = one("CPID: 0x8950
CPRV: 0x20
BDID: 0x00
ECID: 0x000004ab12cd34ef
CPFM: 0x03
SCEP: 0x01
IBFL: 0x03
SRTG: N/A
SRNM: DNPXXXXXXXXX
IMEI: N/A
NONC: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
MODE: Recovery");
    assert_eq!(model(&d), (Mode::Recovery, Some("iPhone5,1")));
    assert_eq!(d.udid, None);
    // A NONC line alone says nothing about a device.
    assert!(
        read("NONC: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b")
            .devices
            .is_empty()
    );
}

/// Devices before 2018 have a 40-hex-digit UDID: it names a device but no chip, ECID, mode or
/// model.
#[test]
fn a_40_digit_udid_of_an_old_device() {
    let d = one("3e2f9a1c4b5d6e7f8091a2b3c4d5e6f708192a3b (USB)");
    assert_eq!(model(&d), (Mode::Unknown, None));
    assert_eq!((d.cpid, d.ecid), (None, None));
    assert_eq!(
        d.udid.as_deref(),
        Some("3e2f9a1c4b5d6e7f8091a2b3c4d5e6f708192a3b")
    );
    // With a DFU string of a device it cannot be tied to: one device, and the paste says so.
    let found = read(
        "Telling device with udid 3e2f9a1c4b5d6e7f8091a2b3c4d5e6f708192a3b to enter recovery mode.
CPID:8015 CPRV:11 CPFM:03 SCEP:01 BDID:0A ECID:001838E00801EFAE IBFL:3C SRTG:[iBoot-3332.0.0.1.23]",
    );
    assert_eq!(found.devices.len(), 1, "{:#?}", found.devices);
    assert_eq!(model(&found.devices[0]), (Mode::Dfu, Some("iPhone10,4")));
    assert!(
        found.notes.iter().any(|n| n.contains("UDID")),
        "{:?}",
        found.notes
    );
    // A 40-digit hash that is not named as a UDID is not a device.
    assert!(
        read("commit 3e2f9a1c4b5d6e7f8091a2b3c4d5e6f708192a3b")
            .devices
            .is_empty()
    );
}

/// Tags iBoot adds over the years (SDOM, SIKA, NONC, SNON, PWND) and tags not yet seen are kept
/// and never change what the known ones say, wherever they stand.
#[test]
fn new_and_unknown_serial_tags() {
    let base = "CPID:8132 CPRV:11 CPFM:03 SCEP:01 BDID:0E ECID:001A2B3C4D5E6F70 IBFL:3D SRNM:[DMPXXXXXXXXX]";
    for extra in [
        "SDOM:01",
        "SIKA:00",
        "SIKA:02 SDOM:01",
        "ZQXW:7F",
        "NONC:0011223344556677889900112233445566778899 SNON:aabbccddeeff00112233445566778899aabbccdd",
        "FOOB:[something new] QQQQ:",
    ] {
        for text in [format!("{extra} {base}"), format!("{base} {extra}")] {
            let d = one(&text);
            assert_eq!(model(&d), (Mode::Recovery, Some("iPad16,6")), "{text}");
            assert_eq!(d.ecid, Some(0x001A_2B3C_4D5E_6F70), "{text}");
        }
    }
}

/// lsusb of 30-pin-era devices: their normal-mode product ids name the model (usb.ids); where
/// the id names a model with several variants, the variants are candidates, none is picked.
#[test]
fn lsusb_of_30_pin_era_devices() {
    let found = read(
        "Bus 002 Device 004: ID 05ac:1294 Apple, Inc. iPhone 3GS
Bus 002 Device 005: ID 05ac:1292 Apple, Inc. iPhone 3G
Bus 001 Device 010: ID 05ac:129e Apple, Inc. iPod Touch 4.Gen
Bus 001 Device 011: ID 05ac:1297 Apple, Inc. iPhone 4
Bus 001 Device 012: ID 05ac:1222 Apple, Inc. Mobile Device (WTF Mode)",
    );
    let got: Vec<(Mode, Option<&str>)> = found.devices.iter().map(model).collect();
    assert_eq!(
        got,
        [
            (Mode::Normal, Some("iPhone2,1")),
            (Mode::Normal, Some("iPhone1,2")),
            (Mode::Normal, Some("iPod4,1")),
            (Mode::Normal, None),
            (Mode::Wtf, None),
        ]
    );
    let iphone4 = &found.devices[3];
    assert_eq!(iphone4.name.as_deref(), Some("iPhone 4"));
    assert_eq!(iphone4.candidates, ["iPhone3,1", "iPhone3,2", "iPhone3,3"]);
    // A modern id names a family only: no model.
    assert_eq!(
        model(&one(
            "Bus 001 Device 003: ID 05ac:12a8 Apple, Inc. iPhone 5/5C/5S/6/SE/7/8/X/XR"
        )),
        (Mode::Normal, None)
    );
}

/// An lsusb line and a serial string in one paste: one device when it can only be the one,
/// and said so when the lsusb line could be either of two.
#[test]
fn a_paste_that_could_be_two_devices_says_so() {
    let found = read(
        "Bus 001 Device 005: ID 05ac:1227 Apple, Inc. Mobile Device (DFU Mode)
CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]",
    );
    assert_eq!(found.devices.len(), 1, "{:#?}", found.devices);
    assert_eq!(model(&found.devices[0]), (Mode::Dfu, Some("iPhone9,3")));
    let found = read(
        "Bus 001 Device 005: ID 05ac:1227 Apple, Inc. Mobile Device (DFU Mode)
CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]
CPID:8015 CPRV:11 CPFM:03 SCEP:01 BDID:0A ECID:001838E00801EFAE IBFL:3C SRTG:[iBoot-3332.0.0.1.23]",
    );
    let models: Vec<_> = found.devices.iter().map(model).collect();
    assert!(models.contains(&(Mode::Dfu, Some("iPhone9,3"))));
    assert!(models.contains(&(Mode::Dfu, Some("iPhone10,4"))));
    assert!(!found.notes.is_empty(), "{:#?}", found.devices);
    // Re-enumerations of one phone: the same id with a new device number each time.
    let found = read(
        "Bus 001 Device 011: ID 05ac:1281 Apple, Inc. Apple Mobile Device [Recovery Mode]
Bus 001 Device 012: ID 05ac:1281 Apple, Inc. Apple Mobile Device [Recovery Mode]",
    );
    assert!(
        found.notes.iter().any(|n| n.contains("one device")),
        "{:?}",
        found.notes
    );
}

/// PowerShell's `Get-PnpDevice -PresentOnly | Where-Object InstanceId -like 'USB\VID_05AC*'`:
/// a table with CRLF line ends whose InstanceId column Windows PowerShell cuts with "...".
#[test]
fn get_pnpdevice_tables() {
    let table = "\r\nStatus     Class           FriendlyName                                  InstanceId\r\n------     -----           ------------                                  ----------\r\nOK         USB             Apple Mobile Device USB Composite Device      USB\\VID_05AC&PID_12A8\\00008030001E2D2E0C02802E\r\nOK         USBDevice       Apple Recovery (DFU) USB Driver               USB\\VID_05AC&PID_1227\\CPID:8015_CPRV:11_CPFM:03_SCEP:01_BDID:0E_ECID:001A2...\r\n\r\n";
    let found = read(table);
    let got: Vec<(Mode, Option<u32>)> = found.devices.iter().map(|d| (d.mode, d.cpid)).collect();
    assert_eq!(
        got,
        [(Mode::Normal, Some(0x8030)), (Mode::Dfu, Some(0x8015))],
        "{:#?}",
        found.devices
    );
    // The cut ECID is not read as a number.
    assert_eq!(found.devices[1].ecid, None);
    // The board id survived the cut: the model is known.
    assert_eq!(found.devices[1].product_type.as_deref(), Some("iPhone10,6"));
}
