//! The command line: every command, flag and the help text that teaches how to use them.
//! Parsing only; the commands themselves live in `commands/`.

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

const ABOUT: &str = "Gets a failed iPhone / iPad restore or update working again, or shows with \
evidence that the phone needs a repair bench.";

const LONG_ABOUT: &str = "Gets a failed iPhone / iPad restore or update working again, or shows \
with evidence that the phone needs a repair bench.

Restore Doctor knows Apple's restore error codes and what usually causes them, ranks the causes \
for your model, and plans the cheapest likely fix first: it tells you why each step is next and \
what to do if it fails. Everything runs offline.";

const AFTER_HELP: &str = "\
Examples:
  restore-doctor                                Start a guided session (same as `diagnose`)
  restore-doctor diagnose --code 4013 --model \"iPhone 7\"
  restore-doctor diagnose --code 4013 --observe hub-in-path=yes --plan
  restore-doctor dfu --model \"iPhone 12\"        Coach DFU-mode entry with a countdown
  restore-doctor explain 4013                   What error 4013 means and what to do first
  restore-doctor explain 4013 --model \"iPhone 7\" The same, ranked for an iPhone 7
  restore-doctor explain \"An unknown error occurred (4014).\"
  restore-doctor completions bash > ~/.local/share/bash-completion/completions/restore-doctor

