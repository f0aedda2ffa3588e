//! The designer's editing model as scenarios: edit, then check the instrument; undo, then
//! check it is exactly what it was.

use dala_core::design::{
    Breaking, DataUse, Design, Edit, EditError, Field, Setting, Usage, check_publish, next_version,
};
use dala_core::{Answer, Instrument, Item, ItemType, Status, Submission, Text, VCode};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn police() -> Instrument {
    let text = include_str!("../../../../surveys/police-gender-representation/instrument.json");
    Instrument::from_json(text).expect("police instrument")
}

fn empty() -> Instrument {
    Instrument::from_json(
        r#"{"format": 1, "settings": {"form_id": "police_section_1", "version": "1", "default_language": "en"}, "survey": []}"#,
    )
    .expect("empty instrument")
}

fn question(t: ItemType, name: &str, label: &str) -> Item {
    let mut item = Item::new(t, name);
    item.label = Text::one("en", label);
    item
}

fn names(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i.name.clone()).collect()
}

fn insert(parent: &[usize], index: usize, item: Item) -> Edit {
    Edit::Insert {
        parent: parent.to_vec(),
        index,
        item: Box::new(item),
    }
}

fn set(at: &[usize], field: Field, value: &str) -> Edit {
    Edit::Set {
        at: at.to_vec(),
        field,
        value: Some(value.to_string()),
    }
}

#[test]
fn a_rename_carries_every_reference_and_undoes_exactly() {
    let original = police();
    let mut d = Design::new(original.clone());
    // staff_total: three constraints, two calculations refer to it.
    d.rename(&[2, 1, 0], "staff_count").expect("rename");
    let unit = &d.instrument().survey[2].children[1];
    assert_eq!(unit.children[0].name, "staff_count");
    assert_eq!(
        unit.children[1].constraint.as_deref(),
        Some(". >= 0 and . <= ${staff_count}")
    );
    assert_eq!(
        unit.children[4].calculation.as_deref(),
        Some("if(${staff_count} > 0, round(${women_total} div ${staff_count} * 100, 1), '')")
    );
    assert!(
        d.diagnostics().iter().all(|x| x.code.is_warning()),
        "{:?}",
        d.diagnostics()
    );

    // A label's reference, in every language, and the instance name's.
    d.rename(&[2, 1, 4], "women_share").expect("rename");
    let note = &d.instrument().survey[2].children[1].children[6];
    assert_eq!(
        note.label.0["en"],
        "Women are ${women_share}% of your unit's staff."
    );
    assert!(note.label.0["ru"].contains("${women_share}%"));
    d.rename(&[2, 0, 1], "raion").expect("rename");
    assert_eq!(
        d.instrument().settings.instance_name.as_deref(),
        Some("concat(${raion}, '-', ${wave})")
    );

    assert!(d.undo() && d.undo() && d.undo());
    assert_eq!(d.instrument(), &original);
    assert!(!d.undo(), "nothing left to undo");
    assert!(d.redo());
    assert_eq!(
        d.instrument().survey[2].children[1].children[0].name,
        "staff_count"
    );
}

#[test]
fn a_rename_leaves_string_literals_and_other_names_alone() {
    let mut i = empty();
    i.survey = vec![
        question(ItemType::Text, "a", "A"),
        question(ItemType::Text, "ab", "AB"),
        {
            let mut q = question(ItemType::Text, "c", "Hello ${a}, not ${ab}");
            q.relevant = Some("${a} != '${a}' and ${ab} != ''".into());
            q
        },
    ];
    let mut d = Design::new(i);
    d.rename(&[0], "x").expect("rename");
    let c = &d.instrument().survey[2];
    assert_eq!(
        c.relevant.as_deref(),
        Some("${x} != '${a}' and ${ab} != ''")
    );
    assert_eq!(c.label.0["en"], "Hello ${x}, not ${ab}");
}

#[test]
fn a_name_must_be_valid_and_free_and_a_refused_edit_changes_nothing() {
    let original = police();
    let mut d = Design::new(original.clone());
    assert_eq!(
        d.rename(&[2, 1, 0], "sex"),
        Err(EditError::NameTaken("sex".into()))
    );
    assert_eq!(
        d.rename(&[2, 1, 0], "2nd"),
        Err(EditError::InvalidName("2nd".into()))
    );
    assert_eq!(
        d.apply(set(&[0], Field::Type, "slider")),
        Err(EditError::UnknownType("slider".into()))
    );
    assert_eq!(
        d.apply(set(&[2], Field::Type, "text")),
        Err(EditError::GroupNotEmpty)
    );
    // A batch whose last edit fails takes back the ones before it.
    let batch = Edit::Batch(vec![
        set(&[0], Field::Relevant, "${consent} = 'yes'"),
        set(&[9], Field::Relevant, "true()"),
    ]);
    assert_eq!(d.apply(batch), Err(EditError::NoItem(vec![9])));
    assert_eq!(d.instrument(), &original);
    assert!(!d.can_undo());
}

