//! `restore-doctor learn --show`: what the planner learned from this shop's finished cases, per
//! error code and model, against the knowledge base alone.

use std::process::ExitCode;

use engine::{Assessment, Evidence, StepKind};
use kb::Kb;
use serde::Serialize;

use crate::cli::LearnArgs;
use crate::knowledge::knowledge;
use crate::ops::Context;
use crate::ops::learn::{self, Group, Learned};
use crate::output::{self, DIM, STRONG, paint};

/// Causes shown per group.
const CAUSES_SHOWN: usize = 3;

pub fn run(ctx: &Context, args: &LearnArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    let groups = learn::groups(kb, ctx.finished_cases());
    let compared: Vec<Comparison> = groups
        .iter()
        .filter_map(|(group, learned)| Comparison::of(kb, group, learned))
        .collect();
    if args.json {
        output::print_json(&LearnJson {
            groups: compared.iter().map(|c| c.json(kb)).collect(),
            pseudo_cases: kb.settings.local_pseudo_cases,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if compared.is_empty() {
        output::line(output::wrap(
            "Nothing learned yet: the history holds no finished case with an error code (or --no-learn is set). Cases finish in a session, with `restore-doctor restore`, or by `restore-doctor record`.",
            "",
        ).trim_end())?;
        return Ok(ExitCode::SUCCESS);
    }
    for comparison in &compared {
        comparison.show(kb)?;
    }
    output::line(output::fit(&paint(
        DIM,
        &format!(
            "The knowledge base counts as {} cases for one code on one model; --no-learn plans without what was learned.",
            kb.settings.local_pseudo_cases
        ),
    )))?;
    Ok(ExitCode::SUCCESS)
}

/// What `learn --show --json` prints. Fields here and below are in alphabetical order, the
/// order this JSON had when it was built as a `serde_json::Value` (see [`output::print_json`]).
#[derive(Serialize)]
struct LearnJson<'a> {
    groups: Vec<GroupJson<'a>>,
    /// What the knowledge base counts as, in cases, for one code on one model.
    pseudo_cases: f64,
}

/// One code on one model: its record, and the first step and causes with and without it.
#[derive(Serialize)]
struct GroupJson<'a> {
    actions: Vec<ActionJson<'a>>,
    causes: Vec<CauseJson<'a>>,
    code: Option<i64>,
    first_step: FirstStep<'a>,
    model: Option<&'a str>,
}

/// One action's record, in whole cases.
#[derive(Serialize)]
struct ActionJson<'a> {
    fixed: u64,
    id: &'a str,
    name: &'a str,
    tries: u64,
}

/// The first action planned from the knowledge base alone, and with what was learned.
#[derive(Serialize)]
struct FirstStep<'a> {
    knowledge_base: Option<&'a str>,
    learned: Option<&'a str>,
}

/// A cause's probability from the knowledge base alone, and with what was learned.
#[derive(Serialize)]
struct CauseJson<'a> {
    id: &'a str,
    knowledge_base: f64,
    learned: f64,
}

/// One group: its record, and the engine's view with and without it.
struct Comparison<'a> {
    group: &'a Group,
    learned: &'a Learned,
    kb_only: Assessment,
    with_local: Assessment,
}

impl<'a> Comparison<'a> {
    fn of(kb: &'a Kb, group: &'a Group, learned: &'a Learned) -> Option<Comparison<'a>> {
        let device = group
            .model
            .as_deref()
            .and_then(|m| kb.devices.iter().find(|d| d.model == m));
        let evidence = Evidence {
            code: Some(group.code?),
            device,
            ..Evidence::default()
        };
        let kb_only = engine::assess(kb, &evidence).ok()?;
        let with_local = engine::assess(
            kb,
            &Evidence {
                local: Some(&learned.experience),
                ..evidence
            },
        )
        .ok()?;
        Some(Comparison {
            group,
            learned,
            kb_only,
            with_local,
        })
    }

    fn first_action(assessment: &Assessment) -> Option<&str> {
        assessment
            .plan
            .iter()
            .find(|s| s.kind == StepKind::Action)
            .map(|s| s.id.as_str())
    }

    fn probability(assessment: &Assessment, cause: &str) -> f64 {
        assessment
            .causes
            .iter()
            .find(|c| c.id == cause)
            .map_or(0.0, |c| c.probability)
    }

    fn title(&self) -> String {
        format!(
            "{} on {}",
            self.group
                .code
                .map_or("no code".to_owned(), kb::display_code),
            self.group.model.as_deref().unwrap_or("an unknown model")
        )
    }

    fn json<'s>(&'s self, kb: &'s Kb) -> GroupJson<'s> {
        GroupJson {
            actions: self
                .learned
                .records
                .iter()
                .map(|r| ActionJson {
                    fixed: r.fixed,
                    id: &r.action,
                    name: kb.action(&r.action).map_or(&r.action, |a| &a.name),
                    tries: r.tries,
                })
                .collect(),
            causes: self
                .with_local
                .causes
                .iter()
                .take(CAUSES_SHOWN)
                .map(|c| CauseJson {
                    id: &c.id,
                    knowledge_base: Self::probability(&self.kb_only, &c.id),
                    learned: c.probability,
                })
                .collect(),
            code: self.group.code,
            first_step: FirstStep {
                knowledge_base: Self::first_action(&self.kb_only),
                learned: Self::first_action(&self.with_local),
            },
            model: self.group.model.as_deref(),
        }
    }

    fn show(&self, kb: &Kb) -> std::io::Result<()> {
        let name = |id: Option<&str>| {
            id.map_or("none".to_owned(), |id| {
                kb.action(id).map_or(id.to_owned(), |a| a.name.clone())
            })
        };
        output::line(paint(STRONG, &self.title()))?;
        for record in &self.learned.records {
            output::line(format!(
                "  {}: fixed {} of {} {}",
                name(Some(&record.action)),
                record.fixed,
                record.tries,
                if record.tries == 1 { "try" } else { "tries" }
            ))?;
        }
        let (before, after) = (
            Self::first_action(&self.kb_only),
            Self::first_action(&self.with_local),
        );
        let first = if before == after {
            format!(
                "  First step: {} (as the knowledge base alone)",
                name(after)
            )
        } else {
            format!(
                "  First step: {} (the knowledge base alone: {})",
                name(after),
                name(before)
            )
        };
        output::line(output::fit(&first))?;
        for cause in self.with_local.causes.iter().take(CAUSES_SHOWN) {
            let cause_name = kb
                .cause(&cause.id)
                .map_or(cause.id.clone(), |c| c.name.clone());
            output::line(output::fit(&format!(
                "  {} {} (was {})",
                output::percent(cause.probability),
                cause_name,
                output::percent(Self::probability(&self.kb_only, &cause.id))
            )))?;
        }
        output::line("")
    }
}
