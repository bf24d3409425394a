//! The DFU / recovery USB serial-number string (`CPID:8010 CPRV:11 ... ECID:... SRTG:[...]`):
//! every `TAG:value` token in any order, unknown tags kept, malformed values left unknown.

use std::collections::BTreeMap;

/// Longest serial string considered; real ones are under 256 bytes.
const MAX_LEN: usize = 1024;

/// What a serial string says about a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SerialInfo {
    /// Every tag and its raw value (brackets removed), including unknown tags such as SDOM.
    pub tags: BTreeMap<String, String>,
    pub cpid: Option<u32>,
    pub bdid: Option<u32>,
    pub ecid: Option<u64>,
    /// Apple serial number (SRNM), present in recovery strings.
    pub srnm: Option<String>,
    pub imei: Option<String>,
    /// SecureROM tag (SRTG): present in DFU strings, absent in recovery.
    pub srtg: Option<String>,
    /// Exploit marker (PWND) added by jailbreak tools.
    pub pwnd: Option<String>,
}

impl SerialInfo {
    /// True when the text carried at least the chip id or the ECID.
    pub fn identifies_a_device(&self) -> bool {
        self.cpid.is_some() || self.ecid.is_some()
    }

    /// The mode the string itself shows: SecureROM (DFU) strings carry SRTG, iBoot (recovery)
    /// strings the serial number or IMEI (SRNM, IMEI). A string cut before either shows none.
    pub fn mode(&self) -> crate::Mode {
        if self.srtg.is_some() {
            crate::Mode::Dfu
        } else if self.tags.contains_key("SRNM") || self.tags.contains_key("IMEI") {
            crate::Mode::Recovery
        } else {
            crate::Mode::Unknown
        }
    }
}

fn is_tag(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn hex_u64(value: &str) -> Option<u64> {
    let v = value.trim_start_matches("0x").trim_start_matches("0X");
    if v.is_empty() || v.len() > 16 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(v, 16).ok()
}

fn hex_u32(value: &str) -> Option<u32> {
    hex_u64(value).and_then(|v| u32::try_from(v).ok())
}

/// A redacted or placeholder value ("xxxx", "XYZ", "----") is unknown, not a number.
fn real_identifier(value: &str) -> bool {
    !value.is_empty()
        && !value
            .bytes()
            .all(|b| matches!(b, b'x' | b'X' | b'-' | b'*' | b'?' | b'.'))
}

/// Parses a serial string. Tags may come in any order and in any case (Windows lower-cases
/// them and writes spaces as `_`); text around the tokens is ignored.
pub fn parse(text: &str) -> SerialInfo {
    let text: String = text.chars().take(MAX_LEN).collect();
    // Windows device paths write spaces as underscores: "sdom:01_cpid:8015_cprv:11".
    let windows_style =
        !text.contains(' ') && text.contains('_') && text.to_ascii_lowercase().contains("cpid:");
    let spaced = if windows_style {
        text.replace('_', " ")
    } else {
        text
    };
    let mut info = SerialInfo::default();
    for token in spaced.split(|c: char| c.is_whitespace() || c == '`') {
        let Some((tag, value)) = token.split_once(':') else {
            continue;
        };
        if !is_tag(tag) {
            continue;
        }
        let tag = tag.to_ascii_uppercase();
        // "[iBoot-2234.0.0.3.3]"; a SetupAPI log closes its own bracket right after: "...]]".
        let value = value.trim_start_matches('[');
        let value = match value.find(']') {
            Some(end) => &value[..end],
            None => value,
        };
        info.tags
            .entry(tag.clone())
            .or_insert_with(|| value.to_owned());
        match tag.as_str() {
            "CPID" => info.cpid = info.cpid.or(hex_u32(value)),
            "BDID" => info.bdid = info.bdid.or(hex_u32(value)),
            "ECID" if real_identifier(value) => info.ecid = info.ecid.or(hex_u64(value)),
            "SRNM" if real_identifier(value) => info.srnm = Some(value.to_ascii_uppercase()),
            "IMEI" if real_identifier(value) => info.imei = Some(value.to_owned()),
            "SRTG" => info.srtg = Some(value.to_owned()),
            "PWND" => info.pwnd = Some(value.to_owned()),
            _ => {}
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_dfu_string() {
        let info = parse(
            "CPID:8000 CPRV:20 CPFM:03 SCEP:01 BDID:06 ECID:0000038E8E58B41C IBFL:1C SRTG:[iBoot-2234.0.0.3.3]",
        );
        assert_eq!(info.cpid, Some(0x8000));
        assert_eq!(info.bdid, Some(0x06));
        assert_eq!(info.ecid, Some(0x0000_038E_8E58_B41C));
        assert_eq!(info.srtg.as_deref(), Some("iBoot-2234.0.0.3.3"));
        assert_eq!(info.tags["IBFL"], "1C");
        assert_eq!(info.tags["CPRV"], "20");
    }

    #[test]
    fn keeps_unknown_tags_and_reads_any_order() {
        let info = parse(
            "SDOM:01 SIKA:02 ECID:001665DC38F020A6 BDID:08 CPID:8010 SRNM:[F17SXXXXHG7F] IMEI:[353123456789012]",
        );
        assert_eq!(info.tags["SDOM"], "01");
        assert_eq!(info.tags["SIKA"], "02");
        assert_eq!((info.cpid, info.bdid), (Some(0x8010), Some(0x08)));
        assert_eq!(info.srnm.as_deref(), Some("F17SXXXXHG7F"));
        assert_eq!(info.imei.as_deref(), Some("353123456789012"));
        assert!(info.srtg.is_none());
    }

    #[test]
    fn reads_the_windows_lower_case_underscore_form() {
        let info = parse(
            "sdom:01_cpid:8015_cprv:11_cpfm:03_scep:01_bdid:06_ecid:000a1b2c3d4e5f60_ibfl:3c_srnm:[f2lxxxxxxxxx]",
        );
        assert_eq!((info.cpid, info.bdid), (Some(0x8015), Some(0x06)));
        assert_eq!(info.ecid, Some(0x000a_1b2c_3d4e_5f60));
        assert_eq!(info.srnm.as_deref(), Some("F2LXXXXXXXXX"));
    }

    #[test]
    fn malformed_and_redacted_values_are_unknown() {
        let info = parse("CPID:zz80 BDID:0x0c ECID:xxxxxxxxxxxxxxxx");
        assert_eq!(info.cpid, None);
        assert_eq!(info.bdid, Some(0x0c));
        assert_eq!(info.ecid, None, "a redacted ECID is null, not a number");
        assert_eq!(info.tags["CPID"], "zz80", "the raw value is kept");
        let overflow = parse("ECID:FFFFFFFFFFFFFFFFFF CPID:123456789");
        assert_eq!((overflow.ecid, overflow.cpid), (None, None));
    }

    #[test]
    fn text_without_tags_is_empty() {
        assert_eq!(parse("hello world: nothing here"), SerialInfo::default());
        assert!(!parse("").identifies_a_device());
    }
}
