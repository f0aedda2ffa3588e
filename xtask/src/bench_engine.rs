//! `cargo xtask bench engine`: generated forms of 100, 1,000 and 2,000 questions (75% with a
//! relevant and a constraint, 25% calculates) and a repeat of 20 and 200 instances, loaded and
//! answered once in our engine (native) and, as XForms, in ODK Web Forms' engine under Node.js.

use crate::bench::{install_npm, machine, run_json};
use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

const WEB_FORMS: [&str; 2] = ["@getodk/xforms-engine@0.22.0", "jsdom@29.1.1"];

/// One generated form: our instrument JSON, the same form as an XForm, the question the
/// bench answers (name, instance position or `-`, XForm nodeset), and the XForm node whose
/// state the peer reads after each answer (so its lazy recomputation is counted).
pub(crate) struct Generated {
    pub name: String,
    pub instrument: Value,
    pub xform: String,
    answer: (String, String, String),
    read: String,
}

fn label(name: &str) -> Value {
    json!({"en": name})
}

/// Flat form: q1, then for i = 2..=n a calculate every fourth item, otherwise an integer whose
/// relevant reads q1 (so one answer to q1 reaches three quarters of the form) with a constraint.
pub(crate) fn flat(n: usize) -> Generated {
    let mut survey = vec![json!({"type": "integer", "name": "q1", "label": label("q1")})];
    let mut instance = String::from("<q1/>");
    let mut binds = String::from(r#"<bind nodeset="/data/q1" type="int"/>"#);
    let mut body = String::from(r#"<input ref="/data/q1"><label>q1</label></input>"#);
    let mut previous = "q1".to_string();
    for i in 2..=n {
        if i % 4 == 0 {
            let name = format!("c{i}");
            survey.push(json!({"type": "calculate", "name": name, "calculation": format!("${{{previous}}} * 2")}));
            let _ = write!(instance, "<{name}/>");
            let _ = write!(
                binds,
                r#"<bind nodeset="/data/{name}" type="string" calculate="/data/{previous} * 2"/>"#
            );
        } else {
            let name = format!("q{i}");
            survey.push(
                json!({"type": "integer", "name": name, "label": label(&name),
                "relevant": "${q1} >= 0", "constraint": ". >= 0 and . <= 1000"}),
            );
            let _ = write!(instance, "<{name}/>");
            let _ = write!(
                binds,
                r#"<bind nodeset="/data/{name}" type="int" relevant="/data/q1 &gt;= 0" constraint=". &gt;= 0 and . &lt;= 1000"/>"#
            );
            let _ = write!(
                body,
                r#"<input ref="/data/{name}"><label>{name}</label></input>"#
            );
            previous = name;
        }
    }
    let name = format!("flat-{n}");
    Generated {
        instrument: instrument(&name, survey),
        xform: xform(&name, &instance, &binds, &body),
        answer: ("q1".into(), "-".into(), "/data/q1".into()),
        read: format!("/data/{previous}"),
        name,
    }
}

/// A repeat of `count` instances (ra; rb relevant on ra; rc = 2 ra, or 0 when ra is blank)
/// and the sum of rc outside it; the bench answers ra in the middle instance.
fn repeat(count: usize) -> Generated {
    let survey = vec![
        json!({"type": "repeat", "name": "member", "label": label("member"), "repeat_count": count.to_string(), "children": [
            {"type": "integer", "name": "ra", "label": label("ra")},
            {"type": "integer", "name": "rb", "label": label("rb"), "relevant": "${ra} > 0", "constraint": ". < 200"},
            {"type": "calculate", "name": "rc", "calculation": "if(${ra} != '', ${ra} * 2, 0)"},
        ]}),
        json!({"type": "calculate", "name": "total", "calculation": "sum(${rc})"}),
    ];
    let mut instance = String::from(r#"<member jr:template=""><ra/><rb/><rc/></member>"#);
    for _ in 0..count {
        instance.push_str("<member><ra/><rb/><rc/></member>");
    }
    instance.push_str("<total/>");
    let binds = concat!(
        r#"<bind nodeset="/data/member/ra" type="int"/>"#,
        r#"<bind nodeset="/data/member/rb" type="int" relevant="../ra &gt; 0" constraint=". &lt; 200"/>"#,
        r#"<bind nodeset="/data/member/rc" type="string" calculate="if(../ra != '', ../ra * 2, 0)"/>"#,
        r#"<bind nodeset="/data/total" type="string" calculate="sum(/data/member/rc)"/>"#,
    );
    let body = concat!(
        r#"<group ref="/data/member"><label>member</label><repeat nodeset="/data/member">"#,
        r#"<input ref="/data/member/ra"><label>ra</label></input><input ref="/data/member/rb"><label>rb</label></input>"#,
        r#"</repeat></group>"#,
    );
    let name = format!("repeat-{count}");
    Generated {
        instrument: instrument(&name, survey),
        xform: xform(&name, &instance, binds, body),
        answer: (
            "ra".into(),
            (count / 2).to_string(),
            "/data/member/ra".into(),
        ),
        read: "/data/total".into(),
        name,
    }
}

/// A cascade over a list of `rows` villages in 40 districts (issue 19: an attached list of
/// 16,000 villages): the district typed, the village chosen from those of the district. The
/// bench answers the district ("5": 400 villages; "-1": none), and the peer reads the
/// village question's options, so its filtering is counted. Both hold the list in the form
/// (ours as a choice list, the peer's as a secondary instance): the filtering is the same
/// work as from an attached file, without the fetch.
fn villages(rows: usize) -> Generated {
    let mut choices = Vec::with_capacity(rows);
    let mut items = String::new();
    for i in 0..rows {
        let district = i % 40;
        choices.push(json!({"name": format!("v{i}"), "label": {"en": format!("Village {i}")}, "extra": {"district": district.to_string()}}));
        let _ = write!(
            items,
            "<item><name>v{i}</name><label>Village {i}</label><district>{district}</district></item>"
        );
    }
    let name = format!("villages-{rows}");
    let mut instrument = instrument(
        &name,
        vec![
            json!({"type": "text", "name": "d", "label": label("District")}),
            json!({"type": "select_one", "name": "v", "list": "villages", "label": label("Village"), "choice_filter": "district = ${d}"}),
        ],
    );
    instrument["choices"] = json!({ "villages": choices });
    let xform = format!(
        r#"<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"><h:head><h:title>{name}</h:title><model><instance><data id="{name}"><d/><v/><meta><instanceID/></meta></data></instance><instance id="villages"><root>{items}</root></instance><bind nodeset="/data/d" type="string"/><bind nodeset="/data/v" type="string"/><bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/></model></h:head><h:body><input ref="/data/d"><label>District</label></input><select1 ref="/data/v"><label>Village</label><itemset nodeset="instance('villages')/root/item[district = /data/d]"><value ref="name"/><label ref="label"/></itemset></select1></h:body></h:html>"#
    );
    Generated {
        instrument,
        xform,
        answer: ("d".into(), "-".into(), "/data/d".into()),
        read: "/data/v".into(),
        name,
    }
}

fn instrument(name: &str, survey: Vec<Value>) -> Value {
    json!({"format": 1, "settings": {"form_id": name, "version": "1", "default_language": "en"}, "survey": survey})
}

fn xform(name: &str, instance: &str, binds: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"><h:head><h:title>{name}</h:title><model><instance><data id="{name}">{instance}<meta><instanceID/></meta></data></instance>{binds}<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/></model></h:head><h:body>{body}</h:body></h:html>"#
    )
}

pub fn run(root: &Path) -> Result<()> {
    let dir = root.join("target/bench/engine-forms");
    std::fs::create_dir_all(&dir)?;
    let forms = vec![
        flat(100),
        flat(1000),
        flat(2000),
        repeat(20),
        repeat(200),
        villages(16_000),
    ];
    for f in &forms {
        std::fs::write(
            dir.join(format!("{}.json", f.name)),
            serde_json::to_string_pretty(&f.instrument)?,
        )?;
        std::fs::write(dir.join(format!("{}.xml", f.name)), &f.xform)?;
        std::fs::write(
            dir.join(format!("{}.answer", f.name)),
            format!("{} {}", f.answer.0, f.answer.1),
        )?;
        std::fs::write(
            dir.join(format!("{}.nodeset", f.name)),
            format!("{}\n{}", f.answer.2, f.read),
        )?;
    }
    let names = forms
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let modules = install_npm(root, "engine", &WEB_FORMS)?;

    eprintln!("bench engine: dala-core, native");
    let ours = run_json(
        Command::new(crate::cargo())
            .current_dir(root)
            .args(["bench", "--quiet", "-p", "dala-core", "--bench", "engine"])
            .env("DALA_BENCH_FORMS", &dir)
            .env("DALA_BENCH_NAMES", &names),
    )?;
    eprintln!(
        "bench engine: peer, {} with jsdom under Node.js",
        WEB_FORMS[0]
    );
    let peer = run_json(
        Command::new("node")
            .arg(root.join("xtask/bench/engine.js"))
            .arg(&dir)
            .arg(&names)
            .arg(&modules),
    )
    .context("running ODK Web Forms' engine")?;

    let mut rows = Vec::new();
    println!(
        "{:<12} {:>12} {:>12} {:>9}   {:>12} {:>12} {:>9}",
        "form", "load ours", "load peer", "ratio", "answer ours", "answer peer", "ratio"
    );
    for (o, p) in ours
        .as_array()
        .into_iter()
        .flatten()
        .zip(peer.as_array().into_iter().flatten())
    {
        let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let (lo, lp, ao, ap) = (
            f(o, "load_ms"),
            f(p, "load_ms"),
            f(o, "answer_ms"),
            f(p, "answer_ms"),
        );
        println!(
            "{:<12} {:>10.3}ms {:>10.1}ms {:>8.0}x   {:>10.4}ms {:>10.2}ms {:>8.0}x",
            o["form"].as_str().unwrap_or_default(),
            lo,
            lp,
            lp / lo,
            ao,
            ap,
            ap / ao
        );
        rows.push(json!({
            "form": o["form"], "ours": {"load_ms": lo, "answer_ms": ao, "changes_per_answer": o["changes_per_answer"]},
            "peer": {"load_ms": lp, "answer_ms": ap},
            "ratio": {"load": lp / lo, "answer": ap / ao},
        }));
    }
    let report = json!({
        "bench": "engine",
        "what": "load = read + compile + start an interview; answer = one answer and everything it recalculates (median)",
        "ours": "dala-core, native (release)",
        "peer": "@getodk/xforms-engine 0.22.0 (ODK Web Forms) + jsdom 29.1.1, Node.js",
        "forms": rows,
        "machine": machine(),
    });
    let out = root.join("target/bench/engine.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!("figures in {}", out.display());
    Ok(())
}
