//! Watching the link as a use-case: the findings of a watch summed up with the next step for
//! them (planned through the context), and recordings checked before they are replayed.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use kb::{Kb, Observation};
use watch::{Finding, Seen};

use crate::ops::Context;
use crate::usage_error::UsageError;

/// Largest recording read.
const MAX_RECORDING: u64 = 64 * 1024 * 1024;

/// The findings of one watch summed up as they come, and the engine's next step for them,
/// worked out again only when the evidence changes: a link that flaps all day costs one
/// assessment per change of evidence, not one per alert, and memory stays flat.
#[derive(Default)]
pub struct Advice<'kb> {
    pub seen: Seen,
    /// The evidence and model the last step was worked out for, and that step.
    last: Option<(
        Vec<Observation>,
        Option<&'kb kb::Device>,
        Option<engine::Step>,
    )>,
}

impl<'kb> Advice<'kb> {
    /// Takes in a finding.
    pub fn add(&mut self, f: &Finding) {
        self.seen.add(f);
    }

    /// The engine's next step given what was seen, what else is `known` about the port (such
    /// as a hub in its path), and the code and model, if known.
    pub fn next_step(
        &mut self,
        ctx: &Context,
        kb: &Kb,
        code: Option<i64>,
        model: Option<&'kb kb::Device>,
        known: &[Observation],
    ) -> Option<engine::Step> {
        let mut observations = known.to_vec();
        observations.extend(self.seen.observations());
        if let Some((said, for_model, step)) = &self.last
            && *said == observations
            && *for_model == model
        {
            return step.clone();
        }
        let evidence = engine::Evidence {
            code,
            device: model,
            observations: observations.clone(),
            ..engine::Evidence::default()
        };
        let step = ctx.next_action(kb, evidence);
        self.last = Some((observations, model, step.clone()));
        step
    }
}

/// A recording (`devices --watch --record`, or written by hand) whose every line was checked, so
/// a replay never stops half-way on a bad one. A file's events are read from it again as the
/// replay goes, so memory holds a line at a time; a pipe, which cannot be read twice, is kept
/// in memory (within the same size limit).
pub struct Recording {
    source: Source,
    /// The path as messages show it.
    shown: String,
}

enum Source {
    File(PathBuf),
    Memory(Vec<u8>),
}

impl Recording {
    /// Checks the recording at `path` from end to end.
    pub fn open(path: &Path) -> anyhow::Result<Recording> {
        let shown = kb::text::one_line(&path.display().to_string()).into_owned();
        let file = open(path, &shown)?;
        let too_large = || -> anyhow::Error {
            UsageError::new(format!(
                "{shown} is larger than {} MB: not a recording this command replays (split it, or record less)",
                MAX_RECORDING >> 20
            ))
            .into()
        };
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        let source = if regular {
            if file.metadata().map_or(0, |m| m.len()) > MAX_RECORDING {
                return Err(too_large());
            }
            Source::File(path.to_owned())
        } else {
            let mut bytes = Vec::new();
            file.take(MAX_RECORDING + 1).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > MAX_RECORDING {
                return Err(too_large());
            }
            Source::Memory(bytes)
        };
        let recording = Recording { source, shown };
        if let Some(Err(e)) = recording.events()?.find(Result::is_err) {
            return Err(e);
        }
        Ok(recording)
    }

    /// The events, read as they are taken (a file at most [`MAX_RECORDING`] bytes of it); a
    /// line that went bad since the check is an error there, and the last item.
    pub fn events(
        &self,
    ) -> anyhow::Result<impl Iterator<Item = anyhow::Result<watch::scenario::Event>> + '_> {
        let reader: Box<dyn std::io::BufRead + '_> = match &self.source {
            Source::File(path) => {
                Box::new(BufReader::new(open(path, &self.shown)?.take(MAX_RECORDING)))
            }
            Source::Memory(bytes) => Box::new(bytes.as_slice()),
        };
        Ok(watch::scenario::Events::new(reader)
            .map(|e| e.map_err(|e| UsageError::new(format!("{}: {e}", self.shown)).into())))
    }
}

fn open(path: &Path, shown: &str) -> anyhow::Result<std::fs::File> {
    std::fs::File::open(path)
        .map_err(|e| UsageError::new(format!("cannot read {shown}: {e}")).into())
}
