//! The client against a stand-in daemon on a Unix socket that speaks usbmuxd's real frames
//! (the answers the real daemon gives, from research/peers-usbmuxd-idevicerestore.md): device
//! list, BUID, listen with attach and detach events, a refused connect, and bad peers — a lying
//! length, a daemon that never answers, one that closes mid-frame.
#![cfg(unix)]

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use usbmux::frame::{self, HEADER, Header};
use usbmux::{Address, Answer, Client, ClientError, Outcome};

const ATTACHED: &str = "<plist version=\"1.0\"><dict><key>MessageType</key><string>Attached</string><key>DeviceID</key><integer>3</integer><key>Properties</key><dict><key>ConnectionSpeed</key><integer>480000000</integer><key>ConnectionType</key><string>USB</string><key>DeviceID</key><integer>3</integer><key>LocationID</key><integer>339738624</integer><key>ProductID</key><integer>4776</integer><key>SerialNumber</key><string>00008030-001A2B3C4D5E6F70</string></dict></dict></plist>";

fn reply(stream: &mut UnixStream, xml: &str, tag: u32) {
    let mut frame = Vec::new();
    let length = (HEADER + xml.len()) as u32;
    for word in [length, 1, 8, tag] {
        frame.extend_from_slice(&word.to_le_bytes());
    }
    frame.extend_from_slice(xml.as_bytes());
    stream.write_all(&frame).unwrap();
}

fn request(stream: &mut UnixStream) -> Option<(String, u32)> {
    let mut head = [0u8; HEADER];
    stream.read_exact(&mut head).ok()?;
    let header = Header::parse(&head).unwrap();
    let mut payload = vec![0u8; header.payload_len()];
    stream.read_exact(&mut payload).ok()?;
    let d = frame::decode(&payload).unwrap();
    Some((d["MessageType"].as_string()?.to_owned(), header.tag))
}

/// A stand-in daemon serving one connection with `serve`.
fn daemon(serve: impl FnOnce(UnixStream) + Send + 'static) -> (tempfile::TempDir, Address) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usbmuxd");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            serve(stream);
        }
    });
    (
        dir,
        Address::parse(&format!("UNIX:{}", path.display())).unwrap(),
    )
}

fn result(n: u32) -> String {
    format!(
        "<plist version=\"1.0\"><dict><key>MessageType</key><string>Result</string><key>Number</key><integer>{n}</integer></dict></plist>"
    )
}

#[test]
fn lists_reads_the_buid_listens_and_is_refused_like_the_real_daemon() {
    let (_dir, address) = daemon(|mut s| {
        while let Some((kind, tag)) = request(&mut s) {
            match kind.as_str() {
                "ListDevices" => reply(
                    &mut s,
                    "<plist version=\"1.0\"><dict><key>DeviceList</key><array/></dict></plist>",
                    tag,
                ),
                "ReadBUID" => reply(
                    &mut s,
                    "<plist version=\"1.0\"><dict><key>BUID</key><string>5B3F2E1A-0000-4000-8000-000000000001</string></dict></plist>",
                    tag,
                ),
                "Connect" => reply(&mut s, &result(2), tag),
                "Listen" => {
                    reply(&mut s, &result(0), tag);
                    reply(&mut s, ATTACHED, 0);
                    reply(
                        &mut s,
                        "<plist version=\"1.0\"><dict><key>MessageType</key><string>Detached</string><key>DeviceID</key><integer>3</integer></dict></plist>",
                        0,
                    );
                }
                _ => reply(&mut s, &result(1), tag),
            }
        }
    });
    let mut client = Client::connect(&address, Duration::from_secs(5)).unwrap();
    assert_eq!(client.list_devices().unwrap(), Vec::new());
    assert!(client.read_buid().unwrap().starts_with("5B3F2E1A"));
    client.listen().unwrap();
    let Answer::Attached(device) = client.next_event().unwrap() else {
        panic!("an attach first");
    };
    assert_eq!(
        (device.product_id, device.location_id),
        (Some(0x12a8), Some(0x1440_0000))
    );
    assert_eq!(
        client.next_event().unwrap(),
        Answer::Detached { device_id: 3 }
    );
    let refused = Client::connect(&address, Duration::from_secs(5));
    // The stand-in serves one connection; a second client finds nobody accepting.
    drop(refused);
}

