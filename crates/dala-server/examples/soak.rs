//! The soak test's engine (run by `cargo xtask bench soak`): `dala serve` (DALA, its own
//! process) on DB_URL takes records of a 250-question form at 50 a second for SECONDS from 20
//! clients, each record its own request, while two analysts pull the growing export over and
//! over. Every record must be accepted; the server's memory is sampled every half second.
//! Prints one JSON object.
//!
//! `cargo run --profile bench-cli -p dala-server --example soak -- DB_URL SECONDS DALA`

use dala_core::Instrument;
use dala_core::record::{Answer, BUNDLE_KIND, BundleHeader, RECORD_FORMAT, Status, Submission};
mod common;

use common::{Served, agent, percentile, rss_mb};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const QUESTIONS: usize = 250;
const CLIENTS: usize = 20;
const PER_SECOND: f64 = 50.0;
const ANALYSTS: usize = 2;
const PASSWORD: &str = "a soak test's password";

/// A 250-question form: integers, texts and yes/no choices in turn, in five groups.
fn form() -> Instrument {
    let items: Vec<serde_json::Value> = (0..5)
        .map(|g| {
            let children: Vec<serde_json::Value> = (0..QUESTIONS / 5)
                .map(|i| {
                    let n = g * (QUESTIONS / 5) + i + 1;
                    let label = json!({"en": format!("Question {n}")});
                    match n % 3 {
                        0 => json!({"type": "integer", "name": format!("q{n}"), "label": label}),
                        1 => json!({"type": "text", "name": format!("q{n}"), "label": label}),
                        _ => json!({"type": "select_one", "name": format!("q{n}"),
                                    "list": "yn", "label": label}),
                    }
                })
                .collect();
            json!({"type": "group", "name": format!("part{}", g + 1),
                   "label": {"en": format!("Part {}", g + 1)}, "children": children})
        })
        .collect();
    let document = json!({
        "format": 1,
        "settings": {"form_id": "soak", "version": "1", "title": {"en": "Soak"},
                     "default_language": "en"},
        "survey": items,
        "choices": {"yn": [
            {"name": "yes", "label": {"en": "Yes"}},
            {"name": "no", "label": {"en": "No"}}
        ]}
    });
    Instrument::from_json(&document.to_string()).expect("the soak form")
}

