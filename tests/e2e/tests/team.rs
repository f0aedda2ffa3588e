//! A project run through the app end to end against a real `dala serve` of the same build,
//! on SQLite and on PostgreSQL (issue 22): the site administrator makes the team's accounts
//! and roles in Manage; the manager publishes the police instrument from Design and enrols a
//! tablet with its QR code; the tablet (a second browser profile) interviews and sends; a
//! second tablet's records arrive too; the manager sees each device's uploads and the field
//! progress by district; the analyst loads the records into Analyse, sets a review state,
//! and the share of women by district is the CSV `dala aggregate` writes for the same
//! records; a revoked tablet is refused, keeps its record and says so.
//! Run with `cargo xtask test` (it builds dist/ and sets DALA_DIST and DALA_CLI).

use dala_e2e::collect::Collect;
use dala_e2e::served::{
    ROOT_PASSWORD, admin_and_project, call, dala, free_addr, root_token, serve,
};
use dala_e2e::webdriver::Browser;
use dala_e2e::{downloaded, env_path, screenshot};
use serde_json::{Value, json};
use std::path::Path;

const FORM: &str = "police_gender_representation";

/// One project at a time: each runs two browsers, and two cores run two Chromiums well, not
/// four.
static ONE_TEAM: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Sets an input or select the way typing or picking does.
fn put(app: &Collect, selector: &str, value: &str) {
    app.wait_for_selector(selector);
    app.js(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }))",
        json!([selector, value]),
    );
}

fn sign_in(app: &Collect, name: &str, password: &str) {
    put(app, ".sign-in input[name=name]", name);
    put(app, ".sign-in input[name=password]", password);
    app.click(".sign-in-button");
    app.wait(&format!(
        "return document.querySelector('.account-user')?.textContent === {}",
        json!(name)
    ));
}

fn sign_out(app: &Collect) {
    app.click(".account-chip .sign-out");
    app.wait_for_selector(".sign-in-button");
}

/// The site administrator's first steps in Manage: an account with a role.
fn account_with_role(app: &Collect, name: &str, role: &str) {
    put(app, ".new-user-name", name);
    put(app, ".new-user-password", &format!("{name} password"));
    app.click(".new-user button[type=submit]");
    app.wait("return document.querySelector('.manage-team .said')?.textContent.includes('account is made')");
    // The new account is the one a role goes to.
    app.wait(&format!(
        "return document.querySelector('.role-user').value === {}",
        json!(name)
    ));
    put(app, ".role-name", role);
    app.click(".give-role button[type=submit]");
    app.wait(&format!(
        "return [...document.querySelectorAll('.members td')].some(td => td.textContent === {})",
        json!(name)
    ));
}

/// A police interview with a man of the Sokuluk district's staff, to its end.
fn interview_of_a_man(app: &Collect) {
    app.start(FORM);
    app.page_of(&[("wave", "2015_spring")]);
    app.page_of(&[("consent", "yes")]);
    app.page_of(&[("region", "chui")]);
    app.page_of(&[("district", "sokuluk")]);
    app.page_of(&[("sex", "m")]);
    app.page_of(&[("age_group", "35_44")]);
    app.page_of(&[("staff_category", "civilian")]);
    app.page_of(&[("position", "Inspector")]);
    app.page_of(&[("years_service", "7")]);
    app.page_of(&[("unit", "other")]);
    app.page_of(&[("unit_other", "Press office")]);
    app.page_of(&[
        ("staff_total", "40"),
        ("women_total", "9"),
        ("ranked_total", "30"),
        ("women_ranked", "5"),
    ]);
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
}

/// Every record the server holds, as one bundle file for the CLI.
fn server_bundle(base: &str, token: &str, path: &Path) -> usize {
    let page = call(
        "GET",
        &format!("{base}/api/v1/projects/1/submissions?limit=10000"),
        token,
        None,
    );
    let records: Vec<&Value> = page["submissions"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|s| &s["record"])
        .collect();
    let header = json!({
        "format": 1, "kind": "dala-bundle", "instrument_id": FORM,
        "instrument_version": records[0]["instrument_version"],
        "device_id": "server", "created": "2015-03-20T00:00:00.000+06:00",
    });
    let mut text = format!("{header}\n");
    for record in &records {
        text.push_str(&format!("{record}\n"));
    }
    std::fs::write(path, text).expect("a bundle");
    records.len()
}

