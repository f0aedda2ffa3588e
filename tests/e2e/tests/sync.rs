//! An enrolled tablet and a real `dala serve` of the same build (issue 22): the tablet opens
//! its enrolment link (the token leaves the address bar), a finalized record goes to the
//! server by itself, a version published on the server reaches the tablet, one finalized while the server is down waits and says so, and "Send
//! now" sends it once the server is back; each record is on the server once.
//! Run with `cargo xtask test` (it builds dist/ and sets DALA_DIST and DALA_CLI).

use dala_e2e::collect::Collect;
use dala_e2e::served::{admin_and_project, call, free_addr, root_token, serve};
use dala_e2e::webdriver::Browser;
use dala_e2e::{env_path, screenshot};
use serde_json::{Value, json};

/// A short police interview: the wave, no consent, finalized.
fn interview_without_consent(app: &Collect) {
    app.start("police_gender_representation");
    app.page_of(&[("wave", "2015_spring")]);
    app.page_of(&[("consent", "no")]);
    assert_eq!(app.questions(), ["end"]);
    app.next();
    app.wait_for_selector(".closing .finalize");
    app.settle();
    app.click(".closing .finalize");
    app.wait_for_selector("#records[data-ready=\"true\"] .finalized-list .record");
}

fn stored_ids(base: &str, token: &str) -> Vec<String> {
    let page = call(
        "GET",
        &format!("{base}/api/v1/projects/1/submissions"),
        token,
        None,
    );
    let mut ids: Vec<String> = page["submissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["instance_id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[test]
fn an_enrolled_tablet_sends_its_records_and_keeps_them_while_the_server_is_down() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = dala_e2e::scratch("sync");
    let db = format!("sqlite://{}", dir.join("dala.sqlite").display());
    admin_and_project(&db);
    let addr = free_addr();
    let base = format!("http://{addr}");
    let server = serve(&db, &addr, &dir.join("serve-1.log"));
    let token = root_token(&base);
    let instrument: Value = serde_json::from_str(
        &std::fs::read_to_string(
            env_path("DALA_DIST").join("surveys/police-gender-representation.json"),
        )
        .expect("the bundled police instrument"),
    )
    .expect("JSON");
    let published = call(
        "POST",
        &format!("{base}/api/v1/projects/1/instruments"),
        &token,
        Some(instrument.clone()),
    );
    assert!(published["form_id"].is_string(), "{published}");
    let device = call(
        "POST",
        &format!("{base}/api/v1/projects/1/devices"),
        &token,
        Some(json!({"name": "tablet 1"})),
    );
    let link = device["link"].as_str().expect("a link").to_string();

    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    browser.goto(&link).unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("#home[data-ready=\"true\"]");
    app.wait_for_selector(".outbox");
    let address = app.js("return location.href", json!([]));
    assert!(
        !address.as_str().unwrap_or_default().contains("token"),
        "the token left the address bar: {address}"
    );
    assert!(
        app.text(".outbox").contains(&base),
        "{}",
        app.text(".outbox")
    );
    app.set_enumerator("Aida");

    // Finalized: on the server by itself.
    interview_without_consent(&app);
    let first = app.js("return location.hash", json!([]));
    app.wait(&format!(
        "return fetch('/api/v1/projects/1/submissions', {{headers: {{Authorization: 'Bearer ' + {}}}}}).then(r => r.json()).then(p => p.submissions.length === 1)",
        json!(token)
    ));
    assert_eq!(stored_ids(&base, &token).len(), 1, "{first}");
    app.home(&base);
    app.wait("return document.querySelector('.outbox .waiting').textContent.includes('Every finalized record is on the server')");
    screenshot(&browser, "collect-outbox-sent-en");

    // A new version published: the tablet takes it, and the next interview uses it.
    let mut newer = instrument.clone();
    newer["settings"]["version"] = json!("2015030102");
    let published = call(
        "POST",
        &format!("{base}/api/v1/projects/1/instruments"),
        &token,
        Some(newer),
    );
    assert_eq!(published["version"], "2015030102", "{published}");
    app.click(".outbox .send-now");
    app.wait("return document.querySelector('[data-form=\"police_gender_representation\"]').textContent.includes('v2015030102')");

    // The server down: the record waits, and the tablet says so, on the record too.
    drop(server);
    interview_without_consent(&app);
    app.wait("return document.querySelectorAll('.finalized-list .tag.waiting').length === 1");
    assert_eq!(
        app.js(
            "return document.querySelectorAll('.finalized-list .tag.sent').length",
            json!([])
        ),
        1,
        "the first record says it was sent"
    );
    screenshot(&browser, "collect-records-sent-waiting-en");
    app.home(&base);
    app.click(".outbox .send-now");
    app.wait("return document.querySelector('.outbox .warning') !== null");
    assert!(
        app.text(".outbox .waiting")
            .contains("1 record waiting to be sent"),
        "{}",
        app.text(".outbox")
    );
    screenshot(&browser, "collect-outbox-waiting-en");
    let server = serve(&db, &addr, &dir.join("serve-2.log"));
    app.click(".outbox .send-now");
    app.wait("return document.querySelector('.outbox .waiting').textContent.includes('Every finalized record is on the server')");
    let ids = stored_ids(&base, &token);
    assert_eq!(ids.len(), 2, "each record once: {ids:?}");
    let versions = call(
        "GET",
        &format!("{base}/api/v1/projects/1/submissions"),
        &token,
        None,
    );
    let versions: Vec<&str> = versions["submissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["record"]["instrument_version"].as_str())
        .collect();
    assert_eq!(
        versions,
        ["2015030101", "2015030102"],
        "the second on the new version"
    );
    // Sent again by hand: still once.
    app.click(".outbox .send-now");
    app.wait("return !document.querySelector('.outbox .send-now').disabled");
    assert_eq!(stored_ids(&base, &token), ids);
    app.no_errors();

    // The same screen on a phone, in Russian.
    browser
        .execute("document.querySelector('.ui-lang').value = 'ru'; document.querySelector('.ui-lang').dispatchEvent(new Event('change'))", json!([]))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(
        "return document.querySelector('.outbox .waiting').textContent.includes('на сервере')",
    );
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    screenshot(&browser, "collect-outbox-sent-ru-phone");
    drop(server);
}

/// A TCP relay in front of the server that can lose the server's answers: a request still
/// reaches the server (which stores what it is sent), the answer never reaches the tablet.
/// That is the server killed between its commit and its answer, the case a drain must
/// survive without doubling a record.
struct Relay {
    addr: String,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    fn start(upstream: String) -> Relay {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let addr = listener.local_addr().expect("an address").to_string();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cutting = cut.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                    // No server behind: the tablet's connection is refused as it would be.
                    continue;
                };
                let cutting = cutting.clone();
                let (mut from_client, mut to_server) = (
                    client.try_clone().expect("a clone"),
                    server.try_clone().expect("a clone"),
                );
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_client, &mut to_server);
                    let _ = to_server.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let (mut from_server, mut to_client) = (server, client);
                    let mut buffer = [0u8; 16 * 1024];
                    loop {
                        match from_server.read(&mut buffer) {
                            Ok(0) | Err(_) => break,
                            Ok(n) if cutting.load(Ordering::Acquire) => {
                                // The answer is lost, and with it the connection.
                                let _ = n;
                                let _ = to_client.shutdown(std::net::Shutdown::Both);
                                break;
                            }
                            Ok(n) => {
                                if to_client.write_all(&buffer[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = to_client.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Relay { addr, cut }
    }

    fn cut(&self, on: bool) {
        self.cut.store(on, std::sync::atomic::Ordering::Release);
    }
}

/// A short interview on a tablet, finalized.
fn short_interview(app: &Collect) {
    app.start("police_gender_representation");
    app.page_of(&[("wave", "2014_summer")]);
    app.page_of(&[("consent", "no")]);
    app.next();
    app.wait_for_selector(".closing .finalize");
    app.settle();
    app.click(".closing .finalize");
    app.wait_for_selector("#records[data-ready=\"true\"] .finalized-list .record");
}

fn outbox_says(browser: &Browser, text: &str, seconds: u64) {
    browser
        .wait_for(
            &format!(
                "return document.querySelector('.outbox .waiting')?.textContent.includes({})",
                json!(text)
            ),
            std::time::Duration::from_secs(seconds),
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

/// One of these tests at a time: the two tablets' runs two browsers, and two cores run two
/// Chromiums well, not three.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn two_tablets_a_stopped_server_a_lost_answer_and_a_bundle_each_record_once_on_sqlite() {
    let dir = dala_e2e::scratch("sync-two-db");
    two_tablets(
        &format!("sqlite://{}", dir.join("dala.sqlite").display()),
        "sqlite",
    );
}

#[test]
fn two_tablets_a_stopped_server_a_lost_answer_and_a_bundle_each_record_once_on_postgresql() {
    let database = dala_e2e::postgres::TestDatabase::create("two_tablets")
        .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    two_tablets(&database.url, "postgres");
}

fn two_tablets(db: &str, backend: &str) {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = dala_e2e::scratch(&format!("sync-two-{backend}"));
    let db = db.to_string();
    admin_and_project(&db);
    let server_addr = free_addr();
    let server = serve(&db, &server_addr, &dir.join("serve-1.log"));
    // The tablets reach the server through the relay, as through a field office's network.
    let relay = Relay::start(server_addr.clone());
    let base = format!("http://{}", relay.addr);
    let token = root_token(&base);
    let instrument: Value = serde_json::from_str(
        &std::fs::read_to_string(
            env_path("DALA_DIST").join("surveys/police-gender-representation.json"),
        )
        .expect("the police instrument"),
    )
    .expect("JSON");
    call(
        "POST",
        &format!("{base}/api/v1/projects/1/instruments"),
        &token,
        Some(instrument),
    );
    let link = |name: &str| {
        call(
            "POST",
            &format!("{base}/api/v1/projects/1/devices"),
            &token,
            Some(json!({"name": name})),
        )["link"]
            .as_str()
            .expect("a link")
            .to_string()
    };
    let downloads = dir.join("downloads");
    std::fs::create_dir_all(&downloads).expect("a folder");
    let a = Browser::start_with(1280, 800, Some(&downloads)).unwrap_or_else(|e| panic!("{e}"));
    let b = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let (tablet_a, tablet_b) = (Collect::new(&a), Collect::new(&b));
    for (browser, app, name, enumerator) in [
        (&a, &tablet_a, "tablet A", "Aida"),
        (&b, &tablet_b, "tablet B", "Bakyt"),
    ] {
        browser.goto(&link(name)).unwrap_or_else(|e| panic!("{e}"));
        app.wait_for_selector("#home[data-ready=\"true\"]");
        app.wait_for_selector(".outbox");
        app.set_enumerator(enumerator);
    }

    // The server stopped: both tablets interview (tablet A with no network at all); tablet A
    // also hands its record over.
    drop(server);
    let network = |browser: &Browser, offline: bool| {
        browser
            .cdp("Network.enable", json!({}))
            .and_then(|_| {
                browser.cdp(
                    "Network.emulateNetworkConditions",
                    json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
                )
            })
            .unwrap_or_else(|e| panic!("{e}"));
    };
    network(&a, true);
    short_interview(&tablet_a);
    short_interview(&tablet_b);
    tablet_a.click(".export");
    let handed = dala_e2e::downloaded(&downloads, |n| n.ends_with(".jsonl"));
    for (browser, app) in [(&a, &tablet_a), (&b, &tablet_b)] {
        app.home(&base);
        outbox_says(browser, "1 record waiting to be sent", 30);
    }
    // Offline, the failed drain asked the browser to wake the app when the network is back.
    a.wait_for(
        "return navigator.serviceWorker.ready.then(r => r.sync.getTags()).then(t => t.includes('dala-outbox'))",
        std::time::Duration::from_secs(30),
    )
    .unwrap_or_else(|e| panic!("Background Sync: {e}"));

    // The server back; the office sends the hand-over first; the tablets drain by themselves
    // (their retry comes within 30 s of the failure) and A's record is held already.
    let server = serve(&db, &server_addr, &dir.join("serve-2.log"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let report: Value = serde_json::from_str(
        &agent
            .post(&format!("{base}/api/v1/projects/1/submissions"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/x-ndjson")
            .send(std::fs::read(&handed).expect("the hand-over"))
            .expect("an answer")
            .body_mut()
            .read_to_string()
            .expect("a body"),
    )
    .expect("a report");
    assert_eq!(report["added"], 1, "{report}");
    network(&a, false);
    for browser in [&a, &b] {
        outbox_says(browser, "Every finalized record is on the server", 90);
    }
    assert_eq!(
        stored_ids(&base, &token).len(),
        2,
        "A's record once, B's once"
    );

    // Answers lost: tablet A's next record reaches the server, the tablet never hears so.
    relay.cut(true);
    short_interview(&tablet_a);
    tablet_a.home(&base);
    tablet_a.click(".outbox .send-now");
    outbox_says(&a, "1 record waiting to be sent", 30);
    assert_eq!(
        stored_ids(&format!("http://{server_addr}"), &token).len(),
        3,
        "the server stored it"
    );
    // The server killed and started again; the answers come back: the record is sent
    // again, held already, and the tablet marks it sent.
    drop(server);
    let _server = serve(&db, &server_addr, &dir.join("serve-3.log"));
    relay.cut(false);
    tablet_a.click(".outbox .send-now");
    outbox_says(&a, "Every finalized record is on the server", 30);
    let ids = stored_ids(&base, &token);
    assert_eq!(ids.len(), 3, "each record once: {ids:?}");
    a.goto(&format!("{base}/#/records/police_gender_representation"))
        .unwrap_or_else(|e| panic!("{e}"));
    tablet_a.wait("return document.querySelectorAll('.finalized-list .tag.sent').length === 2");

    // Sent records removed from tablet A after its confirmation; the server keeps them.
    tablet_a.click(".remove-sent");
    tablet_a.click(".confirm-remove-sent");
    tablet_a.wait("return document.querySelectorAll('.finalized-list .record').length === 0");
    assert_eq!(stored_ids(&base, &token).len(), 3);
    screenshot(&a, &format!("collect-sent-removed-en-{backend}"));
    tablet_a.no_errors();
    tablet_b.no_errors();
}

/// A version that attaches a list and a picture, published with `dala publish`, reaches an
/// enrolled tablet with both: the district's choices come from the list, the question shows
/// the picture, and the tablet keeps them when the server is gone.
#[test]
fn a_version_with_files_reaches_the_tablet_with_them() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = dala_e2e::scratch("sync-form-files");
    let db = format!("sqlite://{}", dir.join("dala.sqlite").display());
    admin_and_project(&db);
    let addr = free_addr();
    let base = format!("http://{addr}");
    let server = serve(&db, &addr, &dir.join("serve.log"));
    let token = root_token(&base);
    let form = dir.join("district_visit.md");
    std::fs::write(
        &form,
        "| survey   |                                    |          |          |              |
         |          | type                               | name     | label    | media::image |
         |          | select_one_from_file districts.csv | district | District | badge.bmp    |
         | settings |                                    |          |          |              |
         |          | form_id                            | version  |          |              |
         |          | district_visit                     | 1        |          |              |",
    )
    .expect("the form");
    std::fs::write(
        dir.join("districts.csv"),
        "name,label\nalai,Alai\nnaryn,Naryn\n",
    )
    .expect("the list");
    std::fs::write(dir.join("badge.bmp"), dala_e2e::photo_bmp(40, 20)).expect("the picture");
    let published = std::process::Command::new(env_path("DALA_CLI"))
        .args(["publish", "--server", &base, "--project", "1"])
        .arg(&form)
        .env("DALA_TOKEN", &token)
        .output()
        .expect("dala publish");
    let said = String::from_utf8_lossy(&published.stdout);
    assert!(
        published.status.success() && said.contains("files: 2 sent"),
        "{said}{}",
        String::from_utf8_lossy(&published.stderr)
    );
    let device = call(
        "POST",
        &format!("{base}/api/v1/projects/1/devices"),
        &token,
        Some(json!({"name": "tablet 1"})),
    );
    let link = device["link"].as_str().expect("a link").to_string();

    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    browser.goto(&link).unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("[data-form=\"district_visit\"] .start");
    app.set_enumerator("Aida");
    let shown = |app: &Collect| {
        app.start("district_visit");
        app.wait("return document.querySelector('.question[data-name=\"district\"] .label-media img')?.naturalWidth === 40");
        let question = app.text(".question[data-name=\"district\"]");
        assert!(
            question.contains("Alai") && question.contains("Naryn"),
            "{question}"
        );
    };
    shown(&app);
    screenshot(&browser, "collect-form-files-from-server-en");
    // A second tablet, a phone in Russian, enrolled by the same link.
    let phone = Browser::start(412, 915).unwrap_or_else(|e| panic!("{e}"));
    let second = Collect::new(&phone);
    phone.goto(&link).unwrap_or_else(|e| panic!("{e}"));
    second.wait_for_selector("[data-form=\"district_visit\"] .start");
    second.set_interface_language("ru");
    second.set_enumerator("Гульнара");
    shown(&second);
    second.assert_fits_screen();
    screenshot(&phone, "collect-form-files-from-server-ru-phone");

    // The server gone: the version, its list and its picture are on the tablet.
    drop(server);
    app.home(&base);
    shown(&app);
    app.no_errors();
}
