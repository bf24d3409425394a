//! Fuzzes the `report` check (fuzz/checks/report.rs), which the corpus replay test runs too.
#![no_main]

#[path = "../checks/report.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
