//! Finds every occurrence of many short literals in one pass, overlaps included: one 4-byte
//! window per literal, a bit table of their hashes tested at each byte, literals compared there.

use std::ops::ControlFlow;

/// Bits in the window table: 8 KiB, so it stays in the fastest cache.
const WINDOW_BITS: u32 = 16;

/// Words of the window table.
const WORDS: usize = 1 << (WINDOW_BITS - 6);

/// The table slot of a 4-byte window (a multiplicative hash of its bytes).
fn window_slot(window: [u8; 4]) -> u16 {
    (u32::from_le_bytes(window).wrapping_mul(0x9E37_79B1) >> (32 - WINDOW_BITS)) as u16
}

/// How common a window's bytes are in logs: lowercase letters and spaces are the bulk of any
/// log line, so windows with capitals, digits and punctuation are met less often.
fn commonness(window: &[u8]) -> usize {
    window
        .iter()
        .filter(|b| b.is_ascii_lowercase() || **b == b' ')
        .count()
}

/// The expected work a window brings as a literal's anchor: how often it is met (each common
/// byte counted as four times as likely) times the literals compared each time it is.
fn cost(window: &[u8; 4], sharers: usize) -> (usize, usize) {
    let commonness = commonness(window);
    ((1usize << (2 * commonness)) * sharers, commonness)
}

/// A search for a fixed set of literals of three bytes or more. Each literal is known by one
/// of its 4-byte windows (the one with the fewest common bytes; a three-byte literal by every
/// window that starts with it), so each occurrence is found exactly once, at its window.
pub struct WindowSearch {
    /// One bit per table slot: set when some literal's window falls in that slot.
    seen: Box<[u64; WORDS]>,
    /// How many slots are marked before each word of `seen`: with the word's own bits, the
    /// rank of a marked slot among all marked slots.
    marked_before: Box<[u16; WORDS]>,
    /// Where each marked slot's anchors begin in `anchors`, by rank, and where the last end.
    group_starts: Vec<u16>,
    /// (literal, where its window starts in it), grouped by slot in slot order.
    anchors: Vec<(u16, u16)>,
    literals: Vec<&'static [u8]>,
    /// Each literal's first eight bytes (fewer when it is shorter) as a little-endian word
    /// and the mask of the bytes it has: most candidates are refused by one comparison.
    heads: Vec<(u64, u64)>,
}

/// A literal's first eight bytes, or fewer, as a word and the mask of the bytes present.
fn head(literal: &[u8]) -> (u64, u64) {
    let n = literal.len().min(8);
    let mut bytes = [0u8; 8];
    bytes[..n].copy_from_slice(&literal[..n]);
    let mask = if n == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    };
    (u64::from_le_bytes(bytes), mask)
}

impl WindowSearch {
    /// Prepares the search. Every literal must be at least three bytes long and there must be
    /// fewer than 65536 of them; the built-in literals are checked by the tests.
    pub fn new(literals: &[&'static str]) -> WindowSearch {
        let literals: Vec<&'static [u8]> = literals.iter().map(|l| l.as_bytes()).collect();
        // How many literals hold each 4-byte window: a window many share makes every
        // occurrence of it a comparison with each of them.
        let mut sharers: std::collections::HashMap<[u8; 4], usize> = Default::default();
        for literal in &literals {
            let mut windows: Vec<[u8; 4]> = literal
                .windows(4)
                .map(|w| w.try_into().expect("4 bytes"))
                .collect();
            windows.sort_unstable();
            windows.dedup();
            for window in windows {
                *sharers.entry(window).or_default() += 1;
            }
        }
        let mut slotted: Vec<(u16, u16, u16)> = Vec::new();
        for (index, literal) in literals.iter().enumerate() {
            let index = u16::try_from(index).expect("fewer than 65536 literals");
            if literal.len() == 3 {
                slotted.extend((0..=255u8).map(|next| {
                    let window = [literal[0], literal[1], literal[2], next];
                    (window_slot(window), index, 0)
                }));
                continue;
            }
            assert!(
                literal.len() > 3,
                "a literal under three bytes: {literal:?}"
            );
            let offset = (0..=literal.len() - 4)
                .min_by_key(|&at| {
                    let window: [u8; 4] = literal[at..at + 4].try_into().expect("4 bytes");
                    cost(&window, sharers.get(&window).copied().unwrap_or(1))
                })
                .unwrap_or(0);
            let window = literal[offset..offset + 4].try_into().expect("4 bytes");
            let offset = u16::try_from(offset).expect("a literal under 64 KiB");
            slotted.push((window_slot(window), index, offset));
        }
        slotted.sort_unstable();
        slotted.dedup();
        let mut seen = Box::new([0u64; WORDS]);
        let mut group_starts = Vec::new();
        for (i, (slot, _, _)) in slotted.iter().enumerate() {
            if i == 0 || slotted[i - 1].0 != *slot {
                group_starts.push(u16::try_from(i).expect("fewer than 65536 anchors"));
            }
            seen[usize::from(slot >> 6)] |= 1 << (slot & 63);
        }
        group_starts.push(u16::try_from(slotted.len()).expect("fewer than 65536 anchors"));
        let mut marked_before = Box::new([0u16; WORDS]);
        let mut marked = 0u16;
        for (word, before) in seen.iter().zip(marked_before.iter_mut()) {
            *before = marked;
            marked += word.count_ones() as u16;
        }
        WindowSearch {
            seen,
            marked_before,
            group_starts,
            anchors: slotted.into_iter().map(|(_, l, o)| (l, o)).collect(),
            heads: literals.iter().map(|l| head(l)).collect(),
            literals,
        }
    }

    /// The literal with this index.
    pub fn literal(&self, index: usize) -> &'static [u8] {
        self.literals[index]
    }

