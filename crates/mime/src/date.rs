//! Lenient RFC 5322 date-time parsing.

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn zone_offset(z: &str) -> Option<i32> {
    let b = z.as_bytes();
    if (b.first() == Some(&b'+') || b.first() == Some(&b'-'))
        && b.len() >= 5
        && b[1..5].iter().all(u8::is_ascii_digit)
    {
        let n: i32 = z[1..5].parse().ok()?;
        let mins = (n / 100) * 60 + n % 100;
        return Some(if b[0] == b'-' { -mins } else { mins });
    }
    let h = match z.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        s if s.chars().all(|c| c.is_ascii_alphabetic()) => 0,
        _ => return None,
    };
    Some(h * 60)
}

/// Parses an RFC 5322 date-time (lenient: obsolete zones, missing day-of-week, extra
/// spaces, comments, two-digit years, missing seconds or zone) into (epoch seconds, zone
/// offset in minutes).
pub fn parse_date(value: &str) -> Option<(i64, i32)> {
    // drop comments and commas
    let mut clean = String::with_capacity(value.len());
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            ',' => clean.push(' '),
            _ => clean.push(c),
        }
    }
    let mut tokens = clean.split_whitespace().peekable();
    let first = *tokens.peek()?;
    if first.chars().all(|c| c.is_ascii_alphabetic()) && !is_month(first) {
        tokens.next();
    }
    let mut day_tok = tokens.next()?;
    let month_tok;
    if is_month(day_tok) {
        // "Jan 5 2020" order
        month_tok = day_tok;
        day_tok = tokens.next()?;
    } else {
        month_tok = tokens.next()?;
    }
    let day: i64 = day_tok.parse().ok()?;
    let month = MONTHS
        .iter()
        .position(|m| month_tok.len() >= 3 && month_tok.as_bytes()[..3].eq_ignore_ascii_case(m.as_bytes()))?
        as i64
        + 1;
    let year_tok = tokens.next()?;
    let mut year: i64 = year_tok.parse().ok()?;
    year = match year_tok.len() {
        1 | 2 if year < 50 => year + 2000,
        1 | 2 => year + 1900,
        3 => year + 1900,
        _ => year,
    };
    let (mut h, mut mi, mut s) = (0i64, 0i64, 0i64);
    let mut zone = 0;
    if let Some(t) = tokens.next() {
        let (time, rest) = match t.find(['+', '-']) {
            Some(i) => (&t[..i], Some(&t[i..])),
            None => (t, None),
        };
        let mut parts = time.split(':');
        h = parts.next()?.parse().ok()?;
        mi = parts.next()?.parse().ok()?;
        if let Some(sec) = parts.next() {
            s = sec.parse().ok()?;
        }
        let ztok = rest.or_else(|| tokens.next());
        if let Some(z) = ztok {
            zone = zone_offset(z).unwrap_or(0);
        }
    }
    if !(1..=31).contains(&day) || !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..=60).contains(&s) {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + s - i64::from(zone) * 60;
    Some((secs, zone))
}

fn is_month(t: &str) -> bool {
    t.len() >= 3 && MONTHS.iter().any(|m| t.as_bytes()[..3].eq_ignore_ascii_case(m.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("Thu, 01 Jan 1970 00:00:00 +0000"), Some((0, 0)));
        assert_eq!(parse_date("Fri, 21 Nov 1997 09:55:06 -0600"), Some((880_127_706, -360)));
        assert_eq!(parse_date("21 Nov 97 09:55:06 CST"), Some((880_127_706, -360)));
        assert_eq!(parse_date("  Fri,  21   Nov 1997 15:55 (comment)"), Some((880_127_700, 0)));
        assert_eq!(parse_date("Tue, 1 Jan 2019 10:00:00 +0100 (CET)"), Some((1_546_333_200, 60)));
        assert_eq!(parse_date("garbage"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("1 éé 2020"), None);
    }
}
