//! The one table of personal identifiers (ECID, serial, IMEI, ICCID, UDID, e-mail, phone number,
//! MAC address, device name) as they are spelled in logs, listings and tool output, and the
//! masking every output that carries text from outside goes through.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// What separates a label from its value: spaces, `:`, `=`, `#`, quotes, brackets and the plist
/// tags between a key and its value (`<key>SerialNumber</key><string>F17…`).
const SEP: &str = r#"(?:</key>|<string>|<integer>|[ \t:="'\[>#])*"#;

/// One spelling of an identifier: a regex whose `id` group is the part masked, and an optional
/// check the match must pass (a regex cannot say "holds a digit" with a length bound).
pub struct IdPattern {
    /// What it finds, in plain words.
    pub name: &'static str,
    regex: String,
    accept: fn(&str) -> bool,
}

fn any(_: &str) -> bool {
    true
}

fn has_digit(value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_digit())
}

/// A phone number has 8 to 15 digits (ITU E.164), whatever separates them; after a `+`, a
/// country code (none starts with 0); brackets only around an area code or a trunk prefix
/// (`(555)`, `(0)20`). A time zone before a year (`+1000 2026`), a date, a decimal
/// (`+12.345678` s) or a count with a bracket (`45 (1234567 of …`) is none.
fn phone_number(value: &str) -> bool {
    static NOT_A_PHONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"^(?:\+0",
            r"|\+(?:0[0-9]|1[0-4])(?:00|15|30|45) (?:19|20)[0-9]{2}",
            r"|(?:19|20)[0-9]{2}[-./](?:0[1-9]|1[0-2])[-./](?:0[1-9]|[12][0-9]|3[01])",
            r"|\+?[0-9]+\.[0-9]+$)",
        ))
        .expect("the phone checks compile (tested)")
    });
    static AREA_CODE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\([0-9]{1,4}\)").expect("compiles (tested)"));
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    (8..=15).contains(&digits)
        && !NOT_A_PHONE.is_match(value)
        && !AREA_CODE.replace_all(value, "").contains(['(', ')'])
}

fn pattern(name: &'static str, regex: String, accept: fn(&str) -> bool) -> IdPattern {
    IdPattern {
        name,
        regex,
        accept,
    }
}

/// A value after one of `labels` (case does not matter), past [`SEP`].
fn labelled(name: &'static str, labels: &str, value: &str, accept: fn(&str) -> bool) -> IdPattern {
    pattern(
        name,
        format!(r"(?i)(?-u:\b)(?:{labels}){SEP}(?P<id>{value})"),
        accept,
    )
}

/// A value standing on its own, not inside a longer word.
fn bare(name: &'static str, value: &str, accept: fn(&str) -> bool) -> IdPattern {
    pattern(
        name,
        format!(r"(?i)(?-u:\b)(?P<id>{value})(?-u:\b)"),
        accept,
    )
}

