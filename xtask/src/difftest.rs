//! `cargo xtask difftest`: Dala's engine against ODK's own, form by form. For every form that
//! pyxform accepts and Dala loads (the compat corpus, the seed instruments and generated forms),
//! Dala's engine plays seeded steps (`dala_aggregate::trace`), ODK Web Forms' engine replays
//! them on the XForm pyxform made (xtask/bench/difftest.js), and after every step each node is
//! compared: relevant, required, read-only, value, constraint validity; at the end, the record.
//! Prints every difference and writes target/bench/difftest.json. Differences that are
//! deliberate are listed in KNOWN with why (and in the README).

use crate::bench::install_npm;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const WEB_FORMS: [&str; 2] = ["@getodk/xforms-engine@0.22.0", "jsdom@29.1.1"];
const STEPS: usize = 50;
const SEED: u64 = 20_150_317;

/// Deliberate differences, each with why; `known` tells them from the others. The README's
/// list says the same.
const NUMBER_FORM: &str = "a decimal answer is stored as XPath prints the number (4.0 typed is 4, 1.50 is 1.5); ODK Web Forms keeps the text as typed: the same number, one spelling in Dala's records";
const COUNT_COPY: &str = "pyxform adds a calculate NAME_count holding a repeat_count expression's value; Dala counts from the repeat_count itself, and its record holds the instances, not a copy of their number";
const EMPTY_SUM: &str = "ODK Web Forms leaves blank a calculate that sums or counts a repeat with no instances (at load, or once the last one is removed); XPath 1.0's sum() of nothing is 0, which Dala gives";
const NESTED_TEMPLATE: &str = "an instance added to a repeat starts with no instances of the repeats inside it, as an instance made from an XForm template does; pyxform writes a copy of a repeat that sits in a group of the outer repeat into the template, so there ODK starts with one";
const FILTERED_CHOICE: &str = "when a choice filter stops offering the answer, Dala clears it; ODK Web Forms keeps it hidden and shows it again when the filter offers the choice again";
const RANDOMIZED_ORDER: &str = "a select_multiple stores its choices in the list's order; with randomize, ODK Web Forms stores them in the order shown";
const PYXFORM_NODE: &str = "pyxform adds nodes of its own to the XForm (an entity's meta block, a table-list's label rows); Dala's instrument has no such nodes (entities are not read yet)";
const POINT_FORM: &str = "a point is kept as the device gave it (42.94330 74.60281 800 5, points joined by '; '); ODK Web Forms reprints each number (800 as 800.0) and joins points by ';': the same points";
const BLANK_COUNT: &str = "while a counted repeat's count is blank (being retyped), Dala holds the instances out of the record as for 0, kept until the count comes back; ODK Web Forms keeps the previous count (a stopgap, its own code says)";
const HELD_BACK: &str = "instances of a counted repeat beyond its count are held with their answers, and come back with them when the count goes up again; ODK Web Forms removes them, so its instances come back empty";
const INDEX_ZERO: &str = "indexed-repeat() at a position no instance has (0, in the first instance of `${pos} - 1`) is empty in Dala, as `repeat[0]` selects nothing in XPath; ODK Web Forms gives the first instance";
const TRIGGER_INTO_REPEAT: &str = "a question with a trigger inside a repeat, triggered from outside that repeat instance: Dala sets it in every instance the trigger reaches; ODK Web Forms refuses the trigger's answer (its action would target more than one node)";
const OWN_ID: &str = "each engine makes the record's own instance id (a random uuid:...), so a value copied from ${instanceID} differs between the two runs by nature";

/// How much of the corpus to run.
#[derive(Clone, Copy, PartialEq)]
pub enum Scope {
    /// Everything: the whole compat corpus and 200 generated forms.
    Full,
    /// What `cargo xtask test` keeps: the seed instruments and 25 generated forms.
    Quick,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub form: String,
    /// 0 before the first step; `steps + 1` for the record.
    pub step: usize,
    pub path: String,
    pub field: String,
    pub dala: String,
    pub odk: String,
    /// Why it is a deliberate difference, when it is one.
    pub known: Option<&'static str>,
}

