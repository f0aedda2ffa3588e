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
pub use diagnostic::{Code, Diagnostic};
pub use env::{Env, SimpleEnv, uuid_from};
pub use eval::{DEFAULT_FUEL, MAX_STRING_LEN, compare, evaluate, evaluate_boolean, xpath_round};
pub use functions::Function;
pub use lexer::is_ncname;
pub use parser::{MAX_DEPTH, MAX_SOURCE_LEN, Parsed, parse};
pub use print::{print, sexp};
pub use span::Span;
pub use value::{Value, number_to_string, string_to_number};

/// The names of every `${name}` an expression refers to, in order of appearance (with
/// repeats). A form compiler builds its dependency graph from these.
pub fn references(expr: &Expr) -> Vec<&str> {
    let mut out = Vec::new();
    collect_references(expr, &mut out);
    out
}

fn collect_references<'e>(expr: &'e Expr, out: &mut Vec<&'e str>) {
    match &expr.kind {
        ExprKind::Ref(name) => out.push(name),
        ExprKind::Unary(_, e) => collect_references(e, out),
        ExprKind::Binary(_, a, b) => {
            collect_references(a, out);
            collect_references(b, out);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| collect_references(a, out)),
        ExprKind::Path(path) => {
            if let ast::PathStart::Expr(e) = &path.start {
                collect_references(e, out);
            }
            for step in &path.steps {
                step.predicates
                    .iter()
                    .for_each(|p| collect_references(p, out));
            }
        }
        ExprKind::Number(_) | ExprKind::String(_) | ExprKind::Error => {}
    }
}
