//! The engine as scenarios: build a form, answer, then check what the UI would see.

use dala_core::{Answer, Engine, Form, Host, Instrument, NodeRef, ProblemKind, Status, What};
use dala_expr::date::DateTime;
use serde_json::{Value, json};
use std::cell::Cell;

/// A host with a fixed clock (2015-03-17 10:30 in Bishkek) and a counting random source.
pub struct FixedHost {
    next: Cell<u64>,
}

impl Host for FixedHost {
    fn now(&self) -> DateTime {
        DateTime {
            epoch_ms: 16_511 * 86_400_000 + 16_200_000,
            offset_minutes: 360,
        }
    }
    fn random(&self) -> f64 {
        let n = self.next.get();
        self.next.set(n + 1);
        ((n * 7919) % 1000) as f64 / 1000.0
    }
    fn device_id(&self) -> String {
        "tablet-07".into()
    }
}

impl Default for FixedHost {
    fn default() -> FixedHost {
        FixedHost { next: Cell::new(1) }
    }
}

pub fn host() -> Box<dyn Host> {
    Box::new(FixedHost::default())
}

pub fn engine(survey: Value, choices: Value) -> Engine {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "t", "version": "1", "default_language": "en"},
        "survey": survey,
        "choices": choices,
    });
    let instrument = Instrument::from_json(&doc.to_string()).expect("well-formed");
    let form = Form::compile(&instrument).unwrap_or_else(|d| panic!("{d:#?}"));
    Engine::new(form, host())
}

fn q(t: &str, name: &str) -> Value {
    json!({"type": t, "name": name, "label": {"en": name}})
}

fn with(mut item: Value, key: &str, value: &str) -> Value {
    item[key] = json!(value);
    item
}

fn yn() -> Value {
    json!({"yn": [{"name": "yes", "label": {"en": "Yes", "ru": "Да"}}, {"name": "no", "label": {"en": "No", "ru": "Нет"}}]})
}

#[test]
fn relevance_follows_answers_and_groups() {
    let mut e = engine(
        json!([
            with(q("select_one", "works"), "list", "yn"),
            {"type": "group", "name": "job", "label": {"en": "Job"}, "relevant": "${works} = 'yes'", "children": [
                q("integer", "years"),
                with(q("text", "rank"), "relevant", "${years} > 2"),
            ]},
        ]),
        yn(),
    );
    let works = e.node("works", &[]).expect("node");
    let years = e.node("years", &[]).expect("node");
    let rank = e.node("rank", &[]).expect("node");
    assert!(!e.relevant(&years), "the group starts non-relevant");
    let changes = e.answer(&works, "yes").expect("answer");
    assert!(e.relevant(&years));
    assert!(changes.contains(&years, What::Relevant));
    assert!(!e.relevant(&rank), "its own relevant is still false");
    e.answer(&years, "5").expect("answer");
    assert!(e.relevant(&rank));
    e.answer(&works, "no").expect("answer");
    assert!(
        !e.relevant(&rank),
        "a group's relevance reaches its children"
    );
    assert_eq!(
        e.value(&years),
        "5",
        "the answer is kept while hidden, in case it comes back"
    );
}

#[test]
fn an_answer_changes_exactly_its_dependents() {
    let mut e = engine(
        json!([
            q("integer", "a"),
            q("integer", "unrelated"),
            with(
                json!({"type": "calculate", "name": "double"}),
                "calculation",
                "${a} * 2"
            ),
            with(
                json!({"type": "calculate", "name": "quad"}),
                "calculation",
                "${double} * 2"
            ),
            with(q("text", "other"), "relevant", "${unrelated} > 0"),
        ]),
        json!({}),
    );
    let a = e.node("a", &[]).expect("a");
    let changes = e.answer(&a, "3").expect("answer");
    let double = e.node("double", &[]).expect("double");
    let quad = e.node("quad", &[]).expect("quad");
    assert_eq!(e.value(&double), "6");
    assert_eq!(e.value(&quad), "12");
    let touched: Vec<&str> = changes.changes.iter().map(|c| e.name(&c.node)).collect();
    assert_eq!(touched, ["a", "double", "quad"], "{changes:?}");
    assert!(
        e.answer(&a, "3").expect("same answer").is_empty(),
        "the same answer changes nothing"
    );
}

#[test]
fn required_and_constraint_with_messages_per_language() {
    let mut e = engine(
        json!([{
            "type": "integer", "name": "age", "label": {"en": "Age"}, "required": "yes",
            "constraint": ". >= 18 and . <= 65",
            "constraint_message": {"en": "Staff are 18 to 65", "ru": "Сотрудникам от 18 до 65 лет"},
            "required_message": {"en": "Age is needed"},
        }]),
        json!({}),
    );
    let age = e.node("age", &[]).expect("age");
    assert!(e.required(&age));
    assert!(
        !e.constraint_violated(&age),
        "an empty answer breaks no constraint"
    );
    let changes = e.answer(&age, "17").expect("answer");
    assert!(e.constraint_violated(&age));
    assert!(changes.contains(&age, What::Constraint));
    assert_eq!(
        e.problem_message(&age, ProblemKind::Constraint, "ru")
            .as_deref(),
        Some("Сотрудникам от 18 до 65 лет")
    );
    assert_eq!(
        e.problem_message(&age, ProblemKind::Constraint, "ky")
            .as_deref(),
        Some("Staff are 18 to 65"),
        "falls back to the default language"
    );
    e.answer(&age, "30").expect("answer");
    assert!(!e.constraint_violated(&age));
    e.answer(&age, "").expect("clear");
    let problems = e.finalize("en").expect_err("required is unanswered");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::Required);
    assert_eq!(problems[0].message.as_deref(), Some("Age is needed"));
}

#[test]
fn answers_of_the_wrong_kind_are_refused_and_nothing_changes() {
    let mut e = engine(
        json!([
            q("integer", "n"),
            q("decimal", "x"),
            q("date", "d"),
            with(q("select_one", "s"), "list", "yn"),
            with(q("select_multiple", "m"), "list", "yn"),
            with(
                json!({"type": "calculate", "name": "c"}),
                "calculation",
                "1"
            )
        ]),
        yn(),
    );
    let n = e.node("n", &[]).expect("n");
    e.answer(&n, "12").expect("answer");
    for (name, value) in [
        ("n", "12.5"),
        ("n", "abc"),
        ("x", "1e3"),
        ("d", "2015-02-30"),
        ("s", "maybe"),
        ("m", "yes maybe"),
    ] {
        let node = e.node(name, &[]).expect("node");
        assert!(e.answer(&node, value).is_err(), "{name} = {value}");
    }
    assert_eq!(e.value(&n), "12");
    let m = e.node("m", &[]).expect("m");
    e.answer(&m, " no  yes no ").expect("answer");
    assert_eq!(
        e.value(&m),
        "yes no",
        "codes in the list's order (as ODK stores the boxes ticked), duplicates dropped"
    );
    let c = e.node("c", &[]).expect("c");
    assert!(
        e.answer(&c, "2").is_err(),
        "a calculate is not answered by hand"
    );
}

#[test]
fn labels_fill_in_references() {
    let mut e = engine(
        json!([q("text", "name"), {"type": "integer", "name": "age", "label": {"en": "How old is ${name}?", "ru": "Сколько лет ${name}?"}}]),
        json!({}),
    );
    let name = e.node("name", &[]).expect("name");
    let age = e.node("age", &[]).expect("age");
    assert_eq!(e.label(&age, "en"), "How old is ?");
    let changes = e.answer(&name, "Aida").expect("answer");
    assert!(changes.contains(&age, What::Label));
    assert_eq!(e.label(&age, "ru"), "Сколько лет Aida?");
}

