//! What an expression can ask of the world it runs in. The crate knows nothing of surveys:
//! a form engine implements [`Env`] over its answers and repeats; [`SimpleEnv`] is a plain
//! table of values for the command line, tests and benchmarks.

use crate::Span;
use crate::ast::{Expr, Path};
use crate::date::DateTime;
use crate::diagnostic::{Diagnostic, Problem};
use crate::value::Value;
use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub trait Env {
    /// The value of `${name}` seen from the current question: one value, or `Value::Nodes`
    /// for the instances of a repeat (or a question inside one) seen from outside it.
    /// An unanswered question is the empty string.
    fn reference(&self, name: &str, span: Span) -> Result<Value, Diagnostic>;

    /// The value of `.`, the current question.
    fn current(&self) -> Value {
        Value::empty()
    }

    /// A location path (`..`, `/data/q`, `instance('list')/root/item[...]`).
    fn path(&self, _path: &Path, span: Span) -> Result<Value, Diagnostic> {
        Err(Diagnostic::new(span, Problem::PathsUnavailable))
    }

    /// `position()` (of the current repeat instance) or `position(node)`; 1-based.
    fn position(&self, _of: Option<&Expr>, span: Span) -> Result<f64, Diagnostic> {
        Err(Diagnostic::new(span, Problem::PositionOutsideRepeat))
    }

    /// `indexed-repeat(${name}, ${repeat}, i, ...)`: the value of `name` in the given
    /// instances (1-based), outermost repeat first.
    fn indexed_repeat(
        &self,
        name: &str,
        _path: &[(&str, f64)],
        span: Span,
    ) -> Result<Value, Diagnostic> {
        Err(Diagnostic::new(
            span,
            Problem::NoRepeats {
                name: name.to_string(),
            },
        ))
    }

    /// The label of choice `value` of the select question `question` (`jr:choice-name`).
    fn choice_name(&self, _question: &str, _value: &str) -> Option<String> {
        None
    }

    /// `pulldata(source, column, key_column, key)` from an attached CSV.
    fn pulldata(
        &self,
        _source: &str,
        _column: &str,
        _key_column: &str,
        _key: &str,
    ) -> Option<String> {
        None
    }

    /// The current time and the device's UTC offset.
    fn now(&self) -> DateTime;

    /// A number in `[0, 1)`.
    fn random(&self) -> f64;

    /// A fresh RFC 4122 version 4 UUID.
    fn uuid(&self) -> String {
        uuid_from(|| self.random())
    }
}

/// Formats a version 4 UUID from a source of uniform numbers in `[0, 1)`.
pub fn uuid_from(mut random: impl FnMut() -> f64) -> String {
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = (random() * 256.0) as u8;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// FNV-1a: question names are short and not attacker-chosen keys of a long-lived server
/// table, so a fast hash beats SipHash's flooding resistance here.
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// A fixed table of values with a fixed clock and a seeded random source.
#[derive(Debug, Clone)]
pub struct SimpleEnv {
    values: FastMap<String, Value>,
    choice_names: FastMap<(String, String), String>,
    pub current: Value,
    pub position: Option<f64>,
    pub now: DateTime,
    rng: Cell<u64>,
}

impl Default for SimpleEnv {
    fn default() -> Self {
        SimpleEnv::new(
            DateTime {
                epoch_ms: 0,
                offset_minutes: 0,
            },
            0x5EED,
        )
    }
}

impl SimpleEnv {
    pub fn new(now: DateTime, seed: u64) -> SimpleEnv {
        SimpleEnv {
            values: FastMap::default(),
            choice_names: FastMap::default(),
            current: Value::empty(),
            position: None,
            now,
            // xorshift must not start at zero.
            rng: Cell::new(seed | 1),
        }
    }

    pub fn set(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.values.insert(name.into(), value.into());
        self
    }

    pub fn set_choice_name(&mut self, question: &str, value: &str, label: &str) -> &mut Self {
        self.choice_names
            .insert((question.to_string(), value.to_string()), label.to_string());
        self
    }
}

impl Env for SimpleEnv {
    fn reference(&self, name: &str, span: Span) -> Result<Value, Diagnostic> {
        self.values.get(name).cloned().ok_or_else(|| {
            Diagnostic::new(
                span,
                Problem::UnknownQuestion {
                    name: name.to_string(),
                },
            )
        })
    }

    fn current(&self) -> Value {
        self.current.clone()
    }

    fn position(&self, of: Option<&Expr>, span: Span) -> Result<f64, Diagnostic> {
        match (of, self.position) {
            (None, Some(p)) => Ok(p),
            _ => Err(Diagnostic::new(span, Problem::PositionOutsideRepeat)),
        }
    }

    fn choice_name(&self, question: &str, value: &str) -> Option<String> {
        // Forms write the question as '${q}'; accept the bare name too.
        let bare = question
            .strip_prefix("${")
            .and_then(|q| q.strip_suffix('}'))
            .unwrap_or(question);
        self.choice_names
            .get(&(bare.to_string(), value.to_string()))
            .cloned()
    }

    fn now(&self) -> DateTime {
        self.now
    }

    fn random(&self) -> f64 {
        // xorshift64*: deterministic for a seed, good enough for randomising choice order.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}
