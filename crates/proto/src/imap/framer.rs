//! Incremental IMAP command framing, without I/O.
//!
//! Bytes from the client go in with [`Framer::push`]; [`Framer::next_event`] hands out
//! complete commands (every line and literal octet, line ends included) and tells the server
//! when to send a continuation request for a synchronizing literal `{n}`, or when a literal
//! or line is too large. Non-synchronizing literals `{n+}` (LITERAL+) and literal8 `~{n}`
//! (BINARY) are understood. Lines may end with CRLF or a bare LF.
//!
//! A large literal need not be held in memory: past [`Framer::spill_literals_from`] the command
//! is handed out in [`FrameEvent::Partial`] pieces as it arrives, for the server to spool.
//!
//! [`Framer::next_line`] reads one raw line instead, for IDLE's `DONE` and AUTHENTICATE
//! continuation responses.

use std::collections::VecDeque;
use std::fmt;

use super::lexer::is_tag_char;

/// Default longest line, excluding literal octets: 64 KiB.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;

/// Default largest literal: 64 MiB.
pub const DEFAULT_MAX_LITERAL: u64 = 64 * 1024 * 1024;

/// Limits of a [`Framer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerConfig {
    /// Longest line in bytes, excluding its line end and literal octets.
    pub max_line: usize,
    /// Largest literal in bytes.
    pub max_literal: u64,
    /// Largest whole command (all lines and literals, e.g. a MULTIAPPEND) in bytes.
    pub max_command: u64,
}

impl FramerConfig {
    /// Limits before authentication: room for what LOGIN and AUTHENTICATE need (a few KiB, as
    /// Dovecot allows), so that a client that has not logged in cannot make the server hold
    /// more than a few KiB for it.
    pub const PRE_AUTH: FramerConfig =
        FramerConfig { max_line: 8 * 1024, max_literal: 8 * 1024, max_command: 24 * 1024 };

    /// Limits for a line and literal size; the whole command may hold one maximal literal
    /// plus 16 maximal lines.
    pub fn new(max_line: usize, max_literal: u64) -> Self {
        let max_command = max_literal.saturating_add((max_line as u64).saturating_mul(16));
        FramerConfig { max_line, max_literal, max_command }
    }
}

impl Default for FramerConfig {
    fn default() -> Self {
        FramerConfig::new(DEFAULT_MAX_LINE, DEFAULT_MAX_LITERAL)
    }
}

/// What the framer found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameEvent {
    /// A complete command, line ends and literal octets included (after [`FrameEvent::Partial`]
    /// pieces: the last piece of it).
    Command(Vec<u8>),
    /// A piece of a command with a literal of at least [`Framer::spill_literals_from`] octets:
    /// more of the same command follows, ending with a [`FrameEvent::Command`]. The pieces in
    /// order are the command's bytes.
    Partial(Vec<u8>),
    /// A line ended with a synchronizing literal `{n}` that fits: the server must now send
    /// `+ Ready for literal data`.
    NeedContinuation,
    /// A synchronizing literal is over the limit: answer the tag (`*` when `None`) with NO or
    /// BAD without a continuation. The partial command has been discarded.
    LiteralTooLarge {
        /// Tag of the command, when it has a valid one.
        tag: Option<String>,
        /// Announced size (saturated at `u64::MAX`).
        size: u64,
    },
    /// A line is over the limit: send `* BYE` and close. The framer stops.
    LineTooLong,
    /// The stream cannot be framed any more (e.g. a non-synchronizing literal too large):
    /// send `* BYE` with the reason and close. The framer stops.
    Fatal(String),
}

/// Error of [`Framer::next_line`]: the line is over the limit (the framer stops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong;

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("line too long")
    }
}

impl std::error::Error for LineTooLong {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a command line.
    Line,
    /// Copying this many more literal octets (handing them out as they come when spilling).
    Literal { remaining: u64, spill: bool },
    /// Stopped after a fatal event.
    Dead,
}

