//! Property tests: printing round-trips, and no input panics the parser or the evaluator.

use dala_expr::ast::BinaryOp;
use dala_expr::{Function, SimpleEnv, Value, evaluate, parse, print, sexp};
use proptest::prelude::*;

fn env() -> SimpleEnv {
    let mut env = super::conformance::fresh_env();
    env.set("age", "34")
        .set("roles", "officer driver")
        .set("d", "2015-03-17");
    env.set(
        "ages",
        Value::Nodes(vec![Value::Number(3.0), Value::from("x")]),
    );
    env.current = Value::from("5");
    env.position = Some(2.0);
    env
}

/// Random well-formed source text built from the grammar.
fn expr_source() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        (0u32..1000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
        "[a-z ]{0,6}".prop_map(|s| format!("'{s}'")),
        "[a-z'Ж]{0,4}".prop_map(|s| format!("\"{s}\"")),
        prop::sample::select(vec![
            "${age}", "${roles}", "${d}", "${ages}", ".", "..", "/data/x", "@id"
        ])
        .prop_map(str::to_string),
    ];
    leaf.prop_recursive(6, 64, 4, |inner| {
        let ops = vec![
            BinaryOp::Or,
            BinaryOp::And,
            BinaryOp::Eq,
            BinaryOp::Neq,
            BinaryOp::Lt,
            BinaryOp::Le,
            BinaryOp::Gt,
            BinaryOp::Ge,
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Div,
            BinaryOp::Mod,
            BinaryOp::Union,
        ];
        prop_oneof![
            (inner.clone(), prop::sample::select(ops), inner.clone())
                .prop_map(|(a, op, b)| format!("{a} {} {b}", op.symbol())),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.clone().prop_map(|a| format!("({a})")),
            (
                prop::sample::select(Function::ALL.to_vec()),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(f, args)| format!("{}({})", f.name(), args.join(", "))),
            (inner.clone(), inner)
                .prop_map(|(a, b)| format!("instance('l')/root/item[{a}]/x[{b}]")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn printing_a_parsed_expression_parses_back_to_the_same_tree(src in expr_source()) {
        let first = parse(&src);
        // Generated calls may have the wrong arity; those trees hold errors, which print
        // does not claim to round-trip.
        prop_assume!(first.is_ok());
        let printed = print(&first.expr);
        let second = parse(&printed);
        prop_assert!(second.is_ok(), "{} printed as {}: {:?}", src, printed, second.diagnostics);
        prop_assert_eq!(sexp(&first.expr), sexp(&second.expr));
    }

    #[test]
    fn any_string_parses_and_evaluates_without_panicking(src in "\\PC{0,80}") {
        let parsed = parse(&src);
        let _ = evaluate(&parsed.expr, &env());
    }

    #[test]
    fn token_soup_parses_and_evaluates_without_panicking(
        parts in prop::collection::vec(prop::sample::select(vec![
            "(", ")", "[", "]", ",", "/", "//", "..", ".", "@", "*", "|", "+", "-", "=", "!=", "<", ">=",
            "and", "or", "div", "mod", "1", "2.5", "'a'", "\"b\"", "${age}", "${", "}", "if", "concat",
            "selected", "date", "today()", "format-date", "regex", "'^(a+)+$'", "substring", "jr:choice-name",
            "instance('x')", "uuid", "round", "0 div 0", " ", "Ж",
        ]), 0..40)
    ) {
        let src: String = parts.concat();
        let parsed = parse(&src);
        let _ = evaluate(&parsed.expr, &env());
    }

    #[test]
    fn well_formed_expressions_evaluate_without_panicking(src in expr_source()) {
        let parsed = parse(&src);
        let _ = evaluate(&parsed.expr, &env());
    }
}
