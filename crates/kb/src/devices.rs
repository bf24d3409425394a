//! The device table (product type, board config, CPID, BDID, names, connector, DFU family) and
//! finding a device from what a person types: `iPhone9,3`, `"iPhone 7"` or `D101AP`.

use serde::{Deserialize, Serialize};

use crate::Kb;

/// iPhone, iPad or iPod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Iphone,
    Ipad,
    Ipod,
}

/// The physical connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Connector {
    /// The wide dock connector of the iPhone 2G to 4s, iPod touch 1 to 4 and iPad 1 to 3.
    #[serde(rename = "30-pin")]
    ThirtyPin,
    Lightning,
    UsbC,
}

/// The biometric sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

    /// What a person calls the device in a sentence: "phone", "iPad", "iPod".
    pub fn noun(self) -> &'static str {
        match self {
            DeviceKind::Iphone => "phone",
            DeviceKind::Ipad => "iPad",
            DeviceKind::Ipod => "iPod",
        }
    }

    /// The kb's and the program's text, written about "the phone", said about this kind of
    /// device: "phone" as a word of its own (not "iPhone" or "headphone") becomes "iPad" or
    /// "iPod", plurals and possessives included.
    pub fn reword(self, text: &str) -> std::borrow::Cow<'_, str> {
        if self == DeviceKind::Iphone {
            return text.into();
        }
        let is_word_char = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let mut out = String::new();
        let mut copied = 0;
        for (at, _) in text.match_indices("hone") {
            let Some(start) = at.checked_sub(1) else {
                continue;
            };
            let end = at + "hone".len();
            let after = text[end..].chars().next();
            let plural = after == Some('s') && !is_word_char(text[end + 1..].chars().next());
            if matches!(text.as_bytes()[start], b'p' | b'P')
                && !is_word_char(text[..start].chars().next_back())
                && (plural || !is_word_char(after))
            {
                out.push_str(&text[copied..start]);
                out.push_str(self.noun());
                copied = end;
            }
        }
        if copied == 0 {
            return text.into();
        }
        out.push_str(&text[copied..]);
        out.into()
    }
}

/// [`DeviceKind::reword`] for a device that may be unknown ("the phone" stays).
pub fn reword<'t>(text: &'t str, device: Option<&Device>) -> std::borrow::Cow<'t, str> {
    match device {
        Some(d) => d.kind.reword(text),
        None => text.into(),
    }
}

impl Connector {
    pub fn id(self) -> &'static str {
        match self {
            Connector::ThirtyPin => "30-pin",
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// An iPad with a modem (Wi-Fi + Cellular) or without (Wi-Fi only); `None` where the
    /// sources disagree or one product type was sold both ways. iPhones and iPods leave it out.
    pub cellular: Option<bool>,
    pub connector: Connector,
    pub biometric: Biometric,
    /// DFU button family id (dfu.toml).
    pub dfu: String,
    /// For a model's stand-in (see [`Kb::find_device`]): the product types it stands for.
    /// Empty for a row of the table.
    #[serde(skip)]
    pub variants: Vec<String>,
}

impl Device {
    /// Whether the device has a cellular modem: every iPhone does, no iPod touch does, an iPad
    /// when it is a Wi-Fi + Cellular model; `None` when that is not known.
    pub fn has_modem(&self) -> Option<bool> {
        match self.kind {
            DeviceKind::Iphone => Some(true),
            DeviceKind::Ipod => Some(false),
            DeviceKind::Ipad => self.cellular,
        }
    }

    /// The product type, or for a model's stand-in the product types it can be, in words:
    /// "iPhone9,3", "iPhone9,1 or iPhone9,3".
    pub fn product_types_text(&self) -> String {
        if self.variants.is_empty() {
            self.product_type.clone()
        } else {
            self.variants.join(" or ")
        }
    }

    /// The product type when this is one variant; `None` for a model's stand-in, whose
    /// variant is not known.
    pub fn known_product_type(&self) -> Option<&str> {
        self.variants
            .is_empty()
            .then_some(self.product_type.as_str())
    }
}

/// One source's regulatory model numbers ("A numbers"), product type → numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelNumberTable {
    pub sources: Vec<String>,
    /// "iPhone9,3" → ["A1778"].
    pub numbers: std::collections::BTreeMap<String, Vec<String>>,
}

