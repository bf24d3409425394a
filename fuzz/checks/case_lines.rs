//! The import line check, shared by the `case_lines` fuzz target and the corpus replay test:
//! any bytes as a cases file (`history --import`) are refused with a line number or read into
//! cases, each read into the engine's vocabulary; a line is never longer than the bound.

pub fn check(data: &[u8]) {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let text = String::from_utf8_lossy(data);
    match kb::parse_case_lines(&text) {
        Ok(cases) => {
            let mut last = 0;
            for (line, case) in &cases {
                assert!(*line > last, "lines in order");
                last = *line;
                let _ = kb.resolution(&case.resolved_by);
                let _ = kb.read_case(case);
            }
        }
        Err(e) => {
            assert!(e.line >= 1 && e.line <= text.lines().count().max(1), "{e}");
            assert!(!e.to_string().is_empty());
        }
    }
}
