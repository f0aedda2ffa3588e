//! The Collect app end to end in headless Chromium, as an enumerator uses it: the police
//! survey in Russian, the FAST roster and its export, a reload mid-interview, working with the
//! server gone, and a new version deployed while a draft is open.
//! Run with `cargo xtask test` (it builds dist/ and sets DALA_DIST).

use dala_e2e::collect::Collect;
use dala_e2e::server::StaticServer;
use dala_e2e::webdriver::Browser;
use dala_e2e::{env_path, scratch};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One browser at a time: two cores run one Chromium well, not five.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

fn dist() -> PathBuf {
    env_path("DALA_DIST")
}

use dala_e2e::screenshot;

fn no_errors(app: &Collect) {
    app.no_errors();
}

fn wait_for_service_worker(app: &Collect) {
    app.wait("return navigator.serviceWorker.controller !== null");
}

#[test]
fn the_police_survey_in_russian_skips_checks_and_finalizes() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_interface_language("ru");
    app.wait("return document.querySelector('[data-form=\"police_gender_representation\"] h3').textContent.includes('Роль')");
    app.set_enumerator("Айгуль");
    screenshot(&browser, "collect-home-ru");
    app.start("police_gender_representation");

    // "Next" with the required wave unanswered stays and says why (issue 16).
    assert_eq!(app.next_stops_at("wave"), "На этот вопрос нужно ответить.");
    // The form opens in the interface language: Russian labels.
    app.answer("wave", "2015_spring");
    assert_eq!(app.error("wave"), None, "answered, the message goes");
    app.next();
    assert!(
        app.text(".question-label").contains("Согласны"),
        "{}",
        app.text(".question-label")
    );
    app.answer("consent", "yes");

    // Finalize lists what is missing, in Russian, each a link to its page.
    app.click(".pages-toggle");
    app.click(".jump li:last-child button");
    app.wait_for_selector(".problems li[data-name=\"region\"]");
    assert!(app.text(".closing").contains("Перед завершением"));
    assert!(
        app.text(".problems li[data-name=\"region\"] .error")
            .contains("нужно ответить")
    );
    app.click(".problems li[data-name=\"region\"] button");
    // The link opens the page at the question, marked and focused (issue 16).
    app.wait("const q = document.querySelector('.question[data-name=\"region\"]'); return q !== null && q.hasAttribute('data-marked') && q.contains(document.activeElement)");
    assert_eq!(
        app.error("region").as_deref(),
        Some("На этот вопрос нужно ответить.")
    );

    app.page_of(&[("region", "chui")]);
    app.page_of(&[("district", "sokuluk")]);
    app.page_of(&[("sex", "f")]);
    app.page_of(&[("age_group", "25_34")]);
    // Skip logic: a civilian has no rank, so the next page is the position.
    app.page_of(&[("staff_category", "civilian")]);
    assert_eq!(app.questions(), ["position"]);
    app.previous();
    app.page_of(&[("staff_category", "ranked")]);
    assert_eq!(app.questions(), ["rank"]);
    app.page_of(&[("rank", "junior_officer")]);
    app.page_of(&[("position", "Инспектор")]);
    // A broken constraint shows the designer's message at once, and goes when fixed.
    app.answer("years_service", "50");
    assert_eq!(
        app.error("years_service").as_deref(),
        Some("Стаж службы от 0 до 45 лет")
    );
    screenshot(&browser, "collect-constraint-ru");
    app.answer("years_service", "7");
    assert_eq!(app.error("years_service"), None);
    app.next();
    app.page_of(&[("unit", "other")]);
    assert_eq!(app.questions(), ["unit_other"]);
    app.page_of(&[("unit_other", "Пресс-служба")]);
    // The unit page is a field list: all its questions on one page.
    assert_eq!(
        app.questions(),
        [
            "staff_total",
            "women_total",
            "ranked_total",
            "women_ranked",
            "staff_summary"
        ]
    );
    // The summary note waits for its numbers (issue 16: "Women are % of ...").
    assert_eq!(
        app.text(".question[data-name=\"staff_summary\"]").trim(),
        ""
    );
    app.answer("staff_total", "40");
    app.answer("women_total", "50");
    assert_eq!(
        app.error("women_total").as_deref(),
        Some("Не может превышать общее число сотрудников")
    );
    // 50 women of 40 staff: "Next" stops on the page, at the broken answer (issue 16).
    assert_eq!(
        app.next_stops_at("women_total"),
        "Не может превышать общее число сотрудников"
    );
    screenshot(&browser, "collect-next-stopped-ru");
    app.answer("women_total", "9");
    // round(9 div 40 * 100, 1) = 22.5
    assert_eq!(
        app.text(".question[data-name=\"staff_summary\"] .question-label"),
        "Женщины составляют 22.5% штата вашего подразделения."
    );
    app.answer("ranked_total", "30");
    app.answer("women_ranked", "5");
    screenshot(&browser, "collect-field-list-ru");
    app.next();
    // Asked of women only (sex = f).
    app.page_of(&[("unequal_treatment", "no")]);
    app.page_of(&[("promotion_barriers", "family stereotypes")]);
    app.page_of(&[("mentor", "yes")]);
    app.page_of(&[
        ("att_traditions", "2"),
        ("att_capable", "5"),
        ("att_trust", "4"),
        ("trust_police", "3"),
    ]);
    assert_eq!(app.questions(), ["end"]);
    app.next();
    app.wait_for_selector(".closing .finalize");
    app.settle();
    app.click(".closing .finalize");
    app.wait_for_selector("#records[data-ready=\"true\"] .finalized-list .record");
    assert_eq!(
        app.js(
            "return document.querySelectorAll('.finalized-list .record').length",
            json!([])
        ),
        1
    );
    screenshot(&browser, "collect-records-ru");
    no_errors(&app);
}

