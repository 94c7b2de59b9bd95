//! The syntax tree of a script as written (RFC 5228 section 8.2), before validation.

/// One argument of a command or test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    /// `:tag`, lowercased, without the colon.
    Tag(String),
    /// A number, quantifier applied.
    Number(u64),
    /// A single string.
    Str(String),
    /// A bracketed string list.
    List(Vec<String>),
}

/// An argument and its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argument {
    /// The value.
    pub value: ArgValue,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A test: identifier, arguments and nested tests (for allof/anyof/not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestNode {
    /// Lowercased name.
    pub name: String,
    /// Arguments in order.
    pub args: Vec<Argument>,
    /// Nested tests (a single test or a parenthesised test list).
    pub tests: Vec<TestNode>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A command: identifier, arguments, optional tests and optional block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandNode {
    /// Lowercased name.
    pub name: String,
    /// Arguments in order.
    pub args: Vec<Argument>,
    /// Tests (one for `if`).
    pub tests: Vec<TestNode>,
    /// The `{ ... }` block, if any.
    pub block: Option<Vec<CommandNode>>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}
