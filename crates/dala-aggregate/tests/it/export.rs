//! The wide CSV layout, the codebook, bundle merging and simulation.

use dala_aggregate::export::{Options, codebook, export, export_csv, to_csv};
use dala_aggregate::merge::Merged;
use dala_aggregate::simulate::{Waves, simulate};
use dala_core::record::{BUNDLE_KIND, BundleHeader, RECORD_FORMAT, write_bundle};
use dala_core::{Answer, Form, Instrument, Status, Submission};
use serde_json::json;
use std::collections::BTreeMap;

fn household_form() -> Instrument {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "hh", "version": "3", "default_language": "en"},
        "survey": [
            {"type": "group", "name": "place", "label": {"en": "Place"}, "children": [
                {"type": "select_one", "name": "district", "list": "district", "label": {"en": "District"}},
                {"type": "geopoint", "name": "gps", "label": {"en": "GPS"}},
            ]},
            {"type": "select_multiple", "name": "needs", "list": "needs", "label": {"en": "Needs"}},
            {"type": "repeat", "name": "member", "label": {"en": "Member"}, "children": [
                {"type": "text", "name": "member_name", "label": {"en": "Name"}},
                {"type": "repeat", "name": "job", "label": {"en": "Job"}, "children": [
                    {"type": "text", "name": "job_title", "label": {"en": "Job"}},
                ]},
            ]},
        ],
        "choices": {
            "district": [{"name": "osh", "label": {"en": "Osh", "ru": "Ош"}}, {"name": "naryn", "label": {"en": "Naryn"}}],
            "needs": [{"name": "water", "label": {"en": "Water"}}, {"name": "school", "label": {"en": "School"}}, {"name": "road", "label": {"en": "Road"}}],
        },
    });
    Instrument::from_json(&doc.to_string()).expect("valid")
}

fn v(s: &str) -> Answer {
    Answer::Value(s.into())
}

fn record(id: &str) -> Submission {
    let job = |t: &str| BTreeMap::from([("job_title".to_string(), v(t))]);
    Submission {
        format: RECORD_FORMAT,
        held: Vec::new(),
        files: Vec::new(),
        instance_name: None,
        instance_id: id.into(),
        instrument_id: "hh".into(),
        instrument_version: "3".into(),
        status: Status::Finalized,
        started: "2015-03-17T10:00:00.000+06:00".into(),
        updated: "2015-03-17T10:20:00.000+06:00".into(),
        finalized: Some("2015-03-17T10:20:00.000+06:00".into()),
        enumerator: "Aida".into(),
        device_id: "tablet-07".into(),
        answers: BTreeMap::from([
            ("district".to_string(), v("osh")),
            ("gps".to_string(), v("40.51 72.80 960 4.5")),
            ("needs".to_string(), v("water road")),
            (
                "member".to_string(),
                Answer::Repeat(vec![
                    BTreeMap::from([
                        ("member_name".to_string(), v("Aibek")),
                        (
                            "job".to_string(),
                            Answer::Repeat(vec![job("driver"), job("=cmd")]),
                        ),
                    ]),
                    BTreeMap::from([
                        ("member_name".to_string(), v("Nurgul")),
                        ("job".to_string(), Answer::Repeat(vec![])),
                    ]),
                ]),
            ),
        ]),
    }
}

#[test]
fn the_main_table_follows_odk_central() {
    let tables = export(
        &household_form(),
        &[record("uuid:a")],
        &Options {
            split_select_multiples: true,
            ..Options::default()
        },
    );
    let main = &tables[0];
    assert_eq!(main.name, "hh.csv");
    assert_eq!(
        main.rows[0].join(","),
        "SubmissionDate,place-district,place-gps-Latitude,place-gps-Longitude,place-gps-Altitude,place-gps-Accuracy,\
         needs,needs/water,needs/school,needs/road,KEY,SubmitterID,SubmitterName,Status,DeviceID,FormVersion"
    );
    assert_eq!(
        main.rows[1].join(","),
        "2015-03-17T10:20:00.000+06:00,osh,40.51,72.80,960,4.5,water road,1,0,1,uuid:a,,Aida,finalized,tablet-07,3"
    );
}

#[test]
fn repeats_get_their_own_tables_with_chained_keys() {
    let tables = export(&household_form(), &[record("uuid:a")], &Options::default());
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["hh.csv", "hh-job.csv", "hh-member.csv"]);
    let member = &tables[2];
    assert_eq!(
        member.rows[0].join(","),
        "member-member_name,PARENT_KEY,KEY"
    );
    assert_eq!(member.rows[2].join(","), "Nurgul,uuid:a,uuid:a/member[2]");
    let job = &tables[1];
    assert_eq!(job.rows[0].join(","), "job-job_title,PARENT_KEY,KEY");
    assert_eq!(
        job.rows[2].join(","),
        "=cmd,uuid:a/member[1],uuid:a/member[1]/job[2]"
    );
    // Made inert in the CSV text.
    assert!(
        to_csv(job).contains("'=cmd,uuid:a/member[1]"),
        "{}",
        to_csv(job)
    );
}

