//! Following one phone after it was told to start iOS: has it left recovery mode, and is it
//! back (in normal mode, or in recovery mode again) on its port? Pure: time and what USB
//! shows are given.

use usb::{AppleDevice, Mode};

use super::choose::Target;
use super::ecid::Ecid;

/// How long to wait, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// For the phone to leave USB after the command (a reboot leaves at once).
    pub leave: f64,
    /// For it to come back after it left (starting iOS takes up to a minute or two).
    pub back: f64,
}

/// What became of the phone.
#[derive(Debug, Clone, PartialEq)]
pub enum Return {
    /// Back on USB in `mode` (normal: iOS started), `seconds` after the command.
    Back { mode: Mode, seconds: f64 },
    /// Still in recovery mode `seconds` after the command: it did not restart.
    Stayed { seconds: f64 },
    /// It left, and was not back `seconds` after it left.
    Gone { seconds: f64 },
}

/// One phone being followed.
#[derive(Debug, Clone)]
pub struct Comeback {
    ecid: Ecid,
    port: Option<String>,
    left_at: Option<f64>,
}

impl Comeback {
    pub fn new(target: &Target) -> Comeback {
        Comeback {
            ecid: target.ecid,
            port: target.device.usb_path.clone(),
            left_at: None,
        }
    }

    /// When it left USB, in seconds after the command.
    pub fn left_at(&self) -> Option<f64> {
        self.left_at
    }

    /// Whether `device` is this phone: the same ECID anywhere, or on its port a device that
    /// does not say otherwise (iOS's USB serial of a phone before the A12 is a UDID that does
    /// not contain the ECID).
    fn is_it(&self, device: &AppleDevice) -> bool {
        match Ecid::of(device) {
            Some(ecid) => ecid == self.ecid,
            None => device.usb_path.is_some() && device.usb_path == self.port,
        }
    }

    /// Takes what USB shows `t` seconds after the command; the phone's fate once it is known.
    pub fn see(&mut self, t: f64, present: &[AppleDevice], waits: Waits) -> Option<Return> {
        let here = present.iter().find(|d| self.is_it(d));
        match (self.left_at, here) {
            (None, Some(d)) if d.mode == Mode::Recovery => {
                (t >= waits.leave).then_some(Return::Stayed { seconds: t })
            }
            // Back in another mode between two looks: it left and came back.
            (_, Some(d)) => Some(Return::Back {
                mode: d.mode,
                seconds: t,
            }),
            (None, None) => {
                self.left_at = Some(t);
                None
            }
            (Some(left), None) => {
                (t - left >= waits.back).then_some(Return::Gone { seconds: t - left })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAITS: Waits = Waits {
        leave: 30.0,
        back: 180.0,
    };

    fn device(port: &str, pid: u16, ecid: Option<u64>) -> AppleDevice {
        let mut d = AppleDevice::new("test");
        d.set_ids(0x05ac, pid);
        d.ecid = ecid;
        d.usb_path = Some(port.to_owned());
        d
    }

    fn follow() -> Comeback {
        let phone = device("1-3", 0x1281, Some(0x1838E00801EFAE));
        Comeback::new(&Target {
            ecid: Ecid::of(&phone).unwrap(),
            device: phone,
        })
    }

    #[test]
    fn leaving_then_normal_mode_on_the_port_is_ios() {
        let mut c = follow();
        let recovery = [device("1-3", 0x1281, Some(0x1838E00801EFAE))];
        assert_eq!(c.see(0.2, &recovery, WAITS), None);
        assert_eq!(c.see(1.0, &[], WAITS), None);
        assert_eq!(c.left_at(), Some(1.0));
        // An older phone's normal-mode serial is a UDID without its ECID.
        let normal = [device("1-3", 0x12a8, None)];
        assert_eq!(
            c.see(40.0, &normal, WAITS),
            Some(Return::Back {
                mode: Mode::Normal,
                seconds: 40.0
            })
        );
    }

    #[test]
    fn back_in_recovery_mode_is_told() {
        let mut c = follow();
        assert_eq!(c.see(1.0, &[], WAITS), None);
        let recovery = [device("1-3", 0x1281, Some(0x1838E00801EFAE))];
        assert_eq!(
            c.see(9.0, &recovery, WAITS),
            Some(Return::Back {
                mode: Mode::Recovery,
                seconds: 9.0
            })
        );
    }

    #[test]
    fn another_phone_on_the_port_or_elsewhere_is_not_it() {
        let mut c = follow();
        assert_eq!(c.see(1.0, &[], WAITS), None);
        let others = [
            device("1-3", 0x12a8, Some(0x42)),
            device("1-4", 0x12a8, None),
        ];
        assert_eq!(c.see(5.0, &others, WAITS), None);
        // The same phone moved to another port is still it.
        let moved = [device("1-4", 0x1281, Some(0x1838E00801EFAE))];
        assert!(matches!(
            c.see(6.0, &moved, WAITS),
            Some(Return::Back { .. })
        ));
    }

    #[test]
    fn a_phone_that_stays_or_never_returns_is_told_after_the_wait() {
        let mut stays = follow();
        let recovery = [device("1-3", 0x1281, Some(0x1838E00801EFAE))];
        assert_eq!(stays.see(29.9, &recovery, WAITS), None);
        assert_eq!(
            stays.see(30.0, &recovery, WAITS),
            Some(Return::Stayed { seconds: 30.0 })
        );
        let mut gone = follow();
        assert_eq!(gone.see(2.0, &[], WAITS), None);
        assert_eq!(gone.see(181.9, &[], WAITS), None);
        assert_eq!(
            gone.see(182.0, &[], WAITS),
            Some(Return::Gone { seconds: 180.0 })
        );
    }
}