#[test]
fn choice_filter_narrows_the_list_and_drops_an_answer_no_longer_offered() {
    let choices = json!({
        "region": [{"name": "chui", "label": {"en": "Chui"}}, {"name": "osh_region", "label": {"en": "Osh region"}}],
        "district": [
            {"name": "bishkek", "label": {"en": "Bishkek"}, "extra": {"region": "chui"}},
            {"name": "sokuluk", "label": {"en": "Sokuluk"}, "extra": {"region": "chui"}},
            {"name": "osh", "label": {"en": "Osh"}, "extra": {"region": "osh_region"}},
        ],
    });
    let mut e = engine(
        json!([
            with(q("select_one", "region"), "list", "region"),
            with(
                with(q("select_one", "district"), "list", "district"),
                "choice_filter",
                "region = ${region}"
            )
        ]),
        choices,
    );
    let region = e.node("region", &[]).expect("region");
    let district = e.node("district", &[]).expect("district");
    assert!(e.choices(&district).is_empty());
    e.answer(&region, "chui").expect("answer");
    let names: Vec<&str> = e
        .choices(&district)
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["bishkek", "sokuluk"]);
    e.answer(&district, "sokuluk").expect("answer");
    let changes = e.answer(&region, "osh_region").expect("answer");
    assert!(changes.contains(&district, What::Choices));
    assert_eq!(e.value(&district), "", "Sokuluk is not in Osh region");
}

fn household() -> Engine {
    engine(
        json!([
            q("integer", "hh_size"),
            {"type": "repeat", "name": "member", "label": {"en": "Member"}, "repeat_count": "${hh_size}", "children": [
                q("text", "member_name"),
                q("integer", "member_age"),
                with(q("text", "school"), "relevant", "${member_age} < 18"),
                with(json!({"type": "calculate", "name": "pos"}), "calculation", "position(..)"),
                {"type": "note", "name": "intro", "label": {"en": "Member ${pos} of ${hh_size}"}},
            ]},
            with(json!({"type": "calculate", "name": "total_age"}), "calculation", "sum(${member_age})"),
            with(json!({"type": "calculate", "name": "children"}), "calculation", "count(${member}) - count-non-empty(${school})"),
            with(json!({"type": "calculate", "name": "second_name"}), "calculation", "indexed-repeat(${member_name}, ${member}, 2)"),
        ]),
        json!({}),
    )
}

#[test]
fn repeat_count_drives_the_instances() {
    let mut e = household();
    let size = e.node("hh_size", &[]).expect("size");
    let repeat = e.form().id("member").expect("repeat");
    assert_eq!(e.instances(repeat, &[]).len(), 0);
    let changes = e.answer(&size, "3").expect("answer");
    assert_eq!(e.instances(repeat, &[]).len(), 3);
    assert_eq!(
        changes
            .changes
            .iter()
            .filter(|c| c.what == What::InstanceAdded)
            .count(),
        3
    );
    let pos2 = e.node("pos", &[1]).expect("second instance");
    assert_eq!(e.value(&pos2), "2", "position(..) is 1-based");
    assert_eq!(
        e.label(&e.node("intro", &[2]).expect("third"), "en"),
        "Member 3 of 3"
    );
    e.answer(&size, "1").expect("answer");
    assert_eq!(
        e.instances(repeat, &[]).len(),
        1,
        "instances beyond the count are taken away from the end"
    );
    assert!(e.node("member_name", &[1]).is_none());
}

/// Issue 16: retyping a count (3, Backspace, 4) passes through empty; the members' answers
/// must survive it, and 3 -> 2 -> 3 must not empty member 3.
#[test]
fn a_count_that_goes_down_holds_the_instances_beyond_it_and_brings_them_back() {
    let mut e = household();
    let size = e.node("hh_size", &[]).expect("size");
    let repeat = e.form().id("member").expect("repeat");
    e.answer(&size, "3").expect("answer");
    for (i, (name, age)) in [("Aigul", "40"), ("Timur", "12"), ("Dina", "9")]
        .into_iter()
        .enumerate()
    {
        e.answer(&e.node("member_name", &[i]).expect("name"), name)
            .expect("answer");
        e.answer(&e.node("member_age", &[i]).expect("age"), age)
            .expect("answer");
    }
    let third = e.instances(repeat, &[])[2].clone();
    let changes = e.answer(&size, "2").expect("answer");
    assert!(changes.contains(&third, What::InstanceRemoved));
    assert!(
        e.node("member_name", &[2]).is_none(),
        "hidden from the pages"
    );
    assert_eq!(e.held_by(&size), [(repeat, 1)]);
    // Held answers are in no expression and not in the record, like non-relevant ones.
    assert_eq!(e.value(&e.node("total_age", &[]).expect("total")), "52");
    let record = e.record(Status::Finalized);
    assert!(matches!(&record.answers["member"], Answer::Repeat(m) if m.len() == 2));
    assert!(
        record.held.is_empty(),
        "a finalized record holds nothing back"
    );

    e.answer(&size, "3").expect("answer");
    assert_eq!(
        e.instances(repeat, &[])[2],
        third,
        "the same instance came back"
    );
    assert_eq!(e.value(&e.node("member_name", &[2]).expect("back")), "Dina");
    assert_eq!(e.value(&e.node("total_age", &[]).expect("total")), "61");
    assert!(e.held_by(&size).is_empty());

    // Backspace, then 4: every member's answers are still there, and one more member.
    e.answer(&size, "").expect("answer");
    assert_eq!(e.instances(repeat, &[]).len(), 0);
    assert_eq!(e.held_by(&size), [(repeat, 3)]);
    e.answer(&size, "4").expect("answer");
    let names: Vec<&str> = (0..4)
        .map(|i| e.value(&e.node("member_name", &[i]).expect("member")))
        .collect();
    assert_eq!(names, ["Aigul", "Timur", "Dina", ""]);
    assert_eq!(
        e.label(&e.node("intro", &[3]).expect("fourth"), "en"),
        "Member 4 of 4"
    );
}

#[test]
fn a_draft_keeps_its_held_instances_across_a_reload() {
    let mut e = household();
    let size = e.node("hh_size", &[]).expect("size");
    e.answer(&size, "3").expect("answer");
    for (i, name) in ["Aigul", "Timur", "Dina"].into_iter().enumerate() {
        e.answer(&e.node("member_name", &[i]).expect("name"), name)
            .expect("answer");
    }
    e.answer(&size, "1").expect("answer");
    let draft = e.record(Status::Draft);
    assert!(matches!(&draft.answers["member"], Answer::Repeat(m) if m.len() == 1));
    let json = serde_json::to_string(&draft).expect("json");
    let back: dala_core::Submission = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, draft);
    let mut resumed = Engine::resume(e.form().clone(), host(), &back);
    let size = resumed.node("hh_size", &[]).expect("size");
    let repeat = resumed.form().id("member").expect("repeat");
    assert_eq!(resumed.instances(repeat, &[]).len(), 1);
    assert_eq!(resumed.held_by(&size), [(repeat, 2)]);
    resumed.answer(&size, "3").expect("answer");
    let names: Vec<&str> = (0..3)
        .map(|i| resumed.value(&resumed.node("member_name", &[i]).expect("member")))
        .collect();
    assert_eq!(names, ["Aigul", "Timur", "Dina"]);
    assert!(resumed.record(Status::Draft).held.is_empty());
}

#[test]
fn held_instances_inside_an_outer_repeat_keep_their_place() {
    let mut e = engine(
        json!([
            {"type": "repeat", "name": "house", "label": {"en": "House"}, "children": [
                q("integer", "size"),
                {"type": "repeat", "name": "person", "label": {"en": "Person"}, "repeat_count": "${size}", "children": [
                    q("text", "who"),
                ]},
            ]},
        ]),
        json!({}),
    );
    let house = e.form().id("house").expect("house");
    e.add_instance(house, &[]).expect("second house");
    for (h, people) in [["a", "b"], ["c", "d"]].iter().enumerate() {
        e.answer(&e.node("size", &[h]).expect("size"), "2")
            .expect("answer");
        for (p, who) in people.iter().enumerate() {
            e.answer(&e.node("who", &[h, p]).expect("who"), who)
                .expect("answer");
        }
    }
    e.answer(&e.node("size", &[1]).expect("size"), "0")
        .expect("answer");
    let draft = e.record(Status::Draft);
    assert_eq!(draft.held.len(), 1);
    assert_eq!(
        (draft.held[0].repeat.as_str(), draft.held[0].at.as_slice()),
        ("person", &[1][..])
    );
    let mut resumed = Engine::resume(e.form().clone(), host(), &draft);
    resumed
        .answer(&resumed.node("size", &[1]).expect("size"), "2")
        .expect("answer");
    assert_eq!(
        resumed.value(&resumed.node("who", &[1, 1]).expect("who")),
        "d"
    );
    assert_eq!(
        resumed.value(&resumed.node("who", &[0, 1]).expect("who")),
        "b",
        "the first house untouched"
    );
}