#[test]
fn deleting_a_referenced_question_warns_with_the_places_that_use_it() {
    let d = Design::new(police());
    assert_eq!(
        d.removal_warnings(&[2, 1, 0]),
        [
            Usage {
                item: "women_total".into(),
                column: "constraint"
            },
            Usage {
                item: "ranked_total".into(),
                column: "constraint"
            },
            Usage {
                item: "share_women".into(),
                column: "calculation"
            },
        ]
    );
    // Deleting the whole unit group: only references from outside it count.
    assert_eq!(d.removal_warnings(&[2, 1]), []);
    // The respondent group holds region and district, used by the instance name.
    assert_eq!(
        d.removal_warnings(&[2, 0]),
        [
            Usage {
                item: "women_in_service".into(),
                column: "relevant"
            },
            Usage {
                item: String::new(),
                column: "instance_name"
            },
        ]
    );
}

#[test]
fn the_police_first_section_is_built_from_scratch_moved_around_and_undone_to_nothing() {
    let mut d = Design::new(empty());
    d.apply(insert(
        &[],
        0,
        question(ItemType::SelectOne, "consent", "Do you agree?"),
    ))
    .expect("consent");
    d.apply(insert(
        &[],
        1,
        question(ItemType::Group, "respondent", "About you"),
    ))
    .expect("group");
    d.apply(set(&[1], Field::Appearance, "field-list"))
        .expect("field-list");
    d.apply(set(&[1], Field::Relevant, "${consent} = 'yes'"))
        .expect("relevant");
    d.apply(insert(
        &[1],
        0,
        question(ItemType::SelectOne, "region", "Region"),
    ))
    .expect("region");
    d.apply(insert(&[], 2, question(ItemType::SelectOne, "sex", "Sex")))
        .expect("sex");
    d.apply(set(&[1, 0], Field::Label("ru".into()), "Область"))
        .expect("label ru");
    d.apply(set(&[0], Field::List, "yn")).expect("list");
    d.apply(Edit::SetChoices {
        list: "yn".into(),
        choices: Some(vec![
            dala_core::Choice {
                name: "yes".into(),
                label: Text::one("en", "Yes"),
                extra: BTreeMap::new(),
            },
            dala_core::Choice {
                name: "no".into(),
                label: Text::one("en", "No"),
                extra: BTreeMap::new(),
            },
        ]),
    })
    .expect("choices");

    // sex goes into the group above it, then up before region, then out again.
    assert_eq!(d.move_into_previous(&[2]), Ok(vec![1, 1]));
    assert_eq!(d.move_up(&[1, 1]), Ok(vec![1, 0]));
    assert_eq!(names(&d.instrument().survey[1].children), ["sex", "region"]);
    assert_eq!(d.move_up(&[1, 0]), Err(EditError::NoMove));
    assert_eq!(d.move_out(&[1, 0]), Ok(vec![2]));
    assert_eq!(
        names(&d.instrument().survey),
        ["consent", "respondent", "sex"]
    );
    assert_eq!(d.move_down(&[0]), Ok(vec![1]));
    assert_eq!(
        names(&d.instrument().survey),
        ["respondent", "consent", "sex"]
    );
    assert_eq!(d.move_into_previous(&[2]), Err(EditError::NotAContainer));
    assert_eq!(
        d.item(&[0, 0]).map(|i| i.label.0["ru"].as_str()),
        Some("Область")
    );

    // Each move is one step of undo.
    assert!(d.undo());
    assert_eq!(
        names(&d.instrument().survey),
        ["consent", "respondent", "sex"]
    );
    while d.undo() {}
    assert_eq!(d.instrument(), &empty());
    while d.redo() {}
    assert_eq!(
        names(&d.instrument().survey),
        ["respondent", "consent", "sex"]
    );
}