#[test]
fn the_fast_roster_is_exported_as_a_bundle_checked_line_by_line() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let downloads = scratch("downloads-fast");
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start_with(412, 915, Some(&downloads)).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_enumerator("Dilnoza");
    let device = app.text(".device");
    let device = device.rsplit(": ").next().unwrap_or_default().to_string();
    let id = app.start("fast_family_outcomes");

    fast_family_of_three(&app, "042");
    screenshot(&browser, "collect-fast-phone");
    // sessions_attended is asked after the programme only: this is the pre wave.
    app.page_of(&[
        ("pi_teacher", "4"),
        ("pi_homework", "3"),
        ("pi_meetings", "5"),
        ("pi_friends", "2"),
        ("pi_praise", "4"),
    ]);
    app.page_of(&[
        ("fc_help", "5"),
        ("fc_together", "4"),
        ("fc_close", "4"),
        ("fc_problems", "3"),
        ("fc_important", "5"),
    ]);
    app.page_of(&[("child_age", "9")]);
    app.page_of(&[
        ("cb_fights", "2"),
        ("cb_rules", "4"),
        ("cb_worries", "1"),
        ("cb_helps", "5"),
    ]);
    assert_eq!(app.questions(), ["end"]);
    app.next();
    app.settle();
    app.click(".closing .finalize");
    app.wait_for_selector("#records[data-ready=\"true\"] .finalized-list .record");
    // Named by the instrument's instance_name, concat(${family_id}, '-', ${wave}), and the
    // page by the instrument's title (issue 16).
    assert_eq!(app.text(".notice-text"), "Finalized: 042-pre");
    assert_eq!(app.text(".finalized-list .record-title"), "042-pre");
    assert_eq!(
        app.text("#records h2"),
        "FAST: family outcomes before and after the programme"
    );
    app.click(".export");
    app.wait_for_selector(".finalized-list .tag.exported");

    let file = (0..100)
        .find_map(|_| {
            let found = std::fs::read_dir(&downloads)
                .ok()?
                .filter_map(std::result::Result::ok)
                .find(|e| e.path().extension().is_some_and(|x| x == "jsonl"));
            if found.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            found
        })
        .expect("the bundle was downloaded")
        .path();
    let text = std::fs::read_to_string(&file).expect("bundle text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "a header and one record: {text}");
    let header: Value = serde_json::from_str(lines[0]).expect("header JSON");
    assert_eq!(header["format"], 1);
    assert_eq!(header["kind"], "dala-bundle");
    assert_eq!(header["instrument_id"], "fast_family_outcomes");
    assert_eq!(header["instrument_version"], "2015020101");
    assert_eq!(header["device_id"], device);
    let record: Value = serde_json::from_str(lines[1]).expect("record JSON");
    assert_eq!(record["instance_id"], id);
    assert_eq!(record["status"], "finalized");
    assert_eq!(record["enumerator"], "Dilnoza");
    assert_eq!(record["device_id"], device);
    let a = &record["answers"];
    assert_eq!(a["family_id"], "042");
    assert_eq!(a["school"], "samarkand_52");
    assert_eq!(a["hh_size"], "3");
    assert!(
        a.get("sessions_attended").is_none(),
        "not relevant in the pre wave"
    );
    let members = a["member"].as_array().expect("the roster");
    let rows: Vec<(String, String, String, String, String)> = members
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (
                s("member_number"),
                s("member_relationship"),
                s("member_sex"),
                s("member_age"),
                s("member_is_child"),
            )
        })
        .collect();
    let row = |n: &str, r: &str, s: &str, a: &str, c: &str| {
        (
            n.to_string(),
            r.to_string(),
            s.to_string(),
            a.to_string(),
            c.to_string(),
        )
    };
    assert_eq!(
        rows,
        [
            row("1", "respondent", "f", "38", "0"),
            row("2", "spouse", "m", "36", "0"),
            row("3", "child", "m", "9", "1"),
        ]
    );
    // By hand: one member under 18; (4+3+5+2+4)/5 = 3.6; (5+4+4+3+5)/5 = 4.2;
    // ((6-2)+4+(6-1)+5)/4 = 4.5.
    assert_eq!(a["children_in_household"], "1");
    assert_eq!(a["involvement_score"], "3.6");
    assert_eq!(a["cohesion_score"], "4.2");
    assert_eq!(a["behaviour_score"], "4.5");
    // Exporting deletes nothing: the record is still listed.
    assert_eq!(
        app.js(
            "return document.querySelectorAll('.finalized-list .record').length",
            json!([])
        ),
        1
    );
    screenshot(&browser, "collect-exported-phone");
    // The hand-over takes what is not yet exported: nothing is left now.
    app.click(".export");
    app.wait("return (document.querySelector('.notice-text')?.textContent || '').includes('no finalized records')");
    // ... and every finalized record again on request: a second bundle.
    app.click(".export-again");
    let bundles = || {
        std::fs::read_dir(&downloads).map_or(0, |d| {
            d.filter_map(std::result::Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
                .count()
        })
    };
    for _ in 0..100 {
        if bundles() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(bundles(), 2, "exported again");

    // The finalized record opens on the review of its answers, read-only (issue 16).
    app.click(".finalized-list .record-open");
    app.wait_for_selector("#interview[data-ready=\"true\"] .review");
    let answer = |name: &str| {
        app.js(
            "return [...document.querySelectorAll(`.review-answer[data-name=\"${arguments[0]}\"] .review-value`)].map(e => e.textContent)",
            json!([name]),
        )
    };
    assert_eq!(answer("school"), json!(["School No. 52, Samarkand"]));
    assert_eq!(answer("member_sex"), json!(["Female", "Male", "Male"]));
    assert_eq!(answer("member_age"), json!(["38", "36", "9"]));
    let headings = app.js(
        "return [...document.querySelectorAll('.review-heading')].map(e => e.textContent).filter(t => t.startsWith('Household'))",
        json!([]),
    );
    assert_eq!(
        headings,
        json!([
            "Household member 1 of 3",
            "Household member 2 of 3",
            "Household member 3 of 3"
        ])
    );
    assert_eq!(
        app.js(
            "return document.querySelectorAll('.read-only').length",
            json!([])
        ),
        1,
        "said once"
    );
    screenshot(&browser, "collect-review-phone");
    no_errors(&app);
}

/// Issue 16: "New interview" stored an empty draft before the first answer; drafts showed
/// only a time; a draft had no review.
#[test]
fn a_new_interview_is_stored_at_its_first_answer_and_a_draft_has_a_review() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_enumerator("Aida");
    let drafts = "document.querySelector('[data-form=\"police_gender_representation\"] .drafts').textContent";
    app.start("police_gender_representation");
    app.click(".interview-head a.button");
    app.wait_for_selector("#home[data-ready=\"true\"]");
    assert_eq!(app.js(&format!("return {drafts}"), json!([])), "0 drafts");

    let id = app.start("police_gender_representation");
    app.page_of(&[("wave", "2015_spring")]);
    app.answer("consent", "yes");
    app.settle();
    assert!(
        app.js("return location.hash", json!([]))
            .as_str()
            .unwrap_or_default()
            .starts_with("#/interview/"),
        "addressed by its record once stored"
    );
    // The review of a draft: each answer a link to its page.
    app.click(".review-toggle");
    app.wait_for_selector(".review .review-answer[data-name=\"wave\"]");
    assert_eq!(
        app.text(".review-answer[data-name=\"wave\"] .review-value"),
        "Spring 2015"
    );
    assert_eq!(
        app.text(".review-answer[data-name=\"region\"] .review-value"),
        "not answered"
    );
    screenshot(&browser, "collect-review-draft");
    app.click(".review-answer[data-name=\"wave\"] button");
    app.wait("const q = document.querySelector('.question[data-name=\"wave\"]'); return q !== null && q.contains(document.activeElement)");

    app.click(".interview-head a.button");
    app.wait_for_selector("#home[data-ready=\"true\"]");
    app.wait(&format!("return {drafts} === '1 draft'"));
    app.click("[data-form=\"police_gender_representation\"] a.records");
    app.wait_for_selector(&format!(
        "#records[data-ready=\"true\"] .drafts-list .record[data-instance=\"{id}\"]"
    ));
    // No district yet: the instance name concat(${district}, '-', ${wave}) is "-2015_spring".
    assert_eq!(app.text(".drafts-list .record-title"), "-2015_spring");
    let meta = app.text(".drafts-list .record-meta");
    assert!(
        meta.contains("Aida") && meta.contains("Page 1 of"),
        "{meta}"
    );
    screenshot(&browser, "collect-records-drafts");
    no_errors(&app);
}

/// Issue 16: answering "how many people" with 3, filling three members and retyping the count
/// (Backspace, then 4) wiped every member, also after a reload; 3 -> 2 -> 3 emptied member 3.
#[test]
fn retyping_the_household_size_keeps_every_members_answers() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_enumerator("Dilnoza");
    app.start("fast_family_outcomes");
    fast_family_of_three(&app, "117");
    while app.questions() != ["hh_size"] {
        app.previous();
    }
    let held =
        "document.querySelector('.question[data-name=\"hh_size\"] .held')?.textContent ?? null";
    // Backspace: the count is empty for a moment; the answers are kept and it says so.
    app.answer("hh_size", "");
    app.wait(&format!("return ({held}) !== null"));
    let note = app.text(".question[data-name=\"hh_size\"] .held");
    assert!(note.contains("(3)"), "{note}");
    app.answer("hh_size", "2");
    app.wait(&format!("return (({held}) || '').includes('(1)')"));
    screenshot(&browser, "collect-count-lowered");
    // The draft keeps the third member across a reload.
    app.settle();
    app.js("location.reload()", json!([]));
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    assert_eq!(app.questions(), ["hh_size"]);
    app.wait(&format!("return (({held}) || '').includes('(1)')"));
    app.answer("hh_size", "4");
    app.wait(&format!("return ({held}) === null"));
    // Members 1 to 3 are whole again: of the roster, only the new fourth member blocks
    // finalizing (the questions after the roster are not answered yet).
    app.click(".pages-toggle");
    app.click(".jump li:last-child button");
    app.wait_for_selector(".problems li");
    let missing = app.js(
        "return [...document.querySelectorAll('.problems li')].map(li => li.dataset.name).filter(n => n.startsWith('member_'))",
        json!([]),
    );
    assert_eq!(
        missing,
        json!(["member_relationship", "member_sex", "member_age"]),
        "the fourth member only"
    );
    app.click(".problems li[data-name=\"member_age\"] button");
    app.wait("const q = document.querySelector('.question[data-name=\"member_age\"]'); return q !== null && q.hasAttribute('data-marked') && q.contains(document.activeElement)");
    app.previous();
    app.previous();
    app.previous();
    app.previous();
    // The third member's age, from the reloaded draft.
    assert_eq!(app.questions(), ["member_age"]);
    assert_eq!(
        app.js(
            "return document.querySelector('.question[data-name=\"member_age\"] input').value",
            json!([])
        ),
        "9"
    );
    no_errors(&app);
}