#[test]
fn siblings_resolve_in_their_own_instance_and_aggregates_see_all() {
    let mut e = household();
    e.answer(&e.node("hh_size", &[]).expect("size"), "2")
        .expect("answer");
    assert_eq!(
        e.value(&e.node("total_age", &[]).expect("total")),
        "",
        "XPath: the sum of blanks is NaN, stored empty"
    );
    e.answer(&e.node("member_age", &[0]).expect("a0"), "40")
        .expect("answer");
    e.answer(&e.node("member_age", &[1]).expect("a1"), "9")
        .expect("answer");
    assert!(
        !e.relevant(&e.node("school", &[0]).expect("s0")),
        "the adult's own age decides"
    );
    assert!(e.relevant(&e.node("school", &[1]).expect("s1")));
    assert_eq!(e.value(&e.node("total_age", &[]).expect("total")), "49");
    e.answer(&e.node("member_name", &[1]).expect("n1"), "Timur")
        .expect("answer");
    assert_eq!(
        e.value(&e.node("second_name", &[]).expect("second")),
        "Timur"
    );
}

#[test]
fn an_answer_in_one_instance_leaves_the_others_alone() {
    let mut e = household();
    e.answer(&e.node("hh_size", &[]).expect("size"), "200")
        .expect("answer");
    for i in 0..200 {
        e.answer(&e.node("member_age", &[i]).expect("age"), "30")
            .expect("answer");
    }
    assert_eq!(e.value(&e.node("total_age", &[]).expect("total")), "6000");
    let age_7 = e.node("member_age", &[7]).expect("a7");
    let changes = e.answer(&age_7, "12").expect("answer");
    let touched: std::collections::BTreeSet<(&str, u32)> = changes
        .changes
        .iter()
        .map(|c| (e.name(&c.node), c.node.path.first().copied().unwrap_or(0)))
        .collect();
    let instance = age_7.path[0];
    let expected: std::collections::BTreeSet<(&str, u32)> = [
        ("member_age", instance),
        ("school", instance),
        ("total_age", 0),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        touched, expected,
        "only the answered instance and the aggregate change"
    );
    assert_eq!(e.value(&e.node("total_age", &[]).expect("total")), "5982");
}

#[test]
fn added_and_removed_instances_of_an_uncounted_repeat() {
    let mut e = engine(
        json!([
            {"type": "repeat", "name": "visit", "label": {"en": "Visit"}, "children": [q("date", "visit_date")]},
            with(json!({"type": "calculate", "name": "visits"}), "calculation", "count(${visit})"),
        ]),
        json!({}),
    );
    let repeat = e.form().id("visit").expect("repeat");
    let visits = e.node("visits", &[]).expect("visits");
    assert_eq!(
        e.value(&visits),
        "1",
        "an uncounted repeat starts with one instance"
    );
    let (second, changes) = e.add_instance(repeat, &[]).expect("add");
    assert!(changes.contains(&visits, What::Value));
    assert_eq!(e.value(&visits), "2");
    let first = e.instances(repeat, &[])[0].clone();
    e.remove_instance(&first).expect("remove");
    assert_eq!(e.value(&visits), "1");
    assert_eq!(e.instances(repeat, &[]), vec![second.clone()]);
    let date = e
        .node("visit_date", &[0])
        .expect("the remaining instance is now the first");
    assert_eq!(date.path, second.path);
}

#[test]
fn pages_follow_field_lists_and_skip_what_is_not_relevant() {
    let mut e = engine(
        json!([
            with(q("select_one", "consent"), "list", "yn"),
            {"type": "group", "name": "about", "label": {"en": "About you"}, "appearance": "field-list", "relevant": "${consent} = 'yes'",
             "children": [q("integer", "age"), q("text", "unit")]},
            with(json!({"type": "calculate", "name": "c"}), "calculation", "1"),
            {"type": "note", "name": "thanks", "label": {"en": "Thank you"}},
        ]),
        yn(),
    );
    let names = |e: &Engine| -> Vec<Vec<String>> {
        e.pages()
            .iter()
            .map(|p| p.nodes.iter().map(|n| e.name(n).to_string()).collect())
            .collect()
    };
    assert_eq!(names(&e), [vec!["consent"], vec!["thanks"]]);
    e.answer(&e.node("consent", &[]).expect("consent"), "yes")
        .expect("answer");
    assert_eq!(
        names(&e),
        [
            vec!["consent".to_string()],
            vec!["age".into(), "unit".into()],
            vec!["thanks".into()]
        ]
    );
    assert_eq!(e.next_page(0, "en"), Ok(1));
    assert_eq!(e.next_page(2, "en"), Ok(3), "to the closing screen");
    assert_eq!(e.next_page(3, "en"), Ok(3), "which is the last");
}

/// Issue 16: "Next" moved on past a required question left empty and past a broken
/// constraint (50 women of 40 staff).
#[test]
fn next_stays_on_a_page_with_a_required_answer_missing_or_a_broken_constraint() {
    let mut e = engine(
        json!([
            {"type": "group", "name": "unit", "label": {"en": "Unit"}, "appearance": "field-list", "children": [
                with(q("integer", "staff_total"), "required", "yes"),
                with(with(q("integer", "women_total"), "required", "yes"), "constraint", ". <= ${staff_total}"),
                q("text", "remarks"),
            ]},
            q("text", "last"),
        ]),
        json!({}),
    );
    let staff = e.node("staff_total", &[]).expect("staff");
    let women = e.node("women_total", &[]).expect("women");
    let blocked = e
        .next_page(0, "en")
        .expect_err("two required answers are missing");
    let found: Vec<(&str, ProblemKind)> =
        blocked.iter().map(|p| (e.name(&p.node), p.kind)).collect();
    assert_eq!(
        found,
        [
            ("staff_total", ProblemKind::Required),
            ("women_total", ProblemKind::Required)
        ]
    );
    assert!(blocked.iter().all(|p| p.page == 0));
    e.answer(&staff, "40").expect("answer");
    e.answer(&women, "50").expect("answer");
    let blocked = e.next_page(0, "en").expect_err("50 women of 40 staff");
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        (blocked[0].node.clone(), blocked[0].kind),
        (women.clone(), ProblemKind::Constraint)
    );
    e.answer(&women, "9").expect("answer");
    assert_eq!(
        e.next_page(0, "en"),
        Ok(1),
        "an optional question left empty blocks nothing"
    );
}

#[test]
fn a_field_list_page_holds_its_questions_whether_relevant_or_not() {
    let mut e = engine(
        json!([
            {"type": "group", "name": "unit", "label": {"en": "Unit"}, "appearance": "field-list",
             "children": [
                with(q("select_one", "has_women"), "list", "yn"),
                with(q("integer", "women"), "relevant", "${has_women} = 'yes'"),
                with(json!({"type": "calculate", "name": "c"}), "calculation", "1"),
                {"type": "group", "name": "ranks", "label": {"en": "Ranks"}, "relevant": "${has_women} = 'yes'",
                 "children": [q("integer", "officers"), q("integer", "sergeants")]},
                q("text", "remarks"),
             ]},
            q("note", "thanks"),
        ]),
        yn(),
    );
    let names = |e: &Engine, nodes: &[dala_core::engine::NodeRef]| -> Vec<String> {
        nodes.iter().map(|n| e.name(n).to_string()).collect()
    };
    let pages = e.pages();
    // The page shows two questions; it holds five (the calculate is no question).
    assert_eq!(names(&e, &pages[0].nodes), ["has_women", "remarks"]);
    let all = ["has_women", "women", "officers", "sergeants", "remarks"];
    assert_eq!(names(&e, &e.page_questions(&pages[0])), all);
    e.answer(&e.node("has_women", &[]).expect("has_women"), "yes")
        .expect("answer");
    let pages = e.pages();
    assert_eq!(names(&e, &pages[0].nodes), all);
    assert_eq!(names(&e, &e.page_questions(&pages[0])), all);
    // A page of one question holds just it.
    assert_eq!(names(&e, &e.page_questions(&pages[1])), ["thanks"]);
}

