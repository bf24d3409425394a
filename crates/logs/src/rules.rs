//! What a restore-log line means: error codes, signing-server statuses, operations, checkpoints,
//! disconnects, phase hints and findings, for idevicerestore / futurerestore, the device's own
//! restore log, iTunes (Windows and Mac), the macOS unified log and pasted dialogs.

use std::sync::LazyLock;

use kb::Phase;
use regex::Regex;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid built-in pattern")
}

/// Idevicerestore's operation numbers and names (research/peers.md §2.3).
pub const OPERATIONS: &[(u32, &str)] = &[
    (11, "Creating partition map"),
    (12, "Creating filesystem"),
    (13, "Restoring image"),
    (14, "Verifying restore"),
    (15, "Checking filesystems"),
    (16, "Mounting filesystems"),
    (17, "Fixing up /var"),
    (18, "Flashing firmware"),
    (19, "Updating baseband"),
    (20, "Setting boot stage"),
    (21, "Rebooting device"),
    (22, "Shutdown device"),
    (23, "Turning on accessory power"),
    (24, "Clearing persistent boot-args"),
    (25, "Modifying persistent boot-args"),
    (26, "Installing root"),
    (27, "Installing kernelcache"),
    (28, "Waiting for NAND"),
    (29, "Unmounting filesystems"),
    (30, "Setting date and time on device"),
    (31, "Executing iBEC to bootstrap update"),
    (32, "Finalizing NAND epoch update"),
    (33, "Checking for inappropriate bootable partitions"),
    (34, "Creating factory restore marker"),
    (35, "Loading firmware data to flash"),
    (36, "Requesting FUD data"),
    (37, "Removing activation record"),
    (38, "Checking battery voltage"),
    (39, "Waiting for battery to charge"),
    (40, "Closing modem tickets"),
    (41, "Migrating data"),
    (42, "Wiping storage device"),
    (43, "Sending Apple logo to device"),
    (44, "Checking for uncollected logs"),
    (46, "Clearing NVRAM"),
    (47, "Updating gas gauge software"),
    (48, "Preparing for baseband update"),
    (49, "Booting the baseband"),
    (50, "Creating system key bag"),
    (51, "Updating IR MCU firmware"),
    (52, "Resizing system partition"),
    (53, "Collecting updater output"),
    (54, "Pairing Stockholm"),
    (55, "Updating Stockholm"),
    (56, "Updating SWDHID"),
    (57, "Certifying SEP"),
    (58, "Updating NAND Firmware"),
    (59, "Updating SE Firmware"),
    (60, "Updating Savage"),
    (61, "Installing DeviceTree"),
    (62, "Certifying Savage"),
    (63, "Submitting Provinfo"),
    (64, "Certifying Yonkers"),
    (65, "Updating Rose"),
    (66, "Updating Veridian"),
    (67, "Creating Protected Volume"),
    (68, "Resizing Main Filesystem Partition"),
    (69, "Creating Recovery OS Volume"),
    (70, "Installing Recovery OS Files"),
    (71, "Installing Recovery OS Image"),
    (74, "Requesting EAN Data"),
    (77, "Sealing System Volume"),
    (81, "Updating AppleTCON"),
];

/// The phase an operation belongs to.
pub fn operation_phase(id: u32) -> Phase {
    match id {
        18 | 19 | 35 | 36 | 40 | 47 | 48 | 49 | 51 | 54..=66 | 74 | 81 => Phase::Firmware,
        21 | 22 | 37 | 44 | 53 => Phase::Finalize,
        _ => Phase::RestoreOs,
    }
}

/// The phase of a device-side checkpoint id (low 16 bits).
pub fn checkpoint_phase(id: u32) -> Option<Phase> {
    Some(match id & 0xffff {
        0x0634 | 0x0647 | 0x0648 | 0x06a6 | 0x067d => Phase::Finalize,
        0x0635 | 0x1300 | 0x0668 | 0x060e | 0x0609 | 0x060b => Phase::Firmware,
        0x060d | 0x0610 | 0x0613 | 0x0614 | 0x0665 | 0x0f04 | 0x0404 | 0x040e | 0x0400 | 0x0604 => {
            Phase::RestoreOs
        }
        _ => return None,
    })
}

/// Where a code was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSource {
    /// An error dialog or a person's words ("An unknown error occurred (4013)").
    Dialog,
    /// A status the device or the tool reported.
    Status,
    /// A signing-server code spelled out by the log.
    Server,
}

