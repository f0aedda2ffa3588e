//! `cargo xtask bench xlsform`: a generated 5,000-row XLSForm with 2,000 choices, and a small
//! form whose sheet claims the dimension A1:AMJ1048576 (pyxform issue 604), converted by
//! dala-xlsform natively and by pyxform in the same run.

use crate::bench::{machine, run_json};
use anyhow::{Context, Result, bail};
use dala_core::{Choice, Instrument, Item, ItemType, Settings, Text};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const PYXFORM: &str = "pyxform==4.1.0";

/// 5,000 survey rows (groups of 50; selects, integers with relevant and constraint, text,
/// calculates) and 40 choice lists of 50 choices.
fn big_form() -> Instrument {
    let mut choices = BTreeMap::new();
    for l in 0..40 {
        let list: Vec<Choice> = (0..50)
            .map(|c| Choice {
                name: format!("c{c}"),
                label: Text::one("English (en)", &format!("Choice {c} of list {l}")),
                extra: BTreeMap::new(),
            })
            .collect();
        choices.insert(format!("list{l}"), list);
    }
    let mut survey = Vec::new();
    let mut n = 0;
    for g in 0..98 {
        let mut group = Item::new(ItemType::Group, &format!("g{g}"));
        group.label = Text::one("English (en)", &format!("Section {g}"));
        for _ in 0..49 {
            n += 1;
            let name = format!("q{n}");
            let item = match n % 10 {
                0..=5 => {
                    let mut i = Item::new(ItemType::SelectOne, &name);
                    i.list = Some(format!("list{}", n % 40));
                    i
                }
                6 | 7 => {
                    let mut i = Item::new(ItemType::Integer, &name);
                    i.relevant = Some(format!("${{q{}}} != 'c0'", n - 1));
                    i.constraint = Some(". >= 0 and . <= 100".into());
                    i
                }
                8 => Item::new(ItemType::Text, &name),
                _ => {
                    let mut i = Item::new(ItemType::Calculate, &name);
                    i.calculation = Some(format!("concat(${{q{}}}, '-', ${{q{}}})", n - 1, n - 2));
                    i
                }
            };
            let mut item = item;
            if item.item_type != ItemType::Calculate {
                item.label = Text::one("English (en)", &format!("Question {n}"));
            }
            group.children.push(item);
        }
        survey.push(group);
    }
    Instrument {
        format: dala_core::FORMAT,
        settings: Settings {
            form_id: "big".into(),
            version: "1".into(),
            title: Text::one("English (en)", "Big"),
            default_language: Some("English (en)".into()),
            instance_name: None,
            allow_choice_duplicates: false,
        },
        survey,
        choices,
        attachments: Vec::new(),
    }
}

pub fn run(root: &Path) -> Result<()> {
    let dir = root.join("target/bench/xlsform");
    std::fs::create_dir_all(&dir)?;
    let big = dir.join("big-5000-rows.xlsx");
    let workbook = dala_xlsform::writer::to_workbook(&big_form());
    let rows = workbook.sheets[0].rows().len() + workbook.sheets[1].rows().len();
    std::fs::write(&big, dala_xlsform::writer::write_xlsx(&workbook))?;
    let claim = dir.join("claims-A1-AMJ1048576.xlsx");
    let small = dala_xlsform::workbook::Sheet {
        name: "survey".into(),
        cells: [
            ((0, 0), "type"),
            ((0, 1), "name"),
            ((0, 2), "label"),
            ((1, 0), "text"),
            ((1, 1), "a"),
            ((1, 2), "A"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect(),
    };
    let xml = dala_xlsform::writer::sheet_xml(&small, Some("A1:AMJ1048576"));
    std::fs::write(
        &claim,
        dala_xlsform::writer::package(&[("survey".into(), xml)]),
    )?;
    let files = [big.display().to_string(), claim.display().to_string()];

    eprintln!("bench xlsform: dala-xlsform, native ({rows} rows in survey and choices)");
    let ours = run_json(
        Command::new(crate::cargo())
            .current_dir(root)
            .args([
                "bench",
                "--quiet",
                "-p",
                "dala-xlsform",
                "--bench",
                "xlsform",
            ])
            .env("DALA_BENCH_FILES", files.join(",")),
    )?;

    let site = root.join("bench-tools/python");
    if !site.join("pyxform").exists() {
        eprintln!("installing {PYXFORM} into {}", site.display());
        let status = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--target"])
            .arg(&site)
            .arg(PYXFORM)
            .status()
            .context("running pip (Python 3 and pip are needed for this benchmark)")?;
        if !status.success() {
            bail!("pip install {PYXFORM} failed");
        }
    }
    eprintln!("bench xlsform: peer, {PYXFORM}");
    let peer = run_json(
        Command::new("python3")
            .arg(root.join("xtask/bench/pyxform_run.py"))
            .arg(&site)
            .args(&files),
    )?;

    let mut rows_out = Vec::new();
    println!(
        "{:<28} {:>10} {:>12} {:>10} {:>12} {:>8}",
        "file", "dala", "dala peak", "pyxform", "pyxform peak", "ratio"
    );
    for (o, p) in ours
        .as_array()
        .into_iter()
        .flatten()
        .zip(peer.as_array().into_iter().flatten())
    {
        let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let name = Path::new(o["file"].as_str().unwrap_or_default())
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        println!(
            "{:<28} {:>8.1}ms {:>9.1}MiB {:>8.0}ms {:>9.1}MiB {:>7.0}x",
            name,
            f(o, "ms"),
            f(o, "peak_rss_kib") / 1024.0,
            f(p, "ms"),
            f(p, "peak_rss_kib") / 1024.0,
            f(p, "ms") / f(o, "ms")
        );
        rows_out.push(json!({"file": name, "ours": {"ms": f(o, "ms"), "peak_rss_kib": f(o, "peak_rss_kib")},
            "peer": {"ms": f(p, "ms"), "peak_rss_kib": f(p, "peak_rss_kib")}, "ratio": f(p, "ms") / f(o, "ms")}));
    }
    let report = json!({
        "bench": "xlsform",
        "what": "read + convert + validate an XLSForm (.xlsx); peak = the process's high-water resident memory",
        "ours": "dala-xlsform, native (release)",
        "peer": format!("{PYXFORM} (xls2xform_convert, validate=False), Python 3"),
        "files": rows_out,
        "machine": machine(),
    });
    let out = root.join("target/bench/xlsform.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!("figures in {}", out.display());
    Ok(())
}
