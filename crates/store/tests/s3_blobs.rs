//! S3Blobs against a real, private Garage started through bushbuck-testsvc on loopback ports;
//! every test writes under a prefix of its own.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bushbuck_store::{open_blobs, BlobSettings, BlobStore, StoreError};
use bushbuck_testsvc::S3Target;
use sha2::{Digest, Sha256};

/// A fresh prefix on the shared test Garage, opened the way the server opens it.
fn fresh_blobs() -> Option<(S3Target, Arc<dyn BlobStore>)> {
    let target = bushbuck_testsvc::s3()?;
    let blobs = blobs(&target);
    Some((target, blobs))
}

/// The objects under `target`, opened the way the server opens them.
fn blobs(target: &S3Target) -> Arc<dyn BlobStore> {
    let settings = BlobSettings {
        url: Some(target.url.clone()),
        access_key: Some(target.access_key.clone()),
        secret_key: Some(target.secret_key.clone()),
    };
    open_blobs(&settings, Path::new("/nonexistent")).unwrap()
}

/// The key prefix of `target` (`t..` in `s3://bucket/t..?endpoint=`).
fn prefix(target: &S3Target) -> &str {
    target.url.split('?').next().unwrap().rsplit('/').next().unwrap()
}

fn address(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn message(n: usize) -> Vec<u8> {
    format!("Subject: message {n}\r\n\r\nbody {n}\r\n").into_bytes()
}

#[test]
fn put_get_delete_and_sweep_listing() {
    let Some((target, blobs)) = fresh_blobs() else { return };
    let (_, other) = fresh_blobs().unwrap();
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
    assert!(blobs.describe().contains(prefix(&target)), "{}", blobs.describe());
}

#[test]
fn missing_object_is_an_io_error_naming_the_key() {
    let Some((target, blobs)) = fresh_blobs() else { return };
    let sha = address(b"never stored");
    match blobs.get(&sha) {
        Err(StoreError::Io(text)) => {
            assert!(text.contains(&format!("{}/{}/{sha}", prefix(&target), &sha[..2])), "{text}")
        }
        other => panic!("expected Io naming the key, got {other:?}"),
    }
}

#[test]
fn large_object_round_trips() {
    let Some((_, blobs)) = fresh_blobs() else { return };
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
    let Some((_, blobs)) = fresh_blobs() else { return };
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
    // A Garage of this test's own: stopping the shared one would fail the other tests.
    let Some(garage) = bushbuck_testsvc::garage_service() else { return };
    let blobs = blobs(&garage.fresh_prefix());
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

    garage.start();
    assert_eq!(blobs.get(&address(&before)).unwrap(), before);
    let after = message(3);
    blobs.put(&address(&after), &after).unwrap();
    assert_eq!(blobs.get(&address(&after)).unwrap(), after);
}
