//! The numeric troubleshooting model: causes with priors, actions with costs and per-cause fix
//! probabilities, questions with per-cause answer likelihoods, built from the kb for one device.

use kb::{Device, Kb};

use crate::experience::{Experience, Prior};

/// An action in numeric form.
#[derive(Debug, Clone)]
pub struct ModelAction {
    pub id: String,
    /// Minutes of the person's time.
    pub cost: f64,
    /// P(fix | cause), indexed like [`Model::causes`].
    pub fixes: Vec<f64>,
    /// Share of the phone's data lost when this action runs under each cause: 1 for every
    /// cause when it erases; for the repair shop, 1 for software causes (it restores) and
    /// 1 − `repair_keeps_data` for hardware ones.
    pub data_loss: Vec<f64>,
    pub erases_data: bool,
    pub escalation: bool,
}

/// A question in numeric form.
#[derive(Debug, Clone)]
pub struct ModelQuestion {
    pub id: String,
    pub cost: f64,
    pub answers: Vec<String>,
    /// `likelihood[answer][cause]` = P(answer | cause).
    pub likelihood: Vec<Vec<f64>>,
    /// Answering changes action costs (whether a backup exists) rather than beliefs.
    pub sets_backup: bool,
    /// Only USB or a log can answer it; never asked of a person.
    pub observed_only: bool,
    /// Share of people who can answer it.
    pub answerable: f64,
    /// Known in seconds and asked before other questions when worth asking at all.
    pub intake: bool,
}

/// Causes, actions and questions for one troubleshooting session.
#[derive(Debug, Clone)]
pub struct Model {
    pub causes: Vec<String>,
    /// Unnormalised prior per cause for this device.
    pub priors: Vec<f64>,
    pub actions: Vec<ModelAction>,
    pub questions: Vec<ModelQuestion>,
    /// What losing the phone's data is worth in minutes when no backup exists.
    pub data_loss_minutes: f64,
}

/// Share of the phone's data lost when `action` runs and the fault is (or is not) hardware:
/// all of it for an erase; for the repair shop, all of it for a software fault (it restores)
/// and 1 − `repair_keeps_data` for a hardware one; none otherwise.
pub fn data_loss_share(kb: &Kb, action: &kb::Action, hardware: bool) -> f64 {
    match (action.erases_data, action.escalation, hardware) {
        (true, _, _) | (false, true, false) => 1.0,
        (false, true, true) => 1.0 - kb.settings.repair_keeps_data,
        (false, false, _) => 0.0,
    }
}

/// The question whose answer says whether the phone's data is backed up.
pub const BACKUP_QUESTION: &str = "backup-available";

impl Model {
    /// Builds the model for a device (or an unknown device) from the knowledge base. Questions
    /// limited to other device groups are left out.
    pub fn from_kb(kb: &Kb, device: Option<&Device>) -> Model {
        let causes: Vec<String> = kb.causes.iter().map(|c| c.id.clone()).collect();
        let groups = device.map(|d| kb.groups_of(d));
        let priors = kb
            .causes
            .iter()
            .map(|c| Kb::prior_in(c, groups.as_deref()))
            .collect();
        let actions = kb
            .actions
            .iter()
            .map(|a| ModelAction {
                id: a.id.clone(),
                cost: a.cost_minutes,
                fixes: causes.iter().map(|c| a.p_fix(c)).collect(),
                data_loss: kb
                    .causes
                    .iter()
                    .map(|c| data_loss_share(kb, a, c.hardware))
                    .collect(),
                erases_data: a.erases_data,
                escalation: a.escalation,
            })
            .collect();
        let questions = kb
            .questions
            .iter()
            .filter(|q| match (&groups, q.applies_to.is_empty()) {
                (_, true) | (None, _) => true,
                (Some(groups), false) => q.applies_to.iter().any(|g| groups.contains(&g.as_str())),
            })
            .map(|q| ModelQuestion {
                id: q.id.clone(),
                cost: q.cost_minutes,
                answers: q.answers.clone(),
                likelihood: q
                    .answers
                    .iter()
                    .map(|ans| {
                        causes
                            .iter()
                            .map(|c| {
                                if q.likelihood.is_empty() {
                                    1.0 / q.answers.len() as f64
                                } else {
                                    q.likelihood(c, ans)
                                }
                            })
                            .collect()
                    })
                    .collect(),
                sets_backup: q.id == BACKUP_QUESTION,
                observed_only: q.observed_only,
                answerable: q.answerable_share,
                intake: q.intake,
            })
            .collect();
        Model {
            causes,
            priors,
            actions,
            questions,
            data_loss_minutes: kb.settings.data_loss_minutes,
        }
    }

