//! The expression tree. Every node keeps the span of the source it came from.

use crate::Span;
use crate::functions::Function;

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Number(f64),
    String(Box<str>),
    /// `${name}`: a question of the form.
    Ref(Box<str>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
    /// A location path: `.`, `..`, `/data/age`, `instance('l')/root/item[x = 1]/name`.
    Path(Box<Path>),
    /// Where the parser found an error; a diagnostic says what. Evaluates to the empty string.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Union,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Neq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "div",
            BinaryOp::Mod => "mod",
            BinaryOp::Union => "|",
        }
    }

    /// Left and right binding power (XPath 1.0 precedence; all binary operators are left-associative).
    pub fn binding_power(self) -> (u8, u8) {
        let level = match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Neq => 3,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
            BinaryOp::Union => 8,
        };
        (level * 2, level * 2 + 1)
    }
}

/// Binding power of unary minus: tighter than `*`, looser than `|` (XPath 1.0 §3.7 grammar).
pub const UNARY_BP: u8 = 14;

#[derive(Clone, Debug)]
pub struct Path {
    pub start: PathStart,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub enum PathStart {
    /// `/...`
    Root,
    /// `name/...`, `./...`, `../...`
    Relative,
    /// `instance('x')/...`, `current()/...`, `(expr)/...`
    Expr(Expr),
    /// `${t}[1]/...`, `${t}[position() = 2]/...`: a question (a repeat, as ODK forms use it)
    /// with predicates on its nodes, then the steps.
    Filtered(Expr, Vec<Expr>),
}

#[derive(Clone, Debug)]
pub struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub predicates: Vec<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    Child,
    Attribute,
    /// `.`
    SelfNode,
    /// `..`
    Parent,
    /// the hidden step of `//`
    DescendantOrSelf,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeTest {
    Name(Box<str>),
    Any,
}

impl Path {
    /// True for the path `.` alone: the current question.
    pub fn is_current(&self) -> bool {
        matches!(self.start, PathStart::Relative)
            && self.steps.len() == 1
            && self.steps[0].axis == Axis::SelfNode
            && self.steps[0].predicates.is_empty()
    }
}
