//! The restore tools' own messages (the kb's tool message table) matched against a log's lines:
//! which tool printed a line, the phase and component it names, and whether it is a failure.

use std::collections::HashMap;
use std::sync::LazyLock;

use kb::{MessagePhase, Role};

/// One message a tool prints, ready to match.
#[derive(Debug)]
pub struct Entry {
    /// The tool's id (the log format it names).
    pub tool: &'static str,
    /// The message as the table gives it, with its placeholders.
    pub text: &'static str,
    /// The literal pieces between the placeholders (the first and last may be empty).
    segments: Vec<&'static str>,
    pub phase: MessagePhase,
    pub role: Role,
    pub component: Option<&'static str>,
    pub meaning: Option<&'static str>,
}

impl Entry {
    /// How much literal text the message has: the longer, the surer a match.
    fn weight(&self) -> usize {
        self.segments.iter().map(|s| s.len()).sum()
    }

    /// Whether `body` (a line without its time, level and error words) is this message. The
    /// first piece must start the line and the last end it, unless `anywhere` lets the message
    /// start inside the line (after text another print left on it).
    fn matches(&self, body: &str, anywhere: bool) -> bool {
        let Some((first, rest)) = self.segments.split_first() else {
            return false;
        };
        let start = if anywhere {
            match rules_find(body, first) {
                Some(at) => at + first.len(),
                None => return false,
            }
        } else if body.starts_with(first) {
            first.len()
        } else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return body.len() == start;
        };
        if !body.ends_with(last) {
            return false;
        }
        let end = body.len() - last.len();
        if end < start {
            return false;
        }
        let mut at = start;
        for piece in middle {
            match body
                .get(at..end)
                .and_then(|window| rules_find(window, piece))
            {
                Some(found) => at += found + piece.len(),
                None => return false,
            }
        }
        true
    }
}

fn rules_find(hay: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        Some(0)
    } else {
        crate::rules::find_in(hay, needle)
    }
}

/// Every tool message, and the literal each is looked for by.
pub struct Catalog {
    pub entries: Vec<Entry>,
    /// The literal each entry is found by (its longest piece), one per distinct literal.
    pub anchors: Vec<&'static str>,
    /// The entries each anchor stands for.
    by_anchor: Vec<Vec<u32>>,
}

/// The catalog of the built-in knowledge base (empty if it does not load, which its tests
/// prevent).
pub static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| table().map_or_else(Catalog::new_empty, Catalog::new));

/// The built-in tool message table (none if the kb does not load, which its tests prevent).
pub fn table() -> Option<&'static kb::ToolMessages> {
    Some(kb::Kb::embedded().ok()?.tool_messages())
}

/// The shortest literal a message is looked for by.
const MIN_ANCHOR: usize = 4;
/// The least literal text a message needs to be told from any other line.
const MIN_WEIGHT: usize = 8;

impl Catalog {
    fn new_empty() -> Catalog {
        Catalog {
            entries: Vec::new(),
            anchors: Vec::new(),
            by_anchor: Vec::new(),
        }
    }

