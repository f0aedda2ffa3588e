//! The wide export from the server (issue 21): a .zip streamed from the database, with the
//! records' files, filters, an ETag while nothing changed, and a cursor for incremental
//! pulls. That its bytes are `dala export`'s for the same records is the command line's test.

use crate::api::{bundle, bundle_with_files, call, team};
use crate::harness::scratch;
use crate::store::record;
use dala_core::record::Submission;
use std::io::Read;

/// A GET with extra request headers: status, the response headers asked for, the body.
async fn get(
    url: String,
    token: String,
    send: Vec<(&'static str, String)>,
    wanted: &'static [&'static str],
) -> (u16, Vec<String>, Vec<u8>) {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent
            .get(&url)
            .header("Authorization", &format!("Bearer {token}"));
        for (name, value) in &send {
            request = request.header(*name, value);
        }
        let mut response = request.call().expect("the server answers");
        let values = wanted
            .iter()
            .map(|h| {
                response
                    .headers()
                    .get(*h)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap_or_default();
        (status, values, body)
    })
    .await
    .expect("the call ran")
}

/// The files of a .zip by name, in the archive's order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the export is a .zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("an entry");
            let mut content = Vec::new();
            file.read_to_end(&mut content).expect("its bytes");
            (file.name().to_string(), content)
        })
        .collect()
}

/// The main table's rows (header first), split as plain CSV (the test's records hold no
/// comma, quote or line break).
fn main_rows(files: &[(String, Vec<u8>)]) -> Vec<Vec<String>> {
    let text = String::from_utf8(files[0].1.clone()).expect("UTF-8");
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let at = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[at].clone()).collect()
}