/// Issue 16: in Russian on a phone, about 340 of 844 px were chrome before the first question.
#[test]
fn on_a_phone_in_russian_the_first_question_starts_within_120_px() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start(390, 844).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_interface_language("ru");
    app.set_enumerator("Айгуль");
    // The "Drafts / Finalized" button keeps its padding: its text does not touch the border.
    let button = app.js(
        "const a = document.querySelector('a.button.records'); return [parseFloat(getComputedStyle(a).paddingLeft), a.scrollWidth <= a.clientWidth]",
        json!([]),
    );
    assert!(
        button[0].as_f64().is_some_and(|p| p >= 8.0) && button[1] == true,
        "{button}"
    );
    app.start("police_gender_representation");
    app.wait_for_selector(".question[data-name=\"wave\"]");
    let top = app.js(
        "return document.querySelector('.question:not([hidden])').getBoundingClientRect().top",
        json!([]),
    );
    assert!(
        top.as_f64().is_some_and(|t| t <= 120.0),
        "first question at {top} px"
    );
    app.assert_fits_screen();
    screenshot(&browser, "collect-phone-ru");
    no_errors(&app);
}

/// The police survey in Kyrgyz and the FAST form in Uzbek (their own translations, issue 23),
/// on a tablet and on a phone: the form's language switch offers them, labels, choices and
/// messages read in them, and the districts follow the region from Kyrgyzstan's full list. The
/// expected words are the instruments' own texts.
#[test]
fn the_police_survey_runs_in_kyrgyz_and_the_fast_form_in_uzbek() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    for (width, height, size) in [(1280, 800, "tablet"), (390, 844, "phone")] {
        let browser = Browser::start(width, height).unwrap_or_else(|e| panic!("{e}"));
        let app = Collect::new(&browser);
        app.home(&server.url());
        app.set_interface_language("ru");
        app.set_enumerator("Айгуль");
        app.start("police_gender_representation");
        app.wait_for_selector(".question[data-name=\"wave\"]");
        let offered = app.js(
            "return [...document.querySelectorAll('.form-lang option')].map(o => o.value)",
            json!([]),
        );
        assert_eq!(offered, json!(["en", "ky", "ru"]), "uz names only places");
        app.set_form_language("ky");
        app.wait("return document.querySelector('.question-label').textContent.includes('Сурамжылоонун толкуну')");
        app.page_of(&[("wave", "2015_spring")]);
        app.page_of(&[("consent", "yes")]);
        app.answer("region", "naryn");
        assert!(
            app.text(".question[data-name=\"region\"]")
                .contains("Нарын облусу")
        );
        app.next();
        let districts = app.js(
            "return [...document.querySelectorAll('.question[data-name=\"district\"] input[type=radio]')].map(i => i.value)",
            json!([]),
        );
        assert_eq!(
            districts,
            json!([
                "naryn_city",
                "ak_talaa",
                "at_bashy",
                "jumgal",
                "kochkor",
                "naryn_district"
            ])
        );
        assert!(
            app.text(".question[data-name=\"district\"]")
                .contains("Кочкор району")
        );
        app.assert_fits_screen();
        screenshot(&browser, &format!("collect-police-ky-{size}"));
        no_errors(&app);

        // The FAST form in Uzbek, from its own translation.
        app.home(&server.url());
        app.start("fast_family_outcomes");
        app.wait_for_selector(".question[data-name=\"family_id\"]");
        app.set_form_language("uz");
        app.wait("return document.querySelector('.question-label').textContent.includes('Dastur reyestridagi oila kodi')");
        app.answer("family_id", "14");
        assert_eq!(
            app.error("family_id").as_deref(),
            Some("Uch raqam, masalan 014")
        );
        screenshot(&browser, &format!("collect-fast-uz-{size}"));
        no_errors(&app);
    }
}

/// A FAST interview's first pages and its roster of three (a mother of 38, a father of 36, a
/// son of 9), each roster page checked to say which member it is (issue 16).
fn fast_family_of_three(app: &Collect, family: &str) {
    app.page_of(&[("family_id", family)]);
    app.page_of(&[("school", "samarkand_52")]);
    app.page_of(&[("wave", "pre")]);
    app.page_of(&[("respondent_relationship", "mother")]);
    // Three members: the roster repeats three times (repeat_count = hh_size).
    app.page_of(&[("hh_size", "3")]);
    for (i, (relationship, sex, age)) in [
        ("respondent", "f", "38"),
        ("spouse", "m", "36"),
        ("child", "m", "9"),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(app.questions(), ["member_intro"]);
        assert_eq!(
            app.text(".instance-title"),
            format!("Household member {} of 3", i + 1)
        );
        app.next();
        app.page_of(&[("member_relationship", relationship)]);
        app.page_of(&[("member_sex", sex)]);
        app.page_of(&[("member_age", age)]);
    }
}

/// The code of the choice checked in the question named arguments[0], if any.
const CHECKED: &str = "return document.querySelector(`.question[data-name=\"${arguments[0]}\"] input:checked`)?.value";

/// A police interview by Aida, started and past its first page (the wave); its instance id.
fn police_interview_past_its_first_page(app: &Collect, url: &str) -> String {
    app.home(url);
    app.set_enumerator("Aida");
    let id = app.start("police_gender_representation");
    app.page_of(&[("wave", "2014_summer")]);
    id
}

#[test]
fn a_reload_in_the_middle_of_an_interview_keeps_every_answer_and_the_page() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    let id = police_interview_past_its_first_page(&app, &server.url());
    app.page_of(&[("consent", "yes")]);
    app.page_of(&[("region", "osh")]);
    app.answer("district", "kara_suu");
    let page = app.page();
    app.settle();

    app.js("location.reload()", json!([]));
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    assert_eq!(app.instance_id(), id);
    assert_eq!(app.page(), page, "the same page");
    assert_eq!(app.questions(), ["district"]);
    assert_eq!(app.js(CHECKED, json!(["district"])), "kara_suu");
    app.previous();
    assert_eq!(app.js(CHECKED, json!(["region"])), "osh");
    no_errors(&app);
}

#[test]
fn leaving_an_interview_while_an_answer_is_being_saved_keeps_it_and_the_app_working() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    let id = police_interview_past_its_first_page(&app, &server.url());
    app.settle();
    let page = app.page();
    // The answer and the way home in one script: the route changes before the autosave it
    // starts has heard back from the database, so its screen is gone when it does.
    app.js(
        "document.addEventListener('change', () => { location.hash = '#/'; }, { once: true })",
        json!([]),
    );
    app.answer("consent", "yes");
    app.wait_for_selector("#home[data-ready=\"true\"]");

    // The app still works, and the draft has the answer, on its page.
    app.js(
        "location.hash = '#/interview/' + encodeURIComponent(arguments[0])",
        json!([id]),
    );
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    assert_eq!(app.page(), page, "the page the answer was given on");
    assert_eq!(app.js(CHECKED, json!(["consent"])), "yes");
    app.next();
    assert_eq!(app.questions(), ["region"]);
    no_errors(&app);
}

#[test]
fn with_the_server_gone_the_app_starts_and_an_interview_is_finalized() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let url = server.url();
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&url);
    wait_for_service_worker(&app);
    // The XLSForm importer is cached just after the install.
    app.wait("return caches.keys().then(async (keys) => { for (const k of keys) { const c = await caches.open(k); if ((await c.keys()).some((r) => r.url.includes('dala_import_bg'))) return true; } return false; })");
    app.set_enumerator("Bakyt");
    drop(server);

    browser.goto(&url).unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("#home[data-ready=\"true\"]");
    app.start("police_gender_representation");
    app.page_of(&[("wave", "2015_spring")]);
    // No consent: the survey goes straight to the end.
    app.page_of(&[("consent", "no")]);
    assert_eq!(app.questions(), ["end"]);
    app.next();
    app.settle();
    app.click(".closing .finalize");
    app.wait_for_selector("#records[data-ready=\"true\"] .finalized-list .record");

    // A workbook imports offline too.
    let workbook = scratch("offline-import").join("police_offline.xlsx");
    std::fs::write(
        &workbook,
        renamed_workbook("police-gender-representation", "police_offline"),
    )
    .expect("write the workbook");
    app.click("a.app-title");
    app.wait_for_selector("#home[data-ready=\"true\"]");
    app.import(&workbook);
    app.wait_for_selector("[data-form=\"police_offline\"] .start");
    no_errors(&app);

    // The designer's page (the whole app, cached after the install) opens offline as well.
    app.wait("return caches.keys().then(async (keys) => { for (const k of keys) { const c = await caches.open(k); if ((await c.keys()).some((r) => r.url.includes('dala_design_bg'))) return true; } return false; })");
    app.click(".workspaces a[data-workspace=\"design\"]");
    app.wait_for_selector("#designs[data-ready=\"true\"] [data-form=\"police_offline\"] .edit");
    app.click("[data-form=\"police_offline\"] .edit");
    app.wait_for_selector("#editor[data-ready=\"true\"] .preview .question");
    no_errors(&app);
    // And the analyst's workspace, with the interview finalized above among its records.
    app.click(".workspaces a[data-workspace=\"analyse\"]");
    app.wait_for_selector("#analyse[data-ready=\"true\"]");
    app.click(".load-plan");
    app.wait_for_selector(".table-card");
    no_errors(&app);
}