pub struct Outcome {
    pub forms: usize,
    pub differences: Vec<Difference>,
    pub known: Vec<(Difference, &'static str)>,
    /// Forms ODK's engine could not load (with why).
    pub odk_refused: Vec<(String, String)>,
}

pub fn run(root: &Path, scope: Scope) -> Result<Outcome> {
    let work = root.join("target/difftest");
    let _ = std::fs::remove_dir_all(&work);
    let forms_dir = work.join("forms");
    let generated_dir = work.join("generated");
    std::fs::create_dir_all(&forms_dir)?;
    std::fs::create_dir_all(&generated_dir)?;
    let count = if scope == Scope::Full { 200 } else { 25 };
    let mut files: Vec<PathBuf> = Vec::new();
    for i in 0..count {
        let size = 12 + (i % 5) * 10;
        let path = generated_dir.join(format!("generated-{i:03}.md"));
        std::fs::write(
            &path,
            crate::difftest_forms::generate(SEED + i as u64, size),
        )?;
        files.push(path);
    }
    for seed in ["fast-family-outcomes", "police-gender-representation"] {
        files.push(root.join("surveys").join(seed).join("instrument.xlsx"));
    }
    let tests = root.join("../shared/corpus/pyxform-tests/tests");
    if scope == Scope::Full {
        files.extend(crate::compat::workbooks(root));
        files.sort();
        files.dedup();
        if !tests.is_dir() {
            println!("pyxform's test suite is not beside the clone; its forms are left out");
        }
    }
    let site = dala_e2e::pyxform::site();
    let out = Command::new("python3")
        .arg(root.join("xtask/bench/compat.py"))
        .arg(&site)
        .arg(work.join("pyxform-tests"))
        .arg(if scope == Scope::Full {
            tests
        } else {
            work.join("none")
        })
        .args(&files)
        .env("DALA_XFORMS", &forms_dir)
        .output()
        .context("running python3 (Python 3 is needed for the pyxform oracle)")?;
    if !out.status.success() {
        bail!("compat.py failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let verdicts: Vec<Value> = serde_json::from_slice(&out.stdout).context("compat.py's output")?;
    let mut names = Vec::new();
    for v in &verdicts {
        if v["pyxform"] != "ok" {
            if scope == Scope::Quick {
                bail!("pyxform refuses {}: {}", v["form"], v["why"]);
            }
            continue;
        }
        let name = v["form"].as_str().unwrap_or_default().to_string();
        let path = PathBuf::from(v["path"].as_str().unwrap_or_default());
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("form");
        let Ok(form) = dala_xlsform::load(&bytes, stem) else {
            if scope == Scope::Quick {
                bail!("Dala refuses {name}");
            }
            continue;
        };
        let trace = dala_aggregate::trace::trace(&form, STEPS, SEED);
        std::fs::write(
            forms_dir.join(format!("{name}.trace.json")),
            serde_json::to_string(&trace)?,
        )?;
        names.push(name);
    }
    let names_file = work.join("names.txt");
    std::fs::write(&names_file, names.join("\n"))?;
    let modules = install_npm(root, "engine", &WEB_FORMS)?;
    let status = Command::new("node")
        .arg(root.join("xtask/bench/difftest.js"))
        .arg(&forms_dir)
        .arg(&names_file)
        .arg(&modules)
        .status()
        .context("running Node.js with ODK's engine")?;
    if !status.success() {
        bail!("difftest.js failed");
    }
    let mut outcome = Outcome {
        forms: names.len(),
        differences: Vec::new(),
        known: Vec::new(),
        odk_refused: Vec::new(),
    };
    for name in &names {
        let read = |ext: &str| -> Result<Value> {
            let text = std::fs::read_to_string(forms_dir.join(format!("{name}.{ext}.json")))?;
            Ok(serde_json::from_str(&text)?)
        };
        let (ours, odk) = (read("trace")?, read("odk")?);
        if let Some(why) = odk["load_error"].as_str() {
            outcome.odk_refused.push((name.clone(), why.to_string()));
            continue;
        }
        for d in compare(name, &ours, &odk) {
            match d.known {
                Some(why) => outcome.known.push((d, why)),
                None => outcome.differences.push(d),
            }
        }
    }
    Ok(outcome)
}

/// The differences of one form, each (path, field) reported at the first step it appears.
pub fn compare(form: &str, ours: &Value, odk: &Value) -> Vec<Difference> {
    let odk_trace = odk;
    let mut out = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut push = |step: usize, path: &str, field: &str, dala: String, odk: String| {
        if seen.insert((path.to_string(), field.to_string())) {
            let known = known(ours, odk_trace, step, path, field, &dala, &odk);
            out.push(Difference {
                form: form.to_string(),
                step,
                path: path.to_string(),
                field: field.to_string(),
                dala,
                odk,
                known,
            });
        }
    };
    for error in odk["errors"].as_array().into_iter().flatten() {
        let step = error["step"].as_u64().unwrap_or(0) as usize;
        let what = ours["steps"][step.saturating_sub(1)].to_string();
        push(
            step,
            &what,
            "step",
            "played".into(),
            error["error"].as_str().unwrap_or_default().to_string(),
        );
    }
    let empty = serde_json::Map::new();
    let states = |v: &Value| v["states"].as_array().cloned().unwrap_or_default();
    for (step, (a, b)) in states(ours).iter().zip(states(odk).iter()).enumerate() {
        let (a, b) = (
            a.as_object().unwrap_or(&empty),
            b.as_object().unwrap_or(&empty),
        );
        let paths: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for path in paths {
            let (x, y) = match (a.get(path), b.get(path)) {
                (Some(x), Some(y)) => (x, y),
                // A node one side has and does not show (not relevant) is in no record and
                // on no screen: nothing to compare.
                (Some(x), None) => {
                    if x["relevant"] == true {
                        push(step, path, "exists", "yes".into(), "no".into());
                    }
                    continue;
                }
                (None, Some(y)) => {
                    // ODK's preloaded metadata (deviceid, username ...) Dala leaves out.
                    if y["preload"] != true && y["relevant"] == true {
                        push(step, path, "exists", "no".into(), "yes".into());
                    }
                    continue;
                }
                (None, None) => continue,
            };
            let flag = |v: &Value, k: &str| v[k].as_bool().unwrap_or(false);
            if flag(x, "relevant") != flag(y, "relevant") {
                push(
                    step,
                    path,
                    "relevant",
                    flag(x, "relevant").to_string(),
                    flag(y, "relevant").to_string(),
                );
                continue;
            }
            if flag(x, "container") || !flag(x, "relevant") {
                continue;
            }
            // A calculate is read-only to the enumerator in both; ODK's engine reports its
            // model node as not read-only, which nothing shows.
            let calculate = y["type"] == "model-value";
            for field in ["required", "read_only", "valid"] {
                if field == "read_only" && calculate {
                    continue;
                }
                if flag(x, field) != flag(y, field) {
                    push(
                        step,
                        path,
                        field,
                        flag(x, field).to_string(),
                        flag(y, field).to_string(),
                    );
                }
            }
            let value = |v: &Value| v["value"].as_str().unwrap_or_default().to_string();
            if !flag(x, "volatile") && !flag(y, "preload") && value(x) != value(y) {
                push(step, path, "value", value(x), value(y));
            }
        }
    }
    let record_step = states(ours).len();
    let map = |v: &Value| -> BTreeMap<String, String> {
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    };
    let (mine, theirs) = (map(&ours["record"]), map(&odk["record"]));
    // Which record entries are volatile: a question's name is its path's last segment.
    let last_state = states(ours).last().cloned().unwrap_or(Value::Null);
    let volatile: BTreeSet<String> = last_state
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, s)| s["volatile"] == true)
        .map(|(p, _)| p.rsplit('/').next().unwrap_or(p).to_string())
        .collect();
    let keys: BTreeSet<&String> = mine.keys().chain(theirs.keys()).collect();
    for key in keys {
        let name = key.rsplit('/').next().unwrap_or(key);
        let name = name.split('[').next().unwrap_or(name);
        if volatile.contains(name) {
            continue;
        }
        let (a, b) = (
            mine.get(key).map_or("", String::as_str),
            theirs.get(key).map_or("", String::as_str),
        );
        // An empty entry and a missing one say the same (a record leaves notes out).
        if a != b {
            push(record_step, key, "record", a.to_string(), b.to_string());
        }
    }
    // A held instance's answers are missing from the record for the same reason.
    let instances = |path: &str| -> String {
        path.split('/')
            .filter(|segment| segment.contains('['))
            .collect::<Vec<_>>()
            .join("/")
    };
    let held: Vec<String> = out
        .iter()
        .filter(|d| d.known == Some(BLANK_COUNT))
        .map(|d| instances(&d.path))
        .collect();
    let brought_back: Vec<String> = out
        .iter()
        .filter(|d| d.known == Some(HELD_BACK))
        .map(|d| instances(&d.path))
        .collect();
    let within = |list: &[String], at: &str| {
        list.iter()
            .any(|h| !h.is_empty() && at.starts_with(h.as_str()))
    };
    // A step on a node ODK lacks because it is inside an instance brought back.
    let held_nodes: Vec<String> = out
        .iter()
        .filter(|d| d.known == Some(HELD_BACK) && d.field == "exists" && d.odk == "no")
        .map(|d| d.path.clone())
        .collect();
    for d in &mut out {
        if d.field == "step"
            && d.known.is_none()
            && let Some(node) = d.odk.strip_prefix("no node ")
            && held_nodes
                .iter()
                .any(|h| node == h || node.starts_with(&format!("{h}/")))
        {
            d.known = Some(HELD_BACK);
        }
    }
    for d in &mut out {
        if d.field == "record" && d.known.is_none() {
            let at = instances(&d.path);
            if d.dala.is_empty() && within(&held, &at) {
                d.known = Some(BLANK_COUNT);
            } else if !d.dala.is_empty() && d.odk.is_empty() && within(&brought_back, &at) {
                d.known = Some(HELD_BACK);
            }
        }
    }
    out
}

/// Why a difference is deliberate, if it is one of those listed above.
fn known(
    ours: &Value,
    theirs: &Value,
    step: usize,
    path: &str,
    field: &str,
    dala: &str,
    odk: &str,
) -> Option<&'static str> {
    let number = |s: &str| s.parse::<f64>().ok();
    if field == "step" && odk.contains("trying to target a repeated field") {
        return Some(TRIGGER_INTO_REPEAT);
    }
    let name = |path: &str| {
        let last = path.rsplit('/').next().unwrap_or(path);
        last.split('[').next().unwrap_or(last).to_string()
    };
    // Only in a repeat's first instance, where `position - 1` is 0.
    if matches!(field, "value" | "record")
        && dala.is_empty()
        && !odk.is_empty()
        && path.ends_with(&format!("[1]/{}", name(path)))
        && ours["indexed"]
            .as_array()
            .is_some_and(|names| names.iter().any(|n| n.as_str() == Some(&name(path))))
    {
        return Some(INDEX_ZERO);
    }
    if matches!(field, "value" | "record")
        && dala.starts_with("uuid:")
        && odk.starts_with("uuid:")
        && dala.len() == odk.len()
    {
        return Some(OWN_ID);
    }
    if matches!(field, "value" | "record") && number(dala).is_some() && number(dala) == number(odk)
    {
        return Some(NUMBER_FORM);
    }
    let numbers = |s: &str| -> Option<Vec<f64>> {
        s.split([' ', ';'])
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().ok())
            .collect()
    };
    if matches!(field, "value" | "record")
        && dala.contains(' ')
        && numbers(dala).is_some()
        && numbers(dala) == numbers(odk)
    {
        return Some(POINT_FORM);
    }
    if odk_only(field, dala)
        && path.split('/').any(|segment| {
            matches!(segment, "meta" | "orx:meta")
                || segment.starts_with("generated_table_list_label_")
                || segment.starts_with("reserved_name_for_field_list_labels_")
        })
    {
        return Some(PYXFORM_NODE);
    }
    if matches!(field, "value" | "record") && dala == "0" && odk.is_empty() {
        return Some(EMPTY_SUM);
    }
    if matches!(field, "value" | "record") && !dala.is_empty() && {
        let mut a: Vec<&str> = dala.split(' ').collect();
        let mut b: Vec<&str> = odk.split(' ').collect();
        a.sort_unstable();
        b.sort_unstable();
        a == b
    } {
        return Some(RANDOMIZED_ORDER);
    }
    // A filtered select whose answer the step made unavailable: Dala cleared it, ODK keeps
    // it (select_one_external is a plain input in ODK Web Forms, which keeps any value).
    if matches!(field, "value" | "record")
        && dala.is_empty()
        && !odk.is_empty()
        && ours["filtered"]
            .as_array()
            .is_some_and(|names| names.iter().any(|n| n.as_str() == Some(&name(path))))
        && (field == "record" || ours["steps"][step.saturating_sub(1)]["path"] != path)
    {
        return Some(FILTERED_CHOICE);
    }
    // ODK's value came back without a step setting it, where Dala's had been cleared.
    if field == "value" && dala.is_empty() && !odk.is_empty() && step > 0 {
        let before = |side: &Value| {
            side["states"][step - 1][path]["value"]
                .as_str()
                .map(str::is_empty)
        };
        let set_here = ours["steps"][step - 1]["path"] == path;
        if before(ours) == Some(true) && !set_here {
            return Some(FILTERED_CHOICE);
        }
    }
    // An instance that neither side showed a step ago: ODK made it afresh, Dala brought a
    // held one back with its answers.
    let fresh_value = field == "value" && !dala.is_empty() && odk.is_empty();
    if (fresh_value || field == "valid") && step > 0 {
        let instance = path.rfind(']').map(|at| &path[..=at]);
        let shown_before =
            |side: &Value| instance.is_some_and(|i| side["states"][step - 1].get(i).is_some());
        if instance.is_some() && !shown_before(ours) && !shown_before(theirs) {
            return Some(HELD_BACK);
        }
    }
    // Whatever is inside such an instance differs for the same reason (a count read from
    // its answers, so inner repeats of another size), when Dala showed it before: it is one
    // held and brought back, not one made afresh on both sides.
    if field == "exists" && step > 1 {
        let instances = path
            .match_indices(']')
            .map(|(at, _)| &path[..=at])
            .filter(|prefix| *prefix != path);
        let shown =
            |side: &Value, at: usize, instance: &str| side["states"][at].get(instance).is_some();
        for instance in instances {
            if !shown(ours, step - 1, instance)
                && !shown(theirs, step - 1, instance)
                && (0..step - 1).any(|at| shown(ours, at, instance))
            {
                return Some(HELD_BACK);
            }
        }
    }
    // A repeat's first instance inside a group inside a later instance of another repeat.
    if odk_only(field, dala) {
        let segments: Vec<&str> = path.split('/').collect();
        let nested = segments
            .windows(3)
            .any(|w| w[0].ends_with(']') && !w[1].ends_with(']') && w[2].ends_with(']'));
        if nested {
            return Some(NESTED_TEMPLATE);
        }
    }
    let last = path.rsplit('/').next().unwrap_or(path);
    let counted = ours["counted"].as_object();
    if odk_only(field, dala)
        && last
            .strip_suffix("_count")
            .is_some_and(|repeat| counted.is_some_and(|c| c.contains_key(repeat)))
    {
        return Some(COUNT_COPY);
    }
    // An instance ODK keeps and Dala holds, right after a question its count reads was cleared.
    if field == "exists" && dala == "no" {
        let step_taken = &ours["steps"][step.saturating_sub(1)];
        let cleared = step_taken["step"] == "set" && step_taken["value"] == "";
        let cleared_name = step_taken["path"]
            .as_str()
            .and_then(|p| p.rsplit('/').next())
            .unwrap_or_default();
        let repeat = path
            .split('/')
            .filter_map(|segment| segment.split_once('[').map(|(name, _)| name))
            .next_back();
        if cleared
            && let Some(reads) = repeat.and_then(|r| counted.and_then(|c| c.get(r)))
            && reads
                .as_array()
                .is_some_and(|names| names.iter().any(|n| n == cleared_name))
        {
            return Some(BLANK_COUNT);
        }
    }
    None
}