pub static QUOTED_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)\berror\s*["“”']\s*(-?\d{1,5})\s*["“”']"#));
pub static PROSE_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\berror(?: code)?[ :]+(-?\d{1,5})\b"));
/// A person's words beside a tool's output naming the code Apple's app showed: "iTunes gives
/// error 9", "with iTunes ... I got a 2001 error".
pub static APP_CODE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:itunes|finder|apple devices)\b.{0,80}?(?:\berror\s*(?:code\s*)?(-?\d{1,5})\b|\b(\d{1,5})\s+error\b)",
    )
});
/// Words that make "… error N" a tool's or component's own number, not an iTunes code.
pub const TOOL_DOMAINS: [&str; 12] = [
    "bbupdater",
    "ramrod",
    "nand",
    "asr",
    "tss",
    "libusb",
    "savage",
    "stockholm",
    "fdr",
    "baseband",
    "usb",
    "irecv",
];
/// "error" in any case, for [`may_name_a_code`].
static ERROR_WORD: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["error"])
        .expect("a valid word")
});

/// Whether [`QUOTED_CODE`], [`PROSE_CODE`] or [`APP_CODE`] may match `line`: in plain ASCII
/// each needs a number just after "error" (past spaces, quotes, colons and "code") or just
/// before it. Most lines of a failed restore say "error" with no number near it, and this
/// costs far less than the case-blind regexes; other text is always left to them.
pub fn may_name_a_code(line: &str) -> bool {
    if !line.is_ascii() {
        return true;
    }
    let bytes = line.as_bytes();
    let number_at = |at: usize| match bytes.get(at) {
        Some(b'-') => bytes.get(at + 1).is_some_and(u8::is_ascii_digit),
        Some(b) => b.is_ascii_digit(),
        None => false,
    };
    ERROR_WORD.find_iter(line).any(|word| {
        let mut after = word.end();
        loop {
            match bytes.get(after) {
                Some(b) if b.is_ascii_whitespace() || b"\"':".contains(b) || *b == 0x0b => {
                    after += 1;
                }
                _ if bytes
                    .get(after..after + 4)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"code")) =>
                {
                    after += 4;
                }
                _ => break,
            }
        }
        let spaces = bytes[..word.start()]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace() || **b == 0x0b)
            .count();
        number_at(after)
            || (spaces > 0
                && word
                    .start()
                    .checked_sub(spaces + 1)
                    .is_some_and(|at| bytes[at].is_ascii_digit()))
    })
}

/// The names of Apple's apps [`APP_CODE`] begins with, in any case.
static APP_NAMES: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["itunes", "finder", "apple devices"])
        .expect("valid names")
});

/// Whether [`APP_CODE`] may match `line`: plain ASCII must name one of Apple's apps.
pub fn may_name_the_app(line: &str) -> bool {
    !line.is_ascii() || APP_NAMES.is_match(line)
}

pub static AMR_CODE: LazyLock<Regex> = LazyLock::new(|| re(r"AMR ?[Ee]rror:? (-?\d+)"));
pub static SERVER_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"cached server error text: \((\d+)\)"));
pub static UNHANDLED_STATUS: LazyLock<Regex> =
    LazyLock::new(|| re(r"Unhandled status message \((-?\d+)\)"));
pub static STATUS_LINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:.*<\w+>\s+)?Status: (.+?)\s*$"));
pub static START_RESULT: LazyLock<Regex> =
    LazyLock::new(|| re(r"idevicerestore_start result:\s*(-?\d+)"));
pub static FAILURE_CODE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"CHECKPOINT FAILURE:\(FAILURE:(-?\d+)\)\s*\S*:\[0x([0-9A-Fa-f]+)\]\s*(\w+)")
});
pub static STEP_CODES: LazyLock<Regex> =
    LazyLock::new(|| re(r"restore-step-codes\s*=\s*\{0x([0-9A-Fa-f]+):\{\d+:(-?\d+)\}"));
