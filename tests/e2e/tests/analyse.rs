//! The Analyse workspace end to end in headless Chromium, as an analyst uses it: three
//! bundles of the police survey imported at once (two tablets, and a copy of the first with a
//! broken line), the report checked, the share of women by district checked against
//! `dala aggregate` and its CSV compared byte for byte with the CLI's, the wide export
//! against `dala export`, a filter, a record opened read-only, and the chart downloads.
//! Run with `cargo xtask test` (it builds dist/ and the CLI, and sets DALA_DIST and DALA_CLI).

use dala_e2e::collect::Collect;
use dala_e2e::server::StaticServer;
use dala_e2e::webdriver::Browser;
use dala_e2e::{downloaded, env_path, scratch};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FORM: &str = "police_gender_representation";

/// One browser at a time: two cores run one Chromium well, not two.
static ONE_BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn instrument() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../surveys/police-gender-representation/instrument.json")
}

fn dala(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(env_path("DALA_CLI"))
        .args(args)
        .output()
        .expect("dala runs");
    assert!(
        out.status.success(),
        "dala {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A simulated bundle of `n` interviews, as if from tablet `device`.
fn bundle(dir: &Path, name: &str, n: usize, seed: u64, device: &str) -> PathBuf {
    let path = dir.join(name);
    dala(&[
        "simulate".as_ref(),
        instrument().as_os_str(),
        "-n".as_ref(),
        n.to_string().as_ref(),
        "--seed".as_ref(),
        seed.to_string().as_ref(),
        "-o".as_ref(),
        path.as_os_str(),
    ]);
    let text = std::fs::read_to_string(&path).expect("bundle");
    std::fs::write(&path, text.replace("dala-simulate", device)).expect("bundle");
    path
}

/// (finalized, drafts) among a bundle's records: simulated interviews end either way.
fn statuses(path: &Path) -> (usize, usize) {
    let text = std::fs::read_to_string(path).expect("bundle");
    let statuses: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|r| r["status"].as_str().unwrap_or_default().to_string())
        .collect();
    let finalized = statuses.iter().filter(|s| *s == "finalized").count();
    (finalized, statuses.len() - finalized)
}

/// The tidy CSV's rows as (group, category, statistic) -> value.
fn tidy(text: &str) -> BTreeMap<(String, String, String), String> {
    text.lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (
                (cells[2].into(), cells[3].into(), cells[4].into()),
                cells[5].to_string(),
            )
        })
        .collect()
}

