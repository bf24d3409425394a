//! An ECID as a typed value: read once from what a person typed (or from USB), and only then
//! written into irecovery's command line, in the one form irecovery reads as hex.

use std::fmt;

/// A phone's ECID (its chip's unique id, never 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ecid(u64);

/// Why a text is not an ECID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{shown}' is not an ECID: give it as `restore-doctor devices --show-ids` shows it (0x and up to 16 hex digits, such as 0x001A2B3C4D5E6F70) or as a decimal number"
)]
pub struct EcidError {
    shown: String,
}

/// Longest text echoed back in an error.
const SHOWN: usize = 40;

impl Ecid {
    /// Reads `0x` followed by 1 to 16 hex digits, or a decimal number; 0 is no ECID.
    pub fn parse(text: &str) -> Result<Ecid, EcidError> {
        let trimmed = text.trim();
        let value = match trimmed
            .strip_prefix("0x")
            .or_else(|| trimmed.strip_prefix("0X"))
        {
            Some(hex)
                if (1..=16).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                u64::from_str_radix(hex, 16).ok()
            }
            Some(_) => None,
            None if (1..=20).contains(&trimmed.len())
                && trimmed.bytes().all(|b| b.is_ascii_digit()) =>
            {
                trimmed.parse().ok()
            }
            None => None,
        };
        value
            .filter(|&v| v != 0)
            .map(Ecid)
            .ok_or_else(|| EcidError {
                shown: kb::text::printable(trimmed).chars().take(SHOWN).collect(),
            })
    }

    /// An ECID read elsewhere (USB, a case); 0 is none.
    pub fn new(value: u64) -> Option<Ecid> {
        (value != 0).then_some(Ecid(value))
    }

    /// The ECID a device reported, when it gave one.
    pub fn of(device: &usb::AppleDevice) -> Option<Ecid> {
        device.ecid.and_then(Ecid::new)
    }

    pub fn value(self) -> u64 {
        self.0
    }

    /// The form put on irecovery's command line after `-i`: `0x` and 16 hex digits, which its
    /// `strtoull(…, 0)` reads as hex and which can never be taken for an option.
    pub fn arg(self) -> String {
        kb::text::ecid(self.0, true)
    }

    /// As people see it: masked (`0x************6F70`) unless `show` is set.
    pub fn shown(self, show: bool) -> String {
        kb::text::ecid(self.0, show)
    }
}

impl fmt::Display for Ecid {
    /// Masked: an ECID is an identifier.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_decimal_ecids_are_read() {
        let ecid = Ecid::parse("0x001838E00801EFAE").unwrap();
        assert_eq!(ecid.value(), 0x0018_38E0_0801_EFAE);
        assert_eq!(Ecid::parse(" 0x1838e00801efae\n"), Ok(ecid));
        assert_eq!(Ecid::parse("6817934299230126"), Ok(ecid));
        assert_eq!(Ecid::parse("0XFFFFFFFFFFFFFFFF").unwrap().value(), u64::MAX);
    }

    #[test]
    fn anything_else_is_refused_with_the_text_shown() {
        for bad in [
            "",
            "0",
            "0x",
            "0x0",
            "-0x1",
            "--normal",
            "-n",
            "0x1G",
            "0x00000000000000001",
            "18446744073709551616",
            "1e5",
            "0x12 34",
            "ECID:001838E00801EFAE",
            "١٢٣",
        ] {
            assert!(Ecid::parse(bad).is_err(), "{bad:?}");
        }
        let error = Ecid::parse("0x12\u{1b}[31m").unwrap_err().to_string();
        assert!(!error.contains('\u{1b}'), "{error}");
        let long = "9".repeat(500);
        assert!(Ecid::parse(&long).unwrap_err().to_string().len() < 300);
    }

    #[test]
    fn the_argument_is_hex_irecovery_reads_and_never_an_option() {
        let ecid = Ecid::parse("42").unwrap();
        assert_eq!(ecid.arg(), "0x000000000000002A");
        assert!(!ecid.arg().starts_with('-'));
    }

    #[test]
    fn it_is_masked_unless_asked() {
        let ecid = Ecid::parse("0x001838E00801EFAE").unwrap();
        assert_eq!(ecid.to_string(), "0x************EFAE");
        assert_eq!(ecid.shown(true), "0x001838E00801EFAE");
    }
}
