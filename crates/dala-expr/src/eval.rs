//! The evaluator: a tree walk over an [`Env`], with XPath 1.0 semantics as ODK forms use them.
//!
//! Work is bounded: every node evaluated and every kilobyte of string built costs fuel, and
//! strings are capped, so no expression can run for long or grow without limit.

use crate::Span;
use crate::ast::*;
use crate::date::{self, DateTime, Fields, MS_PER_DAY};
use crate::diagnostic::{Diagnostic, Problem};
use crate::env::Env;
use crate::functions::Function as F;
use crate::value::Value;

/// Work units one evaluation may use (one per node, plus string and node-set sizes).
pub const DEFAULT_FUEL: u64 = 1_000_000;

/// Longest string an evaluation may build, in bytes.
pub const MAX_STRING_LEN: usize = 1 << 20;

/// Evaluates `expr` against `env`. Errors are diagnostics with a code and the span of the
/// sub-expression that failed.
pub fn evaluate(expr: &Expr, env: &dyn Env) -> Result<Value, Diagnostic> {
    Evaluator {
        env,
        fuel: DEFAULT_FUEL,
    }
    .eval(expr)
}

/// Evaluates `expr` and converts the result with XPath `boolean()` (for relevant, required,
/// constraint and choice_filter).
pub fn evaluate_boolean(expr: &Expr, env: &dyn Env) -> Result<bool, Diagnostic> {
    evaluate(expr, env).map(|v| v.to_boolean())
}

struct Evaluator<'e> {
    env: &'e dyn Env,
    fuel: u64,
}

type R = Result<Value, Diagnostic>;

fn err(span: Span, problem: Problem) -> Diagnostic {
    Diagnostic::new(span, problem)
}

/// A value as the nodes it stands for: a single answer is a node-set of one.
fn items(value: Value) -> Vec<Value> {
    match value {
        Value::Nodes(nodes) => nodes,
        other => vec![other],
    }
}

/// Splits a select_multiple answer into its choice codes.
fn choices(list: &str) -> impl Iterator<Item = &str> {
    list.split([' ', '\t', '\r', '\n'])
        .filter(|s| !s.is_empty())
}

