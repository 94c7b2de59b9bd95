//! `date` / `currentdate` (RFC 5260): zones and date-part extraction from epoch seconds.

/// The date parts RFC 5260 section 4.2 defines.
pub const PARTS: &[&str] = &[
    "year", "month", "day", "date", "julian", "hour", "minute", "second", "time", "iso8601", "std11", "zone",
    "weekday",
];

/// Parses a `+hhmm` / `-hhmm` zone into minutes east of UTC.
pub fn parse_zone(z: &str) -> Option<i32> {
    let b = z.as_bytes();
    if b.len() != 5 || !matches!(b[0], b'+' | b'-') || !b[1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let h: i32 = z[1..3].parse().ok()?;
    let m: i32 = z[3..5].parse().ok()?;
    if h > 23 || m > 59 {
        return None;
    }
    let v = h * 60 + m;
    Some(if b[0] == b'-' { -v } else { v })
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn zone_str(offset_min: i32, colon: bool) -> String {
    let sign = if offset_min < 0 { '-' } else { '+' };
    let a = offset_min.unsigned_abs();
    if colon {
        format!("{sign}{:02}:{:02}", a / 60, a % 60)
    } else {
        format!("{sign}{:02}{:02}", a / 60, a % 60)
    }
}

/// The value of date part `part` for `secs` (UTC epoch) shown in zone `offset_min`.
pub fn part(secs: i64, offset_min: i32, part: &str) -> Option<String> {
    let local = secs + offset_min as i64 * 60;
    let days = local.div_euclid(86_400);
    let sod = local.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
    let weekday = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday
    const WD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MN: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    Some(match part.to_ascii_lowercase().as_str() {
        "year" => format!("{y:04}"),
        "month" => format!("{mo:02}"),
        "day" => format!("{d:02}"),
        "date" => format!("{y:04}-{mo:02}-{d:02}"),
        "julian" => (days + 40_587).to_string(),
        "hour" => format!("{h:02}"),
        "minute" => format!("{mi:02}"),
        "second" => format!("{s:02}"),
        "time" => format!("{h:02}:{mi:02}:{s:02}"),
        "iso8601" => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{}", zone_str(offset_min, true)),
        "std11" => format!(
            "{}, {d:02} {} {y:04} {h:02}:{mi:02}:{s:02} {}",
            WD[weekday as usize],
            MN[mo as usize - 1],
            zone_str(offset_min, false)
        ),
        "zone" => zone_str(offset_min, false),
        "weekday" => weekday.to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        // 2008-01-01 12:00:00 UTC = 1199188800
        let t = 1_199_188_800;
        assert_eq!(part(t, 0, "date").unwrap(), "2008-01-01");
        assert_eq!(part(t, 0, "julian").unwrap(), "54466");
        assert_eq!(part(t, 0, "weekday").unwrap(), "2");
        assert_eq!(part(t, -480, "iso8601").unwrap(), "2008-01-01T04:00:00-08:00");
        assert_eq!(part(t, 60, "std11").unwrap(), "Tue, 01 Jan 2008 13:00:00 +0100");
        assert_eq!(parse_zone("-0730"), Some(-450));
        assert_eq!(parse_zone("0730"), None);
    }
}
