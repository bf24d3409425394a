//! Error codes, Apple's categories and code ranges, and how a typed or pasted code is read
//! and looked up (exact entry, else the range it falls in, else honestly unknown).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Kb;

/// One of Apple's error categories, with Apple's recommended steps and cause likelihoods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub summary: String,
    /// Apple's recommended order of actions for this category (action ids).
    pub apple_steps: Vec<String>,
    /// Likelihood of a code of this category for causes not in `likelihood`.
    pub default_likelihood: f64,
    #[serde(default)]
    pub likelihood: BTreeMap<String, f64>,
    pub sources: Vec<String>,
}

/// An error code (or several sharing one description).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    pub code: Option<i64>,
    #[serde(default)]
    pub codes: Vec<i64>,
    pub category: String,
    /// A second Apple category where Apple lists the code twice.
    pub also: Option<String>,
    /// How sure the category is: "A-q", "A-2", "A-m" or "none".
    pub apple: String,
    /// How sure the meaning and causes are: "high", "medium" or "low".
    pub confidence: String,
    pub phase: Option<crate::Phase>,
    pub meaning: String,
    #[serde(default)]
    pub likelihood: BTreeMap<String, f64>,
    /// Likelihood for causes `likelihood` does not name; the category's when absent.
    pub default_likelihood: Option<f64>,
    pub sources: Vec<String>,
}

impl CodeEntry {
    /// Every code number this entry describes.
    pub fn numbers(&self) -> Vec<i64> {
        self.code.iter().chain(self.codes.iter()).copied().collect()
    }
}

/// A range of codes that answers with its category when no exact entry exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRange {
    pub from: i64,
    pub to: i64,
    pub category: String,
    pub sources: Vec<String>,
}

/// How a code was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeMatch {
    /// The code has its own entry.
    Exact,
    /// The code falls inside a known range; only the category is known.
    Range,
    /// Nothing is known about the code.
    Unknown,
}

impl CodeMatch {
    pub fn id(self) -> &'static str {
        match self {
            CodeMatch::Exact => "exact",
            CodeMatch::Range => "range",
            CodeMatch::Unknown => "none",
        }
    }
}

/// What the knowledge base knows about one code number.
#[derive(Debug, Clone)]
pub struct CodeLookup<'kb> {
    pub code: i64,
    pub matched: CodeMatch,
    pub entry: Option<&'kb CodeEntry>,
    pub range: Option<&'kb CodeRange>,
    pub category: Option<&'kb Category>,
}

impl<'kb> CodeLookup<'kb> {
    /// Relative likelihood of seeing this code if `cause` were the fault. An unknown code
    /// carries no information, so every cause gets the same value.
    pub fn likelihood(&self, cause: &str) -> f64 {
        if let Some(entry) = self.entry {
            if let Some(v) = entry.likelihood.get(cause) {
                return *v;
            }
            if let Some(v) = entry.default_likelihood {
                return v;
            }
        }
        match self.category {
            Some(c) => c
                .likelihood
                .get(cause)
                .copied()
                .unwrap_or(c.default_likelihood),
            None => 1.0,
        }
    }

    /// The code as Apple's tools print it: hexadecimal for large Windows codes.
    pub fn display(&self) -> String {
        display_code(self.code)
    }
}

/// Formats a code the way it appears on screen (`4013`, `-1`, `0xE8000015`).
pub fn display_code(code: i64) -> String {
    if code >= 0x1000_0000 {
        format!("0x{code:08X}")
    } else {
        code.to_string()
    }
}

impl Kb {
    /// Looks a code up: its own entry first, then the range it falls in.
    pub fn lookup_code(&self, code: i64) -> CodeLookup<'_> {
        if let Some(entry) = self.code_position(code).map(|i| &self.codes[i]) {
            return CodeLookup {
                code,
                matched: CodeMatch::Exact,
                entry: Some(entry),
                range: None,
                category: self.category(&entry.category),
            };
        }
        if let Some(range) = self
            .ranges
            .iter()
            .filter(|r| r.from <= code && code <= r.to)
            .min_by_key(|r| r.to - r.from)
        {
            return CodeLookup {
                code,
                matched: CodeMatch::Range,
                entry: None,
                range: Some(range),
                category: self.category(&range.category),
            };
        }
        CodeLookup {
            code,
            matched: CodeMatch::Unknown,
            entry: None,
            range: None,
            category: None,
        }
    }
}

