//! Generated XLSForms for `cargo xtask difftest`: seeded, as markdown tables, with random
//! relevance, calculations, constraints, requirements, defaults, groups and repeats (counted
//! and not, nested), every reference one that ODK and Dala both accept: a question is read
//! only where it is in scope (outside repeats, or in a repeat that encloses the reader), and a
//! question of a repeat that is closed is read from outside through `sum()` and `count()`.

use dala_aggregate::simulate::Rng;
use std::fmt::Write as _;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Decimal,
    Text,
    One,
    Many,
    Date,
}

#[derive(Clone)]
struct Known {
    name: String,
    kind: Kind,
    /// The repeats the question is in, outermost first.
    scope: Vec<String>,
}

struct Generator {
    rng: Rng,
    rows: Vec<String>,
    known: Vec<Known>,
    /// Open groups and repeats: (is a repeat, name).
    open: Vec<(bool, String)>,
    /// Questions of repeats that have been closed, with that repeat: read with sum()/count().
    closed: Vec<(Known, String)>,
    next: usize,
}

const HEADER: &str = "| | type | name | label | relevant | constraint | required | calculation | default | repeat_count | read_only |";

impl Generator {
    fn pick<'a, T>(&self, xs: &'a [T]) -> &'a T {
        &xs[self.rng.below(xs.len())]
    }

    fn chance(&self, percent: usize) -> bool {
        self.rng.below(100) < percent
    }

    fn scope(&self) -> Vec<String> {
        self.open
            .iter()
            .filter(|(repeat, _)| *repeat)
            .map(|(_, n)| n.clone())
            .collect()
    }

    /// Questions readable here, of the given kinds.
    fn readable(&self, kinds: &[Kind]) -> Vec<Known> {
        let scope = self.scope();
        self.known
            .iter()
            .filter(|k| kinds.contains(&k.kind) && scope.starts_with(&k.scope))
            .cloned()
            .collect()
    }

    /// A condition over readable questions, or None when there are none.
    fn condition(&self) -> Option<String> {
        let all = self.readable(&[
            Kind::Number,
            Kind::Decimal,
            Kind::Text,
            Kind::One,
            Kind::Many,
            Kind::Date,
        ]);
        if all.is_empty() {
            return None;
        }
        let k = self.pick(&all);
        let n = &k.name;
        let one = match k.kind {
            Kind::Number => self
                .pick(&[
                    format!("${{{n}}} > {}", self.rng.below(10)),
                    format!("${{{n}}} != {}", self.rng.below(5)),
                    format!("${{{n}}} mod 2 = 0"),
                    format!("${{{n}}} >= 0 and ${{{n}}} < 50"),
                ])
                .clone(),
            Kind::Decimal => format!("${{{n}}} < {}.5", self.rng.below(20)),
            Kind::Text => self
                .pick(&[
                    format!("${{{n}}} != ''"),
                    format!("string-length(${{{n}}}) > 3"),
                    format!("contains(${{{n}}}, 'a')"),
                ])
                .clone(),
            Kind::One => self
                .pick(&[
                    format!("${{{n}}} = 'yes'"),
                    format!("selected(${{{n}}}, 'no')"),
                ])
                .clone(),
            Kind::Many => self
                .pick(&[
                    format!("selected(${{{n}}}, 'b')"),
                    format!("count-selected(${{{n}}}) >= 2"),
                ])
                .clone(),
            Kind::Date => format!("${{{n}}} > date('2014-01-01')"),
        };
        if self.chance(25)
            && let Some(other) = self.condition_simple()
        {
            let joiner = if self.chance(50) { "or" } else { "and" };
            return Some(format!("{one} {joiner} {other}"));
        }
        Some(one)
    }

    fn condition_simple(&self) -> Option<String> {
        let numbers = self.readable(&[Kind::Number]);
        (!numbers.is_empty()).then(|| format!("${{{}}} > 2", self.pick(&numbers).name))
    }

    /// A calculation over readable questions, or from a closed repeat.
    fn calculation(&self) -> (String, Kind) {
        let numbers = self.readable(&[Kind::Number, Kind::Decimal]);
        let texts = self.readable(&[Kind::Text]);
        let selects = self.readable(&[Kind::Many]);
        let mut options: Vec<(String, Kind)> = Vec::new();
        if let Some(k) = numbers.first().map(|_| self.pick(&numbers)) {
            let n = &k.name;
            options.push((format!("${{{n}}} * 2"), Kind::Decimal));
            options.push((format!("${{{n}}} + 1"), Kind::Decimal));
            options.push((format!("if(${{{n}}} > 5, 'big', 'small')"), Kind::Text));
            options.push((format!("round(${{{n}}} div 3, 2)"), Kind::Decimal));
            options.push((format!("coalesce(${{{n}}}, 0) + 1"), Kind::Decimal));
            options.push((format!("int(${{{n}}} div 2)"), Kind::Number));
        }
        if numbers.len() >= 2 {
            let (a, b) = (self.pick(&numbers), self.pick(&numbers));
            options.push((format!("${{{}}} + ${{{}}}", a.name, b.name), Kind::Decimal));
            options.push((
                format!("max(${{{}}}, ${{{}}})", a.name, b.name),
                Kind::Decimal,
            ));
        }
        if let Some(k) = texts.first().map(|_| self.pick(&texts)) {
            options.push((
                format!(
                    "concat(${{{}}}, '-', string-length(${{{}}}))",
                    k.name, k.name
                ),
                Kind::Text,
            ));
        }
        if let Some(k) = selects.first().map(|_| self.pick(&selects)) {
            options.push((format!("count-selected(${{{}}})", k.name), Kind::Number));
        }
        let scope = self.scope();
        let closed: Vec<&(Known, String)> = self
            .closed
            .iter()
            .filter(|(k, _)| {
                k.kind == Kind::Number
                    && k.scope.len() == scope.len() + 1
                    && k.scope.starts_with(&scope)
            })
            .collect();
        if let Some((k, repeat)) = closed.first().map(|_| *self.pick(&closed)) {
            options.push((format!("sum(${{{}}})", k.name), Kind::Number));
            options.push((format!("count(${{{repeat}}})"), Kind::Number));
        }
        if !scope.is_empty() {
            options.push(("position(..)".to_string(), Kind::Number));
        }
        if options.is_empty() {
            return ("1 + 2".to_string(), Kind::Number);
        }
        self.pick(&options).clone()
    }

    fn question(&mut self) {
        self.next += 1;
        let name = format!("q{}", self.next);
        let roll = self.rng.below(100);
        let (ty, kind) = match roll {
            0..=24 => ("integer", Some(Kind::Number)),
            25..=34 => ("decimal", Some(Kind::Decimal)),
            35..=46 => ("text", Some(Kind::Text)),
            47..=59 => ("select_one yn", Some(Kind::One)),
            60..=69 => ("select_multiple abc", Some(Kind::Many)),
            70..=74 => ("date", Some(Kind::Date)),
            75..=92 => ("calculate", None),
            _ => ("note", None),
        };
        let mut cells = [""; 7].map(String::from);
        // relevant, constraint, required, calculation, default, repeat_count, read_only
        if self.chance(35) {
            cells[0] = self.condition().unwrap_or_default();
        }
        let mut kind = kind;
        match ty {
            "calculate" => {
                let (calculation, k) = self.calculation();
                cells[3] = calculation;
                kind = Some(k);
            }
            "note" => {}
            _ => {
                if self.chance(35) {
                    cells[1] = match kind {
                        Some(Kind::Number) => self
                            .pick(&[". < 50", ". != 7", ". >= 0 and . <= 20"])
                            .to_string(),
                        Some(Kind::Decimal) => ". < 100.5".to_string(),
                        Some(Kind::Text) => "string-length(.) <= 6".to_string(),
                        Some(Kind::Many) => "count-selected(.) < 3".to_string(),
                        Some(Kind::Date) => ". <= today()".to_string(),
                        _ => ". != 'no'".to_string(),
                    };
                }
                if self.chance(20) {
                    cells[2] = self
                        .condition()
                        .filter(|_| self.chance(50))
                        .unwrap_or_else(|| "yes".to_string());
                }
                if self.chance(10) && kind == Some(Kind::Number) {
                    cells[4] = self.rng.below(9).to_string();
                }
                if self.chance(4) {
                    cells[6] = "yes".to_string();
                }
            }
        }
        let label = if ty == "note" {
            match self.readable(&[Kind::Number]).first() {
                Some(k) => format!("Value: ${{{}}}", k.name),
                None => "A note".to_string(),
            }
        } else {
            format!("Question {}", self.next)
        };
        self.row(ty, &name, &label, &cells);
        if let Some(kind) = kind {
            self.known.push(Known {
                name,
                kind,
                scope: self.scope(),
            });
        }
    }

    fn row(&mut self, ty: &str, name: &str, label: &str, cells: &[String; 7]) {
        let mut row = format!("| | {ty} | {name} | {label} |");
        for cell in cells {
            let _ = write!(row, " {cell} |");
        }
        self.rows.push(row);
    }

    fn open(&mut self, repeat: bool) {
        self.next += 1;
        let name = format!("{}{}", if repeat { "r" } else { "g" }, self.next);
        let mut cells = [""; 7].map(String::from);
        if self.chance(30) {
            cells[0] = self.condition().unwrap_or_default();
        }
        if repeat && self.chance(40) {
            let numbers = self.readable(&[Kind::Number]);
            cells[5] = match numbers.first().map(|_| self.pick(&numbers)) {
                Some(k) => format!("if(${{{n}}} > 0 and ${{{n}}} < 4, ${{{n}}}, 1)", n = k.name),
                None => "2".to_string(),
            };
        }
        let ty = if repeat {
            "begin repeat"
        } else {
            "begin group"
        };
        self.row(ty, &name, &format!("Section {}", self.next), &cells);
        self.open.push((repeat, name));
    }

    fn close(&mut self) {
        let Some((repeat, name)) = self.open.pop() else {
            return;
        };
        let ty = if repeat { "end repeat" } else { "end group" };
        self.rows
            .push(format!("| | {ty} | {name} | | | | | | | | |"));
        if repeat {
            let inner: Vec<Known> = self
                .known
                .iter()
                .filter(|k| k.scope.last() == Some(&name))
                .cloned()
                .collect();
            for k in inner {
                self.closed.push((k, name.clone()));
            }
        }
    }
}

