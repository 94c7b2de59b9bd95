//! The IMAP command syntax tree: what a client asked for, parsed but not yet acted on.
//!
//! Strings that name mailboxes stay as the raw bytes the client sent (modified UTF-7 or,
//! after ENABLE UTF8=ACCEPT, UTF-8); the session decodes them with [`crate::imap::mutf7`].
//! Search strings stay raw bytes because their charset is only known from the command.

/// One complete client command: its tag and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedCommand {
    /// The client's tag, echoed in the tagged response.
    pub tag: String,
    /// The command itself.
    pub command: Command,
}

/// Every IMAP command Bushbuck understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// CAPABILITY
    Capability,
    /// NOOP
    Noop,
    /// LOGOUT
    Logout,
    /// STARTTLS
    StartTls,
    /// AUTHENTICATE mechanism [initial-response] (SASL-IR). `initial` is the base64 text as
    /// sent; `Some("=")` is an empty initial response.
    Authenticate {
        /// SASL mechanism name, upper-cased.
        mechanism: String,
        /// Initial response (SASL-IR), still base64-encoded.
        initial: Option<String>,
    },
    /// LOGIN user password
    Login {
        /// User name.
        user: Vec<u8>,
        /// Password.
        password: Vec<u8>,
    },
    /// ENABLE capability...
    Enable(Vec<String>),
    /// ID (NIL | ( key value ... ))
    Id(Option<Vec<(String, Option<String>)>>),
    /// SELECT mailbox [(CONDSTORE | QRESYNC ...)]
    Select {
        /// Mailbox name, raw.
        mailbox: Vec<u8>,
        /// Select parameters.
        params: SelectParams,
    },
    /// EXAMINE mailbox [(CONDSTORE ...)]
    Examine {
        /// Mailbox name, raw.
        mailbox: Vec<u8>,
        /// Select parameters.
        params: SelectParams,
    },
    /// CREATE mailbox [(USE (\Special ...)) | partition]
    Create {
        /// Mailbox name, raw.
        mailbox: Vec<u8>,
        /// SPECIAL-USE attributes requested (RFC 6154), e.g. `\Sent`.
        special_use: Vec<String>,
        /// Partition to create on (Cyrus's extension, for administrators).
        partition: Option<String>,
    },
    /// DELETE mailbox
    Delete(Vec<u8>),
    /// RENAME from to [partition]
    Rename {
        /// Existing name, raw.
        from: Vec<u8>,
        /// New name, raw.
        to: Vec<u8>,
        /// Partition to move to (Cyrus's extension, for administrators).
        partition: Option<String>,
    },
    /// SUBSCRIBE mailbox
    Subscribe(Vec<u8>),
    /// UNSUBSCRIBE mailbox
    Unsubscribe(Vec<u8>),
    /// LIST, with or without LIST-EXTENDED options.
    List(ListCommand),
    /// LSUB reference pattern
    Lsub {
        /// Reference name, raw.
        reference: Vec<u8>,
        /// Mailbox pattern with % and *, raw.
        pattern: Vec<u8>,
    },
    /// NAMESPACE
    Namespace,
    /// STATUS mailbox (items)
    Status {
        /// Mailbox name, raw.
        mailbox: Vec<u8>,
        /// Requested status data items.
        items: Vec<StatusItem>,
    },
    /// APPEND mailbox, one or more messages (MULTIAPPEND).
    Append {
        /// Mailbox name, raw.
        mailbox: Vec<u8>,
        /// The messages in order.
        messages: Vec<AppendMessage>,
    },
    /// IDLE (the server answers `+ idling` and waits for DONE).
    Idle,
    /// CHECK
    Check,
    /// CLOSE
    Close,
    /// UNSELECT
    Unselect,
    /// EXPUNGE
    Expunge,
    /// UID EXPUNGE set (UIDPLUS)
    UidExpunge(SequenceSet),
    /// SEARCH / UID SEARCH
    Search {
        /// True for UID SEARCH.
        uid: bool,
        /// CHARSET argument, if given.
        charset: Option<String>,
        /// ESEARCH RETURN options; `None` when no RETURN was given (plain SEARCH answer).
        ret: Option<Vec<SearchReturn>>,
        /// The criteria, combined with AND.
        criteria: SearchKey,
    },
    /// FETCH / UID FETCH
    Fetch {
        /// True for UID FETCH.
        uid: bool,
        /// Message set.
        set: SequenceSet,
        /// Items requested (macros already expanded).
        items: Vec<FetchAttribute>,
        /// CONDSTORE CHANGEDSINCE modifier.
        changed_since: Option<u64>,
        /// QRESYNC VANISHED modifier (UID FETCH only).
        vanished: bool,
        /// PARTIAL modifier (RFC 9394 3.3, UID FETCH only): only the messages at these
        /// positions among those the set names.
        partial: Option<PartialRange>,
    },
    /// STORE / UID STORE
    Store {
        /// True for UID STORE.
        uid: bool,
        /// Message set.
        set: SequenceSet,
        /// Replace, add or remove.
        mode: StoreMode,
        /// `.SILENT` suffix given.
        silent: bool,
        /// Flags (system flags with backslash, keywords without).
        flags: Vec<String>,
        /// CONDSTORE UNCHANGEDSINCE modifier.
        unchanged_since: Option<u64>,
    },
    /// COPY / UID COPY
    Copy {
        /// True for UID COPY.
        uid: bool,
        /// Message set.
        set: SequenceSet,
        /// Destination mailbox, raw.
        mailbox: Vec<u8>,
    },
    /// SORT / UID SORT (RFC 5256), with ESORT's RETURN options (RFC 5267)
    Sort {
        /// True for UID SORT.
        uid: bool,
        /// RETURN options; `None` when no RETURN was given (plain SORT answer).
        ret: Option<Vec<SearchReturn>>,
        /// Sort criteria, most significant first.
        criteria: Vec<SortCriterion>,
        /// The charset of the search strings.
        charset: String,
        /// Which messages to sort.
        search: SearchKey,
    },
    /// CANCELUPDATE "tag" ... (RFC 5267): close the UPDATE contexts of these commands.
    CancelUpdate(Vec<String>),
    /// THREAD / UID THREAD (RFC 5256, REFS of draft-ietf-morg-inthread)
    Thread {
        /// True for UID THREAD.
        uid: bool,
        /// The threading algorithm.
        algorithm: ThreadAlgorithm,
        /// The charset of the search strings.
        charset: String,
        /// Which messages to thread.
        search: SearchKey,
    },
    /// GETQUOTA root (RFC 9208)
    GetQuota(Vec<u8>),
    /// GETQUOTAROOT mailbox (RFC 9208)
    GetQuotaRoot(Vec<u8>),
    /// SETQUOTA root (resource limit ...) (RFC 9208); resource names upper-cased.
    SetQuota {
        /// Quota root name, raw.
        root: Vec<u8>,
        /// (resource, limit) pairs; an empty list removes every limit.
        limits: Vec<(String, u64)>,
    },
    /// SETACL mailbox identifier rights (RFC 4314); rights may start with + or -.
    SetAcl {
        /// Mailbox, raw.
        mailbox: Vec<u8>,
        /// Identifier (user, `anyone`, `group:NAME`, `-identifier`).
        identifier: String,
        /// Rights, with an optional leading `+` or `-`.
        rights: String,
    },
    /// DELETEACL mailbox identifier (RFC 4314)
    DeleteAcl {
        /// Mailbox, raw.
        mailbox: Vec<u8>,
        /// Identifier.
        identifier: String,
    },
    /// GETACL mailbox (RFC 4314)
    GetAcl(Vec<u8>),
    /// LISTRIGHTS mailbox identifier (RFC 4314)
    ListRights {
        /// Mailbox, raw.
        mailbox: Vec<u8>,
        /// Identifier.
        identifier: String,
    },
    /// MYRIGHTS mailbox (RFC 4314)
    MyRights(Vec<u8>),
    /// MOVE / UID MOVE
    Move {
        /// True for UID MOVE.
        uid: bool,
        /// Message set.
        set: SequenceSet,
        /// Destination mailbox, raw.
        mailbox: Vec<u8>,
    },
    /// XADMIN: Bushbuck's user management for administrators (capability `XADMIN`).
    Xadmin(AdminCommand),
}

