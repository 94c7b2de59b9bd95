//! `bushbuck config check`: prints the effective configuration, every key with its value
//! and where the value came from, then what is wrong with it (exit 78 when anything is).

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::net::{TcpListener, ToSocketAddrs};
use std::path::Path;

use bushbuck_server::config::mask_password;
use bushbuck_server::Config;
use bushbuck_store::Partitions;

use crate::cli::Location;
use crate::datadir::{self, DataSource};
use crate::settings::{self, CliError, FromFile};

/// Keys whose values are never printed.
const SECRET_KEYS: [&str; 1] = ["blob_secret_key"];

/// Runs `config check`.
pub fn run(location: &Location) -> Result<(), CliError> {
    let FromFile { mut config, keys, env_keys } = settings::load_file(location)?;
    let from_file = keys.contains("data").then(|| config.data.clone());
    let data_source;
    (config.data, data_source) = datadir::find(location.data.as_deref(), from_file.as_deref())?;
    print_effective(&config, &keys, &env_keys, data_source)?;
    let problems = problems(&config, data_source);
    for problem in &problems {
        println!("problem: {problem}");
    }
    match problems.len() {
        0 => {
            println!("configuration OK");
            Ok(())
        }
        n => Err(CliError::Config(format!("{n} problem(s) in the configuration; see the lines above"))),
    }
}

/// `key = value  # source` for every key, secrets masked.
fn print_effective(
    config: &Config,
    file_keys: &BTreeSet<String>,
    env_keys: &BTreeSet<String>,
    data_source: DataSource,
) -> Result<(), CliError> {
    let serde_json::Value::Object(fields) = serde_json::to_value(config)
        .map_err(|e| CliError::Failed(format!("cannot show the configuration: {e}")))?
    else {
        return Err(CliError::Failed("the configuration is not a table".into()));
    };
    for (key, value) in fields {
        let shown = match value {
            serde_json::Value::Null => "(unset)".to_string(),
            _ if SECRET_KEYS.contains(&key.as_str()) => "\"********\"".to_string(),
            serde_json::Value::String(url) if key == "store_url" => {
                toml::Value::from(mask_password(&url)).to_string()
            }
            value => toml::Value::try_from(&value).map_or_else(|e| format!("({e})"), |v| v.to_string()),
        };
        let source = match key.as_str() {
            "data" => data_source.to_string(),
            _ if env_keys.contains(&key) => environment_source(&key),
            _ if file_keys.contains(&key) => "file".to_string(),
            _ => "default".to_string(),
        };
        println!("{:<48} # {source}", format!("{key} = {shown}"));
    }
    Ok(())
}

/// `environment BUSHBUCK_...` for a key an environment variable set.
fn environment_source(key: &str) -> String {
    let variable = settings::ENVIRONMENT_KEYS.iter().find(|(_, k)| *k == key).map_or("", |(v, _)| *v);
    format!("environment {variable}")
}

/// Everything found wrong, one sentence each.
fn problems(config: &Config, data_source: DataSource) -> Vec<String> {
    let mut found = Vec::new();
    check_data(config, data_source, &mut found);
    check_partitions(config, &mut found);
    check_tls(config, &mut found);
    check_listeners(config, &mut found);
    check_access(config, &mut found);
    found
}

/// The listener keys with their addresses.
fn listeners(config: &Config) -> [(&'static str, &str); 7] {
    [
        ("imap", &config.imap),
        ("imaps", &config.imaps),
        ("pop3", &config.pop3),
        ("pop3s", &config.pop3s),
        ("lmtp", &config.lmtp),
        ("sieve", &config.sieve),
        ("http", &config.http),
    ]
}

fn check_data(config: &Config, data_source: DataSource, found: &mut Vec<String>) {
    if !data_source.is_explicit() {
        if let Err(e) = datadir::refuse_beside_a_live_server(&config.data) {
            found.push(e.to_string());
        }
    }
    if let Err(e) = writable(&config.data) {
        found.push(format!("data directory: {e}"));
    }
}

fn check_partitions(config: &Config, found: &mut Vec<String>) {
    if let Err(e) = Partitions::new(&config.data, &config.partitions, &config.default_partition) {
        found.push(format!("partitions: {e}"));
    }
    for (name, root) in &config.partitions {
        if !root.is_dir() {
            found.push(format!(
                "partition {name}: {} is not a directory; create it (mkdir -p) or remove it from [partitions]",
                root.display()
            ));
        } else if let Err(e) = writable(root) {
            found.push(format!("partition {name}: {e}"));
        }
    }
}

fn check_tls(config: &Config, found: &mut Vec<String>) {
    match (&config.tls_cert, &config.tls_key) {
        (None, None) => {}
        (Some(cert), Some(key)) => {
            if let Err(e) = bushbuck_server::tls::acceptor(&config.data, Some(cert), Some(key)) {
                found.push(format!("tls_cert/tls_key: {e}"));
            }
        }
        _ => found.push(
            "tls_cert and tls_key must be given together (or neither, for a self-signed certificate)".into(),
        ),
    }
}

/// Each listener's address resolves and can be bound now (all held together, so two
/// listeners on one address are caught too).
fn check_listeners(config: &Config, found: &mut Vec<String>) {
    let mut bound = Vec::new();
    for (key, address) in listeners(config).into_iter().filter(|(_, address)| !address.is_empty()) {
        let addrs = match address.to_socket_addrs() {
            Ok(addrs) => addrs.collect::<Vec<_>>(),
            Err(e) => {
                found.push(format!("{key} = {address:?} is not HOST:PORT ({e})"));
                continue;
            }
        };
        match TcpListener::bind(&addrs[..]) {
            Ok(listener) => bound.push(listener),
            Err(e) if e.kind() == ErrorKind::AddrInUse => found.push(format!(
                "{key}: {address} is in use (by another program, another listener here, or a running bushbuck)"
            )),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => found.push(format!(
                "{key}: port of {address} is privileged; run as root or with CAP_NET_BIND_SERVICE (the packaged \
                 systemd unit grants it), or pick a port from 1024"
            )),
            Err(e) => found.push(format!("{key}: cannot listen on {address}: {e}")),
        }
    }
    if !config.lmtp_socket.is_empty() {
        let parent = Path::new(&config.lmtp_socket).parent().unwrap_or(Path::new("."));
        if !parent.is_dir() {
            found.push(format!("lmtp_socket: the directory {} does not exist", parent.display()));
        }
    }
}

/// Access rules and the PROXY protocol must name listeners that are on.
fn check_access(config: &Config, found: &mut Vec<String>) {
    let off: Vec<&str> =
        listeners(config).into_iter().filter(|(_, a)| a.is_empty()).map(|(k, _)| k).collect();
    let named = config
        .access
        .keys()
        .map(|k| ("access", k.as_str()))
        .chain(config.proxy_protocol.iter().map(|k| ("proxy_protocol", k.as_str())));
    for (key, listener) in named.filter(|(_, listener)| off.contains(listener)) {
        found.push(format!("{key} names the listener {listener}, which is off ({listener} = \"\"); give it an address or remove the entry"));
    }
}

/// `dir` (or, when it does not exist yet, the directory it would be created in) is a
/// directory this process can write.
fn writable(dir: &Path) -> Result<(), String> {
    let existing = dir.ancestors().find(|d| d.exists()).unwrap_or(Path::new("/"));
    if !existing.is_dir() {
        return Err(format!("{} is not a directory", existing.display()));
    }
    let probe = existing.join(format!(".bushbuck-config-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("{} is not writable: {e}", existing.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
