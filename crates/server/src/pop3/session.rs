//! One POP3 connection: AUTHORIZATION, TRANSACTION and UPDATE states (RFC 1939 section 3).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bushbuck_auth::sasl;
use bushbuck_proto::pop3::{dot_stuff, parse_command, Pop3Command, MAX_LINE};
use bushbuck_store::{FlagChange, StoreError};

use super::maildrop::Maildrop;
use super::maildrop_lock::{LockRefused, MaildropLock};
use crate::admission::PreLogin;
use crate::context::ServerContext;
use crate::limits::Slot;
use crate::line_reader::{Line, LineConnection};
use crate::login::{self, LoginError};
use crate::metrics::Protocol;
use crate::stream::ClientStream;

/// Whether the session goes on after a command.
enum Next {
    Continue,
    Close,
}

/// State after authentication.
struct Transaction {
    user: String,
    maildrop: Maildrop,
    _lock: MaildropLock,
    _slot: Slot<String>,
}

/// A POP3 session.
pub struct Pop3Session {
    ctx: Arc<ServerContext>,
    conn: LineConnection,
    peer: SocketAddr,
    pending_user: Option<String>,
    transaction: Option<Transaction>,
    auth_failures: u32,
    /// Counts against max_prelogin_connections until the client authenticates.
    prelogin: Option<PreLogin>,
}

impl Pop3Session {
    /// Serves one connection to its end.
    pub async fn run(
        ctx: Arc<ServerContext>,
        stream: ClientStream,
        peer: SocketAddr,
        prelogin: Option<PreLogin>,
    ) {
        let conn = LineConnection::new(stream, MAX_LINE);
        let mut session = Pop3Session {
            ctx,
            conn,
            peer,
            pending_user: None,
            transaction: None,
            auth_failures: 0,
            prelogin,
        };
        session.conn.write(b"+OK Bushbuck POP3 ready\r\n");
        if session.conn.flush().await.is_err() {
            return;
        }
        loop {
            let timeout = Duration::from_secs(if session.transaction.is_some() {
                session.ctx.config.idle_timeout_secs.min(600)
            } else {
                session.ctx.config.login_timeout_secs
            });
            let line = match tokio::time::timeout(timeout, session.conn.read_line()).await {
                Err(_) => {
                    session.conn.write(b"-ERR Autologout; idle for too long\r\n");
                    let _ = session.conn.flush().await;
                    return;
                }
                Ok(Err(_)) | Ok(Ok(Line::Closed)) => return,
                Ok(Ok(Line::TooLong)) => {
                    session.conn.write(b"-ERR Line too long; closing\r\n");
                    let _ = session.conn.flush().await;
                    return;
                }
                Ok(Ok(Line::Text(line))) => line,
            };
            let next = match parse_command(&line) {
                Ok(command) => session.execute(command).await,
                Err(why) => {
                    session.conn.write(format!("-ERR {why}\r\n").as_bytes());
                    Next::Continue
                }
            };
            if session.conn.flush().await.is_err() || matches!(next, Next::Close) {
                return;
            }
        }
    }

    fn ok(&mut self, text: &str) {
        self.conn.write(format!("+OK {text}\r\n").as_bytes());
    }

    fn err(&mut self, text: &str) {
        self.conn.write(format!("-ERR {text}\r\n").as_bytes());
    }

    fn plaintext_allowed(&self) -> bool {
        use crate::config::PlaintextPolicy::*;
        self.conn.is_tls()
            || match self.ctx.config.allow_plaintext {
                Always => true,
                Never => false,
                Loopback => self.peer.ip().is_loopback(),
            }
    }

