//! `restore-doctor restore`: runs idevicerestore under supervision, shows its phases and
//! progress in plain words, watches the link beside it, and names the next step when it fails.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use case::{Ledger, Subject, Verdict};
use engine::StepKind;
use kb::{CaseStatus, EventKind, EvidenceSource, Kb, Phase, StepOutcome};
use serde_json::json;
use supervise::{Ending, ErasePermit, Firmware, Happening, Ipsw, Request, Stopper, Tool};
use watch::Finding;

use crate::case_store::CaseKeeper;
use crate::cli::RestoreArgs;
use crate::knowledge::knowledge;
use crate::output::{self, DIM, GOOD, STRONG, WARN, paint};
use crate::usage_error::UsageError;
use crate::usb_source;
use crate::usb_watch::LinkWatch;

/// How often the link is polled beside the tool.
const LINK_INTERVAL: Duration = Duration::from_millis(200);

pub fn run(db: Option<&std::path::Path>, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    let kb = knowledge()?;
    // The firmware is checked first: a wrong path is an error at once, never a wait for a phone.
    let firmware = firmware(args)?;
    // SIGINT, SIGTERM and SIGHUP end the tool with us (see `supervise::Group`).
    let stopper = Stopper::on_signals()?;
    let tool = Tool::find(args.idevicerestore.as_deref(), &stopper)
        .map_err(|e| UsageError::new(e.to_string()))?;
    if args.all || args.ecid.len() > 1 {
        return super::restore_bench::run(kb, db, &tool, &firmware, args, &stopper);
    }
    let ecid = args.ecid.first().map(|text| ecid_arg(text)).transpose()?;
    let erase = if args.erase {
        Some(erase_permit(args.yes_erase, "the phone")?)
    } else {
        None
    };
    let request = request_for(&firmware, ecid, erase);
    let mut screen = Screen::new(args.json);
    screen.note(&format!(
        "Running idevicerestore {} ({}): {}.",
        tool.version,
        kb::text::one_line(&tool.path.display().to_string()),
        if erase.is_some() {
            "a full restore that ERASES the phone"
        } else {
            "an update, which keeps the phone's data"
        }
    ))?;
    let mut ledger = ledger_for(None, the_phone(kb, args).as_ref());
    let mut keeper = (!args.no_save).then(|| CaseKeeper::new(db));
    for attempt in 1..=args.retry.saturating_add(1) {
        // From the start of the tool to the saved case, a signal is answered, not fatal.
        let hold = stopper.hold();
        let ending = supervised_run(kb, &tool, &request, args, &stopper, &mut screen)?;
        if ending.no_device && ending.device.is_none() && ending.stopped.is_none() {
            screen.finish_progress();
            return Err(UsageError::new(
                "idevicerestore found no phone. Connect it (recovery or DFU mode for a restore) and check it is the only one, or pass --ecid; `restore-doctor devices` shows what is on USB.",
            )
            .into());
        }
        let verdict = record(kb, &mut ledger, &request, &ending, &screen.link_findings);
        if let Some(keeper) = keeper.as_mut() {
            keeper.keep(&ledger);
        }
        screen.verdict(
            kb,
            attempt,
            &ending,
            verdict.as_ref(),
            keeper.as_ref().and_then(|k| k.id()),
        )?;
        if let Some(signal) = stopper.requested() {
            return Ok(ExitCode::from(signal.exit_code()));
        }
        if ending.succeeded() {
            return Ok(ExitCode::SUCCESS);
        }
        drop(hold);
        if attempt <= args.retry && !wait_for_change(args.json)? {
            break;
        }
        screen.link_findings.clear();
    }
    Ok(ExitCode::from(1))
}

