//! Turns any log input into a stream of UTF-8 text with bounded memory: gzip is unpacked (a
//! bomb refused early), UTF-16 (LE or BE, with or without a byte-order mark) is transcoded,
//! anything else passes through as bytes with its zero bytes left out (invalid UTF-8 is
//! repaired line by line later). Also says whether a sample of bytes is text at all.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use encoding_rs::{Decoder, UTF_16BE, UTF_16LE};
use flate2::read::MultiGzDecoder;

/// Bytes read per step.
pub const CHUNK: usize = 1 << 20;

/// The text encoding found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn id(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }
}

/// Guesses UTF-16 without a byte-order mark from where the zero bytes fall in a sample of
/// mostly-ASCII text.
fn sniff_utf16(sample: &[u8]) -> Option<Encoding> {
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_zero = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_zero = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    if odd_zero * 10 >= pairs * 3 && even_zero * 10 < pairs {
        Some(Encoding::Utf16Le)
    } else if even_zero * 10 >= pairs * 3 && odd_zero * 10 < pairs {
        Some(Encoding::Utf16Be)
    } else {
        None
    }
}

/// The most a compressed log may unpack to, and the most read from a pipe: a small gzip or an
/// endless stream must not keep the CPU busy for minutes (real restore logs are a few hundred
/// megabytes at most).
pub const MAX_UNPACKED: u64 = 1 << 30;

/// How far a gzip may unpack before its expansion ratio is judged.
const RATIO_FROM: u64 = 8 << 20;

/// The largest expansion ratio believed of a log. Logs compress about 10:1, the most repetitive
/// ones a few hundred to one; deflate cannot pass 1032:1, which is what bombs are made of.
const MAX_RATIO: u64 = 250;

/// The longest run of zero bytes in a UTF-8 log: zero padding (a log cut off by a crash) is
/// skipped, but this many zeros in a row is no log at all.
pub const MAX_ZERO_RUN: u64 = 64 << 20;

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A reader that fails, saying why, once more than `limit` bytes came out of it.
pub struct Limited<R> {
    inner: R,
    limit: u64,
    taken: u64,
    /// What is read, as the error names it ("standard input").
    what: &'static str,
}

impl<R: Read> Limited<R> {
    /// `inner`, read up to `limit` bytes; past that, an error names `what`.
    pub fn new(inner: R, limit: u64, what: &'static str) -> Limited<R> {
        Limited {
            inner,
            limit,
            taken: 0,
            what,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken += n as u64;
        if self.taken > self.limit {
            return Err(invalid(format!(
                "{} gives more than {} MB; not read past that",
                self.what,
                self.limit >> 20
            )));
        }
        Ok(n)
    }
}

/// Counts the bytes read through it, for a reader that owns it to look at.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A gzip stream unpacked, refused as soon as it expands more than [`MAX_RATIO`] times (once
/// [`RATIO_FROM`] bytes are out) or past [`MAX_UNPACKED`]: a bomb is stopped in its first
/// megabytes, and an honest file pays one comparison per read.
struct Gunzip<R: Read> {
    inner: MultiGzDecoder<Counting<R>>,
    packed: Arc<AtomicU64>,
    unpacked: u64,
}

impl<R: Read> Gunzip<R> {
    fn new(reader: R) -> Gunzip<R> {
        let packed = Arc::new(AtomicU64::new(0));
        Gunzip {
            inner: MultiGzDecoder::new(Counting {
                inner: reader,
                count: Arc::clone(&packed),
            }),
            packed,
            unpacked: 0,
        }
    }
}

impl<R: Read> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.unpacked += n as u64;
        let packed = self.packed.load(Ordering::Relaxed).max(1);
        if self.unpacked > RATIO_FROM && self.unpacked / packed > MAX_RATIO {
            return Err(invalid(format!(
                "the compressed file unpacks to over {} times its size (a gzip bomb, not a log); not read past that",
                MAX_RATIO
            )));
        }
        if self.unpacked > MAX_UNPACKED {
            return Err(invalid(format!(
                "the compressed file unpacks to more than {} MB; not read past that",
                MAX_UNPACKED >> 20
            )));
        }
        Ok(n)
    }
}