Exit codes: 0 ok, 1 a problem was found, 2 bad input or an error.";

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "restore-doctor",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// When to use colour: auto (only on a terminal, and not when NO_COLOR is set), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: clap::ColorChoice,

    /// The case history: a SQLite file (default: in the OS data folder, see the README) or a
    /// shop's shared PostgreSQL database, postgres://user:password@host/database.
    #[arg(
        long,
        global = true,
        value_name = "PATH|URL",
        env = "RESTORE_DOCTOR_DB",
        hide_env_values = true
    )]
    pub db: Option<std::path::PathBuf>,

    /// The bench (computer) new cases are recorded on (default: this computer's host name);
    /// with `history`, only that bench's cases.
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        env = "RESTORE_DOCTOR_BENCH",
        hide_env_values = true
    )]
    pub bench: Option<String>,

    /// Plan from the knowledge base alone, ignoring what this shop's finished cases taught.
    #[arg(long, global = true)]
    pub no_learn: bool,

    /// What to do; without a command a guided session starts.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Guided session: walks you to the cheapest likely fix, one step at a time (the main job).
    #[command(
        long_about = "Guided session: walks you to the cheapest likely fix, one step at a time.\n\n\
Each step says why it is next (how often it fixes the problem from here, how long it takes, \
which causes it addresses). Tell it how the step went (fixed, still failing, can't do it, skip) \
and it re-plans; questions are asked only when the answer is worth its time. The session ends \
fixed, or with a verdict you can take to a repair shop.\n\n\
With --plan it does not ask anything: it prints the current assessment for the evidence given on \
the command line and exits; its first step is the one the session would take next. Questions \
the session would ask are question steps there: answer with --observe QUESTION=ANSWER, or \
--observe QUESTION=unknown for \"I don't know\". The flags count in the order given: at most three \
questions come in a row, and the answers after the last --failed are those questions. Unknown \
question, answer or action ids are errors that list the valid ones.",
        after_help = "Examples:\n  restore-doctor diagnose\n  restore-doctor diagnose --code 4013 --model iPhone9,3\n  restore-doctor diagnose --code 4013 --model iPhone9,3 --observe voice-memos-greyed=yes --failed swap-cable --plan\n  restore-doctor diagnose --code 3194 --plan --json\n  restore-doctor diagnose --code 4013 --observe restore-tool=itunes --observe host-os=unknown --plan --json\n\nQuestions (--observe ID=ANSWER): hub-in-path, link-speed, device-mode, voice-memos-greyed,\nspeaker-greyed, face-id-failed, no-service, liquid-exposure, boot-loop,\ndisconnect-during-restore, failed-phase, backup-available, usb-c-to-lightning-cable,\nerror-repeats, other-device-same-setup, restore-tool, host-os, network-restricted,\nhost-up-to-date, mode-entered-by, repaired-before, firmware-step-failed,\nfails-after-dfu-elsewhere.\n\nExit codes: 0 fixed, stopped or plan printed; 1 the verdict is a repair bench; 2 bad input."
    )]
    Diagnose(DiagnoseArgs),

    /// Run idevicerestore under supervision: progress in plain words, the link watched, and
    /// the next step the moment it fails.
    #[command(
        override_usage = "restore-doctor restore [OPTIONS] <IPSW|--latest>",
        long_about = "Run idevicerestore under supervision: its phases and progress in plain words, \
the USB link watched at the same time, its error lines and any drop turned into evidence, and the \
engine's next step shown the moment it fails. Every attempt is kept in the case history.\n\n\
The default is an update, which keeps the phone's data. --erase does a full restore: you are told \
what will be lost and must type `erase`. idevicerestore itself never asks when it is run by \
another program, so this is the only check; with no terminal, --erase is refused unless \
--yes-erase is given too.\n\n\
A bench restores several phones at once: --all takes every phone on USB in DFU or recovery mode, \
or give --ecid once per phone. One idevicerestore runs per phone, at most --jobs at a time (too \
many at once on one bus fail where fewer succeed), each shown with its port; with --retry N a \
phone that failed goes back to the end of the queue, up to N more times. Each phone gets its own \
case.",
        after_help = "Examples:\n  restore-doctor restore iPhone_4.7_15.8.3_19H386_Restore.ipsw\n  restore-doctor restore --latest --ecid 0x1A2B3C4D5E6F\n  restore-doctor restore --latest --erase\n  restore-doctor restore --latest --retry 2\n  restore-doctor restore --latest --json\n  restore-doctor restore --latest --all --jobs 3 --retry 1\n  restore-doctor restore iOS.ipsw --ecid 0x1A2B3C4D5E6F --ecid 0x0C1D2E3F4A5B\n\nExit codes: 0 restored (every phone); 1 failed (the verdict says why and what next); 2 bad\ninput, no idevicerestore, no phone found, or an erase that was not confirmed."
    )]
    Restore(RestoreArgs),

    /// Tell a phone stuck in recovery mode to start iOS again (keeps its data), and watch it
    /// come back.
    #[command(
        long_about = "Tell a phone stuck in recovery mode (the computer-and-cable picture) to start \
iOS again, and watch it come back. After a failed update the phone's system is usually whole and \
only set to start in recovery mode; this clears that setting, so the phone starts with its data. \
Nothing is erased.\n\n\
It runs irecovery (Debian and Ubuntu: `apt install irecovery`; or --irecovery PATH) as \
`irecovery -i ECID -n`, which sets auto-boot, saves it and restarts the phone, then watches USB: \
the phone should leave within 30 s and come back on the same port within the wait (--wait, 180 s \
by default: a first start after an update can take a few minutes). It then says what happened: \
back in iOS (back it up at once); back in recovery mode (the system is damaged: an Update, which \
keeps data, is the next step); or gone (look at the screen). irecovery itself gets 30 s; a \
run that hangs is ended. Every run is a step (exit-recovery-mode) of a case in the history.\n\n\
A phone in DFU mode (a black screen) cannot be sent out by any command: you are told how to \
force-restart it with its buttons. With several phones in recovery mode, give --ecid (as \
`restore-doctor devices --show-ids` shows it) or --all. Identifiers are masked unless --show-ids.",
        after_help = "Examples:\n  restore-doctor exit-recovery\n  restore-doctor exit-recovery --ecid 0x001A2B3C4D5E6F70\n  restore-doctor exit-recovery --all --json\n  restore-doctor exit-recovery --irecovery /opt/libirecovery/bin/irecovery --wait 300\n\nExit codes: 0 back in iOS (every phone); 1 not back in iOS (back in recovery mode, still\nthere, gone, or irecovery failed); 2 nothing to do (no phone, DFU mode, an unknown ECID,\nno irecovery); 130 stopped with Ctrl-C."
    )]
    ExitRecovery(ExitRecoveryArgs),

    /// The bench dashboard: every phone on the bench live in a local web page.
    #[command(
        long_about = "The bench dashboard: a local web page with every phone on the bench by its \
USB port (mode, model, the stage of a restore and its progress, the last event), alerts as they \
happen (drops with their phase and next step, loops, glitches), the ports that keep failing in the \
case history, supervised restores with a live log tail, and recent cases with their reports. The \
page shows the bench as it is when opened and catches up by itself after the server restarts.\n\n\
It listens on 127.0.0.1:7878. Another address makes it reachable from other computers: then a \
token is printed once and every request without it is refused (401). A restore can be started \
from the page for a phone in DFU or recovery mode; an erase needs the typed word `erase` and a \
second confirmation, as in the terminal. Identifiers are masked unless --show-ids.\n\n\
It answers only requests addressed to the address it printed (or localhost with its port): a \
page from another name, even one that resolves to this computer, gets 421 and no data, and a \
request from another site's page (another scheme, name or port) gets 403. A client has 10 s to \
send a request, and a body is at most 16 KiB.\n\n\
API: GET /api/devices (the `devices --json` shape), /api/events (server-sent events: `finding` \
carries the `watch --json` objects; `port`, `alert`, `restore` what changed), /api/state, \
/api/cases, /api/cases/ID/report; POST /api/restores, which must carry the page's Origin \
(-H 'Origin: http://127.0.0.1:7878' from curl).",
        after_help = "Examples:\n  restore-doctor serve\n  restore-doctor serve --replay bench.scenario --speed 5\n  restore-doctor serve --bind 0.0.0.0:7878\n\nExit codes: 0 stopped (Ctrl-C), 2 bad input or the address is taken."
    )]
    Serve(ServeArgs),

    /// Coach DFU-mode entry for your model, step by step with a countdown.
    #[command(
        long_about = "Coach DFU-mode entry for your model: the button steps of its family, each \
with a countdown, and how to tell DFU (black screen) from recovery mode (Apple logo: start over).\n\n\
After a timed sequence the mode the phone actually reached is read from USB: DFU (0x1227) is \
confirmed; recovery (0x1281), a normal boot or nothing at all is explained, with what to change.\n\n\
Without --model the steps of all five button families are printed. --no-wait prints the steps \
without timing them (also the default when the output is not a terminal).",
        after_help = "Examples:\n  restore-doctor dfu --model \"iPhone 12\"\n  restore-doctor dfu --model iPhone9,3 --no-wait\n  restore-doctor dfu\n\nExit codes: 0 done (DFU confirmed, or not checked), 1 the phone is not in DFU mode, 2 error."
    )]
    Dfu(DfuArgs),

    /// List the iPhones and iPads on USB: mode, model, ECID, link speed, USB path and hubs.
    #[command(
        long_about = "List the Apple phones and tablets on USB: their mode (normal, recovery, DFU, \
restore), model, ECID, link speed, USB path and the hubs between them and the computer. \
Identifiers (ECID, serial number, UDID, IMEI) are masked unless --show-ids is given.\n\n\
--watch keeps running and prints every attach and detach as it happens. --save writes what is \
seen to a snapshot file that --from reads back, so a capture can be shared or replayed.",
        after_help = "Examples:\n  restore-doctor devices\n  restore-doctor devices --json --show-ids\n  restore-doctor devices --watch\n  restore-doctor devices --save bench-port-3.json\n  restore-doctor devices --from bench-port-3.json\n\nExit codes: 0 devices found, 1 none found, 2 error."
    )]
    Devices(DevicesArgs),

    /// Watch the USB connection during a restore: tells an expected mode change from a real drop.
    #[command(
        long_about = "Watch the USB connection while Finder, Apple Devices, iTunes or idevicerestore \
restores the phone. Every attach and detach is timed; the expected disappearances of a restore \
(DFU → recovery → restore mode → restored) are told apart from re-enumeration glitches, real \
drops (not back in time, or back in an earlier mode) and connect / disconnect loops. A drop is \
reported at once with its phase, port and the next step to take; at the end, ports that keep \
dropping are named.\n\n\
--replay plays a recording made with `devices --watch --record FILE` (or written by hand: one \
line per event, `SECONDS attach|detach PORT [VID:PID] [ecid=…] [udid=…] [speed=MBPS]`).",
        after_help = "Examples:\n  restore-doctor watch\n  restore-doctor watch --code 4013 --model \"iPhone 12\"\n  restore-doctor devices --watch --record bench.scenario\n  restore-doctor watch --replay bench.scenario\n  restore-doctor watch --replay bench.scenario --speed 10 --json\n\nExit codes: 0 no drop seen, 1 a drop was seen, 2 error."
    )]
    Watch(WatchArgs),

    /// Read restore logs and say why the restore failed: code, phase, operation, disconnects.
    #[command(
        long_about = "Read restore logs and say why the restore failed: which tool wrote the log, \
the error code (and which one was final), the phase and operation it died in, the signing \
server's answer, device checkpoint failures, disconnects before the error, and what that \
implies, in plain words.\n\n\
Reads idevicerestore and futurerestore output (also -d), the device's own restore log, iTunes \
logs from Windows and Mac, the macOS unified log (log show), and error dialogs pasted as text \
(English, Japanese and more). Any size; gzip, UTF-16 and broken bytes are handled. A folder is \
walked. With no path it looks where Finder, iTunes and Apple Devices keep restore logs, then \
in the current directory; newest first.",
        after_help = "Examples:\n  restore-doctor logs\n  restore-doctor logs idevicerestore.log\n  idevicerestore -d -l 2>&1 | tee restore.log; restore-doctor logs restore.log\n  restore-doctor logs ~/Library/Logs/CrashReporter/MobileDevice --json\n  pbpaste | restore-doctor logs -\n\nExit codes: 0 logs read, 1 no log found, 2 error."
    )]
    Logs(LogsArgs),

    /// Decode pasted USB output (lsusb, System Information, ioreg, irecovery, a DFU serial string...).
    #[command(
        long_about = "Decode what someone pasted: a DFU or recovery serial string, lsusb (also -v, \
-t or grepped pieces), dmesg, irecovery -q, idevicerestore -d lines, a Windows device path, \
ideviceinfo, system_profiler SPUSBDataType (text or -json), ioreg -p IOUSB -l (text or -a) or \
usbmuxd records. Several devices and several formats may be mixed. A model is named only when \
the chip and board ids (or the product type) say so; unknown values stay unknown.",
        after_help = "Examples:\n  restore-doctor identify 'CPID:8010 CPRV:11 BDID:0C ECID:001A2B3C4D5E6F70 SRTG:[iBoot-2696.0.0.1.33]'\n  lsusb -v | restore-doctor identify\n  system_profiler SPUSBDataType | restore-doctor identify --json\n  restore-doctor identify - < pasted.txt\n\nExit codes: 0 devices found, 1 none found, 2 error."
    )]
    Identify(IdentifyArgs),

    /// Explain an error code: what it means, Apple's category, likely causes for your model, first steps.
    #[command(
        long_about = "Explain an error code from Finder, iTunes or the Apple Devices app: what it \
means, which category Apple puts it in, the likely causes ranked (for your model when you give \
one), and the first steps with why each is next.\n\nThe code can be typed as a number (4013, -1, \
0xE8000015) or pasted with its message (\"An unknown error occurred (4013).\"). A code the \
program does not know gets an honest \"unknown\" and the general plan.",
        after_help = "Examples:\n  restore-doctor explain 4013\n  restore-doctor explain 4013 --model iPhone9,3\n  restore-doctor explain 3194 --json\n  restore-doctor explain -1\n  restore-doctor explain \"An unknown error occurred (4013).\""
    )]
    Explain(ExplainArgs),

    /// List past cases: per device, per error code, since a date, per bench port; delete them.
    #[command(
        long_about = "List past cases from the case history, newest first: when, model, error code, \
status, steps tried and the top cause, then the bench ports that keep dropping. --device takes \
an ECID (matched through its salted hash), a product type or a model name. Your cases are yours: \
--delete removes one, --prune --before removes every case older than a date.\n\n\
With a shop's shared history (--db postgres://…) cases from every bench are listed together, \
each with its bench; ports are counted per bench, and benches are summed. --bench NAME keeps one \
bench's cases. --import FILE reads finished cases written elsewhere, one JSON object a line \
(the samples/cases.jsonl shape: error_code, device, tried_without_success, resolved_by, \
confidence); all are stored or none. A case's id is its key: importing the same file again adds \
nothing. A file saved by Windows Notepad (byte-order mark, CRLF) reads as any other. A line whose \
outcome (resolved_by) the knowledge base does not know refuses the file, naming the line, unless \
--skip-unknown.",
        after_help = "Examples:\n  restore-doctor history\n  restore-doctor history --bench front-desk\n  restore-doctor history --import old-notes.jsonl\n  restore-doctor history --import old-notes.jsonl --skip-unknown\n  restore-doctor history --code 4013 --since 2026-11-01\n  restore-doctor history --device \"iPhone 7\" --json\n  restore-doctor history --port 1-2\n  restore-doctor history --delete C1A2B3\n  restore-doctor history --prune --before 2026-01-01"
    )]
    History(HistoryArgs),

    /// Record a finished case by hand: the error, the model, what was tried and what fixed it.
    #[command(
        long_about = "Record a finished case without a session: a technician logging what they did \
at the bench, or a shop's old notes. The case goes into the history like any other (on this \
bench, or --bench NAME) and teaches the planner: the next plan for the same error on the same \
model counts it (see `restore-doctor learn --show`). Actions are the planner's ids (`restore-doctor \
explain CODE` lists them).",
        after_help = "Examples:\n  restore-doctor record --code 4013 --model \"iPhone 11\" --failed swap-cable --fixed change-port\n  restore-doctor record --code 4013 --model iPhone9,3 --failed dfu-restore --unresolved\n  restore-doctor record --code 9 --model \"iPhone 7\" --fixed swap-cable --confidence low --bench back-room\n\nExit codes: 0 recorded, 2 bad input or the history cannot be written."
    )]
    Record(RecordArgs),

    /// What the planner learned from this shop's finished cases.
    #[command(
        long_about = "What the planner learned from the finished cases in the history: per error \
code and model, how often each action fixed the phone here, and how that moves the likely causes \
and the first step against the knowledge base alone. The knowledge base counts as 20 cases for \
one code on one model, so a handful of local cases nudge and a hundred decide. --no-learn plans \
from the knowledge base alone.",
        after_help = "Examples:\n  restore-doctor learn --show\n  restore-doctor learn --show --json\n\nExit codes: 0 shown, 2 error."
    )]
    Learn(LearnArgs),

    /// Write a case report: Markdown for a forum, printable HTML for a repair shop, or JSON.
    #[command(
        long_about = "Write the report of a case: the device, the error, the verdict with \
probabilities, what the repair shop should check first, every step tried and its outcome, what \
is known, and the USB / log timeline. Markdown pastes into a forum; HTML is one self-contained \
page that prints well and loads nothing from the network; JSON is for other tools. ECID and \
other identifiers are masked unless --show-ids is given.",
        after_help = "Examples:\n  restore-doctor report                      (the latest case)\n  restore-doctor report C1A2B3C4D5\n  restore-doctor report C1A2 --format html --output case.html\n  restore-doctor report C1A2B3C4D5 --format json"
    )]
    Report(ReportArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  restore-doctor completions bash > ~/.local/share/bash-completion/completions/restore-doctor\n  restore-doctor completions zsh > ~/.zfunc/_restore-doctor\n  restore-doctor completions fish > ~/.config/fish/completions/restore-doctor.fish"
    )]
    Completions {
        /// The shell to generate completions for.
        shell: Shell,
    },
}