#[test]
fn finalize_leaves_out_what_is_not_relevant_and_keeps_calculates() {
    let mut e = engine(
        json!([
            with(q("select_one", "works"), "list", "yn"),
            with(q("integer", "years"), "relevant", "${works} = 'yes'"),
            with(json!({"type": "calculate", "name": "flag"}), "calculation", "if(${works} = 'yes', 1, 0)"),
            {"type": "note", "name": "n", "label": {"en": "Note"}},
        ]),
        yn(),
    );
    e.enumerator = "Aida".into();
    e.answer(&e.node("works", &[]).expect("works"), "yes")
        .expect("answer");
    e.answer(&e.node("years", &[]).expect("years"), "4")
        .expect("answer");
    e.answer(&e.node("works", &[]).expect("works"), "no")
        .expect("answer");
    let record = e.finalize("en").expect("nothing blocks");
    assert_eq!(record.status, Status::Finalized);
    assert_eq!(record.enumerator, "Aida");
    assert_eq!(record.device_id, "tablet-07");
    assert_eq!(record.started, "2015-03-17T10:30:00.000+06:00");
    assert!(record.instance_id.starts_with("uuid:"));
    let keys: Vec<&str> = record.answers.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["flag", "works"],
        "years is not relevant; notes are not data"
    );
    assert_eq!(record.answers["flag"], Answer::Value("0".into()));
}

#[test]
fn a_draft_resumes_with_its_answers_and_instances() {
    let mut e = household();
    e.answer(&e.node("hh_size", &[]).expect("size"), "2")
        .expect("answer");
    e.answer(&e.node("member_name", &[1]).expect("n1"), "Timur")
        .expect("answer");
    let draft = e.record(Status::Draft);
    let json = serde_json::to_string(&draft).expect("json");
    let back: dala_core::Submission = serde_json::from_str(&json).expect("reads back");
    let form = e.form().clone();
    let resumed = Engine::resume(form, host(), &back);
    assert_eq!(resumed.instance_id(), e.instance_id());
    assert_eq!(
        resumed.value(&resumed.node("member_name", &[1]).expect("n1")),
        "Timur"
    );
    assert_eq!(
        resumed.value(&resumed.node("second_name", &[]).expect("second")),
        "Timur"
    );
}

#[test]
fn trigger_recalculates_only_when_its_question_changes() {
    let mut e = engine(
        json!([
            q("integer", "count"),
            q("text", "note_text"),
            {"type": "calculate", "name": "stamp", "calculation": "concat(${note_text}, '@', ${count})", "trigger": "${count}"},
        ]),
        json!({}),
    );
    e.answer(&e.node("note_text", &[]).expect("t"), "a")
        .expect("answer");
    let stamp = e.node("stamp", &[]).expect("stamp");
    assert_eq!(e.value(&stamp), "", "no trigger yet");
    e.answer(&e.node("count", &[]).expect("c"), "1")
        .expect("answer");
    assert_eq!(e.value(&stamp), "a@1");
    e.answer(&e.node("note_text", &[]).expect("t"), "b")
        .expect("answer");
    assert_eq!(
        e.value(&stamp),
        "a@1",
        "changing another input does not recalculate"
    );
}

#[test]
fn defaults_and_today() {
    let e = engine(
        json!([
            {"type": "integer", "name": "sessions", "label": {"en": "Sessions"}, "default": "8"},
            {"type": "date", "name": "visit", "label": {"en": "Visit"}, "default": "today()"},
        ]),
        json!({}),
    );
    assert_eq!(e.value(&e.node("sessions", &[]).expect("s")), "8");
    assert_eq!(e.value(&e.node("visit", &[]).expect("v")), "2015-03-17");
}

#[test]
fn a_repeat_the_enumerator_manages_ends_with_its_own_page() {
    let mut e = engine(
        json!([
            {"type": "repeat", "name": "child", "label": {"en": "Child"},
             "children": [q("text", "cname")]},
            {"type": "note", "name": "thanks", "label": {"en": "Thank you"}},
        ]),
        yn(),
    );
    let child = e.form().id("child").expect("child");
    let shape = |e: &Engine| -> Vec<String> {
        e.pages()
            .iter()
            .map(|p| match &p.repeat {
                Some(r) => format!("end of {}", e.form().item(r.item).item.name),
                None => p
                    .nodes
                    .iter()
                    .map(|n| e.name(n))
                    .collect::<Vec<_>>()
                    .join(","),
            })
            .collect()
    };
    // A new form has one instance (as an XForm's repeat template makes), then the page
    // that offers to add another, then the rest of the form.
    assert_eq!(shape(&e), ["cname", "end of child", "thanks"]);
    e.add_instance(child, &[]).expect("add");
    assert_eq!(shape(&e), ["cname", "cname", "end of child", "thanks"]);
    let first = e.instances(child, &[])[0].clone();
    e.remove_instance(&first).expect("remove");
    e.remove_instance(&e.instances(child, &[])[0].clone())
        .expect("remove");
    // With none left the closing page stays, so an instance can be added again.
    assert_eq!(shape(&e), ["end of child", "thanks"]);
    let end = e.pages()[0].repeat.clone().expect("repeat end");
    assert_eq!(
        end.path,
        Vec::<u32>::new(),
        "addressed by its container's path"
    );
}

#[test]
fn the_record_is_named_by_the_forms_instance_name_once_it_names_something() {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "t", "version": "1", "instance_name": "concat(${district}, '-', ${wave})"},
        "survey": [q("text", "district"), q("text", "wave")],
        "choices": {},
    });
    let instrument = Instrument::from_json(&doc.to_string()).expect("well-formed");
    let mut e = Engine::new(Form::compile(&instrument).expect("compiles"), host());
    assert_eq!(e.instance_name(), None, "only the dash so far");
    assert_eq!(e.record(Status::Draft).instance_name, None);
    e.answer(&e.node("district", &[]).expect("district"), "sokuluk")
        .expect("answer");
    e.answer(&e.node("wave", &[]).expect("wave"), "2015_spring")
        .expect("answer");
    assert_eq!(e.instance_name().as_deref(), Some("sokuluk-2015_spring"));
    let record = e.record(Status::Finalized);
    assert_eq!(record.instance_name.as_deref(), Some("sokuluk-2015_spring"));
}

/// Issue 16: "Women are % of your unit's staff" showed before its numbers were entered.
#[test]
fn a_note_showing_answers_waits_until_one_has_a_value() {
    let mut e = engine(
        json!([
            q("integer", "staff"),
            with(json!({"type": "calculate", "name": "share"}), "calculation", "if(${staff} > 0, 100 div ${staff}, '')"),
            {"type": "note", "name": "summary", "label": {"en": "One is ${share}% of the staff."}},
            {"type": "note", "name": "plain", "label": {"en": "Thank you."}},
        ]),
        json!({}),
    );
    let summary = e.node("summary", &[]).expect("summary");
    let plain = e.node("plain", &[]).expect("plain");
    assert!(e.note_awaits_its_values(&summary));
    assert!(!e.note_awaits_its_values(&plain), "nothing to wait for");
    e.answer(&e.node("staff", &[]).expect("staff"), "4")
        .expect("answer");
    assert!(!e.note_awaits_its_values(&summary));
    assert_eq!(e.label(&summary, "en"), "One is 25% of the staff.");
}

/// Issue 16: evaluation errors were kept as English strings, their code and span lost.
#[test]
fn an_evaluation_error_keeps_its_column_code_and_span() {
    let e = engine(
        json!([
            q("text", "pattern"),
            with(
                json!({"type": "calculate", "name": "bad"}),
                "calculation",
                "regex('a', '[')"
            ),
        ]),
        json!({}),
    );
    let bad = e.node("bad", &[]).expect("bad");
    let (column, diagnostic) = e.error(&bad).expect("an error");
    assert_eq!(column, "calculation");
    assert_eq!(diagnostic.code, dala_expr::Code::BadRegex);
    assert!(diagnostic.span.end > diagnostic.span.start);
    assert_eq!(e.error(&e.node("pattern", &[]).expect("pattern")), None);
}

