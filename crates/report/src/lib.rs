//! Case reports for the person and the repair shop: Markdown to paste into a forum, a
//! self-contained printable HTML page, and JSON for other tools; identifiers redacted by default.
//!
//! Pure: a stored case and the kb in, text out.

use std::fmt::Write as _;

use case::{CauseShare, StoredCase, Subject, Verdict, stored_time};
use kb::{CaseStatus, EventKind, EvidenceSource, Kb, Phase, StepKind, StepOutcome, percent};
use serde::Serialize;

/// A case prepared for showing: names looked up, identifiers masked or not.
struct View<'a> {
    kb: &'a Kb,
    case: &'a StoredCase,
    show_ids: bool,
    /// The causes as the case ended (for a fixed case, what the fix says about them).
    causes: Vec<CauseShare>,
}

impl<'a> View<'a> {
    fn new(kb: &'a Kb, case: &'a StoredCase, show_ids: bool) -> View<'a> {
        View {
            kb,
            case,
            show_ids,
            causes: case.ledger.final_causes(kb),
        }
    }

    fn causes(&self) -> &[CauseShare] {
        &self.causes
    }

    fn model(&self) -> Option<&str> {
        self.case
            .ledger
            .product_type()
            .and_then(|p| self.kb.find_device(p).ok())
            .map(|d| d.model.as_str())
    }

    /// The model with its product type, or the product types it can be when only the model
    /// is known ("iPhone 7 (iPhone9,1 or iPhone9,3)").
    fn device(&self) -> String {
        let Some(p) = self.case.ledger.product_type() else {
            return "unknown model".to_owned();
        };
        match self.kb.find_device(p) {
            Ok(d) => format!("{} ({})", d.model, d.product_types_text()),
            Err(_) => p.to_owned(),
        }
    }

    /// The product type when the case's device is one variant; `None` when only its model is
    /// known.
    fn product_type(&self) -> Option<&str> {
        let p = self.case.ledger.product_type()?;
        match self.kb.find_device(p) {
            Ok(d) if d.known_product_type().is_none() => None,
            _ => Some(p),
        }
    }

    fn ecid(&self) -> Option<String> {
        self.case
            .ledger
            .device
            .ecid
            .map(|e| kb::text::ecid(e, self.show_ids))
    }

    /// Text that came from outside (a tool's line, an answer typed in), identifiers masked
    /// unless asked.
    fn outside(&self, text: &str) -> String {
        if self.show_ids {
            text.to_owned()
        } else {
            kb::text::redact_identifiers(text)
        }
    }

    /// The port, on one line whatever the history holds.
    fn port(&self) -> Option<String> {
        let device = &self.case.ledger.device;
        let port = device.port.as_deref().map(kb::text::one_line);
        port.map(|p| match device.hubs {
            Some(0) => format!("{p} (straight into the computer)"),
            Some(n) => format!("{p} (through {n} hub(s))"),
            None => p.into_owned(),
        })
    }

    /// The bench the case was on, on one line whatever the history holds: a shop's shared
    /// history is written by every bench's program.
    fn bench(&self) -> Option<String> {
        let bench = self.case.bench.as_deref()?;
        Some(kb::text::one_line(bench).into_owned())
    }

    fn code(&self) -> Option<String> {
        self.case.ledger.code().map(|c| {
            let name = self
                .kb
                .lookup_code(c)
                .category
                .map(|cat| format!(" ({})", cat.name))
                .unwrap_or_default();
            format!("{}{name}", kb::display_code(c))
        })
    }

    fn status(&self) -> String {
        match self.case.ledger.status() {
            CaseStatus::Fixed => match self.case.ledger.fixed_by() {
                Some(by) => format!("fixed by: {}", self.step_name(by)),
                None => "fixed".to_owned(),
            },
            CaseStatus::NeedsRepair => "needs a repair bench".to_owned(),
            CaseStatus::Open => "open (in progress or stopped)".to_owned(),
        }
    }

    fn step_name(&self, id: &str) -> String {
        self.kb
            .action(id)
            .map(|a| a.name.clone())
            .or_else(|| self.kb.question(id).map(|q| q.text.clone()))
            .unwrap_or_else(|| id.to_owned())
    }

    fn cause_name(&self, id: &str) -> String {
        self.kb
            .cause(id)
            .map_or_else(|| id.to_owned(), |c| c.name.clone())
    }

    /// The hardware causes worth a shop's first look, most likely first; none once a step
    /// fixed the phone.
    fn check_first(&self) -> Vec<(String, f64, String)> {
        if self.case.ledger.status() == CaseStatus::Fixed {
            return Vec::new();
        }
        self.causes()
            .iter()
            .filter_map(|c| {
                self.kb
                    .cause(&c.id)
                    .filter(|k| k.hardware && !k.usually_not)
                    .map(|k| (k, c.probability))
            })
            .filter(|(_, p)| *p >= 0.02)
            .take(4)
            .map(|(k, p)| {
                let mut why = k.summary.clone();
                if !k.symptoms.is_empty() {
                    let _ = write!(why, " Signs: {}.", k.symptoms.join("; "));
                }
                (k.name.clone(), p, why)
            })
            .collect()
    }

    /// The report's text about "the phone" said about the case's device ("the iPad").
    fn reword(&self, text: String) -> String {
        let device = self
            .case
            .ledger
            .product_type()
            .and_then(|p| self.kb.find_device(p).ok());
        match kb::reword(&text, device) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(reworded) => reworded,
        }
    }

    /// What a shop must know about the phone's data before any step that erases it.
    fn data_warning(&self) -> Option<&'static str> {
        let ledger = &self.case.ledger;
        let declined = ledger
            .steps()
            .iter()
            .any(|s| s.outcome == StepOutcome::Declined);
        let no_backup = ledger
            .current(&Subject::answer("backup-available"))
            .is_some_and(|e| e.value == "no");
        match (declined, no_backup) {
            (true, _) => Some(
                "The data matters and there is no backup: the owner declined every step that erases the phone. Recover the data, or ask again, before any restore.",
            ),
            (false, true) => {
                Some("There is no backup: ask whether the data matters before any restore.")
            }
            (false, false) => None,
        }
    }

    /// The causes a report lists: the eight most likely, from 1 % up.
    fn shown_causes(&self) -> impl Iterator<Item = &CauseShare> {
        self.causes()
            .iter()
            .filter(|c| c.probability >= 0.01)
            .take(8)
    }

    /// The tables both formats show after the causes: title, column headers, rows.
    fn tables(&self) -> [Table; 3] {
        let ledger = &self.case.ledger;
        let steps = ledger
            .steps()
            .iter()
            .map(|s| {
                vec![
                    when(s.at),
                    self.step_name(&s.id),
                    s.outcome.words().to_owned(),
                ]
            })
            .collect();
        let evidence = self
            .evidence_rows()
            .into_iter()
            .map(|(what, value, source)| vec![what, value, source])
            .collect();
        let events = ledger
            .events()
            .iter()
            .map(|e| {
                vec![
                    when(e.at),
                    e.kind.words().to_owned(),
                    e.port.clone().unwrap_or_default(),
                    e.phase.map(|p| p.words().to_owned()).unwrap_or_default(),
                    self.outside(&e.message),
                ]
            })
            .collect();
        [
            Table {
                title: "Steps and outcomes",
                headers: &["When", "Step", "Outcome"],
                rows: steps,
            },
            Table {
                title: "What is known",
                headers: &["", "Answer", "Source"],
                rows: evidence,
            },
            Table {
                title: "Timeline",
                headers: &["When", "Event", "Port", "Phase", "Detail"],
                rows: events,
            },
        ]
    }

    /// What is known, one row per fact that counts, with where it came from.
    fn evidence_rows(&self) -> Vec<(String, String, String)> {
        let ledger = &self.case.ledger;
        let mut rows = Vec::new();
        for subject in [Subject::Model, Subject::Code] {
            if let Some(e) = ledger.current(&subject) {
                let what = if subject == Subject::Code {
                    "Error number"
                } else {
                    "Model"
                };
                let value = match subject {
                    Subject::Model => self.device(),
                    _ => self.outside(&e.value),
                };
                rows.push((what.to_owned(), value, e.source.words().to_owned()));
            }
        }
        for e in ledger.answers() {
            if let Subject::Answer(q) = &e.subject {
                let (what, value) = self.kb.question(q).map_or_else(
                    || (q.clone(), self.outside(&e.value)),
                    |k| (k.text.clone(), self.outside(k.words(&e.value))),
                );
                rows.push((what, value, e.source.words().to_owned()));
            }
        }
        rows
    }
}

