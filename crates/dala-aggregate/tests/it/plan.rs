//! Analysis plans on a handful of records whose tables are worked out by hand.

use dala_aggregate::plan::{PlanError, parse, run};
use dala_aggregate::tidy::TidyRow;
use dala_core::{Answer, Instrument, Status, Submission};
use serde_json::json;

pub(crate) fn form() -> Instrument {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "p", "version": "1", "default_language": "en"},
        "survey": [
            {"type": "select_one", "name": "consent", "list": "yn", "label": {"en": "Consent"}},
            {"type": "select_one", "name": "sex", "list": "sex", "label": {"en": "Sex"}},
            {"type": "select_one", "name": "wave", "list": "wave", "label": {"en": "Wave"}},
            {"type": "text", "name": "id", "label": {"en": "Id"}},
            {"type": "integer", "name": "score", "label": {"en": "Score"}},
        ],
        "choices": {
            "yn": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}],
            "sex": [{"name": "f", "label": {"en": "F"}}, {"name": "m", "label": {"en": "M"}}],
            "wave": [{"name": "pre", "label": {"en": "Pre"}}, {"name": "post", "label": {"en": "Post"}}],
        },
    });
    Instrument::from_json(&doc.to_string()).expect("valid")
}

/// A finalized record `uuid:N` of instrument `form` with these answers.
pub(crate) fn answered(n: usize, form: &str, answers: &[(&str, &str)]) -> Submission {
    Submission {
        format: 1,
        held: Vec::new(),
        files: Vec::new(),
        instance_name: None,
        instance_id: format!("uuid:{n}"),
        instrument_id: form.into(),
        instrument_version: "1".into(),
        status: Status::Finalized,
        started: String::new(),
        updated: String::new(),
        finalized: None,
        enumerator: String::new(),
        device_id: String::new(),
        answers: answers
            .iter()
            .map(|(q, v)| (q.to_string(), Answer::Value(v.to_string())))
            .collect(),
    }
}

pub(crate) fn record(
    n: usize,
    consent: &str,
    sex: &str,
    wave: &str,
    id: &str,
    score: &str,
) -> Submission {
    answered(
        n,
        "p",
        &[
            ("consent", consent),
            ("sex", sex),
            ("wave", wave),
            ("id", id),
            ("score", score),
        ],
    )
}

pub(crate) fn records() -> Vec<Submission> {
    vec![
        record(1, "yes", "f", "pre", "a", "2"),
        record(2, "yes", "m", "pre", "b", "3"),
        record(3, "yes", "f", "pre", "c", "4"),
        record(4, "no", "f", "pre", "d", "1"),
        record(5, "yes", "f", "post", "a", "3"),
        record(6, "yes", "m", "post", "b", "5"),
        record(7, "yes", "m", "post", "c", "4"),
        record(8, "yes", "f", "post", "e", "2"),
    ]
}

pub(crate) fn stat(
    rows: &[TidyRow],
    table: &str,
    group: &str,
    category: &str,
    statistic: &str,
) -> f64 {
    rows.iter()
        .find(|r| {
            r.table == table
                && r.group == group
                && r.category == category
                && r.statistic == statistic
        })
        .unwrap_or_else(|| panic!("no {table} {group} {category} {statistic}"))
        .value
}

