//! Property tests: counts add up, percentages sum to 100, and merging partial aggregates gives
//! the aggregate of everything.

use dala_aggregate::tables::Summary;
use proptest::prelude::*;

/// One record: a select_one answer, a second select_one, a number and a weight.
type Record = (Option<String>, Option<String>, Option<f64>, f64);

fn answers() -> impl Strategy<Value = Vec<Record>> {
    prop::collection::vec(
        (
            prop::option::of(prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_string)),
            prop::option::of(prop::sample::select(vec!["x", "y"]).prop_map(str::to_string)),
            prop::option::of(-1000.0f64..1000.0),
            prop::sample::select(vec![1.0, 1.0, 0.5, 2.0]),
        ),
        0..200,
    )
}

proptest! {
    /// Through the one accumulation path (a plan's frequency table, weighted): the counts add
    /// up to the respondents' weight, the missing to the rest, the percents to 100, and each
    /// interval holds its percent.
    #[test]
    fn counts_sum_to_n_and_percents_to_100(data in answers()) {
        let cells = cells(&data);
        let rows = aggregate(FREQUENCY, &cells).finish();
        let of = |statistic: &str| -> Vec<&dala_aggregate::tidy::TidyRow> {
            rows.iter().filter(|r| r.table == "f" && r.group.is_empty() && r.statistic == statistic).collect()
        };
        let answered: f64 = data.iter().filter(|d| d.0.is_some()).map(|d| d.3).sum();
        let unanswered: f64 = data.iter().filter(|d| d.0.is_none()).map(|d| d.3).sum();
        let total: f64 = of("count").iter().map(|r| r.value).sum();
        prop_assert!((total - answered).abs() < 1e-9, "{total} {answered}");
        prop_assert!((of("missing")[0].value - unanswered).abs() < 1e-9);
        if answered > 0.0 {
            let percent: f64 = of("percent").iter().map(|r| r.value).sum();
            prop_assert!((percent - 100.0).abs() < 1e-9);
            for ((p, lo), hi) in of("percent").iter().zip(of("ci_low")).zip(of("ci_high")) {
                prop_assert!(lo.value <= p.value + 1e-9 && p.value <= hi.value + 1e-9);
            }
        }
    }

    /// A summary's moments and quartiles merge into those of the whole.
    #[test]
    fn merging_parts_equals_the_whole(data in answers(), split in 0usize..200) {
        let split = split.min(data.len());
        let (mut sa, mut sb, mut sall) = (Summary::default(), Summary::default(), Summary::default());
        for (i, (_, _, x, w)) in data.iter().enumerate() {
            let s = if i < split { &mut sa } else { &mut sb };
            s.add(*x, *w);
            sall.add(*x, *w);
        }
        sa.merge(&sb);
        let (merged, whole) = (sa.row(), sall.row());
        prop_assert_eq!(merged.n, whole.n);
        prop_assert_eq!(merged.missing, whole.missing);
        if whole.n > 0 {
            prop_assert!((merged.mean - whole.mean).abs() < 1e-6 * (1.0 + whole.mean.abs()));
            prop_assert_eq!(merged.median, whole.median);
        }
        if whole.n > 2 {
            prop_assert!((merged.sd - whole.sd).abs() < 1e-6 * (1.0 + whole.sd));
        }
    }
}

const FREQUENCY: &str =
    "[[table]]\nid = \"f\"\nkind = \"frequency\"\nvariable = \"a\"\nweight = \"w\"\n";

/// The records as cells of the columns a, b, x and w.
fn cells(data: &[Record]) -> Vec<[Option<String>; 4]> {
    data.iter()
        .map(|(a, b, x, w)| {
            [
                a.clone(),
                b.clone(),
                x.map(|x| x.to_string()),
                Some(w.to_string()),
            ]
        })
        .collect()
}

