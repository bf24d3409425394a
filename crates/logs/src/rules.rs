//! What a restore-log line means: error codes, signing-server statuses, operations, checkpoints,
//! disconnects, phase hints and findings, for idevicerestore / futurerestore, the device's own
//! restore log, iTunes (Windows and Mac), the macOS unified log and pasted dialogs.

use std::sync::LazyLock;

use regex::Regex;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid built-in pattern")
}

/// Literals at least one of which is in every line a rule below can use; the scanner parses
/// only lines that contain one.
pub const ANCHORS: &[&str] = &[
    "rror",
    "RROR",
    "tatus",
    "CHECKPOINT",
    "Checkpoint",
    "restore-step",
    "rogress",
    "PROGRESS",
    "_event_cb",
    "onnect",
    "TSS",
    "SHSH",
    "tss_",
    "AMAuthInstall",
    "FDR",
    "AMR",
    "operation ",
    "Restore Device",
    "iTunes",
    "idevicerestore",
    "futurerestore",
    "nvram",
    "aseband",
    "radio-error",
    "Modem",
    "NOR",
    "splat",
    "Sending ",
    "Waiting for",
    "estore mode",
    "Restoring",
    "Verifying",
    "Updating ",
    "Creating ",
    "Installing ",
    "Certifying ",
    "Flashing",
    "Preparing",
    "Extracting software",
    "Downloading software",
    "pple logo",
    "エラー",
    "ファームウェア",
    "Server not reachable",
    "Unable",
    "Could not",
    "USB",
    "Mounting",
    "Checking ",
    "Sealing",
    "proxy",
    "ASR",
    "write_image3",
    "Domain/",
];

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
pub fn operation_phase(id: u32) -> &'static str {
    match id {
        18 | 19 | 35 | 36 | 40 | 47 | 48 | 49 | 51 | 54..=66 | 74 | 81 => "firmware",
        21 | 22 | 37 | 44 | 53 => "finalize",
        _ => "restore-os",
    }
}

/// The phase of a device-side checkpoint id (low 16 bits).
pub fn checkpoint_phase(id: u32) -> Option<&'static str> {
    Some(match id & 0xffff {
        0x0634 | 0x0647 | 0x0648 | 0x06a6 | 0x067d => "finalize",
        0x0635 | 0x1300 | 0x0668 | 0x060e | 0x0609 | 0x060b => "firmware",
        0x060d | 0x0610 | 0x0613 | 0x0614 | 0x0665 | 0x0f04 | 0x0404 | 0x040e | 0x0400 | 0x0604 => {
            "restore-os"
        }
        _ => return None,
    })
}

/// Phase keywords, strongest (most specific) first; the first match in a line wins.
pub static PHASE_HINTS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    vec![
        (
            re(
                r"(?i)fdr_recover|AMFDR|\bFDR\b|install_splat|install splat|cleanup_send_final_status|Checkpoint 1608\b",
            ),
            "finalize",
        ),
        (
            re(
                r"(?i)baseband|bbupdater|radio-error|Modem appears|update_iBoot|\bNOR\b|NOR_access|update_device_firmware|update device firmware|Flashing firmware|Restoring (?:iPhone |iPad |iPod )?firmware|ファームウェアを復元中|write_image3_data|operation 1[89]\b",
            ),
            "firmware",
        ),
        (
            re(
                r"Restoring image|\bASR\b|Verifying restore|wait_for_storage|Waiting for NAND|Restoring (?:iPhone|iPad|iPod) software|Verifying (?:iPhone|iPad|iPod) restore|mount_system_partition",
            ),
            "restore-os",
        ),
        (
            re(
                r"(?i)Sending iBSS|Sending iBEC|RestoreKernelCache|Waiting for device to enter restore mode|failed to enter restore mode|Preparing (?:iPhone|iPad|iPod) for restore|Device did not (?:re)?connect|never get as far as the apple logo|before the apple logo|Sending RestoreLogo|Unable to connect to device in restore mode",
            ),
            "recovery-boot",
        ),
        (
            re(
                r"(?i)\bTSS\b|tss_|SHSH|gs\.apple\.com|Verifying Restore with Apple|AMAuthInstall|eligible for the requested build|Server not reachable|personaliz",
            ),
            "personalize",
        ),
        (
            re(r"(?i)Extracting software|Downloading software"),
            "extract",
        ),
    ]
});

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

