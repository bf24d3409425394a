//! One test per pasted format that the real captures do not cover, written in each tool's
//! documented layout, plus input that is not a listing at all.

use kb::Kb;
use usb::identify::identify;
use usb::{Mode, Speed};

fn kb() -> &'static Kb {
    Kb::embedded().unwrap()
}

#[test]
fn windows_device_paths_lowercase_with_underscores() {
    let text = r"\\?\usb#vid_05ac&pid_1281#sdom:01_cpid:8015_cprv:11_cpfm:03_scep:01_bdid:0e_ecid:001a2b3c4d5e6f70_ibfl:3c_srnm:[f2lzxxxxjcl6]#{ed82a167-d61a-4af6-9ab6-11e52236c576}
USB\VID_05AC&PID_1227\CPID:8010_CPRV:11_BDID:08_ECID:000A0B0C0D0E0F10_SRTG:[IBOOT-2696.0.0.1.33]";
    let found = identify(kb(), text);
    assert_eq!(found.formats, ["windows device path"]);
    let d = &found.devices;
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].mode, Mode::Recovery);
    assert_eq!(
        d[0].product_type.as_deref(),
        Some("iPhone10,6"),
        "CPID 8015 BDID 0E = iPhone X (GSM)"
    );
    assert_eq!(d[0].serial_number.as_deref(), Some("F2LZXXXXJCL6"));
    assert_eq!(d[1].mode, Mode::Dfu);
    assert_eq!(d[1].product_type.as_deref(), Some("iPhone9,1"));
}

#[test]
fn system_profiler_json() {
    let text = r#"{
  "SPUSBDataType" : [
    {
      "_items" : [
        {
          "_items" : [
            {
              "_name" : "iPhone",
              "location_id" : "0x01120000 / 4",
              "manufacturer" : "Apple Inc.",
              "product_id" : "0x1227",
              "serial_num" : "CPID:8101 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001C2D3E4F506172 IBFL:3C SRTG:[iBoot-4479.0.0.100.4]",
              "vendor_id" : "0x05ac  (Apple Inc.)",
              "device_speed" : "high_speed"
            }
          ],
          "_name" : "USB2.0 Hub",
          "location_id" : "0x01100000 / 2",
          "product_id" : "0x0610",
          "vendor_id" : "0x05e3  (Genesys Logic, Inc.)",
          "device_speed" : "high_speed"
        }
      ],
      "_name" : "USB31Bus",
      "host_controller" : "AppleUSBXHCITR"
    }
  ]
}"#;
    let found = identify(kb(), text);
    assert!(
        found.formats.contains(&"system_profiler -json"),
        "{:?}",
        found.formats
    );
    let d = &found.devices[0];
    assert_eq!(d.mode, Mode::Dfu);
    assert_eq!(
        d.product_type.as_deref(),
        Some("iPhone13,2"),
        "CPID 8101 BDID 0C = iPhone 12"
    );
    assert_eq!(d.speed, Some(Speed::High));
    assert_eq!(d.hubs.len(), 1);
    assert_eq!(d.hubs[0].name.as_deref(), Some("USB2.0 Hub"));
    assert_eq!(d.external_hubs(), 1, "a Genesys hub is an external hub");
}

#[test]
fn ioreg_plist_tree() {
    let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>IORegistryEntryName</key><string>Root</string>
  <key>IORegistryEntryChildren</key>
  <array>
    <dict>
      <key>IORegistryEntryName</key><string>USB3.1 Hub</string>
      <key>idVendor</key><integer>8457</integer>
      <key>idProduct</key><integer>2066</integer>
      <key>bDeviceClass</key><integer>9</integer>
      <key>IORegistryEntryChildren</key>
      <array>
        <dict>
          <key>IORegistryEntryName</key><string>Apple Mobile Device (Recovery Mode)</string>
          <key>idVendor</key><integer>1452</integer>
          <key>idProduct</key><integer>4737</integer>
          <key>Device Speed</key><integer>2</integer>
          <key>locationID</key><integer>337707008</integer>
          <key>kUSBSerialNumberString</key><string>SDOM:01 CPID:8030 CPRV:11 CPFM:03 SCEP:01 BDID:04 ECID:0011223344556677 IBFL:3C SRNM:[DX3XXXXXXXXX]</string>
        </dict>
      </array>
    </dict>
  </array>
</dict>
</plist>"#;
    let found = identify(kb(), text);
    assert_eq!(found.formats, ["ioreg -a"]);
    let d = &found.devices[0];
    assert_eq!(d.mode, Mode::Recovery);
    assert_eq!(d.product_type.as_deref(), Some("iPhone12,1"));
    assert_eq!(d.hubs.len(), 1);
    assert_eq!(d.hubs[0].vid, Some(0x2109));
    assert_eq!(d.serial_tags["SDOM"], "01", "unknown tags are kept");
}

