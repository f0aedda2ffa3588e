//! `cargo xtask bench server`: ingest of single police-survey records from 20 concurrent
//! devices into `dala serve`'s code, the answer given only after a durable commit, on SQLite
//! and on PostgreSQL, beside the floor measured in the same run (the same rows inserted by a
//! bare loop with the same durability and concurrency, no HTTP), and beside ODK Central's
//! backend taking the same number of submissions from 20 clients over OpenRosa (set up from
//! the shared peer folder, which says how). Then the export: a million stored police-survey
//! records (`DALA_BENCH_EXPORT_RECORDS` for another number) exported by `dala serve` as the
//! wide .zip, beside `dala export` on the same records from a bundle, the server's peak
//! memory sampled; an incremental export of 1,000 new records; the seed plan's tables; and
//! ODK Central's export of what it took. Figures in target/bench/server.json.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const RECORDS: usize = 5000;
const CLIENTS: usize = 20;
const EXPORT_RECORDS: usize = 1_000_000;

/// The export benchmark on one database (see the `export` example).
fn export(root: &Path, db_url: &str, records: usize, dir: &Path) -> Result<Value> {
    let dala = root.join("target/bench-cli/dala");
    crate::bench::run_json(
        Command::new(root.join("target/bench-cli/examples/export"))
            .current_dir(root)
            .arg(db_url)
            .arg(records.to_string())
            .arg(dir.join("simulated.jsonl"))
            .arg(dir)
            .arg(&dala),
    )
}

fn ingest(root: &Path, db_url: &str) -> Result<Value> {
    crate::bench::run_json(
        Command::new(crate::cargo())
            .current_dir(root)
            .args([
                "run",
                "--quiet",
                "--profile",
                "bench-cli",
                "-p",
                "dala-server",
                "--example",
                "ingest",
                "--",
            ])
            .arg(db_url)
            .arg(RECORDS.to_string())
            .arg(CLIENTS.to_string()),
    )
}

/// ODK Central's figures for the same load, or why there are none.
fn central(root: &Path) -> Result<Value> {
    let peer = root.join("../shared/peers/central");
    if !peer.join("setup.sh").exists() {
        bail!("the ODK Central peer folder is not beside the project");
    }
    let work = root.join("bench-tools/central");
    eprintln!(
        "bench server: setting up ODK Central's backend in {}",
        work.display()
    );
    let setup = Command::new("bash")
        .arg(peer.join("setup.sh"))
        .arg(&work)
        .status()
        .context("running the peer's setup.sh")?;
    if !setup.success() {
        bail!("ODK Central's setup failed");
    }
    let out = root.join("target/bench/server-central.json");
    eprintln!("bench server: ODK Central, {RECORDS} submissions from {CLIENTS} clients");
    let bench = Command::new("python3")
        .arg(peer.join("bench.py"))
        .arg("--env")
        .arg(work.join("credentials.env"))
        .args([
            "--ingest",
            &RECORDS.to_string(),
            "--concurrency",
            &CLIENTS.to_string(),
            "--no-dup",
            "--export",
        ])
        .arg("--json-out")
        .arg(&out)
        .status()
        .context("running the peer's bench.py")?;
    let _ = Command::new("bash")
        .arg(peer.join("stop.sh"))
        .arg(&work)
        .status();
    if !bench.success() {
        bail!("ODK Central's benchmark failed");
    }
    Ok(serde_json::from_str(&std::fs::read_to_string(&out)?)?)
}

/// Builds the server benchmarks' engines (`examples`) and the `dala` they start, in the
/// profile the benchmarks run (bench-cli: speed, not size).
pub fn build_server_benches(root: &Path, bench: &str, examples: &[&str]) -> Result<()> {
    eprintln!("bench {bench}: building (profile bench-cli)");
    let mut args = vec![
        "build",
        "--quiet",
        "--profile",
        "bench-cli",
        "-p",
        "dala-server",
    ];
    for example in examples {
        args.extend(["--example", example]);
    }
    args.extend(["-p", "dala-cli", "--bin", "dala"]);
    let built = Command::new(crate::cargo())
        .current_dir(root)
        .args(&args)
        .status()?;
    if !built.success() {
        bail!("building the {bench} benchmark failed");
    }
    Ok(())
}

