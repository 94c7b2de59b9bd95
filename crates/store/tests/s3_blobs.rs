//! S3Blobs against a real, private Garage started by `tests/services/garage` on loopback
//! ports; every test writes under a prefix of its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bushbuck_store::{open_blobs, BlobSettings, BlobStore, StoreError};
use sha2::{Digest, Sha256};

/// A Garage server in a temporary directory, stopped on drop.
struct Garage {
    dir: tempfile::TempDir,
    url: String,
    access_key: String,
    secret_key: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/services/garage")
}

fn garage_installed() -> bool {
    let on_path =
        Command::new("sh").args(["-c", "command -v garage"]).output().is_ok_and(|o| o.status.success());
    let in_cargo =
        std::env::var_os("HOME").is_some_and(|home| Path::new(&home).join(".cargo/bin/garage").exists());
    on_path || in_cargo
}

impl Garage {
    /// A fresh server, or `None` (with a message) when Garage is not installed outside CI.
    fn start() -> Option<Garage> {
        if !garage_installed() {
            assert!(std::env::var_os("CI").is_none(), "garage is not installed: .ci/run installs it");
            eprintln!("SKIPPED: garage is not installed (cargo install garage --locked)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = Garage::run_script("start", dir.path());
        let value = |name: &str| {
            out.lines()
                .find_map(|line| line.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} missing from tests/services/garage output:\n{out}"))
                .trim_matches('\'')
                .to_string()
        };
        Some(Garage {
            url: value("BUSHBUCK_TEST_S3_URL"),
            access_key: value("AWS_ACCESS_KEY_ID"),
            secret_key: value("AWS_SECRET_ACCESS_KEY"),
            dir,
        })
    }

    fn run_script(action: &str, dir: &Path) -> String {
        let out = Command::new(script()).arg(action).arg(dir).output().expect("run tests/services/garage");
        assert!(
            out.status.success(),
            "tests/services/garage {action} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn stop(&self) {
        Garage::run_script("stop", self.dir.path());
    }

    fn start_again(&self) {
        Garage::run_script("start", self.dir.path());
    }

    /// The bucket's objects under `prefix`, opened the way the server opens them.
    fn blobs(&self, prefix: &str) -> Arc<dyn BlobStore> {
        let (bucket, query) = self.url.split_once('?').unwrap();
        let settings = BlobSettings {
            url: Some(format!("{bucket}/{prefix}?{query}")),
            access_key: Some(self.access_key.clone()),
            secret_key: Some(self.secret_key.clone()),
        };
        open_blobs(&settings, Path::new("/nonexistent")).unwrap()
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        self.stop();
    }
}

fn address(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn message(n: usize) -> Vec<u8> {
    format!("Subject: message {n}\r\n\r\nbody {n}\r\n").into_bytes()
}

#[test]
fn put_get_delete_and_sweep_listing() {
    let Some(garage) = Garage::start() else { return };
    let blobs = garage.blobs("basic");
    let other = garage.blobs("other");
    let (a, b) = (message(1), message(2));
    blobs.put(&address(&a), &a).unwrap();
    blobs.put(&address(&a), &a).unwrap();
    blobs.put(&address(&b), &b).unwrap();
    other.put(&address(&b), &b).unwrap();
    assert_eq!(blobs.get(&address(&a)).unwrap(), a);
    assert_eq!(blobs.get(&address(&b)).unwrap(), b);

    let mut listed = blobs.stored_before(Duration::ZERO).unwrap();
    listed.sort();
    let mut expected = vec![address(&a), address(&b)];
    expected.sort();
    assert_eq!(listed, expected);
    assert!(blobs.stored_before(Duration::from_secs(3600)).unwrap().is_empty());

    blobs.delete(&address(&a)).unwrap();
    blobs.delete(&address(&a)).unwrap();
    assert_eq!(blobs.stored_before(Duration::ZERO).unwrap(), vec![address(&b)]);
    assert_eq!(other.stored_before(Duration::ZERO).unwrap(), vec![address(&b)]);
    assert!(blobs.describe().contains("basic"));
}

#[test]
fn missing_object_is_an_io_error_naming_the_key() {
    let Some(garage) = Garage::start() else { return };
    let blobs = garage.blobs("missing");
    let sha = address(b"never stored");
    match blobs.get(&sha) {
        Err(StoreError::Io(text)) => {
            assert!(text.contains(&format!("missing/{}/{sha}", &sha[..2])), "{text}")
        }
        other => panic!("expected Io naming the key, got {other:?}"),
    }
}

#[test]
fn large_object_round_trips() {
    let Some(garage) = Garage::start() else { return };
    let blobs = garage.blobs("large");
    let data: Vec<u8> =
        (0..20 * 1024 * 1024).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let sha = address(&data);
    blobs.put(&sha, &data).unwrap();
    let back = blobs.get(&sha).unwrap();
    assert_eq!(back.len(), data.len());
    assert_eq!(address(&back), sha);
}

#[test]
fn works_from_plain_threads_and_inside_block_in_place() {
    let Some(garage) = Garage::start() else { return };
    let blobs = garage.blobs("threads");
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let blobs = blobs.clone();
            std::thread::spawn(move || {
                let data = message(n);
                blobs.put(&address(&data), &data).unwrap();
                assert_eq!(blobs.get(&address(&data)).unwrap(), data);
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let inside = blobs.clone();
    let got = runtime.block_on(async move {
        tokio::spawn(async move {
            tokio::task::block_in_place(|| {
                let data = message(10);
                inside.put(&address(&data), &data).unwrap();
                inside.get(&address(&data)).unwrap()
            })
        })
        .await
        .unwrap()
    });
    assert_eq!(got, message(10));
    assert_eq!(blobs.stored_before(Duration::ZERO).unwrap().len(), 5);
}

#[test]
fn outage_is_unavailable_and_the_same_client_recovers() {
    let Some(garage) = Garage::start() else { return };
    let blobs = garage.blobs("outage");
    let before = message(1);
    blobs.put(&address(&before), &before).unwrap();

    garage.stop();
    let started = Instant::now();
    for result in [blobs.get(&address(&before)).map(drop), blobs.put(&address(&message(2)), &message(2))] {
        match result {
            Err(StoreError::Unavailable(text)) => {
                eprintln!("while stopped: {text}");
                assert!(text.contains("object store at http://127.0.0.1:"), "{text}")
            }
            other => panic!("expected Unavailable while Garage is stopped, got {other:?}"),
        }
    }
    // Connection refused is retried within a 10 s window; one request may take at most 30 s.
    let waited = started.elapsed();
    eprintln!("two requests failed as Unavailable in {waited:?}");
    assert!(waited < Duration::from_secs(30), "took {waited:?}");

    garage.start_again();
    assert_eq!(blobs.get(&address(&before)).unwrap(), before);
    let after = message(3);
    blobs.put(&address(&after), &after).unwrap();
    assert_eq!(blobs.get(&address(&after)).unwrap(), after);
}