/// A seed instrument as an XLSForm workbook under another form id.
fn renamed_workbook(seed: &str, form_id: &str) -> Vec<u8> {
    let json = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../surveys/{seed}/instrument.json")),
    )
    .expect("seed");
    let mut instrument = dala_core::Instrument::from_json(&json).expect("instrument");
    instrument.settings.form_id = form_id.into();
    dala_xlsform::writer::write_xlsx(&dala_xlsform::writer::to_workbook(&instrument))
}

#[test]
fn a_new_version_deployed_while_a_draft_is_open_keeps_the_draft() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let site = scratch("site-update");
    dala_e2e::copy_dir(&dist(), &site).expect("copy dist");
    let server = StaticServer::start(&site, "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    wait_for_service_worker(&app);
    app.set_enumerator("Nodira");
    app.start("fast_family_outcomes");
    app.page_of(&[("family_id", "117")]);
    app.answer("school", "urgut_5");
    app.settle();

    // Deploy a new version: a new service worker (new version string) and a changed page.
    let sw = std::fs::read_to_string(site.join("sw.js")).expect("sw.js");
    let old_version = sw
        .split("const VERSION = '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("version")
        .to_string();
    std::fs::write(site.join("sw.js"), sw.replace(&old_version, "next-version"))
        .expect("deploy sw");
    let index = std::fs::read_to_string(site.join("index.html")).expect("index");
    std::fs::write(
        site.join("index.html"),
        index.replace("</body>", "<!-- next -->\n</body>"),
    )
    .expect("deploy index");
    app.js(
        "navigator.serviceWorker.getRegistration().then(r => r.update())",
        json!([]),
    );
    // The new version waits: the interview is not interrupted.
    app.wait("return navigator.serviceWorker.getRegistration().then(r => r.waiting !== null)");
    assert_eq!(
        app.js(
            "return document.querySelectorAll('.banner.update').length",
            json!([])
        ),
        0
    );
    assert!(app.js("return document.querySelector('.question[data-name=\"school\"] input:checked') !== null", json!([])) == true);

    // On the home screen it is offered; accepting reloads into it.
    app.click(".interview-head a.button");
    app.wait_for_selector(".banner.update button");
    app.js("window.__beforeUpdate = true", json!([]));
    app.click(".banner.update button");
    app.wait("return window.__beforeUpdate === undefined && document.querySelector('#home[data-ready=\"true\"]') !== null");
    app.wait("return caches.keys().then(k => k.includes('dala-next-version'))");

    // The draft survived with its answers and its page.
    app.wait("return document.querySelector('[data-form=\"fast_family_outcomes\"] .drafts').textContent.startsWith('1')");
    app.click("[data-form=\"fast_family_outcomes\"] .records");
    app.click("#records[data-ready=\"true\"] .drafts-list .record-open");
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    let checked =
        "return document.querySelector('.question[data-name=\"school\"] input:checked')?.value";
    assert_eq!(app.js(checked, json!([])), "urgut_5");
    app.previous();
    assert_eq!(
        app.js(
            "return document.querySelector('.question[data-name=\"family_id\"] input').value",
            json!([])
        ),
        "117"
    );
    no_errors(&app);
}

#[test]
fn an_xlsform_workbook_is_imported_and_interviewed() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // The FAST instrument as a designer's workbook, under a form id of its own.
    let files = scratch("import");
    let workbook = files.join("fast_school_visit.xlsx");
    std::fs::write(
        &workbook,
        renamed_workbook("fast-family-outcomes", "fast_school_visit"),
    )
    .expect("write the workbook");
    let broken = files.join("broken.xlsx");
    std::fs::write(&broken, b"PK\x03\x04 this is not a workbook").expect("write");

    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_enumerator("Dilnoza");
    // A file that is not a workbook: a clear message, nothing stored.
    app.import(&broken);
    app.wait(
        "return document.querySelector('.banner.notice')?.textContent.includes('broken.xlsx')",
    );
    assert_eq!(
        app.js(
            "return document.querySelectorAll('.instrument').length",
            json!([])
        ),
        2
    );
    app.import(&workbook);
    app.wait_for_selector("[data-form=\"fast_school_visit\"] .start");
    app.start("fast_school_visit");
    app.page_of(&[("family_id", "205")]);
    assert_eq!(app.questions(), ["school"]);
    no_errors(&app);
}

/// The app on a server of its own, in a tablet-sized browser.
fn serve() -> (StaticServer, Browser) {
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    (server, browser)
}

/// Opens the app at `url`, imports a test's own `instrument` (written into `files`) and
/// starts an interview of it.
fn interview_of(app: &Collect, url: &str, files: &Path, instrument: &serde_json::Value) {
    let form = instrument["settings"]["form_id"]
        .as_str()
        .unwrap_or_default();
    let path = files.join(format!("{form}.json"));
    std::fs::write(&path, instrument.to_string()).expect("write the instrument");
    app.home(url);
    app.set_enumerator("Aigul");
    app.import(&path);
    app.wait_for_selector(&format!("[data-form=\"{form}\"] .start"));
    app.start(form);
}

/// A field-list page keeps the questions that are not relevant, hidden: an answer shows them
/// at once, another hides them again, and an answer given while shown survives both.
#[test]
fn a_field_list_page_shows_and_hides_questions_as_answers_change() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("field-list");
    let instrument = json!({
        "format": 1,
        "settings": {"form_id": "unit_check", "version": "1", "title": {"en": "Unit check"}, "default_language": "en"},
        "survey": [
            {"type": "group", "name": "unit", "label": {"en": "Unit"}, "appearance": "field-list", "children": [
                {"type": "select_one", "name": "has_women", "list": "yn", "label": {"en": "Are there women in the unit?"}},
                {"type": "integer", "name": "women", "label": {"en": "How many?"}, "relevant": "${has_women} = 'yes'"},
                {"type": "text", "name": "remarks", "label": {"en": "Remarks"}}
            ]}
        ],
        "choices": {"yn": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]}
    });
    let (server, browser) = serve();
    let app = Collect::new(&browser);
    interview_of(&app, &server.url(), &files, &instrument);
    assert_eq!(app.questions(), ["has_women", "remarks"]);
    let hidden = "return document.querySelector('.question[data-name=\"women\"]')?.hidden";
    assert_eq!(app.js(hidden, json!([])), true, "built, hidden");
    app.answer("has_women", "yes");
    app.wait("return document.querySelectorAll('.question:not([hidden])').length === 3");
    assert_eq!(app.questions(), ["has_women", "women", "remarks"]);
    app.answer("women", "4");
    app.answer("has_women", "no");
    app.wait("return document.querySelectorAll('.question:not([hidden])').length === 2");
    assert_eq!(app.js(hidden, json!([])), true);
    app.answer("has_women", "yes");
    app.wait("return document.querySelectorAll('.question:not([hidden])').length === 3");
    assert_eq!(
        app.js(
            "return document.querySelector('.question[data-name=\"women\"] input').value",
            json!([])
        ),
        "4"
    );
    no_errors(&app);
}

/// Numbers are stored canonically (issue 24: `007` is 7, `1.50` is 1.5), yet a field keeps
/// what is being typed: `1.` must be able to become `1.05` key by key. Leaving the field shows
/// the stored form.
#[test]
fn a_number_is_typed_key_by_key_and_stored_as_xpath_prints_it() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("numbers");
    let instrument = json!({
        "format": 1,
        "settings": {"form_id": "numbers", "version": "1", "title": {"en": "Numbers"}, "default_language": "en"},
        "survey": [
            {"type": "group", "name": "unit", "label": {"en": "Unit"}, "appearance": "field-list", "children": [
                {"type": "integer", "name": "staff", "label": {"en": "Staff"}},
                {"type": "decimal", "name": "share", "label": {"en": "Share"}},
                {"type": "text", "name": "remarks", "label": {"en": "Remarks"}}
            ]}
        ]
    });
    let (server, browser) = serve();
    let app = Collect::new(&browser);
    interview_of(&app, &server.url(), &files, &instrument);
    let field = |name: &str| format!(".question[data-name=\"{name}\"] input");
    let shown = |name: &str| {
        app.js(
            "return document.querySelector(arguments[0]).value",
            json!([field(name)]),
        )
    };
    browser
        .type_into(&field("share"), "1.05")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shown("share"), "1.05", "every key kept while typing");
    browser
        .type_into(&field("staff"), "007")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shown("staff"), "007", "as typed while in the field");
    browser
        .type_into(&field("remarks"), "ok")
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(&format!(
        "return document.querySelector('{}').value === '7'",
        field("staff").replace('\'', "\\'")
    ));
    browser
        .type_into(&field("share"), "0")
        .unwrap_or_else(|e| panic!("{e}"));
    browser
        .type_into(&field("remarks"), "!")
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(&format!(
        "return document.querySelector('{}').value === '1.05'",
        field("share").replace('\'', "\\'")
    ));
    no_errors(&app);
}

