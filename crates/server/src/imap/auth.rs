//! LOGIN, AUTHENTICATE and STARTTLS.

use bushbuck_auth::sasl::{self, SaslError};

use super::session::{Flow, Outcome, Session};
use crate::login::{self, LoginError};
use crate::metrics::Protocol;
use crate::telemetry::Telemetry;

impl Session {
    pub(super) async fn starttls(&mut self, tag: &str) -> (Outcome, Flow) {
        if self.conn.is_tls() {
            return (Outcome::Bad("TLS is already active".into()), Flow::Continue);
        }
        self.conn.write(format!("{tag} OK Begin TLS negotiation now\r\n").as_bytes());
        if self.conn.flush().await.is_err() {
            return (Outcome::AlreadySent, Flow::Close);
        }
        let acceptor = self.ctx.tls.clone();
        match self.conn.start_tls(&acceptor).await {
            Ok(()) => (Outcome::AlreadySent, Flow::Continue),
            Err(e) => {
                tracing::info!(peer = %self.peer, error = %e, "TLS handshake failed");
                (Outcome::AlreadySent, Flow::Close)
            }
        }
    }

    pub(super) async fn login(&mut self, user: &[u8], password: &[u8]) -> (Outcome, Flow) {
        if !self.plaintext_allowed() {
            return (
                Outcome::No(
                    "[PRIVACYREQUIRED] Plaintext login is not allowed here; use STARTTLS or port 993 first"
                        .into(),
                ),
                Flow::Continue,
            );
        }
        let user = String::from_utf8_lossy(user).into_owned();
        (self.check_password(&user, password).await, Flow::Continue)
    }

    pub(super) async fn authenticate(&mut self, mechanism: &str, initial: Option<String>) -> (Outcome, Flow) {
        let mechanism = mechanism.to_ascii_uppercase();
        if mechanism != "PLAIN" && mechanism != "LOGIN" {
            return (
                Outcome::No(format!("Unsupported authentication mechanism {mechanism}")),
                Flow::Continue,
            );
        }
        if !self.plaintext_allowed() {
            return (
                Outcome::No(
                    "[PRIVACYREQUIRED] Plaintext authentication is not allowed here; use STARTTLS first"
                        .into(),
                ),
                Flow::Continue,
            );
        }
        let result = if mechanism == "PLAIN" {
            self.sasl_plain(initial).await
        } else {
            self.sasl_login(initial).await
        };
        match result {
            Ok((user, password)) => (self.check_password(&user, &password).await, Flow::Continue),
            Err(Some(SaslError::Cancelled)) => {
                (Outcome::Bad("Authentication cancelled".into()), Flow::Continue)
            }
            Err(Some(e)) => (Outcome::Bad(e.to_string()), Flow::Continue),
            Err(None) => (Outcome::done("AUTHENTICATE"), Flow::Close),
        }
    }

    /// Asks the client for one SASL response; `Err(None)` when the connection ended.
    async fn sasl_response(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Option<SaslError>> {
        let line = format!("+ {}\r\n", sasl::encode_challenge(challenge));
        self.conn.write(line.as_bytes());
        self.conn.flush().await.map_err(|_| None)?;
        let line = self.conn.read_line().await.map_err(|_| None)?.ok_or(None)?;
        let text = String::from_utf8_lossy(&line).into_owned();
        sasl::decode_response(&text).map_err(Some)
    }

    async fn sasl_plain(&mut self, initial: Option<String>) -> Result<(String, Vec<u8>), Option<SaslError>> {
        let message = match initial {
            Some(text) => sasl::decode_response(&text).map_err(Some)?,
            None => self.sasl_response(b"").await?,
        };
        let creds = sasl::parse_plain(&message).map_err(Some)?;
        // Acting as another user is refused like a wrong password.
        let user = creds.login_name().unwrap_or_default().to_string();
        Ok((user, creds.password))
    }

    async fn sasl_login(&mut self, initial: Option<String>) -> Result<(String, Vec<u8>), Option<SaslError>> {
        let user = match initial {
            Some(text) => sasl::decode_response(&text).map_err(Some)?,
            None => self.sasl_response(b"Username:").await?,
        };
        let password = self.sasl_response(b"Password:").await?;
        Ok((String::from_utf8_lossy(&user).into_owned(), password))
    }

    /// Verifies credentials and enters the authenticated state.
    async fn check_password(&mut self, user: &str, password: &[u8]) -> Outcome {
        let logged_in = match login::check(&self.ctx, Protocol::Imap, self.peer, user, password).await {
            Ok(l) => l,
            Err(LoginError::BadCredentials) => {
                self.auth_failures += 1;
                return Outcome::No("[AUTHENTICATIONFAILED] Authentication failed".into());
            }
            Err(LoginError::Unavailable) => {
                return Outcome::No("[UNAVAILABLE] User directory unavailable; try again later".into())
            }
            Err(LoginError::Throttled(why)) => return Outcome::No(format!("[UNAVAILABLE] {why}")),
            Err(LoginError::TooManySessions) => {
                return Outcome::No(
                    "[LIMIT] Too many sessions for this user; close some and try again".into(),
                )
            }
        };
        let name = logged_in.user.clone();
        if let Err(e) = self.blocking(|s| s.list_mailboxes(&name)) {
            return e.into();
        }
        if let Some(t) = Telemetry::start(&self.ctx.config.data, &name, "imap", &self.peer.to_string()) {
            self.conn.record_to(t);
        }
        if let Some(motd) = crate::notices::motd(&self.ctx.config.data) {
            self.untagged(&format!("OK [ALERT] {motd}"));
        }
        let directory = self.ctx.directory.clone();
        let facts = tokio::task::block_in_place(|| {
            Ok::<_, bushbuck_auth::AuthError>((directory.groups_of(&name)?, directory.is_admin(&name)?))
        });
        (self.groups, self.directory_admin) = match facts {
            Ok(g) => g,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the user's groups and administrator mark");
                return Outcome::No("[UNAVAILABLE] User directory unavailable; try again later".into());
            }
        };
        self.user = Some(logged_in.user);
        self.user_slot = Some(logged_in.slot);
        self.prelogin = None;
        Outcome::Ok(format!("[CAPABILITY {}] Logged in", self.capabilities()))
    }
}