    async fn execute(&mut self, command: Pop3Command) -> Next {
        use Pop3Command::*;
        match command {
            Capa => {
                self.conn.write(b"+OK Capability list follows\r\n");
                let delay = self.ctx.config.pop3_login_delay_secs;
                let login_delay = format!("LOGIN-DELAY {delay}");
                // Bushbuck never deletes mail on its own (RFC 2449 EXPIRE NEVER).
                let mut caps =
                    vec!["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER"];
                if delay > 0 {
                    caps.push(&login_delay);
                }
                if self.transaction.is_none() {
                    if !self.conn.is_tls() {
                        caps.push("STLS");
                    }
                    if self.plaintext_allowed() {
                        caps.extend(["USER", "SASL PLAIN LOGIN"]);
                    }
                }
                for cap in caps {
                    self.conn.write(format!("{cap}\r\n").as_bytes());
                }
                self.conn.write(
                    format!("IMPLEMENTATION Bushbuck-{}\r\n.\r\n", env!("CARGO_PKG_VERSION")).as_bytes(),
                );
                Next::Continue
            }
            Quit => {
                self.quit();
                Next::Close
            }
            Noop if self.transaction.is_some() => {
                self.ok("");
                Next::Continue
            }
            Stls | User(_) | Pass(_) | Auth { .. } if self.transaction.is_some() => {
                self.err("Already authenticated");
                Next::Continue
            }
            Stls => {
                if self.conn.is_tls() {
                    self.err("TLS is already active");
                    return Next::Continue;
                }
                self.ok("Begin TLS negotiation");
                if self.conn.flush().await.is_err() {
                    return Next::Close;
                }
                let acceptor = self.ctx.tls.clone();
                match self.conn.start_tls(&acceptor).await {
                    Ok(()) => Next::Continue,
                    Err(_) => Next::Close,
                }
            }
            User(name) => {
                if !self.plaintext_allowed() {
                    self.err("[SYS/PERM] Plaintext login needs TLS first; use STLS");
                } else {
                    self.pending_user = Some(name);
                    self.ok("Send your password");
                }
                Next::Continue
            }
            Pass(password) => match self.pending_user.take() {
                Some(user) => self.login(&user, &password).await,
                None => {
                    self.err("Send USER first");
                    Next::Continue
                }
            },
            Auth { mechanism: None, .. } => {
                self.conn.write(b"+OK Mechanisms follow\r\nPLAIN\r\nLOGIN\r\n.\r\n");
                Next::Continue
            }
            Auth { mechanism: Some(mechanism), initial } => self.auth(&mechanism, initial).await,
            _ if self.transaction.is_none() => {
                self.err("Log in first");
                Next::Continue
            }
            other => {
                self.transaction_command(other);
                Next::Continue
            }
        }
    }

    async fn auth(&mut self, mechanism: &str, initial: Option<String>) -> Next {
        if !self.plaintext_allowed() {
            self.err("[AUTH] Plaintext authentication needs TLS first; use STLS");
            return Next::Continue;
        }
        let credentials = match mechanism {
            "PLAIN" => {
                let message = match initial {
                    Some(text) => sasl::decode_response(&text),
                    None => match self.challenge(b"").await {
                        Some(r) => r,
                        None => return Next::Close,
                    },
                };
                message.and_then(|m| sasl::parse_plain(&m)).map(|c| {
                    // Acting as another user is refused like a wrong password.
                    (c.login_name().unwrap_or_default().to_string(), c.password)
                })
            }
            "LOGIN" => {
                let user = match initial {
                    Some(text) => sasl::decode_response(&text),
                    None => match self.challenge(b"Username:").await {
                        Some(r) => r,
                        None => return Next::Close,
                    },
                };
                let password = match self.challenge(b"Password:").await {
                    Some(r) => r,
                    None => return Next::Close,
                };
                user.and_then(|u| password.map(|p| (String::from_utf8_lossy(&u).into_owned(), p)))
            }
            _ => {
                self.err("Unsupported mechanism; use PLAIN or LOGIN");
                return Next::Continue;
            }
        };
        match credentials {
            Ok((user, password)) => self.login(&user, &password).await,
            Err(e) => {
                self.err(&e.to_string());
                Next::Continue
            }
        }
    }

    async fn challenge(&mut self, text: &[u8]) -> Option<Result<Vec<u8>, sasl::SaslError>> {
        self.conn.write(format!("+ {}\r\n", sasl::encode_challenge(text)).as_bytes());
        self.conn.flush().await.ok()?;
        match self.conn.read_line().await.ok()? {
            Line::Text(line) => Some(sasl::decode_response(&String::from_utf8_lossy(&line))),
            _ => None,
        }
    }