#[test]
fn csv_bytes_of_every_table_hold_each_record_once() {
    let files = export_csv(
        &household_form(),
        [record("uuid:a"), record("uuid:b")],
        &Options::default(),
    );
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["hh.csv", "hh-job.csv", "hh-member.csv"]);
    let main = String::from_utf8(files[0].1.clone()).expect("utf-8");
    // A header and a line per record; each record has two members.
    assert_eq!(main.lines().count(), 3);
    assert!(
        main.lines().nth(2).is_some_and(|l| l.contains(",uuid:b,")),
        "{main}"
    );
    let member = String::from_utf8(files[2].1.clone()).expect("utf-8");
    assert_eq!(member.lines().count(), 5);
    assert!(
        member.ends_with("Nurgul,uuid:b,uuid:b/member[2]\n"),
        "{member}"
    );
    // The job table's formula is inert here too.
    let job = String::from_utf8(files[1].1.clone()).expect("utf-8");
    assert!(job.contains("'=cmd,uuid:a/member[1]"), "{job}");
}

#[test]
fn bare_names_labels_and_a_codebook() {
    let tables = export(
        &household_form(),
        &[record("uuid:a")],
        &Options {
            no_group_paths: true,
            labels: Some("ru".into()),
            ..Options::default()
        },
    );
    assert_eq!(tables[0].rows[0][1], "district");
    assert_eq!(
        tables[0].rows[1][1], "Ош",
        "a label in the language asked for"
    );
    assert_eq!(
        tables[0].rows[1][6], "Water Road",
        "no Russian label: the default language"
    );
    let book = codebook(&household_form(), "en");
    assert_eq!(
        book.rows[1].join("|"),
        "district|District|select_one|osh=Osh; naryn=Naryn"
    );
}

#[test]
fn merging_bundles_drops_duplicates_and_drafts_and_reports_bad_lines() {
    let header = BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: "hh".into(),
        instrument_version: "3".into(),
        device_id: "tablet-07".into(),
        created: "2015-03-17T18:00:00.000+06:00".into(),
    };
    let mut draft = record("uuid:c");
    draft.status = Status::Draft;
    let first = write_bundle(&header, &[record("uuid:a"), record("uuid:b"), draft]);
    let second = format!("{}{{broken\n", write_bundle(&header, &[record("uuid:b")]));
    let mut merged = Merged::default();
    merged.add_bundle("one", first.as_bytes(), "hh", false);
    merged.add_bundle("two", second.as_bytes(), "hh", false);
    merged.add_bundle("three", b"not a bundle", "hh", false);
    assert_eq!(
        merged.records.keys().collect::<Vec<_>>(),
        ["uuid:a", "uuid:b"]
    );
    assert_eq!((merged.duplicates, merged.drafts_skipped), (1, 1));
    assert_eq!(merged.bad_lines.len(), 1);
    assert_eq!(
        (merged.bad_lines[0].0.as_str(), merged.bad_lines[0].1),
        ("two", 3)
    );
    assert_eq!(merged.bad_bundles.len(), 1);
}

fn seed(name: &str) -> Form {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../surveys/{name}/instrument.json"));
    Form::compile(
        &Instrument::from_json(&std::fs::read_to_string(path).expect("seed")).expect("reads"),
    )
    .expect("compiles")
}

#[test]
fn simulated_police_interviews_are_finalized_and_reproducible() {
    let form = seed("police-gender-representation");
    let a = simulate(&form, 25, 11, None);
    let b = simulate(&form, 25, 11, None);
    assert_eq!(a, b, "the same seed gives the same data");
    assert!(
        a.iter().all(|r| r.status == Status::Finalized),
        "every constraint and requirement met"
    );
    // The choice filter holds: every district belongs to the chosen region.
    let list = &form.instrument.choices["district"];
    for r in &a {
        if let (Some(Answer::Value(region)), Some(Answer::Value(district))) =
            (r.answers.get("region"), r.answers.get("district"))
        {
            let choice = list
                .iter()
                .find(|c| &c.name == district)
                .expect("a district of the list");
            assert_eq!(choice.extra.get("region"), Some(region));
        }
    }
}

