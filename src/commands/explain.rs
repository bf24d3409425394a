//! `restore-doctor explain CODE [--model M] [--json]`: what an error code means, Apple's
//! category, the causes ranked by the engine for the model, the first steps and model notes.

use std::fmt::Write as _;
use std::process::ExitCode;

use engine::{Assessment, Evidence, Step, StepKind};
use kb::{CodeLookup, CodeMatch, Device, Kb, Note};
use serde::Serialize;

use crate::cli::ExplainArgs;
use crate::knowledge::{DeviceJson, knowledge, resolve_model};
use crate::output::{self, DIM, HEADING, WARN, paint};
use crate::usage_error::UsageError;

/// How many causes and first steps the text output shows.
const TOP_CAUSES: usize = 6;
const FIRST_STEPS: usize = 3;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let code = kb::parse_code(&args.code).map_err(|e| UsageError::new(e.to_string()))?;
    let device = resolve_model(kb, args.model.model.as_deref())?;
    let lookup = kb.lookup_code(code);
    let evidence = Evidence {
        code: Some(code),
        device,
        ..Evidence::default()
    };
    let assessment = engine::assess(kb, &evidence)?;
    let notes = kb.notes_for(code, device);
    if args.json {
        output::print_json(&json(kb, &lookup, device, &assessment, &notes))?;
    } else {
        let text = text(kb, &lookup, device, &assessment, &notes);
        anstream::print!("{}", output::fit(&kb::reword(&text, device)));
    }
    Ok(ExitCode::SUCCESS)
}

/// Where Apple puts the code, in words: its category when Apple lists it, or what it behaves
/// like when it does not.
fn apple_line(tag: &str, category: &str) -> String {
    match tag {
        "A-q" | "A-2" | "A-m" => format!("Apple's category: {category}"),
        _ => format!("Apple does not list this code; it behaves like: {category}"),
    }
}

fn device_label(d: &Device) -> String {
    format!("{} ({})", d.model, d.product_types_text())
}

