//! The knowledge base compiled into the binary: it loads cleanly, carries the vocabulary other
//! tools rely on, and answers for every code the research lists.

use kb::{CodeMatch, Kb};

fn kb() -> &'static Kb {
    match Kb::embedded() {
        Ok(kb) => kb,
        Err(e) => panic!("embedded knowledge base is invalid:\n{e}"),
    }
}

#[test]
fn embedded_data_is_consistent() {
    let kb = kb();
    assert!(kb.codes.len() > 40);
    assert!(kb.devices.len() > 100);
}

#[test]
fn minimum_vocabulary_exists() {
    let kb = kb();
    let causes = [
        "cable",
        "host-port",
        "usb-hub",
        "device-port",
        "host-software",
        "security-software",
        "network",
        "hosts-file",
        "signing",
        "firmware-state",
        "host-computer",
        "nand",
        "audio-ic",
        "baseband",
        "logic-board",
        "battery",
        "touch-id",
    ];
    for id in causes {
        assert!(kb.cause(id).is_some(), "cause {id} missing");
    }
    let actions = [
        "swap-cable",
        "change-port",
        "remove-hub",
        "clean-device-port",
        "update-host-software",
        "restart-both",
        "disable-security-software",
        "check-hosts-file",
        "check-network",
        "try-update-instead",
        "recovery-restore",
        "dfu-restore",
        "different-computer",
        "professional-repair",
    ];
    for id in actions {
        assert!(kb.action(id).is_some(), "action {id} missing");
    }
    let questions = [
        "hub-in-path",
        "link-speed",
        "device-mode",
        "voice-memos-greyed",
        "speaker-greyed",
        "no-service",
        "liquid-exposure",
        "boot-loop",
        "disconnect-during-restore",
        "failed-phase",
        "backup-available",
        "usb-c-to-lightning-cable",
        "error-repeats",
    ];
    for id in questions {
        assert!(kb.question(id).is_some(), "question {id} missing");
    }
    assert_eq!(
        kb.escalation().map(|a| a.id.as_str()),
        Some("professional-repair")
    );
}

#[test]
fn the_seeds_usually_not_list_is_explicit_and_unlikely() {
    let kb = kb();
    let usually_not: Vec<_> = kb.causes.iter().filter(|c| c.usually_not).collect();
    let names: Vec<&str> = usually_not.iter().map(|c| c.id.as_str()).collect();
    for id in [
        "not-a-cause-bad-battery",
        "not-a-cause-cracked-screen",
        "not-a-cause-water-damage",
        "not-a-cause-ios-version",
        "not-a-cause-apple-id",
    ] {
        assert!(names.contains(&id), "{id} missing from {names:?}");
    }
    let cable = kb.cause("cable").unwrap().prior;
    for c in usually_not {
        assert!(c.prior < cable / 10.0, "{} is not a low prior", c.id);
    }
}

#[test]
fn seed_fixes_and_dfu_steps_exist() {
    let kb = kb();
    // "Try a different cable and port ... not through a hub", "Update iTunes and your
    // computer", "DFU restore", "Try a different computer", professional inspection.
    for id in [
        "swap-cable",
        "change-port",
        "remove-hub",
        "update-host-software",
        "dfu-restore",
        "different-computer",
        "professional-repair",
    ] {
        assert!(!kb.action(id).unwrap().steps.is_empty());
    }
    let family = kb.dfu_family("iphone-8-and-later").unwrap();
    let seconds: Vec<u32> = family.steps.iter().map(|s| s.seconds).collect();
    assert_eq!(
        seconds[3..],
        [5, 10],
        "Side + Volume Down 5 s, then Volume Down 10 s"
    );
    assert!(kb.dfu_signs.recovery_instead.contains("Apple logo"));
    assert!(kb.dfu_signs.cable_warning.contains("USB-C-to-Lightning"));
    assert_eq!(
        kb.dfu_families.len(),
        6,
        "five button families and the iPod touch 7"
    );
}

