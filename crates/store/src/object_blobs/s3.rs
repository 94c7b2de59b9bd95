//! [`S3Blobs`]: the objects in a bucket of an S3-compatible object store (AWS S3, Garage,
//! MinIO, Ceph radosgw), spoken to with the `object_store` crate.
//!
//! `object_store` is async; [`S3Blobs`] owns a small private tokio runtime and blocks on it,
//! so the synchronous [`BlobStore`] calls work from a plain thread and from inside
//! `tokio::task::block_in_place` alike.

use std::error::Error as StdError;
use std::future::Future;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{HttpError, HttpErrorKind};
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use url::Url;

use super::BlobStore;
use crate::error::{Result, StoreError};
use crate::hex::is_sha256;

/// Longest wait for a TCP connection to the object store.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for one request (a 20 MB PUT included) before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries of a failed request (connection refused, timeout, 5xx) before giving up.
const MAX_RETRIES: usize = 3;
/// No retry starts later than this after the first attempt.
const RETRY_WINDOW: Duration = Duration::from_secs(10);
/// Region used when the URL names none (what AWS S3 and most compatible stores accept).
const DEFAULT_REGION: &str = "us-east-1";

/// Where the objects live, as written in a `blob_url`:
/// `s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=R`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket's name.
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing `/`), if any.
    pub prefix: Option<String>,
    /// The store's base URL; `None` means AWS S3's own endpoint for the region.
    pub endpoint: Option<String>,
    /// The region requests are signed for.
    pub region: String,
}

const URL_FORM: &str = "s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=REGION";

impl S3Location {
    /// Parses a `blob_url`; the error says what to write instead.
    pub fn parse(text: &str) -> std::result::Result<S3Location, String> {
        let bad = |why: &str| format!("blob_url {text:?}: {why}; write {URL_FORM}");
        let url = Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "s3" {
            return Err(bad("the scheme must be s3://"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials do not belong in the URL (use blob_access_key and blob_secret_key \
                 or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
            ));
        }
        let bucket = match url.host_str() {
            Some(b) if !b.is_empty() && url.port().is_none() => b.to_string(),
            _ => return Err(bad("the bucket name is missing")),
        };
        let prefix = url.path().trim_matches('/');
        let prefix = (!prefix.is_empty()).then(|| prefix.to_string());
        let mut endpoint = None;
        let mut region = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "endpoint" => endpoint = Some(checked_endpoint(&value).map_err(|why| bad(&why))?),
                "region" if !value.is_empty() => region = Some(value.into_owned()),
                other => return Err(bad(&format!("unknown parameter {other:?}"))),
            }
        }
        let region = region.unwrap_or_else(|| DEFAULT_REGION.to_string());
        Ok(S3Location { bucket, prefix, endpoint, region })
    }
}

/// An endpoint must be https, or plain http to a loopback address (a test or a local proxy).
fn checked_endpoint(text: &str) -> std::result::Result<String, String> {
    let url = Url::parse(text).map_err(|e| format!("endpoint {text:?}: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(format!("endpoint {text:?} has no host")),
    };
    match url.scheme() {
        "https" => Ok(text.trim_end_matches('/').to_string()),
        "http" if loopback => Ok(text.trim_end_matches('/').to_string()),
        "http" => Err(format!("endpoint {text:?} is plain http to another machine: use https")),
        other => Err(format!("endpoint scheme {other:?} is not http or https")),
    }
}

/// Objects as `[PREFIX/]<2 hex>/<sha256 hex>` in one bucket, shared by every node.
#[derive(Debug)]
pub struct S3Blobs {
    client: AmazonS3,
    location: S3Location,
    runtime: PrivateRuntime,
}

/// The tokio runtime the requests run on. Dropped without waiting for its threads, so an
/// [`S3Blobs`] may be dropped inside another runtime's task.
#[derive(Debug)]
struct PrivateRuntime(Option<tokio::runtime::Runtime>);

impl PrivateRuntime {
    fn start() -> Result<PrivateRuntime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bushbuck-s3")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Io(format!("cannot start the object store client: {e}")))?;
        Ok(PrivateRuntime(Some(runtime)))
    }

    fn block_on<T>(&self, work: impl Future<Output = T>) -> T {
        self.0.as_ref().expect("runtime present until drop").block_on(work)
    }
}

