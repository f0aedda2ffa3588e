//! Geopoints the device fills by itself: XLSForm's `start-geopoint` (the position when the
//! interview starts) and `background-geopoint` (the position each time its trigger changes).
//! Expected values from the ODK XForms spec: `odk:setgeopoint` on `odk-instance-first-load`
//! and on `xforms-value-changed` of the triggering question.

use super::engine::FixedHost;
use dala_core::engine::AnswerError;
use dala_core::{Answer, Engine, Form, Host, Instrument, Status, What};
use dala_expr::date::DateTime;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::rc::Rc;

/// The fixed host, with a position the test moves (None: no fix yet).
struct MovingHost {
    clock: FixedHost,
    position: Rc<RefCell<Option<String>>>,
}

impl Host for MovingHost {
    fn now(&self) -> DateTime {
        self.clock.now()
    }
    fn random(&self) -> f64 {
        self.clock.random()
    }
    fn device_id(&self) -> String {
        self.clock.device_id()
    }
    fn location(&self) -> Option<String> {
        self.position.borrow().clone()
    }
}

const SCHOOL: &str = "40.5283 70.9428 1005 4.5";
const HOUSE: &str = "40.5391 70.9311 998 6";

/// A FAST home visit in Kokand: where the visit started, where consent was recorded, and
/// each family member's position when their instance was added.
fn visit(position: Option<&str>) -> (Engine, Rc<RefCell<Option<String>>>) {
    let survey: Value = json!([
        {"type": "geopoint", "name": "visit_start", "label": {"en": "Start"}, "capture": "start"},
        {"type": "select_one", "name": "consent", "list": "yn", "label": {"en": "Does the family agree to the visit?"}},
        {"type": "geopoint", "name": "consent_at", "capture": "trigger", "trigger": "${consent}"},
        {"type": "text", "name": "school", "label": {"en": "School"}},
        {"type": "calculate", "name": "located", "calculation": "if(${visit_start} != '', 'yes', 'no')"},
        {"type": "repeat", "name": "member", "label": {"en": "Family member"}, "children": [
            {"type": "text", "name": "member_name", "label": {"en": "Name"}},
            {"type": "geopoint", "name": "member_at", "capture": "start"},
        ]},
    ]);
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "fast_visit", "version": "1", "default_language": "en"},
        "survey": survey,
        "choices": {"yn": [
            {"name": "yes", "label": {"en": "Yes"}},
            {"name": "no", "label": {"en": "No"}},
        ]},
    });
    let instrument = Instrument::from_json(&doc.to_string()).expect("well-formed");
    let form = Form::compile(&instrument).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(form.takes_location());
    let shared = Rc::new(RefCell::new(position.map(str::to_string)));
    let host = MovingHost {
        clock: FixedHost::default(),
        position: shared.clone(),
    };
    (Engine::new(form, Box::new(host)), shared)
}

fn value(e: &Engine, name: &str, at: &[usize]) -> String {
    e.value(&e.node(name, at).expect("node")).to_string()
}

#[test]
fn start_geopoint_keeps_where_the_interview_started() {
    let (mut e, position) = visit(Some(SCHOOL));
    assert_eq!(value(&e, "visit_start", &[]), SCHOOL);
    assert_eq!(value(&e, "located", &[]), "yes");
    // The enumerator walks to the family's house: the start stays where it was.
    *position.borrow_mut() = Some(HOUSE.into());
    e.answer(&e.node("school", &[]).expect("node"), "School 12")
        .expect("answer");
    assert!(e.location_found().is_empty(), "a filled start is kept");
    assert_eq!(value(&e, "visit_start", &[]), SCHOOL);
    let record = e.record(Status::Finalized);
    assert_eq!(record.answers["visit_start"], Answer::Value(SCHOOL.into()));
}

#[test]
fn start_geopoint_waits_for_the_first_fix() {
    let (mut e, position) = visit(None);
    assert_eq!(value(&e, "visit_start", &[]), "");
    assert_eq!(value(&e, "located", &[]), "no");
    *position.borrow_mut() = Some(SCHOOL.into());
    let changes = e.location_found();
    let start = e.node("visit_start", &[]).expect("node");
    let located = e.node("located", &[]).expect("node");
    assert!(changes.contains(&start, What::Value));
    assert!(
        changes.contains(&located, What::Value),
        "what reads it follows"
    );
    assert_eq!(value(&e, "visit_start", &[]), SCHOOL);
    assert_eq!(value(&e, "located", &[]), "yes");
    // The first instance of the repeat was waiting too.
    assert_eq!(value(&e, "member_at", &[0]), SCHOOL);
}