/// The code column of research/error-codes.md §1, expanded. The test below re-reads the
/// research file when it sits beside the checkout, so the two cannot drift apart silently.
const RESEARCH_CODES: &[i64] = &[
    -1,
    1,
    2,
    3,
    4,
    6,
    9,
    10,
    11,
    12,
    13,
    14,
    16,
    17,
    20,
    21,
    23,
    26,
    27,
    28,
    29,
    34,
    35,
    36,
    37,
    40,
    48,
    50,
    51,
    53,
    56,
    68,
    75,
    100,
    1002,
    1004,
    1011,
    1012,
    1013,
    1014,
    1015,
    1109,
    1110,
    1600,
    1601,
    1602,
    1603,
    1604,
    1611,
    1638,
    1643,
    1644,
    1645,
    1646,
    1647,
    1648,
    1649,
    1650,
    1667,
    1669,
    2000,
    2001,
    2002,
    2003,
    2004,
    2005,
    2006,
    2007,
    2008,
    2009,
    3000,
    3002,
    3004,
    3013,
    3014,
    3015,
    3194,
    3200,
    3503,
    4000,
    4005,
    4010,
    4041,
    4042,
    4013,
    4014,
    4016,
    4037,
    9006,
    -18,
    0xE800_0015,
];

#[test]
fn every_researched_code_answers_with_a_category() {
    let kb = kb();
    for &code in RESEARCH_CODES {
        let found = kb.lookup_code(code);
        assert_ne!(found.matched, CodeMatch::Unknown, "code {code} is unknown");
        assert!(found.category.is_some(), "code {code} has no category");
    }
}

#[test]
fn research_table_and_fixture_agree() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/research/error-codes.md"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is not beside this checkout");
        return;
    };
    let section = text
        .split("## 1. Main table")
        .nth(1)
        .and_then(|s| s.split("### 1a.").next())
        .expect("section 1 of error-codes.md");
    let mut listed = Vec::new();
    for line in section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| code"))
    {
        let cell = line.split('|').nth(1).unwrap_or("").trim();
        let head = cell.split(" (").next().unwrap_or(cell);
        for part in head.split(',') {
            let part = part.trim();
            if let Some((from, to)) = part.split_once('–') {
                if let (Ok(from), Ok(to)) = (from.parse::<i64>(), to.parse::<i64>()) {
                    listed.extend([from, to]);
                }
            } else if let Ok(code) = kb::parse_code(part) {
                listed.push(code);
            }
        }
    }
    assert!(
        listed.len() > 60,
        "parsed only {} codes from the research table",
        listed.len()
    );
    let kb = kb();
    for code in listed {
        assert_ne!(
            kb.lookup_code(code).matched,
            CodeMatch::Unknown,
            "research code {code} unknown to kb"
        );
    }
}

#[test]
fn ranges_answer_for_codes_without_an_entry() {
    let kb = kb();
    let found = kb.lookup_code(3777);
    assert_eq!(found.matched, CodeMatch::Range);
    assert_eq!(found.category.unwrap().id, "server");
    let found = kb.lookup_code(1620);
    assert_eq!(found.category.unwrap().id, "usb");
    let unknown = kb.lookup_code(12345);
    assert_eq!(unknown.matched, CodeMatch::Unknown);
    assert_eq!(unknown.likelihood("cable"), unknown.likelihood("nand"));
}

#[test]
fn categories_match_apples_grouping() {
    let kb = kb();
    let category = |code| kb.lookup_code(code).category.unwrap().id.as_str();
    for code in [9, 4005, 4013, 4014] {
        assert_eq!(category(code), "disconnected", "code {code}");
    }
    for code in [2, 4, 6, 9006] {
        assert_eq!(category(code), "security-software", "code {code}");
    }
    for code in [1600, 1604, 1643, 2009, 4016] {
        assert_eq!(category(code), "usb", "code {code}");
    }
    for code in [17, 1013, 1638, 3004, 3194, 3200] {
        assert_eq!(category(code), "server", "code {code}");
    }
    for code in [1, 3, 10, 27, 40, 1002, 1669] {
        assert_eq!(category(code), "hardware", "code {code}");
    }
    assert_eq!(category(53), "security-check");
    assert_eq!(category(1015), "downgrade");
}

