//! Replays the `usbmux_frame` fuzz corpus through the same check the fuzz target runs.

#[path = "../../../fuzz/checks/usbmux_frame.rs"]
mod check;

#[test]
fn usbmux_frame_corpus_replays_without_panic() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/usbmux_frame");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        if let Ok(input) = std::fs::read(entry.path()) {
            check::check(&input);
            seen += 1;
        }
    }
    assert!(seen > 0, "the usbmux_frame corpus is empty");
}
