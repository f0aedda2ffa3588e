//! Source text to tokens with byte spans. The lexer never fails: a character that starts no
//! token becomes an `Error` token and a diagnostic, and lexing goes on.

use crate::Span;
use crate::diagnostic::{Diagnostic, Problem};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TokenKind {
    Number,
    /// A string literal; its text (without quotes) is `src[span.start + 1 .. span.end - 1]`.
    Str,
    /// `${name}`; the name is `src[span.start + 2 .. span.end - 1]`.
    Ref,
    /// A (possibly prefixed) XML name: `selected`, `jr:choice-name`, `item`.
    Name,
    Dot,
    DotDot,
    Slash,
    SlashSlash,
    At,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Pipe,
    Plus,
    Minus,
    /// `*` as multiplication (after an operand).
    Multiply,
    /// `*` as a name test (at the start of a step).
    Star,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Div,
    Mod,
    Error,
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.') || c == '\u{B7}'
}

/// True when `name` is an XML NCName, which is what XLSForm requires of question names.
/// The prefix of a reference to an answer of the record saved last (`${last-saved#name}`),
/// as ODK Collect reads it: a value carried over from the previous interview.
pub const LAST_SAVED: &str = "last-saved#";

pub fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// Splits `src` into tokens; the last token is always `Eof`.
pub fn lex(src: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::with_capacity(src.len() / 3 + 2);
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        // XPath 1.0 §3.7: `*` and `and or div mod` are operators only after an operand.
        let after_operand = tokens.last().is_some_and(|t| {
            matches!(
                t.kind,
                TokenKind::Number
                    | TokenKind::Str
                    | TokenKind::Ref
                    | TokenKind::Name
                    | TokenKind::Dot
                    | TokenKind::DotDot
                    | TokenKind::RParen
                    | TokenKind::RBracket
                    | TokenKind::Star
            )
        });
        let kind = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'0'..=b'9' => {
                i = scan_number(bytes, i);
                TokenKind::Number
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = scan_number(bytes, i);
                TokenKind::Number
            }
            b'.' if bytes.get(i + 1) == Some(&b'.') => {
                i += 2;
                TokenKind::DotDot
            }
            b'.' => {
                i += 1;
                TokenKind::Dot
            }
            b'\'' | b'"' => match src[i + 1..].find(b as char) {
                Some(len) => {
                    i += len + 2;
                    TokenKind::Str
                }
                None => {
                    i = src.len();
                    diagnostics.push(Diagnostic::new(
                        Span::new(start, i),
                        Problem::UnterminatedString,
                    ));
                    TokenKind::Error
                }
            },
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                match src[i + 2..].find('}') {
                    Some(len) => {
                        i += len + 3;
                        let name = &src[start + 2..i - 1];
                        // `${last-saved#name}`: the answer in the record saved last.
                        let name = name.strip_prefix(LAST_SAVED).unwrap_or(name);
                        if !is_ncname(name) {
                            diagnostics.push(Diagnostic::new(
                                Span::new(start, i),
                                Problem::InvalidReferenceName {
                                    name: name.to_string(),
                                },
                            ));
                        }
                    }
                    None => {
                        i = src.len();
                        diagnostics.push(Diagnostic::new(
                            Span::new(start, i),
                            Problem::UnclosedReference,
                        ));
                    }
                }
                TokenKind::Ref
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += 2;
                TokenKind::SlashSlash
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                TokenKind::Neq
            }
            b'<' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                TokenKind::Le
            }
            b'>' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                TokenKind::Ge
            }
            b'*' => {
                i += 1;
                if after_operand {
                    TokenKind::Multiply
                } else {
                    TokenKind::Star
                }
            }
            b'/' | b'@' | b'(' | b')' | b'[' | b']' | b',' | b'|' | b'+' | b'-' | b'=' | b'<'
            | b'>' => {
                i += 1;
                match b {
                    b'/' => TokenKind::Slash,
                    b'@' => TokenKind::At,
                    b'(' => TokenKind::LParen,
                    b')' => TokenKind::RParen,
                    b'[' => TokenKind::LBracket,
                    b']' => TokenKind::RBracket,
                    b',' => TokenKind::Comma,
                    b'|' => TokenKind::Pipe,
                    b'+' => TokenKind::Plus,
                    b'-' => TokenKind::Minus,
                    b'=' => TokenKind::Eq,
                    b'<' => TokenKind::Lt,
                    _ => TokenKind::Gt,
                }
            }
            _ => {
                let c = src[i..].chars().next().unwrap_or('\u{FFFD}');
                if is_name_start(c) {
                    i = scan_qname(src, i);
                    let kind = if after_operand {
                        match &src[start..i] {
                            "and" => Some(TokenKind::And),
                            "or" => Some(TokenKind::Or),
                            "div" => Some(TokenKind::Div),
                            "mod" => Some(TokenKind::Mod),
                            _ => None,
                        }
                    } else {
                        None
                    };
                    kind.unwrap_or(TokenKind::Name)
                } else {
                    i += c.len_utf8();
                    diagnostics.push(Diagnostic::new(
                        Span::new(start, i),
                        Problem::UnexpectedChar(c),
                    ));
                    TokenKind::Error
                }
            }
        };
        tokens.push(Token {
            kind,
            span: Span::new(start, i),
        });
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        span: Span::new(src.len(), src.len()),
    });
    tokens
}

