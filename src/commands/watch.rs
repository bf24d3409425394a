//! `restore-doctor watch [--replay FILE]`: the restore-aware connection timeline, live from USB
//! or replayed from a recording; every drop is reported at once with its phase, port and the
//! engine's next step.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use engine::{Evidence, StepKind};
use kb::Kb;
use serde::Serialize;
use watch::{EventKind, Finding, Tracker};

use crate::cli::WatchArgs;
use crate::commands::watch_view::LiveView;
use crate::interrupt;
use crate::knowledge::{knowledge, resolve_model};
use crate::output::{self, DIM, GOOD, STRONG, WARN, paint};
use crate::usage_error::UsageError;
use crate::usb_source;
use crate::usb_watch::LinkWatch;

/// Largest recording read.
const MAX_RECORDING: u64 = 64 * 1024 * 1024;

/// Shows findings as they come, as text or one JSON object per line.
struct Reporter<'kb> {
    kb: &'kb Kb,
    json: bool,
    code: Option<i64>,
    model: Option<&'kb kb::Device>,
    findings: Vec<Finding>,
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

/// The engine's next step after what the link showed (and the code, the model and what else
/// is known about the port, such as a hub in its path).
pub(super) fn next_step(
    kb: &Kb,
    findings: &[Finding],
    code: Option<i64>,
    model: Option<&kb::Device>,
    known: &[kb::Observation],
) -> Option<engine::Step> {
    let mut observations = known.to_vec();
    observations.extend(watch::observations(findings));
    let evidence = Evidence {
        code,
        device: model,
        observations,
        ..Evidence::default()
    };
    let assessment = engine::assess(kb, &evidence).ok()?;
    assessment
        .plan
        .into_iter()
        .find(|s| s.kind == StepKind::Action)
}

impl<'kb> Reporter<'kb> {
    /// The engine's next step given what was seen (and the code / model if known).
    fn next_step(&self) -> Option<engine::Step> {
        next_step(self.kb, &self.findings, self.code, self.model, &[])
    }

    /// Keeps a finding as evidence and, for an alert, works out the next step.
    fn record(&mut self, f: &Finding) -> Option<engine::Step> {
        if self.model.is_none() {
            self.model = f
                .name
                .as_deref()
                .and_then(|n| self.kb.devices.iter().find(|d| d.name == n));
        }
        self.findings.push(f.clone());
        // Keep memory flat on long watches: what matters for evidence is kept in order.
        if self.findings.len() > 10_000 {
            self.findings.drain(..5_000);
        }
        let alert = matches!(f.kind, EventKind::Drop | EventKind::Loop);
        if alert { self.next_step() } else { None }
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
        let count = |kind| self.findings.iter().filter(|f| f.kind == kind).count();
        (count(EventKind::Drop), count(EventKind::Loop))
    }

    fn finish(&self, tracker: &Tracker, t: f64) -> anyhow::Result<()> {
        let ports = watch::port_verdict(tracker);
        let observations: Vec<(String, String)> = watch::observations(&self.findings)
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

pub fn run(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let code = match &args.code {
        Some(text) => Some(kb::parse_code(text).map_err(|e| UsageError::new(e.to_string()))?),
        None => None,
    };
    let model = resolve_model(kb, args.model.model.as_deref())?;
    let mut reporter = Reporter {
        kb,
        json: args.json,
        code,
        model,
        findings: Vec::new(),
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

/// The events of a recording (`devices --watch --record`, or written by hand), checked.
pub(super) fn read_recording(
    path: &std::path::Path,
) -> anyhow::Result<Vec<watch::scenario::Event>> {
    let text = read_recording_text(path)?;
    Ok(watch::scenario::parse(&text)?)
}

/// The text of a recording, every line checked (so a replay never stops half-way on a bad one).
pub(super) fn read_recording_text(path: &std::path::Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path)
        .map_err(|e| UsageError::new(format!("cannot read {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORDING + 1).read_to_end(&mut bytes)?;
    let shown = kb::text::printable(&path.display().to_string()).into_owned();
    if bytes.len() as u64 > MAX_RECORDING {
        return Err(UsageError::new(format!(
            "{shown} is larger than {} MB: not a recording this command replays (split it, or record less)",
            MAX_RECORDING >> 20
        ))
        .into());
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Some(Err(e)) = watch::scenario::events(&text).find(Result::is_err) {
        return Err(UsageError::new(format!("{shown}: {e}")).into());
    }
    Ok(text)
}

fn replay(
    path: &std::path::Path,
    speed: f64,
    tracker: &mut Tracker,
    reporter: &mut Reporter,
) -> anyhow::Result<()> {
    let events = read_recording(path)?;
    let start = Instant::now();
    for event in &events {
        if speed > 0.0 {
            let due = Duration::from_secs_f64(event.t / speed);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let findings = tracker.push(event);
        reporter.show(findings)?;
    }
    let end = events.last().map_or(0.0, |e| e.t);
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
