//! The validated form of a script that the interpreter runs: every command and test with
//! typed arguments, extensions already checked against `require`.

use std::collections::BTreeSet;

/// A comparator (RFC 4790) usable in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    /// `i;octet`: byte-wise.
    Octet,
    /// `i;ascii-casemap`: ASCII letters compared case-insensitively (the default).
    AsciiCasemap,
    /// `i;ascii-numeric`: leading decimal digits compared as numbers.
    AsciiNumeric,
}

/// A relational operator (RFC 5231).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `eq`
    Eq,
    /// `ne`
    Ne,
}

/// How values are matched against keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    /// `:is`
    Is,
    /// `:contains`
    Contains,
    /// `:matches` (`*`, `?`, `\` escapes)
    Matches,
    /// `:value <relation>`
    Value(Relation),
    /// `:count <relation>`
    Count(Relation),
}

/// Comparator and match type of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchSpec {
    /// The comparator.
    pub comparator: Comparator,
    /// The match type.
    pub match_type: MatchType,
}

impl Default for MatchSpec {
    fn default() -> Self {
        MatchSpec { comparator: Comparator::AsciiCasemap, match_type: MatchType::Is }
    }
}

/// Which part of an address a test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPart {
    /// The whole `local@domain`.
    All,
    /// The local part.
    Localpart,
    /// The domain.
    Domain,
    /// The local part before the `+` separator (RFC 5233).
    User,
    /// The local part after the `+` separator (RFC 5233).
    Detail,
}

/// Body transform of the `body` test (RFC 5173).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyTransform {
    /// The undecoded body.
    Raw,
    /// Decoded text of the text parts.
    Text,
    /// Decoded content of the parts whose content type matches one of the list.
    Content(Vec<String>),
}

/// Time zone used by date tests (RFC 5260).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    /// The local zone of the environment.
    Local,
    /// A fixed `+hhmm` / `-hhmm` offset given as a string (variables allowed).
    Fixed(String),
    /// The zone written in the header field.
    Original,
}

/// `:index n [:last]` (RFC 5260).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSel {
    /// 1-based position.
    pub n: u64,
    /// Count from the last occurrence.
    pub last: bool,
}

/// Identifier source for `duplicate` (RFC 7352).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DupId {
    /// The value of a header field (default `Message-ID`).
    Header(String),
    /// An explicit unique id.
    UniqueId(String),
}

/// A validated test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    /// `true`
    True,
    /// `false`
    False,
    /// `not`
    Not(Box<Test>),
    /// `allof`
    AllOf(Vec<Test>),
    /// `anyof`
    AnyOf(Vec<Test>),
    /// `exists`
    Exists(Vec<String>),
    /// `size :over|:under`
    Size {
        /// `:over` (else `:under`).
        over: bool,
        /// The limit in octets.
        limit: u64,
    },
    /// `header`
    Header {
        /// Match spec.
        spec: MatchSpec,
        /// Header names.
        names: Vec<String>,
        /// Keys.
        keys: Vec<String>,
        /// Occurrence selection.
        index: Option<IndexSel>,
    },
    /// `address`
    Address {
        /// Match spec.
        spec: MatchSpec,
        /// Address part.
        part: AddressPart,
        /// Header names.
        names: Vec<String>,
        /// Keys.
        keys: Vec<String>,
        /// Occurrence selection.
        index: Option<IndexSel>,
    },
    /// `envelope`
    Envelope {
        /// Match spec.
        spec: MatchSpec,
        /// Address part.
        part: AddressPart,
        /// Envelope parts ("from", "to").
        names: Vec<String>,
        /// Keys.
        keys: Vec<String>,
    },
    /// `body`
    Body {
        /// Match spec.
        spec: MatchSpec,
        /// Transform.
        transform: BodyTransform,
        /// Keys.
        keys: Vec<String>,
    },
    /// `string` (variables)
    Str {
        /// Match spec.
        spec: MatchSpec,
        /// Source strings.
        sources: Vec<String>,
        /// Keys.
        keys: Vec<String>,
    },
    /// `hasflag` (imap4flags)
    HasFlag {
        /// Match spec.
        spec: MatchSpec,
        /// Variables holding flags (internal variable when empty).
        vars: Vec<String>,
        /// Keys.
        keys: Vec<String>,
    },
    /// `date`
    Date {
        /// Match spec.
        spec: MatchSpec,
        /// Zone.
        zone: Zone,
        /// Occurrence selection.
        index: Option<IndexSel>,
        /// Header name.
        header: String,
        /// Date part.
        part: String,
        /// Keys.
        keys: Vec<String>,
    },
    /// `currentdate`
    CurrentDate {
        /// Match spec.
        spec: MatchSpec,
        /// Zone (never `Original`).
        zone: Zone,
        /// Date part.
        part: String,
        /// Keys.
        keys: Vec<String>,
    },
    /// `mailboxexists`
    MailboxExists(Vec<String>),
    /// `duplicate`
    Duplicate {
        /// `:handle`.
        handle: Option<String>,
        /// What identifies the message.
        id: DupId,
        /// Tracking period.
        seconds: Option<u64>,
        /// `:last`.
        last: bool,
    },
}

