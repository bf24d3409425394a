//! Fuzzes the restore-log reader: any bytes (any encoding, truncated gzip, junk) must give a
//! report, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let report = logs::analyze_reader(kb, std::io::Cursor::new(data.to_vec()), &mut |_| {});
    if let Ok(r) = report {
        assert_eq!(r.bytes, data.len() as u64);
    }
});
