//! The compiled knowledge base (what `build.rs` made and the binary carries) is the TOML one:
//! the same tables, and the same answers to any code, model name, device, case or note asked.

use std::sync::LazyLock;

use kb::{Kb, KbFiles, Observation};
use proptest::prelude::*;

fn compiled() -> &'static Kb {
    Kb::embedded().expect("the compiled knowledge base loads")
}

/// The knowledge base parsed and validated from the TOML at run time, as before the build
/// compiled it.
static FROM_TOML: LazyLock<Kb> =
    LazyLock::new(|| Kb::load(&KbFiles::embedded()).expect("the TOML knowledge base loads"));

#[test]
fn the_compiled_tables_are_the_toml_tables() {
    let (a, b) = (compiled(), &*FROM_TOML);
    assert_eq!(a.sources, b.sources);
    assert_eq!(a.categories, b.categories);
    assert_eq!(a.codes, b.codes);
    assert_eq!(a.ranges, b.ranges);
    assert_eq!(a.causes, b.causes);
    assert_eq!(a.actions, b.actions);
    assert_eq!(a.questions, b.questions);
    assert_eq!(a.groups, b.groups);
    assert_eq!(a.devices, b.devices);
    assert_eq!(a.model_numbers, b.model_numbers);
    assert_eq!(a.usb_products, b.usb_products);
    assert_eq!(a.device_sources, b.device_sources);
    assert_eq!(a.dfu_families, b.dfu_families);
    assert_eq!(a.dfu_signs, b.dfu_signs);
    assert_eq!(a.notes, b.notes);
    assert_eq!(a.settings, b.settings);
    assert_eq!(a.resolutions, b.resolutions);
    assert_eq!(a.phrases, b.phrases);
    assert_eq!(a.dialog_languages, b.dialog_languages);
    assert_eq!(a.real_cases, b.real_cases);
    let table = |kb: &Kb| format!("{:?}", kb.tool_messages());
    assert_eq!(table(a), table(b));
    // And the compact form written again from either is the same, byte for byte.
    assert_eq!(a.to_image(), b.to_image());
    assert_eq!(
        Kb::from_image(&b.to_image()).unwrap().to_image(),
        b.to_image()
    );
}

#[test]
fn a_damaged_image_is_an_error_not_a_panic() {
    let image = FROM_TOML.to_image();
    for cut in [0, 1, image.len() / 3, image.len() - 1] {
        assert!(Kb::from_image(&image[..cut]).is_err(), "cut at {cut}");
    }
}

/// Codes worth asking about: every known one, the edges of every range, and any number.
fn code() -> impl Strategy<Value = i64> {
    let kb = &*FROM_TOML;
    let known: Vec<i64> = kb
        .codes
        .iter()
        .flat_map(|c| c.numbers())
        .chain(
            kb.ranges
                .iter()
                .flat_map(|r| [r.from - 1, r.from, r.to, r.to + 1]),
        )
        .collect();
    prop_oneof![
        proptest::sample::select(known),
        any::<i64>(),
        -100_000i64..100_000
    ]
}

