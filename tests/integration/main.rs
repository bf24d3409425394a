//! End-to-end tests of the `restore-doctor` binary, one module per command.

mod cases;
mod completions;
mod devices;
mod dfu;
mod diagnose;
mod exit_recovery;
mod explain;
mod features;
mod golden;
mod harness;
mod help;
mod identify;
mod learn;
mod live_usb;
mod logs;
mod restore;
mod restore_bench;
#[cfg(feature = "dashboard")]
mod serve;
mod session_replay;
mod terminal;
mod watch;
