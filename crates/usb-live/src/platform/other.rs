//! Windows and the rest: the port path by nusb's bus id; whether a hub is built in and a
//! location id are not told.

/// Not told here.
pub fn built_in(_info: &nusb::DeviceInfo) -> Option<bool> {
    None
}

/// The port path by nusb's bus id.
pub fn port_path(info: &nusb::DeviceInfo) -> String {
    let ports: Vec<String> = info.port_chain().iter().map(u8::to_string).collect();
    format!("{}-{}", info.bus_id(), ports.join("."))
}

/// Not told here.
pub fn location_id(_info: &nusb::DeviceInfo) -> Option<u32> {
    None
}
