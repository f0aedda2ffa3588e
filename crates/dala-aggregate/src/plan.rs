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

use crate::tables::{Crosstab, Frequency, Summary, paired_change};
use crate::tidy::TidyRow;
use dala_core::{Answer, Instrument, Item, ItemType, Submission};
use dala_expr::SimpleEnv;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(default)]
    pub table: Vec<TableSpec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Frequency,
    Summary,
    Crosstab,
    Prepost,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub id: String,
    pub kind: Kind,
    #[serde(default)]
    pub title: Option<String>,
    /// The question of a frequency, summary or pre/post table.
    #[serde(default)]
    pub variable: Option<String>,
    /// The two questions of a crosstab.
    #[serde(default)]
    pub rows: Option<String>,
    #[serde(default)]
    pub columns: Option<String>,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub weight: Option<String>,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub benchmark: Option<f64>,
    #[serde(default)]
    pub category: Option<String>,
    /// Pre/post: the wave question and its two codes, and the id that pairs records.
    #[serde(default)]
    pub wave: Option<String>,
    #[serde(default)]
    pub pre: Option<String>,
    #[serde(default)]
    pub post: Option<String>,
    #[serde(default)]
    pub pair_by: Option<String>,
}

/// A problem with a plan, located by table id (or line, for TOML syntax).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

pub fn parse(text: &str) -> Result<Plan, PlanError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        PlanError(match line {
            Some(line) => format!("line {line}: {}", e.message()),
            None => e.message().to_string(),
        })
    })
}

fn value<'a>(record: &'a Submission, name: &str) -> Option<&'a str> {
    match record.answers.get(name) {
        Some(Answer::Value(v)) if !v.is_empty() => Some(v),
        _ => None,
    }
}

fn find<'a>(instrument: &'a Instrument, name: &str) -> Option<&'a Item> {
    instrument
        .walk()
        .into_iter()
        .find(|(_, item, _)| item.name == name)
        .map(|(_, item, _)| item)
}

fn codes(instrument: &Instrument, item: &Item) -> Vec<String> {
    item.list
        .as_ref()
        .and_then(|l| instrument.choices.get(l))
        .map(|c| c.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
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
                return Err(PlanError(format!("table `{}`: `{key}` is needed", t.id)));
            };
            if !matches!(key, "pre" | "post") && find(instrument, name).is_none() {
                return Err(PlanError(format!(
                    "table `{}`: there is no question `{name}`",
                    t.id
                )));
            }
        }
        for name in [&t.by, &t.weight].into_iter().flatten() {
            if find(instrument, name).is_none() {
                return Err(PlanError(format!(
                    "table `{}`: there is no question `{name}`",
                    t.id
                )));
            }
        }
        if let Some(filter) = &t.filter {
            let parsed = dala_expr::parse(filter);
            if let Some(d) = parsed.diagnostics.first() {
                return Err(PlanError(format!(
                    "table `{}`: filter: {}",
                    t.id,
                    d.render(filter)
                )));
            }
        }
    }
    Ok(())
}