impl Evaluator<'_> {
    /// The geopoints of `args` in order: each argument's values (a node-set gives each of
    /// its nodes), each value a geopoint or several separated by `;` (a geotrace, a
    /// geoshape), as (latitude, longitude).
    fn points(&mut self, args: &[Expr], span: Span) -> Result<Vec<(f64, f64)>, Diagnostic> {
        let mut points = Vec::new();
        for a in args {
            for item in items(self.eval(a)?) {
                let text = item.to_xpath_string();
                for point in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    points.push(parse_geopoint(point).ok_or_else(|| {
                        err(
                            a.span,
                            Problem::NotAGeopoint {
                                value: point.to_string(),
                            },
                        )
                    })?);
                }
            }
        }
        self.burn(points.len() as u64, span)?;
        Ok(points)
    }

    fn burn(&mut self, units: u64, span: Span) -> Result<(), Diagnostic> {
        if self.fuel < units {
            self.fuel = 0;
            return Err(err(span, Problem::TooMuchWork));
        }
        self.fuel -= units;
        Ok(())
    }

    fn string_result(&mut self, s: String, span: Span) -> R {
        if s.len() > MAX_STRING_LEN {
            return Err(err(
                span,
                Problem::ResultTooLong {
                    limit: MAX_STRING_LEN,
                },
            ));
        }
        self.burn(s.len() as u64 / 1024, span)?;
        Ok(Value::String(s))
    }

    fn eval(&mut self, expr: &Expr) -> R {
        self.burn(1, expr.span)?;
        match &expr.kind {
            ExprKind::Number(n) => Ok(Value::Number(*n)),
            ExprKind::String(s) => Ok(Value::String(s.to_string())),
            ExprKind::Ref(name) => {
                let value = self.env.reference(name, expr.span)?;
                if let Value::Nodes(nodes) = &value {
                    self.burn(nodes.len() as u64, expr.span)?;
                }
                Ok(value)
            }
            ExprKind::Unary(UnaryOp::Neg, operand) => {
                Ok(Value::Number(-self.eval(operand)?.to_number()))
            }
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, expr.span),
            ExprKind::Call(function, args) => self.call(*function, args, expr.span),
            ExprKind::Path(path) if path.is_current() => Ok(self.env.current()),
            ExprKind::Path(path) => self.env.path(path, expr.span),
            ExprKind::Error => Ok(Value::empty()),
        }
    }

    fn number(&mut self, expr: &Expr) -> Result<f64, Diagnostic> {
        Ok(self.eval(expr)?.to_number())
    }

    fn string(&mut self, expr: &Expr) -> Result<String, Diagnostic> {
        Ok(self.eval(expr)?.into_xpath_string())
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> R {
        match op {
            BinaryOp::Or => Ok(Value::Boolean(
                self.eval(lhs)?.to_boolean() || self.eval(rhs)?.to_boolean(),
            )),
            BinaryOp::And => Ok(Value::Boolean(
                self.eval(lhs)?.to_boolean() && self.eval(rhs)?.to_boolean(),
            )),
            BinaryOp::Eq
            | BinaryOp::Neq
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let a = self.eval(lhs)?;
                let b = self.eval(rhs)?;
                Ok(Value::Boolean(compare(op, &a, &b)))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                let a = self.number(lhs)?;
                let b = self.number(rhs)?;
                Ok(Value::Number(match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    BinaryOp::Mul => a * b,
                    BinaryOp::Div => a / b,
                    // XPath `mod` truncates like Java's `%`, which is what Rust's `%` on f64 does.
                    _ => a % b,
                }))
            }
            BinaryOp::Union => {
                let mut nodes = items(self.eval(lhs)?);
                nodes.extend(items(self.eval(rhs)?));
                self.burn(nodes.len() as u64, span)?;
                Ok(Value::Nodes(nodes))
            }
        }
    }

    fn call(&mut self, function: F, args: &[Expr], span: Span) -> R {
        // Arity was checked by the parser; `arg(i)` on a hand-built tree with too few
        // arguments is an error, not a panic.
        let arg = |i: usize| {
            args.get(i).ok_or_else(|| {
                err(
                    span,
                    Problem::MissingArgument {
                        function: function.name(),
                    },
                )
            })
        };
        let num = |v: f64| Ok(Value::Number(v));
        match function {
            F::If => {
                if self.eval(arg(0)?)?.to_boolean() {
                    self.eval(arg(1)?)
                } else {
                    self.eval(arg(2)?)
                }
            }
            F::Selected => {
                let list = self.eval(arg(0)?)?;
                let wanted = self.eval(arg(1)?)?;
                let wanted = wanted.as_xpath_str();
                let wanted = wanted.trim();
                Ok(Value::Boolean(
                    choices(&list.as_xpath_str()).any(|c| c == wanted),
                ))
            }
            F::SelectedAt => {
                let list = self.string(arg(0)?)?;
                let index = self.number(arg(1)?)?;
                let found = if index >= 0.0 {
                    choices(&list).nth(index as usize)
                } else {
                    None
                };
                Ok(Value::String(found.unwrap_or_default().to_string()))
            }
            F::CountSelected => {
                let list = self.eval(arg(0)?)?;
                num(choices(&list.as_xpath_str()).count() as f64)
            }
            F::ChoiceName => {
                let value = self.string(arg(0)?)?;
                let question = self.string(arg(1)?)?;
                Ok(Value::String(
                    self.env
                        .choice_name(&question, value.trim())
                        .unwrap_or_default(),
                ))
            }
            F::Not => Ok(Value::Boolean(!self.eval(arg(0)?)?.to_boolean())),
            F::True => Ok(Value::Boolean(true)),
            F::False => Ok(Value::Boolean(false)),
            F::Boolean => Ok(Value::Boolean(self.eval(arg(0)?)?.to_boolean())),
            F::BooleanFromString => {
                let s = self.string(arg(0)?)?;
                Ok(Value::Boolean(s == "true" || s == "1"))
            }
            F::Number => match args.first() {
                Some(a) => num(self.number(a)?),
                None => num(self.env.current().to_number()),
            },
            F::String => match args.first() {
                Some(a) => Ok(Value::String(self.string(a)?)),
                None => Ok(Value::String(self.env.current().to_xpath_string())),
            },
            F::Int => num(self.number(arg(0)?)?.trunc()),
            F::Round => {
                let x = self.number(arg(0)?)?;
                match args.get(1) {
                    None => num(xpath_round(x)),
                    Some(places) => {
                        let places = self.number(places)?;
                        num(round_places(x, places))
                    }
                }
            }
            F::Floor => num(self.number(arg(0)?)?.floor()),
            F::Ceiling => num(self.number(arg(0)?)?.ceil()),
            F::Abs => num(self.number(arg(0)?)?.abs()),
            F::Pow => {
                let base = self.number(arg(0)?)?;
                let exponent = self.number(arg(1)?)?;
                num(base.powf(exponent))
            }
            F::Sqrt => num(self.number(arg(0)?)?.sqrt()),
            F::Exp => num(self.number(arg(0)?)?.exp()),
            F::Exp10 => num(10f64.powf(self.number(arg(0)?)?)),
            F::Log => num(self.number(arg(0)?)?.ln()),
            F::Log10 => num(self.number(arg(0)?)?.log10()),
            F::Pi => num(std::f64::consts::PI),
            F::Sin => num(self.number(arg(0)?)?.sin()),
            F::Cos => num(self.number(arg(0)?)?.cos()),
            F::Tan => num(self.number(arg(0)?)?.tan()),
            F::Asin => num(self.number(arg(0)?)?.asin()),
            F::Acos => num(self.number(arg(0)?)?.acos()),
            F::Atan => num(self.number(arg(0)?)?.atan()),
            F::Atan2 => {
                let y = self.number(arg(0)?)?;
                let x = self.number(arg(1)?)?;
                num(y.atan2(x))
            }
            F::Min | F::Max => {
                let mut result: Option<f64> = None;
                for a in args {
                    for item in items(self.eval(a)?) {
                        let n = item.to_number();
                        result = Some(match result {
                            _ if n.is_nan() => return num(f64::NAN),
                            None => n,
                            Some(r) if function == F::Min => r.min(n),
                            Some(r) => r.max(n),
                        });
                    }
                }
                num(result.unwrap_or(f64::NAN))
            }
            F::Sum => num(items(self.eval(arg(0)?)?)
                .iter()
                .map(Value::to_number)
                .sum()),
            F::Count => num(items(self.eval(arg(0)?)?).len() as f64),
            F::CountNonEmpty => {
                let nodes = items(self.eval(arg(0)?)?);
                num(nodes
                    .iter()
                    .filter(|v| !v.to_xpath_string().is_empty())
                    .count() as f64)
            }
            F::Concat => {
                let mut out = String::new();
                for a in args {
                    // ODK extension: a node-set argument contributes every node, not just the first.
                    for item in items(self.eval(a)?) {
                        out.push_str(&item.as_xpath_str());
                        self.check_len(&out, span)?;
                    }
                }
                self.string_result(out, span)
            }
            F::Join => {
                let separator = self.string(arg(0)?)?;
                let mut parts = Vec::new();
                for a in &args[1..] {
                    parts.extend(items(self.eval(a)?).iter().map(Value::to_xpath_string));
                }
                self.burn(parts.len() as u64, span)?;
                let total: usize = parts.iter().map(String::len).sum::<usize>()
                    + separator.len() * parts.len().saturating_sub(1);
                if total > MAX_STRING_LEN {
                    return Err(err(
                        span,
                        Problem::ResultTooLong {
                            limit: MAX_STRING_LEN,
                        },
                    ));
                }
                self.string_result(parts.join(&separator), span)
            }
            F::Substr => {
                let s = self.string(arg(0)?)?;
                let start = self.number(arg(1)?)?;
                let end = match args.get(2) {
                    Some(e) => Some(self.number(e)?),
                    None => None,
                };
                Ok(Value::String(substr(&s, start, end)))
            }
            F::Substring => {
                let s = self.string(arg(0)?)?;
                let start = self.number(arg(1)?)?;
                let length = match args.get(2) {
                    Some(e) => Some(self.number(e)?),
                    None => None,
                };
                Ok(Value::String(xpath_substring(&s, start, length)))
            }
            F::SubstringBefore | F::SubstringAfter | F::Contains | F::StartsWith | F::EndsWith => {
                let s = self.string(arg(0)?)?;
                let t = self.string(arg(1)?)?;
                self.burn((s.len() + t.len()) as u64 / 1024, span)?;
                Ok(match function {
                    F::SubstringBefore => {
                        Value::String(s.find(&t).map(|i| s[..i].to_string()).unwrap_or_default())
                    }
                    F::SubstringAfter => Value::String(
                        s.find(&t)
                            .map(|i| s[i + t.len()..].to_string())
                            .unwrap_or_default(),
                    ),
                    F::Contains => Value::Boolean(s.contains(&t)),
                    F::StartsWith => Value::Boolean(s.starts_with(&t)),
                    _ => Value::Boolean(s.ends_with(&t)),
                })
            }
            F::StringLength => {
                let s = match args.first() {
                    Some(a) => self.string(a)?,
                    None => self.env.current().to_xpath_string(),
                };
                num(s.chars().count() as f64)
            }
            F::NormalizeSpace => {
                let s = match args.first() {
                    Some(a) => self.string(a)?,
                    None => self.env.current().to_xpath_string(),
                };
                Ok(Value::String(choices(&s).collect::<Vec<_>>().join(" ")))
            }
            F::Translate => {
                let s = self.string(arg(0)?)?;
                let from: Vec<char> = self.string(arg(1)?)?.chars().collect();
                let to: Vec<char> = self.string(arg(2)?)?.chars().collect();
                self.burn((s.len() as u64 * from.len() as u64) / 1024, span)?;
                let out = s
                    .chars()
                    .filter_map(|c| match from.iter().position(|f| *f == c) {
                        Some(i) => to.get(i).copied(),
                        None => Some(c),
                    })
                    .collect();
                Ok(Value::String(out))
            }
            F::Regex => {
                let s = self.string(arg(0)?)?;
                let pattern = self.string(arg(1)?)?;
                self.burn(s.len() as u64 / 256, span)?;
                crate::regex_cache::is_match(&pattern, &s)
                    .map(Value::Boolean)
                    .map_err(|detail| {
                        err(
                            arg(1).map_or(span, |a| a.span),
                            Problem::BadRegex { detail },
                        )
                    })
            }
            F::Coalesce => {
                let first = self.eval(arg(0)?)?;
                if first.as_xpath_str().is_empty() {
                    self.eval(arg(1)?)
                } else {
                    Ok(first)
                }
            }
            F::Today => Ok(Value::Date(self.env.now().local_day())),
            F::Now => Ok(Value::DateTime(self.env.now())),
            F::Date => {
                let v = self.eval(arg(0)?)?;
                to_date(v, self.env.now().offset_minutes, arg(0)?.span)
            }
            F::DateTime => {
                let v = self.eval(arg(0)?)?;
                to_date_time(v, self.env.now().offset_minutes, arg(0)?.span)
            }
            F::DecimalDateTime => {
                let v = self.eval(arg(0)?)?;
                match to_date_time(v, self.env.now().offset_minutes, arg(0)?.span)? {
                    Value::DateTime(dt) => num(dt.epoch_ms as f64 / MS_PER_DAY as f64),
                    _ => num(f64::NAN),
                }
            }
            F::DecimalTime => {
                let s = self.string(arg(0)?)?;
                let device = i64::from(self.env.now().offset_minutes) * 60_000;
                num(match date::parse_time(s.trim()) {
                    Some((ms, Some(offset))) => {
                        (ms - i64::from(offset) * 60_000 + device).rem_euclid(MS_PER_DAY) as f64
                            / MS_PER_DAY as f64
                    }
                    Some((ms, None)) => ms as f64 / MS_PER_DAY as f64,
                    None => f64::NAN,
                })
            }
            F::FormatDate | F::FormatDateTime => {
                let v = self.eval(arg(0)?)?;
                let pattern = self.string(arg(1)?)?;
                let fields = date_fields(v, self.env.now().offset_minutes);
                let out = fields
                    .map(|f| date::format_pattern(&f, &pattern))
                    .unwrap_or_default();
                self.string_result(out, span)
            }
            F::Position => num(self.env.position(args.first(), span)?),
            F::IndexedRepeat => {
                let name = ref_name(arg(0)?)?;
                let mut path = Vec::with_capacity(3);
                for pair in args[1..].chunks(2) {
                    let repeat = ref_name(&pair[0])?;
                    let index = match pair.get(1) {
                        Some(i) => self.number(i)?,
                        None => {
                            return Err(err(span, Problem::IndexAfterEachRepeat));
                        }
                    };
                    path.push((repeat, index));
                }
                self.env.indexed_repeat(name, &path, span)
            }
            F::Once => {
                let current = self.env.current();
                if current.to_xpath_string().is_empty() {
                    self.eval(arg(0)?)
                } else {
                    Ok(current)
                }
            }
            F::Uuid => match args.first() {
                None => Ok(Value::String(self.env.uuid())),
                Some(a) => {
                    let n = self.number(a)?;
                    if !(0.0..=4096.0).contains(&n) {
                        return Err(err(a.span, Problem::UuidLength));
                    }
                    const ALPHABET: &[u8] =
                        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
                    let out = (0..n as usize)
                        .map(|_| ALPHABET[((self.env.random() * 62.0) as usize).min(61)] as char)
                        .collect();
                    Ok(Value::String(out))
                }
            },
            F::Random => num(self.env.random()),
            F::Checklist => {
                let min = self.number(arg(0)?)?;
                let max = self.number(arg(1)?)?;
                let mut count = 0.0;
                for a in &args[2..] {
                    count += items(self.eval(a)?)
                        .iter()
                        .filter(|v| v.to_boolean())
                        .count() as f64;
                }
                Ok(Value::Boolean(within(count, min, max)))
            }
            F::WeightedChecklist => {
                let min = self.number(arg(0)?)?;
                let max = self.number(arg(1)?)?;
                let mut total = 0.0;
                for pair in args[2..].chunks(2) {
                    let values = items(self.eval(&pair[0])?);
                    let weights = match pair.get(1) {
                        Some(w) => items(self.eval(w)?),
                        None => Vec::new(),
                    };
                    for (v, w) in values.iter().zip(weights.iter()) {
                        if v.to_boolean() {
                            total += w.to_number();
                        }
                    }
                }
                Ok(Value::Boolean(within(total, min, max)))
            }
            F::Digest => {
                let data = self.string(arg(0)?)?;
                let algorithm = self.string(arg(1)?)?;
                let encoding = match args.get(2) {
                    Some(e) => self.string(e)?,
                    None => "base64".to_string(),
                };
                self.burn(data.len() as u64 / 256, span)?;
                crate::digest::digest(&data, &algorithm, &encoding)
                    .map(Value::String)
                    .map_err(|problem| err(span, problem))
            }
            F::Distance => {
                let points = self.points(args, span)?;
                num(points
                    .windows(2)
                    .map(|w| great_circle_metres(w[0], w[1]))
                    .sum())
            }
            F::Area => {
                let points = self.points(args, span)?;
                num(spherical_area_square_metres(&points))
            }
            F::Current => Ok(self.env.current()),
            F::Instance => Err(err(span, Problem::InstanceNotAtStart)),
            F::Pulldata => {
                let source = self.string(arg(0)?)?;
                let column = self.string(arg(1)?)?;
                let key_column = self.string(arg(2)?)?;
                let key = self.string(arg(3)?)?;
                Ok(Value::String(
                    self.env
                        .pulldata(&source, &column, &key_column, &key)
                        .unwrap_or_default(),
                ))
            }
        }
    }

    fn check_len(&mut self, s: &str, span: Span) -> Result<(), Diagnostic> {
        if s.len() > MAX_STRING_LEN {
            return Err(err(
                span,
                Problem::ResultTooLong {
                    limit: MAX_STRING_LEN,
                },
            ));
        }
        Ok(())
    }
}