/// The operations of `XADMIN`, Bushbuck's administration extension:
///
/// ```text
/// xadmin = "XADMIN" SP "USER" SP ("ADD" SP name SP password [SP "(" folder *(SP folder) ")"]
///          / "DEL" SP name / "LIST" / "PASSWD" SP name SP password)
/// folder = mailbox SP flag-list   ; a mailbox to create and its SPECIAL-USE attributes
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    /// Create a user with INBOX and the given folders.
    UserAdd {
        /// User name.
        name: Vec<u8>,
        /// Initial password.
        password: Vec<u8>,
        /// Further mailboxes to create.
        folders: Vec<AdminFolder>,
    },
    /// Delete a user with all their mail.
    UserDel(Vec<u8>),
    /// List the users (`* XADMIN USER name` each).
    UserList,
    /// Change a user's password.
    UserPasswd {
        /// User name.
        name: Vec<u8>,
        /// New password.
        password: Vec<u8>,
    },
}

/// A mailbox `XADMIN USER ADD` creates for the new user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminFolder {
    /// Mailbox name, raw (modified UTF-7).
    pub mailbox: Vec<u8>,
    /// SPECIAL-USE attributes (RFC 6154), canonically spelled, e.g. `\Sent`.
    pub special_use: Vec<String>,
}