/// Why text could not be read as an error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeParseError {
    #[error("no error code given; pass the number from the error message, e.g. 4013")]
    Empty,
    #[error(
        "'{0}' is not an error code; pass the number from the message, e.g. 4013, -1 or 0xE8000015"
    )]
    NotACode(String),
    #[error("'{0}' is too large to be an error code from Finder, iTunes or Apple Devices")]
    TooLarge(String),
    #[error("the text holds several numbers ({}); type the one the error showed", .0.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))]
    Several(Vec<i64>),
}

/// Reads an error code from what a person types or pastes: `4013`, `-1`, `0xE8000015`,
/// `error 4013`, or a whole dialog text such as "An unknown error occurred (4013)."
pub fn parse_code(input: &str) -> Result<i64, CodeParseError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(CodeParseError::Empty);
    }
    let bare = text.trim_end_matches(['.', '。', '!', '！', '?', '？', ',']);
    if let Some(code) = parse_number(bare)? {
        return Ok(code);
    }
    // Apple's dialog in any language it ships, brackets and digits as that language writes them.
    if let Some(dialog) = crate::Kb::embedded()
        .ok()
        .and_then(|kb| kb.dialog_code(text))
    {
        return Ok(dialog.code);
    }
    if let Some(code) = number_in_last_parentheses(text)? {
        return Ok(code);
    }
    numbers_in_prose(text)
}

/// A pasted dialog's code: the number in the last pair of parentheses. Fullwidth parentheses
/// appear in Japanese dialogs.
fn number_in_last_parentheses(text: &str) -> Result<Option<i64>, CodeParseError> {
    let normalized = text.replace(['（', '('], "(").replace(['）', ')'], ")");
    let Some(end) = normalized.rfind(')') else {
        return Ok(None);
    };
    let Some(start) = normalized[..end].rfind('(') else {
        return Ok(None);
    };
    parse_number(normalized[start + 1..end].trim())
}

/// Words that come just before an error number in the languages of the samples (English,
/// Japanese, Chinese, German, Spanish, Polish).
const ERROR_WORDS: [&str; 10] = [
    "error",
    "code",
    "エラー",
    "错误",
    "錯誤",
    "fehler",
    "código",
    "codigo",
    "błąd",
    "kod",
];

/// The code in a sentence: the only number in it, or the number right after an error word;
/// several candidates are a question back, never a guess.
fn numbers_in_prose(text: &str) -> Result<i64, CodeParseError> {
    // Fullwidth digits (Japanese and Chinese input) read as ASCII digits.
    let text: String = text
        .chars()
        .take(2000)
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' => '-',
            c => c,
        })
        .collect();
    let lowered = text.to_lowercase();
    let mut candidates: Vec<(usize, i64)> = Vec::new();
    let chars: Vec<(usize, char)> = lowered.char_indices().collect();
    let mut i = 0;
    while i < chars.len() && candidates.len() < 32 {
        let (at, c) = chars[i];
        let starts = c.is_ascii_digit()
            || (c == '-'
                && chars.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit())
                && (i == 0 || !chars[i - 1].1.is_alphanumeric()));
        let glued =
            starts && i > 0 && (chars[i - 1].1.is_ascii_alphabetic() || chars[i - 1].1 == '.');
        let mut j = i + 1;
        while j < chars.len() && chars[j].1.is_ascii_alphanumeric() {
            j += 1;
        }
        if !starts || glued {
            // Digits inside a word ("A1778", "iPhone7") are not a code: skip the whole word.
            i = if glued { j } else { i + 1 };
            continue;
        }
        let end = chars.get(j).map_or(lowered.len(), |(e, _)| *e);
        if let Some(code) = parse_number(&lowered[at..end])? {
            candidates.push((at, code));
        }
        i = j;
    }
    let mut distinct: Vec<i64> = candidates.iter().map(|(_, c)| *c).collect();
    distinct.dedup();
    match distinct.as_slice() {
        [] => Err(CodeParseError::NotACode(shorten(&text))),
        [one] => Ok(*one),
        _ => {
            // The number right after an error word ("error 4013", "エラー4013", "Fehler: 9").
            let after_word = candidates.iter().find(|(at, _)| {
                let before = lowered[..*at].trim_end_matches([' ', ':', '#', '：', '(', '（']);
                ERROR_WORDS.iter().any(|w| before.ends_with(w))
            });
            match after_word {
                Some((_, code)) => Ok(*code),
                None => Err(CodeParseError::Several(distinct)),
            }
        }
    }
}

