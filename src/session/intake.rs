//! How a session learns what it starts from: a look at USB, recent restore logs, and the
//! model and error code asked of the person — each written into the ledger with its source.

use std::io;
use std::path::PathBuf;

use case::{Ledger, Subject};
use kb::{EvidenceSource, Kb};
use usb::source::DeviceSource;

use crate::ops::evidence;
use crate::output;
use crate::session::prompter::{Choice, Prompter};

/// What the person did with a question.
pub enum Asked<T> {
    Value(T),
    Stop,
}

/// Looks at USB once: with exactly one Apple device attached, its model, port, hubs, chip id
/// and what USB says about the link become evidence. Returns a line telling the person what
/// was seen, and whether USB could be read at all.
pub fn look_at_usb(kb: &Kb, source: &dyn DeviceSource, ledger: &mut Ledger) -> (String, bool) {
    let devices = match source.snapshot(kb) {
        Ok(devices) => devices,
        Err(e) => {
            // No bus to read (a container, a VM, Windows with Apple's driver): usbmuxd may
            // still know a phone in normal mode, with its model from lockdown.
            let note = match source.is_live().then(|| crate::usbmux_view::devices(kb)) {
                Some(Ok(phones)) if phones.len() == 1 => look_at_usbmux(&phones[0], ledger),
                _ => format!("(USB not checked: {e}.)"),
            };
            return (note, false);
        }
    };
    let note = match devices.as_slice() {
        [] => "No iPhone or iPad is visible on USB right now.".to_owned(),
        [device] => {
            evidence::usb_look(
                kb,
                ledger,
                &devices,
                device,
                source.is_live(),
                source.on_this_computer(),
            );
            let model = device
                .name
                .clone()
                .unwrap_or_else(|| "an Apple device".to_owned());
            let speed = device
                .speed
                .map(|s| format!(", {} Mb/s", s.mbps()))
                .unwrap_or_default();
            let hubs = match device.external_hubs() {
                0 => ", straight into the computer".to_owned(),
                n => format!(", through {n} hub(s)"),
            };
            let port = device
                .usb_path
                .as_deref()
                .map(|p| format!(" on port {p}"))
                .unwrap_or_default();
            format!(
                "Found on USB: {model} in {} mode{port}{speed}{hubs}.",
                device.mode.id()
            )
        }
        many => format!(
            "{} Apple devices are on USB; unplug the others so I can tell which one to look at.",
            many.len()
        ),
    };
    (note, true)
}

/// What usbmuxd (and the phone's lockdown) told about the one phone it knows, as evidence.
fn look_at_usbmux(phone: &usb::AppleDevice, ledger: &mut Ledger) -> String {
    if let Some(product_type) = &phone.product_type {
        ledger.add(Subject::Model, product_type.clone(), EvidenceSource::Usbmux);
    }
    ledger.observe(
        &kb::Observation::new("device-mode", "normal"),
        EvidenceSource::Usbmux,
    );
    ledger.device.ecid = phone.ecid.or(ledger.device.ecid);
    let model = phone
        .name
        .clone()
        .unwrap_or_else(|| "an Apple device".to_owned());
    let version = phone
        .os_version
        .as_deref()
        .map(|v| format!(" on iOS {v}"))
        .unwrap_or_default();
    format!("usbmuxd knows {model}{version}, in normal mode (USB itself could not be read here).")
}

/// Offers to read recent restore logs; their code, answers and findings go into the ledger as
/// the log's. Returns `None` when the person stops.
pub fn read_recent_logs(
    kb: &Kb,
    prompter: &mut dyn Prompter,
    files: &[PathBuf],
    ledger: &mut Ledger,
) -> io::Result<Option<()>> {
    let Some(newest) = files.first() else {
        return Ok(Some(()));
    };
    let options = [
        Choice::new("read", "Yes, read them"),
        Choice::new("no", "No"),
    ];
    let prompt = format!(
        "I found {} restore log(s) from the last week (newest: {}). Read them for clues?",
        files.len(),
        file_name(newest)
    );
    match prompter.choose(&prompt, &options)? {
        None => return Ok(None),
        Some(1) => return Ok(Some(())),
        Some(_) => {}
    }
    for path in files {
        let Ok(file) = std::fs::File::open(path) else {
            continue;
        };
        let Ok(report) = logs::analyze_reader(kb, file, &mut |_| {}) else {
            continue;
        };
        let name = file_name(path);
        if let Some(code) = report.final_code
            && ledger.code().is_none()
        {
            let phase = report.phase.map_or("phase not shown", |p| p.id());
            prompter.say(&format!(
                "  {name}: error {} ({phase})",
                kb::display_code(code)
            ))?;
        }
        evidence::log_report(ledger, &report, &name);
    }
    Ok(Some(()))
}

