//! Values and the XPath 1.0 conversions between them, with ODK's dates.

use crate::date::{self, DateTime, MS_PER_DAY};
use std::borrow::Cow;
use std::fmt;

/// The result of evaluating an expression, or the value of a question.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(String),
    Number(f64),
    Boolean(bool),
    /// A calendar date, as days since 1970-01-01.
    Date(i64),
    DateTime(DateTime),
    /// Several nodes (the instances of a repeat, or a question inside one, seen from outside):
    /// the value of each node, in document order.
    Nodes(Vec<Value>),
}

impl Value {
    pub fn empty() -> Value {
        Value::String(String::new())
    }

    /// XPath `string()`: how the value prints, and how a form stores it.
    pub fn to_xpath_string(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Number(n) => number_to_string(*n),
            Value::Boolean(b) => b.to_string(),
            Value::Date(days) => date::format_day(*days),
            Value::DateTime(dt) => date::format_date_time(*dt),
            Value::Nodes(nodes) => nodes
                .first()
                .map(Value::to_xpath_string)
                .unwrap_or_default(),
        }
    }

    /// XPath `string()`, taking the value: a string is moved, not copied.
    pub fn into_xpath_string(self) -> String {
        match self {
            Value::String(s) => s,
            other => other.to_xpath_string(),
        }
    }

    /// XPath `string()`, borrowing when the value already is a string.
    pub fn as_xpath_str(&self) -> Cow<'_, str> {
        match self {
            Value::String(s) => Cow::Borrowed(s),
            Value::Nodes(nodes) => nodes.first().map_or(Cow::Borrowed(""), Value::as_xpath_str),
            other => Cow::Owned(other.to_xpath_string()),
        }
    }

    /// XPath `number()`. Dates are days since 1970-01-01 (ODK XForms), and a string that is
    /// an ISO date or dateTime converts the same way, so an answer stored as `2015-03-17`
    /// takes part in date arithmetic.
    pub fn to_number(&self) -> f64 {
        match self {
            Value::String(s) => string_to_number(s),
            Value::Number(n) => *n,
            Value::Boolean(b) => f64::from(u8::from(*b)),
            Value::Date(days) => *days as f64,
            Value::DateTime(dt) => dt.epoch_ms as f64 / MS_PER_DAY as f64,
            Value::Nodes(nodes) => nodes.first().map_or(f64::NAN, Value::to_number),
        }
    }

    /// XPath `boolean()`: the empty string and 0/NaN are false, an empty node-set is false.
    pub fn to_boolean(&self) -> bool {
        match self {
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Boolean(b) => *b,
            Value::Date(_) | Value::DateTime(_) => true,
            Value::Nodes(nodes) => !nodes.is_empty(),
        }
    }

    /// The name of the type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Boolean(_) => "boolean",
            Value::Date(_) => "date",
            Value::DateTime(_) => "dateTime",
            Value::Nodes(_) => "node-set",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xpath_string())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Boolean(b)
    }
}

/// XPath 1.0 §4.2 number-to-string: `NaN`, `Infinity`, `-Infinity`, integers without a
/// decimal point, `-0` as `0`, never an exponent.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_string()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if n == 0.0 {
        "0".to_string()
    } else {
        // Rust prints the shortest digits that read back exactly, without an exponent.
        format!("{n}")
    }
}

/// XPath 1.0 §4.4 string-to-number: optional whitespace, an optional minus, digits with an
/// optional fraction; anything else is NaN (no `+`, no exponent). ISO dates become days.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    let digits = t.strip_prefix('-').unwrap_or(t);
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut valid = !digits.is_empty();
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => seen_digit = true,
            b'.' if !seen_dot => seen_dot = true,
            _ => {
                valid = false;
                break;
            }
        }
    }
    if valid && seen_digit {
        return t.parse::<f64>().unwrap_or(f64::NAN);
    }
    if let Some(days) = date::parse_date(t) {
        return days as f64;
    }
    if let Some(dt) = date::parse_date_time(t, 0) {
        return dt.epoch_ms as f64 / MS_PER_DAY as f64;
    }
    f64::NAN
}
