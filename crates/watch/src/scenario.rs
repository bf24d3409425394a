//! The scenario format: timestamped attach / detach lines that `devices --watch --record` writes
//! and `watch --replay` reads, so a real capture can be replayed and attached to a bug report.
//!
//! ```text
//! # restore-doctor scenario 1
//! 0.000 attach 1-4 05ac:1227 ecid=0x001A2B3C4D5E6F70 speed=480
//! 9.412 detach 1-4 05ac:1227
//! 11.020 attach 1-4 05ac:1281 ecid=0x001A2B3C4D5E6F70
//! ```
//! Each line: seconds since the start, `attach` or `detach`, the USB path (port), and optionally
//! `vid:pid` and `key=value` fields (`ecid`, `udid`, `serial`, `speed` in Mb/s). `#` starts a
//! comment. Times must not go backwards.

use std::fmt::Write as _;

use usb::{APPLE_VID, AppleDevice};

/// Whether a device appeared or disappeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChange {
    Attach,
    Detach,
}

/// One USB event at a time in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub t: f64,
    pub kind: LinkChange,
    pub device: AppleDevice,
}

/// A line that is not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScenarioError {
    pub line: usize,
    pub message: String,
}

/// The header line written at the top of a recording.
pub const HEADER: &str = "# restore-doctor scenario 1";

/// Latest time a recording may hold: a year of watching.
pub const MAX_SECONDS: f64 = 366.0 * 24.0 * 3600.0;

/// Longest scenario line read.
pub const MAX_LINE: usize = 4096;

/// Parses one scenario line; `Ok(None)` for blank lines and comments.
pub fn parse_line(number: usize, line: &str) -> Result<Option<Event>, ScenarioError> {
    let err = |message: String| ScenarioError {
        line: number,
        message,
    };
    if line.len() > MAX_LINE {
        return Err(err(format!("longer than {MAX_LINE} characters")));
    }
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return Ok(None);
    }
    let mut fields = line.split_whitespace();
    let t: f64 = fields
        .next()
        .and_then(|t| t.parse().ok())
        .filter(|t: &f64| t.is_finite() && (0.0..=MAX_SECONDS).contains(t))
        .ok_or_else(|| {
            err(format!(
                "expected a time in seconds first (0 to {MAX_SECONDS:.0})"
            ))
        })?;
    let kind = match fields.next() {
        Some("attach") => LinkChange::Attach,
        Some("detach") => LinkChange::Detach,
        other => {
            return Err(err(format!(
                "expected attach or detach, found {:?}",
                other.unwrap_or("nothing")
            )));
        }
    };
    let port = fields
        .next()
        .ok_or_else(|| err("expected the USB path (port)".to_owned()))?;
    let mut device = AppleDevice::new("scenario");
    device.usb_path = Some(kb::text::printable(port).into_owned());
    for field in fields {
        if let Some((key, value)) = field.split_once('=') {
            match key {
                "ecid" => {
                    let hex = value.trim_start_matches("0x");
                    device.ecid = Some(
                        u64::from_str_radix(hex, 16)
                            .map_err(|_| err(format!("bad ecid {value}")))?,
                    );
                }
                "udid" => device.absorb_udid(value),
                "serial" => device.absorb_serial(value),
                "speed" => {
                    device.speed = Some(
                        usb::Speed::from_rate(value)
                            .ok_or_else(|| err(format!("bad speed {value}")))?,
                    )
                }
                _ => return Err(err(format!("unknown field {key}"))),
            }
        } else if let Some((vid, pid)) = field.split_once(':') {
            let parse = |s: &str| {
                u16::from_str_radix(s, 16).map_err(|_| err(format!("bad vid:pid {field}")))
            };
            let (vid, pid) = (parse(vid)?, parse(pid)?);
            device.set_ids(vid, pid);
        } else {
            return Err(err(format!("unexpected {field}")));
        }
    }
    if kind == LinkChange::Attach && device.pid.is_none() {
        return Err(err("an attach needs vid:pid".to_owned()));
    }
    Ok(Some(Event { t, kind, device }))
}

/// Parses a whole scenario.
pub fn parse(text: &str) -> Result<Vec<Event>, ScenarioError> {
    events(text).collect()
}

/// The events of a scenario one by one, as they are read (a long recording is never all in
/// memory); a bad line or a time that goes backwards is an error where it is met, and the last
/// item.
pub fn events(text: &str) -> Events<&[u8]> {
    Events::new(text.as_bytes())
}

/// The events of a recording read from `reader` line by line, as [`events`] reads a text:
/// memory holds one line (at most [`MAX_LINE`] bytes) whatever the recording's length.
pub struct Events<R> {
    reader: R,
    line: Vec<u8>,
    number: usize,
    last: f64,
    /// An error ended the reading.
    done: bool,
}

impl<R: std::io::BufRead> Events<R> {
    pub fn new(reader: R) -> Events<R> {
        Events {
            reader,
            line: Vec::new(),
            number: 0,
            last: 0.0,
            done: false,
        }
    }