/// A stored time as a person reads it: `2026-12-02 09:41 UTC`.
fn when(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// A titled table of plain-text cells, written by each format in its own way.
struct Table {
    title: &'static str,
    headers: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

impl Table {
    fn markdown(&self, out: &mut String) {
        if self.rows.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "## {}\n\n| {} |\n|{}",
            self.title,
            self.headers.join(" | ").trim(),
            "---|".repeat(self.headers.len())
        );
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push('\n');
    }

    fn html(&self, out: &mut String) {
        if self.rows.is_empty() {
            return;
        }
        let row = |cells: &mut dyn Iterator<Item = &str>, tag: &str| -> String {
            cells
                .map(|c| format!("<{tag}>{}</{tag}>", esc(c)))
                .collect()
        };
        let _ = writeln!(
            out,
            "<h2>{}</h2><table><tr>{}</tr>",
            esc(self.title),
            row(&mut self.headers.iter().copied(), "th")
        );
        for cells in &self.rows {
            let _ = writeln!(
                out,
                "<tr>{}</tr>",
                row(&mut cells.iter().map(String::as_str), "td")
            );
        }
        let _ = writeln!(out, "</table>");
    }
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The case as Markdown, for a forum post or a message to a shop.
pub fn markdown(kb: &Kb, case: &StoredCase, show_ids: bool) -> String {
    let v = View::new(kb, case, show_ids);
    let mut out = String::new();
    let _ = writeln!(out, "# Restore Doctor case {}\n", case.id);
    let _ = writeln!(out, "- **Device:** {}", v.device());
    if let Some(ecid) = v.ecid() {
        let _ = writeln!(out, "- **ECID:** {ecid}");
    }
    if let Some(code) = v.code() {
        let _ = writeln!(out, "- **Error:** {code}");
    }
    if let Some(port) = v.port() {
        let _ = writeln!(out, "- **USB port:** {port}");
    }
    if let Some(bench) = v.bench() {
        let _ = writeln!(out, "- **Bench:** {bench}");
    }
    let _ = writeln!(out, "- **Status:** {}", v.status());
    if let Some(data) = v.data_warning() {
        let _ = writeln!(out, "- **Data:** {data}");
    }
    let _ = writeln!(
        out,
        "- **Opened:** {} · **last update:** {}\n",
        when(case.created_at),
        when(case.updated_at)
    );
    if !v.causes().is_empty() {
        let _ = writeln!(
            out,
            "## Most likely causes\n\n| Cause | Probability |\n|---|---|"
        );
        for c in v.shown_causes() {
            let _ = writeln!(
                out,
                "| {} | {} |",
                md_cell(&v.cause_name(&c.id)),
                percent(c.probability)
            );
        }
        out.push('\n');
    }
    let first = v.check_first();
    if !first.is_empty() {
        let _ = writeln!(out, "## What the repair shop should check first\n");
        for (i, (name, p, why)) in first.iter().enumerate() {
            let _ = writeln!(out, "{}. **{name}** ({}): {why}", i + 1, percent(*p));
        }
        out.push('\n');
    }
    for table in v.tables() {
        table.markdown(&mut out);
    }
    let _ = writeln!(
        out,
        "_Made with Restore Doctor. Identifiers {}._",
        if show_ids {
            "shown on request"
        } else {
            "masked"
        }
    );
    v.reword(out)
}

fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_safe(text)
}

const STYLE: &str = "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d1d1f;max-width:52rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:1.8rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}\
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee;vertical-align:top}\
th{background:#f5f5f7}.facts td:first-child{width:9rem;color:#555}.bar{display:inline-block;height:.7rem;background:#0071e3;border-radius:2px;vertical-align:middle;margin-right:.4rem}\
.status{display:inline-block;padding:.1rem .5rem;border-radius:3px;background:#f5f5f7}.needs-repair{background:#ffe8e0}.fixed{background:#e3f7e5}\
ol li{margin:.4rem 0}footer{margin-top:2rem;color:#777;font-size:.85rem}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,ol{break-inside:avoid}}";

/// The case as one self-contained, printable HTML page: no scripts, no external resources, and
/// a content security policy that forbids any network request.
pub fn html(kb: &Kb, case: &StoredCase, show_ids: bool) -> String {
    let v = View::new(kb, case, show_ids);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Restore Doctor case {id}</title><style>{STYLE}</style></head><body>\n",
        id = esc(&case.id)
    );
    let _ = writeln!(out, "<h1>Restore Doctor case {}</h1>", esc(&case.id));
    let _ = writeln!(
        out,
        "<p><span class=\"status {}\">{}</span></p>",
        case.ledger.status().id(),
        esc(&v.status())
    );
    let _ = writeln!(out, "<table class=\"facts\">");
    let mut fact = |k: &str, val: String| {
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&val));
    };
    fact("Device", v.device());
    if let Some(data) = v.data_warning() {
        fact("Data", data.to_owned());
    }
    if let Some(ecid) = v.ecid() {
        fact("ECID", ecid);
    }
    if let Some(code) = v.code() {
        fact("Error", code);
    }
    if let Some(port) = v.port() {
        fact("USB port", port);
    }
    if let Some(bench) = v.bench() {
        fact("Bench", bench);
    }
    fact("Opened", when(case.created_at));
    fact("Last update", when(case.updated_at));
    let _ = writeln!(out, "</table>");
    if !v.causes().is_empty() {
        let _ = writeln!(
            out,
            "<h2>Most likely causes</h2><table><tr><th>Cause</th><th>Probability</th></tr>"
        );
        for c in v.shown_causes() {
            let width = (c.probability * 12.0).max(0.2);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><span class=\"bar\" style=\"width:{width:.1}rem\"></span>{}</td></tr>",
                esc(&v.cause_name(&c.id)),
                percent(c.probability)
            );
        }
        let _ = writeln!(out, "</table>");
    }
    let first = v.check_first();
    if !first.is_empty() {
        let _ = writeln!(out, "<h2>What the repair shop should check first</h2><ol>");
        for (name, p, why) in first {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong> ({}): {}</li>",
                esc(&name),
                percent(p),
                esc(&why)
            );
        }
        let _ = writeln!(out, "</ol>");
    }
    for table in v.tables() {
        table.html(&mut out);
    }
    let _ = writeln!(
        out,
        "<footer>Made with Restore Doctor. Identifiers {}.</footer>\n</body></html>",
        if show_ids {
            "shown on request"
        } else {
            "masked"
        }
    );
    v.reword(out)
}

