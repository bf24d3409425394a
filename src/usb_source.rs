//! Where USB devices are read from: the live bus, a snapshot written by `devices --save`, or a
//! Linux sysfs tree (for tests and for reading another machine's bus).

use std::path::Path;

use usb::source::{DeviceSource, SnapshotFile};
use usb::sysfs::SysfsSource;
use usb_live::LiveSource;

/// The source to watch: as [`source`], except that where the live bus cannot be read but
/// usbmuxd answers, usbmuxd's device list is watched instead.
pub fn for_watching(
    kb: &kb::Kb,
    from: Option<&Path>,
    sysfs_root: Option<&Path>,
) -> Box<dyn DeviceSource> {
    let chosen = source(from, sysfs_root);
    let fallback = crate::usbmux_view::UsbmuxSource;
    if chosen.is_live() && chosen.snapshot(kb).is_err() && fallback.snapshot(kb).is_ok() {
        return Box::new(fallback);
    }
    chosen
}

/// The source the flags ask for: a snapshot file, a sysfs tree, or the live bus.
pub fn source(from: Option<&Path>, sysfs_root: Option<&Path>) -> Box<dyn DeviceSource> {
    match (from, sysfs_root) {
        (Some(file), _) => Box::new(SnapshotFile(file.to_owned())),
        (None, Some(root)) => Box::new(SysfsSource::new(root)),
        (None, None) => Box::new(LiveSource),
    }
}
