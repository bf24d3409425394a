//! Every failure message in the idevicerestore and futurerestore tables of the kb, its
//! placeholders filled with plausible values, as the last line of a short log of that tool
//! (in both of idevicerestore's output formats): the log is read as that tool's, with a phase.

use kb::{Level, Role, ToolMessage};
use logs::analyze_text;

/// The message with its placeholders filled as a tool would print them.
fn filled(text: &str) -> String {
    text.replace("{n}", "12")
        .replace("{x}", "1f")
        .replace("{f}", "0.5")
        .replace("{s}", "iBEC")
}

/// Level words a message may already carry in front.
fn has_level_word(text: &str) -> bool {
    [
        "ERROR",
        "WARNING",
        "NOTE",
        "INFO",
        "DEBUG",
        "[Error]",
        "[WARNING]",
    ]
    .iter()
    .any(|w| text.starts_with(w))
}

/// The failure as the last line of a short log of its tool, in the given style.
fn short_log(m: &ToolMessage, new_style: bool) -> String {
    let text = filled(m.text);
    match m.tool {
        "futurerestore" => {
            let last = if m.level == Level::Exception {
                format!("[exception]:\nwhat={text}")
            } else {
                text
            };
            format!(
                "Version: 22a5d89bdec6e1c441012d63822184c93530b7e5 - 274\nfuturerestore init done\nFound device in Recovery mode\nIdentified device as n71ap, iPhone8,1\n{last}\n"
            )
        }
        _ if new_style => {
            let body = text
                .trim_start_matches("ERROR: ")
                .trim_start_matches("WARNING: ");
            format!(
                "12:00:01.100    <Info> Found device in Recovery mode\n12:00:01.200    <Info> Identified device as n71ap, iPhone8,1\n12:00:02.300   <Error> {body}\n"
            )
        }
        _ => {
            let line = if has_level_word(&text) {
                text
            } else {
                format!("ERROR: {text}")
            };
            format!(
                "Found device in Recovery mode\nIdentified device as n71ap, iPhone8,1\n{line}\n"
            )
        }
    }
}

#[test]
fn every_failure_message_is_read_as_its_tools_log_with_a_phase() {
    let kb = kb::Kb::embedded().unwrap();
    let mut report = Vec::new();
    let mut all_ok = true;
    for tool in ["idevicerestore", "futurerestore"] {
        let mut seen = std::collections::HashSet::new();
        let failures: Vec<ToolMessage> = kb
            .tool_messages()
            .messages()
            .filter(|m| m.tool == tool && matches!(m.role, Role::Cause | Role::Consequence))
            .filter(|m| seen.insert(m.text))
            .collect();
        let styles: &[bool] = if tool == "idevicerestore" {
            &[false, true]
        } else {
            &[false]
        };
        for &new_style in styles {
            let (mut as_tool, mut with_phase) = (0, 0);
            let mut misses = Vec::new();
            for m in &failures {
                let r = analyze_text(kb, &short_log(m, new_style));
                as_tool += usize::from(r.format == Some(tool));
                with_phase += usize::from(r.phase.is_some());
                if r.format != Some(tool) || r.phase.is_none() {
                    misses.push(format!("  {:?} {:?}: {}", r.format, r.phase, m.text));
                }
            }
            let n = failures.len();
            let style = if new_style {
                "HH:MM:SS <Error>"
            } else {
                "ERROR:"
            };
            report.push(format!(
                "{tool} ({style}): {n} failure messages, {as_tool} read as {tool} ({:.1} %), {with_phase} with a phase ({:.1} %)",
                100.0 * as_tool as f64 / n as f64,
                100.0 * with_phase as f64 / n as f64
            ));
            report.extend(misses.into_iter().take(40));
            all_ok &= n > 100 && as_tool * 100 >= n * 95 && with_phase * 100 >= n * 90;
        }
    }
    println!("{}", report.join("\n"));
    assert!(all_ok, "{}", report.join("\n"));
}

/// The table says where every failure belongs: a restore phase, or the step in progress.
#[test]
fn every_failure_message_in_the_table_maps_to_a_phase() {
    let kb = kb::Kb::embedded().unwrap();
    let unmapped: Vec<String> = kb
        .tool_messages()
        .messages()
        .filter(|m| m.role.is_failure() && m.phase == kb::MessagePhase::None)
        .map(|m| format!("{} {}: {}", m.tool, m.function, m.text))
        .collect();
    let failures = kb
        .tool_messages()
        .messages()
        .filter(|m| m.role.is_failure() && ["idevicerestore", "futurerestore"].contains(&m.tool))
        .count();
    assert!(
        failures > 1000,
        "the tables hold the tools' failures ({failures})"
    );
    assert!(unmapped.is_empty(), "{unmapped:?}");
}