#[test]
fn three_bundles_are_imported_tabled_charted_and_exported_like_the_cli() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("analyse");
    let downloads = files.join("downloads");
    std::fs::create_dir_all(&downloads).expect("downloads");
    let a = bundle(&files, "tablet-a.jsonl", 40, 1, "tab-a");
    let b = bundle(&files, "tablet-b.jsonl", 30, 2, "tab-b");
    // A copy of the first (every record a duplicate), with a broken line at line 5.
    let mut lines: Vec<String> = std::fs::read_to_string(&a)
        .expect("a")
        .lines()
        .map(String::from)
        .collect();
    lines.insert(4, "{\"format\": 1, \"instance_id\": ".into());
    let copy = files.join("tablet-a-again.jsonl");
    std::fs::write(&copy, lines.join("\n") + "\n").expect("copy");

    let server = StaticServer::start(&env_path("DALA_DIST"), "127.0.0.1:0").expect("server");
    let browser =
        Browser::start_with(1280, 800, Some(&downloads)).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    // The workspace opens on the first instrument on the device (FAST); the bundles are the
    // police survey's, and the workspace goes to it after the import (issue 16).
    browser
        .goto(&format!("{}design.html#/analyse", server.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("#analyse[data-ready=\"true\"]");
    assert_eq!(
        app.js(
            "return document.querySelector('.analyse-form').value",
            json!([])
        ),
        "fast_family_outcomes"
    );
    assert_eq!(
        app.js(
            "return document.querySelector('#analyse').dataset.records",
            json!([])
        ),
        "0"
    );

    // Import the three at once.
    let paths = [&a, &b, &copy].map(|p| p.display().to_string()).join("\n");
    browser
        .type_into("#analyse input.bundles", &paths)
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait("return document.querySelectorAll('.import-report tr.bundle').length === 3 && document.querySelector('#analyse').dataset.ready === 'true'");
    let cell = |name: &str, class: &str| {
        app.js(
            "return document.querySelector(`.import-report tr.bundle[data-name=\"${arguments[0]}\"] .${arguments[1]}`).textContent",
            json!([name, class]),
        )
    };
    assert_eq!(
        app.js(
            "return [document.querySelector('.analyse-form').value, location.hash]",
            json!([])
        ),
        json!([FORM, format!("#/analyse/{FORM}")])
    );
    let ((a_final, a_drafts), (b_final, b_drafts)) = (statuses(&a), statuses(&b));
    assert!(a_final > 20 && b_final > 15, "{a_final} {b_final}");
    assert_eq!(cell("tablet-a.jsonl", "added"), a_final.to_string());
    assert_eq!(cell("tablet-a.jsonl", "drafts"), a_drafts.to_string());
    assert_eq!(cell("tablet-b.jsonl", "added"), b_final.to_string());
    assert_eq!(cell("tablet-b.jsonl", "drafts"), b_drafts.to_string());
    // The copy: every finalized record a duplicate, its drafts left out, one bad line.
    assert_eq!(cell("tablet-a-again.jsonl", "added"), "0");
    assert_eq!(
        cell("tablet-a-again.jsonl", "duplicates"),
        a_final.to_string()
    );
    assert_eq!(cell("tablet-a-again.jsonl", "bad"), "1");
    let problems = app.text(".import-report .bundle-problems");
    assert!(problems.contains("tablet-a-again.jsonl:5:"), "{problems}");
    let total = a_final + b_final;
    assert_eq!(
        app.js(
            "return document.querySelector('#analyse').dataset.records",
            json!([])
        ),
        total.to_string()
    );
    assert!(
        app.text(".data-view .pager-text")
            .starts_with(&format!("{total} "))
    );
    dala_e2e::screenshot(&browser, "analyse-import");

    // The seed plan, and the share of women by district against the CLI's numbers.
    app.click(".load-plan");
    let card = ".table-card[data-table=\"women_share_by_district\"]";
    app.wait_for_selector(card);
    let plan = files.join("women.toml");
    std::fs::write(&plan, dala_e2e::WOMEN_BY_DISTRICT).expect("plan");
    let cli_csv = files.join("cli-women.csv");
    dala(&[
        "aggregate".as_ref(),
        instrument().as_os_str(),
        a.as_os_str(),
        b.as_os_str(),
        copy.as_os_str(),
        "--plan".as_ref(),
        plan.as_os_str(),
        "-o".as_ref(),
        cli_csv.as_os_str(),
    ]);
    let cli_text = std::fs::read_to_string(&cli_csv).expect("cli csv");
    let cli = tidy(&cli_text);
    let shown = app.js(
        "return [...document.querySelectorAll(arguments[0] + ' tr[data-category]')].flatMap(r => [...r.querySelectorAll('td')].map(td => [r.dataset.group, r.dataset.category, td.dataset.stat, td.textContent]))",
        json!([card]),
    );
    let shown = shown.as_array().expect("cells");
    assert!(shown.len() > 20, "{shown:?}");
    let mut compared = 0;
    for cell in shown {
        let [group, category, statistic, text] =
            [0, 1, 2, 3].map(|i| cell[i].as_str().unwrap_or_default().to_string());
        let Some(value) = cli.get(&(group.clone(), category.clone(), statistic.clone())) else {
            // A statistic only one category has (the benchmark's): blank for the others.
            assert_eq!(text, "", "the CLI has no {group} {category} {statistic}");
            continue;
        };
        let value: f64 = value.parse().unwrap_or(f64::NAN);
        let expected = match statistic.as_str() {
            "count" => format!("{value:.0}"),
            _ if value.is_nan() => String::new(),
            _ => format!("{value:.1}"),
        };
        assert_eq!(text, expected, "{group} {category} {statistic}");
        compared += 1;
    }
    assert!(compared > 20, "{compared} figures compared");
    app.js(
        "document.querySelector(arguments[0]).scrollIntoView()",
        json!([card]),
    );
    dala_e2e::screenshot(&browser, "analyse-chart");
    // Its CSV, byte for byte.
    app.click(&format!("{card} button.csv"));
    let csv = downloaded(&downloads, |n| n == "women_share_by_district.csv");
    assert_eq!(std::fs::read_to_string(csv).expect("csv"), cli_text);

    // The same share built by hand from the pickers (issue 16): one table with a row per
    // district, of the category picked, named by its questions.
    let pick = |selector: &str, value: &str| {
        app.wait(&format!(
            "return [...document.querySelectorAll('{selector} option')].some(o => o.value === '{value}')"
        ));
        app.js(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true }))",
            json!([selector, value]),
        );
    };
    pick(".builder-variable", "sex");
    pick(".builder-category", "f");
    pick(".builder-by", "district");
    app.click(".add-table");
    let built = ".table-card[data-table=\"sex_f_by_district\"]";
    app.wait_for_selector(built);
    assert_eq!(
        app.js(
            "return document.querySelectorAll(arguments[0] + ' .table-group').length",
            json!([built])
        ),
        1,
        "one table"
    );
    let categories = app.js(
        "return [...new Set([...document.querySelectorAll(arguments[0] + ' tr[data-category]')].map(r => r.dataset.category))]",
        json!([built]),
    );
    assert_eq!(categories, json!(["f"]));
    let by_hand = app.js(
        "return [...document.querySelectorAll(arguments[0] + ' tr[data-category] td[data-stat=\"percent\"]')].map(td => td.closest('tr').dataset.group + ' ' + td.textContent)",
        json!([built]),
    );
    let from_plan = app.js(
        "return [...document.querySelectorAll(arguments[0] + ' tr[data-category] td[data-stat=\"percent\"]')].map(td => td.closest('tr').dataset.group + ' ' + td.textContent)",
        json!([card]),
    );
    assert_eq!(
        by_hand, from_plan,
        "the plan's share and the one built agree"
    );
    assert!(
        app.text(&format!("{built} h4"))
            .starts_with("Sex: Female / "),
        "{}",
        app.text(&format!("{built} h4"))
    );

    // The chart: an image of the SVG, downloadable as SVG and PNG.
    let src = app.js(
        "return document.querySelector(arguments[0] + ' figure.chart img').getAttribute('src')",
        json!([card]),
    );
    assert!(
        src.as_str()
            .is_some_and(|s| s.starts_with("data:image/svg+xml"))
    );
    app.click(&format!("{card} button.svg"));
    let svg =
        std::fs::read_to_string(downloaded(&downloads, |n| n.ends_with(".svg"))).expect("svg");
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
    app.click(&format!("{card} button.png"));
    let png = std::fs::read(downloaded(&downloads, |n| n.ends_with(".png"))).expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // The wide export: the same files as `dala export`, the same lines (the CLI keeps the
    // bundles' order, the app the store's).
    app.click(".download-wide");
    let zip_path = downloaded(&downloads, |n| n.ends_with(".zip"));
    let cli_dir = files.join("cli-export");
    dala(&[
        "export".as_ref(),
        instrument().as_os_str(),
        a.as_os_str(),
        b.as_os_str(),
        copy.as_os_str(),
        "-o".as_ref(),
        cli_dir.as_os_str(),
    ]);
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("zip")).expect("a zip");
    assert!(!archive.is_empty());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).expect("read");
        let cli =
            std::fs::read_to_string(cli_dir.join(entry.name())).expect("the CLI wrote it too");
        let sorted = |t: &str| {
            let mut lines: Vec<String> = t.lines().map(String::from).collect();
            let header = lines.remove(0);
            lines.sort();
            (header, lines)
        };
        assert_eq!(sorted(&text), sorted(&cli), "{}", entry.name());
    }

    // A filter: one district's records, as many as the bundles hold finalized.
    let records: Vec<serde_json::Value> = [&a, &b]
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .expect("bundle")
                .lines()
                .skip(1)
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .collect::<Vec<_>>()
        })
        .filter(|r| r["status"] == "finalized")
        .collect();
    let district = records
        .iter()
        .find_map(|r| r["answers"]["district"].as_str())
        .expect("a district answered")
        .to_string();
    let expected = records
        .iter()
        .filter(|r| r["answers"]["district"].as_str() == Some(district.as_str()))
        .count();
    app.js(
        "const s = document.querySelector('.filter-answer[data-name=\"district\"]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'))",
        json!([district]),
    );
    app.wait(&format!(
        "return document.querySelector('.data-view .pager-text').textContent.startsWith('{expected} ')"
    ));
    app.js(
        "document.querySelector('.data-view').scrollIntoView()",
        json!([]),
    );
    dala_e2e::screenshot(&browser, "analyse-data");

    // Answers read as labels in the form language, codes on hover (issue 16).
    let header = app.js(
        "return document.querySelector('.records-table th[data-name=\"district\"]').textContent",
        json!([]),
    );
    assert_eq!(header, "District or city department");
    let shown_district = app.js(
        "const i = [...document.querySelectorAll('.records-table th')].findIndex(th => th.dataset.name === 'district'); const td = document.querySelector('.record-row').children[i]; return [td.textContent, td.title]",
        json!([]),
    );
    assert_eq!(shown_district[1], district.as_str(), "the code on hover");
    assert_ne!(
        shown_district[0],
        district.as_str(),
        "a label, not the code"
    );
    let filtered = app.text(".data-view .pager-text");

    // One record opened read-only, inside Analyse; back, the filter is still there (issue 16).
    app.click(".record-row a.open");
    app.wait_for_selector("#analyse #interview[data-ready=\"true\"] .banner.read-only");
    assert!(
        app.js("return location.hash", json!([]))
            .as_str()
            .unwrap_or_default()
            .starts_with("#/analyse/police_gender_representation/record/")
    );
    assert_eq!(app.text(".workspace.current"), "Analyse");
    app.click("#interview .home-link");
    app.wait("return document.querySelector('#interview') === null && !document.querySelector('.workspace-body').hidden");
    assert_eq!(app.text(".data-view .pager-text"), filtered);
    // The tables stay across a reload.
    let tables = app.js(
        "return document.querySelectorAll('.table-card').length",
        json!([]),
    );
    app.js("location.reload()", json!([]));
    app.wait_for_selector("#analyse[data-ready=\"true\"] .table-card");
    assert_eq!(
        app.js(
            "return document.querySelectorAll('.table-card').length",
            json!([])
        ),
        tables
    );
    app.no_errors();
}