/// One source's normal-mode USB product ids that name a model ("0x1294" → "iPhone 3GS") or a
/// product type ("0x129c" → "iPhone3,3").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsbProductTable {
    pub sources: Vec<String>,
    pub models: std::collections::BTreeMap<String, String>,
}

/// What a person's words name: one variant, or every variant of one model when the words do
/// not say which ("iPhone 7": the Global iPhone9,1 or the GSM iPhone9,3).
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// The marketing name every variant shares ("iPhone 7").
    pub model: &'a str,
    /// The rows of the device table the words can mean, at least one, in table order.
    pub variants: Vec<&'a Device>,
}

impl<'a> Resolved<'a> {
    /// The one row the words name, if they name one.
    pub fn device(&self) -> Option<&'a Device> {
        match self.variants.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The product type, when every variant has the same one (a dual-source chip has two rows).
    pub fn product_type(&self) -> Option<&'a str> {
        let first = self.variants.first()?;
        self.variants
            .iter()
            .all(|d| d.product_type == first.product_type)
            .then_some(first.product_type.as_str())
    }

    /// The board, only when one row is named.
    pub fn board(&self) -> Option<&'a str> {
        self.device().and_then(|d| d.board.as_deref())
    }

    /// The distinct product types the words can mean.
    pub fn candidates(&self) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        for d in &self.variants {
            if !out.contains(&d.product_type.as_str()) {
                out.push(&d.product_type);
            }
        }
        out
    }
}

/// Where a person finds the model, said with every lookup error.
pub const WHERE_TO_FIND_THE_MODEL: &str = "the model is in Settings → General → About, as the A-number on the back or in the SIM tray, or run `restore-doctor devices` with the phone connected";

/// No device matched what was typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown model '{query}'{}", suggestion_text(.suggestion, .candidates))]
pub struct DeviceLookupError {
    pub query: String,
    /// The closest known name, if one is close enough to be a likely typo of the same device.
    pub suggestion: Option<String>,
    /// Several models the text could mean ("iPhone SE": three generations).
    pub candidates: Vec<String>,
}