#[test]
fn clearing_a_column_and_an_empty_text_are_the_same() {
    let mut d = Design::new(police());
    d.apply(set(&[2, 0, 5], Field::Relevant, ""))
        .expect("clear");
    assert_eq!(d.item(&[2, 0, 5]).and_then(|i| i.relevant.clone()), None);
    d.apply(Edit::Set {
        at: vec![3],
        field: Field::Label("ru".into()),
        value: None,
    })
    .expect("clear ru");
    assert!(!d.item(&[3]).expect("end").label.0.contains_key("ru"));
    assert!(d.undo() && d.undo());
    assert_eq!(d.instrument(), &police());
}

fn record(answers: &[(&str, &str)]) -> Submission {
    Submission {
        format: 1,
        held: Vec::new(),
        files: Vec::new(),
        instance_name: None,
        instance_id: "uuid:1".into(),
        instrument_id: "police_gender_representation".into(),
        instrument_version: "2015030101".into(),
        status: Status::Finalized,
        started: "2015-03-01T10:00:00+06:00".into(),
        updated: "2015-03-01T10:20:00+06:00".into(),
        finalized: None,
        enumerator: "Aigul".into(),
        device_id: "tablet-1".into(),
        answers: answers
            .iter()
            .map(|(k, v)| (k.to_string(), Answer::Value(v.to_string())))
            .collect(),
    }
}

#[test]
fn publishing_shows_what_breaks_collected_data_and_refuses_an_invalid_draft() {
    let published = police();
    let data = DataUse::from_records(
        &published,
        &[
            record(&[
                ("sex", "f"),
                ("years_service", "7"),
                ("promotion_barriers", "family training"),
            ]),
            record(&[("sex", "m"), ("position", "inspector")]),
        ],
    );
    let mut d = Design::new(published.clone());
    // Unchanged: the next version, nothing breaks.
    let check = d.check_publish(Some(&published), &data);
    assert_eq!(check.version, "2015030102");
    assert_eq!((check.errors.len(), check.breaking.len()), (0, 0));

    d.apply(set(&[2, 0, 7], Field::Type, "text"))
        .expect("years_service becomes text");
    d.apply(Edit::Remove { at: vec![2, 0, 6] })
        .expect("position removed");
    let list = d
        .item(&[2, 2, 1])
        .and_then(|i| i.list.clone())
        .expect("promotion_barriers has a list");
    let mut choices = d.instrument().choices[&list].clone();
    choices.retain(|c| c.name != "family");
    d.apply(Edit::SetChoices {
        list: list.clone(),
        choices: Some(choices),
    })
    .expect("choice removed");
    let check = d.check_publish(Some(&published), &data);
    assert_eq!(
        check.breaking,
        [
            Breaking::Removed {
                name: "position".into()
            },
            Breaking::TypeChanged {
                name: "years_service".into(),
                from: ItemType::Integer,
                to: ItemType::Text
            },
            Breaking::ChoiceRemoved {
                name: "promotion_barriers".into(),
                choice: "family".into()
            },
        ]
    );
    assert!(check.errors.is_empty());

    // An unknown reference blocks publishing; nothing is published.
    d.apply(set(
        &[2, 0, 5],
        Field::Relevant,
        "${no_such_question} = 'x'",
    ))
    .expect("edit");
    let refused = d.publish(Some(&published), &data).expect_err("blocked");
    assert!(
        refused
            .errors
            .iter()
            .any(|e| e.code == VCode::UnknownReference)
    );
    assert_eq!(d.instrument().settings.version, "2015030101");
    assert!(d.undo());
    let out = d.publish(Some(&published), &data).expect("published");
    assert_eq!(out.settings.version, "2015030102");
    // Publishing is an edit too.
    assert!(d.undo());
    assert_eq!(d.instrument().settings.version, "2015030101");
}

#[test]
fn typing_in_one_column_is_one_undo_step() {
    let mut d = Design::new(police());
    for typed in ["$", "${", "${sex", "${sex} = 'f'"] {
        d.type_into(&[2, 2, 0], Field::Relevant, Some(typed.into()))
            .expect("typing");
    }
    d.type_into(
        &[2, 2, 0],
        Field::Label("en".into()),
        Some("Unequal?".into()),
    )
    .expect("label");
    let relevant = |d: &Design| d.item(&[2, 2, 0]).and_then(|i| i.relevant.clone());
    assert_eq!(relevant(&d).as_deref(), Some("${sex} = 'f'"));
    assert!(d.undo());
    assert_eq!(
        relevant(&d).as_deref(),
        Some("${sex} = 'f'"),
        "the label went first"
    );
    assert!(d.undo());
    assert_eq!(
        d.instrument(),
        &police(),
        "the whole typing went in one step"
    );
    // Typing again after an undo starts a new step.
    d.type_into(&[2, 2, 0], Field::Relevant, Some("true()".into()))
        .expect("typing");
    assert!(d.undo());
    assert_eq!(d.instrument(), &police());
}

