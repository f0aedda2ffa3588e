//! The instrument document: read back what was written; refuse what cannot be read, saying where.

use dala_core::{Instrument, LoadError};

const SMALL: &str = r#"{
  "format": 1,
  "settings": {"form_id": "police", "version": "2015030101", "title": {"en": "Police survey", "ru": "Опрос"}, "default_language": "en"},
  "survey": [
    {"type": "select_one", "name": "sex", "list": "sex", "label": {"en": "Sex", "ru": "Пол"}, "required": "yes"},
    {"type": "group", "name": "female", "relevant": "${sex} = 'f'", "appearance": "field-list", "children": [
      {"type": "integer", "name": "years", "label": {"en": "Years of service"}, "constraint": ". >= 0 and . <= 45"}
    ]}
  ],
  "choices": {"sex": [{"name": "f", "label": {"en": "Female"}}, {"name": "m", "label": {"en": "Male"}}]}
}"#;

#[test]
fn a_document_reads_back_to_the_same_instrument() {
    let instrument = Instrument::from_json(SMALL).expect("reads");
    assert_eq!(instrument.survey[1].children[0].name, "years");
    assert_eq!(instrument.settings.title.get("ru", None), Some("Опрос"));
    let again = Instrument::from_json(&instrument.to_json()).expect("reads its own output");
    assert_eq!(again, instrument);
}

#[test]
fn a_newer_format_is_refused_by_name() {
    let text = SMALL.replacen("\"format\": 1", "\"format\": 2", 1);
    assert_eq!(
        Instrument::from_json(&text),
        Err(LoadError::UnsupportedFormat { found: 2 })
    );
}

#[test]
fn bad_json_says_where() {
    match Instrument::from_json("{\n  \"format\": 1,\n  \"settings\": [}") {
        Err(LoadError::Syntax { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    let unknown = SMALL.replacen("\"appearance\"", "\"apperance\"", 1);
    match Instrument::from_json(&unknown) {
        Err(LoadError::Syntax { message, line, .. }) => {
            assert!(message.contains("apperance"), "{message}");
            assert_eq!(line, 6);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn text_falls_back_to_the_default_language() {
    let instrument = Instrument::from_json(SMALL).expect("reads");
    let years = &instrument.survey[1].children[0].label;
    assert_eq!(years.get("ru", Some("en")), Some("Years of service"));
}
