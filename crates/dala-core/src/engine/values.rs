//! Answers as a form stores them: checking what the enumerator typed, and the typed value
//! an expression sees.

use crate::compile::{Form, ItemId};
use crate::instrument::{Choice, ItemType};
use dala_expr::{Value, date};

/// Why an answer is refused, as data: a UI says it in its own words (dala-words writes the
/// English).
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    NotAWholeNumber,
    NotANumber,
    OutOfRange {
        start: f64,
        end: f64,
    },
    NotAChoice(String),
    NotADate,
    NotATime,
    NotADateTime,
    NotAGeopoint,
    /// A geotrace needs at least two points, each a geopoint.
    NotAGeotrace,
    /// A geoshape needs at least three distinct points, each a geopoint.
    NotAGeoshape,
    NotAnAcknowledgement,
    /// A media answer names one file beside the record: no folder, no control character.
    NotAFileName,
}

/// A name a file can have beside a record, in a folder on disk and in an export's zip: one
/// path segment (no `/` or `\\`, not `.` or `..`), no control character, at most 255 bytes.
pub fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

/// Checks and normalises an answer, or says why it is refused. `offered`: the choices of a
/// select over a repeat's answers, which are the node's, not the form's.
pub(super) fn normalise(
    form: &Form,
    item: ItemId,
    raw: &str,
    offered: Option<&[Choice]>,
) -> Result<String, Refusal> {
    let compiled = form.item(item);
    let list = offered.unwrap_or_else(|| form.list(item));
    let t = compiled.item.item_type;
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let trimmed = raw.trim();
    let in_list = |code: &str| list.iter().any(|c| c.name == code);
    match t {
        ItemType::Integer => integer(trimmed),
        ItemType::Decimal => decimal(trimmed),
        ItemType::Range => {
            let value = decimal(trimmed)?;
            let n: f64 = value.parse().unwrap_or(f64::NAN);
            let bound = |key: &str, default: f64| {
                compiled
                    .item
                    .parameters
                    .get(key)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(default)
            };
            let (start, end) = (bound("start", 0.0), bound("end", 10.0));
            if n < start.min(end) || n > start.max(end) {
                return Err(Refusal::OutOfRange { start, end });
            }
            Ok(value)
        }
        ItemType::SelectOne => {
            if in_list(trimmed) {
                Ok(trimmed.to_string())
            } else {
                Err(Refusal::NotAChoice(trimmed.to_string()))
            }
        }
        ItemType::SelectMultiple | ItemType::Rank => {
            let codes: Vec<&str> = trimmed.split_whitespace().collect();
            if let Some(bad) = codes.iter().find(|c| !in_list(c)) {
                return Err(Refusal::NotAChoice(bad.to_string()));
            }
            let mut unique: Vec<&str> = Vec::new();
            for code in codes {
                if !unique.contains(&code) {
                    unique.push(code);
                }
            }
            // A select_multiple's choices are stored in the list's order, as ODK stores the
            // boxes ticked (whatever order they were ticked in); a rank's order is its answer.
            if t == ItemType::SelectMultiple {
                unique.sort_by_key(|code| list.iter().position(|c| c.name == *code));
            }
            Ok(unique.join(" "))
        }
        ItemType::Date => date::parse_date(trimmed)
            .map(|_| trimmed.to_string())
            .ok_or(Refusal::NotADate),
        // An XForm's time is xsd:time, seconds included: `15:07` from a time picker is
        // stored as `15:07:00`, which ODK reads (ODK Web Forms refuses `15:07`).
        ItemType::Time => date::parse_time(trimmed)
            .map(|_| {
                let bytes = trimmed.as_bytes();
                if bytes.len() == 5 && bytes[2] == b':' {
                    format!("{trimmed}:00")
                } else {
                    trimmed.to_string()
                }
            })
            .ok_or(Refusal::NotATime),
        ItemType::DateTime => date::parse_date_time(trimmed, 0)
            .map(|_| trimmed.to_string())
            .ok_or(Refusal::NotADateTime),
        ItemType::Geopoint => geopoint(trimmed).ok_or(Refusal::NotAGeopoint),
        ItemType::Geotrace => {
            let points = geopoints(trimmed).ok_or(Refusal::NotAGeotrace)?;
            if points.len() < 2 {
                return Err(Refusal::NotAGeotrace);
            }
            Ok(points.join(POINT_SEPARATOR))
        }
        ItemType::Geoshape => {
            let mut points = geopoints(trimmed).ok_or(Refusal::NotAGeoshape)?;
            // The shape is closed as ODK stores it (the first point again at the end), so the
            // enumerator walks the boundary once and never has to stand at the start twice.
            if points.len() > 1 && points.first() != points.last() {
                points.push(points[0].clone());
            }
            let mut distinct = points.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() < 3 {
                return Err(Refusal::NotAGeoshape);
            }
            Ok(points.join(POINT_SEPARATOR))
        }
        t if t.is_media() => {
            if is_file_name(trimmed) {
                Ok(trimmed.to_string())
            } else {
                Err(Refusal::NotAFileName)
            }
        }
        ItemType::Acknowledge => {
            if trimmed == "OK" {
                Ok("OK".into())
            } else {
                Err(Refusal::NotAnAcknowledgement)
            }
        }
        _ => Ok(raw.to_string()),
    }
}

