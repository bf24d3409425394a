//! The words that cross crates as types: restore phases, where evidence came from, step
//! outcomes, case states and timeline event kinds, each serialised to its documented string.

use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// A closed set of words: the enum, its serde and strum spellings (kebab-case, the documented
/// strings), and `id()` for the word itself.
macro_rules! words {
    ($(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            Display, EnumString, IntoStaticStr, VariantArray,
        )]
        #[serde(rename_all = "kebab-case")]
        #[strum(serialize_all = "kebab-case")]
        pub enum $name { $($body)* }

        impl $name {
            /// The documented word.
            pub fn id(self) -> &'static str {
                self.into()
            }
        }
    };
}

words! {
/// The part of a restore a failure happened in (DESIGN.md, `logs --json` `phase`).
pub enum Phase {
    /// Unpacking the IPSW on the computer.
    Extract,
    /// Asking Apple's signing server for the blobs.
    Personalize,
    /// Sending iBSS / iBEC and the restore ramdisk; the phone re-enumerates in recovery mode.
    RecoveryBoot,
    /// The restore system writes the new OS (the progress bar).
    RestoreOs,
    /// Baseband, SEP, NFC, gas-gauge and other component firmware.
    Firmware,
    /// Checkpoints, activation records, reboot.
    Finalize,
}
}

impl Phase {
    /// What a person would call this phase.
    pub fn words(self) -> &'static str {
        match self {
            Phase::Extract => "downloading or unpacking the software on the computer",
            Phase::Personalize => "asking Apple to approve (sign) the software for this phone",
            Phase::RecoveryBoot => "preparing the phone, before the progress bar",
            Phase::RestoreOs => "writing the new system to the phone (the progress bar)",
            Phase::Firmware => "updating the phone's firmware, modem or other chips",
            Phase::Finalize => "doing the final checks and restarting",
        }
    }
}

words! {
/// A step of idevicerestore's progress (its `-P` output numbers them 0 to 6).
pub enum RestoreStep {
    Detect,
    Prepare,
    UploadFilesystem,
    VerifyFilesystem,
    FlashFirmware,
    FlashBaseband,
    UpdateOtherFirmware,
}
}

impl RestoreStep {
    /// The step in plain words.
    pub fn words(self) -> &'static str {
        match self {
            RestoreStep::Detect => "finding the phone",
            RestoreStep::Prepare => "preparing the phone",
            RestoreStep::UploadFilesystem => "sending the system",
            RestoreStep::VerifyFilesystem => "verifying the system",
            RestoreStep::FlashFirmware => "flashing firmware",
            RestoreStep::FlashBaseband => "flashing the modem",
            RestoreStep::UpdateOtherFirmware => "updating other chips",
        }
    }
}

words! {
/// Where a piece of evidence came from. The order of strength is [`EvidenceSource::strength`].
pub enum EvidenceSource {
    /// The person said so (an answer, or `--observe` / `--code` / `--model`).
    Person,
    /// Read off the USB bus (descriptor, serial string, hub path, link speed).
    Usb,
    /// Reported by usbmuxd or lockdown.
    Usbmux,
    /// Seen while watching the link during a retry.
    Watch,
    /// Inferred from a restore log.
    Log,
    /// Seen while supervising a restore.
    Restore,
}
}

/// How much a source's word counts when two sources disagree about the same question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Read between the lines of a log.
    Inferred,
    /// A person's explicit answer.
    Stated,
    /// Measured on the link or by the restore tool.
    Measured,
}

impl EvidenceSource {
    /// Where the fact came from, as a report says it.
    pub fn words(self) -> &'static str {
        match self {
            EvidenceSource::Person => "the person said so",
            EvidenceSource::Usb => "seen on USB",
            EvidenceSource::Usbmux => "told by usbmuxd",
            EvidenceSource::Watch => "seen while watching a retry",
            EvidenceSource::Log => "read from a restore log",
            EvidenceSource::Restore => "seen during a supervised restore",
        }
    }

    pub fn strength(self) -> Strength {
        match self {
            EvidenceSource::Log => Strength::Inferred,
            EvidenceSource::Person => Strength::Stated,
            EvidenceSource::Usb
            | EvidenceSource::Usbmux
            | EvidenceSource::Watch
            | EvidenceSource::Restore => Strength::Measured,
        }
    }
}