/// What people type for a model: known names, product types, boards and model numbers, cut,
/// cased and spaced differently, or anything.
fn model_query() -> impl Strategy<Value = String> {
    let kb = &*FROM_TOML;
    let names: Vec<String> = kb
        .devices
        .iter()
        .flat_map(|d| {
            [
                Some(d.name.clone()),
                Some(d.model.clone()),
                Some(d.product_type.clone()),
                d.board.clone(),
            ]
        })
        .flatten()
        .chain(
            kb.model_numbers
                .iter()
                .flat_map(|t| t.numbers.values().flatten().cloned()),
        )
        .collect();
    let known = (proptest::sample::select(names), 0usize..30, any::<bool>()).prop_map(
        |(name, cut, lower)| {
            let name: String = name.chars().take(cut.max(1)).collect();
            if lower { name.to_lowercase() } else { name }
        },
    );
    prop_oneof![
        known,
        "[a-zA-Z0-9 ,()]{0,16}",
        "iphone ?[0-9]{1,2} ?(pro|max|plus|mini)?"
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_code_gets_the_same_answer(code in code(), device in any::<proptest::sample::Index>()) {
        let (a, b) = (compiled(), &*FROM_TOML);
        let (x, y) = (a.lookup_code(code), b.lookup_code(code));
        prop_assert_eq!(x.matched, y.matched);
        prop_assert_eq!(x.entry, y.entry);
        prop_assert_eq!(x.range, y.range);
        prop_assert_eq!(x.category, y.category);
        prop_assert_eq!(x.display(), y.display());
        for cause in &b.causes {
            prop_assert_eq!(x.likelihood(&cause.id).to_bits(), y.likelihood(&cause.id).to_bits());
        }
        let (da, db) = (device.get(&a.devices), device.get(&b.devices));
        prop_assert_eq!(a.notes_for(code, None), b.notes_for(code, None));
        prop_assert_eq!(a.notes_for(code, Some(da)), b.notes_for(code, Some(db)));
    }

    #[test]
    fn any_model_name_finds_the_same_device(query in model_query()) {
        let (a, b) = (compiled(), &*FROM_TOML);
        prop_assert_eq!(a.find_device(&query), b.find_device(&query));
        prop_assert_eq!(a.device_in_text(&query), b.device_in_text(&query));
        let resolved = |kb: &kb::Kb| {
            kb.resolve_model(&query)
                .map(|r| (r.model.to_owned(), r.candidates().join(" ")))
        };
        prop_assert_eq!(resolved(a), resolved(b));
    }

    #[test]
    fn any_device_and_answers_get_the_same_numbers(
        device in any::<proptest::sample::Index>(),
        answers in proptest::collection::vec(
            (any::<proptest::sample::Index>(), any::<proptest::sample::Index>()),
            0..4,
        ),
    ) {
        let (a, b) = (compiled(), &*FROM_TOML);
        let (da, db) = (device.get(&a.devices), device.get(&b.devices));
        prop_assert_eq!(a.groups_of(da), b.groups_of(db));
        prop_assert_eq!(a.device_by_chip(da.cpid.unwrap_or(0), da.bdid.unwrap_or(0)),
            b.device_by_chip(db.cpid.unwrap_or(0), db.bdid.unwrap_or(0)));
        let answers: Vec<Observation> = answers
            .iter()
            .map(|(q, answer)| {
                let q = q.get(&b.questions);
                Observation::new(q.id.clone(), answer.get(&q.answers).clone())
            })
            .collect();
        for (ca, cb) in a.causes.iter().zip(&b.causes) {
            prop_assert_eq!(a.prior(ca, Some(da)).to_bits(), b.prior(cb, Some(db)).to_bits());
            for (xa, xb) in a.actions.iter().zip(&b.actions) {
                prop_assert_eq!(
                    a.p_fix_expected(xa, &ca.id, &answers).to_bits(),
                    b.p_fix_expected(xb, &cb.id, &answers).to_bits()
                );
            }
        }
    }

    #[test]
    fn any_real_case_reads_the_same(case in any::<proptest::sample::Index>()) {
        let (a, b) = (compiled(), &*FROM_TOML);
        let (ca, cb) = (case.get(&a.real_cases), case.get(&b.real_cases));
        let (x, y) = (a.read_case(ca), b.read_case(cb));
        prop_assert_eq!(x.code, y.code);
        prop_assert_eq!(x.device, y.device);
        prop_assert_eq!(x.observations, y.observations);
        prop_assert_eq!(x.failed, y.failed);
        prop_assert_eq!(x.cannot, y.cannot);
        prop_assert_eq!(a.resolution(&ca.resolved_by), b.resolution(&cb.resolved_by));
    }
}
