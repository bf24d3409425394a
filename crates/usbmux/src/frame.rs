//! The usbmuxd wire format, version 1: a 16-byte little-endian header (length including the
//! header, version, message type, tag) followed by an XML property list. Pure: bytes in, values out.

use plist::{Dictionary, Value};

/// The header's size in bytes.
pub const HEADER: usize = 16;
/// The protocol version this client speaks (plist messages).
pub const VERSION: u32 = 1;
/// The message type of a plist frame.
pub const PLIST: u32 = 8;
/// The largest frame accepted: a device list for a full bench is a few kilobytes.
pub const MAX_FRAME: usize = 1 << 20;

/// What is wrong with a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the frame says it is {0} bytes long, less than its own 16-byte header")]
    TooShort(u32),
    #[error("the frame says it is {0} bytes long, more than the {MAX_FRAME}-byte limit")]
    TooLong(u32),
    #[error("protocol version {0}, not {VERSION}")]
    Version(u32),
    #[error("message type {0}, not a plist message (8)")]
    MessageType(u32),
    #[error("the payload is not an XML property list: {0}")]
    Payload(String),
    #[error("the payload is a property list but not a dictionary")]
    NotADictionary,
}

/// A frame's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub length: u32,
    pub version: u32,
    pub message: u32,
    pub tag: u32,
}

impl Header {
    /// Reads and checks a header; the payload that follows is `length - 16` bytes.
    pub fn parse(bytes: &[u8; HEADER]) -> Result<Header, FrameError> {
        let word =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let header = Header {
            length: word(0),
            version: word(4),
            message: word(8),
            tag: word(12),
        };
        if (header.length as usize) < HEADER {
            return Err(FrameError::TooShort(header.length));
        }
        if header.length as usize > MAX_FRAME {
            return Err(FrameError::TooLong(header.length));
        }
        if header.version != VERSION {
            return Err(FrameError::Version(header.version));
        }
        if header.message != PLIST {
            return Err(FrameError::MessageType(header.message));
        }
        Ok(header)
    }

    /// The payload's length.
    pub fn payload_len(&self) -> usize {
        self.length as usize - HEADER
    }
}

/// A whole frame for `message` with `tag`.
pub fn encode(message: &Dictionary, tag: u32) -> Vec<u8> {
    let mut payload = Vec::new();
    // Writing a dictionary of strings and integers to memory cannot fail.
    let _ = Value::Dictionary(message.clone()).to_writer_xml(&mut payload);
    let length = (HEADER + payload.len()) as u32;
    let mut frame = Vec::with_capacity(length as usize);
    for word in [length, VERSION, PLIST, tag] {
        frame.extend_from_slice(&word.to_le_bytes());
    }
    frame.extend_from_slice(&payload);
    frame
}

/// A payload as a dictionary. Binary property lists are refused: usbmuxd's v1 protocol is XML.
pub fn decode(payload: &[u8]) -> Result<Dictionary, FrameError> {
    if !payload.trim_ascii_start().starts_with(b"<") {
        return Err(FrameError::Payload("not XML".to_owned()));
    }
    match Value::from_reader_xml(payload).map_err(|e| FrameError::Payload(e.to_string()))? {
        Value::Dictionary(d) => Ok(d),
        _ => Err(FrameError::NotADictionary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips_and_lying_headers_are_refused() {
        let mut message = Dictionary::new();
        message.insert("MessageType".into(), "ListDevices".into());
        let frame = encode(&message, 7);
        let header = Header::parse(frame[..HEADER].try_into().unwrap()).unwrap();
        assert_eq!((header.version, header.message, header.tag), (1, 8, 7));
        assert_eq!(header.payload_len(), frame.len() - HEADER);
        assert_eq!(decode(&frame[HEADER..]).unwrap(), message);
        let with = |length: u32, version: u32, message: u32| {
            let mut h = [0u8; HEADER];
            for (i, w) in [length, version, message, 0].into_iter().enumerate() {
                h[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
            }
            Header::parse(&h)
        };
        assert_eq!(with(0, 1, 8), Err(FrameError::TooShort(0)));
        assert_eq!(with(15, 1, 8), Err(FrameError::TooShort(15)));
        assert_eq!(with(17 << 20, 1, 8), Err(FrameError::TooLong(17 << 20)));
        assert_eq!(with(16, 0, 8), Err(FrameError::Version(0)));
        assert_eq!(with(16, 1, 3), Err(FrameError::MessageType(3)));
        assert!(decode(b"bplist00....").is_err());
        assert!(decode(b"<?xml version=\"1.0\"?><plist><array/></plist>").is_err());
    }
}