    /// Builds the catalog. A text printed by a tool and by the tool it is built on counts as
    /// the base tool's (futurerestore prints idevicerestore's words too); a text printed in
    /// several places with different phases takes the phase of the step in progress.
    pub fn new(table: &'static kb::ToolMessages) -> Catalog {
        let base = |tool: &str| {
            table
                .tool(tool)
                .and_then(|t| t.built_on.as_deref())
                .filter(|b| *b != tool)
        };
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: HashMap<&'static str, usize> = HashMap::new();
        for m in table.messages() {
            let text = body(m.text);
            if let Some(&i) = seen.get(text) {
                let entry: &mut Entry = &mut entries[i];
                if base(entry.tool) == Some(m.tool) {
                    entry.tool = m.tool;
                }
                if entry.phase != m.phase && m.role != Role::Start {
                    entry.phase = MessagePhase::Current;
                }
                if m.role.is_failure() && !entry.role.is_failure() {
                    entry.role = m.role;
                }
                entry.component = entry.component.or(m.component);
                entry.meaning = entry.meaning.or(m.meaning);
                continue;
            }
            let segments = split(text);
            seen.insert(text, entries.len());
            entries.push(Entry {
                tool: m.tool,
                text,
                segments,
                phase: m.phase,
                role: m.role,
                component: m.component,
                meaning: m.meaning,
            });
        }
        let mut anchors = Vec::new();
        let mut by_anchor: Vec<Vec<u32>> = Vec::new();
        let mut anchor_index: HashMap<&'static str, usize> = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            let Some(anchor) = entry
                .segments
                .iter()
                .copied()
                .max_by_key(|s| s.len())
                .filter(|s| s.len() >= MIN_ANCHOR && entry.weight() >= MIN_WEIGHT)
            else {
                continue;
            };
            let slot = *anchor_index.entry(anchor).or_insert_with(|| {
                anchors.push(anchor);
                by_anchor.push(Vec::new());
                anchors.len() - 1
            });
            by_anchor[slot].push(u32::try_from(i).expect("fewer than 2^32 messages"));
        }
        Catalog {
            entries,
            anchors,
            by_anchor,
        }
    }

    /// The message `line` is, given the anchors found in it: the surest whole-line match, or
    /// else one that starts inside the line.
    pub fn find(&self, line: &str, anchors: &[u32]) -> Option<&Entry> {
        let body = body(line);
        let candidates = || {
            anchors
                .iter()
                .filter_map(|a| self.by_anchor.get(*a as usize))
                .flatten()
                .map(|i| &self.entries[*i as usize])
        };
        // The most literal text wins; of equals, the one with fewer placeholders.
        let sureness = |e: &&Entry| (e.weight(), std::cmp::Reverse(e.segments.len()));
        candidates()
            .filter(|e| e.matches(body, false))
            .max_by_key(sureness)
            .or_else(|| {
                candidates()
                    .filter(|e| e.segments.first().is_some_and(|s| s.len() >= 12))
                    .filter(|e| e.matches(body, true))
                    .max_by_key(sureness)
            })
    }
}