/// Which device the person has.
#[derive(Debug, Args, Default)]
pub struct ModelArg {
    /// Your model: a product type (iPhone9,3), a model name ("iPhone 7", any case) or a board
    /// config (D101AP). Causes and steps are then ranked for that model.
    #[arg(long, short, value_name = "MODEL")]
    pub model: Option<String>,
}

/// `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error code (4013, -1, 0xE8000015) or the error message that contains it.
    #[arg(value_name = "CODE", allow_negative_numbers = true)]
    pub code: String,

    #[command(flatten)]
    pub model: ModelArg,

    /// Print JSON for other programs instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `diagnose`.
#[derive(Debug, Args, Default)]
pub struct DiagnoseArgs {
    /// The error code you saw (4013, -1, 0xE8000015, or the message containing it).
    #[arg(long, value_name = "CODE", allow_negative_numbers = true)]
    pub code: Option<String>,

    #[command(flatten)]
    pub model: ModelArg,

    /// Something you know, as QUESTION=ANSWER (for example hub-in-path=yes), or
    /// QUESTION=unknown when you cannot tell. Repeatable; answers given after the last
    /// --failed count as questions asked in a row.
    #[arg(long, value_name = "QUESTION=ANSWER")]
    pub observe: Vec<String>,

    /// An action you already tried that did not fix it (for example swap-cable). Repeatable.
    #[arg(long, value_name = "ACTION")]
    pub failed: Vec<String>,