fn record(n: usize) -> Submission {
    let answers: BTreeMap<String, Answer> = (1..=QUESTIONS)
        .map(|q| {
            let value = match q % 3 {
                0 => ((n * 7 + q) % 90).to_string(),
                1 => format!("ответ {n}-{q}"),
                _ => if (n + q).is_multiple_of(2) {
                    "yes"
                } else {
                    "no"
                }
                .to_string(),
            };
            (format!("q{q}"), Answer::Value(value))
        })
        .collect();
    Submission {
        format: RECORD_FORMAT,
        held: Vec::new(),
        files: Vec::new(),
        instance_name: None,
        instance_id: format!("uuid:soak-{n:08}"),
        instrument_id: "soak".into(),
        instrument_version: "1".into(),
        status: Status::Finalized,
        started: "2015-03-17T09:00:00.000+06:00".into(),
        updated: "2015-03-17T09:10:00.000+06:00".into(),
        finalized: Some("2015-03-17T09:10:00.000+06:00".into()),
        enumerator: format!("enumerator {}", n % CLIENTS),
        device_id: format!("tab-{}", n % CLIENTS),
        answers,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, seconds, dala] = &args[..] else {
        eprintln!("usage: soak DB_URL SECONDS DALA_BINARY");
        std::process::exit(2);
    };
    let seconds: f64 = seconds.parse().expect("SECONDS");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let project = runtime.block_on(async {
        dala_server::create_user(url, "soak", PASSWORD, true)
            .await
            .expect("a user");
        let db = dala_server::Db::open(url).await.expect("the database");
        let project = db.create_project("soak").await.expect("project");
        db.publish(project, "soak", "1", &form().to_json(), 1)
            .await
            .expect("publish");
        project
    });
    let server = Served::start(dala, url, "soak", PASSWORD);
    let (base, token, pid) = (server.base.clone(), server.token.clone(), server.child.id());
    let header = BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: "soak".into(),
        instrument_version: "1".into(),
        device_id: "tab".into(),
        created: "2015-03-18T10:00:00.000+06:00".into(),
    };
    let total = (seconds * PER_SECOND) as usize;
    // Every body made before the clock starts.
    let bodies: Vec<Vec<u8>> = (0..total)
        .map(|n| dala_core::record::write_bundle(&header, &[record(n)]).into_bytes())
        .collect();
    let bodies = Arc::new(bodies);
    let idle_mb = rss_mb(pid);
    let done = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let sampler = {
        let (done, samples) = (done.clone(), samples.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let at = start.elapsed().as_secs_f64();
                samples.lock().expect("lock").push((at, rss_mb(pid)));
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let endpoint = format!("{base}/api/v1/projects/{project}/submissions");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (bodies, endpoint, token) = (bodies.clone(), endpoint.clone(), token.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let (mut accepted, mut refused, mut late) = (0usize, 0usize, 0usize);
                let mut latencies = Vec::new();
                for n in (c..bodies.len()).step_by(CLIENTS) {
                    // Record n is due at n / 50 seconds: an even 50 a second over all clients.
                    let due = Duration::from_secs_f64(n as f64 / PER_SECOND);
                    match due.checked_sub(start.elapsed()) {
                        Some(wait) => std::thread::sleep(wait),
                        None => late += 1,
                    }
                    let sent = Instant::now();
                    let answer = agent
                        .post(&endpoint)
                        .header("Authorization", format!("Bearer {token}"))
                        .header("Content-Type", "application/x-ndjson")
                        .send(&bodies[n][..]);
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    let added = answer.ok().and_then(|mut r| {
                        let text = r.body_mut().read_to_string().ok()?;
                        let report: serde_json::Value = serde_json::from_str(&text).ok()?;
                        Some(r.status().as_u16() == 200 && report["added"] == 1)
                    });
                    if added == Some(true) {
                        accepted += 1;
                    } else {
                        refused += 1;
                    }
                }
                (accepted, refused, late, latencies)
            })
        })
        .collect();
    let analysts: Vec<_> = (0..ANALYSTS)
        .map(|_| {
            let (done, token) = (done.clone(), token.clone());
            let url = format!("{base}/api/v1/projects/{project}/exports/soak");
            std::thread::spawn(move || {
                let agent = agent();
                let mut exports = Vec::new();
                let mut failed = 0usize;
                while !done.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let pulled = agent
                        .get(&url)
                        .header("Authorization", format!("Bearer {token}"))
                        .call()
                        .ok()
                        .filter(|r| r.status().as_u16() == 200)
                        .and_then(|mut r| {
                            let mut bytes = Vec::new();
                            r.body_mut().as_reader().read_to_end(&mut bytes).ok()?;
                            Some(bytes.len())
                        });
                    match pulled {
                        Some(bytes) => exports.push((t.elapsed().as_secs_f64(), bytes)),
                        None => failed += 1,
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
                (exports, failed)
            })
        })
        .collect();
    let (mut accepted, mut refused, mut late) = (0, 0, 0);
    let mut latencies = Vec::new();
    for client in clients {
        let (a, r, l, lat) = client.join().expect("a client");
        accepted += a;
        refused += r;
        late += l;
        latencies.extend(lat);
    }
    let sending_s = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let mut exports = Vec::new();
    let mut export_failures = 0;
    for analyst in analysts {
        let (e, f) = analyst.join().expect("an analyst");
        exports.extend(e);
        export_failures += f;
    }
    let _ = sampler.join();
    drop(server);
    latencies.sort_by(f64::total_cmp);
    let samples = samples.lock().expect("lock").clone();
    // Flat: the highest of the last third against the highest of the first third (after the
    // first 5 s, when the caches fill).
    let third = sending_s / 3.0;
    let peak_in = |from: f64, to: f64| {
        samples
            .iter()
            .filter(|(t, _)| *t >= from && *t < to)
            .map(|(_, mb)| *mb)
            .fold(0.0, f64::max)
    };
    let first_third = peak_in(5.0, third.max(5.5));
    let last_third = peak_in(2.0 * third, sending_s + 1.0);
    let largest_export = exports.iter().map(|(_, b)| *b).max().unwrap_or(0);
    println!(
        "{}",
        json!({
            "questions": QUESTIONS,
            "clients": CLIENTS,
            "target_per_second": PER_SECOND,
            "seconds": sending_s,
            "sent": total,
            "accepted": accepted,
            "refused_or_failed": refused,
            "sent_late": late,
            "achieved_per_second": accepted as f64 / sending_s,
            "p50_ms": percentile(&latencies, 50.0),
            "p95_ms": percentile(&latencies, 95.0),
            "p99_ms": percentile(&latencies, 99.0),
            "exports": exports.len(),
            "export_failures": export_failures,
            "export_seconds_max": exports.iter().map(|(s, _)| *s).fold(0.0, f64::max),
            "largest_export_bytes": largest_export,
            "rss_idle_mb": idle_mb,
            "rss_peak_first_third_mb": first_third,
            "rss_peak_last_third_mb": last_third,
            "rss_growth_last_to_first_third": last_third / first_third.max(1.0),
            "rss_samples": samples.iter().map(|(t, mb)| json!([t, mb])).collect::<Vec<_>>(),
        })
    );
}