#[test]
fn a_plan_filters_disaggregates_benchmarks_crosses_and_pairs() {
    let plan = parse(
        r#"
        [[table]]
        id = "women"
        kind = "frequency"
        variable = "sex"
        filter = "${consent} = 'yes'"
        benchmark = 50.6
        category = "f"
        by = "wave"

        [[table]]
        id = "sex_by_wave"
        kind = "crosstab"
        rows = "sex"
        columns = "wave"

        [[table]]
        id = "change"
        kind = "prepost"
        variable = "score"
        wave = "wave"
        pre = "pre"
        post = "post"
        pair_by = "id"
        "#,
    )
    .expect("plan");
    let rows = run(&plan, &form(), &records()).expect("runs");
    // With consent: 7 records, women 1, 3, 5, 8 → 4 of 7 = 57.142857%; 57.142857 − 50.6 = 6.542857.
    assert_eq!(stat(&rows, "women", "", "f", "count"), 4.0);
    assert!((stat(&rows, "women", "", "f", "percent") - 400.0 / 7.0).abs() < 1e-9);
    assert!((stat(&rows, "women", "", "f", "difference") - (400.0 / 7.0 - 50.6)).abs() < 1e-9);
    // Pre wave with consent: records 1, 2, 3 → women 2 of 3.
    assert!((stat(&rows, "women", "wave=pre", "f", "percent") - 200.0 / 3.0).abs() < 1e-9);
    // Crosstab of all 8: f|pre 3, f|post 2, m|pre 1, m|post 2; row % of f|pre = 3/5 = 60%.
    assert_eq!(stat(&rows, "sex_by_wave", "", "f|pre", "count"), 3.0);
    assert!((stat(&rows, "sex_by_wave", "", "f|pre", "row_percent") - 60.0).abs() < 1e-9);
    assert!((stat(&rows, "sex_by_wave", "", "m|post", "col_percent") - 50.0).abs() < 1e-9);
    // Pairs by id: a 2→3, b 3→5, c 4→4 (changes 1, 2, 0: mean 1, sd 1, d_z 1);
    // d only pre, e only post.
    assert_eq!(stat(&rows, "change", "", "", "pairs"), 3.0);
    assert_eq!(stat(&rows, "change", "", "", "pre_only"), 1.0);
    assert_eq!(stat(&rows, "change", "", "", "post_only"), 1.0);
    assert!((stat(&rows, "change", "", "", "mean_change") - 1.0).abs() < 1e-12);
    assert!((stat(&rows, "change", "", "", "cohens_d") - 1.0).abs() < 1e-12);
    // CI: 1 ± t(0.975; 2) × 1/√3 = 1 ± 4.302653 × 0.577350 = 1 ± 2.484138.
    assert!((stat(&rows, "change", "", "", "ci_high") - 3.484138).abs() < 1e-5);
}