    /// An action you cannot do (for example different-computer). Repeatable.
    #[arg(long, value_name = "ACTION")]
    pub cannot: Vec<String>,

    /// Print the current assessment and plan, and exit without asking anything.
    #[arg(long)]
    pub plan: bool,

    /// Print the assessment as JSON (implies --plan).
    #[arg(long)]
    pub json: bool,

    /// A restore log to read first (repeatable): its error code and what it shows become evidence.
    #[arg(long, value_name = "FILE")]
    pub log: Vec<std::path::PathBuf>,

    /// Continue a saved case (its evidence and steps) instead of starting a new one.
    #[arg(long, value_name = "CASE")]
    pub resume: Option<String>,

    /// Do not record this session in the case history.
    #[arg(long)]
    pub no_save: bool,

    /// Store the ECID itself in the case, not only its salted hash.
    #[arg(long)]
    pub keep_ecid: bool,

    /// Read the attached device from a snapshot written by `devices --save` instead of the USB bus.
    #[arg(long, value_name = "FILE", conflicts_with = "sysfs_root")]
    pub usb_from: Option<std::path::PathBuf>,

    /// Read the attached device from a Linux sysfs tree under DIR instead of the USB bus.
    #[arg(long, value_name = "DIR")]
    pub sysfs_root: Option<std::path::PathBuf>,