/// A new case for the phone with `ecid`, placed where USB `seen` it (port, hubs, board, model).
pub(super) fn ledger_for(ecid: Option<u64>, seen: Option<&usb::AppleDevice>) -> Ledger {
    let mut ledger = Ledger::new();
    ledger.device = case::DeviceContext {
        board: seen.and_then(|d| d.board.clone()),
        ecid: ecid.or_else(|| seen.and_then(|d| d.ecid)),
        keep_ecid: false,
        port: seen.and_then(|d| d.usb_path.clone()),
        hubs: seen.map(|d| u8::try_from(d.external_hubs()).unwrap_or(u8::MAX)),
    };
    if let Some(product) = seen.and_then(|d| d.product_type.clone()) {
        ledger.add(Subject::Model, product, EvidenceSource::Usb);
    }
    ledger
}

/// The phone one restore is for, as USB shows it now: the one with `--ecid`, else the only
/// phone in DFU or recovery mode; `None` when USB cannot tell.
fn the_phone(kb: &Kb, args: &RestoreArgs) -> Option<usb::AppleDevice> {
    let devices = usb_source::for_watching(kb, None, args.sysfs_root.as_deref())
        .snapshot(kb)
        .ok()?;
    let wanted = args.ecid.first().map(|e| parse_ecid(e));
    let mut ready = devices.into_iter().filter(|d| match wanted {
        Some(ecid) => ecid.is_some() && d.ecid == ecid,
        None => matches!(d.mode, usb::Mode::Dfu | usb::Mode::Recovery),
    });
    let first = ready.next()?;
    ready.next().is_none().then_some(first)
}

/// An ECID as idevicerestore takes it: hex after `0x`, else decimal.
pub(super) fn parse_ecid(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
    .filter(|&ecid| ecid != 0)
}

/// An `--ecid` value as a number, or a usage error that says what is expected.
pub(super) fn ecid_arg(text: &str) -> anyhow::Result<u64> {
    parse_ecid(text).ok_or_else(|| {
        UsageError::new(format!(
            "--ecid {}: not an ECID (hex with 0x, or decimal).",
            kb::text::printable(text)
        ))
        .into()
    })
}

/// The firmware the flags ask for: the IPSW given, checked to be one, or the latest.
fn firmware(args: &RestoreArgs) -> anyhow::Result<Firmware> {
    match &args.ipsw {
        Some(path) if !args.latest => Ipsw::new(path)
            .map(Firmware::Ipsw)
            .map_err(|e| UsageError::new(e.to_string()).into()),
        _ => Ok(Firmware::Latest),
    }
}

/// The restore of `firmware` on the phone with `ecid` (or the only one attached).
pub(super) fn request_for(
    firmware: &Firmware,
    ecid: Option<u64>,
    erase: Option<ErasePermit>,
) -> Request {
    Request {
        firmware: firmware.clone(),
        ecid,
        erase,
    }
}

/// The person's leave to erase `what` ("the phone", "3 phones"): the typed word at a
/// terminal, or `--yes-erase`.
pub(super) fn erase_permit(yes_erase: bool, what: &str) -> anyhow::Result<ErasePermit> {
    if yes_erase {
        return Ok(ErasePermit::from_flag());
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(UsageError::new(
            "--erase needs you to type `erase` at a terminal, and there is none here. It deletes everything on the phone; add --yes-erase only if that is what you want.",
        )
        .into());
    }
    let mut err = std::io::stderr();
    writeln!(
        err,
        "{}",
        paint(
            WARN,
            &format!(
                "A full restore ERASES {what}: photos, messages and everything else stored there are \
                 lost. Only a backup (Finder, iTunes or iCloud) keeps them; without one, try an \
                 update first (run this again without --erase)."
            )
        )
    )?;
    write!(err, "Type erase to continue, anything else to stop: ")?;
    err.flush()?;
    let mut typed = String::new();
    std::io::stdin().lock().read_line(&mut typed)?;
    ErasePermit::typed(&typed).ok_or_else(|| {
        UsageError::new("Not erased: the word was not typed. Nothing was started.").into()
    })
}