/// A plan's aggregation over rows of cells, as the wide-CSV reader and Analyse feed it.
fn aggregate(plan: &str, rows: &[[Option<String>; 4]]) -> dala_aggregate::aggregation::Aggregation {
    let instrument = plan_form();
    let plan = dala_aggregate::plan::parse(plan).expect("plan");
    let mut agg =
        dala_aggregate::aggregation::Aggregation::new(&plan, &instrument).expect("plan fits");
    let names: Vec<String> = agg
        .columns()
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    let at: Vec<usize> = names
        .iter()
        .map(|n| {
            ["a", "b", "x", "w"]
                .iter()
                .position(|m| m == n)
                .expect("known")
        })
        .collect();
    for row in rows {
        agg.add(Default::default(), |i| {
            row[at[i]].as_deref().map(str::as_bytes)
        });
    }
    agg
}

fn plan_form() -> dala_core::Instrument {
    let doc = serde_json::json!({
        "format": 1,
        "settings": {"form_id": "p", "version": "1", "default_language": "en"},
        "survey": [
            {"type": "select_one", "name": "a", "list": "abc", "label": {"en": "A"}},
            {"type": "select_one", "name": "b", "list": "xy", "label": {"en": "B"}},
            {"type": "decimal", "name": "x", "label": {"en": "X"}},
            {"type": "decimal", "name": "w", "label": {"en": "W"}},
        ],
        "choices": {
            "abc": [{"name": "a", "label": {"en": "A"}}, {"name": "b", "label": {"en": "B"}}],
            "xy": [{"name": "x", "label": {"en": "X"}}, {"name": "y", "label": {"en": "Y"}}],
        },
    });
    dala_core::Instrument::from_json(&doc.to_string()).expect("valid")
}

const PLAN: &str = r#"
[[table]]
id = "f"
kind = "frequency"
variable = "a"
by = "b"
weight = "w"
[[table]]
id = "c"
kind = "crosstab"
rows = "a"
columns = "b"
[[table]]
id = "s"
kind = "summary"
variable = "x"
by = "a"
"#;

proptest! {
    /// A plan run over two slices, merged, gives the rows of one pass. Code `c` is not in the
    /// choice list, so the two slices number their codes differently.
    #[test]
    fn a_plan_over_slices_merges_into_the_whole(data in answers(), split in 0usize..200) {
        let split = split.min(data.len());
        let cells = cells(&data);
        let run = |rows: &[[Option<String>; 4]]| aggregate(PLAN, rows);
        let whole = run(&cells).finish();
        let mut first = run(&cells[split..]);
        first.merge(run(&cells[..split]));
        let mut second = run(&cells[..split]);
        second.merge(run(&cells[split..]));
        for merged in [first.finish(), second.finish()] {
            prop_assert_eq!(merged.len(), whole.len());
            for (m, w) in merged.iter().zip(&whole) {
                prop_assert_eq!((&m.table, &m.group, &m.category, &m.statistic), (&w.table, &w.group, &w.category, &w.statistic));
                let same = (m.value.is_nan() && w.value.is_nan()) || (m.value - w.value).abs() <= 1e-6 * (1.0 + w.value.abs());
                prop_assert!(same, "{:?} vs {:?}", m, w);
            }
        }
    }
}

proptest! {
    /// Any bytes given as a wide CSV give rows or an error with a line, never a panic.
    #[test]
    fn any_wide_csv_is_read_or_refused_with_a_line(
        body in prop::collection::vec(prop::sample::select(vec![
            "a", "b", "c", "x", "1.5", "-2", "", ",", "\n", "\"", "\r\n", "draft", "é", " ",
        ]), 0..80),
        header in prop::sample::select(vec!["a,b,x,w", "b,a,Status,x,w", "a,b,x,w,a", "x"]),
    ) {
        use dala_aggregate::aggregation::Aggregation;
        use dala_aggregate::wide_csv::{WideCsvError, aggregate_wide_csv};
        let instrument = plan_form();
        let plan = dala_aggregate::plan::parse(PLAN).expect("plan");
        let mut aggregation = Aggregation::new(&plan, &instrument).expect("plan fits");
        let text = format!("{header}\n{}", body.concat());
        match aggregate_wide_csv(&mut aggregation, &instrument, text.as_bytes(), false, |_| {}) {
            Ok(report) => prop_assert!(report.rows as usize <= text.lines().count()),
            Err(WideCsvError::Malformed { line, .. }) => prop_assert!(line >= 1),
            Err(WideCsvError::MissingColumn { .. }) => prop_assert_eq!(header, "x"),
        }
        let _ = aggregation.finish();
    }
}