/// One link of an error chain as the device's restore log prints it, outermost first:
/// `0: AMRestoreErrorDomain/ffffffff: failed to update device firmware`, then
/// `1: RamrodErrorDomain/3e9: update_iBoot: error writing image` (the number in hex).
pub static CHAIN_LINK: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:^|[\s>\]])(\d{1,2}): ([A-Za-z]+(?:ErrorDomain|Error))/(-?[0-9A-Fa-f]{1,8})\b")
});
/// An `NSError` as Apple's logs describe it: `Error Domain=AMRestoreErrorDomain Code=-1 …`,
/// with any underlying errors nested after it.
pub static NS_ERROR: LazyLock<Regex> =
    LazyLock::new(|| re(r"Error Domain=([A-Za-z]+) Code=(-?\d{1,10})"));
/// The error domain whose numbers are the codes Finder, iTunes and Apple Devices show.
pub const RESTORE_DOMAIN: &str = "AMRestoreErrorDomain";
pub static CHECKPOINT_FAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"Checkpoint FAILURE id: 0x([0-9A-Fa-f]+) result=(-?\d+)(?:: (.*))?"));
/// The number after `marker` (skipping ` = ` or `=`), as in `restore-step-user-progress=54` or
/// `ASR RESTORE PROGRESS: 37%`.
/// Where `needle` first starts in `line`. Lines are short and needles few, so looking for the
/// needle's first byte and comparing there costs less than a general substring searcher,
/// whose set-up alone outweighs the search.
pub fn find_in(line: &str, needle: &str) -> Option<usize> {
    let (hay, wanted) = (line.as_bytes(), needle.as_bytes());
    let first = *wanted.first()?;
    memchr::memchr_iter(first, hay).find(|&at| hay[at..].starts_with(wanted))
}

/// Whether `needle` is in `line` (see [`find_in`]).
pub fn holds(line: &str, needle: &str) -> bool {
    find_in(line, needle).is_some()
}

pub fn number_after(line: &str, marker: &str) -> Option<i64> {
    let rest = &line[find_in(line, marker)? + marker.len()..];
    let rest = rest.trim_start_matches([' ', '=', ':']);
    let digits: String = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .take(9)
        .collect();
    digits.parse().ok()
}

/// An idevicerestore operation line, `<name> (<id>)` with an optional time and level prefix,
/// when the name is the one idevicerestore prints for that id.
pub fn operation_in(line: &str) -> Option<(u32, &'static str)> {
    let body = line.trim_end().strip_suffix(')')?;
    let open = body.rfind(" (")?;
    let id: u32 = body[open + 2..].parse().ok()?;
    let name = body[..open].rsplit('>').next()?.trim();
    OPERATIONS
        .iter()
        .find(|(i, n)| *i == id && *n == name)
        .map(|(i, n)| (*i, *n))
}

/// The checkpoint id a line names: `[0x040E]`, `id: 0x648`, or `Checkpoint 1608 complete`.
pub fn checkpoint_id(line: &str) -> Option<u32> {
    let hex_after = |marker: &str| {
        let at = find_in(line, marker)? + marker.len();
        let digits: String = line[at..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .take(8)
            .collect();
        u32::from_str_radix(&digits, 16).ok()
    };
    hex_after("[0x")
        .or_else(|| hex_after("id: 0x"))
        .or_else(|| {
            let rest = line.split("Checkpoint ").nth(1)?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..]
                .starts_with(" complete")
                .then(|| digits.parse().ok())
                .flatten()
        })
}

pub static STEP_IDS: LazyLock<Regex> = LazyLock::new(|| re(r"restore-step-ids=\{(.*)\}"));
pub static ITUNES_OPERATION: LazyLock<Regex> =
    LazyLock::new(|| re(r"<Restore Device [^>]*>: operation (\d+) progress (-?\d+)"));
pub static TSS_SERVER: LazyLock<Regex> =
    LazyLock::new(|| re(r"error from server=(\d+) \(([^)]*)\)"));
pub static TSS_STATUS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:TSS request failed.*status=|tss_send_request: Unhandled status code )(\d+)")
});
pub static DISCONNECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)_event_cb: device \S+ \(udid: [^)]*\) disconnected|USB disconnect|Could not read data|Device did not reconnect|Unable to connect to device in restore mode|device has disconnected",
    )
});
/// The words one of [`DISCONNECT`]'s alternatives must hold, in any case: a line without
/// them cannot match it, and looking for them costs far less than the case-blind regex.
static DISCONNECT_WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "disconnect",
            "could not read data",
            "did not reconnect",
            "unable to connect",
        ])
        .expect("valid words")
});

