//! Apple's restore and update dialog in every language Finder, Apple Devices and iTunes ship
//! (`data/dialogs.toml`): the code of such a dialog, pasted or quoted, whatever its language.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::Kb;

/// Longest text read for a dialog: as long as the longest line (or window of a longer line)
/// the log scanner hands over (`logs::MAX_LINE`, 64 KiB), so a dialog quoted far into a long
/// line is still read; a pasted text is read up to it.
const MAX_CHARS: usize = 64 * 1024;
/// How far after "unknown error" its number may stand ("unbekannten Fehlers nicht
/// wiederhergestellt werden (4013)").
const AFTER_UNKNOWN: usize = 80;
/// How far after the frame ("could not be restored") the number may stand.
const AFTER_FRAME: usize = 200;

/// How one language words the dialog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogLanguage {
    /// BCP 47 tag: `pl`, `zh-Hant`.
    pub id: String,
    pub name: String,
    /// "unknown error" in this language, lower case (a stem where the word is inflected).
    pub unknown_error: Vec<String>,
    /// The frame: "could not be restored", "could not be updated", lower case.
    pub could_not: Vec<String>,
    /// Cited wordings, tested.
    #[serde(default)]
    pub example: Vec<DialogExample>,
}

/// One cited wording: Apple's string with `^FILENAME` and `^ERRORNUMBER`, or a person's quote
/// with the code it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogExample {
    pub text: String,
    pub code: Option<i64>,
    pub source: String,
}

/// The code a dialog carries, and the language it was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialogCode<'a> {
    pub code: i64,
    /// The language's id (`pl`, `ja`).
    pub language: &'a str,
}

impl Kb {
    /// The code of Apple's restore or update dialog in `text`, in any language the table
    /// knows: the number in brackets after "an unknown error occurred", else after "could not
    /// be restored / updated". With several dialogs, the last one's. Full-width, Arabic-Indic
    /// and other digits, full-width brackets and right-to-left marks are read as written.
    pub fn dialog_code(&self, text: &str) -> Option<DialogCode<'_>> {
        // Plain ASCII folds to itself in lower case, so without a bracket it holds no code.
        if text.is_ascii() && !text.contains(['(', ')']) {
            return None;
        }
        let text = fold(text);
        last_dialog(
            &self.dialog_languages,
            &text,
            |l| &l.unknown_error,
            AFTER_UNKNOWN,
        )
        .or_else(|| last_dialog(&self.dialog_languages, &text, |l| &l.could_not, AFTER_FRAME))
        .map(|(code, lang)| DialogCode {
            code,
            language: &lang.id,
        })
    }

    /// Every wording that marks a line as a dialog, as it appears in text (lower case, and
    /// with its first letter upper case where it opens a sentence).
    pub fn dialog_words(&self) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for lang in &self.dialog_languages {
            for phrase in lang.unknown_error.iter().chain(&lang.could_not) {
                let mut chars = phrase.chars();
                let capital: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                for word in [phrase.clone(), capital] {
                    if !words.contains(&word) {
                        words.push(word);
                    }
                }
            }
        }
        words
    }
}

/// The last of `phrases` in `text` (folded) followed by a number in brackets within `window`
/// characters, with that number and its language.
fn last_dialog<'a>(
    languages: &'a [DialogLanguage],
    text: &str,
    phrases: fn(&DialogLanguage) -> &[String],
    window: usize,
) -> Option<(i64, &'a DialogLanguage)> {
    let mut last: Option<(usize, i64, &DialogLanguage)> = None;
    for lang in languages {
        for phrase in phrases(lang) {
            for (at, _) in text.match_indices(phrase.as_str()) {
                if last.is_some_and(|(seen, _, _)| seen >= at) {
                    continue;
                }
                if let Some(code) = bracketed_number(&text[at + phrase.len()..], window) {
                    last = Some((at, code, lang));
                }
            }
        }
    }
    last.map(|(_, code, lang)| (code, lang))
}