    async fn login(&mut self, user: &str, password: &[u8]) -> Next {
        let logged_in = match login::check(&self.ctx, Protocol::Pop3, self.peer, user, password).await {
            Ok(l) => l,
            Err(LoginError::BadCredentials) => {
                self.auth_failures += 1;
                if self.auth_failures >= self.ctx.config.max_auth_failures {
                    self.err("[AUTH] Authentication failed; too many attempts, closing");
                    return Next::Close;
                }
                self.err("[AUTH] Authentication failed");
                return Next::Continue;
            }
            Err(LoginError::Unavailable) => {
                self.err("[SYS/TEMP] User directory unavailable; try again later");
                return Next::Continue;
            }
            Err(LoginError::TooManySessions) => {
                self.err("[IN-USE] Too many sessions for this user");
                return Next::Continue;
            }
            Err(LoginError::Throttled(why)) => {
                self.err(&format!("[SYS/TEMP] {why}"));
                return Next::Continue;
            }
        };
        let delay = Duration::from_secs(self.ctx.config.pop3_login_delay_secs);
        if !delay.is_zero() && self.ctx.pop3_locks.too_soon(&logged_in.user, delay) {
            self.err(&format!("[LOGIN-DELAY] Wait {} seconds between logins", delay.as_secs()));
            return Next::Continue;
        }
        let lock = match tokio::task::block_in_place(|| self.ctx.pop3_locks.lock(&logged_in.user)) {
            Ok(lock) => lock,
            Err(LockRefused::InUse) => {
                self.err("[IN-USE] Mailbox is locked by another POP3 session");
                return Next::Continue;
            }
            Err(LockRefused::Unavailable(why)) => {
                tracing::error!(user = %logged_in.user, error = %why, "cannot take the maildrop lock");
                self.err("[SYS/TEMP] Cannot lock your mailbox; try again later");
                return Next::Continue;
            }
        };
        let store = self.ctx.store.clone();
        let name = logged_in.user.clone();
        match tokio::task::block_in_place(|| Maildrop::open(store.as_ref(), &name)) {
            Ok(maildrop) => {
                let (count, size) = maildrop.stat();
                self.transaction =
                    Some(Transaction { user: logged_in.user, maildrop, _lock: lock, _slot: logged_in.slot });
                self.prelogin = None;
                self.ok(&format!("Logged in, {count} messages ({size} octets)"));
            }
            Err(e) => {
                tracing::error!(user = %name, error = %e, "cannot open the maildrop");
                self.err("[SYS/TEMP] Cannot open your mailbox; try again later");
            }
        }
        Next::Continue
    }

    fn transaction_command(&mut self, command: Pop3Command) {
        let Some(t) = self.transaction.as_mut() else {
            return;
        };
        let mut out = Vec::new();
        match command {
            Pop3Command::Stat => {
                let (n, size) = t.maildrop.stat();
                out.extend(format!("+OK {n} {size}\r\n").into_bytes());
            }
            Pop3Command::List(Some(n)) => match t.maildrop.get(n) {
                Some(m) => out.extend(format!("+OK {n} {}\r\n", m.size).into_bytes()),
                None => out.extend(b"-ERR No such message\r\n"),
            },
            Pop3Command::List(None) => {
                let (count, size) = t.maildrop.stat();
                out.extend(format!("+OK {count} messages ({size} octets)\r\n").into_bytes());
                for (i, m) in t.maildrop.messages.iter().enumerate().filter(|(_, m)| !m.deleted) {
                    out.extend(format!("{} {}\r\n", i + 1, m.size).into_bytes());
                }
                out.extend(b".\r\n");
            }
            Pop3Command::Uidl(Some(n)) => match t.maildrop.get(n) {
                Some(m) => out.extend(format!("+OK {n} {}\r\n", t.maildrop.uidl(m)).into_bytes()),
                None => out.extend(b"-ERR No such message\r\n"),
            },
            Pop3Command::Uidl(None) => {
                out.extend(b"+OK Unique-ID listing follows\r\n");
                for (i, m) in t.maildrop.messages.iter().enumerate().filter(|(_, m)| !m.deleted) {
                    out.extend(format!("{} {}\r\n", i + 1, t.maildrop.uidl(m)).into_bytes());
                }
                out.extend(b".\r\n");
            }
            Pop3Command::Dele(n) => {
                if t.maildrop.delete(n) {
                    out.extend(format!("+OK Message {n} deleted\r\n").into_bytes());
                } else {
                    out.extend(b"-ERR No such message\r\n");
                }
            }
            Pop3Command::Rset => {
                t.maildrop.reset();
                let (n, size) = t.maildrop.stat();
                out.extend(format!("+OK Maildrop has {n} messages ({size} octets)\r\n").into_bytes());
            }
            Pop3Command::Noop => out.extend(b"+OK\r\n"),
            Pop3Command::Retr(n) => retrieve(&self.ctx, t, n, None, &mut out),
            Pop3Command::Top(n, lines) => retrieve(&self.ctx, t, n, Some(lines), &mut out),
            _ => out.extend(b"-ERR Not allowed now\r\n"),
        }
        self.conn.write(&out);
    }

