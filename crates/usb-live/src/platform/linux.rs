//! Linux: sysfs says whether a hub is built in, and ports are named as the kernel names them
//! (`1-4.2`: bus 1, root port 4, hub port 2), as dmesg, sysfs and `--sysfs-root` do.

/// Whether the hub is built into the computer (sysfs `removable`: `fixed`).
pub fn built_in(info: &nusb::DeviceInfo) -> Option<bool> {
    match std::fs::read_to_string(info.sysfs_path().join("removable"))
        .ok()?
        .trim()
    {
        "fixed" => Some(true),
        "removable" => Some(false),
        _ => None,
    }
}

/// The port path by the kernel's bus number; nusb's bus id is zero-padded (`001`).
pub fn port_path(info: &nusb::DeviceInfo) -> String {
    let ports: Vec<String> = info.port_chain().iter().map(u8::to_string).collect();
    format!("{}-{}", info.busnum(), ports.join("."))
}

/// Linux has no location id.
pub fn location_id(_info: &nusb::DeviceInfo) -> Option<u32> {
    None
}