fn ref_name(expr: &Expr) -> Result<&str, Diagnostic> {
    match &expr.kind {
        ExprKind::Ref(name) => Ok(name),
        _ => Err(err(
            expr.span,
            Problem::ExpectedReference { function: None },
        )),
    }
}

fn within(n: f64, min: f64, max: f64) -> bool {
    // -1 means "no bound" in checklist() and weighted-checklist().
    (min < 0.0 || n >= min) && (max < 0.0 || n <= max)
}

/// XPath 1.0 §3.4 comparisons: node-sets compare existentially; otherwise `=`/`!=` compare
/// as booleans if either side is one, else as numbers if either side is one (or a date),
/// else as strings; `< <= > >=` always compare numbers.
pub fn compare(op: BinaryOp, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nodes(_), Value::Boolean(x)) => {
            compare_atoms(op, &Value::Boolean(a.to_boolean()), &Value::Boolean(*x))
        }
        (Value::Boolean(x), Value::Nodes(_)) => {
            compare_atoms(op, &Value::Boolean(*x), &Value::Boolean(b.to_boolean()))
        }
        (Value::Nodes(xs), Value::Nodes(ys)) => xs.iter().any(|x| {
            let x = Value::String(x.to_xpath_string());
            ys.iter()
                .any(|y| compare_atoms(op, &x, &Value::String(y.to_xpath_string())))
        }),
        (Value::Nodes(xs), other) => xs
            .iter()
            .any(|x| compare_atoms(op, &node_as(x, other), other)),
        (other, Value::Nodes(ys)) => ys
            .iter()
            .any(|y| compare_atoms(op, other, &node_as(y, other))),
        _ => compare_atoms(op, a, b),
    }
}