/// One generated form of about `size` rows, the same for the same seed.
pub fn generate(seed: u64, size: usize) -> String {
    let mut g = Generator {
        rng: Rng::new(seed),
        rows: Vec::new(),
        known: Vec::new(),
        open: Vec::new(),
        closed: Vec::new(),
        next: 0,
    };
    while g.rows.len() < size {
        let roll = g.rng.below(100);
        // A container holds at least one question before it may close.
        let last_opened = g.rows.last().is_some_and(|r| r.contains("| begin "));
        if roll < 8 && g.open.len() < 3 {
            g.open(g.chance(55));
        } else if roll < 16 && !g.open.is_empty() && !last_opened {
            g.close();
        } else {
            g.question();
        }
    }
    while !g.open.is_empty() {
        if g.rows.last().is_some_and(|r| r.contains("| begin ")) {
            g.question();
        }
        g.close();
    }
    let mut out = String::from("| survey |\n");
    out.push_str(HEADER);
    out.push('\n');
    for row in &g.rows {
        out.push_str(row);
        out.push('\n');
    }
    out.push_str("| choices |\n| | list_name | name | label |\n");
    for (list, name) in [
        ("yn", "yes"),
        ("yn", "no"),
        ("abc", "a"),
        ("abc", "b"),
        ("abc", "c"),
        ("abc", "d"),
    ] {
        let _ = writeln!(out, "| | {list} | {name} | {name} |");
    }
    out
}