/// Whether a UTF-16 byte-order mark is believed: the text after it has the zero bytes UTF-16
/// gives every line end (and every ASCII letter), at the high byte's place. Five stray bytes
/// that happen to start like a mark do not turn a UTF-8 log into Chinese.
fn believe_utf16_mark(after: &[u8], little_endian: bool) -> bool {
    let sample = &after[..after.len().min(4096)];
    if sample.len() < 2 {
        return true;
    }
    let high = usize::from(little_endian);
    sample.iter().skip(high).step_by(2).any(|b| *b == 0)
}

/// Whether `sample` (the first bytes of a file, as they are on disk) is binary data rather than
/// text. Gzip and UTF-16 are text. Otherwise runs of zero bytes are left out (padding, as a
/// crash leaves it, is not what makes a file binary), and what remains is binary when more than
/// [`BINARY_SHARE`] % of it is control bytes or invalid UTF-8. A sample of zeros alone is not
/// called binary: there is nothing to judge.
pub fn is_binary(sample: &[u8]) -> bool {
    if sample.starts_with(&[0x1f, 0x8b]) || sniff_utf16(&sample[..sample.len().min(4096)]).is_some()
    {
        return false;
    }
    if let Some(mark) = [[0xff, 0xfe], [0xfe, 0xff]]
        .iter()
        .position(|m| sample.starts_with(m))
        && believe_utf16_mark(&sample[2..], mark == 0)
    {
        return false;
    }
    let (mut judged, mut odd) = (0usize, 0usize);
    for piece in sample.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        for chunk in piece.utf8_chunks() {
            let text = chunk.valid();
            judged += text.len() + chunk.invalid().len();
            odd += chunk.invalid().len();
            odd += text
                .chars()
                .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c' | '\x1b'))
                .map(char::len_utf8)
                .sum::<usize>();
        }
    }
    judged > 0 && odd * 100 > judged * BINARY_SHARE
}

/// The share of control bytes and invalid UTF-8 (in per cent of the bytes that are not zero)
/// above which a sample is binary. Text in a legacy code page (Windows-1252) stays well under;
/// programs, images and random bytes are far over.
const BINARY_SHARE: usize = 30;

/// A reader of UTF-8 text chunks from any supported input.
pub struct TextReader {
    inner: Box<dyn BufRead + Send>,
    decoder: Option<Decoder>,
    pub encoding: Encoding,
    pub compressed: bool,
    raw: Vec<u8>,
    /// Input bytes taken so far, the byte-order mark included.
    taken: u64,
    /// Zero bytes in a row just before the next byte of UTF-8 input.
    zero_run: u64,
    done: bool,
}

