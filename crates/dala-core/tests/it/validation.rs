//! One case per validation code: a small instrument written inline, and the codes it gives.

use dala_core::{Column, Instrument, VCode, validate};
use serde_json::{Value, json};

fn form(survey: Value, choices: Value) -> Instrument {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "t", "version": "1", "default_language": "en"},
        "survey": survey,
        "choices": choices,
    });
    Instrument::from_json(&doc.to_string()).expect("test instruments are well-formed JSON")
}

fn q(item_type: &str, name: &str) -> Value {
    json!({"type": item_type, "name": name, "label": {"en": name}})
}

fn with(mut item: Value, key: &str, value: Value) -> Value {
    item[key] = value;
    item
}

fn codes(instrument: &Instrument) -> Vec<&'static str> {
    validate(instrument)
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

fn yes_no() -> Value {
    json!({"yn": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]})
}

#[test]
fn a_correct_instrument_has_no_diagnostics() {
    let f = form(
        json!([
            with(q("select_one", "consent"), "list", json!("yn")),
            with(
                with(q("integer", "age"), "relevant", json!("${consent} = 'yes'")),
                "constraint",
                json!(". >= 18")
            ),
            with(
                json!({"type": "calculate", "name": "adult"}),
                "calculation",
                json!("if(${age} >= 18, 1, 0)")
            ),
            json!({"type": "repeat", "name": "member", "label": {"en": "Member"}, "repeat_count": "${age}", "children": [q("text", "member_name")]}),
            with(
                json!({"type": "calculate", "name": "n"}),
                "calculation",
                json!("count(${member_name})")
            ),
        ]),
        yes_no(),
    );
    assert_eq!(validate(&f), vec![]);
}

