//! Text that came from outside (pastes, logs, files, arguments) made safe to show: control
//! characters and terminal escapes removed, names kept on one line, personal identifiers masked.

mod identifiers;

use std::borrow::Cow;

pub use identifiers::{IdPattern, PATTERNS, redact_identifiers};

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

/// An ECID as the tools print it and people read it: `0x` and 16 hex digits
/// (`0x001838E00801EFAE`), all but the last four masked unless `show`
/// (`0x************EFAE`).
pub fn ecid(value: u64, show: bool) -> String {
    let hex = format!("{value:016X}");
    if show {
        format!("0x{hex}")
    } else {
        format!("0x{}", mask(&hex))
    }
}

/// A name from outside (a file, a folder, a bench) on one line: newlines, tabs and other control
/// characters are written as escapes (`\n`, `\t`, `\u{1b}`), so a name can never start a line
/// of its own or move the cursor. Plain names are returned as they are.
pub fn one_line(name: &str) -> Cow<'_, str> {
    if !name.chars().any(char::is_control) {
        return Cow::Borrowed(name);
    }
    Cow::Owned(
        name.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
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
    fn names_stay_on_one_line() {
        assert_eq!(
            one_line("a.log\nrestore-doctor: all good\r\u{1b}[2J"),
            "a.log\\nrestore-doctor: all good\\r\\u{1b}[2J"
        );
        assert!(matches!(one_line("Anna's log é.txt"), Cow::Borrowed(_)));
    }
}