#[test]
fn a_plan_with_mistakes_says_where() {
    let err = parse("[[table]]\nid = \"x\"\nkind = \"pie\"\n").expect_err("unknown kind");
    assert!(
        matches!(err, PlanError::Toml { line: Some(3), .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "P001");
    let plan = parse("[[table]]\nid = \"x\"\nkind = \"frequency\"\nvariable = \"nope\"\n")
        .expect("parses");
    assert_eq!(
        run(&plan, &form(), &[]).expect_err("unknown question"),
        PlanError::UnknownQuestion {
            table: "x".into(),
            key: "variable",
            name: "nope".into(),
        }
    );
    let plan = parse("[[table]]\nid = \"y\"\nkind = \"summary\"\nvariable = \"score\"\nfilter = \"${score} >\"\n").expect("parses");
    let bad = run(&plan, &form(), &[]).expect_err("bad filter");
    assert!(
        matches!(&bad, PlanError::Filter { table, problem, .. } if table == "y" && problem.code == dala_expr::Code::UnexpectedToken),
        "{bad:?}"
    );
}

#[test]
fn the_seed_plans_run_on_simulated_data() {
    for name in ["police-gender-representation", "fast-family-outcomes"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../surveys")
            .join(name);
        let instrument = Instrument::from_json(
            &std::fs::read_to_string(dir.join("instrument.json")).expect("json"),
        )
        .expect("reads");
        let plan = parse(&std::fs::read_to_string(dir.join("analysis.toml")).expect("plan"))
            .expect("plan parses");
        let form = dala_core::Form::compile(&instrument).expect("compiles");
        let waves = dala_aggregate::simulate::Waves {
            question: "wave".into(),
            codes: vec!["pre".into(), "post".into()],
            pair_by: "family_id".into(),
        };
        let records = if name.starts_with("fast") {
            dala_aggregate::simulate::simulate(&form, 20, 1, Some(&waves))
        } else {
            dala_aggregate::simulate::simulate(&form, 40, 1, None)
        };
        let rows = run(&plan, &instrument, &records).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        // The same plan over the wide CSV export of the same records gives the same tables.
        let csv = dala_aggregate::export::to_csv(
            &dala_aggregate::export::export(&instrument, &records, &Default::default())[0],
        );
        let mut aggregation =
            dala_aggregate::aggregation::Aggregation::new(&plan, &instrument).expect("plan");
        let report = dala_aggregate::wide_csv::aggregate_wide_csv(
            &mut aggregation,
            &instrument,
            csv.as_bytes(),
            false,
            |_| {},
        )
        .expect("reads");
        assert_eq!(report.rows as usize, records.len());
        let from_csv = aggregation.finish();
        assert_eq!(from_csv.len(), rows.len(), "{name}");
        for (a, b) in from_csv.iter().zip(&rows) {
            assert!(
                (a.table == b.table && a.group == b.group && a.statistic == b.statistic)
                    && (a.value == b.value || (a.value.is_nan() && b.value.is_nan())),
                "{name}: {a:?} from the CSV, {b:?} from the records"
            );
        }
        for table in &plan.table {
            assert!(
                rows.iter().any(|r| r.table == table.id),
                "{name}: table {} is empty",
                table.id
            );
        }
    }
}

#[test]
fn pre_post_groups_follow_the_pre_wave() {
    // Unit a is f at pre and m at post (a data-entry change); it is paired in group sex=f.
    let records = vec![
        record(1, "yes", "f", "pre", "a", "2"),
        record(2, "yes", "m", "post", "a", "5"),
        record(3, "yes", "m", "pre", "b", "1"),
        record(4, "yes", "m", "post", "b", "2"),
        record(5, "yes", "m", "post", "z", "4"),
    ];
    let plan = parse(
        "[[table]]\nid = \"c\"\nkind = \"prepost\"\nvariable = \"score\"\nwave = \"wave\"\npre = \"pre\"\npost = \"post\"\npair_by = \"id\"\nby = \"sex\"\n",
    )
    .expect("plan");
    let rows = run(&plan, &form(), &records).expect("runs");
    // sex=f: a (2 → 5), change 3. sex=m: b (1 → 2), change 1, and z seen only after.
    assert_eq!(stat(&rows, "c", "sex=f", "", "pairs"), 1.0);
    assert_eq!(stat(&rows, "c", "sex=f", "", "mean_change"), 3.0);
    assert_eq!(stat(&rows, "c", "sex=m", "", "pairs"), 1.0);
    assert_eq!(stat(&rows, "c", "sex=m", "", "mean_change"), 1.0);
    assert_eq!(stat(&rows, "c", "sex=m", "", "post_only"), 1.0);
    assert_eq!(stat(&rows, "c", "sex=f", "", "post_only"), 0.0);
}

#[test]
fn a_wide_csv_without_a_question_or_with_a_broken_row_says_where() {
    use dala_aggregate::aggregation::Aggregation;
    use dala_aggregate::wide_csv::{WideCsvError, aggregate_wide_csv};
    let plan =
        parse("[[table]]\nid = \"s\"\nkind = \"frequency\"\nvariable = \"sex\"\n").expect("plan");
    let mut aggregation = Aggregation::new(&plan, &form()).expect("plan");
    let missing = aggregate_wide_csv(
        &mut aggregation,
        &form(),
        "a,b\n1,2\n".as_bytes(),
        false,
        |_| {},
    );
    assert_eq!(
        missing.expect_err("no sex column"),
        WideCsvError::MissingColumn {
            question: "sex".into(),
            looked_for: vec!["sex".into()],
        }
    );
    let ragged = aggregate_wide_csv(
        &mut aggregation,
        &form(),
        "sex,Status\nf,finalized\nm\n".as_bytes(),
        false,
        |_| {},
    );
    assert!(
        matches!(ragged, Err(WideCsvError::Malformed { line: 3, .. })),
        "{ragged:?}"
    );
    // Drafts are left out unless asked for: f (finalized) and m (draft).
    let mut aggregation = Aggregation::new(&plan, &form()).expect("plan");
    let report = aggregate_wide_csv(
        &mut aggregation,
        &form(),
        "sex,Status\nf,finalized\nm,draft\n".as_bytes(),
        false,
        |_| {},
    )
    .expect("reads");
    assert_eq!((report.rows, report.drafts_skipped), (1, 1));
    let rows = aggregation.finish();
    assert_eq!(stat(&rows, "s", "", "f", "count"), 1.0);
    assert_eq!(stat(&rows, "s", "", "m", "count"), 0.0);
}

#[test]
fn a_plan_written_as_toml_reads_back_the_same() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../surveys/police-gender-representation/analysis.toml"
    ))
    .expect("the police plan");
    let plan = parse(&text).expect("plan");
    let written = dala_aggregate::plan::to_toml(&plan);
    let again = parse(&written).expect("reads back");
    assert_eq!(format!("{:?}", again.table), format!("{:?}", plan.table));
    // Only what the plan says is written: the first table has no `by`.
    let first = written.split("[[table]]").nth(1).expect("a table");
    assert!(
        first.contains("id = \"women_share\"") && !first.contains("by ="),
        "{written}"
    );
}