/// Runs the tool once, with the link watched beside it.
fn supervised_run(
    kb: &'static Kb,
    tool: &Tool,
    request: &Request,
    args: &RestoreArgs,
    stopper: &Stopper,
    screen: &mut Screen,
) -> anyhow::Result<Ending> {
    let stop = AtomicBool::new(false);
    let (link_tx, link_rx) = mpsc::channel::<Finding>();
    std::thread::scope(|scope| {
        let stop = &stop;
        scope.spawn(move || {
            watch_link(kb, args.sysfs_root.as_deref(), stop, |f| {
                link_tx.send(f).is_ok()
            })
        });
        // The first failure to show something (a closed pipe) ends the command once the tool
        // has finished; the tool is never cut off half-way.
        let mut failed_show = None;
        let ending = supervise::run(kb, tool, request, stopper, &mut |happening| {
            let shown = link_rx
                .try_iter()
                .try_for_each(|finding| screen.link(&finding))
                .and_then(|()| screen.show(&happening));
            if let Err(e) = shown {
                failed_show.get_or_insert(e);
            }
        });
        stop.store(true, Ordering::Relaxed);
        let shown = link_rx
            .try_iter()
            .try_for_each(|finding| screen.link(&finding));
        screen.finish_progress();
        if let Some(e) = failed_show {
            return Err(e.into());
        }
        shown?;
        ending.map_err(|e| anyhow::anyhow!("idevicerestore could not be run: {e}"))
    })
}

/// Watches the USB link until `stop`, handing every finding to `send` (false: nobody listens).
pub(super) fn watch_link(
    kb: &Kb,
    sysfs_root: Option<&std::path::Path>,
    stop: &AtomicBool,
    send: impl Fn(Finding) -> bool,
) {
    let source = usb_source::for_watching(kb, None, sysfs_root);
    let mut link = LinkWatch::new(source.as_ref(), LINK_INTERVAL);
    while !stop.load(Ordering::Relaxed) {
        match link.next(kb) {
            Ok(tick) => {
                if !tick.findings.into_iter().all(&send) {
                    return;
                }
            }
            Err(_) => std::thread::sleep(LINK_INTERVAL),
        }
    }
}

/// The action this restore was, as the knowledge base names it.
fn attempt_action(request: &Request, ending: &Ending) -> &'static str {
    let from_dfu = ending
        .report
        .disconnects
        .first()
        .and_then(|e| e.mode.as_deref())
        .is_some_and(|m| m.eq_ignore_ascii_case("DFU"));
    match (request.erase.is_some(), from_dfu) {
        (false, _) => "try-update-instead",
        (true, true) => "dfu-restore",
        (true, false) => "recovery-restore",
    }
}

