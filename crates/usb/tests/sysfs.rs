//! Linux sysfs trees built in a temporary directory after the kernel's documented layout
//! (Documentation/ABI/stable/sysfs-bus-usb): device directories named bus-port.port, with
//! idVendor, idProduct, serial, speed and removable attributes; interfaces and root hubs beside.

use std::fs;
use std::path::Path;
use std::time::Duration;

use usb::source::{Change, DeviceSource, Watcher};
use usb::sysfs::SysfsSource;
use usb::{Mode, Speed};

fn device(root: &Path, name: &str, attrs: &[(&str, &str)]) {
    let dir = root.join("bus/usb/devices").join(name);
    fs::create_dir_all(&dir).unwrap();
    for (k, v) in attrs {
        fs::write(dir.join(k), format!("{v}\n")).unwrap();
    }
}

fn kb() -> &'static kb::Kb {
    kb::Kb::embedded().unwrap()
}

/// A laptop: root hub usb1, an internal hub on 1-1 (fixed), an external hub on 1-2 with a phone
/// in DFU mode behind it, and an iPhone straight on root port 1-4, plus an interface entry.
fn laptop(root: &Path) {
    device(
        root,
        "usb1",
        &[
            ("idVendor", "1d6b"),
            ("idProduct", "0002"),
            ("speed", "480"),
        ],
    );
    device(
        root,
        "1-1",
        &[
            ("idVendor", "8087"),
            ("idProduct", "0a2b"),
            ("bDeviceClass", "09"),
            ("removable", "fixed"),
            ("product", "Internal Hub"),
        ],
    );
    device(
        root,
        "1-2",
        &[
            ("idVendor", "05e3"),
            ("idProduct", "0610"),
            ("bDeviceClass", "09"),
            ("removable", "removable"),
            ("product", "USB2.0 Hub"),
        ],
    );
    device(
        root,
        "1-2.3",
        &[
            ("idVendor", "05ac"),
            ("idProduct", "1227"),
            ("speed", "480"),
            (
                "serial",
                "CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRTG:[iBoot-2696.0.0.1.33]",
            ),
        ],
    );
    device(
        root,
        "1-4",
        &[
            ("idVendor", "05ac"),
            ("idProduct", "12a8"),
            ("speed", "480"),
            ("serial", "00008030001122334455667A"),
        ],
    );
    device(root, "1-4:1.0", &[("bInterfaceClass", "06")]);
    device(
        root,
        "1-1.1",
        &[
            ("idVendor", "05ac"),
            ("idProduct", "8290"),
            ("speed", "12"),
            ("product", "Bluetooth USB Host Controller"),
        ],
    );
}

#[test]
fn reads_modes_models_speeds_and_hubs() {
    let dir = tempfile::tempdir().unwrap();
    laptop(dir.path());
    let devices = SysfsSource::new(dir.path()).snapshot(kb()).unwrap();
    assert_eq!(
        devices.len(),
        2,
        "Apple's Bluetooth controller is not a phone: {devices:#?}"
    );
    let dfu = &devices[0];
    assert_eq!(dfu.usb_path.as_deref(), Some("1-2.3"));
    assert_eq!(dfu.mode, Mode::Dfu);
    assert_eq!(dfu.product_type.as_deref(), Some("iPhone9,3"));
    assert_eq!(dfu.speed, Some(Speed::High));
    assert_eq!(dfu.hubs.len(), 1);
    assert_eq!(dfu.hubs[0].name.as_deref(), Some("USB2.0 Hub"));
    assert_eq!(dfu.hubs[0].built_in, Some(false));
    assert_eq!(dfu.external_hubs(), 1);
    let normal = &devices[1];
    assert_eq!(normal.usb_path.as_deref(), Some("1-4"));
    assert_eq!(normal.mode, Mode::Normal);
    assert_eq!(normal.cpid, Some(0x8030));
    assert!(normal.hubs.is_empty());
}

#[test]
fn an_internal_hub_is_built_in() {
    let dir = tempfile::tempdir().unwrap();
    laptop(dir.path());
    device(
        dir.path(),
        "1-1.4",
        &[
            ("idVendor", "05ac"),
            ("idProduct", "1281"),
            ("speed", "480"),
            (
                "serial",
                "CPID:8015 BDID:06 ECID:0011223344556677 SRNM:[F17XXXXXXXXX]",
            ),
        ],
    );
    let devices = SysfsSource::new(dir.path()).snapshot(kb()).unwrap();
    let recovery = devices.iter().find(|d| d.mode == Mode::Recovery).unwrap();
    assert_eq!(recovery.hubs[0].built_in, Some(true));
    assert_eq!(recovery.external_hubs(), 0);
    assert_eq!(recovery.product_type.as_deref(), Some("iPhone10,3"));
}

#[test]
fn a_missing_tree_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = SysfsSource::new(dir.path().join("nope"))
        .snapshot(kb())
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope") && err.contains("cannot read"), "{err}");
}

#[test]
fn the_watcher_reports_attach_detach_and_mode_changes() {
    let dir = tempfile::tempdir().unwrap();
    laptop(dir.path());
    let source = SysfsSource::new(dir.path());
    let mut watcher = Watcher::new(&source as &dyn DeviceSource, Duration::from_millis(10));
    let first = watcher.poll(kb()).unwrap();
    assert_eq!(
        first
            .iter()
            .filter(|c| matches!(c, Change::Attached(_)))
            .count(),
        2
    );
    assert!(watcher.poll(kb()).unwrap().is_empty(), "nothing changed");
    // The DFU phone goes to recovery: it re-enumerates with a new product id.
    fs::write(dir.path().join("bus/usb/devices/1-2.3/idProduct"), "1281\n").unwrap();
    let changes = watcher.next_changes(kb()).unwrap();
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Detached(d) if d.mode == Mode::Dfu)),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Attached(d) if d.mode == Mode::Recovery)),
        "{changes:?}"
    );
    fs::remove_dir_all(dir.path().join("bus/usb/devices/1-4")).unwrap();
    let changes = watcher.next_changes(kb()).unwrap();
    assert!(
        matches!(&changes[..], [Change::Detached(d)] if d.usb_path.as_deref() == Some("1-4")),
        "{changes:?}"
    );
}
