//! One IMAP connection: the state machine of RFC 3501/9051 section 3 and command dispatch.
//! Commands are handled in the sibling modules, each an `impl Session` block.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bushbuck_proto::imap::command::{Command, TaggedCommand};
use bushbuck_proto::imap::framer::FramerConfig;
use bushbuck_proto::imap::parser::parse_command;
use bushbuck_store::StoreError;

use super::connection::{Connection, Incoming};
use super::mailbox_flags::learn_keywords;
use super::selected::SelectedMailbox;
use crate::admission::PreLogin;
use crate::context::ServerContext;
use crate::limits::Slot;
use crate::metrics::Protocol;
use crate::stream::ClientStream;

/// How a command ended, before it is written as the tagged response.
pub enum Outcome {
    /// `tag OK text` (text may start with a response code).
    Ok(String),
    /// `tag NO text`.
    No(String),
    /// `tag BAD text`.
    Bad(String),
    /// The handler wrote the tagged response itself (STARTTLS must answer before the
    /// handshake).
    AlreadySent,
}

impl Outcome {
    /// `OK Done` style success with a command name.
    pub fn done(command: &str) -> Outcome {
        Outcome::Ok(format!("{command} completed"))
    }
}

impl From<StoreError> for Outcome {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchMailbox => Outcome::No("[NONEXISTENT] Mailbox does not exist".into()),
            StoreError::MailboxExists => Outcome::No("[ALREADYEXISTS] Mailbox already exists".into()),
            StoreError::InvalidName(why) => Outcome::No(format!("[CANNOT] Invalid mailbox name: {why}")),
            StoreError::NotPossible(why) => Outcome::No(format!("[CANNOT] {why}")),
            StoreError::NoSuchUser => Outcome::No(
                "[NONEXISTENT] This user's mail store does not exist (deleted by an administrator?); \
                 an administrator can CREATE \"Other Users/NAME\" or run reconstruct"
                    .into(),
            ),
            StoreError::UserExists => Outcome::No("[ALREADYEXISTS] User exists".into()),
            StoreError::Io(why) => {
                tracing::error!(error = %why, "store failure");
                Outcome::No("[SERVERBUG] Internal storage error; the server log says more".into())
            }
            StoreError::Full(why) => {
                tracing::error!(error = %why, "mail store disk full");
                Outcome::No(
                    "[UNAVAILABLE] The server's mail storage is full; nothing was stored. Try again \
                     later (the administrator must free space)"
                        .into(),
                )
            }
            StoreError::Damaged(why) => {
                tracing::error!(error = %why, "damaged stored data");
                Outcome::No(format!("[CORRUPTION] {why}; an administrator can run bushbuck reconstruct"))
            }
            StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "storage engine unavailable");
                Outcome::No("[UNAVAILABLE] Mail storage is temporarily unavailable; try again shortly".into())
            }
        }
    }
}

/// Whether the connection goes on after a command.
#[derive(PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Close the connection (after LOGOUT or a fatal error).
    Close,
}

/// An IMAP session.
pub struct Session {
    pub(super) ctx: Arc<ServerContext>,
    pub(super) conn: Connection,
    pub(super) peer: SocketAddr,
    /// The authenticated user, if any.
    pub(super) user: Option<String>,
    pub(super) user_slot: Option<Slot<String>>,
    /// Counts against max_prelogin_connections until the client authenticates.
    pub(super) prelogin: Option<PreLogin>,
    /// The user's groups (for `group:NAME` ACL entries), read at login.
    pub(super) groups: Vec<String>,
    /// The directory marks the logged-in user as an administrator (`user add --admin`).
    pub(super) directory_admin: bool,
    /// The selected mailbox, if any.
    pub(super) selected: Option<SelectedMailbox>,
    /// CONDSTORE has been enabled (ENABLE, SELECT (CONDSTORE) or a CONDSTORE command).
    pub(super) condstore: bool,
    /// Failed authentication attempts on this connection.
    pub(super) auth_failures: u32,
    /// Tag of the command being executed (for ESEARCH).
    pub(super) tag: String,
    /// IMAP4rev2 has been enabled: UTF-8 mailbox names, no \Recent, ESEARCH answers.
    pub(super) rev2: bool,
    /// Open UPDATE contexts of the selected mailbox (RFC 5267).
    pub(super) contexts: Vec<super::contexts::UpdateContext>,
    /// QRESYNC has been enabled (which enables CONDSTORE too): VANISHED instead of EXPUNGE.
    pub(super) qresync: bool,
}