fn suggestion_text(suggestion: &Option<String>, candidates: &[String]) -> String {
    match (suggestion, candidates) {
        (_, [_, _, ..]) => format!(
            "; it could be {} — say which",
            candidates
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (Some(s), _) => format!("; did you mean '{s}'?"),
        (None, _) => format!(
            "; type a model name (\"iPhone 7\", \"11 Pro Max\"), an A-number (A1778), a product type (iPhone9,3) or a board (D101AP) — {WHERE_TO_FIND_THE_MODEL}"
        ),
    }
}

/// How people write models, rewritten to the table's spelling: "7+" → "iphone 7 plus",
/// "SE 2" → "iphone se (2nd gen)", "(9th generation)" → "(9th gen)", "11 pro max" → "iphone
/// 11 pro max".
fn as_people_write(query: &str) -> String {
    let mut text = query
        .trim()
        .to_lowercase()
        .replace('+', " plus")
        .replace("generation", "gen")
        .replace(['(', ')'], " ");
    if let Some(rest) = text.strip_prefix("apple ") {
        text = rest.to_owned();
    }
    let first = text.split_whitespace().next().unwrap_or("");
    let bare_iphone = first.starts_with(|c: char| c.is_ascii_digit())
        || matches!(first, "se" | "se2" | "se3" | "x" | "xr" | "xs");
    if bare_iphone {
        text = format!("iphone {text}");
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    for (forms, generation) in [
        (
            &[
                "iphone se 1",
                "iphone se1",
                "iphone se 2016",
                "iphone se 1st gen",
                "iphone se 1st",
            ][..],
            "1st",
        ),
        (
            &[
                "iphone se 2",
                "iphone se2",
                "iphone se 2020",
                "iphone se 2nd gen",
                "iphone se 2nd",
            ][..],
            "2nd",
        ),
        (
            &[
                "iphone se 3",
                "iphone se3",
                "iphone se 2022",
                "iphone se 3rd gen",
                "iphone se 3rd",
            ][..],
            "3rd",
        ),
    ] {
        if forms.contains(&joined.as_str()) {
            return format!("iPhone SE ({generation} gen)");
        }
    }
    joined
}

/// The digits of a name, in order: a suggestion must name the same numbers ("iphne 7" may
/// become "iPhone 7", "iphone se" never "iPhone 5s").
fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// A device's names, normalized once for lookups.
#[derive(Debug)]
pub(crate) struct DeviceNames {
    product_type: String,
    model: String,
    name: String,
    board: Option<String>,
}

impl Kb {
    fn device_names(&self) -> &[DeviceNames] {
        self.device_names.get_or_init(|| {
            self.devices
                .iter()
                .map(|d| DeviceNames {
                    product_type: normalize(&d.product_type),
                    model: normalize(&d.model),
                    name: normalize(&d.name),
                    board: d.board.as_deref().map(normalize),
                })
                .collect()
        })
    }

    /// What a person's words name: a product type, a board config (with or without the `AP`
    /// suffix), an A-number, a marketing name or a display name, ignoring case and spacing. A
    /// name several variants share ("iPhone 7", "iPad 9") gives every variant, never one of
    /// them; words that could be several models ("iPhone SE") are an error listing them.
    pub fn resolve_model(&self, query: &str) -> Result<Resolved<'_>, DeviceLookupError> {
        let query: String = query.chars().take(100).collect();
        if let Some(found) = self.known_model(&query) {
            return Ok(found);
        }
        let wanted = normalize(&ordinal_generation(&as_people_write(&query)));
        Err(DeviceLookupError {
            query: query.chars().take(60).collect(),
            candidates: self.models_starting_with(&wanted),
            suggestion: self.nearest_device_name(&wanted),
        })
    }

    /// A device for what a person typed. For words that name one variant, that row; for a
    /// model's name that several variants share, the model's stand-in: a device with the
    /// model's name and the facts every variant shares (kind, connector, sensor, DFU buttons,
    /// the modem when they agree), no board and no chip ids, whose
    /// [`Device::known_product_type`] is `None` and whose `variants` lists the candidates.
    pub fn find_device(&self, query: &str) -> Result<&Device, DeviceLookupError> {
        let found = self.resolve_model(query)?;
        Ok(self.known_device_of(&found))
    }

    /// The stand-in for what was found: its product type's, when it has one, else its model's.
    fn stand_in(&self, found: &Resolved<'_>) -> Option<&Device> {
        let all = self.stand_ins.get_or_init(|| stand_ins(&self.devices));
        match found.product_type() {
            Some(product_type) => all
                .iter()
                .find(|d| d.variants.is_empty() && d.product_type == product_type),
            None => all
                .iter()
                .find(|d| !d.variants.is_empty() && d.model == found.model),
        }
    }

    /// What the words name exactly, by a model number, or as people write them; `None`
    /// without working out suggestions (that is `resolve_model`'s error path).
    fn known_model(&self, query: &str) -> Option<Resolved<'_>> {
        self.exact_model(query)
            .or_else(|| self.resolve_model_number(query))
            .or_else(|| self.exact_model(&ordinal_generation(&as_people_write(query))))
    }

    /// The model a normal-mode USB product id names, for the ids that name one (30-pin era).
    pub fn model_by_usb_product(&self, pid: u16) -> Option<Resolved<'_>> {
        let key = format!("0x{pid:04x}");
        let named = self
            .usb_products
            .iter()
            .find_map(|table| table.models.get(&key))?;
        self.exact_model(named)
    }

    /// The product types that carry this regulatory model number (A1778), in table order.
    pub fn product_types_by_model_number(&self, text: &str) -> Vec<&str> {
        let number = text.trim().to_ascii_uppercase();
        let mut out: Vec<&str> = Vec::new();
        for table in &self.model_numbers {
            for (product_type, numbers) in &table.numbers {
                if numbers.contains(&number) && !out.contains(&product_type.as_str()) {
                    out.push(product_type);
                }
            }
        }
        out
    }

    /// The variants a regulatory model number names: one product type (A1778 is iPhone9,3),
    /// or the variants that share it (A1332: iPhone3,1 and iPhone3,2).
    fn resolve_model_number(&self, text: &str) -> Option<Resolved<'_>> {
        let product_types = self.product_types_by_model_number(text);
        let variants: Vec<&Device> = self
            .devices
            .iter()
            .filter(|d| product_types.contains(&d.product_type.as_str()))
            .collect();
        Some(Resolved {
            model: &variants.first()?.model,
            variants,
        })
    }

    /// The distinct models whose name starts with `wanted` and goes on with something other
    /// than a digit ("iphonese" → the three SE generations).
    fn models_starting_with(&self, wanted: &str) -> Vec<String> {
        if wanted.len() < 4 {
            return Vec::new();
        }
        let mut models: Vec<String> = Vec::new();
        for (d, names) in self.devices.iter().zip(self.device_names()) {
            let name = &names.model;
            // "iphone1" is not a start of "iphone11", but "iphonese" is of "iphonese2ndgen".
            let another_number = |rest: &str| {
                let digits =
                    rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                digits > 0
                    && !["st", "nd", "rd", "th"]
                        .iter()
                        .any(|o| rest[digits..].starts_with(o))
            };
            if let Some(rest) = name.strip_prefix(wanted)
                && !rest.is_empty()
                && !another_number(rest)
                && !models.contains(&d.model)
            {
                models.push(d.model.clone());
            }
        }
        models.truncate(8);
        models
    }

    /// The rows a name matches exactly: every row of a product type, the row of a board, the
    /// rows of a marketing name or of a display name.
    fn exact_model(&self, query: &str) -> Option<Resolved<'_>> {
        let wanted = normalize(query);
        let names = self.device_names();
        let pick = |matches: &dyn Fn(&DeviceNames) -> bool| -> Option<Resolved<'_>> {
            let variants: Vec<&Device> = self
                .devices
                .iter()
                .zip(names)
                .filter(|(_, n)| matches(n))
                .map(|(d, _)| d)
                .collect();
            Some(Resolved {
                model: &variants.first()?.model,
                variants,
            })
        };
        pick(&|n| n.product_type == wanted)
            .or_else(|| {
                pick(&|n| {
                    n.board.as_deref().is_some_and(|board| {
                        board == wanted || board.strip_suffix("ap") == Some(wanted.as_str())
                    })
                })
            })
            .or_else(|| pick(&|n| n.model == wanted))
            .or_else(|| pick(&|n| n.name == wanted))
    }

    /// The device a text names exactly, by a model number, or as people write them (the
    /// model's stand-in for a name several variants share).
    fn known_device(&self, query: &str) -> Option<&Device> {
        let found = self.known_model(query)?;
        Some(self.known_device_of(&found))
    }

    /// The device a free text names ("iPhone 7 Plus (A1784, iPhone9,4)", "iPhone 7 (256 GB)",
    /// "iPad 7 (10.2-inch)"): a product type if one is written, else the longest model name
    /// that occurs in it and is not followed by another digit. `None` when no known device is
    /// named; never a guess.
    pub fn device_in_text(&self, text: &str) -> Option<&Device> {
        let text: String = text.chars().take(500).collect();
        // A product type ("iPhone9,4") or a model number ("A1784") written anywhere.
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == ',')) {
            let found = if word.contains(',') {
                self.exact_model(word).and_then(|f| {
                    f.device()
                        .or_else(|| f.product_type().and(f.variants.first().copied()))
                })
            } else {
                self.resolve_model_number(word)
                    .map(|f| f.device().unwrap_or_else(|| self.known_device_of(&f)))
            };
            if found.is_some() {
                return found;
            }
        }
        // The name as a person would type it, before any note in brackets ("iPhone SE 2020
        // (128 GB)", "iPad Air 3"), then the longest known name inside the text.
        let head = text.split('(').next().unwrap_or_default().trim();
        if let Some(d) = self.known_device(head) {
            return Some(d);
        }
        let (wanted, breaks) = squeezed_with_breaks(&ordinal_generation(&text));
        let longest = self
            .devices
            .iter()
            .zip(self.device_names())
            .filter_map(|(d, names)| {
                let name = &names.model;
                // "iPhone 1" is not in "iPhone 12", but "iPhone 7" is in "iPhone 7 (256 GB)".
                wanted.match_indices(name.as_str()).find_map(|(at, _)| {
                    let end = at + name.len();
                    let runs_on = wanted[end..].starts_with(|c: char| c.is_ascii_digit())
                        && name.ends_with(|c: char| c.is_ascii_digit())
                        && !breaks.contains(&end);
                    (!runs_on).then_some((name.len(), d))
                })
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, d)| d)?;
        self.known_device(&longest.model)
    }

    /// A found set of variants as one device: the row, or the model's stand-in.
    fn known_device_of<'a>(&'a self, found: &Resolved<'a>) -> &'a Device {
        match found.device() {
            Some(device) => device,
            None => self.stand_in(found).unwrap_or(found.variants[0]),
        }
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
        let wanted_digits = digits(wanted);
        let candidates = self
            .devices
            .iter()
            .zip(self.device_names())
            .flat_map(|(d, n)| {
                [
                    Some((d.model.as_str(), n.model.as_str())),
                    Some((d.product_type.as_str(), n.product_type.as_str())),
                    d.board.as_deref().zip(n.board.as_deref()),
                ]
                .into_iter()
                .flatten()
            });
        let (distance, best) = candidates
            .filter(|(_, normal)| digits(normal) == wanted_digits)
            // A name far longer or shorter than the query cannot be a one-typo miss.
            .filter(|(_, normal)| normal.len().abs_diff(wanted.len()) <= 1 + wanted.len() / 4)
            .map(|(shown, normal)| (edit_distance(wanted, normal), shown))
            .min_by_key(|(d, _)| *d)?;
        // Allow about one typo per four characters.
        (distance <= 1 + wanted.len() / 4).then(|| best.to_owned())
    }
}

