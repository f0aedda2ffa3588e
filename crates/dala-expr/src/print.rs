//! Trees back to text: `print` gives source that parses to the same tree; `sexp` gives a
//! compact S-expression that tests compare against.

use crate::ast::*;
use std::fmt::Write;

/// Source text for `expr`. `parse(&print(e))` yields a tree with the same `sexp` as `e`.
/// Parentheses are written only where precedence needs them, so the printed text never
/// nests deeper than the source it came from (and stays within the parser's depth bound).
pub fn print(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr, false);
    out
}

fn write_expr(out: &mut String, expr: &Expr, before_union: bool) {
    match &expr.kind {
        ExprKind::Number(n) => write_number(out, *n),
        ExprKind::String(s) => write_string(out, s),
        ExprKind::Ref(name) => {
            let _ = write!(out, "${{{name}}}");
        }
        ExprKind::Unary(UnaryOp::Neg, operand) => {
            out.push('-');
            let parens = level(operand) < UNARY_LEVEL;
            write_operand(out, operand, parens, !parens && before_union);
        }
        ExprKind::Binary(op, lhs, rhs) => {
            // Operators are left-associative: an operand of the same level needs parentheses
            // only on the right. A unary minus on the right needs them only when a `|`
            // follows, because it would take that `|` into its operand.
            let own = op_level(*op);
            let left = level(lhs) < own;
            write_operand(out, lhs, left, !left && *op == BinaryOp::Union);
            let _ = write!(out, " {} ", op.symbol());
            let right = if matches!(rhs.kind, ExprKind::Unary(..)) {
                before_union
            } else {
                level(rhs) <= own
            };
            write_operand(out, rhs, right, !right && before_union);
        }
        ExprKind::Call(function, args) => {
            out.push_str(function.name());
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, arg, false);
            }
            out.push(')');
        }
        ExprKind::Path(path) => write_path(out, path),
        // Not valid source: printing a tree with errors gives text that fails to parse again.
        ExprKind::Error => out.push_str("#error"),
    }
}

/// Unary minus sits between `* div mod` and `|` (XPath 1.0 §3.7).
const UNARY_LEVEL: u8 = 7;

fn op_level(op: BinaryOp) -> u8 {
    op.binding_power().0 / 2
}

/// How tightly an expression holds together when printed: operators by precedence,
/// everything else (literals, calls, paths) as atoms.
fn level(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary(op, _, _) => op_level(*op),
        ExprKind::Unary(..) => UNARY_LEVEL,
        _ => u8::MAX,
    }
}

/// Writes `expr`, in parentheses if asked; `before_union` says a `|` follows it unbracketed.
fn write_operand(out: &mut String, expr: &Expr, parenthesise: bool, before_union: bool) {
    if parenthesise {
        out.push('(');
        write_expr(out, expr, false);
        out.push(')');
    } else {
        write_expr(out, expr, before_union);
    }
}

fn write_number(out: &mut String, n: f64) {
    // XPath number literals have no sign, exponent, NaN or Infinity; build those from
    // expressions that evaluate to them.
    if n.is_nan() {
        out.push_str("(0 div 0)");
    } else if n.is_infinite() {
        out.push_str(if n > 0.0 { "(1 div 0)" } else { "(-1 div 0)" });
    } else {
        let _ = write!(out, "{}", n.abs());
    }
}

fn write_string(out: &mut String, s: &str) {
    // XPath 1.0 has no escapes: pick the quote the text does not contain. Text with both
    // quotes cannot come from the parser, so it has no literal form; concat() builds it.
    if !s.contains('\'') {
        let _ = write!(out, "'{s}'");
    } else if !s.contains('"') {
        let _ = write!(out, "\"{s}\"");
    } else {
        out.push_str("concat(");
        for (i, part) in s.split('\'').enumerate() {
            if i > 0 {
                out.push_str(", \"'\", ");
            }
            let _ = write!(out, "'{part}'");
        }
        out.push(')');
    }
}

