//! Native half of `cargo xtask bench engine`: load (read + compile + start) and one-answer
//! recalculation for the generated forms in DALA_BENCH_FORMS (NAME.json with a NAME.answer
//! file naming the question and instance to answer). Prints one JSON line.

use dala_core::{Engine, Form, Host, Instrument};
use dala_expr::date::DateTime;
use std::hint::black_box;
use std::time::Instant;

struct BenchHost;

impl Host for BenchHost {
    fn now(&self) -> DateTime {
        DateTime {
            epoch_ms: 1_426_566_600_000,
            offset_minutes: 360,
        }
    }
    fn random(&self) -> f64 {
        0.5
    }
    fn device_id(&self) -> String {
        "bench".into()
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let dir = std::env::var_os("DALA_BENCH_FORMS")
        .expect("DALA_BENCH_FORMS (cargo xtask bench engine sets it)");
    let names: Vec<String> = std::env::var("DALA_BENCH_NAMES")
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    let mut results = Vec::new();
    for name in names.iter().filter(|n| !n.is_empty()) {
        let dir = std::path::Path::new(&dir);
        let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("form json");
        let target =
            std::fs::read_to_string(dir.join(format!("{name}.answer"))).expect("answer spec");
        let (question, position) = target.trim().split_once(' ').expect("NAME POSITION");
        let positions: Vec<usize> = if position == "-" {
            vec![]
        } else {
            vec![position.parse().expect("position")]
        };

        let load = |json: &str| {
            let instrument = Instrument::from_json(json).expect("reads");
            let form = Form::compile(&instrument).expect("compiles");
            Engine::new(form, Box::new(BenchHost))
        };
        let mut load_ms = Vec::new();
        for _ in 0..15 {
            let started = Instant::now();
            black_box(load(&json));
            load_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let mut engine = load(&json);
        let node = engine
            .node(question, &positions)
            .expect("the answered node exists");
        let mut answer_ms = Vec::new();
        let mut changed = 0;
        for i in 0..201 {
            let value = if i % 2 == 0 { "5" } else { "-1" };
            let started = Instant::now();
            let changes = engine.answer(&node, value).expect("answer");
            answer_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            changed = changes.changes.len();
        }
        results.push(format!(
            "{{\"form\": \"{name}\", \"load_ms\": {:.4}, \"answer_ms\": {:.5}, \"changes_per_answer\": {changed}}}",
            median(load_ms),
            median(answer_ms)
        ));
    }
    println!("[{}]", results.join(", "));
}
