//! Server configuration: the embedded defaults, overridable by a TOML file and flags.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use bushbuck_store::{
    open_blobs, BlobSettings, Partitions, PostgresStore, SqliteStore, Store, DEFAULT_PARTITION,
};

use serde::{Deserialize, Serialize};

use crate::access::{AccessRules, Network};

/// The listener keys of the configuration, which `access` and `proxy_protocol` name.
pub const LISTENERS: [&str; 7] = ["imap", "imaps", "pop3", "pop3s", "lmtp", "sieve", "http"];

/// When plaintext passwords (LOGIN, AUTHENTICATE PLAIN/LOGIN, POP3 USER/PASS) are accepted
/// on a connection that is not protected by TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PlaintextPolicy {
    /// Never: clients must use TLS (implicit or STARTTLS) first.
    Never,
    /// Only from loopback addresses (127.0.0.0/8, ::1).
    #[default]
    Loopback,
    /// Always (for closed networks only).
    Always,
}

/// Everything the server reads from its configuration. Field names are the TOML keys.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data directory: user directory, mailstores, TLS certificate.
    pub data: PathBuf,
    /// Plain IMAP listener (STARTTLS available), e.g. `127.0.0.1:1143`; empty to disable.
    pub imap: String,
    /// Implicit-TLS IMAP listener; empty to disable.
    pub imaps: String,
    /// Plain POP3 listener; empty to disable.
    pub pop3: String,
    /// Implicit-TLS POP3 listener; empty to disable.
    pub pop3s: String,
    /// LMTP listener; empty to disable.
    pub lmtp: String,
    /// LMTP on a Unix-domain socket at this path (e.g. for Postfix's `lmtp:unix:`); empty
    /// to disable.
    pub lmtp_socket: String,
    /// ManageSieve listener; empty to disable.
    pub sieve: String,
    /// HTTP listener for metrics and health; empty to disable.
    pub http: String,
    /// PEM certificate chain; when unset a self-signed one is generated in the data directory.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key belonging to `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Where plaintext passwords are allowed without TLS.
    pub allow_plaintext: PlaintextPolicy,
    /// Longest command line accepted, in octets, not counting literals (IMAP before login:
    /// at most 8 KiB).
    pub max_line_length: usize,
    /// Largest literal accepted (and APPENDLIMIT advertised), in octets. Before login IMAP
    /// takes only 8 KiB literals; after it, literals from 1 MiB are spooled to `DATA/tmp`.
    pub max_literal_size: u64,
    /// Most simultaneous connections from one IP address.
    pub max_connections_per_ip: usize,
    /// Most simultaneous connections on all listeners together (HTTP not counted); past it
    /// a new connection gets the protocol's refusal (`* BYE`, `-ERR`, `421`) at once.
    pub max_connections: usize,
    /// Most simultaneous IMAP, POP3 and ManageSieve connections that have not authenticated
    /// yet; a session stops counting when it logs in. LMTP (which never logs in) counts only
    /// against `max_connections` and `max_connections_per_ip`.
    pub max_prelogin_connections: usize,
    /// Host access rules per listener (keys as the listener keys: `imap`, `imaps`, `pop3`,
    /// `pop3s`, `lmtp`, `sieve`, `http`), checked at accept before any greeting:
    /// `[access.imap] rules = ["allow 127.0.0.0/8", "allow 2001:db8::/32", "deny all"]`.
    /// The first rule whose address or network holds the client decides; when none does,
    /// the client is allowed. Behind a proxy the client is the one its PROXY header names.
    pub access: BTreeMap<String, AccessRules>,
    /// Listeners (keys as for `access`) behind a proxy that speaks the HAProxy PROXY
    /// protocol, version 1 or 2: each connection must come from `proxy_trusted` and start
    /// with a valid header within `login_timeout_secs`, else it is refused; the address the
    /// header names is then used for limits, access rules, logs and `allow_plaintext`.
    pub proxy_protocol: Vec<String>,
    /// Addresses or networks of the proxies allowed to connect to `proxy_protocol`
    /// listeners, e.g. `["127.0.0.1", "10.0.0.0/8"]`.
    pub proxy_trusted: Vec<Network>,
    /// Most simultaneous logged-in sessions of one user.
    pub max_connections_per_user: usize,
    /// Seconds of inactivity before an authenticated session is logged out (RFC 3501: at
    /// least 30 minutes).
    pub idle_timeout_secs: u64,
    /// Seconds a connection may stay unauthenticated before it is dropped.
    pub login_timeout_secs: u64,
    /// Failed authentications after which a connection is closed.
    pub max_auth_failures: u32,
    /// Most recipients of one LMTP transaction; further RCPTs get `452 4.5.3` (RFC 5321
    /// 4.5.3.1.8 asks for at least 100) and the client sends them in another transaction.
    pub max_lmtp_recipients: usize,
    /// Seconds after which one failed login of a source (IPv4 address or IPv6 /64) or of an
    /// account is forgotten by the throttling counters.
    pub auth_failure_decay_secs: u64,
    /// Longest delay before answering a failed login. The first 2 failures of a source are
    /// answered at once, then the delay starts at 250 ms and doubles with each failure; the
    /// account's failures count too, but only for sources that failed before. 0: no delay.
    pub auth_penalty_max_secs: u64,
    /// Failed logins of one source after which it is banned (refused at connect and at
    /// login, listed by `bushbuck ban list`); 0 never bans.
    pub auth_ban_failures: u32,
    /// Seconds a ban lasts.
    pub auth_ban_secs: u64,
    /// Password checks from clean sources that may wait or run at once; more are refused
    /// with a try-later answer.
    pub auth_hash_queue_max: usize,
    /// Password checks from sources with recent failures that may wait or run at once (one
    /// thread, one check per source); more are refused at once, without hashing.
    pub auth_penalty_queue_max: usize,
    /// Seconds a verified password is remembered (as a keyed SHA-256, never the password), so
    /// a client that logs in again within them costs no Argon2 run; 0 turns the cache off.
    pub login_cache_seconds: u64,
    /// Days during which a second delivery of the same Message-ID to the same mailbox is
    /// dropped; 0 turns duplicate suppression off.
    pub duplicate_suppression_days: u32,
    /// Administrators: may set quotas (SETQUOTA) and have the rights `l k x a` on every
    /// mailbox (list, create, delete, administer; reading still needs a grant).
    pub admins: Vec<String>,
    /// Folders a new user gets besides INBOX (`bushbuck user add` without `--no-folders`),
    /// each known name with its RFC 6154 SPECIAL-USE attribute; an APPEND to one of
    /// them that is missing creates it. Default `["Sent", "Drafts", "Trash", "Junk",
    /// "Archive"]`; `[]` gives only INBOX.
    pub default_folders: Vec<String>,
    /// ACL given to a new top-level shared mailbox (`Shared/NAME`), as space-separated
    /// `identifier rights` pairs (e.g. `"anyone lr"`); empty (the default) gives it none, so
    /// only administrators see it until they grant rights with SETACL.
    pub shared_default_acl: String,
    /// Local part that addresses shared mailboxes over LMTP: `PREFIX+NAME@domain` posts into
    /// `Shared/NAME` when `anyone` or `anonymous` has the `p` right there.
    pub shared_delivery_prefix: String,
    /// STORAGE limit in KiB for users without their own; 0 means unlimited.
    pub default_quota_storage_kb: u64,
    /// MESSAGE limit for users without their own; 0 means unlimited.
    pub default_quota_messages: u64,
    /// Percentage of a quota above which SELECT warns with an ALERT.
    pub quota_warn_percent: u64,
    /// SMTP relay (`host:port`) for Sieve redirects and vacation replies; empty for none
    /// (redirects then fall back to keeping the message).
    pub smtp_relay: String,
    /// Most Sieve scripts per user.
    pub sieve_max_scripts: usize,
    /// Largest Sieve script, in octets.
    pub sieve_max_script_size: usize,
    /// Most redirects one message may cause.
    pub sieve_max_redirects: usize,
    /// Seconds a user must wait between two POP3 logins (RFC 2449 LOGIN-DELAY); 0 for none.
    pub pop3_login_delay_secs: u64,
    /// Named storage roots for users' mail besides the data directory (which is the partition
    /// `default`), e.g. `archive = "/srv/mail-archive"`.
    pub partitions: BTreeMap<String, PathBuf>,
    /// The partition new users are created on.
    pub default_partition: String,
    /// PostgreSQL database for the state shared by several nodes, as
    /// `postgres://USER@HOST:PORT/DB` (a password in the URL or PGPASSWORD); unset (the
    /// default): everything is embedded in the data directory.
    pub store_url: Option<String>,
    /// S3-compatible object storage for message contents, as
    /// `s3://BUCKET?endpoint=http://HOST:PORT&region=R`; unset: files in the data directory.
    pub blob_url: Option<String>,
    /// Access key for `blob_url`; unset: the environment's AWS_ACCESS_KEY_ID.
    pub blob_access_key: Option<String>,
    /// Secret key for `blob_url`; unset: the environment's AWS_SECRET_ACCESS_KEY.
    pub blob_secret_key: Option<String>,
    /// With `store_url`: seconds a message object no message names is kept before the
    /// sweeper removes it (an APPEND stores its object before the row that names it commits,
    /// so this must exceed the longest upload); the sweeper runs every tenth of this.
    pub object_grace_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("bushbuck-data"),
            imap: "127.0.0.1:1143".into(),
            imaps: "127.0.0.1:1993".into(),
            pop3: "127.0.0.1:1110".into(),
            pop3s: "127.0.0.1:1995".into(),
            lmtp: "127.0.0.1:1024".into(),
            lmtp_socket: String::new(),
            sieve: "127.0.0.1:4190".into(),
            http: String::new(),
            tls_cert: None,
            tls_key: None,
            allow_plaintext: PlaintextPolicy::Loopback,
            max_line_length: 64 * 1024,
            max_literal_size: 64 * 1024 * 1024,
            max_connections_per_ip: 100,
            max_connections: 5000,
            max_prelogin_connections: 500,
            access: BTreeMap::new(),
            proxy_protocol: Vec::new(),
            proxy_trusted: Vec::new(),
            max_connections_per_user: 50,
            idle_timeout_secs: 30 * 60,
            login_timeout_secs: 60,
            max_auth_failures: 3,
            max_lmtp_recipients: 100,
            auth_failure_decay_secs: 60,
            auth_penalty_max_secs: 15,
            auth_ban_failures: 10,
            auth_ban_secs: 600,
            auth_hash_queue_max: 64,
            auth_penalty_queue_max: 4,
            login_cache_seconds: bushbuck_auth::DEFAULT_LOGIN_CACHE.as_secs(),
            duplicate_suppression_days: 0,
            admins: Vec::new(),
            default_folders: crate::accounts::DEFAULT_FOLDERS.iter().map(|f| f.to_string()).collect(),
            shared_default_acl: String::new(),
            shared_delivery_prefix: "bb".into(),
            default_quota_storage_kb: 0,
            default_quota_messages: 0,
            quota_warn_percent: 90,
            smtp_relay: String::new(),
            sieve_max_scripts: 16,
            sieve_max_script_size: 64 * 1024,
            sieve_max_redirects: 4,
            pop3_login_delay_secs: 0,
            partitions: BTreeMap::new(),
            default_partition: DEFAULT_PARTITION.into(),
            store_url: None,
            blob_url: None,
            blob_access_key: None,
            blob_secret_key: None,
            object_grace_seconds: 3600,
        }
    }
}

