//! One LMTP connection: LHLO, MAIL, RCPT, DATA with a reply for each recipient.

use std::sync::Arc;

use bushbuck_proto::lmtp::{parse_command, DataReader, DataRefused, LmtpCommand, MAX_LINE};
use bushbuck_store::StoreError;

use crate::context::ServerContext;
use crate::delivery::{self, Delivery, Duplicates, Filed, QuotaCheck, Recipient, ResolveError};
use crate::line_reader::{Line, LineConnection};
use crate::sieve::filter::SieveContext;
use crate::stream::ClientStream;

/// Longest DATA line accepted (RFC 5321 says 1000; MTAs pass longer lines of broken mail).
const MAX_DATA_LINE: usize = 1024 * 1024;

/// One mail transaction in progress.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    recipients: Vec<Recipient>,
}

/// An LMTP session.
pub struct LmtpSession {
    ctx: Arc<ServerContext>,
    conn: LineConnection,
    client: String,
    helo: Option<String>,
    transaction: Transaction,
    host: String,
}

impl LmtpSession {
    /// Serves one connection to its end.
    pub async fn run(ctx: Arc<ServerContext>, stream: ClientStream, client: String) {
        let host = delivery::host_name();
        let conn = LineConnection::new(stream, MAX_LINE);
        let mut s = LmtpSession { ctx, conn, client, helo: None, transaction: Transaction::default(), host };
        let greeting = format!("220 {} LMTP Bushbuck ready\r\n", s.host);
        s.conn.write(greeting.as_bytes());
        if s.conn.flush().await.is_err() {
            return;
        }
        loop {
            let line = match s.conn.read_line().await {
                Ok(Line::Text(l)) => l,
                Ok(Line::TooLong) => {
                    s.reply(500, "5.5.2", &format!("Command line longer than {MAX_LINE} octets; closing"));
                    let _ = s.conn.flush().await;
                    return;
                }
                Ok(Line::Closed) | Err(_) => return,
            };
            let keep_going = s.command(&line).await;
            if s.conn.flush().await.is_err() || !keep_going {
                return;
            }
        }
    }

    fn reply(&mut self, code: u16, status: &str, text: &str) {
        self.conn.write(format!("{code} {status} {text}\r\n").as_bytes());
    }

    async fn command(&mut self, line: &[u8]) -> bool {
        let command = match parse_command(line) {
            Ok(c) => c,
            Err(e) => {
                self.reply(e.code, e.status, &e.text);
                return true;
            }
        };
        match command {
            LmtpCommand::Lhlo(domain) => {
                self.helo = Some(domain);
                self.transaction = Transaction::default();
                let text = format!(
                    "250-{}\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE {}\r\n",
                    self.host, self.ctx.config.max_literal_size
                );
                self.conn.write(text.as_bytes());
            }
            LmtpCommand::Noop => self.reply(250, "2.0.0", "OK"),
            LmtpCommand::Vrfy => self.reply(252, "2.5.0", "Cannot verify; send the mail"),
            LmtpCommand::Quit => {
                self.reply(221, "2.0.0", "Bye");
                return false;
            }
            LmtpCommand::Rset => {
                self.transaction = Transaction::default();
                self.reply(250, "2.0.0", "OK");
            }
            LmtpCommand::MailFrom { .. } if self.helo.is_none() => {
                self.reply(503, "5.5.1", "Send LHLO first")
            }
            LmtpCommand::MailFrom { .. } if self.transaction.from.is_some() => {
                self.reply(503, "5.5.1", "Nested MAIL command")
            }
            LmtpCommand::MailFrom { from, size } => {
                if size.is_some_and(|s| s > self.ctx.config.max_literal_size) {
                    self.reply(552, "5.3.4", "Message too big for this server");
                } else {
                    self.transaction.from = Some(from);
                    self.reply(250, "2.1.0", "OK");
                }
            }
            LmtpCommand::RcptTo(_) if self.transaction.from.is_none() => {
                self.reply(503, "5.5.1", "Send MAIL first")
            }
            LmtpCommand::RcptTo(address) => self.recipient(&address),
            LmtpCommand::Data if self.transaction.recipients.is_empty() => {
                self.reply(503, "5.5.1", "No valid recipients")
            }
            LmtpCommand::Data => return self.data().await,
        }
        true
    }

    fn recipient(&mut self, address: &str) {
        if self.transaction.recipients.len() >= self.ctx.config.max_lmtp_recipients {
            // RFC 5321 4.5.3.1.10: the client sends the rest in another transaction.
            self.reply(452, "4.5.3", "Too many recipients; send the others in a new transaction");
            return;
        }
        let ctx = self.ctx.clone();
        let prefix = &ctx.config.shared_delivery_prefix;
        match tokio::task::block_in_place(|| {
            delivery::resolve_recipient(&ctx.directory, ctx.store.as_ref(), prefix, address)
        }) {
            Ok(r) => {
                self.transaction.recipients.push(r);
                self.reply(250, "2.1.5", "OK");
            }
            Err(ResolveError::UnknownUser) => self.reply(550, "5.1.1", &format!("<{address}> User unknown")),
            Err(ResolveError::Unavailable(why)) => {
                tracing::error!(error = %why, "user directory failure");
                self.reply(451, "4.3.0", "Temporary directory failure; try again later");
            }
        }
    }