/// The stand-ins: one per product type with several rows (a dual-source chip: the product
/// type, no board), and one per model with several product types (the model's name as its
/// product type, and `variants` listing them). Each carries the facts all its rows share.
fn stand_ins(devices: &[Device]) -> Vec<Device> {
    let mut out: Vec<Device> = Vec::new();
    let stand_in = |rows: &[&Device], product_type: String, variants: Vec<String>| {
        let first = rows[0];
        Device {
            product_type,
            board: None,
            cpid: None,
            bdid: None,
            name: if variants.is_empty() {
                first.name.clone()
            } else {
                first.model.clone()
            },
            model: first.model.clone(),
            kind: first.kind,
            cellular: rows
                .iter()
                .all(|d| d.cellular == first.cellular)
                .then_some(first.cellular)
                .flatten(),
            connector: first.connector,
            biometric: first.biometric,
            dfu: first.dfu.clone(),
            variants,
        }
    };
    for first in devices {
        let rows: Vec<&Device> = devices
            .iter()
            .filter(|d| d.product_type == first.product_type)
            .collect();
        if rows.len() >= 2 && !out.iter().any(|d| d.product_type == first.product_type) {
            out.push(stand_in(&rows, first.product_type.clone(), Vec::new()));
        }
    }
    for first in devices {
        if out
            .iter()
            .any(|d| !d.variants.is_empty() && d.model == first.model)
        {
            continue;
        }
        let rows: Vec<&Device> = devices.iter().filter(|d| d.model == first.model).collect();
        let mut variants: Vec<String> = Vec::new();
        for d in &rows {
            if !variants.contains(&d.product_type) {
                variants.push(d.product_type.clone());
            }
        }
        if variants.len() >= 2 {
            out.push(stand_in(&rows, first.model.clone(), variants));
        }
    }
    out
}

