//! `dfu`: the model's family with its timed steps, the cable warning and the signs of success.

use crate::harness::run;

#[test]
fn steps_for_an_iphone_7_without_waiting() {
    let out = run(&["dfu", "--model", "iPhone 7", "--no-wait"]);
    out.success();
    let text = &out.stdout;
    assert!(
        text.contains("family B: iPhone 7 and iPhone 7 Plus"),
        "{text}"
    );
    assert!(
        text.contains("1. Press and hold the Side button and Volume Down together.  8 s"),
        "{text}"
    );
    assert!(
        text.contains("2. Release the Side button but keep holding Volume Down.  10 s"),
        "{text}"
    );
    assert!(
        text.contains("USB-C-to-Lightning"),
        "Lightning phones get the cable warning"
    );
    assert!(text.contains("Apple logo"), "recovery-mode sign");
}

#[test]
fn usb_c_phones_get_no_lightning_cable_warning() {
    let out = run(&["dfu", "--model", "iPhone 15", "--no-wait"]);
    out.success();
    assert!(out.stdout.contains("family A"), "{}", out.stdout);
    assert!(out.stdout.contains("until the screen goes black"));
    assert!(!out.stdout.contains("USB-C-to-Lightning"));
}

#[test]
fn without_a_model_every_family_is_shown() {
    let out = run(&["dfu"]);
    out.success();
    for letter in ["family A", "family B", "family C", "family D", "family E"] {
        assert!(out.stdout.contains(letter), "{letter} missing");
    }
}

#[test]
fn in_a_pipe_the_steps_are_printed_without_waiting() {
    let start = std::time::Instant::now();
    run(&["dfu", "--model", "iPad Pro 11-inch (M4)"]).success();
    assert!(
        start.elapsed().as_secs() < 10,
        "no countdown without a terminal"
    );
}

#[test]
fn unknown_models_are_usage_errors() {
    let message = run(&["dfu", "--model", "iPhone 99"])
        .usage_error()
        .to_owned();
    assert!(message.contains("unknown model"), "{message}");
}

#[test]
fn the_mode_reached_is_confirmed_or_explained() {
    let tree = crate::harness::sysfs_dfu_iphone7_behind_hub();
    let root = tree.path().to_str().unwrap();
    let dfu = run(&[
        "dfu",
        "--model",
        "iPhone 7",
        "--no-wait",
        "--sysfs-root",
        root,
    ]);
    dfu.success();
    assert!(
        dfu.stdout
            .contains("✓ DFU mode confirmed (USB product id 0x1227)"),
        "{}",
        dfu.stdout
    );
    crate::harness::sysfs_device(tree.path(), "1-2.3", &[("idProduct", "1281")]);
    let recovery = run(&[
        "dfu",
        "--model",
        "iPhone 7",
        "--no-wait",
        "--sysfs-root",
        root,
    ]);
    assert_eq!(recovery.status, 1);
    assert!(
        recovery.stdout.contains("recovery mode (0x1281), not DFU")
            && recovery.stdout.contains("Start over"),
        "{}",
        recovery.stdout
    );
    crate::harness::sysfs_device(tree.path(), "1-2.3", &[("idProduct", "12a8")]);
    let booted = run(&[
        "dfu",
        "--model",
        "iPhone 7",
        "--no-wait",
        "--sysfs-root",
        root,
    ]);
    assert!(
        booted.stdout.contains("released too early"),
        "{}",
        booted.stdout
    );
    std::fs::remove_dir_all(tree.path().join("bus/usb/devices/1-2.3")).unwrap();
    let nothing = run(&[
        "dfu",
        "--model",
        "iPhone 7",
        "--no-wait",
        "--sysfs-root",
        root,
    ]);
    assert!(
        nothing.stdout.contains("Nothing is visible on USB"),
        "{}",
        nothing.stdout
    );
}

#[test]
fn the_coach_tells_an_ipad_owner_to_connect_the_ipad() {
    let out = crate::harness::run(&["dfu", "--model", "iPad8,11", "--no-wait"]);
    out.success();
    assert!(out.prose().contains("Connect the iPad"), "{}", out.stdout);
    assert!(!out.stdout.contains("phone"), "{}", out.stdout);
}
