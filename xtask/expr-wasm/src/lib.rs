//! dala-expr for `cargo xtask bench expr` under Node.js: one JS-to-wasm call per evaluation,
//! taking the expression text and returning XPath's string() of the result.

use dala_expr::date::DateTime;
use dala_expr::{SimpleEnv, evaluate, parse};
use std::cell::RefCell;
use wasm_bindgen::prelude::wasm_bindgen;

thread_local! {
    static ENV: RefCell<SimpleEnv> = RefCell::new(SimpleEnv::default());
}

/// Sets an answer, as a form stores it.
#[wasm_bindgen]
pub fn set_answer(name: &str, value: &str) {
    ENV.with(|env| {
        env.borrow_mut().set(name, value);
    });
}

/// Sets the clock for today() and now().
#[wasm_bindgen]
pub fn set_clock(epoch_ms: f64, offset_minutes: i32) {
    ENV.with(|env| {
        env.borrow_mut().now = DateTime {
            epoch_ms: epoch_ms as i64,
            offset_minutes,
        }
    });
}

/// Parses and evaluates `expression`; returns its string value, or `error CODE: message`.
#[wasm_bindgen]
pub fn evaluate_string(expression: &str) -> String {
    let parsed = parse(expression);
    if let Some(d) = parsed.diagnostics.first() {
        return format!("error {d}");
    }
    ENV.with(|env| match evaluate(&parsed.expr, &*env.borrow()) {
        Ok(value) => value.to_xpath_string(),
        Err(d) => format!("error {d}"),
    })
}