pub fn run(root: &Path) -> Result<()> {
    let dir = root.join("target/bench/server");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    build_server_benches(root, "server", &["ingest", "export"])?;
    eprintln!("bench server: SQLite, {RECORDS} records from {CLIENTS} devices, then the floor");
    let sqlite = ingest(
        root,
        &format!("sqlite://{}", dir.join("bench.sqlite").display()),
    )?;
    let postgres_db = dala_e2e::postgres::TestDatabase::create("bench_server")
        .map_err(|e| anyhow::anyhow!("PostgreSQL: {e}"))?;
    eprintln!("bench server: PostgreSQL, {RECORDS} records from {CLIENTS} devices, then the floor");
    let postgres = ingest(root, &postgres_db.url)?;
    drop(postgres_db);

    let export_records = std::env::var("DALA_BENCH_EXPORT_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(EXPORT_RECORDS);
    // Realistic records: 2,000 simulated through the engine, repeated under new ids.
    let simulated = Command::new(root.join("target/bench-cli/dala"))
        .arg("simulate")
        .arg(root.join("surveys/police-gender-representation/instrument.json"))
        .args(["-n", "2000", "--seed", "21", "-o"])
        .arg(dir.join("simulated.jsonl"))
        .output()?;
    if !simulated.status.success() {
        bail!("simulating the records failed");
    }
    let mut exports = serde_json::Map::new();
    for (name, url) in [
        (
            "sqlite",
            format!("sqlite://{}", dir.join("export.sqlite").display()),
        ),
        ("postgres", String::new()),
    ] {
        eprintln!("bench server: export of {export_records} records, {name}");
        let postgres_db = (name == "postgres")
            .then(|| dala_e2e::postgres::TestDatabase::create("bench_export"))
            .transpose()
            .map_err(|e| anyhow::anyhow!("PostgreSQL: {e}"))?;
        let url = postgres_db.as_ref().map_or(url, |db| db.url.clone());
        let figures = export(root, &url, export_records, &dir)?;
        exports.insert(name.to_string(), figures);
        let _ = std::fs::remove_file(dir.join("export.sqlite"));
    }
    let exports = Value::Object(exports);

    let peer = central(root).unwrap_or_else(|e| json!({"error": e.to_string()}));
    // bench.py's ingest stage: `submissions_per_s` answered 201, `processed_per_s` once its
    // background worker has processed them too.
    let central_accepted = peer["ingest"]["submissions_per_s"].as_f64();
    let central_end_to_end = peer["ingest"]["processed_per_s"].as_f64();
    let ratio =
        |ours: &Value| central_end_to_end.map(|c| ours["per_second"].as_f64().unwrap_or(0.0) / c);
    // Central's export of the submissions it took, per submission beside ours.
    let central_export = &peer["export"][0];
    let central_per_submission = central_export["total_s"]
        .as_f64()
        .zip(central_export["csv_rows"].as_f64())
        .map(|(s, n)| s / n);
    let export_ratio = |name: &str| {
        let ours = &exports[name];
        let per = ours["server_export_seconds"].as_f64()? / ours["records"].as_f64()?;
        Some(per / central_per_submission?)
    };
    let report = json!({
        "records": RECORDS,
        "clients": CLIENTS,
        "ours": {"sqlite": sqlite, "postgres": postgres, "export": exports},
        "peer": {"odk_central": peer, "accepted_per_second": central_accepted,
                 "end_to_end_per_second": central_end_to_end},
        "ratio": {
            "sqlite_to_floor": sqlite["ratio_to_floor"],
            "postgres_to_floor": postgres["ratio_to_floor"],
            "sqlite_to_central_end_to_end": ratio(&sqlite),
            "postgres_to_central_end_to_end": ratio(&postgres),
            "export_sqlite_to_cli": exports["sqlite"]["ratio_to_cli"],
            "export_postgres_to_cli": exports["postgres"]["ratio_to_cli"],
            "export_sqlite_per_submission_to_central": export_ratio("sqlite"),
            "export_postgres_per_submission_to_central": export_ratio("postgres"),
        },
        "machine": crate::bench::machine(),
    });
    let out = root.join("target/bench/server.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!(
        "ingest, {RECORDS} single records from {CLIENTS} concurrent devices, durable before the answer:"
    );
    for (name, r) in [("SQLite", &sqlite), ("PostgreSQL", &postgres)] {
        println!(
            "  dala {name:<11} {:>7.0}/s  p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms  floor {:>7.0}/s  {:.2}x of the floor  ({} stored, {} failed)",
            r["per_second"].as_f64().unwrap_or(0.0),
            r["p50_ms"].as_f64().unwrap_or(0.0),
            r["p95_ms"].as_f64().unwrap_or(0.0),
            r["p99_ms"].as_f64().unwrap_or(0.0),
            r["floor_per_second"].as_f64().unwrap_or(0.0),
            r["ratio_to_floor"].as_f64().unwrap_or(0.0),
            r["stored"],
            r["failures"],
        );
    }
    match (central_accepted, central_end_to_end) {
        (Some(a), Some(e)) => {
            println!("  ODK Central      {a:>7.0}/s accepted, {e:.0}/s end to end");
        }
        _ => println!("  ODK Central: {}", report["peer"]["odk_central"]),
    }
    println!("export of {export_records} stored records as the wide .zip, to a client:");
    for name in ["sqlite", "postgres"] {
        let e = &exports[name];
        println!(
            "  dala {name:<9} {:>6.2} s (first byte {:.2} s), server peak {:.0} MB (idle {:.0}); dala export {:.2} s: {:.2}x; same bytes: {}; 1,000 new: {:.3} s; tables {:.2} s (dala aggregate on the CSV {:.2} s)",
            e["server_export_seconds"].as_f64().unwrap_or(0.0),
            e["server_first_byte_seconds"].as_f64().unwrap_or(0.0),
            e["server_peak_mb"].as_f64().unwrap_or(0.0),
            e["server_idle_mb"].as_f64().unwrap_or(0.0),
            e["cli_export_seconds"].as_f64().unwrap_or(0.0),
            e["ratio_to_cli"].as_f64().unwrap_or(0.0),
            e["identical_to_cli"],
            e["incremental_seconds"].as_f64().unwrap_or(0.0),
            e["server_tables_seconds"].as_f64().unwrap_or(0.0),
            e["cli_aggregate_seconds"].as_f64().unwrap_or(0.0),
        );
    }
    println!(
        "  ODK Central: {} rows in {} s (first byte {} s), server peak {} MiB",
        central_export["csv_rows"],
        central_export["total_s"],
        central_export["first_byte_s"],
        central_export["server_rss_peak_sampled_mib"]
    );
    println!("figures in {}", out.display());
    Ok(())
}
