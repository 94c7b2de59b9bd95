//! Tokenizer for the RFC 5228 section 8.1 lexical grammar: identifiers, tags, numbers with
//! K/M/G quantifiers, quoted and `text:` multi-line strings, punctuation and comments.

use crate::error::ParseError;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// An identifier such as `if` or `header`.
    Identifier(String),
    /// A tagged argument such as `:is` (stored without the colon).
    Tag(String),
    /// A number with its quantifier applied.
    Number(u64),
    /// A quoted or multi-line string, escapes and dot-stuffing removed.
    Str(String),
    /// `;`
    Semicolon,
    /// `,`
    Comma,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// End of input.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub kind: TokenKind,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    column: usize,
    _src: &'a str,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }
    fn err(&self, line: usize, column: usize, msg: impl Into<String>) -> ParseError {
        ParseError::new(line, column, msg)
    }

    /// Skips whitespace and comments.
    fn skip_ws(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r' | '\n') => {
                    self.bump();
                }
                Some('#') => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                Some('/') if self.peek_at(1) == Some('*') => {
                    let (l, c) = (self.line, self.column);
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            None => return Err(self.err(l, c, "unterminated comment")),
                            Some('*') if self.peek() == Some('/') => {
                                self.bump();
                                break;
                            }
                            Some(_) => {}
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn quoted(&mut self, line: usize, column: usize) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err(line, column, "unterminated string")),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    None => return Err(self.err(line, column, "unterminated string")),
                    Some(c) => out.push(c),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn multiline(&mut self, line: usize, column: usize) -> Result<String, ParseError> {
        // after "text:": optional whitespace, optional hash comment, then a newline
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
        if self.peek() == Some('#') {
            while !matches!(self.peek(), Some('\n') | None) {
                self.bump();
            }
        }
        if self.peek() == Some('\r') {
            self.bump();
        }
        if self.bump() != Some('\n') {
            return Err(self.err(line, column, "expected newline after 'text:'"));
        }
        let mut out = String::new();
        loop {
            // read one line including its terminator
            let mut l = String::new();
            let mut ended = false;
            while let Some(c) = self.bump() {
                l.push(c);
                if c == '\n' {
                    ended = true;
                    break;
                }
            }
            if !ended && l.is_empty() {
                return Err(self.err(line, column, "unterminated multi-line string"));
            }
            let body = l.trim_end_matches('\n').trim_end_matches('\r');
            if body == "." {
                return Ok(out);
            }
            if !ended {
                return Err(self.err(line, column, "unterminated multi-line string"));
            }
            if let Some(rest) = l.strip_prefix('.') {
                out.push_str(rest);
            } else {
                out.push_str(&l);
            }
        }
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        self.skip_ws()?;
        let (line, column) = (self.line, self.column);
        let tok = |kind| Ok(Token { kind, line, column });
        let Some(c) = self.bump() else {
            return tok(TokenKind::Eof);
        };
        match c {
            ';' => tok(TokenKind::Semicolon),
            ',' => tok(TokenKind::Comma),
            '(' => tok(TokenKind::LParen),
            ')' => tok(TokenKind::RParen),
            '[' => tok(TokenKind::LBracket),
            ']' => tok(TokenKind::RBracket),
            '{' => tok(TokenKind::LBrace),
            '}' => tok(TokenKind::RBrace),
            '"' => {
                let s = self.quoted(line, column)?;
                tok(TokenKind::Str(s))
            }
            ':' => {
                let Some(first) = self.peek().filter(|c| c.is_ascii_alphabetic() || *c == '_') else {
                    return Err(self.err(line, column, "expected tag name after ':'"));
                };
                let mut name = String::from(first);
                self.bump();
                while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    name.push(c);
                    self.bump();
                }
                tok(TokenKind::Tag(name.to_ascii_lowercase()))
            }
            c if c.is_ascii_digit() => {
                let mut n: u64 = c as u64 - '0' as u64;
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.bump();
                    n = n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(d as u64 - '0' as u64))
                        .ok_or_else(|| self.err(line, column, "number too large"))?;
                }
                let mult: u64 = match self.peek() {
                    Some('k' | 'K') => 1 << 10,
                    Some('m' | 'M') => 1 << 20,
                    Some('g' | 'G') => 1 << 30,
                    _ => 1,
                };
                if mult > 1 {
                    self.bump();
                }
                if self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(self.err(line, column, "invalid number"));
                }
                let n = n.checked_mul(mult).ok_or_else(|| self.err(line, column, "number too large"))?;
                tok(TokenKind::Number(n))
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::from(c);
                while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    name.push(c);
                    self.bump();
                }
                if name.eq_ignore_ascii_case("text") && self.peek() == Some(':') {
                    self.bump();
                    let s = self.multiline(line, column)?;
                    return tok(TokenKind::Str(s));
                }
                tok(TokenKind::Identifier(name.to_ascii_lowercase()))
            }
            other => Err(self.err(line, column, format!("unexpected character '{other}'"))),
        }
    }
}

/// Splits a script into tokens, ending with [`TokenKind::Eof`].
pub fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer { chars: src.chars().collect(), pos: 0, line: 1, column: 1, _src: src };
    let mut out = Vec::new();
    loop {
        let t = lx.next()?;
        let end = t.kind == TokenKind::Eof;
        out.push(t);
        if end {
            return Ok(out);
        }
    }
}