/// Computes every table of the plan as tidy rows.
pub fn run(
    plan: &Plan,
    instrument: &Instrument,
    records: &[Submission],
) -> Result<Vec<TidyRow>, PlanError> {
    check(plan, instrument)?;
    let mut rows = Vec::new();
    for t in &plan.table {
        let kept: Vec<&Submission> = match &t.filter {
            None => records.iter().collect(),
            Some(filter) => {
                let expr = dala_expr::parse(filter).expr;
                records
                    .iter()
                    .filter(|r| keeps(&expr, instrument, r))
                    .collect()
            }
        };
        let mut groups: Vec<(String, Option<String>)> = vec![(String::new(), None)];
        if let Some(by) = &t.by
            && let Some(item) = find(instrument, by)
        {
            groups.extend(
                codes(instrument, item)
                    .into_iter()
                    .map(|c| (format!("{by}={c}"), Some(c))),
            );
        }
        for (group, code) in &groups {
            let here: Vec<&Submission> = kept
                .iter()
                .copied()
                .filter(|r| {
                    code.as_deref()
                        .is_none_or(|c| t.by.as_deref().and_then(|b| value(r, b)) == Some(c))
                })
                .collect();
            let weight = |r: &Submission| {
                t.weight
                    .as_deref()
                    .and_then(|w| value(r, w))
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|w| *w > 0.0)
                    .unwrap_or(1.0)
            };
            let mut push = |category: String, statistic: &str, v: f64| {
                rows.push(TidyRow {
                    table: t.id.clone(),
                    variable: t.variable.clone().unwrap_or_else(|| {
                        format!(
                            "{}×{}",
                            t.rows.clone().unwrap_or_default(),
                            t.columns.clone().unwrap_or_default()
                        )
                    }),
                    group: group.clone(),
                    category,
                    statistic: statistic.into(),
                    value: v,
                })
            };
            match t.kind {
                Kind::Frequency => {
                    let variable = t.variable.as_deref().unwrap_or_default();
                    let mut f = Frequency::default();
                    for r in &here {
                        f.add(value(r, variable), weight(r));
                    }
                    let order = find(instrument, variable)
                        .map(|i| codes(instrument, i))
                        .unwrap_or_default();
                    for row in f.rows(&order) {
                        for (s, v) in [
                            ("count", row.count),
                            ("percent", row.percent),
                            ("ci_low", row.ci_low),
                            ("ci_high", row.ci_high),
                        ] {
                            push(row.code.clone(), s, v);
                        }
                        if let (Some(benchmark), Some(category)) = (t.benchmark, &t.category)
                            && *category == row.code
                        {
                            push(row.code.clone(), "benchmark", benchmark);
                            push(row.code.clone(), "difference", row.percent - benchmark);
                        }
                    }
                    push(String::new(), "missing", f.missing);
                    push(String::new(), "effective_n", f.effective_n());
                }
                Kind::Summary => {
                    let variable = t.variable.as_deref().unwrap_or_default();
                    let mut s = Summary::default();
                    for r in &here {
                        s.add(
                            value(r, variable).and_then(|v| v.parse::<f64>().ok()),
                            weight(r),
                        );
                    }
                    let x = s.row();
                    for (name, v) in [
                        ("n", x.n as f64),
                        ("missing", x.missing as f64),
                        ("mean", x.mean),
                        ("sd", x.sd),
                        ("min", x.min),
                        ("q1", x.q1),
                        ("median", x.median),
                        ("q3", x.q3),
                        ("max", x.max),
                        ("ci_low", x.ci_low),
                        ("ci_high", x.ci_high),
                    ] {
                        push(String::new(), name, v);
                    }
                }
                Kind::Crosstab => {
                    let (rq, cq) = (
                        t.rows.as_deref().unwrap_or_default(),
                        t.columns.as_deref().unwrap_or_default(),
                    );
                    let mut c = Crosstab::default();
                    for r in &here {
                        c.add(value(r, rq), value(r, cq), weight(r));
                    }
                    let row_codes = find(instrument, rq)
                        .map(|i| codes(instrument, i))
                        .unwrap_or_default();
                    let col_codes = find(instrument, cq)
                        .map(|i| codes(instrument, i))
                        .unwrap_or_default();
                    for a in &row_codes {
                        for b in &col_codes {
                            let cell = format!("{a}|{b}");
                            push(cell.clone(), "count", c.cell(a, b));
                            push(cell.clone(), "row_percent", c.row_percent(a, b));
                            push(cell, "col_percent", c.col_percent(a, b));
                        }
                    }
                    if let Some(chi) = c.chi_square() {
                        push(String::new(), "chi_square", chi.statistic);
                        push(String::new(), "df", chi.df);
                        push(String::new(), "p", chi.p);
                    }
                }
                Kind::Prepost => {
                    let variable = t.variable.as_deref().unwrap_or_default();
                    let (wave, pre, post, pair_by) = (
                        t.wave.as_deref().unwrap_or_default(),
                        t.pre.as_deref().unwrap_or_default(),
                        t.post.as_deref().unwrap_or_default(),
                        t.pair_by.as_deref().unwrap_or_default(),
                    );
                    // A unit belongs to the group it was in at the pre wave (a unit seen only
                    // after, to its post-wave group), so a family that changed school between
                    // waves is still paired.
                    let collect = |records: &[&Submission], code: &str| -> BTreeMap<String, f64> {
                        records
                            .iter()
                            .filter(|r| value(r, wave) == Some(code))
                            .filter_map(|r| {
                                Some((
                                    value(r, pair_by)?.to_string(),
                                    value(r, variable)?.parse::<f64>().ok()?,
                                ))
                            })
                            .collect()
                    };
                    let pre_values = collect(&here, pre);
                    let pre_elsewhere: std::collections::BTreeSet<String> = collect(&kept, pre)
                        .into_keys()
                        .filter(|id| !pre_values.contains_key(id))
                        .collect();
                    let post_values: BTreeMap<String, f64> = collect(&kept, post)
                        .into_iter()
                        .filter(|(id, _)| {
                            pre_values.contains_key(id)
                                || (!pre_elsewhere.contains(id)
                                    && here.iter().any(|r| {
                                        value(r, wave) == Some(post)
                                            && value(r, pair_by) == Some(id.as_str())
                                    }))
                        })
                        .collect();
                    let p = paired_change(&pre_values, &post_values);
                    for (name, v) in [
                        ("pairs", p.pairs as f64),
                        ("pre_only", p.pre_only as f64),
                        ("post_only", p.post_only as f64),
                        ("mean_change", p.mean_change),
                        ("ci_low", p.ci_low),
                        ("ci_high", p.ci_high),
                        ("cohens_d", p.cohens_d),
                    ] {
                        push(String::new(), name, v);
                    }
                }
            }
        }
    }
    Ok(rows)
}

/// True when the record passes the filter (an expression over its top-level answers).
fn keeps(expr: &dala_expr::Expr, instrument: &Instrument, record: &Submission) -> bool {
    let mut env = SimpleEnv::default();
    for (_, item, _) in instrument.walk() {
        if !matches!(item.item_type, ItemType::Group | ItemType::Repeat) {
            env.set(item.name.as_str(), value(record, &item.name).unwrap_or(""));
        }
    }
    dala_expr::evaluate_boolean(expr, &env).unwrap_or(false)
}