/// The text as the table compares it: compatibility forms folded (full-width digits and
/// brackets, composed accents), lower case, every decimal digit as ASCII, apostrophes and minus
/// signs as ASCII, direction marks and other invisible format characters dropped.
pub(crate) fn fold(text: &str) -> String {
    if text.is_ascii() {
        // ASCII is its own compatibility form; only case and the backquote change.
        let cut = text.len().min(MAX_CHARS);
        return text[..cut].to_ascii_lowercase().replace('`', "'");
    }
    fold_any(text)
}

/// [`fold`] for any text.
fn fold_any(text: &str) -> String {
    let cut = text
        .char_indices()
        .nth(MAX_CHARS)
        .map_or(text.len(), |(i, _)| i);
    text[..cut]
        .nfkc()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => None,
            '\u{061c}' | '\u{feff}' => None,
            '’' | '‘' | 'ʼ' | '`' | '′' => Some('\''),
            '−' | '‐' | '‑' => Some('-'),
            '﴾' => Some('('),
            '﴿' => Some(')'),
            c => Some(ascii_digit(c).unwrap_or(c)),
        })
        .collect()
}

/// A decimal digit of another script (Arabic-Indic, Persian, Devanagari, Bengali, Thai) as its
/// ASCII digit. Full-width digits are folded before, by NFKC.
fn ascii_digit(c: char) -> Option<char> {
    const ZEROS: [u32; 5] = [0x0660, 0x06f0, 0x0966, 0x09e6, 0x0e50];
    let code = u32::from(c);
    ZEROS
        .iter()
        .find(|zero| (**zero..**zero + 10).contains(&code))
        .and_then(|zero| char::from_digit(code - zero, 10))
}

/// The first number in brackets within `window` characters of the start of `rest`: `(4013)`,
/// `( -1 )`, `(0xE8000015)`, or mirrored `)4013(` as right-to-left text is sometimes copied.
fn bracketed_number(rest: &str, window: usize) -> Option<i64> {
    let limit = rest
        .char_indices()
        .nth(window)
        .map_or(rest.len(), |(i, _)| i);
    let head = &rest[..limit];
    let is_bracket = |c: char| c == '(' || c == ')';
    head.match_indices(is_bracket).find_map(|(open, _)| {
        let inside = &rest[open + 1..];
        let close = inside.find(is_bracket)?;
        let token = inside[..close].trim();
        if token.len() > 12 {
            return None;
        }
        crate::codes::parse_number(token).ok().flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// ASCII text folds the quick way exactly as the general way folds it.
        #[test]
        fn ascii_folds_as_any_text_folds(text in "[ -~]{0,60}") {
            proptest::prop_assert_eq!(fold(&text), fold_any(&text));
        }
    }

    #[test]
    fn folding_reads_other_digits_and_brackets() {
        assert_eq!(fold("（４０１３）"), "(4013)");
        assert_eq!(fold("(٤٠١٣)"), "(4013)");
        assert_eq!(fold("(۴۰۱۳)"), "(4013)");
        assert_eq!(fold("\u{200f}(4013)\u{200e}"), "(4013)");
        assert_eq!(fold("iPhone’a"), "iphone'a");
        assert_eq!(fold("(−1)"), "(-1)");
    }

    #[test]
    fn a_bracketed_number_is_found_near_only() {
        assert_eq!(bracketed_number(" occurred (4013).", 80), Some(4013));
        assert_eq!(
            bracketed_number(" (z) x (14)", 80),
            Some(14),
            "a(z) is no code"
        );
        assert_eq!(bracketed_number(")4013(", 80), Some(4013));
        assert_eq!(bracketed_number(" ( -1 )", 80), Some(-1));
        assert_eq!(bracketed_number(" (0xe8000015)", 80), Some(0xE800_0015));
        assert_eq!(
            bracketed_number(&format!("{} (9)", "x".repeat(100)), 80),
            None
        );
        assert_eq!(bracketed_number(" (12345678901234567890)", 80), None);
        assert_eq!(bracketed_number(" (4013", 80), None);
    }
}
