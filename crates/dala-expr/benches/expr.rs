//! Native half of `cargo xtask bench expr`: parse + evaluate every expression of the corpus
//! (the file named by DALA_BENCH_CORPUS) in a loop, and print evaluations per second as JSON.
//! Run it through the xtask, which also runs the wasm build and the peer engine.

use dala_expr::date::DateTime;
use dala_expr::{SimpleEnv, evaluate, parse};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let Some(path) = std::env::var_os("DALA_BENCH_CORPUS") else {
        eprintln!("set DALA_BENCH_CORPUS to the corpus file (cargo xtask bench expr does)");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path).expect("read corpus");
    let mut env = SimpleEnv::new(
        DateTime {
            epoch_ms: 1_426_566_600_000,
            offset_minutes: 360,
        },
        1,
    );
    let mut expressions = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        match line.strip_prefix("@set ") {
            Some(binding) => {
                let (name, value) = binding.split_once('=').expect("@set name = value");
                env.set(name.trim(), value.trim());
            }
            None => expressions.push(line.to_string()),
        }
    }
    let budget = Duration::from_millis(
        std::env::var("DALA_BENCH_MILLIS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3000),
    );

    // Parse + evaluate, as the peer does on every call.
    let per_second = measure(budget, expressions.len(), |i| {
        let parsed = parse(black_box(&expressions[i]));
        let value = evaluate(&parsed.expr, &env).expect("corpus evaluates");
        black_box(value.to_xpath_string());
    });
    // Evaluate only: a form parses each expression once and re-evaluates it on every answer.
    let compiled: Vec<_> = expressions.iter().map(|e| parse(e).expr).collect();
    let compiled_per_second = measure(budget, compiled.len(), |i| {
        let value = evaluate(black_box(&compiled[i]), &env).expect("corpus evaluates");
        black_box(value.to_xpath_string());
    });
    let results: Vec<String> = compiled
        .iter()
        .map(|e| evaluate(e, &env).map_or_else(|d| format!("error {d}"), |v| v.to_xpath_string()))
        .collect();
    println!(
        "{{\"expressions\": {}, \"parse_eval_per_s\": {per_second:.0}, \"eval_per_s\": {compiled_per_second:.0}, \"results\": [{}]}}",
        expressions.len(),
        results
            .iter()
            .map(|r| format!("{r:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Runs `f` over the corpus round-robin for `budget` (after a warm-up) and returns calls/s.
fn measure(budget: Duration, n: usize, mut f: impl FnMut(usize)) -> f64 {
    for i in 0..n * 200 {
        f(i % n);
    }
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < budget {
        for i in 0..n {
            f(i);
        }
        calls += n as u64;
    }
    calls as f64 / started.elapsed().as_secs_f64()
}
