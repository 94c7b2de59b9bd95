//! One ManageSieve connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bushbuck_auth::sasl;
use bushbuck_proto::managesieve::{parse_command, parse_string_line, string, Parsed, SieveCommand};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::admission::PreLogin;
use crate::context::ServerContext;
use crate::limits::Slot;
use crate::login::{self, LoginError};
use crate::metrics::Protocol;
use crate::sieve::scripts::ScriptError;
use crate::stream::ClientStream;

/// Largest literal before authentication: room for AUTHENTICATE's SASL strings, nothing more.
const PRE_AUTH_MAX_LITERAL: usize = 8 * 1024;

/// How a command ended.
enum Reply {
    Ok(String),
    /// OK, then close (LOGOUT).
    OkThenClose(String),
    /// OK with the TAG response code of NOOP (RFC 5804 section 2.14).
    OkTagged(Vec<u8>),
    No(&'static str, String),
    Bye(String),
}

/// A ManageSieve session.
pub struct ManageSieveSession {
    ctx: Arc<ServerContext>,
    stream: ClientStream,
    peer: SocketAddr,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    user: Option<(String, Slot<String>)>,
    auth_failures: u32,
    /// Counts against max_prelogin_connections until the client authenticates.
    prelogin: Option<PreLogin>,
}

impl ManageSieveSession {
    /// Serves one connection to its end.
    pub async fn run(
        ctx: Arc<ServerContext>,
        stream: ClientStream,
        peer: SocketAddr,
        prelogin: Option<PreLogin>,
    ) {
        let mut s = ManageSieveSession {
            ctx,
            stream,
            peer,
            inbuf: Vec::new(),
            out: Vec::new(),
            user: None,
            auth_failures: 0,
            prelogin,
        };
        s.capabilities();
        s.out.extend_from_slice(b"OK \"Bushbuck ManageSieve ready\"\r\n");
        if s.flush().await.is_err() {
            return;
        }
        loop {
            let timeout =
                Duration::from_secs(if s.user.is_some() { 1800 } else { s.ctx.config.login_timeout_secs });
            let command = match tokio::time::timeout(timeout, s.next_command()).await {
                Err(_) => {
                    s.reply(Reply::Bye("Autologout; idle for too long".into()));
                    let _ = s.flush().await;
                    return;
                }
                Ok(None) => return,
                Ok(Some(Err(why))) => Reply::No("", why),
                Ok(Some(Ok(command))) => s.execute(command).await,
            };
            let last = matches!(command, Reply::Bye(_) | Reply::OkThenClose(_));
            s.reply(command);
            if s.flush().await.is_err() || last {
                return;
            }
        }
    }

    /// The largest literal accepted now: before login only what AUTHENTICATE needs.
    fn max_literal(&self) -> usize {
        if self.user.is_none() {
            PRE_AUTH_MAX_LITERAL
        } else {
            self.ctx.config.sieve_max_script_size + 1024
        }
    }

