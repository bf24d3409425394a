//! Fuzzes the `observe` check (fuzz/checks/observe.rs), which the corpus replay test runs too.
#![no_main]

#[path = "../checks/observe.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
