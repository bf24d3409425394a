//! The phones usbmuxd knows, as the USB view's device records: normal-mode phones with their
//! UDID, product id, bench-port location and link speed, and the merge of both views.

use std::time::Duration;

use kb::Kb;
use usb::source::DeviceSource;
use usb::{AppleDevice, UsbError};
use usbmux::lockdown::LockdownValues;
use usbmux::{Address, Client, ClientError, MuxDevice};

/// How long usbmuxd may take to answer before the command goes on without it.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The devices usbmuxd lists (at `USBMUXD_SOCKET_ADDRESS`, else the OS default socket), with
/// what each phone's lockdown tells without pairing.
pub fn devices(kb: &Kb) -> Result<Vec<AppleDevice>, ClientError> {
    listed(kb, true)
}

fn listed(kb: &Kb, ask_lockdown: bool) -> Result<Vec<AppleDevice>, ClientError> {
    let address = Address::from_env()?;
    let listed = Client::connect(&address, TIMEOUT)?.list_devices()?;
    Ok(listed
        .iter()
        .filter(|d| d.connection_type.as_deref().is_none_or(|t| t == "USB"))
        .map(|d| {
            let values = if ask_lockdown {
                lockdown(&address, d.device_id)
            } else {
                LockdownValues::default()
            };
            to_apple_device(kb, d, values)
        })
        .collect())
}

/// usbmuxd as a source to watch where the USB bus cannot be read: its device list, polled
/// (lockdown is not asked on every poll). Phones in DFU or recovery mode are not in it.
pub struct UsbmuxSource;

impl DeviceSource for UsbmuxSource {
    fn snapshot(&self, kb: &Kb) -> Result<Vec<AppleDevice>, UsbError> {
        listed(kb, false).map_err(|e| UsbError::Live(format!("usbmuxd: {e}")))
    }
}

/// What the phone's lockdown service tells without pairing; nothing when it does not answer.
fn lockdown(address: &Address, device_id: u64) -> LockdownValues {
    Client::connect(address, TIMEOUT)
        .and_then(|c| c.connect_to(device_id, usbmux::lockdown::PORT))
        .and_then(|mut stream| usbmux::lockdown::read_values(stream.as_mut()))
        .unwrap_or_default()
}

fn to_apple_device(kb: &Kb, m: &MuxDevice, values: LockdownValues) -> AppleDevice {
    let mut d = AppleDevice::new("usbmuxd");
    d.product_type = values.product_type;
    d.os_version = values.product_version;
    d.ecid = values.unique_chip_id;
    if let Some(pid) = m.product_id {
        d.set_ids(usb::APPLE_VID, pid);
    }
    if let Some(serial) = &m.serial_number {
        d.absorb_udid(serial);
    }
    d.location_id = m.location_id;
    d.usb_path = m.location_id.map(|l| format!("0x{l:08x}"));
    d.speed = m
        .connection_speed
        .and_then(|bits| usb::Speed::from_rate(&bits.to_string()));
    d.finish(kb)
}

/// Adds usbmuxd's devices to the USB view: one already seen on USB (same UDID) gains what
/// usbmuxd knows; any other is added.
pub fn merge(usb: &mut Vec<AppleDevice>, muxed: Vec<AppleDevice>) {
    for m in muxed {
        let same = usb.iter_mut().find(|d| {
            d.udid.is_some()
                && d.udid.as_deref().map(str::to_ascii_uppercase)
                    == m.udid.as_deref().map(str::to_ascii_uppercase)
        });
        match same {
            Some(d) => {
                d.location_id = d.location_id.or(m.location_id);
                d.speed = d.speed.or(m.speed);
            }
            None => usb.push(m),
        }
    }
}