fn text(
    kb: &Kb,
    lookup: &CodeLookup,
    device: Option<&Device>,
    assessment: &Assessment,
    notes: &[&Note],
) -> String {
    let mut out = String::new();
    let code = lookup.display();
    let category = lookup.category;
    match (lookup.matched, lookup.entry, lookup.range) {
        (CodeMatch::Exact, Some(entry), _) => {
            let name = category.map_or("", |c| c.name.as_str());
            let _ = writeln!(out, "{}", paint(HEADING, &format!("Error {code}")));
            let _ = writeln!(out, "  {}", apple_line(&entry.apple, name));
            if let Some(also) = entry.also.as_deref().and_then(|id| kb.category(id)) {
                let _ = writeln!(out, "  Apple also lists it under: {}", also.name);
            }
            if let Some(phase) = &entry.phase {
                let _ = writeln!(out, "  Usually happens while {}", phase.words());
            }
            let _ = writeln!(out, "  How sure we are: {}", entry.confidence);
            let _ = writeln!(out, "\n{}", paint(HEADING, "What it means"));
            out.push_str(&output::wrap(&entry.meaning, "  "));
        }
        (CodeMatch::Range, _, Some(range)) => {
            let name = category.map_or("", |c| c.name.as_str());
            let _ = writeln!(out, "{}", paint(HEADING, &format!("Error {code} · {name}")));
            let _ = writeln!(
                out,
                "  This code has no entry of its own; it lies in Apple's {}–{} range.",
                range.from, range.to
            );
            let _ = writeln!(out, "\n{}", paint(HEADING, "What it means"));
            if let Some(c) = category {
                out.push_str(&output::wrap(&c.summary, "  "));
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "{}",
                paint(HEADING, &format!("Error {code} · unknown code"))
            );
            out.push_str(&output::wrap(
                "This code is not in the knowledge base and is not in any range Apple lists, so its number says nothing about the cause. The plan below is the general one for a failed restore; what you observe will narrow it.",
                "  ",
            ));
        }
    }

    let heading = match device {
        Some(d) => format!("Most likely causes for {}", device_label(d)),
        None => "Most likely causes".to_owned(),
    };
    let _ = writeln!(out, "\n{}", paint(HEADING, &heading));
    out.push_str(&crate::plan_text::cause_lines(
        kb,
        &assessment.causes,
        0.01,
        TOP_CAUSES,
    ));
    let usually_not: Vec<String> = usually_not(kb, assessment)
        .map(|c| kb::in_sentence(&c.name))
        .collect();
    if !usually_not.is_empty() {
        out.push_str(&output::wrap(
            &format!("Usually not the cause: {}.", usually_not.join(", ")),
            "  ",
        ));
    }

    let _ = writeln!(out, "\n{}", paint(HEADING, "What to do first"));
    let actions = assessment
        .plan
        .iter()
        .filter(|s| s.kind == StepKind::Action);
    for (i, step) in actions.take(FIRST_STEPS).enumerate() {
        out.push_str(&crate::plan_text::step_text(kb, i + 1, step));
    }
    for step in assessment
        .plan
        .iter()
        .filter(|s| s.kind == StepKind::Question)
    {
        if let Some(q) = kb.question(&step.id) {
            out.push_str(&output::wrap(
                &format!("Worth knowing first: {} {}", q.text, step.why),
                "  ",
            ));
        }
    }
    let shop = kb.escalation().map_or(0.0, |a| a.cost_minutes);
    let _ = writeln!(
        out,
        "  Expected effort until it is fixed, following this plan: about {} (a repair-shop visit counts as {}).",
        output::minutes(assessment.expected_cost_minutes),
        output::minutes(shop)
    );
    // The code as it is written ("0xE8000015", "-1"), glued to its flag so a minus sign is
    // not read as one.
    let mut command = format!("restore-doctor diagnose --code={}", lookup.display());
    if let Some(d) = device {
        // A model's name ("iPhone 7", its variant unknown) is quoted for the shell.
        let _ = match d.known_product_type() {
            Some(product_type) => write!(command, " --model {product_type}"),
            None => write!(command, " --model '{}'", d.model),
        };
    }
    let _ = writeln!(
        out,
        "  {}",
        paint(DIM, &format!("Full plan: {command} --plan"))
    );

    for note in notes {
        out.push_str(&note_text(kb, note, &command));
    }

    let sources: Vec<&str> = lookup
        .entry
        .map(|e| e.sources.iter().map(String::as_str).collect())
        .or_else(|| {
            lookup
                .range
                .map(|r| r.sources.iter().map(String::as_str).collect())
        })
        .unwrap_or_default();
    let sources: Vec<&kb::Source> = sources.iter().filter_map(|id| kb.source(id)).collect();
    if !sources.is_empty() {
        let _ = writeln!(out, "\n{}", paint(HEADING, "Where this comes from"));
        for source in sources {
            let line = match &source.url {
                Some(url) => format!("{}: {url}", source.title),
                None => source.title.clone(),
            };
            let _ = writeln!(out, "  - {}", paint(DIM, &line));
        }
    }
    out
}

/// The seed article's "usually not the cause" entries worth saying for this code: none that
/// the code itself makes likely (the iOS version, when Apple no longer signs it).
fn usually_not<'a>(kb: &'a Kb, assessment: &Assessment) -> impl Iterator<Item = &'a kb::Cause> {
    let probability = |id: &str| {
        assessment
            .causes
            .iter()
            .find(|c| c.id == id)
            .map_or(0.0, |c| c.probability)
    };
    kb.causes
        .iter()
        .filter(move |c| c.usually_not_here(probability))
}

fn note_text(kb: &Kb, note: &Note, command: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{}", paint(WARN, &note.title));
    if let Some(cause) = kb.cause(&note.cause) {
        out.push_str(&output::wrap(
            cause.note.as_deref().unwrap_or(&cause.summary),
            "  ",
        ));
        if !cause.symptoms.is_empty() {
            out.push_str(&output::wrap(
                &format!("Signs: {}.", cause.symptoms.join("; ")),
                "  ",
            ));
        }
    }
    let asks: Vec<String> = note
        .questions
        .iter()
        .filter_map(|q| kb.question(q))
        .map(|q| format!("--observe {}=yes", q.id))
        .collect();
    if !asks.is_empty() {
        out.push_str(&output::wrap(
            &format!(
                "If you see these signs, tell the planner: {command} {} --plan",
                asks.join(" ")
            ),
            "  ",
        ));
    }
    out
}

