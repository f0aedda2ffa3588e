//! Tokens to a tree: a Pratt parser for operators, recursive descent for paths and calls.
//!
//! The parser never stops at the first problem and never panics: it records a diagnostic,
//! puts an `Error` node where the problem was, and goes on. Nesting is bounded by
//! [`MAX_DEPTH`] so hostile input cannot overflow the stack of the parser, the evaluator or
//! the destructor of the tree.

use crate::Span;
use crate::ast::*;
use crate::diagnostic::{Diagnostic, Problem};
use crate::functions::Function;
use crate::lexer::{self, Token, TokenKind as T};

/// Deepest nesting the parser accepts, counting parentheses, calls, unary minus and operators
/// chained at one level. Real forms stay far below it (a sum of 200 scores is fine); the
/// tree it produces is at most twice this deep.
pub const MAX_DEPTH: u32 = 256;

/// Longest source the parser accepts, in bytes.
pub const MAX_SOURCE_LEN: usize = 1 << 20;

/// The result of parsing: a tree (with `Error` nodes where something was wrong) and every
/// problem found. The expression is usable when `diagnostics` is empty.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub expr: Expr,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn is_ok(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

pub fn parse(src: &str) -> Parsed {
    let mut diagnostics = Vec::new();
    if src.len() > MAX_SOURCE_LEN {
        diagnostics.push(Diagnostic::new(
            Span::new(0, src.len()),
            Problem::TooLong {
                bytes: src.len(),
                limit: MAX_SOURCE_LEN,
            },
        ));
        return Parsed {
            expr: Expr {
                kind: ExprKind::Error,
                span: Span::new(0, 0),
            },
            diagnostics,
        };
    }
    let tokens = lexer::lex(src, &mut diagnostics);
    let mut parser = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
        bailed: false,
        diagnostics,
    };
    if parser.peek() == T::Eof {
        let span = Span::new(0, src.len());
        parser
            .diagnostics
            .push(Diagnostic::new(span, Problem::Empty));
        return Parsed {
            expr: Expr {
                kind: ExprKind::Error,
                span,
            },
            diagnostics: parser.diagnostics,
        };
    }
    let expr = parser.expr(0);
    if !parser.bailed && parser.peek() != T::Eof {
        let token = parser.tokens[parser.pos];
        let problem = match token.kind {
            T::RParen => Problem::UnmatchedClose,
            _ => Problem::ExpectedOperator {
                found: parser.text(token.span).to_string(),
            },
        };
        parser.error(token.span, problem);
    }
    Parsed {
        expr,
        diagnostics: parser.diagnostics,
    }
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    depth: u32,
    /// Set when nesting went past `MAX_DEPTH`: everything after is skipped, so one
    /// diagnostic comes out, in time linear in the input.
    bailed: bool,
    diagnostics: Vec<Diagnostic>,
}

impl<'s> Parser<'s> {
    fn peek(&self) -> T {
        self.tokens[self.pos].kind
    }

    fn peek_at(&self, offset: usize) -> T {
        self.tokens
            .get(self.pos + offset)
            .map_or(T::Eof, |t| t.kind)
    }

    fn bump(&mut self) -> Token {
        let token = self.tokens[self.pos];
        if token.kind != T::Eof {
            self.pos += 1;
        }
        token
    }

