//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Bushbuck: an IMAP, POP3 and LMTP mail server over one mailstore.
#[derive(Parser)]
#[command(name = "bushbuck", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the server (embedded defaults: data as --data says, IMAP on 127.0.0.1:1143,
    /// IMAPS on 127.0.0.1:1993).
    Serve(ServeArgs),
    /// Add, list, change and remove users.
    User(UserArgs),
    /// Deliver one message from standard input to local users (an MDA for pipes).
    Deliver(DeliverArgs),
    /// Show and set users' quotas.
    Quota(QuotaArgs),
    /// Manage groups, which ACLs name as `group:NAME`.
    Group(GroupArgs),
    /// List and lift the bans of addresses that failed to log in too often.
    Ban(BanArgs),
    /// Manage users' Sieve filter scripts.
    Sieve(SieveArgs),
    /// Rebuild users' indexes from their message files (run with the server stopped).
    Reconstruct(crate::reconstruct::ReconstructArgs),
    /// Import mail from mbox files or a Maildir++ tree.
    Import(crate::import::ImportArgs),
    /// Export a user's mail as mbox files or a Maildir++ tree.
    Export(crate::export::ExportArgs),
    /// Write a consistent backup of the data directory (safe while the server runs).
    Backup(crate::backup::BackupArgs),
    /// Restore a backup into a new, empty data directory.
    Restore(crate::backup::RestoreArgs),
    /// Copy the whole store into another one (a data directory or PostgreSQL) and verify it.
    Store(crate::store_migrate::StoreArgs),
    /// Administer a running server over IMAP: mailboxes, ACLs, quotas and users (like cyradm).
    Admin(crate::admin::AdminArgs),
    /// Probe the server's services like a Nagios plugin (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
    Check(crate::check::CheckArgs),
    /// Check the configuration: print every key's effective value and source, then what is wrong.
    Config(ConfigArgs),
}