/// The incremental framer of one connection.
#[derive(Debug)]
pub struct Framer {
    config: FramerConfig,
    buf: Vec<u8>,
    /// Start of unconsumed input in `buf`.
    start: usize,
    /// Bytes after `start` known to hold no LF.
    scanned: usize,
    /// The command being assembled (its part not yet handed out as [`FrameEvent::Partial`]).
    cmd: Vec<u8>,
    /// Octets of the current command already handed out as [`FrameEvent::Partial`].
    handed_out: u64,
    /// Literals of at least this size are spilled rather than buffered.
    spill_from: u64,
    state: State,
    queued: VecDeque<FrameEvent>,
}

impl Default for Framer {
    fn default() -> Self {
        Framer::with_config(FramerConfig::default())
    }
}

impl Framer {
    /// A framer with the given line and literal limits (see [`FramerConfig::new`]).
    pub fn new(max_line: usize, max_literal: u64) -> Self {
        Framer::with_config(FramerConfig::new(max_line, max_literal))
    }

    /// A framer with explicit limits.
    pub fn with_config(config: FramerConfig) -> Self {
        Framer {
            config,
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            cmd: Vec::new(),
            handed_out: 0,
            spill_from: u64::MAX,
            state: State::Line,
            queued: VecDeque::new(),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> FramerConfig {
        self.config
    }

    /// Changes the limits for the commands that follow (e.g. after login); call it between
    /// commands.
    pub fn set_config(&mut self, config: FramerConfig) {
        self.config = config;
    }

    /// Hands out commands with a literal of at least `size` octets in [`FrameEvent::Partial`]
    /// pieces instead of buffering them whole; `None` (the default) buffers every command.
    pub fn spill_literals_from(&mut self, size: Option<u64>) {
        self.spill_from = size.unwrap_or(u64::MAX);
    }

    /// Adds bytes read from the client. Ignored once the framer has stopped.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.state == State::Dead {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Forgets all buffered input and any partial command (after STARTTLS, so nothing sent in
    /// plaintext is read as protected). Also restarts a stopped framer.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.scanned = 0;
        self.cmd.clear();
        self.handed_out = 0;
        self.state = State::Line;
        self.queued.clear();
    }

    /// True when part of a command has been received but not yet handed out.
    pub fn in_command(&self) -> bool {
        !self.cmd.is_empty() || self.handed_out > 0
    }

    /// Number of received bytes not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// True after [`FrameEvent::LineTooLong`] or [`FrameEvent::Fatal`].
    pub fn is_stopped(&self) -> bool {
        self.state == State::Dead
    }

    /// The next event from the buffered input, or `None` when more input is needed.
    pub fn next_event(&mut self) -> Option<FrameEvent> {
        if let Some(ev) = self.queued.pop_front() {
            return Some(ev);
        }
        loop {
            match self.state {
                State::Dead => return None,
                State::Literal { remaining, spill } => {
                    let avail = (self.buf.len() - self.start) as u64;
                    if avail == 0 && remaining > 0 {
                        return None;
                    }
                    let n = remaining.min(avail) as usize;
                    let octets = &self.buf[self.start..self.start + n];
                    let piece = spill.then(|| octets.to_vec());
                    if !spill {
                        self.cmd.extend_from_slice(octets);
                    }
                    self.start += n;
                    let left = remaining - n as u64;
                    self.state =
                        if left > 0 { State::Literal { remaining: left, spill } } else { State::Line };
                    self.scanned = 0;
                    if let Some(piece) = piece {
                        self.handed_out += piece.len() as u64;
                        return Some(FrameEvent::Partial(piece));
                    }
                    if left > 0 {
                        return None;
                    }
                }
                State::Line => {
                    let Some(line_end) = self.find_line_end() else {
                        return self.queued.pop_front();
                    };
                    if let Some(ev) = self.take_line(line_end) {
                        return Some(ev);
                    }
                }
            }
        }
    }

    /// Reads one raw line without its line end and without literal processing, or `None`
    /// when no full line is buffered yet. Use it only between commands.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, LineTooLong>> {
        if self.state == State::Dead {
            return Some(Err(LineTooLong));
        }
        let end = match self.find_line_end() {
            Some(end) => end,
            None if self.state == State::Dead => return Some(Err(LineTooLong)),
            None => return None,
        };
        let raw = &self.buf[self.start..self.start + end];
        self.start += end + 1;
        self.scanned = 0;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.len() > self.config.max_line {
            self.state = State::Dead;
            return Some(Err(LineTooLong));
        }
        Some(Ok(line.to_vec()))
    }

