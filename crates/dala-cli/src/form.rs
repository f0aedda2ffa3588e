//! Loading a form file for the commands: JSON instruments and XLSForms (.xlsx, .xls, markdown),
//! told apart by content, with every diagnostic rendered for the terminal.

use dala_core::{Instrument, LoadError};
use dala_xlsform::XDiagnostic;
use std::path::Path;

/// A loaded form: the instrument if one could be built, and the rendered problems.
pub struct Loaded {
    pub instrument: Option<Instrument>,
    pub messages: Vec<String>,
    pub errors: usize,
}

pub fn load(path: &Path) -> Loaded {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Loaded {
                instrument: None,
                messages: vec![format!("error: cannot read {name}: {e}")],
                errors: 1,
            };
        }
    };
    let looks_like_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if looks_like_json {
        return load_json(&name, &String::from_utf8_lossy(&bytes));
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("form");
    let conversion = dala_xlsform::read(&bytes, stem);
    let errors = conversion
        .diagnostics
        .iter()
        .filter(|d| !d.code.is_warning())
        .count();
    let messages = conversion
        .diagnostics
        .iter()
        .map(|d| render_x(&name, d))
        .collect();
    Loaded {
        instrument: conversion.instrument,
        messages,
        errors,
    }
}

fn render_x(file: &str, d: &XDiagnostic) -> String {
    // `error[V004] form.xlsx survey!E6 (relevant): ...` then the expression with a caret.
    let rendered = d.render();
    match rendered.split_once(' ') {
        Some((head, rest)) => format!("{head} {file} {rest}"),
        None => rendered,
    }
}

fn load_json(name: &str, text: &str) -> Loaded {
    let instrument = match Instrument::from_json(text) {
        Ok(instrument) => instrument,
        Err(e @ LoadError::Syntax { .. }) => {
            return Loaded {
                instrument: None,
                messages: vec![format!("error[J001] {name}: {e}")],
                errors: 1,
            };
        }
        Err(e) => {
            return Loaded {
                instrument: None,
                messages: vec![format!("error[J002] {name}: {e}")],
                errors: 1,
            };
        }
    };
    let diagnostics = dala_core::validate(&instrument);
    let errors = diagnostics.iter().filter(|d| !d.code.is_warning()).count();
    let messages = diagnostics
        .iter()
        .map(|d| {
            let severity = if d.code.is_warning() {
                "warning"
            } else {
                "error"
            };
            let mut out = format!(
                "{severity}[{}] {name} {}: {}",
                d.code.as_str(),
                d.location.pointer,
                dala_words::diagnostic(d)
            );
            if let (Some(span), Some(source)) = (
                d.location.span,
                expression_at(&instrument, &d.location.pointer),
            ) {
                out.push_str(&dala_expr::caret_lines(&source, span));
            }
            out
        })
        .collect();
    Loaded {
        instrument: Some(instrument),
        messages,
        errors,
    }
}

/// The expression a JSON pointer such as `/survey/2/children/0/relevant` names.
fn expression_at(instrument: &Instrument, pointer: &str) -> Option<String> {
    let value = serde_json::to_value(instrument).ok()?;
    value.pointer(pointer)?.as_str().map(str::to_string)
}

/// The system clock as the expression language wants it, in the given UTC offset.
pub fn system_now(offset_minutes: i32) -> dala_expr::date::DateTime {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    dala_expr::date::DateTime {
        epoch_ms: ms,
        offset_minutes,
    }
}
