//! Finds the lines worth parsing, then what is in them: a SIMD (Teddy) search for the fewest
//! literals that cover every trigger, and in a line found, every trigger and failure word.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind, Span, packed};

use crate::rules::{self, Trigger};

/// What a literal in a line stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    Trigger(Trigger),
    /// A word that makes a phase line a failure line ("ERROR" and "Error" hold "rror").
    Failure,
}

const FAILURE_WORDS: [&str; 5] = ["ERROR", "FAILURE", "rror", "failed", "Unable to"];

/// Every literal looked for inside a line, with what it stands for.
static MARKS: LazyLock<Vec<(&'static str, Mark)>> = LazyLock::new(|| {
    rules::TRIGGERS
        .iter()
        .map(|(literal, trigger)| (*literal, Mark::Trigger(*trigger)))
        .chain(FAILURE_WORDS.iter().map(|w| (*w, Mark::Failure)))
        .collect()
});

/// The literals of `all` that hold no other: a text holds one of `all` exactly when it holds
/// one of these, and they are few enough for the SIMD searcher.
fn covering(all: &[&'static str]) -> Vec<&'static str> {
    let mut out: Vec<&str> = all
        .iter()
        .copied()
        .filter(|l| !all.iter().any(|o| o != l && l.contains(o)))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A leftmost-first search over literals none of which holds another, so at most one of them
/// starts at any position.
enum Searcher {
    Packed(packed::Searcher),
    /// Where the CPU has no SIMD the packed searcher needs.
    Automaton(AhoCorasick),
}

impl Searcher {
    fn new(literals: &[&str]) -> Searcher {
        let mut config = packed::Config::new();
        config
            .match_kind(packed::MatchKind::LeftmostFirst)
            .heuristic_pattern_limits(false);
        match config.builder().extend(literals).build() {
            Some(searcher) => Searcher::Packed(searcher),
            None => Searcher::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(literals)
                    .expect("valid literals"),
            ),
        }
    }

    /// The first literal starting at or after `from`: its start and index.
    fn find(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)> {
        match self {
            Searcher::Packed(s) => s.find_in(haystack, Span::from(from..haystack.len())),
            Searcher::Automaton(a) => a.find(aho_corasick::Input::new(haystack).range(from..)),
        }
        .map(|m| (m.start(), m.pattern().as_usize()))
    }
}

/// Finds candidate lines: covers the triggers.
static LINES: LazyLock<Searcher> = LazyLock::new(|| {
    let triggers: Vec<&str> = rules::TRIGGERS.iter().map(|(l, _)| *l).collect();
    Searcher::new(&covering(&triggers))
});

/// Finds what is in a line: every mark, overlaps included.
static IN_LINE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(MARKS.iter().map(|(l, _)| *l))
        .expect("valid marks")
});

/// Where the first line-worthy literal at or after `from` starts.
pub fn next_hit(haystack: &[u8], from: usize) -> Option<usize> {
    LINES.find(haystack, from).map(|(start, _)| start)
}

/// Every mark in `line`, overlaps included.
pub fn marks_in(line: &[u8]) -> impl Iterator<Item = Mark> + '_ {
    IN_LINE
        .find_overlapping_iter(line)
        .map(|m| MARKS[m.pattern().as_usize()].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mark in a line by the plain overlapping automaton: the reference.
    fn every_mark(line: &[u8]) -> Vec<String> {
        let all = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(MARKS.iter().map(|(l, _)| *l))
            .unwrap();
        let mut marks: Vec<String> = all
            .find_overlapping_iter(line)
            .map(|m| format!("{:?}", MARKS[m.pattern().as_usize()].1))
            .collect();
        marks.sort();
        marks.dedup();
        marks
    }

    fn fast_marks(line: &[u8]) -> Vec<String> {
        let mut marks: Vec<String> = marks_in(line).map(|m| format!("{m:?}")).collect();
        marks.sort();
        marks.dedup();
        marks
    }

    #[test]
    fn the_covering_literals_find_every_trigger() {
        let triggers: Vec<&str> = rules::TRIGGERS.iter().map(|(l, _)| *l).collect();
        let cover = covering(&triggers);
        assert!(cover.len() < rules::TRIGGERS.len());
        assert!(cover.len() < 128, "too many for the SIMD searcher");
        for (literal, trigger) in rules::TRIGGERS {
            let line = format!("12:00:00 <Info> xx {literal} yy");
            assert!(
                next_hit(line.as_bytes(), 0).is_some(),
                "{literal:?} is lost"
            );
            assert!(
                marks_in(line.as_bytes()).any(|m| m == Mark::Trigger(*trigger)),
                "{literal:?} is lost"
            );
        }
        assert_eq!(next_hit(b"nothing to see here", 0), None);
        assert_eq!(
            fast_marks(b"ERROR: Unable to send iBEC"),
            every_mark(b"ERROR: Unable to send iBEC")
        );
    }

    proptest::proptest! {
        /// The fast path (covering literals, then the marks that hold them) sees the same as
        /// the overlapping automaton, wherever marks overlap or nest; a line is a candidate
        /// exactly when it holds a trigger.
        #[test]
        fn the_fast_path_sees_what_a_full_scan_sees(
            parts in proptest::collection::vec(
                (0..MARKS.len(), 0usize..40, "[a-z :()]{0,6}"),
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
            let full = every_mark(line.as_bytes());
            proptest::prop_assert_eq!(&fast_marks(line.as_bytes()), &full);
            let has_trigger = full.iter().any(|m| m.starts_with("Trigger"));
            proptest::prop_assert_eq!(next_hit(line.as_bytes(), 0).is_some(), has_trigger);
        }
    }
}
