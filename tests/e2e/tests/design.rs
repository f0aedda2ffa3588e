//! The Design workspace end to end in headless Chromium, as a survey designer uses it: the
//! police survey's first section built from scratch, previewed, published and interviewed in
//! Collect; the FAST workbook imported, edited, exported to .xlsx and converted back with
//! `dala convert`, as it is and after LibreOffice has opened and saved it. Run with `cargo xtask test` (it builds dist/ and the CLI, and sets
//! DALA_DIST and DALA_CLI).

use dala_e2e::collect::Collect;
use dala_e2e::server::StaticServer;
use dala_e2e::webdriver::Browser;
use dala_e2e::{env_path, scratch};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One browser at a time: two cores run one Chromium well, not two.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// Sets a control of the editor as a designer would: its value, then `input` and `change`.
const SET: &str = r#"
const [selector, value] = arguments;
const e = document.querySelector(selector);
if (!e) return 'nothing at ' + selector;
e.value = value;
e.dispatchEvent(new Event('input', { bubbles: true }));
e.dispatchEvent(new Event('change', { bubbles: true }));
return 'ok';
"#;

struct Designer<'a> {
    app: Collect<'a>,
}

impl Designer<'_> {
    fn set(&self, selector: &str, value: &str) {
        self.app.wait_for_selector(selector);
        let rev = self.rev();
        let result = self.app.js(SET, json!([selector, value]));
        assert_eq!(result, "ok", "{selector}");
        // Every accepted edit bumps the editor's revision.
        self.app.wait(&format!(
            "return document.querySelector('#editor').dataset.rev !== '{rev}'"
        ));
    }

    fn rev(&self) -> String {
        self.app
            .js(
                "return document.querySelector('#editor').dataset.rev",
                json!([]),
            )
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn select(&self, name: &str) {
        self.app
            .click(&format!(".tree-row[data-name=\"{name}\"] button"));
        self.app
            .wait_for_selector(&format!(".item-panel[data-name=\"{name}\"]"));
    }

    fn click_edit(&self, selector: &str) {
        let rev = self.rev();
        self.app.click(selector);
        self.app.wait(&format!(
            "return document.querySelector('#editor').dataset.rev !== '{rev}'"
        ));
    }

    fn outline(&self) -> Vec<String> {
        let names = self.app.js(
            "return [...document.querySelectorAll('.tree-row')].map(r => r.dataset.name)",
            json!([]),
        );
        serde_json::from_value(names).expect("names")
    }

    /// The problems listed for the whole instrument, one line each.
    fn problems(&self) -> Vec<String> {
        let lines = self.app.js(
            "return [...document.querySelectorAll('.all-problems li')].map(l => l.textContent)",
            json!([]),
        );
        serde_json::from_value(lines).expect("problem lines")
    }
}

fn no_errors(app: &Collect) {
    assert_eq!(
        app.js("return window.__dalaErrors || []", json!([])),
        json!([])
    );
}

fn wait_for_file(dir: &Path, extension: &str) -> PathBuf {
    dala_e2e::downloaded(dir, |name| name.ends_with(&format!(".{extension}")))
}