/// A log's file name only: the folders above it can hold the person's user name.
fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map_or_else(|| "a log".to_owned(), |n| n.to_string_lossy().into_owned())
}

pub fn ask_model<'kb>(
    kb: &'kb Kb,
    prompter: &mut dyn Prompter,
) -> io::Result<Asked<Option<&'kb kb::Device>>> {
    let mut prompt = "Which iPhone or iPad is it? Type its name (iPhone 7), product type (iPhone9,3) or board (D101AP); press Enter if you don't know.".to_owned();
    for _ in 0..5 {
        let Some(answer) = prompter.text(&prompt)? else {
            return Ok(Asked::Stop);
        };
        if answer.is_empty() {
            return Ok(Asked::Value(None));
        }
        let found = match kb.find_device(&answer) {
            Ok(device) => Some(device),
            // Words that fit several models ("iPhone SE"): the person picks one by number.
            Err(e) if e.candidates.len() >= 2 => {
                let mut options: Vec<Choice> = e
                    .candidates
                    .iter()
                    .map(|c| Choice::new(c.clone(), c.clone()))
                    .collect();
                options.push(Choice::new("none", "None of these"));
                let asked = format!("'{}' could be one of these. Which is it?", e.query);
                match prompter.choose(&asked, &options)? {
                    None => return Ok(Asked::Stop),
                    Some(i) => match e.candidates.get(i) {
                        Some(model) => kb.find_device(model).ok(),
                        None => None,
                    },
                }
            }
            Err(e) => {
                prompt = format!(
                    "{}. Try again, or press Enter to go on without the model.",
                    upper_first(&e.to_string())
                );
                continue;
            }
        };
        let Some(device) = found else {
            prompt =
                "Type the model's name, product type or board, or press Enter to go on without it."
                    .to_owned();
            continue;
        };
        return match pick_variant(kb, device, prompter)? {
            Asked::Value(device) => {
                prompter.say(&model_line(device))?;
                Ok(Asked::Value(Some(device)))
            }
            Asked::Stop => Ok(Asked::Stop),
        };
    }
    Ok(Asked::Value(None))
}

/// A model whose variants differ in what the plan weighs (a modem: Wi-Fi or Wi-Fi + Cellular)
/// is asked about; otherwise the model stands, and no variant is picked for the person.
fn pick_variant<'kb>(
    kb: &'kb Kb,
    device: &'kb kb::Device,
    prompter: &mut dyn Prompter,
) -> io::Result<Asked<&'kb kb::Device>> {
    let variants: Vec<&kb::Device> = device
        .variants
        .iter()
        .filter_map(|p| kb.find_device(p).ok())
        .collect();
    let modems: Vec<Option<bool>> = variants.iter().map(|v| v.has_modem()).collect();
    if device.has_modem().is_some()
        || !modems.contains(&Some(true))
        || !modems.contains(&Some(false))
    {
        return Ok(Asked::Value(device));
    }
    let mut options = vec![
        Choice::new("wifi", "Wi-Fi only (no SIM tray)"),
        Choice::new("cellular", "Wi-Fi + Cellular (it has a SIM tray or eSIM)"),
    ];
    options.push(Choice::new("unknown", "I don't know"));
    let asked = format!(
        "Is your {} the Wi-Fi or the Wi-Fi + Cellular model?",
        device.model
    );
    Ok(match prompter.choose(&asked, &options)? {
        None => Asked::Stop,
        Some(i) if i < 2 => {
            let cellular = i == 1;
            let picked: Vec<&kb::Device> = variants
                .iter()
                .copied()
                .filter(|v| v.has_modem() == Some(cellular))
                .collect();
            Asked::Value(match picked.as_slice() {
                [one] => one,
                _ => device,
            })
        }
        Some(_) => Asked::Value(device),
    })
}

/// The model as understood, in words: its product type when one variant is known.
fn model_line(device: &kb::Device) -> String {
    match device.known_product_type() {
        Some(product_type) => format!(
            "  {} ({product_type}, {}).",
            device.model,
            device.connector.id()
        ),
        None => format!(
            "  {} ({}; which one does not change what to try first).",
            device.model,
            device.variants.join(" or ")
        ),
    }
}

