//! The export benchmark's engine (run by `cargo xtask bench server`): RECORDS police-survey
//! records (the simulated ones in SIM, repeated under new instance ids) stored in the database
//! and written as a bundle; then `dala serve` (DALA, its own process, so its memory is its
//! own) exports them as the wide .zip to a client, beside `dala export` on the bundle; then
//! 1,000 more records and an incremental export of only those; then the seed plan's tables
//! from the server beside `dala aggregate` on the exported CSV (and on the bundle, whose
//! bytes the server's tables are). Prints one JSON object.
//!
//! `cargo run --profile bench-cli -p dala-server --example export -- DB_URL RECORDS SIM DIR DALA`

mod common;

use common::{Served, agent, rss_mb};
use dala_core::Instrument;
use dala_core::record::{BUNDLE_KIND, BundleHeader, RECORD_FORMAT, Submission};
use dala_server::Db;
use serde_json::json;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const FORM: &str = "police_gender_representation";
const PASSWORD: &str = "a benchmark's password";

fn police() -> Instrument {
    let text = include_str!("../../../surveys/police-gender-representation/instrument.json");
    Instrument::from_json(text).expect("the police instrument")
}

/// The finalized records of a simulated bundle.
fn simulated(path: &Path) -> Vec<Submission> {
    let text = std::fs::read_to_string(path).expect("the simulated bundle");
    text.lines()
        .skip(1)
        .filter_map(|l| serde_json::from_str::<Submission>(l).ok())
        .filter(|r| r.status == dala_core::Status::Finalized)
        .collect()
}

/// Record `n`: a simulated one under its own instance id.
fn record(sim: &[Submission], n: usize) -> Submission {
    let mut r = sim[n % sim.len()].clone();
    r.instance_id = format!("uuid:bench-{n:09}");
    r
}

/// Stores records `from..to` in batches, as the intake does, and appends them to `bundle`.
fn load(
    runtime: &tokio::runtime::Runtime,
    db: &Db,
    project: i64,
    sim: &[Submission],
    range: std::ops::Range<usize>,
    bundle: &mut impl Write,
) {
    let mut at = range.start;
    while at < range.end {
        let end = (at + 5000).min(range.end);
        let records: Vec<Submission> = (at..end).map(|n| record(sim, n)).collect();
        for r in &records {
            serde_json::to_writer(&mut *bundle, r).expect("a bundle line");
            bundle.write_all(b"\n").expect("a bundle line");
        }
        let outcomes = runtime
            .block_on(db.intake(project, &records, Vec::new(), "bench", "local"))
            .expect("the intake");
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, dala_server::store::Outcome::Added(_))),
            "every record added"
        );
        at = end;
    }
}