#[test]
fn the_police_first_section_is_built_previewed_published_and_interviewed() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&env_path("DALA_DIST"), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_enumerator("Aigul");
    let d = Designer {
        app: Collect::new(&browser),
    };

    app.click(".workspaces a[data-workspace=\"design\"]");
    app.wait_for_selector("#designs[data-ready=\"true\"]");
    app.click(".new-instrument");
    app.wait_for_selector("#editor[data-form=\"new_form_1\"][data-ready=\"true\"]");

    // consent: select_one with a yes/no list.
    d.click_edit(".add-question");
    d.set(".item-panel .column-type select", "select_one");
    d.set(".item-panel .column-name input", "consent");
    d.set(
        ".item-panel .column-label-en input",
        "Do you agree to the interview?",
    );
    d.set(".item-panel .column-list select", "consent_list");
    d.click_edit(".add-choice");
    d.set(".choices-table tr:nth-child(1) .choice-name", "yes");
    d.set(".choices-table tr:nth-child(1) .choice-label", "Yes");
    d.click_edit(".add-choice");
    d.set(".choices-table tr:nth-child(2) .choice-name", "no");
    d.set(".choices-table tr:nth-child(2) .choice-label", "No");

    // The respondent page: a field-list group shown after consent.
    d.click_edit(".add-group");
    d.set(".item-panel .column-name input", "respondent");
    d.set(".item-panel .column-label-en input", "About you");
    d.set(".item-panel .column-appearance input", "field-list");
    // A typo first: its problem shows under the column with the reference marked.
    d.set(".item-panel .column-relevant input", "${consnt} = 'yes'");
    assert_eq!(app.text(".column-relevant mark"), "${consnt}");
    let problems = d.problems();
    assert!(
        problems.iter().any(|p| p.contains("consnt")),
        "{problems:?}"
    );
    d.set(".item-panel .column-relevant input", "${consent} = 'yes'");
    assert!(!d.problems().iter().any(|p| p.contains("consnt")));
    assert_eq!(
        app.js(
            "return document.querySelector('.column-relevant mark') === null",
            json!([])
        ),
        true
    );

    // Years of service: added with the empty group selected, it goes into it (issue 16).
    d.click_edit(".add-question");
    d.set(".item-panel .column-type select", "integer");
    d.set(".item-panel .column-name input", "years_service");
    d.set(".item-panel .column-label-en input", "Years in the service");
    d.set(".item-panel .column-constraint input", ". >= 0 and . <= 45");
    d.set(
        ".item-panel .column-constraint-message-en input",
        "Between 0 and 45 years",
    );
    assert_eq!(d.outline(), ["consent", "respondent", "years_service"]);
    app.wait_for_selector(".tree-row[data-name=\"years_service\"][data-depth=\"1\"]");
    // Sex, added after it inside the group, with its own choice list.
    d.click_edit(".add-question");
    d.set(".item-panel .column-type select", "select_one");
    d.set(".item-panel .column-name input", "sex");
    d.set(".item-panel .column-label-en input", "Sex");
    d.set(".item-panel .column-list select", "sex_list");
    for (row, (code, label)) in [("f", "Female"), ("m", "Male")].into_iter().enumerate() {
        d.click_edit(".add-choice");
        d.set(
            &format!(
                ".choices-table tbody tr:nth-child({}) .choice-name",
                row + 1
            ),
            code,
        );
        d.set(
            &format!(
                ".choices-table tbody tr:nth-child({}) .choice-label",
                row + 1
            ),
            label,
        );
    }
    app.wait_for_selector(".tree-row[data-name=\"sex\"][data-depth=\"1\"]");

    // Renaming a referenced question carries the reference; undo and redo take it back and forth.
    d.select("consent");
    d.set(".item-panel .column-name input", "agree");
    d.select("respondent");
    assert_eq!(
        app.js(
            "return document.querySelector('.item-panel .column-relevant input').value",
            json!([])
        ),
        "${agree} = 'yes'"
    );
    d.click_edit(".undo");
    d.select("respondent");
    assert_eq!(
        app.js(
            "return document.querySelector('.item-panel .column-relevant input').value",
            json!([])
        ),
        "${consent} = 'yes'"
    );
    d.click_edit(".redo");
    d.click_edit(".undo");
    assert_eq!(
        d.outline(),
        ["consent", "respondent", "years_service", "sex"]
    );

    // Deleting a referenced question lists what uses it; cancel keeps it.
    d.select("consent");
    app.click(".item-panel .delete");
    app.wait_for_selector(".confirm .usages");
    assert!(
        app.text(".confirm .usages")
            .contains("respondent (relevant)")
    );
    app.click(".confirm .button:not(.danger)");

    // The preview runs the real engine with Collect's widgets.
    app.wait_for_selector(".preview .question[data-name=\"consent\"] input[value=\"yes\"]");
    app.click(".preview .question[data-name=\"consent\"] input[value=\"yes\"]");
    app.click(".preview .next");
    app.wait_for_selector(".preview .question:not([hidden])[data-name=\"years_service\"]");
    dala_e2e::screenshot(&browser, "design-editor");
    // The panel shows the selected question's own type and list, whichever was shown before.
    for (name, kind, list) in [
        ("consent", "select_one", "consent_list"),
        ("years_service", "integer", ""),
        ("sex", "select_one", "sex_list"),
        ("consent", "select_one", "consent_list"),
    ] {
        d.select(name);
        assert_eq!(
            app.js(
                "return [document.querySelector('.item-panel .column-type select').value, \
                 document.querySelector('.item-panel .column-list select')?.value ?? '']",
                json!([])
            ),
            json!([kind, list]),
            "{name}"
        );
    }

    // The preview follows the selection: the page holding it, the question marked (issue 16).
    d.select("sex");
    app.wait_for_selector(".preview .question:not([hidden])[data-name=\"sex\"][data-marked]");
    // A problem no longer blanks the preview: it runs the last instrument without errors and
    // says the latest edit is not shown yet.
    d.select("years_service");
    d.set(".item-panel .column-relevant input", "${nowhere} > 1");
    app.wait_for_selector(".preview-body[data-stale=\"true\"] .preview-stale");
    assert_eq!(
        app.js(
            "return document.querySelector('.preview-page').hidden",
            json!([])
        ),
        false
    );
    app.wait_for_selector(".preview .question:not([hidden])[data-name=\"years_service\"]");
    dala_e2e::screenshot(&browser, "design-preview-stale");
    d.set(".item-panel .column-relevant input", "");
    app.wait_for_selector(".preview-body[data-stale=\"false\"]");

    // The form's settings (issue 16): its title, and a language added, renamed, removed.
    app.click(".settings-toggle");
    app.wait_for_selector(".settings-panel");
    d.set(
        ".settings-panel .setting-title[data-language=\"en\"] input",
        "Police, section 1",
    );
    assert!(
        app.text(".editor-head .form-title")
            .starts_with("Police, section 1 · new_form_1"),
        "{}",
        app.text(".editor-head .form-title")
    );
    app.js(SET, json!([".add-language input", "ky"]));
    d.click_edit(".add-language button");
    app.wait_for_selector(".languages .language[data-language=\"ky\"]");
    d.set(
        ".languages .language[data-language=\"ky\"] input",
        "Kyrgyz (ky)",
    );
    app.wait_for_selector(".languages .language[data-language=\"Kyrgyz (ky)\"]");
    dala_e2e::screenshot(&browser, "design-settings");
    app.click(".language[data-language=\"Kyrgyz (ky)\"] .remove-language");
    d.click_edit(".confirm-remove-language");
    assert_eq!(
        app.js(
            "return [...document.querySelectorAll('.languages .language')].map(l => l.dataset.language)",
            json!([])
        ),
        json!(["en"])
    );
    // The undo history survives a reload (issue 16): undo brings the language back.
    app.js("location.reload()", json!([]));
    app.wait_for_selector("#editor[data-form=\"new_form_1\"][data-ready=\"true\"]");
    d.click_edit(".undo");
    app.click(".settings-toggle");
    app.wait_for_selector(".languages .language[data-language=\"Kyrgyz (ky)\"]");
    d.click_edit(".redo");
    app.click(".settings-toggle");

    // Publish: version 1, nothing breaks (no data yet).
    app.click(".publish");
    app.wait_for_selector(".publish-check[data-blocked=\"false\"]");
    dala_e2e::screenshot(&browser, "design-publish");
    app.click(".publish-confirm");
    app.wait("return document.querySelector('.banner.notice')?.textContent.includes('1')");
    no_errors(&app);

    // Collect offers it: an interview with the published version.
    app.click(".workspaces a[data-workspace=\"collect\"]");
    app.wait_for_selector("#home[data-ready=\"true\"] [data-form=\"new_form_1\"] .start");
    app.start("new_form_1");
    app.answer("consent", "yes");
    app.next();
    assert_eq!(app.questions(), ["years_service", "sex"]);
    app.answer("sex", "f");
    app.answer("years_service", "50");
    app.wait(
        "return document.querySelector('.question[data-name=\"years_service\"] .error') !== null",
    );
    assert_eq!(
        app.error("years_service").as_deref(),
        Some("Between 0 and 45 years")
    );
    app.answer("years_service", "12");
    app.wait(
        "return document.querySelector('.question[data-name=\"years_service\"] .error') === null",
    );
    no_errors(&app);
}