#[test]
fn v001_duplicate_name() {
    // Siblings may not share a name (pyxform: unique within their nearest parent).
    let f = form(
        json!([{"type": "group", "name": "g", "label": {"en": "G"}, "children": [q("text", "a"), q("text", "a")]}]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V001"]);
    assert_eq!(
        validate(&f)[0].location.pointer,
        "/survey/0/children/1/name"
    );
    // Nor two repeats, wherever they are: a draft finds a repeat's held instances by name.
    let repeat =
        json!({"type": "repeat", "name": "r", "label": {"en": "R"}, "children": [q("text", "b")]});
    let f = form(
        json!([
            {"type": "group", "name": "g1", "label": {"en": "G1"}, "children": [repeat.clone()]},
            {"type": "group", "name": "g2", "label": {"en": "G2"}, "children": [repeat]},
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V001"]);
    // Two questions of one scope in different groups are two questions, as in pyxform.
    let f = form(
        json!([q("text", "a"), {"type": "group", "name": "g", "label": {"en": "G"}, "children": [q("text", "a")]}]),
        json!({}),
    );
    assert_eq!(codes(&f), Vec::<&str>::new());
}

/// The same name in a household roster and in the respondent block (issue 17): pyxform tells
/// them apart by their path, and so does a record (a repeat's answers are its instances'), so
/// the form loads; only a `${name}` that could mean either is an error (V020). A repeat and a
/// question inside it may share a name too, with no cycle.
#[test]
fn the_same_name_in_a_repeat_and_outside_it_is_two_questions() {
    let roster = json!([
        q("text", "name"),
        q("integer", "age"),
        {"type": "repeat", "name": "member", "label": {"en": "Member"}, "children": [
            q("text", "name"),
            q("integer", "age"),
            with(q("text", "school"), "relevant", json!("../age < 18")),
        ]},
        {"type": "repeat", "name": "visit", "label": {"en": "Visit"}, "children": [q("date", "visit")]},
    ]);
    let f = form(roster.clone(), json!({}));
    assert_eq!(codes(&f), Vec::<&str>::new(), "{:?}", validate(&f));
    let mut e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("compiles"),
        super::engine::host(),
    );
    let top = e.node("name", &[]).expect("the respondent's name");
    e.answer(&top, "Aida").expect("answer");
    let repeat = e.form().id("member").expect("the roster");
    let (member, _) = e.add_instance(repeat, &[]).expect("a member");
    let inner = e
        .pages()
        .iter()
        .flat_map(|p| p.nodes.clone())
        .find(|n| n.path == member.path && e.name(n) == "name")
        .expect("the member's name");
    e.answer(&inner, "Bermet").expect("answer");
    let record = e.record(dala_core::Status::Draft);
    assert_eq!(
        record.answers["name"],
        dala_core::Answer::Value("Aida".into())
    );
    let dala_core::Answer::Repeat(members) = &record.answers["member"] else {
        panic!("the roster's instances");
    };
    assert_eq!(
        members.last().map(|m| &m["name"]),
        Some(&dala_core::Answer::Value("Bermet".into())),
        "the member's own name, beside the respondent's"
    );

    // A reference that could mean either question is refused, where it is.
    let mut ambiguous = roster.as_array().expect("survey").clone();
    ambiguous.push(with(
        q("text", "greeting"),
        "relevant",
        json!("${name} != ''"),
    ));
    let f = form(json!(ambiguous), json!({}));
    assert_eq!(codes(&f), ["V020"]);
    assert_eq!(validate(&f)[0].location.pointer, "/survey/4/relevant");
    // Nor a group and a question side by side (pyxform: unique within their nearest parent).
    let f = form(
        json!([{"type": "group", "name": "g", "label": {"en": "G"}, "children": [q("text", "x")]}, q("text", "g")]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V001"]);
}

#[test]
fn v002_invalid_name() {
    assert_eq!(
        codes(&form(json!([q("text", "1st question")]), json!({}))),
        ["V002"]
    );
}

#[test]
fn v003_expression_syntax_keeps_the_expression_code_and_span() {
    let f = form(
        json!([
            q("integer", "a"),
            with(q("text", "b"), "relevant", json!("${a} > "))
        ]),
        json!({}),
    );
    let d = validate(&f);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, VCode::ExpressionSyntax);
    assert_eq!(
        d[0].expression_code(),
        Some(dala_expr::Code::UnexpectedToken)
    );
    assert_eq!(d[0].location.column, Some(Column::Relevant));
    assert_eq!(d[0].location.pointer, "/survey/1/relevant");
    assert_eq!(d[0].location.span.map(|s| s.start), Some(7));
}

#[test]
fn v003_wrong_arity_is_found_when_validating() {
    let f = form(
        json!([with(q("text", "b"), "constraint", json!("selected(.)"))]),
        json!({}),
    );
    let d = validate(&f);
    assert_eq!(d[0].expression_code(), Some(dala_expr::Code::WrongArity));
}

#[test]
fn v004_unknown_reference() {
    let f = form(
        json!([with(q("text", "b"), "relevant", json!("${nothere} = 1"))]),
        json!({}),
    );
    let d = validate(&f);
    assert_eq!(codes(&f), ["V004"]);
    assert_eq!(d[0].location.span.map(|s| (s.start, s.end)), Some((0, 10)));
}

#[test]
fn v005_reference_into_a_repeat_from_outside() {
    let f = form(
        json!([
            {"type": "repeat", "name": "member", "label": {"en": "M"}, "children": [q("integer", "age")]},
            with(q("text", "oldest"), "relevant", json!("${age} > 60")),
            with(json!({"type": "calculate", "name": "total"}), "calculation", json!("sum(${age})")),
            with(json!({"type": "calculate", "name": "second"}), "calculation", json!("indexed-repeat(${age}, ${member}, 2)")),
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V005"]);
    assert_eq!(validate(&f)[0].location.question.as_deref(), Some("oldest"));
    // A warning: the form runs as in ODK Web Forms (pyxform's test_last_saved_in_repeat reads
    // `${foo}` from outside its repeat). The reference is every instance's answer: XPath's
    // `ages > 60` holds when any instance's age does.
    assert!(validate(&f)[0].code.is_warning());
    let mut e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("compiles"),
        super::engine::host(),
    );
    let member = e.form().id("member").expect("member");
    e.add_instance(member, &[]).expect("a second member");
    let ages: Vec<_> = e.instances(member, &[]);
    let age = e.form().id("age").expect("age");
    let at = |i: usize| dala_core::NodeRef {
        item: age,
        path: ages[i].path.clone(),
    };
    let oldest = e.node("oldest", &[]).expect("oldest");
    e.answer(&at(0), "30").expect("answer");
    e.answer(&at(1), "70").expect("answer");
    assert!(e.relevant(&oldest), "the second member is over 60");
    e.answer(&at(1), "40").expect("answer");
    assert!(!e.relevant(&oldest));
}

#[test]
fn v005_siblings_inside_the_same_repeat_are_fine() {
    let f = form(
        json!([{"type": "repeat", "name": "member", "label": {"en": "M"}, "children": [
            q("integer", "age"),
            with(q("text", "school"), "relevant", json!("${age} < 18")),
        ]}]),
        json!({}),
    );
    assert_eq!(codes(&f), Vec::<&str>::new());
}

#[test]
fn v006_cycle_among_calculations() {
    let f = form(
        json!([
            with(
                json!({"type": "calculate", "name": "a"}),
                "calculation",
                json!("${b} + 1")
            ),
            with(
                json!({"type": "calculate", "name": "b"}),
                "calculation",
                json!("${c} + 1")
            ),
            with(
                json!({"type": "calculate", "name": "c"}),
                "calculation",
                json!("${a} + 1")
            ),
        ]),
        json!({}),
    );
    let d = validate(&f);
    assert_eq!(codes(&f), ["V006"], "one cycle, reported once");
    assert_eq!(
        d[0].finding,
        dala_core::Finding::Cycle {
            path: ["a", "b", "c", "a"].map(String::from).to_vec()
        },
        "the questions in the order they depend"
    );
}

#[test]
fn v006_a_group_relevant_on_its_own_child_is_a_cycle() {
    let f = form(
        json!([{"type": "group", "name": "g", "label": {"en": "G"}, "relevant": "${inside} = 1", "children": [q("integer", "inside")]}]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V006"]);
}

#[test]
fn v006_a_calculation_of_itself() {
    let f = form(
        json!([with(
            json!({"type": "calculate", "name": "a"}),
            "calculation",
            json!("${a} + 1")
        )]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V006"]);
}

#[test]
fn v007_selected_on_a_non_select() {
    let f = form(
        json!([
            q("text", "t"),
            with(q("text", "u"), "relevant", json!("selected(${t}, 'a')"))
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V007"]);
    // On a calculate it is how forms test a computed list of codes; ODK evaluates selected()
    // on any string (issue 17): no problem, and it works.
    let f = form(
        json!([
            with(
                json!({"type": "calculate", "name": "c"}),
                "calculation",
                json!("concat('a', ' ', 'b')")
            ),
            with(q("text", "u"), "relevant", json!("selected(${c}, 'b')"))
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), Vec::<&str>::new());
    let e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("compiles"),
        super::engine::host(),
    );
    assert!(
        e.relevant(&e.node("u", &[]).expect("u")),
        "'b' is among 'a b'"
    );
}

#[test]
fn v008_missing_choice_list() {
    let f = form(
        json!([
            q("select_one", "a"),
            with(q("select_multiple", "b"), "list", json!("nope"))
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V008", "V008"]);
}

#[test]
fn v009_list_on_a_non_select_is_a_warning() {
    let f = form(json!([with(q("text", "a"), "list", json!("yn"))]), yes_no());
    assert_eq!(codes(&f), ["V009"]);
    assert!(validate(&f)[0].code.is_warning());
}

#[test]
fn v010_choice_filter_on_an_unknown_column() {
    let choices = json!({
        "region": [{"name": "chui", "label": {"en": "Chui"}}],
        "district": [{"name": "bishkek", "label": {"en": "Bishkek"}, "extra": {"region": "chui"}}],
    });
    let ok = form(
        json!([
            with(q("select_one", "region"), "list", json!("region")),
            with(
                with(q("select_one", "district"), "list", json!("district")),
                "choice_filter",
                json!("region = ${region}")
            ),
        ]),
        choices.clone(),
    );
    assert_eq!(codes(&ok), Vec::<&str>::new());
    let bad = form(
        json!([
            with(q("select_one", "region"), "list", json!("region")),
            with(
                with(q("select_one", "district"), "list", json!("district")),
                "choice_filter",
                json!("oblast = ${region}")
            ),
        ]),
        choices,
    );
    assert_eq!(codes(&bad), ["V010"]);
    // A warning, as in ODK, where the column evaluates to empty (issue 17): the form loads,
    // and the filter keeps no choice.
    assert!(validate(&bad)[0].code.is_warning());
    let form = dala_core::Form::compile(&bad).expect("a warning does not stop the form");
    let mut e = dala_core::Engine::new(form, super::engine::host());
    let region = e.node("region", &[]).expect("region");
    e.answer(&region, "chui").expect("answer");
    let district = e.node("district", &[]).expect("district");
    assert!(
        e.choices(&district).is_empty(),
        "the unknown column is empty: no choice matches"
    );
}

#[test]
fn v011_label_missing_in_the_default_language() {
    let f = form(
        json!([{"type": "text", "name": "a", "label": {"ru": "Имя"}}]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V011"]);
}

#[test]
fn v012_constraint_on_a_note() {
    let f = form(
        json!([with(q("note", "n"), "constraint", json!(". > 1"))]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V012"]);
    // A warning, and without effect, as in ODK (issue 17): a required note, a constrained
    // calculate and a required group block nothing.
    assert!(validate(&f)[0].code.is_warning());
    let f = form(
        json!([
            with(q("note", "n"), "required", json!("yes")),
            with(with(json!({"type": "calculate", "name": "c"}), "calculation", json!("1 + 1")), "constraint", json!(". > 5")),
            {"type": "group", "name": "g", "label": {"en": "G"}, "required": "yes", "children": [q("text", "t")]},
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V012", "V012", "V012"]);
    let e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("warnings only"),
        super::engine::host(),
    );
    assert!(e.problems("en").is_empty(), "{:?}", e.problems("en"));
}

#[test]
fn v013_question_without_label() {
    let f = form(json!([{"type": "integer", "name": "a"}]), json!({}));
    assert_eq!(codes(&f), ["V013"]);
    // An error, as in pyxform ("has no label or hint").
    assert!(!validate(&f)[0].code.is_warning());
    // With a calculation and nothing to show it is a typed calculate: pyxform gives it no
    // control, so it needs no label and is not asked, while its value is computed.
    let f = form(
        json!([
            {"type": "integer", "name": "a", "calculation": "2 + 3"},
            q("text", "b"),
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), Vec::<&str>::new());
    let e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("compiles"),
        super::engine::host(),
    );
    let asked: Vec<String> = e
        .pages()
        .iter()
        .flat_map(|p| p.nodes.iter().map(|n| e.name(n).to_string()))
        .collect();
    assert_eq!(asked, ["b"]);
    assert_eq!(e.value(&e.node("a", &[]).expect("a")), "5");
}

#[test]
fn v014_calculate_without_calculation() {
    let f = form(json!([{"type": "calculate", "name": "c"}]), json!({}));
    assert_eq!(codes(&f), ["V014"]);
    // With a default it keeps the default, as pyxform and ODK do (pyxform's
    // test_dynamic_default_on_calculate: a random draw made once, read by a later calculate).
    let f = form(
        json!([
            {"type": "calculate", "name": "draw", "default": "random() + 0.5"},
            {"type": "calculate", "name": "arm", "calculation": "if(${draw} < 1, 'A', 'B')"},
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), Vec::<&str>::new());
    let e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("compiles"),
        super::engine::host(),
    );
    let draw: f64 = e
        .value(&e.node("draw", &[]).expect("draw"))
        .parse()
        .expect("a number");
    assert!((0.5..1.5).contains(&draw), "{draw}");
    let arm = if draw < 1.0 { "A" } else { "B" };
    assert_eq!(e.value(&e.node("arm", &[]).expect("arm")), arm);
}

/// A question with a trigger and nothing to show (pyxform's
/// test_handling_trigger_column_with_no_calculation_no_label_no_hint) has no control: it
/// needs no label and is not asked. One whose label is an image needs no text either.
#[test]
fn v013_not_for_a_triggered_value_or_an_image_label() {
    let f = form(
        json!([
            q("text", "a"),
            {"type": "decimal", "name": "e", "trigger": "${a}"},
            {"type": "text", "name": "c", "attributes": {"media::image": "m.png"}},
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), Vec::<&str>::new());
    let e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("compiles"),
        super::engine::host(),
    );
    let asked: Vec<String> = e
        .pages()
        .iter()
        .flat_map(|p| p.nodes.iter().map(|n| e.name(n).to_string()))
        .collect();
    assert_eq!(asked, ["a", "c"]);
}

#[test]
fn v015_bad_choice_lists() {
    let f = form(
        json!([with(q("select_one", "a"), "list", json!("dup"))]),
        json!({"dup": [{"name": "x", "label": {"en": "X"}}, {"name": "x", "label": {"en": "X again"}}], "empty": []}),
    );
    assert_eq!(codes(&f), ["V015", "V015"]);
}

#[test]
fn v016_children_on_a_question_and_v019_an_empty_group() {
    let f = form(
        json!([
            {"type": "group", "name": "g", "label": {"en": "G"}},
            {"type": "text", "name": "t", "label": {"en": "T"}, "children": [q("text", "u")]},
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V019", "V016"]);
    // An empty group or repeat is a warning, as in pyxform (which leaves it out, issue 17):
    // the form loads and the interview goes past it.
    let f = form(
        json!([
            q("text", "a"),
            {"type": "group", "name": "g", "label": {"en": "G"}},
            {"type": "repeat", "name": "r", "label": {"en": "R"}},
            q("text", "b"),
        ]),
        json!({}),
    );
    assert!(
        validate(&f)
            .iter()
            .all(|d| d.code == dala_core::VCode::EmptyContainer && d.code.is_warning())
    );
    let mut e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("warnings only"),
        super::engine::host(),
    );
    let b = e.node("b", &[]).expect("b");
    e.answer(&b, "x").expect("answer");
    let asked: Vec<String> = e
        .pages()
        .iter()
        .flat_map(|p| p.nodes.iter().map(|n| e.name(n).to_string()))
        .collect();
    assert_eq!(
        asked,
        ["a", "b"],
        "nothing asked for the empty group and repeat"
    );
    assert!(e.problems("en").is_empty());
}

#[test]
fn v017_repeat_count_on_a_group() {
    let f = form(
        json!([{"type": "group", "name": "g", "label": {"en": "G"}, "repeat_count": "3", "children": [q("text", "t")]}]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V017"]);
}

#[test]
fn v018_missing_settings() {
    let mut f = form(json!([q("text", "t")]), json!({}));
    f.settings.form_id = String::new();
    f.settings.version = " ".into();
    assert_eq!(codes(&f), ["V018", "V018"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let f = form(
        json!([
            {"type": "integer", "name": "a"},
            with(q("text", "a"), "relevant", json!("${zz}")),
            {"type": "calculate", "name": "c"},
        ]),
        json!({}),
    );
    let mut got = codes(&f);
    got.sort_unstable();
    assert_eq!(got, ["V001", "V004", "V013", "V014"]);
}

/// `${last-saved#name}` names a question of the form (any, itself included: it reads the
/// record saved last, so there is no cycle); a name the form lacks is V004 as any other.
#[test]
fn last_saved_references_name_questions_of_the_form() {
    let f = form(
        json!([
            with(q("integer", "visit"), "default", json!("${last-saved#visit} + 1")),
            {"type": "calculate", "name": "again", "calculation": "${last-saved#again}"},
        ]),
        json!({}),
    );
    assert_eq!(codes(&f), Vec::<&str>::new());
    let f = form(
        json!([with(
            q("text", "team"),
            "default",
            json!("${last-saved#teem}")
        )]),
        json!({}),
    );
    assert_eq!(codes(&f), ["V004"]);
}

/// A default is read once, when the form or the instance starts (ODK's setvalue on the first
/// load or a new repeat), so one that reads the same question in the instance before is no
/// cycle (pyxform's test_mixed_variables_and_indexed_repeat..._exception form).
#[test]
fn v006_not_for_a_default_reading_the_instance_before() {
    let f = form(
        json!([{"type": "repeat", "name": "r1", "label": {"en": "Reading"}, "children": [
            {"type": "calculate", "name": "q1", "calculation": "position(..)"},
            with(
                q("integer", "q4"),
                "default",
                json!("if(${q1} = 1, '', indexed-repeat(${q4}, ${r1}, ${q1} - 1))")
            ),
        ]}]),
        json!({}),
    );
    assert_eq!(codes(&f), Vec::<&str>::new());
    let mut e = dala_core::Engine::new(
        dala_core::Form::compile(&f).expect("compiles"),
        super::engine::host(),
    );
    let r1 = e.form().id("r1").expect("r1");
    let first = e.instances(r1, &[])[0].clone();
    let q4 = e.form().id("q4").expect("q4");
    e.answer(
        &dala_core::NodeRef {
            item: q4,
            path: first.path.clone(),
        },
        "120",
    )
    .expect("answer");
    let (second, _) = e.add_instance(r1, &[]).expect("a second reading");
    assert_eq!(
        e.value(&dala_core::NodeRef {
            item: q4,
            path: second.path.clone(),
        }),
        "120",
        "starts from the reading before"
    );
}

#[test]
fn v021_a_geopoint_the_device_fills_that_cannot_be_filled() {
    // As pyxform: a background-geopoint needs its trigger and has no calculation. And only a
    // geopoint holds a position.
    let f = form(
        json!([
            q("integer", "temp"),
            {"type": "geopoint", "name": "start_at", "capture": "start"},
            {"type": "geopoint", "name": "temp_at", "capture": "trigger", "trigger": "${temp}"},
        ]),
        json!({}),
    );
    assert!(codes(&f).is_empty(), "{:?}", validate(&f));
    let f = form(
        json!([
            q("integer", "temp"),
            {"type": "geopoint", "name": "no_trigger", "capture": "trigger"},
            {"type": "geopoint", "name": "computed", "capture": "trigger", "trigger": "${temp}", "calculation": "5 * ${temp}"},
            {"type": "text", "name": "where", "capture": "start"},
        ]),
        json!({}),
    );
    let found = validate(&f);
    let at: Vec<(&str, Option<&str>, Option<Column>)> = found
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.location.question.as_deref(),
                d.location.column,
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("V021", Some("no_trigger"), Some(Column::Trigger)),
            ("V021", Some("computed"), Some(Column::Calculation)),
            ("V021", Some("where"), Some(Column::Type)),
        ]
    );
    assert!(found.iter().all(|d| !d.code.is_warning()));
}

#[test]
fn v023_a_media_parameter_that_cannot_be_used() {
    // pyxform's tests: `max-pixels=640` is taken, `max-pixels=foo` refused ("must have an
    // integer value"); an audio's quality is voice-only, low, normal or external, `foo`
    // refused ("Invalid value for quality").
    let f = form(
        json!([
            {"type": "image", "name": "photo", "label": {"en": "Photo"}, "parameters": {"max-pixels": "640"}},
            {"type": "audio", "name": "voice", "label": {"en": "Voice"}, "parameters": {"quality": "voice-only"}},
            {"type": "video", "name": "clip", "label": {"en": "Clip"}},
            {"type": "file", "name": "report", "label": {"en": "Report"}},
            {"type": "barcode", "name": "code", "label": {"en": "Code"}},
        ]),
        json!({}),
    );
    assert!(codes(&f).is_empty(), "{:?}", validate(&f));
    let f = form(
        json!([
            {"type": "image", "name": "photo", "label": {"en": "Photo"}, "parameters": {"max-pixels": "foo"}},
            {"type": "image", "name": "zero", "label": {"en": "Zero"}, "parameters": {"max-pixels": "0"}},
            {"type": "audio", "name": "voice", "label": {"en": "Voice"}, "parameters": {"quality": "foo"}},
        ]),
        json!({}),
    );
    let found = validate(&f);
    let at: Vec<(&str, Option<&str>, Option<Column>, String)> = found
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.location.question.as_deref(),
                d.location.column,
                d.location.pointer.clone(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            (
                "V023",
                Some("photo"),
                Some(Column::Parameters),
                "/survey/0/parameters/max-pixels".to_string()
            ),
            (
                "V023",
                Some("zero"),
                Some(Column::Parameters),
                "/survey/1/parameters/max-pixels".to_string()
            ),
            (
                "V023",
                Some("voice"),
                Some(Column::Parameters),
                "/survey/2/parameters/quality".to_string()
            ),
        ]
    );
    assert!(found.iter().all(|d| !d.code.is_warning()));
}