/// What the person gave at the error prompt.
pub enum ErrorAnswer {
    /// An error number (typed, or found in what they pasted).
    Code(i64),
    /// A message a restore tool or Apple's dialog prints, read as a log line: what it says
    /// about the phase and the failure becomes evidence.
    Message(Box<logs::LogReport>),
    /// Nothing (Enter).
    Nothing,
}

/// Asks for the error number; a pasted message the log reader knows is taken as evidence and
/// said in words, anything else is asked again with what was wrong.
pub fn ask_error_code(
    kb: &Kb,
    prompter: &mut dyn Prompter,
    prompt: &str,
) -> io::Result<Asked<ErrorAnswer>> {
    let mut prompt = prompt.to_owned();
    for _ in 0..5 {
        let Some(answer) = prompter.text(&prompt)? else {
            return Ok(Asked::Stop);
        };
        if answer.is_empty() {
            return Ok(Asked::Value(ErrorAnswer::Nothing));
        }
        let not_a_code = match kb::parse_code(&answer) {
            Ok(code) => return Ok(Asked::Value(ErrorAnswer::Code(code))),
            Err(e) => e,
        };
        let report = logs::analyze_text(kb, &answer);
        if let Some(code) = report.final_code {
            return Ok(Asked::Value(ErrorAnswer::Code(code)));
        }
        if !report.kb_observations().is_empty() {
            prompter.say(&output::wrap(&message_words(&report), "  "))?;
            return Ok(Asked::Value(ErrorAnswer::Message(Box::new(report))));
        }
        prompt = format!(
            "{}, nor a message I know. Type the number (4013), paste the whole line the tool printed, or press Enter to go on without it.",
            upper_first(&not_a_code.to_string())
        );
    }
    Ok(Asked::Value(ErrorAnswer::Nothing))
}

/// A pasted message in words: whose it is, when it failed and what that implies.
fn message_words(report: &logs::LogReport) -> String {
    let mut words = match &report.failed_step {
        Some(step) => format!("That is {}'s message \"{}\".", step.tool, step.message),
        None => "I know that message.".to_owned(),
    };
    if let Some(phase) = report.phase {
        words.push_str(&format!(" It failed while {}.", phase.words()));
    }
    for finding in &report.findings {
        words.push(' ');
        words.push_str(finding.text);
    }
    words
}

/// Asks what the person already tried, as one multi-select from the kb's actions (the repair
/// shop aside): the ids picked, each to become a failed step.
pub fn ask_tried(kb: &Kb, prompter: &mut dyn Prompter) -> io::Result<Asked<Vec<String>>> {
    let actions: Vec<&kb::Action> = kb.actions.iter().filter(|a| !a.escalation).collect();
    let mut list = "What have you already tried that did not fix it?".to_owned();
    for (i, action) in actions.iter().enumerate() {
        list.push_str(&format!("\n  {}) {}", i + 1, action.name));
    }
    prompter.say(&list)?;
    let mut prompt =
        "Type their numbers (for example: 1 4), or press Enter if you tried none of them."
            .to_owned();
    for _ in 0..5 {
        let Some(answer) = prompter.text(&prompt)? else {
            return Ok(Asked::Stop);
        };
        match pick_many(&answer, actions.len()) {
            Ok(picked) => {
                return Ok(Asked::Value(
                    picked.into_iter().map(|i| actions[i].id.clone()).collect(),
                ));
            }
            Err(message) => {
                prompt = format!(
                    "{message}. Type numbers from 1 to {}, or press Enter for none.",
                    actions.len()
                )
            }
        }
    }
    Ok(Asked::Value(Vec::new()))
}