#[test]
fn the_fast_workbook_is_edited_exported_and_converted_back_unchanged() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let downloads = scratch("design-downloads");
    let workbook = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../surveys/fast-family-outcomes/instrument.xlsx")
        .canonicalize()
        .expect("the FAST workbook");
    let server = StaticServer::start(&env_path("DALA_DIST"), "127.0.0.1:0").expect("server");
    let browser =
        Browser::start_with(1280, 800, Some(&downloads)).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    let d = Designer {
        app: Collect::new(&browser),
    };

    app.click(".workspaces a[data-workspace=\"design\"]");
    app.wait_for_selector("#designs[data-ready=\"true\"]");
    app.import(&workbook);
    dala_e2e::screenshot(&browser, "design-list");
    app.wait("return document.querySelector('.banner.notice')?.textContent.includes('fast_family_outcomes')");
    app.click("[data-form=\"fast_family_outcomes\"] .edit");
    app.wait_for_selector("#editor[data-ready=\"true\"]");

    // A label and a relevant changed.
    let first = d.outline()[0].clone();
    d.select(&first);
    d.set(".item-panel .column-label-en input", "School visited today");
    d.set(
        ".item-panel .column-relevant input",
        "today() > date('2015-01-01')",
    );
    assert_eq!(d.problems(), Vec::<String>::new());

    // Export both ways: the .json the designer now has, and the .xlsx.
    app.click(".workspaces a[data-workspace=\"design\"]");
    app.wait_for_selector("#designs[data-ready=\"true\"] [data-form=\"fast_family_outcomes\"]");
    app.click("[data-form=\"fast_family_outcomes\"] .export-json");
    let json_file = wait_for_file(&downloads, "json");
    app.click("[data-form=\"fast_family_outcomes\"] .export-xlsx");
    let xlsx_file = wait_for_file(&downloads, "xlsx");
    no_errors(&app);

    // `dala convert` reads the workbook back to the very instrument the designer exported.
    let converted = downloads.join("converted.json");
    let status = std::process::Command::new(env_path("DALA_CLI"))
        .arg("convert")
        .arg(&xlsx_file)
        .arg("-o")
        .arg(&converted)
        .status()
        .expect("dala convert runs");
    assert!(status.success());
    let read = |p: &Path| {
        dala_core::Instrument::from_json(&std::fs::read_to_string(p).expect("read"))
            .expect("an instrument")
    };
    let exported = read(&json_file);
    assert_eq!(read(&converted), exported);
    // pyxform (what ODK Central, KoboToolbox and Ona run on an upload) converts it too, with
    // the title in the default language and every language (issue 24).
    assert_converts_in_pyxform(&xlsx_file, &exported);

    // Opened and saved again by LibreOffice (headless), it still converts back unchanged.
    let office = downloads.join("libreoffice");
    let status = std::process::Command::new(
        dala_e2e::find_in_path("soffice").expect("LibreOffice (soffice) on the PATH"),
    )
    .arg(format!(
        "-env:UserInstallation=file://{}",
        downloads.join("office-profile").display()
    ))
    .args([
        "--headless",
        "--norestore",
        "--convert-to",
        "xlsx:Calc MS Excel 2007 XML",
        "--outdir",
    ])
    .arg(&office)
    .arg(&xlsx_file)
    .status()
    .expect("soffice runs");
    assert!(status.success());
    let resaved = office.join(xlsx_file.file_name().expect("a file name"));
    let converted_again = downloads.join("converted-again.json");
    let status = std::process::Command::new(env_path("DALA_CLI"))
        .arg("convert")
        .arg(&resaved)
        .arg("-o")
        .arg(&converted_again)
        .status()
        .expect("dala convert runs");
    assert!(status.success());
    assert_eq!(read(&converted_again), exported);
    let item = &exported.survey[0];
    assert_eq!(item.name, first);
    assert_eq!(item.label.0["en"], "School visited today");
    assert_eq!(
        item.relevant.as_deref(),
        Some("today() > date('2015-01-01')")
    );
}