    /// Calls `each` with the start and index of every literal in `text`, in the order of
    /// their windows (so of their lines), until it breaks.
    pub fn each_in(
        &self,
        text: &[u8],
        each: &mut impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let mut at = 0;
        while let Some(found) = text.get(at..).and_then(|rest| self.next_window(rest)) {
            at += found;
            let window: [u8; 4] = text[at..at + 4].try_into().expect("4 bytes");
            self.confirm(text, at, window_slot(window), each)?;
            at += 1;
        }
        // A three-byte literal ending the text has no whole window.
        if let Some(last) = text.len().checked_sub(3) {
            for (index, literal) in self.literals.iter().enumerate() {
                if literal.len() == 3 && text[last..] == **literal {
                    each(last, index)?;
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// Where the first window of `text` in a marked slot starts. Eight windows are taken from
    /// two 8-byte reads at a time; the last few one by one.
    fn next_window(&self, text: &[u8]) -> Option<usize> {
        let mut at = 0;
        while let Some(bytes) = text.get(at..at + 12) {
            let low = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
            let high = u64::from_le_bytes(bytes[4..].try_into().expect("8 bytes"));
            if let Some(k) = (0..5).find(|k| self.marked((low >> (8 * k)) as u32)) {
                return Some(at + k);
            }
            if let Some(k) = (1..4).find(|k| self.marked((high >> (8 * k)) as u32)) {
                return Some(at + 4 + k);
            }
            at += 8;
        }
        let rest = text.get(at..)?;
        let found = rest.windows(4).position(|window| {
            self.marked(u32::from_le_bytes(window.try_into().expect("4 bytes")))
        });
        found.map(|k| at + k)
    }

    /// Whether a window (its 4 bytes, first byte lowest) falls in a marked slot.
    fn marked(&self, window: u32) -> bool {
        let slot = window_slot(window.to_le_bytes());
        self.seen[usize::from(slot >> 6)] & (1 << (slot & 63)) != 0
    }

    /// Whether literal `index` starts at `start` in `text`: its head compared as one word
    /// where eight bytes are there, the rest only when the head is right.
    fn is_at(&self, text: &[u8], start: usize, index: usize) -> bool {
        let literal = self.literals[index];
        let Some(word) = text.get(start..start + 8) else {
            return text[start..].starts_with(literal);
        };
        let (head, mask) = self.heads[index];
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        word & mask == head && (literal.len() <= 8 || text[start + 8..].starts_with(&literal[8..]))
    }

    /// Calls `each` for the literals whose window, in `slot`, sits at `at`.
    fn confirm(
        &self,
        text: &[u8],
        at: usize,
        slot: u16,
        each: &mut impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let word = usize::from(slot >> 6);
        let below = self.seen[word] & ((1u64 << (slot & 63)) - 1);
        let rank = usize::from(self.marked_before[word]) + below.count_ones() as usize;
        let group = usize::from(self.group_starts[rank])..usize::from(self.group_starts[rank + 1]);
        for &(index, offset) in &self.anchors[group] {
            let index = usize::from(index);
            if let Some(start) = at.checked_sub(usize::from(offset))
                && self.is_at(text, start, index)
            {
                each(start, index)?;
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (start, index) by comparing each literal at each position: the reference.
    fn naive(literals: &[&str], text: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for start in 0..text.len() {
            for (index, literal) in literals.iter().enumerate() {
                if text[start..].starts_with(literal.as_bytes()) {
                    out.push((start, index));
                }
            }
        }
        out
    }

    fn found(search: &WindowSearch, text: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let _ = search.each_in(text, &mut |start, index| {
            out.push((start, index));
            ControlFlow::Continue(())
        });
        out.sort_unstable();
        out
    }

    const LITERALS: &[&str] = &[
        "ASR",
        "Restoring image",
        "rror",
        "ERROR",
        "restore",
        "toring",
        "エラー",
    ];

    #[test]
    fn finds_every_occurrence_overlaps_and_ends_included() {
        let search = WindowSearch::new(LITERALS);
        for text in [
            "ERROR: Restoring image ASR",
            "ASR",
            "AS",
            "",
            "xASRASR",
            "restorestore エラー",
        ] {
            assert_eq!(
                found(&search, text.as_bytes()),
                naive(LITERALS, text.as_bytes()),
                "{text:?}"
            );
        }
        assert_eq!(
            found(&search, b"Restoring image").len(),
            2,
            "a literal inside another"
        );
    }

    #[test]
    fn stops_when_told() {
        let search = WindowSearch::new(LITERALS);
        let mut calls = 0;
        let flow = search.each_in(b"ASR ASR ASR", &mut |_, _| {
            calls += 1;
            ControlFlow::Break(())
        });
        assert_eq!((flow, calls), (ControlFlow::Break(()), 1));
    }

    proptest::proptest! {
        /// The window search finds exactly what comparing every literal everywhere finds, in
        /// texts made of the literals, their pieces and filler.
        #[test]
        fn matches_the_naive_search(
            parts in proptest::collection::vec((0..LITERALS.len(), 0usize..20, "[a-zA-Z :]{0,4}"), 0..8)
        ) {
            let mut text = String::new();
            for (i, cut, filler) in parts {
                let literal = LITERALS[i];
                let end = literal.char_indices().map(|(k, _)| k).nth(cut).unwrap_or(literal.len());
                text.push_str(if cut % 3 == 0 { literal } else { &literal[..end] });
                text.push_str(&filler);
            }
            let search = WindowSearch::new(LITERALS);
            proptest::prop_assert_eq!(found(&search, text.as_bytes()), naive(LITERALS, text.as_bytes()));
        }
    }
}
