//! What a person sees of a supervised restore: plain lines with a progress bar on a terminal,
//! or one JSON object per line, and the words both the single and the bench restore use.

use std::io::IsTerminal;
use std::time::Instant;

use kb::{Kb, RestoreEvent, Stamped};
use serde::Serialize;
use supervise::Ending;
use watch::Finding;

use crate::ops::restore::{Failure, RunNews, action_name, is_alert};
use crate::output::{self, DIM, GOOD, STRONG, WARN, paint};

/// A link watch's finding as a `restore --json` line: the finding's own fields, from `usb`.
#[derive(Serialize)]
pub struct LinkLine<'a> {
    #[serde(flatten)]
    pub finding: &'a Finding,
    pub source: &'static str,
}

impl<'a> LinkLine<'a> {
    pub fn new(finding: &'a Finding) -> LinkLine<'a> {
        LinkLine {
            finding,
            source: "usb",
        }
    }
}

/// A value as one JSON line, identifiers masked. Keys come out in alphabetical order (a
/// `serde_json::Value`'s order), as every `--json` line always has.
pub fn json_line(value: &impl Serialize) -> std::io::Result<()> {
    let mut value = serde_json::to_value(value).map_err(std::io::Error::other)?;
    kb::text::redact_json(&mut value);
    output::line(serde_json::to_string(&value).map_err(std::io::Error::other)?)
}

/// One restore as it runs: plain lines (with a progress bar on a terminal) or JSON lines.
pub struct Screen {
    json: bool,
    start: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Screen {
    pub fn new(json: bool) -> Screen {
        Screen {
            json,
            start: Instant::now(),
            bar: None,
        }
    }

    /// Seconds since the screen started, to the millisecond.
    pub fn t(&self) -> f64 {
        (self.start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    fn clock(&self) -> String {
        clock(self.start)
    }

    /// A plain line, above the progress bar when there is one.
    fn say(&self, text: &str) -> std::io::Result<()> {
        let text = kb::text::redact_identifiers(text);
        match &self.bar {
            Some(bar) => {
                bar.println(output::fit(&text));
                Ok(())
            }
            None => output::line(output::fit(&text)),
        }
    }

    /// A note before the run (not in JSON).
    pub fn note(&self, text: &str) -> std::io::Result<()> {
        if self.json {
            return Ok(());
        }
        output::line(output::wrap(text, "").trim_end())
    }

    /// Shows what the run said: the tool's events, and the link's drops and loops.
    pub fn news(&mut self, news: RunNews) -> std::io::Result<()> {
        match news {
            RunNews::Tool(event) => self.show(event),
            RunNews::Link(finding) => self.link(&finding),
        }
    }

    fn show(&mut self, event: RestoreEvent) -> std::io::Result<()> {
        if let RestoreEvent::Progress { step, fraction } = &event
            && !self.json
        {
            if std::io::stderr().is_terminal() {
                let bar = self.bar.get_or_insert_with(|| progress_bar("{msg:>24}"));
                bar.set_message(step.words());
                bar.set_position((fraction * 1000.0) as u64);
            }
            return Ok(());
        }
        if self.json {
            if matches!(event, RestoreEvent::Line { .. }) {
                return Ok(());
            }
            return json_line(&Stamped { t: self.t(), event });
        }
        match in_words(&event) {
            Some(text) => self.say(&format!("{}  {text}", self.clock())),
            None => Ok(()),
        }
    }

    /// A finding of the link watch beside the tool; drops and loops are shown at once.
    fn link(&mut self, finding: &Finding) -> std::io::Result<()> {
        if !is_alert(finding) {
            return Ok(());
        }
        if self.json {
            return json_line(&LinkLine::new(finding));
        }
        let port = finding
            .port
            .as_deref()
            .map(|p| format!(" on port {p}"))
            .unwrap_or_default();
        self.say(&format!(
            "{}  {}",
            self.clock(),
            paint(WARN, &format!("✗ USB{port}: {}", finding.message))
        ))
    }

    /// Clears the progress bar, before a verdict or an error.
    pub fn finish_progress(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// How run `attempt` ended and, when it failed, the next step; the case it is kept in.
    pub fn verdict(
        &mut self,
        kb: &Kb,
        attempt: u32,
        ending: &Ending,
        failure: Option<&Failure>,
        case_id: Option<&str>,
    ) -> std::io::Result<()> {
        self.finish_progress();
        if self.json {
            let verdict = crate::ops::restore::verdict(kb, attempt, ending, failure, case_id);
            return json_line(&Stamped {
                t: self.t(),
                event: RestoreEvent::Verdict(Box::new(verdict)),
            });
        }
        output::line("")?;
        if let Some(signal) = ending.stopped {
            output::line(
                output::wrap(&paint(WARN, &stopped_words(signal, ending)), "").trim_end(),
            )?;
        } else if ending.succeeded() {
            output::line(paint(
                GOOD,
                &format!(
                    "Restored in {}. The case is closed as fixed.",
                    duration(ending.seconds)
                ),
            ))?;
        } else {
            output::line(output::wrap(&paint(WARN, &failed_words(ending)), "").trim_end())?;
            if ending.link_dropped() {
                output::line("The USB link dropped during the restore.")?;
            }
            match failure.and_then(|f| f.next.as_ref()) {
                Some(step) => output::line(
                    output::wrap(
                        &format!(
                            "Next: {}. {} Then run `restore-doctor restore` again.",
                            paint(STRONG, &action_name(kb, &step.id)),
                            step.why
                        ),
                        "",
                    )
                    .trim_end(),
                )?,
                None => output::line("No further step to suggest: see `restore-doctor report`.")?,
            }
        }
        if let Some(id) = case_id {
            output::line(paint(
                DIM,
                &format!("Case {id} saved: restore-doctor report {id}"),
            ))?;
        }
        Ok(())
    }
}

/// `m:ss` since `start`, as the lines of a run are stamped.
pub fn clock(start: Instant) -> String {
    let s = start.elapsed().as_secs();
    format!("{:>3}:{:02}", s / 60, s % 60)
}

/// How a stopped run ended, in one sentence, with what to do next.
pub fn stopped_words(signal: supervise::StopSignal, ending: &Ending) -> String {
    format!(
        "Stopped ({}): idevicerestore was ended after {}. The phone may be left in recovery mode; \
         run `restore-doctor restore` again to finish.",
        signal.name(),
        duration(ending.seconds)
    )
}

/// How a failed run ended, in one sentence: its phase, code and exit status.
pub fn failed_words(ending: &Ending) -> String {
    let phase = ending
        .phase()
        .map_or("at an unknown stage".to_owned(), |p| {
            format!("while {} ({})", p.words(), p.id())
        });
    let code = ending
        .code()
        .map(|c| format!(", error {c}"))
        .unwrap_or_default();
    let status = ending.status.map_or("it was stopped".to_owned(), |s| {
        format!("idevicerestore exit status {s}")
    });
    format!("The restore failed {phase}{code} ({status}).")
}

/// A progress bar for a restore's steps, with `label` (an indicatif template field) before it.
pub fn progress_bar(label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(1000);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!("{label} [{{bar:30}}] {{percent:>3}}%"))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// An event as a person reads it (painted), or `None` for what is not a line of its own (the
/// tool's raw lines, progress, the verdict).
pub fn in_words(event: &RestoreEvent) -> Option<String> {
    Some(match event {
        RestoreEvent::Line { .. } | RestoreEvent::Progress { .. } | RestoreEvent::Verdict(_) => {
            return None;
        }
        RestoreEvent::Device { product_type } => format!("phone: {product_type}"),
        RestoreEvent::Phase { phase, .. } => paint(
            STRONG,
            &format!("{} ({})", capitalised(phase.words()), phase.id()),
        ),
        RestoreEvent::Error { line } => paint(WARN, &format!("✗ {line}")),
        RestoreEvent::Drop { phase, .. } => paint(
            WARN,
            &format!(
                "✗ DROP: the phone left USB while {}, where it must stay connected",
                phase.words()
            ),
        ),
        RestoreEvent::Disconnect { .. } => {
            paint(DIM, "the phone left USB (expected between stages)")
        }
        RestoreEvent::Reconnect { mode } => paint(DIM, &format!("back on USB in {mode} mode")),
        RestoreEvent::Finding { text } => format!("note: {text}"),
    })
}

/// Seconds as a person says them: "45 s", "12 min".
pub fn duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{:.0} min", seconds / 60.0)
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
