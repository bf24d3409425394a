//! Real cases as people report them (the `cases.jsonl` shape): what each outcome means in the
//! engine's terms, and the reading of their free text into observations and tried actions.

use serde::{Deserialize, Serialize};

use crate::{Device, Kb, Observation};

/// Which kind of fix an outcome was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeGroup {
    /// Cable, ports, hubs, another computer.
    Connection,
    /// The computer's software, the network, signing, or the phone's own software.
    Software,
    /// A part inside the phone, fixed or replaced by a shop.
    Hardware,
    /// Nothing in the report fixed it.
    Unresolved,
}

impl OutcomeGroup {
    pub fn id(self) -> &'static str {
        match self {
            OutcomeGroup::Connection => "connection",
            OutcomeGroup::Software => "software",
            OutcomeGroup::Hardware => "hardware",
            OutcomeGroup::Unresolved => "unresolved",
        }
    }
}

/// What a `resolved_by` value means: the cause it reveals and the actions that count as it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// A `resolved_by` value, or a prefix of one.
    pub id: String,
    /// Other spellings of the same outcome, matched the same way ("other:updated-itunes").
    #[serde(default)]
    pub also: Vec<String>,
    pub cause: Option<String>,
    pub actions: Vec<String>,
    pub group: OutcomeGroup,
}

/// The part of a case a phrase rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseField {
    Tried,
    Symptoms,
    Host,
}

/// A phrase that turns a piece of a case's text into evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phrase {
    pub field: CaseField,
    pub any: Vec<String>,
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub none: Vec<String>,
    pub failed: Option<String>,
    pub cannot: Option<String>,
    /// "question=answer".
    pub observe: Option<String>,
}

impl Phrase {
    /// Whether the rule reads this text (already in `phrase_form`).
    fn matches(&self, text: &str) -> bool {
        self.any.iter().any(|s| occurs(text, s))
            && self.all.iter().all(|s| occurs(text, s))
            && !self.none.iter().any(|s| occurs(text, s))
    }

    /// The observation this rule sets, split into question and answer.
    pub fn observation(&self) -> Option<Observation> {
        let (q, a) = self.observe.as_deref()?.split_once('=')?;
        Some(Observation::new(q, a))
    }
}