/// A second tablet's finalized records, simulated through the engine from the same
/// instrument, as bundle lines.
fn second_tablets_records(dir: &Path) -> String {
    let path = dir.join("tablet-2.jsonl");
    dala(
        &[
            "simulate",
            &env_path("DALA_DIST")
                .join("surveys/police-gender-representation.json")
                .display()
                .to_string(),
            "-n",
            "60",
            "--seed",
            "22",
            "-o",
            &path.display().to_string(),
        ],
        None,
    );
    let text = std::fs::read_to_string(&path).expect("a bundle");
    let mut lines = text.lines();
    let mut kept = format!("{}\n", lines.next().expect("a header"));
    for line in lines {
        let record: Value = serde_json::from_str(line).expect("a record");
        if record["status"] == "finalized" {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

fn post_bundle(url: &str, token: &str, body: &str) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/x-ndjson")
        .send(body)
        .expect("the server answers");
    serde_json::from_str(&response.body_mut().read_to_string().expect("a body")).expect("a report")
}

fn a_team_runs_a_project(db: &str, backend: &str) {
    let _one = ONE_TEAM
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = dala_e2e::scratch(&format!("team-{backend}"));
    admin_and_project(db);
    let addr = free_addr();
    let base = format!("http://{addr}");
    let _server = serve(db, &addr, &dir.join("serve.log"));
    let root = root_token(&base);

    let downloads = dir.join("downloads");
    std::fs::create_dir_all(&downloads).expect("a folder");
    let desk = Browser::start_with(1280, 800, Some(&downloads)).unwrap_or_else(|e| panic!("{e}"));
    let office = Collect::new(&desk);

    // The site administrator makes the team in Manage.
    desk.goto(&format!("{base}/design.html#/manage"))
        .unwrap_or_else(|e| panic!("{e}"));
    app_ready(&office);
    screenshot(&desk, &format!("manage-sign-in-en-{backend}"));
    sign_in(&office, "root", ROOT_PASSWORD);
    office.wait_for_selector(".manage-team .members");
    account_with_role(&office, "mira", "manager");
    account_with_role(&office, "nurlan", "analyst");
    screenshot(&desk, &format!("manage-team-en-{backend}"));
    sign_out(&office);

    // The manager publishes the police instrument from Design and enrols a tablet.
    sign_in(&office, "mira", "mira password");
    desk.goto(&format!("{base}/design.html#/design"))
        .unwrap_or_else(|e| panic!("{e}"));
    office.wait_for_selector(&format!(
        ".local-versions [data-form=\"{FORM}\"] .publish-server"
    ));
    office.click(&format!(
        ".local-versions [data-form=\"{FORM}\"] .publish-server"
    ));
    office.wait("return document.querySelector('.server-designs .said')?.textContent.includes('Published on the server')");
    office.wait_for_selector(&format!(".server-versions [data-form=\"{FORM}\"]"));
    office.js(
        "document.querySelector('.server-designs').scrollIntoView()",
        json!([]),
    );
    screenshot(&desk, &format!("design-server-en-{backend}"));
    desk.goto(&format!("{base}/design.html#/manage/1"))
        .unwrap_or_else(|e| panic!("{e}"));
    office.click(".part-devices");
    put(&office, ".device-name", "tablet 1");
    office.click(".enrol button[type=submit]");
    office.wait_for_selector(".enrolment img.qr");
    let link = office.js(
        "return document.querySelector('.enrol-link a').href",
        json!([]),
    );
    let link = link.as_str().expect("a link").to_string();
    assert!(
        link.starts_with(&format!("{base}/enrol#project=1&token=")),
        "{link}"
    );
    screenshot(&desk, &format!("manage-enrol-en-{backend}"));

    // The tablet opens the link, interviews and sends.
    let tablet = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let field = Collect::new(&tablet);
    tablet.goto(&link).unwrap_or_else(|e| panic!("{e}"));
    field.wait_for_selector("#home[data-ready=\"true\"]");
    field.wait_for_selector(".outbox");
    field.set_enumerator("Aida");
    interview_of_a_man(&field);
    field.home(&base);
    field.wait("return document.querySelector('.outbox .waiting').textContent.includes('Every finalized record is on the server')");

    // A second tablet's records arrive as a tablet sends them.
    let second = call(
        "POST",
        &format!("{base}/api/v1/projects/1/devices"),
        &root,
        Some(json!({"name": "tablet 2"})),
    );
    let report = post_bundle(
        &format!("{base}/api/v1/projects/1/submissions"),
        second["token"].as_str().expect("a token"),
        &second_tablets_records(&dir),
    );
    let from_second = report["added"].as_u64().expect("added");
    assert!(from_second > 20, "{report}");

    // The manager sees each device's uploads, and the progress by district.
    office.click(".part-team");
    office.click(".part-devices");
    office.wait("return document.querySelector('tr[data-device=\"tablet 2\"] .sent') !== null");
    assert_eq!(office.text("tr[data-device=\"tablet 1\"] .sent"), "1");
    assert_eq!(
        office.text("tr[data-device=\"tablet 2\"] .sent"),
        from_second.to_string()
    );
    assert_ne!(
        office.text("tr[data-device=\"tablet 1\"] .last-seen"),
        "—",
        "the tablet's last contact"
    );
    screenshot(&desk, &format!("manage-devices-en-{backend}"));
    office.click(".part-progress");
    office.wait_for_selector(".progress-table .grand-total");
    assert_eq!(
        office.text(".progress-table .grand-total"),
        (from_second + 1).to_string()
    );
    office.wait(
        "return [...document.querySelectorAll('.progress-by option')].some(o => o.value === 'district')",
    );
    put(&office, ".progress-by", "district");
    office.wait("return [...document.querySelectorAll('.progress-table tbody th')].some(th => th.textContent === 'sokuluk')");
    let progress = call(
        "GET",
        &format!("{base}/api/v1/projects/1/progress?form={FORM}&by=district"),
        &root,
        None,
    );
    let sokuluk: i64 = progress["progress"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["value"] == "sokuluk")
        .map(|r| r["records"].as_i64().unwrap_or_default())
        .sum();
    let shown = office.js(
        "const row = [...document.querySelectorAll('.progress-table tbody tr')].find(r => r.querySelector('th').textContent === 'sokuluk'); return row.querySelector('.row-total').textContent",
        json!([]),
    );
    assert_eq!(shown, json!(sokuluk.to_string()));
    screenshot(&desk, &format!("manage-progress-en-{backend}"));
    sign_out(&office);

    // The analyst loads the records into Analyse and reviews one.
    desk.goto(&format!("{base}/design.html#/analyse/{FORM}"))
        .unwrap_or_else(|e| panic!("{e}"));
    office.wait_for_selector("#analyse[data-ready=\"true\"]");
    sign_in(&office, "nurlan", "nurlan password");
    office.click(".load-server");
    let total = from_second + 1;
    office.wait(&format!(
        "return document.querySelector('#analyse').dataset.records === '{total}' && document.querySelector('#analyse').dataset.ready === 'true'"
    ));
    office.wait_for_selector(".records-table td.review");
    screenshot(&desk, &format!("analyse-server-en-{backend}"));
    // The share of women by district, as `dala aggregate` tables the same records.
    office.click(".load-plan");
    let card = ".table-card[data-table=\"women_share_by_district\"]";
    office.wait_for_selector(card);
    office.click(&format!("{card} button.csv"));
    let csv = downloaded(&downloads, |n| n == "women_share_by_district.csv");
    let bundle = dir.join("server.jsonl");
    assert_eq!(server_bundle(&base, &root, &bundle), total as usize);
    let plan = dir.join("women.toml");
    std::fs::write(&plan, dala_e2e::WOMEN_BY_DISTRICT).expect("a plan");
    let cli_csv = dir.join("cli-women.csv");
    dala(
        &[
            "aggregate",
            &env_path("DALA_DIST")
                .join("surveys/police-gender-representation.json")
                .display()
                .to_string(),
            &bundle.display().to_string(),
            "--plan",
            &plan.display().to_string(),
            "-o",
            &cli_csv.display().to_string(),
        ],
        None,
    );
    assert_eq!(
        std::fs::read_to_string(csv).expect("the app's CSV"),
        std::fs::read_to_string(&cli_csv).expect("the CLI's CSV"),
        "the share of women by district"
    );
    // A review state with a comment, set from the record's view.
    let first = office.js(
        "return document.querySelector('.record-row').dataset.id",
        json!([]),
    );
    let first = first.as_str().expect("a record").to_string();
    office.click(".record-row a.open");
    office.wait_for_selector(".record-review .review-state");
    put(&office, ".record-review .review-state", "has_issues");
    put(&office, ".record-review .review-comment", "the district?");
    office.click(".record-review .review-save");
    office.wait("return document.querySelector('.record-review .said')?.textContent.includes('review is saved')");
    let history = call(
        "GET",
        &format!(
            "{base}/api/v1/projects/1/submissions/{}/review",
            first.replace(':', "%3A")
        ),
        &root,
        None,
    );
    assert_eq!(history["history"][0]["state"], "has_issues", "{history}");
    assert_eq!(history["history"][0]["comment"], "the district?");
    sign_out(&office);

    // The manager's review queue shows it; the manager revokes the first tablet.
    desk.goto(&format!("{base}/design.html#/manage/1"))
        .unwrap_or_else(|e| panic!("{e}"));
    sign_in(&office, "mira", "mira password");
    office.click(".part-review");
    put(&office, ".queue-state", "has_issues");
    office.wait(&format!(
        "return document.querySelector('.queue-record[data-instance=\"{first}\"]') !== null"
    ));
    office.click(".part-devices");
    office.wait_for_selector("tr[data-device=\"tablet 1\"] .revoke");
    office.click("tr[data-device=\"tablet 1\"] .revoke");
    office.click("tr[data-device=\"tablet 1\"] .revoke-confirm");
    office.wait(
        "return document.querySelector('tr[data-device=\"tablet 1\"] .tag.refused') !== null",
    );

    // The revoked tablet: its next record is refused, kept, and the tablet says so.
    field.start(FORM);
    field.page_of(&[("wave", "2015_spring")]);
    field.page_of(&[("consent", "no")]);
    field.next();
    field.wait_for_selector(".closing .finalize");
    field.settle();
    field.click(".closing .finalize");
    field.wait_for_selector("#records[data-ready=\"true\"] .finalized-list .record");
    field.home(&base);
    field.click(".outbox .send-now");
    field.wait("return document.querySelector('.outbox .warning')?.textContent.includes('no longer accepts this tablet')");
    assert!(
        field
            .text(".outbox .waiting")
            .contains("1 record waiting to be sent"),
        "{}",
        field.text(".outbox")
    );
    screenshot(&tablet, &format!("collect-revoked-en-{backend}"));
    field.no_errors();
    office.no_errors();

    // The Manage workspace in Russian, on a phone.
    office.set_interface_language("ru");
    office.click(".part-progress");
    office.wait_for_selector(".progress-table");
    desk.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    screenshot(&desk, &format!("manage-progress-ru-phone-{backend}"));
    office.assert_fits_screen();
    for part in ["devices", "review", "team"] {
        office.click(&format!(".part-{part}"));
        office.wait_for_selector(&format!(".manage-{part}"));
        office.assert_fits_screen();
        screenshot(&desk, &format!("manage-{part}-ru-phone-{backend}"));
    }
    sign_out(&office);
    office.assert_fits_screen();
    screenshot(&desk, &format!("manage-sign-in-ru-phone-{backend}"));
}

/// The page is up (the whole app's workspaces wait for the database).
fn app_ready(app: &Collect) {
    app.wait(
        "return document.querySelector('main') !== null && !document.querySelector('main.loading')",
    );
}

#[test]
fn a_team_runs_a_project_on_sqlite() {
    let dir = dala_e2e::scratch("team-db");
    let db = format!("sqlite://{}", dir.join("dala.sqlite").display());
    a_team_runs_a_project(&db, "sqlite");
}

#[test]
fn a_team_runs_a_project_on_postgresql() {
    let database = dala_e2e::postgres::TestDatabase::create("team")
        .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    a_team_runs_a_project(&database.url, "postgres");
}