#[test]
fn next_versions() {
    assert_eq!(next_version("2015030101"), "2015030102");
    assert_eq!(next_version("1.9"), "1.10");
    assert_eq!(next_version("v09"), "v10");
    assert_eq!(next_version("99"), "100");
    assert_eq!(next_version("draft"), "draft.2");
    assert_eq!(
        next_version("99999999999999999999999999999999999999999"),
        "100000000000000000000000000000000000000000"
    );
}

#[test]
fn a_designer_typed_version_is_kept() {
    let published = police();
    let mut draft = police();
    draft.settings.version = "2015040101".into();
    let check = check_publish(Some(&published), &draft, &DataUse::default());
    assert_eq!(check.version, "2015040101");
    let check = check_publish(None, &police(), &DataUse::default());
    assert_eq!(
        check.version, "2015030101",
        "a first publication keeps its version"
    );
}

#[test]
fn settings_are_edits() {
    let mut d = Design::new(police());
    d.apply(Edit::SetSetting {
        setting: Setting::Title("uz".into()),
        value: Some("Ayollar".into()),
    })
    .expect("title");
    assert_eq!(
        d.apply(Edit::SetSetting {
            setting: Setting::FormId,
            value: None
        }),
        Err(EditError::Empty("form_id"))
    );
    assert_eq!(d.instrument().settings.title.0["uz"], "Ayollar");
    assert!(d.undo());
    assert_eq!(d.instrument(), &police());
}

/// Random edits on the police instrument, each accepted or refused; undoing all of them
/// gives back the instrument exactly, and redoing all gives back the edited one.
fn arbitrary_edit() -> impl Strategy<Value = (u8, Vec<usize>, String)> {
    (
        0u8..8,
        prop::collection::vec(0usize..12, 1..4),
        "[a-z_]{1,6}|\\$\\{[a-z_]{1,12}\\}",
    )
}

fn perform(d: &mut Design, (kind, at, text): (u8, Vec<usize>, String)) -> Result<(), EditError> {
    match kind {
        0 => d.apply(Edit::Remove { at }),
        1 => d.apply(set(&at, Field::Relevant, &text)),
        2 => d.rename(&at, &text),
        3 => d.move_up(&at).map(drop),
        4 => d.move_down(&at).map(drop),
        5 => d.move_into_previous(&at).map(drop),
        6 => d.move_out(&at).map(drop),
        _ => d.apply(Edit::Insert {
            parent: at[..at.len() - 1].to_vec(),
            index: at[at.len() - 1],
            item: Box::new(question(ItemType::Text, &text, "New")),
        }),
    }
}

proptest! {
    #[test]
    fn undo_all_restores_and_redo_all_replays(edits in prop::collection::vec(arbitrary_edit(), 0..25)) {
        let original = police();
        let mut d = Design::new(original.clone());
        for e in edits {
            let before = d.instrument().clone();
            if perform(&mut d, e).is_err() {
                prop_assert_eq!(d.instrument(), &before, "a refused edit changes nothing");
            }
        }
        let edited = d.instrument().clone();
        while d.undo() {}
        prop_assert_eq!(d.instrument(), &original);
        while d.redo() {}
        prop_assert_eq!(d.instrument(), &edited);
    }
}

/// Issue 16: nothing in the app could add, rename or remove a language.
#[test]
fn languages_are_added_renamed_and_removed_each_undone_exactly() {
    let original = police();
    let mut d = Design::new(original.clone());
    let langs = |d: &Design| {
        dala_core::design::languages_of(d.instrument())
            .into_iter()
            .collect::<Vec<_>>()
    };
    // The police form names its regions and districts in Kyrgyz and Uzbek too.
    assert_eq!(langs(&d), ["en", "ky", "ru", "uz"]);
    d.add_language("tg").expect("a new language");
    assert_eq!(langs(&d), ["en", "ky", "ru", "tg", "uz"]);
    assert_eq!(
        d.instrument().settings.title.0.get("tg"),
        original.settings.title.0.get("en"),
        "the title starts as the default language's"
    );
    assert_eq!(
        d.add_language("ru"),
        Err(EditError::LanguageTaken("ru".into()))
    );

    d.rename_language("ru", "Russian (ru)").expect("rename");
    assert_eq!(langs(&d), ["Russian (ru)", "en", "ky", "tg", "uz"]);
    let consent = &d.instrument().survey[1];
    assert_eq!(
        consent.label.0.get("Russian (ru)"),
        original.survey[1].label.0.get("ru")
    );
    assert_eq!(
        d.rename_language("en", "ky"),
        Err(EditError::LanguageTaken("ky".into()))
    );

    d.remove_language("Russian (ru)").expect("remove");
    assert_eq!(langs(&d), ["en", "ky", "tg", "uz"]);
    assert!(
        d.instrument()
            .choices
            .values()
            .flatten()
            .all(|c| !c.label.0.contains_key("Russian (ru)")),
        "choice labels too"
    );
    // Each was one edit: three undos give back the instrument exactly.
    assert!(d.undo() && d.undo() && d.undo());
    assert_eq!(d.instrument(), &original);
}