/// A path and a plot boundary are lists of points (issue 17): typed here (a headless browser
/// has no position to give), each point editable; too few points or a bad one is said under
/// the question and stores nothing; a reload brings the lists back, the plot's closing point
/// (stored as ODK stores a shape) not shown twice.
#[test]
fn a_path_and_a_plot_are_taken_point_by_point_and_kept_across_a_reload() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("geo");
    let instrument = json!({
        "format": 1,
        "settings": {"form_id": "plots", "version": "1", "title": {"en": "Plots"}, "default_language": "en"},
        "survey": [
            {"type": "group", "name": "field", "label": {"en": "The field"}, "appearance": "field-list", "children": [
                {"type": "geotrace", "name": "path", "label": {"en": "Walk the path to the plot"}},
                {"type": "geoshape", "name": "plot", "label": {"en": "Walk around the plot"}},
                {"type": "calculate", "name": "points", "calculation": "count-selected(translate(${plot}, ' ;', '_ '))"},
                {"type": "note", "name": "said", "label": {"en": "The boundary has ${points} points stored."}}
            ]}
        ]
    });
    let (server, browser) = serve();
    let app = Collect::new(&browser);
    interview_of(&app, &server.url(), &files, &instrument);
    let inputs = |name: &str| format!(".question[data-name=\"{name}\"] li input");
    let count = |name: &str| {
        app.js(
            "return document.querySelectorAll(arguments[0]).length",
            json!([inputs(name)]),
        )
        .as_u64()
        .unwrap_or_default()
    };
    let typed = |name: &str, points: &[&str]| {
        for point in points {
            let before = count(name);
            app.click(&format!(
                ".question[data-name=\"{name}\"] .points > .row button:last-child"
            ));
            app.wait(&format!(
                "return document.querySelectorAll('{}').length === {}",
                inputs(name).replace('\'', "\\'"),
                before + 1
            ));
            app.js(
                "const all = document.querySelectorAll(arguments[0]); \
                 const input = all[all.length - 1]; input.value = arguments[1]; \
                 input.dispatchEvent(new Event('change', { bubbles: true }));",
                json!([inputs(name), point]),
            );
        }
    };
    let shown = |name: &str| {
        app.js(
            "return [...document.querySelectorAll(arguments[0])].map(i => i.value)",
            json!([inputs(name)]),
        )
    };
    typed("path", &["42.87 74.59"]);
    assert_eq!(
        app.error("path").as_deref(),
        Some("At least 2 points are needed")
    );
    typed("plot", &["0 0", "north"]);
    assert_eq!(
        app.error("plot").as_deref(),
        Some("Point 2 is not a latitude and longitude")
    );
    // The bad point is corrected in place, and the boundary gets its third point.
    app.js(
        "const input = document.querySelectorAll(arguments[0])[1]; input.value = '0 0.001'; \
         input.dispatchEvent(new Event('change', { bubbles: true }));",
        json!([inputs("plot")]),
    );
    typed("plot", &["0.001 0.001"]);
    typed("path", &["42.88 74.60"]);
    app.wait("const q = document.querySelector('.question[data-name=\"path\"] .error'); return q === null");
    assert_eq!(app.error("plot"), None);
    // Stored closed: three points walked, four stored.
    app.wait("return document.querySelector('.question[data-name=\"said\"]').textContent.includes('4 points')");
    app.settle();

    app.js("location.reload()", json!([]));
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    assert_eq!(shown("path"), json!(["42.87 74.59", "42.88 74.60"]));
    assert_eq!(shown("plot"), json!(["0 0", "0 0.001", "0.001 0.001"]));
    // Removing a point of the path leaves one: the answer is cleared and the reason said.
    app.click(".question[data-name=\"path\"] li:first-child button");
    app.wait("return document.querySelectorAll('.question[data-name=\"path\"] li').length === 1");
    assert_eq!(
        app.error("path").as_deref(),
        Some("At least 2 points are needed")
    );
    screenshot(&browser, "collect-geo-en");
    no_errors(&app);

    // On a phone, in Russian: the same reason in the interface's language, nothing wider
    // than the screen.
    let phone = Browser::start(390, 844).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&phone);
    interview_of(&app, &server.url(), &files, &instrument);
    app.set_interface_language("ru");
    app.click(".question[data-name=\"path\"] .points > .row button:last-child");
    app.wait_for_selector(".question[data-name=\"path\"] li input");
    app.js(
        "const input = document.querySelector(arguments[0]); input.value = '42.87 74.59'; \
         input.dispatchEvent(new Event('change', { bubbles: true }));",
        json!([inputs("path")]),
    );
    assert_eq!(
        app.error("path").as_deref(),
        Some("Нужно не меньше 2 точек")
    );
    app.assert_fits_screen();
    screenshot(&phone, "collect-geo-ru-phone");
    no_errors(&app);
}

/// start-geopoint and background-geopoint (issue 17): no question is shown for either; the
/// device's position is taken when the interview opens and when the trigger is answered, as
/// ODK Collect takes it, and kept with the draft across a reload.
#[test]
fn the_position_is_taken_at_the_start_and_when_the_trigger_is_answered() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("position");
    let instrument = json!({
        "format": 1,
        "settings": {"form_id": "home_visit", "version": "1", "title": {"en": "Home visit"}, "default_language": "en"},
        "survey": [
            {"type": "geopoint", "name": "visit_start", "capture": "start"},
            {"type": "group", "name": "visit", "label": {"en": "The visit"}, "appearance": "field-list", "children": [
                {"type": "select_one", "name": "consent", "list": "yn", "label": {"en": "Does the family agree to the visit?"}},
                {"type": "geopoint", "name": "consent_at", "capture": "trigger", "trigger": "${consent}"},
                {"type": "note", "name": "said", "label": {"en": "Started at ${visit_start}; answered at ${consent_at}."}}
            ]}
        ],
        "choices": {"yn": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]}
    });
    let (server, browser) = serve();
    let cdp = |command: &str, params: serde_json::Value| {
        browser
            .cdp(command, params)
            .unwrap_or_else(|e| panic!("{command}: {e}"))
    };
    cdp(
        "Browser.grantPermissions",
        json!({"permissions": ["geolocation"]}),
    );
    // A school in Kokand; the device gives no altitude, which a geopoint stores as 0.
    cdp(
        "Emulation.setGeolocationOverride",
        json!({"latitude": 40.5283, "longitude": 70.9428, "accuracy": 5}),
    );
    let app = Collect::new(&browser);
    interview_of(&app, &server.url(), &files, &instrument);
    assert_eq!(app.questions(), ["consent", "said"], "neither is asked");
    let said = "return document.querySelector('.question[data-name=\"said\"]').textContent";
    app.wait(&format!(
        "{said}.includes('Started at 40.5283 70.9428 0 5;')"
    ));
    assert!(
        app.js(said, json!([]))
            .as_str()
            .is_some_and(|s| s.contains("answered at .")),
        "the trigger has not been answered"
    );
    app.answer("consent", "yes");
    app.wait(&format!(
        "{said}.includes('answered at 40.5283 70.9428 0 5.')"
    ));
    app.settle();
    screenshot(&browser, "collect-position-en");

    app.js("location.reload()", json!([]));
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    app.wait(&format!(
        "{said}.includes('Started at 40.5283 70.9428 0 5; answered at 40.5283 70.9428 0 5.')"
    ));
    no_errors(&app);
}