/// Whether `line` may match [`DISCONNECT`].
pub fn may_disconnect(line: &str) -> bool {
    DISCONNECT_WORDS.is_match(line)
}

pub static RECONNECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"_event_cb: device \S+ \(udid: [^)]*\) connected in (\w+) mode|Device reconnected in (\w+) mode",
    )
});
pub static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s*(?:\[)?(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?|\d\d:\d\d:\d\d\.\d+)")
});

/// Idevicerestore's status text → the code iTunes / Finder would show.
pub fn status_code(text: &str) -> Option<i64> {
    let t = text.trim_end_matches('.');
    Some(match t {
        "Verification Error" => -1,
        "Disk Failure" => 6,
        "Fail" => 14,
        "Failed to mount filesystems" => 27,
        "Failed to load SEP Firmware" => 50,
        "Failed to recover FDR data" => 53,
        _ if t.starts_with("X-Gold Baseband Update Failed") => 1015,
        _ => return None,
    })
}

/// The component a failed firmware line names: the NFC controller (`update_stockholm`,
/// `NfRestore`), the battery's gas gauge, or the baseband (modem).
pub fn component_in(line: &str) -> Option<&'static str> {
    let lower = line.to_ascii_lowercase();
    if ["stockholm", "nfrestore", "nfc"]
        .iter()
        .any(|w| lower.contains(w))
    {
        Some("nfc")
    } else if ["gas gauge", "gasgauge", "gas-gauge"]
        .iter()
        .any(|w| lower.contains(w))
    {
        Some("gas-gauge")
    } else if ["baseband", "bbupdater", "modem"]
        .iter()
        .any(|w| lower.contains(w))
    {
        Some("baseband")
    } else {
        None
    }
}

/// What a literal found in a line sets off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A marker of a log format (index into the format table).
    Format(usize),
    /// A phase hint, with its strength (lower wins) and phase.
    Phase(u8, Phase),
    /// The line may carry an error code.
    Code,
    /// Apple's restore dialog in one of the languages of the kb's dialog table.
    Dialog,
    /// Free prose may name a code ("error 4013"); trusted only in pasted dialogs.
    Prose,
    /// Operation progress (iTunes operation lines, device progress variables).
    Progress,
    Checkpoint,
    Tss,
    Usb,
    /// A finding (index into [`FINDINGS`]).
    Finding(usize),
}

/// Plain-words findings.
pub const FINDINGS: &[&str] = &[
    "Writing the boot firmware (NOR flash) failed while flashing firmware, the signature of error 37: storage or logic-board hardware.",
    "Apple's factory-data (FDR) server refused the phone (HTTP 403) during the final step, as in error 53: a proxy or blocked network, or replaced Touch ID / Face ID parts.",
    "A proxy is set on this computer and got in the way of the factory-data step: turn the proxy off and retry.",
    "Apple's signing server refused: this device isn't eligible for the requested build (status 94, error 3194). Install the version Apple signs now, and check the hosts file for gs.apple.com.",
    "The computer could not reach Apple's signing server: check the network, proxy, VPN and the hosts file.",
    "The baseband (modem) did not answer during its update: baseband hardware is the likely fault.",
    "The baseband's signature could not be fetched from Apple: the restore tool may be too old for this device, or the network blocked it.",
    "The phone came back in recovery mode instead of restore mode: the restore image did not boot, or the USB link dropped while it started.",
    "The connection to the phone broke while the system was being sent: suspect the USB link (cable, port, hub) first.",
    "Installing the final system patch (splat) failed at the very end of the restore.",
    "The phone's NVRAM had no room left for the restore's status variables.",
    "The iBoot / LLB firmware update failed: the firmware file was missing for this device (tool or IPSW mismatch) or the firmware step failed.",
    "A USB disconnect happened during the restore.",
    "The phone reported a verification error; with \"Updating baseband\" just before, the baseband is the first suspect.",
    "The phone reported a disk (storage) failure during the restore.",
];

