//! Where the shell's commands and secrets come from: a terminal with line editing and
//! history, or the lines of a script (a file or standard input).

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

/// The history file in the home directory.
const HISTORY_FILE: &str = ".bushbuck_admin_history";

/// A source of command lines.
pub enum Input {
    /// An interactive terminal.
    Terminal {
        /// The line editor.
        editor: Box<DefaultEditor>,
        /// The prompt.
        prompt: String,
        /// Where history is kept, when there is a home directory.
        history: Option<PathBuf>,
    },
    /// A script file.
    File {
        /// Its lines.
        reader: BufReader<File>,
        /// Its name, for messages.
        name: String,
        /// The number of the last line read.
        line: usize,
    },
    /// Standard input that is not a terminal.
    Stdin {
        /// The number of the last line read.
        line: usize,
    },
}

impl Input {
    /// A terminal session with `prompt`, history loaded from `~/.bushbuck_admin_history`.
    pub fn terminal(prompt: String) -> Result<Input, String> {
        let mut editor = DefaultEditor::new().map_err(|e| format!("cannot set up line editing: {e}"))?;
        let history = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(HISTORY_FILE));
        if let Some(path) = &history {
            let _ = editor.load_history(path);
        }
        Ok(Input::Terminal { editor: Box::new(editor), prompt, history })
    }

    /// The lines of a script file.
    pub fn file(path: &std::path::Path) -> Result<Input, String> {
        let file = File::open(path).map_err(|e| format!("cannot read the script {}: {e}", path.display()))?;
        Ok(Input::File { reader: BufReader::new(file), name: path.display().to_string(), line: 0 })
    }

    /// Whether a person is typing (errors then do not stop the shell).
    pub fn is_interactive(&self) -> bool {
        matches!(self, Input::Terminal { .. })
    }

    /// Where the last line came from, for error messages (empty on a terminal).
    pub fn location(&self) -> String {
        match self {
            Input::Terminal { .. } => String::new(),
            Input::File { name, line, .. } => format!("{name}:{line}: "),
            Input::Stdin { line } => format!("line {line}: "),
        }
    }

    /// The next command line; `None` at the end (end of file, or Ctrl-D).
    pub fn next_line(&mut self) -> Result<Option<String>, String> {
        match self {
            Input::Terminal { editor, prompt, history } => loop {
                match editor.readline(prompt) {
                    Ok(line) => {
                        if !line.trim().is_empty() {
                            let _ = editor.add_history_entry(line.as_str());
                            if let Some(path) = history {
                                let _ = editor.save_history(path);
                            }
                        }
                        return Ok(Some(line));
                    }
                    Err(ReadlineError::Interrupted) => continue,
                    Err(ReadlineError::Eof) => return Ok(None),
                    Err(e) => return Err(format!("cannot read from the terminal: {e}")),
                }
            },
            Input::File { reader, name, line } => {
                *line += 1;
                read_line(reader).map_err(|e| format!("cannot read {name}: {e}"))
            }
            Input::Stdin { line } => {
                *line += 1;
                read_line(&mut std::io::stdin().lock())
                    .map_err(|e| format!("cannot read standard input: {e}"))
            }
        }
    }
}

/// Reads a secret: from the terminal without echo when standard input is one, else the next
/// line of standard input.
pub fn read_secret(prompt: &str) -> Result<String, String> {
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).map_err(|e| format!("cannot read the password: {e}"))?
    } else {
        read_line(&mut std::io::stdin().lock())
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?
            .ok_or("standard input ended where a password line was expected")?
    };
    if secret.is_empty() {
        return Err("the password is empty".into());
    }
    Ok(secret)
}

fn read_line(reader: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
}
