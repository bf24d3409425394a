//! Fuzzes the `usbmux_frame` check (fuzz/checks/usbmux_frame.rs), which the corpus replay test runs too.
#![no_main]

#[path = "../checks/usbmux_frame.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
