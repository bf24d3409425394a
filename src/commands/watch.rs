//! `restore-doctor watch [--replay FILE]`: the restore-aware connection timeline, live from USB
//! or replayed from a recording; every drop is reported at once with its phase, port and the
//! engine's next step.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kb::Kb;
use serde::Serialize;
use watch::{EventKind, Finding, Tracker};

use crate::cli::WatchArgs;
use crate::interrupt;
use crate::knowledge::{knowledge, resolve_model};
use crate::ops::Context;
use crate::ops::watch::{Advice, Recording};
use crate::output::{self, DIM, GOOD, STRONG, WARN, paint};
use crate::usage_error::UsageError;
use crate::usb_source;
use crate::usb_watch::LinkWatch;
use crate::views::watch_view::LiveView;

/// Shows findings as they come, as text or one JSON object per line.
struct Reporter<'kb> {
    ctx: &'kb Context,
    kb: &'kb Kb,
    json: bool,
    code: Option<i64>,
    model: Option<&'kb kb::Device>,
    /// What the findings so far add up to, and the next step for it.
    advice: Advice<'kb>,
}

#[derive(Serialize)]
struct NextStep<'a> {
    id: &'a str,
    name: &'a str,
    why: &'a str,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_step: Option<NextStep<'a>>,
}

#[derive(Serialize)]
struct VerdictJson {
    t: f64,
    kind: &'static str,
    drops: usize,
    loops: usize,
    ports: Vec<String>,
    observations: Vec<(String, String)>,
}

impl<'kb> Reporter<'kb> {
    /// Keeps a finding as evidence and, for an alert, works out the next step.
    fn record(&mut self, f: &Finding) -> Option<engine::Step> {
        if self.model.is_none() {
            self.model = f
                .name
                .as_deref()
                .and_then(|n| self.kb.devices.iter().find(|d| d.name == n));
        }
        self.advice.add(f);
        let alert = matches!(f.kind, EventKind::Drop | EventKind::Loop);
        if alert {
            self.advice
                .next_step(self.ctx, self.kb, self.code, self.model, &[])
        } else {
            None
        }
    }

    fn show(&mut self, findings: Vec<Finding>) -> anyhow::Result<()> {
        for f in findings {
            let step = self.record(&f);
            if self.json {
                let next_step = step.as_ref().map(|s| NextStep {
                    id: &s.id,
                    name: self
                        .kb
                        .action(&s.id)
                        .map_or(s.id.as_str(), |a| a.name.as_str()),
                    why: &s.why,
                });
                output::line(serde_json::to_string(&FindingJson {
                    finding: &f,
                    next_step,
                })?)?;
                continue;
            }
            let who = match (&f.name, &f.port) {
                (Some(name), Some(port)) => format!("device {} ({name}) on {port}", f.device),
                (None, Some(port)) => format!("device {} on {port}", f.device),
                (Some(name), None) => format!("device {} ({name})", f.device),
                (None, None) => format!("device {}", f.device),
            };
            let (mark, style) = match f.kind {
                EventKind::Attach => ("+", DIM),
                EventKind::Detach => ("-", DIM),
                EventKind::ModeChange => ("✓", GOOD),
                EventKind::Glitch => ("~", WARN),
                EventKind::Drop => ("✗ DROP", WARN),
                EventKind::Loop => ("✗ LOOP", WARN),
                _ => ("·", DIM),
            };
            let phase = f.phase.map(|p| format!(", phase {p}")).unwrap_or_default();
            output::line(output::fit(&format!(
                "{:>9.3}s  {} {who}{phase}: {}",
                f.t,
                paint(style, mark),
                f.message
            )))?;
            if let Some(step) = step {
                let name = self
                    .kb
                    .action(&step.id)
                    .map_or(step.id.as_str(), |a| a.name.as_str());
                output::line(output::fit(&format!(
                    "            {} {} — {}",
                    paint(STRONG, "Next:"),
                    name,
                    step.why
                )))?;
            }
        }
        Ok(())
    }

    /// Drops and loops seen: the alerts a summary must agree with.
    fn alerts(&self) -> (usize, usize) {
        (self.advice.seen.drops, self.advice.seen.loops)
    }

    fn finish(&self, tracker: &Tracker, t: f64) -> anyhow::Result<()> {
        let ports = watch::port_verdict(tracker);
        let observations: Vec<(String, String)> = self
            .advice
            .seen
            .observations()
            .into_iter()
            .map(|o| (o.question, o.answer))
            .collect();
        let (drops, loops) = self.alerts();
        if self.json {
            let verdict = VerdictJson {
                t,
                kind: "verdict",
                drops,
                loops,
                ports,
                observations,
            };
            output::line(serde_json::to_string(&verdict)?)?;
            return Ok(());
        }
        output::line("")?;
        let summary = match (drops, loops) {
            (0, 0) => paint(GOOD, "No drop or connection loop seen."),
            (d, 0) => paint(WARN, &format!("{d} drop(s) seen.")),
            (0, l) => paint(WARN, &format!("{l} connection loop(s) seen.")),
            (d, l) => paint(
                WARN,
                &format!("{d} drop(s) and {l} connection loop(s) seen."),
            ),
        };
        output::line(summary)?;
        for p in ports {
            output::line(output::fit(&format!("  {p}")))?;
        }
        if !observations.is_empty() {
            let said: Vec<String> = observations
                .iter()
                .map(|(q, a)| format!("--observe {q}={a}"))
                .collect();
            output::line(paint(
                DIM,
                &output::fit(&format!(
                    "For the planner: restore-doctor diagnose {}",
                    said.join(" ")
                )),
            ))?;
        }
        Ok(())
    }
}

