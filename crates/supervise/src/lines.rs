//! Cuts a tool's output into lines as it arrives: at `\n`, and at `\r` (progress bars redraw
//! their line), with every line bounded so a runaway line cannot grow memory.

/// Longest line kept; the rest of a longer line is dropped.
pub const MAX_LINE: usize = 16 * 1024;

/// Output cut into lines.
#[derive(Default)]
pub struct Lines {
    pending: Vec<u8>,
    overlong: bool,
}

impl Lines {
    /// Takes the next bytes; returns the lines they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut done = Vec::new();
        for piece in bytes.split_inclusive(|b| *b == b'\n' || *b == b'\r') {
            let ended = matches!(piece.last(), Some(b'\n' | b'\r'));
            let text = if ended {
                &piece[..piece.len() - 1]
            } else {
                piece
            };
            let room = MAX_LINE - self.pending.len();
            if text.len() > room {
                self.overlong = true;
            }
            self.pending
                .extend_from_slice(&text[..text.len().min(room)]);
            if ended {
                done.push(self.take());
            }
        }
        done.retain(|l| !l.is_empty());
        done
    }

    /// The last line, when the output did not end with a line end.
    pub fn finish(&mut self) -> Option<String> {
        (!self.pending.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> String {
        let mut line = String::from_utf8_lossy(&self.pending).into_owned();
        if self.overlong {
            line.push('…');
        }
        self.pending.clear();
        self.overlong = false;
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_returns_and_newlines_across_chunks() {
        let mut lines = Lines::default();
        assert_eq!(lines.push(b"Sending iB"), Vec::<String>::new());
        assert_eq!(
            lines.push(b"EC...\r\n[===  ] 10%\r[=====] 20%\rDONE"),
            ["Sending iBEC...", "[===  ] 10%", "[=====] 20%"]
        );
        assert_eq!(lines.finish().as_deref(), Some("DONE"));
        assert_eq!(lines.finish(), None);
    }

    #[test]
    fn a_runaway_line_is_bounded() {
        let mut lines = Lines::default();
        for _ in 0..100 {
            assert!(lines.push(&[b'x'; 4096]).is_empty());
        }
        let line = lines.push(b"\n").pop().unwrap();
        assert!(line.len() <= MAX_LINE + '…'.len_utf8());
        assert!(line.ends_with('…'));
        assert_eq!(lines.push(b"next\n"), ["next"]);
    }
}
