//! Per-user protocol telemetry, as Cyrus's `log/<user>`: when the admin creates the directory
//! `log/<user>` in the data directory, every IMAP session of that user records what the
//! client sent and what the server answered, one file per session, for debugging a client.
//! (POP3, LMTP and ManageSieve sessions are not recorded.)

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// An open telemetry record of one session.
pub struct Telemetry {
    file: File,
}

impl Telemetry {
    /// Starts a record when `data/log/<user>` exists; `None` otherwise (the usual case).
    pub fn start(data: &Path, user: &str, protocol: &str, peer: &str) -> Option<Telemetry> {
        let dir = data.join("log").join(user);
        if !dir.is_dir() {
            return None;
        }
        let now = chrono::Utc::now();
        let name =
            format!("{}-{protocol}-{}", now.format("%Y%m%dT%H%M%S%.6f"), peer.replace([':', '[', ']'], "_"));
        match File::create(dir.join(name)) {
            Ok(file) => Some(Telemetry { file }),
            Err(e) => {
                tracing::warn!(user, error = %e, "cannot open the telemetry log");
                None
            }
        }
    }

    /// Records octets the client sent.
    pub fn client(&mut self, bytes: &[u8]) {
        self.record(b"<", bytes);
    }

    /// Records octets the server sent.
    pub fn server(&mut self, bytes: &[u8]) {
        self.record(b">", bytes);
    }

    fn record(&mut self, direction: &[u8], bytes: &[u8]) {
        let stamp = chrono::Utc::now().format("%H:%M:%S%.3f ").to_string();
        let _ = self.file.write_all(stamp.as_bytes());
        let _ = self.file.write_all(direction);
        let _ = self.file.write_all(b" ");
        let _ = self.file.write_all(bytes);
        if !bytes.ends_with(b"\n") {
            let _ = self.file.write_all(b"\n");
        }
    }
}
