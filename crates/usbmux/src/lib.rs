//! A small usbmuxd client: the version 1 plist protocol every restore tool speaks to reach
//! phones in normal mode — device list, attach / detach events, the host BUID, and connections
//! to a device port. Decoding (`frame`, `message`) is pure; `client` does the I/O.

pub mod client;
pub mod frame;
pub mod message;

pub use client::{Address, Client, ClientError};
pub use message::{Answer, MuxDevice, Outcome};
