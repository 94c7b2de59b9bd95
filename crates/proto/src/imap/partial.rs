//! The PARTIAL range of RFC 9394 4: `nz-number ":" nz-number` or, counted from the last
//! result, `"-" nz-number ":" "-" nz-number`; either end may come first.

use super::command::PartialRange;
use super::lexer::{Cursor, PResult};

/// Reads a PARTIAL range.
pub(crate) fn read_partial_range(c: &mut Cursor<'_>) -> PResult<PartialRange> {
    const FORM: &str = "a PARTIAL range is 1:100 (from the first result) or -1:-100 (from the last)";
    let from_end = c.eat(b'-');
    let a = c.nz_number("PARTIAL range")?;
    c.expect(b':', FORM)?;
    if c.eat(b'-') != from_end {
        return Err(format!("Mixed signs: {FORM}"));
    }
    let b = c.nz_number("PARTIAL range")?;
    Ok(PartialRange { low: a.min(b), high: a.max(b), from_end })
}