/// Puts what the run showed into the case; for a failed run, what the engine makes of it.
pub(super) fn record(
    kb: &Kb,
    ledger: &mut Ledger,
    request: &Request,
    ending: &Ending,
    link: &[Finding],
) -> Option<Failure> {
    let source = EvidenceSource::Restore;
    if let Some(device) = &ending.device {
        ledger.add(Subject::Model, device.clone(), source);
    }
    if let Some(code) = ending.code() {
        ledger.add(Subject::Code, code.to_string(), source);
    }
    let mut observations = ending.report.kb_observations();
    if let Some(phase) = ending.phase() {
        observations.push(kb::Observation::new("failed-phase", phase.id()));
    }
    if ending.link_dropped() {
        observations.push(kb::Observation::new("disconnect-during-restore", "yes"));
    }
    // idevicerestore ran here, so the computer it ran on is this one.
    if let Some(os) = crate::this_computer::os() {
        observations.push(kb::Observation::new("host-os", os));
    }
    for observation in observations
        .iter()
        .filter(|o| kb.question(&o.question).is_some())
    {
        let setting = matches!(observation.question.as_str(), "restore-tool" | "host-os");
        if !ending.succeeded() || setting {
            ledger.observe(observation, source);
        }
    }
    for observation in watch::observations(link) {
        ledger.observe(&observation, EvidenceSource::Watch);
    }
    for finding in link
        .iter()
        .filter(|f| matches!(f.kind, EventKind::Drop | EventKind::Loop))
    {
        ledger.event(
            finding.kind,
            finding.port.clone(),
            finding.phase,
            finding.message.clone(),
        );
    }
    let action = attempt_action(request, ending);
    let status = ending.status.map_or("ended by a signal".to_owned(), |s| {
        format!("exit status {s}")
    });
    let stopped = ending
        .stopped
        .map(|s| format!(", stopped by {}", s.name()))
        .unwrap_or_default();
    ledger.event(
        EventKind::Phase,
        None,
        ending.phase(),
        format!(
            "idevicerestore {status} after {:.0} s{stopped}",
            ending.seconds
        ),
    );
    if ending.stopped.is_some() {
        // Stopped by the person (or the system), not failed: the attempt proves nothing.
        ledger.finish(CaseStatus::Open, None, None);
        return None;
    }
    if ending.succeeded() {
        ledger.step(action, StepKind::Action, StepOutcome::Fixed);
        ledger.finish(CaseStatus::Fixed, Some(action.to_owned()), None);
        return None;
    }
    ledger.step(action, StepKind::Action, StepOutcome::Failed);
    let assessment = engine::assess(kb, &ledger.evidence(kb, case::Skipped::PutOff)).ok()?;
    let verdict = Verdict::from_assessment(&assessment);
    ledger.finish(CaseStatus::Open, None, Some(verdict.clone()));
    Some(Failure {
        verdict,
        next: assessment
            .plan
            .into_iter()
            .find(|s| s.kind == StepKind::Action),
    })
}

/// What the engine makes of a failed run.
pub(super) struct Failure {
    pub verdict: Verdict,
    pub next: Option<engine::Step>,
}

/// Waits for the person to make the change; false when they stop.
fn wait_for_change(json: bool) -> anyhow::Result<bool> {
    if !json {
        output::line(
            "Make the change, then press Enter to run the restore again (q and Enter to stop).",
        )?;
    }
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer)?;
    Ok(read > 0 && answer.trim() != "q")
}

/// What the person sees: plain lines (with a progress bar on a terminal) or JSON lines.
struct Screen {
    json: bool,
    start: Instant,
    phase: Option<Phase>,
    bar: Option<indicatif::ProgressBar>,
    link_findings: Vec<Finding>,
}

impl Screen {
    fn new(json: bool) -> Screen {
        Screen {
            json,
            start: Instant::now(),
            phase: None,
            bar: None,
            link_findings: Vec::new(),
        }
    }

