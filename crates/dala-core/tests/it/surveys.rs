//! The seed instruments in surveys/: each reads back, validates, compiles, and passes its
//! scenarios (surveys/NAME/scenarios.txt, at least ten per instrument). Scenario format:
//!
//! ```text
//! ## a scenario name                     starts a fresh interview
//! answer NAME[POS,..] = VALUE            positions are 0-based, one per enclosing repeat
//! refuse NAME = VALUE                    the engine must refuse this answer
//! expect value NAME = VALUE
//! expect relevant NAME = true|false
//! expect violated NAME = true|false      constraint violated
//! expect message NAME LANG = TEXT        constraint message
//! expect label NAME LANG = TEXT          label with ${} filled in
//! expect choices NAME = CODE CODE ...    after choice_filter
//! expect instances REPEAT = N
//! expect pages = N
//! expect finalize = ok | required:NAME constraint:NAME ...
//! expect record NAME = VALUE             in the finalized record (`absent` if left out)
//! ```
//! `""` is the empty value.
//! ```text
//! ```

use super::engine::host;
use dala_core::{Answer, Engine, Form, Instrument, ProblemKind, Status, validate};
use std::path::PathBuf;

fn surveys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../surveys")
}

fn node(e: &Engine, spec: &str) -> Result<dala_core::NodeRef, String> {
    let (name, positions) = match spec.split_once('[') {
        Some((name, rest)) => {
            let inner = rest.trim_end_matches(']');
            let positions = inner
                .split(',')
                .map(|p| {
                    p.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("bad position in {spec}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (name, positions)
        }
        None => (spec, Vec::new()),
    };
    e.node(name, &positions)
        .ok_or_else(|| format!("no node {spec}"))
}

fn run_step(e: &mut Engine, line: &str) -> Result<(), String> {
    let (lhs, rhs) = line
        .split_once(" = ")
        .map_or((line, ""), |(l, r)| (l, r.trim()));
    // `""` stands for the empty value.
    let rhs = if rhs == "\"\"" { "" } else { rhs };
    let words: Vec<&str> = lhs.split_whitespace().collect();
    match words.as_slice() {
        ["answer", spec] => {
            let n = node(e, spec)?;
            e.answer(&n, rhs)
                .map(drop)
                .map_err(|err| format!("answer refused: {err:?}"))
        }
        ["refuse", spec] => {
            let n = node(e, spec)?;
            let before = e.value(&n).to_string();
            match e.answer(&n, rhs) {
                Ok(_) => Err(format!("`{rhs}` was accepted")),
                Err(_) if e.value(&n) == before => Ok(()),
                Err(_) => Err("a refused answer changed the value".into()),
            }
        }
        ["expect", "value", spec] => {
            let got = e.value(&node(e, spec)?).to_string();
            if got == rhs {
                Ok(())
            } else {
                Err(format!("value is `{got}`"))
            }
        }
        ["expect", "relevant", spec] => {
            let got = node(e, spec).is_ok_and(|n| e.relevant(&n));
            if got.to_string() == rhs {
                Ok(())
            } else {
                Err(format!("relevant is {got}"))
            }
        }
        ["expect", "violated", spec] => {
            let got = e.constraint_violated(&node(e, spec)?);
            if got.to_string() == rhs {
                Ok(())
            } else {
                Err(format!("violated is {got}"))
            }
        }
        ["expect", "message", spec, language] => {
            let got = e
                .problem_message(
                    &node(e, spec)?,
                    dala_core::ProblemKind::Constraint,
                    language,
                )
                .unwrap_or_default();
            if got == rhs {
                Ok(())
            } else {
                Err(format!("message is `{got}`"))
            }
        }
        ["expect", "label", spec, language] => {
            let got = e.label(&node(e, spec)?, language);
            if got == rhs {
                Ok(())
            } else {
                Err(format!("label is `{got}`"))
            }
        }
        ["expect", "choices", spec] => {
            let got: Vec<String> = e
                .choices(&node(e, spec)?)
                .iter()
                .map(|c| c.name.clone())
                .collect();
            if got.join(" ") == rhs {
                Ok(())
            } else {
                Err(format!("choices are `{}`", got.join(" ")))
            }
        }
        ["expect", "instances", name] => {
            let id = e.form().id(name).ok_or(format!("no repeat {name}"))?;
            let got = e.instances(id, &[]).len();
            if got.to_string() == rhs {
                Ok(())
            } else {
                Err(format!("{got} instances"))
            }
        }
        ["expect", "pages"] => {
            let got = e.pages().len();
            if got.to_string() == rhs {
                Ok(())
            } else {
                Err(format!("{got} pages"))
            }
        }
        ["expect", "finalize"] => match e.finalize("en") {
            Ok(_) if rhs == "ok" => Ok(()),
            Ok(_) => Err("finalized, but problems were expected".into()),
            Err(problems) => {
                let got: Vec<String> = problems
                    .iter()
                    .map(|p| {
                        format!(
                            "{}:{}",
                            if p.kind == ProblemKind::Required {
                                "required"
                            } else {
                                "constraint"
                            },
                            e.name(&p.node)
                        )
                    })
                    .collect();
                if got.join(" ") == rhs {
                    Ok(())
                } else {
                    Err(format!("problems are `{}`", got.join(" ")))
                }
            }
        },
        ["expect", "record", name] => {
            let record = e.record(Status::Finalized);
            let got = match record.answers.get(*name) {
                None => "absent".to_string(),
                Some(Answer::Value(v)) => v.clone(),
                Some(Answer::Repeat(instances)) => format!("{} instances", instances.len()),
            };
            if got == rhs {
                Ok(())
            } else {
                Err(format!("record has `{got}`"))
            }
        }
        _ => Err("unknown step".into()),
    }
}

/// Runs a scenario file; returns (scenarios, failures).
fn run_scenarios(form: &Form, file: &str, text: &str) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut scenarios = 0;
    let mut engine: Option<Engine> = None;
    let mut title = String::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("## ") {
            scenarios += 1;
            title = name.to_string();
            engine = Some(Engine::new(form.clone(), host()));
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(e) = engine.as_mut() else {
            failures.push(format!(
                "{file}:{}: a step before the first `## scenario`",
                index + 1
            ));
            continue;
        };
        if let Err(err) = run_step(e, line) {
            failures.push(format!("{file}:{} ({title}): `{line}`: {err}", index + 1));
        }
    }
    (scenarios, failures)
}

#[test]
fn every_seed_instrument_validates_compiles_and_passes_its_scenarios() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(surveys_dir())
        .expect("surveys/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 2, "the seed instruments are missing");
    let mut failures = Vec::new();
    for dir in dirs {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(dir.join("instrument.json")).expect("instrument.json");
        let instrument = Instrument::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            Instrument::from_json(&instrument.to_json()).as_ref(),
            Ok(&instrument),
            "{name} reads back"
        );
        let diagnostics = validate(&instrument);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
        for (pointer, item, _) in instrument.walk() {
            if !item.label.is_empty() {
                assert!(
                    item.label.0.contains_key("ru"),
                    "{name}{pointer}: every label has Russian"
                );
            }
        }
        assert!(dir.join("README.md").exists(), "{name} has a README");
        let form = Form::compile(&instrument).expect("compiles");
        let scenarios = std::fs::read_to_string(dir.join("scenarios.txt")).expect("scenarios.txt");
        let (count, mut f) = run_scenarios(&form, &format!("{name}/scenarios.txt"), &scenarios);
        assert!(
            count >= 10,
            "{name} has {count} scenarios; it needs at least ten"
        );
        failures.append(&mut f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_scenario_runner_catches_a_wrong_expectation() {
    let text =
        std::fs::read_to_string(surveys_dir().join("police-gender-representation/instrument.json"))
            .expect("read");
    let form = Form::compile(&Instrument::from_json(&text).expect("reads")).expect("compiles");
    let (count, failures) = run_scenarios(
        &form,
        "inline",
        "## wrong\nanswer consent = yes\nexpect relevant sex = false\n",
    );
    assert_eq!(count, 1);
    assert_eq!(failures.len(), 1, "{failures:?}");
}