/// Text the way phrases are compared: lower case, with hyphens, slashes and underscores read
/// as spaces, typographic quotes as plain ones and runs of white space as one space, so that
/// "Boot-loop", "boot loop" and "boot  loop" read alike. Phrases in the kb are written in
/// this form (the validator checks it).
pub fn phrase_form(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = false;
    for ch in text.chars().flat_map(char::to_lowercase) {
        let ch = match ch {
            '-' | '_' | '/' | '\u{2010}'..='\u{2015}' => ' ',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if ch == ' ' && last_space {
            continue;
        }
        last_space = ch == ' ';
        out.push(ch);
    }
    out
}

/// Whether `phrase` occurs in `text` where a word starts (a phrase that begins with a letter
/// or digit does not match inside a word: "restore" is not read in "idevicerestore", nor
/// "isp" in "display"); it may end inside one ("cable" reads "cables").
fn occurs(text: &str, phrase: &str) -> bool {
    let starts_word = phrase.chars().next().is_some_and(char::is_alphanumeric);
    text.match_indices(phrase).any(|(i, _)| {
        !starts_word
            || text[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// The first error number a text names after the word "error" ("error 4013", "Error (-1)",
/// "error: 9"), else the code of a dialog quoted in it, in any language the code reader knows.
fn code_in_text(kb: &Kb, text: &str) -> Option<i64> {
    code_after_error_word(text).or_else(|| kb.dialog_code(text).map(|d| d.code))
}

/// The number right after the English word "error", if any.
fn code_after_error_word(text: &str) -> Option<i64> {
    let lower = text.to_lowercase();
    lower.match_indices("error").find_map(|(at, word)| {
        // "errors 21 and 4013", "error code 4013", "an unknown error occurred (4013)".
        let separators = [' ', ':', '(', '#', '='];
        let after = &lower[at + word.len()..];
        let rest = after
            .strip_prefix('s')
            .unwrap_or(after)
            .trim_start_matches(separators);
        let rest = ["code", "occurred", "number", "no."]
            .iter()
            .find_map(|filler| rest.strip_prefix(filler))
            .unwrap_or(rest)
            .trim_start_matches(separators);
        // A Windows code in hexadecimal ("error 0xE8000015").
        if rest.starts_with("0x") {
            let token: String = rest
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            return crate::parse_code(&token).ok();
        }
        let (sign, digits) = match rest.strip_prefix('-') {
            Some(after) => (-1, after),
            None => (1, rest),
        };
        let number: String = digits.chars().take_while(char::is_ascii_digit).collect();
        if number.is_empty() || number.len() > 5 {
            return None;
        }
        number.parse::<i64>().ok().map(|n| sign * n)
    })
}

/// How sure the reporter is of the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    /// The word a record and the case store use.
    pub fn id(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }

    /// The confidence a stored word names, if any.
    pub fn from_id(id: &str) -> Option<Confidence> {
        [Confidence::High, Confidence::Medium, Confidence::Low]
            .into_iter()
            .find(|c| c.id() == id)
    }

    /// How much a case with this confidence teaches, as a share of a sure one.
    pub fn weight(self) -> f64 {
        match self {
            Confidence::High => 1.0,
            Confidence::Medium => 0.7,
            Confidence::Low => 0.4,
        }
    }
}

/// One real failed restore and how it ended (one line of `cases.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealCase {
    pub id: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub symptoms: Vec<String>,
    #[serde(default)]
    pub tried_without_success: Vec<String>,
    pub resolved_by: String,
    #[serde(default)]
    pub resolved_by_text: Option<String>,
    pub confidence: Confidence,
}

/// A line of a cases file that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CaseLineError {
    pub line: usize,
    pub message: String,
}

/// The most lines a cases file may have; more is refused rather than read without end.
pub const MAX_CASE_LINES: usize = 100_000;

/// The longest line of a cases file. A case is a few hundred bytes; a line of megabytes is
/// refused at once rather than read through every phrase rule.
pub const MAX_CASE_LINE: usize = 64 * 1024;

/// Reads a cases file, one JSON object a line, each case with its line number (from 1). Blank
/// lines are skipped; a UTF-8 byte-order mark and CRLF line ends (as Windows Notepad saves a
/// file) are read as any other. The first line that is too long or not a case is the error.
pub fn parse_case_lines(text: &str) -> Result<Vec<(usize, RealCase)>, CaseLineError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |message: String| CaseLineError {
            line: i + 1,
            message,
        };
        if i >= MAX_CASE_LINES {
            return Err(at(format!("more than {MAX_CASE_LINES} lines")));
        }
        if line.len() > MAX_CASE_LINE {
            return Err(at(format!(
                "longer than {} KB; a case is one short JSON object",
                MAX_CASE_LINE >> 10
            )));
        }
        if line.trim().is_empty() {
            continue;
        }
        let case = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
        cases.push((i + 1, case));
    }
    Ok(cases)
}

/// [`parse_case_lines`] without the line numbers.
pub fn parse_cases(text: &str) -> Result<Vec<RealCase>, CaseLineError> {
    Ok(parse_case_lines(text)?
        .into_iter()
        .map(|(_, case)| case)
        .collect())
}

/// A case read into the engine's vocabulary: what it knew before the real fix.
#[derive(Debug, Clone, Default)]
pub struct CaseReading<'kb> {
    pub code: Option<i64>,
    pub device: Option<&'kb Device>,
    pub observations: Vec<Observation>,
    pub failed: Vec<String>,
    pub cannot: Vec<String>,
}

impl Kb {
    /// What a `resolved_by` value means (the longest matching id), if the kb knows it.
    pub fn resolution(&self, resolved_by: &str) -> Option<&Resolution> {
        let wanted = resolved_by.trim();
        self.resolutions
            .iter()
            .flat_map(|r| std::iter::once(&r.id).chain(&r.also).map(move |id| (id, r)))
            .filter(|(id, _)| {
                wanted
                    .get(..id.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(id))
            })
            .max_by_key(|(id, _)| id.len())
            .map(|(_, r)| r)
    }