words! {
/// Whether a plan step is something to do or something to answer.
pub enum StepKind {
    Action,
    Question,
}
}

words! {
/// What happened to one step of a session.
pub enum StepOutcome {
    /// The step fixed the restore.
    Fixed,
    /// Done, and the restore still fails.
    Failed,
    /// The person cannot do this step (no second computer, no backup…).
    CannotDo,
    /// Put off for now; it comes back later.
    Skipped,
    /// Refused by the person: it erases the phone and they will not lose the data.
    Declined,
    /// A question answered.
    Answered,
    /// A question the person could not answer.
    Unknown,
}
}

impl StepOutcome {
    /// The outcome in a sentence ("Swap the cable: did not help").
    pub fn words(self) -> &'static str {
        match self {
            StepOutcome::Fixed => "fixed it",
            StepOutcome::Failed => "did not help",
            StepOutcome::CannotDo => "could not be done",
            StepOutcome::Skipped => "skipped",
            StepOutcome::Declined => "declined: it erases the phone, and the data matters",
            StepOutcome::Answered => "answered",
            StepOutcome::Unknown => "not known",
        }
    }
}

words! {
/// Where a case stands.
pub enum CaseStatus {
    /// Still being worked on, or stopped part-way (it can be resumed).
    Open,
    /// A step fixed it.
    Fixed,
    /// Everything worth trying was tried: the phone needs a repair bench.
    NeedsRepair,
}
}

impl CaseStatus {
    pub fn words(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Fixed => "fixed",
            CaseStatus::NeedsRepair => "needs a repair bench",
        }
    }
}

words! {
/// The kinds of timeline event (`watch --json`, `restore --json`, a case's events).
pub enum EventKind {
    Attach,
    Detach,
    /// An expected mode transition (DFU → recovery → restore mode → restored).
    ModeChange,
    /// Back in the same mode within seconds: a re-enumeration, usually harmless.
    Glitch,
    /// A real drop: not back within the expected window, or back in an earlier mode.
    Drop,
    /// Connecting and disconnecting over and over.
    Loop,
    /// Something a restore log said.
    LogFinding,
    /// The error number changed between attempts.
    CodeChange,
    Phase,
    Progress,
    Error,
    Verdict,
}
}

impl EventKind {
    /// The kind of event as a timeline shows it.
    pub fn words(self) -> &'static str {
        match self {
            EventKind::Attach => "connected",
            EventKind::Detach => "disconnected",
            EventKind::ModeChange => "changed mode",
            EventKind::Glitch => "brief reconnect",
            EventKind::Drop => "connection lost",
            EventKind::Loop => "connect-disconnect loop",
            EventKind::LogFinding => "restore log",
            EventKind::CodeChange => "new error number",
            EventKind::Phase => "restore stage",
            EventKind::Progress => "progress",
            EventKind::Error => "error",
            EventKind::Verdict => "verdict",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn every_word_round_trips_through_serde_and_from_str() {
        for phase in Phase::VARIANTS {
            let json = serde_json::to_string(phase).unwrap();
            assert_eq!(json, format!("\"{}\"", phase.id()));
            assert_eq!(Phase::from_str(phase.id()).unwrap(), *phase);
        }
        for kind in EventKind::VARIANTS {
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), *kind);
        }
        assert_eq!(Phase::RecoveryBoot.id(), "recovery-boot");
        assert_eq!(StepOutcome::CannotDo.id(), "cannot-do");
        assert_eq!(CaseStatus::NeedsRepair.id(), "needs-repair");
        assert_eq!(EventKind::ModeChange.id(), "mode-change");
        assert!(EvidenceSource::from_str("start").is_err());
    }

    #[test]
    fn a_measurement_outranks_a_statement_which_outranks_an_inference() {
        assert!(EvidenceSource::Usb.strength() > EvidenceSource::Person.strength());
        assert!(EvidenceSource::Person.strength() > EvidenceSource::Log.strength());
        assert_eq!(
            EvidenceSource::Watch.strength(),
            EvidenceSource::Restore.strength()
        );
    }
}
