//! Replays the fuzz corpus (fuzz/corpus/*) through the same functions the fuzz targets call,
//! so every input the fuzzer found interesting stays a regression test in an ordinary run.

use std::fs;
use std::path::Path;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let inputs: Vec<Vec<u8>> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| fs::read(e.path()).ok())
        .collect();
    assert!(!inputs.is_empty(), "the {target} corpus is empty");
    inputs
}

#[test]
fn identify_corpus_replays_without_panic() {
    let kb = kb::Kb::embedded().unwrap();
    for input in corpus("identify") {
        let found = usb::identify::identify(kb, &String::from_utf8_lossy(&input));
        assert!(found.devices.len() <= usb::identify::MAX_DEVICES);
    }
}

#[test]
fn serial_corpus_replays_without_panic() {
    for input in corpus("serial") {
        let text = String::from_utf8_lossy(&input);
        let info = usb::serial::parse(&text);
        assert!(info.tags.keys().all(|t| t.len() == 4));
    }
}

#[test]
fn snapshot_corpus_replays_without_panic() {
    for input in corpus("snapshot") {
        let _ = usb::snapshot::parse(&String::from_utf8_lossy(&input));
    }
}

#[path = "../../../fuzz/checks/sysfs.rs"]
mod sysfs_check;

#[test]
fn sysfs_corpus_replays_without_panic() {
    for input in corpus("sysfs") {
        sysfs_check::check(&input);
    }
}