/// Parameters of SELECT and EXAMINE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectParams {
    /// CONDSTORE parameter given.
    pub condstore: bool,
    /// QRESYNC (uidvalidity modseq [known-uids [seq-match]]) given.
    pub qresync: Option<QresyncParams>,
}

/// The QRESYNC select parameter (RFC 7162).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QresyncParams {
    /// UIDVALIDITY the client remembers.
    pub uid_validity: u32,
    /// Last known MODSEQ.
    pub mod_seq: u64,
    /// Known UIDs, if given.
    pub known_uids: Option<SequenceSet>,
}

/// LIST in its basic (RFC 3501) and extended (RFC 5258) forms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListCommand {
    /// Reference name, raw.
    pub reference: Vec<u8>,
    /// One or more patterns, raw.
    pub patterns: Vec<Vec<u8>>,
    /// Selection options, upper-cased (SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE).
    pub select_options: Vec<String>,
    /// Return options: upper-cased names (SUBSCRIBED, CHILDREN, SPECIAL-USE) and STATUS items.
    pub return_options: ListReturn,
    /// True when the extended syntax was used (selection options or RETURN present, or
    /// several patterns), which changes some response details.
    pub extended: bool,
}

/// LIST RETURN options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListReturn {
    /// RETURN (SUBSCRIBED)
    pub subscribed: bool,
    /// RETURN (CHILDREN)
    pub children: bool,
    /// RETURN (SPECIAL-USE)
    pub special_use: bool,
    /// RETURN (STATUS (items)) from LIST-STATUS.
    pub status: Option<Vec<StatusItem>>,
}

/// A STATUS data item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusItem {
    /// MESSAGES
    Messages,
    /// RECENT
    Recent,
    /// UIDNEXT
    UidNext,
    /// UIDVALIDITY
    UidValidity,
    /// UNSEEN
    Unseen,
    /// HIGHESTMODSEQ (CONDSTORE)
    HighestModSeq,
    /// SIZE (STATUS=SIZE)
    Size,
    /// DELETED (IMAP4rev2)
    Deleted,
}

/// One message of an APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// Flags to set.
    pub flags: Vec<String>,
    /// INTERNALDATE given, as seconds since the epoch and the zone offset in minutes.
    pub internal_date: Option<(i64, i32)>,
    /// Where the message octets (exactly as sent) are in the command's bytes given to
    /// [`parse_command`](super::parser::parse_command); see [`AppendMessage::data`].
    pub octets: std::ops::Range<usize>,
    /// True when sent as literal8 (`~{n}`, BINARY).
    pub binary: bool,
}