/// `explain --json`, in the shape DESIGN.md documents.
#[derive(Serialize)]
struct ExplainJson<'a> {
    code: i64,
    code_display: String,
    known: bool,
    #[serde(rename = "match")]
    matched: &'static str,
    category: Option<&'a str>,
    category_name: Option<&'a str>,
    also_category: Option<&'a str>,
    apple_source: Option<&'a str>,
    confidence: Option<&'a str>,
    phase: Option<kb::Phase>,
    summary: &'a str,
    device: Option<DeviceJson<'a>>,
    causes: Vec<CauseJson<'a>>,
    usually_not: Vec<&'a str>,
    plan: &'a [Step],
    expected_cost_minutes: f64,
    notes: Vec<NoteJson<'a>>,
    sources: Vec<SourceJson<'a>>,
}

#[derive(Serialize)]
struct CauseJson<'a> {
    id: &'a str,
    name: &'a str,
    probability: f64,
    hardware: bool,
}

#[derive(Serialize)]
struct NoteJson<'a> {
    id: &'a str,
    title: &'a str,
    text: &'a str,
    symptoms: &'a [String],
    questions: &'a [String],
}

#[derive(Serialize)]
struct SourceJson<'a> {
    id: &'a str,
    title: &'a str,
    url: Option<&'a str>,
}

fn json<'a>(
    kb: &'a Kb,
    lookup: &'a CodeLookup<'a>,
    device: Option<&'a Device>,
    assessment: &'a Assessment,
    notes: &[&'a Note],
) -> ExplainJson<'a> {
    let entry = lookup.entry;
    let source_ids: Vec<&String> = entry
        .map(|e| e.sources.iter().collect())
        .or_else(|| lookup.range.map(|r| r.sources.iter().collect()))
        .unwrap_or_default();
    ExplainJson {
        code: lookup.code,
        code_display: lookup.display(),
        known: lookup.matched == CodeMatch::Exact,
        matched: lookup.matched.id(),
        category: lookup.category.map(|c| c.id.as_str()),
        category_name: lookup.category.map(|c| c.name.as_str()),
        also_category: entry.and_then(|e| e.also.as_deref()),
        apple_source: entry.map(|e| e.apple.as_str()),
        confidence: entry.map(|e| e.confidence.as_str()),
        phase: entry.and_then(|e| e.phase),
        summary: entry
            .map(|e| e.meaning.as_str())
            .or(lookup.category.map(|c| c.summary.as_str()))
            .unwrap_or("Unknown code: the general plan for a failed restore applies."),
        device: device.map(DeviceJson::from),
        causes: assessment
            .causes
            .iter()
            .filter_map(|b| {
                kb.cause(&b.id).map(|c| CauseJson {
                    id: &c.id,
                    name: &c.name,
                    probability: b.probability,
                    hardware: c.hardware,
                })
            })
            .collect(),
        usually_not: usually_not(kb, assessment).map(|c| c.id.as_str()).collect(),
        plan: &assessment.plan,
        expected_cost_minutes: assessment.expected_cost_minutes,
        notes: notes
            .iter()
            .filter_map(|n| {
                kb.cause(&n.cause).map(|c| NoteJson {
                    id: &n.id,
                    title: &n.title,
                    text: c.note.as_deref().unwrap_or(&c.summary),
                    symptoms: &c.symptoms,
                    questions: &n.questions,
                })
            })
            .collect(),
        sources: source_ids
            .into_iter()
            .filter_map(|id| kb.source(id))
            .map(|s| SourceJson {
                id: &s.id,
                title: &s.title,
                url: s.url.as_deref(),
            })
            .collect(),
    }
}