#[test]
fn the_editor_fits_a_phone() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&env_path("DALA_DIST"), "127.0.0.1:0").expect("server");
    let browser = Browser::start(412, 915).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.click(".workspaces a[data-workspace=\"design\"]");
    app.wait_for_selector("#designs[data-ready=\"true\"]");
    app.click("[data-form=\"police_gender_representation\"] .edit");
    app.wait_for_selector("#editor[data-ready=\"true\"]");
    dala_e2e::screenshot(&browser, "design-editor-phone");
    // Nothing wider than the screen.
    app.assert_fits_screen();
    // Tapping an outline item brings its panel into view (issue 16).
    app.set_interface_language("ru");
    app.click(".tree-row[data-name=\"district\"] button");
    app.wait_for_selector(".item-panel[data-name=\"district\"]");
    app.wait("const r = document.querySelector('.editor .panel').getBoundingClientRect(); return r.top >= -1 && r.top < innerHeight / 2");
    dala_e2e::screenshot(&browser, "design-panel-phone-ru");
    // Choice labels are shown whole: every label input is as wide as its text needs.
    let cut = app.js(
        "return [...document.querySelectorAll('.choices-table .choice-label')].filter(i => i.scrollWidth > i.clientWidth + 1).map(i => i.value)",
        json!([]),
    );
    assert_eq!(cut, json!([]), "labels cut");
    app.assert_fits_screen();
    // The delete confirmation says what it asks.
    app.click(".item-panel .delete");
    app.wait_for_selector(".confirm .confirm-text");
    assert!(app.text(".confirm .confirm-text").contains("Удалить"));
    app.click(".confirm .button:not(.danger)");
    no_errors(&app);
}

