use dala_aggregate::stats::{Z_95, chi_square_p, kish_effective_n, quantile_sorted, t_975, wilson};
use dala_aggregate::tables::{Frequency, Summary, paired_change};
use dala_aggregate::tidy::{TidyRow, neutralise, write_csv};
use dala_core::Submission;
use std::collections::BTreeMap;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn wilson_interval_of_13_in_100() {
    // Women were 13% of staff. p = 0.13, z² = 3.841459, 1 + z²/n = 1.0384146;
    // centre = (0.13 + 0.0192073) / 1.0384146 = 0.143687;
    // margin = 1.959964 × √(0.1131/100 + 3.841459/40000) / 1.0384146 = 0.066116.
    let (lo, hi) = wilson(13.0, 100.0, Z_95).expect("n > 0");
    assert!(close(lo, 0.077571, 1e-5), "{lo}");
    assert!(close(hi, 0.209803, 1e-5), "{hi}");
    assert_eq!(wilson(0.0, 0.0, Z_95), None);
    // No successes: the lower bound is 0, the upper z²/(n + z²) = 3.841459/13.841459 = 0.277533.
    let (lo, hi) = wilson(0.0, 10.0, Z_95).expect("n > 0");
    assert!(
        close(lo, 0.0, 1e-12) && close(hi, 0.277533, 1e-5),
        "{lo} {hi}"
    );
}

#[test]
fn distributions_at_known_points() {
    // Tables of Student's t: t(0.975; 7) = 2.364624, t(0.975; 4) = 2.776445.
    assert!(close(t_975(7.0).expect("df"), 2.364624, 1e-5));
    assert!(close(t_975(4.0).expect("df"), 2.776445, 1e-5));
    // χ²(1) upper tail at 3.841459 is 0.05; χ²(2) at 5.991465 is 0.05.
    assert!(close(chi_square_p(3.841459, 1.0).expect("df"), 0.05, 1e-6));
    assert!(close(chi_square_p(5.991465, 2.0).expect("df"), 0.05, 1e-6));
    assert!(
        close(kish_effective_n(8.0, 22.0), 64.0 / 22.0, 1e-12),
        "weights 1, 1, 2, 4"
    );
}

#[test]
fn summary_of_a_small_sample() {
    // 2 4 4 4 5 5 7 9: mean 5; Σ(x − 5)² = 32, sd = √(32/7) = 2.138090;
    // 95% CI: 5 ± 2.364624 × 2.138090 / √8 = 5 ± 1.787487.
    // Quartiles (type 7): Q1 at h = 1.75 → 4; median at 3.5 → 4.5; Q3 at 5.25 → 5.5.
    let mut s = Summary::default();
    for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
        s.add(Some(x), 1.0);
    }
    s.add(None, 1.0);
    let r = s.row();
    assert_eq!((r.n, r.missing), (8, 1));
    assert!(close(r.mean, 5.0, 1e-12));
    assert!(close(r.sd, 2.138090, 1e-6));
    assert!(
        close(r.ci_low, 3.212513, 1e-5) && close(r.ci_high, 6.787487, 1e-5),
        "{r:?}"
    );
    assert_eq!(
        (r.min, r.q1, r.median, r.q3, r.max),
        (2.0, 4.0, 4.5, 5.5, 9.0)
    );
    assert_eq!(quantile_sorted(&[], 0.5), None);
}

#[test]
fn weighted_mean_and_kish_n() {
    // Values 10, 20 with weights 1, 3: mean (10 + 60)/4 = 17.5; Kish n = 16/10 = 1.6.
    let mut s = Summary::default();
    s.add(Some(10.0), 1.0);
    s.add(Some(20.0), 3.0);
    assert!(close(s.mean(), 17.5, 1e-12));
    // Reliability weights: M2 = 1×7.5² + 3×2.5² = 75; Σw − Σw²/Σw = 4 − 10/4 = 1.5; sd = √50.
    assert!(close(s.sd(), 50f64.sqrt(), 1e-12));
}