#[test]
fn a_connect_to_a_missing_device_carries_the_daemons_number() {
    let (_dir, address) = daemon(|mut s| {
        if let Some((_, tag)) = request(&mut s) {
            reply(&mut s, &result(2), tag);
        }
    });
    let client = Client::connect(&address, Duration::from_secs(5)).unwrap();
    match client.connect_to(99, 62078) {
        Err(ClientError::Refused { outcome }) => assert_eq!(outcome, Outcome::BadDevice),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn bad_peers_give_clear_errors_not_hangs() {
    // A frame that says it is 15 bytes long.
    let (_d1, lying) = daemon(|mut s| {
        let _ = request(&mut s);
        let mut head = Vec::new();
        for word in [15u32, 1, 8, 1] {
            head.extend_from_slice(&word.to_le_bytes());
        }
        s.write_all(&head).unwrap();
    });
    let mut client = Client::connect(&lying, Duration::from_secs(5)).unwrap();
    assert!(matches!(client.list_devices(), Err(ClientError::Frame(_))));
    // A frame that claims 64 MiB: refused before anything is read or allocated.
    let (_d2, huge) = daemon(|mut s| {
        let _ = request(&mut s);
        let mut head = Vec::new();
        for word in [64u32 << 20, 1, 8, 1] {
            head.extend_from_slice(&word.to_le_bytes());
        }
        s.write_all(&head).unwrap();
    });
    let mut client = Client::connect(&huge, Duration::from_secs(5)).unwrap();
    assert!(matches!(client.list_devices(), Err(ClientError::Frame(_))));
    // A daemon that accepts and never answers.
    let (_d3, silent) = daemon(|s| {
        std::thread::sleep(Duration::from_secs(3));
        drop(s);
    });
    let mut client = Client::connect(&silent, Duration::from_millis(300)).unwrap();
    assert!(matches!(
        client.list_devices(),
        Err(ClientError::Timeout(_))
    ));
    // A daemon that goes away mid-frame.
    let (_d4, gone) = daemon(|mut s| {
        let _ = request(&mut s);
        s.write_all(&[200, 0, 0, 0, 1, 0]).unwrap();
    });
    let mut client = Client::connect(&gone, Duration::from_secs(5)).unwrap();
    assert!(matches!(client.list_devices(), Err(ClientError::Closed)));
    // No daemon at all.
    let missing = Address::parse("UNIX:/nonexistent/usbmuxd").unwrap();
    let err = Client::connect(&missing, Duration::from_secs(1))
        .err()
        .unwrap();
    assert!(err.to_string().contains("cannot reach usbmuxd"), "{err}");
}

/// A stand-in phone behind the stand-in daemon: after `Connect` to 62078 the connection speaks
/// lockdown (big-endian length + plist); values are read without pairing, one refused value
/// stays unknown, and nothing but `GetValue` is sent.
#[test]
fn lockdown_values_are_read_without_pairing() {
    let (_dir, address) = daemon(|mut s| {
        let Some((kind, tag)) = request(&mut s) else {
            return;
        };
        assert_eq!(kind, "Connect");
        reply(&mut s, &result(0), tag);
        loop {
            let mut length = [0u8; 4];
            if s.read_exact(&mut length).is_err() {
                return;
            }
            let mut payload = vec![0u8; u32::from_be_bytes(length) as usize];
            s.read_exact(&mut payload).unwrap();
            let asked = frame::decode(&payload).unwrap();
            assert_eq!(
                asked["Request"].as_string(),
                Some("GetValue"),
                "nothing else is asked"
            );
            let key = asked["Key"].as_string().unwrap().to_owned();
            let value = match key.as_str() {
                "ProductType" => "<string>iPhone12,1</string>",
                "ProductVersion" => "<string>17.5.1</string>",
                "BuildVersion" => "<string>21F90</string>",
                "UniqueChipID" => "<integer>7365887390543728</integer>",
                _ => "",
            };
            let xml = if value.is_empty() {
                format!(
                    "<plist version=\"1.0\"><dict><key>Error</key><string>InvalidHostID</string><key>Key</key><string>{key}</string></dict></plist>"
                )
            } else {
                format!(
                    "<plist version=\"1.0\"><dict><key>Key</key><string>{key}</string><key>Request</key><string>GetValue</string><key>Value</key>{value}</dict></plist>"
                )
            };
            let mut out = (xml.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(xml.as_bytes());
            s.write_all(&out).unwrap();
        }
    });
    let client = Client::connect(&address, Duration::from_secs(5)).unwrap();
    let mut stream = client.connect_to(3, usbmux::lockdown::PORT).unwrap();
    let values = usbmux::lockdown::read_values(stream.as_mut()).unwrap();
    assert_eq!(values.product_type.as_deref(), Some("iPhone12,1"));
    assert_eq!(values.product_version.as_deref(), Some("17.5.1"));
    assert_eq!(values.build_version.as_deref(), Some("21F90"));
    assert_eq!(
        values.device_class, None,
        "refused without pairing: unknown"
    );
    assert_eq!(values.unique_chip_id, Some(0x001A_2B3C_4D5E_6F70));
}