pub fn run(ctx: &Context, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let code = match &args.code {
        Some(text) => Some(kb::parse_code(text).map_err(|e| UsageError::new(e.to_string()))?),
        None => None,
    };
    let model = resolve_model(kb, args.model.model.as_deref())?;
    let mut reporter = Reporter {
        ctx,
        kb,
        json: args.json,
        code,
        model,
        advice: Advice::default(),
    };
    let mut tracker = Tracker::default();
    match &args.replay {
        Some(path) => replay(path, args.speed, &mut tracker, &mut reporter)?,
        None if !args.json
            && !args.plain
            && std::io::stdout().is_terminal()
            && std::io::stdin().is_terminal() =>
        {
            live_view(kb, args, &mut tracker, &mut reporter)?;
            reporter.finish(&tracker, 0.0)?;
        }
        None => live(kb, args, &mut tracker, &mut reporter)?,
    }
    // Exit 1 when anything worth acting on was seen: the summary says the same.
    let (drops, loops) = reporter.alerts();
    Ok(if drops + loops > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn replay(
    path: &Path,
    speed: f64,
    tracker: &mut Tracker,
    reporter: &mut Reporter,
) -> anyhow::Result<()> {
    let recording = Recording::open(path)?;
    let start = Instant::now();
    let mut end = 0.0;
    for event in recording.events()? {
        let event = event?;
        if speed > 0.0 {
            let due = Duration::from_secs_f64(event.t / speed);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        end = event.t;
        let findings = tracker.push(&event);
        reporter.show(findings)?;
    }
    // A device still gone at the end of the recording is judged by its window.
    let findings = tracker.tick(end + tracker.windows.from_recovery);
    reporter.show(findings)?;
    reporter.finish(tracker, end)
}

/// Live watching as lines (JSON or text): ends on Ctrl-C, or q and Enter on a terminal, with
/// the summary; a reader that goes away ends it quietly.
fn live(
    kb: &Kb,
    args: &WatchArgs,
    tracker: &mut Tracker,
    reporter: &mut Reporter,
) -> anyhow::Result<()> {
    let stop = interrupt::stop_on_interrupt_or_q();
    let source = usb_source::for_watching(kb, None, args.sysfs_root.as_deref());
    let mut link = LinkWatch::new(source.as_ref(), Duration::from_millis(250));
    if !args.json {
        output::line(paint(
            DIM,
            &output::fit(
                "Watching USB during the restore. Start it in Finder, Apple Devices, iTunes or idevicerestore; q and Enter, or Ctrl-C, stops with a summary.",
            ),
        ))?;
    }
    let mut t = 0.0;
    while !stop.load(Ordering::Relaxed) {
        if output::reader_gone() {
            return Ok(());
        }
        let tick = link.next(kb)?;
        t = tick.t;
        reporter.show(tick.findings)?;
    }
    *tracker = std::mem::take(&mut link.tracker);
    reporter.finish(tracker, t)
}

/// The live view on a terminal: redrawn on every change, q (or Esc, or Ctrl-C) quits and
/// restores the terminal.
fn live_view(
    kb: &Kb,
    args: &WatchArgs,
    tracker: &mut Tracker,
    reporter: &mut Reporter,
) -> anyhow::Result<()> {
    use ratatui::crossterm::event::{self, Event as Key, KeyCode, KeyModifiers};

    let source = usb_source::for_watching(kb, None, args.sysfs_root.as_deref());
    let mut link = LinkWatch::new(source.as_ref(), Duration::from_millis(250));
    let mut view = LiveView::new(
        args.sysfs_root
            .as_ref()
            .map_or_else(|| "USB".to_owned(), |r| r.display().to_string()),
    );
    let mut terminal = ratatui::try_init()?;
    let result = (|| -> anyhow::Result<()> {
        loop {
            let tick = link.next(kb)?;
            for f in &tick.findings {
                let next = reporter.record(f).map(|step| {
                    let name = kb
                        .action(&step.id)
                        .map_or(step.id.clone(), |a| a.name.clone());
                    format!("{name} — {}", step.why)
                });
                view.apply(f, next);
            }
            terminal.draw(|frame| view.draw(frame))?;
            while event::poll(Duration::ZERO)? {
                if let Key::Key(key) = event::read()?
                    && (matches!(key.code, KeyCode::Char('q') | KeyCode::Esc)
                        || (key.code == KeyCode::Char('c')
                            && key.modifiers.contains(KeyModifiers::CONTROL)))
                {
                    return Ok(());
                }
            }
        }
    })();
    ratatui::try_restore()?;
    *tracker = std::mem::take(&mut link.tracker);
    result
}
