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

#[test]
fn sysfs_corpus_replays_without_panic() {
    let kb = kb::Kb::embedded().unwrap();
    for input in corpus("sysfs") {
        let text = String::from_utf8_lossy(&input);
        let mut fields = text.splitn(5, '\n');
        let name = fields.next().unwrap_or("1-4").to_owned();
        let values: Vec<String> = fields.map(|f| f.trim().to_owned()).collect();
        let attribute = |a: &str| {
            let i = ["idVendor", "idProduct", "serial", "speed"]
                .iter()
                .position(|k| *k == a)?;
            values.get(i).filter(|v| !v.is_empty()).cloned()
        };
        if let Some(d) = usb::sysfs::device_from_attributes(&name, attribute) {
            let _ = d.finish(kb);
        }
    }
}
