//! Text that came from outside (pastes, logs, files, arguments) made safe to show: control
//! characters and terminal escapes removed, and personal identifiers masked.

use std::borrow::Cow;

/// `text` without control characters (escape sequences, bells, carriage returns, C1 codes);
/// tabs become spaces and newlines stay. Printable text is returned as it is.
pub fn printable(text: &str) -> Cow<'_, str> {
    // Every control character is a byte below 0x20, 0x7f, or a C1 code (0xc2 then 0x80–0x9f):
    // a byte scan clears the usual line without decoding it.
    let suspect = |b: &u8| (*b < 0x20 && *b != b'\n') || *b == 0x7f || *b == 0xc2;
    if !text.as_bytes().iter().any(suspect) || !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                '\n' => Some('\n'),
                '\t' => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// All but the last four characters as stars: "F17XXXXXXXXX" → "********XXXX".
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let keep = chars.len().min(4);
    "*".repeat(chars.len() - keep) + &chars[chars.len() - keep..].iter().collect::<String>()
}

/// Masks identifiers (as [`redact_identifiers`]) in every string of a JSON value; our own
/// values only, which are a few levels deep.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = redact_identifiers(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// Labels after which the value is personal (case does not matter).
const LABELLED: [&str; 12] = [
    "ecid:",
    "ecid=",
    "ecid ",
    "uniquechipid",
    "srnm:",
    "serialnumber",
    "serial number",
    "serial:",
    "imei",
    "udid",
    "uniquedeviceid",
    "devicename",
];

/// `text` with ECIDs, UDIDs, serial numbers, IMEIs and device names masked: a value after one of
/// their labels, a 40-character hex UDID, an `8-16` hex UDID, a bare 13–16 digit hex ECID and
/// a 15-digit IMEI. Error codes (at most ten digits) and everything else are left alone.
pub fn redact_identifiers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // ASCII lower-casing keeps every byte where it was (the labels are ASCII), so positions in
    // `lower` are positions in `text`.
    let lower = text.to_ascii_lowercase();
    let mut masked_until = 0;
    let mut i = 0;
    while i < text.len() {
        if i >= masked_until
            && let Some(label) = LABELLED.iter().find(|l| lower[i..].starts_with(*l))
        {
            // Past separators and plist tags: "ECID: ", "SRNM:[", "</key><string>".
            let mut value_start = i + label.len();
            loop {
                let rest = &text[value_start..];
                if let Some(tag) = ["</key>", "<string>", "<integer>"]
                    .iter()
                    .find(|t| rest.starts_with(*t))
                {
                    value_start += tag.len();
                } else if rest.starts_with([' ', ':', '=', '"', '[', '>', '\t']) {
                    value_start += 1;
                } else {
                    break;
                }
            }
            let value_len = text[value_start..]
                .find(|c: char| {
                    if *label == "devicename" {
                        matches!(c, '\n' | '<' | '"' | ',' | ']')
                    } else {
                        !(c.is_ascii_alphanumeric() || c == '-')
                    }
                })
                .unwrap_or(text.len() - value_start);
            out.push_str(&text[i..value_start]);
            out.push_str(&mask(&text[value_start..value_start + value_len]));
            i = value_start + value_len;
            masked_until = i;
            continue;
        }
        let rest = &text[i..];
        let token_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let at_word_start = i == 0
            || !text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
        if token_len > 0 && at_word_start {
            let token = &rest[..token_len];
            out.push_str(&if is_identifier(token) {
                mask(token)
            } else {
                token.to_owned()
            });
            i += token_len;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn is_identifier(token: &str) -> bool {
    let hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let bare = token.strip_prefix("0x").unwrap_or(token);
    match token.split_once('-') {
        // The UDID of a phone from 2018 on: 8 hex, a dash, 16 hex.
        Some((a, b)) => a.len() == 8 && b.len() == 16 && hex(a) && hex(b),
        None => {
            (token.len() == 40 && hex(token))
                || (token.len() == 15 && digits(token))
                || ((13..=16).contains(&bare.len())
                    && hex(bare)
                    && bare.chars().any(|c| c.is_ascii_digit()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_removed_and_plain_text_is_untouched() {
        assert_eq!(
            printable("a\u{1b}]0;owned\u{7}b\u{1b}[2Jc\r\n\td"),
            "a]0;ownedb[2Jc\n d"
        );
        assert!(matches!(printable("plain 4013 エラー"), Cow::Borrowed(_)));
        assert_eq!(printable("x\u{9b}31my"), "x31my", "C1 CSI is removed too");
    }

    #[test]
    fn identifiers_are_masked_and_codes_are_not() {
        let line = "ECID: 0x001A2B3C4D5E6F70 UDID 00008101-001A2B3C4D5E6F70 SRNM:[F17XXXXX1234] IMEI 356789012345678 error 4013 0xE8000015";
        let masked = redact_identifiers(line);
        for secret in [
            "001A2B3C4D5E",
            "00008101-001A2B3C4D5E",
            "F17XXXXX",
            "35678901234",
        ] {
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        assert!(
            masked.contains("error 4013") && masked.contains("0xE8000015"),
            "{masked}"
        );
        let bare = redact_identifiers("device 0123456789abcdef0123456789abcdef01234567 gone");
        assert!(
            bare.contains("****4567") && !bare.contains("0123456789abcdef"),
            "{bare}"
        );
        // A capital whose lower case is longer (Ⱥ, ⱥ) once split a character here.
        assert!(redact_identifiers("{Ⱥ\u{afaf}-8 ecid: 0x001A2B3C4D5E6F70").contains("****"));
        let name = redact_identifiers("<key>DeviceName</key><string>Anna's iPhone</string>");
        assert!(!name.contains("Anna"), "{name}");
        assert_eq!(
            redact_identifiers("restore-os phase, 4014"),
            "restore-os phase, 4014"
        );
    }
}