/// A case as `report --json`, `cases --json` and the dashboard give it.
///
/// Made into a [`serde_json::Value`] before it is printed, so its keys come out in
/// alphabetical order at every level (this workspace's serde_json keeps an object's keys
/// sorted), the order other tools have always read, whatever order the fields are declared in.
#[derive(Serialize)]
struct CaseJson<'a> {
    id: &'a str,
    created_at: String,
    updated_at: String,
    status: CaseStatus,
    fixed_by: Option<&'a str>,
    code: Option<i64>,
    product_type: Option<&'a str>,
    model: Option<&'a str>,
    device: String,
    board: Option<&'a str>,
    bench: Option<&'a str>,
    port: Option<&'a str>,
    hubs: Option<u8>,
    ecid: Option<String>,
    /// Only when identifiers are shown.
    device_key: Option<&'a str>,
    verdict: Option<&'a Verdict>,
    causes: &'a [CauseShare],
    evidence: Vec<EvidenceJson<'a>>,
    steps: Vec<StepJson<'a>>,
    events: Vec<EventJson<'a>>,
    check_first: Vec<CheckFirst>,
    data_warning: Option<&'static str>,
}

/// A piece of evidence; `counts` is false for one overruled or repeated.
#[derive(Serialize)]
struct EvidenceJson<'a> {
    at: String,
    /// `code`, `model` or `observation`.
    kind: &'static str,
    /// The question an observation answers; `code` or `model` for those.
    name: &'a str,
    value: String,
    source: EvidenceSource,
    counts: bool,
}