/// One plan run on records of a small form: the tables through the one accumulation path
/// `dala aggregate`, Analyse and the wide-CSV reader all use.
fn tables(
    survey: serde_json::Value,
    choices: serde_json::Value,
    plan: &str,
    answers: &[&[(&str, &str)]],
) -> Vec<TidyRow> {
    let doc = serde_json::json!({
        "format": 1,
        "settings": {"form_id": "h", "version": "1", "default_language": "en"},
        "survey": survey,
        "choices": choices,
    });
    let instrument = dala_core::Instrument::from_json(&doc.to_string()).expect("valid");
    let records: Vec<Submission> = answers
        .iter()
        .enumerate()
        .map(|(n, answers)| super::plan::answered(n, "h", answers))
        .collect();
    let plan = dala_aggregate::plan::parse(plan).expect("plan");
    dala_aggregate::plan::run(&plan, &instrument, &records).expect("runs")
}

fn value(rows: &[TidyRow], category: &str, statistic: &str) -> f64 {
    rows.iter()
        .find(|r| r.group.is_empty() && r.category == category && r.statistic == statistic)
        .unwrap_or_else(|| panic!("no {category} {statistic} in {rows:#?}"))
        .value
}

#[test]
fn frequency_of_select_one_and_select_multiple() {
    let choices = serde_json::json!({
        "sex": [{"name": "f", "label": {"en": "F"}}, {"name": "m", "label": {"en": "M"}}, {"name": "x", "label": {"en": "X"}}],
        "needs": [{"name": "family", "label": {"en": "Family"}}, {"name": "stereotypes", "label": {"en": "Stereotypes"}}, {"name": "training", "label": {"en": "Training"}}],
    });
    let survey = serde_json::json!([
        {"type": "select_one", "name": "sex", "list": "sex", "label": {"en": "Sex"}},
        {"type": "select_multiple", "name": "needs", "list": "needs", "label": {"en": "Needs"}},
    ]);
    let rows = tables(
        survey.clone(),
        choices.clone(),
        "[[table]]\nid = \"s\"\nkind = \"frequency\"\nvariable = \"sex\"\n",
        &[
            &[("sex", "f")],
            &[("sex", "m")],
            &[("sex", "m")],
            &[("sex", "f")],
            &[("sex", "m")],
            &[],
        ],
    );
    assert_eq!(
        ["f", "m", "x"].map(|c| value(&rows, c, "count")),
        [2.0, 3.0, 0.0]
    );
    assert!(close(value(&rows, "f", "percent"), 40.0, 1e-12));
    assert!(close(value(&rows, "m", "percent"), 60.0, 1e-12));
    assert_eq!(value(&rows, "", "missing"), 1.0);
    // Wilson for 2 of 5: centre (0.4 + 0.384146)/1.768292 = 0.443448,
    // margin 1.959964 × √(0.048 + 0.038415)/1.768292 = 1.959964 × 0.293964/1.768292
    // = 0.325828 → 11.7620% to 76.9276%.
    assert!(close(value(&rows, "f", "ci_low"), 11.7620, 1e-3));
    assert!(close(value(&rows, "f", "ci_high"), 76.9276, 1e-3));

    // select_multiple: family is chosen by all 3 respondents (100%), 3 of 5 responses.
    let rows = tables(
        survey,
        choices,
        "[[table]]\nid = \"n\"\nkind = \"frequency\"\nvariable = \"needs\"\n",
        &[
            &[("needs", "family stereotypes")],
            &[("needs", "family")],
            &[("needs", "training family")],
        ],
    );
    assert!(close(value(&rows, "family", "percent"), 100.0, 1e-12));
    assert!(close(value(&rows, "stereotypes", "count"), 1.0, 1e-12));
    assert!(close(
        value(&rows, "training", "percent"),
        100.0 / 3.0,
        1e-12
    ));
    // And the estimate itself from its counts: 3 of 5 responses are family's.
    let m = Frequency {
        counts: BTreeMap::from([
            ("family".into(), 3.0),
            ("stereotypes".into(), 1.0),
            ("training".into(), 1.0),
        ]),
        respondents: 3.0,
        respondents_w2: 3.0,
        responses: 5.0,
        missing: 0.0,
    };
    let family = m
        .rows(&[])
        .into_iter()
        .find(|r| r.code == "family")
        .expect("family");
    assert!(close(family.percent, 100.0, 1e-12) && close(family.percent_of_responses, 60.0, 1e-12));
}