/// Numbers are stored in their canonical form, as XPath's string() prints the number and ODK
/// stores it (issue 24): what the enumerator typed as `05` is 5 in the record and the CSV.
/// Expected values by hand from XPath 1.0's number-to-string rules.
#[test]
fn numbers_are_stored_as_xpath_prints_them() {
    let mut e = engine(json!([q("integer", "n"), q("decimal", "x")]), json!({}));
    let n = e.node("n", &[]).expect("n");
    for (typed, stored) in [
        ("05", "5"),
        ("-0", "0"),
        ("+5", "5"),
        ("-007", "-7"),
        ("000", "0"),
        (" 42 ", "42"),
        ("0000000000000000012", "12"),
        ("999999999999999", "999999999999999"),
    ] {
        e.answer(&n, typed)
            .unwrap_or_else(|r| panic!("{typed}: {r:?}"));
        assert_eq!(e.value(&n), stored, "integer typed as {typed:?}");
    }
    // Refused as ODK should: `5.0` and `1e1` are not typed as whole numbers (ODK takes them
    // and stores 5.7 as 5), nor two signs, a lone sign or 16 significant digits.
    for typed in [
        "5.0",
        "5.7",
        "1e1",
        "+-5",
        "--5",
        "+",
        "-",
        "1 000",
        "1000000000000000",
    ] {
        assert!(e.answer(&n, typed).is_err(), "integer {typed:?} is refused");
    }
    let x = e.node("x", &[]).expect("x");
    for (typed, stored) in [
        ("1.0", "1"),
        ("1.50", "1.5"),
        ("007.25", "7.25"),
        ("-0.0", "0"),
        (".5", "0.5"),
        ("-.5", "-0.5"),
        ("5.", "5"),
        ("+2.5", "2.5"),
        // More digits than a double holds: kept, not rounded.
        ("0.12345678901234567890", "0.1234567890123456789"),
    ] {
        e.answer(&x, typed)
            .unwrap_or_else(|r| panic!("{typed}: {r:?}"));
        assert_eq!(e.value(&x), stored, "decimal typed as {typed:?}");
    }
    for typed in ["1e3", ".", "1.2.3", "1,5", "+-1"] {
        assert!(e.answer(&x, typed).is_err(), "decimal {typed:?} is refused");
    }
}

/// `sum()` over a repeat with no instances is 0 (XPath 1.0: the sum of an empty node-set is
/// 0). ODK Web Forms 0.22 gives blank (their issue 878, fixed after that release); Dala is
/// right and stays so.
#[test]
fn the_sum_over_a_repeat_with_no_instances_is_zero() {
    let mut e = household();
    let size = e.node("hh_size", &[]).expect("size");
    e.answer(&size, "0").expect("answer");
    let total = e.node("total_age", &[]).expect("total");
    assert_eq!(e.value(&total), "0");
    e.answer(&size, "2").expect("answer");
    e.answer(&size, "0").expect("answer");
    assert_eq!(
        e.value(&total),
        "0",
        "and again once its instances are gone"
    );
}

/// Geotraces and geoshapes as the ODK XForms spec stores them: geopoints separated by `;`,
/// a trace of at least two, a shape of at least three distinct points with the first repeated
/// at the end (closed here when the enumerator did not), and the area and length functions
/// reading them.
#[test]
fn a_path_and_a_boundary_are_lists_of_points() {
    let mut e = engine(
        json!([
            q("geotrace", "path"),
            q("geoshape", "plot"),
            with(
                json!({"type": "calculate", "name": "metres"}),
                "calculation",
                "round(distance(${path}), 0)"
            ),
            with(
                json!({"type": "calculate", "name": "square_metres"}),
                "calculation",
                "round(area(${plot}), 0)"
            )
        ]),
        json!({}),
    );
    let path = e.node("path", &[]).expect("path");
    let plot = e.node("plot", &[]).expect("plot");
    for (node, value, why) in [
        (&path, "42.87 74.59 800 5", "one point is no path"),
        (&path, "42.87 74.59; north", "every point a geopoint"),
        (&path, "42.87 74.59; 95 74.60", "a latitude within 90"),
        (
            &plot,
            "0 0; 0 0.001; 0 0",
            "two distinct points are no area",
        ),
    ] {
        assert!(e.answer(node, value).is_err(), "{why}: {value}");
    }
    e.answer(&path, " 42.87   74.59 800 5;42.87 74.60 ; ")
        .expect("a path");
    assert_eq!(e.value(&path), "42.87 74.59 800 5; 42.87 74.60");
    e.answer(&plot, "0 0; 0 0.001; 0.001 0.001")
        .expect("a plot");
    assert_eq!(
        e.value(&plot),
        "0 0; 0 0.001; 0.001 0.001; 0 0",
        "closed as ODK stores it"
    );
    let closed = e.value(&plot).to_string();
    e.answer(&plot, &closed).expect("closed already");
    assert_eq!(e.value(&plot), closed, "not closed twice");
    // By hand, on a sphere of ODK's radius, 6,378.1 km: 0.01 degrees of longitude at
    // 42.87 N are 6378100 * (0.01 * pi / 180) * cos(42.87) = 1113.19 * 0.73276 = 815.7 m;
    // the triangle is half of a square 0.001 degrees a side at the equator,
    // (6378100 * 0.001 * pi / 180)^2 / 2 = 111.318^2 / 2 = 6,195.8 m^2.
    let metres = e.node("metres", &[]).expect("metres");
    assert_eq!(e.value(&metres), "816");
    let area = e.node("square_metres", &[]).expect("area");
    let square_metres: f64 = e.value(&area).parse().expect("a number");
    assert!(
        (square_metres - 6196.0).abs() <= 2.0,
        "{square_metres} square metres"
    );
}

// The cases below are differences `cargo xtask difftest` found against ODK's own engine
// (@getodk/xforms-engine on the XForm pyxform makes); the expected values are ODK's.

/// A household roster with a children roster inside each member: the form's own first member
/// starts with one child row (an XForm's primary instance holds one), a member added later
/// with none (an instance made from the template), as in ODK.
#[test]
fn a_repeat_inside_a_later_instance_starts_empty() {
    let mut child = q("repeat", "child");
    child["children"] = json!([q("text", "child_name")]);
    let mut member = q("repeat", "member");
    member["children"] = json!([q("text", "member_name"), child]);
    let mut e = engine(json!([member]), json!({}));
    let member_id = e.form().id("member").expect("member");
    let child_id = e.form().id("child").expect("child");
    let first = e.instances(member_id, &[]).remove(0);
    assert_eq!(e.instances(child_id, &first.path).len(), 1);
    let (second, _) = e.add_instance(member_id, &[]).expect("added");
    assert_eq!(e.instances(child_id, &second.path).len(), 0);
    e.add_instance(child_id, &second.path)
        .expect("a child added by hand");
    assert_eq!(e.instances(child_id, &second.path).len(), 1);
}

/// `position(..)` in a question inside a group of a repeat is the group's position, 1 (the
/// only group of its name in the instance), as ODK computes it; directly in the repeat it is
/// the instance's.
#[test]
fn position_of_the_parent_inside_a_group_is_one() {
    let mut details = q("group", "details");
    details["children"] = json!([with(
        q("calculate", "in_group"),
        "calculation",
        "position(..)"
    )]);
    let mut member = q("repeat", "member");
    member["children"] = json!([
        with(q("calculate", "in_repeat"), "calculation", "position(..)"),
        details
    ]);
    let mut e = engine(json!([member]), json!({}));
    let member_id = e.form().id("member").expect("member");
    e.add_instance(member_id, &[]).expect("second");
    let in_repeat = e.node("in_repeat", &[1]).expect("node");
    let in_group = e.node("in_group", &[1]).expect("node");
    assert_eq!(e.value(&in_repeat), "2");
    assert_eq!(e.value(&in_group), "1");
}

/// A default with an operator is an expression, by pyxform's rule (`1 + 1` starts as 2); a
/// word is the value itself.
#[test]
fn a_default_with_an_operator_is_computed() {
    let e = engine(
        json!([
            with(q("integer", "a"), "default", "1 + 1"),
            with(q("text", "b"), "default", "Bishkek"),
            with(q("date", "c"), "default", "2015-03-17"),
            with(q("integer", "d"), "default", "foo"),
            with(q("decimal", "e"), "default", "2.50"),
        ]),
        json!({}),
    );
    let value = |name: &str| e.value(&e.node(name, &[]).expect("node")).to_string();
    assert_eq!(value("a"), "2");
    assert_eq!(value("b"), "Bishkek");
    assert_eq!(value("c"), "2015-03-17");
    // A default is stored as an answer is: one the type refuses is left out, as in ODK.
    assert_eq!(value("d"), "");
    assert_eq!(value("e"), "2.5");
}