/// A node's value converted to the type of the value it is compared with (strings compare
/// as strings, numbers and dates as numbers).
fn node_as(node: &Value, other: &Value) -> Value {
    match other {
        Value::String(_) => Value::String(node.to_xpath_string()),
        _ => Value::Number(node.to_number()),
    }
}

fn compare_atoms(op: BinaryOp, a: &Value, b: &Value) -> bool {
    let numeric = |v: &Value| matches!(v, Value::Number(_) | Value::Date(_) | Value::DateTime(_));
    match op {
        BinaryOp::Eq | BinaryOp::Neq => {
            let equal = if matches!(a, Value::Boolean(_)) || matches!(b, Value::Boolean(_)) {
                a.to_boolean() == b.to_boolean()
            } else if numeric(a) || numeric(b) {
                a.to_number() == b.to_number()
            } else {
                a.as_xpath_str() == b.as_xpath_str()
            };
            equal == (op == BinaryOp::Eq)
        }
        _ => {
            let (x, y) = (a.to_number(), b.to_number());
            match op {
                BinaryOp::Lt => x < y,
                BinaryOp::Le => x <= y,
                BinaryOp::Gt => x > y,
                _ => x >= y,
            }
        }
    }
}

/// XPath 1.0 §4.4 round(): the nearest integer, ties towards positive infinity; -0.5..0 gives -0.
pub fn xpath_round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    if (-0.5..0.0).contains(&x) {
        return -0.0;
    }
    let floor = x.floor();
    if x - floor >= 0.5 { floor + 1.0 } else { floor }
}

