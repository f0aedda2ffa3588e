//! `cargo xtask bench aggregate`: 1,000,000 simulated submissions of a 42-question form,
//! exported as wide CSV; then, from that one CSV, 38 frequency tables, 36 crosstabs by region,
//! mean and sd of a score by sex and one weighted proportion with its interval, computed by
//! `dala aggregate` and by polars (1 and 2 threads), pandas and xsv (frequencies only), each
//! checked against dala's counts. Python packages go into an ignored virtual environment, xsv
//! into an ignored folder.

use crate::bench::machine;
use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const PYTHON_PACKAGES: [&str; 2] = ["polars==1.44.2", "pandas==2.3.3"];
const XSV: &str = "0.13.0";
const REGIONS: [&str; 7] = [
    "bishkek",
    "osh",
    "chui",
    "issyk_kul",
    "naryn",
    "talas",
    "jalal_abad",
];
const RUNS: usize = 3;

/// The 42 questions: region and sex, 36 select_ones of 2 to 6 choices (the last twelve asked
/// only when q01 is not c1, so some answers are missing), age, score, a design weight and a
/// free-text comment.
fn form() -> Value {
    let label = |s: &str| json!({"en": s});
    let mut survey = vec![
        json!({"type": "select_one", "name": "region", "list": "region", "label": label("Region")}),
        json!({"type": "select_one", "name": "sex", "list": "sex", "label": label("Sex")}),
    ];
    let mut choices = Map::new();
    choices.insert(
        "region".into(),
        REGIONS
            .iter()
            .map(|r| json!({"name": r, "label": label(r)}))
            .collect(),
    );
    choices.insert(
        "sex".into(),
        json!([{"name": "f", "label": label("Female")}, {"name": "m", "label": label("Male")}]),
    );
    for size in 2..=6 {
        choices.insert(
            format!("c{size}"),
            (1..=size)
                .map(|c| json!({"name": format!("c{c}"), "label": label(&format!("Choice {c}"))}))
                .collect(),
        );
    }
    for q in 1..=36 {
        let mut item = json!({"type": "select_one", "name": format!("q{q:02}"),
            "list": format!("c{}", 2 + q % 5), "label": label(&format!("Question {q}"))});
        if q > 24 {
            item["relevant"] = json!("${q01} != 'c1'");
        }
        survey.push(item);
    }
    survey.push(json!({"type": "integer", "name": "age", "label": label("Age")}));
    survey.push(json!({"type": "decimal", "name": "score", "label": label("Score")}));
    survey.push(json!({"type": "decimal", "name": "weight", "label": label("Design weight")}));
    survey.push(json!({"type": "text", "name": "comment", "label": label("Comment")}));
    json!({"format": 1,
        "settings": {"form_id": "bench_survey", "version": "1", "default_language": "en"},
        "survey": survey, "choices": choices})
}

fn selects() -> Vec<String> {
    let mut out = vec!["region".to_string(), "sex".to_string()];
    out.extend((1..=36).map(|q| format!("q{q:02}")));
    out
}

fn crossed() -> Vec<String> {
    (1..=36).map(|q| format!("q{q:02}")).collect()
}

/// The same tables as an analysis plan for dala.
fn plan() -> String {
    let mut plan = String::new();
    for s in selects() {
        let _ = writeln!(
            plan,
            "[[table]]\nid = \"f_{s}\"\nkind = \"frequency\"\nvariable = \"{s}\"\n"
        );
    }
    for c in crossed() {
        let _ = writeln!(
            plan,
            "[[table]]\nid = \"x_{c}\"\nkind = \"crosstab\"\nrows = \"{c}\"\ncolumns = \"region\"\n"
        );
    }
    plan.push_str(
        "[[table]]\nid = \"score\"\nkind = \"summary\"\nvariable = \"score\"\nby = \"sex\"\n\n",
    );
    plan.push_str("[[table]]\nid = \"weighted\"\nkind = \"frequency\"\nvariable = \"q01\"\nweight = \"weight\"\n");
    plan
}