    /// Where each --observe, --failed and --cannot stood on the command line.
    #[arg(skip)]
    pub positions: FlagPositions,
}

/// Where the repeatable evidence flags of `diagnose` stood on the command line, so answers and
/// tried steps enter the case in the order they were given (none known: answers first).
#[derive(Debug, Clone, Default)]
pub struct FlagPositions {
    pub observe: Vec<usize>,
    pub failed: Vec<usize>,
    pub cannot: Vec<usize>,
}

impl Cli {
    /// Parses the command line like `Cli::parse`, and keeps where the evidence flags of
    /// `diagnose` stood.
    pub fn parse_in_order() -> Cli {
        use clap::FromArgMatches;
        let matches = command().get_matches();
        let mut cli =
            Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut command()).exit());
        if let (Some(Command::Diagnose(args)), Some(("diagnose", sub))) =
            (&mut cli.command, matches.subcommand())
        {
            let at = |id: &str| {
                sub.indices_of(id)
                    .map(Iterator::collect)
                    .unwrap_or_default()
            };
            args.positions = FlagPositions {
                observe: at("observe"),
                failed: at("failed"),
                cannot: at("cannot"),
            };
        }
        cli
    }
}

/// The global flags each command leaves out of its help because it has no use for them: the
/// case history (`--db`), the bench cases are recorded on, what the shop's cases taught.
const UNUSED_GLOBALS: [(&str, &[&str]); 12] = [
    ("dfu", &["db", "bench", "no_learn"]),
    ("devices", &["db", "bench", "no_learn"]),
    ("identify", &["db", "bench", "no_learn"]),
    ("logs", &["db", "bench", "no_learn"]),
    ("completions", &["db", "bench", "no_learn"]),
    ("explain", &["bench"]),
    ("learn", &["bench"]),
    ("watch", &["bench"]),
    ("report", &["bench", "no_learn"]),
    ("history", &["no_learn"]),
    ("record", &["no_learn"]),
    ("exit-recovery", &["no_learn"]),
];