/// `bushbuck config ...`
#[derive(Args)]
pub struct ConfigArgs {
    /// The configuration operation.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// Configuration operations.
#[derive(Subcommand)]
pub enum ConfigAction {
    /// Print the effective configuration (secrets masked) and its problems; exit 0 when
    /// there are none, 78 when there are.
    Check {
        #[command(flatten)]
        location: Location,
    },
}

/// `bushbuck group ...`
#[derive(Args)]
pub struct GroupArgs {
    /// The group operation.
    #[command(subcommand)]
    pub action: GroupAction,
}

/// Group operations.
#[derive(Subcommand)]
pub enum GroupAction {
    /// Add users to a group, creating it.
    Add {
        /// Group name (granted to in ACLs as `group:NAME`).
        name: String,
        /// Users to add.
        #[arg(required = true)]
        members: Vec<String>,
        #[command(flatten)]
        location: Location,
    },
    /// Remove users from a group, or the whole group when no user is named.
    Del {
        /// Group name.
        name: String,
        /// Users to remove.
        members: Vec<String>,
        #[command(flatten)]
        location: Location,
    },
    /// List groups and their members.
    List {
        #[command(flatten)]
        location: Location,
    },
}

/// `bushbuck ban ...`
#[derive(Args)]
pub struct BanArgs {
    /// The ban operation.
    #[command(subcommand)]
    pub action: BanAction,
}

/// Ban operations.
#[derive(Subcommand)]
pub enum BanAction {
    /// List the bans in force: address (or IPv6 /64), end, failed logins counted.
    List {
        #[command(flatten)]
        location: Location,
    },
    /// Lift the ban of an address (an IPv6 address lifts the ban of its /64).
    Del {
        /// The banned address, as `ban list` shows it or any address it covers.
        address: String,
        #[command(flatten)]
        location: Location,
    },
}

/// `bushbuck sieve ...`
#[derive(Args)]
pub struct SieveArgs {
    /// The script operation.
    #[command(subcommand)]
    pub action: SieveAction,
}

/// Sieve script operations.
#[derive(Subcommand)]
pub enum SieveAction {
    /// Store a script for a user (checked first).
    Put {
        /// User name.
        user: String,
        /// Script name.
        name: String,
        /// File holding the script.
        file: std::path::PathBuf,
        /// Make it the active script.
        #[arg(long)]
        activate: bool,
        #[command(flatten)]
        location: Location,
    },
    /// List a user's scripts.
    List {
        /// User name.
        user: String,
        #[command(flatten)]
        location: Location,
    },
    /// Make a script the active one ("" deactivates).
    Activate {
        /// User name.
        user: String,
        /// Script name.
        name: String,
        #[command(flatten)]
        location: Location,
    },
    /// Print a script.
    Get {
        /// User name.
        user: String,
        /// Script name.
        name: String,
        #[command(flatten)]
        location: Location,
    },
    /// Delete a script that is not active.
    Delete {
        /// User name.
        user: String,
        /// Script name.
        name: String,
        #[command(flatten)]
        location: Location,
    },
    /// Check a script's syntax without storing it; with --user, also its includes of that
    /// user's scripts.
    Check {
        /// File holding the script.
        file: std::path::PathBuf,
        /// Check `include`s against this user's scripts (they must exist and not loop).
        #[arg(long)]
        user: Option<String>,
        /// The name the script will have (with --user), so an include of itself is a cycle.
        #[arg(long, requires = "user")]
        name: Option<String>,
        #[command(flatten)]
        location: Location,
    },
}

/// `bushbuck quota ...` (`quota --fix [USER...]` is `quota fix [USER...]`).
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct QuotaArgs {
    /// The quota operation.
    #[command(subcommand)]
    pub action: Option<QuotaAction>,
    /// Same as `quota fix`: recount usage of the named users (all when none are given).
    #[arg(long)]
    pub fix: bool,
    /// With --fix: user names.
    #[arg(requires = "fix", value_name = "USER")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub location: Location,
}

/// Quota operations.
#[derive(Subcommand)]
pub enum QuotaAction {
    /// Set the limits of a user or another quota root (omit a limit to remove it).
    Set {
        /// A user name (their whole store), or a quota root: `user/NAME/Folder` (that folder
        /// and its children get their own quota), `shared` or `shared/Folder`.
        name: String,
        /// STORAGE limit in KiB.
        #[arg(long, value_name = "KIB")]
        storage: Option<u64>,
        /// MESSAGE limit.
        #[arg(long, value_name = "COUNT")]
        messages: Option<u64>,
        #[command(flatten)]
        location: Location,
    },
    /// Show usage and limits of every quota root (or of the named users' roots).
    List {
        /// User names; all users when none are given.
        names: Vec<String>,
        #[command(flatten)]
        location: Location,
    },
    /// Recount usage of every quota root (or the named users') from the messages and
    /// correct stored counters that drifted; safe while the server runs.
    Fix {
        /// User names; all users when none are given.
        names: Vec<String>,
        #[command(flatten)]
        location: Location,
    },
}

/// `bushbuck deliver [-m folder] [--flag F] USER... < message`
#[derive(Args)]
pub struct DeliverArgs {
    #[command(flatten)]
    pub location: Location,
    /// Folder to file into (INBOX when it does not exist).
    #[arg(short = 'm', long = "mailbox", value_name = "FOLDER")]
    pub mailbox: Option<String>,
    /// Flag to set on the delivered message, e.g. '\Seen' (repeatable).
    #[arg(long = "flag", value_name = "FLAG")]
    pub flags: Vec<String>,
    /// Envelope sender for the Return-Path header.
    #[arg(short = 'f', long = "from", value_name = "ADDRESS")]
    pub from: Option<String>,
    /// Deliver even when the recipient is over quota.
    #[arg(long)]
    pub ignore_quota: bool,
    /// Drop a message whose Message-ID this mailbox received within DAYS days (0: off;
    /// default: the configuration's duplicate_suppression_days).
    #[arg(long, value_name = "DAYS")]
    pub duplicate_days: Option<u32>,
    /// Housekeeping: forget delivered Message-IDs older than DAYS days, then exit.
    #[arg(long, value_name = "DAYS", conflicts_with = "recipients")]
    pub prune_duplicates: Option<u32>,
    /// Recipients: user names or addresses (user+folder@domain files into folder).
    #[arg(required_unless_present = "prune_duplicates", value_name = "USER")]
    pub recipients: Vec<String>,
}

/// Where the configuration and data are: shared by every subcommand.
#[derive(Args, Clone, Default)]
pub struct Location {
    /// TOML configuration file (keys as the long flags of `serve`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./bushbuck-data if it exists, else $XDG_DATA_HOME/bushbuck,
    /// /var/lib/bushbuck for root, ~/.local/share/bushbuck].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// Flags of `bushbuck serve`; each overrides the configuration file.
#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub location: Location,
    /// IMAP listener address (STARTTLS offered); "" disables it.
    #[arg(long, value_name = "ADDR")]
    pub imap: Option<String>,
    /// Implicit-TLS IMAP listener address; "" disables it.
    #[arg(long, value_name = "ADDR")]
    pub imaps: Option<String>,
    /// POP3 listener address.
    #[arg(long, value_name = "ADDR")]
    pub pop3: Option<String>,
    /// Implicit-TLS POP3 listener address.
    #[arg(long, value_name = "ADDR")]
    pub pop3s: Option<String>,
    /// LMTP listener address.
    #[arg(long, value_name = "ADDR")]
    pub lmtp: Option<String>,
    /// LMTP on a Unix-domain socket at this path.
    #[arg(long, value_name = "PATH")]
    pub lmtp_socket: Option<String>,
    /// ManageSieve listener address.
    #[arg(long, value_name = "ADDR")]
    pub sieve: Option<String>,
    /// HTTP listener for /metrics and /healthz.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// SMTP relay (host:port) for Sieve redirects and vacation replies.
    #[arg(long, value_name = "ADDR")]
    pub smtp_relay: Option<String>,
    /// PostgreSQL database shared by several nodes (postgres://USER@HOST:PORT/DB).
    #[arg(long, value_name = "URL")]
    pub store_url: Option<String>,
    /// S3-compatible object storage for message contents (s3://BUCKET?endpoint=URL&region=R).
    #[arg(long, value_name = "URL")]
    pub blob_url: Option<String>,
    /// Log filter, e.g. "info" or "bushbuck_server=debug" (RUST_LOG also works).
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,
}

/// `bushbuck user ...`
#[derive(Args)]
pub struct UserArgs {
    /// The user operation.
    #[command(subcommand)]
    pub action: UserAction,
}

/// A password given on the command line or read from standard input.
#[derive(Args, Clone)]
#[group(required = true, multiple = false)]
pub struct PasswordArgs {
    /// The password (visible to other local users in the process list; prefer --password-stdin).
    #[arg(long)]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// User operations.
#[derive(Subcommand)]
pub enum UserAction {
    /// Create a user with an empty INBOX.
    Add {
        /// User name (lowercase letters, digits and . _ - @ +).
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
        /// Partition to place the user's mail on (see `partitions` in the configuration).
        #[arg(long)]
        partition: Option<String>,
        /// Create only INBOX, not the `default_folders` (Sent, Drafts, Trash, Junk, Archive).
        #[arg(long)]
        no_folders: bool,
        /// Make the user an administrator (the admin shell, XADMIN, every mailbox), as if
        /// named in the configuration's `admins`.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        location: Location,
    },
    /// Make a user an administrator, or with --off no longer one.
    Admin {
        /// User name.
        name: String,
        /// Take the administrator mark away.
        #[arg(long)]
        off: bool,
        #[command(flatten)]
        location: Location,
    },
    /// List users.
    List {
        #[command(flatten)]
        location: Location,
    },
    /// Change a user's password.
    Passwd {
        /// User name.
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
        #[command(flatten)]
        location: Location,
    },
    /// Move a user's mail to another partition (safe while the server runs; the user's
    /// sessions wait during the copy).
    Move {
        /// User name.
        name: String,
        /// Partition to move to.
        partition: String,
        #[command(flatten)]
        location: Location,
    },
    /// Delete a user and all their mail.
    Del {
        /// User name.
        name: String,
        #[command(flatten)]
        location: Location,
    },
}
