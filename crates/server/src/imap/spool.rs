//! Commands too large to hold in memory (a big APPEND): their bytes go to an unnamed file in
//! `DATA/tmp` as they arrive and are mapped back read-only for parsing and storing, so the
//! server's memory does not grow with the message size.

use std::fs::{self, File};
use std::io::{self, Write};
use std::ops::Deref;
use std::path::Path;

use memmap2::Mmap;

/// Literals of at least this many octets are spooled after login.
pub const SPOOL_FROM: u64 = 1024 * 1024;

/// A complete command's bytes, in memory or spooled.
pub enum CommandBytes {
    /// Held in memory (the usual case).
    Memory(Vec<u8>),
    /// Written to an unnamed file and mapped (removed when dropped).
    Spooled(Mmap),
}

impl Deref for CommandBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            CommandBytes::Memory(bytes) => bytes,
            CommandBytes::Spooled(map) => map,
        }
    }
}

/// A command being written to its unnamed file.
pub struct Spool {
    file: io::BufWriter<File>,
}

impl Spool {
    /// An empty unnamed file in `dir` (created if missing); it vanishes with the last handle.
    pub fn create(dir: &Path) -> io::Result<Spool> {
        fs::create_dir_all(dir)?;
        let file = tempfile::tempfile_in(dir)?;
        Ok(Spool { file: io::BufWriter::with_capacity(256 * 1024, file) })
    }

    /// Appends bytes of the command.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    /// The whole command, mapped read-only.
    pub fn finish(self) -> io::Result<CommandBytes> {
        let file = self.file.into_inner().map_err(io::IntoInnerError::into_error)?;
        // SAFETY: the file is unnamed and private to this connection: nothing else can change
        // or truncate it while it is mapped.
        let map = unsafe { Mmap::map(&file)? };
        Ok(CommandBytes::Spooled(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spooled_bytes_read_back_and_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        let mut spool = Spool::create(&tmp).unwrap();
        spool.write(b"a APPEND INBOX {5}\r\n").unwrap();
        spool.write(b"hello\r\n").unwrap();
        let bytes = spool.finish().unwrap();
        assert_eq!(&*bytes, b"a APPEND INBOX {5}\r\nhello\r\n");
        assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
    }
}
