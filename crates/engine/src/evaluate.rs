//! Replays real cases through a policy: where the real fix lands among the recommended
//! actions, and the minutes a person spends following them until the real fix.

use kb::{Kb, Observation, OutcomeGroup, RealCase};

use crate::{Evidence, Experience, Prior, StepKind, assess};

/// How the actions are put in order.
#[derive(Debug, Clone)]
pub enum Ordering<'a> {
    /// The engine's plan from what the case knew at the start.
    Engine(Prior<'a>),
    /// The engine's plan with priors set without the case itself (leave-one-out).
    EngineLeaveOneOut,
    /// A fixed list; tried and unavailable actions are skipped, the repair shop ends it.
    Fixed(Vec<String>),
    /// Apple's list for the error code's category (the "disconnected" list without a code).
    Apple,
}

/// The seed article's order of fixes: cable and port, the computer's software, a DFU
/// restore, another computer, then the repair shop.
pub const SEED_ORDER: [&str; 7] = [
    "swap-cable",
    "change-port",
    "remove-hub",
    "update-host-software",
    "dfu-restore",
    "different-computer",
    "professional-repair",
];

/// Tools other than Apple's own, whose users are reported as their own group.
pub const THIRD_PARTY_TOOLS: [&str; 4] = ["idevicerestore", "futurerestore", "3utools", "other"];

/// How one case went under one ordering.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseScore {
    pub id: String,
    pub group: OutcomeGroup,
    /// The case was restored with a third-party tool.
    pub tool_user: bool,
    /// 1-based position of the first action that counts as the real fix, if it is listed.
    pub rank: Option<usize>,
    /// Minutes of the listed actions up to and including the real fix (all of them and the
    /// repair shop when the real fix is not listed).
    pub minutes: f64,
}

/// Scores every case of `cases` that the kb can read an outcome from.
pub fn score_all(kb: &Kb, cases: &[RealCase], ordering: &Ordering) -> Vec<CaseScore> {
    cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            let held_out;
            let ordering = match ordering {
                Ordering::EngineLeaveOneOut => {
                    held_out = Experience::from_cases(
                        kb,
                        cases
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| *j != i)
                            .map(|(_, c)| c),
                    );
                    Ordering::Engine(Prior::With(&held_out))
                }
                other => other.clone(),
            };
            score_case(kb, case, &ordering)
        })
        .collect()
}

/// Scores one case, or `None` when its outcome is not one the kb can read.
pub fn score_case(kb: &Kb, case: &RealCase, ordering: &Ordering) -> Option<CaseScore> {
    let resolution = kb.resolution(&case.resolved_by)?;
    let reading = kb.read_case(case);
    let tool_user = reading
        .observations
        .iter()
        .any(|o| o.question == "restore-tool" && THIRD_PARTY_TOOLS.contains(&o.answer.as_str()));
    let code = reading.code;
    let evidence = Evidence::from_case(reading, Prior::KbOnly);
    let actions = match ordering {
        Ordering::Engine(prior) => {
            let evidence = Evidence {
                prior: *prior,
                ..evidence
            };
            assess(kb, &evidence)
                .ok()?
                .plan
                .into_iter()
                .filter(|s| s.kind == StepKind::Action)
                .map(|s| s.id)
                .collect()
        }
        Ordering::EngineLeaveOneOut => return None,
        Ordering::Fixed(list) => fixed_order(kb, list, &evidence),
        Ordering::Apple => {
            let category = code
                .and_then(|c| kb.lookup_code(c).category)
                .or_else(|| kb.category("disconnected"));
            let list = category.map(|c| c.apple_steps.clone()).unwrap_or_default();
            fixed_order(kb, &list, &evidence)
        }
    };
    let rank = actions
        .iter()
        .position(|a| resolution.actions.contains(a))
        .map(|i| i + 1);
    let minutes_of = |ids: &[String]| -> f64 {
        ids.iter()
            .filter_map(|id| kb.action(id))
            .map(|a| a.cost_minutes)
            .sum()
    };
    let minutes = match rank {
        Some(r) => minutes_of(&actions[..r]),
        None => {
            let shop_listed = actions
                .iter()
                .any(|id| kb.action(id).is_some_and(|a| a.escalation));
            minutes_of(&actions)
                + if shop_listed {
                    0.0
                } else {
                    kb.escalation().map_or(0.0, |a| a.cost_minutes)
                }
        }
    };
    Some(CaseScore {
        id: case.id.clone(),
        group: resolution.group,
        tool_user,
        rank,
        minutes,
    })
}

/// A fixed list without the actions already tried, impossible or not on offer, ending with
/// the repair shop.
fn fixed_order(kb: &Kb, list: &[String], evidence: &Evidence) -> Vec<String> {
    let answers: &[Observation] = &evidence.observations;
    let erased = crate::erased(kb, &evidence.failed);
    let mut out: Vec<String> = list
        .iter()
        .filter(|id| !evidence.failed.contains(id) && !evidence.unavailable.contains(id))
        .filter(|id| kb.action(id).is_some_and(|a| a.offered(answers, erased)))
        .cloned()
        .collect();
    if let Some(shop) = kb.escalation()
        && !out.contains(&shop.id)
    {
        out.push(shop.id.clone());
    }
    out
}

/// Share of cases with the real fix among the first `n` actions, and the mean rank and
/// minutes (rank counted as one past the list when the real fix is missing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub cases: usize,
    pub in_first_three: usize,
    pub mean_rank: f64,
    pub mean_minutes: f64,
}

impl Summary {
    pub fn of<'a>(scores: impl IntoIterator<Item = &'a CaseScore>) -> Summary {
        let (mut cases, mut top, mut rank, mut minutes) = (0, 0, 0.0, 0.0);
        for s in scores {
            cases += 1;
            top += usize::from(s.rank.is_some_and(|r| r <= 3));
            rank += s.rank.map_or(10.0, |r| r as f64);
            minutes += s.minutes;
        }
        let n = cases.max(1) as f64;
        Summary {
            cases,
            in_first_three: top,
            mean_rank: rank / n,
            mean_minutes: minutes / n,
        }
    }

    pub fn share(&self) -> f64 {
        self.in_first_three as f64 / self.cases.max(1) as f64
    }
}