/// Parses a bare decimal (optionally signed) or `0x` hexadecimal number; `Ok(None)` when the
/// text is not a number at all.
pub(crate) fn parse_number(text: &str) -> Result<Option<i64>, CodeParseError> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let value =
            u32::from_str_radix(hex, 16).map_err(|_| CodeParseError::TooLarge(shorten(text)))?;
        let value = i64::from(value);
        return Ok(Some(if negative { -value } else { value }));
    }
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let value: i64 = digits
        .parse()
        .map_err(|_| CodeParseError::TooLarge(shorten(text)))?;
    // Real codes fit in 32 bits; anything wider is a typo, not a code.
    if value > i64::from(u32::MAX) {
        return Err(CodeParseError::TooLarge(shorten(text)));
    }
    Ok(Some(if negative { -value } else { value }))
}

/// The text cut to a readable length, control characters replaced, for error messages.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 40;
    let mut cut: String = text
        .chars()
        .take(LIMIT)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if text.chars().nth(LIMIT).is_some() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_negative_hex_and_pasted_codes() {
        assert_eq!(parse_code("4013"), Ok(4013));
        assert_eq!(parse_code(" -1 "), Ok(-1));
        assert_eq!(parse_code("0xE8000015"), Ok(0xE800_0015));
        assert_eq!(parse_code("0xe8000015"), Ok(0xE800_0015));
        assert_eq!(parse_code("error 4014"), Ok(4014));
        assert_eq!(parse_code("Error: 9"), Ok(9));
        assert_eq!(
            parse_code("The iPhone could not be restored. An unknown error occurred (4013)."),
            Ok(4013)
        );
        assert_eq!(
            parse_code("不明なエラーが発生しました（75）。"),
            Ok(75),
            "fullwidth parentheses of a Japanese dialog"
        );
    }

    #[test]
    fn rejects_what_is_not_a_code() {
        assert_eq!(parse_code(""), Err(CodeParseError::Empty));
        assert_eq!(parse_code("   "), Err(CodeParseError::Empty));
        assert!(matches!(
            parse_code("abc"),
            Err(CodeParseError::NotACode(_))
        ));
        assert!(matches!(parse_code("0x"), Err(CodeParseError::NotACode(_))));
        assert!(matches!(parse_code("()"), Err(CodeParseError::NotACode(_))));
        assert!(matches!(
            parse_code("99999999999999999999"),
            Err(CodeParseError::TooLarge(_))
        ));
        assert!(matches!(
            parse_code("0x1FFFFFFFF"),
            Err(CodeParseError::TooLarge(_))
        ));
        assert!(matches!(
            parse_code("4294967296"),
            Err(CodeParseError::TooLarge(_))
        ));
    }

    #[test]
    fn long_garbage_is_shortened_in_the_message() {
        let junk = "x".repeat(10_000);
        let message = parse_code(&junk).unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
        let control = parse_code("\u{1b}[31mred").unwrap_err().to_string();
        assert!(
            !control.contains('\u{1b}'),
            "escape sequences are not echoed: {control:?}"
        );
    }

    #[test]
    fn large_codes_display_in_hex() {
        assert_eq!(display_code(0xE800_0015), "0xE8000015");
        assert_eq!(display_code(4013), "4013");
        assert_eq!(display_code(-1), "-1");
    }
}
