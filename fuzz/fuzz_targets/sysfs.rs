//! Fuzzes the `sysfs` check (fuzz/checks/sysfs.rs), which the corpus replay test runs too.
#![no_main]

#[path = "../checks/sysfs.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
