//! Calendar arithmetic for ODK dates and dateTimes.
//!
//! Written by hand rather than pulled from a date crate: the language needs only the
//! proleptic Gregorian calendar (days since 1970-01-01), ISO 8601 parsing of the shapes
//! forms store, and ODK's own `format-date` patterns, which no strftime-style crate speaks.

pub const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 for a civil date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
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

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// A point in time: milliseconds since the epoch (UTC) and the UTC offset it was written in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DateTime {
    pub epoch_ms: i64,
    pub offset_minutes: i32,
}

impl DateTime {
    /// The wall-clock fields in the value's own offset.
    pub fn local_fields(self) -> Fields {
        let local = self.epoch_ms + i64::from(self.offset_minutes) * 60_000;
        let days = local.div_euclid(MS_PER_DAY);
        let ms_of_day = local.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            hour: (ms_of_day / 3_600_000) as u32,
            minute: (ms_of_day / 60_000 % 60) as u32,
            second: (ms_of_day / 1000 % 60) as u32,
            millis: (ms_of_day % 1000) as u32,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// The local calendar day, as days since 1970-01-01.
    pub fn local_day(self) -> i64 {
        (self.epoch_ms + i64::from(self.offset_minutes) * 60_000).div_euclid(MS_PER_DAY)
    }
}

/// Broken-down local date and time. `weekday` is 0 for Sunday.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fields {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
    pub weekday: u32,
}

impl Fields {
    pub fn of_day(days: i64) -> Fields {
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }
}

fn digits(s: &[u8], n: usize) -> Option<u32> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        s[..n]
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
    )
}

/// `YYYY-MM-DD` (a valid calendar date) to days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i64::from(digits(b, 4)?);
    let month = digits(&b[5..], 2)?;
    let day = digits(&b[8..], 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// `HH:MM[:SS[.sss]]` followed by an optional `Z` or `±HH[:MM]`: milliseconds of the day and
/// the offset, if one was written.
pub fn parse_time(s: &str) -> Option<(i64, Option<i32>)> {
    let b = s.as_bytes();
    let hour = digits(b, 2)?;
    if b.get(2) != Some(&b':') {
        return None;
    }
    let minute = digits(&b[3..], 2)?;
    let mut i = 5;
    let mut second = 0;
    let mut millis = 0;
    if b.get(i) == Some(&b':') {
        second = digits(&b[i + 1..], 2)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &s[start..i];
            if frac.is_empty() {
                return None;
            }
            // Milliseconds from the first three fractional digits.
            let padded: String = frac.chars().chain("000".chars()).take(3).collect();
            millis = padded.parse::<u32>().ok()?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = match &s[i..] {
        "" => None,
        "Z" => Some(0),
        rest => {
            let rb = rest.as_bytes();
            let sign = match rb[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh = digits(&rb[1..], 2)?;
            let om = match &rest[3..] {
                "" => 0,
                m if m.len() == 3 && m.starts_with(':') => digits(&m.as_bytes()[1..], 2)?,
                m if m.len() == 2 => digits(m.as_bytes(), 2)?,
                _ => return None,
            };
            if oh > 14 || om > 59 {
                return None;
            }
            Some(sign * (oh * 60 + om) as i32)
        }
    };
    let ms = i64::from(((hour * 60 + minute) * 60 + second) * 1000 + millis);
    Some((ms, offset))
}

/// `YYYY-MM-DDTHH:MM[:SS[.sss]][Z|±HH:MM]`. Without an offset, the time is read in
/// `default_offset` (the device's zone).
pub fn parse_date_time(s: &str, default_offset: i32) -> Option<DateTime> {
    let (date, time) = s.split_at_checked(10)?;
    let days = parse_date(date)?;
    let time = time.strip_prefix('T')?;
    let (ms, offset) = parse_time(time)?;
    let offset = offset.unwrap_or(default_offset);
    Some(DateTime {
        epoch_ms: days * MS_PER_DAY + ms - i64::from(offset) * 60_000,
        offset_minutes: offset,
    })
}

pub fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// ISO 8601 as ODK stores a dateTime: `2015-03-17T10:30:00.000+06:00`.
pub fn format_date_time(dt: DateTime) -> String {
    let f = dt.local_fields();
    let sign = if dt.offset_minutes < 0 { '-' } else { '+' };
    let off = dt.offset_minutes.unsigned_abs();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}{:02}:{:02}",
        f.year,
        f.month,
        f.day,
        f.hour,
        f.minute,
        f.second,
        f.millis,
        sign,
        off / 60,
        off % 60
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// ODK's `format-date` patterns: %Y %y %m %n %b %d %e %H %h %M %S %3 %a; anything else is literal.
pub fn format_pattern(f: &Fields, pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", f.year)),
            Some('y') => out.push_str(&format!("{:02}", f.year.rem_euclid(100))),
            Some('m') => out.push_str(&format!("{:02}", f.month)),
            Some('n') => out.push_str(&f.month.to_string()),
            Some('b') => out.push_str(MONTHS[(f.month as usize).saturating_sub(1) % 12]),
            Some('d') => out.push_str(&format!("{:02}", f.day)),
            Some('e') => out.push_str(&f.day.to_string()),
            Some('H') => out.push_str(&format!("{:02}", f.hour)),
            Some('h') => out.push_str(&f.hour.to_string()),
            Some('M') => out.push_str(&format!("{:02}", f.minute)),
            Some('S') => out.push_str(&format!("{:02}", f.second)),
            Some('3') => out.push_str(&format!("{:03}", f.millis)),
            Some('a') => out.push_str(WEEKDAYS[f.weekday as usize % 7]),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}
