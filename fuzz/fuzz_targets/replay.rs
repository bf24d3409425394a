//! Fuzzes the `replay` check (fuzz/checks/replay.rs), which the corpus replay test runs too.
#![no_main]

#[path = "../checks/replay.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