/// `digits ('.' digits?)?` or `'.' digits` (XPath 1.0 has no exponent and no sign).
fn scan_number(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' && bytes.get(i + 1) != Some(&b'.') {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
    }
    i
}

/// An NCName, optionally followed by `:` and a second NCName (`jr:choice-name`).
fn scan_qname(src: &str, start: usize) -> usize {
    let scan_ncname = |from: usize| {
        let mut end = from;
        for (offset, c) in src[from..].char_indices() {
            if (offset == 0 && !is_name_start(c)) || !is_name_char(c) {
                break;
            }
            end = from + offset + c.len_utf8();
        }
        end
    };
    let end = scan_ncname(start);
    if src[end..].starts_with(':') && !src[end..].starts_with("::") {
        let local_end = scan_ncname(end + 1);
        if local_end > end + 1 {
            return local_end;
        }
    }
    end
}

/// Text of a string literal token without its quotes.
pub fn string_text(src: &str, span: Span) -> &str {
    &src[span.start as usize + 1..span.end as usize - 1]
}

/// `2022-03-14`, `-2022-03-14`, `01:02:55`, `01:02:55.5+10:00`, `01:02:55Z`,
/// `2022-03-14T01:02:55-07:00`: the shapes of pyxform's DATE, TIME and DATETIME tokens.
fn is_date_or_time_literal(text: &str) -> bool {
    fn digits(s: &str, n: usize) -> Option<&str> {
        (s.len() >= n && s.as_bytes()[..n].iter().all(u8::is_ascii_digit)).then(|| &s[n..])
    }
    fn date(s: &str) -> Option<&str> {
        let s = s.strip_prefix('-').unwrap_or(s);
        let s = digits(s, 4)?.strip_prefix('-')?;
        digits(digits(s, 2)?.strip_prefix('-')?, 2)
    }
    fn time(s: &str) -> Option<&str> {
        let s = digits(s, 2)?.strip_prefix(':')?;
        let mut s = digits(digits(s, 2)?.strip_prefix(':')?, 2)?;
        if let Some(fraction) = s.strip_prefix('.') {
            s = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        if let Some(rest) = s.strip_prefix('Z') {
            return Some(rest);
        }
        match s.strip_prefix(['+', '-']) {
            Some(zone) => digits(digits(zone, 2)?.strip_prefix(':')?, 2),
            None => Some(s),
        }
    }
    let whole = |rest: Option<&str>| rest == Some("");
    whole(time(text))
        || whole(date(text))
        || date(text)
            .and_then(|rest| rest.strip_prefix('T'))
            .is_some_and(|rest| whole(time(rest)))
}

/// Name of a reference token `${name}` (an unterminated one runs to the end of the source).
pub fn ref_name(src: &str, span: Span) -> &str {
    let inner = &src[span.start as usize + 2..span.end as usize];
    inner.strip_suffix('}').unwrap_or(inner)
}

/// Whether a `default` cell is an expression to evaluate when the form starts, rather than
/// the value itself, by pyxform's rule (what ODK then runs): it has an arithmetic operator
/// (`-` aside for a date or a point, whose plain values have hyphens), a union, a
/// predicate, a `${}` reference or a function call. `1 + 1` is 2; `Bishkek` is `Bishkek`. As
/// pyxform's lexer reads a `-` right before a digit as a negative number's sign, `1-1` (a
/// choice's name) is a value and `1 - 1` an expression.
pub fn is_dynamic_default(text: &str, date_like: bool) -> bool {
    // pyxform reads a date, a time or a dateTime as one token, signs and all.
    if is_date_or_time_literal(text.trim()) {
        return false;
    }
    let tokens = lex(text, &mut Vec::new());
    tokens.iter().enumerate().any(|(i, t)| match t.kind {
        TokenKind::Minus => {
            let sign = tokens
                .get(i + 1)
                .is_some_and(|n| n.kind == TokenKind::Number && n.span.start == t.span.end)
                && text[t.span.end as usize..].starts_with(|c: char| c.is_ascii_digit());
            !date_like && !sign
        }
        TokenKind::Plus
        | TokenKind::Multiply
        | TokenKind::Div
        | TokenKind::Mod
        | TokenKind::Pipe
        | TokenKind::LBracket
        | TokenKind::Ref => true,
        TokenKind::Name => tokens
            .get(i + 1)
            .is_some_and(|n| n.kind == TokenKind::LParen),
        _ => false,
    })
}
