//! Fuzzes the `code_model` check (fuzz/checks/code_model.rs), which the corpus replay test runs too.
#![no_main]

#[path = "../checks/code_model.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