fn spec() -> Value {
    json!({"selects": selects(), "crossed": crossed(), "region": "region", "score": "score",
        "group": "sex", "weighted": "q01", "weighted_code": "c1", "weight": "weight"})
}

/// dala's tidy CSV as the flat figures the Python script writes.
fn flatten_tidy(path: &Path) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    let mut reader = csv::Reader::from_path(path)?;
    for row in reader.records() {
        let row = row?;
        let get = |i: usize| row.get(i).unwrap_or_default();
        let (table, group, category, statistic) = (get(0), get(2), get(3), get(4));
        let value: f64 = get(5).parse().unwrap_or(f64::NAN);
        let key = if table == "weighted" {
            match (category, statistic) {
                ("c1", "percent" | "ci_low" | "ci_high") => format!("weighted/{statistic}"),
                _ => continue,
            }
        } else if let Some(var) = table.strip_prefix("f_") {
            match statistic {
                "count" if value > 0.0 => format!("frequency/{var}/{category}"),
                _ => continue,
            }
        } else if let Some(var) = table.strip_prefix("x_") {
            match statistic {
                "count" if value > 0.0 => format!("crosstab/{var}/{category}"),
                _ => continue,
            }
        } else if table == "score" && !group.is_empty() {
            let g = group.trim_start_matches("sex=");
            match statistic {
                "mean" | "sd" => format!("{statistic}/{g}"),
                _ => continue,
            }
        } else {
            continue;
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// xsv's frequency output (field,value,count) as flat figures.
fn flatten_xsv(path: &Path) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    let mut reader = csv::Reader::from_path(path)?;
    for row in reader.records() {
        let row = row?;
        let (field, value, count) = (
            row.get(0).unwrap_or_default(),
            row.get(1).unwrap_or_default(),
            row.get(2).unwrap_or_default(),
        );
        if value != "(NULL)" && !value.is_empty() {
            out.insert(format!("frequency/{field}/{value}"), count.parse()?);
        }
    }
    Ok(out)
}

fn flatten_json(path: &Path) -> Result<BTreeMap<String, f64>> {
    let value: BTreeMap<String, f64> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    Ok(value)
}

/// Checks every figure of `theirs` against ours: counts exactly, the rest to 1e-9 relative.
/// `prefix` narrows the comparison to one kind of figure (xsv has frequencies only).
fn same(
    name: &str,
    ours: &BTreeMap<String, f64>,
    theirs: &BTreeMap<String, f64>,
    prefix: &str,
) -> Result<usize> {
    let wanted: Vec<(&String, &f64)> = ours.iter().filter(|(k, _)| k.starts_with(prefix)).collect();
    for (key, value) in &wanted {
        let Some(other) = theirs.get(*key) else {
            bail!("{name} has no {key} (dala: {value})");
        };
        let close = (*value - other).abs() <= 1e-9 * value.abs().max(1.0);
        if !close {
            bail!("{name} gives {key} = {other}, dala {value}");
        }
    }
    let extra: Vec<&String> = theirs
        .keys()
        .filter(|k| k.starts_with(prefix) && !ours.contains_key(*k))
        .collect();
    if let Some(key) = extra.first() {
        bail!("{name} has {key}, which dala does not");
    }
    Ok(wanted.len())
}

/// Runs a command `RUNS` times under the measuring script; the median time and the peak memory.
fn measure(python: &Path, root: &Path, command: &mut Command) -> Result<(f64, f64)> {
    measure_runs(RUNS, python, root, command)
}

fn measure_runs(
    runs: usize,
    python: &Path,
    root: &Path,
    command: &mut Command,
) -> Result<(f64, f64)> {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..runs {
        let mut wrapped = Command::new(python);
        wrapped
            .arg(root.join("xtask/bench/measure.py"))
            .arg(command.get_program())
            .args(command.get_args());
        for (k, v) in command.get_envs() {
            if let Some(v) = v {
                wrapped.env(k, v);
            }
        }
        let out = crate::bench::run_json(&mut wrapped)?;
        if out["status"].as_i64() != Some(0) {
            bail!("{command:?} failed");
        }
        times.push(out["seconds"].as_f64().unwrap_or(f64::NAN));
        peak = peak.max(out["peak_mb"].as_f64().unwrap_or(0.0));
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], peak))
}