#[test]
fn crosstab_percentages_and_chi_square() {
    // [[10, 20], [30, 40]]: expected 12, 18, 28, 42;
    // χ² = 4/12 + 4/18 + 4/28 + 4/42 = 0.793651, df 1, p = 2(1 − Φ(0.890871)) = 0.373.
    let mut answers: Vec<&[(&str, &str)]> = Vec::new();
    for (cell, n) in [
        (&[("r", "a"), ("c", "x")][..], 10),
        (&[("r", "a"), ("c", "y")][..], 20),
        (&[("r", "b"), ("c", "x")][..], 30),
        (&[("r", "b"), ("c", "y")][..], 40),
    ] {
        answers.extend(std::iter::repeat_n(cell, n));
    }
    answers.push(&[("c", "x")]);
    let rows = tables(
        serde_json::json!([
            {"type": "select_one", "name": "r", "list": "ab", "label": {"en": "R"}},
            {"type": "select_one", "name": "c", "list": "xy", "label": {"en": "C"}},
        ]),
        serde_json::json!({
            "ab": [{"name": "a", "label": {"en": "A"}}, {"name": "b", "label": {"en": "B"}}],
            "xy": [{"name": "x", "label": {"en": "X"}}, {"name": "y", "label": {"en": "Y"}}],
        }),
        "[[table]]\nid = \"t\"\nkind = \"crosstab\"\nrows = \"r\"\ncolumns = \"c\"\n",
        &answers,
    );
    let total: f64 = ["a|x", "a|y", "b|x", "b|y"]
        .iter()
        .map(|c| value(&rows, c, "count"))
        .sum();
    assert_eq!(total, 100.0, "the record without a row answer is left out");
    assert!(close(
        value(&rows, "a|x", "row_percent"),
        100.0 / 3.0,
        1e-12
    ));
    assert!(close(
        value(&rows, "b|y", "col_percent"),
        40.0 / 60.0 * 100.0,
        1e-12
    ));
    assert!(close(value(&rows, "", "chi_square"), 0.793651, 1e-6));
    assert_eq!(value(&rows, "", "df"), 1.0);
    assert!(close(value(&rows, "", "p"), 0.37300, 1e-4));
}

#[test]
fn paired_pre_post_change() {
    // Changes 1, 2, 0, 3, −1: mean 1, sd √(10/4) = 1.581139;
    // CI 1 ± 2.776445 × 1.581139/√5 = 1 ± 1.963243; d_z = 1/1.581139 = 0.632456.
    let pre: BTreeMap<String, f64> = [
        ("a", 2.0),
        ("b", 3.0),
        ("c", 4.0),
        ("d", 1.0),
        ("e", 5.0),
        ("f", 3.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let post: BTreeMap<String, f64> = [
        ("a", 3.0),
        ("b", 5.0),
        ("c", 4.0),
        ("d", 4.0),
        ("e", 4.0),
        ("g", 1.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let p = paired_change(&pre, &post);
    assert_eq!((p.pairs, p.pre_only, p.post_only), (5, 1, 1));
    assert!(close(p.mean_change, 1.0, 1e-12));
    assert!(
        close(p.ci_low, -0.963243, 1e-5) && close(p.ci_high, 2.963243, 1e-5),
        "{p:?}"
    );
    assert!(close(p.cohens_d, 0.632456, 1e-6));
}

#[test]
fn csv_cells_are_inert_and_numbers_stay_numbers() {
    // OWASP CSV injection payloads.
    for payload in [
        "=1+1",
        "+1+1",
        "-1+1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "=cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
    ] {
        assert!(neutralise(payload).starts_with('\''), "{payload:?}");
    }
    for plain in ["-3.5", "42", "Osh", "", "a=b"] {
        assert_eq!(neutralise(plain), plain);
    }
    let rows = vec![TidyRow {
        table: "share".into(),
        variable: "=HYPERLINK(\"x\")".into(),
        group: "district=osh".into(),
        category: "f".into(),
        statistic: "percent".into(),
        value: -12.5,
    }];
    let mut out = Vec::new();
    write_csv(&rows, &mut out).expect("csv");
    let text = String::from_utf8(out).expect("utf8");
    assert_eq!(
        text,
        "table,variable,group,category,statistic,value\nshare,\"'=HYPERLINK(\"\"x\"\")\",district=osh,f,percent,-12.5\n"
    );
}
