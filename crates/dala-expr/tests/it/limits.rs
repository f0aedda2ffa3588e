//! Hostile input: evaluation work and result sizes are bounded, and the errors say so.

use dala_expr::{Code, MAX_STRING_LEN, SimpleEnv, Value, evaluate, parse};

fn eval_code(env: &SimpleEnv, src: &str) -> Option<Code> {
    let parsed = parse(src);
    assert!(parsed.is_ok(), "{src}: {:?}", parsed.diagnostics);
    evaluate(&parsed.expr, env).err().map(|d| d.code)
}

#[test]
fn a_result_longer_than_the_cap_is_an_error_not_an_allocation() {
    let mut env = SimpleEnv::default();
    let big = "x".repeat(MAX_STRING_LEN / 4 + 1);
    env.set("big", big.as_str());
    // Five copies pass the 1 MiB cap.
    assert_eq!(
        eval_code(&env, "concat(${big}, ${big}, ${big}, ${big}, ${big})"),
        Some(Code::TooLarge)
    );
    assert_eq!(
        eval_code(&env, "join(${big}, ${big}, ${big}, ${big}, ${big}, ${big})"),
        Some(Code::TooLarge)
    );
    assert_eq!(
        eval_code(&env, "string-length(concat(${big}, ${big}))"),
        None
    );
}

#[test]
fn work_is_bounded_by_fuel() {
    let mut env = SimpleEnv::default();
    // A node-set of 400,000 values read five times costs more than the budget of 1,000,000.
    env.set("many", Value::Nodes(vec![Value::Number(1.0); 400_000]));
    assert_eq!(
        eval_code(&env, "count(${many}) + count(${many}) + count(${many})"),
        Some(Code::BudgetExceeded)
    );
    assert_eq!(eval_code(&env, "count(${many})"), None);
}

#[test]
fn a_pathological_regex_is_refused_or_runs_in_linear_time() {
    let mut env = SimpleEnv::default();
    env.set("s", "a".repeat(10_000).as_str());
    // The regex crate has no backtracking: the classic catastrophic pattern is linear.
    assert_eq!(eval_code(&env, "regex(concat(${s}, '!'), '^(a+)+$')"), None);
    // A pattern whose compiled form exceeds the size limit is an error with its code.
    assert_eq!(
        eval_code(&env, "regex('a', 'a{1000}{1000}')"),
        Some(Code::BadRegex)
    );
    // Nesting beyond the limit as well.
    let nested = format!("regex('a', '{}a{}')", "(".repeat(200), ")".repeat(200));
    assert_eq!(eval_code(&env, &nested), Some(Code::BadRegex));
}

#[test]
fn an_overlong_source_is_one_diagnostic() {
    let src = "1".repeat(dala_expr::MAX_SOURCE_LEN + 1);
    let parsed = parse(&src);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, Code::TooLong);
}