/// ODK's round(x, places): half away from zero at the given number of decimal places.
fn round_places(x: f64, places: f64) -> f64 {
    if !x.is_finite() || places.is_nan() {
        return f64::NAN;
    }
    let factor = 10f64.powi(places.trunc().clamp(-300.0, 300.0) as i32);
    let scaled = (x * factor).abs();
    let floor = scaled.floor();
    let rounded = if scaled - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    };
    rounded.copysign(x) / factor
}

/// ODK's substr(s, start, end): 0-based, `end` exclusive, negative positions count from the end.
fn substr(s: &str, start: f64, end: Option<f64>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as f64;
    let resolve = |p: f64| {
        let p = if p.is_nan() { 0.0 } else { p.trunc() };
        (if p < 0.0 { len + p } else { p }).clamp(0.0, len)
    };
    let start = resolve(start);
    let end = end.map_or(len, resolve);
    if start >= end {
        return String::new();
    }
    chars[start as usize..end as usize].iter().collect()
}

/// XPath 1.0 substring(s, start, length): 1-based, with the rounding rules of §4.2.
fn xpath_substring(s: &str, start: f64, length: Option<f64>) -> String {
    let first = xpath_round(start);
    let past = length.map_or(f64::INFINITY, |l| first + xpath_round(l));
    s.chars()
        .enumerate()
        .filter(|(i, _)| {
            let p = (*i + 1) as f64;
            p >= first && p < past
        })
        .map(|(_, c)| c)
        .collect()
}