    /// Offset of the next LF after `start`; `None` when there is none yet. Stops the framer
    /// (and queues nothing) when the buffered line is already over the limit.
    fn find_line_end(&mut self) -> Option<usize> {
        let data = &self.buf[self.start..];
        match data[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(i) => Some(self.scanned + i),
            None => {
                self.scanned = data.len();
                if data.len() > self.config.max_line.saturating_add(1) {
                    self.state = State::Dead;
                    self.queued.push_back(FrameEvent::LineTooLong);
                }
                None
            }
        }
    }

    /// Appends the line ending at `end` (offset of its LF) to the command and decides what
    /// follows it.
    fn take_line(&mut self, end: usize) -> Option<FrameEvent> {
        let raw = &self.buf[self.start..=self.start + end];
        let content = raw.strip_suffix(b"\n").unwrap_or(raw);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.len() > self.config.max_line {
            return Some(self.stop(FrameEvent::LineTooLong));
        }
        let marker = literal_marker(content);
        self.cmd.extend_from_slice(raw);
        self.start += end + 1;
        self.scanned = 0;
        let total = self.handed_out + self.cmd.len() as u64;
        if total > self.config.max_command {
            return Some(self.stop(FrameEvent::Fatal("Command too long".into())));
        }
        let Some((size, sync)) = marker else {
            self.handed_out = 0;
            return Some(FrameEvent::Command(std::mem::take(&mut self.cmd)));
        };
        let fits = size <= self.config.max_literal && total.saturating_add(size) <= self.config.max_command;
        if fits {
            let spill = size >= self.spill_from;
            self.state = State::Literal { remaining: size, spill };
            if sync {
                self.queued.push_back(FrameEvent::NeedContinuation);
            }
            if spill {
                self.handed_out += self.cmd.len() as u64;
                return Some(FrameEvent::Partial(std::mem::take(&mut self.cmd)));
            }
            return self.queued.pop_front();
        }
        match sync {
            true if self.handed_out == 0 => {
                let tag = command_tag(&self.cmd);
                self.cmd.clear();
                Some(FrameEvent::LiteralTooLarge { tag, size })
            }
            // Part of the command is gone already: it cannot be dropped cleanly.
            true => Some(self.stop(FrameEvent::Fatal("Literal too large".into()))),
            false => Some(self.stop(FrameEvent::Fatal("Literal too large".into()))),
        }
    }

    /// Stops the framer, returning `event`.
    fn stop(&mut self, event: FrameEvent) -> FrameEvent {
        self.state = State::Dead;
        self.cmd.clear();
        self.handed_out = 0;
        self.buf.clear();
        self.start = 0;
        self.scanned = 0;
        event
    }
}

