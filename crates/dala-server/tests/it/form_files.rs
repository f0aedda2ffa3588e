//! The files an instrument version attaches: sent by a designer after publishing, exactly as
//! the version's document describes them, and fetched by tablets.

use crate::api::{call, get_raw, team};
use crate::harness::scratch;
use crate::store::police;
use dala_core::{Attachment, Instrument};
use serde_json::json;

pub const DISTRICTS_CSV: &[u8] = b"name,label\nosh,Osh\nbishkek,Bishkek\n";
pub const BADGE_PNG: &[u8] = b"\x89PNG\r\n\x1a\n a police badge";

/// The police instrument as version `version`, attaching a list and a picture.
pub fn police_with_files(version: &str) -> Instrument {
    let mut instrument = police();
    instrument.settings.version = version.to_string();
    instrument.attachments = vec![
        Attachment::of("districts.csv", "text/csv", DISTRICTS_CSV),
        Attachment::of("badge.png", "image/png", BADGE_PNG),
    ];
    instrument
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_versions_files_are_taken_as_described_and_fetched_by_tablets() {
    for scratch in scratch("form-files") {
        let team = team(scratch.url()).await;
        let p = team.project;
        let with_files = police_with_files("2026-12-07");
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/instruments")),
            Some(team.token("designer")),
            with_files.to_json().into_bytes(),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let form = &with_files.settings.form_id;
        let base = format!("/projects/{p}/instruments/{form}/2026-12-07/files");
        let file = |name: &str| team.url(&format!("{base}/{name}"));
        let held = || async {
            let (status, listed) = call(
                "GET",
                team.url(&base),
                Some(team.token("device")),
                Vec::new(),
            )
            .await;
            assert_eq!(status, 200, "{listed}");
            listed
                .as_array()
                .expect("a list")
                .iter()
                .map(|f| {
                    (
                        f["name"].as_str().unwrap_or_default().to_string(),
                        f["held"] == true,
                    )
                })
                .collect::<Vec<_>>()
        };
        // Published, no file sent yet: listed as not held, and not there to fetch.
        assert_eq!(
            held().await,
            [
                ("districts.csv".to_string(), false),
                ("badge.png".to_string(), false)
            ]
        );
        let (status, _, _) = get_raw(file("districts.csv"), team.token("device"), &[]).await;
        assert_eq!(status, 404);

        // Bytes other than those described (one more line): S026, nothing kept.
        let mut other = DISTRICTS_CSV.to_vec();
        other.extend_from_slice(b"naryn,Naryn\n");
        let (status, body) = call(
            "PUT",
            file("districts.csv"),
            Some(team.token("designer")),
            other,
        )
        .await;
        assert_eq!((status, &body["code"]), (422, &json!("S026")), "{body}");
        // A name the version does not attach.
        let (status, _) = call(
            "PUT",
            file("villages.csv"),
            Some(team.token("designer")),
            DISTRICTS_CSV.to_vec(),
        )
        .await;
        assert_eq!(status, 404);

        // The right bytes: taken once, then held.
        let put = |name: &str, bytes: &[u8]| {
            call(
                "PUT",
                file(name),
                Some(team.token("designer")),
                bytes.to_vec(),
            )
        };
        let (status, body) = put("districts.csv", DISTRICTS_CSV).await;
        assert_eq!((status, &body["added"]), (201, &json!(true)), "{body}");
        let (status, body) = put("districts.csv", DISTRICTS_CSV).await;
        assert_eq!((status, &body["added"]), (200, &json!(false)), "{body}");
        assert_eq!(
            held().await,
            [
                ("districts.csv".to_string(), true),
                ("badge.png".to_string(), false)
            ]
        );
        let (status, headers, bytes) = get_raw(
            file("districts.csv"),
            team.token("device"),
            &["content-type", "x-content-type-options"],
        )
        .await;
        assert_eq!(
            (status, headers),
            (200, vec!["text/csv".to_string(), "nosniff".to_string()])
        );
        assert_eq!(bytes, DISTRICTS_CSV, "{}", scratch.name());

        // A later version attaching the same list finds it held: files are kept by digest.
        let later = police_with_files("2026-12-08");
        let (status, _) = call(
            "POST",
            team.url(&format!("/projects/{p}/instruments")),
            Some(team.token("designer")),
            later.to_json().into_bytes(),
        )
        .await;
        assert_eq!(status, 201);
        let (_, listed) = call(
            "GET",
            team.url(&format!(
                "/projects/{p}/instruments/{form}/2026-12-08/files"
            )),
            Some(team.token("device")),
            Vec::new(),
        )
        .await;
        assert_eq!(listed[0]["held"], true, "{listed}");
        assert_eq!(listed[1]["held"], false, "{listed}");

        // The audit log names the file once, by version and name.
        let (_, audit) = call(
            "GET",
            team.url(&format!("/projects/{p}/audit")),
            Some(team.token("manager")),
            Vec::new(),
        )
        .await;
        let files: Vec<&serde_json::Value> = audit["audit"]
            .as_array()
            .expect("the audit")
            .iter()
            .filter(|e| e["action"] == "instrument.file")
            .collect();
        assert_eq!(files.len(), 1, "{audit}");
        assert_eq!(
            files[0]["target"],
            json!(format!("{form}@2026-12-07/districts.csv")),
            "{audit}"
        );
    }
}
