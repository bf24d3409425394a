//! What the scanner looks for: every trigger and failure word, found in one pass over a block
//! of text; the lines holding a trigger are the lines worth parsing.

use std::ops::ControlFlow;
use std::sync::LazyLock;

use crate::messages;
use crate::rules::{self, Trigger};
use crate::window::WindowSearch;

/// What a literal in a line stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    Trigger(Trigger),
    /// The literal of tool messages (an anchor of the message catalog).
    Message(u32),
    /// A word that makes a phase line a failure line ("ERROR" and "Error" hold "rror").
    Failure,
}

const FAILURE_WORDS: [&str; 5] = ["ERROR", "FAILURE", "rror", "failed", "Unable to"];

/// The wordings of Apple's restore dialog in every language of the kb's table.
static DIALOG_WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    kb::Kb::embedded()
        .map(kb::Kb::dialog_words)
        .unwrap_or_default()
});

/// Every literal looked for inside a line, with what it stands for.
static MARKS: LazyLock<Vec<(&'static str, Mark)>> = LazyLock::new(|| {
    let anchors = messages::CATALOG.anchors.iter().enumerate();
    rules::TRIGGERS
        .iter()
        .map(|(literal, trigger)| (*literal, Mark::Trigger(*trigger)))
        .chain(
            DIALOG_WORDS
                .iter()
                .map(|w| (w.as_str(), Mark::Trigger(Trigger::Dialog))),
        )
        .chain(FAILURE_WORDS.iter().map(|w| (*w, Mark::Failure)))
        .chain(anchors.map(|(i, a)| (*a, Mark::Message(i as u32))))
        .collect()
});

/// Every literal looked for, in the order of the marks.
pub fn literals() -> Vec<&'static str> {
    MARKS.iter().map(|(literal, _)| *literal).collect()
}

/// Finds every mark.
static SEARCH: LazyLock<WindowSearch> = LazyLock::new(|| WindowSearch::new(&literals()));

/// Calls `each` with the start, length and meaning of every mark in `text`, overlaps
/// included, line by line (within a line, in no particular order).
pub fn each_mark(text: &[u8], mut each: impl FnMut(usize, usize, Mark)) {
    let _ = SEARCH.each_in(text, &mut |start, index| {
        each(start, SEARCH.literal(index).len(), MARKS[index].1);
        ControlFlow::Continue(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain overlapping automaton over every mark, built once.
    static ALL: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(MARKS.iter().map(|(l, _)| *l))
            .unwrap()
    });

    /// Every mark in a line by the plain overlapping automaton: the reference.
    fn every_mark(line: &[u8]) -> Vec<String> {
        let mut marks: Vec<String> = ALL
            .find_overlapping_iter(line)
            .map(|m| format!("{}{:?}", m.start(), MARKS[m.pattern().as_usize()].1))
            .collect();
        marks.sort();
        marks.dedup();
        marks
    }

    fn fast_marks(line: &[u8]) -> Vec<String> {
        let mut marks = Vec::new();
        each_mark(line, |start, len, m| {
            let span = &line[start..start + len];
            assert!(MARKS.iter().any(|(l, k)| *k == m && l.as_bytes() == span));
            marks.push(format!("{start}{m:?}"));
        });
        marks.sort();
        marks.dedup();
        marks
    }

    #[test]
    fn every_trigger_is_found() {
        for (literal, trigger) in rules::TRIGGERS {
            assert!(literal.len() >= 3, "{literal:?} is too short to search for");
            let line = format!("12:00:00 <Info> xx {literal} yy");
            let mut found = false;
            each_mark(line.as_bytes(), |_, _, m| {
                found |= m == Mark::Trigger(*trigger)
            });
            assert!(found, "{literal:?} is lost");
        }
        let mut nothing = true;
        each_mark(b"nothing to see here", |_, _, _| nothing = false);
        assert!(nothing);
        assert_eq!(
            fast_marks(b"ERROR: Unable to send iBEC"),
            every_mark(b"ERROR: Unable to send iBEC")
        );
    }

    proptest::proptest! {
        /// The window search sees the same marks at the same places as the overlapping
        /// automaton, wherever marks overlap or nest.
        #[test]
        fn the_fast_path_sees_what_a_full_scan_sees(
            parts in proptest::collection::vec(
                (0..MARKS.len(), 0usize..40, "[a-z :()\\n]{0,6}"),
                0..6,
            )
        ) {
            let mut line = String::new();
            for (i, cut, filler) in parts {
                let literal = MARKS[i].0;
                // Whole literals and pieces of them, so overlaps and near-misses occur.
                let end = literal.char_indices().map(|(k, _)| k).nth(cut).unwrap_or(literal.len());
                line.push_str(if cut % 3 == 0 { literal } else { &literal[..end] });
                line.push_str(&filler);
            }
            proptest::prop_assert_eq!(fast_marks(line.as_bytes()), every_mark(line.as_bytes()));
        }
    }
}
