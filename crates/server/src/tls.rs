//! TLS set-up: the configured certificate, or a self-signed one made on first start.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Builds the TLS acceptor. Without a configured certificate, uses (creating on first start)
/// `tls/cert.pem` and `tls/key.pem` in the data directory, self-signed for localhost.
pub fn acceptor(data: &Path, cert: Option<&Path>, key: Option<&Path>) -> Result<TlsAcceptor, String> {
    let (cert_path, key_path) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf()),
        (None, None) => self_signed(data)?,
        _ => return Err("tls_cert and tls_key must be given together".into()),
    };
    let certs = read_certs(&cert_path)?;
    announce(&cert_path, &certs[0]);
    let key = read_key(&key_path)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate {} not usable: {e}", cert_path.display()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The SHA-256 fingerprint of a certificate's DER, as colon-separated uppercase hex pairs
/// (the form Thunderbird, aerc and `openssl x509 -fingerprint -sha256` show).
fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = Sha256::digest(cert.as_ref());
    digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Tells the operator, in the log and in plain words on stderr, which certificate is served
/// and its fingerprint, so that clients can trust or pin it.
fn announce(path: &Path, cert: &CertificateDer<'_>) {
    let fingerprint = fingerprint(cert);
    tracing::info!(cert = %path.display(), sha256 = %fingerprint, "serving TLS certificate");
    eprintln!("bushbuck: TLS certificate {} (SHA-256 fingerprint {fingerprint})", path.display());
}

fn self_signed(data: &Path) -> Result<(PathBuf, PathBuf), String> {
    let dir = data.join("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot generate a self-signed certificate: {e}"))?;
    write_private(&key, made.key_pair.serialize_pem().as_bytes())?;
    std::fs::write(&cert, made.cert.pem()).map_err(|e| format!("cannot write {}: {e}", cert.display()))?;
    tracing::info!(cert = %cert.display(), "generated a self-signed TLS certificate");
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = rustls_pemfile::certs(&mut BufReader::new(file))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{} is not a PEM certificate chain: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    rustls_pemfile::private_key(&mut BufReader::new(file))
        .map_err(|e| format!("{} is not a PEM private key: {e}", path.display()))?
        .ok_or_else(|| format!("{} holds no private key", path.display()))
}