    /// The next line's event, `Ok(None)` for a blank or comment line, `Err` for a bad one.
    fn next_line(&mut self) -> Option<Result<Option<Event>, ScenarioError>> {
        use std::io::{BufRead as _, Read as _};
        self.line.clear();
        // A line end (two bytes with a carriage return) beyond the longest line.
        let limit = MAX_LINE as u64 + 2;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.line);
        self.number += 1;
        let err = |message: String| ScenarioError {
            line: self.number,
            message,
        };
        match read {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(err(format!("cannot read: {e}")))),
        }
        if self.line.len() as u64 == limit && !self.line.ends_with(b"\n") {
            return Some(Err(err(format!("longer than {MAX_LINE} characters"))));
        }
        let bytes = self.line.strip_suffix(b"\n").unwrap_or(&self.line);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = String::from_utf8_lossy(bytes);
        let event = match parse_line(self.number, &text) {
            Ok(Some(event)) => event,
            other => return Some(other),
        };
        if event.t < self.last {
            return Some(Err(err("time goes backwards".to_owned())));
        }
        self.last = event.t;
        Some(Ok(Some(event)))
    }
}

impl<R: std::io::BufRead> Iterator for Events<R> {
    type Item = Result<Event, ScenarioError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.next_line()? {
                Ok(None) => continue,
                Ok(Some(event)) => return Some(Ok(event)),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// Writes one event as a scenario line.
pub fn format_event(event: &Event) -> String {
    let d = &event.device;
    let kind = match event.kind {
        LinkChange::Attach => "attach",
        LinkChange::Detach => "detach",
    };
    let mut line = format!(
        "{:.3} {kind} {}",
        event.t,
        d.usb_path.as_deref().unwrap_or("?")
    );
    if let Some(pid) = d.pid {
        let _ = write!(line, " {:04x}:{pid:04x}", d.vid.unwrap_or(APPLE_VID));
    }
    if let Some(ecid) = d.ecid {
        let _ = write!(line, " ecid={}", kb::text::ecid(ecid, true));
    } else if let Some(udid) = &d.udid {
        let _ = write!(line, " udid={udid}");
    }
    if let Some(speed) = d.speed {
        let _ = write!(line, " speed={}", speed.mbps());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let text = "# restore-doctor scenario 1\n0.000 attach 1-4 05ac:1227 ecid=0x001A2B3C4D5E6F70 speed=480\n9.412 detach 1-4 05ac:1227 # gone\n";
        let events = parse(text).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].device.ecid, Some(0x001A_2B3C_4D5E_6F70));
        assert_eq!(events[0].device.mode, usb::Mode::Dfu);
        assert_eq!(events[1].kind, LinkChange::Detach);
        let again: Vec<String> = events.iter().map(format_event).collect();
        assert_eq!(
            again[0],
            "0.000 attach 1-4 05ac:1227 ecid=0x001A2B3C4D5E6F70 speed=480"
        );
        assert_eq!(parse(&again.join("\n")).unwrap(), events);
    }

    #[test]
    fn a_recording_read_line_by_line_is_the_text_read_whole() {
        let text = "# restore-doctor scenario 1\r\n0.000 attach 1-4 05ac:1227 ecid=0x1\r\n\n  \n9.412 detach 1-4 05ac:1227\n10 attach 1-4 05ac:1281";
        let whole: Vec<Event> = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| parse_line(i + 1, l).unwrap())
            .collect();
        // A tiny buffer cuts lines anywhere.
        let read: Vec<Event> = Events::new(std::io::BufReader::with_capacity(3, text.as_bytes()))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read, whole);
        assert_eq!(read.len(), 3);
    }

    #[test]
    fn a_long_line_is_an_error_that_ends_the_reading() {
        let fits = format!("1 detach 1-4{}\r\n", " ".repeat(MAX_LINE - 12));
        assert_eq!(
            parse(&fits).unwrap().len(),
            1,
            "a line of {MAX_LINE} characters"
        );
        let long = format!("1 detach 1-4 {}\n2 detach 1-4\n", "x".repeat(100_000));
        let mut read = events(&long);
        let error = read.next().unwrap().unwrap_err();
        assert_eq!(error.line, 1);
        assert!(error.message.contains("longer than"), "{error}");
        assert!(read.next().is_none(), "nothing after the error");
    }

    #[test]
    fn bad_lines_say_where_and_what() {
        assert_eq!(parse("abc attach 1-4").unwrap_err().line, 1);
        assert!(
            parse("1 plug 1-4")
                .unwrap_err()
                .message
                .contains("attach or detach")
        );
        assert!(
            parse("1 attach 1-4")
                .unwrap_err()
                .message
                .contains("vid:pid")
        );
        assert!(
            parse("1 attach 1-4 05ac:zzzz")
                .unwrap_err()
                .message
                .contains("bad vid:pid")
        );
        assert!(
            parse("2 detach 1-4\n1 detach 1-4")
                .unwrap_err()
                .message
                .contains("backwards")
        );
        assert!(parse(&"9".repeat(10_000)).is_err());
        assert!(parse("-1 detach 1-4").is_err());
        assert!(parse("NaN detach 1-4").is_err());
    }
}
