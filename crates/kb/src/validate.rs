//! Consistency checks over a parsed knowledge base: every referenced id exists, every
//! probability is in range, every entry carries a known source, costs are positive.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::questions::ANY_CAUSE;
use crate::{DeviceKind, Kb, ToolMessages};

/// One thing wrong with the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The data file, e.g. `actions.toml`.
    pub file: &'static str,
    /// The entry, e.g. `swap-cable` or `code 4013`.
    pub entry: String,
    pub message: String,
}

/// One problem on one line: `actions.toml [swap-cable]: …`, `codes.toml [line 12, column 3]: …`.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if !self.entry.is_empty() {
            write!(f, " [{}]", self.entry)?;
        }
        let message = self
            .message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        write!(f, ": {message}")
    }
}

/// Formats problems one per line.
pub fn render(problems: &[Problem]) -> String {
    let mut out = String::new();
    for p in problems {
        let _ = writeln!(out, "  {p}");
    }
    out
}

struct Checker<'a> {
    kb: &'a Kb,
    problems: Vec<Problem>,
    causes: HashSet<&'a str>,
    actions: HashSet<&'a str>,
    questions: HashSet<&'a str>,
    categories: HashSet<&'a str>,
    sources: HashSet<&'a str>,
    groups: HashSet<&'a str>,
}

/// Runs every check and returns what is wrong (empty when the data is consistent).
pub fn check(kb: &Kb) -> Vec<Problem> {
    let mut c = Checker {
        kb,
        problems: Vec::new(),
        causes: kb.causes.iter().map(|c| c.id.as_str()).collect(),
        actions: kb.actions.iter().map(|a| a.id.as_str()).collect(),
        questions: kb.questions.iter().map(|q| q.id.as_str()).collect(),
        categories: kb.categories.iter().map(|c| c.id.as_str()).collect(),
        sources: kb.sources.iter().map(|s| s.id.as_str()).collect(),
        groups: known_groups(kb),
    };
    c.unique_ids();
    c.categories();
    c.codes();
    c.causes();
    c.actions();
    c.questions();
    c.devices_and_dfu();
    c.notes();
    c.outcomes();
    c.dialogs();
    c.cited("settings.toml", "settings", &kb.settings.sources);
    if kb.settings.data_loss_minutes < 0.0 || !kb.settings.data_loss_minutes.is_finite() {
        c.problem(
            "settings.toml",
            "settings",
            "data_loss_minutes must be zero or more",
        );
    }
    c.probability(
        "settings.toml",
        "settings",
        "repair_keeps_data",
        kb.settings.repair_keeps_data,
    );
    c.problems
}

/// Checks the tool message table against the rest of the knowledge base.
pub fn tool_messages(kb: &Kb, table: &ToolMessages) -> Vec<Problem> {
    let mut c = Checker {
        kb,
        problems: Vec::new(),
        causes: HashSet::new(),
        actions: HashSet::new(),
        questions: kb.questions.iter().map(|q| q.id.as_str()).collect(),
        categories: HashSet::new(),
        sources: HashSet::new(),
        groups: HashSet::new(),
    };
    c.tool_messages(table);
    c.problems
}

fn known_groups(kb: &Kb) -> HashSet<&str> {
    let mut groups: HashSet<&str> = kb.groups.iter().map(|g| g.id.as_str()).collect();
    groups.extend(kb.dfu_families.iter().map(|f| f.id.as_str()));
    groups.extend([
        "iphone",
        "ipad",
        "ipod",
        "30-pin",
        "lightning",
        "usb-c",
        "touch-id",
        "face-id",
        "no-biometric",
        "cellular",
        "wifi-only",
        "modem-unknown",
    ]);
    groups
}