impl TextReader {
    /// Sniffs the input (gzip, byte-order mark, UTF-16 zero pattern) and prepares decoding.
    pub fn new(reader: impl Read + Send + 'static) -> io::Result<TextReader> {
        let mut buffered: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(CHUNK, reader));
        let compressed = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        if compressed {
            buffered = Box::new(BufReader::with_capacity(CHUNK, Gunzip::new(buffered)));
        }
        let head = buffered.fill_buf()?;
        let (encoding, bom) =
            if head.starts_with(&[0xff, 0xfe]) && believe_utf16_mark(&head[2..], true) {
                (Encoding::Utf16Le, 2)
            } else if head.starts_with(&[0xfe, 0xff]) && believe_utf16_mark(&head[2..], false) {
                (Encoding::Utf16Be, 2)
            } else if head.starts_with(&[0xef, 0xbb, 0xbf]) {
                (Encoding::Utf8, 3)
            } else {
                (
                    sniff_utf16(&head[..head.len().min(4096)]).unwrap_or(Encoding::Utf8),
                    0,
                )
            };
        buffered.consume(bom);
        let decoder = match encoding {
            Encoding::Utf8 => None,
            Encoding::Utf16Le => Some(UTF_16LE.new_decoder_without_bom_handling()),
            Encoding::Utf16Be => Some(UTF_16BE.new_decoder_without_bom_handling()),
        };
        Ok(TextReader {
            inner: buffered,
            decoder,
            encoding,
            compressed,
            raw: vec![0; CHUNK],
            taken: bom as u64,
            zero_run: 0,
            done: false,
        })
    }

    /// Appends the next piece of UTF-8 text to `out`; returns how many input bytes were read
    /// (0 at the end).
    pub fn read_into(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = loop {
            match self.inner.read(&mut self.raw) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        let last = n == 0;
        self.taken += n as u64;
        match &mut self.decoder {
            None => self.without_zeros(n, out)?,
            Some(decoder) => {
                let start = out.len();
                let room = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
                out.resize(start + room, 0);
                let (_, _, written, _) =
                    decoder.decode_to_utf8(&self.raw[..n], &mut out[start..], last);
                out.truncate(start + written);
            }
        }
        if last {
            self.done = true;
        }
        Ok(n)
    }

    /// Appends the first `n` raw bytes to `out` without their zero bytes (never text in UTF-8;
    /// padding where a crash cut a log off), refusing a run longer than [`MAX_ZERO_RUN`].
    fn without_zeros(&mut self, n: usize, out: &mut Vec<u8>) -> io::Result<()> {
        let mut rest = &self.raw[..n];
        while let Some(zero) = memchr::memchr(0, rest) {
            if zero > 0 {
                out.extend_from_slice(&rest[..zero]);
                self.zero_run = 0;
            }
            let zeros = rest[zero..]
                .iter()
                .position(|b| *b != 0)
                .unwrap_or(rest.len() - zero);
            self.zero_run += zeros as u64;
            rest = &rest[zero + zeros..];
            if self.zero_run > MAX_ZERO_RUN {
                let end = self.taken - rest.len() as u64;
                return Err(invalid(format!(
                    "more than {} MB of zero bytes in a row from byte {}: not a text log; not read past that",
                    MAX_ZERO_RUN >> 20,
                    end - self.zero_run
                )));
            }
        }
        if !rest.is_empty() {
            out.extend_from_slice(rest);
            self.zero_run = 0;
        }
        Ok(())
    }

    /// How many input bytes (unpacked, if the input was compressed) were taken so far,
    /// counting a byte-order mark that is not part of the text.
    pub fn bytes_taken(&self) -> u64 {
        self.taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: Vec<u8>) -> (String, Encoding) {
        let mut r = TextReader::new(io::Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        while r.read_into(&mut out).unwrap() > 0 {}
        (String::from_utf8_lossy(&out).into_owned(), r.encoding)
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xff, 0xfe] } else { Vec::new() };
        v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    #[test]
    fn decodes_utf16_with_and_without_bom() {
        let text = "ERROR: Unable to restore device\r\nStatus: Disk Failure\r\n";
        assert_eq!(
            all(utf16le(text, true)),
            (text.to_owned(), Encoding::Utf16Le)
        );
        assert_eq!(
            all(utf16le(text, false)),
            (text.to_owned(), Encoding::Utf16Le)
        );
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(all(be), (text.to_owned(), Encoding::Utf16Be));
    }

    #[test]
    fn unpacks_gzip() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"An unknown error occurred (4013).\n")
            .unwrap();
        let (text, _) = all(gz.finish().unwrap());
        assert_eq!(text, "An unknown error occurred (4013).\n");
    }

    #[test]
    fn utf8_with_bom_loses_the_bom() {
        let (text, enc) = all(b"\xef\xbb\xbfhello".to_vec());
        assert_eq!((text.as_str(), enc), ("hello", Encoding::Utf8));
    }

    #[test]
    fn every_input_byte_is_counted_the_byte_order_mark_too() {
        for input in [
            vec![0xfe, 0xff],
            vec![0xff, 0xfe, b'a', 0, b'b'],
            b"\xef\xbb\xbfhello".to_vec(),
            vec![0xfe, 0xff, 0xc1, 0xa4, 0x77],
            b"plain".to_vec(),
        ] {
            let mut r = TextReader::new(io::Cursor::new(input.clone())).unwrap();
            let mut out = Vec::new();
            while r.read_into(&mut out).unwrap() > 0 {}
            assert_eq!(r.bytes_taken(), input.len() as u64, "{input:?}");
        }
    }

    #[test]
    fn zero_bytes_are_left_out_of_utf8_text() {
        let mut padded = b"Status: Disk Failure\n".to_vec();
        padded.extend([0u8; 4096]);
        padded.extend(b"ERROR: Unable to restore device\n\0\0x");
        let (text, encoding) = all(padded);
        assert_eq!(encoding, Encoding::Utf8);
        assert_eq!(
            text,
            "Status: Disk Failure\nERROR: Unable to restore device\nx"
        );
    }

    #[test]
    fn an_endless_run_of_zero_bytes_is_refused_saying_where_it_starts() {
        let input = io::Cursor::new(b"log line\n".to_vec()).chain(io::repeat(0));
        let mut r = TextReader::new(input).unwrap();
        let mut out = Vec::new();
        let error = loop {
            match r.read_into(&mut out) {
                Ok(0) => panic!("an endless input ended"),
                Ok(_) => out.clear(),
                Err(e) => break e,
            }
        };
        assert!(
            error
                .to_string()
                .contains("zero bytes in a row from byte 9"),
            "{error}"
        );
    }

    #[test]
    fn stray_bytes_like_a_utf16_mark_do_not_make_a_log_utf16() {
        let (text, encoding) =
            all(b"\xff\xfe\xfd\xfc\xfbERROR: Unable to restore device\n".to_vec());
        assert_eq!(encoding, Encoding::Utf8);
        assert!(
            text.ends_with("ERROR: Unable to restore device\n"),
            "{text}"
        );
        let (_, encoding) = all(b"\xfe\xff\x80\x81\x82 Status: Disk Failure\n".to_vec());
        assert_eq!(encoding, Encoding::Utf8);
    }

    /// A gzip of `members` copies of one member that unpacks 1 MiB of zeros from about 1 KiB.
    fn bomb(members: usize) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 1 << 20]).unwrap();
        gz.finish().unwrap().repeat(members)
    }

    #[test]
    fn a_gzip_bomb_is_refused_in_its_first_megabytes() {
        let bomb = bomb(64);
        let mut r = TextReader::new(io::Cursor::new(bomb)).unwrap();
        let mut out = Vec::new();
        let error = loop {
            match r.read_into(&mut out) {
                Ok(0) => panic!("the bomb was unpacked"),
                Ok(_) => out.clear(),
                Err(e) => break e,
            }
        };
        assert!(error.to_string().contains("gzip bomb"), "{error}");
        assert!(
            r.bytes_taken() <= RATIO_FROM + 2 * CHUNK as u64,
            "{}",
            r.bytes_taken()
        );
    }

    #[test]
    fn an_honest_gzip_below_the_ratio_check_is_read_whole() {
        // A few members of a bomb stay under the size the ratio is judged from.
        let (text, _) = all(bomb(4));
        assert!(text.is_empty(), "zero bytes are no text");
    }

    #[test]
    fn limited_input_says_what_ran_over() {
        let mut limited = Limited::new(io::repeat(b'y'), 3 << 20, "standard input");
        let error = io::copy(&mut limited, &mut io::sink()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "standard input gives more than 3 MB; not read past that"
        );
    }

    #[test]
    fn binary_is_told_from_text_by_its_share_of_odd_bytes() {
        let elf = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(is_binary(&elf[..elf.len().min(64 * 1024)]));
        let mut random = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..8192 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            random.push(x as u8);
        }
        assert!(is_binary(&random));
        assert!(!is_binary(b"2026-01-01 idevicerestore: error 4013\n"));
        assert!(!is_binary(&[0x1f, 0x8b, 8, 0, 0, 0]));
        let utf16: Vec<u8> = "error 4013 while restoring\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(!is_binary(&utf16));
        // Zero padding where a crash cut the log, five stray bytes, a legacy code page.
        let mut padded = vec![0u8; 4096];
        padded.extend(b"ERROR: Unable to restore device\n".repeat(20));
        assert!(!is_binary(&padded));
        let mut stray = b"\xff\xfe\xfd\xfc\xfb".to_vec();
        stray.extend(b"Status: Disk Failure\n".repeat(5));
        assert!(!is_binary(&stray));
        assert!(!is_binary(
            b"Fehler beim Wiederherstellen (4013) \xe9\xe8\n"
        ));
        assert!(!is_binary(&[0u8; 4096]), "nothing to judge");
    }
}
