//! The API over HTTP, as a tablet, the CLI and a browser call it.

use crate::harness::{scratch, start};
use crate::store::{police, record};
use dala_core::Instrument;
use dala_core::record::{BUNDLE_KIND, BundleHeader, RECORD_FORMAT, Submission};
use serde_json::{Value, json};

/// One call: the status and the JSON body (Null when there is none).
pub async fn call(method: &str, url: String, token: Option<String>, body: Vec<u8>) -> (u16, Value) {
    let method = method.to_string();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let auth = token.map(|t| format!("Bearer {t}"));
        let response = match method.as_str() {
            "GET" | "DELETE" => {
                let mut r = if method == "GET" {
                    agent.get(&url)
                } else {
                    agent.delete(&url)
                };
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            _ => {
                let mut r = if method == "PUT" {
                    agent.put(&url)
                } else {
                    agent.post(&url)
                };
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.header("Content-Type", "application/json").send(&body[..])
            }
        };
        let mut response = response.expect("the server answers");
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
    .await
    .expect("the call ran")
}

pub fn json_bytes(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

pub fn bundle(records: &[Submission]) -> Vec<u8> {
    // Without files, the bundle is format 1, as `write_bundle` writes it.
    bundle_with_files(records, |_, _| None)
}

/// A bundle whose records carry files (format 2): `files` gives each record's bytes of a
/// file it lists (None: the file is not sent).
pub fn bundle_with_files(
    records: &[Submission],
    files: impl Fn(&Submission, &str) -> Option<Vec<u8>>,
) -> Vec<u8> {
    let police = police();
    let header = BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: police.settings.form_id.clone(),
        instrument_version: police.settings.version.clone(),
        device_id: "tab-1".into(),
        created: "2015-03-18T10:00:00.000+06:00".into(),
    };
    dala_core::record::write_bundle_with_files(&header, records, files)
}

/// A record listing a photo of these bytes as `1.jpg`.
fn with_photo(id: &str, photo: &[u8]) -> Submission {
    let mut r = record(id, "osh");
    r.files = vec![dala_core::Attachment::of("1.jpg", "image/jpeg", photo)];
    r
}

/// A GET of raw bytes: the status, the response's headers asked for, the body.
pub async fn get_raw(url: String, token: String, headers: &[&str]) -> (u16, Vec<String>, Vec<u8>) {
    let headers: Vec<String> = headers.iter().map(|h| (*h).to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent
            .get(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("the server answers");
        let values = headers
            .iter()
            .map(|h| {
                response
                    .headers()
                    .get(h.as_str())
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_vec().unwrap_or_default();
        (status, values, body)
    })
    .await
    .expect("the request ran")
}

/// A server with a site administrator, one project, a user in each role, an outsider, an
/// enrolled device, and the police instrument published.
pub struct Team {
    pub base: String,
    pub project: i64,
    /// (who, token): admin, manager, designer, analyst, enumerator, outsider, device.
    pub tokens: Vec<(&'static str, String)>,
}

impl Team {
    pub fn token(&self, who: &str) -> String {
        self.tokens
            .iter()
            .find(|(w, _)| *w == who)
            .map_or_else(|| panic!("no {who}"), |(_, t)| t.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }
}

pub async fn sign_in(base: &str, name: &str, password: &str) -> (u16, Value) {
    call(
        "POST",
        format!("{base}/api/v1/sessions"),
        None,
        json_bytes(&json!({"name": name, "password": password})),
    )
    .await
}

pub async fn team(db_url: &str) -> Team {
    dala_server::create_user(db_url, "root", "root password", true)
        .await
        .expect("admin");
    for name in ["manager", "designer", "analyst", "enumerator", "outsider"] {
        dala_server::create_user(db_url, name, &format!("{name} password"), false)
            .await
            .expect("user");
    }
    let base = start(db_url).await;
    let mut tokens = Vec::new();
    for name in [
        "root",
        "manager",
        "designer",
        "analyst",
        "enumerator",
        "outsider",
    ] {
        let (status, body) = sign_in(&base, name, &format!("{name} password")).await;
        assert_eq!(status, 200, "{body}");
        let who = if name == "root" { "admin" } else { name };
        tokens.push((who, body["token"].as_str().expect("token").to_string()));
    }
    let admin = tokens[0].1.clone();
    let (status, body) = call(
        "POST",
        format!("{base}/api/v1/projects"),
        Some(admin.clone()),
        json_bytes(&json!({"name": "Police survey"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let project = body["id"].as_i64().expect("id");
    for role in ["manager", "designer", "analyst", "enumerator"] {
        let (status, body) = call(
            "POST",
            format!("{base}/api/v1/projects/{project}/roles"),
            Some(admin.clone()),
            json_bytes(&json!({"user": role, "role": role})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = call(
        "POST",
        format!("{base}/api/v1/projects/{project}/devices"),
        Some(admin.clone()),
        json_bytes(&json!({"name": "tablet 7"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let link = body["link"].as_str().expect("a link");
    assert!(
        link.starts_with(&format!("{base}/enrol#project={project}&token=")),
        "{link}"
    );
    assert!(
        body["qr_svg"]
            .as_str()
            .is_some_and(|svg| svg.contains("<svg")),
        "{body}"
    );
    tokens.push(("device", body["token"].as_str().expect("token").to_string()));
    let (status, body) = call(
        "POST",
        format!("{base}/api/v1/projects/{project}/instruments"),
        Some(admin),
        police().to_json().into_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    Team {
        base,
        project,
        tokens,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_role_against_every_route() {
    // Who may call what, by hand from the roles' design (A administrator, M manager,
    // D designer, N analyst, E enumerator, V device); anyone else signed in is an outsider
    // (404: the project is not theirs to know of); nobody signed in gets 401.
    let routes: &[(&str, &str, &str)] = &[
        ("GET", "/projects/{p}/instruments", "AMDNEV"),
        (
            "GET",
            "/projects/{p}/instruments/{form}/{version}",
            "AMDNEV",
        ),
        ("POST", "/projects/{p}/instruments", "AMD"),
        (
            "GET",
            "/projects/{p}/instruments/{form}/{v2}/files",
            "AMDNEV",
        ),
        (
            "GET",
            "/projects/{p}/instruments/{form}/{v2}/files/badge.png",
            "AMDNEV",
        ),
        (
            "PUT",
            "/projects/{p}/instruments/{form}/{v2}/files/badge.png",
            "AMD",
        ),
        ("POST", "/projects/{p}/submissions", "AMEV"),
        ("GET", "/projects/{p}/submissions", "AMDN"),
        ("PUT", "/projects/{p}/submissions/uuid:seed/review", "AMN"),
        ("GET", "/projects/{p}/submissions/uuid:seed/review", "AMDN"),
        (
            "GET",
            "/projects/{p}/submissions/uuid:seed/files/1.jpg",
            "AMDN",
        ),
        (
            "GET",
            "/projects/{p}/exports/police_gender_representation",
            "AMDN",
        ),
        (
            "GET",
            "/projects/{p}/tables/police_gender_representation",
            "AMDN",
        ),
        (
            "POST",
            "/projects/{p}/tables/police_gender_representation",
            "AMDN",
        ),
        ("POST", "/projects/{p}/roles", "AM"),
        ("POST", "/projects/{p}/devices", "AM"),
        ("GET", "/projects/{p}/audit", "AM"),
        ("GET", "/projects/{p}/roles", "AM"),
        ("GET", "/projects/{p}/devices", "AM"),
        ("GET", "/projects/{p}/progress", "AMDN"),
        // Each caller its own record to delete.
        ("DELETE", "/projects/{p}/submissions/uuid:del-{who}", "AM"),
    ];
    for scratch in scratch("permissions") {
        let team = team(scratch.url()).await;
        let p = team.project;
        let police = police();
        // A record to review.
        let names = [
            "admin",
            "manager",
            "designer",
            "analyst",
            "enumerator",
            "device",
            "outsider",
            "anonymous",
        ];
        // A version with files, its picture held, to fetch and send again.
        let v2 = crate::form_files::police_with_files("v2");
        let (status, _) = call(
            "POST",
            team.url(&format!("/projects/{p}/instruments")),
            Some(team.token("admin")),
            v2.to_json().into_bytes(),
        )
        .await;
        assert_eq!(status, 201);
        let badge = team.url(&format!(
            "/projects/{p}/instruments/{}/v2/files/badge.png",
            police.settings.form_id
        ));
        let badge_png = crate::form_files::BADGE_PNG.to_vec();
        let (status, _) = call("PUT", badge, Some(team.token("admin")), badge_png.clone()).await;
        assert_eq!(status, 201);
        let photo = b"\xff\xd8 the seed's photo \xff\xd9".to_vec();
        let mut records = vec![with_photo("uuid:seed", &photo)];
        records.extend(
            names
                .iter()
                .map(|n| record(&format!("uuid:del-{n}"), "osh")),
        );
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/submissions")),
            Some(team.token("admin")),
            bundle_with_files(&records, |_, _| Some(photo.clone())),
        )
        .await;
        assert_eq!((status, body["added"].as_i64()), (200, Some(9)), "{body}");
        let who = [
            ('A', "admin"),
            ('M', "manager"),
            ('D', "designer"),
            ('N', "analyst"),
            ('E', "enumerator"),
            ('V', "device"),
        ];
        let mut wrong = Vec::new();
        for (method, template, allowed) in routes {
            let path = template
                .replace("{p}", &p.to_string())
                .replace("{form}", &police.settings.form_id)
                .replace("{version}", &police.settings.version)
                .replace("{v2}", "v2");
            let body = match *template {
                "/projects/{p}/instruments" => police.to_json().into_bytes(),
                "/projects/{p}/submissions" => bundle(&[record("uuid:matrix", "osh")]),
                "/projects/{p}/roles" => json_bytes(&json!({"user": "analyst", "role": "analyst"})),
                "/projects/{p}/devices" => json_bytes(&json!({"name": "tablet 8"})),
                "/projects/{p}/instruments/{form}/{v2}/files/badge.png" => badge_png.clone(),
                _ => json_bytes(&json!({"state": "approved"})),
            };
            for (letter, name) in who {
                let path = path.replace("{who}", name);
                let (status, answer) = call(
                    method,
                    team.url(&path),
                    Some(team.token(name)),
                    body.clone(),
                )
                .await;
                let ok = !matches!(status, 401 | 403 | 404);
                if ok != allowed.contains(letter) {
                    wrong.push(format!("{method} {template} as {name}: {status} {answer}"));
                }
                if !ok && !allowed.contains(letter) && status != 403 {
                    wrong.push(format!("{method} {template} as {name}: {status}, not 403"));
                }
            }
            let (status, _) = call(
                method,
                team.url(&path.replace("{who}", "outsider")),
                Some(team.token("outsider")),
                body.clone(),
            )
            .await;
            if status != 404 {
                wrong.push(format!(
                    "{method} {template} as an outsider: {status}, not 404"
                ));
            }
            let (status, answer) = call(
                method,
                team.url(&path.replace("{who}", "anonymous")),
                None,
                body,
            )
            .await;
            if status != 401 || answer["code"] != "S001" {
                wrong.push(format!("{method} {template} signed out: {status} {answer}"));
            }
        }
        // Site-wide routes.
        for (method, path, body) in [
            ("POST", "/projects", json_bytes(&json!({"name": "another"}))),
            ("GET", "/audit", Vec::new()),
            (
                "POST",
                "/users",
                json_bytes(&json!({"name": "new user", "password": "a long password"})),
            ),
        ] {
            for (_, name) in who {
                let (status, _) =
                    call(method, team.url(path), Some(team.token(name)), body.clone()).await;
                let want_ok = name == "admin";
                if (status < 300) != want_ok || (!want_ok && status != 403) {
                    wrong.push(format!("{method} {path} as {name}: {status}"));
                }
            }
        }
        assert!(wrong.is_empty(), "{}: {wrong:#?}", scratch.name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_record_sent_again_gets_its_receipt_and_other_content_is_refused() {
    for scratch in scratch("idempotent") {
        let team = team(scratch.url()).await;
        let url = team.url(&format!("/projects/{}/submissions", team.project));
        let device = Some(team.token("device"));
        let a = record("uuid:a", "bishkek");
        let (status, first) = call(
            "POST",
            url.clone(),
            device.clone(),
            bundle(std::slice::from_ref(&a)),
        )
        .await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["records"][0]["outcome"], "added");
        let (status, again) = call(
            "POST",
            url.clone(),
            device.clone(),
            bundle(std::slice::from_ref(&a)),
        )
        .await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["records"][0]["outcome"], "duplicate");
        assert_eq!(
            again["records"][0]["receipt"],
            first["records"][0]["receipt"]
        );
        let (status, changed) = call(
            "POST",
            url.clone(),
            device.clone(),
            bundle(&[record("uuid:a", "osh")]),
        )
        .await;
        assert_eq!(status, 409, "{changed}");
        assert_eq!(changed["records"][0]["code"], "S010");
        // A deleted record is refused when sent again, with its own code.
        let manager = Some(team.token("manager"));
        let (status, _) = call(
            "DELETE",
            team.url(&format!("/projects/{}/submissions/uuid:a", team.project)),
            manager.clone(),
            Vec::new(),
        )
        .await;
        assert_eq!(status, 204);
        let (status, deleted) = call(
            "POST",
            url.clone(),
            device.clone(),
            bundle(std::slice::from_ref(&a)),
        )
        .await;
        assert_eq!(
            (status, deleted["records"][0]["code"].as_str()),
            (409, Some("S011")),
            "{deleted}"
        );
        let (status, _) = call(
            "DELETE",
            team.url(&format!("/projects/{}/submissions/uuid:a", team.project)),
            manager,
            Vec::new(),
        )
        .await;
        assert_eq!(status, 404, "deleted once");
        // A damaged line is refused by its line; the others are taken.
        let mut mixed = bundle(&[record("uuid:b", "osh")]);
        mixed.extend(b"{not json\n");
        let (status, report) = call("POST", url.clone(), device.clone(), mixed).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(
            (report["added"].as_i64(), report["refused"].as_i64()),
            (Some(1), Some(1))
        );
        assert_eq!(report["records"][1]["line"], 3);
        assert_eq!(report["records"][1]["code"], "B001");
        // Not a bundle at all: the file's own code.
        let (status, refused) = call("POST", url, device, b"hello".to_vec()).await;
        assert_eq!(status, 422, "{refused}");
        assert!(
            refused["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("B0")),
            "{refused}"
        );
    }
}

/// Records with files (issue 19): a file a record brings is kept with it and read back as a
/// download of its media type, as it came; one sent again is not kept twice, and a record
/// sent first without its file gets it when sent again with it; a damaged file line is
/// refused by its line (B008) and its record taken; a deleted record's file is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_records_files_are_kept_with_it_and_read_back_as_downloads() {
    for scratch in scratch("files") {
        let team = team(scratch.url()).await;
        let p = team.project;
        let url = team.url(&format!("/projects/{p}/submissions"));
        let device = Some(team.token("device"));
        let photo = b"\xff\xd8 the Usenova family's house \xff\xd9".to_vec();
        let file_url = |id: &str| team.url(&format!("/projects/{p}/submissions/{id}/files/1.jpg"));
        let sent = bundle_with_files(&[with_photo("uuid:f1", &photo)], |_, _| Some(photo.clone()));
        let (status, report) = call("POST", url.clone(), device.clone(), sent.clone()).await;
        assert_eq!(
            (status, report["added"].as_i64()),
            (200, Some(1)),
            "{report}"
        );
        let wanted = [
            "content-type",
            "content-disposition",
            "x-content-type-options",
        ];
        let (status, headers, body) =
            get_raw(file_url("uuid:f1"), team.token("analyst"), &wanted).await;
        assert_eq!(status, 200);
        assert_eq!(headers, ["image/jpeg", "attachment", "nosniff"]);
        assert_eq!(body, photo, "{}", scratch.name());
        let (status, again) = call("POST", url.clone(), device.clone(), sent).await;
        assert_eq!(
            (status, again["duplicates"].as_i64()),
            (200, Some(1)),
            "{again}"
        );

        // Sent first without its photo (a hand-over that left it out), then with it.
        let later = with_photo("uuid:f2", &photo);
        let without = bundle_with_files(std::slice::from_ref(&later), |_, _| None);
        let (status, _) = call("POST", url.clone(), device.clone(), without).await;
        assert_eq!(status, 200);
        let (status, _, _) = get_raw(file_url("uuid:f2"), team.token("analyst"), &[]).await;
        assert_eq!(status, 404, "no file yet");
        let with = bundle_with_files(std::slice::from_ref(&later), |_, _| Some(photo.clone()));
        let (status, filled) = call("POST", url.clone(), device.clone(), with).await;
        assert_eq!(
            (status, filled["duplicates"].as_i64()),
            (200, Some(1)),
            "{filled}"
        );
        let (status, _, body) = get_raw(file_url("uuid:f2"), team.token("analyst"), &[]).await;
        assert_eq!((status, body), (200, photo.clone()));

        // A photo whose bytes are not those its record describes: refused by its line.
        let damaged = bundle_with_files(&[with_photo("uuid:f3", &photo)], |_, _| {
            Some(b"\xff\xd8 other bytes \xff\xd9".to_vec())
        });
        let (status, report) = call("POST", url.clone(), device.clone(), damaged).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(
            (report["added"].as_i64(), report["refused"].as_i64()),
            (Some(1), Some(1)),
            "{report}"
        );
        assert_eq!(report["records"][1]["code"], "B008", "{report}");
        let (status, _, _) = get_raw(file_url("uuid:f3"), team.token("analyst"), &[]).await;
        assert_eq!(status, 404);

        let (status, _) = call(
            "DELETE",
            team.url(&format!("/projects/{p}/submissions/uuid:f1")),
            Some(team.token("manager")),
            Vec::new(),
        )
        .await;
        assert_eq!(status, 204);
        let (status, _, _) = get_raw(file_url("uuid:f1"), team.token("analyst"), &[]).await;
        assert_eq!(status, 404, "a deleted record's file");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn fifty_concurrent_sends_of_one_record_store_one_row_and_give_one_receipt() {
    for scratch in scratch("race") {
        let team = team(scratch.url()).await;
        // A second server over the same database: its own pool, as another process has.
        let second = start(scratch.url()).await;
        let record = record("uuid:race", "osh");
        let calls = (0..50).map(|i| {
            let base = if i % 2 == 0 {
                team.base.clone()
            } else {
                second.clone()
            };
            let url = format!("{base}/api/v1/projects/{}/submissions", team.project);
            call(
                "POST",
                url,
                Some(team.token("device")),
                bundle(std::slice::from_ref(&record)),
            )
        });
        let answers = futures_join(calls.collect()).await;
        let receipts: Vec<&Value> = answers
            .iter()
            .map(|(_, b)| &b["records"][0]["receipt"])
            .collect();
        assert!(
            answers.iter().all(|(s, _)| *s == 200),
            "{}: {answers:?}",
            scratch.name()
        );
        assert!(
            receipts.iter().all(|r| *r == receipts[0] && !r.is_null()),
            "{receipts:?}"
        );
        let added = answers
            .iter()
            .filter(|(_, b)| b["records"][0]["outcome"] == "added")
            .count();
        assert_eq!(added, 1, "{}: one send stored it", scratch.name());
        let (_, page) = call(
            "GET",
            team.url(&format!("/projects/{}/submissions", team.project)),
            Some(team.token("admin")),
            Vec::new(),
        )
        .await;
        assert_eq!(
            page["submissions"].as_array().map(Vec::len),
            Some(1),
            "{page}"
        );
    }
}

async fn futures_join(
    calls: Vec<impl std::future::Future<Output = (u16, Value)> + Send + 'static>,
) -> Vec<(u16, Value)> {
    let handles: Vec<_> = calls.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("a call"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_tells_no_one_which_names_exist() {
    for scratch in scratch("sign_in") {
        let team = team(scratch.url()).await;
        let (s1, wrong_password) = sign_in(&team.base, "manager", "guess").await;
        let (s2, no_user) = sign_in(&team.base, "nobody", "guess").await;
        assert_eq!((s1, s2), (401, 401));
        assert_eq!(wrong_password, no_user, "the same answer either way");
        assert_eq!(no_user["code"], "S003");
        // An administrator makes an account through the API; it signs in.
        let admin = Some(team.token("admin"));
        let (status, short) = call(
            "POST",
            team.url("/users"),
            admin.clone(),
            json_bytes(&json!({"name": "dinara", "password": "short"})),
        )
        .await;
        assert_eq!(
            (status, short["code"].as_str()),
            (400, Some("S005")),
            "{short}"
        );
        let (status, made) = call(
            "POST",
            team.url("/users"),
            admin.clone(),
            json_bytes(&json!({"name": "dinara", "password": "a long password"})),
        )
        .await;
        assert_eq!(status, 201, "{made}");
        let (status, again) = call(
            "POST",
            team.url("/users"),
            admin,
            json_bytes(&json!({"name": "dinara", "password": "another long one"})),
        )
        .await;
        assert_eq!(
            (status, again["code"].as_str()),
            (409, Some("S007")),
            "{again}"
        );
        assert_eq!(
            sign_in(&team.base, "dinara", "a long password").await.0,
            200
        );
        // Signing out ends the token.
        let token = team.token("analyst");
        let (status, _) = call(
            "DELETE",
            team.url("/sessions"),
            Some(token.clone()),
            Vec::new(),
        )
        .await;
        assert_eq!(status, 204);
        let (status, _) = call("GET", team.url("/projects"), Some(token), Vec::new()).await;
        assert_eq!(status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limits_pages_and_publishing_rules() {
    for scratch in scratch("limits") {
        let team = team(scratch.url()).await;
        let p = team.project;
        let admin = Some(team.token("admin"));
        // Over the body limit: 413 with its code.
        let big = vec![b' '; dala_server::api::MAX_BODY_BYTES + 1];
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/submissions")),
            admin.clone(),
            big,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (413, Some("S006")),
            "{body}"
        );
        // A version never changes; the same document again is a success that changes nothing.
        let mut changed = police();
        changed.settings.title = Default::default();
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/instruments")),
            admin.clone(),
            police().to_json().into_bytes(),
        )
        .await;
        assert_eq!(
            (status, body["added"].as_bool()),
            (200, Some(false)),
            "{body}"
        );
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/instruments")),
            admin.clone(),
            changed.to_json().into_bytes(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("S021")),
            "{body}"
        );
        // An instrument with errors is refused with each located.
        let mut broken = police();
        broken.settings.version = "2099010101".into();
        broken.survey[0].relevant = Some("${nowhere} = 1".into());
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/instruments")),
            admin.clone(),
            broken.to_json().into_bytes(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("S020")),
            "{body}"
        );
        assert!(
            body["details"][0]["pointer"]
                .as_str()
                .is_some_and(|p| p.starts_with("/survey/0")),
            "{body}"
        );
        // The seed workbook publishes as its instrument does.
        let workbook = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../surveys/police-gender-representation/instrument.xlsx"
        ))
        .expect("workbook");
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/instruments?name=instrument.xlsx")),
            admin.clone(),
            workbook,
        )
        .await;
        assert!(status == 200 || status == 201, "{status} {body}");
        assert_eq!(
            body["form_id"].as_str(),
            Some(police().settings.form_id.as_str())
        );
        // Pages by change sequence, with an ETag that holds while nothing changes.
        let records: Vec<Submission> = (0..5)
            .map(|i| record(&format!("uuid:{i}"), "osh"))
            .collect();
        call(
            "POST",
            team.url(&format!("/projects/{p}/submissions")),
            admin.clone(),
            bundle(&records),
        )
        .await;
        let (_, first) = call(
            "GET",
            team.url(&format!("/projects/{p}/submissions?limit=2")),
            admin.clone(),
            Vec::new(),
        )
        .await;
        assert_eq!(first["submissions"].as_array().map(Vec::len), Some(2));
        let next = first["next"].as_i64().expect("next");
        let (_, second) = call(
            "GET",
            team.url(&format!("/projects/{p}/submissions?after={next}&limit=10")),
            admin.clone(),
            Vec::new(),
        )
        .await;
        assert_eq!(second["submissions"].as_array().map(Vec::len), Some(3));
        assert_eq!(second["submissions"][0]["instance_id"], "uuid:2");
        // A new version is checked against the data collected, as the designer's publish is:
        // removing the district `karakol` that a record answers is refused with S023 naming
        // it, unless the request accepts it; removing an unused choice is no break.
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/submissions")),
            admin.clone(),
            bundle(&[record("uuid:karakol", "karakol")]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let publish = |instrument: &Instrument, accept: bool| {
            let url = team.url(&format!(
                "/projects/{p}/instruments{}",
                if accept { "?accept_breaking=true" } else { "" }
            ));
            call(
                "POST",
                url,
                admin.clone(),
                instrument.to_json().into_bytes(),
            )
        };
        let without = |instrument: &Instrument, version: &str, choice: &str| {
            let mut next = instrument.clone();
            next.settings.version = version.into();
            for list in next.choices.values_mut() {
                list.retain(|c| c.name != choice);
            }
            next
        };
        let unused = without(&police(), "2099010102", "bishkek_lenin");
        for district in ["bishkek_lenin", "karakol"] {
            assert!(
                police().choices["district"]
                    .iter()
                    .any(|c| c.name == district),
                "the police survey offers {district}"
            );
        }
        let (status, body) = publish(&unused, false).await;
        assert_eq!(
            (status, body["added"].as_bool()),
            (201, Some(true)),
            "{body}"
        );
        let breaking = without(&unused, "2099010103", "karakol");
        let (status, body) = publish(&breaking, false).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("S023")),
            "{body}"
        );
        assert_eq!(body["details"][0]["name"], "district", "{body}");
        assert!(
            body["details"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("`karakol`")),
            "{body}"
        );
        let (status, body) = publish(&breaking, true).await;
        assert_eq!(
            (status, body["added"].as_bool()),
            (201, Some(true)),
            "{body}"
        );
        // An older version sent again is what it always was: published, unchanged, even when
        // it lacks a choice that the latest version offers and a record answers.
        let mut full = police();
        full.settings.version = "2099010104".into();
        let (status, body) = publish(&full, false).await;
        assert_eq!(
            (status, body["added"].as_bool()),
            (201, Some(true)),
            "{body}"
        );
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/submissions")),
            admin.clone(),
            bundle(&[record("uuid:lenin", "bishkek_lenin")]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = publish(&unused, false).await;
        assert_eq!(
            (status, body["added"].as_bool()),
            (200, Some(false)),
            "{body}"
        );
        // Unknown routes and bad bodies have codes too.
        let (status, body) = call("GET", team.url("/nowhere"), admin.clone(), Vec::new()).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("S004")));
        let (status, body) =
            call("POST", team.url("/projects"), admin.clone(), b"{".to_vec()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("S005")),
            "{body}"
        );
        let (status, body) = call(
            "PUT",
            team.url(&format!("/projects/{p}/submissions/uuid:0/review")),
            admin.clone(),
            json_bytes(&json!({"state": "great"})),
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (422, Some("S022")));
        // The audit log saw the changes.
        let (_, log) = call(
            "GET",
            team.url(&format!("/projects/{p}/audit")),
            admin,
            Vec::new(),
        )
        .await;
        let actions: Vec<&str> = log["audit"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["action"].as_str())
            .collect();
        for action in [
            "project.create",
            "role.set",
            "device.enrol",
            "instrument.publish",
            "submissions.add",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
    }
}
