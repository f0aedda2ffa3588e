//! The common case without an analysis plan: a frequency table for every select question and a
//! summary for every numeric one, each for the whole sample and, with `by`, per group.

use crate::grouped::tables;
use crate::plan::{Kind, Plan, TableSpec};
use crate::tidy::TidyRow;
use dala_core::{Index, Instrument, ItemType};

/// The plan of the default report: a frequency for every select question and a summary for
/// every numeric one outside repeats, by `by` if given, weighted by `weight` if given.
pub fn default_plan(instrument: &Instrument, by: Option<&str>, weight: Option<&str>) -> Plan {
    let mut plan = Plan::default();
    for entry in Index::new(instrument).top_answers() {
        let (item, key) = (entry.item, &entry.key);
        if Some(key.as_str()) == by {
            continue;
        }
        let kind = match item.item_type {
            ItemType::SelectOne | ItemType::SelectMultiple => Kind::Frequency,
            ItemType::Integer | ItemType::Decimal | ItemType::Range => Kind::Summary,
            _ => continue,
        };
        let prefix = if kind == Kind::Frequency {
            "frequency"
        } else {
            "summary"
        };
        plan.table.push(TableSpec {
            id: format!("{prefix}:{key}"),
            kind,
            title: None,
            variable: Some(key.clone()),
            rows: None,
            columns: None,
            by: by.map(str::to_string),
            weight: weight.map(str::to_string),
            filter: None,
            benchmark: None,
            category: None,
            wave: None,
            pre: None,
            post: None,
            pair_by: None,
        });
    }
    plan
}

/// A readable rendering for the terminal: one block per table and group.
pub fn render(rows: &[TidyRow]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (table, grouped) in tables(rows) {
        for group in &grouped.groups {
            if group.key.is_empty() {
                let _ = writeln!(out, "{table}");
            } else {
                let _ = writeln!(out, "{table} [{}]", group.key);
            }
            let is_frequency = group.categories.iter().any(|c| c.get("percent").is_some());
            if is_frequency {
                for c in &group.categories {
                    let _ = writeln!(
                        out,
                        "  {:<24} {:>8} {:>7.1}%  [{:.1}, {:.1}]",
                        c.code,
                        c.get("count").unwrap_or(0.0),
                        c.get("percent").unwrap_or(f64::NAN),
                        c.get("ci_low").unwrap_or(f64::NAN),
                        c.get("ci_high").unwrap_or(f64::NAN)
                    );
                }
            } else {
                let line: Vec<String> = group
                    .categories
                    .iter()
                    .flat_map(|c| &c.statistics)
                    .chain(&group.figures)
                    .map(|(s, v)| format!("{s}={}", (v * 1000.0).round() / 1000.0))
                    .collect();
                let _ = writeln!(out, "  {}", line.join("  "));
            }
        }
    }
    out
}
