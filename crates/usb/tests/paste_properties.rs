//! Properties of reading a paste: real pastes (tests/fixtures/real-usb) shuffled line by line
//! and cut short never make up a mode or a model; the same pastes as a terminal shows them
//! (CRLF, colour escapes, `^[` and `^@`) read the same; arbitrary bytes never panic, stay within
//! the device and note bounds, and no identifier is shown unmasked.

use std::collections::BTreeSet;

use kb::Kb;
use proptest::prelude::*;
use usb::identify::{MAX_DEVICES, MAX_NOTES, identify};
use usb::json::DeviceJson;
use usb::{AppleDevice, Mode};

fn kb() -> &'static Kb {
    Kb::embedded().unwrap()
}

/// Every real capture's body (its `# ` header lines left out).
fn pastes() -> Vec<String> {
    let dir = format!("{}/tests/fixtures/real-usb", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with("# "))
                .map(|l| format!("{l}\n"))
                .collect()
        })
        .collect()
}

/// The modes and product types a paste supports: what the whole paste and each of its lines
/// alone are read as.
fn supported(text: &str) -> (BTreeSet<Mode>, BTreeSet<String>) {
    let mut modes = BTreeSet::new();
    let mut models = BTreeSet::new();
    for part in std::iter::once(text).chain(text.lines()) {
        for d in identify(kb(), part).devices {
            modes.insert(d.mode);
            models.extend(d.product_type);
        }
    }
    (modes, models)
}

/// The device as `--json` shows it by default carries no identifier whole.
fn assert_masked(d: &AppleDevice) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(&DeviceJson::new(d, false)).unwrap();
    if let Some(ecid) = d.ecid {
        let hex = format!("{ecid:016X}");
        prop_assert!(!json.contains(&hex), "ECID {hex} shown in {json}");
    }
    for id in [&d.serial_number, &d.udid, &d.imei].into_iter().flatten() {
        prop_assert!(
            id.chars().count() < 8 || !json.contains(id.as_str()),
            "{id} shown in {json}"
        );
    }
    Ok(())
}

/// What a paste is read as, in the order read: mode, product type and ECID per device.
fn reading(text: &str) -> Vec<(Mode, Option<String>, Option<u64>)> {
    identify(kb(), text)
        .devices
        .into_iter()
        .map(|d| (d.mode, d.product_type, d.ecid))
        .collect()
}

/// A small deterministic shuffle (xorshift), so a failing case replays from its seed.
fn shuffled<'a>(lines: &[&'a str], mut seed: u64) -> Vec<&'a str> {
    let mut out = lines.to_vec();
    seed |= 1;
    for i in (1..out.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_and_cut_pastes_make_nothing_up(
        pick in any::<prop::sample::Index>(),
        seed in any::<u64>(),
        shuffle in any::<bool>(),
        keep in 0.0f64..=1.0,
        words in 0usize..12,
    ) {
        let all = pastes();
        let text = &all[pick.index(all.len())];
        let (modes, models) = supported(text);
        let lines: Vec<&str> = text.lines().collect();
        let order = if shuffle { shuffled(&lines, seed) } else { lines.clone() };
        // Whole lines up to a point, then the next line cut after a few words.
        let kept = ((order.len() as f64) * keep) as usize;
        let mut mutated: String = order[..kept].iter().map(|l| format!("{l}\n")).collect();
        if let Some(next) = order.get(kept) {
            let cut: Vec<&str> = next.split(' ').take(words).collect();
            mutated.push_str(&cut.join(" "));
        }
        for d in identify(kb(), &mutated).devices {
            assert_masked(&d)?;
            prop_assert!(
                d.mode == Mode::Unknown || modes.contains(&d.mode),
                "mode {:?} made up from\n{mutated}", d.mode
            );
            if let Some(pt) = &d.product_type {
                prop_assert!(models.contains(pt), "model {pt} made up from\n{mutated}");
            }
        }
    }

    /// A terminal's copy of a real paste: CRLF line ends, colour escapes (as bytes, or as `^[`
    /// where the terminal showed them) anywhere between characters, a stray NUL at a line end.
    #[test]
    fn a_paste_as_a_terminal_shows_it_reads_the_same(
        pick in any::<prop::sample::Index>(),
        crlf in any::<bool>(),
        caret in any::<bool>(),
        spots in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4), 0..24),
    ) {
        let all = pastes();
        let text = &all[pick.index(all.len())];
        let escapes = ["\u{1b}[0m", "\u{1b}[1;31m", "\u{1b}[38;5;208m", "\u{1b}]0;title\u{7}"];
        let mut chars: Vec<String> = text.chars().map(String::from).collect();
        for (at, which) in &spots {
            if chars.is_empty() {
                break;
            }
            let i = at.index(chars.len());
            let esc = escapes[*which];
            let esc = if caret { esc.replace('\u{1b}', "^[") } else { esc.to_owned() };
            chars[i].insert_str(0, &esc);
        }
        let mut dressed: String = chars.concat();
        if crlf {
            dressed = dressed.replace('\n', "\u{0}\r\n");
        }
        prop_assert_eq!(reading(&dressed), reading(text), "{:?}", dressed);
    }

    /// Any bytes at all: no panic, at most MAX_DEVICES devices and MAX_NOTES notes, nothing
    /// shown unmasked.
    #[test]
    fn arbitrary_bytes_are_read_within_bounds(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        prefix in any::<prop::sample::Index>(),
    ) {
        // Alone, and after a real paste (so the parsers are mid-format when the noise starts).
        let all = pastes();
        let noise = String::from_utf8_lossy(&bytes);
        for text in [noise.to_string(), format!("{}{noise}", all[prefix.index(all.len())])] {
            let found = identify(kb(), &text);
            prop_assert!(found.devices.len() <= MAX_DEVICES);
            prop_assert!(found.notes.len() <= MAX_NOTES);
            for d in &found.devices {
                assert_masked(d)?;
            }
        }
    }
}
