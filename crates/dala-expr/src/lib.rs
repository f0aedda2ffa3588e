//! The expression language of XLSForm: what survey designers write in `relevant`,
//! `constraint`, `calculation`, `required`, `default`, `choice_filter` and `repeat_count`.
//!
//! lexer -> parser -> tree -> evaluator. Parsing returns the tree together with every
//! diagnostic (code, byte span, message) instead of stopping at the first; evaluation runs
//! over an [`Env`] and knows nothing of surveys, storage or the web.
//!
//! ```
//! use dala_expr::{parse, evaluate, SimpleEnv};
//! let parsed = parse("${age} >= 18 and selected(${roles}, 'officer')");
//! assert!(parsed.is_ok());
//! let mut env = SimpleEnv::default();
//! env.set("age", "34").set("roles", "officer driver");
//! assert_eq!(evaluate(&parsed.expr, &env).unwrap().to_xpath_string(), "true");
//! ```

pub mod ast;
pub mod date;
mod diagnostic;
mod digest;
mod env;
mod eval;
pub mod functions;
mod lexer;
mod parser;
mod print;
mod regex_cache;
mod span;
mod value;

pub use ast::{Expr, ExprKind};
pub use diagnostic::{Code, Diagnostic, Problem, caret_lines};
pub use env::{Env, SimpleEnv, uuid_from};
pub use eval::{DEFAULT_FUEL, MAX_STRING_LEN, compare, evaluate, evaluate_boolean, xpath_round};
pub use functions::Function;
pub use lexer::{LAST_SAVED, is_dynamic_default, is_ncname};
pub use parser::{MAX_DEPTH, MAX_SOURCE_LEN, Parsed, parse};
pub use print::{print, sexp};
pub use span::Span;
pub use value::{Value, number_to_string, string_to_number};

/// Calls `f` on `expr` and every sub-expression, parents before children, left to right.
pub fn walk<'e>(expr: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Unary(_, e) => walk(e, f),
        ExprKind::Binary(_, a, b) => {
            walk(a, f);
            walk(b, f);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| walk(a, f)),
        ExprKind::Path(path) => {
            match &path.start {
                ast::PathStart::Expr(e) => walk(e, f),
                ast::PathStart::Filtered(e, predicates) => {
                    walk(e, f);
                    predicates.iter().for_each(|p| walk(p, f));
                }
                ast::PathStart::Root | ast::PathStart::Relative => {}
            }
            for step in &path.steps {
                step.predicates.iter().for_each(|p| walk(p, f));
            }
        }
        ExprKind::Number(_) | ExprKind::String(_) | ExprKind::Ref(_) | ExprKind::Error => {}
    }
}

/// Every `${name}` in `src` with its byte span and name, found by the lexer: it works on a
/// source that does not parse, and text inside string literals is left alone. A designer's
/// rename rewrites these spans.
pub fn reference_spans(src: &str) -> Vec<(Span, &str)> {
    let mut diagnostics = Vec::new();
    lexer::lex(src, &mut diagnostics)
        .into_iter()
        .filter(|t| t.kind == lexer::TokenKind::Ref && src[..t.span.end as usize].ends_with('}'))
        .map(|t| (t.span, lexer::ref_name(src, t.span).trim()))
        .collect()
}

/// Every `${name}` in a text (a label, a hint, a message), with its byte range and the name
/// trimmed: the one scanner of texts, as [`reference_spans`] is of expressions. An unclosed
/// `${` ends the scan.
pub fn text_references(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${").map(|i| i + from) {
        let Some(close) = text[start..].find('}').map(|i| i + start) else {
            break;
        };
        out.push((start..close + 1, text[start + 2..close].trim()));
        from = close + 1;
    }
    out
}

/// A `${name}` in an expression: where it is, and whether it sits directly in an aggregate
/// (count, sum, min, max, count-non-empty, join, indexed-repeat, position) or starts a filter
/// (`${t}[1]/s`), which may look into a repeat's instances from outside it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reference<'e> {
    pub name: &'e str,
    pub span: Span,
    pub aggregated: bool,
}

/// Every `${name}` an expression refers to, in order of appearance (with repeats): the one
/// scanner of expressions, which a form's validation checks and its compiler builds the
/// dependency graph from.
pub fn references(expr: &Expr) -> Vec<Reference<'_>> {
    fn visit<'e>(expr: &'e Expr, aggregated: bool, out: &mut Vec<Reference<'e>>) {
        match &expr.kind {
            ExprKind::Ref(name) => out.push(Reference {
                name,
                span: expr.span,
                aggregated,
            }),
            ExprKind::Unary(_, e) => visit(e, false, out),
            ExprKind::Binary(_, a, b) => {
                visit(a, false, out);
                visit(b, false, out);
            }
            ExprKind::Call(function, args) => {
                let aggregate = matches!(
                    function,
                    Function::Count
                        | Function::Sum
                        | Function::Min
                        | Function::Max
                        | Function::CountNonEmpty
                        | Function::Join
                        | Function::IndexedRepeat
                        | Function::Position
                );
                args.iter().for_each(|a| visit(a, aggregate, out));
            }
            ExprKind::Path(path) => {
                match &path.start {
                    ast::PathStart::Expr(e) => visit(e, false, out),
                    ast::PathStart::Filtered(e, predicates) => {
                        visit(e, true, out);
                        predicates.iter().for_each(|p| visit(p, false, out));
                    }
                    ast::PathStart::Root | ast::PathStart::Relative => {}
                }
                for step in &path.steps {
                    step.predicates.iter().for_each(|p| visit(p, false, out));
                }
            }
            ExprKind::Number(_) | ExprKind::String(_) | ExprKind::Error => {}
        }
    }
    let mut out = Vec::new();
    visit(expr, false, &mut out);
    out
}
