//! Any bytes: parse them as an expression, print the tree back, and evaluate it against a
//! small form. Nothing may panic, overflow the stack or run unbounded.
#![no_main]

use dala_expr::date::DateTime;
use dala_expr::{evaluate, parse, print, SimpleEnv, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let parsed = parse(src);
    let mut env = SimpleEnv::new(DateTime { epoch_ms: 1_426_566_600_000, offset_minutes: 360 }, 7);
    env.set("age", "34").set("roles", "officer driver").set("d", "2015-03-17");
    env.set("ages", Value::Nodes(vec![Value::Number(3.0), Value::from("x")]));
    env.current = Value::from("5");
    env.position = Some(1.0);
    let _ = evaluate(&parsed.expr, &env);
    if parsed.is_ok() {
        // A valid tree prints to source that parses without diagnostics.
        let again = parse(&print(&parsed.expr));
        assert!(again.is_ok(), "{src:?} printed as {:?}", print(&parsed.expr));
    }
});
