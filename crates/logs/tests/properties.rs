//! Property tests: any bytes are safe, lines are counted exactly, and lines without restore
//! content change nothing.

use logs::{analyze_reader, analyze_text};
use proptest::prelude::*;

fn kb() -> &'static kb::Kb {
    kb::Kb::embedded().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_bytes_are_safe(
        mark in prop::sample::select(vec![&[][..], &[0xfe, 0xff], &[0xff, 0xfe], &[0xef, 0xbb, 0xbf]]),
        rest in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        // Random bytes after a byte-order mark exercise both UTF-16 decoders and odd lengths.
        let bytes = [mark, rest.as_slice()].concat();
        let r = analyze_reader(kb(), std::io::Cursor::new(bytes.clone()), &mut |_| {}).unwrap();
        prop_assert!(r.codes.len() <= 500 && r.findings.len() <= 500);
        prop_assert_eq!(r.bytes, bytes.len() as u64);
    }

    #[test]
    fn lines_are_counted(lines in proptest::collection::vec("[a-z ]{0,30}", 1..50), trailing_newline in any::<bool>()) {
        let mut text = lines.join("\n");
        if trailing_newline {
            text.push('\n');
        }
        let expected = if text.is_empty() { 0 } else { text.lines().count() as u64 };
        prop_assert_eq!(analyze_text(kb(), &text).lines, expected);
    }

    #[test]
    fn unrelated_lines_change_nothing(noise in proptest::collection::vec("[a-z0-9 .,]{0,60}", 0..40), at in 0usize..5) {
        let log = ["Sending TSS request", "Received SHSH blobs", "Updating baseband (19)", "Got status message", "Status: Verification Error"];
        let plain = analyze_text(kb(), &log.join("\n"));
        let mut mixed: Vec<String> = log.iter().map(|s| s.to_string()).collect();
        for (i, n) in noise.iter().enumerate() {
            mixed.insert((at + i) % mixed.len(), n.clone());
        }
        let noisy = analyze_text(kb(), &mixed.join("\n"));
        prop_assert_eq!(noisy.final_code, plain.final_code);
        prop_assert_eq!(noisy.phase, plain.phase);
        prop_assert_eq!(plain.final_code, Some(-1));
    }
}
