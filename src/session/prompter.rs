//! How the guided session talks to a person: the `Prompter` trait, the real line-based
//! terminal prompt, and (in tests) a scripted one that answers from a list.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::time::Duration;

use kb::DeviceKind;

/// One answer a person can pick, chosen by number or by its key word.
#[derive(Debug, Clone)]
pub struct Choice {
    pub key: String,
    pub label: String,
}

impl Choice {
    pub fn new(key: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            key: key.into(),
            label: label.into(),
        }
    }
}

/// The session's only way to reach the person.
pub trait Prompter {
    /// Shows text (may contain colour, stripped where colour is off).
    fn say(&mut self, text: &str) -> io::Result<()>;
    /// Asks the person to pick one option. `None` when they stop (q, end of input).
    fn choose(&mut self, prompt: &str, options: &[Choice]) -> io::Result<Option<usize>>;
    /// Asks for free text. `None` when they stop; an empty string when they skip.
    fn text(&mut self, prompt: &str) -> io::Result<Option<String>>;
    /// Counts `seconds` down visibly while the person holds buttons.
    fn countdown(&mut self, seconds: u32) -> io::Result<()>;
    /// The kind of device the session is about, once known, so the text can call an iPad an
    /// iPad ([`Reworded`]); prompts that say it as it is ignore it.
    fn device_is(&mut self, _kind: Option<DeviceKind>) {}
}

/// A prompter that says "the iPad" or "the iPod" where the program's text says "the phone",
/// once the session knows which kind of device it is about.
pub struct Reworded<'a> {
    inner: &'a mut dyn Prompter,
    kind: Option<DeviceKind>,
}

impl<'a> Reworded<'a> {
    pub fn new(inner: &'a mut dyn Prompter, kind: Option<DeviceKind>) -> Reworded<'a> {
        Reworded { inner, kind }
    }

    fn words<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        match self.kind {
            Some(kind) => kind.reword(text),
            None => text.into(),
        }
    }
}

impl Prompter for Reworded<'_> {
    fn say(&mut self, text: &str) -> io::Result<()> {
        let text = self.words(text).into_owned();
        self.inner.say(&text)
    }

    fn choose(&mut self, prompt: &str, options: &[Choice]) -> io::Result<Option<usize>> {
        let prompt = self.words(prompt).into_owned();
        let options: Vec<Choice> = options
            .iter()
            .map(|o| Choice::new(o.key.clone(), self.words(&o.label)))
            .collect();
        self.inner.choose(&prompt, &options)
    }

    fn text(&mut self, prompt: &str) -> io::Result<Option<String>> {
        let prompt = self.words(prompt).into_owned();
        self.inner.text(&prompt)
    }

    fn countdown(&mut self, seconds: u32) -> io::Result<()> {
        self.inner.countdown(seconds)
    }

    fn device_is(&mut self, kind: Option<DeviceKind>) {
        self.kind = kind;
    }
}

/// Longest answer line read from the terminal; longer input is cut, never buffered whole.
const MAX_LINE: usize = 4096;

/// A plain line-based prompt on standard input and output. It works on a terminal, over a
/// pipe and in a pseudo-terminal alike, and never leaves the terminal in raw mode.
pub struct TerminalPrompter {
    input: io::StdinLock<'static>,
}

impl TerminalPrompter {
    pub fn new() -> TerminalPrompter {
        TerminalPrompter {
            input: io::stdin().lock(),
        }
    }

    fn read_line(&mut self) -> io::Result<Option<String>> {
        let mut buf = Vec::new();
        let read = (&mut self.input)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut buf)?;
        if read == 0 {
            return Ok(None);
        }
        if !buf.ends_with(b"\n") && buf.len() >= MAX_LINE {
            // Discard the rest of an over-long line.
            let mut rest = Vec::new();
            self.input.read_until(b'\n', &mut rest)?;
        }
        Ok(Some(String::from_utf8_lossy(&buf).trim().to_owned()))
    }
}

