//! The common case without an analysis plan: a frequency table for every select question and a
//! summary for every numeric one, each for the whole sample and, with `by`, per group.

use crate::tables::{Frequency, Summary};
use crate::tidy::TidyRow;
use dala_core::{Answer, Instrument, ItemType, Submission};
use std::collections::BTreeMap;

fn value<'a>(record: &'a Submission, name: &str) -> Option<&'a str> {
    match record.answers.get(name) {
        Some(Answer::Value(v)) if !v.is_empty() => Some(v),
        _ => None,
    }
}

/// Tidy rows for every top-level select and numeric question, by `by` (a select_one) if given,
/// weighted by the numeric question `weight` if given (records without a weight count 1).
pub fn default_tables(
    instrument: &Instrument,
    records: &[Submission],
    by: Option<&str>,
    weight: Option<&str>,
) -> Vec<TidyRow> {
    let mut rows = Vec::new();
    let weight_of = |r: &Submission| {
        weight
            .and_then(|w| value(r, w))
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|w| *w > 0.0)
            .unwrap_or(1.0)
    };
    // Groups: the whole sample (""), then each code of `by` in choice-list order.
    let mut groups: Vec<(String, Option<String>)> = vec![(String::new(), None)];
    if let Some(by) = by {
        let list = instrument
            .walk()
            .into_iter()
            .find(|(_, i, _)| i.name == by)
            .and_then(|(_, i, _)| i.list.clone());
        let codes: Vec<String> = list
            .and_then(|l| instrument.choices.get(&l))
            .map(|c| c.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        groups.extend(codes.into_iter().map(|c| (format!("{by}={c}"), Some(c))));
    }
    // Only questions outside repeats: a repeat's answers are per instance, not per record.
    let top: Vec<&dala_core::Item> = instrument
        .walk()
        .into_iter()
        .filter(|(_, _, parents)| parents.iter().all(|p| p.item_type != ItemType::Repeat))
        .map(|(_, i, _)| i)
        .collect();
    for item in top {
        let numeric = matches!(
            item.item_type,
            ItemType::Integer | ItemType::Decimal | ItemType::Range | ItemType::Calculate
        );
        let select = matches!(
            item.item_type,
            ItemType::SelectOne | ItemType::SelectMultiple
        );
        if !(numeric || select) || Some(item.name.as_str()) == by {
            continue;
        }
        for (group_name, group_code) in &groups {
            let in_group = |r: &&Submission| {
                group_code
                    .as_deref()
                    .is_none_or(|code| by.and_then(|b| value(r, b)) == Some(code))
            };
            let records_here = records.iter().filter(in_group);
            if select {
                let mut f = Frequency::default();
                for r in records_here {
                    f.add(value(r, &item.name), weight_of(r));
                }
                let codes: Vec<String> = item
                    .list
                    .as_ref()
                    .and_then(|l| instrument.choices.get(l))
                    .map(|c| c.iter().map(|c| c.name.clone()).collect())
                    .unwrap_or_default();
                for row in f.rows(&codes) {
                    for (statistic, v) in [
                        ("count", row.count),
                        ("percent", row.percent),
                        ("ci_low", row.ci_low),
                        ("ci_high", row.ci_high),
                    ] {
                        rows.push(TidyRow {
                            table: format!("frequency:{}", item.name),
                            variable: item.name.clone(),
                            group: group_name.clone(),
                            category: row.code.clone(),
                            statistic: statistic.into(),
                            value: v,
                        });
                    }
                }
                rows.push(TidyRow {
                    table: format!("frequency:{}", item.name),
                    variable: item.name.clone(),
                    group: group_name.clone(),
                    category: String::new(),
                    statistic: "missing".into(),
                    value: f.missing,
                });
            } else {
                let mut s = Summary::default();
                let mut any = false;
                for r in records_here {
                    let v = value(r, &item.name).and_then(|v| v.parse::<f64>().ok());
                    any |= v.is_some();
                    s.add(v, weight_of(r));
                }
                // A calculate that never holds a number (text) is not a numeric variable.
                if item.item_type == ItemType::Calculate && !any {
                    continue;
                }
                let r = s.row();
                for (statistic, v) in [
                    ("n", r.n as f64),
                    ("missing", r.missing as f64),
                    ("mean", r.mean),
                    ("sd", r.sd),
                    ("min", r.min),
                    ("q1", r.q1),
                    ("median", r.median),
                    ("q3", r.q3),
                    ("max", r.max),
                    ("ci_low", r.ci_low),
                    ("ci_high", r.ci_high),
                ] {
                    rows.push(TidyRow {
                        table: format!("summary:{}", item.name),
                        variable: item.name.clone(),
                        group: group_name.clone(),
                        category: String::new(),
                        statistic: statistic.into(),
                        value: v,
                    });
                }
            }
        }
    }
    rows
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
        if key.0.starts_with("frequency:") {
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
