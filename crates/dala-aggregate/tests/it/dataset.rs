//! The analyst's dataset: columns of answers, filters, and tables over the rows kept; the
//! records and hand-worked values are those of `plan.rs`.

use super::plan::{form, record, records, stat};
use dala_aggregate::dataset::{Dataset, Filter};
use dala_aggregate::plan::parse;
use dala_core::{Answer, Instrument, Status};
use serde_json::json;
use std::collections::BTreeMap;

fn dataset() -> Dataset {
    let mut data = Dataset::new(&form());
    for (i, mut r) in records().into_iter().enumerate() {
        // Records 1-4 by Aigul on 1 March, 5-8 by Nodira on 2 March; record 8 is a draft.
        r.enumerator = if i < 4 { "Aigul" } else { "Nodira" }.into();
        r.started = format!("2015-03-0{}T09:00:00.000+06:00", 1 + i / 4);
        if i == 7 {
            r.status = Status::Draft;
        }
        assert!(data.push(&r));
    }
    data
}

#[test]
fn records_become_columns_and_a_duplicate_is_refused() {
    let mut data = dataset();
    assert_eq!(data.len(), 8);
    let names: Vec<&str> = data.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["consent", "sex", "wave", "id", "score"]);
    let sex = data.column("sex").expect("sex");
    assert_eq!(data.value(1, sex), Some("m"));
    assert_eq!(data.value(8, sex), None, "no such row");
    assert_eq!(data.instance_id(4), Some("uuid:5"));
    assert_eq!(data.enumerator(4), Some("Nodira"));
    assert_eq!(data.started(0), Some("2015-03-01"));
    assert_eq!(data.status(7), Some(Status::Draft));
    assert!(
        !data.push(&record(3, "no", "m", "post", "z", "1")),
        "uuid:3 is in"
    );
    assert_eq!(data.len(), 8);
    assert_eq!(data.enumerators(), ["Aigul", "Nodira"]);
}

#[test]
fn filters_keep_the_rows_where_every_condition_holds() {
    let data = dataset();
    let women = Filter {
        answers: vec![("sex".into(), "f".into())],
        ..Filter::default()
    };
    // Women: records 1, 3, 4, 5, 8 (rows 0, 2, 3, 4, 7).
    assert_eq!(data.select(&women), [0, 2, 3, 4, 7]);
    let finalized_women_on_2_march = Filter {
        status: Some(Status::Finalized),
        from: Some("2015-03-02".into()),
        to: Some("2015-03-02".into()),
        ..women.clone()
    };
    assert_eq!(data.select(&finalized_women_on_2_march), [4]);
    let by_aigul = Filter {
        enumerator: Some("Aigul".into()),
        ..Filter::default()
    };
    assert_eq!(data.select(&by_aigul), [0, 1, 2, 3]);
    let nobody = Filter {
        enumerator: Some("Bakyt".into()),
        ..Filter::default()
    };
    assert!(data.select(&nobody).is_empty());
    let no_code = Filter {
        answers: vec![("sex".into(), "x".into())],
        ..Filter::default()
    };
    assert!(data.select(&no_code).is_empty());
    let no_question = Filter {
        answers: vec![("height".into(), "1".into())],
        ..Filter::default()
    };
    assert!(data.select(&no_question).is_empty());
    assert_eq!(data.select(&Filter::default()).len(), 8);
}

#[test]
fn tables_over_the_rows_kept_match_the_hand_calculation() {
    let data = dataset();
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
        "#,
    )
    .expect("plan");
    let all: Vec<usize> = (0..data.len()).collect();
    let rows = data.aggregate(&plan, &form(), &all).expect("runs");
    // With consent: 7 records, women 1, 3, 5, 8 → 4 of 7; pre wave: 2 of 3 (records 1, 2, 3).
    assert_eq!(stat(&rows, "women", "", "f", "count"), 4.0);
    assert!((stat(&rows, "women", "", "f", "percent") - 400.0 / 7.0).abs() < 1e-9);
    assert!((stat(&rows, "women", "wave=pre", "f", "percent") - 200.0 / 3.0).abs() < 1e-9);
    // Finalized only (record 8 is a draft): women 1, 3, 5 of 6 with consent = 50%.
    let finalized = data.select(&Filter {
        status: Some(Status::Finalized),
        ..Filter::default()
    });
    let rows = data.aggregate(&plan, &form(), &finalized).expect("runs");
    assert_eq!(stat(&rows, "women", "", "f", "count"), 3.0);
    assert!((stat(&rows, "women", "", "f", "percent") - 50.0).abs() < 1e-9);
    // Post wave, finalized, with consent: records 5 (f), 6 (m), 7 (m) → 1 of 3.
    assert_eq!(stat(&rows, "women", "wave=post", "f", "count"), 1.0);
    assert!((stat(&rows, "women", "wave=post", "f", "percent") - 100.0 / 3.0).abs() < 1e-9);
}

#[test]
fn questions_inside_repeats_and_notes_are_not_columns() {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "h", "version": "1", "default_language": "en"},
        "survey": [
            {"type": "note", "name": "intro", "label": {"en": "Hello"}},
            {"type": "group", "name": "g", "label": {"en": "G"}, "children": [
                {"type": "integer", "name": "size", "label": {"en": "Size"}}
            ]},
            {"type": "repeat", "name": "member", "label": {"en": "Member"}, "children": [
                {"type": "text", "name": "member_name", "label": {"en": "Name"}}
            ]}
        ]
    });
    let instrument = Instrument::from_json(&doc.to_string()).expect("valid");
    let mut data = Dataset::new(&instrument);
    let names: Vec<&str> = data.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["size"]);
    let mut r = record(1, "yes", "f", "pre", "a", "2");
    r.answers = BTreeMap::from([
        ("size".into(), Answer::Value("3".into())),
        (
            "member".into(),
            Answer::Repeat(vec![BTreeMap::from([(
                "member_name".into(),
                Answer::Value("Aziza".into()),
            )])]),
        ),
    ]);
    assert!(data.push(&r));
    assert_eq!(data.value(0, 0), Some("3"));
}