fn to_date(v: Value, offset: i32, span: Span) -> R {
    match v {
        Value::Date(_) => Ok(v),
        Value::DateTime(dt) => Ok(Value::Date(
            DateTime {
                offset_minutes: offset,
                ..dt
            }
            .local_day(),
        )),
        Value::Nodes(nodes) => to_date(
            nodes.into_iter().next().unwrap_or_else(Value::empty),
            offset,
            span,
        ),
        Value::Number(n) if n.is_finite() => Ok(Value::Date(n.floor() as i64)),
        Value::Boolean(_) | Value::Number(_) => Err(err(
            span,
            Problem::NotADate {
                value: v.to_xpath_string(),
                date_time: false,
                shape: false,
            },
        )),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Value::empty());
            }
            if let Some(days) = date::parse_date(t) {
                return Ok(Value::Date(days));
            }
            if let Some(dt) = date::parse_date_time(t, offset) {
                return Ok(Value::Date(
                    DateTime {
                        offset_minutes: offset,
                        ..dt
                    }
                    .local_day(),
                ));
            }
            let n = crate::value::string_to_number(t);
            if n.is_finite() {
                return Ok(Value::Date(n.floor() as i64));
            }
            Err(err(
                span,
                Problem::NotADate {
                    value: t.to_string(),
                    date_time: false,
                    shape: true,
                },
            ))
        }
    }
}

