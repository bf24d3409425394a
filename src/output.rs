//! Shared output helpers: colour styles (only on a terminal, NO_COLOR respected), percentages,
//! durations, wrapping to the terminal's width (100 columns at most) and JSON printing.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

/// Prose is never wrapped wider than this, however wide the terminal.
const MAX_WIDTH: usize = 100;

/// The width to wrap standard output to: the terminal's, or for a pipe or a file `COLUMNS`
/// when it is set, else [`MAX_WIDTH`]; never wider than [`MAX_WIDTH`].
pub fn width() -> usize {
    let columns = if std::io::stdout().is_terminal() {
        terminal_size::terminal_size().map_or(80, |(w, _)| usize::from(w.0))
    } else {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(MAX_WIDTH)
    };
    columns.clamp(20, MAX_WIDTH)
}

pub const HEADING: Style = Style::new().bold();
pub const STRONG: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
pub const GOOD: Style = AnsiColor::Green.on_default().bold();

/// Applies `--color` to everything written through anstream.
pub fn set_color(choice: clap::ColorChoice) {
    let choice = match choice {
        clap::ColorChoice::Auto => anstream::ColorChoice::Auto,
        clap::ColorChoice::Always => anstream::ColorChoice::Always,
        clap::ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// Wraps `text` in a style; anstream strips the escapes when colour is off.
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

pub use kb::percent;

/// "25 min", "2 h 5 min".
pub fn minutes(m: f64) -> String {
    let m = m.round() as i64;
    if m < 60 {
        format!("{m} min")
    } else if m % 60 == 0 {
        format!("{} h", m / 60)
    } else {
        format!("{} h {} min", m / 60, m % 60)
    }
}

/// Word-wraps text to the terminal, every line prefixed by `indent`; ends with a newline.
pub fn wrap(text: &str, indent: &str) -> String {
    wrap_to(text, indent, width())
}

/// Word-wraps text to `width` columns, every line prefixed by `indent`. Words are never
/// split, and a "%" stays with its number ("15 %").
pub fn wrap_to(text: &str, indent: &str, width: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return String::new();
    }
    let glued = text.replace(" %", "\u{a0}%");
    let options = textwrap::Options::new(width)
        .initial_indent(indent)
        .subsequent_indent(indent)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    let mut out = String::new();
    for line in textwrap::wrap(&glued, options) {
        out.push_str(&line.replace('\u{a0}', " "));
        out.push('\n');
    }
    out
}

/// Text already laid out in lines, with any line too wide for the terminal wrapped under its
/// own indentation.
pub fn fit(text: &str) -> String {
    fit_to(text, width())
}

pub fn fit_to(text: &str, limit: usize) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if textwrap::core::display_width(line) <= limit {
            out.push_str(line);
            continue;
        }
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        // A list marker ("1. ", "- ") keeps the following lines under the text.
        let marker = body
            .split_once(' ')
            .filter(|(m, _)| *m == "-" || m.trim_end_matches('.').parse::<u32>().is_ok())
            .map_or(0, |(m, _)| m.len() + 1);
        let hanging = format!("{indent}{}", " ".repeat(marker));
        let options = textwrap::Options::new(limit)
            .initial_indent(indent)
            .subsequent_indent(&hanging)
            .break_words(false)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
        let glued = body.replace(" %", "\u{a0}%");
        let lines: Vec<String> = textwrap::wrap(&glued, options)
            .into_iter()
            .map(|l| l.replace('\u{a0}', " "))
            .collect();
        out.push_str(&lines.join("\n"));
    }
    out
}

/// True when standard output is a pipe whose reader has gone away (`| head -n1` exited), so a
/// command that waits for events can stop without waiting for its next line to fail.
#[cfg(unix)]
pub fn reader_gone() -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    let stdout = std::io::stdout();
    let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(poll(&mut fds, Some(&zero)), Ok(n) if n > 0)
        && fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP)
}

#[cfg(not(unix))]
pub fn reader_gone() -> bool {
    false
}

/// Writes a line to standard output as it is (JSON lines too), returning the error (a closed
/// pipe ends the command quietly in `main`) instead of swallowing it. Text for people goes
/// through [`fit`] or [`wrap`] first.
pub fn line(text: impl std::fmt::Display) -> std::io::Result<()> {
    let mut out = anstream::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

/// Writes a value as pretty JSON followed by a newline.
///
/// Key order is part of the shapes other tools read byte for byte. A struct prints its fields
/// in the order they are declared; a `serde_json::Value` prints an object's keys in
/// alphabetical order (this workspace's serde_json is built without `preserve_order`). JSON
/// first built as a `Value` keeps that order: its types declare their fields alphabetically,
/// or are made into a `Value` with `serde_json::to_value` (which sorts every level, also of
/// types from other crates) before printing.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_read_naturally() {
        assert_eq!(minutes(12.4), "12 min");
        assert_eq!(minutes(60.0), "1 h");
        assert_eq!(minutes(365.0), "6 h 5 min");
    }

    #[test]
    fn wrap_keeps_words_whole_and_indents() {
        let wrapped = wrap_to("one two three four five six", "  ", 14);
        assert_eq!(wrapped, "  one two\n  three four\n  five six\n");
        assert_eq!(wrap_to("", "  ", 10), "");
        assert_eq!(
            wrap_to("one  two\nthree", "> ", 100),
            "> one two three\n",
            "room enough: one line"
        );
    }

    #[test]
    fn a_percent_sign_stays_with_its_number() {
        let wrapped = wrap_to("it would make this cause 82 % likely", "", 29);
        assert_eq!(wrapped, "it would make this cause 82 %\nlikely\n");
        let wrapped = wrap_to("it would make this cause 82 % likely", "", 27);
        assert_eq!(wrapped, "it would make this cause\n82 % likely\n");
    }

    #[test]
    fn hyphenated_words_stay_whole() {
        assert_eq!(
            wrap_to("prefer a USB-A-to-Lightning cable", "", 12),
            "prefer a\nUSB-A-to-Lightning\ncable\n"
        );
    }

    #[test]
    fn fit_wraps_only_the_lines_too_wide_under_their_indent() {
        let text = "short\n  1. a numbered step that is much too long for the width\nend";
        assert_eq!(
            fit_to(text, 24),
            "short\n  1. a numbered step\n     that is much too\n     long for the width\nend"
        );
        assert_eq!(fit_to(text, 100), text);
        for line in fit_to(text, 24).lines() {
            assert!(line.len() <= 24, "{line}");
        }
    }
}
