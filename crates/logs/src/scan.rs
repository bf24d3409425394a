//! The scan on every core: a reader cuts the text into blocks at line ends, workers find the
//! lines worth reading in each block and read them, and the caller takes the facts in order.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Mutex, mpsc};

use crate::facts::{self, Hits, LineFacts};
use crate::input::{CHUNK, TextReader};
use crate::{MAX_LINE, find};

/// Text handed to one worker: whole lines, or one window of an enormous line (its start, which
/// counts the line, or a later part of it).
enum Block {
    Lines(Vec<u8>),
    LongLineStart(Vec<u8>),
    LongLinePart(Vec<u8>),
}

/// Where to end a window of a line longer than [`MAX_LINE`]: at the last space, tab, comma or
/// semicolon in its last kilobyte, so that a word (a code, "error 4013") is not cut in two;
/// else at a character boundary just before [`MAX_LINE`].
fn window_end(text: &[u8]) -> usize {
    if text.len() <= MAX_LINE {
        return text.len();
    }
    let end = MAX_LINE;
    let from = end.saturating_sub(1024);
    if let Some(i) = text[from..end]
        .iter()
        .rposition(|b| matches!(b, b' ' | b'\t' | b',' | b';'))
    {
        return from + i + 1;
    }
    (from.max(1)..=end)
        .rev()
        .find(|&i| text[i] & 0xc0 != 0x80)
        .unwrap_or(end)
}

/// What a worker read from one block.
pub struct BlockFacts {
    /// Lines in the block.
    pub lines: u64,
    /// Input bytes read up to the end of this block.
    pub read_total: u64,
    /// The lines that said something, numbered from 1 within the block.
    pub facts: Vec<LineFacts>,
    /// The block's text, where each fact's span points.
    pub text: Vec<u8>,
}

/// Blocks in flight per worker: enough to keep every core busy, few enough to bound memory.
const IN_FLIGHT_PER_WORKER: usize = 2;

/// Reads all of `text` in blocks of about `block_bytes`, giving `each` the facts of every
/// block in input order.
pub fn scan(
    text: &mut TextReader,
    block_bytes: usize,
    each: &mut dyn FnMut(BlockFacts),
) -> std::io::Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
    let (job_tx, job_rx) = mpsc::sync_channel::<(u64, Block, u64)>(workers * IN_FLIGHT_PER_WORKER);
    let (done_tx, done_rx) =
        mpsc::sync_channel::<(u64, BlockFacts)>(workers * IN_FLIGHT_PER_WORKER);
    let job_rx = Mutex::new(job_rx);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            scope.spawn(move || {
                loop {
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, block, read_total))) = job else {
                        break;
                    };
                    if done_tx.send((seq, read_block(block, read_total))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let block_bytes = block_bytes.max(1);
        let reader = scope.spawn(move || cut_blocks(text, block_bytes, job_tx));
        // Blocks come back in any order; each is handed on when all before it have been.
        let mut waiting = BTreeMap::new();
        let mut next = 0u64;
        for (seq, facts) in done_rx {
            waiting.insert(seq, facts);
            while let Some(facts) = waiting.remove(&next) {
                each(facts);
                next += 1;
            }
        }
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Cuts the text into blocks of whole lines (about `block_bytes` each) and sends them on.
fn cut_blocks(
    text: &mut TextReader,
    block_bytes: usize,
    jobs: mpsc::SyncSender<(u64, Block, u64)>,
) -> std::io::Result<()> {
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut seq = 0u64;
    // Inside a line longer than MAX_LINE: it is read on in windows of at most MAX_LINE bytes.
    let mut in_long_line = false;
    let send = |seq: &mut u64, block: Block, read_total: u64| {
        let sent = jobs.send((*seq, block, read_total)).is_ok();
        *seq += 1;
        sent
    };
    loop {
        let n = text.read_into(&mut buffer)?;
        let read_total = text.bytes_taken();
        while in_long_line {
            let part = match memchr::memchr(b'\n', &buffer) {
                Some(i) if i <= MAX_LINE => {
                    in_long_line = false;
                    let rest = buffer.split_off(i + 1);
                    let mut part = std::mem::replace(&mut buffer, rest);
                    part.pop();
                    part
                }
                _ if buffer.len() > MAX_LINE => {
                    let rest = buffer.split_off(window_end(&buffer));
                    std::mem::replace(&mut buffer, rest)
                }
                // The line's last window, at the end of the input.
                _ if n == 0 => {
                    in_long_line = false;
                    std::mem::take(&mut buffer)
                }
                _ => break,
            };
            if !part.is_empty() && !send(&mut seq, Block::LongLinePart(part), read_total) {
                return Ok(());
            }
        }
        if n == 0 {
            if !in_long_line && (!buffer.is_empty() || seq == 0) {
                send(
                    &mut seq,
                    Block::Lines(std::mem::take(&mut buffer)),
                    read_total,
                );
            }
            return Ok(());
        }
        while !in_long_line && buffer.len() >= block_bytes {
            let cut = memchr::memrchr(b'\n', &buffer[..block_bytes])
                .or_else(|| memchr::memchr(b'\n', &buffer[block_bytes..]).map(|i| block_bytes + i));
            let block = match cut {
                Some(end) => {
                    // The block keeps the buffer; only the unfinished rest is copied.
                    let rest = buffer.split_off(end + 1);
                    Block::Lines(std::mem::replace(&mut buffer, rest))
                }
                None if buffer.len() > MAX_LINE => {
                    // One enormous line: its first window counts it, the rest follow.
                    in_long_line = true;
                    let rest = buffer.split_off(window_end(&buffer));
                    Block::LongLineStart(std::mem::replace(&mut buffer, rest))
                }
                None => break,
            };
            if !send(&mut seq, block, read_total) {
                return Ok(());
            }
        }
    }
}

/// Finds and reads the lines worth reading in one block.
fn read_block(block: Block, read_total: u64) -> BlockFacts {
    let (window, lines) = match block {
        Block::Lines(bytes) => return read_lines(bytes, read_total),
        Block::LongLineStart(window) => (window, 1),
        // A later window of the line the last block counted: its facts are on that line.
        Block::LongLinePart(window) => (window, 0),
    };
    let mut hits = Hits::default();
    find::each_mark(&window, |_, _, m| hits.add(m));
    let line = hits
        .has_trigger()
        .then(|| facts::read_line(lines, 0..window.len(), &facts::line_text(&window), &hits))
        .filter(|line| !line.is_empty());
    BlockFacts {
        lines,
        read_total,
        facts: line.into_iter().collect(),
        text: window,
    }
}

/// Finds and reads the lines worth reading in a block of whole lines.
fn read_lines(text: Vec<u8>, read_total: u64) -> BlockFacts {
    let mut reader = BlockReader {
        block: text.as_slice(),
        lines: 0,
        counted_to: 0,
        facts: Vec::new(),
    };
    // The line being gathered: its span and what was found in it so far.
    let mut open: Option<(Range<usize>, Hits)> = None;
    // Marks come line by line; a line holding a trigger is read when its last mark is in.
    find::each_mark(reader.block, |start, _, mark| {
        if open.as_ref().is_none_or(|(span, _)| start > span.end) {
            if let Some((span, hits)) = open.take() {
                reader.read(span, &hits);
            }
            open = Some((reader.line_around(start), Hits::default()));
        }
        if let Some((_, hits)) = open.as_mut() {
            hits.add(mark);
        }
    });
    if let Some((span, hits)) = open.take() {
        reader.read(span, &hits);
    }
    let (line_no, facts) = reader.finish();
    BlockFacts {
        lines: line_no,
        read_total,
        facts,
        text,
    }
}

/// Reads the lines of one block that hold a trigger, counting the lines in between.
struct BlockReader<'a> {
    block: &'a [u8],
    /// Lines counted so far (the number of the last line read).
    lines: u64,
    /// Where counting goes on: the start of the line after the last one read.
    counted_to: usize,
    facts: Vec<LineFacts>,
}