/// The command line as people see it: global flags only in the help of the commands that use
/// them.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut command = Cli::command();
    // A subcommand's own hidden copy of a global flag takes the global one's place there.
    let globals: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    for (name, flags) in UNUSED_GLOBALS {
        let hidden = globals
            .iter()
            .filter(|a| flags.contains(&a.get_id().as_str()))
            .map(|a| a.clone().hide(true));
        command = command.mut_subcommand(name, |sub| sub.args(hidden));
    }
    command
}

/// `dfu`.
#[derive(Debug, Args)]
pub struct DfuArgs {
    #[command(flatten)]
    pub model: ModelArg,

    /// Print the steps without timing them.
    #[arg(long)]
    pub no_wait: bool,

    /// Check the mode reached in a Linux sysfs tree under DIR instead of the USB bus.
    #[arg(long, value_name = "DIR")]
    pub sysfs_root: Option<std::path::PathBuf>,
}

/// `devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Print JSON (with --watch, one JSON object per line per event).
    #[arg(long)]
    pub json: bool,

    /// Keep running and print attaches and detaches as they happen.
    #[arg(long)]
    pub watch: bool,

    /// Show ECID, serial number, UDID and IMEI instead of masking them.
    #[arg(long)]
    pub show_ids: bool,

    /// Also write what is seen to a snapshot FILE (identifiers masked unless --show-ids).
    #[arg(long, value_name = "FILE")]
    pub save: Option<std::path::PathBuf>,

    /// Read a snapshot written by --save instead of the USB bus.
    #[arg(long, value_name = "FILE", conflicts_with = "sysfs_root")]
    pub from: Option<std::path::PathBuf>,

    /// Read a Linux sysfs tree under DIR (DIR/bus/usb/devices) instead of the USB bus.
    #[arg(long, value_name = "DIR")]
    pub sysfs_root: Option<std::path::PathBuf>,

    /// With --watch, also record every event to FILE (the format `watch --replay` reads;
    /// identifiers masked unless --show-ids).
    #[arg(long, value_name = "FILE", requires = "watch")]
    pub record: Option<std::path::PathBuf>,
}

/// `restore`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("firmware").required(true).multiple(false)))]
pub struct RestoreArgs {
    /// The IPSW file to restore (a `.ipsw` or `.zip` file, checked before anything starts);
    /// or --latest.
    #[arg(value_name = "IPSW", group = "firmware")]
    pub ipsw: Option<std::path::PathBuf>,

    /// Restore the latest firmware Apple signs (idevicerestore downloads it).
    #[arg(long, group = "firmware")]
    pub latest: bool,

    /// The phone to restore when several are attached (hex 0x… or decimal). Give it once per
    /// phone to restore several.
    #[arg(long, value_name = "ECID", value_parser = ecid)]
    pub ecid: Vec<crate::exit_recovery::Ecid>,

    /// Restore every phone on USB that is in DFU or recovery mode.
    #[arg(long, conflicts_with = "ecid")]
    pub all: bool,