/// A message's literal pieces around its placeholders.
fn split(text: &'static str) -> Vec<&'static str> {
    let mut pieces = Vec::new();
    let rest = text;
    let mut piece_start = 0;
    let mut at = 0;
    while let Some(open) = rest[at..].find('{') {
        let open = at + open;
        if matches!(
            rest.get(open..open + 3),
            Some("{n}" | "{x}" | "{f}" | "{s}")
        ) {
            pieces.push(&rest[piece_start..open]);
            piece_start = open + 3;
            at = open + 3;
        } else {
            at = open + 1;
        }
    }
    pieces.push(&rest[piece_start..]);
    pieces
}

/// Words a tool puts before its message: a level (`ERROR:`, `[Error]`, `<Error>`) or the
/// exception field futurerestore prints the message in (`what=`).
const LEVEL_WORDS: [&str; 22] = [
    "<Error>",
    "<Warning>",
    "<Notice>",
    "<Info>",
    "<Verbose>",
    "<Debug>",
    "ERROR:",
    "ERORR:",
    "Error:",
    "WARNING:",
    "Warning:",
    "NOTE:",
    "INFO:",
    "DEBUG:",
    "[Error]",
    "[ERROR]",
    "[WARNING]",
    "[Warning]",
    "[INFO]",
    "[DEBUG]",
    "what=",
    "\"",
];

/// A line without what tools and front ends put around a message: leading times (`08:05:01.100`,
/// `2017-11-10 13:50:57.204`, `[00:08:30.0316-GMT]`), level words, quotes and a printed `\n`.
pub fn body(line: &str) -> &str {
    let mut s = line.trim();
    loop {
        let before = s.len();
        s = skip_time(s).trim_start();
        for word in LEVEL_WORDS {
            // Most lines start with none of them: the first byte rules a word out.
            if s.as_bytes().first() == word.as_bytes().first()
                && let Some(rest) = s.strip_prefix(word)
            {
                s = rest.trim_start();
            }
        }
        if s.len() == before {
            break;
        }
    }
    let s = s.trim_end();
    let s = s.strip_suffix('"').unwrap_or(s).trim_end();
    let s = s.strip_suffix("\\n").unwrap_or(s);
    s.trim_end()
}

/// `s` after a leading time or date-and-time, with a colon after it (3uTools).
fn skip_time(s: &str) -> &str {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let mut at = 0;
    if b.first() == Some(&b'[') {
        at = 1;
    }
    // 2017-11-10 or 2017-11-10T
    if digits(at, 4) && b.get(at + 4) == Some(&b'-') && digits(at + 5, 2) && digits(at + 8, 2) {
        at += 10;
        if matches!(b.get(at), Some(b' ' | b'T')) {
            at += 1;
        }
    }
    if !(digits(at, 2)
        && b.get(at + 2) == Some(&b':')
        && digits(at + 3, 2)
        && b.get(at + 5) == Some(&b':')
        && digits(at + 6, 2))
    {
        return s;
    }
    at += 8;
    if matches!(b.get(at), Some(b'.' | b',')) {
        at += 1;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    // A zone or the closing bracket of a bracketed time.
    if b.first() == Some(&b'[') {
        match s[at..].find(']') {
            Some(close) => at += close + 1,
            None => return s,
        }
    } else if matches!(b.get(at), Some(b'+' | b'-')) && digits(at + 1, 4) {
        at += 5;
    }
    if b.get(at) == Some(&b':') {
        at += 1;
    }
    if at < b.len() && !b[at].is_ascii_whitespace() {
        return s;
    }
    &s[at..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_loses_its_time_level_and_quotes() {
        for line in [
            "08:05:01.100    <Error> Unable to restore device",
            "ERROR: Unable to restore device",
            "[Error] ERROR: Unable to restore device",
            "2017-11-10 13:51:07.206 \"ERROR: Unable to restore device\\n\"",
            "18:10:13.396:  Unable to restore device",
            "what=ERROR: Unable to restore device",
        ] {
            assert_eq!(body(line), "Unable to restore device", "{line:?}");
        }
        assert_eq!(body("12:00 is not a time here"), "12:00 is not a time here");
    }

    #[test]
    fn placeholders_match_any_text_and_the_pieces_hold_the_ends() {
        let entry = |text: &'static str| Entry {
            tool: "idevicerestore",
            text,
            segments: split(text),
            phase: MessagePhase::Firmware,
            role: Role::Cause,
            component: None,
            meaning: None,
        };
        let tss = entry("TSS request failed (status={n}, message={s})");
        assert!(tss.matches(
            "TSS request failed (status=94, message=This device isn't eligible for the requested build.)",
            false
        ));
        assert!(!tss.matches("TSS request failed (status=94)", false));
        let open = entry("Sending TSS request attempt {n}...{s}");
        assert!(open.matches(
            "Sending TSS request attempt 1... response successfully received",
            false
        ));
        assert!(!entry("Unable to restore device").matches("Unable to restore device now", false));
        assert!(
            entry("Unable to restore device")
                .matches("attempt 1... Unable to restore device", true)
        );
    }

    #[test]
    /// Every failure with enough text to be told from other lines is looked for.
    fn every_failure_in_the_catalog_has_an_anchor() {
        let catalog = &*CATALOG;
        assert!(catalog.entries.len() > 1000, "the table is loaded");
        let anchored: Vec<bool> = (0..catalog.entries.len())
            .map(|i| catalog.by_anchor.iter().any(|a| a.contains(&(i as u32))))
            .collect();
        let lost: Vec<&str> = catalog
            .entries
            .iter()
            .zip(&anchored)
            .filter(|(e, anchored)| e.role.is_failure() && e.weight() >= MIN_WEIGHT && !**anchored)
            .map(|(e, _)| e.text)
            .collect();
        assert!(lost.is_empty(), "failures nothing finds: {lost:?}");
    }
}
