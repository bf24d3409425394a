//! Finds the lines worth parsing: a SIMD (Teddy) search for the fewest literals that cover every
//! trigger, then every trigger in the line found, overlaps included.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind, packed};

use crate::rules::{self, Trigger};

/// The triggers that hold no other trigger: a line holds some trigger exactly when it holds
/// one of these, and they are few enough for the SIMD searcher.
fn covering_literals() -> Vec<&'static str> {
    let all: Vec<&str> = rules::TRIGGERS.iter().map(|(l, _)| *l).collect();
    all.iter()
        .copied()
        .filter(|l| !all.iter().any(|o| o != l && l.contains(o)))
        .collect()
}

enum Searcher {
    Packed(packed::Searcher),
    /// Where the CPU has no SIMD the packed searcher needs.
    Automaton(AhoCorasick),
}

static FIRST: LazyLock<Searcher> = LazyLock::new(|| {
    let literals = covering_literals();
    let mut config = packed::Config::new();
    config
        .match_kind(packed::MatchKind::LeftmostFirst)
        .heuristic_pattern_limits(false);
    match config.builder().extend(&literals).build() {
        Some(searcher) => Searcher::Packed(searcher),
        None => Searcher::Automaton(
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&literals)
                .expect("valid triggers"),
        ),
    }
});

static ALL: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(rules::TRIGGERS.iter().map(|(l, _)| *l))
        .expect("valid triggers")
});

/// The longest trigger, in bytes.
static LONGEST: LazyLock<usize> = LazyLock::new(|| {
    rules::TRIGGERS
        .iter()
        .map(|(l, _)| l.len())
        .max()
        .unwrap_or(0)
});

/// Where the first trigger at or after `from` starts (or, when a longer trigger holds it,
/// a little after that trigger's start).
pub fn next_hit(haystack: &[u8], from: usize) -> Option<usize> {
    match &*FIRST {
        Searcher::Packed(s) => s.find_in(haystack, aho_corasick::Span::from(from..haystack.len())),
        Searcher::Automaton(a) => a.find(aho_corasick::Input::new(haystack).range(from..)),
    }
    .map(|m| m.start())
}

/// Every trigger in `line`, given that none starts before `hit`, the offset [`next_hit`] found.
pub fn triggers_in(line: &[u8], hit: usize) -> impl Iterator<Item = Trigger> + '_ {
    // A longer trigger holding the covering literal at `hit` started at most this far back.
    let from = hit.saturating_sub(*LONGEST).min(line.len());
    ALL.find_overlapping_iter(&line[from..])
        .map(|m| rules::TRIGGERS[m.pattern().as_usize()].1)
}

/// Every trigger in `line`.
pub fn all_triggers(line: &[u8]) -> impl Iterator<Item = Trigger> + '_ {
    triggers_in(line, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_covering_literals_find_every_trigger() {
        let covering = covering_literals();
        assert!(covering.len() < rules::TRIGGERS.len());
        assert!(covering.len() < 128, "too many for the SIMD searcher");
        for (literal, _) in rules::TRIGGERS {
            let line = format!("12:00:00 <Info> xx {literal} yy");
            let hit = next_hit(line.as_bytes(), 0).expect("a covering literal");
            assert!(
                triggers_in(line.as_bytes(), hit)
                    .any(|t| rules::TRIGGERS.iter().any(|(l, u)| l == literal && *u == t)),
                "{literal:?} is lost"
            );
        }
        assert_eq!(next_hit(b"nothing to see here", 0), None);
    }

    proptest::proptest! {
        /// The fast path (covering literal, then the triggers from just before it) sees the
        /// same triggers as scanning the whole line, wherever triggers overlap or nest.
        #[test]
        fn the_fast_path_sees_what_a_full_scan_sees(
            parts in proptest::collection::vec(
                (0..rules::TRIGGERS.len(), 0usize..40, "[a-z :()]{0,6}"),
                0..6,
            )
        ) {
            let mut line = String::new();
            for (i, cut, filler) in parts {
                let literal = rules::TRIGGERS[i].0;
                // Whole literals and pieces of them, so overlaps and near-misses occur.
                let end = literal.char_indices().map(|(k, _)| k).nth(cut).unwrap_or(literal.len());
                line.push_str(if cut % 3 == 0 { literal } else { &literal[..end] });
                line.push_str(&filler);
            }
            let mut full: Vec<Trigger> = all_triggers(line.as_bytes()).collect();
            let mut fast: Vec<Trigger> = next_hit(line.as_bytes(), 0)
                .map(|hit| triggers_in(line.as_bytes(), hit).collect())
                .unwrap_or_default();
            full.sort_by_key(|t| format!("{t:?}"));
            fast.sort_by_key(|t| format!("{t:?}"));
            proptest::prop_assert_eq!(full, fast);
        }
    }
}