    fn text(&self, span: Span) -> &'s str {
        &self.src[span.range()]
    }

    fn error(&mut self, span: Span, problem: Problem) {
        self.diagnostics.push(Diagnostic::new(span, problem));
    }

    fn error_node(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Error,
            span,
        }
    }

    /// Enters one level of nesting; false (with one diagnostic) when that is too deep.
    fn descend(&mut self, span: Span) -> bool {
        if self.bailed {
            return false;
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.bailed = true;
            self.error(
                span,
                Problem::TooDeep {
                    limit: MAX_DEPTH as usize,
                },
            );
            self.pos = self.tokens.len() - 1;
            return false;
        }
        true
    }

    fn expr(&mut self, min_bp: u8) -> Expr {
        let here = self.tokens[self.pos].span;
        let saved_depth = self.depth;
        if !self.descend(here) {
            self.depth = saved_depth;
            return Self::error_node(here);
        }
        let mut lhs = self.prefix();
        loop {
            let op = match self.peek() {
                T::Or => BinaryOp::Or,
                T::And => BinaryOp::And,
                T::Eq => BinaryOp::Eq,
                T::Neq => BinaryOp::Neq,
                T::Lt => BinaryOp::Lt,
                T::Le => BinaryOp::Le,
                T::Gt => BinaryOp::Gt,
                T::Ge => BinaryOp::Ge,
                T::Plus => BinaryOp::Add,
                T::Minus => BinaryOp::Sub,
                T::Multiply => BinaryOp::Mul,
                T::Div => BinaryOp::Div,
                T::Mod => BinaryOp::Mod,
                T::Pipe => BinaryOp::Union,
                _ => break,
            };
            let (left_bp, right_bp) = op.binding_power();
            if left_bp < min_bp || self.bailed {
                break;
            }
            let op_span = self.bump().span;
            // Each chained operator deepens the tree by one: count it like a nesting level.
            if !self.descend(op_span) {
                break;
            }
            let rhs = self.expr(right_bp);
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        self.depth = saved_depth;
        lhs
    }

    fn prefix(&mut self) -> Expr {
        let token = self.tokens[self.pos];
        match token.kind {
            T::Number => {
                self.bump();
                let value = self.text(token.span).parse::<f64>().unwrap_or(f64::NAN);
                Expr {
                    kind: ExprKind::Number(value),
                    span: token.span,
                }
            }
            T::Str => {
                self.bump();
                let text = lexer::string_text(self.src, token.span);
                Expr {
                    kind: ExprKind::String(text.into()),
                    span: token.span,
                }
            }
            T::Ref => {
                self.bump();
                let name = lexer::ref_name(self.src, token.span);
                let reference = Expr {
                    kind: ExprKind::Ref(name.into()),
                    span: token.span,
                };
                if self.peek() == T::LBracket {
                    self.filtered(reference)
                } else {
                    self.path_after_primary(reference)
                }
            }
            T::Minus => {
                self.bump();
                let operand = self.expr(UNARY_BP);
                let span = token.span.to(operand.span);
                Expr {
                    kind: ExprKind::Unary(UnaryOp::Neg, Box::new(operand)),
                    span,
                }
            }
            T::LParen => {
                self.bump();
                let inner = self.expr(0);
                let close = self.expect_close(T::RParen, token.span);
                let primary = Expr {
                    kind: inner.kind,
                    span: token.span.to(close),
                };
                self.path_after_primary(primary)
            }
            T::Name if self.peek_at(1) == T::LParen => {
                let call = self.call();
                self.path_after_primary(call)
            }
            T::Name | T::Dot | T::DotDot | T::At | T::Star | T::Slash | T::SlashSlash => {
                self.location_path()
            }
            T::Error => {
                // The lexer already reported it.
                self.bump();
                Self::error_node(token.span)
            }
            T::Eof => {
                self.error(token.span, Problem::EndsTooEarly);
                Self::error_node(token.span)
            }
            _ => {
                let found = self.text(token.span).to_string();
                self.error(token.span, Problem::ExpectedValue { found });
                // Leave closing delimiters for the construct that opened them.
                if !matches!(token.kind, T::RParen | T::RBracket | T::Comma) {
                    self.bump();
                }
                Self::error_node(token.span)
            }
        }
    }

    /// Consumes the closing token or reports the unclosed opener; returns the closing span.
    fn expect_close(&mut self, close: T, open: Span) -> Span {
        if self.peek() == close {
            return self.bump().span;
        }
        if !self.bailed {
            let open_char = if close == T::RParen { '(' } else { '[' };
            let token = self.tokens[self.pos];
            let found = (token.kind != T::Eof).then(|| self.text(token.span).to_string());
            self.error(
                open,
                Problem::Unclosed {
                    open: open_char,
                    found,
                },
            );
        }
        Span::new(
            self.tokens[self.pos].span.start as usize,
            self.tokens[self.pos].span.start as usize,
        )
    }

    fn call(&mut self) -> Expr {
        let name_token = self.bump();
        let open = self.bump().span;
        let name = self.text(name_token.span);
        let mut args = Vec::new();
        if self.peek() != T::RParen {
            loop {
                args.push(self.expr(0));
                if self.peek() == T::Comma && !self.bailed {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        let close = self.expect_close(T::RParen, open);
        let span = name_token.span.to(close);
        let Some(function) = Function::lookup(name) else {
            let name = name.to_string();
            self.error(name_token.span, Problem::UnknownFunction { name });
            return Self::error_node(span);
        };
        let arity = function.arity();
        if !arity.accepts(args.len()) {
            let problem = Problem::WrongArity {
                function: function.name(),
                takes: arity,
                given: args.len(),
            };
            self.error(span, problem);
            return Self::error_node(span);
        }
        if function == Function::IndexedRepeat {
            // indexed-repeat(${q}, ${repeat}, i, ${inner}, j...): names at 0, 1, 3, 5.
            for (i, arg) in args.iter().enumerate() {
                if (i < 2 || i % 2 == 1)
                    && !matches!(arg.kind, ExprKind::Ref(_) | ExprKind::Path(_))
                {
                    self.error(
                        arg.span,
                        Problem::ExpectedReference {
                            function: Some("indexed-repeat"),
                        },
                    );
                }
            }
        }
        Expr {
            kind: ExprKind::Call(function, args),
            span,
        }
    }

    /// `${t}[predicate]...`, then any steps: the nodes of a question, filtered.
    fn filtered(&mut self, reference: Expr) -> Expr {
        let start_span = reference.span;
        let mut end = start_span;
        let mut predicates = Vec::new();
        while self.peek() == T::LBracket && !self.bailed {
            let open = self.bump().span;
            predicates.push(self.expr(0));
            end = self.expect_close(T::RBracket, open);
        }
        let mut path = Path {
            start: PathStart::Filtered(reference, predicates),
            steps: Vec::new(),
        };
        let end = self.more_steps(&mut path, end);
        Expr {
            kind: ExprKind::Path(Box::new(path)),
            span: start_span.to(end),
        }
    }

    /// `(expr)/step...` or `instance('x')/root/item`: a primary followed by a path.
    fn path_after_primary(&mut self, primary: Expr) -> Expr {
        if !matches!(self.peek(), T::Slash | T::SlashSlash) {
            return primary;
        }
        let start_span = primary.span;
        let mut path = Path {
            start: PathStart::Expr(primary),
            steps: Vec::new(),
        };
        let end = self.more_steps(&mut path, start_span);
        Expr {
            kind: ExprKind::Path(Box::new(path)),
            span: start_span.to(end),
        }
    }

    fn location_path(&mut self) -> Expr {
        let first = self.tokens[self.pos].span;
        let mut path = Path {
            start: PathStart::Relative,
            steps: Vec::new(),
        };
        let mut end = first;
        match self.peek() {
            T::Slash => {
                self.bump();
                path.start = PathStart::Root;
                // `/` alone is the root node.
                if self.starts_step() {
                    end = self.step(&mut path);
                }
            }
            T::SlashSlash => {
                self.bump();
                path.start = PathStart::Root;
                path.steps.push(descendant_or_self());
                end = self.step(&mut path);
            }
            _ => end = self.step(&mut path),
        }
        let end = self.more_steps(&mut path, end);
        Expr {
            kind: ExprKind::Path(Box::new(path)),
            span: first.to(end),
        }
    }

    fn more_steps(&mut self, path: &mut Path, mut end: Span) -> Span {
        while matches!(self.peek(), T::Slash | T::SlashSlash) && !self.bailed {
            if self.bump().kind == T::SlashSlash {
                path.steps.push(descendant_or_self());
            }
            end = self.step(path);
        }
        end
    }

    fn starts_step(&self) -> bool {
        matches!(self.peek(), T::Name | T::Dot | T::DotDot | T::At | T::Star)
    }

    /// One step with its predicates; returns the span of its end.
    fn step(&mut self, path: &mut Path) -> Span {
        let token = self.tokens[self.pos];
        let (axis, test) = match token.kind {
            T::Dot => (Axis::SelfNode, NodeTest::Any),
            T::DotDot => (Axis::Parent, NodeTest::Any),
            T::Name => (Axis::Child, NodeTest::Name(self.text(token.span).into())),
            T::Star => (Axis::Child, NodeTest::Any),
            T::At => {
                self.bump();
                let name = self.tokens[self.pos];
                let test = match name.kind {
                    T::Name => NodeTest::Name(self.text(name.span).into()),
                    T::Star => NodeTest::Any,
                    _ => {
                        self.error(name.span, Problem::ExpectedAttributeName);
                        path.steps.push(Step {
                            axis: Axis::Attribute,
                            test: NodeTest::Any,
                            predicates: Vec::new(),
                        });
                        return token.span;
                    }
                };
                (Axis::Attribute, test)
            }
            _ => {
                let found = self.text(token.span).to_string();
                self.error(token.span, Problem::ExpectedPathStep { found });
                return token.span;
            }
        };
        let mut end = self.bump().span;
        let mut predicates = Vec::new();
        while self.peek() == T::LBracket && !self.bailed {
            let open = self.bump().span;
            predicates.push(self.expr(0));
            end = self.expect_close(T::RBracket, open);
        }
        path.steps.push(Step {
            axis,
            test,
            predicates,
        });
        end
    }
}

fn descendant_or_self() -> Step {
    Step {
        axis: Axis::DescendantOrSelf,
        test: NodeTest::Any,
        predicates: Vec::new(),
    }
}