/// Every identifier spelling masked by default, one entry per spelling. The tests below show
/// each on a line as it is really written.
pub static PATTERNS: LazyLock<Vec<IdPattern>> = LazyLock::new(|| {
    let alnum = "[a-z0-9][a-z0-9-]*";
    vec![
        labelled(
            "ECID after its label",
            "ecid|unique[ _]?chip[ _]?id",
            alnum,
            has_digit,
        ),
        // `ChipID` alone is the chip's model number (0x8030, 32816); a value as long as an ECID
        // after it is the ECID.
        labelled(
            "ECID after ChipID",
            "chip[ _]?id",
            r"[0-9]{8,20}|0x[0-9a-f]{9,16}",
            any,
        ),
        bare("bare hex ECID", "(?:0x)?[0-9a-f]{13,16}", has_digit),
        labelled(
            "serial number after its label",
            "serial[ _-]?(?:number|num|no)|serial",
            alnum,
            has_digit,
        ),
        labelled(
            "serial number after SN or SRNM",
            r"srnm|s/n|sn(?:\s*[:#=])",
            alnum,
            has_digit,
        ),
        labelled(
            "IMEI or MEID after its label",
            "imei2?|meid",
            "[0-9a-f](?:[ -]?[0-9a-f]){13,16}",
            has_digit,
        ),
        bare("bare IMEI", "[0-9]{15}", any),
        bare(
            "IMEI written in groups",
            "[0-9]{2}[ -][0-9]{6}[ -][0-9]{6}[ -][0-9]{1,2}",
            any,
        ),
        labelled(
            "ICCID after its label",
            "iccid|integrated[ _]?circuit[ _]?card[ _]?id(?:entity)?",
            "[0-9](?:[ -]?[0-9]){17,21}f?",
            any,
        ),
        bare("bare ICCID", "89[0-9]{17,20}f?", any),
        bare(
            "ICCID written in groups",
            "89[0-9]{2}(?:[ -][0-9]{4}){3}[ -][0-9]{3,4}",
            any,
        ),
        labelled(
            "UDID after its label",
            "udid|unique[ _]?device[ _]?id",
            alnum,
            has_digit,
        ),
        bare("40-hex UDID", "[0-9a-f]{40}", any),
        bare("8-16 UDID", "[0-9a-f]{8}-[0-9a-f]{16}", any),
        pattern(
            "e-mail address (Apple ID)",
            r"(?i)(?P<id>[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})".to_owned(),
            any,
        ),
        labelled(
            "phone number after its label",
            "phone[ _-]?(?:number)?|msisdn|tel",
            r"\+?[0-9](?:[ ().-]{0,2}[0-9]){5,16}",
            phone_number,
        ),
        // A `+` after a letter or digit joins a version (`1.3.0+20230101`), not a number.
        pattern(
            "international phone number",
            r"(?:^|[^0-9A-Za-z+])(?P<id>\+[0-9](?:[ ().-]{0,2}[0-9]){6,16})".to_owned(),
            phone_number,
        ),
        pattern(
            "North American phone number",
            r"(?P<id>\([0-9]{3}\)[ .-]?[0-9]{3}[ .-][0-9]{4}|(?-u:\b)[0-9]{3}[.-][0-9]{3}[.-][0-9]{4})(?-u:\b)"
                .to_owned(),
            any,
        ),
        bare(
            "Wi-Fi or Bluetooth MAC address",
            "[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}",
            any,
        ),
        labelled(
            "device name",
            "device[ _]?name",
            r#"[^\n<",\]]+"#,
            any,
        ),
    ]
});

/// The compiled table, in the order of [`PATTERNS`].
static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|p| Regex::new(&p.regex).expect("the identifier table compiles (tested)"))
        .collect()
});

/// Where `pattern` finds identifiers in `text`.
fn spans(pattern: usize, text: &str, out: &mut Vec<Range<usize>>) {
    let accept = PATTERNS[pattern].accept;
    for captures in COMPILED[pattern].captures_iter(text) {
        if let Some(id) = captures.name("id")
            && accept(id.as_str())
        {
            out.push(id.range());
        }
    }
}

/// `text` with the identifiers of the patterns numbered in `which` masked ([`super::mask`]).
fn redact_with(text: &str, which: impl Iterator<Item = usize>) -> String {
    let mut found = Vec::new();
    for pattern in which {
        spans(pattern, text, &mut found);
    }
    if found.is_empty() {
        return text.to_owned();
    }
    found.sort_unstable_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut pending: Option<Range<usize>> = None;
    for span in found {
        match &mut pending {
            Some(open) if span.start <= open.end => open.end = open.end.max(span.end),
            _ => {
                if let Some(open) = pending.replace(span) {
                    out.push_str(&text[at..open.start]);
                    out.push_str(&super::mask(&text[open.clone()]));
                    at = open.end;
                }
            }
        }
    }
    if let Some(open) = pending {
        out.push_str(&text[at..open.start]);
        out.push_str(&super::mask(&text[open.clone()]));
        at = open.end;
    }
    out.push_str(&text[at..]);
    out
}