/// A node or record entry only ODK's side has.
fn odk_only(field: &str, dala: &str) -> bool {
    (field == "exists" && dala == "no") || (field == "record" && dala.is_empty())
}

pub fn command(root: &Path, args: &[String]) -> Result<()> {
    let scope = if args.iter().any(|a| a == "--quick") {
        Scope::Quick
    } else {
        Scope::Full
    };
    let outcome = run(root, scope)?;
    let mut by_form: BTreeMap<&str, Vec<&Difference>> = BTreeMap::new();
    for d in &outcome.differences {
        by_form.entry(&d.form).or_default().push(d);
    }
    for (form, diffs) in &by_form {
        println!("{form}:");
        for d in diffs {
            println!(
                "  step {:>2}  {:<40} {:<9} dala {:<24} odk {}",
                d.step, d.path, d.field, d.dala, d.odk
            );
        }
    }
    for (d, why) in &outcome.known {
        println!(
            "known: {} step {} {} {}: {why}",
            d.form, d.step, d.path, d.field
        );
    }
    for (form, why) in &outcome.odk_refused {
        println!("ODK's engine does not load {form}: {why}");
    }
    let mut fields: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &outcome.differences {
        *fields.entry(&d.field).or_default() += 1;
    }
    println!(
        "{} forms compared over {STEPS} steps each: {} with differences ({} differences: {fields:?}), {} known, {} ODK's engine does not load",
        outcome.forms,
        by_form.len(),
        outcome.differences.len(),
        outcome.known.len(),
        outcome.odk_refused.len()
    );
    let report = json!({
        "bench": "difftest",
        "peer": WEB_FORMS[0],
        "steps_per_form": STEPS,
        "seed": SEED,
        "forms": outcome.forms,
        "forms_with_differences": by_form.len(),
        "differences": outcome.differences.iter().map(|d| json!({
            "form": d.form, "step": d.step, "path": d.path, "field": d.field, "dala": d.dala, "odk": d.odk,
        })).collect::<Vec<_>>(),
        "known": outcome.known.iter().map(|(d, why)| json!({
            "form": d.form, "path": d.path, "field": d.field, "why": why,
        })).collect::<Vec<_>>(),
        "odk_does_not_load": outcome.odk_refused.iter().map(|(f, why)| json!({"form": f, "why": why})).collect::<Vec<_>>(),
        "machine": crate::bench::machine(),
    });
    std::fs::create_dir_all(root.join("target/bench"))?;
    let path = root.join("target/bench/difftest.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("figures in {}", path.display());
    Ok(())
}