    /// The model for a piece of evidence: its device, with the priors it asks for.
    pub fn for_evidence(kb: &Kb, evidence: &crate::Evidence) -> Model {
        let mut model = Model::from_kb(kb, evidence.device);
        let pseudo = kb.settings.kb_pseudo_cases;
        model.priors = match evidence.prior {
            Prior::KbOnly => model.priors,
            Prior::Calibrated => {
                Experience::calibration(kb).blend(&model.causes, &model.priors, pseudo)
            }
            Prior::With(experience) => experience.blend(&model.causes, &model.priors, pseudo),
        };
        // What each action fixes given the answers so far: whether it applies to this phone
        // (a hub to take out, a phone in recovery mode) and answers that change its rates (a
        // failed update leaves the system whole more often than not).
        let causes = &model.causes;
        for (action, numeric) in kb.actions.iter().zip(&mut model.actions) {
            if action.escalation || action.conditions().next().is_none() {
                continue;
            }
            numeric.fixes = causes
                .iter()
                .map(|c| kb.p_fix_expected(action, c, &evidence.observations))
                .collect();
        }
        model
    }

    pub fn cause_index(&self, id: &str) -> Option<usize> {
        self.causes.iter().position(|c| c == id)
    }

    pub fn action_index(&self, id: &str) -> Option<usize> {
        self.actions.iter().position(|a| a.id == id)
    }

    pub fn question_index(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }

    /// The expected cost of running an action from a (not necessarily normalised) belief, as
    /// mass × minutes plus, while the data is still at stake, the value of the data it loses.
    /// Divide by the belief's mass for the cost per case.
    pub fn expected_cost(&self, action: usize, belief: &[f64], data_at_stake: bool) -> f64 {
        let a = &self.actions[action];
        let mass: f64 = belief.iter().sum();
        let mut cost = mass * a.cost;
        if data_at_stake {
            cost += self.lost_mass(action, belief) * self.data_loss_minutes;
        }
        cost
    }

    /// The belief mass under which running the action loses the phone's data.
    fn lost_mass(&self, action: usize, belief: &[f64]) -> f64 {
        self.actions[action]
            .data_loss
            .iter()
            .zip(belief)
            .map(|(l, p)| l * p)
            .sum()
    }

    /// The data-loss part of an action's cost per case, in minutes, under a belief.
    pub fn data_loss_cost(&self, action: usize, belief: &[f64], data_at_stake: bool) -> f64 {
        let mass: f64 = belief.iter().sum();
        if mass <= 0.0 || !data_at_stake {
            return 0.0;
        }
        self.lost_mass(action, belief) / mass * self.data_loss_minutes
    }

    /// Probability that an action fixes the problem under a (not necessarily normalised)
    /// belief, as a share of the belief's mass.
    pub fn p_fix(&self, action: usize, belief: &[f64]) -> f64 {
        let mass: f64 = belief.iter().sum();
        if mass <= 0.0 {
            return 0.0;
        }
        let fixed: f64 = self.actions[action]
            .fixes
            .iter()
            .zip(belief)
            .map(|(f, p)| f * p)
            .sum();
        fixed / mass
    }
}
