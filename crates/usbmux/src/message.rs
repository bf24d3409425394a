//! usbmuxd's requests and answers as values: the request dictionaries a client sends and the
//! results, device records and attach / detach events the daemon sends back. Pure.

use plist::{Dictionary, Value};

/// libusbmuxd's protocol level for plist clients.
pub const LIBUSBMUX_VERSION: u64 = 3;

/// The daemon's result numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    BadCommand,
    BadDevice,
    ConnectionRefused,
    BadVersion,
    /// A number this client does not know, kept as it came.
    Other(u64),
}

impl Outcome {
    pub fn from_number(n: u64) -> Outcome {
        match n {
            0 => Outcome::Ok,
            1 => Outcome::BadCommand,
            2 => Outcome::BadDevice,
            3 => Outcome::ConnectionRefused,
            6 => Outcome::BadVersion,
            other => Outcome::Other(other),
        }
    }

    pub fn number(self) -> u64 {
        match self {
            Outcome::Ok => 0,
            Outcome::BadCommand => 1,
            Outcome::BadDevice => 2,
            Outcome::ConnectionRefused => 3,
            Outcome::BadVersion => 6,
            Outcome::Other(n) => n,
        }
    }
}

/// One device as usbmuxd describes it. `location_id` is the bench-port identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuxDevice {
    pub device_id: u64,
    pub serial_number: Option<String>,
    pub product_id: Option<u16>,
    pub location_id: Option<u32>,
    /// Bits per second, as the daemon reports it.
    pub connection_speed: Option<u64>,
    pub connection_type: Option<String>,
}

/// Something the daemon said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Result(Outcome),
    Devices(Vec<MuxDevice>),
    Attached(MuxDevice),
    Detached {
        device_id: u64,
    },
    Paired {
        device_id: u64,
    },
    Buid(String),
    /// A message type this client does not use.
    Other(String),
}

/// A request dictionary with the fields every plist client sends.
pub fn request(message_type: &str) -> Dictionary {
    let mut d = Dictionary::new();
    d.insert("MessageType".into(), message_type.into());
    d.insert("ClientVersionString".into(), "restore-doctor".into());
    d.insert("ProgName".into(), "restore-doctor".into());
    d.insert(
        "kLibUSBMuxVersion".into(),
        Value::Integer(LIBUSBMUX_VERSION.into()),
    );
    d
}

/// `Connect` to `port` of a device; the port goes in network byte order, as the daemon wants.
pub fn connect(device_id: u64, port: u16) -> Dictionary {
    let mut d = request("Connect");
    d.insert("DeviceID".into(), Value::Integer(device_id.into()));
    d.insert(
        "PortNumber".into(),
        Value::Integer(u64::from(port.swap_bytes()).into()),
    );
    d
}

fn unsigned(d: &Dictionary, key: &str) -> Option<u64> {
    d.get(key).and_then(Value::as_unsigned_integer)
}

fn text(d: &Dictionary, key: &str) -> Option<String> {
    d.get(key).and_then(Value::as_string).map(str::to_owned)
}

/// A device record (a `DeviceList` entry or an `Attached` message): its `Properties`.
fn device(d: &Dictionary) -> Option<MuxDevice> {
    let props = d
        .get("Properties")
        .and_then(Value::as_dictionary)
        .unwrap_or(d);
    Some(MuxDevice {
        device_id: unsigned(props, "DeviceID").or_else(|| unsigned(d, "DeviceID"))?,
        serial_number: text(props, "SerialNumber"),
        product_id: unsigned(props, "ProductID").and_then(|p| u16::try_from(p).ok()),
        location_id: unsigned(props, "LocationID").and_then(|l| u32::try_from(l).ok()),
        connection_speed: unsigned(props, "ConnectionSpeed"),
        connection_type: text(props, "ConnectionType"),
    })
}

/// Reads one answer. A record missing what makes it usable (a device id) is `None`.
pub fn answer(d: &Dictionary) -> Option<Answer> {
    if let Some(list) = d.get("DeviceList").and_then(Value::as_array) {
        let devices = list
            .iter()
            .filter_map(Value::as_dictionary)
            .filter_map(device)
            .collect();
        return Some(Answer::Devices(devices));
    }
    if let Some(buid) = text(d, "BUID") {
        return Some(Answer::Buid(buid));
    }
    match d.get("MessageType").and_then(Value::as_string) {
        Some("Result") => Some(Answer::Result(Outcome::from_number(unsigned(d, "Number")?))),
        Some("Attached") => device(d).map(Answer::Attached),
        Some("Detached") => Some(Answer::Detached {
            device_id: unsigned(d, "DeviceID")?,
        }),
        Some("Paired") => Some(Answer::Paired {
            device_id: unsigned(d, "DeviceID")?,
        }),
        Some(other) => Some(Answer::Other(other.to_owned())),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(xml: &str) -> Dictionary {
        crate::frame::decode(xml.as_bytes()).unwrap()
    }

    #[test]
    fn the_daemons_answers_are_read() {
        let attached = dict(
            "<plist version=\"1.0\"><dict><key>MessageType</key><string>Attached</string><key>DeviceID</key><integer>3</integer><key>Properties</key><dict><key>ConnectionSpeed</key><integer>480000000</integer><key>ConnectionType</key><string>USB</string><key>DeviceID</key><integer>3</integer><key>LocationID</key><integer>339738624</integer><key>ProductID</key><integer>4776</integer><key>SerialNumber</key><string>00008030-001A2B3C4D5E6F70</string></dict></dict></plist>",
        );
        let Some(Answer::Attached(d)) = answer(&attached) else {
            panic!("an attach");
        };
        assert_eq!(
            (d.device_id, d.product_id, d.location_id),
            (3, Some(0x12a8), Some(0x1440_0000))
        );
        assert_eq!(d.connection_speed, Some(480_000_000));
        let result = dict(
            "<plist version=\"1.0\"><dict><key>MessageType</key><string>Result</string><key>Number</key><integer>2</integer></dict></plist>",
        );
        assert_eq!(answer(&result), Some(Answer::Result(Outcome::BadDevice)));
        let empty =
            dict("<plist version=\"1.0\"><dict><key>DeviceList</key><array/></dict></plist>");
        assert_eq!(answer(&empty), Some(Answer::Devices(Vec::new())));
        let no_id = dict(
            "<plist version=\"1.0\"><dict><key>MessageType</key><string>Detached</string></dict></plist>",
        );
        assert_eq!(answer(&no_id), None);
        assert_eq!(Outcome::from_number(42).number(), 42);
    }

    #[test]
    fn connect_sends_the_port_in_network_byte_order() {
        let d = connect(5, 62078);
        assert_eq!(
            unsigned(&d, "PortNumber"),
            Some(u64::from(62078u16.swap_bytes()))
        );
        assert_eq!(unsigned(&d, "kLibUSBMuxVersion"), Some(3));
    }
}