/// Matches typed text against the options: a number, a key word, or a unique key prefix.
pub fn pick(answer: &str, options: &[Choice]) -> Option<usize> {
    let answer = answer.trim().to_lowercase();
    if answer.is_empty() {
        return None;
    }
    if let Ok(n) = answer.parse::<usize>() {
        return (1..=options.len()).contains(&n).then(|| n - 1);
    }
    if let Some(i) = options.iter().position(|o| o.key == answer) {
        return Some(i);
    }
    let mut prefixed = options
        .iter()
        .enumerate()
        .filter(|(_, o)| o.key.starts_with(&answer));
    match (prefixed.next(), prefixed.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

fn is_quit(answer: &str) -> bool {
    matches!(
        answer.to_lowercase().as_str(),
        "q" | "quit" | "exit" | "stop"
    )
}

impl Prompter for TerminalPrompter {
    fn say(&mut self, text: &str) -> io::Result<()> {
        let mut out = anstream::stdout().lock();
        writeln!(out, "{}", crate::output::fit(text))?;
        out.flush()
    }

    fn choose(&mut self, prompt: &str, options: &[Choice]) -> io::Result<Option<usize>> {
        let mut out = anstream::stdout().lock();
        writeln!(out, "{}", crate::output::fit(prompt))?;
        for (i, o) in options.iter().enumerate() {
            writeln!(
                out,
                "{}",
                crate::output::fit(&format!("  {}) {}", i + 1, o.label))
            )?;
        }
        drop(out);
        loop {
            let mut out = anstream::stdout().lock();
            write!(out, "> ")?;
            out.flush()?;
            drop(out);
            let Some(answer) = self.read_line()? else {
                return Ok(None);
            };
            if is_quit(&answer) {
                return Ok(None);
            }
            if let Some(i) = pick(&answer, options) {
                return Ok(Some(i));
            }
            let keys: Vec<&str> = options.iter().map(|o| o.key.as_str()).collect();
            self.say(&format!(
                "Type a number from 1 to {}, or one of: {} (q stops).",
                options.len(),
                keys.join(", ")
            ))?;
        }
    }

    fn text(&mut self, prompt: &str) -> io::Result<Option<String>> {
        let mut out = anstream::stdout().lock();
        write!(out, "{}\n> ", crate::output::fit(prompt))?;
        out.flush()?;
        drop(out);
        match self.read_line()? {
            Some(answer) if is_quit(&answer) => Ok(None),
            other => Ok(other),
        }
    }

    fn countdown(&mut self, seconds: u32) -> io::Result<()> {
        let mut out = io::stdout().lock();
        let terminal = out.is_terminal();
        for left in (1..=seconds).rev() {
            if terminal {
                write!(out, "\r    {left:>2} s ")?;
            } else {
                write!(out, "{left}… ")?;
            }
            out.flush()?;
            std::thread::sleep(Duration::from_secs(1));
        }
        if terminal {
            writeln!(out, "\r    done  ")?;
        } else {
            writeln!(out, "done")?;
        }
        out.flush()
    }
}

/// Answers from a list, in order, and records everything said; for tests.
#[cfg(test)]
pub struct ScriptedPrompter {
    answers: std::collections::VecDeque<String>,
    pub transcript: String,
    pub countdown_seconds: u32,
    /// Runs when a free-text question is asked, before it is answered (simulates the world
    /// changing while the person is busy, such as a restore being retried).
    pub on_text: Option<TextHook>,
}

/// A test hook run when a free-text question is asked.
#[cfg(test)]
pub type TextHook = Box<dyn FnMut(&str)>;

#[cfg(test)]
impl ScriptedPrompter {
    pub fn new(answers: &[&str]) -> ScriptedPrompter {
        ScriptedPrompter {
            answers: answers.iter().map(|a| a.to_string()).collect(),
            transcript: String::new(),
            countdown_seconds: 0,
            on_text: None,
        }
    }

    fn next_answer(&mut self) -> Option<String> {
        let answer = self.answers.pop_front();
        if let Some(a) = &answer {
            self.transcript.push_str(&format!("> {a}\n"));
        }
        answer
    }
}

#[cfg(test)]
impl Prompter for ScriptedPrompter {
    fn say(&mut self, text: &str) -> io::Result<()> {
        self.transcript
            .push_str(&anstream::adapter::strip_str(text).to_string());
        self.transcript.push('\n');
        Ok(())
    }

    fn choose(&mut self, prompt: &str, options: &[Choice]) -> io::Result<Option<usize>> {
        self.say(prompt)?;
        for (i, o) in options.iter().enumerate() {
            self.transcript
                .push_str(&format!("  {}) {}\n", i + 1, o.label));
        }
        loop {
            let Some(answer) = self.next_answer() else {
                return Ok(None);
            };
            if is_quit(&answer) {
                return Ok(None);
            }
            if let Some(i) = pick(&answer, options) {
                return Ok(Some(i));
            }
        }
    }

    fn text(&mut self, prompt: &str) -> io::Result<Option<String>> {
        self.say(prompt)?;
        if let Some(hook) = &mut self.on_text {
            hook(prompt);
        }
        Ok(self.next_answer().filter(|a| !is_quit(a)))
    }

    fn countdown(&mut self, seconds: u32) -> io::Result<()> {
        self.countdown_seconds += seconds;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Vec<Choice> {
        vec![
            Choice::new("fixed", "It worked"),
            Choice::new("failed", "Still failing"),
            Choice::new("cant", "I can't do this"),
        ]
    }

    #[test]
    fn picks_by_number_key_or_unique_prefix() {
        let o = options();
        assert_eq!(pick("1", &o), Some(0));
        assert_eq!(pick(" 3 ", &o), Some(2));
        assert_eq!(pick("failed", &o), Some(1));
        assert_eq!(pick("FIX", &o), Some(0));
        assert_eq!(pick("c", &o), Some(2));
        assert_eq!(pick("f", &o), None, "ambiguous prefix");
        assert_eq!(pick("4", &o), None);
        assert_eq!(pick("0", &o), None);
        assert_eq!(pick("", &o), None);
        assert_eq!(pick("99999999999999999999999", &o), None);
    }
}
