//! Private PostgreSQL and Garage servers for tests.
//!
//! Each test process starts at most one server of each kind, through the scripts in
//! `tests/services/` (on loopback ports, in a temporary directory), on first use. Every call of
//! [`postgres_url`] creates a fresh database and every call of [`s3`] a fresh key prefix, so
//! tests run in parallel without seeing each other's data. A watchdog process stops the
//! servers and removes their directories when the test process exits, however it exits.
//!
//! When a service is not installed, the functions return `None` after printing why, so a
//! developer without PostgreSQL or Garage still runs the rest; with `CI` set they panic
//! instead, because CI installs everything (`.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// One private server run by a `tests/services/NAME` script.
pub struct Service {
    name: &'static str,
    dir: PathBuf,
    vars: Vec<(String, String)>,
}

impl Service {
    /// Starts `tests/services/NAME` in a new temporary directory, or `None` when not installed.
    fn launch(name: &'static str, installed: bool, install_hint: &str) -> Option<Service> {
        if !installed {
            assert!(
                std::env::var_os("CI").is_none(),
                "{name} is not installed, and CI must run every test: .ci/run installs it ({install_hint})"
            );
            eprintln!("SKIPPED: {name} is not installed ({install_hint})");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("bushbuck-test-{name}-"))
            .tempdir()
            .expect("create a temporary directory for a test service")
            .keep();
        let mut service = Service { name, dir, vars: Vec::new() };
        service.spawn_watchdog();
        service.vars = parse_vars(&service.run("start"));
        Some(service)
    }

    /// Starts the server again after [`Service::stop`]: same ports, same data.
    pub fn start(&self) {
        self.run("start");
    }

    /// Stops the server (for outage tests); [`Service::start`] brings it back.
    pub fn stop(&self) {
        self.run("stop");
    }

    /// A value the start script printed (`KEY='VALUE'` on its stdout).
    pub fn var(&self, key: &str) -> &str {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("tests/services/{} printed no {key}", self.name))
    }

    /// The URL of a fresh, empty database on this (PostgreSQL) server.
    pub fn fresh_database(&self) -> String {
        let admin_url = self.var("BUSHBUCK_TEST_PG_URL").to_string();
        let (server, _) = admin_url.rsplit_once('/').expect("BUSHBUCK_TEST_PG_URL ends in /DATABASE");
        let name = format!("t_{}", next_id());
        let url = format!("{server}/{name}");
        let create = format!("CREATE DATABASE {name}");
        // CREATE DATABASE copies template1 and fails while another copy runs: one at a time.
        static CREATING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = CREATING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // The sync client runs a runtime of its own: keep it off any runtime the caller is on.
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&admin_url, postgres::NoTls)
                .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {admin_url}: {e}"));
            client.batch_execute(&create).unwrap_or_else(|e| panic!("{create}: {e:?}"));
        })
        .join()
        .expect("create a test database");
        url
    }

    /// A fresh prefix in this (Garage) server's bucket.
    pub fn fresh_prefix(&self) -> S3Target {
        let url = self.var("BUSHBUCK_TEST_S3_URL");
        let (bucket, query) = url.split_once('?').expect("BUSHBUCK_TEST_S3_URL has ?endpoint=...");
        S3Target {
            url: format!("{bucket}/t{}-{}?{query}", std::process::id(), next_id()),
            access_key: self.var("AWS_ACCESS_KEY_ID").to_string(),
            secret_key: self.var("AWS_SECRET_ACCESS_KEY").to_string(),
        }
    }

    fn script(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/services").join(self.name)
    }

    fn run(&self, action: &str) -> String {
        let out = Command::new(self.script())
            .arg(action)
            .arg(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run tests/services/{}: {e}", self.name));
        assert!(
            out.status.success(),
            "tests/services/{} {action} {} failed: {}",
            self.name,
            self.dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("service scripts print UTF-8")
    }

    /// A detached shell that waits for this process to end, then stops the server and removes
    /// its directory (the test harness exits without running destructors of statics).
    fn spawn_watchdog(&self) {
        // The outer shell returns at once; the loop, orphaned, outlives it.
        let watch = "(while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; \"$2\" stop \"$3\"; rm -rf \"$3\") >/dev/null 2>&1 &";
        let started = Command::new("sh")
            .args(["-c", watch, "watchdog"])
            .arg(std::process::id().to_string())
            .arg(self.script())
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot start the watchdog of tests/services/{}: {e}", self.name));
        assert!(started.success(), "the watchdog of tests/services/{} did not start", self.name);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = Command::new(self.script()).arg("stop").arg(&self.dir).stdout(Stdio::null()).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `KEY='VALUE'` lines, quotes removed.
fn parse_vars(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('\'').to_string()))
        .collect()
}

/// A number unique within this process, for database names and prefixes.
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn postgres_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql")
        .map(|versions| versions.flatten().any(|v| v.path().join("bin/initdb").exists()))
        .unwrap_or(false)
}

fn garage_installed() -> bool {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("garage").is_file()));
    let in_cargo =
        std::env::var_os("HOME").is_some_and(|home| Path::new(&home).join(".cargo/bin/garage").is_file());
    on_path || in_cargo
}

/// The PostgreSQL server shared by this process's tests, started on first use.
fn shared_postgres() -> Option<&'static Service> {
    static POSTGRES: OnceLock<Option<Service>> = OnceLock::new();
    POSTGRES.get_or_init(postgres_service).as_ref()
}

/// A PostgreSQL server of the caller's own, for tests that stop and start it (outages);
/// stopped and removed on drop. Other tests use [`postgres_url`].
pub fn postgres_service() -> Option<Service> {
    Service::launch("postgres", postgres_installed(), "apt-get install postgresql")
}

/// The URL of a fresh, empty database on the PostgreSQL server this process's tests share.
pub fn postgres_url() -> Option<String> {
    Some(shared_postgres()?.fresh_database())
}

/// Where a test may keep objects: a bucket URL with a prefix of its own, and the key.
pub struct S3Target {
    /// `s3://BUCKET/PREFIX?endpoint=http://127.0.0.1:PORT&region=garage`
    pub url: String,
    /// The access key id (AWS_ACCESS_KEY_ID).
    pub access_key: String,
    /// The secret key (AWS_SECRET_ACCESS_KEY).
    pub secret_key: String,
}

/// The Garage server shared by this process's tests, started on first use.
fn shared_garage() -> Option<&'static Service> {
    static GARAGE: OnceLock<Option<Service>> = OnceLock::new();
    GARAGE.get_or_init(garage_service).as_ref()
}

/// A Garage server of the caller's own, for tests that stop and start it (outages); stopped
/// and removed on drop. Other tests use [`s3`].
pub fn garage_service() -> Option<Service> {
    Service::launch("garage", garage_installed(), "cargo install garage --locked")
}

/// A fresh prefix in the bucket of the Garage server this process's tests share.
pub fn s3() -> Option<S3Target> {
    Some(shared_garage()?.fresh_prefix())
}