impl Session {
    /// Serves one connection to its end.
    pub async fn run(
        ctx: Arc<ServerContext>,
        stream: ClientStream,
        peer: SocketAddr,
        prelogin: Option<PreLogin>,
    ) {
        let conn = Connection::new(stream, pre_auth_limits(&ctx), ctx.config.data.join("tmp"));
        let mut session = Session {
            ctx,
            conn,
            peer,
            user: None,
            user_slot: None,
            prelogin,
            groups: Vec::new(),
            directory_admin: false,
            selected: None,
            condstore: false,
            auth_failures: 0,
            tag: String::new(),
            rev2: false,
            contexts: Vec::new(),
            qresync: false,
        };
        let greeting = format!("* OK [CAPABILITY {}] Bushbuck IMAP ready\r\n", session.capabilities());
        session.conn.write(greeting.as_bytes());
        if session.conn.flush().await.is_err() {
            return;
        }
        session.serve().await;
        session.deselect();
        if let Some(user) = &session.user {
            tracing::info!(protocol = "imap", user = %user, peer = %session.peer, "logout");
        }
    }

    async fn serve(&mut self) {
        loop {
            let authenticated = self.user.is_some();
            let limits = if authenticated {
                FramerConfig::new(self.ctx.config.max_line_length, self.ctx.config.max_literal_size)
            } else {
                pre_auth_limits(&self.ctx)
            };
            self.conn.set_limits(limits, authenticated);
            let timeout = if authenticated {
                self.ctx.config.idle_timeout_secs
            } else {
                self.ctx.config.login_timeout_secs
            };
            let incoming =
                match tokio::time::timeout(Duration::from_secs(timeout), self.conn.read_command()).await {
                    Err(_) => {
                        self.conn.write(b"* BYE Autologout; idle for too long\r\n");
                        let _ = self.conn.flush().await;
                        return;
                    }
                    Ok(Err(_)) | Ok(Ok(Incoming::Closed)) => return,
                    Ok(Ok(incoming)) => incoming,
                };
            let flow = match incoming {
                Incoming::Command(bytes) => self.execute(&bytes).await,
                Incoming::LiteralTooLarge { tag } => {
                    let max = self.conn.limits().max_literal;
                    let text = if authenticated {
                        format!(
                            "{tag} NO [TOOBIG] Literal larger than the {max} octets this server accepts\r\n"
                        )
                    } else {
                        format!(
                            "{tag} NO [TOOBIG] Literal larger than the {max} octets accepted before \
                             authentication; log in first\r\n"
                        )
                    };
                    self.conn.write(text.as_bytes());
                    Flow::Continue
                }
                Incoming::LineTooLong => {
                    let text = format!(
                        "* BYE Command line longer than {} octets; closing\r\n",
                        self.conn.limits().max_line
                    );
                    self.conn.write(text.as_bytes());
                    Flow::Close
                }
                Incoming::Fatal(why) => {
                    self.conn.write(format!("* BYE {why}\r\n").as_bytes());
                    Flow::Close
                }
                Incoming::Closed => Flow::Close,
            };
            if self.conn.flush().await.is_err() || flow == Flow::Close {
                return;
            }
        }
    }