impl<'a> Checker<'a> {
    fn problem(
        &mut self,
        file: &'static str,
        entry: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            file,
            entry: entry.into(),
            message: message.into(),
        });
    }

    /// Every dialog language has wordings as the reader compares them (folded, lower case),
    /// and every example is cited and carries a code.
    fn dialogs(&mut self) {
        let mut seen = HashSet::new();
        for lang in &self.kb.dialog_languages {
            let entry = lang.id.as_str();
            if !seen.insert(entry) {
                self.problem("dialogs.toml", entry, "is listed twice");
            }
            if lang.unknown_error.is_empty() && lang.could_not.is_empty() {
                self.problem("dialogs.toml", entry, "has no wording");
            }
            for phrase in lang.unknown_error.iter().chain(&lang.could_not) {
                if phrase.chars().count() < 3 || crate::dialogs::fold(phrase) != *phrase {
                    self.problem(
                        "dialogs.toml",
                        entry,
                        format!("'{phrase}' must be lower case, folded and 3 letters or more"),
                    );
                }
            }
            if lang.example.is_empty() {
                self.problem("dialogs.toml", entry, "has no cited example");
            }
            for example in &lang.example {
                self.cited("dialogs.toml", entry, std::slice::from_ref(&example.source));
                if example.code.is_none() && !example.text.contains("^ERRORNUMBER") {
                    self.problem(
                        "dialogs.toml",
                        entry,
                        "an example needs ^ERRORNUMBER or the code it carries",
                    );
                }
            }
        }
    }

    fn cited(&mut self, file: &'static str, entry: &str, sources: &[String]) {
        if sources.is_empty() {
            self.problem(file, entry, "has no sources");
        }
        for s in sources {
            if !self.sources.contains(s.as_str()) {
                self.problem(file, entry, format!("cites unknown source '{s}'"));
            }
        }
    }

    fn cause_ref(&mut self, file: &'static str, entry: &str, id: &str) {
        if !self.causes.contains(id) {
            self.problem(file, entry, format!("refers to unknown cause '{id}'"));
        }
    }

    fn group_ref(&mut self, file: &'static str, entry: &str, id: &str) {
        if !self.groups.contains(id) {
            self.problem(file, entry, format!("refers to unknown group '{id}'"));
        }
    }

    fn probability(&mut self, file: &'static str, entry: &str, what: &str, value: f64) {
        if !(0.0..=1.0).contains(&value) {
            self.problem(
                file,
                entry,
                format!("{what} is {value}, outside the range 0 to 1"),
            );
        }
    }

    fn unique_ids(&mut self) {
        let kb = self.kb;
        let lists: [(&'static str, Vec<&str>); 8] = [
            (
                "sources.toml",
                kb.sources.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "categories.toml",
                kb.categories.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "causes.toml",
                kb.causes.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "actions.toml",
                kb.actions.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "questions.toml",
                kb.questions.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "groups.toml",
                kb.groups.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "dfu.toml",
                kb.dfu_families.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "notes.toml",
                kb.notes.iter().map(|s| s.id.as_str()).collect(),
            ),
        ];
        for (file, ids) in lists {
            let mut seen = HashSet::new();
            for id in ids {
                if !seen.insert(id) {
                    self.problem(file, id, "id is used twice");
                }
            }
        }
        let mut seen = HashSet::new();
        for entry in &kb.codes {
            for n in entry.numbers() {
                if !seen.insert(n) {
                    self.problem("codes.toml", format!("code {n}"), "code is described twice");
                }
            }
        }
    }

    fn categories(&mut self) {
        for cat in &self.kb.categories {
            let entry = cat.id.as_str();
            self.cited("categories.toml", entry, &cat.sources);
            self.probability(
                "categories.toml",
                entry,
                "default_likelihood",
                cat.default_likelihood,
            );
            for (cause, value) in &cat.likelihood {
                self.cause_ref("categories.toml", entry, cause);
                self.probability(
                    "categories.toml",
                    entry,
                    &format!("likelihood of {cause}"),
                    *value,
                );
            }
            for step in &cat.apple_steps {
                if !self.actions.contains(step.as_str()) {
                    self.problem(
                        "categories.toml",
                        entry,
                        format!("apple_steps names unknown action '{step}'"),
                    );
                }
            }
        }
    }

    fn codes(&mut self) {
        for code in &self.kb.codes {
            let numbers = code.numbers();
            let entry = match numbers.first() {
                Some(n) => format!("code {n}"),
                None => {
                    self.problem(
                        "codes.toml",
                        "code ?",
                        "entry has neither `code` nor `codes`",
                    );
                    continue;
                }
            };
            if code.code.is_some() && !code.codes.is_empty() {
                self.problem(
                    "codes.toml",
                    entry.as_str(),
                    "use either `code` or `codes`, not both",
                );
            }
            self.cited("codes.toml", &entry, &code.sources);
            for cat in std::iter::once(&code.category).chain(code.also.iter()) {
                if !self.categories.contains(cat.as_str()) {
                    self.problem(
                        "codes.toml",
                        entry.as_str(),
                        format!("refers to unknown category '{cat}'"),
                    );
                }
            }
            if !["A-q", "A-2", "A-m", "none"].contains(&code.apple.as_str()) {
                self.problem(
                    "codes.toml",
                    entry.as_str(),
                    format!("apple tag '{}' is not A-q, A-2, A-m or none", code.apple),
                );
            }
            if !["high", "medium", "low"].contains(&code.confidence.as_str()) {
                self.problem(
                    "codes.toml",
                    entry.as_str(),
                    format!(
                        "confidence '{}' is not high, medium or low",
                        code.confidence
                    ),
                );
            }
            if let Some(value) = code.default_likelihood {
                self.probability("codes.toml", &entry, "default_likelihood", value);
            }
            for (cause, value) in &code.likelihood {
                self.cause_ref("codes.toml", &entry, cause);
                self.probability(
                    "codes.toml",
                    &entry,
                    &format!("likelihood of {cause}"),
                    *value,
                );
            }
        }
        for range in &self.kb.ranges {
            let entry = format!("range {}..{}", range.from, range.to);
            self.cited("codes.toml", &entry, &range.sources);
            if range.from > range.to {
                self.problem("codes.toml", entry.as_str(), "from is larger than to");
            }
            if !self.categories.contains(range.category.as_str()) {
                self.problem(
                    "codes.toml",
                    entry.as_str(),
                    format!("refers to unknown category '{}'", range.category),
                );
            }
        }
    }

    fn causes(&mut self) {
        for cause in &self.kb.causes {
            let entry = cause.id.as_str();
            self.cited("causes.toml", entry, &cause.sources);
            self.probability("causes.toml", entry, "prior", cause.prior);
            for g in cause.applies_to.iter().chain(&cause.not_for) {
                self.group_ref("causes.toml", entry, g);
            }
            for other in &cause.unless_likely {
                self.cause_ref("causes.toml", entry, other);
            }
            for p in &cause.prior_for {
                self.group_ref("causes.toml", entry, &p.group);
                self.probability(
                    "causes.toml",
                    entry,
                    &format!("prior for {}", p.group),
                    p.prior,
                );
            }
        }
        if self.kb.causes.iter().all(|c| c.prior <= 0.0) {
            self.problem("causes.toml", "all", "every prior is zero");
        }
    }

    fn actions(&mut self) {
        for action in &self.kb.actions {
            let entry = action.id.as_str();
            self.cited("actions.toml", entry, &action.sources);
            if !(action.cost_minutes > 0.0 && action.cost_minutes.is_finite()) {
                self.problem(
                    "actions.toml",
                    entry,
                    format!("cost_minutes is {}, must be above 0", action.cost_minutes),
                );
            }
            if action.steps.is_empty() {
                self.problem("actions.toml", entry, "has no steps");
            }
            if action.worked.as_ref().is_some_and(|w| w.trim().is_empty()) {
                self.problem("actions.toml", entry, "`worked` is empty");
            }
            if action.escalation && !action.fixes.is_empty() {
                self.problem(
                    "actions.toml",
                    entry,
                    "the escalation action fixes everything; remove its `fixes`",
                );
            }
            if !action.escalation && action.fixes.is_empty() {
                self.problem("actions.toml", entry, "fixes no cause");
            }
            for (cause, p) in &action.fixes {
                self.cause_ref("actions.toml", entry, cause);
                self.probability("actions.toml", entry, &format!("P(fix | {cause})"), *p);
            }
            for condition in action.only_if.iter().chain(&action.not_if) {
                self.condition(entry, condition);
            }
            if let Some(conditional) = &action.fixes_if {
                if action.escalation {
                    self.problem(
                        "actions.toml",
                        entry,
                        "the escalation action has `fixes_if`",
                    );
                }
                if conditional.why.trim().is_empty() {
                    self.problem("actions.toml", entry, "`fixes_if` needs a `why`");
                }
                for condition in std::iter::once(&conditional.when).chain(&conditional.unless) {
                    self.condition(entry, condition);
                }
                for (cause, p) in &conditional.fixes {
                    self.cause_ref("actions.toml", entry, cause);
                    let what = format!("P(fix | {cause}, {})", conditional.when.question);
                    self.probability("actions.toml", entry, &what, *p);
                }
            }
        }
        match self.kb.actions.iter().filter(|a| a.escalation).count() {
            1 => {}
            n => self.problem(
                "actions.toml",
                "escalation",
                format!("needs exactly one escalation action, found {n}"),
            ),
        }
    }

    fn outcomes(&mut self) {
        let kb = self.kb;
        let mut spellings = HashSet::new();
        for r in &kb.resolutions {
            for id in std::iter::once(&r.id).chain(&r.also) {
                if !spellings.insert(id.to_ascii_lowercase()) {
                    self.problem(
                        "outcomes.toml",
                        r.id.as_str(),
                        format!("'{id}' is listed twice"),
                    );
                }
            }
            if let Some(cause) = &r.cause {
                self.cause_ref("outcomes.toml", &r.id, cause);
            }
            for a in &r.actions {
                self.action_ref("outcomes.toml", &r.id, a);
            }
        }
        for (i, p) in kb.phrases.iter().enumerate() {
            let entry = format!("phrase {} ({})", i + 1, p.any.first().map_or("", |s| s));
            if p.failed.is_none() && p.cannot.is_none() && p.observe.is_none() {
                self.problem("outcomes.toml", entry.as_str(), "reads nothing");
            }
            for a in p.failed.iter().chain(&p.cannot) {
                self.action_ref("outcomes.toml", &entry, a);
            }
            if let Some(text) = &p.observe {
                match p.observation() {
                    Some(o)
                        if kb
                            .question(&o.question)
                            .is_some_and(|q| q.has_answer(&o.answer)) => {}
                    _ => self.problem(
                        "outcomes.toml",
                        entry.as_str(),
                        format!("'{text}' is not question=answer of a known question"),
                    ),
                }
            }
            if p.any
                .iter()
                .chain(&p.all)
                .chain(&p.none)
                .any(|s| s.trim().is_empty() || super::outcomes::phrase_form(s) != *s)
            {
                self.problem(
                    "outcomes.toml",
                    entry.as_str(),
                    "phrases must be non-empty, lower case, with spaces for hyphens and slashes",
                );
            }
        }
        for case in &kb.real_cases {
            if kb.resolution(&case.resolved_by).is_none() {
                self.problem(
                    "real-cases.jsonl",
                    case.id.as_str(),
                    format!(
                        "resolved_by '{}' has no resolution in outcomes.toml",
                        case.resolved_by
                    ),
                );
            }
        }
    }

    fn action_ref(&mut self, file: &'static str, entry: &str, id: &str) {
        if !self.actions.contains(id) {
            self.problem(file, entry, format!("refers to unknown action '{id}'"));
        }
    }

    fn condition(&mut self, entry: &str, condition: &crate::Condition) {
        let Some(q) = self.kb.question(&condition.question) else {
            self.problem(
                "actions.toml",
                entry,
                format!("condition on unknown question '{}'", condition.question),
            );
            return;
        };
        for answer in &condition.answers {
            if !q.has_answer(answer) {
                self.problem(
                    "actions.toml",
                    entry,
                    format!("condition names '{answer}', not an answer to {}", q.id),
                );
            }
        }
    }

    /// The tool message table: every reference resolves, every answer is one its question
    /// takes, and every failure a tool prints maps to a phase.
    fn tool_messages(&mut self, t: &ToolMessages) {
        const FILE: &str = "tool-messages.toml";
        let sources: HashSet<&str> = t.sources.iter().map(|s| s.id.as_str()).collect();
        if sources.len() != t.sources.len() {
            self.problem(FILE, "source", "a source id is used twice");
        }
        let cite = |c: &mut Checker, entry: &str, ids: &[String]| {
            if ids.is_empty() {
                c.problem(FILE, entry, "has no sources");
            }
            for id in ids.iter().filter(|id| !sources.contains(id.as_str())) {
                c.problem(FILE, entry, format!("cites unknown source '{id}'"));
            }
        };
        let answers = |question: &str| {
            self.kb
                .question(question)
                .map(|q| q.answers.clone())
                .unwrap_or_default()
        };
        let (tool_answers, component_answers) =
            (answers("restore-tool"), answers("firmware-step-failed"));
        for tool in &t.tools {
            cite(self, &tool.id, &tool.sources);
            if let Some(base) = &tool.built_on
                && t.tool(base).is_none()
            {
                self.problem(FILE, &tool.id, format!("is built on unknown tool '{base}'"));
            }
            if let Some(answer) = &tool.answer
                && !tool_answers.contains(answer)
            {
                self.problem(
                    FILE,
                    &tool.id,
                    format!("'{answer}' is no restore-tool answer"),
                );
            }
        }
        for component in &t.components {
            if let Some(answer) = &component.answer
                && !component_answers.contains(answer)
            {
                let message = format!("'{answer}' is no firmware-step-failed answer");
                self.problem(FILE, &component.id, message);
            }
        }
        for status in &t.server_statuses {
            cite(self, &format!("status {}", status.status), &status.sources);
        }
        for domain in &t.domains {
            cite(self, &domain.id, &domain.sources);
            for n in &domain.numbers {
                cite(self, &format!("{} {}", domain.id, n.number), &n.sources);
            }
        }
        for f in &t.functions {
            cite(self, &format!("{} {}", f.file, f.name), &f.read_from);
            if t.tool(&f.tool).is_none() {
                self.problem(FILE, &f.name, format!("names unknown tool '{}'", f.tool));
            }
        }
        for m in t.messages() {
            let entry = format!("{} {}: {}", m.tool, m.function, m.text);
            if let Some(c) = m.component
                && t.component(c).is_none()
            {
                self.problem(FILE, &entry, format!("names unknown component '{c}'"));
            }
            if m.role.is_failure() && m.phase == crate::MessagePhase::None {
                self.problem(FILE, &entry, "a failure with no phase");
            }
            let literal = ["{n}", "{x}", "{f}", "{s}"]
                .iter()
                .fold(m.text.to_owned(), |text, p| text.replace(p, ""));
            if literal.trim().len() < 3 {
                self.problem(FILE, &entry, "too little text to be recognised");
            }
        }
    }

    fn questions(&mut self) {
        for q in &self.kb.questions {
            let entry = q.id.as_str();
            self.cited("questions.toml", entry, &q.sources);
            if q.answers.len() < 2 {
                self.problem("questions.toml", entry, "needs at least two answers");
            }
            if q.has_answer(crate::UNKNOWN_ANSWER) {
                self.problem(
                    "questions.toml",
                    entry,
                    "'unknown' is the word for \"I don't know\", not an answer",
                );
            }
            if !(q.cost_minutes >= 0.0 && q.cost_minutes.is_finite()) {
                self.problem("questions.toml", entry, "cost_minutes must be zero or more");
            }
            if !(q.answerable_share > 0.0 && q.answerable_share <= 1.0) {
                self.problem(
                    "questions.toml",
                    entry,
                    "answerable_share must be above 0 and at most 1",
                );
            }
            for g in &q.applies_to {
                self.group_ref("questions.toml", entry, g);
            }
            if q.symptom.is_some() && (q.observed_only || !q.has_answer("yes")) {
                self.problem(
                    "questions.toml",
                    entry,
                    "a symptom is a person's \"yes\": the question needs a yes answer and must be asked of people",
                );
            }
            for answer in &q.answers {
                if !crate::questions::has_words(q, answer) {
                    self.problem(
                        "questions.toml",
                        entry,
                        format!("answer '{answer}' needs words for people in answer_words"),
                    );
                }
            }
            for answer in q.answer_words.keys() {
                if !q.has_answer(answer) {
                    self.problem(
                        "questions.toml",
                        entry,
                        format!("answer_words names '{answer}', which is not an answer"),
                    );
                }
            }
            for other in &q.overlaps {
                if other == &q.id || self.kb.question(other).is_none() {
                    self.problem(
                        "questions.toml",
                        entry,
                        format!("overlaps names '{other}', which is not another question"),
                    );
                }
            }
            for action in &q.tried_if_yes {
                if self.kb.action(action).is_none() {
                    self.problem(
                        "questions.toml",
                        entry,
                        format!("tried_if_yes names '{action}', which is not an action"),
                    );
                }
            }
            if !q.likelihood.is_empty() && !q.likelihood.contains_key(ANY_CAUSE) {
                self.problem(
                    "questions.toml",
                    entry,
                    "likelihood table needs a \"*\" row for the other causes",
                );
            }
            for (cause, row) in &q.likelihood {
                if cause != ANY_CAUSE {
                    self.cause_ref("questions.toml", entry, cause);
                }
                let mut sum = 0.0;
                for answer in &q.answers {
                    match row.get(answer) {
                        Some(p) => {
                            self.probability(
                                "questions.toml",
                                entry,
                                &format!("P({answer} | {cause})"),
                                *p,
                            );
                            sum += p;
                        }
                        None => self.problem(
                            "questions.toml",
                            entry,
                            format!("row {cause} has no value for answer '{answer}'"),
                        ),
                    }
                }
                for answer in row.keys() {
                    if !q.has_answer(answer) {
                        self.problem(
                            "questions.toml",
                            entry,
                            format!("row {cause} names unknown answer '{answer}'"),
                        );
                    }
                }
                if (sum - 1.0).abs() > 1e-6 {
                    self.problem(
                        "questions.toml",
                        entry,
                        format!("row {cause} sums to {sum}, not 1"),
                    );
                }
            }
        }
    }

    fn devices_and_dfu(&mut self) {
        let kb = self.kb;
        self.cited("devices.toml", "devices", &kb.device_sources);
        for table in &kb.model_numbers {
            let entry = format!("model numbers from {}", table.sources.join(", "));
            self.cited("devices.toml", &entry, &table.sources);
            for (product_type, numbers) in &table.numbers {
                let Some(model) = kb
                    .devices
                    .iter()
                    .find(|d| &d.product_type == product_type)
                    .map(|d| d.model.as_str())
                else {
                    self.problem(
                        "devices.toml",
                        &entry,
                        format!("'{product_type}' is no product type of the device table"),
                    );
                    continue;
                };
                for n in numbers {
                    let well_formed = n.len() == 5
                        && n.starts_with('A')
                        && n[1..].chars().all(|c| c.is_ascii_digit());
                    // A number may name several variants of one model, never two models.
                    let other_model = kb.product_types_by_model_number(n).into_iter().any(|p| {
                        kb.devices
                            .iter()
                            .any(|d| d.product_type == p && d.model != model)
                    });
                    if !well_formed || other_model {
                        self.problem(
                            "devices.toml",
                            product_type.as_str(),
                            format!(
                                "model number '{n}' is not an A and four digits, or names two models"
                            ),
                        );
                    }
                }
            }
        }
        for table in &kb.usb_products {
            self.cited("devices.toml", "usb products", &table.sources);
            for (pid, named) in &table.models {
                let parsed = pid
                    .strip_prefix("0x")
                    .and_then(|hex| u16::from_str_radix(hex, 16).ok());
                if parsed.is_none() || kb.resolve_model(named).is_err() {
                    self.problem(
                        "devices.toml",
                        pid.as_str(),
                        format!("usb product '{pid}' must be 0x and four hex digits naming a known model, not '{named}'"),
                    );
                }
            }
        }
        let families: HashSet<&str> = kb.dfu_families.iter().map(|f| f.id.as_str()).collect();
        let mut seen = HashSet::new();
        for d in &kb.devices {
            let entry = d.product_type.as_str();
            if d.product_type.trim().is_empty() || d.model.trim().is_empty() {
                self.problem(
                    "devices.toml",
                    entry,
                    "product_type and model must not be empty",
                );
            }
            // The modem fact agrees with the kind and with the variant's name.
            let named_wifi = d.name.contains("WiFi") || d.name.contains("Wi-Fi");
            let consistent = match (d.kind, d.cellular) {
                (DeviceKind::Iphone, Some(false)) | (DeviceKind::Ipod, Some(true)) => false,
                (DeviceKind::Ipad, Some(cellular)) => cellular != named_wifi,
                _ => true,
            };
            if !consistent {
                self.problem(
                    "devices.toml",
                    entry,
                    "cellular disagrees with the kind or the name (WiFi / Cellular)",
                );
            }
            if !families.contains(d.dfu.as_str()) {
                self.problem(
                    "devices.toml",
                    entry,
                    format!("refers to unknown DFU family '{}'", d.dfu),
                );
            }
            if let (Some(cpid), Some(bdid)) = (d.cpid, d.bdid)
                && !seen.insert((cpid, bdid))
            {
                self.problem(
                    "devices.toml",
                    entry,
                    format!("CPID 0x{cpid:04X} with BDID 0x{bdid:02X} is used twice"),
                );
            }
        }
        for f in &kb.dfu_families {
            self.cited("dfu.toml", &f.id, &f.sources);
            if f.steps.is_empty() {
                self.problem("dfu.toml", f.id.as_str(), "has no steps");
            }
        }
        self.cited("dfu.toml", "signs", &kb.dfu_signs.sources);
        for g in &kb.groups {
            self.cited("groups.toml", &g.id, &g.sources);
            for p in &g.product_types {
                if !kb.devices.iter().any(|d| &d.product_type == p) {
                    self.problem(
                        "groups.toml",
                        g.id.as_str(),
                        format!("lists unknown product type '{p}'"),
                    );
                }
            }
        }
    }

    fn notes(&mut self) {
        for n in &self.kb.notes {
            let entry = n.id.as_str();
            self.cited("notes.toml", entry, &n.sources);
            self.cause_ref("notes.toml", entry, &n.cause);
            for g in &n.groups {
                self.group_ref("notes.toml", entry, g);
            }
            for q in &n.questions {
                if !self.questions.contains(q.as_str()) {
                    self.problem(
                        "notes.toml",
                        entry,
                        format!("refers to unknown question '{q}'"),
                    );
                }
            }
        }
    }
}