fn venv(root: &Path) -> Result<PathBuf> {
    let dir = root.join("bench-tools/aggregate-venv");
    let python = dir.join("bin/python");
    let marker = dir.join("installed.txt");
    let wanted = PYTHON_PACKAGES.join(" ");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        eprintln!("installing {wanted} into {}", dir.display());
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .context("running python3 -m venv (Python 3 with venv is needed)")?
            .success()
            && Command::new(&python)
                .args(["-m", "pip", "install", "--quiet"])
                .args(PYTHON_PACKAGES)
                .status()?
                .success();
        if !ok {
            bail!("installing {wanted} failed");
        }
        std::fs::write(&marker, &wanted)?;
    }
    Ok(python)
}

fn xsv(root: &Path) -> Result<PathBuf> {
    let dir = root.join("bench-tools/xsv");
    let bin = dir.join("bin/xsv");
    if !bin.exists() {
        eprintln!("installing xsv {XSV} into {}", dir.display());
        let ok = Command::new(crate::cargo())
            .args([
                "install",
                "--quiet",
                "--locked",
                "xsv",
                "--version",
                XSV,
                "--root",
            ])
            .arg(&dir)
            .status()?
            .success();
        if !ok {
            bail!("cargo install xsv failed");
        }
    }
    Ok(bin)
}