    async fn execute(&mut self, bytes: &[u8]) -> Flow {
        let TaggedCommand { tag, command } = match parse_command(bytes) {
            Ok(c) => c,
            Err(e) => {
                let tag = e.tag.clone().unwrap_or_else(|| "*".to_string());
                self.conn.write(format!("{tag} BAD {}\r\n", e.message).as_bytes());
                return Flow::Continue;
            }
        };
        self.tag = tag.clone();
        let name = command_name(&command);
        if let Some(why) = self.not_allowed_in_state(&command) {
            self.conn.write(format!("{tag} BAD {name} {why}\r\n").as_bytes());
            return Flow::Continue;
        }
        let expunge_ok = !matches!(
            command,
            Command::Fetch { uid: false, .. }
                | Command::Store { uid: false, .. }
                | Command::Search { uid: false, .. }
                | Command::Sort { uid: false, .. }
                | Command::Thread { uid: false, .. }
        );
        if matches!(
            command,
            Command::Select { .. } | Command::Examine { .. } | Command::Close | Command::Unselect
        ) {
            self.drop_contexts();
        }
        let started = std::time::Instant::now();
        let (outcome, flow) = self.dispatch(&tag, command, bytes).await;
        self.ctx.metrics.command(Protocol::Imap, name, started.elapsed());
        if flow == Flow::Close {
            return Flow::Close;
        }
        if self.selected.is_some() {
            self.sync_view(expunge_ok);
            self.announce_context_changes();
        }
        let line = match outcome {
            Outcome::Ok(text) => format!("{tag} OK {text}\r\n"),
            Outcome::No(text) => format!("{tag} NO {text}\r\n"),
            Outcome::Bad(text) => format!("{tag} BAD {text}\r\n"),
            Outcome::AlreadySent => String::new(),
        };
        self.conn.write(line.as_bytes());
        if self.auth_failures >= self.ctx.config.max_auth_failures {
            self.conn.write(b"* BYE Too many failed authentication attempts\r\n");
            return Flow::Close;
        }
        Flow::Continue
    }

