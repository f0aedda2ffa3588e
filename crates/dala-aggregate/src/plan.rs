//! Analysis plans: which tables to compute, written in TOML so they travel with an instrument
//! (surveys/*/analysis.toml). The default report is a plan too, built from the form.
//!
//! ```toml
//! [[table]]
//! id = "women_by_district"
//! kind = "frequency"            # frequency | summary | crosstab | prepost
//! variable = "sex"
//! by = "district"               # disaggregate by a select_one
//! filter = "${consent} = 'yes'" # an expression over each record's answers
//! benchmark = 50.6              # reference percent for `category`
//! category = "f"
//! ```

use crate::aggregation::Aggregation;
use crate::tidy::TidyRow;
use dala_core::{Answer, Index, Instrument, Item, Submission};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(default)]
    pub table: Vec<TableSpec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Frequency,
    Summary,
    Crosstab,
    Prepost,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub id: String,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The question of a frequency, summary or pre/post table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    /// The two questions of a crosstab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Pre/post: the wave question and its two codes, and the id that pairs records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair_by: Option<String>,
}

/// A problem with a plan, as data with a stable code, located by line (TOML) or by table id
/// and key. The words are chosen at the edge (dala-words for English, the app for others).
#[derive(Clone, Debug, PartialEq)]
pub enum PlanError {
    /// P001 the text does not read as a plan; `detail` is the TOML reader's own account.
    Toml { line: Option<usize>, detail: String },
    /// P002 a table lacks a key its kind needs.
    Missing { table: String, key: &'static str },
    /// P003 a table names, under `key`, a question the instrument does not have.
    UnknownQuestion {
        table: String,
        key: &'static str,
        name: String,
    },
    /// P004 a table's filter does not parse.
    Filter {
        table: String,
        filter: String,
        problem: dala_expr::Diagnostic,
    },
}

impl PlanError {
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::Toml { .. } => "P001",
            PlanError::Missing { .. } => "P002",
            PlanError::UnknownQuestion { .. } => "P003",
            PlanError::Filter { .. } => "P004",
        }
    }
}

/// The plan as TOML that [`parse`] reads back (the analyst's workspace saves plans it built).
pub fn to_toml(plan: &Plan) -> String {
    // Plain tables of strings and numbers always serialise.
    toml::to_string(plan).unwrap_or_default()
}

pub fn parse(text: &str) -> Result<Plan, PlanError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        PlanError::Toml {
            line,
            detail: e.message().to_string(),
        }
    })
}

pub(crate) fn value<'a>(record: &'a Submission, name: &str) -> Option<&'a str> {
    match record.answers.get(name) {
        Some(Answer::Value(v)) if !v.is_empty() => Some(v),
        _ => None,
    }
}

/// The question a plan names (its record key, or its name).
pub(crate) fn find<'a>(instrument: &'a Instrument, name: &str) -> Option<&'a Item> {
    Index::new(instrument).question(name).map(|e| e.item)
}

/// Checks that every question a plan names exists (and is of a kind the table can use).
pub fn check(plan: &Plan, instrument: &Instrument) -> Result<(), PlanError> {
    for t in &plan.table {
        let needed: Vec<(&str, &Option<String>)> = match t.kind {
            Kind::Frequency | Kind::Summary => vec![("variable", &t.variable)],
            Kind::Crosstab => vec![("rows", &t.rows), ("columns", &t.columns)],
            Kind::Prepost => vec![
                ("variable", &t.variable),
                ("wave", &t.wave),
                ("pre", &t.pre),
                ("post", &t.post),
                ("pair_by", &t.pair_by),
            ],
        };
        for (key, v) in needed {
            let Some(name) = v else {
                return Err(PlanError::Missing {
                    table: t.id.clone(),
                    key,
                });
            };
            if !matches!(key, "pre" | "post") && find(instrument, name).is_none() {
                return Err(PlanError::UnknownQuestion {
                    table: t.id.clone(),
                    key,
                    name: name.clone(),
                });
            }
        }
        for (key, name) in [("by", &t.by), ("weight", &t.weight)] {
            if let Some(name) = name
                && find(instrument, name).is_none()
            {
                return Err(PlanError::UnknownQuestion {
                    table: t.id.clone(),
                    key,
                    name: name.clone(),
                });
            }
        }
        if let Some(filter) = &t.filter {
            let parsed = dala_expr::parse(filter);
            if let Some(d) = parsed.diagnostics.first() {
                return Err(PlanError::Filter {
                    table: t.id.clone(),
                    filter: filter.clone(),
                    problem: d.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Computes every table of the plan as tidy rows, in one pass over the records.
pub fn run(
    plan: &Plan,
    instrument: &Instrument,
    records: &[Submission],
) -> Result<Vec<TidyRow>, PlanError> {
    let mut aggregation = Aggregation::new(plan, instrument)?;
    let columns: Vec<String> = aggregation
        .columns()
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    for record in records {
        aggregation.add(crate::aggregation::RecordKey::of(record), |i| {
            value(record, &columns[i]).map(str::as_bytes)
        });
    }
    Ok(aggregation.finish())
}
