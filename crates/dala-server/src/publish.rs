//! An instrument sent to be published: its document (JSON) or an XLSForm workbook, read and
//! checked as the designer's publish does (errors block it, each located, with its code).

use crate::problem::ApiError;
use axum::http::StatusCode;
use dala_core::Instrument;
use dala_core::design::{DataUse, check_publish};
use serde_json::json;

fn refused(message: &str, details: Vec<serde_json::Value>) -> ApiError {
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "S020", message);
    e.details = details;
    e
}

/// The instrument in a request body: JSON when it starts with `{`, else a workbook whose
/// file name is `name` (its stem is the form id when the settings sheet gives none).
pub fn read_instrument(bytes: &[u8], name: Option<&str>) -> Result<Instrument, ApiError> {
    let is_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let instrument = if is_json {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| refused("the instrument document is not UTF-8", Vec::new()))?;
        Instrument::from_json(text).map_err(|e| {
            refused(
                "the instrument document cannot be read",
                vec![json!({"code": "J001", "message": e.to_string()})],
            )
        })?
    } else {
        let stem = name.map_or("form", |n| n.rsplit_once('.').map_or(n, |(stem, _)| stem));
        let conversion = dala_xlsform::read(bytes, stem);
        let errors: Vec<serde_json::Value> = conversion
            .diagnostics
            .iter()
            .filter(|d| !d.code.is_warning())
            .map(|d| json!({"code": d.code.as_str(), "message": d.render()}))
            .collect();
        match conversion.instrument {
            Some(instrument) if errors.is_empty() => instrument,
            _ => return Err(refused("the workbook has errors", errors)),
        }
    };
    let check = check_publish(None, &instrument, &DataUse::default());
    if !check.errors.is_empty() {
        let details = check
            .errors
            .iter()
            .map(|d| {
                json!({"code": d.code.as_str(), "pointer": d.location.pointer,
                       "message": dala_words::diagnostic(d)})
            })
            .collect();
        return Err(refused("the instrument has errors", details));
    }
    Ok(instrument)
}