#[test]
fn removing_the_default_language_moves_the_default_to_another() {
    let mut d = Design::new(police());
    d.remove_language("en").expect("remove");
    // The first language the title is in (ky, ru), not uz: only the districts are in it.
    assert_eq!(
        d.instrument().settings.default_language.as_deref(),
        Some("ky")
    );
    assert!(
        d.instrument()
            .survey
            .iter()
            .all(|i| !i.label.0.contains_key("en"))
    );
}

/// Issue 16: the undo history could survive a reload. The stored design carries it and is
/// read back to the same design, whose undo restores the instrument exactly.
#[test]
fn a_stored_design_keeps_its_history_and_undoes_after_reading_back() {
    use dala_core::design::DesignState;
    let original = police();
    let mut d = Design::new(original.clone());
    d.rename(&[0], "survey_wave").expect("rename");
    d.add_language("tg").expect("add");
    assert!(d.undo(), "one step to redo");
    let json = d.state().to_json();
    let state = DesignState::from_json(&json).expect("reads back");
    assert_eq!(state, d.state());
    let mut back = Design::from_state(state);
    assert!(back.can_redo());
    assert!(back.undo());
    assert_eq!(back.instrument(), &original);
    assert!(!back.undo(), "nothing more to undo");
    // Not a stored design (an instrument document), or a newer format: no history to read.
    assert_eq!(DesignState::from_json(&original.to_json()), None);
    let newer = json.replacen("\"format\":1", "\"format\":2", 1);
    assert_eq!(DesignState::from_json(&newer), None);
}

/// The designer's choice table changes a list through design edits: each one step of undo,
/// refused with a reason when it makes no sense.
#[test]
fn choices_are_renamed_labelled_removed_and_added_as_edits() {
    use dala_core::design::ChoiceEdit;
    let mut d = Design::new(police());
    let names = |d: &Design| -> Vec<String> {
        d.instrument().choices["sex"]
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    d.edit_choice("sex", ChoiceEdit::Add).expect("add");
    assert_eq!(
        names(&d),
        ["f", "m", "1"],
        "a new choice takes the first free number"
    );
    d.edit_choice(
        "sex",
        ChoiceEdit::Rename {
            row: 2,
            name: " x ".into(),
        },
    )
    .expect("rename");
    d.edit_choice(
        "sex",
        ChoiceEdit::Label {
            row: 2,
            language: "ru".into(),
            text: "Другой".into(),
        },
    )
    .expect("label");
    assert_eq!(names(&d), ["f", "m", "x"]);
    assert_eq!(d.instrument().choices["sex"][2].label.0["ru"], "Другой");
    assert_eq!(
        d.edit_choice(
            "sex",
            ChoiceEdit::Rename {
                row: 2,
                name: "f".into()
            }
        ),
        Err(EditError::NameTaken("f".into())),
        "two choices of a list never share a name"
    );
    assert_eq!(
        d.edit_choice(
            "sex",
            ChoiceEdit::Rename {
                row: 0,
                name: " ".into()
            }
        ),
        Err(EditError::Empty("name"))
    );
    assert_eq!(
        d.edit_choice("sex", ChoiceEdit::Remove { row: 9 }),
        Err(EditError::BadIndex { index: 9, len: 3 })
    );
    d.edit_choice(
        "sex",
        ChoiceEdit::Label {
            row: 0,
            language: "ru".into(),
            text: String::new(),
        },
    )
    .expect("clear a label");
    assert!(!d.instrument().choices["sex"][0].label.0.contains_key("ru"));
    d.edit_choice("sex", ChoiceEdit::Remove { row: 1 })
        .expect("remove");
    assert_eq!(names(&d), ["f", "x"]);
    // Each change one undo step, back to the list as it was.
    for _ in 0..5 {
        assert!(d.undo());
    }
    assert_eq!(d.instrument(), &police());
}
