//! Apple's restore dialog in every language of dialogs.toml: each cited wording gives its code,
//! however its digits, brackets and direction are written, and a text without one gives none.

use kb::Kb;

fn kb() -> &'static Kb {
    Kb::embedded().expect("embedded kb")
}

/// The cited wording with the device's name and the code put in.
fn filled(text: &str, name: &str, code: &str) -> String {
    text.replace("^FILENAME", name)
        .replace("^ERRORNUMBER", code)
}

/// Every example as a (text, code) pair, with the name "iPhone 7": a name's digit is no code.
fn cases() -> Vec<(&'static str, String, i64)> {
    let mut out = Vec::new();
    for lang in &kb().dialog_languages {
        for example in &lang.example {
            let code = example.code.unwrap_or(4013);
            out.push((
                lang.id.as_str(),
                filled(&example.text, "iPhone 7", "4013"),
                code,
            ));
        }
    }
    out
}

#[test]
fn at_least_the_languages_people_paste_are_covered() {
    let ids: Vec<&str> = kb()
        .dialog_languages
        .iter()
        .map(|l| l.id.as_str())
        .collect();
    assert!(ids.len() >= 15, "{ids:?}");
    for wanted in [
        "pl", "ja", "zh-Hans", "zh-Hant", "ko", "ru", "tr", "ar", "pt-BR", "it", "de", "fr", "es",
        "nl", "sv", "vi", "th",
    ] {
        assert!(ids.contains(&wanted), "{wanted} is missing");
    }
}

#[test]
fn every_cited_wording_gives_its_code_in_its_language() {
    for (lang, text, code) in cases() {
        let found = kb().dialog_code(&text);
        assert_eq!(found.map(|d| d.code), Some(code), "{lang}: {text}");
        assert_eq!(kb::parse_code(&text), Ok(code), "{lang}: {text}");
    }
}

#[test]
fn negative_and_hexadecimal_codes_are_read_in_every_language() {
    for lang in &kb().dialog_languages {
        for example in lang.example.iter().filter(|e| e.code.is_none()) {
            for (written, code) in [("-1", -1), ("0xE8000015", 0xE800_0015), ("9", 9)] {
                let text = filled(&example.text, "iPhone", written);
                assert_eq!(
                    kb().dialog_code(&text).map(|d| d.code),
                    Some(code),
                    "{}: {text}",
                    lang.id
                );
            }
        }
    }
}

#[test]
fn full_width_arabic_indic_and_right_to_left_writing_read_the_same() {
    let full_width = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(u32::from(c) - 0x30 + 0xFF10).unwrap(),
                '(' => '（',
                ')' => '）',
                c => c,
            })
            .collect()
    };
    let arabic_indic = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(u32::from(c) - 0x30 + 0x0660).unwrap(),
                c => c,
            })
            .collect()
    };
    // Right-to-left marks around the number, as Arabic and Hebrew text carries them, and the
    // brackets mirrored as a right-to-left display is sometimes copied.
    let rtl = |s: &str| -> String {
        s.replace('(', "\u{200f})\u{200e}")
            .replace(')', "\u{200f}(")
    };
    for (lang, text, code) in cases() {
        for (how, variant) in [
            ("full-width", full_width(&text)),
            ("Arabic-Indic", arabic_indic(&text)),
            ("right-to-left", rtl(&text)),
        ] {
            assert_eq!(
                kb().dialog_code(&variant).map(|d| d.code),
                Some(code),
                "{lang}, {how}: {variant}"
            );
        }
    }
}

#[test]
fn the_ipad_and_ipod_dialogs_read_the_same() {
    for (lang, text, code) in cases() {
        for device in ["iPad", "iPod touch"] {
            let variant = text.replace("iPhone", device);
            assert_eq!(
                kb().dialog_code(&variant).map(|d| d.code),
                Some(code),
                "{lang}: {variant}"
            );
        }
    }
}

#[test]
fn a_dialog_quoted_in_a_longer_text_gives_its_code_not_another_number() {
    for (lang, text, code) in cases() {
        let story = format!(
            "After 3 tries on my iPhone 7 (256 GB) it said: {text} Then I gave up (2 hours)."
        );
        assert_eq!(
            kb().dialog_code(&story).map(|d| d.code),
            Some(code),
            "{lang}: {story}"
        );
        assert_eq!(kb::parse_code(&story), Ok(code), "{lang}: {story}");
    }
}

#[test]
fn the_polish_dialog_of_an_iphone_7_is_4013_and_the_japanese_one_has_its_code() {
    let polish = "Nie można uaktualnić iPhone’a „iPhone 7”. Wystąpił nieznany błąd (4013).";
    assert_eq!(
        kb().dialog_code(polish),
        Some(kb::DialogCode {
            code: 4013,
            language: "pl"
        })
    );
    let japanese =
        "iPhone “iPhone 7”を復元できませんでした。不明なエラーが発生しました（４０１３）。";
    assert_eq!(kb().dialog_code(japanese).map(|d| d.code), Some(4013));
    assert_eq!(kb::parse_code(japanese), Ok(4013));
}

#[test]
fn text_without_a_dialog_gives_no_code() {
    for text in [
        "",
        "tried 3 cables (2 of them new)",
        "iPhone 7 (256 GB)",
        "an unknown error, then nothing",
        "could not be restored",
        "unknown error (not a number)",
        "不明なエラー（？）",
    ] {
        assert_eq!(kb().dialog_code(text), None, "{text:?}");
    }
    // A huge text is read up to a bound and never panics.
    let huge = "unknown error (".repeat(100_000);
    assert_eq!(kb().dialog_code(&huge), None);
}

#[test]
fn the_log_scanner_gets_every_wording_as_written() {
    let words = kb().dialog_words();
    for needle in [
        "nieznany błąd",
        "Bilinmeyen bir hata",
        "不明なエラー",
        "unknown error",
    ] {
        assert!(words.iter().any(|w| w == needle), "{needle}");
    }
}