/// Asks which signs the person already knows, in one checklist built from the kb's questions
/// with a symptom (those that apply to the `device`, when it is known, and are not answered
/// yet in `ledger`). Returns the questions whose "yes" was picked.
pub fn ask_symptoms(
    kb: &Kb,
    prompter: &mut dyn Prompter,
    device: Option<&kb::Device>,
    ledger: &Ledger,
) -> io::Result<Asked<Vec<String>>> {
    let groups = device.map(|d| kb.groups_of(d));
    let signs: Vec<(&str, &str)> = kb
        .questions
        .iter()
        .filter(|q| {
            q.applies_to.is_empty()
                || groups
                    .as_ref()
                    .is_none_or(|g| q.applies_to.iter().any(|a| g.contains(&a.as_str())))
        })
        .filter(|q| ledger.current(&case::Subject::answer(&q.id)).is_none())
        .filter_map(|q| Some((q.id.as_str(), q.symptom.as_deref()?)))
        .collect();
    if signs.is_empty() {
        return Ok(Asked::Value(Vec::new()));
    }
    let mut list = "Do you already know any of these?".to_owned();
    for (i, (_, sign)) in signs.iter().enumerate() {
        list.push_str(&format!("\n  {}) {sign}", i + 1));
    }
    prompter.say(&list)?;
    let mut prompt =
        "Type their numbers (for example: 2 3), or press Enter if none of them.".to_owned();
    for _ in 0..5 {
        let Some(answer) = prompter.text(&prompt)? else {
            return Ok(Asked::Stop);
        };
        match pick_many(&answer, signs.len()) {
            Ok(picked) => {
                return Ok(Asked::Value(
                    picked.into_iter().map(|i| signs[i].0.to_owned()).collect(),
                ));
            }
            Err(message) => {
                prompt = format!(
                    "{message}. Type numbers from 1 to {}, or press Enter for none.",
                    signs.len()
                )
            }
        }
    }
    Ok(Asked::Value(Vec::new()))
}

/// Reads a list of option numbers (1-based, separated by spaces or commas; "none" or nothing
/// for none) into 0-based indices, each once.
fn pick_many(answer: &str, options: usize) -> Result<Vec<usize>, String> {
    let answer = answer.trim();
    if answer.is_empty() || answer.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut picked = Vec::new();
    for word in answer.split(|c: char| c == ',' || c.is_whitespace()) {
        if word.is_empty() {
            continue;
        }
        let shown = kb::text::printable(word);
        let n: usize = word
            .parse()
            .map_err(|_| format!("'{shown}' is not an option number"))?;
        if !(1..=options).contains(&n) {
            return Err(format!("there is no option {n}"));
        }
        if !picked.contains(&(n - 1)) {
            picked.push(n - 1);
        }
    }
    Ok(picked)
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Asked, ask_model, pick_many};
    use crate::session::prompter::ScriptedPrompter;

    fn asked(answers: &[&str]) -> (Option<&'static kb::Device>, String) {
        let kb = kb::Kb::embedded().unwrap();
        let mut p = ScriptedPrompter::new(answers);
        match ask_model(kb, &mut p).unwrap() {
            Asked::Value(device) => (device, p.transcript),
            Asked::Stop => (None, p.transcript),
        }
    }

    /// "iPhone SE" fits three models: they are numbered, and 2 picks the second (not "iPhone
    /// 2G"); a family name stays the family, and only a modem difference is asked about.
    #[test]
    fn a_model_is_picked_by_number_and_a_family_is_not_guessed() {
        let (se, transcript) = asked(&["iPhone SE", "2"]);
        assert_eq!(
            se.map(|d| d.model.as_str()),
            Some("iPhone SE (2nd gen)"),
            "{transcript}"
        );
        assert!(
            transcript.contains("1) iPhone SE (1st gen)"),
            "{transcript}"
        );
        let (seven, transcript) = asked(&["iphone 7"]);
        let seven = seven.unwrap();
        assert_eq!(seven.known_product_type(), None, "{transcript}");
        assert!(
            transcript.contains("iPhone9,1 or iPhone9,3"),
            "{transcript}"
        );
        let (ipad, transcript) = asked(&["ipad 9", "1"]);
        assert_eq!(
            ipad.map(|d| d.product_type.as_str()),
            Some("iPad12,1"),
            "{transcript}"
        );
        let (unsure, _) = asked(&["ipad 9", "3"]);
        assert_eq!(unsure.and_then(|d| d.known_product_type()), None);
    }

    #[test]
    fn a_multi_select_takes_numbers_once_each_or_none() {
        assert_eq!(pick_many("", 5), Ok(vec![]));
        assert_eq!(pick_many(" none ", 5), Ok(vec![]));
        assert_eq!(pick_many("1 4,4, 2", 5), Ok(vec![0, 3, 1]));
        assert_eq!(pick_many("6", 5), Err("there is no option 6".to_owned()));
        assert_eq!(pick_many("0", 5), Err("there is no option 0".to_owned()));
        assert!(pick_many("cable", 5).unwrap_err().contains("'cable'"));
    }
}
