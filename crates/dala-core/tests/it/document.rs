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
    let text = SMALL.replacen("\"format\": 1", "\"format\": 3", 1);
    assert_eq!(
        Instrument::from_json(&text),
        Err(LoadError::UnsupportedFormat { found: 3 })
    );
}

/// Format 2 added form attachments; a format 1 document (SMALL) reads as format 2 without
/// them, and a format 2 document with them reads back as written.
#[test]
fn format_one_reads_as_format_two_and_attachments_travel() {
    let old = Instrument::from_json(SMALL).expect("format 1 reads");
    assert_eq!(old.format, 2);
    assert!(old.attachments.is_empty());
    let mut with_files = old.clone();
    with_files.attachments.push(dala_core::Attachment {
        name: "villages.csv".into(),
        media_type: "text/csv".into(),
        size: 1_234,
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
    });
    let text = with_files.to_json();
    assert!(text.contains("\"format\": 2"));
    assert_eq!(Instrument::from_json(&text), Ok(with_files));
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

#[test]
fn the_published_json_schema_is_current() {
    // Regenerate with DALA_BLESS=1 after changing the instrument types.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema/instrument.schema.json");
    let generated = Instrument::json_schema();
    if std::env::var_os("DALA_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
    }
    let published = std::fs::read_to_string(&path).expect("schema/instrument.schema.json");
    assert_eq!(
        published, generated,
        "schema/instrument.schema.json is stale: rerun with DALA_BLESS=1"
    );
}

#[test]
fn every_instrument_in_surveys_matches_the_published_schema() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schema/instrument.schema.json")).expect("schema"),
    )
    .expect("json");
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("surveys"))
        .expect("surveys/")
        .flatten()
    {
        let path = entry.path().join("instrument.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        let errors = super::schema_check::check(&schema, &doc);
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        checked += 1;
    }
    assert!(checked >= 2, "no instruments found in surveys/");
    // The check can fail: a misspelled column and a wrong type are both caught.
    let bad = serde_json::json!({"format": 1, "settings": {"form_id": "x", "version": 1}, "survey": [{"type": "txt", "name": "a", "apperance": "x"}]});
    let errors = super::schema_check::check(&schema, &bad);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    // A geopoint the device fills: `capture` is one of two words.
    let captured = serde_json::json!({"format": 1, "settings": {"form_id": "x", "version": "1"}, "survey": [
        {"type": "geopoint", "name": "start_at", "capture": "start"},
        {"type": "geopoint", "name": "moved_at", "capture": "sometimes"},
    ]});
    let errors = super::schema_check::check(&schema, &captured);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].starts_with("/survey/1/capture"), "{errors:#?}");
}
