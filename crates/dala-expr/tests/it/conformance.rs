//! The conformance table: tests/conformance/*.txt, one expression a row, with the result the
//! ODK XForms specification and XPath 1.0 give (or the diagnostic code). Format:
//!
//! ```text
//! # comment
//! @set age = 34              bind ${age} ('text', 12, true, date:2015-03-17, nodes(1, 'a'))
//! @current = 'x'             the value of `.`
//! @position = 2              position() of the current repeat instance
//! @choice sex f = Female     jr:choice-name label
//! @reset                     forget every binding
//! 1 + 2 => 3                 number | 'string' | true | false | date YYYY-MM-DD | datetime ISO
//! foo() => error E005        a parse diagnostic with this code
//! date('x') => fails R002    an evaluation error with this code
//! ```
//! Every file starts with no bindings and the clock at 2015-03-17T10:30:00+06:00.

use dala_expr::date::DateTime;
use dala_expr::{SimpleEnv, Value, evaluate, parse};
use std::path::PathBuf;

/// 2015-03-17 10:30 in Bishkek (UTC+6): day 16511 since 1970-01-01, 04:30 UTC.
pub const CLOCK: DateTime = DateTime {
    epoch_ms: 16_511 * 86_400_000 + 16_200_000,
    offset_minutes: 360,
};

pub fn fresh_env() -> SimpleEnv {
    SimpleEnv::new(CLOCK, 42)
}

fn parse_value(text: &str) -> Result<Value, String> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix("nodes(").and_then(|r| r.strip_suffix(')')) {
        let items = inner
            .split(", ")
            .filter(|s| !s.trim().is_empty())
            .map(parse_value)
            .collect::<Result<_, _>>()?;
        return Ok(Value::Nodes(items));
    }
    if let Some(day) = t.strip_prefix("date:") {
        let days = dala_expr::date::parse_date(day).ok_or(format!("bad date {day}"))?;
        return Ok(Value::Date(days));
    }
    if let Some(s) = quoted(t) {
        return Ok(Value::String(s.to_string()));
    }
    match t {
        "true" => Ok(Value::Boolean(true)),
        "false" => Ok(Value::Boolean(false)),
        _ => t
            .parse::<f64>()
            .map(Value::Number)
            .map_err(|_| format!("cannot read value `{t}`")),
    }
}

fn quoted(t: &str) -> Option<&str> {
    for q in ['\'', '"'] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return Some(&t[1..t.len() - 1]);
        }
    }
    None
}

enum Expected {
    Value(&'static str, String),
    Parse(String),
    Eval(String),
}

fn expected(text: &str) -> Result<Expected, String> {
    let t = text.trim();
    if let Some(code) = t.strip_prefix("error ") {
        return Ok(Expected::Parse(code.to_string()));
    }
    if let Some(code) = t.strip_prefix("fails ") {
        return Ok(Expected::Eval(code.to_string()));
    }
    if let Some(d) = t.strip_prefix("date ") {
        return Ok(Expected::Value("date", d.to_string()));
    }
    if let Some(d) = t.strip_prefix("datetime ") {
        return Ok(Expected::Value("dateTime", d.to_string()));
    }
    if let Some(s) = quoted(t) {
        return Ok(Expected::Value("string", s.to_string()));
    }
    match t {
        "true" | "false" => Ok(Expected::Value("boolean", t.to_string())),
        "NaN" | "Infinity" | "-Infinity" => Ok(Expected::Value("number", t.to_string())),
        _ if t.parse::<f64>().is_ok() => Ok(Expected::Value("number", t.to_string())),
        _ => Err(format!("cannot read expectation `{t}`")),
    }
}

/// Runs one file; returns (rows checked, failures).
fn run_file(name: &str, text: &str) -> (usize, Vec<String>) {
    let mut env = fresh_env();
    let mut rows = 0;
    let mut failures = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let at = format!("{name}:{}", index + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(directive) = line.strip_prefix('@').filter(|_| !line.contains(" => ")) {
            if let Err(e) = apply(&mut env, directive) {
                failures.push(format!("{at}: {e}"));
            }
            continue;
        }
        let split = if let Some(want) = line.strip_prefix("=> ") {
            Some(("", want))
        } else {
            line.rsplit_once(" => ")
        };
        let Some((source, want)) = split else {
            failures.push(format!("{at}: a row needs ` => `"));
            continue;
        };
        rows += 1;
        let want = match expected(want) {
            Ok(w) => w,
            Err(e) => {
                failures.push(format!("{at}: {e}"));
                continue;
            }
        };
        let parsed = parse(source);
        let codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code.as_str()).collect();
        let outcome = match (&want, parsed.is_ok()) {
            (Expected::Parse(code), _) => {
                if codes.contains(&code.as_str()) {
                    Ok(())
                } else {
                    Err(format!("expected diagnostic {code}, got {codes:?}"))
                }
            }
            (_, false) => Err(format!("unexpected diagnostics {:?}", parsed.diagnostics)),
            (Expected::Eval(code), true) => match evaluate(&parsed.expr, &env) {
                Err(d) if d.code.as_str() == code => Ok(()),
                Err(d) => Err(format!("expected evaluation error {code}, got {d}")),
                Ok(v) => Err(format!(
                    "expected evaluation error {code}, got {} {:?}",
                    v.type_name(),
                    v.to_xpath_string()
                )),
            },
            (Expected::Value(ty, text), true) => match evaluate(&parsed.expr, &env) {
                Ok(v) if v.type_name() == *ty && v.to_xpath_string() == *text => Ok(()),
                Ok(v) => Err(format!(
                    "expected {ty} {text:?}, got {} {:?}",
                    v.type_name(),
                    v.to_xpath_string()
                )),
                Err(d) => Err(format!("expected {ty} {text:?}, got error {d}")),
            },
        };
        if let Err(e) = outcome {
            failures.push(format!("{at}: `{source}`: {e}"));
        }
    }
    (rows, failures)
}

fn apply(env: &mut SimpleEnv, directive: &str) -> Result<(), String> {
    let (key, rest) = directive.split_once(' ').unwrap_or((directive, ""));
    match key {
        "reset" => *env = fresh_env(),
        "set" => {
            let (name, value) = rest.split_once(" = ").ok_or("@set name = value")?;
            env.set(name.trim(), parse_value(value)?);
        }
        "current" => env.current = parse_value(rest.trim_start_matches("= "))?,
        "position" => {
            env.position = Some(
                rest.trim_start_matches("= ")
                    .trim()
                    .parse()
                    .map_err(|_| "@position = N")?,
            );
        }
        "choice" => {
            let (lhs, label) = rest
                .split_once(" = ")
                .ok_or("@choice question value = label")?;
            let (question, value) = lhs
                .trim()
                .split_once(' ')
                .ok_or("@choice question value = label")?;
            env.set_choice_name(question, value, label.trim());
        }
        other => return Err(format!("unknown directive @{other}")),
    }
    Ok(())
}

#[test]
fn conformance_table() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("conformance dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read conformance file");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let (rows, mut f) = run_file(name, &text);
        total += rows;
        failures.append(&mut f);
    }
    assert!(
        failures.is_empty(),
        "{} of {total} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total >= 400,
        "the conformance table has {total} rows; it must keep at least 400"
    );
}

#[test]
fn the_harness_itself_catches_a_wrong_expectation() {
    let (rows, failures) = run_file("inline", "1 + 1 => 3\n'a' => 'a'\nfoo() => error E005\n");
    assert_eq!(rows, 3);
    assert_eq!(failures.len(), 1, "{failures:?}");
}