#[test]
fn simulated_panels_pair_units_across_waves() {
    let form = seed("fast-family-outcomes");
    let waves = Waves {
        question: "wave".into(),
        codes: vec!["pre".into(), "post".into()],
        pair_by: "family_id".into(),
    };
    let records = simulate(&form, 10, 3, Some(&waves));
    assert_eq!(records.len(), 20);
    for pair in records.chunks(2) {
        assert_eq!(pair[0].answers.get("wave"), Some(&v("pre")));
        assert_eq!(pair[1].answers.get("wave"), Some(&v("post")));
        assert_eq!(
            pair[0].answers.get("family_id"),
            pair[1].answers.get("family_id")
        );
        assert!(
            !pair[0].answers.contains_key("sessions_attended"),
            "asked after the programme only"
        );
        assert!(pair[1].answers.contains_key("sessions_attended"));
    }
}

/// The respondent's and the household head's name and age in two groups (pyxform allows it):
/// the record keys them by group path (`head/age`), the export gives each its column in
/// Central's layout (`head-age`), with bare names the path keeps the two apart, and the
/// codebook and the tables name each by its key.
#[test]
fn a_name_in_two_groups_has_a_column_each() {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "hh", "version": "1", "default_language": "en"},
        "survey": [
            {"type": "group", "name": "respondent", "label": {"en": "Respondent"}, "children": [
                {"type": "text", "name": "name", "label": {"en": "Name"}},
                {"type": "integer", "name": "age", "label": {"en": "Age"}},
            ]},
            {"type": "group", "name": "head", "label": {"en": "Head"}, "children": [
                {"type": "text", "name": "name", "label": {"en": "Head's name"}},
                {"type": "integer", "name": "age", "label": {"en": "Head's age"}},
            ]},
            {"type": "integer", "name": "members", "label": {"en": "Members"}},
        ],
        "choices": {},
    });
    let form = Instrument::from_json(&doc.to_string()).expect("valid");
    assert!(dala_core::validate(&form).is_empty());
    let mut one = record("uuid:a");
    one.instrument_version = "1".into();
    one.answers = BTreeMap::from([
        ("respondent/name".to_string(), v("Aida")),
        ("respondent/age".to_string(), v("34")),
        ("head/name".to_string(), v("Bakyt")),
        ("head/age".to_string(), v("61")),
        ("members".to_string(), v("5")),
    ]);
    let tables = export(&form, std::slice::from_ref(&one), &Options::default());
    assert_eq!(
        tables[0].rows[0][..6].join(","),
        "SubmissionDate,respondent-name,respondent-age,head-name,head-age,members"
    );
    assert_eq!(tables[0].rows[1][1..6].join(","), "Aida,34,Bakyt,61,5");
    let bare = export(
        &form,
        std::slice::from_ref(&one),
        &Options {
            no_group_paths: true,
            ..Options::default()
        },
    );
    assert_eq!(
        bare[0].rows[0][1..6].join(","),
        "respondent/name,respondent/age,head/name,head/age,members"
    );
    let book = codebook(&form, "en");
    assert_eq!(book.rows[4].join("|"), "head/age|Head's age|integer|");

    // Tables name the question by its key; the two ages are two variables.
    let plan = dala_aggregate::plan::parse(
        "[[table]]\nid = \"age\"\nkind = \"summary\"\nvariable = \"head/age\"\n",
    )
    .expect("a plan");
    let rows = dala_aggregate::plan::run(&plan, &form, std::slice::from_ref(&one)).expect("tables");
    assert!(
        rows.iter()
            .any(|r| r.variable == "head/age" && r.statistic == "mean" && r.value == 61.0),
        "{rows:#?}"
    );
}

/// A plan names a shared question by its key: the bare name, which two questions have, is
/// refused (P003) rather than read as empty.
#[test]
fn a_plan_names_a_shared_question_by_its_key() {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "hh", "version": "1", "default_language": "en"},
        "survey": [
            {"type": "group", "name": "respondent", "label": {"en": "Respondent"}, "children": [
                {"type": "integer", "name": "age", "label": {"en": "Age"}},
            ]},
            {"type": "group", "name": "head", "label": {"en": "Head"}, "children": [
                {"type": "integer", "name": "age", "label": {"en": "Head's age"}},
            ]},
        ],
        "choices": {},
    });
    let form = Instrument::from_json(&doc.to_string()).expect("valid");
    let plan = |variable: &str| {
        dala_aggregate::plan::parse(&format!(
            "[[table]]\nid = \"age\"\nkind = \"summary\"\nvariable = \"{variable}\"\n"
        ))
        .expect("a plan")
    };
    let refused = dala_aggregate::plan::check(&plan("age"), &form).expect_err("ambiguous");
    assert_eq!(refused.code(), "P003");
    assert!(dala_aggregate::plan::check(&plan("head/age"), &form).is_ok());
}
