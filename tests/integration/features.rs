//! The single-user build (`--no-default-features`): a command or a history this build leaves
//! out is refused in one clear line, never a panic or a stray file.

/// `serve` without the dashboard says the build has none, in one line, exit 2.
#[cfg(not(feature = "dashboard"))]
#[test]
fn serve_in_a_build_without_the_dashboard_says_so() {
    let out = crate::harness::run(&["serve", "--bind", "127.0.0.1:0"]);
    let line = out.usage_error();
    assert!(line.contains("no dashboard"), "{line}");
    crate::harness::run(&["serve", "--help"]).success();
}

/// A PostgreSQL history in a build without PostgreSQL: one line naming what is missing, the
/// password never shown, no file made under the address's name.
#[cfg(not(feature = "postgres"))]
#[test]
fn a_postgresql_history_in_a_build_without_it_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for db in [
        "postgres://shop:hunter2@127.0.0.1:1/cases",
        "host=127.0.0.1 user=shop password=hunter2 dbname=cases",
    ] {
        for args in [
            &["history"][..],
            &["record", "--code", "4013", "--fixed", "change-port"],
        ] {
            let out = crate::harness::command()
                .current_dir(dir.path())
                .arg("--db")
                .arg(db)
                .args(args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
            assert!(
                stderr.contains("no PostgreSQL support"),
                "{args:?}: {stderr}"
            );
            assert!(!stderr.contains("hunter2"), "{stderr}");
        }
    }
    let made: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(made.is_empty(), "{made:?}");
}