    /// QUIT: in TRANSACTION state, enters UPDATE and removes messages marked by DELE.
    fn quit(&mut self) {
        let Some(t) = self.transaction.take() else {
            self.ok("Bushbuck POP3 signing off");
            return;
        };
        let deleted = t.maildrop.deleted_uids();
        if deleted.is_empty() {
            self.ok("Bushbuck POP3 signing off");
            return;
        }
        let store = self.ctx.store.clone();
        let flags = vec!["\\Deleted".to_string()];
        let result = tokio::task::block_in_place(|| {
            store.store_flags(&t.user, t.maildrop.mailbox, &deleted, FlagChange::Add, &flags, None)?;
            store.expunge(&t.user, t.maildrop.mailbox, Some(&deleted))
        });
        match result {
            Ok(gone) => self.ok(&format!("Bushbuck POP3 signing off ({} messages deleted)", gone.len())),
            Err(e) => {
                tracing::error!(user = %t.user, error = %e, "POP3 update failed");
                self.err("[SYS/TEMP] Some messages could not be deleted");
            }
        }
    }
}

/// RETR (all of it) or TOP (header and `lines` body lines); RETR also sets \Seen.
fn retrieve(ctx: &ServerContext, t: &mut Transaction, n: u32, lines: Option<u32>, out: &mut Vec<u8>) {
    let Some(m) = t.maildrop.get(n) else {
        out.extend(b"-ERR No such message\r\n");
        return;
    };
    let (uid, size) = (m.uid, m.size);
    let store = ctx.store.clone();
    let data = match tokio::task::block_in_place(|| store.read_message(&t.user, t.maildrop.mailbox, uid)) {
        Ok(d) => d,
        Err(StoreError::Damaged(why)) => {
            tracing::error!(user = %t.user, uid, error = %why, "damaged message not served");
            ctx.metrics.damaged_message();
            out.extend(
                b"-ERR Message is damaged (its file was truncated or altered); tell the administrator\r\n",
            );
            return;
        }
        Err(e) => {
            tracing::error!(user = %t.user, uid, error = %e, "cannot read message");
            out.extend(b"-ERR [SYS/TEMP] Message cannot be read now\r\n");
            return;
        }
    };
    let body = match lines {
        None => {
            let flags = vec!["\\Seen".to_string()];
            let _ = tokio::task::block_in_place(|| {
                store.store_flags(&t.user, t.maildrop.mailbox, &[uid], FlagChange::Add, &flags, None)
            });
            out.extend(format!("+OK {size} octets\r\n").into_bytes());
            &data[..]
        }
        Some(count) => {
            out.extend(b"+OK Top of message follows\r\n");
            &data[..top_len(&data, count)]
        }
    };
    dot_stuff(body, out);
}

/// Length of the header plus the first `lines` lines of the body.
fn top_len(data: &[u8], lines: u32) -> usize {
    let next_line =
        |pos: usize| data[pos..].iter().position(|b| *b == b'\n').map_or(data.len(), |i| pos + i + 1);
    let mut pos = 0;
    loop {
        if pos >= data.len() {
            return data.len();
        }
        let end = next_line(pos);
        let line = &data[pos..end];
        pos = end;
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    for _ in 0..lines {
        if pos >= data.len() {
            break;
        }
        pos = next_line(pos);
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::top_len;

    #[test]
    fn top_cuts_after_header_and_lines() {
        let m = b"A: 1\r\nB: 2\r\n\r\none\r\ntwo\r\nthree\r\n";
        assert_eq!(&m[..top_len(m, 0)], b"A: 1\r\nB: 2\r\n\r\n");
        assert_eq!(&m[..top_len(m, 2)], b"A: 1\r\nB: 2\r\n\r\none\r\ntwo\r\n");
        assert_eq!(top_len(m, 99), m.len());
        assert_eq!(top_len(b"no body", 1), 7);
    }
}