impl Config {
    /// Parses a TOML configuration; keys not given keep their defaults.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| format!("invalid configuration: {e}"))?;
        config.check_listener_keys()?;
        Ok(config)
    }

    /// `access` and `proxy_protocol` name listeners that exist, and proxies are listed.
    fn check_listener_keys(&self) -> Result<(), String> {
        let named = self
            .access
            .keys()
            .map(|k| ("access", k))
            .chain(self.proxy_protocol.iter().map(|k| ("proxy_protocol", k)));
        for (key, listener) in named {
            if !LISTENERS.contains(&listener.as_str()) {
                return Err(format!(
                    "invalid configuration: {key} names the listener {listener:?}; listeners are {}",
                    LISTENERS.join(", ")
                ));
            }
        }
        if !self.proxy_protocol.is_empty() && self.proxy_trusted.is_empty() {
            return Err("invalid configuration: proxy_protocol is set but proxy_trusted is empty; list the addresses of your proxies".into());
        }
        Ok(())
    }

    /// Opens the configured mail store: what the server and every subcommand that reads or
    /// writes mail go through. The embedded store in the data directory, or with `store_url`
    /// the PostgreSQL database and the object store of `blob_url` (files in the data
    /// directory's `blobs/` when only `store_url` is set: for one node).
    pub fn open_store(&self) -> Result<Arc<dyn Store>, String> {
        match &self.store_url {
            Some(url) => Ok(Arc::new(self.open_distributed_store(url)?)),
            None => Ok(Arc::new(self.open_embedded_store()?)),
        }
    }

    /// Opens the mail store in the PostgreSQL database `url` and the configured object store.
    pub fn open_distributed_store(&self, url: &str) -> Result<PostgresStore, String> {
        let settings = BlobSettings {
            url: self.blob_url.clone(),
            access_key: self.blob_access_key.clone(),
            secret_key: self.blob_secret_key.clone(),
        };
        let blobs = open_blobs(&settings, &self.data.join("blobs"))
            .map_err(|e| format!("cannot open blob_url: {e}"))?;
        PostgresStore::open(url, blobs).map_err(|e| format!("cannot open the mail store in store_url: {e}"))
    }

    /// Opens the embedded mail store in the data directory with the configured partitions,
    /// for the tools that work on its files (reconstruct, backup).
    pub fn open_embedded_store(&self) -> Result<SqliteStore, String> {
        self.embedded_only()?;
        let partitions = Partitions::new(&self.data, &self.partitions, &self.default_partition)
            .map_err(|e| format!("invalid partitions in the configuration: {e}"))?;
        let store = SqliteStore::open(&self.data)
            .map_err(|e| format!("cannot open the mail store in {}: {e}", self.data.display()))?;
        Ok(store.with_partitions(partitions))
    }
}

/// A URL with the password of its user info (`scheme://user:PASSWORD@host`) masked.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:********@{host}"),
        None => url.to_string(),
    }
}
