//! The computer Restore Doctor runs on, as evidence: which system it is, in the words of the
//! `host-os` question (a phone on its USB, or a restore it runs, is restored from here).

/// This computer's system as the `host-os` question names it, if it is one of them.
pub fn os() -> Option<&'static str> {
    match std::env::consts::OS {
        "macos" => Some("mac"),
        "windows" => Some("windows"),
        "linux" => Some("linux"),
        _ => None,
    }
}