/// The records of `answers()` as submissions of `plan_form()`, with an enumerator each.
fn submissions(data: &[Record]) -> Vec<dala_core::Submission> {
    data.iter()
        .enumerate()
        .map(|(i, (a, b, x, w))| {
            let mut answers = std::collections::BTreeMap::new();
            for (name, value) in [
                ("a", a.clone()),
                ("b", b.clone()),
                ("x", x.map(|x| x.to_string())),
                ("w", Some(w.to_string())),
            ] {
                if let Some(v) = value {
                    answers.insert(name.to_string(), dala_core::Answer::Value(v));
                }
            }
            dala_core::Submission {
                format: 1,
                held: Vec::new(),
                files: Vec::new(),
                instance_name: None,
                instance_id: format!("uuid:{i}"),
                instrument_id: "p".into(),
                instrument_version: "1".into(),
                status: if i % 7 == 3 {
                    dala_core::Status::Draft
                } else {
                    dala_core::Status::Finalized
                },
                started: format!("2015-03-{:02}T09:00:00.000+06:00", 1 + i % 28),
                updated: String::new(),
                finalized: None,
                enumerator: ["Aigul", "Nodira", "Bakyt"][i % 3].into(),
                device_id: String::new(),
                answers,
            }
        })
        .collect()
}

proptest! {
    /// The analyst's dataset keeps exactly the records a filter names (checked record by
    /// record), and its tables over them are the tables of those records fed one by one.
    #[test]
    fn a_dataset_filters_and_tables_like_the_records(
        data in answers(),
        code in prop::option::of(prop::sample::select(vec!["a", "b", "c"])),
        enumerator in prop::option::of(prop::sample::select(vec!["Aigul", "Bakyt", "Zarina"])),
        finalized in any::<bool>(),
        days in (1u32..29, 1u32..29),
    ) {
        use dala_aggregate::aggregation::Aggregation;
        use dala_aggregate::dataset::{Dataset, Filter};
        let instrument = plan_form();
        let records = submissions(&data);
        let mut dataset = Dataset::new(&instrument);
        for r in &records {
            prop_assert!(dataset.push(r));
        }
        let (from, to) = (format!("2015-03-{:02}", days.0.min(days.1)), format!("2015-03-{:02}", days.0.max(days.1)));
        let filter = Filter {
            answers: code.iter().map(|c| ("a".to_string(), c.to_string())).collect(),
            enumerator: enumerator.map(String::from),
            status: finalized.then_some(dala_core::Status::Finalized),
            from: Some(from.clone()),
            to: Some(to.clone()),
        };
        let expected: Vec<usize> = records
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let a = match r.answers.get("a") { Some(dala_core::Answer::Value(v)) => Some(v.as_str()), _ => None };
                code.is_none_or(|c| a == Some(c))
                    && enumerator.is_none_or(|e| r.enumerator == e)
                    && (!finalized || r.status == dala_core::Status::Finalized)
                    && r.started[..10] >= *from.as_str() && r.started[..10] <= *to.as_str()
            })
            .map(|(i, _)| i)
            .collect();
        let rows = dataset.select(&filter);
        prop_assert_eq!(&rows, &expected);
        let plan = dala_aggregate::plan::parse(PLAN).expect("plan");
        let mut one_by_one = Aggregation::new(&plan, &instrument).expect("plan fits");
        for &i in &expected {
            one_by_one.add_submission(&records[i]);
        }
        let ours = dataset.aggregate(&plan, &instrument, &rows).expect("plan fits");
        prop_assert_eq!(format!("{ours:?}"), format!("{:?}", one_by_one.finish()));
    }
}