#[test]
fn background_geopoint_follows_its_trigger() {
    let (mut e, position) = visit(Some(SCHOOL));
    assert_eq!(
        value(&e, "consent_at", &[]),
        "",
        "the trigger has not changed yet"
    );
    *position.borrow_mut() = Some(HOUSE.into());
    let consent = e.node("consent", &[]).expect("node");
    e.answer(&consent, "yes").expect("answer");
    assert_eq!(value(&e, "consent_at", &[]), HOUSE);
    // Another answer elsewhere does not move it; a new answer to the trigger does.
    *position.borrow_mut() = Some(SCHOOL.into());
    e.answer(&e.node("school", &[]).expect("node"), "School 12")
        .expect("answer");
    assert_eq!(value(&e, "consent_at", &[]), HOUSE);
    e.answer(&consent, "no").expect("answer");
    assert_eq!(value(&e, "consent_at", &[]), SCHOOL);
    // Clearing the trigger is a change too (xforms-value-changed), and there is no fix now.
    *position.borrow_mut() = None;
    e.answer(&consent, "").expect("answer");
    assert_eq!(value(&e, "consent_at", &[]), "");
}

#[test]
fn each_repeat_instance_takes_the_position_when_it_is_added() {
    let (mut e, position) = visit(Some(SCHOOL));
    assert_eq!(value(&e, "member_at", &[0]), SCHOOL);
    *position.borrow_mut() = Some(HOUSE.into());
    let member = e.form().id("member").expect("member");
    e.add_instance(member, &[]).expect("second member");
    assert_eq!(value(&e, "member_at", &[0]), SCHOOL);
    assert_eq!(value(&e, "member_at", &[1]), HOUSE);
}

#[test]
fn a_geopoint_the_device_fills_is_not_asked() {
    let (mut e, _) = visit(Some(SCHOOL));
    let start = e.node("visit_start", &[]).expect("node");
    assert!(matches!(
        e.answer(&start, HOUSE),
        Err(AnswerError::NotAnswerable(name)) if name == "visit_start"
    ));
    let asked: Vec<String> = e
        .pages()
        .iter()
        .flat_map(|p| p.nodes.iter().map(|n| e.name(n).to_string()))
        .collect();
    assert!(
        !asked
            .iter()
            .any(|n| n == "visit_start" || n == "consent_at")
    );
    assert!(asked.iter().any(|n| n == "consent"));
}

#[test]
fn a_position_that_is_not_a_geopoint_is_not_stored() {
    let (e, _) = visit(Some("somewhere near the school"));
    assert_eq!(value(&e, "visit_start", &[]), "");
}

/// A deliberate difference from ODK Web Forms (README, difftest's TRIGGER_INTO_REPEAT): a
/// background-geopoint inside a repeat, triggered by a question outside it, is set in every
/// instance; ODK Web Forms refuses the trigger's answer, its action targeting several nodes.
#[test]
fn a_trigger_outside_a_repeat_sets_every_instance() {
    let doc = json!({
        "format": 1,
        "settings": {"form_id": "wells", "version": "1"},
        "survey": [
            {"type": "integer", "name": "temp", "label": {"default": "Water temperature"}},
            {"type": "repeat", "name": "well", "label": {"default": "Well"}, "children": [
                {"type": "text", "name": "well_name", "label": {"default": "Name"}},
                {"type": "geopoint", "name": "temp_at", "capture": "trigger", "trigger": "${temp}"},
            ]},
        ],
    });
    let instrument = Instrument::from_json(&doc.to_string()).expect("well-formed");
    let form = Form::compile(&instrument).unwrap_or_else(|d| panic!("{d:#?}"));
    let position = Rc::new(RefCell::new(Some(HOUSE.to_string())));
    let host = MovingHost {
        clock: FixedHost::default(),
        position,
    };
    let mut e = Engine::new(form, Box::new(host));
    let well = e.form().id("well").expect("well");
    e.add_instance(well, &[]).expect("second well");
    e.answer(&e.node("temp", &[]).expect("temp"), "12")
        .expect("answer");
    assert_eq!(value(&e, "temp_at", &[0]), HOUSE);
    assert_eq!(value(&e, "temp_at", &[1]), HOUSE);
}
