//! The common case without an analysis plan: a frequency table for every select question and a
//! summary for every numeric one, each for the whole sample and, with `by`, per group.

use crate::plan::{Kind, Plan, TableSpec};
use crate::tidy::TidyRow;
use dala_core::{Instrument, ItemType};
use std::collections::BTreeMap;

/// The plan of the default report: a frequency for every select question and a summary for
/// every numeric one outside repeats, by `by` if given, weighted by `weight` if given.
pub fn default_plan(instrument: &Instrument, by: Option<&str>, weight: Option<&str>) -> Plan {
    let mut plan = Plan::default();
    for (_, item, parents) in instrument.walk() {
        if parents.iter().any(|p| p.item_type == ItemType::Repeat) || Some(item.name.as_str()) == by
        {
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
            id: format!("{prefix}:{}", item.name),
            kind,
            title: None,
            variable: Some(item.name.clone()),
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
    let mut blocks: BTreeMap<(String, String), Vec<&TidyRow>> = BTreeMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for row in rows {
        let key = (row.table.clone(), row.group.clone());
        if !blocks.contains_key(&key) {
            order.push(key.clone());
        }
        blocks.entry(key).or_default().push(row);
    }
    let mut out = String::new();
    for key in order {
        let rows = &blocks[&key];
        let title = if key.1.is_empty() {
            key.0.clone()
        } else {
            format!("{} [{}]", key.0, key.1)
        };
        out.push_str(&format!("{title}\n"));
        if rows.iter().any(|r| r.statistic == "percent") {
            let mut by_code: Vec<(String, BTreeMap<&str, f64>)> = Vec::new();
            for r in rows.iter().filter(|r| !r.category.is_empty()) {
                match by_code.iter_mut().find(|(c, _)| *c == r.category) {
                    Some((_, stats)) => {
                        stats.insert(&r.statistic, r.value);
                    }
                    None => by_code.push((
                        r.category.clone(),
                        BTreeMap::from([(r.statistic.as_str(), r.value)]),
                    )),
                }
            }
            for (code, stats) in by_code {
                out.push_str(&format!(
                    "  {:<24} {:>8} {:>7.1}%  [{:.1}, {:.1}]\n",
                    code,
                    stats.get("count").copied().unwrap_or(0.0),
                    stats.get("percent").copied().unwrap_or(f64::NAN),
                    stats.get("ci_low").copied().unwrap_or(f64::NAN),
                    stats.get("ci_high").copied().unwrap_or(f64::NAN)
                ));
            }
        } else {
            let line: Vec<String> = rows
                .iter()
                .map(|r| format!("{}={}", r.statistic, (r.value * 1000.0).round() / 1000.0))
                .collect();
            out.push_str(&format!("  {}\n", line.join("  ")));
        }
    }
    out
}
