//! The device table (product type, board config, CPID, BDID, names, connector, DFU family) and
//! finding a device from what a person types: `iPhone9,3`, `"iPhone 7"` or `D101AP`.

use serde::Deserialize;

use crate::Kb;

/// iPhone, iPad or iPod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Iphone,
    Ipad,
    Ipod,
}

/// The physical connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Connector {
    Lightning,
    UsbC,
}

/// The biometric sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Biometric {
    TouchId,
    FaceId,
    None,
}

impl DeviceKind {
    pub fn id(self) -> &'static str {
        match self {
            DeviceKind::Iphone => "iphone",
            DeviceKind::Ipad => "ipad",
            DeviceKind::Ipod => "ipod",
        }
    }
}

impl Connector {
    pub fn id(self) -> &'static str {
        match self {
            Connector::Lightning => "lightning",
            Connector::UsbC => "usb-c",
        }
    }
}

impl Biometric {
    pub fn id(self) -> &'static str {
        match self {
            Biometric::TouchId => "touch-id",
            Biometric::FaceId => "face-id",
            Biometric::None => "no-biometric",
        }
    }
}

/// One row of the device table. Values no source gives are `None`, never guessed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub product_type: String,
    /// Board config (hardware model), upper case, e.g. `D101AP`.
    pub board: Option<String>,
    pub cpid: Option<u32>,
    pub bdid: Option<u32>,
    /// libirecovery's display name, e.g. "iPhone 7 (GSM)".
    pub name: String,
    /// Marketing name without the variant, e.g. "iPhone 7".
    pub model: String,
    pub kind: DeviceKind,
    pub connector: Connector,
    pub biometric: Biometric,
    /// DFU button family id (dfu.toml).
    pub dfu: String,
}

/// No device matched what was typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown model '{query}'{}", suggestion_text(.suggestion))]
pub struct DeviceLookupError {
    pub query: String,
    /// The closest known name, if one is close enough to be a likely typo.
    pub suggestion: Option<String>,
}

fn suggestion_text(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean '{s}'?"),
        None => "; use a product type (iPhone9,3), a model name (\"iPhone 7\") or a board config (D101AP)".to_owned(),
    }
}

impl Kb {
    /// Finds a device by product type, board config (with or without the `AP` suffix),
    /// marketing name or display name, ignoring case and spacing differences.
    pub fn find_device(&self, query: &str) -> Result<&Device, DeviceLookupError> {
        let wanted = normalize(query);
        let found = self.devices.iter().find(|d| {
            normalize(&d.product_type) == wanted
                || normalize(&d.model) == wanted
                || normalize(&d.name) == wanted
                || d.board.as_deref().is_some_and(|b| {
                    let board = normalize(b);
                    board == wanted || board.strip_suffix("ap") == Some(wanted.as_str())
                })
        });
        found.ok_or_else(|| DeviceLookupError {
            query: query.chars().take(60).collect(),
            suggestion: self.nearest_device_name(&wanted),
        })
    }

    /// The device a free text names ("iPhone 7 Plus (A1784, iPhone9,4)", "iPhone 7 (256 GB)",
    /// "iPad 7 (10.2-inch)"): a product type if one is written, else the longest model name
    /// that occurs in it and is not followed by another digit. `None` when no known device is
    /// named; never a guess.
    pub fn device_in_text(&self, text: &str) -> Option<&Device> {
        let text: String = text.chars().take(500).collect();
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == ',')) {
            if word.contains(',')
                && let Ok(d) = self.find_device(word)
            {
                return Some(d);
            }
        }
        let wanted = normalize(&ordinal_ipad(&text));
        self.devices
            .iter()
            .filter_map(|d| {
                let name = normalize(&d.model);
                let at = wanted.find(&name)?;
                let next = wanted[at + name.len()..].chars().next();
                (!next.is_some_and(|c| c.is_ascii_digit())).then_some((name.len(), d))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, d)| d)
    }

    /// Finds the device a DFU / recovery chip id and board id belong to.
    pub fn device_by_chip(&self, cpid: u32, bdid: u32) -> Option<&Device> {
        self.devices
            .iter()
            .find(|d| d.cpid == Some(cpid) && d.bdid == Some(bdid))
    }

    fn nearest_device_name(&self, wanted: &str) -> Option<String> {
        if wanted.is_empty() || wanted.len() > 64 {
            return None;
        }
        let candidates = self.devices.iter().flat_map(|d| {
            [
                Some(d.model.as_str()),
                Some(d.product_type.as_str()),
                d.board.as_deref(),
            ]
            .into_iter()
            .flatten()
        });
        let (distance, best) = candidates
            .map(|c| (edit_distance(wanted, &normalize(c)), c))
            .min_by_key(|(d, _)| *d)?;
        // Allow about one typo per four characters.
        (distance <= 1 + wanted.len() / 4).then(|| best.to_owned())
    }
}

/// Lower case, spaces and punctuation other than the comma dropped, "plus" kept as a word:
/// "iPhone 7 Plus" → "iphone7plus", "iphone9,3" → "iphone9,3".
fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || *c == ',')
        .flat_map(char::to_lowercase)
        .collect()
}

/// "iPad 7" as people write it → "iPad (7th gen)" as the table names it.
fn ordinal_ipad(text: &str) -> String {
    let lower = text.to_lowercase();
    let Some(rest) = lower.strip_prefix("ipad ") else {
        return text.to_owned();
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u32>() {
        Ok(n @ 1..=20) if !rest[digits.len()..].starts_with(['.', ',']) => {
            let suffix = match n {
                1 => "st",
                2 => "nd",
                3 => "rd",
                _ => "th",
            };
            format!("iPad ({n}{suffix} gen){}", &rest[digits.len()..])
        }
        _ => text.to_owned(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("iphone7", "iphone7"), 0);
        assert_eq!(edit_distance("iphne7", "iphone7"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn normalize_ignores_case_and_spacing() {
        assert_eq!(normalize("iPhone 7 Plus"), "iphone7plus");
        assert_eq!(normalize("  IPHONE9,3 "), "iphone9,3");
        assert_eq!(normalize("iPad Pro 11-inch (M4)"), "ipadpro11inchm4");
    }
}
