//! The live terminal view of `watch` (ratatui): the devices and the stage each is in, the
//! timeline of attaches, mode changes and glitches, and the alerts with their next step.

use std::collections::{BTreeMap, VecDeque};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, Wrap};
use watch::{EventKind, Finding};

/// Timeline entries kept on screen.
const TIMELINE: usize = 200;
/// Alerts kept on screen.
const ALERTS: usize = 50;

#[derive(Debug, Clone)]
struct DeviceRow {
    name: String,
    port: String,
    stage: String,
    last: String,
}

/// Everything the view shows, updated finding by finding.
#[derive(Debug, Default)]
pub struct LiveView {
    devices: BTreeMap<usize, DeviceRow>,
    timeline: VecDeque<Finding>,
    alerts: VecDeque<(Finding, Option<String>)>,
    /// Where the events come from, for the title.
    source: String,
}

impl LiveView {
    /// An empty view of events from `source` (shown in the title).
    pub fn new(source: impl Into<String>) -> LiveView {
        LiveView {
            source: source.into(),
            ..LiveView::default()
        }
    }

    /// Takes in one finding (and the next step suggested for an alert).
    pub fn apply(&mut self, f: &Finding, next_step: Option<String>) {
        let row = self.devices.entry(f.device).or_insert_with(|| DeviceRow {
            name: String::new(),
            port: String::new(),
            stage: String::new(),
            last: String::new(),
        });
        if let Some(name) = &f.name {
            row.name = name.clone();
        }
        if let Some(port) = &f.port {
            row.port = port.clone();
        }
        match f.kind {
            EventKind::Detach => row.stage = format!("gone from {}", f.stage.words()),
            // An alert is about the state the device is already shown in.
            EventKind::Drop | EventKind::Loop => {}
            _ => row.stage = f.stage.words().to_owned(),
        }
        row.last = format!("{:.1} s", f.t);
        self.timeline.push_back(f.clone());
        while self.timeline.len() > TIMELINE {
            self.timeline.pop_front();
        }
        if matches!(f.kind, EventKind::Drop | EventKind::Loop) {
            self.alerts.push_back((f.clone(), next_step));
            while self.alerts.len() > ALERTS {
                self.alerts.pop_front();
            }
        }
    }

    /// Draws the three panes and the key hint.
    pub fn draw(&self, frame: &mut Frame) {
        let [devices_area, timeline_area, alerts_area, help_area] = Layout::vertical([
            Constraint::Length(self.devices.len().clamp(1, 6) as u16 + 3),
            Constraint::Min(5),
            Constraint::Length(8),
            Constraint::Length(1),
        ])
        .areas(frame.area());

        let rows = self.devices.iter().map(|(id, d)| {
            Row::new(vec![
                id.to_string(),
                if d.name.is_empty() {
                    "—".into()
                } else {
                    d.name.clone()
                },
                d.port.clone(),
                d.stage.clone(),
                d.last.clone(),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Length(3),
                Constraint::Length(24),
                Constraint::Length(10),
                Constraint::Min(20),
                Constraint::Length(10),
            ],
        )
        .header(
            Row::new(vec!["#", "Device", "Port", "Stage", "Last"])
                .style(Style::new().add_modifier(Modifier::BOLD)),
        )
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" Restore Doctor · watching {} ", self.source)),
        );
        frame.render_widget(table, devices_area);

        let height = timeline_area.height.saturating_sub(2) as usize;
        let lines: Vec<Line> = self
            .timeline
            .iter()
            .skip(self.timeline.len().saturating_sub(height))
            .map(|f| {
                let (mark, color) = match f.kind {
                    EventKind::Attach => ("+", Color::Gray),
                    EventKind::Detach => ("-", Color::Gray),
                    EventKind::ModeChange => ("✓", Color::Green),
                    EventKind::Glitch => ("~", Color::Yellow),
                    EventKind::Drop => ("✗", Color::Red),
                    EventKind::Loop => ("↻", Color::Red),
                    _ => ("·", Color::Gray),
                };
                Line::from(vec![
                    Span::raw(format!("{:>9.3}s ", f.t)),
                    Span::styled(
                        format!("{mark} "),
                        Style::new().fg(color).add_modifier(Modifier::BOLD),
                    ),
                    Span::raw(format!("device {}: {}", f.device, f.message)),
                ])
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Timeline ")),
            timeline_area,
        );

        let alerts: Vec<Line> = if self.alerts.is_empty() {
            vec![Line::from(Span::styled(
                "No drop so far.",
                Style::new().fg(Color::Green),
            ))]
        } else {
            self.alerts
                .iter()
                .rev()
                .flat_map(|(f, next)| {
                    let port = f
                        .port
                        .as_deref()
                        .map(|p| format!(" on {p}"))
                        .unwrap_or_default();
                    let phase = f.phase.map(|p| format!(", {p}")).unwrap_or_default();
                    let mut out = vec![Line::from(Span::styled(
                        format!(
                            "{:.1} s  device {}{port}{phase}: {}",
                            f.t, f.device, f.message
                        ),
                        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                    ))];
                    if let Some(next) = next {
                        out.push(Line::from(format!("  Next: {next}")));
                    }
                    out
                })
                .collect()
        };
        frame.render_widget(
            Paragraph::new(alerts)
                .wrap(Wrap { trim: true })
                .block(Block::default().borders(Borders::ALL).title(" Alerts ")),
            alerts_area,
        );
        frame.render_widget(
            Paragraph::new(Span::styled(
                " q quits ",
                Style::new().add_modifier(Modifier::DIM),
            )),
            help_area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use watch::{Event, LinkChange, Tracker};

    fn event(t: f64, kind: LinkChange, pid: u16) -> Event {
        let mut d = usb::AppleDevice::new("test");
        d.set_ids(usb::APPLE_VID, pid);
        d.ecid = Some(0x1A2B);
        d.usb_path = Some("1-2".into());
        d.name = Some("iPhone 12".into());
        Event { t, kind, device: d }
    }

    #[test]
    fn shows_devices_timeline_and_an_alert_with_its_next_step() {
        let mut tracker = Tracker::default();
        let mut view = LiveView::new("USB");
        let events = [
            event(0.0, LinkChange::Attach, 0x1281),
            event(10.0, LinkChange::Detach, 0x1281),
            event(25.0, LinkChange::Attach, 0x12a8),
            event(40.0, LinkChange::Detach, 0x12a8),
        ];
        for e in &events {
            for f in tracker.push(e) {
                let next = (f.kind == EventKind::Drop)
                    .then(|| "Use a different, certified cable".to_owned());
                view.apply(&f, next);
            }
        }
        let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
        terminal.draw(|frame| view.draw(frame)).unwrap();
        let screen: String = terminal
            .backend()
            .buffer()
            .content()
            .chunks(100)
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
            .collect();
        assert!(screen.contains("watching USB"), "{screen}");
        assert!(
            screen.contains("iPhone 12") && screen.contains("1-2"),
            "{screen}"
        );
        assert!(screen.contains("gone from restore mode"), "{screen}");
        assert!(screen.contains("recovery mode → restore mode"), "{screen}");
        assert!(screen.contains("4013 pattern"), "{screen}");
        assert!(
            screen.contains("Next: Use a different, certified cable"),
            "{screen}"
        );
        assert!(screen.contains("q quits"));
    }
}