    /// Reads a real case's code, device and text into evidence. For each question the answer
    /// of the latest rule in the table wins (the table lists stronger readings later); an
    /// action is listed once.
    pub fn read_case(&self, case: &RealCase) -> CaseReading<'_> {
        let mut reading = CaseReading {
            // A report without the code field may still name it: "error 56 on every restore".
            code: case.error_code.or_else(|| {
                case.symptoms.iter().find_map(|s| {
                    code_in_text(self, s).filter(|&c| self.lookup_code(c).category.is_some())
                })
            }),
            // "iPhone 7 / 7 Plus": the first device named.
            device: case
                .device
                .as_deref()
                .and_then(|d| d.split('/').find_map(|part| self.device_in_text(part))),
            ..CaseReading::default()
        };
        let mut set_by: Vec<(String, usize)> = Vec::new();
        let host: Vec<String> = case.host.iter().cloned().collect();
        let fields: [(CaseField, &[String]); 3] = [
            (CaseField::Host, &host),
            (CaseField::Symptoms, &case.symptoms),
            (CaseField::Tried, &case.tried_without_success),
        ];
        for (field, items) in fields {
            for item in items {
                let text = phrase_form(item);
                for (index, rule) in self.phrases.iter().enumerate() {
                    if rule.field != field || !rule.matches(&text) {
                        continue;
                    }
                    if let Some(o) = rule.observation() {
                        let earlier = set_by.iter().find(|(q, _)| *q == o.question);
                        if earlier.is_none_or(|(_, i)| *i <= index) {
                            set_by.retain(|(q, _)| *q != o.question);
                            set_by.push((o.question.clone(), index));
                            reading.observations.retain(|x| x.question != o.question);
                            reading.observations.push(o);
                        }
                    }
                    for (id, list) in [
                        (&rule.failed, &mut reading.failed),
                        (&rule.cannot, &mut reading.cannot),
                    ] {
                        if let Some(id) = id
                            && !list.contains(id)
                        {
                            list.push(id.clone());
                        }
                    }
                }
            }
        }
        reading
    }
}

#[cfg(test)]
mod tests {
    use super::{code_in_text, occurs, phrase_form};
    use crate::{CaseReading, Kb};