fn to_date_time(v: Value, offset: i32, span: Span) -> R {
    let from_ms = |ms: i64| {
        Value::DateTime(DateTime {
            epoch_ms: ms,
            offset_minutes: offset,
        })
    };
    match v {
        Value::DateTime(_) => Ok(v),
        // A date is midnight on the device's clock.
        Value::Date(days) => Ok(from_ms(days * MS_PER_DAY - i64::from(offset) * 60_000)),
        Value::Nodes(nodes) => to_date_time(
            nodes.into_iter().next().unwrap_or_else(Value::empty),
            offset,
            span,
        ),
        Value::Number(n) if n.is_finite() && n.abs() < 1e11 => {
            Ok(from_ms((n * MS_PER_DAY as f64).round() as i64))
        }
        Value::Boolean(_) | Value::Number(_) => Err(err(
            span,
            Problem::NotADate {
                value: v.to_xpath_string(),
                date_time: true,
                shape: false,
            },
        )),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Value::empty());
            }
            if let Some(dt) = date::parse_date_time(t, offset) {
                // Like ODK Collect, a dateTime is shown on the device's clock.
                return Ok(Value::DateTime(DateTime {
                    offset_minutes: offset,
                    ..dt
                }));
            }
            if let Some(days) = date::parse_date(t) {
                return to_date_time(Value::Date(days), offset, span);
            }
            let n = crate::value::string_to_number(t);
            if n.is_finite() {
                return to_date_time(Value::Number(n), offset, span);
            }
            Err(err(
                span,
                Problem::NotADate {
                    value: t.to_string(),
                    date_time: true,
                    shape: true,
                },
            ))
        }
    }
}

