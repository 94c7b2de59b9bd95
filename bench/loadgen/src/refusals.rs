//! Tagged answers that were not OK, counted by kind, so that a figure measured with errors
//! says so (bench/run prints them beside it).

use crate::client::Reply;

/// Tagged NO and BAD answers seen by a scenario.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusals {
    /// Tagged NO: the command was valid but failed.
    pub no: u64,
    /// Tagged BAD, or a tagged status that is neither OK nor NO (a protocol error too).
    pub bad: u64,
}

impl Refusals {
    /// Counts `reply` if it is not OK; returns whether it was counted.
    pub fn count(&mut self, reply: &Reply) -> bool {
        match reply.status.as_str() {
            "OK" => return false,
            "NO" => self.no += 1,
            _ => self.bad += 1,
        }
        true
    }

    /// Adds the counts of another client.
    pub fn add(&mut self, other: Refusals) {
        self.no += other.no;
        self.bad += other.bad;
    }

    /// NO and BAD together.
    pub fn total(&self) -> u64 {
        self.no + self.bad
    }

    /// Prints the `RESULT no`, `RESULT bad` and `RESULT errors` (their sum) lines.
    pub fn report(&self) {
        crate::result("no", self.no as f64);
        crate::result("bad", self.bad as f64);
        crate::result("errors", self.total() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(line: &str) -> Reply {
        Reply::tagged("a7", line.as_bytes(), Vec::new(), line.len())
    }

    #[test]
    fn counts_no_and_bad_apart_and_ok_not_at_all() {
        let mut r = Refusals::default();
        assert!(!r.count(&reply("a7 OK FETCH completed\r\n")));
        assert!(r.count(&reply("a7 NO [EXPUNGEISSUED] Some messages were expunged\r\n")));
        assert!(r.count(&reply("a7 no lower case counts too\r\n")));
        assert!(r.count(&reply("a7 BAD Unknown command\r\n")));
        assert!(r.count(&reply("a7 WHAT is this\r\n")), "an unknown status is a protocol error");
        assert_eq!(r, Refusals { no: 2, bad: 2 });
        let mut sum = Refusals { no: 1, bad: 0 };
        sum.add(r);
        assert_eq!((sum.no, sum.bad, sum.total()), (3, 2, 5));
    }
}
