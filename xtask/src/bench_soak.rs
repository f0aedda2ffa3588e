//! `cargo xtask bench soak`: the server's soak test, bounded as ODK Central's own soak bar
//! is: a 250-question form, 50 records a second for 60 s from 20 clients while two analysts
//! pull the growing export over and over, on SQLite and on PostgreSQL. Every record must be
//! accepted (the command fails otherwise); the server's memory is sampled every half second
//! and its peak in the last third of the run is set against the first third. Figures in
//! target/bench/soak.json.

use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const SECONDS: &str = "60";

pub fn run(root: &Path) -> Result<()> {
    let dir = root.join("target/bench/soak");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    crate::bench_server::build_server_benches(root, "soak", &["soak"])?;
    let mut runs = serde_json::Map::new();
    for name in ["sqlite", "postgres"] {
        let postgres = (name == "postgres")
            .then(|| dala_e2e::postgres::TestDatabase::create("bench_soak"))
            .transpose()
            .map_err(|e| anyhow::anyhow!("PostgreSQL: {e}"))?;
        let url = postgres.as_ref().map_or_else(
            || format!("sqlite://{}", dir.join("soak.sqlite").display()),
            |db| db.url.clone(),
        );
        eprintln!("bench soak: {name}, {SECONDS} s");
        let figures = crate::bench::run_json(
            Command::new(root.join("target/bench-cli/examples/soak"))
                .arg(&url)
                .arg(SECONDS)
                .arg(root.join("target/bench-cli/dala")),
        )?;
        runs.insert(name.to_string(), figures);
    }
    let report = json!({"ours": runs, "machine": crate::bench::machine()});
    let out = root.join("target/bench/soak.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    let mut all_accepted = true;
    for name in ["sqlite", "postgres"] {
        let r: &Value = &report["ours"][name];
        let accepted = r["accepted"].as_u64().unwrap_or(0);
        let sent = r["sent"].as_u64().unwrap_or(0);
        all_accepted &= accepted == sent && sent > 0;
        println!(
            "  {name:<9} {accepted}/{sent} accepted ({:.1}/s), p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms; {} exports (largest {} bytes, slowest {:.2} s, {} failed); memory: idle {:.0} MB, peak {:.0} MB in the first third, {:.0} MB in the last ({:.2}x)",
            r["achieved_per_second"].as_f64().unwrap_or(0.0),
            r["p50_ms"].as_f64().unwrap_or(0.0),
            r["p95_ms"].as_f64().unwrap_or(0.0),
            r["p99_ms"].as_f64().unwrap_or(0.0),
            r["exports"],
            r["largest_export_bytes"],
            r["export_seconds_max"].as_f64().unwrap_or(0.0),
            r["export_failures"],
            r["rss_idle_mb"].as_f64().unwrap_or(0.0),
            r["rss_peak_first_third_mb"].as_f64().unwrap_or(0.0),
            r["rss_peak_last_third_mb"].as_f64().unwrap_or(0.0),
            r["rss_growth_last_to_first_third"].as_f64().unwrap_or(0.0),
        );
    }
    println!("figures in {}", out.display());
    if !all_accepted {
        bail!("not every record was accepted");
    }
    Ok(())
}
