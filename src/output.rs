//! Shared output helpers: colour styles (only on a terminal, NO_COLOR respected), percentages,
//! durations, text wrapping and JSON printing.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

/// Column at which text output is wrapped.
pub const WIDTH: usize = 92;

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

/// "38 %", or "<1 %" for small non-zero values.
pub fn percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct > 0.0 && pct < 1.0 {
        "<1 %".to_owned()
    } else {
        format!("{pct:.0} %")
    }
}

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

/// Word-wraps text to `width` columns, every line prefixed by `indent`.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        // Keep "%" with its number ("15 %" never splits across lines).
        let glued = word.starts_with('%');
        if !line.is_empty()
            && !glued
            && indent.len() + line.len() + 1 + word.chars().count() > width
        {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Writes a value as pretty JSON followed by a newline.
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
        let wrapped = wrap("one two three four five six", "  ", 14);
        assert_eq!(wrapped, "  one two\n  three four\n  five six\n");
        assert_eq!(wrap("", "  ", 10), "");
    }

    #[test]
    fn a_percent_sign_stays_with_its_number() {
        let wrapped = wrap("it would make this cause 82 % likely", "", 29);
        assert_eq!(wrapped, "it would make this cause 82 %\nlikely\n");
    }

    #[test]
    fn percent_never_rounds_small_values_to_zero() {
        assert_eq!(percent(0.004), "<1 %");
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(0.386), "39 %");
    }
}