/// Flag-manipulating action of imap4flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// `setflag`
    Set,
    /// `addflag`
    Add,
    /// `removeflag`
    Remove,
}

/// A `set` modifier (RFC 5229 section 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Modifier {
    /// `:lower` (precedence 40)
    Lower,
    /// `:upper` (40)
    Upper,
    /// `:lowerfirst` (30)
    LowerFirst,
    /// `:upperfirst` (30)
    UpperFirst,
    /// `:quotewildcard` (20)
    QuoteWildcard,
    /// `:length` (10)
    Length,
}

impl Modifier {
    /// The precedence from RFC 5229; higher applies first.
    pub fn precedence(self) -> u8 {
        match self {
            Modifier::Lower | Modifier::Upper => 40,
            Modifier::LowerFirst | Modifier::UpperFirst => 30,
            Modifier::QuoteWildcard => 20,
            Modifier::Length => 10,
        }
    }
}

/// Arguments of `vacation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacationArgs {
    /// Response period in seconds (`:days` × 86400 or `:seconds`).
    pub period_secs: u64,
    /// `:subject`
    pub subject: Option<String>,
    /// `:from`
    pub from: Option<String>,
    /// `:addresses`
    pub addresses: Vec<String>,
    /// `:mime`
    pub mime: bool,
    /// `:handle`
    pub handle: Option<String>,
    /// The reason (body).
    pub reason: String,
}

/// A validated command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdKind {
    /// `if` / `elsif` / `else` chain.
    If {
        /// Tests and their blocks, in order.
        branches: Vec<(Test, Vec<Cmd>)>,
        /// The `else` block.
        otherwise: Option<Vec<Cmd>>,
    },
    /// `stop`
    Stop,
    /// `keep [:flags]`
    Keep {
        /// Explicit flags.
        flags: Option<Vec<String>>,
    },
    /// `discard`
    Discard,
    /// `fileinto`
    FileInto {
        /// Mailbox.
        mailbox: String,
        /// Explicit flags.
        flags: Option<Vec<String>>,
        /// `:copy`
        copy: bool,
        /// `:create`
        create: bool,
    },
    /// `redirect`
    Redirect {
        /// Address.
        address: String,
        /// `:copy`
        copy: bool,
    },
    /// `reject` / `ereject`
    Reject {
        /// Reason.
        reason: String,
        /// `ereject`.
        ereject: bool,
    },
    /// `set`
    Set {
        /// Variable name.
        name: String,
        /// Value.
        value: String,
        /// Modifiers sorted by descending precedence.
        modifiers: Vec<Modifier>,
    },
    /// `vacation`
    Vacation(Box<VacationArgs>),
    /// `setflag` / `addflag` / `removeflag`
    Flags {
        /// Operation.
        op: FlagOp,
        /// Variable (internal variable when None).
        var: Option<String>,
        /// Flags.
        flags: Vec<String>,
    },
    /// `addheader`
    AddHeader {
        /// `:last`
        last: bool,
        /// Field name.
        name: String,
        /// Field value.
        value: String,
    },
    /// `deleteheader`
    DeleteHeader {
        /// Occurrence selection.
        index: Option<IndexSel>,
        /// Match spec for value patterns.
        spec: MatchSpec,
        /// Field name.
        name: String,
        /// Value patterns (all occurrences when None).
        patterns: Option<Vec<String>>,
    },
    /// `include`
    Include {
        /// Script name.
        name: String,
        /// `:global` (else personal).
        global: bool,
        /// `:once`
        once: bool,
        /// `:optional`
        optional: bool,
    },
    /// `return`
    Return,
    /// `global`
    Global(Vec<String>),
}

/// A validated command and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    /// The command.
    pub kind: CmdKind,
    /// 1-based line.
    pub line: usize,
}

/// A parsed and validated script, ready for [`crate::evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Top-level commands.
    pub commands: Vec<Cmd>,
    /// Extensions named by `require`.
    pub extensions: BTreeSet<String>,
}

impl Script {
    /// Whether the script required `ext`.
    pub fn uses(&self, ext: &str) -> bool {
        self.extensions.contains(ext)
    }
}