fn write_path(out: &mut String, path: &Path) {
    match &path.start {
        PathStart::Root => out.push('/'),
        PathStart::Relative => {}
        // A call starts a path as it is (`instance('l')/root`); anything else is bracketed.
        PathStart::Expr(e) => write_operand(out, e, !matches!(e.kind, ExprKind::Call(..)), false),
        PathStart::Filtered(e, predicates) => {
            write_operand(out, e, false, false);
            for p in predicates {
                out.push('[');
                write_expr(out, p, false);
                out.push(']');
            }
        }
    }
    let mut first = matches!(path.start, PathStart::Relative | PathStart::Root);
    for step in &path.steps {
        if step.axis == Axis::DescendantOrSelf {
            // `//` is written in place of the separator and its hidden step.
            out.push_str(if first && matches!(path.start, PathStart::Root) {
                "/"
            } else {
                "//"
            });
            first = true;
            continue;
        }
        if !first {
            out.push('/');
        }
        first = false;
        match (&step.axis, &step.test) {
            (Axis::SelfNode, _) => out.push('.'),
            (Axis::Parent, _) => out.push_str(".."),
            (Axis::Attribute, NodeTest::Name(n)) => {
                let _ = write!(out, "@{n}");
            }
            (Axis::Attribute, NodeTest::Any) => out.push_str("@*"),
            (_, NodeTest::Name(n)) => out.push_str(n),
            (_, NodeTest::Any) => out.push('*'),
        }
        for predicate in &step.predicates {
            out.push('[');
            write_expr(out, predicate, false);
            out.push(']');
        }
    }
}

/// A compact, span-free rendering of the tree: `(+ 1 (* 2 3))`, `(call selected $roles "a")`.
pub fn sexp(expr: &Expr) -> String {
    let mut out = String::new();
    write_sexp(&mut out, expr);
    out
}

fn write_sexp(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Number(n) => {
            let _ = write!(out, "{n:?}");
        }
        ExprKind::String(s) => {
            let _ = write!(out, "{s:?}");
        }
        ExprKind::Ref(name) => {
            let _ = write!(out, "${name}");
        }
        ExprKind::Unary(UnaryOp::Neg, operand) => {
            out.push_str("(neg ");
            write_sexp(out, operand);
            out.push(')');
        }
        ExprKind::Binary(op, lhs, rhs) => {
            let _ = write!(out, "({} ", op.symbol());
            write_sexp(out, lhs);
            out.push(' ');
            write_sexp(out, rhs);
            out.push(')');
        }
        ExprKind::Call(function, args) => {
            let _ = write!(out, "({}", function.name());
            for arg in args {
                out.push(' ');
                write_sexp(out, arg);
            }
            out.push(')');
        }
        ExprKind::Path(path) => {
            out.push_str("(path ");
            match &path.start {
                PathStart::Root => out.push('/'),
                PathStart::Relative => out.push('.'),
                PathStart::Expr(e) => write_sexp(out, e),
                PathStart::Filtered(e, predicates) => {
                    out.push_str("(filter ");
                    write_sexp(out, e);
                    for p in predicates {
                        out.push(' ');
                        write_sexp(out, p);
                    }
                    out.push(')');
                }
            }
            for step in &path.steps {
                out.push(' ');
                let axis = match step.axis {
                    Axis::Child => "",
                    Axis::Attribute => "@",
                    Axis::SelfNode => "self::",
                    Axis::Parent => "parent::",
                    Axis::DescendantOrSelf => "descendant-or-self::",
                };
                let test = match &step.test {
                    NodeTest::Name(n) => n,
                    NodeTest::Any => "*",
                };
                let _ = write!(out, "{axis}{test}");
                for predicate in &step.predicates {
                    out.push('[');
                    write_sexp(out, predicate);
                    out.push(']');
                }
            }
            out.push(')');
        }
        ExprKind::Error => out.push_str("error"),
    }
}