#[test]
fn usbmuxd_device_list_records() {
    let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
  <key>DeviceList</key>
  <array>
    <dict>
      <key>DeviceID</key><integer>3</integer>
      <key>MessageType</key><string>Attached</string>
      <key>Properties</key>
      <dict>
        <key>ConnectionSpeed</key><integer>480000000</integer>
        <key>ConnectionType</key><string>USB</string>
        <key>DeviceID</key><integer>3</integer>
        <key>LocationID</key><integer>65539</integer>
        <key>ProductID</key><integer>4776</integer>
        <key>SerialNumber</key><string>00008030-001A2B3C4D5E6F70</string>
      </dict>
    </dict>
  </array>
</dict>
</plist>"#;
    let found = identify(kb(), text);
    assert_eq!(found.formats, ["usbmuxd"]);
    let d = &found.devices[0];
    assert_eq!(d.mode, Mode::Normal);
    assert_eq!(d.speed, Some(Speed::High));
    assert_eq!(d.cpid, Some(0x8030));
    assert_eq!(d.ecid, Some(0x001A_2B3C_4D5E_6F70));
    assert_eq!(d.location_id, Some(65539));
}

#[test]
fn lsusb_tree_verbose_with_a_hub() {
    let text = "/:  Bus 001.Port 001: Dev 001, Class=root_hub, Driver=xhci_hcd/12p, 480M
    ID 1d6b:0002 Linux Foundation 2.0 root hub
    |__ Port 003: Dev 004, If 0, Class=Hub, Driver=hub/4p, 480M
        ID 05e3:0610 Genesys Logic, Inc. Hub
        |__ Port 002: Dev 009, If 0, Class=Vendor Specific Class, Driver=, 480M
            ID 05ac:1227 Apple, Inc. Mobile Device (DFU Mode)
    |__ Port 004: Dev 005, If 0, Class=Imaging, Driver=, 480M
        ID 05ac:12a8 Apple, Inc. iPhone
    |__ Port 004: Dev 005, If 1, Class=Vendor Specific Class, Driver=usbmux, 480M
        ID 05ac:12a8 Apple, Inc. iPhone";
    let found = identify(kb(), text);
    assert!(found.formats.contains(&"lsusb -t"), "{:?}", found.formats);
    let d = &found.devices;
    assert_eq!(
        d.len(),
        2,
        "two interfaces of one iPhone are one device: {d:#?}"
    );
    assert_eq!(d[0].usb_path.as_deref(), Some("1-3.2"));
    assert_eq!(d[0].mode, Mode::Dfu);
    assert_eq!(d[0].external_hubs(), 1);
    assert_eq!(d[1].usb_path.as_deref(), Some("1-4"));
    assert_eq!(d[1].mode, Mode::Normal);
    assert_eq!(d[1].external_hubs(), 0);
}

#[test]
fn several_formats_in_one_paste() {
    let text = "Bus 002 Device 003: ID 05ac:1281 Apple, Inc. Apple Mobile Device [Recovery Mode]
Bus 002 Device 007: ID 05ac:1227 Apple, Inc. Mobile Device (DFU Mode)
Bus 002 Device 001: ID 1d6b:0002 Linux Foundation 2.0 root hub
Bus 001 Device 002: ID 05ac:024f Apple, Inc. Aluminium Keyboard (ANSI)
[ 812.204] usb 2-1.3: new full-speed USB device number 9 using xhci_hcd
[ 812.391] usb 2-1.3: New USB device found, idVendor=05ac, idProduct=12a8, bcdDevice=16.01";
    let found = identify(kb(), text);
    let modes: Vec<Mode> = found.devices.iter().map(|d| d.mode).collect();
    assert_eq!(
        modes,
        [Mode::Recovery, Mode::Dfu, Mode::Normal],
        "{:#?}",
        found.devices
    );
    let slow = &found.devices[2];
    assert_eq!(slow.speed, Some(Speed::Full));
    assert_eq!(slow.external_hubs(), 1, "2-1.3 is behind a hub");
    assert_eq!(found.formats, ["lsusb", "dmesg"]);
}

#[test]
fn junk_yields_nothing_and_never_panics() {
    let mut junk: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    junk.extend_from_slice(b"\nCPID:\nECID:zz\n<plist><dict><key>ProductID</key>");
    let text = String::from_utf8_lossy(&junk);
    let found = identify(kb(), &text);
    assert!(found.devices.iter().all(|d| d.ecid.is_none()));
}

#[test]
fn a_huge_paste_and_a_huge_line_are_handled() {
    let line = "Bus 001 Device 005: ID 05ac:12a8 Apple, Inc. iPhone\n";
    let big = line.repeat(10 * 1024 * 1024 / line.len());
    let found = identify(kb(), &big);
    assert_eq!(
        found.devices.len(),
        1,
        "the same line repeated is one device"
    );
    let long_line = format!("CPID:8010 BDID:08 {}", "A".repeat(1024 * 1024));
    let found = identify(kb(), &long_line);
    assert_eq!(found.devices[0].cpid, Some(0x8010));
    let many: String = (0..5000)
        .map(|i| format!("Bus 001 Device {:03}: ID 05ac:12a8 Apple\n", i % 1000))
        .collect();
    assert!(identify(kb(), &many).devices.len() <= usb::identify::MAX_DEVICES);
}

#[test]
fn a_truncated_plist_is_skipped_but_the_rest_is_read() {
    let text = "Bus 003 Device 004: ID 05ac:1227 Apple, Inc. Mobile Device (DFU Mode)
<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>DeviceList</key><array><dict><key>ProductID</key><integer>4776";
    let found = identify(kb(), text);
    assert_eq!(found.devices.len(), 1);
    assert_eq!(found.devices[0].mode, Mode::Dfu);
}