/// Between the points of a geotrace or geoshape, as ODK writes them.
pub const POINT_SEPARATOR: &str = "; ";

/// `latitude longitude [altitude [accuracy]]`, each a number, the latitude within ±90 and the
/// longitude within ±180: the point with single spaces.
pub fn geopoint(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let numbers: Vec<f64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    let fits = (2..=4).contains(&parts.len())
        && numbers.len() == parts.len()
        && numbers.iter().all(|n| n.is_finite())
        && (-90.0..=90.0).contains(&numbers[0])
        && (-180.0..=180.0).contains(&numbers[1]);
    fits.then(|| parts.join(" "))
}

/// Geopoints separated by `;` (empty pieces, such as a trailing `;`, are passed over).
fn geopoints(text: &str) -> Option<Vec<String>> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(geopoint)
        .collect()
}

/// A whole number in its canonical form, as XPath's string() prints it (ODK stores 5 for
/// `05` and `+5`, 0 for `-0`). At most 15 significant digits, so every stored integer is
/// exact as a number. `5.0` and `1e1` are refused: ODK takes them and silently stores 5.7 as
/// 5, which loses what the enumerator typed.
fn integer(s: &str) -> Result<String, Refusal> {
    let (negative, digits) = sign(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::NotAWholeNumber);
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 15 {
        return Err(Refusal::NotAWholeNumber);
    }
    Ok(signed(
        negative,
        if significant.is_empty() {
            "0"
        } else {
            significant
        },
    ))
}

/// `[+-]digits[.digits]` (or `.5`, `5.`): the decimal shapes people type, without an
/// exponent, in canonical form as XPath prints the number (`1.50` is 1.5, `1.0` is 1, `007.5`
/// is 7.5, `-0.0` is 0), done on the digits so no precision is lost however many there are.
fn decimal(s: &str) -> Result<String, Refusal> {
    let (negative, body) = sign(s);
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return Err(Refusal::NotANumber);
    }
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let number = if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    };
    Ok(signed(negative, &number))
}

/// The sign of a typed number and the rest: one leading `+` or `-`.
fn sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

/// A canonical magnitude with its sign; zero has none.
fn signed(negative: bool, magnitude: &str) -> String {
    if negative && magnitude != "0" {
        format!("-{magnitude}")
    } else {
        magnitude.to_string()
    }
}

/// What an expression sees: numbers for numeric questions, strings otherwise, and the
/// empty string for no answer.
pub(super) fn typed(t: ItemType, stored: &str) -> Value {
    match t {
        ItemType::Integer | ItemType::Decimal | ItemType::Range if !stored.is_empty() => {
            Value::Number(dala_expr::string_to_number(stored))
        }
        _ => Value::String(stored.to_string()),
    }
}

/// How a calculated value is stored: XPath's string() of it (a boolean as true/false).
/// A computed value (a calculation, a dynamic default) as a question of type `t` keeps it:
/// an integer question keeps the whole part of a number, and nothing of a text that is not
/// one, as ODK casts a value into an `int` node (`decimal-date-time(...)` into an integer is
/// the day).
pub(super) fn stored(t: &ItemType, value: &Value) -> String {
    match (t, value) {
        (_, Value::Number(n)) if n.is_nan() => String::new(),
        (ItemType::Integer, other) => {
            let n = other.to_number();
            if n.is_finite() {
                Value::Number(n.trunc()).to_xpath_string()
            } else {
                String::new()
            }
        }
        // A date, time or dateTime question keeps a value that reads as one, and nothing
        // else (`string-length(...)` into a dateTime is empty in ODK Web Forms).
        (ItemType::Date | ItemType::Time | ItemType::DateTime, other) => {
            let text = other.to_xpath_string();
            let reads = date::parse_date_time(&text, 0).is_some()
                || match t {
                    ItemType::Time => date::parse_time(&text).is_some(),
                    _ => date::parse_date(&text).is_some(),
                };
            if reads { text } else { String::new() }
        }
        (_, other) => other.to_xpath_string(),
    }
}