#[test]
fn models_are_found_by_product_type_name_or_board() {
    let kb = kb();
    assert_eq!(
        kb.find_device("iPhone9,3").unwrap().board.as_deref(),
        Some("D101AP")
    );
    assert_eq!(kb.find_device("iphone 7").unwrap().model, "iPhone 7");
    assert_eq!(
        kb.find_device("IPHONE 7 PLUS").unwrap().model,
        "iPhone 7 Plus"
    );
    assert_eq!(kb.find_device("D101AP").unwrap().product_type, "iPhone9,3");
    assert_eq!(kb.find_device("d101ap").unwrap().product_type, "iPhone9,3");
    assert_eq!(
        kb.find_device("iPhone Air").unwrap().product_type,
        "iPhone18,4"
    );
    let err = kb.find_device("iPhne 7").unwrap_err();
    assert_eq!(err.suggestion.as_deref(), Some("iPhone 7"));
    let err = kb.find_device("Galaxy S24").unwrap_err();
    assert_eq!(err.suggestion, None);
}

#[test]
fn device_table_covers_the_first_iphone_to_current_models() {
    let kb = kb();
    for pt in [
        "iPhone1,1",
        "iPhone5,4",
        "iPod4,1",
        "iPad1,1",
        "iPad4,9",
        "iPhone8,1",
        "iPhone9,1",
        "iPhone10,3",
        "iPhone12,8",
        "iPhone15,4",
        "iPhone17,5",
        "iPhone18,1",
        "iPhone18,5",
        "iPad5,1",
        "iPad7,11",
        "iPad16,8",
        "iPad17,4",
    ] {
        assert!(
            kb.devices.iter().any(|d| d.product_type == pt),
            "{pt} missing"
        );
    }
    // Dual-source chips share a product type with two rows.
    assert_eq!(
        kb.devices
            .iter()
            .filter(|d| d.product_type == "iPhone8,1")
            .count(),
        2
    );
    // Chip + board ids decode the DFU strings of real captures.
    assert_eq!(
        kb.device_by_chip(0x8000, 0x06).unwrap().product_type,
        "iPhone8,2"
    );
    assert_eq!(
        kb.device_by_chip(0x7000, 0x06).unwrap().product_type,
        "iPhone7,2"
    );
    assert_eq!(
        kb.device_by_chip(0x8960, 0x00).unwrap().product_type,
        "iPhone6,1"
    );
    assert!(
        kb.device_by_chip(0x8010, 0x99).is_none(),
        "unknown pair is None, not a guess"
    );
    // libirecovery's table names the iPhone 17 line too; the iPod touch 7 is there.
    let air = kb.find_device("iPhone18,4").unwrap();
    assert_eq!(
        (air.board.as_deref(), air.bdid),
        (Some("D23AP"), Some(0x0A))
    );
    assert_eq!(
        kb.device_by_chip(0x8010, 0x16).unwrap().product_type,
        "iPod9,1"
    );
}

#[test]
fn connector_biometric_and_dfu_family_follow_the_model() {
    let kb = kb();
    let d = |q| kb.find_device(q).unwrap();
    assert_eq!(d("iPhone 7").dfu, "iphone-7");
    assert_eq!(d("iPhone 6s").dfu, "home-button-iphone");
    assert_eq!(d("iPhone SE (2nd gen)").dfu, "iphone-8-and-later");
    assert_eq!(d("iPhone X").biometric, kb::Biometric::FaceId);
    assert_eq!(d("iPhone 8").biometric, kb::Biometric::TouchId);
    assert_eq!(d("iPhone 14").connector, kb::Connector::Lightning);
    assert_eq!(d("iPhone 15").connector, kb::Connector::UsbC);
    assert_eq!(d("iPad (9th gen)").dfu, "home-button-ipad");
    assert_eq!(d("iPad (10th gen)").dfu, "ipad-no-home-button");
    assert_eq!(
        d("iPad Pro 11-inch (1st gen)").connector,
        kb::Connector::UsbC
    );
}

