//! Which phones on USB can be told to leave recovery mode: the one asked for, the only one in
//! recovery mode, or all of them; and, when none can, why (DFU mode, no phone, an unknown ECID).

use usb::{AppleDevice, Mode};

use super::ecid::Ecid;

/// Which phones the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// The only phone in recovery mode.
    Only,
    /// The phone with this ECID.
    Ecid(Ecid),
    /// Every phone in recovery mode.
    All,
}

/// A phone in recovery mode to tell to start iOS.
#[derive(Debug, Clone)]
pub struct Target {
    pub device: AppleDevice,
    pub ecid: Ecid,
}

impl Target {
    /// "the iPhone 8 (GSM) on port 1-3" (or "the phone" when USB gave neither).
    pub fn words(&self) -> String {
        device_words(&self.device)
    }
}

/// Why nothing can be done.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// No iPhone or iPad on USB.
    NoPhone,
    /// The phones that could be meant are in DFU mode, which no command leaves.
    InDfu(Vec<AppleDevice>),
    /// The phones there are not in recovery mode (normal or restore mode: nothing to leave).
    NotInRecovery(Vec<AppleDevice>),
    /// No phone with this ECID; these are there.
    UnknownEcid {
        wanted: Ecid,
        there: Vec<AppleDevice>,
    },
    /// Several phones in recovery mode and none picked.
    Several(Vec<AppleDevice>),
    /// A phone in recovery mode whose serial string gave no ECID, so irecovery cannot be told
    /// which phone it is.
    NoEcid(Box<AppleDevice>),
}

/// What can be done: the phones to tell, and the ones in DFU mode left as they are.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub targets: Vec<Target>,
    pub left_in_dfu: Vec<AppleDevice>,
}

/// Picks the phones for `wanted` among `devices` (what USB shows now).
pub fn choose(devices: &[AppleDevice], wanted: Wanted) -> Result<Chosen, Refusal> {
    let in_mode = |mode: Mode| -> Vec<AppleDevice> {
        devices.iter().filter(|d| d.mode == mode).cloned().collect()
    };
    let (recovery, dfu) = (in_mode(Mode::Recovery), in_mode(Mode::Dfu));
    let target = |device: &AppleDevice| -> Result<Target, Refusal> {
        Ecid::of(device)
            .map(|ecid| Target {
                device: device.clone(),
                ecid,
            })
            .ok_or_else(|| Refusal::NoEcid(Box::new(device.clone())))
    };
    let nothing_in_recovery = || {
        if !dfu.is_empty() {
            Refusal::InDfu(dfu.clone())
        } else if devices.is_empty() {
            Refusal::NoPhone
        } else {
            Refusal::NotInRecovery(devices.to_vec())
        }
    };
    match wanted {
        Wanted::Ecid(ecid) => {
            let Some(device) = devices.iter().find(|d| Ecid::of(d) == Some(ecid)) else {
                return Err(Refusal::UnknownEcid {
                    wanted: ecid,
                    there: devices.to_vec(),
                });
            };
            match device.mode {
                Mode::Recovery => Ok(Chosen {
                    targets: vec![target(device)?],
                    left_in_dfu: Vec::new(),
                }),
                Mode::Dfu => Err(Refusal::InDfu(vec![device.clone()])),
                _ => Err(Refusal::NotInRecovery(vec![device.clone()])),
            }
        }
        Wanted::Only => match recovery.as_slice() {
            [] => Err(nothing_in_recovery()),
            [one] => Ok(Chosen {
                targets: vec![target(one)?],
                left_in_dfu: dfu,
            }),
            several => Err(Refusal::Several(several.to_vec())),
        },
        Wanted::All => {
            if recovery.is_empty() {
                return Err(nothing_in_recovery());
            }
            Ok(Chosen {
                targets: recovery.iter().map(target).collect::<Result<_, _>>()?,
                left_in_dfu: dfu,
            })
        }
    }
}

/// A phone as a person would point at it: its model and port.
pub fn device_words(device: &AppleDevice) -> String {
    let model = match (&device.name, device.mode) {
        (Some(name), _) => format!("the {name}"),
        (None, Mode::Normal | Mode::Restore) => "the Apple device".to_owned(),
        (None, _) => "the phone".to_owned(),
    };
    match &device.usb_path {
        Some(port) => format!("{model} on port {port}"),
        None => model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(port: &str, pid: u16, ecid: Option<u64>) -> AppleDevice {
        let mut d = AppleDevice::new("test");
        d.set_ids(0x05ac, pid);
        d.ecid = ecid;
        d.usb_path = Some(port.to_owned());
        d
    }

    const RECOVERY: u16 = 0x1281;
    const DFU: u16 = 0x1227;
    const NORMAL: u16 = 0x12a8;

    #[test]
    fn the_only_phone_in_recovery_mode_is_chosen_and_dfu_ones_are_left() {
        let there = [phone("1-2", DFU, Some(1)), phone("1-3", RECOVERY, Some(2))];
        let chosen = choose(&there, Wanted::Only).unwrap();
        assert_eq!(chosen.targets.len(), 1);
        assert_eq!(chosen.targets[0].ecid.value(), 2);
        assert_eq!(chosen.left_in_dfu.len(), 1);
    }

    #[test]
    fn a_phone_in_dfu_mode_is_refused() {
        let there = [phone("1-2", DFU, Some(1))];
        assert!(matches!(choose(&there, Wanted::Only), Err(Refusal::InDfu(d)) if d.len() == 1));
        assert!(matches!(
            choose(&there, Wanted::All),
            Err(Refusal::InDfu(_))
        ));
        let asked = Wanted::Ecid(Ecid::parse("1").unwrap());
        assert!(matches!(choose(&there, asked), Err(Refusal::InDfu(_))));
    }

    #[test]
    fn nothing_to_do_is_told_apart() {
        assert!(matches!(choose(&[], Wanted::Only), Err(Refusal::NoPhone)));
        let normal = [phone("1-4", NORMAL, None)];
        assert!(matches!(
            choose(&normal, Wanted::All),
            Err(Refusal::NotInRecovery(_))
        ));
        let two = [
            phone("1-2", RECOVERY, Some(1)),
            phone("1-3", RECOVERY, Some(2)),
        ];
        assert!(matches!(choose(&two, Wanted::Only), Err(Refusal::Several(d)) if d.len() == 2));
        assert_eq!(choose(&two, Wanted::All).unwrap().targets.len(), 2);
        let unknown = Wanted::Ecid(Ecid::parse("3").unwrap());
        assert!(matches!(
            choose(&two, unknown),
            Err(Refusal::UnknownEcid { there, .. }) if there.len() == 2
        ));
        let anonymous = [phone("1-2", RECOVERY, None)];
        assert!(matches!(
            choose(&anonymous, Wanted::Only),
            Err(Refusal::NoEcid(_))
        ));
    }

    #[test]
    fn an_ecid_picks_one_of_several() {
        let two = [
            phone("1-2", RECOVERY, Some(1)),
            phone("1-3", RECOVERY, Some(2)),
        ];
        let chosen = choose(&two, Wanted::Ecid(Ecid::parse("2").unwrap())).unwrap();
        assert_eq!(chosen.targets[0].device.usb_path.as_deref(), Some("1-3"));
    }
}