    fn t(&self) -> f64 {
        (self.start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    fn clock(&self) -> String {
        let s = self.start.elapsed().as_secs();
        format!("{:>3}:{:02}", s / 60, s % 60)
    }

    /// A plain line, above the progress bar when there is one.
    fn say(&self, text: &str) -> std::io::Result<()> {
        let text = kb::text::redact_identifiers(text);
        match &self.bar {
            Some(bar) => {
                bar.println(output::fit(&text));
                Ok(())
            }
            None => output::line(output::fit(&text)),
        }
    }

    fn emit(&self, mut value: serde_json::Value) -> std::io::Result<()> {
        kb::text::redact_json(&mut value);
        output::line(serde_json::to_string(&value).unwrap_or_default())
    }

    fn note(&self, text: &str) -> std::io::Result<()> {
        if self.json {
            return Ok(());
        }
        output::line(output::wrap(text, "").trim_end())
    }

    fn show(&mut self, happening: &Happening) -> std::io::Result<()> {
        match happening {
            Happening::Phase(phase) => self.phase = Some(*phase),
            Happening::Progress(step, fraction) if !self.json => {
                if std::io::stderr().is_terminal() {
                    let bar = self.bar.get_or_insert_with(|| progress_bar("{msg:>24}"));
                    bar.set_message(step.words());
                    bar.set_position((fraction * 1000.0) as u64);
                }
                return Ok(());
            }
            _ => {}
        }
        if self.json {
            return match as_json(happening, self.t(), self.phase) {
                Some(value) => self.emit(value),
                None => Ok(()),
            };
        }
        match in_words(happening) {
            Some(text) => self.say(&format!("{}  {text}", self.clock())),
            None => Ok(()),
        }
    }

    /// A finding of the link watch beside the tool; drops and loops are shown at once.
    fn link(&mut self, finding: &Finding) -> std::io::Result<()> {
        self.link_findings.push(finding.clone());
        if !matches!(finding.kind, EventKind::Drop | EventKind::Loop) {
            return Ok(());
        }
        if self.json {
            let mut value = serde_json::to_value(finding).unwrap_or_default();
            value["source"] = json!("usb");
            self.emit(value)
        } else {
            let port = finding
                .port
                .as_deref()
                .map(|p| format!(" on port {p}"))
                .unwrap_or_default();
            self.say(&format!(
                "{}  {}",
                self.clock(),
                paint(WARN, &format!("✗ USB{port}: {}", finding.message))
            ))
        }
    }

    fn finish_progress(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn verdict(
        &mut self,
        kb: &Kb,
        attempt: u32,
        ending: &Ending,
        failure: Option<&Failure>,
        case_id: Option<&str>,
    ) -> std::io::Result<()> {
        if self.json {
            return self.emit(verdict_json(
                kb,
                self.t(),
                attempt,
                ending,
                failure,
                case_id,
            ));
        }
        output::line("")?;
        if let Some(signal) = ending.stopped {
            output::line(
                output::wrap(&paint(WARN, &stopped_words(signal, ending)), "").trim_end(),
            )?;
        } else if ending.succeeded() {
            output::line(paint(
                GOOD,
                &format!(
                    "Restored in {}. The case is closed as fixed.",
                    duration(ending.seconds)
                ),
            ))?;
        } else {
            output::line(output::wrap(&paint(WARN, &failed_words(ending)), "").trim_end())?;
            if ending.link_dropped() {
                output::line("The USB link dropped during the restore.")?;
            }
            match failure.and_then(|f| f.next.as_ref()) {
                Some(step) => output::line(
                    output::wrap(
                        &format!(
                            "Next: {}. {} Then run `restore-doctor restore` again.",
                            paint(STRONG, &action_name(kb, &step.id)),
                            step.why
                        ),
                        "",
                    )
                    .trim_end(),
                )?,
                None => output::line("No further step to suggest: see `restore-doctor report`.")?,
            }
        }
        if let Some(id) = case_id {
            output::line(paint(
                DIM,
                &format!("Case {id} saved: restore-doctor report {id}"),
            ))?;
        }
        Ok(())
    }
}

/// An action's name as the knowledge base words it.
pub(super) fn action_name(kb: &Kb, id: &str) -> String {
    kb.action(id).map_or(id.to_owned(), |a| a.name.clone())
}

/// How a stopped run ended, in one sentence, with what to do next.
pub(super) fn stopped_words(signal: supervise::StopSignal, ending: &Ending) -> String {
    format!(
        "Stopped ({}): idevicerestore was ended after {}. The phone may be left in recovery mode; \
         run `restore-doctor restore` again to finish.",
        signal.name(),
        duration(ending.seconds)
    )
}

/// How a failed run ended, in one sentence: its phase, code and exit status.
pub(super) fn failed_words(ending: &Ending) -> String {
    let phase = ending
        .phase()
        .map_or("at an unknown stage".to_owned(), |p| {
            format!("while {} ({})", p.words(), p.id())
        });
    let code = ending
        .code()
        .map(|c| format!(", error {c}"))
        .unwrap_or_default();
    let status = ending.status.map_or("it was stopped".to_owned(), |s| {
        format!("idevicerestore exit status {s}")
    });
    format!("The restore failed {phase}{code} ({status}).")
}

/// The verdict line of one run: how it ended and, when it failed, the next step.
pub(super) fn verdict_json(
    kb: &Kb,
    t: f64,
    attempt: u32,
    ending: &Ending,
    failure: Option<&Failure>,
    case_id: Option<&str>,
) -> serde_json::Value {
    let next_step = failure
        .and_then(|f| f.next.as_ref())
        .map(|s| json!({"id": s.id, "name": action_name(kb, &s.id), "why": s.why}));
    let causes = failure.map(|f| {
        f.verdict
            .causes
            .iter()
            .take(3)
            .map(|c| json!({"id": c.id, "probability": c.probability}))
            .collect::<Vec<_>>()
    });
    let mut verdict = json!({
        "t": t,
        "kind": "verdict",
        "attempt": attempt,
        "restored": ending.succeeded(),
        "phase": if ending.succeeded() { None } else { ending.phase().map(Phase::id) },
        "code": ending.code(),
        "tool_status": ending.status,
        "link_dropped": ending.link_dropped(),
        "device": ending.device,
        "next_step": next_step,
        "case": case_id,
        "causes": causes,
    });
    // Only a stopped run says so, keeping the documented shape of every other verdict.
    if let Some(signal) = ending.stopped {
        verdict["stopped"] = json!(signal.name());
    }
    verdict
}

/// A progress bar for a restore's steps, with `label` (an indicatif template field) before it.
pub(super) fn progress_bar(label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(1000);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!("{label} [{{bar:30}}] {{percent:>3}}%"))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// A happening as a person reads it (painted), or `None` for what is not a line of its own
/// (raw output lines, progress).
pub(super) fn in_words(happening: &Happening) -> Option<String> {
    Some(match happening {
        Happening::Line(_) | Happening::Progress(..) => return None,
        Happening::Device(product) => format!("phone: {product}"),
        Happening::Phase(phase) => paint(
            STRONG,
            &format!("{} ({})", capitalised(phase.words()), phase.id()),
        ),
        Happening::Error(line) => paint(WARN, &format!("✗ {line}")),
        Happening::Drop(phase) => paint(
            WARN,
            &format!(
                "✗ DROP: the phone left USB while {}, where it must stay connected",
                phase.words()
            ),
        ),
        Happening::Disconnect => paint(DIM, "the phone left USB (expected between stages)"),
        Happening::Reconnect(mode) => paint(DIM, &format!("back on USB in {mode} mode")),
        Happening::Finding(text) => format!("note: {text}"),
    })
}

/// A happening as a JSON line at `t` seconds, in the restore's `phase`; `None` for raw lines.
pub(super) fn as_json(
    happening: &Happening,
    t: f64,
    phase: Option<Phase>,
) -> Option<serde_json::Value> {
    Some(match happening {
        Happening::Line(_) => return None,
        Happening::Device(product) => json!({"t": t, "kind": "device", "product_type": product}),
        Happening::Phase(phase) => {
            json!({"t": t, "kind": "phase", "phase": phase.id(), "words": phase.words()})
        }
        Happening::Progress(step, fraction) => {
            json!({"t": t, "kind": "progress", "step": step, "fraction": fraction})
        }
        Happening::Error(line) => json!({"t": t, "kind": "error", "line": line}),
        Happening::Drop(phase) => {
            json!({"t": t, "kind": "drop", "phase": phase.id(), "source": "tool"})
        }
        Happening::Disconnect => {
            json!({"t": t, "kind": "disconnect", "phase": phase.map(Phase::id)})
        }
        Happening::Reconnect(mode) => json!({"t": t, "kind": "reconnect", "mode": mode}),
        Happening::Finding(text) => json!({"t": t, "kind": "finding", "text": text}),
    })
}

/// Seconds as a person says them: "45 s", "12 min".
pub(super) fn duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{:.0} min", seconds / 60.0)
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
