//! `restore-doctor watch [--replay FILE]`: the restore-aware connection timeline, live from USB
//! or replayed from a recording; every drop is reported at once with its phase, port and the
//! engine's next step.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use engine::{Evidence, StepKind};
use kb::Kb;
use serde::Serialize;
use usb::live::Watcher;
use watch::{Finding, FindingKind, Tracker};

use crate::cli::WatchArgs;
use crate::commands::watch_view::LiveView;
use crate::commands::{devices, exit_cleanly_on_interrupt, knowledge, resolve_model};
use crate::output::{DIM, GOOD, STRONG, WARN, paint};
use crate::usage_error::UsageError;

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
    ports: Vec<String>,
    observations: Vec<(String, String)>,
}

impl<'kb> Reporter<'kb> {
    /// The engine's next step given what was seen (and the code / model if known).
    fn next_step(&self) -> Option<engine::Step> {
        let evidence = Evidence {
            code: self.code,
            device: self.model,
            observations: watch::observations(&self.findings),
            ..Evidence::default()
        };
        let assessment = engine::assess(self.kb, &evidence).ok()?;
        assessment
            .plan
            .into_iter()
            .find(|s| s.kind == StepKind::Action)
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
        let alert = matches!(f.kind, FindingKind::Drop | FindingKind::Loop);
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
                anstream::println!(
                    "{}",
                    serde_json::to_string(&FindingJson {
                        finding: &f,
                        next_step
                    })?
                );
                continue;
            }
            let who = match (&f.name, &f.port) {
                (Some(name), Some(port)) => format!("device {} ({name}) on {port}", f.device),
                (None, Some(port)) => format!("device {} on {port}", f.device),
                (Some(name), None) => format!("device {} ({name})", f.device),
                (None, None) => format!("device {}", f.device),
            };
            let (mark, style) = match f.kind {
                FindingKind::Attach => ("+", DIM),
                FindingKind::Detach => ("-", DIM),
                FindingKind::ModeChange => ("✓", GOOD),
                FindingKind::Glitch => ("~", WARN),
                FindingKind::Drop => ("✗ DROP", WARN),
                FindingKind::Loop => ("✗ LOOP", WARN),
            };
            let phase = f.phase.map(|p| format!(", phase {p}")).unwrap_or_default();
            anstream::println!(
                "{:>9.3}s  {} {who}{phase}: {}",
                f.t,
                paint(style, mark),
                f.message
            );
            if let Some(step) = step {
                let name = self
                    .kb
                    .action(&step.id)
                    .map_or(step.id.as_str(), |a| a.name.as_str());
                anstream::println!(
                    "            {} {} — {}",
                    paint(STRONG, "Next:"),
                    name,
                    step.why
                );
            }
        }
        Ok(())
    }

    fn finish(&self, tracker: &Tracker, t: f64) -> anyhow::Result<()> {
        let ports = watch::port_verdict(tracker);
        let observations: Vec<(String, String)> = watch::observations(&self.findings)
            .into_iter()
            .map(|o| (o.question, o.answer))
            .collect();
        if self.json {
            let verdict = VerdictJson {
                t,
                kind: "verdict",
                ports,
                observations,
            };
            anstream::println!("{}", serde_json::to_string(&verdict)?);
            return Ok(());
        }
        let drops = self
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Drop)
            .count();
        anstream::println!();
        if drops == 0 {
            anstream::println!("{}", paint(GOOD, "No drop seen."));
        } else {
            anstream::println!("{}", paint(WARN, &format!("{drops} drop(s) seen.")));
        }
        for p in ports {
            anstream::println!("  {p}");
        }
        if !observations.is_empty() {
            let said: Vec<String> = observations
                .iter()
                .map(|(q, a)| format!("--observe {q}={a}"))
                .collect();
            anstream::println!(
                "{}",
                paint(
                    DIM,
                    &format!(
                        "For the planner: restore-doctor diagnose {}",
                        said.join(" ")
                    )
                )
            );
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
    let dropped = reporter
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::Drop);
    Ok(if dropped {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn replay(
    path: &std::path::Path,
    speed: f64,
    tracker: &mut Tracker,
    reporter: &mut Reporter,
) -> anyhow::Result<()> {
    let file = std::fs::File::open(path)
        .map_err(|e| UsageError::new(format!("cannot read {}: {e}", path.display())))?;
    let mut text = String::new();
    file.take(MAX_RECORDING).read_to_string(&mut text)?;
    let events = watch::scenario::parse(&text)
        .map_err(|e| UsageError::new(format!("{}: {e}", path.display())))?;
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

fn live(
    kb: &Kb,
    args: &WatchArgs,
    tracker: &mut Tracker,
    reporter: &mut Reporter,
) -> anyhow::Result<()> {
    exit_cleanly_on_interrupt();
    let source = devices::source(None, args.sysfs_root.as_deref());
    let mut watcher = Watcher::new(source.as_ref(), Duration::from_millis(250));
    if !args.json {
        anstream::println!(
            "{}",
            paint(
                DIM,
                "Watching USB during the restore. Start it in Finder, Apple Devices, iTunes or idevicerestore; Ctrl-C stops."
            )
        );
    }
    let start = Instant::now();
    let mut changes = watcher.poll(kb)?;
    loop {
        let t = start.elapsed().as_secs_f64();
        for change in changes {
            let findings = tracker.push(&watch::event(t, change));
            reporter.show(findings)?;
        }
        let findings = tracker.tick(t);
        reporter.show(findings)?;
        changes = watcher.wait_once(kb)?;
    }
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

    let source = devices::source(None, args.sysfs_root.as_deref());
    let mut watcher = Watcher::new(source.as_ref(), Duration::from_millis(250));
    let mut view = LiveView::new(
        args.sysfs_root
            .as_ref()
            .map_or_else(|| "USB".to_owned(), |r| r.display().to_string()),
    );
    let mut terminal = ratatui::try_init()?;
    let start = Instant::now();
    let result = (|| -> anyhow::Result<()> {
        let mut changes = watcher.poll(kb)?;
        loop {
            let t = start.elapsed().as_secs_f64();
            let mut findings = Vec::new();
            for change in changes {
                findings.extend(tracker.push(&watch::event(t, change)));
            }
            findings.extend(tracker.tick(t));
            for f in &findings {
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
            changes = watcher.wait_once(kb)?;
        }
    })();
    ratatui::try_restore()?;
    result
}
