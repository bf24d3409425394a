//! Fuzzes the import line reader (fuzz/checks/case_lines.rs), which the corpus replay test runs
//! too.
#![no_main]

#[path = "../checks/case_lines.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