impl Drop for PrivateRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl S3Blobs {
    /// A client for the bucket at `location`, signing with the given key pair. Nothing is
    /// sent until the first call, so an unreachable store shows as `Unavailable` there.
    pub fn open(location: S3Location, access_key: &str, secret_key: &str) -> Result<S3Blobs> {
        let options = ClientOptions::new()
            .with_connect_timeout(CONNECT_TIMEOUT)
            .with_timeout(REQUEST_TIMEOUT)
            .with_allow_http(location.endpoint.as_deref().is_some_and(|e| e.starts_with("http:")));
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
            max_retries: MAX_RETRIES,
            retry_timeout: RETRY_WINDOW,
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&location.bucket)
            .with_region(&location.region)
            .with_access_key_id(access_key)
            .with_secret_access_key(secret_key)
            .with_virtual_hosted_style_request(false)
            .with_client_options(options)
            .with_retry(retry);
        if let Some(endpoint) = &location.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let client = builder
            .build()
            .map_err(|e| StoreError::Io(format!("object store {}: {e}", describe(&location))))?;
        Ok(S3Blobs { client, location, runtime: PrivateRuntime::start()? })
    }

    /// The object key of `sha`, refusing anything that is not a content address.
    fn key(&self, sha: &str) -> Result<ObjectPath> {
        if !is_sha256(sha) {
            return Err(StoreError::Io(format!("bad content address {sha:?}")));
        }
        let name = format!("{}/{sha}", &sha[..2]);
        Ok(match &self.location.prefix {
            Some(prefix) => ObjectPath::from(format!("{prefix}/{name}")),
            None => ObjectPath::from(name),
        })
    }

    /// Runs one request on the private runtime and waits for it.
    fn wait<T>(&self, request: impl Future<Output = object_store::Result<T>>) -> object_store::Result<T> {
        self.runtime.block_on(request)
    }

    /// The store error for a failed request about `what` ("object KEY" or "listing").
    fn failure(&self, what: &str, err: object_store::Error) -> StoreError {
        let endpoint = self.endpoint();
        match err {
            object_store::Error::NotFound { .. } => {
                StoreError::Io(format!("{what} not found in {} (does the bucket exist?)", self.describe()))
            }
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                StoreError::Io(format!(
                    "object store at {endpoint} refused the credentials ({what}): {err}; check \
                     blob_access_key and blob_secret_key (or AWS_ACCESS_KEY_ID and \
                     AWS_SECRET_ACCESS_KEY) and the key's rights on bucket {}",
                    self.location.bucket
                ))
            }
            err if is_transient(&err) => {
                StoreError::Unavailable(format!("object store at {endpoint}: {err}"))
            }
            err => StoreError::Io(format!("object store at {endpoint} ({what}): {err}")),
        }
    }

    fn endpoint(&self) -> &str {
        self.location.endpoint.as_deref().unwrap_or("AWS S3")
    }
}

/// Whether the failure is the store being down or overloaded rather than the request being
/// wrong: a connection, timeout or interrupted transfer, or a 5xx after the retries ran out.
/// `object_store` exports the transport error's kind but not a failed response's status, so
/// the status is read from its message ("... status code: 503 Service Unavailable ...").
fn is_transient(err: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(http) = e.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect
                    | HttpErrorKind::Request
                    | HttpErrorKind::Timeout
                    | HttpErrorKind::Interrupted
            );
        }
        current = e.source();
    }
    let text = err.to_string();
    text.contains("status code: 5") || text.contains("Server returned error response")
}

fn describe(location: &S3Location) -> String {
    let endpoint = location.endpoint.as_deref().unwrap_or("AWS S3");
    match &location.prefix {
        Some(prefix) => format!("bucket {}/{prefix} at {endpoint}", location.bucket),
        None => format!("bucket {} at {endpoint}", location.bucket),
    }
}

impl BlobStore for S3Blobs {
    fn put(&self, sha: &str, data: &[u8]) -> Result<()> {
        let key = self.key(sha)?;
        self.wait(self.client.put(&key, data.to_vec().into()))
            .map(drop)
            .map_err(|e| self.failure(&format!("object {key}"), e))
    }

    fn get(&self, sha: &str) -> Result<Vec<u8>> {
        let key = self.key(sha)?;
        self.wait(async { self.client.get(&key).await?.bytes().await })
            .map(|bytes| bytes.to_vec())
            .map_err(|e| self.failure(&format!("object {key}"), e))
    }

