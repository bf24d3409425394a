//! The use-cases, one module each, as cargo's `ops`: given a [`Context`], an op does the work
//! and hands what happens to its caller as typed events; it never prints.

pub mod bench_restore;
pub mod context;
pub mod evidence;
pub mod learn;
pub mod restore;
#[cfg(feature = "dashboard")]
pub mod serve_feed;
pub mod watch;

pub use context::Context;
