//! What USB tells the engine: the kb observations `device-mode`, `hub-in-path` and
//! `link-speed` derived from the Apple devices seen.

use kb::Observation;

use crate::{AppleDevice, Mode, Speed};

/// Observations from a USB look. `looked_live` says the list came from the live bus, so an
/// empty list means "the computer does not see the phone". With several devices attached the
/// program cannot tell which one is the patient, so nothing is said.
pub fn observations(devices: &[AppleDevice], looked_live: bool) -> Vec<Observation> {
    let device = match devices {
        [] if looked_live => return vec![Observation::new("device-mode", "none")],
        [device] => device,
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mode = match device.mode {
        Mode::Normal => Some("normal"),
        Mode::Recovery => Some("recovery"),
        Mode::Dfu | Mode::Wtf => Some("dfu"),
        Mode::Restore => Some("restore"),
        Mode::Unknown => None,
    };
    if let Some(mode) = mode {
        out.push(Observation::new("device-mode", mode));
    }
    if device.usb_path.is_some() || !device.hubs.is_empty() {
        let hub = if device.external_hubs() > 0 {
            "yes"
        } else {
            "no"
        };
        out.push(Observation::new("hub-in-path", hub));
    }
    if let Some(speed) = device.speed {
        // Every iPhone and iPad runs at least at high speed (480 Mb/s) in every mode; a
        // Lightning phone at 480 Mb/s on a USB 3 port is normal.
        let slow = if speed < Speed::High {
            "slow"
        } else {
            "expected"
        };
        out.push(Observation::new("link-speed", slow));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hub;

    fn device(mode: Mode, speed: Speed, hubs: Vec<Hub>) -> AppleDevice {
        let mut d = AppleDevice::new("test");
        d.mode = mode;
        d.speed = Some(speed);
        d.usb_path = Some("1-4".to_owned());
        d.hubs = hubs;
        d
    }

    fn hub(built_in: Option<bool>) -> Hub {
        Hub {
            name: None,
            vid: None,
            pid: None,
            built_in,
        }
    }

    #[test]
    fn a_direct_high_speed_dfu_device() {
        let obs = observations(&[device(Mode::Dfu, Speed::High, vec![])], true);
        assert_eq!(
            obs,
            vec![
                Observation::new("device-mode", "dfu"),
                Observation::new("hub-in-path", "no"),
                Observation::new("link-speed", "expected"),
            ]
        );
    }

    #[test]
    fn built_in_hubs_do_not_count_and_full_speed_is_slow() {
        let obs = observations(
            &[device(Mode::Normal, Speed::Full, vec![hub(Some(true))])],
            true,
        );
        assert!(obs.contains(&Observation::new("hub-in-path", "no")));
        assert!(obs.contains(&Observation::new("link-speed", "slow")));
        let obs = observations(
            &[device(
                Mode::Recovery,
                Speed::High,
                vec![hub(Some(true)), hub(None)],
            )],
            true,
        );
        assert!(obs.contains(&Observation::new("hub-in-path", "yes")));
    }

    #[test]
    fn nothing_seen_live_means_none_and_many_devices_say_nothing() {
        assert_eq!(
            observations(&[], true),
            vec![Observation::new("device-mode", "none")]
        );
        assert!(observations(&[], false).is_empty());
        let two = [
            device(Mode::Dfu, Speed::High, vec![]),
            device(Mode::Normal, Speed::High, vec![]),
        ];
        assert!(observations(&two, true).is_empty());
    }
}