pub static DIALOG_CODE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:unknown error occurred|could not be (?:restored|updated)[^(（]*|エラーが発生しました|unbekannter Fehler[^(]*|erreur inconnue[^(]*|error desconocido[^(]*|未知错误)\s*[(（]\s*(-?\d{1,5}|0x[0-9A-Fa-f]{1,8})\s*[)）]",
    )
});
pub static QUOTED_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)\berror\s*["“”']\s*(-?\d{1,5})\s*["“”']"#));
pub static PROSE_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\berror(?: code)?[ :]+(-?\d{1,5})\b"));
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
pub static DOMAIN_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"AMRestoreErrorDomain/([0-9A-Fa-f]{1,8})\b"));
pub static CHECKPOINT_FAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"Checkpoint FAILURE id: 0x([0-9A-Fa-f]+) result=(-?\d+)(?:: (.*))?"));
pub static CHECKPOINT_ANY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)checkpoint[^\n]*?(?:id: |\[)0x([0-9A-Fa-f]+)|Checkpoint (\d+) complete")
});
pub static STEP_IDS: LazyLock<Regex> = LazyLock::new(|| re(r"restore-step-ids=\{(.*)\}"));
pub static USER_PROGRESS: LazyLock<Regex> =
    LazyLock::new(|| re(r"restore-step-user-progress\s*=\s*(\d+)"));
pub static ITUNES_OPERATION: LazyLock<Regex> =
    LazyLock::new(|| re(r"<Restore Device [^>]*>: operation (\d+) progress (-?\d+)"));
pub static ASR_PROGRESS: LazyLock<Regex> =
    LazyLock::new(|| re(r"ASR (?:RESTORE|VERIFY) PROGRESS: (\d+)%"));
pub static OPERATION_LINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:.*<\w+>\s+)?([A-Z][A-Za-z /-]+) \((\d{1,3})\)\s*$"));
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

/// Plain-words findings: a pattern, what it means, and what it implies for the causes.
pub static FINDINGS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    vec![
        (
            re(r"error writing image|AppleImage3NORAccess returned an error|NOR_access: error"),
            "Writing the boot firmware (NOR flash) failed while flashing firmware, the signature of error 37: storage or logic-board hardware.",
        ),
        (
            re(r"_AMFDRHttpHandleHeaderMessage returned status 403"),
            "Apple's factory-data (FDR) server refused the phone (HTTP 403) during the final step, as in error 53: a proxy or blocked network, or replaced Touch ID / Face ID parts.",
        ),
        (
            re(r"Failed to copy proxy information and proxy is enabled"),
            "A proxy is set on this computer and got in the way of the factory-data step: turn the proxy off and retry.",
        ),
        (
            re(r"error from server=94"),
            "Apple's signing server refused: this device isn't eligible for the requested build (status 94, error 3194). Install the version Apple signs now, and check the hosts file for gs.apple.com.",
        ),
        (
            re(r"Server not reachable|Failed connect to|Could not resolve host"),
            "The computer could not reach Apple's signing server: check the network, proxy, VPN and the hosts file.",
        ),
        (
            re(r"Modem appears to not be responding|radio-error-string"),
            "The baseband (modem) did not answer during its update: baseband hardware is the likely fault.",
        ),
        (
            re(r"Unable to fetch Baseband TSS"),
            "The baseband's signature could not be fetched from Apple: the restore tool may be too old for this device, or the network blocked it.",
        ),
        (
            re(
                r"Device failed to enter restore mode|Device reconnected in \w+ mode, most likely image personalization failed",
            ),
            "The phone came back in recovery mode instead of restore mode: the restore image did not boot, or the USB link dropped while it started.",
        ),
        (
            re(
                r"Could not read data|Unable to send data to ASR|Inappropriate ioctl for device|Unable to connect to ASR",
            ),
            "The connection to the phone broke while the system was being sent: suspect the USB link (cable, port, hub) first.",
        ),
        (
            re(r"failed to install splat"),
            "Installing the final system patch (splat) failed at the very end of the restore.",
        ),
        (
            re(r"no space for data"),
            "The phone's NVRAM had no room left for the restore's status variables.",
        ),
        (
            re(r"update_iBoot: request for LLB data returned NULL"),
            "The iBoot / LLB firmware update failed: the firmware file was missing for this device (tool or IPSW mismatch) or the firmware step failed.",
        ),
        (
            re(r"(?i)beeps? for a USB disconnect|USB disconnect"),
            "A USB disconnect happened during the restore.",
        ),
        (
            re(r"Status: Verification Error"),
            "The phone reported a verification error; with \"Updating baseband\" just before, the baseband is the first suspect.",
        ),
        (
            re(r"Status: Disk Failure"),
            "The phone reported a disk (storage) failure during the restore.",
        ),
    ]
});