/// The XForm pyxform makes of `workbook` has `instrument`'s title in its default language and
/// a translation for each of its languages.
fn assert_converts_in_pyxform(workbook: &Path, instrument: &dala_core::Instrument) {
    let xform = dala_e2e::pyxform::convert(workbook)
        .unwrap_or_else(|e| panic!("pyxform refuses {}: {e}", workbook.display()));
    let default = instrument
        .settings
        .default_language
        .clone()
        .unwrap_or_else(|| "default".into());
    assert_eq!(xform.title, instrument.settings.title.0[&default]);
    let mut languages = xform.languages.clone();
    languages.sort();
    let expected: Vec<String> = dala_core::design::languages_of(instrument)
        .into_iter()
        .collect();
    assert_eq!(languages, expected, "{}", workbook.display());
}

/// Every seed workbook, and every workbook `dala convert` writes from the seed documents,
/// converts in pyxform with its title and languages (issue 24: pyxform 4.5 failed on the
/// translated titles Dala wrote as `form_title::ru`). No browser needed.
#[test]
fn every_workbook_dala_writes_converts_in_pyxform() {
    let surveys = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../surveys");
    let out = scratch("pyxform");
    for seed in ["fast-family-outcomes", "police-gender-representation"] {
        let json = surveys.join(seed).join("instrument.json");
        let instrument = dala_core::Instrument::from_json(
            &std::fs::read_to_string(&json).expect("the seed document"),
        )
        .expect("an instrument");
        assert!(
            instrument.settings.title.0.len() > 1,
            "the seed has a translated title to keep"
        );
        assert_converts_in_pyxform(&surveys.join(seed).join("instrument.xlsx"), &instrument);
        let written = out.join(format!("{seed}.xlsx"));
        let status = std::process::Command::new(env_path("DALA_CLI"))
            .arg("convert")
            .arg(&json)
            .arg("-o")
            .arg(&written)
            .status()
            .expect("dala convert runs");
        assert!(status.success());
        assert_converts_in_pyxform(&written, &instrument);
    }
}

/// A form with an attached list (issue 19), imported with its CSV in Design, edited and
/// published: the new version reads the same file, so its list goes with it and Collect
/// offers the schools in an interview of the new version.
#[test]
fn a_new_version_of_a_form_keeps_its_attached_list() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("design-attachments");
    let form = "| survey |                                  |        |        |
         |        | type                             | name   | label  |
         |        | select_one_from_file schools.csv | school | School |
         | settings |           |         |
         |          | form_id   | version |
         |          | school_list | 1     |";
    let csv = "name,label\ns12,School 12\ns31,School 31\n";
    let (workbook, schools) =
        dala_e2e::workbook_with_list(&files, "school_list", form, ("schools.csv", csv));

    let server = StaticServer::start(&env_path("DALA_DIST"), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_enumerator("Aigul");
    let d = Designer {
        app: Collect::new(&browser),
    };
    app.click(".workspaces a[data-workspace=\"design\"]");
    app.wait_for_selector("#designs[data-ready=\"true\"]");
    browser
        .type_into(
            ".import input[type=file]",
            &format!("{}\n{}", workbook.display(), schools.display()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(
        "return document.querySelector('.banner.notice')?.textContent.includes('school_list')",
    );
    app.click("[data-form=\"school_list\"] .edit");
    app.wait_for_selector("#editor[data-ready=\"true\"]");
    // The preview offers the schools of the attached list.
    app.wait_for_selector(".preview .question[data-name=\"school\"] input[value=\"s31\"]");
    d.select("school");
    d.set(".item-panel .column-label-default input", "Which school?");
    app.click(".publish");
    app.wait_for_selector(".publish-check[data-blocked=\"false\"]");
    app.click(".publish-confirm");
    app.wait("return document.querySelector('.banner.notice')?.textContent.includes('2')");

    app.click(".workspaces a[data-workspace=\"collect\"]");
    app.wait_for_selector("#home[data-ready=\"true\"] [data-form=\"school_list\"] .start");
    app.start("school_list");
    app.wait(
        "return document.querySelector('.question[data-name=\"school\"]')?.textContent.includes('Which school?')",
    );
    let offered = "return [...document.querySelectorAll('.question[data-name=\"school\"] input[type=radio]')].map(i => i.value)";
    assert_eq!(app.js(offered, json!([])), json!(["s12", "s31"]));
    no_errors(&app);
}
