//! Property tests: no input panics the document reader, the bundle reader or the engine.

use super::engine::host;
use dala_core::record::read_bundle;
use dala_core::{Engine, Form, Instrument, Status};
use proptest::prelude::*;

fn seed(name: &str) -> Form {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../surveys/{name}/instrument.json"));
    let text = std::fs::read_to_string(path).expect("seed instrument");
    Form::compile(&Instrument::from_json(&text).expect("reads")).expect("compiles")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_read_or_refused_as_an_instrument(text in "\\PC{0,200}") {
        let _ = Instrument::from_json(&text);
    }

    #[test]
    fn any_text_is_read_or_refused_as_a_bundle(text in "\\PC{0,200}(\n\\PC{0,80}){0,4}") {
        if let Ok(bundle) = read_bundle(text.as_bytes()) {
            prop_assert!(bundle.bad_lines.iter().all(|b| b.line >= 2));
        }
    }

    /// Random answers (valid and not) to random questions of the seed instruments: the engine
    /// refuses or takes each, never panics, and its record and problems stay computable.
    #[test]
    fn random_interviews_never_panic(
        fast in any::<bool>(),
        steps in prop::collection::vec((0usize..64, 0usize..3, prop::sample::select(vec![
            "", "0", "1", "2", "3", "5", "8", "9", "20", "-1", "120", "014", "yes", "no", "f", "m", "pre", "post",
            "chui", "sokuluk", "ranked", "other", "none family", "2015-03-17", "abc", "1.5", "1e3", "  7 ",
        ])), 1..40),
    ) {
        let form = if fast { seed("fast-family-outcomes") } else { seed("police-gender-representation") };
        let names: Vec<String> = form.items.iter().map(|i| i.item.name.clone()).collect();
        let mut engine = Engine::new(form, host());
        for (question, position, value) in steps {
            let name = &names[question % names.len()];
            let node = engine.node(name, &[]).or_else(|| engine.node(name, &[position]));
            if let Some(node) = node {
                let _ = engine.answer(&node, value);
            }
        }
        let _ = engine.pages();
        let _ = engine.problems("ru");
        let record = engine.record(Status::Draft);
        // A draft always resumes to the same answers.
        let resumed = Engine::resume(engine.form().clone(), host(), &record);
        prop_assert_eq!(resumed.record(Status::Draft).answers, record.answers);
    }
}
