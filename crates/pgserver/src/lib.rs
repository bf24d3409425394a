//! A private PostgreSQL server for tests: a new cluster (`initdb`) in a temporary folder,
//! started with `pg_ctl` on a free port of 127.0.0.1 and stopped (and deleted) when dropped.
//!
//! When run as root the cluster belongs to the `postgres` user, as PostgreSQL refuses to run as
//! root. Debian keeps the programs in `/usr/lib/postgresql/VERSION/bin`, off the `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The superuser's password on every test server.
pub const PASSWORD: &str = "restore-doctor-test";

/// A running server, stopped when dropped.
pub struct Server {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// Where `initdb` and `pg_ctl` are: on the `PATH`, else Debian's newest version folder.
fn programs() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort_by_key(|bin| {
            bin.parent()
                .and_then(Path::file_name)
                .and_then(|v| v.to_str()?.parse::<u32>().ok())
        });
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn user_ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

impl Server {
    /// Starts a new server, or says why it cannot: `Ok(None)` when PostgreSQL is not installed.
    pub fn start() -> Result<Option<Server>, String> {
        let Some(bin) = programs() else {
            return Ok(None);
        };
        let as_postgres = is_root();
        let mut last = String::new();
        // A free port can be taken between choosing it and the server binding it: try again.
        for _ in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("restore-doctor-pg-")
                .tempdir()
                .map_err(|e| e.to_string())?;
            if as_postgres {
                let (uid, gid) =
                    user_ids("postgres").ok_or("no postgres user to run the server as")?;
                std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                    .map_err(|e| e.to_string())?;
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| e.to_string())?
                .port();
            let server = Server {
                dir,
                bin: bin.clone(),
                port,
                as_postgres,
            };
            let data = server.data();
            // Over TCP the server asks for the password, so a wrong one can be tested.
            let password_file = server.dir.path().join("password");
            std::fs::write(&password_file, PASSWORD).map_err(|e| e.to_string())?;
            if as_postgres {
                let (uid, gid) = user_ids("postgres").ok_or("no postgres user")?;
                std::os::unix::fs::chown(&password_file, Some(uid), Some(gid))
                    .map_err(|e| e.to_string())?;
            }
            let pwfile = format!("--pwfile={}", password_file.display());
            server.run(
                "initdb",
                &[
                    "-D",
                    &data,
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    &pwfile,
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ],
            )?;
            match server.start_again() {
                Ok(()) => return Ok(Some(server)),
                Err(e) => last = e,
            }
        }
        Err(format!("PostgreSQL did not start: {last}"))
    }

    /// A server for a test, or `None` (said on stderr) when PostgreSQL is not installed and
    /// `RESTORE_DOCTOR_REQUIRE_PEERS` is not `1`. Any other failure fails the test.
    pub fn for_test() -> Option<Server> {
        match Server::start() {
            Ok(Some(server)) => Some(server),
            Ok(None) => {
                assert!(
                    std::env::var("RESTORE_DOCTOR_REQUIRE_PEERS").as_deref() != Ok("1"),
                    "PostgreSQL required (RESTORE_DOCTOR_REQUIRE_PEERS=1) but not installed (apt-get install postgresql)"
                );
                eprintln!("skipped: PostgreSQL not installed (apt-get install postgresql)");
                None
            }
            Err(e) => panic!("{e}"),
        }
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` on this server, as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// Creates a new, empty database and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .map_err(|e| e.to_string())?;
        let quoted = name.replace('"', "");
        client
            .batch_execute(&format!("CREATE DATABASE \"{quoted}\""))
            .map_err(|e| e.to_string())?;
        Ok(self.url(&quoted))
    }

    /// Starts the stopped server again, on the same port with the same data.
    pub fn start_again(&self) -> Result<(), String> {
        let data = self.data();
        let options = format!(
            "-p {} -k {data} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=60",
            self.port
        );
        let log = format!("{data}/server.log");
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start",
            ],
        )
    }

    /// Stops the server at once (as a crash or a pulled plug would); it can be started again.
    pub fn stop(&self) -> Result<(), String> {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