#[test]
fn model_specific_causes_follow_the_device() {
    let kb = kb();
    let audio = kb.cause("audio-ic").unwrap();
    let iphone7 = kb.find_device("iPhone 7").unwrap();
    let iphone8 = kb.find_device("iPhone 8").unwrap();
    assert!(kb.prior(audio, Some(iphone7)) > 0.1);
    assert_eq!(kb.prior(audio, Some(iphone8)), 0.0);
    assert!(
        kb.prior(audio, None) > 0.0,
        "an unknown model could still be an iPhone 7"
    );
    let touch = kb.cause("touch-id").unwrap();
    assert_eq!(
        kb.prior(touch, Some(kb.find_device("iPhone X").unwrap())),
        0.0
    );
    let notes = kb.notes_for(4013, Some(iphone7));
    assert!(notes.iter().any(|n| n.cause == "audio-ic"));
    assert!(
        kb.notes_for(4013, Some(iphone8))
            .iter()
            .all(|n| n.cause != "audio-ic")
    );
    assert!(kb.notes_for(3194, Some(iphone7)).is_empty());
}

/// The older devices legacy tools restore (Legacy iOS Kit, LeetDown): found as people write
/// them, decoded from a DFU chip id, with their 30-pin or Lightning connector; a bare "iPad" or
/// "iPad mini" stays ambiguous rather than becoming the first generation.
#[test]
fn older_devices_are_known() {
    let kb = kb();
    let model = |q: &str| kb.find_device(q).map(|d| d.model.clone());
    for (typed, expected) in [
        ("iPhone 3GS", "iPhone 3GS"),
        ("iphone 4s", "iPhone 4s"),
        ("iPhone3,1", "iPhone 4"),
        ("iPod touch 4", "iPod touch (4th gen)"),
        ("iPod 4", "iPod touch (4th gen)"),
        ("iPod touch (5th generation)", "iPod touch (5th gen)"),
        ("iPad 2", "iPad (2nd gen)"),
        ("iPad 1", "iPad (1st gen)"),
        ("iPad mini 1", "iPad mini (1st gen)"),
        ("iPad mini 2", "iPad mini 2"),
        ("iPad Air 1", "iPad Air (1st gen)"),
        ("iPad Air 2", "iPad Air 2"),
        ("n81ap", "iPod touch (4th gen)"),
    ] {
        assert_eq!(model(typed).as_deref(), Ok(expected), "{typed}");
    }
    for bare in ["iPad", "iPad mini", "iPad Air"] {
        let err = kb.find_device(bare).unwrap_err();
        assert!(err.candidates.len() >= 2, "{bare}: {err}");
    }
    let text = |t: &str| kb.device_in_text(t).map(|d| d.model.as_str());
    assert_eq!(text("iPhone 4S stuck in recovery"), Some("iPhone 4s"));
    assert_eq!(text("iPhone 3GS (iOS 6.1.6)"), Some("iPhone 3GS"));
    assert_eq!(
        text("iPod touch (4th generation)"),
        Some("iPod touch (4th gen)")
    );
    assert_eq!(
        kb.device_by_chip(0x8930, 0x08).map(|d| d.model.as_str()),
        Some("iPod touch (4th gen)")
    );
    let d = |q| kb.find_device(q).unwrap();
    assert_eq!(d("iPhone 4").connector, kb::Connector::ThirtyPin);
    assert_eq!(d("iPhone 5").connector, kb::Connector::Lightning);
    assert_eq!(d("iPad 3").connector, kb::Connector::ThirtyPin);
    assert_eq!(d("iPad 4").connector, kb::Connector::Lightning);
    assert_eq!(d("iPad mini 3").biometric, kb::Biometric::TouchId);
    assert_eq!(d("iPhone 4").biometric, kb::Biometric::None);
    // Their restores are steered to USB 2 ports: the computer's port is a likelier cause.
    let port = kb.cause("host-port").unwrap();
    assert!(kb.prior(port, Some(d("iPod touch 4"))) > kb.prior(port, Some(d("iPhone 8"))));
    assert!(kb.prior(port, Some(d("iPhone 5s"))) > kb.prior(port, None));
}