/// Lower case, spaces and punctuation other than the comma dropped, "plus" kept as a word:
/// "iPhone 7 Plus" → "iphone7plus", "iphone9,3" → "iphone9,3".
fn normalize(text: &str) -> String {
    squeezed_with_breaks(text).0
}

/// The text as `normalize` squeezes it, with the byte offsets in the squeezed text where a space
/// or other separator was left out ("9.7-inch (256 GB" → "97" then a break before "256").
fn squeezed_with_breaks(text: &str) -> (String, Vec<usize>) {
    // "7+" is "7 Plus", never "7"; "12.9-inch", "12.9 inch" and "12.9" are the same iPad.
    let spaced = text
        .to_lowercase()
        .replace("inch", " ")
        .replace('+', "plus");
    let mut squeezed = String::with_capacity(spaced.len());
    let mut breaks = Vec::new();
    let mut gap = false;
    for c in spaced.chars() {
        if c.is_alphanumeric() || c == ',' {
            if gap && !squeezed.is_empty() {
                breaks.push(squeezed.len());
            }
            gap = false;
            squeezed.push(c);
        } else if c != '.' {
            // "9.7" stays one number; a space, bracket or dash separates.
            gap = true;
        }
    }
    (squeezed, breaks)
}

/// "iPad 7", "iPad Air 3", "iPad mini 5" and "iPod touch 4" as people write them → "iPad (7th
/// gen)", "iPad Air (3rd gen)", "iPad mini (5th gen)" and "iPod touch (4th gen)" as the table
/// names them ("iPod 4" is the iPod touch too).
fn ordinal_generation(text: &str) -> String {
    const LINES: [(&str, &str); 5] = [
        ("ipad air ", "iPad Air"),
        ("ipad mini ", "iPad mini"),
        ("ipad ", "iPad"),
        ("ipod touch ", "iPod touch"),
        ("ipod ", "iPod touch"),
    ];
    let lower = text.to_lowercase();
    let Some((line, rest)) = LINES
        .iter()
        .find_map(|(prefix, line)| lower.strip_prefix(prefix).map(|rest| (line, rest)))
    else {
        return text.to_owned();
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u32>() {
        // "ipad 9" and "ipad 9 wifi", but not "ipad 9th gen" (already ordinal) or "ipad 10.2".
        Ok(n @ 1..=20)
            if !rest[digits.len()..]
                .starts_with(|c: char| c == '.' || c == ',' || c.is_alphabetic()) =>
        {
            let suffix = match n {
                1 => "st",
                2 => "nd",
                3 => "rd",
                _ => "th",
            };
            format!("{line} ({n}{suffix} gen){}", &rest[digits.len()..])
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
    fn an_ipad_is_called_an_ipad_and_an_iphone_stays_an_iphone() {
        let text = "Phone locked? Unlock the phone; the phone's port, two phones, an iPhone, headphones, a phonebook.";
        assert_eq!(
            DeviceKind::Ipad.reword(text),
            "iPad locked? Unlock the iPad; the iPad's port, two iPads, an iPhone, headphones, a phonebook."
        );
        assert_eq!(
            DeviceKind::Ipod.reword("Connect the phone."),
            "Connect the iPod."
        );
        assert_eq!(DeviceKind::Iphone.reword(text), text);
        assert_eq!(DeviceKind::Ipad.reword("phone"), "iPad");
        assert_eq!(
            DeviceKind::Ipad.reword("日本のphone、ok"),
            "日本のphone、ok"
        );
        assert_eq!(DeviceKind::Ipad.reword("(phone)"), "(iPad)");
    }

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
        assert_eq!(normalize("iPad Pro 11-inch (M4)"), "ipadpro11m4");
    }

    #[test]
    fn a_device_is_found_in_the_way_reports_write_it() {
        let kb = crate::Kb::embedded().unwrap();
        let model = |text: &str| kb.device_in_text(text).map(|d| d.model.as_str());
        assert_eq!(model("iPhone 7 (256 GB)"), Some("iPhone 7"));
        assert_eq!(
            model("iPad Pro 9.7-inch (256 GB, cellular)"),
            Some("iPad Pro 9.7-inch")
        );
        assert_eq!(model("iPad 7 (10.2-inch)"), Some("iPad (7th gen)"));
        assert_eq!(
            model("iPhone 7 Plus (A1784, iPhone9,4)"),
            Some("iPhone 7 Plus")
        );
        assert_eq!(model("iPhone 12"), Some("iPhone 12"));
        assert_eq!(model("iPhone (model not stated)"), None);
        assert_eq!(model("iPhone SE 2020"), Some("iPhone SE (2nd gen)"));
        assert_eq!(model("iPad Air 3"), Some("iPad Air (3rd gen)"));
        assert_eq!(model("iPad Air 2 (Wi-Fi)"), Some("iPad Air 2"));
        assert_eq!(model("iPad mini 5"), Some("iPad mini (5th gen)"));
        assert_eq!(model("customer's A1778"), Some("iPhone 7"));
    }
}