    async fn data(&mut self) -> bool {
        self.conn.write(b"354 Start mail input; end with <CRLF>.<CRLF>\r\n");
        if self.conn.flush().await.is_err() {
            return false;
        }
        let mut reader = DataReader::new(self.ctx.config.max_literal_size as usize);
        self.conn.set_max_line(MAX_DATA_LINE);
        let ended = loop {
            match self.conn.read_line_with_end().await {
                Ok(Line::Text(line)) => {
                    if reader.line(&line) {
                        break true;
                    }
                }
                Ok(Line::TooLong) => {
                    self.reply(
                        500,
                        "5.5.2",
                        &format!("Message line longer than {MAX_DATA_LINE} octets; closing"),
                    );
                    break false;
                }
                _ => break false,
            }
        };
        self.conn.set_max_line(MAX_LINE);
        if !ended {
            return false;
        }
        let transaction = std::mem::take(&mut self.transaction);
        let message = match reader.finish() {
            Ok(message) => message,
            Err(why) => {
                let (code, status, text) = match why {
                    DataRefused::TooLarge => (552, "5.3.4", "Message too big for this server"),
                    DataRefused::BareLineEnd => {
                        (550, "5.6.11", "bare LF/CR in message; end every line with CRLF")
                    }
                };
                tracing::info!(protocol = "lmtp", client = %self.client, reason = ?why, "message refused");
                for _ in &transaction.recipients {
                    self.reply(code, status, text);
                }
                return true;
            }
        };
        let from = transaction.from.unwrap_or_default();
        let helo = format!("{} ({})", self.helo.as_deref().unwrap_or("unknown"), self.client);
        let stored = delivery::with_trace_headers(&message, &from, &helo, "LMTP", &self.host);
        let ctx = self.ctx.clone();
        let days = ctx.config.duplicate_suppression_days;
        let duplicates = Duplicates { log: &ctx.duplicates, window_secs: i64::from(days) * 86_400 };
        let duplicates = (days > 0).then_some(&duplicates);
        let quota = QuotaCheck { config: &ctx.config, directory: &ctx.directory };
        let host = self.host.clone();
        let sieve = SieveContext {
            scripts: &ctx.scripts,
            log: &ctx.duplicates,
            relay: &ctx.config.smtp_relay,
            host: &host,
            max_redirects: ctx.config.sieve_max_redirects,
        };
        let mut delivery =
            Delivery::new(ctx.store.as_ref(), &stored, duplicates, Some(quota)).with_sieve(sieve, &from);
        for r in &transaction.recipients {
            let result = tokio::task::block_in_place(|| delivery.file(r, None, &[]));
            match result {
                Ok(Filed::Duplicate(mailbox)) => {
                    tracing::info!(protocol = "lmtp", user = %r.user, mailbox = %mailbox, "duplicate suppressed");
                    self.reply(
                        250,
                        "2.0.0",
                        &format!("<{}> already delivered (duplicate suppressed)", r.address),
                    );
                }
                Ok(Filed::OverQuota) => {
                    tracing::info!(protocol = "lmtp", user = %r.user, "over quota; deferred");
                    self.reply(452, "4.2.2", &format!("<{}> mailbox is full; try again later", r.address));
                }
                Ok(Filed::Discarded) => {
                    tracing::info!(protocol = "lmtp", user = %r.user, "discarded by Sieve");
                    self.reply(250, "2.0.0", &format!("<{}> discarded by the recipient's filter", r.address));
                }
                Ok(Filed::Rejected(reason)) => {
                    tracing::info!(protocol = "lmtp", user = %r.user, "rejected by Sieve");
                    let reason = reason.replace(['\r', '\n'], " ");
                    self.reply(550, "5.7.1", &format!("<{}> {reason}", r.address));
                }
                Ok(Filed::TooBigForQuota) => {
                    self.reply(
                        552,
                        "5.2.2",
                        &format!("<{}> message is larger than the mailbox quota", r.address),
                    );
                }
                Ok(Filed::Stored(mailbox)) => {
                    self.ctx.metrics.delivery(true, stored.len());
                    tracing::info!(protocol = "lmtp", user = %r.user, mailbox = %mailbox, size = stored.len(), "delivered");
                    self.reply(250, "2.0.0", &format!("<{}> delivered", r.address));
                }
                Err(StoreError::Full(why)) => {
                    self.ctx.metrics.delivery(false, 0);
                    tracing::error!(user = %r.user, error = %why, "delivery failed: mail store disk full");
                    self.reply(452, "4.3.1", &format!("<{}> mail system full; try again later", r.address));
                }
                Err(e) => {
                    self.ctx.metrics.delivery(false, 0);
                    tracing::error!(user = %r.user, error = %e, "delivery failed");
                    self.reply(
                        451,
                        "4.3.0",
                        &format!("<{}> temporary failure storing the message; try again", r.address),
                    );
                }
            }
        }
        true
    }
}
