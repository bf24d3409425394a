//! What nusb tells differently per OS: whether a hub is built in, the port path as the OS's own
//! tools name it, and macOS's location id. One module per OS, the same three functions in each.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::{built_in, location_id, port_path};

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub use macos::{built_in, location_id, port_path};

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod other;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub use other::{built_in, location_id, port_path};