    /// With several phones, how many restores run at the same time.
    #[arg(long, value_name = "N", default_value = "4", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// Erase the phone (a full restore) instead of updating it. You will be asked to type
    /// `erase` first: everything on the phone is lost unless it was backed up.
    #[arg(long)]
    pub erase: bool,

    /// Allow --erase without typing the word (for benches with no terminal). Everything on the
    /// phone is lost.
    #[arg(long, requires = "erase")]
    pub yes_erase: bool,

    /// The idevicerestore to run (default: the first on PATH).
    #[arg(long, value_name = "PATH")]
    pub idevicerestore: Option<std::path::PathBuf>,

    /// After a failure, wait for you to make the suggested change and run again, up to N times.
    /// With several phones, a failed one goes back to the end of the queue instead.
    #[arg(long, value_name = "N", default_value = "0")]
    pub retry: u32,

    /// Watch a Linux sysfs tree under DIR for the link instead of the USB bus.
    #[arg(long, value_name = "DIR")]
    pub sysfs_root: Option<std::path::PathBuf>,

    /// One JSON object per line per event; the last line is the verdict.
    #[arg(long)]
    pub json: bool,

    /// Do not keep the case in the history.
    #[arg(long)]
    pub no_save: bool,
}

/// `exit-recovery`.
#[derive(Debug, Args)]
pub struct ExitRecoveryArgs {
    /// The phone to tell, by its ECID (0x… as `devices --show-ids` shows it, or decimal);
    /// needed when several phones are in recovery mode.
    #[arg(long, value_name = "ECID", value_parser = ecid, conflicts_with = "all")]
    pub ecid: Option<crate::exit_recovery::Ecid>,

    /// Tell every phone on USB that is in recovery mode.
    #[arg(long)]
    pub all: bool,

    /// The irecovery to run (default: the first on PATH).
    #[arg(long, value_name = "PATH")]
    pub irecovery: Option<std::path::PathBuf>,

    /// Read and watch a Linux sysfs tree under DIR instead of the USB bus.
    #[arg(long, value_name = "DIR")]
    pub sysfs_root: Option<std::path::PathBuf>,

    /// How long to wait, in seconds, for the phone to come back after it leaves USB.
    #[arg(long, value_name = "SECONDS", default_value = "180", value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub wait: u32,

    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,

    /// Show ECIDs in full.
    #[arg(long)]
    pub show_ids: bool,

    /// Do not keep the case in the history.
    #[arg(long)]
    pub no_save: bool,
}

/// `--ecid` for exit-recovery: read into a typed value here, once.
fn ecid(text: &str) -> Result<crate::exit_recovery::Ecid, String> {
    crate::exit_recovery::Ecid::parse(text).map_err(|e| e.to_string())
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on; anything but this computer needs the printed token.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7878")]
    pub bind: std::net::SocketAddr,

    /// Feed the page from a recording (the `watch --replay` format) instead of the USB bus.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<std::path::PathBuf>,

    /// Replay at N times real time (0.001 to 1000000); 0 plays as fast as possible.
    #[arg(long, value_name = "N", default_value = "1", requires = "replay", value_parser = replay_speed)]
    pub speed: f64,

    /// Watch a Linux sysfs tree under DIR instead of the USB bus.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub sysfs_root: Option<std::path::PathBuf>,

    /// The idevicerestore that restores started from the page run (default: the first on PATH).
    #[arg(long, value_name = "PATH")]
    pub idevicerestore: Option<std::path::PathBuf>,

    /// The irecovery that tells a phone in recovery mode to start iOS when the page asks
    /// (default: the first on PATH; without one the page offers no "Leave recovery mode").
    #[arg(long, value_name = "PATH")]
    pub irecovery: Option<std::path::PathBuf>,

    /// Show ECIDs, serial numbers, UDIDs and IMEIs in full.
    #[arg(long)]
    pub show_ids: bool,
}

/// `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Play a recorded scenario file instead of watching the USB bus.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<std::path::PathBuf>,

    /// Replay at N times real time (0.001 to 1000000); 0 plays as fast as possible.
    #[arg(long, value_name = "N", default_value = "0", requires = "replay", value_parser = replay_speed)]
    pub speed: f64,

    /// The error code, if one was shown; it sharpens the next step suggested on a drop.
    #[arg(long, value_name = "CODE", allow_negative_numbers = true)]
    pub code: Option<String>,

    #[command(flatten)]
    pub model: ModelArg,

    /// One JSON object per line per event, and a verdict line at the end of a replay.
    #[arg(long)]
    pub json: bool,

    /// Watch a Linux sysfs tree under DIR instead of the USB bus.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub sysfs_root: Option<std::path::PathBuf>,

    /// Plain lines even on a terminal (instead of the live view).
    #[arg(long)]
    pub plain: bool,
}