/// Models as people type them: Settings names, short forms, A-numbers; ambiguity is said, and
/// nothing is read as another device.
#[test]
fn models_are_found_as_people_write_them() {
    let kb = kb::Kb::embedded().unwrap();
    let model = |q: &str| kb.find_device(q).map(|d| d.model.clone());
    for (typed, expected) in [
        ("iPhone SE (2nd generation)", "iPhone SE (2nd gen)"),
        ("iPad (9th generation)", "iPad (9th gen)"),
        (
            "iPad Pro 12.9-inch (4th generation)",
            "iPad Pro 12.9-inch (4th gen)",
        ),
        ("iPad Pro 12.9 (4th gen)", "iPad Pro 12.9-inch (4th gen)"),
        ("11 pro max", "iPhone 11 Pro Max"),
        ("7+", "iPhone 7 Plus"),
        ("iphone 7+", "iPhone 7 Plus"),
        ("7 plus", "iPhone 7 Plus"),
        ("SE 2", "iPhone SE (2nd gen)"),
        ("se2", "iPhone SE (2nd gen)"),
        ("iPhone SE 2022", "iPhone SE (3rd gen)"),
        ("ipad 9", "iPad (9th gen)"),
        ("A1778", "iPhone 7"),
        ("a1660", "iPhone 7"),
        ("A2275", "iPhone SE (2nd gen)"),
        ("d101ap", "iPhone 7"),
        ("IPHONE9,3", "iPhone 7"),
        ("Apple iPhone XR", "iPhone XR"),
    ] {
        assert_eq!(model(typed).as_deref(), Ok(expected), "{typed}");
    }
    let se = kb.find_device("iphone se").unwrap_err();
    assert!(se.candidates.len() >= 3, "{se}");
    assert!(se.suggestion.as_deref() != Some("iPhone 5s"), "{se}");
    assert!(se.to_string().contains("say which"), "{se}");
    let typo = kb.find_device("iphne 7").unwrap_err();
    assert_eq!(typo.suggestion.as_deref(), Some("iPhone 7"));
    let unknown = kb.find_device("galaxy s9").unwrap_err().to_string();
    assert!(unknown.contains("Settings → General → About"), "{unknown}");
    assert!(
        kb.find_device("A9999").is_err(),
        "an A-number no source lists is unknown"
    );
}

/// Codes as people write them, in the languages of the samples; several numbers are asked about.
#[test]
fn codes_are_found_as_people_write_them() {
    for (typed, code) in [
        ("4013", 4013),
        ("4013.", 4013),
        ("it says 4014", 4014),
        ("iTunes error 4013", 4013),
        ("エラー4013", 4013),
        (
            "iPhoneを復元できませんでした。不明なエラーが発生しました（４０１３）。",
            4013,
        ),
        ("发生未知错误 (4013)。", 4013),
        ("Es ist ein unbekannter Fehler aufgetreten (4013).", 4013),
        ("Se ha producido un error desconocido (4013).", 4013),
        ("Wystąpił nieznany błąd (4013).", 4013),
        ("Fehler 9", 9),
        ("updating iOS 17.2 failed with error 4013", 4013),
        ("my iPhone 7 shows error -1", -1),
        ("0xE8000015", 0xE800_0015),
    ] {
        assert_eq!(kb::parse_code(typed), Ok(code), "{typed}");
    }
    assert!(matches!(
        kb::parse_code("it was 4013 then 4014"),
        Err(kb::CodeParseError::Several(ref v)) if v == &[4013, 4014]
    ));
    assert!(kb::parse_code("no number here").is_err());
    assert!(
        kb::parse_code("model A1778").is_err(),
        "an A-number is not a code"
    );
}

