//! Talking to the daemon: where its socket is (`USBMUXD_SOCKET_ADDRESS` in libusbmuxd's own
//! format, else the OS default), and request / answer exchanges with timeouts and bounded reads.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use plist::Dictionary;

use crate::frame::{self, FrameError, HEADER, Header};
use crate::message::{self, Answer, MuxDevice, Outcome};

/// Where usbmuxd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Unix(PathBuf),
    Tcp(String),
}

impl Address {
    /// `USBMUXD_SOCKET_ADDRESS` when set, else the OS default (`/var/run/usbmuxd`; on Windows
    /// `127.0.0.1:27015`).
    pub fn from_env() -> Result<Address, ClientError> {
        match std::env::var("USBMUXD_SOCKET_ADDRESS") {
            Ok(text) if !text.trim().is_empty() => Address::parse(&text),
            _ if cfg!(windows) => Ok(Address::Tcp("127.0.0.1:27015".to_owned())),
            _ => Ok(Address::Unix(PathBuf::from("/var/run/usbmuxd"))),
        }
    }

    /// libusbmuxd's format: `UNIX:/path` or `host:port`.
    pub fn parse(text: &str) -> Result<Address, ClientError> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("UNIX:") {
            return if path.is_empty() {
                Err(ClientError::Address(text.to_owned()))
            } else {
                Ok(Address::Unix(PathBuf::from(path)))
            };
        }
        match text.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(Address::Tcp(text.to_owned()))
            }
            _ => Err(ClientError::Address(text.to_owned())),
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Unix(path) => write!(f, "UNIX:{}", path.display()),
            Address::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// Why talking to usbmuxd failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("'{0}' is not a usbmuxd address (use UNIX:/path or host:port)")]
    Address(String),
    #[error("cannot reach usbmuxd at {address}: {source}")]
    Connect {
        address: String,
        source: std::io::Error,
    },
    #[error("usbmuxd did not answer within {0:?}")]
    Timeout(Duration),
    #[error("usbmuxd closed the connection")]
    Closed,
    #[error("talking to usbmuxd failed: {0}")]
    Io(std::io::Error),
    #[error("usbmuxd sent a bad frame: {0}")]
    Frame(#[from] FrameError),
    #[error("usbmuxd answered with result {} ({outcome:?})", outcome.number())]
    Refused { outcome: Outcome },
    #[error("usbmuxd answered something unexpected: {0}")]
    Unexpected(String),
}

/// A byte stream to the daemon (a Unix socket or TCP).
pub trait Stream: Read + Write + Send {
    fn set_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()>;
}

#[cfg(unix)]
impl Stream for std::os::unix::net::UnixStream {
    fn set_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.set_read_timeout(timeout)?;
        self.set_write_timeout(timeout)
    }
}

impl Stream for std::net::TcpStream {
    fn set_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.set_read_timeout(timeout)?;
        self.set_write_timeout(timeout)
    }
}

/// One connection to usbmuxd.
pub struct Client {
    stream: Box<dyn Stream>,
    tag: u32,
    timeout: Duration,
}

impl Client {
    /// Connects; every later read or write waits at most `timeout`.
    pub fn connect(address: &Address, timeout: Duration) -> Result<Client, ClientError> {
        let failed = |source| ClientError::Connect {
            address: address.to_string(),
            source,
        };
        let stream: Box<dyn Stream> = match address {
            #[cfg(unix)]
            Address::Unix(path) => {
                Box::new(std::os::unix::net::UnixStream::connect(path).map_err(failed)?)
            }
            #[cfg(not(unix))]
            Address::Unix(_) => {
                return Err(failed(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "Unix sockets are not available here",
                )));
            }
            Address::Tcp(addr) => Box::new(std::net::TcpStream::connect(addr).map_err(failed)?),
        };
        stream.set_timeout(Some(timeout)).map_err(ClientError::Io)?;
        Ok(Client {
            stream,
            tag: 0,
            timeout,
        })
    }

    fn send(&mut self, message: &Dictionary) -> Result<(), ClientError> {
        self.tag = self.tag.wrapping_add(1);
        let frame = frame::encode(message, self.tag);
        self.stream.write_all(&frame).map_err(|e| self.io(e))
    }

    fn io(&self, e: std::io::Error) -> ClientError {
        match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                ClientError::Timeout(self.timeout)
            }
            std::io::ErrorKind::UnexpectedEof => ClientError::Closed,
            _ => ClientError::Io(e),
        }
    }

    /// The next message from the daemon (bounded: a frame over the limit is refused before its
    /// payload is read).
    pub fn receive(&mut self) -> Result<Dictionary, ClientError> {
        let mut head = [0u8; HEADER];
        self.stream.read_exact(&mut head).map_err(|e| self.io(e))?;
        let header = Header::parse(&head)?;
        let mut payload = vec![0u8; header.payload_len()];
        self.stream
            .read_exact(&mut payload)
            .map_err(|e| self.io(e))?;
        Ok(frame::decode(&payload)?)
    }

    fn ask(&mut self, message: &Dictionary) -> Result<Answer, ClientError> {
        self.send(message)?;
        let reply = self.receive()?;
        message::answer(&reply).ok_or_else(|| ClientError::Unexpected(format!("{reply:?}")))
    }

    /// The devices usbmuxd knows now.
    pub fn list_devices(&mut self) -> Result<Vec<MuxDevice>, ClientError> {
        match self.ask(&message::request("ListDevices"))? {
            Answer::Devices(devices) => Ok(devices),
            Answer::Result(outcome) => Err(ClientError::Refused { outcome }),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// The host's BUID (the daemon's system identifier).
    pub fn read_buid(&mut self) -> Result<String, ClientError> {
        match self.ask(&message::request("ReadBUID"))? {
            Answer::Buid(buid) => Ok(buid),
            Answer::Result(outcome) => Err(ClientError::Refused { outcome }),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Subscribes to attach / detach / paired events; read them with [`Client::next_event`].
    pub fn listen(&mut self) -> Result<(), ClientError> {
        expect_ok(self.ask(&message::request("Listen"))?)
    }

    /// The next event after [`Client::listen`] (waits at most the timeout).
    pub fn next_event(&mut self) -> Result<Answer, ClientError> {
        let message = self.receive()?;
        message::answer(&message).ok_or_else(|| ClientError::Unexpected(format!("{message:?}")))
    }

    /// Connects to `port` on a device; on success the connection carries that port's bytes.
    pub fn connect_to(mut self, device_id: u64, port: u16) -> Result<Box<dyn Stream>, ClientError> {
        expect_ok(self.ask(&message::connect(device_id, port))?)?;
        Ok(self.stream)
    }
}

fn expect_ok(answer: Answer) -> Result<(), ClientError> {
    match answer {
        Answer::Result(Outcome::Ok) => Ok(()),
        Answer::Result(outcome) => Err(ClientError::Refused { outcome }),
        other => Err(ClientError::Unexpected(format!("{other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_libusbmuxd_writes_them() {
        assert_eq!(
            Address::parse("UNIX:/tmp/mux").unwrap(),
            Address::Unix(PathBuf::from("/tmp/mux"))
        );
        assert_eq!(
            Address::parse("127.0.0.1:27015").unwrap(),
            Address::Tcp("127.0.0.1:27015".into())
        );
        for bad in ["UNIX:", "/tmp/mux", "host:", "host:99999", ":27015"] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }
}