/// Runs `work` while sampling the server's memory every 20 ms: its result and the peak (MiB).
fn with_peak<T>(pid: u32, work: impl FnOnce() -> T) -> (T, f64) {
    let peak = Arc::new(AtomicU64::new(rss_mb(pid).to_bits()));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                // Bits of a positive f64 order as the numbers do.
                peak.fetch_max(rss_mb(pid).to_bits(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let out = work();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    (out, f64::from_bits(peak.load(Ordering::Relaxed)))
}

/// Rows of a .zip's main table (its header apart).
fn main_rows(zip: &Path) -> usize {
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(zip).expect("the .zip")).expect("a .zip");
    let mut table = archive
        .by_name(&format!("{FORM}.csv"))
        .expect("the main table");
    csv::Reader::from_reader(&mut table).records().count()
}

fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = work();
    (out, start.elapsed().as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, records, sim, dir, dala] = &args[..] else {
        eprintln!("usage: export DB_URL RECORDS SIMULATED_BUNDLE DIR DALA_BINARY");
        std::process::exit(2);
    };
    let records: usize = records.parse().expect("RECORDS");
    let dir = PathBuf::from(dir);
    let sim = simulated(Path::new(sim));
    assert!(!sim.is_empty(), "simulated records");
    let police = police();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (db, project) = runtime.block_on(async {
        dala_server::create_user(url, "bench", PASSWORD, true)
            .await
            .expect("a user");
        let db = Db::open(url).await.expect("the database");
        let project = db.create_project("bench").await.expect("project");
        db.publish(
            project,
            &police.settings.form_id,
            &police.settings.version,
            &police.to_json(),
            1,
        )
        .await
        .expect("publish");
        (db, project)
    });
    let bundle_path = dir.join("police.jsonl");
    let mut bundle = std::io::BufWriter::new(std::fs::File::create(&bundle_path).expect("bundle"));
    let header = BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: police.settings.form_id.clone(),
        instrument_version: police.settings.version.clone(),
        device_id: "bench".into(),
        created: "2015-03-18T10:00:00.000+06:00".into(),
    };
    serde_json::to_writer(&mut bundle, &header).expect("header");
    bundle.write_all(b"\n").expect("header");
    let ((), load_s) = timed(|| load(&runtime, &db, project, &sim, 0..records, &mut bundle));
    bundle.flush().expect("bundle");
    drop(bundle);
    eprintln!("export bench: {records} records stored in {load_s:.1} s");

    let server = Served::start(dala, url, "bench", PASSWORD);
    let (base, token, pid) = (server.base.clone(), server.token.clone(), server.child.id());
    let agent = agent();
    let idle_mb = server.rss_mb();
    let get_to = |path: &str, file: &Path| -> (f64, f64, Option<i64>) {
        let start = Instant::now();
        let mut response = agent
            .get(&format!("{base}/api/v1/projects/{project}{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("an answer");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let cursor = response
            .headers()
            .get("dala-cursor")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let mut body = response.body_mut().as_reader();
        let mut first = [0u8; 1];
        body.read_exact(&mut first).expect("a first byte");
        let first_byte_s = start.elapsed().as_secs_f64();
        let mut out = std::fs::File::create(file).expect("output");
        out.write_all(&first).expect("write");
        std::io::copy(&mut body, &mut out).expect("the whole answer");
        (start.elapsed().as_secs_f64(), first_byte_s, cursor)
    };

    let server_zip = dir.join("server.zip");
    let ((server_s, first_byte_s, cursor), peak_mb) =
        with_peak(pid, || get_to(&format!("/exports/{FORM}"), &server_zip));
    eprintln!("export bench: the server's export took {server_s:.2} s, peak {peak_mb:.0} MB");
    let cli_zip = dir.join("cli.zip");
    let form = dir.join("police.json");
    std::fs::write(&form, police.to_json()).expect("the form");
    let (status, cli_s) = timed(|| {
        Command::new(dala)
            .arg("export")
            .arg(&form)
            .arg(&bundle_path)
            .arg("-o")
            .arg(&cli_zip)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("dala export")
    });
    assert!(status.success(), "dala export");
    let identical =
        std::fs::read(&server_zip).expect("zip") == std::fs::read(&cli_zip).expect("zip");
    let exported = main_rows(&server_zip);

    // The seed plan's tables: from the server, and by dala aggregate on the exported CSV.
    let plan = include_str!("../../../surveys/police-gender-representation/analysis.toml");
    let (tables, tables_s) = timed(|| {
        let mut response = agent
            .post(&format!("{base}/api/v1/projects/{project}/tables/{FORM}"))
            .header("Authorization", format!("Bearer {token}"))
            .send(plan)
            .expect("the tables");
        assert_eq!(response.status().as_u16(), 200, "the tables");
        response
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .expect("CSV")
    });
    let main_csv = dir.join("main.csv");
    {
        let mut archive =
            zip::ZipArchive::new(std::fs::File::open(&cli_zip).expect("zip")).expect("a .zip");
        let mut table = archive.by_name(&format!("{FORM}.csv")).expect("main");
        std::io::copy(
            &mut table,
            &mut std::fs::File::create(&main_csv).expect("csv"),
        )
        .expect("unzip");
    }
    let plan_file = dir.join("analysis.toml");
    std::fs::write(&plan_file, plan).expect("plan");
    let cli_tables = dir.join("cli-tables.csv");
    let (status, aggregate_s) = timed(|| {
        Command::new(dala)
            .arg("aggregate")
            .arg(&form)
            .arg(&main_csv)
            .arg("--plan")
            .arg(&plan_file)
            .arg("-o")
            .arg(&cli_tables)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("dala aggregate")
    });
    assert!(status.success(), "dala aggregate");
    // The same plan over the bundle's records (the CSV rounds nothing, but its numbers are
    // read back from text): what the server's tables are byte for byte.
    let bundle_tables = dir.join("bundle-tables.csv");
    let (status, bundle_aggregate_s) = timed(|| {
        Command::new(dala)
            .arg("aggregate")
            .arg(&form)
            .arg(&bundle_path)
            .arg("--plan")
            .arg(&plan_file)
            .arg("-o")
            .arg(&bundle_tables)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("dala aggregate")
    });
    assert!(status.success(), "dala aggregate");
    let tables_identical = std::fs::read_to_string(&bundle_tables).expect("tables") == tables;
    // 1,000 more, then only those.
    let mut more = std::io::sink();
    load(
        &runtime,
        &db,
        project,
        &sim,
        records..records + 1000,
        &mut more,
    );
    let pull_zip = dir.join("pull.zip");
    let cursor = cursor.unwrap_or(0);
    let ((pull_s, _, _), pull_peak_mb) = with_peak(pid, || {
        get_to(&format!("/exports/{FORM}?after={cursor}"), &pull_zip)
    });
    let pulled = main_rows(&pull_zip);

    drop(server);
    println!(
        "{}",
        json!({
            "records": records,
            "load_seconds": load_s,
            "server_export_seconds": server_s,
            "server_first_byte_seconds": first_byte_s,
            "server_idle_mb": idle_mb,
            "server_peak_mb": peak_mb,
            "cli_export_seconds": cli_s,
            "ratio_to_cli": server_s / cli_s,
            "identical_to_cli": identical,
            "rows_exported": exported,
            "zip_bytes": std::fs::metadata(&server_zip).map_or(0, |m| m.len()),
            "incremental_records": pulled,
            "incremental_seconds": pull_s,
            "incremental_peak_mb": pull_peak_mb,
            "server_tables_seconds": tables_s,
            "cli_aggregate_seconds": aggregate_s,
            "cli_aggregate_bundle_seconds": bundle_aggregate_s,
            "tables_identical_to_cli_on_the_bundle": tables_identical,
        })
    );
}