#[test]
fn a_unit_interviewed_twice_in_a_wave_keeps_the_record_saved_last_in_any_order() {
    use dala_aggregate::aggregation::Aggregation;
    use dala_aggregate::dataset::Dataset;
    let saved = |mut r: Submission, at: &str| {
        r.updated = at.into();
        r.finalized = Some(at.into());
        r
    };
    // Unit a at pre: 2 saved on 10 March, and 6 saved on 2 March (an earlier interview, on a
    // tablet whose bundle may be read later). Post: 5. Kept: pre 2, so a change of 3 (not 6 -> 5,
    // -1), in every order, from records, from the wide export and from the analyst's dataset.
    // Unit b has two post records saved at the same second: the greater instance id (uuid:6,
    // score 9) is kept, so b changes 1 -> 9, and the mean change is (3 + 8) / 2 = 5.5.
    let records = [
        saved(
            record(1, "yes", "f", "pre", "a", "2"),
            "2015-03-10T10:00:00Z",
        ),
        saved(
            record(2, "yes", "f", "post", "a", "5"),
            "2015-04-10T10:00:00Z",
        ),
        saved(
            record(3, "yes", "f", "pre", "a", "6"),
            "2015-03-02T10:00:00Z",
        ),
        saved(
            record(4, "yes", "m", "pre", "b", "1"),
            "2015-03-05T10:00:00Z",
        ),
        saved(
            record(5, "yes", "m", "post", "b", "4"),
            "2015-04-05T10:00:00Z",
        ),
        saved(
            record(6, "yes", "m", "post", "b", "9"),
            "2015-04-05T10:00:00Z",
        ),
    ];
    let plan = parse(
        "[[table]]\nid = \"c\"\nkind = \"prepost\"\nvariable = \"score\"\nwave = \"wave\"\npre = \"pre\"\npost = \"post\"\npair_by = \"id\"\n",
    )
    .expect("plan");
    let check = |rows: &[TidyRow], how: &str| {
        assert_eq!(stat(rows, "c", "", "", "pairs"), 2.0, "{how}");
        assert_eq!(stat(rows, "c", "", "", "mean_change"), 5.5, "{how}");
    };
    for order in [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [2, 5, 1, 3, 0, 4]] {
        let these: Vec<Submission> = order.iter().map(|&i| records[i].clone()).collect();
        check(
            &run(&plan, &form(), &these).expect("runs"),
            &format!("records {order:?}"),
        );

        let csv = dala_aggregate::export::to_csv(
            &dala_aggregate::export::export(&form(), &these, &Default::default())[0],
        );
        let mut aggregation = Aggregation::new(&plan, &form()).expect("plan");
        dala_aggregate::wide_csv::aggregate_wide_csv(
            &mut aggregation,
            &form(),
            csv.as_bytes(),
            false,
            |_| {},
        )
        .expect("reads");
        check(&aggregation.finish(), &format!("wide CSV {order:?}"));

        let mut dataset = Dataset::new(&form());
        for record in &these {
            dataset.push(record);
        }
        let all: Vec<usize> = (0..dataset.len()).collect();
        check(
            &dataset.aggregate(&plan, &form(), &all).expect("runs"),
            &format!("dataset {order:?}"),
        );

        // Merged slices in either order, as the command line's workers and tablets combine.
        let half = |rs: &[Submission]| {
            let mut a = Aggregation::new(&plan, &form()).expect("plan");
            rs.iter().for_each(|r| a.add_submission(r));
            a
        };
        let (left, right) = these.split_at(3);
        let mut merged = half(right);
        merged.merge(half(left));
        check(&merged.finish(), &format!("merged {order:?}"));
    }
}