#[derive(Serialize)]
struct StepJson<'a> {
    at: String,
    step: &'a str,
    kind: StepKind,
    outcome: StepOutcome,
}

#[derive(Serialize)]
struct EventJson<'a> {
    at: String,
    kind: EventKind,
    port: Option<&'a str>,
    phase: Option<Phase>,
    message: String,
}

/// A hardware cause worth a shop's first look.
#[derive(Serialize)]
struct CheckFirst {
    cause: String,
    probability: f64,
    why: String,
}

/// The case as JSON: the ledger with names added and identifiers masked by default.
pub fn json(kb: &Kb, case: &StoredCase, show_ids: bool) -> serde_json::Value {
    let v = View::new(kb, case, show_ids);
    let ledger = &case.ledger;
    let evidence = ledger
        .entries()
        .iter()
        .map(|e| {
            let (kind, name) = match &e.subject {
                Subject::Code => ("code", "code"),
                Subject::Model => ("model", "model"),
                Subject::Answer(q) => ("observation", q.as_str()),
            };
            EvidenceJson {
                at: stored_time(e.at),
                kind,
                name,
                value: v.outside(&e.value),
                source: e.source,
                // Overruled or repeated evidence is kept in the record but does not count.
                counts: ledger
                    .current(&e.subject)
                    .is_some_and(|c| std::ptr::eq(c, e)),
            }
        })
        .collect();
    let steps = ledger
        .steps()
        .iter()
        .map(|s| StepJson {
            at: stored_time(s.at),
            step: &s.id,
            kind: s.kind,
            outcome: s.outcome,
        })
        .collect();
    let events = ledger
        .events()
        .iter()
        .map(|e| EventJson {
            at: stored_time(e.at),
            kind: e.kind,
            port: e.port.as_deref(),
            phase: e.phase,
            message: v.outside(&e.message),
        })
        .collect();
    let check_first = v
        .check_first()
        .into_iter()
        .map(|(cause, probability, why)| CheckFirst {
            cause,
            probability,
            why,
        })
        .collect();
    let typed = CaseJson {
        id: &case.id,
        created_at: stored_time(case.created_at),
        updated_at: stored_time(case.updated_at),
        status: ledger.status(),
        fixed_by: ledger.fixed_by(),
        code: ledger.code(),
        product_type: v.product_type(),
        model: v.model(),
        device: v.device(),
        board: ledger.device.board.as_deref(),
        bench: case.bench.as_deref(),
        port: ledger.device.port.as_deref(),
        hubs: ledger.device.hubs,
        ecid: v.ecid(),
        device_key: case.device_key.as_deref().filter(|_| show_ids),
        verdict: ledger.verdict(),
        causes: v.causes(),
        evidence,
        steps,
        events,
        check_first,
        data_warning: v.data_warning(),
    };
    // Strings, numbers and string-keyed maps only: nothing here can fail to become a value.
    serde_json::to_value(typed).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use case::Ledger;
    use kb::{EvidenceSource, StepKind};

    fn stored(ledger: Ledger) -> StoredCase {
        let now = jiff::Timestamp::UNIX_EPOCH;
        StoredCase {
            id: "C0TEST".into(),
            created_at: now,
            updated_at: now,
            device_key: None,
            bench: None,
            ledger,
        }
    }

    #[test]
    fn a_declined_erase_is_its_own_outcome_and_the_shop_reads_the_data_warning() {
        let kb = Kb::embedded().unwrap();
        let mut ledger = Ledger::new();
        ledger.add(
            Subject::answer("backup-available"),
            "no",
            EvidenceSource::Person,
        );
        ledger.add(
            Subject::answer("mode-entered-by"),
            "failed-update",
            EvidenceSource::Person,
        );
        ledger.step("dfu-restore", StepKind::Action, StepOutcome::Declined);
        let case = stored(ledger);
        let md = markdown(kb, &case, false);
        assert!(md.contains("declined: it erases the phone"), "{md}");
        assert!(!md.contains("could not be done"), "{md}");
        assert!(
            md.contains("**Data:** The data matters and there is no backup"),
            "{md}"
        );
        assert!(
            md.contains("An update failed and left it on the recovery screen")
                && !md.contains("| failed-update |"),
            "answers are in words: {md}"
        );
        assert!(md.contains("the person said so"), "{md}");
        let html = html(kb, &case, false);
        assert!(html.contains("the owner declined every step that erases"));
        assert!(json(kb, &case, false)["data_warning"].is_string());
    }

    #[test]
    fn text_from_outside_is_masked_in_every_format_unless_asked() {
        let kb = Kb::embedded().unwrap();
        let mut ledger = Ledger::new();
        ledger.add(
            Subject::answer("owner-note"),
            "call anna.berg@icloud.com",
            EvidenceSource::Person,
        );
        ledger.event(
            kb::EventKind::Drop,
            Some("1-2".into()),
            None,
            "ERROR: lost the phone SN: DNPX12345678 ChipID=1543505009998 IMEI 35 678901 234567 8",
        );
        let case = stored(ledger);
        let secrets = ["anna.berg", "DNPX1234", "15435050", "678901 234"];
        for show in [false, true] {
            for out in [
                markdown(kb, &case, show),
                html(kb, &case, show),
                json(kb, &case, show).to_string(),
            ] {
                for secret in secrets {
                    assert_eq!(out.contains(secret), show, "{secret}, shown {show}: {out}");
                }
            }
        }
    }

    #[test]
    fn a_bench_or_port_name_from_the_history_cannot_start_a_line_of_its_own() {
        let kb = Kb::embedded().unwrap();
        let mut ledger = Ledger::new();
        ledger.device.port = Some("1-2\n- **Status:** fixed".into());
        let mut case = stored(ledger);
        case.bench = Some("front\n- **Status:** fixed\r\u{1b}[2J".into());
        let md = markdown(kb, &case, false);
        assert!(
            md.contains("- **Bench:** front\\n- **Status:** fixed\\r\\u{1b}[2J\n"),
            "{md}"
        );
        assert!(
            md.contains("- **USB port:** 1-2\\n- **Status:** fixed\n"),
            "{md}"
        );
        let statuses = md
            .lines()
            .filter(|l| l.starts_with("- **Status:**"))
            .count();
        assert_eq!(statuses, 1, "{md}");
        assert!(!md.contains('\u{1b}'), "{md}");
        let html = html(kb, &case, false);
        assert!(html.contains("<td>front\\n- **Status:** fixed\\r\\u{1b}[2J</td>"));
        // JSON carries the name as it is, escaped by JSON itself.
        assert_eq!(json(kb, &case, false)["bench"], case.bench.clone().unwrap());
    }
}
