//! Lockdown values a phone gives without pairing (product type, iOS version and build, device
//! class, chip id), read over a usbmuxd connection to port 62078: each message is a 4-byte
//! big-endian length and an XML property list. Nothing is written to the phone.

use plist::{Dictionary, Value};

use crate::client::{ClientError, Stream};
use crate::frame::{self, FrameError, MAX_FRAME};

/// The lockdown service's port.
pub const PORT: u16 = 62078;

/// What lockdown told without a pairing record; a value it would not give is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockdownValues {
    pub product_type: Option<String>,
    pub product_version: Option<String>,
    pub build_version: Option<String>,
    pub device_class: Option<String>,
    pub unique_chip_id: Option<u64>,
}

/// One lockdown message: its big-endian length prefix and the plist.
pub fn encode(message: &Dictionary) -> Vec<u8> {
    let mut payload = Vec::new();
    let _ = Value::Dictionary(message.clone()).to_writer_xml(&mut payload);
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&payload);
    out
}

fn request(key: &str) -> Dictionary {
    let mut d = Dictionary::new();
    d.insert("Label".into(), "restore-doctor".into());
    d.insert("Request".into(), "GetValue".into());
    d.insert("Key".into(), key.into());
    d
}

fn receive(stream: &mut dyn Stream) -> Result<Dictionary, ClientError> {
    let mut length = [0u8; 4];
    read(stream, &mut length)?;
    let length = u32::from_be_bytes(length);
    if length as usize > MAX_FRAME {
        return Err(ClientError::Frame(FrameError::TooLong(length)));
    }
    let mut payload = vec![0u8; length as usize];
    read(stream, &mut payload)?;
    Ok(frame::decode(&payload)?)
}

fn read(stream: &mut dyn Stream, buf: &mut [u8]) -> Result<(), ClientError> {
    stream.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => ClientError::Closed,
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            ClientError::Timeout(std::time::Duration::ZERO)
        }
        _ => ClientError::Io(e),
    })
}

/// Asks for each value; one the phone refuses without pairing (an `Error` answer) stays `None`.
pub fn read_values(stream: &mut dyn Stream) -> Result<LockdownValues, ClientError> {
    let mut values = LockdownValues::default();
    for key in [
        "ProductType",
        "ProductVersion",
        "BuildVersion",
        "DeviceClass",
        "UniqueChipID",
    ] {
        stream
            .write_all(&encode(&request(key)))
            .map_err(ClientError::Io)?;
        let answer = receive(stream)?;
        if answer.contains_key("Error") {
            continue;
        }
        let value = answer.get("Value");
        let text = value.and_then(Value::as_string).map(str::to_owned);
        match key {
            "ProductType" => values.product_type = text,
            "ProductVersion" => values.product_version = text,
            "BuildVersion" => values.build_version = text,
            "DeviceClass" => values.device_class = text,
            _ => values.unique_chip_id = value.and_then(Value::as_unsigned_integer),
        }
    }
    Ok(values)
}
