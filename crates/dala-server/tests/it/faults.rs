//! The database going away under a running server.

use crate::api::{bundle, call, team};
use crate::store::record;
use dala_e2e::postgres::OwnCluster;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_stopped_during_a_push_is_a_503_and_the_server_recovers_by_itself() {
    let cluster = tokio::task::spawn_blocking(|| OwnCluster::create("gone"))
        .await
        .expect("ran")
        .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    let cluster = std::sync::Arc::new(cluster);
    let team = team(&cluster.url()).await;
    let url = team.url(&format!("/projects/{}/submissions", team.project));
    let device = Some(team.token("device"));
    let before = record("uuid:before", "osh");
    let during = record("uuid:during", "osh");
    let (status, body) = call("POST", url.clone(), device.clone(), bundle(&[before])).await;
    assert_eq!(status, 200, "{body}");

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop())
        .await
        .expect("ran")
        .expect("stopped");
    let (status, body) = call(
        "POST",
        url.clone(),
        device.clone(),
        bundle(std::slice::from_ref(&during)),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("S030")),
        "{body}"
    );

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start())
        .await
        .expect("ran")
        .expect("started");
    // The server reconnects by itself: the tablet's next try is taken.
    let deadline = Instant::now() + Duration::from_secs(60);
    let answer = loop {
        let (status, body) = call(
            "POST",
            url.clone(),
            device.clone(),
            bundle(std::slice::from_ref(&during)),
        )
        .await;
        if status == 200 || Instant::now() > deadline {
            break (status, body);
        }
        assert_eq!(status, 503, "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(
        answer.1["records"][0]["outcome"], "added",
        "nothing of the failed try was kept"
    );
    let (_, page) = call(
        "GET",
        team.url(&format!("/projects/{}/submissions", team.project)),
        Some(team.token("admin")),
        Vec::new(),
    )
    .await;
    let ids: Vec<&str> = page["submissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["instance_id"].as_str())
        .collect();
    assert_eq!(ids, ["uuid:before", "uuid:during"]);
    drop(team);
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .expect("dropped");
}
