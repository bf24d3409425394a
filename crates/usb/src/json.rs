//! The JSON shape of a device that `devices`, `identify` and the dashboard share (DESIGN.md),
//! with ECID, serial number, UDID and IMEI masked unless the person asks to see them.

use serde::Serialize;

use crate::AppleDevice;

/// An identifier, masked unless `show`.
pub fn id_text(value: Option<String>, show: bool) -> Option<String> {
    value.map(|v| if show { v } else { kb::text::mask(&v) })
}

/// The ECID as `0x` and 16 hex digits, all but the last four masked unless `show`.
pub fn ecid_text(d: &AppleDevice, show: bool) -> Option<String> {
    d.ecid.map(|e| kb::text::ecid(e, show))
}

/// A hub in the JSON shape.
#[derive(Serialize)]
struct HubJson {
    name: Option<String>,
    vid: Option<String>,
    pid: Option<String>,
    built_in: Option<bool>,
}

/// A device in the JSON shape DESIGN.md documents (unknown values are null).
#[derive(Serialize)]
pub struct DeviceJson {
    mode: &'static str,
    mode_detail: Option<String>,
    product_type: Option<String>,
    name: Option<String>,
    /// The product types the device can be when only its model is known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    candidates: Vec<String>,
    board: Option<String>,
    cpid: Option<String>,
    bdid: Option<String>,
    ecid: Option<String>,
    serial_number: Option<String>,
    udid: Option<String>,
    imei: Option<String>,
    vid: Option<String>,
    pid: Option<String>,
    speed: Option<&'static str>,
    speed_mbps: Option<u32>,
    usb_path: Option<String>,
    location_id: Option<String>,
    os_version: Option<String>,
    hubs_in_path: usize,
    hubs: Vec<HubJson>,
    serial_tags: std::collections::BTreeMap<String, String>,
    source: String,
}

impl DeviceJson {
    pub fn new(d: &AppleDevice, show_ids: bool) -> DeviceJson {
        let mut tags = d.serial_tags.clone();
        if !show_ids {
            for key in ["ECID", "SRNM", "IMEI", "NONC", "SNON"] {
                if let Some(v) = tags.get_mut(key) {
                    *v = kb::text::mask(v);
                }
            }
        }
        DeviceJson {
            mode: d.mode.id(),
            mode_detail: d.mode_detail.clone(),
            product_type: d.product_type.clone(),
            name: d.name.clone(),
            candidates: d.candidates.clone(),
            board: d.board.clone(),
            cpid: d.cpid.map(|v| format!("0x{v:04X}")),
            bdid: d.bdid.map(|v| format!("0x{v:02X}")),
            ecid: ecid_text(d, show_ids),
            serial_number: id_text(d.serial_number.clone(), show_ids),
            udid: id_text(d.udid.clone(), show_ids),
            imei: id_text(d.imei.clone(), show_ids),
            vid: d.vid.map(|v| format!("0x{v:04x}")),
            pid: d.pid.map(|v| format!("0x{v:04x}")),
            speed: d.speed.map(crate::Speed::id),
            speed_mbps: d.speed.map(crate::Speed::mbps),
            usb_path: d.usb_path.clone(),
            location_id: d.location_id.map(|l| format!("0x{l:08x}")),
            os_version: d.os_version.clone(),
            hubs_in_path: d.external_hubs(),
            hubs: d
                .hubs
                .iter()
                .map(|h| HubJson {
                    name: h.name.clone(),
                    vid: h.vid.map(|v| format!("0x{v:04x}")),
                    pid: h.pid.map(|v| format!("0x{v:04x}")),
                    built_in: h.built_in,
                })
                .collect(),
            serial_tags: tags,
            source: d.source.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_redacts_identifiers_unless_asked() {
        let mut d = AppleDevice::new("test");
        d.absorb_serial(
            "CPID:8000 BDID:04 ECID:000005752935F194 SRNM:[FVMCL013HFLV] IMEI:[356789012345678]",
        );
        let hidden = serde_json::to_string(&DeviceJson::new(&d, false)).unwrap();
        for secret in ["000005752935F194", "FVMCL013HFLV", "356789012345678"] {
            assert!(!hidden.contains(secret), "{secret} leaked: {hidden}");
        }
        assert!(hidden.contains("F194"));
        let shown = serde_json::to_string(&DeviceJson::new(&d, true)).unwrap();
        assert!(shown.contains("0x000005752935F194") && shown.contains("FVMCL013HFLV"));
    }
}