/// A step counts by how likely it is to apply while the question that would rule it out is
/// open, fully once it is answered its way, not at all once answered the other way; the higher
/// rates after a failed update count only once that answer is given.
#[test]
fn a_step_counts_by_how_likely_it_applies_to_this_phone() {
    use kb::Observation;
    let kb = kb();
    let hub = kb.action("remove-hub").expect("remove-hub");
    let said = |q: &str, a: &str| vec![Observation::new(q, a)];
    // A hub fault means a hub is there; a port fault leaves a hub to take out one time in five.
    assert_eq!(kb.p_fix_expected(hub, "usb-hub", &[]), hub.p_fix("usb-hub"));
    let open = kb.p_fix_expected(hub, "host-port", &[]);
    let yes = kb.p_fix_expected(hub, "host-port", &said("hub-in-path", "yes"));
    let no = kb.p_fix_expected(hub, "host-port", &said("hub-in-path", "no"));
    assert_eq!(yes, hub.p_fix("host-port"));
    assert_eq!(no, 0.0);
    assert!(open > 0.0 && open < yes, "{open} {yes}");

    let exit = kb.action("exit-recovery-mode").expect("exit-recovery-mode");
    let mut stuck = said("mode-entered-by", "failed-update");
    let unknown_mode = kb.p_fix_expected(exit, "cable", &stuck);
    stuck.push(Observation::new("device-mode", "recovery"));
    let in_recovery = kb.p_fix_expected(exit, "cable", &stuck);
    assert!(in_recovery > exit.p_fix("cable"), "{in_recovery}");
    assert!(unknown_mode < in_recovery, "{unknown_mode} {in_recovery}");
    // Before anyone says how the phone got there, the plain rate holds.
    let recovery = said("device-mode", "recovery");
    assert_eq!(
        kb.p_fix_expected(exit, "cable", &recovery),
        exit.p_fix("cable")
    );
}

/// The tool message table loads and checks out, with the tables of both command-line tools.
#[test]
fn the_tool_message_table_loads() {
    let table = kb().tool_messages();
    for tool in [
        "idevicerestore",
        "futurerestore",
        "3utools",
        "legacy-ios-kit",
    ] {
        assert!(table.messages().any(|m| m.tool == tool), "{tool}");
    }
    assert_eq!(table.server_status(94).and_then(|s| s.code), Some(3194));
}

/// "The same error after a DFU restore on a second computer" is, per cause, the chance that
/// neither of those two steps fixes it, kept between 0.05 and 0.95; the table follows the
/// actions' fix rates.
#[test]
fn the_same_error_after_dfu_on_another_computer_follows_the_fix_rates() {
    let kb = kb();
    let question = kb
        .question("fails-after-dfu-elsewhere")
        .expect("the question");
    let (dfu, other) = (
        kb.action("dfu-restore").unwrap(),
        kb.action("different-computer").unwrap(),
    );
    for cause in &kb.causes {
        let neither = (1.0 - dfu.p_fix(&cause.id)) * (1.0 - other.p_fix(&cause.id));
        let expected = neither.clamp(0.05, 0.95);
        let yes = question.likelihood(&cause.id, "yes");
        assert!(
            (yes - expected).abs() < 0.01,
            "{}: P(yes) {yes}, from the fix rates {expected}",
            cause.id
        );
    }
}

/// A model's name that several variants share gives the family, never one variant; an
/// A-number names its own variant; a number shared by two variants names only the model.
#[test]
fn a_family_name_gives_its_variants_and_an_a_number_its_own() {
    let kb = kb();
    for (typed, model, candidates) in [
        ("iphone 7", "iPhone 7", &["iPhone9,1", "iPhone9,3"][..]),
        ("iPhone X", "iPhone X", &["iPhone10,3", "iPhone10,6"][..]),
        ("ipad 9", "iPad (9th gen)", &["iPad12,1", "iPad12,2"][..]),
        ("iPhone SE 2", "iPhone SE (2nd gen)", &["iPhone12,8"][..]),
    ] {
        let found = kb.resolve_model(typed).unwrap();
        assert_eq!(found.model, model, "{typed}");
        assert_eq!(found.candidates(), candidates, "{typed}");
        if candidates.len() > 1 {
            assert_eq!(found.product_type(), None, "{typed}: no variant is picked");
            assert_eq!(found.board(), None, "{typed}: no board");
            let stand_in = kb.find_device(typed).unwrap();
            assert_eq!(stand_in.known_product_type(), None, "{typed}");
            assert_eq!((stand_in.board.as_deref(), stand_in.cpid), (None, None));
            assert_eq!(stand_in.variants, candidates, "{typed}");
        }
    }
    // The A-numbers of the issue: A1778 is the GSM iPhone 7, A2111 an iPhone 11.
    let a1778 = kb.resolve_model("A1778").unwrap();
    assert_eq!(a1778.product_type(), Some("iPhone9,3"));
    assert_eq!(a1778.board(), Some("D101AP"));
    assert_eq!(kb.find_device("a1660").unwrap().product_type, "iPhone9,1");
    assert_eq!(kb.find_device("A2111").unwrap().product_type, "iPhone12,1");
    assert_eq!(kb.find_device("A1784").unwrap().product_type, "iPhone9,4");
    assert_eq!(kb.find_device("A1905").unwrap().product_type, "iPhone10,4");
    assert_eq!(kb.find_device("A2602").unwrap().product_type, "iPad12,1");
    assert_eq!(kb.find_device("A3084").unwrap().product_type, "iPhone17,2");
    // A number two variants share names the model, not one of them.
    let a1332 = kb.resolve_model("A1332").unwrap();
    assert_eq!(a1332.candidates(), ["iPhone3,1", "iPhone3,2"]);
    assert_eq!(a1332.product_type(), None);
    assert!(a1332.device().is_none());
    // A dual-source chip: the product type is known, the board is not.
    let six_s = kb.resolve_model("iPhone 6s").unwrap();
    assert_eq!(six_s.product_type(), Some("iPhone8,1"));
    assert_eq!(six_s.board(), None);
    // Words that could be several models stay a question.
    assert!(kb.resolve_model("iPhone SE").unwrap_err().candidates.len() >= 3);
}