/// `identify`.
#[derive(Debug, Args)]
pub struct IdentifyArgs {
    /// The text to decode; `-` or nothing reads standard input.
    #[arg(value_name = "TEXT")]
    pub text: Option<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Show ECID, serial number, UDID and IMEI instead of masking them.
    #[arg(long)]
    pub show_ids: bool,
}

/// `logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files or folders; `-` reads standard input. Nothing: the usual places.
    #[arg(value_name = "PATH")]
    pub paths: Vec<std::path::PathBuf>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Show ECID, UDID, serial number, IMEI and device names from the logs instead of masking
    /// them.
    #[arg(long)]
    pub show_ids: bool,
}

/// `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// An ECID, product type or model name.
    #[arg(long, value_name = "ID")]
    pub device: Option<String>,

    /// Only cases with this error code.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub code: Option<String>,

    /// Only cases opened since then: a date (2026-11-01), today, yesterday, or a time back
    /// from now (7d, 2 weeks), in your time zone.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Only cases on this USB port (as `devices` shows it).
    #[arg(long, value_name = "PATH")]
    pub port: Option<String>,

    /// Delete one case (its id, or a unique start of it) and everything recorded in it.
    #[arg(long, value_name = "CASE", conflicts_with_all = ["prune", "device", "code", "since", "port"])]
    pub delete: Option<String>,

    /// Store the finished cases in FILE (one JSON object a line, the cases.jsonl shape).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["delete", "prune"])]
    pub import: Option<std::path::PathBuf>,

    /// With --import: store the cases whose outcome is known and skip (and count) the others,
    /// rather than refusing the file. Exits 1 when any was skipped.
    #[arg(long, requires = "import")]
    pub skip_unknown: bool,

    /// Delete every case last touched before --before.
    #[arg(long, requires = "before", conflicts_with_all = ["device", "code", "since", "port"])]
    pub prune: bool,

    /// With --prune: delete cases last touched before then (a date such as 2026-01-01, or a
    /// time back from now such as 90d).
    #[arg(long, value_name = "DATE", requires = "prune")]
    pub before: Option<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The error code the restore failed with.
    #[arg(long, value_name = "CODE", allow_negative_numbers = true)]
    pub code: String,

    #[command(flatten)]
    pub model: ModelArg,

    /// An action tried that did not fix it (repeat for each).
    #[arg(long, value_name = "ACTION")]
    pub failed: Vec<String>,

    /// The action that fixed it.
    #[arg(
        long,
        value_name = "ACTION",
        required_unless_present = "unresolved",
        conflicts_with = "unresolved"
    )]
    pub fixed: Option<String>,

    /// Nothing tried fixed it (the phone went on to a repair bench, or was given up).
    #[arg(long)]
    pub unresolved: bool,

    /// The USB port it was on, as `devices` shows it.
    #[arg(long, value_name = "PATH")]
    pub port: Option<String>,

    /// How sure the record is; an unsure one teaches the planner less.
    #[arg(long, value_enum, default_value = "high")]
    pub confidence: ConfidenceArg,

    /// Print the recorded case as JSON.
    #[arg(long)]
    pub json: bool,
}

/// How sure a recorded outcome is.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ConfidenceArg {
    High,
    Medium,
    Low,
}

impl ConfidenceArg {
    pub fn level(self) -> kb::Confidence {
        match self {
            ConfidenceArg::High => kb::Confidence::High,
            ConfidenceArg::Medium => kb::Confidence::Medium,
            ConfidenceArg::Low => kb::Confidence::Low,
        }
    }
}

/// `learn`.
#[derive(Debug, Args)]
pub struct LearnArgs {
    /// List what was learned (the only thing `learn` does so far).
    #[arg(long)]
    pub show: bool,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The report formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Json,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The case id as `history` lists it, or a unique start of it; the latest case if left out.
    #[arg(value_name = "CASE")]
    pub case: Option<String>,

    /// md (Markdown), html (printable page) or json.
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormat,

    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Show ECID and other identifiers instead of masking them.
    #[arg(long)]
    pub show_ids: bool,
}

/// `--speed`: 0 (as fast as possible) or a finite factor from 0.001 to 1,000,000.
fn replay_speed(text: &str) -> Result<f64, String> {
    let speed: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if speed == 0.0 || (speed.is_finite() && (0.001..=1_000_000.0).contains(&speed)) {
        Ok(speed)
    } else {
        Err(format!(
            "'{text}' is not a replay speed: use 0 (as fast as possible) or a factor from 0.001 to 1000000"
        ))
    }
}