/// Every literal the scanner looks for, and what it sets off. A line is parsed only when it
/// holds at least one; then every literal in it (overlaps included) says which rules to run.
pub const TRIGGERS: &[(&str, Trigger)] = &[
    // Findings.
    ("error writing image", Trigger::Finding(0)),
    ("NORAccess returned an error", Trigger::Finding(0)),
    ("NOR_access: error", Trigger::Finding(0)),
    ("returned status 403", Trigger::Finding(1)),
    ("Failed to copy proxy information", Trigger::Finding(2)),
    ("error from server=94", Trigger::Finding(3)),
    ("Server not reachable", Trigger::Finding(4)),
    ("Failed connect to", Trigger::Finding(4)),
    ("Could not resolve host", Trigger::Finding(4)),
    ("Modem appears to not be responding", Trigger::Finding(5)),
    ("radio-error-string", Trigger::Finding(5)),
    ("Unable to fetch Baseband TSS", Trigger::Finding(6)),
    ("Device failed to enter restore mode", Trigger::Finding(7)),
    (
        "most likely image personalization failed",
        Trigger::Finding(7),
    ),
    ("Could not read data", Trigger::Finding(8)),
    ("Unable to send data to ASR", Trigger::Finding(8)),
    ("Inappropriate ioctl for device", Trigger::Finding(8)),
    ("Unable to connect to ASR", Trigger::Finding(8)),
    ("failed to install splat", Trigger::Finding(9)),
    ("no space for data", Trigger::Finding(10)),
    ("request for LLB data returned NULL", Trigger::Finding(11)),
    ("USB disconnect", Trigger::Finding(12)),
    ("Status: Verification Error", Trigger::Finding(13)),
    ("Status: Disk Failure", Trigger::Finding(14)),
    // Format markers (indexes into the format table in lib.rs).
    ("idevicerestore_start", Trigger::Code),
    ("idevicerestore", Trigger::Format(0)),
    // idevicerestore's logger pads its level labels to one width after the time.
    ("  <Error> ", Trigger::Format(0)),
    ("<Warning> ", Trigger::Format(0)),
    (" <Notice> ", Trigger::Format(0)),
    ("   <Info> ", Trigger::Format(0)),
    ("<Verbose> ", Trigger::Format(0)),
    ("  <Debug> ", Trigger::Format(0)),
    ("irecv_event_cb", Trigger::Format(0)),
    ("Got status message", Trigger::Format(0)),
    ("Unhandled status message", Trigger::Code),
    ("Checkpoint FAILURE id", Trigger::Checkpoint),
    ("Sending TSS request", Trigger::Phase(4, Phase::Personalize)),
    ("Received SHSH", Trigger::Phase(4, Phase::Personalize)),
    ("ERROR: Unable to", Trigger::Format(0)),
    (
        "Waiting for device to enter restore mode",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    ("Waiting for device", Trigger::Format(0)),
    ("futurerestore", Trigger::Format(1)),
    ("Failed with errorcode", Trigger::Format(1)),
    ("Done: restoring", Trigger::Format(1)),
    ("[exception]:", Trigger::Format(1)),
    ("img4tool version", Trigger::Format(1)),
    ("libipatcher version", Trigger::Format(1)),
    ("CHECKPOINT FAILURE", Trigger::Checkpoint),
    ("CHECKPOINT", Trigger::Checkpoint),
    ("executing /usr/sbin/nvram", Trigger::Format(2)),
    ("restore-step-user-progress", Trigger::Progress),
    ("restore-step-codes", Trigger::Checkpoint),
    ("restore-step-ids", Trigger::Checkpoint),
    ("restore-step-", Trigger::Format(2)),
    ("AMFDR", Trigger::Phase(0, Phase::Finalize)),
    ("restore failed with CFError", Trigger::Format(2)),
    ("AMDeviceIoControl", Trigger::Format(3)),
    ("<Restore Device", Trigger::Progress),
    ("<Recovery Mode Device", Trigger::Format(3)),
    ("usbd status", Trigger::Format(3)),
    ("HttpQueryInfo", Trigger::Format(3)),
    (":\\Users\\", Trigger::Format(3)),
    ("iTunes[", Trigger::Format(4)),
    ("file://localhost", Trigger::Format(4)),
    ("MobileRestore", Trigger::Format(5)),
    ("MobileDeviceUpdater", Trigger::Format(5)),
    ("AppleMobileDeviceHelper", Trigger::Format(5)),
    ("restored_external", Trigger::Format(5)),
    // Codes.
    ("AMR", Trigger::Code),
    ("cached server error", Trigger::Code),
    ("Status: ", Trigger::Code),
    ("ErrorDomain", Trigger::Code),
    // Signing server.
    ("error from server", Trigger::Tss),
    ("TSS request failed", Trigger::Tss),
    ("tss_send_request", Trigger::Tss),
    // Progress.
    ("PROGRESS: ", Trigger::Progress),
    // USB.
    ("disconnected", Trigger::Usb),
    ("did not reconnect", Trigger::Usb),
    ("Unable to connect to device in restore mode", Trigger::Usb),
    ("connected in", Trigger::Usb),
    // Phases, strongest first: finalize, firmware, restore-os, recovery-boot, personalize, extract.
    ("fdr_recover", Trigger::Phase(0, Phase::Finalize)),
    ("FDR ", Trigger::Phase(0, Phase::Finalize)),
    ("FDR data", Trigger::Phase(0, Phase::Finalize)),
    ("install_splat", Trigger::Phase(0, Phase::Finalize)),
    ("install splat", Trigger::Phase(0, Phase::Finalize)),
    (
        "cleanup_send_final_status",
        Trigger::Phase(0, Phase::Finalize),
    ),
    ("Checkpoint 1608", Trigger::Phase(0, Phase::Finalize)),
    ("baseband", Trigger::Phase(1, Phase::Firmware)),
    ("update_stockholm", Trigger::Phase(1, Phase::Firmware)),
    (
        "update_generic_firmware",
        Trigger::Phase(1, Phase::Firmware),
    ),
    ("Savage", Trigger::Phase(1, Phase::Firmware)),
    // The restore never got going: the restore ramdisk did not boot or answer.
    (
        "device in restore mode",
        Trigger::Phase(2, Phase::RecoveryBoot),
    ),
    (
        "failed to enter restore mode",
        Trigger::Phase(2, Phase::RecoveryBoot),
    ),
    (
        "Unable to send iBEC",
        Trigger::Phase(2, Phase::RecoveryBoot),
    ),
    ("did not reconnect", Trigger::Phase(2, Phase::RecoveryBoot)),
    (
        "recovery mode radio error",
        Trigger::Phase(0, Phase::RecoveryBoot),
    ),
    // The factory-data (FDR) step at the end.
    (
        "Unable to receive message from FDR",
        Trigger::Phase(0, Phase::Finalize),
    ),
    ("fdr_create", Trigger::Phase(0, Phase::Finalize)),
    // Signing refused.
    ("APTicket", Trigger::Phase(1, Phase::Personalize)),
    ("NfRestore", Trigger::Phase(1, Phase::Firmware)),
    ("gas gauge", Trigger::Phase(1, Phase::Firmware)),
    ("GasGauge", Trigger::Phase(1, Phase::Firmware)),
    ("Baseband", Trigger::Phase(1, Phase::Firmware)),
    ("bbupdater", Trigger::Phase(1, Phase::Firmware)),
    ("radio-error", Trigger::Phase(1, Phase::Firmware)),
    ("update_iBoot", Trigger::Phase(1, Phase::Firmware)),
    ("NOR_access", Trigger::Phase(1, Phase::Firmware)),
    ("NORAccess", Trigger::Phase(1, Phase::Firmware)),
    ("update_device_firmware", Trigger::Phase(1, Phase::Firmware)),
    ("update device firmware", Trigger::Phase(1, Phase::Firmware)),
    ("Flashing firmware", Trigger::Phase(1, Phase::Firmware)),
    (
        "Restoring iPhone firmware",
        Trigger::Phase(1, Phase::Firmware),
    ),
    (
        "Restoring iPad firmware",
        Trigger::Phase(1, Phase::Firmware),
    ),
    ("Restoring firmware", Trigger::Phase(1, Phase::Firmware)),
    ("ファームウェアを復元中", Trigger::Phase(1, Phase::Firmware)),
    ("write_image3_data", Trigger::Phase(1, Phase::Firmware)),
    ("Restoring image", Trigger::Phase(2, Phase::RestoreOs)),
    // Apple's restore library names the mode it restores in.
    (
        "PerformRestoreModeRestore",
        Trigger::Phase(2, Phase::RestoreOs),
    ),
    (
        "PerformRecoveryModeRestore",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    ("PerformDFURestore", Trigger::Phase(3, Phase::RecoveryBoot)),
    // The restore ramdisk answered: what fails from here fails in restore mode.
    ("entered restore mode", Trigger::Phase(2, Phase::RestoreOs)),
    (
        "Connected to com.apple.mobile.restored",
        Trigger::Phase(2, Phase::RestoreOs),
    ),
    ("ASR", Trigger::Phase(2, Phase::RestoreOs)),
    ("Verifying restore", Trigger::Phase(2, Phase::RestoreOs)),
    ("wait_for_storage", Trigger::Phase(2, Phase::RestoreOs)),
    ("Waiting for NAND", Trigger::Phase(2, Phase::RestoreOs)),
    (
        "Restoring iPhone software",
        Trigger::Phase(2, Phase::RestoreOs),
    ),
    (
        "Restoring iPad software",
        Trigger::Phase(2, Phase::RestoreOs),
    ),
    (
        "Verifying iPhone restore",
        Trigger::Phase(2, Phase::RestoreOs),
    ),
    (
        "mount_system_partition",
        Trigger::Phase(2, Phase::RestoreOs),
    ),
    ("Sending iBSS", Trigger::Phase(3, Phase::RecoveryBoot)),
    ("Sending iBEC", Trigger::Phase(3, Phase::RecoveryBoot)),
    ("RestoreKernelCache", Trigger::Phase(3, Phase::RecoveryBoot)),
    (
        "failed to enter restore mode",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    (
        "Preparing iPhone for restore",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    (
        "Preparing iPad for restore",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    (
        "Device did not connect",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    (
        "as far as the apple logo",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    (
        "before the apple logo",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    (
        "before the Apple logo",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    (
        "Sending RestoreLogo",
        Trigger::Phase(3, Phase::RecoveryBoot),
    ),
    (
        "Verifying Restore with Apple",
        Trigger::Phase(4, Phase::Personalize),
    ),
    ("TSS", Trigger::Phase(4, Phase::Personalize)),
    ("tss_", Trigger::Phase(4, Phase::Personalize)),
    ("SHSH", Trigger::Phase(4, Phase::Personalize)),
    ("gs.apple.com", Trigger::Phase(4, Phase::Personalize)),
    ("AMAuthInstall", Trigger::Phase(4, Phase::Personalize)),
    (
        "eligible for the requested build",
        Trigger::Phase(4, Phase::Personalize),
    ),
    ("ersonaliz", Trigger::Phase(4, Phase::Personalize)),
    ("Extracting software", Trigger::Phase(5, Phase::Extract)),
    ("Downloading software", Trigger::Phase(5, Phase::Extract)),
    ("error", Trigger::Prose),
    ("Error", Trigger::Prose),
    ("ERROR", Trigger::Prose),
];

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The byte-and-compare search finds what the standard one finds.
        #[test]
        fn find_in_agrees_with_str_find(line in "[ab(:]{0,40}", needle in "[ab(:]{1,4}") {
            proptest::prop_assert_eq!(find_in(&line, &needle), line.find(needle.as_str()));
        }
    }

    proptest::proptest! {
        /// A line the quick look passes over is one none of the three regexes matches.
        #[test]
        fn a_line_passed_over_names_no_code(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "error", "Error", "ERROR", " ", "\t", "\x0b", "code", "Code", ":", "'",
                    "\"", "-", "4013", "9", "itunes", "Finder", "apple devices", "x", "(",
                    ")", "e", "rror",
                ]),
                0..12,
            )
        ) {
            let line = parts.concat();
            if !may_name_a_code(&line) {
                proptest::prop_assert!(!QUOTED_CODE.is_match(&line), "{line:?}");
                proptest::prop_assert!(!PROSE_CODE.is_match(&line), "{line:?}");
                proptest::prop_assert!(!APP_CODE.is_match(&line), "{line:?}");
            }
            if !may_name_the_app(&line) {
                proptest::prop_assert!(!APP_CODE.is_match(&line), "{line:?}");
            }
        }
    }

    #[test]
    fn a_number_near_error_is_looked_at() {
        for line in [
            "iTunes gives error 9",
            "I got a 2001 error with Finder",
            "error: -1",
            "Error code: 4013",
            "ERROR '14'",
            "エラー 4013 error",
        ] {
            assert!(may_name_a_code(line), "{line:?}");
        }
        for line in [
            "ERROR: Unable to send iBEC",
            "error writing image 12",
            "08:05:01 <Error> failed",
        ] {
            assert!(!may_name_a_code(line), "{line:?}");
        }
    }

    #[test]
    fn an_empty_needle_is_never_found() {
        assert_eq!(find_in("anything", ""), None);
        assert_eq!(find_in("aab", "ab"), Some(1));
    }
}
