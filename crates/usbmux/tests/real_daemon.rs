//! The client against Debian's real usbmuxd (started here in a private mount namespace, with
//! a tmpfs on /run so it cannot meet the machine's own daemon): our device list agrees with
//! libimobiledevice's `idevice_id -l`, `ReadBUID` answers, `Listen` is accepted, and a connect
//! to a missing device gets the daemon's own error number (2). No phone can be attached here.
#![cfg(unix)]

use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_real_daemon_answers_as_the_client_expects() {
    let required = std::env::var("RESTORE_DOCTOR_REQUIRE_PEERS").as_deref() == Ok("1");
    let missing: Vec<&str> = ["usbmuxd", "idevice_id"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        assert!(
            !required,
            "{missing:?} required (RESTORE_DOCTOR_REQUIRE_PEERS=1) but not installed"
        );
        eprintln!(
            "skipped: {missing:?} not installed (apt-get install usbmuxd libimobiledevice-utils)"
        );
        return;
    }
    let probe = env!("CARGO_BIN_EXE_usbmux_probe");
    let script = format!(
        "mount -t tmpfs tmpfs /run || exit 77
usbmuxd -f -v >/run/usbmuxd.log 2>&1 &
daemon=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S /run/usbmuxd ] && break; sleep 0.2; done
echo probe-begin
{probe}
echo idevice_id-begin
idevice_id -l; echo \"idevice_id-exit $?\"
kill $daemon; wait $daemon 2>/dev/null
exit 0"
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .output();
    let Some(out) = out
        .ok()
        .filter(|o| o.status.code() != Some(77) && o.status.success())
    else {
        // Isolation needs CAP_SYS_ADMIN; without it the machine's own daemon would be touched.
        eprintln!(
            "skipped: cannot start an isolated usbmuxd here (unshare -m with a tmpfs on /run)"
        );
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(text.contains("devices 0"), "{text}");
    assert!(text.contains("idevice_id-exit 0"), "{text}");
    let listed_by_idevice_id = text
        .split("idevice_id-begin")
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("idevice_id-exit"))
        .count();
    assert_eq!(listed_by_idevice_id, 0, "both see no device: {text}");
    assert!(
        text.contains("buid OK") || text.contains("buid ERR usbmuxd answered with result"),
        "{text}"
    );
    assert!(text.contains("listen OK"), "{text}");
    assert!(
        text.contains("connect 2"),
        "a missing device is the daemon's BADDEV: {text}"
    );
}