    /// Why a command may not run in the current state, if it may not.
    fn not_allowed_in_state(&self, command: &Command) -> Option<&'static str> {
        use Command::*;
        let authenticated = self.user.is_some();
        let selected = self.selected.is_some();
        match command {
            Capability | Noop | Logout | Id(_) => None,
            StartTls | Authenticate { .. } | Login { .. } if authenticated => {
                Some("is not allowed: already authenticated")
            }
            StartTls | Authenticate { .. } | Login { .. } => None,
            _ if !authenticated => Some("needs authentication first"),
            Enable(_) if selected => Some("is only allowed before a mailbox is selected (RFC 5161)"),
            Check
            | Close
            | Unselect
            | Expunge
            | UidExpunge(_)
            | Search { .. }
            | Fetch { .. }
            | Store { .. }
            | Copy { .. }
            | Move { .. }
            | Sort { .. }
            | Thread { .. }
            | CancelUpdate(_)
                if !selected =>
            {
                Some("needs a selected mailbox")
            }
            _ => None,
        }
    }

    /// Runs `command`, parsed from `bytes` (where APPEND finds its messages).
    async fn dispatch(&mut self, tag: &str, command: Command, bytes: &[u8]) -> (Outcome, Flow) {
        use Command::*;
        let outcome = match command {
            Capability => {
                let caps = self.capabilities();
                self.untagged(&format!("CAPABILITY {caps}"));
                Outcome::done("CAPABILITY")
            }
            Noop => Outcome::done("NOOP"),
            Check => Outcome::done("CHECK"),
            Logout => {
                self.conn.write(b"* BYE Bushbuck logging out\r\n");
                self.conn.write(format!("{tag} OK LOGOUT completed\r\n").as_bytes());
                return (Outcome::done("LOGOUT"), Flow::Close);
            }
            Id(_) => {
                self.untagged(&format!(
                    "ID (\"name\" \"Bushbuck\" \"version\" \"{}\")",
                    env!("CARGO_PKG_VERSION")
                ));
                Outcome::done("ID")
            }
            StartTls => return self.starttls(tag).await,
            Login { user, password } => return self.login(&user, &password).await,
            Authenticate { mechanism, initial } => return self.authenticate(&mechanism, initial).await,
            Enable(caps) => self.enable(&caps),
            Namespace => {
                self.untagged(crate::namespace::NAMESPACE_RESPONSE);
                Outcome::done("NAMESPACE")
            }
            // RFC 7162 3.2.5: the QRESYNC parameter needs ENABLE QRESYNC first.
            Select { params, .. } | Examine { params, .. } if params.qresync.is_some() && !self.qresync => {
                Outcome::Bad(super::qresync::NOT_ENABLED.into())
            }
            Select { mailbox, params } => self.select_with(&mailbox, &params, false),
            Examine { mailbox, params } => self.select_with(&mailbox, &params, true),
            Create { mailbox, special_use, partition } => {
                self.create(&mailbox, &special_use, partition.as_deref())
            }
            Delete(mailbox) => self.delete(&mailbox),
            Rename { from, to, partition } => self.rename(&from, &to, partition.as_deref()),
            Subscribe(mailbox) => self.subscribe(&mailbox, true),
            Unsubscribe(mailbox) => self.subscribe(&mailbox, false),
            List(list) => self.list(&list),
            Lsub { reference, pattern } => self.lsub(&reference, &pattern),
            Status { mailbox, items } => self.status(&mailbox, &items),
            Append { mailbox, messages } => self.append(&mailbox, &messages, bytes),
            Idle => return self.idle().await,
            Close => self.close(true),
            Unselect => self.close(false),
            Expunge => self.expunge(None),
            UidExpunge(set) => self.expunge(Some(&set)),
            Search { uid, charset, ret, criteria } => {
                self.search(uid, charset.as_deref(), ret.as_deref(), &criteria)
            }
            Fetch { vanished: true, .. } if !self.qresync => Outcome::Bad(super::qresync::NOT_ENABLED.into()),
            Fetch { uid, set, items, changed_since, vanished, partial } => {
                if let (true, Some(since)) = (vanished, changed_since) {
                    if let Err(o) = self.vanished_in(since, &set) {
                        return (o, Flow::Continue);
                    }
                }
                self.fetch(uid, &set, &items, changed_since, partial)
            }
            Store { uid, set, mode, silent, flags, unchanged_since } => {
                self.store(uid, &set, mode, silent, &flags, unchanged_since)
            }
            Copy { uid, set, mailbox } => self.copy(uid, &set, &mailbox, false),
            Move { uid, set, mailbox } => self.copy(uid, &set, &mailbox, true),
            Sort { uid, ret, criteria, charset, search } => {
                self.sort(uid, ret.as_deref(), &criteria, &charset, &search)
            }
            CancelUpdate(tags) => self.cancel_update(&tags),
            Thread { uid, algorithm, charset, search } => self.thread(uid, algorithm, &charset, &search),
            GetQuota(root) => self.getquota(&root),
            GetQuotaRoot(mailbox) => self.getquotaroot(&mailbox),
            SetQuota { root, limits } => self.setquota(&root, &limits),
            SetAcl { mailbox, identifier, rights } => self.setacl(&mailbox, &identifier, Some(&rights)),
            DeleteAcl { mailbox, identifier } => self.setacl(&mailbox, &identifier, None),
            GetAcl(mailbox) => self.getacl(&mailbox),
            ListRights { mailbox, identifier } => self.listrights(&mailbox, &identifier),
            MyRights(mailbox) => self.myrights(&mailbox),
            Xadmin(command) => self.xadmin(command),
        };
        (outcome, Flow::Continue)
    }

    /// Writes `* text`.
    pub(super) fn untagged(&mut self, text: &str) {
        self.conn.write(b"* ");
        self.conn.write(text.as_bytes());
        self.conn.write(b"\r\n");
    }

    /// Whether \Recent is shown for a message (never once IMAP4rev2 is enabled).
    pub(super) fn shows_recent(&self, uid: u32) -> bool {
        !self.rev2 && self.selected.as_ref().is_some_and(|v| v.recent.contains(&uid))
    }

    /// Tag of the command in progress.
    pub(super) fn current_tag(&self) -> &str {
        &self.tag
    }

    /// The authenticated user (only called in authenticated states).
    pub(super) fn user(&self) -> String {
        self.user.clone().unwrap_or_default()
    }

    /// Leaves the selected mailbox, if any (ending its hold on expunged messages may remove
    /// files, so it runs as blocking work).
    pub(super) fn deselect(&mut self) {
        if let Some(view) = self.selected.take() {
            tokio::task::block_in_place(|| drop(view));
        }
    }

    /// Runs blocking store work without stalling other sessions on this worker thread.
    pub(super) fn blocking<T>(&self, work: impl FnOnce(&dyn bushbuck_store::Store) -> T) -> T {
        let store = self.ctx.store.clone();
        tokio::task::block_in_place(|| work(store.as_ref()))
    }

    /// Runs for every CONDSTORE-enabling command (RFC 7162 3.1: FETCH or SEARCH with MODSEQ,
    /// CHANGEDSINCE, UNCHANGEDSINCE, STATUS with HIGHESTMODSEQ): the first one while a mailbox is selected reports its
    /// HIGHESTMODSEQ, once; from then on FETCH answers caused by flag changes carry MODSEQ.
    pub(super) fn enable_condstore(&mut self) {
        if self.condstore {
            return;
        }
        self.condstore = true;
        if let Some(highest) = self.selected.as_ref().map(|v| v.highest_modseq) {
            self.untagged(&format!("OK [HIGHESTMODSEQ {highest}] Highest"));
        }
    }

    fn enable(&mut self, caps: &[String]) -> Outcome {
        let mut enabled = Vec::new();
        for cap in caps {
            if cap.eq_ignore_ascii_case("CONDSTORE") && !self.condstore {
                self.condstore = true;
                enabled.push("CONDSTORE");
            } else if cap.eq_ignore_ascii_case("QRESYNC") && !self.qresync {
                // RFC 7162 3.2.3: QRESYNC implies CONDSTORE.
                self.qresync = true;
                self.condstore = true;
                enabled.push("QRESYNC");
            } else if cap.eq_ignore_ascii_case("IMAP4rev2") && !self.rev2 {
                self.rev2 = true;
                enabled.push("IMAP4rev2");
            }
        }
        let mut line = String::from("ENABLED");
        for cap in enabled {
            line.push(' ');
            line.push_str(cap);
        }
        self.untagged(&line);
        Outcome::done("ENABLE")
    }

    /// The CAPABILITY list for the current state.
    pub(super) fn capabilities(&self) -> String {
        let mut caps = vec!["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE"];
        if self.user.is_none() {
            if !self.conn.is_tls() {
                caps.push("STARTTLS");
            }
            if self.plaintext_allowed() {
                caps.extend(["AUTH=PLAIN", "AUTH=LOGIN"]);
            } else {
                caps.push("LOGINDISABLED");
            }
            return caps.join(" ");
        }
        caps.extend([
            "NAMESPACE",
            "UIDPLUS",
            "UNSELECT",
            "CHILDREN",
            "MOVE",
            "CONDSTORE",
            "QRESYNC",
            "ESEARCH",
            "SEARCHRES",
            "LIST-EXTENDED",
            "LIST-STATUS",
            "SPECIAL-USE",
            "CREATE-SPECIAL-USE",
            "BINARY",
            "MULTIAPPEND",
            "STATUS=SIZE",
            "QUOTA",
            "SORT",
            "SORT=DISPLAY",
            "ESORT",
            "CONTEXT=SEARCH",
            "CONTEXT=SORT",
            "PARTIAL",
            "THREAD=ORDEREDSUBJECT",
            "THREAD=REFERENCES",
            "THREAD=REFS",
            "QUOTA=RES-STORAGE",
            "QUOTA=RES-MESSAGE",
            "WITHIN",
            "ACL",
            "RIGHTS=texk",
        ]);
        if self.is_admin() {
            caps.push("XADMIN");
        }
        let mut text = caps.join(" ");
        text.push_str(&format!(" APPENDLIMIT={}", self.ctx.config.max_literal_size));
        text
    }

    /// Whether plaintext passwords may be used on this connection now.
    pub(super) fn plaintext_allowed(&self) -> bool {
        use crate::config::PlaintextPolicy::*;
        self.conn.is_tls()
            || match self.ctx.config.allow_plaintext {
                Always => true,
                Never => false,
                Loopback => self.peer.ip().is_loopback(),
            }
    }

    /// Brings the selected mailbox's view up to date and writes what changed.
    pub(super) fn sync_view(&mut self, expunge_ok: bool) {
        let Some(view) = self.selected.as_ref() else {
            return;
        };
        let (owner, id, since, known, read_only, viewer) = (
            view.owner.clone(),
            view.id,
            view.highest_modseq,
            view.max_uid(),
            view.read_only,
            view.viewer.clone(),
        );
        let result = self
            .blocking(|s| {
                let changes = s.changes(&owner, id, since, known)?;
                let recent = if read_only || viewer.is_some() || changes.new_messages.is_empty() {
                    Vec::new()
                } else {
                    s.claim_recent(&owner, id)?
                };
                Ok::<_, StoreError>((changes, recent))
            })
            .and_then(|(mut changes, recent)| {
                self.overlay_seen(&owner, id, viewer.as_deref(), &mut changes.changed)?;
                self.overlay_seen(&owner, id, viewer.as_deref(), &mut changes.new_messages)?;
                Ok((changes, recent))
            });
        let (changes, recent) = match result {
            Ok(r) => r,
            Err(StoreError::NoSuchMailbox | StoreError::NoSuchUser) => {
                self.conn.write(b"* BYE Selected mailbox was deleted; please reconnect\r\n");
                self.deselect();
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot refresh the selected mailbox");
                return;
            }
        };
        let condstore = self.condstore;
        let Some(view) = self.selected.as_mut() else {
            return;
        };
        let changed = changes.highest_modseq > view.highest_modseq;
        let states = changes.changed.iter().chain(&changes.new_messages);
        let new_keywords = learn_keywords(&mut view.keywords, states.flat_map(|s| &s.flags));
        let update = view.apply(changes, &recent, expunge_ok, condstore);
        // Also when only held-back expunges went out now.
        tokio::task::block_in_place(|| view.report_caught_up());
        // A view that caught up exactly shares its table with the other sessions there.
        if changed && view.viewer.is_none() && view.is_exact() {
            view.messages = self.ctx.tables.share(
                &view.owner,
                view.id,
                view.uid_validity,
                view.highest_modseq,
                view.messages.clone(),
            );
        }
        let announce = new_keywords.then(|| (view.rights, view.read_only, view.keywords.clone()));
        let mut lines = super::qresync::expunge_lines(self.qresync, &update.expunged);
        if let Some(n) = update.exists {
            lines.push(format!("{n} EXISTS"));
        }
        if let (Some(n), false) = (update.recent, self.rev2) {
            lines.push(format!("{n} RECENT"));
        }
        for (seq, state) in &update.flag_changes {
            let flags = super::wire::flag_list(&state.flags, !self.rev2 && view.recent.contains(&state.uid));
            let mut line = format!("{seq} FETCH (UID {} FLAGS {flags}", state.uid);
            if condstore {
                line.push_str(&format!(" MODSEQ ({})", state.modseq));
            }
            line.push(')');
            lines.push(line);
        }
        // A keyword new to this session is announced before any FETCH shows it.
        if let Some((rights, read_only, keywords)) = announce {
            self.announce_flags(rights, read_only, &keywords);
        }
        for line in lines {
            self.untagged(&line);
        }
    }
}

