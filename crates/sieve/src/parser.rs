//! Recursive-descent parser from tokens to the syntax tree (RFC 5228 section 8.2).

use crate::ast::{ArgValue, Argument, CommandNode, TestNode};
use crate::error::ParseError;
use crate::lexer::{tokenize, Token, TokenKind};

/// Deepest nesting of blocks and tests accepted, so hostile scripts cannot overflow the stack.
pub const MAX_NESTING: usize = 64;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }
    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn err_at(t: &Token, msg: impl Into<String>) -> ParseError {
        ParseError::new(t.line, t.column, msg)
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Self::err_at(self.peek(), "nesting too deep"));
        }
        Ok(())
    }

    fn commands(&mut self, in_block: bool) -> Result<Vec<CommandNode>, ParseError> {
        let mut out = Vec::new();
        loop {
            let t = self.peek().clone();
            match &t.kind {
                TokenKind::Eof if !in_block => return Ok(out),
                TokenKind::Eof => return Err(Self::err_at(&t, "expected '}' before end of script")),
                TokenKind::RBrace if in_block => return Ok(out),
                TokenKind::Identifier(_) => out.push(self.command()?),
                _ => return Err(Self::err_at(&t, "expected command")),
            }
        }
    }

    fn command(&mut self) -> Result<CommandNode, ParseError> {
        let t = self.next();
        let TokenKind::Identifier(name) = t.kind else { unreachable!() };
        let args = self.arguments()?;
        let mut tests = Vec::new();
        match self.peek().kind {
            TokenKind::Identifier(_) => tests.push(self.test()?),
            TokenKind::LParen => tests = self.test_list()?,
            _ => {}
        }
        let after = self.next();
        let block = match after.kind {
            TokenKind::Semicolon => None,
            TokenKind::LBrace => {
                self.enter()?;
                let b = self.commands(true)?;
                self.depth -= 1;
                self.next(); // '}'
                Some(b)
            }
            _ => return Err(Self::err_at(&after, "expected ';' after command")),
        };
        Ok(CommandNode { name, args, tests, block, line: t.line, column: t.column })
    }

    fn arguments(&mut self) -> Result<Vec<Argument>, ParseError> {
        let mut args = Vec::new();
        loop {
            let t = self.peek().clone();
            let value = match t.kind {
                TokenKind::Tag(s) => ArgValue::Tag(s),
                TokenKind::Number(n) => ArgValue::Number(n),
                TokenKind::Str(s) => ArgValue::Str(s),
                TokenKind::LBracket => {
                    self.next();
                    let mut list = Vec::new();
                    loop {
                        let s = self.next();
                        match s.kind {
                            TokenKind::Str(v) => list.push(v),
                            _ => return Err(Self::err_at(&s, "expected string in string list")),
                        }
                        let sep = self.next();
                        match sep.kind {
                            TokenKind::Comma => {}
                            TokenKind::RBracket => break,
                            _ => return Err(Self::err_at(&sep, "expected ',' or ']' in string list")),
                        }
                    }
                    args.push(Argument { value: ArgValue::List(list), line: t.line, column: t.column });
                    continue;
                }
                _ => return Ok(args),
            };
            self.next();
            args.push(Argument { value, line: t.line, column: t.column });
        }
    }

    fn test(&mut self) -> Result<TestNode, ParseError> {
        let t = self.next();
        let TokenKind::Identifier(name) = t.kind else {
            return Err(Self::err_at(&t, "expected test"));
        };
        self.enter()?;
        let args = self.arguments()?;
        let mut tests = Vec::new();
        match self.peek().kind {
            TokenKind::Identifier(_) => tests.push(self.test()?),
            TokenKind::LParen => tests = self.test_list()?,
            _ => {}
        }
        self.depth -= 1;
        Ok(TestNode { name, args, tests, line: t.line, column: t.column })
    }

    fn test_list(&mut self) -> Result<Vec<TestNode>, ParseError> {
        self.next(); // '('
        self.enter()?;
        let mut out = Vec::new();
        loop {
            out.push(self.test()?);
            let sep = self.next();
            match sep.kind {
                TokenKind::Comma => {}
                TokenKind::RParen => break,
                _ => return Err(Self::err_at(&sep, "expected ',' or ')' in test list")),
            }
        }
        self.depth -= 1;
        Ok(out)
    }
}

/// Parses a script into its syntax tree without checking commands or extensions.
pub fn parse_tree(src: &str) -> Result<Vec<CommandNode>, ParseError> {
    let toks = tokenize(src)?;
    let mut p = Parser { toks, pos: 0, depth: 0 };
    p.commands(false)
}