/// The literal announced at the end of a line (`{n}`, `{n+}`, `~{n}`), as (size, synchronizing).
/// Sizes too large for u64 saturate.
fn literal_marker(line: &[u8]) -> Option<(u64, bool)> {
    let body = line.strip_suffix(b"}")?;
    let (body, sync) = match body.strip_suffix(b"+") {
        Some(b) => (b, false),
        None => (body, true),
    };
    let digits_start = body.iter().rposition(|b| !b.is_ascii_digit()).map_or(0, |i| i + 1);
    let digits = &body[digits_start..];
    if digits.is_empty() || body[..digits_start].last() != Some(&b'{') {
        return None;
    }
    let size = digits.iter().fold(0u64, |acc, &d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')));
    Some((size, sync))
}

/// The tag at the start of a command, when it is a valid one followed by a space.
fn command_tag(cmd: &[u8]) -> Option<String> {
    let end = cmd.iter().position(|&b| !is_tag_char(b))?;
    if end == 0 || cmd[end] != b' ' {
        return None;
    }
    Some(String::from_utf8_lossy(&cmd[..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(f: &mut Framer) -> Vec<FrameEvent> {
        std::iter::from_fn(|| f.next_event()).collect()
    }

    fn cmd(s: &[u8]) -> FrameEvent {
        FrameEvent::Command(s.to_vec())
    }

    #[test]
    fn simple_lines() {
        let mut f = Framer::default();
        f.push(b"a NOOP\r\nb CAPABILITY\nc LOG");
        assert_eq!(drain(&mut f), vec![cmd(b"a NOOP\r\n"), cmd(b"b CAPABILITY\n")]);
        f.push(b"OUT\r");
        assert_eq!(drain(&mut f), vec![]);
        f.push(b"\n");
        assert_eq!(drain(&mut f), vec![cmd(b"c LOGOUT\r\n")]);
        assert!(!f.in_command());
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn sync_literal_split_across_pushes() {
        let mut f = Framer::default();
        f.push(b"a LOGIN {4}\r");
        assert_eq!(drain(&mut f), vec![]);
        f.push(b"\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::NeedContinuation]);
        assert!(f.in_command());
        f.push(b"us");
        assert_eq!(drain(&mut f), vec![]);
        f.push(b"er {3}\r\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::NeedContinuation]);
        f.push(b"p\r\n\r\nb NOOP\r\n");
        assert_eq!(drain(&mut f), vec![cmd(b"a LOGIN {4}\r\nuser {3}\r\np\r\n\r\n"), cmd(b"b NOOP\r\n")]);
    }

    #[test]
    fn byte_at_a_time() {
        let input: &[u8] = b"a APPEND INBOX (\\Seen) {5+}\r\nhe}\n\r ~{2}\r\n\0\x01\r\nb NOOP\n";
        let mut f = Framer::default();
        let mut events = Vec::new();
        for &b in input {
            f.push(&[b]);
            events.extend(drain(&mut f));
        }
        assert_eq!(
            events,
            vec![
                FrameEvent::NeedContinuation,
                cmd(b"a APPEND INBOX (\\Seen) {5+}\r\nhe}\n\r ~{2}\r\n\0\x01\r\n"),
                cmd(b"b NOOP\n")
            ]
        );
    }

    #[test]
    fn zero_literal() {
        let mut f = Framer::default();
        f.push(b"a LOGIN {0+}\r\n {0}\r\n\r\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::NeedContinuation, cmd(b"a LOGIN {0+}\r\n {0}\r\n\r\n")]);
    }

    #[test]
    fn sync_literal_too_large_discards_command() {
        let mut f = Framer::new(1000, 10);
        f.push(b"A1 APPEND INBOX {11}\r\nA2 NOOP\r\n");
        assert_eq!(
            drain(&mut f),
            vec![FrameEvent::LiteralTooLarge { tag: Some("A1".into()), size: 11 }, cmd(b"A2 NOOP\r\n")]
        );
        f.push(b"+bad {99999999999999999999999}\r\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::LiteralTooLarge { tag: None, size: u64::MAX }]);
        assert!(!f.is_stopped());
    }

    #[test]
    fn nonsync_literal_too_large_is_fatal() {
        let mut f = Framer::new(1000, 10);
        f.push(b"A1 APPEND INBOX {11+}\r\nhello world\r\nA2 NOOP\r\n");
        assert!(matches!(drain(&mut f).as_slice(), [FrameEvent::Fatal(_)]));
        assert!(f.is_stopped());
        f.push(b"A3 NOOP\r\n");
        assert_eq!(drain(&mut f), vec![]);
        f.reset();
        f.push(b"A3 NOOP\r\n");
        assert_eq!(drain(&mut f), vec![cmd(b"A3 NOOP\r\n")]);
    }

    #[test]
    fn line_too_long() {
        let mut f = Framer::new(10, 100);
        f.push(b"a 34567890\r\n");
        assert_eq!(drain(&mut f), vec![cmd(b"a 34567890\r\n")]);
        f.push(b"a 345678901\r\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::LineTooLong]);
        let mut f = Framer::new(10, 100);
        f.push(b"a 3456789012345");
        assert_eq!(drain(&mut f), vec![FrameEvent::LineTooLong]);
        assert_eq!(drain(&mut f), vec![]);
        // Literal octets do not count towards the line length.
        let mut f = Framer::new(10, 100);
        f.push(b"a X {20+}\r\n01234567890123456789\r\n");
        assert_eq!(drain(&mut f), vec![cmd(b"a X {20+}\r\n01234567890123456789\r\n")]);
    }

    #[test]
    fn whole_command_is_bounded() {
        let mut f = Framer::with_config(FramerConfig { max_line: 100, max_literal: 10, max_command: 40 });
        f.push(b"a X {0+}\r\n {0+}\r\n {0+}\r\n {0+}\r\n {0+}\r\n {0+}\r\n");
        assert!(matches!(drain(&mut f).as_slice(), [FrameEvent::Fatal(_)]));
        let mut f = Framer::with_config(FramerConfig { max_line: 100, max_literal: 10, max_command: 19 });
        f.push(b"a X {10}\r\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::LiteralTooLarge { tag: Some("a".into()), size: 10 }]);
    }

    #[test]
    fn large_literals_are_handed_out_in_pieces() {
        let mut f = Framer::default();
        f.spill_literals_from(Some(8));
        f.push(b"a APPEND INBOX {3}\r\nabc\r\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::NeedContinuation, cmd(b"a APPEND INBOX {3}\r\nabc\r\n")]);
        f.push(b"b APPEND INBOX {10}\r\n01234");
        assert_eq!(
            drain(&mut f),
            vec![
                FrameEvent::Partial(b"b APPEND INBOX {10}\r\n".to_vec()),
                FrameEvent::NeedContinuation,
                FrameEvent::Partial(b"01234".to_vec())
            ]
        );
        assert!(f.in_command());
        f.push(b"56789 {8+}\r\nABCDEFGH\r\nc NOOP\r\n");
        assert_eq!(
            drain(&mut f),
            vec![
                FrameEvent::Partial(b"56789".to_vec()),
                FrameEvent::Partial(b" {8+}\r\n".to_vec()),
                FrameEvent::Partial(b"ABCDEFGH".to_vec()),
                cmd(b"\r\n"),
                cmd(b"c NOOP\r\n")
            ]
        );
        assert!(!f.in_command());
    }

    #[test]
    fn spilled_command_is_still_bounded() {
        let mut f = Framer::with_config(FramerConfig { max_line: 100, max_literal: 10, max_command: 30 });
        f.spill_literals_from(Some(4));
        f.push(b"a X {10+}\r\n0123456789 {10}\r\n");
        let events = drain(&mut f);
        assert!(matches!(events.last(), Some(FrameEvent::Fatal(_))), "{events:?}");
        assert!(f.is_stopped());
    }

    #[test]
    fn limits_change_between_commands() {
        let mut f = Framer::with_config(FramerConfig::PRE_AUTH);
        f.push(b"a LOGIN u {9000}\r\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::LiteralTooLarge { tag: Some("a".into()), size: 9000 }]);
        f.set_config(FramerConfig::default());
        f.push(b"b APPEND INBOX {9000}\r\n");
        assert_eq!(drain(&mut f), vec![FrameEvent::NeedContinuation]);
    }

    #[test]
    fn raw_lines() {
        let mut f = Framer::new(10, 100);
        f.push(b"DONE\r\nZm9v\nab");
        assert_eq!(f.next_line(), Some(Ok(b"DONE".to_vec())));
        assert_eq!(f.next_line(), Some(Ok(b"Zm9v".to_vec())));
        assert_eq!(f.next_line(), None);
        f.push(b"c {5}\r\n");
        assert_eq!(f.next_line(), Some(Ok(b"abc {5}".to_vec())));
        f.push(b"0123456789012");
        assert_eq!(f.next_line(), Some(Err(LineTooLong)));
    }

    #[test]
    fn markers() {
        assert_eq!(literal_marker(b"a {5}"), Some((5, true)));
        assert_eq!(literal_marker(b"a ~{5+}"), Some((5, false)));
        assert_eq!(literal_marker(b"{0}"), Some((0, true)));
        assert_eq!(literal_marker(b"a {}"), None);
        assert_eq!(literal_marker(b"a {+}"), None);
        assert_eq!(literal_marker(b"a 5}"), None);
        assert_eq!(literal_marker(b"a {5a}"), None);
        assert_eq!(command_tag(b"A1 X"), Some("A1".into()));
        assert_eq!(command_tag(b"A+1 X"), None);
        assert_eq!(command_tag(b"A1"), None);
    }
}