fn with_photo(id: &str, district: &str, photo: &[u8]) -> Submission {
    let mut r = record(id, district);
    r.files = vec![dala_core::Attachment::of("1.jpg", "image/jpeg", photo)];
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_export_streams_the_records_with_their_files_filters_them_and_gives_a_cursor() {
    for scratch in scratch("export") {
        let team = team(scratch.url()).await;
        let p = team.project;
        let at = |what: &str| format!("{} on {}", what, scratch.name());
        let device = Some(team.token("device"));
        let submissions = team.url(&format!("/projects/{p}/submissions"));
        let photo = b"\xff\xd8 a police station in Osh \xff\xd9".to_vec();
        let sent = bundle_with_files(
            &[
                with_photo("uuid:e1", "osh", &photo),
                record("uuid:e2", "bishkek"),
                with_photo("uuid:e3", "karakol", &photo),
            ],
            // The third record's photo stays on the tablet.
            |r, _| (r.instance_id != "uuid:e3").then(|| photo.clone()),
        );
        let (status, report) = call("POST", submissions.clone(), device.clone(), sent).await;
        assert_eq!(
            (status, report["added"].as_i64()),
            (200, Some(3)),
            "{report}"
        );

        let form = "police_gender_representation";
        let export = |query: &str| team.url(&format!("/projects/{p}/exports/{form}{query}"));
        let wanted: &'static [&'static str] =
            &["content-type", "content-disposition", "etag", "dala-cursor"];
        let (status, headers, body) = get(export(""), team.token("analyst"), vec![], wanted).await;
        assert_eq!(status, 200, "{}", at("the export"));
        assert_eq!(headers[0], "application/zip");
        assert_eq!(headers[1], format!("attachment; filename=\"{form}.zip\""));
        let files = unzip(&body);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [format!("{form}.csv").as_str(), "files/uuid:e1/1.jpg"],
            "{}: the photo the server holds, under files/ as ODK Central puts it",
            scratch.name()
        );
        assert_eq!(files[1].1, photo);
        let rows = main_rows(&files);
        assert_eq!(column(&rows, "KEY"), ["uuid:e1", "uuid:e2", "uuid:e3"]);
        assert_eq!(
            column(&rows, "main-respondent-district"),
            ["osh", "bishkek", "karakol"]
        );
        let etag = headers[2].clone();
        let cursor: i64 = headers[3].parse().expect("a cursor");
        assert!(cursor >= 3, "{cursor}");

        // Nothing changed: 304 for the same ETag.
        let (status, _, body) = get(
            export(""),
            team.token("analyst"),
            vec![("If-None-Match", etag.clone())],
            wanted,
        )
        .await;
        assert_eq!((status, body.len()), (304, 0), "{}", at("not modified"));

        // Without the files: the tables alone.
        let (_, _, body) = get(
            export("?files=false"),
            team.token("analyst"),
            vec![],
            wanted,
        )
        .await;
        assert_eq!(unzip(&body).len(), 1);

        // Filters: device, review state, dates; a bad filter is S024, located by its name.
        let (status, _) = call(
            "PUT",
            team.url(&format!("/projects/{p}/submissions/uuid:e2/review")),
            Some(team.token("analyst")),
            br#"{"state":"approved","comment":"checked with the station"}"#.to_vec(),
        )
        .await;
        assert_eq!(status, 200);
        let (status, headers_after, body) = get(
            export(""),
            team.token("analyst"),
            vec![("If-None-Match", etag)],
            wanted,
        )
        .await;
        assert_eq!(status, 200, "{}", at("a review changes the export's ETag"));
        let after_review: i64 = headers_after[3].parse().expect("a cursor");
        assert!(after_review > cursor, "a review moves the cursor");
        assert_eq!(column(&main_rows(&unzip(&body)), "KEY").len(), 3);
        let keys = |body: Vec<u8>| column(&main_rows(&unzip(&body)), "KEY");
        let (_, _, body) = get(
            export("?review_state=approved"),
            team.token("analyst"),
            vec![],
            wanted,
        )
        .await;
        assert_eq!(keys(body), ["uuid:e2"]);
        let (_, _, body) = get(
            export("?review_state=received,has_issues&files=false"),
            team.token("analyst"),
            vec![],
            wanted,
        )
        .await;
        assert_eq!(keys(body), ["uuid:e1", "uuid:e3"]);
        let (_, _, body) = get(
            export("?device=tab-2"),
            team.token("analyst"),
            vec![],
            wanted,
        )
        .await;
        assert_eq!(keys(body), Vec::<String>::new());
        let (_, _, body) = get(
            export("?received_from=2000-01-01&received_to=2999-01-01"),
            team.token("analyst"),
            vec![],
            wanted,
        )
        .await;
        assert_eq!(keys(body).len(), 3);
        let (_, _, body) = get(
            export("?received_to=2000-01-01"),
            team.token("analyst"),
            vec![],
            wanted,
        )
        .await;
        assert_eq!(keys(body).len(), 0);
        for bad in ["?review_state=done", "?received_from=yesterday"] {
            let (status, body) =
                call("GET", export(bad), Some(team.token("analyst")), vec![]).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (422, Some("S024")),
                "{bad}: {body}"
            );
        }
        let (status, body) = call(
            "GET",
            export("?colour=red"),
            Some(team.token("analyst")),
            vec![],
        )
        .await;
        assert_eq!(status, 400, "an unknown parameter: {body}");

        // Incremental: after the first export's cursor, only what changed since: the review.
        let (_, headers, body) = get(
            export(&format!("?after={cursor}")),
            team.token("analyst"),
            vec![],
            wanted,
        )
        .await;
        assert_eq!(
            keys(body),
            ["uuid:e2"],
            "{}",
            at("changed since the cursor")
        );
        assert_eq!(headers[3], after_review.to_string());
        let (status, report) = call(
            "POST",
            submissions.clone(),
            device.clone(),
            bundle(&[record("uuid:e4", "naryn")]),
        )
        .await;
        assert_eq!((status, report["added"].as_i64()), (200, Some(1)));
        let (_, _, body) = get(
            export(&format!("?after={after_review}")),
            team.token("analyst"),
            vec![],
            wanted,
        )
        .await;
        assert_eq!(keys(body), ["uuid:e4"]);

        // A deleted record leaves the export; the listing names it once more, as deleted.
        let (status, _) = call(
            "DELETE",
            team.url(&format!("/projects/{p}/submissions/uuid:e1")),
            Some(team.token("manager")),
            Vec::new(),
        )
        .await;
        assert_eq!(status, 204);
        let (_, _, body) = get(export(""), team.token("analyst"), vec![], wanted).await;
        assert_eq!(keys(body), ["uuid:e2", "uuid:e3", "uuid:e4"]);
        let (status, page) = call(
            "GET",
            team.url(&format!("/projects/{p}/submissions?after={after_review}")),
            Some(team.token("analyst")),
            vec![],
        )
        .await;
        assert_eq!(status, 200);
        let listed: Vec<(&str, bool)> = page["submissions"]
            .as_array()
            .expect("a page")
            .iter()
            .map(|s| {
                (
                    s["instance_id"].as_str().unwrap_or(""),
                    s["deleted"].is_string(),
                )
            })
            .collect();
        assert_eq!(listed, [("uuid:e4", false), ("uuid:e1", true)], "{page}");

        // Who may: analysts and up; not an enumerator, not a device; an unknown form is 404.
        for who in ["enumerator", "device"] {
            let (status, _) = call("GET", export(""), Some(team.token(who)), vec![]).await;
            assert_eq!(status, 403, "{who}");
        }
        let (status, _) = call(
            "GET",
            team.url(&format!("/projects/{p}/exports/no_such_form")),
            Some(team.token("analyst")),
            vec![],
        )
        .await;
        assert_eq!(status, 404);
    }
}