#[test]
fn the_workspace_fits_a_phone() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = StaticServer::start(&env_path("DALA_DIST"), "127.0.0.1:0").expect("server");
    let browser = Browser::start(412, 915).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    let files = scratch("analyse-phone");
    let police = bundle(&files, "tablet-p.jsonl", 30, 3, "tab-p");
    browser
        .goto(&format!("{}design.html#/analyse/{FORM}", server.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("#analyse[data-ready=\"true\"]");
    browser
        .type_into("#analyse input.bundles", &police.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait("return document.querySelectorAll('.import-report tr.bundle').length === 1 && document.querySelector('#analyse').dataset.ready === 'true'");
    app.click(".load-plan");
    app.wait_for_selector(".table-card figure.chart img");
    // A phone is shown the chart drawn for its width (issue 16): 360 units at their own size.
    app.wait("const i = document.querySelector('.table-card figure.chart img'); return i.complete && i.naturalWidth > 0");
    let width = app.js(
        "return document.querySelector('.table-card figure.chart img').naturalWidth",
        json!([]),
    );
    assert_eq!(width, 360);
    app.js(
        "document.querySelector('.table-card figure.chart').scrollIntoView()",
        json!([]),
    );
    dala_e2e::screenshot(&browser, "analyse-phone");
    // Nothing wider than the screen: the data table scrolls in its own box.
    app.assert_fits_screen();
    app.no_errors();
}

/// Bundles damaged on the way (a byte-order mark, a line of bad bytes, a cut last line, a NUL,
/// a 50 MB line, a line nested 100,000 deep, the header not first, two headers, another
/// instrument's bundle appended, CRLF): the command line and the Analyse import give the same
/// report for each, the one worked out from the damage (issue 25).
#[test]
fn damaged_bundles_get_the_same_report_from_the_cli_and_the_import() {
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = scratch("analyse-hostile");
    let base = bundle(&files, "base.jsonl", 12, 11, "tab-h");
    let fast_instrument = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../surveys/fast-family-outcomes/instrument.json");
    let other = files.join("fast.jsonl");
    dala(&[
        "simulate".as_ref(),
        fast_instrument.as_os_str(),
        "-n".as_ref(),
        "3".as_ref(),
        "--seed".as_ref(),
        "12".as_ref(),
        "-o".as_ref(),
        other.as_os_str(),
    ]);
    let read = |p: &Path| std::fs::read_to_string(p).expect("bundle");
    let hostile = dala_e2e::hostile::write_all(&files, &read(&base), &read(&other));

    // The command line, one file at a time.
    for h in &hostile {
        let out = Command::new(env_path("DALA_CLI"))
            .args([
                "aggregate".as_ref(),
                instrument().as_os_str(),
                h.path.as_os_str(),
            ])
            .output()
            .expect("dala runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            dala_e2e::hostile::from_cli(&stderr),
            h.expected,
            "dala aggregate {}: {stderr}",
            h.name
        );
    }

    // The Analyse import, all files at once.
    let server = StaticServer::start(&env_path("DALA_DIST"), "127.0.0.1:0").expect("server");
    let browser = Browser::start(1280, 800).unwrap_or_else(|e| panic!("{e}"));
    let app = Collect::new(&browser);
    browser
        .goto(&format!("{}design.html#/analyse/{FORM}", server.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for_selector("#analyse[data-ready=\"true\"]");
    let paths: Vec<String> = hostile
        .iter()
        .map(|h| h.path.display().to_string())
        .collect();
    browser
        .type_into("#analyse input.bundles", &paths.join("\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait(&format!("return document.querySelectorAll('.import-report tr.bundle').length === {} && document.querySelector('#analyse').dataset.ready === 'true'", hostile.len()));
    for h in &hostile {
        let seen = app.js(
            r#"const row = document.querySelector(`.import-report tr.bundle[data-name="${arguments[0]}"]`);
            const next = row.nextElementSibling;
            const items = next && next.classList.contains('bundle-problems') ? [...next.querySelectorAll('li')] : [];
            return JSON.stringify({
                kept: Number(row.querySelector('.added').textContent),
                items: items.map(li => [li.dataset.code, li.textContent]),
            });"#,
            json!([h.name]),
        );
        let seen: serde_json::Value =
            serde_json::from_str(seen.as_str().unwrap_or_default()).expect("json");
        let mut report = dala_e2e::hostile::Report {
            kept: seen["kept"].as_u64().unwrap_or(u64::MAX) as usize,
            bad: Vec::new(),
            refused: None,
        };
        for item in seen["items"].as_array().into_iter().flatten() {
            let code = item[0].as_str().unwrap_or_default().to_string();
            let text = item[1].as_str().unwrap_or_default();
            // "NAME:LINE: why" for a bad line, "line N: CODE why" for a refused file.
            let bad_line = text
                .strip_prefix(&format!("{}:", h.name))
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse().ok());
            match bad_line {
                Some(line) => report.bad.push((line, code)),
                None => {
                    let line = text
                        .strip_prefix("line ")
                        .and_then(|rest| rest.split(':').next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    report.refused = Some((line, code));
                }
            }
        }
        assert_eq!(report, h.expected, "Analyse import of {}", h.name);
    }
    dala_e2e::screenshot(&browser, "analyse-hostile");
    app.no_errors();
}
