//! Media questions in the engine: an answer names a file kept beside the record, and the
//! record lists the files its answers name (ODK's binary fields: the value is the file name,
//! the file travels with the submission).

use super::engine::{engine, host};
use dala_core::{Answer, Attachment, Engine, Refusal, Status};
use serde_json::json;

fn photo_form() -> Engine {
    engine(
        json!([
            {"type": "select_one", "name": "consent", "label": {"en": "Consent"}, "list": "yn"},
            {"type": "image", "name": "photo", "label": {"en": "Photo"}, "relevant": "${consent} = 'yes'",
             "parameters": {"max-pixels": "1024"}},
            {"type": "audio", "name": "voice", "label": {"en": "Voice"}},
            {"type": "barcode", "name": "code", "label": {"en": "Code"}},
        ]),
        json!({"yn": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]}),
    )
}

fn described(name: &str, bytes: &[u8]) -> Attachment {
    Attachment::of(name, "image/jpeg", bytes)
}

#[test]
fn a_media_answer_names_one_file_and_the_record_lists_it() {
    let mut e = photo_form();
    let consent = e.node("consent", &[]).expect("consent");
    let photo = e.node("photo", &[]).expect("photo");
    e.answer(&consent, "yes").expect("consent");
    for bad in ["photos/1.jpg", "..\\1.jpg", "..", "a\u{0}b.jpg"] {
        assert!(
            matches!(
                e.answer(&photo, bad),
                Err(dala_core::AnswerError::Invalid {
                    reason: Refusal::NotAFileName,
                    ..
                })
            ),
            "{bad:?} is no file name"
        );
    }
    let first = described("1426585800000.jpg", b"first");
    e.keep_file(first.clone());
    e.answer(&photo, "1426585800000.jpg").expect("a photo");
    let record = e.record(Status::Draft);
    assert_eq!(
        record.answers.get("photo"),
        Some(&Answer::Value("1426585800000.jpg".into()))
    );
    assert_eq!(record.files, std::slice::from_ref(&first));

    // Taken again: the record lists the new file only.
    let second = described("1426585900000.jpg", b"second");
    e.keep_file(second.clone());
    e.answer(&photo, "1426585900000.jpg").expect("again");
    assert_eq!(e.record(Status::Draft).files, std::slice::from_ref(&second));

    // Not relevant: the answer leaves the record, and its file with it (ODK submits no
    // value of a non-relevant field); relevant again, both come back.
    e.answer(&consent, "no").expect("no consent");
    let record = e.record(Status::Finalized);
    assert!(!record.answers.contains_key("photo"));
    assert!(record.files.is_empty());
    e.answer(&consent, "yes").expect("consent again");
    assert_eq!(e.record(Status::Draft).files, std::slice::from_ref(&second));

    // Cleared: no file.
    e.answer(&photo, "").expect("cleared");
    assert!(e.record(Status::Draft).files.is_empty());
}

#[test]
fn a_draft_reopened_keeps_its_files() {
    let mut e = photo_form();
    let consent = e.node("consent", &[]).expect("consent");
    let photo = e.node("photo", &[]).expect("photo");
    let voice = e.node("voice", &[]).expect("voice");
    e.answer(&consent, "yes").expect("consent");
    let image = described("1.jpg", b"jpeg");
    let sound = Attachment::of("2.webm", "audio/webm", b"webm");
    e.keep_file(image.clone());
    e.keep_file(sound.clone());
    e.answer(&photo, "1.jpg").expect("photo");
    e.answer(&voice, "2.webm").expect("voice");
    let draft = e.record(Status::Draft);
    assert_eq!(draft.files, [image.clone(), sound.clone()]);
    let json = serde_json::to_string(&draft).expect("json");
    let back: dala_core::Submission = serde_json::from_str(&json).expect("read back");
    let resumed = Engine::resume(e.form().clone(), host(), &back);
    assert_eq!(resumed.file("1.jpg"), Some(&image));
    assert_eq!(resumed.record(Status::Draft).files, [image, sound]);
}

#[test]
fn a_record_without_files_is_written_as_before() {
    // Records of forms without media keep the format every reader knows: no `files` field.
    let e = photo_form();
    let json = serde_json::to_string(&e.record(Status::Draft)).expect("json");
    assert!(!json.contains("\"files\""), "{json}");
}

#[test]
fn a_barcode_is_text() {
    let mut e = photo_form();
    let code = e.node("code", &[]).expect("code");
    e.answer(&code, "4006381333931").expect("a code");
    assert_eq!(e.value(&code), "4006381333931");
    assert!(e.record(Status::Draft).files.is_empty());
}
