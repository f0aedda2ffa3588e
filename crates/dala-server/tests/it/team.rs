//! What a manager reads about the team: members, devices with their last contact and the
//! records they sent, and the field progress by sender and by district.

use crate::api::{bundle, call, team};
use crate::harness::scratch;
use crate::store::record;
use serde_json::{Value, json};

fn today() -> String {
    // The server's clock, as it writes received times (UTC): the day is their first ten
    // characters.
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        / 86_400;
    let date = dala_expr::date::format_date_time(dala_expr::date::DateTime {
        epoch_ms: i64::try_from(days * 86_400_000).expect("fits"),
        offset_minutes: 0,
    });
    date[..10].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sees_members_devices_and_progress() {
    for scratch in scratch("team") {
        let team = team(scratch.url()).await;
        let p = team.project;
        let get = |path: String, who: &'static str| {
            let url = team.url(&path);
            let token = team.token(who);
            async move { call("GET", url, Some(token), Vec::new()).await }
        };
        let (status, members) = get(format!("/projects/{p}/roles"), "manager").await;
        assert_eq!(status, 200, "{members}");
        assert_eq!(
            members["members"],
            json!([
                {"user": "analyst", "role": "analyst"},
                {"user": "designer", "role": "designer"},
                {"user": "enumerator", "role": "enumerator"},
                {"user": "manager", "role": "manager"},
            ]),
            "{}",
            scratch.name()
        );

        // Before it sends anything the device was seen by no request.
        let (_, devices) = get(format!("/projects/{p}/devices"), "manager").await;
        let device = &devices["devices"][0];
        assert_eq!(
            (&device["name"], &device["records"], &device["last_seen"]),
            (&json!("tablet 7"), &json!(0), &Value::Null),
            "{devices}"
        );
        // Two records from the tablet (Osh, Bishkek), one by the manager (Osh).
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/submissions")),
            Some(team.token("device")),
            bundle(&[record("uuid:t1", "osh"), record("uuid:t2", "bishkek")]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = call(
            "POST",
            team.url(&format!("/projects/{p}/submissions")),
            Some(team.token("manager")),
            bundle(&[record("uuid:m1", "osh")]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (_, devices) = get(format!("/projects/{p}/devices"), "manager").await;
        let device = &devices["devices"][0];
        assert_eq!(device["records"], 2, "{devices}");
        let day = today();
        for field in ["last_seen", "last_record"] {
            assert!(
                device[field].as_str().is_some_and(|t| t.starts_with(&day)),
                "{field}: {devices}"
            );
        }
        assert_eq!(device["revoked"], Value::Null);
        let id = device["id"].as_i64().expect("an id");

        let (status, progress) = get(format!("/projects/{p}/progress"), "analyst").await;
        assert_eq!(status, 200, "{progress}");
        assert_eq!(
            progress["progress"],
            json!([
                {"day": day, "sender": format!("device:{id}:tablet 7"), "value": null, "records": 2},
                {"day": day, "sender": "user:manager", "value": null, "records": 1},
            ]),
            "{}",
            scratch.name()
        );
        let (status, progress) = get(
            format!("/projects/{p}/progress?form=police_gender_representation&by=district"),
            "analyst",
        )
        .await;
        assert_eq!(status, 200, "{progress}");
        assert_eq!(
            progress["progress"],
            json!([
                {"day": day, "sender": format!("device:{id}:tablet 7"), "value": "bishkek", "records": 1},
                {"day": day, "sender": format!("device:{id}:tablet 7"), "value": "osh", "records": 1},
                {"day": day, "sender": "user:manager", "value": "osh", "records": 1},
            ]),
        );
        // Another form: nothing.
        let (_, progress) = get(format!("/projects/{p}/progress?form=other"), "analyst").await;
        assert_eq!(progress["progress"], json!([]));
        let (status, refused) = get(format!("/projects/{p}/progress?by=district"), "analyst").await;
        assert_eq!(
            (status, &refused["code"]),
            (422, &json!("S024")),
            "{refused}"
        );

        // The review queue: records in one state.
        let (status, _) = call(
            "PUT",
            team.url(&format!("/projects/{p}/submissions/uuid:t2/review")),
            Some(team.token("analyst")),
            serde_json::to_vec(&json!({"state": "has_issues", "comment": "the district?"}))
                .expect("JSON"),
        )
        .await;
        assert_eq!(status, 200);
        let queue = |state: &'static str| {
            get(
                format!("/projects/{p}/submissions?review_state={state}"),
                "analyst",
            )
        };
        let ids = |page: &Value| -> Vec<String> {
            page["submissions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["instance_id"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        let (_, received) = queue("received").await;
        assert_eq!(ids(&received), ["uuid:t1", "uuid:m1"], "{received}");
        let (_, issues) = queue("has_issues").await;
        assert_eq!(ids(&issues), ["uuid:t2"], "{issues}");
        let (status, refused) = queue("lost").await;
        assert_eq!(
            (status, &refused["code"]),
            (422, &json!("S022")),
            "{refused}"
        );

        // Revoked: listed as such, its records still counted.
        let (status, _) = call(
            "DELETE",
            team.url(&format!("/projects/{p}/devices/{id}")),
            Some(team.token("manager")),
            Vec::new(),
        )
        .await;
        assert_eq!(status, 204);
        let (_, devices) = get(format!("/projects/{p}/devices"), "manager").await;
        assert!(devices["devices"][0]["revoked"].is_string(), "{devices}");
        assert_eq!(devices["devices"][0]["records"], 2);
    }
}