impl BlockReader<'_> {
    /// The span of the line holding byte `at`, without its line end.
    fn line_around(&self, at: usize) -> Range<usize> {
        let start = memchr::memrchr(b'\n', &self.block[..at]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &self.block[at..]).map_or(self.block.len(), |i| at + i);
        start..end
    }

    /// Reads the line at `span` when a trigger is in it (a failure word alone is not enough).
    fn read(&mut self, span: Range<usize>, hits: &Hits) {
        if !hits.has_trigger() {
            return;
        }
        let skipped = memchr::memchr_iter(b'\n', &self.block[self.counted_to..span.start]).count();
        self.lines += skipped as u64 + 1;
        self.counted_to = (span.end + 1).min(self.block.len());
        if span.len() <= MAX_LINE {
            let raw = &self.block[span.clone()];
            let line = facts::read_line(self.lines, span, &facts::line_text(raw), hits);
            if !line.is_empty() {
                self.facts.push(line);
            }
            return;
        }
        // A line longer than MAX_LINE is read in windows, each with the marks in it.
        let mut at = span.start;
        while at < span.end {
            let end = at + window_end(&self.block[at..span.end]);
            let raw = &self.block[at..end];
            let mut window_hits = Hits::default();
            find::each_mark(raw, |_, _, m| window_hits.add(m));
            if window_hits.has_trigger() {
                let line =
                    facts::read_line(self.lines, at..end, &facts::line_text(raw), &window_hits);
                if !line.is_empty() {
                    self.facts.push(line);
                }
            }
            at = end;
        }
    }

    /// The number of lines in the block and the facts of the lines read.
    fn finish(mut self) -> (u64, Vec<LineFacts>) {
        let rest = &self.block[self.counted_to..];
        self.lines += memchr::memchr_iter(b'\n', rest).count() as u64;
        // A last line without a newline, not already counted as a line read.
        if !rest.is_empty() && !rest.ends_with(b"\n") {
            self.lines += 1;
        }
        (self.lines, self.facts)
    }
}
