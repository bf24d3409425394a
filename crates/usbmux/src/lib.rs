//! A small usbmuxd client: the version 1 plist protocol every restore tool speaks to reach
//! phones in normal mode — device list, attach / detach events, the host BUID, connections
//! to a device port, and the lockdown values a phone gives without pairing. Decoding (`frame`,
//! `message`) is pure; `client` and `lockdown` do the I/O.

pub mod client;
pub mod frame;
pub mod lockdown;
pub mod message;

pub use client::{Address, Client, ClientError};
pub use message::{Answer, MuxDevice, Outcome};