/// `text` with every identifier of [`PATTERNS`] masked: all but its last four characters become
/// stars. Error codes, dates, times, versions and everything else are left alone.
pub fn redact_identifiers(text: &str) -> String {
    redact_with(text, 0..PATTERNS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pattern called `name` masks `secret` in `line` on its own, and so does the whole
    /// table; `kept` stays readable.
    fn masks(name: &str, line: &str, secret: &str, kept: &str) {
        let index = PATTERNS
            .iter()
            .position(|p| p.name == name)
            .unwrap_or_else(|| panic!("no pattern {name}"));
        let alone = redact_with(line, std::iter::once(index));
        assert!(!alone.contains(secret), "{name}: {secret} in {alone}");
        let all = redact_identifiers(line);
        assert!(!all.contains(secret), "{secret} in {all}");
        assert!(all.contains(kept), "{kept} lost from {all}");
    }

    #[test]
    fn ecid_after_its_label() {
        masks(
            "ECID after its label",
            "Found ECID 1543505009998, continuing",
            "15435050",
            "continuing",
        );
        masks(
            "ECID after its label",
            "UniqueChipID: 3741186299215",
            "37411862",
            "UniqueChipID: ",
        );
        masks(
            "ECID after its label",
            "<key>UniqueChipID</key><integer>3741186299215</integer>",
            "37411862",
            "</integer>",
        );
    }

    #[test]
    fn decimal_ecid_after_chipid() {
        masks(
            "ECID after ChipID",
            "BoardID=12 ChipID=1543505009998 error 4013",
            "15435050",
            "error 4013",
        );
        // The chip's model number is not personal.
        assert_eq!(redact_identifiers("ChipID: 32816"), "ChipID: 32816");
        assert_eq!(redact_identifiers("ChipID=0x8030"), "ChipID=0x8030");
    }

    #[test]
    fn bare_hex_ecid() {
        masks(
            "bare hex ECID",
            "device 0x001A2B3C4D5E6F70 in DFU mode",
            "001A2B3C4D5E",
            "in DFU mode",
        );
    }

    #[test]
    fn serial_after_its_label() {
        masks(
            "serial number after its label",
            "Serial# F17XXXXX1234 on port 1-4",
            "F17XXXXX",
            "on port 1-4",
        );
        masks(
            "serial number after its label",
            "device serial_number=C39ZK0ABN72J status=ok",
            "C39ZK0AB",
            "status=ok",
        );
        masks(
            "serial number after its label",
            "<key>SerialNumber</key><string>F17XXXXX1234</string>",
            "F17XXXXX",
            "</string>",
        );
    }

    #[test]
    fn serial_after_sn_or_srnm() {
        masks(
            "serial number after SN or SRNM",
            "SN: DNPX12345678 restoring",
            "DNPX1234",
            "restoring",
        );
        masks(
            "serial number after SN or SRNM",
            "CPID:8010 SRNM:[F17XXXXX1234] IBFL:3C",
            "F17XXXXX",
            "IBFL:3C",
        );
        assert_eq!(redact_identifiers("snapshot: 12"), "snapshot: 12");
    }

    #[test]
    fn imei_after_its_label_with_or_without_spaces() {
        masks(
            "IMEI or MEID after its label",
            "IMEI: 35 678901 234567 8 (slot 1)",
            "678901 234",
            "(slot 1)",
        );
        masks(
            "IMEI or MEID after its label",
            "InternationalMobileEquipmentIdentity IMEI=356789012345678",
            "3567890123",
            "IMEI=",
        );
        assert_eq!(redact_identifiers("IMEI: N/A"), "IMEI: N/A");
    }

    #[test]
    fn bare_imei() {
        masks(
            "bare IMEI",
            "modem 356789012345678 answered",
            "3567890123",
            "answered",
        );
    }

    #[test]
    fn imei_in_groups() {
        masks(
            "IMEI written in groups",
            "the box says 35-678901-234567-8 on it",
            "678901-2345",
            "on it",
        );
    }

    #[test]
    fn iccid_after_its_label() {
        masks(
            "ICCID after its label",
            "ICCID: 8901 2601 2345 6789 0123 SIM ready",
            "2601 2345",
            "SIM ready",
        );
    }

    #[test]
    fn bare_iccid() {
        masks(
            "bare ICCID",
            "sim 89012601234567890123 inserted",
            "8901260123456",
            "inserted",
        );
    }

    #[test]
    fn iccid_in_groups() {
        masks(
            "ICCID written in groups",
            "card 8901 2601 2345 6789 012 inserted",
            "2601 2345",
            "inserted",
        );
    }

    #[test]
    fn udid_after_its_label() {
        masks(
            "UDID after its label",
            "UDID: 00008101-001A2B3C4D5E6F70 paired",
            "001A2B3C4D5E",
            "paired",
        );
    }

    #[test]
    fn forty_hex_udid() {
        masks(
            "40-hex UDID",
            "device 0123456789abcdef0123456789abcdef01234567 gone",
            "0123456789abcdef",
            "****4567 gone",
        );
    }

    #[test]
    fn eight_sixteen_udid() {
        masks(
            "8-16 UDID",
            "Device 00008030-000A1B2C3D4E5F60 has successfully entered restore mode",
            "000A1B2C3D4E",
            "has successfully entered restore mode",
        );
    }

    #[test]
    fn email_address() {
        masks(
            "e-mail address (Apple ID)",
            "Apple ID anna.berg+phone@icloud.com is signed in",
            "anna.berg",
            "is signed in",
        );
    }

    #[test]
    fn phone_after_its_label() {
        masks(
            "phone number after its label",
            "PhoneNumber: 0171 2345678, carrier ok",
            "2345",
            "carrier ok",
        );
        masks(
            "phone number after its label",
            "<key>PhoneNumber</key><string>+46 70 123 45 67</string>",
            "70 123",
            "</string>",
        );
        masks(
            "phone number after its label",
            "tel: 030 12345678",
            "1234",
            "tel: ",
        );
        masks(
            "phone number after its label",
            "MSISDN=447700900123 attached",
            "4477009",
            "attached",
        );
    }

    #[test]
    fn international_phone_number() {
        for (line, secret) in [
            ("call +44 20 7946 0958 for the shop", "7946"),
            ("call +44 (0)20 7946 0958 for the shop", "7946"),
            ("her number: +1 (555) 123-4567 for the shop", "(555) 123"),
            ("call +1-555-123-4567 for the shop", "555-123"),
            ("call +49 151 23456789 for the shop", "151 2345"),
            ("call +4915123456789 for the shop", "4915123"),
            ("call +33 6 12 34 56 78 for the shop", "6 12 34"),
            ("call +86 138 0013 8000 for the shop", "138 0013"),
            ("owner (+61 412 345 678) for the shop", "412 345"),
        ] {
            masks("international phone number", line, secret, "for the shop");
        }
    }

    #[test]
    fn north_american_phone_number() {
        masks(
            "North American phone number",
            "her number (555) 123-4567 texts",
            "(555) 123",
            "texts",
        );
        masks(
            "North American phone number",
            "call 555.123.4567 today",
            "555.123",
            "today",
        );
        masks(
            "North American phone number",
            "call 555-123-4567 today",
            "555-123",
            "today",
        );
    }

    #[test]
    fn times_sizes_counts_and_versions_are_not_phone_numbers() {
        for line in [
            // A time zone before the year, as `date` and many logs write the time.
            "Thu Jan 01 12:34:56 +0000 2026 restore started",
            "Wed Aug 27 13:08:45 +1000 2025",
            "2026-01-01 12:34:56 +0530 2026",
            // Times and sizes after the word phone.
            "phone: 2026-01-01 12:34:56 restore started",
            "phone: 45 % (1234567 of 2345678 bytes)",
            "phone 1 of 12, 104857600 bytes sent",
            "tel 12.3456789 s",
            // Relative times, decimals and versions.
            "elapsed +12.345678 s",
            "[  +12.345678] usb 1-1: USB disconnect, device number 42",
            "libimobiledevice 1.3.0+20230101 idevicerestore 1.0.0+git20240101",
            "iOS 18.1.1 (22B91), iBoot-11881.40.129, build 22B5045g",
            "Sending NOR data now (2097152 bytes)",
            "Status: 0x12345678 after 4013 (14 %, 123456789 bytes)",
        ] {
            assert_eq!(redact_identifiers(line), line);
        }
    }

    #[test]
    fn mac_address() {
        masks(
            "Wi-Fi or Bluetooth MAC address",
            "WiFiAddress: a4:83:e7:12:34:56 BluetoothAddress=A4-83-E7-12-34-57",
            "a4:83:e7",
            "BluetoothAddress=",
        );
        assert!(!redact_identifiers("BluetoothAddress=A4-83-E7-12-34-57").contains("A4-83-E7"));
    }

    #[test]
    fn device_name() {
        masks(
            "device name",
            "<key>DeviceName</key><string>Anna's iPhone</string>",
            "Anna",
            "</string>",
        );
        masks(
            "device name",
            "device_name=\"Bob's iPad\", mode=normal",
            "Bob",
            "mode=normal",
        );
    }

    #[test]
    fn codes_times_dates_versions_and_prose_are_left_alone() {
        for line in [
            "restore-os phase, 4014",
            "An unknown error occurred (4013).",
            "ERROR: Unable to restore device, error 0xE8000015 (-1)",
            "2026-01-01 12:34:56.789 +0100 idevicerestore[123]: Status: Disk Failure",
            "iBoot-2696.0.0.1.33 iOS 16.7.10 (20H350)",
            "ChipID: 32816 BoardID: 4 CPID:8010 BDID:0C",
            "ECID mismatch, Serial: unknown, IMEI: N/A",
            "progress 42 % (step 18 of 23), 192.168.1.10:62078",
            "Sending NOR data now (2097152 bytes)",
        ] {
            assert_eq!(redact_identifiers(line), line);
        }
    }

    #[test]
    fn odd_text_never_panics_and_masks_keep_the_length_in_characters() {
        // A capital whose lower case is longer (Ⱥ, ⱥ) once split a character here.
        let masked = redact_identifiers("{Ⱥ\u{afaf}-8 ecid: 0x001A2B3C4D5E6F70");
        assert!(masked.contains("****"), "{masked}");
        let line = "ÄÖ ECID: 0x001A2B3C4D5E6F70 ünïcode +49 151 23456789 ✓";
        assert_eq!(
            redact_identifiers(line).chars().count(),
            line.chars().count()
        );
    }
}