/// Form attachments (issue 19): a workbook whose schools come from an attached CSV. Picked
/// alone it is refused, naming the file it needs; picked with the CSV it is imported, the
/// schools are offered filtered by region, pulldata() reads the director, and after a reload
/// (the lists kept beside the instrument in IndexedDB) the interview goes on with them.
#[test]
fn a_workbook_imported_with_its_csv_selects_from_it() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("attachments");
    let form = "| survey |                                  |          |          |                    |                                                    |
         |        | type                             | name     | label    | choice_filter      | calculation                                        |
         |        | select_one region                | region   | Region   |                    |                                                    |
         |        | select_one_from_file schools.csv | school   | School   | region = ${region} |                                                    |
         |        | calculate                        | director |          |                    | pulldata('schools', 'director', 'name', ${school}) |
         |        | note                             | said     | Director: ${director} |       |                                                    |
         | choices |           |         |         |
         |         | list_name | name    | label   |
         |         | region    | fergana | Fergana |
         |         | region    | andijan | Andijan |
         | settings |           |         |
         |          | form_id   | version |
         |          | school_visit | 1    |";
    let csv = "name,label,region,director\ns12,School 12,fergana,D. Yusupova\ns31,School 31,fergana,A. Karimov\ns07,School 7,andijan,N. Tursunova\n";
    let (workbook, schools) =
        dala_e2e::workbook_with_list(&files, "school_visit", form, ("schools.csv", csv));

    let (server, browser) = serve();
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_enumerator("Dilnoza");
    app.import(&workbook);
    app.wait(
        "return document.querySelector('.banner.notice')?.textContent.includes('schools.csv')",
    );
    screenshot(&browser, "collect-import-missing-file-en");
    assert_eq!(
        app.js(
            "return document.querySelectorAll('[data-form=\"school_visit\"]').length",
            json!([])
        ),
        0,
        "nothing stored without its file"
    );
    browser
        .type_into(
            ".import input[type=file]",
            &format!("{}\n{}", workbook.display(), schools.display()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("[data-form=\"school_visit\"] .start");
    app.start("school_visit");
    app.answer("region", "fergana");
    app.next();
    let offered = "return [...document.querySelectorAll('.question[data-name=\"school\"] input[type=radio]')].map(i => i.value)";
    assert_eq!(app.js(offered, json!([])), json!(["s12", "s31"]));
    app.answer("school", "s31");
    app.next();
    app.wait("return document.querySelector('.question[data-name=\"said\"]')?.textContent.includes('A. Karimov')");
    app.settle();
    screenshot(&browser, "collect-attached-list-en");

    app.js("location.reload()", json!([]));
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    app.wait("return document.querySelector('.question[data-name=\"said\"]')?.textContent.includes('A. Karimov')");
    app.previous();
    assert_eq!(app.js(offered, json!([])), json!(["s12", "s31"]));
    no_errors(&app);

    // On a phone, in Russian: the import says it takes the form's files, and the refusal
    // names the missing one; nothing wider than the screen.
    let phone = Browser::start(390, 844).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&phone);
    app.home(&server.url());
    app.set_interface_language("ru");
    app.set_enumerator("Дилноза");
    app.import(&workbook);
    app.wait(
        "return document.querySelector('.banner.notice')?.textContent.includes('schools.csv')",
    );
    app.assert_fits_screen();
    screenshot(&phone, "collect-import-missing-file-ru-phone");
}

/// A second of silence as a WAV file (PCM, 8 kHz, 8-bit mono): what every browser plays.
fn silent_wav() -> Vec<u8> {
    let samples = 8000u32;
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + samples).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    // Chunk size 16, PCM, one channel, 8,000 samples a second, 8,000 bytes a second, 1 byte
    // a frame, 8 bits a sample.
    for (value, width) in [
        (16u32, 4),
        (1, 2),
        (1, 2),
        (8000, 4),
        (8000, 4),
        (1, 2),
        (8, 2),
    ] {
        wav.extend_from_slice(&value.to_le_bytes()[..width]);
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&samples.to_le_bytes());
    wav.extend(std::iter::repeat_n(128u8, samples as usize));
    wav
}