/// The calendar fields of a date-like value for format-date(); None when it is not one.
fn date_fields(v: Value, offset: i32) -> Option<Fields> {
    match v {
        Value::Date(days) => Some(Fields::of_day(days)),
        Value::DateTime(dt) => Some(
            DateTime {
                offset_minutes: offset,
                ..dt
            }
            .local_fields(),
        ),
        Value::Number(n) if n.is_finite() && n.abs() < 1e11 => {
            Some(Fields::of_day(n.floor() as i64))
        }
        Value::Nodes(nodes) => nodes
            .into_iter()
            .next()
            .and_then(|n| date_fields(n, offset)),
        Value::String(s) => {
            let t = s.trim();
            if let Some(days) = date::parse_date(t) {
                Some(Fields::of_day(days))
            } else if let Some(dt) = date::parse_date_time(t, offset) {
                Some(
                    DateTime {
                        offset_minutes: offset,
                        ..dt
                    }
                    .local_fields(),
                )
            } else {
                // A time of day alone (a `time` question) formats on 1970-01-01.
                date::parse_time(t).map(|(ms, _)| {
                    let mut f = Fields::of_day(0);
                    f.hour = (ms / 3_600_000) as u32;
                    f.minute = (ms / 60_000 % 60) as u32;
                    f.second = (ms / 1000 % 60) as u32;
                    f.millis = (ms % 1000) as u32;
                    f
                })
            }
        }
        _ => None,
    }
}

/// `latitude longitude [altitude [accuracy]]` in degrees.
fn parse_geopoint(s: &str) -> Option<(f64, f64)> {
    let mut parts = s.split_whitespace().map(str::parse::<f64>);
    let lat = parts.next()?.ok()?;
    let lon = parts.next()?.ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// Haversine distance in metres on a sphere of JavaRosa's Earth radius (6,378,100 m).
/// The Earth's radius as ODK's engines take it for `distance()` and `area()`, in metres.
const EARTH_RADIUS_M: f64 = 6_378_100.0;

/// The area inside a ring of (latitude, longitude) points on a sphere of the Earth's radius
/// (Chamberlain and Duquette, "Some algorithms for polygons on a sphere", 2007: the sum over
/// the edges of the longitude step times 2 + the sines of the two latitudes, times R^2 / 2),
/// the ring closed if its last point is not its first. Fewer than three points enclose
/// nothing.
fn spherical_area_square_metres(points: &[(f64, f64)]) -> f64 {
    if points.len() < 3 {
        return 0.0;
    }
    let edge = |a: (f64, f64), b: (f64, f64)| {
        (b.1 - a.1).to_radians() * (2.0 + a.0.to_radians().sin() + b.0.to_radians().sin())
    };
    let mut sum: f64 = points.windows(2).map(|w| edge(w[0], w[1])).sum();
    let (first, last) = (points[0], points[points.len() - 1]);
    if first != last {
        sum += edge(last, first);
    }
    (sum * EARTH_RADIUS_M * EARTH_RADIUS_M / 2.0).abs()
}

fn great_circle_metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}
