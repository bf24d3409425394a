//! Fuzzes the `dashboard` check (fuzz/checks/dashboard.rs), which the corpus replay test runs
//! too: whole connections to `serve`, and the page's request bodies.
#![no_main]

#[path = "../checks/dashboard.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
