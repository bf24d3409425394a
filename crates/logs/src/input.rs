//! Turns any log input into a stream of UTF-8 text with bounded memory: gzip is unpacked,
//! UTF-16 (LE or BE, with or without a byte-order mark) is transcoded, anything else passes
//! through as bytes (invalid UTF-8 is repaired line by line later).

use std::io::{self, BufRead, BufReader, Read};

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

/// The most a compressed log may unpack to: a small gzip must not keep the CPU busy for
/// minutes (real restore logs unpack to a few hundred megabytes at most).
pub const MAX_UNPACKED: u64 = 1 << 30;

/// A reader that fails, saying why, once more than `left` bytes came out of it.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the compressed file unpacks to more than {} MB; not read past that",
                    MAX_UNPACKED >> 20
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A reader of UTF-8 text chunks from any supported input.
pub struct TextReader {
    inner: Box<dyn BufRead + Send>,
    decoder: Option<Decoder>,
    pub encoding: Encoding,
    pub compressed: bool,
    raw: Vec<u8>,
    /// Input bytes taken so far, the byte-order mark included.
    taken: u64,
    done: bool,
}

impl TextReader {
    /// Sniffs the input (gzip, byte-order mark, UTF-16 zero pattern) and prepares decoding.
    pub fn new(reader: impl Read + Send + 'static) -> io::Result<TextReader> {
        let mut buffered: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(CHUNK, reader));
        let compressed = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        if compressed {
            buffered = Box::new(BufReader::with_capacity(
                CHUNK,
                Capped {
                    inner: MultiGzDecoder::new(buffered),
                    left: MAX_UNPACKED,
                },
            ));
        }
        let head = buffered.fill_buf()?;
        let (encoding, bom) = if head.starts_with(&[0xff, 0xfe]) {
            (Encoding::Utf16Le, 2)
        } else if head.starts_with(&[0xfe, 0xff]) {
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
            None => out.extend_from_slice(&self.raw[..n]),
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
        (String::from_utf8(out).unwrap(), r.encoding)
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
}
