//! A one-line progress bar on standard error, drawn only when that is a terminal (logs and
//! pipes get just the summary lines).

use std::io::{IsTerminal, Write};

/// Width of the bar in characters.
const WIDTH: u64 = 30;

/// Progress of copying one folder.
pub struct Bar {
    label: String,
    total: u64,
    done: u64,
    draw: bool,
}

impl Bar {
    /// A bar for `total` messages of `label`.
    pub fn new(label: &str, total: u64) -> Bar {
        let bar = Bar { label: label.to_string(), total, done: 0, draw: std::io::stderr().is_terminal() };
        bar.render();
        bar
    }

    /// Counts `n` more messages done.
    pub fn advance(&mut self, n: u64) {
        self.done = (self.done + n).min(self.total);
        self.render();
    }

    /// Clears the bar's line.
    pub fn finish(self) {
        if self.draw {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }

    fn render(&self) {
        if !self.draw {
            return;
        }
        let filled = (self.done * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        let bar: String = (0..WIDTH).map(|i| if i < filled { '#' } else { '-' }).collect();
        eprint!("\r[{bar}] {}/{} {}", self.done, self.total, self.label);
        let _ = std::io::stderr().flush();
    }
}