/// Media in labels (issue 19): a workbook imported with the pictures and sound its labels
/// name shows them, from the device's store, in the form's language: the English picture in
/// English, the Russian one in Russian, a picture beside a choice, a sound that plays; after
/// a reload too. Imported without them, the labels show their text alone.
#[test]
fn a_workbook_imported_with_its_pictures_shows_them_in_its_labels() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("label-media");
    let form = "| survey |                 |        |                     |                     |                            |                            |               |
         |        | type            | name   | label::English (en) | label::Russian (ru) | media::image::English (en) | media::image::Russian (ru) | media::audio  |
         |        | select_one rank | rank   | Your rank           | Ваше звание         | badge-en.bmp               | badge-ru.bmp               | greeting.wav  |
         |        | text            | name   | Your name           | Ваше имя            |                            |                            |               |
         | choices |           |          |                     |                     |              |
         |         | list_name | name     | label::English (en) | label::Russian (ru) | media::image |
         |         | rank      | officer  | Officer             | Офицер              | star.bmp     |
         |         | rank      | sergeant | Sergeant            | Сержант             |              |
         | settings |                |         |                  |
         |          | form_id        | version | default_language |
         |          | label_pictures | 1       | English (en)     |";
    let workbook = dala_e2e::workbook(&files, "label_pictures", form);
    let mut given = vec![workbook.display().to_string()];
    for (name, bytes) in [
        ("badge-en.bmp", dala_e2e::photo_bmp(40, 20)),
        ("badge-ru.bmp", dala_e2e::photo_bmp(30, 20)),
        ("star.bmp", dala_e2e::photo_bmp(12, 12)),
        ("greeting.wav", silent_wav()),
    ] {
        let path = files.join(name);
        std::fs::write(&path, bytes).expect("write a label's file");
        given.push(path.display().to_string());
    }
    let widths = "return [...document.querySelectorAll('.question[data-name=\"rank\"] .label-media img')].map(i => i.complete ? i.naturalWidth : -1)";
    let heading = ".question[data-name=\"rank\"] > .label-media";

    let (server, browser) = serve();
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.set_enumerator("Aida");
    // Without its files, the form is imported and its labels are text.
    app.import(&workbook);
    app.wait_for_selector("[data-form=\"label_pictures\"] .start");
    app.start("label_pictures");
    app.settle();
    assert_eq!(
        app.js(widths, json!([])),
        json!([]),
        "no picture without its file"
    );
    assert!(
        app.text(".question[data-name=\"rank\"]")
            .contains("Your rank")
    );
    no_errors(&app);

    // With them: the English picture above the question, the star beside its choice, the
    // sound to play.
    app.home(&server.url());
    browser
        .type_into(".import input[type=file]", &given.join("\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(
        "return document.querySelector('.banner.notice')?.textContent.includes('label_pictures')",
    );
    app.start("label_pictures");
    app.wait(&format!(
        "return {}",
        widths.trim_start_matches("return ").to_string() + ".join() === '40,12'"
    ));
    app.wait(&format!(
        "const a = document.querySelector('{heading} audio'); return !!a && a.src.startsWith('blob:') && a.readyState >= 1 && Math.round(a.duration) === 1"
    ));
    app.settle();
    screenshot(&browser, "collect-label-media-en");
    app.answer("rank", "officer");
    app.settle();
    app.js("location.reload()", json!([]));
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    app.wait(&format!(
        "return {}",
        widths.trim_start_matches("return ").to_string() + ".join() === '40,12'"
    ));
    no_errors(&app);

    // In Russian, on a phone: the Russian picture, the same star; nothing wider than the
    // screen.
    let phone = Browser::start(390, 844).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&phone);
    app.home(&server.url());
    app.set_interface_language("ru");
    app.set_enumerator("Айда");
    phone
        .type_into(".import input[type=file]", &given.join("\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("[data-form=\"label_pictures\"] .start");
    app.start("label_pictures");
    app.wait(&format!(
        "return {}",
        widths.trim_start_matches("return ").to_string() + ".join() === '30,12'"
    ));
    assert!(
        app.text(".question[data-name=\"rank\"]")
            .contains("Ваше звание")
    );
    app.settle();
    app.assert_fits_screen();
    screenshot(&phone, "collect-label-media-ru-phone");
    no_errors(&app);
}

/// The stored files of a record, read from the app's IndexedDB in the page: name, type, size,
/// the decoded photo's width and height, and the SHA-256 the browser computes of the bytes.
const STORED_FILES: &str = r#"
const [id, done] = [arguments[0], arguments[arguments.length - 1]];
const open = indexedDB.open('dala');
open.onerror = () => done({ error: String(open.error) });
open.onsuccess = () => {
  const rows = open.result.transaction(['files', 'records']).objectStore('files').getAll();
  rows.onsuccess = async () => {
    const out = [];
    for (const row of rows.result.filter((r) => r.instance_id === id)) {
      const bytes = await row.blob.arrayBuffer();
      const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
        .map((b) => b.toString(16).padStart(2, '0')).join('');
      let width = null, height = null;
      if (row.blob.type.startsWith('image/')) {
        const bitmap = await createImageBitmap(row.blob);
        [width, height] = [bitmap.width, bitmap.height];
      }
      out.push({ name: row.name, type: row.blob.type, size: row.blob.size, width, height, sha256: digest });
    }
    done(out);
  };
};"#;

/// The record as stored (its JSON), read from the app's IndexedDB.
const STORED_RECORD: &str = r#"
const [id, done] = [arguments[0], arguments[arguments.length - 1]];
const open = indexedDB.open('dala');
open.onsuccess = () => {
  const row = open.result.transaction('records').objectStore('records').get(id);
  row.onsuccess = () => done(row.result ? JSON.parse(row.result.json) : null);
};"#;

/// Media questions (issue 19): a required photo with `max-pixels=1024` blocks the page until
/// it is taken; a 12-megapixel picture (4000 x 3000) picked for it is scaled on the device to
/// 1024 x 768 and stored as a JPEG in IndexedDB with the draft that names it (its SHA-256 the
/// one the record lists); a reload shows it again from the store; a second photo replaces
/// it and the first is gone; the finalized record lists the file.
#[test]
fn a_photo_is_scaled_to_max_pixels_and_kept_with_its_answer_across_a_reload() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("photo");
    let picture = files.join("house.bmp");
    std::fs::write(&picture, dala_e2e::photo_bmp(4000, 3000)).expect("write the picture");
    let small = files.join("door.bmp");
    std::fs::write(&small, dala_e2e::photo_bmp(600, 800)).expect("write the second picture");
    let instrument = json!({
        "format": 2,
        "settings": {"form_id": "house_photo", "version": "1", "title": {"en": "Household visit", "ru": "Посещение семьи"}, "default_language": "en"},
        "survey": [
            {"type": "text", "name": "family", "label": {"en": "Family name", "ru": "Фамилия семьи"}},
            {"type": "image", "name": "house", "label": {"en": "A photo of the house", "ru": "Фото дома"},
             "required": "yes", "parameters": {"max-pixels": "1024"}},
            {"type": "note", "name": "thanks", "label": {"en": "Thank you, ${family}.", "ru": "Спасибо, ${family}."}}
        ],
        "choices": {}
    });
    let downloads = files.join("downloads");
    std::fs::create_dir_all(&downloads).expect("downloads");
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser =
        Browser::start_with(1280, 800, Some(&downloads)).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    interview_of(&app, &server.url(), &files, &instrument);
    app.answer("family", "Yusupova");
    app.next();
    assert_eq!(app.questions(), ["house"]);
    // Required: "Next" stays and says so.
    app.click(".nav .next");
    app.wait("return (document.querySelector('.question[data-name=\"house\"] .error')?.textContent || '').length > 0");
    let id = app.instance_id();

    let pick = ".question[data-name=\"house\"] input[type=file]:not([capture])";
    browser
        .type_into(pick, &picture.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait("return document.querySelector('.question[data-name=\"house\"] img.media-preview')?.complete === true");
    app.settle();
    let stored = browser
        .execute_async(STORED_FILES, json!([id]))
        .unwrap_or_else(|e| panic!("{e}"));
    let stored = stored.as_array().cloned().unwrap_or_default();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let photo = &stored[0];
    assert_eq!(photo["type"], "image/jpeg");
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(1024), Some(768))
    );
    let name = photo["name"].as_str().unwrap_or_default().to_string();
    assert!(name.ends_with(".jpg"), "{name}");
    let record = browser
        .execute_async(STORED_RECORD, json!([id]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(record["answers"]["house"], json!(name));
    assert_eq!(
        record["files"],
        json!([{"name": name, "media_type": "image/jpeg", "size": photo["size"], "sha256": photo["sha256"]}])
    );
    screenshot(&browser, "collect-photo-en");

    // A reload in the middle: the answer and its photo, shown from the store.
    app.js("location.reload()", json!([]));
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    app.wait("return document.querySelector('.question[data-name=\"house\"] img.media-preview')?.src.startsWith('blob:')");
    assert!(
        app.text(".question[data-name=\"house\"] figcaption")
            .contains(&name),
        "the file is named under it"
    );

    // Another photo replaces it: the first file goes with the answer that named it.
    browser
        .type_into(pick, &small.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(&format!(
        "return !document.querySelector('.question[data-name=\"house\"] figcaption')?.textContent.includes('{name}')"
    ));
    app.settle();
    let stored = browser
        .execute_async(STORED_FILES, json!([id]))
        .unwrap_or_else(|e| panic!("{e}"));
    let stored = stored.as_array().cloned().unwrap_or_default();
    assert_eq!(stored.len(), 1, "only the second photo is kept: {stored:?}");
    assert_ne!(stored[0]["name"], json!(name));
    assert_eq!(
        (stored[0]["width"].as_u64(), stored[0]["height"].as_u64()),
        (Some(600), Some(800)),
        "a photo within max-pixels is kept at its size"
    );

    app.next();
    app.next();
    app.wait_for_selector(".closing .finalize");
    app.click(".closing .finalize");
    app.wait_for_selector("#records[data-ready=\"true\"] .finalized-list .record");
    let record = browser
        .execute_async(STORED_RECORD, json!([id]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(record["status"], "finalized");
    assert_eq!(record["files"][0]["sha256"], stored[0]["sha256"]);
    no_errors(&app);

    // Handed over: the bundle carries the photo after its record (format 3): a line naming
    // it and its length, then its bytes as stored, then a line ending.
    app.click(".export");
    app.wait_for_selector(".finalized-list .tag.exported");
    let bundle = dala_e2e::downloaded(&downloads, |name| name.ends_with(".jsonl"));
    let bytes = std::fs::read(&bundle).expect("bundle");
    let mut rest = &bytes[..];
    let mut line = || -> Value {
        let end = rest.iter().position(|&b| b == b'\n').expect("a line");
        let value = serde_json::from_slice(&rest[..end]).expect("a JSON line");
        rest = &rest[end + 1..];
        value
    };
    let (header, record_line, file_line) = (line(), line(), line());
    assert_eq!(header["format"], 3);
    assert_eq!(record_line["instance_id"], json!(id));
    // The second photo was kept as picked (600 x 800 fits max-pixels): an uncompressed
    // 1.44 MB picture.
    let size = stored[0]["size"].as_u64().unwrap_or(0);
    assert_eq!(size, 54 + 600 * 800 * 3);
    assert_eq!(
        file_line["file"],
        json!({"instance_id": id, "name": stored[0]["name"], "bytes": size})
    );
    let body = &rest[..usize::try_from(size).expect("size")];
    assert_eq!(
        dala_core::Attachment::of("photo", "image/bmp", body).sha256,
        stored[0]["sha256"].as_str().unwrap_or_default(),
        "the photo's bytes as stored"
    );
    assert_eq!(&rest[body.len()..], b"\n", "nothing after it");

    // On a phone, in Russian: the bundle imported in Analyse brings the photo with its
    // record (another device: its own database).
    let phone = Browser::start(390, 844).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&phone);
    app.home(&server.url());
    app.set_interface_language("ru");
    app.set_enumerator("Айгуль");
    app.import(&files.join("house_photo.json"));
    app.wait_for_selector("[data-form=\"house_photo\"] .start");
    phone
        .goto(&format!("{}design.html#/analyse/house_photo", server.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("#analyse[data-ready=\"true\"]");
    phone
        .type_into("#analyse input.bundles", &bundle.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait("return document.querySelectorAll('.import-report tr.bundle').length === 1 && document.querySelector('#analyse').dataset.ready === 'true'");
    assert_eq!(app.text(".import-report tr.bundle .added"), "1");
    assert_eq!(app.text(".import-report tr.bundle .files"), "1");
    let arrived = phone
        .execute_async(STORED_FILES, json!([id]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(arrived, json!(stored), "the photo arrived as it was stored");
    screenshot(&phone, "analyse-import-photo-ru-phone");
    // The record opened in the workspace: its review names the photo, and the photo's
    // question shows it, from this device's store.
    phone
        .goto(&format!(
            "{}design.html#/analyse/house_photo/record/{}",
            server.url(),
            id.replace(':', "%3A")
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector(".review-answer[data-name=\"house\"] button");
    app.click(".review-answer[data-name=\"house\"] button");
    app.wait("return document.querySelector('.question[data-name=\"house\"] img.media-preview')?.src.startsWith('blob:')");
    assert_eq!(
        app.js(
            "return document.querySelector('.question[data-name=\"house\"] .media > .row').hidden",
            json!([])
        ),
        json!(true),
        "a finalized record's photo cannot be replaced or removed"
    );
    screenshot(&phone, "analyse-record-photo-ru-phone");

    // And a photo taken on the phone fits its screen.
    phone
        .goto(&format!("{}#/", server.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("[data-form=\"house_photo\"] .start");
    app.start("house_photo");
    app.answer("family", "Юсупова");
    app.next();
    phone
        .type_into(pick, &picture.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait("return document.querySelector('.question[data-name=\"house\"] img.media-preview')?.complete === true");
    app.settle();
    app.assert_fits_screen();
    screenshot(&phone, "collect-photo-ru-phone");
    app.no_errors();
}

/// A signature drawn with the pointer (real mouse events, which the browser turns into
/// pointer events) and a recording from Chromium's fake microphone (issue 19): "Keep" with
/// nothing drawn says so; the signature is kept as a 900 x 300 PNG and the recording as the
/// browser's audio, each with its answer, both back after a reload.
#[test]
fn a_signature_is_drawn_and_a_voice_recorded_and_both_kept_across_a_reload() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("signature");
    let instrument = json!({
        "format": 2,
        "settings": {"form_id": "consent_form", "version": "1", "title": {"en": "Consent", "ru": "Согласие"}, "default_language": "en"},
        "survey": [
            {"type": "image", "name": "sign", "appearance": "signature", "required": "yes",
             "label": {"en": "The parent signs here", "ru": "Подпись родителя"}},
            {"type": "audio", "name": "voice", "parameters": {"quality": "voice-only"},
             "label": {"en": "Record the parent's consent", "ru": "Запишите согласие родителя"}}
        ],
        "choices": {}
    });
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("server");
    let browser = Browser::start_with_fake_media(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    interview_of(&app, &server.url(), &files, &instrument);
    app.wait_for_selector(".question[data-name=\"sign\"] canvas.draw-pad");
    app.click(".question[data-name=\"sign\"] .keep-drawing");
    app.wait(
        "return !document.querySelector('.question[data-name=\"sign\"] .drawing p.hint').hidden",
    );

    // A stroke across the pad, as a finger or a mouse draws it.
    let pad = app.js(
        "const c = document.querySelector('.question[data-name=\"sign\"] canvas'); c.scrollIntoView({block: 'center'}); const b = c.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]",
        json!([]),
    );
    let [left, top, width, height] = [0, 1, 2, 3].map(|i| pad[i].as_f64().unwrap_or(0.0));
    let mouse = |kind: &str, x: f64, y: f64| {
        browser
            .cdp(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": left + x * width, "y": top + y * height, "button": "left", "buttons": 1, "clickCount": 1}),
            )
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    };
    mouse("mousePressed", 0.1, 0.6);
    for i in 1..=20 {
        let t = f64::from(i) / 20.0;
        mouse("mouseMoved", 0.1 + 0.8 * t, 0.6 - 0.3 * (t * 6.0).sin());
    }
    mouse("mouseReleased", 0.9, 0.5);
    app.click(".question[data-name=\"sign\"] .keep-drawing");
    app.wait("return document.querySelector('.question[data-name=\"sign\"] img.media-preview')?.complete === true");
    app.settle();
    let id = app.instance_id();
    let stored = browser
        .execute_async(STORED_FILES, json!([id]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored.as_array().map(Vec::len), Some(1), "{stored}");
    assert_eq!(stored[0]["type"], "image/png");
    assert_eq!(
        (stored[0]["width"].as_u64(), stored[0]["height"].as_u64()),
        (Some(900), Some(300))
    );
    // The pad is put away behind "Draw again".
    assert!(
        app.js(
            "return document.querySelector('.question[data-name=\"sign\"] canvas').hidden",
            json!([])
        ) == json!(true)
    );
    screenshot(&browser, "collect-signature-en");

    app.next();
    app.click(".question[data-name=\"voice\"] .record");
    app.wait("return document.querySelector('.question[data-name=\"voice\"] .record').classList.contains('primary')");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    app.click(".question[data-name=\"voice\"] .record");
    app.wait("return document.querySelector('.question[data-name=\"voice\"] audio') !== null");
    app.settle();
    let stored = browser
        .execute_async(STORED_FILES, json!([id]))
        .unwrap_or_else(|e| panic!("{e}"));
    let audio: Vec<&Value> = stored
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["type"].as_str().is_some_and(|t| t.starts_with("audio/")))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(audio.len(), 1, "{stored}");
    assert!(audio[0]["size"].as_u64().unwrap_or(0) > 1000, "{stored}");
    let record = browser
        .execute_async(STORED_RECORD, json!([id]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(record["answers"]["voice"], audio[0]["name"]);
    screenshot(&browser, "collect-audio-en");

    app.js("location.reload()", json!([]));
    app.wait_for_selector("#interview[data-ready=\"true\"]");
    app.wait("return document.querySelector('.question[data-name=\"voice\"] audio')?.src.startsWith('blob:')");
    app.previous();
    app.wait("return document.querySelector('.question[data-name=\"sign\"] img.media-preview')?.src.startsWith('blob:')");
    // In Russian, the pad opened again.
    app.set_interface_language("ru");
    app.click(".question[data-name=\"sign\"] .draw-again");
    app.wait("return !document.querySelector('.question[data-name=\"sign\"] canvas').hidden");
    assert!(
        app.text(".question[data-name=\"sign\"] .keep-drawing")
            .contains("Сохранить подпись")
    );
    screenshot(&browser, "collect-signature-ru");
    no_errors(&app);
}

/// A barcode question (issue 19): headless Chromium on Linux has no BarcodeDetector, so the
/// code is typed and the question says so. Where the browser has one (here a stand-in
/// installed in the page, which reads "4006381333931" from a 120-px-wide picture and nothing
/// from any other), a photo taken of the code answers the question, and a photo without a
/// code says so and leaves the answer alone.
#[test]
fn a_barcode_is_typed_or_read_from_a_photo_where_the_browser_reads_codes() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("barcode");
    let with_code = files.join("code.bmp");
    std::fs::write(&with_code, dala_e2e::photo_bmp(120, 60)).expect("write a picture");
    let without = files.join("wall.bmp");
    std::fs::write(&without, dala_e2e::photo_bmp(80, 60)).expect("write a picture");
    let instrument = json!({
        "format": 2,
        "settings": {"form_id": "stock", "version": "1", "title": {"en": "Stock", "ru": "Склад"}, "default_language": "en"},
        "survey": [
            {"type": "barcode", "name": "item", "label": {"en": "The item's code", "ru": "Код товара"}}
        ],
        "choices": {}
    });
    let (server, browser) = serve();
    let app = Collect::new(&browser);
    interview_of(&app, &server.url(), &files, &instrument);
    let question = ".question[data-name=\"item\"]";
    assert!(
        app.text(question)
            .contains("cannot read codes with the camera"),
        "{}",
        app.text(question)
    );
    assert_eq!(
        app.js(
            &format!("return document.querySelectorAll('{question} .scan-code').length"),
            json!([])
        ),
        0
    );
    app.answer("item", "4600000000017");
    app.settle();

    // The stand-in detector, then the question drawn again (home and back to the draft).
    app.js(
        "window.BarcodeDetector = class { async detect(picture) { return picture.width === 120 ? [{ rawValue: '4006381333931', format: 'ean_13' }] : []; } }",
        json!([]),
    );
    let id = app.instance_id();
    app.js("location.hash = '#/'", json!([]));
    app.wait_for_selector("[data-form=\"stock\"] .start");
    app.js(
        "location.hash = '#/interview/' + encodeURIComponent(arguments[0])",
        json!([id]),
    );
    app.wait_for_selector(&format!("{question} .scan-code"));
    let pick = format!("{question} .scan-code input[type=file]");
    browser
        .type_into(&pick, &without.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(&format!("return (document.querySelector('{question} .error')?.textContent || '').includes('No code was found')"));
    assert_eq!(
        app.js(
            &format!("return document.querySelector('{question} input[type=text]').value"),
            json!([])
        ),
        "4600000000017",
        "the answer stays"
    );
    browser
        .type_into(&pick, &with_code.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(&format!(
        "return document.querySelector('{question} input[type=text]').value === '4006381333931'"
    ));
    app.wait(&format!(
        "return !document.querySelector('{question} .error')"
    ));
    app.settle();
    screenshot(&browser, "collect-barcode-en");
    no_errors(&app);

    // On a phone, in Russian: the button's words, nothing wider than the screen.
    let phone = Browser::start(390, 844).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&phone);
    app.home(&server.url());
    app.set_interface_language("ru");
    interview_of(&app, &server.url(), &files, &instrument);
    app.js(
        "window.BarcodeDetector = class { async detect() { return []; } }; location.hash = '#/'",
        json!([]),
    );
    app.wait_for_selector("[data-form=\"stock\"] .start");
    app.start("stock");
    app.wait(&format!("return (document.querySelector('{question} .scan-code')?.textContent || '').includes('Сканировать')"));
    app.assert_fits_screen();
    screenshot(&phone, "collect-barcode-ru-phone");
}