    fn delete(&self, sha: &str) -> Result<()> {
        let key = self.key(sha)?;
        match self.wait(self.client.delete(&key)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failure(&format!("object {key}"), e)),
        }
    }

    fn stored_before(&self, min_age: Duration) -> Result<Vec<String>> {
        let cutoff = SystemTime::now().checked_sub(min_age).unwrap_or(SystemTime::UNIX_EPOCH);
        let prefix = self.location.prefix.as_deref().map(ObjectPath::from);
        let listed = self
            .wait(self.client.list(prefix.as_ref()).try_collect::<Vec<_>>())
            .map_err(|e| self.failure("listing", e))?;
        Ok(listed
            .into_iter()
            .filter(|meta| SystemTime::from(meta.last_modified) <= cutoff)
            .filter_map(|meta| {
                let sha = meta.location.filename()?.to_string();
                let ours = self.key(&sha).is_ok_and(|key| key == meta.location);
                ours.then_some(sha)
            })
            .collect())
    }

    fn describe(&self) -> String {
        describe(&self.location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_prefix_endpoint_and_region() {
        let loc = S3Location::parse("s3://mail/node-a/objects?endpoint=http://127.0.0.1:3900&region=garage")
            .unwrap();
        assert_eq!(loc.bucket, "mail");
        assert_eq!(loc.prefix.as_deref(), Some("node-a/objects"));
        assert_eq!(loc.endpoint.as_deref(), Some("http://127.0.0.1:3900"));
        assert_eq!(loc.region, "garage");

        let loc = S3Location::parse("s3://mail").unwrap();
        assert_eq!((loc.prefix, loc.endpoint, loc.region.as_str()), (None, None, DEFAULT_REGION));

        let loc = S3Location::parse("s3://mail/?endpoint=https://s3.example.org/").unwrap();
        assert_eq!(loc.prefix, None);
        assert_eq!(loc.endpoint.as_deref(), Some("https://s3.example.org"));
        assert!(S3Location::parse("s3://mail?endpoint=http://[::1]:9000").is_ok());
        assert!(S3Location::parse("s3://mail?endpoint=http://localhost:9000").is_ok());
    }

    #[test]
    fn refuses_bad_urls_saying_what_to_write() {
        for (url, why) in [
            ("http://mail?endpoint=http://127.0.0.1:3900", "scheme"),
            ("s3://?endpoint=http://127.0.0.1:3900", "bucket"),
            ("s3:///prefix", "bucket"),
            ("s3://mail:99", "bucket"),
            ("s3://key:secret@mail", "credentials"),
            ("s3://mail?endpoint=http://10.0.0.5:3900", "use https"),
            ("s3://mail?endpoint=ftp://127.0.0.1", "scheme"),
            ("s3://mail?endpoint=not a url", "endpoint"),
            ("s3://mail?bucket=x", "unknown parameter"),
            ("not a url", "s3://BUCKET"),
        ] {
            let err = S3Location::parse(url).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
            assert!(err.contains(URL_FORM), "{url}: {err}");
        }
    }

    #[test]
    fn keys_are_two_hex_then_the_address_under_the_prefix() {
        let sha = "ab".repeat(32);
        let open = |url: &str| S3Blobs::open(S3Location::parse(url).unwrap(), "k", "s").unwrap();
        let plain = open("s3://mail?endpoint=http://127.0.0.1:1");
        assert_eq!(plain.key(&sha).unwrap().as_ref(), format!("ab/{sha}"));
        let prefixed = open("s3://mail/site/objects?endpoint=http://127.0.0.1:1");
        assert_eq!(prefixed.key(&sha).unwrap().as_ref(), format!("site/objects/ab/{sha}"));
        assert!(prefixed.key("../escape").is_err());
        assert_eq!(prefixed.describe(), "bucket mail/site/objects at http://127.0.0.1:1");
    }

    #[test]
    fn refused_connection_is_unavailable_naming_the_endpoint() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("s3://mail?endpoint=http://127.0.0.1:{port}");
        let blobs = S3Blobs::open(S3Location::parse(&url).unwrap(), "k", "s").unwrap();
        let err = blobs.get(&"ab".repeat(32)).unwrap_err();
        match err {
            StoreError::Unavailable(text) => assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }
}