    fn reading(host: &str, symptom: &str, tried: &str) -> CaseReading<'static> {
        let line = serde_json::json!({
            "id": "t", "host": host, "symptoms": [symptom], "tried_without_success": [tried],
            "resolved_by": "unresolved", "confidence": "high"
        });
        let case = serde_json::from_value(line).unwrap();
        Kb::embedded().unwrap().read_case(&case)
    }

    fn failed(symptom: &str, tried: &str) -> Vec<String> {
        reading("", symptom, tried).failed
    }

    /// The observations read, as "question=answer".
    fn observed(symptom: &str, tried: &str) -> Vec<String> {
        reading("", symptom, tried)
            .observations
            .iter()
            .map(|o| format!("{}={}", o.question, o.answer))
            .collect()
    }

    /// The answer the host line gives to a question.
    fn host_says(host: &str, question: &str) -> Option<String> {
        reading(host, "", "")
            .observations
            .into_iter()
            .find(|o| o.question == question)
            .map(|o| o.answer)
    }

    fn host_os(host: &str) -> Option<String> {
        host_says(host, "host-os")
    }

    #[test]
    fn text_is_compared_in_one_form_and_from_the_start_of_a_word() {
        assert_eq!(
            phrase_form("Boot-Loop  after\tthe OTA\u{2019}s"),
            "boot loop after the ota's"
        );
        assert_eq!(
            phrase_form("support.apple.com/iphone/restore"),
            "support.apple.com iphone restore"
        );
        assert!(occurs("tried 3 cables", "cable"));
        assert!(!occurs("updated idevicerestore", "restore"));
        assert!(!occurs("a new display", "isp"));
        assert!(occurs("a pc", " pc"));
    }

    #[test]
    fn an_error_number_is_read_from_the_text_when_the_code_field_is_empty() {
        let kb = Kb::embedded().unwrap();
        assert_eq!(code_in_text(kb, "error 56 on every restore"), Some(56));
        assert_eq!(code_in_text(kb, "iTunes: unknown error (-1)"), Some(-1));
        assert_eq!(code_in_text(kb, "Error: 4013 again"), Some(4013));
        assert_eq!(code_in_text(kb, "Verification Error"), None);
        assert_eq!(
            code_in_text(
                kb,
                "The iPhone could not be restored. An unknown error occurred (4013)."
            ),
            Some(4013)
        );
        assert_eq!(code_in_text(kb, "iTunes error code 3194"), Some(3194));
        assert_eq!(
            code_in_text(kb, "errors 21, 2006 and 4013 on a Mac"),
            Some(21)
        );
        assert_eq!(code_in_text(kb, "an error occurred while updating"), None);
        assert_eq!(code_in_text(kb, "errors everywhere"), None);
        assert_eq!(
            code_in_text(kb, "iTunesで「不明なエラーが発生しました（4013）。」と出る"),
            Some(4013)
        );
        assert_eq!(code_in_text(kb, "tried 3 cables (2 of them new)"), None);
        assert_eq!(
            code_in_text(kb, "iTunes error 0xE8000015 when connecting"),
            Some(0xE800_0015)
        );
        assert_eq!(code_in_text(kb, "error 0xZZ"), None);
        assert_eq!(code_in_text(kb, "error 123456789012345678901"), None);
        assert_eq!(
            reading("", "restore ends with error 4013", "").code,
            Some(4013)
        );
        assert_eq!(reading("", "restore ends with error 77777", "").code, None);
    }

    /// How people who did not write this kb describe what they tried: each is read as the
    /// action it names.
    #[test]
    fn common_ways_of_saying_what_was_tried_are_read() {
        for (tried, action) in [
            ("restored in DFU mode", "dfu-restore"),
            ("factory restore via iTunes", "recovery-restore"),
            ("three different cables", "swap-cable"),
            ("a USB 2.0 port", "change-port"),
            ("a friend's laptop", "different-computer"),
            ("second PC", "different-computer"),
            ("reinstalled iTunes", "update-host-software"),
            ("updated Windows", "update-host-software"),
            ("turned off the firewall", "disable-security-software"),
            ("a different wifi network", "check-network"),
            ("hard reset", "restart-both"),
            ("Update option in Finder", "try-update-instead"),
            ("toothpick in the port", "clean-device-port"),
            ("connected directly without a hub", "remove-hub"),
            ("updated idevicerestore", "update-restore-tool"),
            ("Tenorshare ReiBoot", "switch-restore-tool"),
            ("charged it on a wall charger overnight", "charge-device"),
            ("update macOS to the latest", "update-host-software"),
            ("RecBoot exit recovery", "exit-recovery-mode"),
            ("irecovery -n", "exit-recovery-mode"),
            ("tried on my wife's laptop", "different-computer"),
            ("a work computer", "different-computer"),
            ("restored on a Windows PC as well", "different-computer"),
            ("another lightning cord", "swap-cable"),
            ("a different USB slot", "change-port"),
            ("the USB-C port on the other side", "change-port"),
            ("plugged into the back of the tower", "change-port"),
            (
                "tried to kick it out of recovery with TinyUmbrella",
                "exit-recovery-mode",
            ),
        ] {
            let read = failed("", tried);
            assert!(read.iter().any(|a| a == action), "{tried}: {read:?}");
        }
        // What the symptoms say was tried, and what a remedy says happened.
        assert!(failed("DFU restore quits with 4013", "").contains(&"dfu-restore".into()));
        assert!(!failed("could not enter DFU, restore fails", "").contains(&"dfu-restore".into()));
        assert!(failed("power cycling did nothing", "").contains(&"restart-both".into()));
        assert!(observed("", "silica gel drying for days").contains(&"liquid-exposure=yes".into()));
        // A tool's name is not a restore tried, and a hub taken out is not a hub in between.
        assert!(!failed("", "updated idevicerestore").contains(&"recovery-restore".into()));
        assert!(!failed("", "update macOS to the latest").contains(&"try-update-instead".into()));
        assert!(observed("", "connected directly without a hub").is_empty());
        // Another cable is not another port, and the same port is not another.
        assert!(!failed("", "a different USB cable").contains(&"change-port".into()));
        assert!(!failed("", "the same USB slot again").contains(&"change-port".into()));
    }

    #[test]
    fn common_ways_of_describing_symptoms_are_read() {
        for (symptom, expected) in [
            ("dropped in the toilet", "liquid-exposure=yes"),
            ("spilled coffee on it", "liquid-exposure=yes"),
            ("IMEI shows unknown", "no-service=yes"),
            ("keeps rebooting", "boot-loop=yes"),
            ("stuck on the Apple logo", "boot-loop=yes"),
            ("screen shows laptop and cable", "device-mode=recovery"),
            ("black screen but recognised by iTunes", "device-mode=dfu"),
            ("error 4013 again", "error-repeats=yes"),
            ("restore stops at 90%", "failed-phase=restore-os"),
            (
                "stuck at 'Preparing iPhone for restore'",
                "failed-phase=recovery-boot",
            ),
            (
                "fails when 'Updating iPhone firmware'",
                "failed-phase=firmware",
            ),
            (
                "phone disappears from iTunes mid-restore",
                "disconnect-during-restore=yes",
            ),
            ("screen was replaced at a kiosk", "repaired-before=parts"),
            ("iOS update interrupted", "mode-entered-by=failed-update"),
            (
                "iPhone XS restores fine on the same setup",
                "other-device-same-setup=yes",
            ),
            (
                "my other iPhone works with this cable",
                "other-device-same-setup=yes",
            ),
            (
                "another iPhone also fails on this Mac",
                "other-device-same-setup=no",
            ),
            (
                "owner had an iCloud backup from last week",
                "backup-available=yes",
            ),
            ("photos were never backed up", "backup-available=no"),
            ("phone stays in recovery", "device-mode=recovery"),
            (
                "after the failed restore it rebooted to normal mode",
                "device-mode=normal",
            ),
            (
                "worked fine until the iOS 9 update",
                "mode-entered-by=failed-update",
            ),
        ] {
            let read = observed(symptom, "");
            assert!(read.iter().any(|o| o == expected), "{symptom}: {read:?}");
        }
        // Words that only look alike stay unread.
        for symptom in [
            "USB connection dropped out",
            "battery at 5%",
            "fails at 'Verifying iPhone restore'",
            "worked one day, failed the next on the same setup",
        ] {
            let read = observed(symptom, "");
            let misread = [
                "liquid-exposure",
                "failed-phase",
                "device-mode",
                "other-device-same-setup",
            ];
            assert!(
                read.iter()
                    .all(|o| !misread.iter().any(|q| o.starts_with(q))),
                "{symptom}: {read:?}"
            );
        }
    }

    #[test]
    fn the_computer_is_read_from_the_host_line() {
        assert_eq!(
            host_os("Windows 10 idevicerestore").as_deref(),
            Some("windows")
        );
        assert_eq!(host_os("iTunes on PC").as_deref(), Some("windows"));
        assert_eq!(
            host_os("macOS idevicerestore on MacBook Pro M2").as_deref(),
            Some("mac")
        );
        assert_eq!(host_os("Linux idevicerestore").as_deref(), Some("linux"));
        // Two computers, or none named, say nothing.
        assert_eq!(host_os("Mac and Windows PC (iTunes/Finder)"), None);
        assert_eq!(host_os("iTunes (PC or Mac)"), None);
        assert_eq!(host_os("iTunes"), None);
    }

    #[test]
    fn call_audio_a_filtered_network_and_named_antivirus_are_read() {
        for symptom in [
            "microphone did not work in calls before the update",
            "callers couldn't hear me for weeks",
        ] {
            assert!(
                observed(symptom, "").contains(&"speaker-greyed=yes".to_owned()),
                "{symptom}"
            );
        }
        assert!(
            observed("company network with proxy", "")
                .contains(&"network-restricted=yes".to_owned())
        );
        assert!(
            !observed("no proxy, no VPN", "")
                .iter()
                .any(|o| o.starts_with("network-restricted"))
        );
        assert_eq!(
            host_says("work laptop, Windows 11", "network-restricted").as_deref(),
            Some("yes")
        );
        assert_eq!(
            failed("", "Kaspersky paused"),
            vec!["disable-security-software"]
        );
        assert!(
            observed("Face ID stopped working after a drop", "")
                .contains(&"face-id-failed=yes".to_owned())
        );
        // Words that only look like a step stay with their own step.
        assert_eq!(failed("", "hosts file is clean"), vec!["check-hosts-file"]);
        assert_eq!(failed("", "3uTools update"), vec!["update-restore-tool"]);
        assert_eq!(
            host_says("iTunes through a USB hub on the monitor", "hub-in-path").as_deref(),
            Some("yes")
        );
        assert!(
            observed("update was started over Wi-Fi and the phone got stuck", "")
                .contains(&"mode-entered-by=failed-update".to_owned())
        );
        assert!(
            failed("", "average cable")
                .iter()
                .all(|a| a != "disable-security-software")
        );
    }

    #[test]
    fn outcomes_are_read_in_their_other_spellings() {
        let kb = Kb::embedded().unwrap();
        let read = |resolved_by: &str| {
            kb.resolution(resolved_by)
                .map(|r| (r.cause.clone().unwrap_or_default(), r.actions[0].clone()))
        };
        let expect = |cause: &str, action: &str| Some((cause.to_owned(), action.to_owned()));
        assert_eq!(
            read("other:updated-itunes-to-12.13"),
            expect("host-software", "update-host-software")
        );
        // "other:update" alone is still the Update-instead-of-Restore step.
        assert_eq!(
            read("other:update-from-recovery"),
            expect("firmware-state", "try-update-instead")
        );
        assert_eq!(
            read("Other:Another-Computer"),
            expect("host-computer", "different-computer")
        );
        assert_eq!(read("other:new-cable"), expect("cable", "swap-cable"));
        assert_eq!(
            read("other:dock-connector-replaced"),
            expect("device-port", "professional-repair")
        );
        assert_eq!(
            read("other:hosts-entry-removed"),
            expect("hosts-file", "check-hosts-file")
        );
        assert_eq!(read("other:something-new"), None);
    }

    #[test]
    fn a_system_its_maker_no_longer_updates_is_read_as_out_of_date() {
        let up_to_date = |host| host_says(host, "host-up-to-date");
        for old in [
            "macOS High Sierra, Legacy iOS Kit",
            "iTunes on Windows 7",
            "Mac OS X 10.6.8",
            "macOS Big Sur VM, idevicerestore",
        ] {
            assert_eq!(up_to_date(old).as_deref(), Some("no"), "{old}");
        }
        assert_eq!(
            up_to_date("fully updated MacBook, Finder").as_deref(),
            Some("yes")
        );
        // A current system's name does not say its updates are in; Windows 10 still gets
        // updates for many; an unnamed system says nothing.
        assert_eq!(up_to_date("macOS Tahoe via USB-C to USB-A adapter"), None);
        assert_eq!(up_to_date("Windows 10 idevicerestore"), None);
        assert_eq!(up_to_date("computer (iTunes/Finder)"), None);
        assert_eq!(
            up_to_date("Mac that is not up to date").as_deref(),
            Some("no")
        );
    }

    #[test]
    fn a_restore_tool_is_read_from_the_computer_line() {
        let tool = |host| host_says(host, "restore-tool");
        for (host, answer) in [
            ("n1ghtshade on macOS Mojave", "other"),
            ("Legacy iOS Kit on Ubuntu 22.04", "other"),
            ("downr1n on a MacBook", "other"),
            ("FutureRestore GUI on Linux", "futurerestore"),
            ("Windows 10 idevicerestore (self-built)", "idevicerestore"),
            ("iTunes on PC, plus FonePaw", "itunes"),
            ("Mac, Finder", "finder"),
        ] {
            assert_eq!(tool(host).as_deref(), Some(answer), "{host}");
        }
        assert_eq!(tool("a Windows laptop"), None);
    }

    #[test]
    fn a_notepad_file_with_a_byte_order_mark_and_crlf_is_read_with_its_line_numbers() {
        let line = r#"{"id":"n1","resolved_by":"computer-port","confidence":"high"}"#;
        let text = format!("\u{feff}{line}\r\n\r\n{line}\r\n");
        let cases = super::parse_case_lines(&text).unwrap();
        let lines: Vec<usize> = cases.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, [1, 3]);
        assert_eq!(cases[0].1.id, "n1");
    }

    #[test]
    fn an_enormous_line_is_refused_by_its_number_without_being_parsed() {
        let huge = format!("{{\"id\":\"{}\"}}", "x".repeat(super::MAX_CASE_LINE));
        let text = format!("\n{huge}\n");
        let error = super::parse_case_lines(&text).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("longer than 64 KB"), "{error}");
    }
}