/// Every iPhone and iPad in the table carries sourced A-numbers, and a number names one model.
#[test]
fn every_iphone_and_ipad_has_sourced_model_numbers() {
    let kb = kb();
    for d in kb.devices.iter().filter(|d| d.kind != kb::DeviceKind::Ipod) {
        assert!(
            kb.model_numbers.iter().any(|t| t
                .numbers
                .get(&d.product_type)
                .is_some_and(|n| !n.is_empty())),
            "{} has no model number",
            d.product_type
        );
    }
    assert_eq!(kb.find_device("A2178").unwrap().product_type, "iPod9,1");
}

/// A Wi-Fi-only iPad and an iPod touch have no modem: no modem fault, no "No Service" question.
#[test]
fn a_wifi_only_ipad_has_no_modem_cause() {
    let kb = kb();
    let baseband = kb.cause("baseband").unwrap();
    for wifi in ["iPad12,1", "iPad6,3", "iPod9,1"] {
        let d = kb.find_device(wifi).unwrap();
        assert_eq!(d.has_modem(), Some(false), "{wifi}");
        assert_eq!(kb.prior(baseband, Some(d)), 0.0, "{wifi}");
    }
    for cellular in ["iPad12,2", "iPad6,4", "iPhone9,3"] {
        let d = kb.find_device(cellular).unwrap();
        assert_eq!(d.has_modem(), Some(true), "{cellular}");
        assert!(kb.prior(baseband, Some(d)) > 0.0, "{cellular}");
    }
    // The family "iPad 9" may have a modem: the cause stays possible.
    let family = kb.find_device("ipad 9").unwrap();
    assert_eq!(family.has_modem(), None);
    assert!(kb.prior(baseband, Some(family)) > 0.0);
    // Sold both ways under one product type: unknown, not guessed.
    assert_eq!(kb.find_device("iPad1,1").unwrap().has_modem(), None);
    // The iPhone 7 family keeps the iPhone 7 group (its audio-chip cause).
    let iphone7 = kb.find_device("iPhone 7").unwrap();
    assert!(kb.groups_of(iphone7).contains(&"iphone-7"));
}

/// The iPod touch 7 is known by its names, board and chip, with its own DFU buttons.
#[test]
fn the_ipod_touch_7_is_known() {
    let kb = kb();
    for typed in [
        "iPod touch 7",
        "iPod 7",
        "iPod9,1",
        "N112AP",
        "iPod touch (7th generation)",
    ] {
        let d = kb.find_device(typed).unwrap();
        assert_eq!(d.product_type, "iPod9,1", "{typed}");
    }
    let d = kb.find_device("iPod9,1").unwrap();
    assert_eq!(d.dfu, "ipod-touch-7");
    assert!(
        kb.dfu_family("ipod-touch-7")
            .unwrap()
            .recovery_buttons
            .contains("Volume Down")
    );
}
