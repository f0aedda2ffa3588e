//! Answers as a form stores them: checking what the enumerator typed, and the typed value
//! an expression sees.

use crate::compile::{Form, ItemId};
use crate::instrument::ItemType;
use dala_expr::{Value, date};

/// Why an answer is refused, as data: a UI says it in its own words (`Display` gives the
/// command line's English).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("expected a whole number")]
    NotAWholeNumber,
    #[error("expected a number")]
    NotANumber,
    #[error("expected a number from {start} to {end}")]
    OutOfRange { start: f64, end: f64 },
    #[error("`{0}` is not one of the choices")]
    NotAChoice(String),
    #[error("expected a date as YYYY-MM-DD")]
    NotADate,
    #[error("expected a time as HH:MM")]
    NotATime,
    #[error("expected a date and time as YYYY-MM-DDTHH:MM")]
    NotADateTime,
    #[error("expected latitude and longitude (and optionally altitude and accuracy)")]
    NotAGeopoint,
    #[error("an acknowledgement is `OK` or empty")]
    NotAnAcknowledgement,
}

/// Checks and normalises an answer, or says why it is refused.
pub(super) fn normalise(form: &Form, item: ItemId, raw: &str) -> Result<String, Refusal> {
    let compiled = form.item(item);
    let t = compiled.item.item_type;
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let trimmed = raw.trim();
    let in_list = |code: &str| form.list(item).iter().any(|c| c.name == code);
    match t {
        ItemType::Integer => {
            let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 15
            {
                return Err(Refusal::NotAWholeNumber);
            }
            Ok(trimmed.trim_start_matches('+').to_string())
        }
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
            Ok(unique.join(" "))
        }
        ItemType::Date => date::parse_date(trimmed)
            .map(|_| trimmed.to_string())
            .ok_or(Refusal::NotADate),
        ItemType::Time => date::parse_time(trimmed)
            .map(|_| trimmed.to_string())
            .ok_or(Refusal::NotATime),
        ItemType::DateTime => date::parse_date_time(trimmed, 0)
            .map(|_| trimmed.to_string())
            .ok_or(Refusal::NotADateTime),
        ItemType::Geopoint => {
            let parts: Vec<f64> = trimmed
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            let count = trimmed.split_whitespace().count();
            if !(2..=4).contains(&count)
                || parts.len() != count
                || !(-90.0..=90.0).contains(&parts[0])
                || !(-180.0..=180.0).contains(&parts[1])
            {
                return Err(Refusal::NotAGeopoint);
            }
            Ok(trimmed.to_string())
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

/// `-?digits[.digits]`: the decimal shapes XPath reads (no exponent, no `+`).
fn decimal(s: &str) -> Result<String, Refusal> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    let dots = body.bytes().filter(|b| *b == b'.').count();
    if digits > 0 && dots <= 1 && digits + dots == body.len() {
        Ok(s.to_string())
    } else {
        Err(Refusal::NotANumber)
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
pub(super) fn stored(_t: &ItemType, value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_nan() => String::new(),
        other => other.to_xpath_string(),
    }
}
