//! macOS: the location id IOKit gives every device (what `ioreg` and System Information show);
//! whether a hub is built in is not told.

/// Not told on macOS.
pub fn built_in(_info: &nusb::DeviceInfo) -> Option<bool> {
    None
}

/// The port path by nusb's bus id.
pub fn port_path(info: &nusb::DeviceInfo) -> String {
    let ports: Vec<String> = info.port_chain().iter().map(u8::to_string).collect();
    format!("{}-{}", info.bus_id(), ports.join("."))
}

/// IOKit's location id.
pub fn location_id(info: &nusb::DeviceInfo) -> Option<u32> {
    Some(info.location_id())
}
