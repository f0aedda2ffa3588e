//! The ingest benchmark's engine (run by `cargo xtask bench server`): on one database, the
//! server in this process takes single police-survey records from concurrent clients, each a
//! device with its own token and keep-alive connection, answering only after a durable commit;
//! then the floor, the same rows inserted by a bare loop with the same durability and
//! concurrency and no HTTP. Prints one JSON object.
//!
//! `cargo run --profile bench-cli -p dala-server --example ingest -- DB_URL RECORDS CLIENTS`

mod common;

use common::percentile;
use dala_core::Instrument;
use dala_core::record::{Answer, BUNDLE_KIND, BundleHeader, RECORD_FORMAT, Status, Submission};
use dala_server::Db;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn police() -> Instrument {
    let text = include_str!("../../../surveys/police-gender-representation/instrument.json");
    Instrument::from_json(text).expect("the police instrument")
}

/// A plausible police-survey record (the answers vary with `n`).
fn record(police: &Instrument, prefix: &str, n: usize) -> Submission {
    let pick = |options: &[&str]| options[n % options.len()].to_string();
    let answers = BTreeMap::from([
        ("wave".to_string(), Answer::Value(pick(&["2014", "2015"]))),
        ("consent".to_string(), Answer::Value("yes".into())),
        (
            "region".to_string(),
            Answer::Value(pick(&["chui", "osh", "jalal_abad", "naryn"])),
        ),
        ("sex".to_string(), Answer::Value(pick(&["female", "male"]))),
        (
            "age_group".to_string(),
            Answer::Value(pick(&["18_24", "25_34", "35_44", "45_plus"])),
        ),
        (
            "years_service".to_string(),
            Answer::Value((n % 30).to_string()),
        ),
        (
            "comment".to_string(),
            Answer::Value(format!("Комментарий {n}: рабочая обстановка")),
        ),
    ]);
    Submission {
        format: RECORD_FORMAT,
        held: Vec::new(),
        files: Vec::new(),
        instance_name: None,
        instance_id: format!("uuid:{prefix}-{n:08}"),
        instrument_id: police.settings.form_id.clone(),
        instrument_version: police.settings.version.clone(),
        status: Status::Finalized,
        started: "2015-03-17T09:00:00.000+06:00".into(),
        updated: "2015-03-17T09:10:00.000+06:00".into(),
        finalized: Some("2015-03-17T09:10:00.000+06:00".into()),
        enumerator: format!("enumerator {}", n % 20),
        device_id: format!("tab-{}", n % 20),
        answers,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, records, clients] = &args[..] else {
        eprintln!("usage: ingest DB_URL RECORDS CLIENTS");
        std::process::exit(2);
    };
    let records: usize = records.parse().expect("RECORDS");
    let clients: usize = clients.parse().expect("CLIENTS");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let police = police();
    let (db, project, tokens) = runtime.block_on(async {
        let db = Db::open(url).await.expect("the database");
        let project = db.create_project("bench").await.expect("project");
        db.publish(
            project,
            &police.settings.form_id,
            &police.settings.version,
            &police.to_json(),
            0,
        )
        .await
        .expect("publish");
        let mut tokens = Vec::new();
        for i in 0..clients {
            let device = db
                .create_device(project, &format!("tablet {i}"))
                .await
                .expect("device");
            let (token, hash) = dala_server::auth::new_token().expect("token");
            db.add_token(&hash, None, Some(device), None)
                .await
                .expect("token");
            tokens.push(token);
        }
        (db, project, tokens)
    });
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    let config = dala_server::ServeConfig {
        db: url.clone(),
        addr: "127.0.0.1:0".parse().expect("addr"),
        dist: None,
        tls: None,
    };
    runtime.spawn(async move {
        let _ = dala_server::serve(config, move |addr| {
            let _ = tx.send(addr);
        })
        .await;
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server started");
    let endpoint = format!("http://{addr}/api/v1/projects/{project}/submissions");
    let header = BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: police.settings.form_id.clone(),
        instrument_version: police.settings.version.clone(),
        device_id: "tab".into(),
        created: "2015-03-18T10:00:00.000+06:00".into(),
    };
    // Each client's bodies, made before the clock starts.
    let bodies: Vec<Vec<Vec<u8>>> = (0..clients)
        .map(|c| {
            (c..records)
                .step_by(clients)
                .map(|n| {
                    dala_core::record::write_bundle(&header, &[record(&police, "http", n)])
                        .into_bytes()
                })
                .collect()
        })
        .collect();
    let start = Instant::now();
    let threads: Vec<_> = bodies
        .into_iter()
        .zip(tokens)
        .map(|(bodies, token)| {
            let endpoint = endpoint.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut latencies = Vec::with_capacity(bodies.len());
                let mut failures = 0usize;
                for body in bodies {
                    let t = Instant::now();
                    let answer = agent
                        .post(&endpoint)
                        .header("Authorization", format!("Bearer {token}"))
                        .header("Content-Type", "application/x-ndjson")
                        .send(&body[..]);
                    match answer {
                        Ok(mut r) if r.status().as_u16() == 200 => {
                            let _ = r.body_mut().read_to_string();
                        }
                        _ => failures += 1,
                    }
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for t in threads {
        let (l, f) = t.join().expect("a client");
        latencies.extend(l);
        failures += f;
    }
    let http_seconds = start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let stored = runtime
        .block_on(db.submissions_since(project, 0, 1_000_000))
        .expect("count")
        .len();

    // The floor: the same rows by a bare loop, as many writers, each row its own durable
    // commit, no HTTP and no intake rules.
    let floor_seconds = runtime.block_on(async {
        let start = Instant::now();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let db = db.clone();
            let next = next.clone();
            let police = police.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= records {
                        return;
                    }
                    let r = record(&police, "floor", n);
                    let json = serde_json::to_string(&r).expect("json");
                    let mut tx = db.pool.begin().await.expect("begin");
                    let seq: i64 = sqlx::Row::try_get(
                        &sqlx::query(
                            "UPDATE changes SET value = value + 1 WHERE name = 'submissions' \
                             RETURNING value",
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .expect("seq"),
                        "value",
                    )
                    .expect("value");
                    sqlx::query(
                        "INSERT INTO submissions (project_id, form_id, instance_id, version, seq, \
                         content_hash, record, received, sent_by, review_state) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'received')",
                    )
                    .bind(project)
                    .bind(&r.instrument_id)
                    .bind(&r.instance_id)
                    .bind(&r.instrument_version)
                    .bind(seq)
                    .bind(dala_server::store::content_hash(&json))
                    .bind(&json)
                    .bind(dala_server::clock::now())
                    .bind("floor")
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
                    tx.commit().await.expect("commit");
                }
            }));
        }
        for t in tasks {
            t.await.expect("a writer");
        }
        start.elapsed().as_secs_f64()
    });
    let ours = records as f64 / http_seconds;
    let floor = records as f64 / floor_seconds;
    println!(
        "{}",
        json!({
            "records": records,
            "clients": clients,
            "stored": stored,
            "failures": failures,
            "http_seconds": http_seconds,
            "per_second": ours,
            "p50_ms": percentile(&latencies, 50.0),
            "p95_ms": percentile(&latencies, 95.0),
            "p99_ms": percentile(&latencies, 99.0),
            "floor_seconds": floor_seconds,
            "floor_per_second": floor,
            "ratio_to_floor": ours / floor,
        })
    );
}
