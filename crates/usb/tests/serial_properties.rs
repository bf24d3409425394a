//! Property tests of the serial-string parser: any text is safe, and a string built from known
//! values reads back as those values whatever the tag order and letter case.

use proptest::prelude::*;
use usb::serial::parse;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn never_panics_and_tags_are_four_letters(text in any::<String>()) {
        let info = parse(&text);
        prop_assert!(info.tags.keys().all(|t| t.len() == 4 && t.chars().all(|c| c.is_ascii_uppercase())));
    }

    #[test]
    fn values_round_trip_in_any_order(
        cpid in 0u32..=0xffff,
        bdid in 0u32..=0xff,
        ecid in any::<u64>(),
        srnm in "[A-Z0-9]{10,12}",
        order in Just(()).prop_perturb(|_, mut rng| {
            let mut idx: Vec<usize> = (0..5).collect();
            for i in (1..idx.len()).rev() {
                let j = (rng.next_u32() as usize) % (i + 1);
                idx.swap(i, j);
            }
            idx
        }),
        lower in any::<bool>(),
    ) {
        let tokens = [
            format!("CPID:{cpid:04X}"),
            format!("BDID:{bdid:02X}"),
            format!("ECID:{ecid:016X}"),
            format!("SRNM:[{srnm}]"),
            "SDOM:01".to_owned(),
        ];
        let mut text = order.iter().map(|&i| tokens[i].clone()).collect::<Vec<_>>().join(" ");
        if lower {
            text = text.to_lowercase().replace(' ', "_");
        }
        let info = parse(&text);
        prop_assert_eq!(info.cpid, Some(cpid));
        prop_assert_eq!(info.bdid, Some(bdid));
        prop_assert_eq!(info.ecid, Some(ecid));
        prop_assert_eq!(info.srnm.as_deref(), Some(srnm.as_str()));
        prop_assert_eq!(info.tags.get("SDOM").map(String::as_str), Some("01"));
    }
}
