//! Calendar arithmetic for IMAP dates: proleptic Gregorian days since the Unix epoch,
//! and the month names IMAP uses. No time-zone database: IMAP carries numeric offsets.

/// Month abbreviations as IMAP writes them (`Jan` ... `Dec`).
pub const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Days since 1970-01-01 of the civil date (year, month 1-12, day 1-31).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day 1-31) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// True for Gregorian leap years.
pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in a month (1-12) of a year; 0 for an invalid month.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The month number (1-12) of an abbreviation like `jan`, compared case-insensitively.
pub fn month_from_name(name: &[u8]) -> Option<u32> {
    MONTHS.iter().position(|m| m.as_bytes().eq_ignore_ascii_case(name)).map(|i| i as u32 + 1)
}

/// Parses a quoted IMAP date-time (`"17-Jul-1996 02:44:25 -0700"`, quotes included, as
/// INTERNALDATE is sent) into seconds since the epoch (UTC) and the zone offset in minutes.
pub fn parse_date_time(quoted: &[u8]) -> Option<(i64, i32)> {
    let mut cursor = super::lexer::Cursor::new(quoted);
    let value = cursor.date_time().ok()?;
    cursor.at_eol().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_date_times() {
        assert_eq!(parse_date_time(b"\"01-Jan-1970 01:00:00 +0100\""), Some((0, 60)));
        assert_eq!(parse_date_time(b"\" 2-Feb-2024 10:00:00 -0230\""), Some((1_706_877_000, -150)));
        assert_eq!(parse_date_time(b"\"01-Jan-1970 01:00:00 +0100\" x"), None);
        assert_eq!(parse_date_time(b"01-Jan-1970 01:00:00 +0100"), None);
    }

    #[test]
    fn round_trips_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for d in (-800_000..800_000).step_by(97) {
            let (y, m, dd) = civil_from_days(d);
            assert!(dd >= 1 && dd <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn months_and_leap_years() {
        assert_eq!(month_from_name(b"fEb"), Some(2));
        assert_eq!(month_from_name(b"Foo"), None);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2000, 13), 0);
    }
}