    /// The next command; `None` when the connection ended or cannot go on, `Some(Err)` for a
    /// command that did not parse (the session goes on).
    async fn next_command(&mut self) -> Option<Result<SieveCommand, String>> {
        loop {
            match parse_command(&self.inbuf, self.max_literal()) {
                Parsed::Done(command, used) => {
                    self.inbuf.drain(..used);
                    return Some(Ok(command));
                }
                Parsed::Invalid(why, Some(skip)) => {
                    self.inbuf.drain(..skip.min(self.inbuf.len()));
                    return Some(Err(why));
                }
                Parsed::Invalid(why, None) => {
                    self.reply(Reply::Bye(why));
                    let _ = self.flush().await;
                    return None;
                }
                Parsed::Incomplete => {}
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    async fn fill(&mut self) -> bool {
        let mut buf = [0u8; 16 * 1024];
        match self.stream.read(&mut buf).await {
            Ok(n) if n > 0 => {
                self.inbuf.extend_from_slice(&buf[..n]);
                true
            }
            _ => false,
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        self.stream.write_all(&self.out).await?;
        self.out.clear();
        self.stream.flush().await
    }

    fn reply(&mut self, reply: Reply) {
        if let Reply::OkTagged(tag) = &reply {
            self.out.extend_from_slice(b"OK (TAG ");
            self.out.extend(string(tag));
            self.out.extend_from_slice(b") \"Done\"\r\n");
            return;
        }
        let (word, code, text) = match reply {
            Reply::OkTagged(_) => ("OK", "", String::new()),
            Reply::Ok(text) | Reply::OkThenClose(text) => ("OK", "", text),
            Reply::No(code, text) => ("NO", code, text),
            Reply::Bye(text) => ("BYE", "", text),
        };
        self.out.extend_from_slice(word.as_bytes());
        if !code.is_empty() {
            self.out.extend_from_slice(format!(" ({code})").as_bytes());
        }
        if !text.is_empty() {
            self.out.push(b' ');
            self.out.extend(string(text.as_bytes()));
        }
        self.out.extend_from_slice(b"\r\n");
    }

    fn plaintext_allowed(&self) -> bool {
        use crate::config::PlaintextPolicy::*;
        self.stream.is_tls()
            || match self.ctx.config.allow_plaintext {
                Always => true,
                Never => false,
                Loopback => self.peer.ip().is_loopback(),
            }
    }

    fn capabilities(&mut self) {
        let mut lines = vec![
            format!("\"IMPLEMENTATION\" \"Bushbuck {}\"", env!("CARGO_PKG_VERSION")),
            format!("\"SIEVE\" \"{}\"", bushbuck_sieve::SUPPORTED_EXTENSIONS.join(" ")),
            format!("\"MAXREDIRECTS\" \"{}\"", self.ctx.config.sieve_max_redirects),
            "\"VERSION\" \"1.0\"".to_string(),
        ];
        if self.user.is_none() && self.plaintext_allowed() {
            lines.insert(1, "\"SASL\" \"PLAIN LOGIN\"".into());
        }
        if !self.stream.is_tls() && self.user.is_none() {
            lines.push("\"STARTTLS\"".into());
        }
        if let Some((user, _)) = &self.user {
            lines.push(format!("\"OWNER\" \"{user}\""));
        }
        for line in lines {
            self.out.extend_from_slice(line.as_bytes());
            self.out.extend_from_slice(b"\r\n");
        }
    }

    async fn execute(&mut self, command: SieveCommand) -> Reply {
        use SieveCommand::*;
        match command {
            Capability => {
                self.capabilities();
                return Reply::Ok(String::new());
            }
            Logout => return Reply::OkThenClose("Logout completed".into()),
            Noop(tag) => {
                return match tag {
                    Some(t) => Reply::OkTagged(t),
                    None => Reply::Ok("Done".into()),
                };
            }
            StartTls if self.user.is_none() && !self.stream.is_tls() => {
                self.reply(Reply::Ok("Begin TLS negotiation".into()));
                if self.flush().await.is_err() {
                    return Reply::Bye("Connection lost".into());
                }
                self.inbuf.clear();
                let acceptor = self.ctx.tls.clone();
                if self.stream.upgrade(&acceptor).await.is_err() {
                    return Reply::Bye("TLS negotiation failed".into());
                }
                self.capabilities();
                return Reply::Ok("TLS active".into());
            }
            StartTls => return Reply::No("", "STARTTLS is not possible now".into()),
            Authenticate(mechanism, initial) if self.user.is_none() => {
                return self.authenticate(&mechanism, initial).await
            }
            Authenticate(..) => return Reply::No("", "Already authenticated".into()),
            Unauthenticate => {
                self.user = None;
                return Reply::Ok("Logged out".into());
            }
            _ => {}
        }
        let Some(user) = self.user.as_ref().map(|(u, _)| u.clone()) else {
            return Reply::No("", "Authenticate first".into());
        };
        if let PutScript(_, script) | CheckScript(script) = &command {
            if let Some(why) = not_script_text(script) {
                return Reply::No("", why);
            }
        }
        let scripts = &self.ctx.scripts;
        let name = |raw: &[u8]| String::from_utf8_lossy(raw).into_owned();
        let result = tokio::task::block_in_place(|| match command {
            HaveSpace(n, size) => {
                scripts.has_space(&user, &name(&n), size as usize).map(|_| Reply::Ok(String::new()))
            }
            PutScript(n, script) => {
                scripts.put(&user, &name(&n), &script).map(|_| Reply::Ok("Stored".into()))
            }
            CheckScript(script) => {
                scripts.check_upload(&user, None, &script).map(|_| Reply::Ok("Script is valid".into()))
            }
            SetActive(n) => scripts.set_active(&user, &name(&n)).map(|_| Reply::Ok(String::new())),
            DeleteScript(n) => scripts.delete(&user, &name(&n)).map(|_| Reply::Ok("Deleted".into())),
            RenameScript(a, b) => {
                scripts.rename(&user, &name(&a), &name(&b)).map(|_| Reply::Ok("Renamed".into()))
            }
            GetScript(n) => scripts.get(&user, &name(&n)).map(|source| {
                let mut block = format!("{{{}}}\r\n", source.len()).into_bytes();
                block.extend_from_slice(&source);
                block.extend_from_slice(b"\r\n");
                self.out.extend(block);
                Reply::Ok(String::new())
            }),
            ListScripts => scripts.list(&user).map(|list| {
                for s in list {
                    self.out.extend(string(s.name.as_bytes()));
                    self.out.extend_from_slice(if s.active { b" ACTIVE\r\n" } else { b"\r\n" });
                }
                Reply::Ok(String::new())
            }),
            _ => Ok(Reply::No("", "Not possible now".into())),
        });
        result.unwrap_or_else(script_reply)
    }

    async fn authenticate(&mut self, mechanism: &str, initial: Option<Vec<u8>>) -> Reply {
        if !self.plaintext_allowed() {
            return Reply::No("ENCRYPT-NEEDED", "Use STARTTLS first".into());
        }
        let credentials = match mechanism {
            "PLAIN" => {
                let message = match initial {
                    Some(b) => sasl::decode_response(&String::from_utf8_lossy(&b)),
                    None => match self.challenge(b"").await {
                        Some(r) => r,
                        None => return Reply::Bye("Connection lost".into()),
                    },
                };
                message
                    .and_then(|m| sasl::parse_plain(&m))
                    .map(|c| (c.login_name().unwrap_or_default().to_string(), c.password))
            }
            "LOGIN" => {
                let user = match initial {
                    Some(b) => sasl::decode_response(&String::from_utf8_lossy(&b)),
                    None => match self.challenge(b"Username:").await {
                        Some(r) => r,
                        None => return Reply::Bye("Connection lost".into()),
                    },
                };
                let Some(password) = self.challenge(b"Password:").await else {
                    return Reply::Bye("Connection lost".into());
                };
                user.and_then(|u| password.map(|p| (String::from_utf8_lossy(&u).into_owned(), p)))
            }
            _ => return Reply::No("", format!("Unsupported mechanism {mechanism}")),
        };
        let (user, password) = match credentials {
            Ok(c) => c,
            Err(e) => return Reply::No("", e.to_string()),
        };
        match login::check(&self.ctx, Protocol::ManageSieve, self.peer, &user, &password).await {
            Ok(l) => {
                self.user = Some((l.user, l.slot));
                self.prelogin = None;
                Reply::Ok("Logged in".into())
            }
            Err(LoginError::BadCredentials) => {
                self.auth_failures += 1;
                if self.auth_failures >= self.ctx.config.max_auth_failures {
                    return Reply::Bye("Too many failed authentication attempts".into());
                }
                Reply::No("", "Authentication failed".into())
            }
            Err(LoginError::Unavailable) => Reply::No("TRYLATER", "User directory unavailable".into()),
            Err(LoginError::TooManySessions) => Reply::No("TRYLATER", "Too many sessions".into()),
            Err(LoginError::Throttled(why)) => Reply::No("TRYLATER", why.into()),
        }
    }

    /// Sends a SASL challenge and reads the answer; `None` when the connection ended.
    async fn challenge(&mut self, text: &[u8]) -> Option<Result<Vec<u8>, sasl::SaslError>> {
        self.out.extend(string(sasl::encode_challenge(text).as_bytes()));
        self.out.extend_from_slice(b"\r\n");
        self.flush().await.ok()?;
        loop {
            match parse_string_line(&self.inbuf, 8192) {
                Parsed::Done(answer, used) => {
                    self.inbuf.drain(..used);
                    return Some(sasl::decode_response(&String::from_utf8_lossy(&answer)));
                }
                Parsed::Invalid(_, skip) => {
                    self.inbuf.drain(..skip.unwrap_or(self.inbuf.len()).min(self.inbuf.len()));
                    return Some(Err(sasl::SaslError::Cancelled));
                }
                Parsed::Incomplete => {
                    if !self.fill().await {
                        return None;
                    }
                }
            }
        }
    }
}

/// Why `script` is not Sieve text, if it is not: scripts are UTF-8 (RFC 5228 section 2.2) and
/// no Sieve grammar allows a NUL, which would also cut the script short for many tools.
fn not_script_text(script: &[u8]) -> Option<String> {
    if let Some(at) = script.iter().position(|b| *b == 0) {
        return Some(format!(
            "Script has a NUL octet at offset {at}; Sieve scripts are UTF-8 text without NULs"
        ));
    }
    std::str::from_utf8(script)
        .err()
        .map(|e| format!("Script is not UTF-8 (at offset {}); save it as UTF-8 text", e.valid_up_to()))
}

/// The NO answer for a script operation, with RFC 5804 response codes.
fn script_reply(e: ScriptError) -> Reply {
    let code = match &e {
        ScriptError::NoSuchScript => "NONEXISTENT",
        ScriptError::AlreadyExists => "ALREADYEXISTS",
        ScriptError::Active => "ACTIVE",
        ScriptError::TooManyScripts(_) => "QUOTA/MAXSCRIPTS",
        ScriptError::TooLarge(_) => "QUOTA/MAXSIZE",
        ScriptError::Io(_) => "TRYLATER",
        ScriptError::BadName(_) | ScriptError::Invalid(_) => "",
    };
    Reply::No(code, e.to_string())
}
