//! Showing how far a migration is: a progress bar of messages copied on a terminal, one line
//! per owner otherwise (logs, pipes, tests).

use indicatif::{ProgressBar, ProgressStyle};

/// The progress of one migration.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `total` messages on standard error (hidden when that is not a terminal).
    pub fn new(total: u64) -> Progress {
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{prefix:>20} [{bar:40}] {pos}/{len} messages ({per_sec}, {eta} left)",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress { bar }
    }

    /// Working on `owner` now.
    pub fn start(&self, owner: &str) {
        self.bar.set_prefix(super::owner_label(owner));
    }

    /// `n` more messages handled (copied, or found already there).
    pub fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    /// An owner is done: its summary line, above the bar or alone when the bar is hidden.
    pub fn finish_owner(&self, line: &str) {
        if self.bar.is_hidden() {
            println!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