/// The framing limits before login: [`FramerConfig::PRE_AUTH`], or a shorter configured line.
fn pre_auth_limits(ctx: &ServerContext) -> FramerConfig {
    let pre = FramerConfig::PRE_AUTH;
    FramerConfig { max_line: pre.max_line.min(ctx.config.max_line_length), ..pre }
}

/// The command's name for messages.
fn command_name(command: &Command) -> &'static str {
    use Command::*;
    match command {
        Capability => "CAPABILITY",
        Noop => "NOOP",
        Logout => "LOGOUT",
        StartTls => "STARTTLS",
        Authenticate { .. } => "AUTHENTICATE",
        Login { .. } => "LOGIN",
        Enable(_) => "ENABLE",
        Id(_) => "ID",
        Select { .. } => "SELECT",
        Examine { .. } => "EXAMINE",
        Create { .. } => "CREATE",
        Delete(_) => "DELETE",
        Rename { .. } => "RENAME",
        Subscribe(_) => "SUBSCRIBE",
        Unsubscribe(_) => "UNSUBSCRIBE",
        List(_) => "LIST",
        Lsub { .. } => "LSUB",
        Namespace => "NAMESPACE",
        Status { .. } => "STATUS",
        Append { .. } => "APPEND",
        Idle => "IDLE",
        Check => "CHECK",
        Close => "CLOSE",
        Unselect => "UNSELECT",
        Expunge => "EXPUNGE",
        UidExpunge(_) => "UID EXPUNGE",
        Search { .. } => "SEARCH",
        Fetch { .. } => "FETCH",
        Store { .. } => "STORE",
        Copy { .. } => "COPY",
        Move { .. } => "MOVE",
        Sort { .. } => "SORT",
        Thread { .. } => "THREAD",
        CancelUpdate(_) => "CANCELUPDATE",
        GetQuota(_) => "GETQUOTA",
        GetQuotaRoot(_) => "GETQUOTAROOT",
        SetQuota { .. } => "SETQUOTA",
        SetAcl { .. } => "SETACL",
        DeleteAcl { .. } => "DELETEACL",
        GetAcl(_) => "GETACL",
        ListRights { .. } => "LISTRIGHTS",
        MyRights(_) => "MYRIGHTS",
        Xadmin(_) => "XADMIN",
    }
}