pub fn run(root: &Path) -> Result<()> {
    let n: usize = std::env::var("DALA_BENCH_SUBMISSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = root.join("target/bench/aggregate");
    std::fs::create_dir_all(&dir)?;
    let form_path = dir.join("form.json");
    let form_text = serde_json::to_string_pretty(&form())?;
    std::fs::write(&form_path, &form_text)?;
    let plan_path = dir.join("plan.toml");
    std::fs::write(&plan_path, plan())?;
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec().to_string())?;

    let dala = crate::bench::build_bench_cli(root, "aggregate")?;
    let python = venv(root)?;
    let xsv = xsv(root)?;

    // The data is made once per form and size; a later run reuses it.
    let bundle = dir.join("data.jsonl");
    let csv_dir = dir.join("export");
    let csv = csv_dir.join("bench_survey.csv");
    let stamp = dir.join("data.stamp");
    let want_stamp = format!("{n} {}", form_text.len());
    let mut made = json!(null);
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(want_stamp.as_str()) || !csv.exists()
    {
        eprintln!("bench aggregate: simulating {n} submissions");
        let (simulate_s, _) = measure_runs(
            1,
            &python,
            root,
            Command::new(&dala)
                .arg("simulate")
                .arg(&form_path)
                .args(["-n", &n.to_string(), "--seed", "1", "-o"])
                .arg(&bundle),
        )?;
        eprintln!("bench aggregate: exporting the wide CSV");
        let (export_s, export_mb) = measure_runs(
            1,
            &python,
            root,
            Command::new(&dala)
                .arg("export")
                .arg(&form_path)
                .arg(&bundle)
                .arg("-o")
                .arg(&csv_dir),
        )?;
        made = json!({"simulate_seconds": simulate_s, "export_seconds": export_s, "export_peak_mb": export_mb});
        std::fs::write(dir.join("data.json"), made.to_string())?;
        std::fs::write(&stamp, &want_stamp)?;
    } else if let Ok(text) = std::fs::read_to_string(dir.join("data.json")) {
        made = serde_json::from_str(&text)?;
    }
    let csv_mb = std::fs::metadata(&csv)?.len() as f64 / 1e6;

    eprintln!("bench aggregate: dala aggregate ({csv_mb:.0} MB of CSV)");
    let tidy = dir.join("dala-tables.csv");
    let dala_run = measure(
        &python,
        root,
        Command::new(&dala)
            .arg("aggregate")
            .arg(&form_path)
            .arg(&csv)
            .arg("--plan")
            .arg(&plan_path)
            .arg("-o")
            .arg(&tidy),
    )?;
    let ours = flatten_tidy(&tidy)?;

    let mut results = vec![("dala".to_string(), dala_run, ours.len())];
    for (name, tool, threads) in [
        ("polars-2", "polars", "2"),
        ("polars-1", "polars", "1"),
        ("pandas", "pandas", "1"),
    ] {
        eprintln!("bench aggregate: {name}");
        let out = dir.join(format!("{name}.json"));
        let m = measure(
            &python,
            root,
            Command::new(&python)
                .arg(root.join("xtask/bench/aggregate.py"))
                .arg(tool)
                .arg(&spec_path)
                .arg(&csv)
                .arg(&out)
                .env("POLARS_MAX_THREADS", threads),
        )?;
        let checked = same(name, &ours, &flatten_json(&out)?, "")?;
        results.push((name.to_string(), m, checked));
    }
    eprintln!("bench aggregate: xsv frequency");
    let xsv_out = dir.join("xsv.csv");
    let xsv_run = measure(
        &python,
        root,
        Command::new("sh").arg("-c").arg(format!(
            "'{}' frequency -l 0 -s {} '{}' > '{}'",
            xsv.display(),
            selects().join(","),
            csv.display(),
            xsv_out.display()
        )),
    )?;
    let checked = same("xsv", &ours, &flatten_xsv(&xsv_out)?, "frequency/")?;
    results.push(("xsv (frequencies only)".to_string(), xsv_run, checked));

    let get = |name: &str| results.iter().find(|r| r.0 == name).map(|r| r.1);
    let (dala_s, dala_mb) = dala_run;
    let (p2_s, p2_mb) = get("polars-2").unwrap_or((f64::NAN, f64::NAN));
    let (p1_s, _) = get("polars-1").unwrap_or((f64::NAN, f64::NAN));
    let (pd_s, _) = get("pandas").unwrap_or((f64::NAN, f64::NAN));
    let report = json!({
        "machine": machine(),
        "submissions": n,
        "csv_mb": csv_mb,
        "data": made,
        "tools": results.iter().map(|(name, (s, mb), checked)| json!({
            "name": name, "seconds": s, "peak_mb": mb, "figures_checked": checked})).collect::<Vec<_>>(),
        "ratios": {
            "time_vs_polars_2_threads": dala_s / p2_s,
            "time_vs_polars_1_thread": dala_s / p1_s,
            "time_vs_pandas": dala_s / pd_s,
            "memory_vs_polars_2_threads": dala_mb / p2_mb,
        },
        "goals": {"time_vs_polars": 0.75, "time_vs_pandas": 0.25, "memory_vs_polars": 0.25},
        "peers": PYTHON_PACKAGES.iter().map(std::string::ToString::to_string).chain([format!("xsv=={XSV}")]).collect::<Vec<_>>(),
    });
    let path = root.join("target/bench/aggregate.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("{n} submissions, {csv_mb:.0} MB wide CSV; median of {RUNS} runs, peak memory");
    for (name, (s, mb), checked) in &results {
        println!("  {name:<24} {s:>7.2} s {mb:>8.0} MB   {checked} figures agree with dala");
    }
    println!(
        "  dala / polars (2 threads): time {:.2}x, memory {:.2}x; / polars (1 thread) {:.2}x; / pandas {:.2}x",
        dala_s / p2_s,
        dala_mb / p2_mb,
        dala_s / p1_s,
        dala_s / pd_s
    );
    println!("wrote {}", path.display());
    Ok(())
}