/// A question with a calculation and no label is on no page (pyxform gives it no control),
/// so it takes no answer: its calculation is its value.
#[test]
fn a_question_computed_alone_takes_no_answer() {
    let mut e = engine(
        json!([
            q("integer", "a"),
            {"type": "integer", "name": "b", "calculation": "${a} * 2"},
        ]),
        json!({}),
    );
    let a = e.node("a", &[]).expect("a");
    let b = e.node("b", &[]).expect("b");
    e.answer(&a, "4").expect("a answered");
    assert_eq!(e.value(&b), "8");
    assert!(matches!(
        e.answer(&b, "3"),
        Err(dala_core::AnswerError::NotAnswerable(_))
    ));
    assert_eq!(e.value(&b), "8");
}

/// A household survey asks the respondent's and the household head's name and age in two
/// groups, as pyxform allows (the XForm tells them apart by path: /data/respondent/age and
/// /data/head/age). The record keys both pairs by their group path (the name alone would
/// collide), keeps the unshared names as they are, and a draft comes back with every answer
/// in its place.
#[test]
fn two_questions_of_one_name_in_two_groups_are_kept_apart_by_their_path() {
    let group = |name: &str, relevant: Option<&str>| {
        let mut g = json!({"type": "group", "name": name, "label": {"en": name}, "children": [
            q("text", "name"),
            with(q("integer", "age"), "constraint", ". >= 15"),
        ]});
        if let Some(r) = relevant {
            g["relevant"] = json!(r);
        }
        g
    };
    let survey = json!([
        with(q("select_one", "is_head"), "list", "yn"),
        group("respondent", None),
        group("head", Some("${is_head} = 'no'")),
        with(q("integer", "members"), "constraint", ". >= 1"),
    ]);
    let mut e = engine(survey, yn());
    let at = |e: &Engine, path: &str| {
        let id = e.form().id(path).unwrap_or_else(|| panic!("{path}"));
        NodeRef {
            item: id,
            path: Vec::new(),
        }
    };
    e.answer(&at(&e, "is_head"), "no").expect("answer");
    e.answer(&at(&e, "respondent/name"), "Aida")
        .expect("answer");
    e.answer(&at(&e, "respondent/age"), "34").expect("answer");
    e.answer(&at(&e, "head/name"), "Bakyt").expect("answer");
    e.answer(&at(&e, "head/age"), "61").expect("answer");
    e.answer(&at(&e, "members"), "5").expect("answer");
    let record = e.record(Status::Draft);
    let keys: Vec<&str> = record.answers.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "head/age",
            "head/name",
            "is_head",
            "members",
            "respondent/age",
            "respondent/name"
        ]
    );
    assert_eq!(record.answers["head/age"], Answer::Value("61".into()));
    assert_eq!(record.answers["respondent/age"], Answer::Value("34".into()));

    // Each age keeps its own constraint and state.
    let refused = e.answer(&at(&e, "head/age"), "12");
    assert!(
        refused.is_ok(),
        "a constraint is checked on leaving the page"
    );
    assert!(e.constraint_violated(&at(&e, "head/age")));
    assert!(!e.constraint_violated(&at(&e, "respondent/age")));
    e.answer(&at(&e, "head/age"), "61").expect("answer");

    // A draft comes back with each answer where it was.
    let again = Engine::resume(e.form().clone(), host(), &e.record(Status::Draft));
    assert_eq!(again.value(&at(&again, "head/name")), "Bakyt");
    assert_eq!(again.value(&at(&again, "respondent/name")), "Aida");
    assert_eq!(again.record(Status::Draft).answers, record.answers);

    // The head's group not relevant: its answers leave the record, the respondent's stay.
    e.answer(&at(&e, "is_head"), "yes").expect("answer");
    let record = e.record(Status::Draft);
    assert!(!record.answers.contains_key("head/age"));
    assert_eq!(record.answers["respondent/age"], Answer::Value("34".into()));
}

/// `${instanceID}` names the record's instance id, as in pyxform (its
/// test_instance_id__can_be_used_as_reference_variable), in a label and in a calculation.
#[test]
fn instance_id_is_a_name_a_form_may_use() {
    let e = engine(
        json!([
            {"type": "text", "name": "q1", "label": {"en": "Record ${instanceID}"}},
            {"type": "text", "name": "q2", "label": {"en": "Q2"}, "calculation": "${instanceID}", "read_only": "yes"},
        ]),
        json!({}),
    );
    let id = e.instance_id().to_string();
    assert!(id.starts_with("uuid:"), "{id}");
    let q1 = e.node("q1", &[]).expect("q1");
    assert_eq!(e.label(&q1, "en"), format!("Record {id}"));
    assert_eq!(e.value(&e.node("q2", &[]).expect("q2")), id);
}

/// The trigger column as ODK runs it (pyxform writes a setvalue on the trigger's
/// value-changed event): with a calculation, it runs when the trigger changes and an integer
/// question keeps the whole part (pyxform's test_calculation_with_trigger_column: ODK's engine
/// stores decimal-date-time(${a}) into the integer `b` as the day); without one, the value is
/// cleared when the trigger changes (test_handling_trigger_column_with_no_calculation).
#[test]
fn a_trigger_sets_or_clears_its_question_when_its_question_changes() {
    let mut e = engine(
        json!([
            q("dateTime", "a"),
            {"type": "integer", "name": "b", "calculation": "decimal-date-time(${a})", "trigger": "${a}"},
            q("integer", "q1"),
            {"type": "text", "name": "q2", "label": {"en": "Q2"}, "trigger": "${q1}"},
        ]),
        json!({}),
    );
    let node = |e: &Engine, name: &str| e.node(name, &[]).expect(name);
    // 2015-03-17T06:00Z is day 16,511 since 1970 and a quarter: the integer keeps 16511.
    e.answer(&node(&e, "a"), "2015-03-17T12:00:00.000+06:00")
        .expect("answer");
    assert_eq!(e.value(&node(&e, "b")), "16511");
    e.answer(&node(&e, "q2"), "typed before").expect("answer");
    assert_eq!(e.value(&node(&e, "q2")), "typed before");
    e.answer(&node(&e, "q1"), "4").expect("answer");
    assert_eq!(e.value(&node(&e, "q2")), "", "cleared by its trigger");
    e.answer(&node(&e, "q2"), "typed after").expect("answer");
    assert_eq!(e.value(&node(&e, "q2")), "typed after");
}

/// A question with a calculation and a label is asked, and what the enumerator types stands
/// until something the calculation reads changes (ODK's engine: pyxform's
/// test_clean_text_values form, whose integer `q1 = string-length('abc def')` takes 3 typed).
#[test]
fn a_typed_answer_to_a_calculated_question_stands_until_its_inputs_change() {
    let mut e = engine(
        json!([
            q("integer", "n"),
            {"type": "integer", "name": "q1", "label": {"en": "Q1"}, "calculation": "${n} * 2"},
        ]),
        json!({}),
    );
    let node = |e: &Engine, name: &str| e.node(name, &[]).expect(name);
    e.answer(&node(&e, "n"), "4").expect("answer");
    assert_eq!(e.value(&node(&e, "q1")), "8");
    e.answer(&node(&e, "q1"), "3")
        .expect("the enumerator's own figure");
    assert_eq!(e.value(&node(&e, "q1")), "3");
    e.answer(&node(&e, "n"), "5").expect("answer");
    assert_eq!(
        e.value(&node(&e, "q1")),
        "10",
        "computed again from its new input"
    );
}

/// `${last-saved#name}` reads the record saved last, as ODK Collect does (pyxform's
/// test_last_saved forms): a team's district carried into the next interview as a default, and
/// a visit number counted on from the last one. The first interview has no record before it:
/// the references are empty.
#[test]
fn last_saved_reads_the_record_saved_before() {
    let survey = json!([
        {"type": "select_one", "name": "district", "list": "district", "label": {"en": "District"},
         "default": "${last-saved#district}"},
        {"type": "calculate", "name": "visit_no",
         "calculation": "if(${last-saved#visit_no} = '', 1, ${last-saved#visit_no} + 1)"},
        q("text", "household"),
    ]);
    let choices = json!({"district": [
        {"name": "osh", "label": {"en": "Osh"}},
        {"name": "naryn", "label": {"en": "Naryn"}},
    ]});
    let first = engine(survey.clone(), choices.clone());
    assert!(first.form().reads_last_saved);
    assert_eq!(
        first.value(&first.node("district", &[]).expect("district")),
        ""
    );
    assert_eq!(
        first.value(&first.node("visit_no", &[]).expect("visit")),
        "1"
    );
    let mut first = first;
    let district = first.node("district", &[]).expect("district");
    first.answer(&district, "naryn").expect("answer");
    let saved = first.record(Status::Finalized);

    let second = Engine::new_after(first.form().clone(), host(), Some(&saved));
    assert_eq!(
        second.value(&second.node("district", &[]).expect("district")),
        "naryn"
    );
    assert_eq!(
        second.value(&second.node("visit_no", &[]).expect("visit")),
        "2"
    );
    let third = Engine::new_after(
        first.form().clone(),
        host(),
        Some(&second.record(Status::Draft)),
    );
    assert_eq!(
        third.value(&third.node("visit_no", &[]).expect("visit")),
        "3"
    );
}

