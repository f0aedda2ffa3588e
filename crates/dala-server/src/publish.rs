//! An instrument sent to be published: its document (JSON) or an XLSForm workbook, read and
//! checked as the designer's publish does (errors block it, each located, with its code).

use crate::db::Db;
use crate::problem::ApiError;
use crate::store::StoreError;
use axum::http::StatusCode;
use dala_core::Instrument;
use dala_core::design::{Breaking, DataUse, check_publish};
use serde_json::json;

/// Records read at a time when the data collected so far is gathered for the check.
const PAGE: i64 = 1_000;

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

/// What publishing `instrument` would break in the data collected so far: the designer's own
/// check (a question with answers removed or given another type, a choice answers use
/// removed) against the version of the form published last, over every stored record of the
/// form, read a page at a time. A new form, or a version published before, breaks nothing.
pub async fn breaking_changes(
    db: &Db,
    project: i64,
    instrument: &Instrument,
) -> Result<Vec<Breaking>, ApiError> {
    let (form_id, version) = (&instrument.settings.form_id, &instrument.settings.version);
    // A version published before is never published again: sending it is a no-op or S021.
    if db.is_published(project, form_id, version).await? {
        return Ok(Vec::new());
    }
    let Some(document) = db.latest_document(project, form_id).await? else {
        return Ok(Vec::new());
    };
    // A stored version was checked when it was published; one that no longer reads is the
    // database's fault.
    let previous = Instrument::from_json(&document)
        .map_err(|e| StoreError::Failed(format!("a stored instrument cannot be read: {e}")))?;
    let mut data = DataUse::default();
    let mut after = 0;
    loop {
        let page = db.form_records_since(project, form_id, after, PAGE).await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = *last;
        data.add_records(&previous, page.iter().map(|(_, record)| record));
    }
    Ok(check_publish(Some(&previous), instrument, &data).breaking)
}

/// S023: the version breaks data already collected, and the request did not accept that.
pub fn breaking_refused(breaking: &[Breaking]) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::CONFLICT,
        "S023",
        format!(
            "this version does not fit data already collected ({} change{}); publish with \
             accept_breaking=true to publish it all the same",
            breaking.len(),
            if breaking.len() == 1 { "" } else { "s" }
        ),
    );
    e.details = breaking
        .iter()
        .map(|b| {
            let name = match b {
                Breaking::TypeChanged { name, .. }
                | Breaking::Removed { name }
                | Breaking::ChoiceRemoved { name, .. } => name,
            };
            json!({"code": "S023", "name": name, "message": dala_words::breaking(b)})
        })
        .collect();
    e
}