impl AppendMessage {
    /// The message octets, from the bytes of the command it was parsed from.
    pub fn data<'a>(&self, command: &'a [u8]) -> &'a [u8] {
        &command[self.octets.clone()]
    }
}

/// STORE mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// FLAGS
    Replace,
    /// +FLAGS
    Add,
    /// -FLAGS
    Remove,
}

/// A sequence set: ranges of message numbers or UIDs, or `$` (SEARCHRES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceSet {
    /// Explicit ranges, in the order given.
    Ranges(Vec<SeqRange>),
    /// `$`: the result saved by the last SEARCH RETURN (SAVE).
    Saved,
}

/// One range `a:b` (or a single number when `start == end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    /// First end as written.
    pub start: SeqNumber,
    /// Second end as written (equal to `start` for a single number).
    pub end: SeqNumber,
}

/// A number in a sequence set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqNumber {
    /// A number, never 0.
    Value(u32),
    /// `*`: the largest number in use.
    Largest,
}

/// A FETCH attribute, after macros (ALL, FAST, FULL) are expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAttribute {
    /// ENVELOPE
    Envelope,
    /// FLAGS
    Flags,
    /// INTERNALDATE
    InternalDate,
    /// RFC822 (answered as RFC822, sets \Seen)
    Rfc822,
    /// RFC822.HEADER
    Rfc822Header,
    /// RFC822.SIZE
    Rfc822Size,
    /// RFC822.TEXT (sets \Seen)
    Rfc822Text,
    /// BODY (non-extensible BODYSTRUCTURE)
    Body,
    /// BODYSTRUCTURE
    BodyStructure,
    /// UID
    Uid,
    /// MODSEQ (CONDSTORE)
    ModSeq,
    /// SAVEDATE
    SaveDate,
    /// EMAILID (OBJECTID)
    EmailId,
    /// THREADID (OBJECTID)
    ThreadId,
    /// BODY[section]<partial> or BODY.PEEK[...]
    BodySection {
        /// True for BODY.PEEK (does not set \Seen).
        peek: bool,
        /// The section.
        section: Section,
        /// `<offset.length>`.
        partial: Option<(u32, u32)>,
    },
    /// BINARY[part]<partial> or BINARY.PEEK[...]
    Binary {
        /// True for BINARY.PEEK.
        peek: bool,
        /// Part numbers; empty for the whole message.
        part: Vec<u32>,
        /// `<offset.length>`.
        partial: Option<(u32, u32)>,
    },
    /// BINARY.SIZE[part]
    BinarySize {
        /// Part numbers; empty for the whole message.
        part: Vec<u32>,
    },
}

/// A body section specification: `1.2.HEADER.FIELDS (From)` and friends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// Part numbers, outermost first; empty for the whole message.
    pub part: Vec<u32>,
    /// What of that part; `None` for the part's full content.
    pub text: Option<SectionText>,
}

/// The text specifier of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionText {
    /// HEADER
    Header,
    /// HEADER.FIELDS (names), names as sent by the client.
    HeaderFields(Vec<String>),
    /// HEADER.FIELDS.NOT (names)
    HeaderFieldsNot(Vec<String>),
    /// TEXT
    Text,
    /// MIME (only with a part number)
    Mime,
}

/// One SORT criterion (RFC 5256, with DISPLAYFROM/DISPLAYTO of RFC 5957).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortCriterion {
    /// REVERSE was given before the key.
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// What SORT orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// ARRIVAL: the internal date.
    Arrival,
    /// CC: the first Cc mailbox.
    Cc,
    /// DATE: the Date header (the internal date when absent).
    Date,
    /// FROM: the first From mailbox.
    From,
    /// SIZE
    Size,
    /// SUBJECT: the base subject.
    Subject,
    /// TO: the first To mailbox.
    To,
    /// DISPLAYFROM: the first From display name, else its address.
    DisplayFrom,
    /// DISPLAYTO: the first To display name, else its address.
    DisplayTo,
}