/// Choices from a repeat's answers (XLSForm's `select_one ${name}`, pyxform's
/// test_choice_from_previous_repeat_answers forms): the household roster's names are the
/// choices of "who is the head?", each once, labelled as entered; a choice_filter is read in
/// each member's own instance (`${age} >= 18`); an answer no longer given is no longer
/// offered, and a chosen one that goes away is cleared.
#[test]
fn choices_from_the_answers_of_a_repeat() {
    let mut e = engine(
        json!([
            {"type": "repeat", "name": "member", "label": {"en": "Member"}, "children": [
                q("text", "name"),
                q("integer", "age"),
            ]},
            {"type": "select_one", "name": "head", "list": "${name}", "label": {"en": "Head"}},
            {"type": "select_one", "name": "adult", "list": "${name}", "label": {"en": "Adult"},
             "choice_filter": "${age} >= 18"},
        ]),
        json!({}),
    );
    let member = e.form().id("member").expect("member");
    e.add_instance(member, &[]).expect("a second member");
    e.add_instance(member, &[]).expect("a third member");
    let instances = e.instances(member, &[]);
    let at = |e: &Engine, name: &str, i: usize| NodeRef {
        item: e.form().id(name).expect(name),
        path: instances[i].path.clone(),
    };
    for (i, (name, age)) in [("Aibek", "41"), ("Nurgul", "39"), ("Timur", "12")]
        .into_iter()
        .enumerate()
    {
        e.answer(&at(&e, "name", i), name).expect("name");
        e.answer(&at(&e, "age", i), age).expect("age");
    }
    let names = |e: &Engine, q: &str| -> Vec<String> {
        e.choices(&e.node(q, &[]).expect(q))
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    assert_eq!(names(&e, "head"), ["Aibek", "Nurgul", "Timur"]);
    assert_eq!(names(&e, "adult"), ["Aibek", "Nurgul"]);
    let head = e.node("head", &[]).expect("head");
    e.answer(&head, "Nurgul")
        .expect("a name entered is a choice");
    assert!(
        e.answer(&head, "Gulnara").is_err(),
        "a name nobody entered is not"
    );
    // Renamed in the roster: the old name is no longer offered, and the answer goes.
    e.answer(&at(&e, "name", 1), "Nurgul A.").expect("rename");
    assert_eq!(names(&e, "head"), ["Aibek", "Nurgul A.", "Timur"]);
    assert_eq!(e.value(&head), "");
    // A member turning 18 (a typo fixed) becomes an adult choice.
    e.answer(&at(&e, "age", 2), "19").expect("age");
    assert_eq!(names(&e, "adult"), ["Aibek", "Nurgul A.", "Timur"]);
}

/// A time is an XForm's xsd:time, seconds included (ODK Web Forms refuses `15:07`, as the
/// differential test found on pyxform's default_time_demo.xls): a picker's `15:07` is stored
/// as `15:07:00`; a full time is kept as given.
#[test]
fn a_time_is_stored_with_its_seconds() {
    let mut e = engine(json!([q("time", "start_time")]), json!({}));
    let t = e.node("start_time", &[]).expect("time");
    e.answer(&t, "15:07").expect("answer");
    assert_eq!(e.value(&t), "15:07:00");
    e.answer(&t, "09:30:15.000+06:00").expect("answer");
    assert_eq!(e.value(&t), "09:30:15.000+06:00");
    assert!(e.answer(&t, "25:99").is_err());
}

/// A computed value into a date, time or dateTime question is kept when it reads as one and
/// left empty otherwise, as ODK Web Forms casts it (pyxform's
/// test_trigger_column_in_repeat: `string-length(${one})` into a dateTime is empty).
#[test]
fn a_computed_value_a_date_question_cannot_hold_is_empty() {
    let e = engine(
        json!([
            {"type": "dateTime", "name": "length", "label": {"en": "L"}, "calculation": "string-length('2015-03-17')"},
            {"type": "date", "name": "day", "label": {"en": "D"}, "calculation": "'2015-03-17'"},
            {"type": "dateTime", "name": "stamp", "label": {"en": "S"}, "calculation": "'2015-03-17T10:00:00+06:00'"},
        ]),
        json!({}),
    );
    let value = |name: &str| e.value(&e.node(name, &[]).expect(name)).to_string();
    assert_eq!(value("length"), "");
    assert_eq!(value("day"), "2015-03-17");
    assert_eq!(value("stamp"), "2015-03-17T10:00:00+06:00");
}

/// XPath paths as ODK reads them in real forms: `../age` from a question in a repeat is the
/// sibling in the same instance (and follows it when it changes); a name the form lacks is
/// an empty node-set (`name = ${crop}` on a text question is false, pyxform's
/// test_calculate_relative_path); `instance('LIST')/root/item[col = ...]/label` looks up a
/// choice list (pyxform's test_repeat_using_select_with_reference_path_in_predicate, where
/// ODK's engine gives "Gasoline, Regular" for the first instance).
#[test]
fn paths_to_siblings_and_lookups_in_choice_lists() {
    let mut e = engine(
        json!([
            {"type": "repeat", "name": "member", "label": {"en": "Member"}, "children": [
                {"type": "calculate", "name": "counter", "calculation": "position(..)"},
                {"type": "calculate", "name": "item", "calculation": "instance('item')/root/item[itemindex=${counter}]/label"},
                q("integer", "age"),
                {"type": "text", "name": "school", "label": {"en": "School"}, "relevant": "../age < 18"},
                {"type": "text", "name": "check", "label": {"en": "Check"}, "calculation": "name = 'x'"},
            ]},
        ]),
        json!({"item": [
            {"name": "gasoline-regular", "label": {"en": "Gasoline, Regular"}, "extra": {"itemindex": "1"}},
            {"name": "gasoline-premium", "label": {"en": "Gasoline, Premium"}, "extra": {"itemindex": "2"}},
        ]}),
    );
    let member = e.form().id("member").expect("member");
    e.add_instance(member, &[]).expect("a second member");
    let instances = e.instances(member, &[]);
    let at = |e: &Engine, name: &str, i: usize| NodeRef {
        item: e.form().id(name).expect(name),
        path: instances[i].path.clone(),
    };
    assert_eq!(e.value(&at(&e, "item", 0)), "Gasoline, Regular");
    assert_eq!(e.value(&at(&e, "item", 1)), "Gasoline, Premium");
    assert_eq!(e.value(&at(&e, "check", 0)), "false");
    e.answer(&at(&e, "age", 0), "12").expect("age");
    e.answer(&at(&e, "age", 1), "40").expect("age");
    assert!(e.relevant(&at(&e, "school", 0)));
    assert!(!e.relevant(&at(&e, "school", 1)));
    e.answer(&at(&e, "age", 0), "19").expect("a typo fixed");
    assert!(!e.relevant(&at(&e, "school", 0)), "follows its sibling");
}

/// A choice with a blank cell has no such element in the list pyxform writes (its XForm for
/// a blank `col`: `<item><name>b</name><label>B</label></item>`), so XPath sees an empty
/// node-set there: `col = ''` holds for no choice, as in ODK (the or_other.xlsx form of the
/// corpus, whose added `other` has no `pastel`, showed it).
#[test]
fn a_blank_choice_column_is_no_node() {
    let e = engine(
        json!([
            {"type": "select_one", "name": "blank", "list": "l", "label": {"en": "B"}, "choice_filter": "col = ''"},
            {"type": "select_one", "name": "x", "list": "l", "label": {"en": "X"}, "choice_filter": "col = 'x'"},
        ]),
        json!({"l": [
            {"name": "a", "label": {"en": "A"}, "extra": {"col": "x"}},
            {"name": "b", "label": {"en": "B"}},
        ]}),
    );
    let names = |q: &str| -> Vec<String> {
        e.choices(&e.node(q, &[]).expect(q))
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    assert_eq!(names("blank"), Vec::<String>::new());
    assert_eq!(names("x"), ["a"]);
}

/// `${repeat}[predicate]/path`, as pyxform's test_references__source_under_target forms
/// write it: the previous visit's reading as a default (`position() = position(current()/..)
/// - 1`, the instance before this one), and the first visit's (`[1]`), read through a group.
#[test]
fn a_repeat_filtered_by_position_reads_another_instance() {
    let mut e = engine(
        json!([
            {"type": "repeat", "name": "visit", "label": {"en": "Visit"}, "children": [
                {"type": "group", "name": "reading", "label": {"en": "Reading"}, "children": [
                    q("integer", "weight"),
                ]},
                {"type": "integer", "name": "previous", "label": {"en": "Previous"},
                 "calculation": "${visit}[position() = position(current()/..) - 1]/reading/weight"},
                {"type": "integer", "name": "first", "label": {"en": "First"},
                 "calculation": "${visit}[1]/reading/weight"},
            ]},
        ]),
        json!({}),
    );
    let visit = e.form().id("visit").expect("visit");
    e.add_instance(visit, &[]).expect("a second visit");
    e.add_instance(visit, &[]).expect("a third visit");
    let instances = e.instances(visit, &[]);
    let at = |e: &Engine, name: &str, i: usize| NodeRef {
        item: e.form().id(name).expect(name),
        path: instances[i].path.clone(),
    };
    for (i, w) in ["61", "63", "66"].into_iter().enumerate() {
        e.answer(&at(&e, "weight", i), w).expect("weight");
    }
    assert_eq!(
        e.value(&at(&e, "previous", 0)),
        "",
        "no visit before the first"
    );
    assert_eq!(e.value(&at(&e, "previous", 1)), "61");
    assert_eq!(e.value(&at(&e, "previous", 2)), "63");
    assert_eq!(e.value(&at(&e, "first", 2)), "61");
    e.answer(&at(&e, "weight", 0), "60")
        .expect("a corrected first reading");
    assert_eq!(
        e.value(&at(&e, "previous", 1)),
        "60",
        "follows the reading it names"
    );
    assert_eq!(e.value(&at(&e, "first", 2)), "60");
}

/// A deliberate difference from ODK Web Forms (README, difftest's INDEX_ZERO): the name in
/// the previous instance, `indexed-repeat(${name}, ${person}, ${pos} - 1)`, is empty in the
/// first instance, as `person[0]` selects nothing in XPath; ODK Web Forms gives the first.
#[test]
fn indexed_repeat_at_position_zero_is_empty() {
    let mut e = engine(
        json!([
            {"type": "repeat", "name": "person", "label": {"en": "Person"}, "children": [
                with(json!({"type": "calculate", "name": "pos"}), "calculation", "position(..)"),
                q("text", "name"),
                with(json!({"type": "calculate", "name": "prev_name"}), "calculation", "indexed-repeat(${name}, ${person}, ${pos} - 1)"),
            ]},
        ]),
        json!({}),
    );
    let person = e.form().id("person").expect("repeat");
    e.add_instance(person, &[]).expect("second person");
    e.answer(&e.node("name", &[0]).expect("name"), "Aibek")
        .expect("answer");
    e.answer(&e.node("name", &[1]).expect("name"), "Gulnara")
        .expect("answer");
    assert_eq!(e.value(&e.node("prev_name", &[0]).expect("first")), "");
    assert_eq!(
        e.value(&e.node("prev_name", &[1]).expect("second")),
        "Aibek"
    );
}

/// A counted repeat in a group that stops being relevant keeps its instances, hidden with the
/// group, and is counted again when the group is relevant: as ODK Web Forms does (the
/// differential test's generated-092), where the count, read through pyxform's NAME_count
/// beside the repeat, is empty in the group and the repeat keeps the count it had. A group
/// never relevant has none.
#[test]
fn a_counted_repeat_keeps_its_instances_while_its_group_is_hidden() {
    let mut e = engine(
        json!([
            with(q("select_one", "children"), "list", "yn"),
            q("integer", "how_many"),
            {"type": "group", "name": "kids", "label": {"en": "Children"}, "relevant": "${children} = 'yes'", "children": [
                {"type": "repeat", "name": "child", "label": {"en": "Child"}, "repeat_count": "${how_many}", "children": [
                    q("text", "child_name"),
                ]},
            ]},
            with(json!({"type": "calculate", "name": "listed"}), "calculation", "count(${child})"),
        ]),
        yn(),
    );
    let child = e.form().id("child").expect("repeat");
    let children = e.node("children", &[]).expect("node");
    e.answer(&e.node("how_many", &[]).expect("node"), "2")
        .expect("answer");
    assert_eq!(
        e.instances(child, &[]).len(),
        0,
        "the group was never relevant"
    );
    e.answer(&children, "yes").expect("answer");
    assert_eq!(e.instances(child, &[]).len(), 2, "counted once relevant");
    e.answer(&e.node("child_name", &[1]).expect("node"), "Aida")
        .expect("answer");
    e.answer(&children, "no").expect("answer");
    assert_eq!(e.instances(child, &[]).len(), 2, "kept, hidden");
    let listed = e.node("listed", &[]).expect("node");
    assert_eq!(e.value(&listed), "2");
    assert!(!e.relevant(&e.node("child_name", &[1]).expect("node")));
    let record = e.record(Status::Draft);
    assert!(
        !record.answers.contains_key("child"),
        "hidden answers leave the record"
    );
    e.answer(&children, "yes").expect("answer");
    assert_eq!(e.value(&e.node("child_name", &[1]).expect("node")), "Aida");
}

/// A cascade over an attached list of 16,000 villages (issue 19): the filter
/// `district = ${district}` is answered from the form's index of the list, and keeps exactly
/// what the row-by-row scan keeps (`${district} = district and true()`, a shape the index
/// does not take): 400 villages in each of 40 districts, in the file's order, none for a
/// district the file lacks; an empty cell (a CSV's) is an empty value, which a blank answer
/// equals; a row without the column (the choices sheet's blank cell) matches nothing.
#[test]
fn a_filtered_attached_list_is_looked_up_as_the_scan_reads_it() {
    let mut villages: Vec<dala_core::Choice> = (0..16_000)
        .map(|i| dala_core::Choice {
            name: format!("v{i}"),
            label: dala_core::Text::one("en", &format!("Village {i}")),
            extra: std::collections::BTreeMap::from([(
                "district".to_string(),
                format!("d{}", i % 40),
            )]),
        })
        .collect();
    villages[7].extra.insert("district".into(), String::new());
    villages[8].extra.remove("district");
    let doc = json!({
        "format": 2,
        "settings": {"form_id": "villages", "version": "1", "default_language": "en"},
        "survey": [
            {"type": "text", "name": "district", "label": {"en": "District"}},
            {"type": "select_one", "name": "fast", "list": "villages.csv", "label": {"en": "Village"}, "choice_filter": "district = ${district}"},
            {"type": "select_one", "name": "slow", "list": "villages.csv", "label": {"en": "Village"}, "choice_filter": "${district} = district and true()"},
        ],
        "attachments": [{"name": "villages.csv", "media_type": "text/csv", "size": 1, "sha256": "00"}],
    });
    let instrument = Instrument::from_json(&doc.to_string()).expect("well-formed");
    let lists = dala_core::Lists::from([("villages.csv".to_string(), villages)]);
    let form = Form::compile_with(&instrument, lists).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(
        form.filter_indexes
            .contains_key(&("villages.csv".to_string(), "district".to_string())),
        "the index is built when the form is compiled"
    );
    let mut e = Engine::new(form, host());
    let names = |e: &Engine, q: &str| -> Vec<String> {
        e.choices(&e.node(q, &[]).expect(q))
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    let district = e.node("district", &[]).expect("district");
    for (answer, count, first) in [
        ("d7", 399, "v47"),
        ("d8", 399, "v48"),
        ("d0", 400, "v0"),
        ("d40", 0, ""),
        ("", 1, "v7"),
    ] {
        e.answer(&district, answer).expect("answer");
        let fast = names(&e, "fast");
        assert_eq!(fast, names(&e, "slow"), "district {answer:?}");
        assert_eq!(fast.len(), count, "district {answer:?}");
        assert_eq!(fast.first().map_or("", String::as_str), first);
    }
}