/// How THREAD groups messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadAlgorithm {
    /// ORDEREDSUBJECT (RFC 5256 3): by base subject, each thread flat under its oldest message.
    OrderedSubject,
    /// REFERENCES (RFC 5256 3): by References/In-Reply-To, then by base subject.
    References,
    /// REFS (draft-ietf-morg-inthread): by references only, threads ordered by their newest
    /// message.
    Refs,
}

/// ESEARCH RETURN options (RFC 4731, RFC 5182, RFC 5267).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchReturn {
    /// MIN
    Min,
    /// MAX
    Max,
    /// ALL
    All,
    /// COUNT
    Count,
    /// SAVE (SEARCHRES)
    Save,
    /// CONTEXT (RFC 5267): a hint that the client may ask again; changes nothing.
    Context,
    /// UPDATE (RFC 5267): keep the result open and announce ADDTO/REMOVEFROM as it changes.
    Update,
    /// PARTIAL range (RFC 5267 4.4, RFC 9394 3.1): only the results at these positions.
    Partial(PartialRange),
}

/// A PARTIAL range (RFC 9394 4): result positions `low..=high` (1-based, `low <= high`),
/// counted from the first result, or from the last one when `from_end` (`-1:-100`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialRange {
    /// The nearer end (1 is the first, or with `from_end` the last, result).
    pub low: u32,
    /// The farther end, at least `low`.
    pub high: u32,
    /// Counted from the last result (the range was written with minus signs).
    pub from_end: bool,
}

impl PartialRange {
    /// The items of `items` (results in their order) at the positions this range names;
    /// positions past either end are left out.
    pub fn window<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let len = items.len();
        let (low, high) = (self.low as usize, self.high as usize);
        let (start, end) = if self.from_end {
            (len.saturating_sub(high), len.saturating_sub(low - 1))
        } else {
            ((low - 1).min(len), high.min(len))
        };
        &items[start..end]
    }
}

/// A date in SEARCH (day precision), as (year, month 1-12, day 1-31).
pub type SearchDate = (i32, u32, u32);

/// A SEARCH key. Strings are raw octets in the command's charset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    /// Several keys that must all match (a parenthesised list or the top level).
    And(Vec<SearchKey>),
    /// ALL
    All,
    /// ANSWERED
    Answered,
    /// BCC string
    Bcc(Vec<u8>),
    /// BEFORE date
    Before(SearchDate),
    /// BODY string
    Body(Vec<u8>),
    /// CC string
    Cc(Vec<u8>),
    /// DELETED
    Deleted,
    /// DRAFT
    Draft,
    /// FLAGGED
    Flagged,
    /// FROM string
    From(Vec<u8>),
    /// HEADER field-name string
    Header(String, Vec<u8>),
    /// KEYWORD flag
    Keyword(String),
    /// LARGER n
    Larger(u64),
    /// NEW
    New,
    /// NOT key
    Not(Box<SearchKey>),
    /// OLD
    Old,
    /// ON date
    On(SearchDate),
    /// OR key key
    Or(Box<SearchKey>, Box<SearchKey>),
    /// RECENT
    Recent,
    /// SEEN
    Seen,
    /// SENTBEFORE date
    SentBefore(SearchDate),
    /// SENTON date
    SentOn(SearchDate),
    /// SENTSINCE date
    SentSince(SearchDate),
    /// SINCE date
    Since(SearchDate),
    /// SMALLER n
    Smaller(u64),
    /// SUBJECT string
    Subject(Vec<u8>),
    /// TEXT string
    Text(Vec<u8>),
    /// TO string
    To(Vec<u8>),
    /// UID set
    Uid(SequenceSet),
    /// UNANSWERED
    Unanswered,
    /// UNDELETED
    Undeleted,
    /// UNDRAFT
    Undraft,
    /// UNFLAGGED
    Unflagged,
    /// UNKEYWORD flag
    Unkeyword(String),
    /// UNSEEN
    Unseen,
    /// A bare sequence set (message numbers), or `$`.
    Sequence(SequenceSet),
    /// MODSEQ n (CONDSTORE; entry-name and type are accepted and ignored)
    ModSeq(u64),
    /// OLDER seconds (WITHIN)
    Older(u64),
    /// YOUNGER seconds (WITHIN)
    Younger(u64),
}
