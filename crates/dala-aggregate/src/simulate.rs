//! `dala simulate`: plausible submissions that go through the real engine, so relevance,
//! constraints, repeat counts, choice filters and calculations are respected. Designers use it
//! to try a form and its analysis before fieldwork; tests and benchmarks use it for data.

use dala_core::{Engine, Form, Host, ItemType, NodeRef, Status, Submission};
use dala_expr::date::DateTime;
use std::cell::Cell;
use std::rc::Rc;

/// SplitMix64: a tiny, well-known generator; enough for synthetic answers and fully
/// determined by the seed (no crate needed for that).
#[derive(Clone)]
pub struct Rng(Rc<Cell<u64>>);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(Rc::new(Cell::new(seed)))
    }

    pub fn next_u64(&self) -> u64 {
        let mut z = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

pub(crate) struct SimHost {
    rng: Rng,
    now: DateTime,
    device: String,
}

impl SimHost {
    /// A host at one fixed moment (17 March 2015, 10:30 in Bishkek) on one tablet.
    pub(crate) fn fixed(rng: Rng) -> SimHost {
        SimHost {
            rng,
            now: DateTime {
                epoch_ms: 1_426_566_600_000,
                offset_minutes: 360,
            },
            device: "tablet-01".to_string(),
        }
    }
}

impl Host for SimHost {
    fn now(&self) -> DateTime {
        self.now
    }
    fn random(&self) -> f64 {
        self.rng.unit()
    }
    fn device_id(&self) -> String {
        self.device.clone()
    }
}

/// Panel options: each simulated unit is interviewed once per wave, with the same id.
#[derive(Clone, Debug)]
pub struct Waves {
    /// The select_one question that records the wave.
    pub question: String,
    pub codes: Vec<String>,
    /// The question that identifies the unit across waves (`family_id`).
    pub pair_by: String,
}

const ENUMERATORS: [&str; 6] = ["Aida", "Bakyt", "Chynara", "Dilnoza", "Elmira", "Farrukh"];

/// `n` finalized submissions (n units × waves with `waves`), the same for the same seed.
pub fn simulate(form: &Form, n: usize, seed: u64, waves: Option<&Waves>) -> Vec<Submission> {
    let mut out = Vec::new();
    simulate_each(form, n, seed, waves, |record| out.push(record));
    out
}

/// [`simulate`], handing each submission to `emit` as it is made, so a large run can be
/// written out (and its progress shown) without holding every record in memory.
pub fn simulate_each(
    form: &Form,
    n: usize,
    seed: u64,
    waves: Option<&Waves>,
    mut emit: impl FnMut(Submission),
) {
    let rng = Rng::new(seed);
    for unit in 0..n {
        let codes: Vec<Option<&String>> = match waves {
            Some(w) => w.codes.iter().map(Some).collect(),
            None => vec![None],
        };
        let mut unit_id: Option<String> = None;
        for (wave_index, code) in codes.into_iter().enumerate() {
            // Waves are weeks apart; submissions minutes apart.
            let minutes = (unit * 17 + wave_index * 8 * 7 * 24 * 60) as i64;
            let host = SimHost {
                rng: rng.clone(),
                now: DateTime {
                    epoch_ms: 1_426_566_600_000 + minutes * 60_000,
                    offset_minutes: 360,
                },
                device: format!("tablet-{:02}", 1 + unit % 5),
            };
            let mut engine = Engine::new(form.clone(), Box::new(host));
            engine.enumerator = ENUMERATORS[unit % ENUMERATORS.len()].to_string();
            if let (Some(w), Some(code)) = (waves, code) {
                if let Some(node) = engine.node(&w.question, &[]) {
                    let _ = engine.answer(&node, code);
                }
                if let (Some(id), Some(node)) = (&unit_id, engine.node(&w.pair_by, &[])) {
                    let _ = engine.answer(&node, id);
                }
            }
            fill(&mut engine, &rng);
            if let Some(w) = waves
                && unit_id.is_none()
            {
                unit_id = engine
                    .node(&w.pair_by, &[])
                    .map(|n| engine.value(&n).to_string());
            }
            let record = match engine.finalize("en") {
                Ok(record) => record,
                // A form whose constraints the generator cannot meet still yields data, as a draft.
                Err(_) => engine.record(Status::Draft),
            };
            emit(record);
        }
    }
}

/// Answers every relevant, empty, answerable question, page after page, until a pass adds
/// nothing (an answer may make new questions relevant).
fn fill(engine: &mut Engine, rng: &Rng) {
    for _ in 0..8 {
        let mut answered = false;
        for page in engine.pages() {
            for node in page.nodes {
                if engine.value(&node).is_empty()
                    && !engine.read_only(&node)
                    && engine.relevant(&node)
                {
                    answered |= answer_one(engine, &node, rng);
                }
            }
        }
        if !answered {
            break;
        }
    }
}

fn answer_one(engine: &mut Engine, node: &NodeRef, rng: &Rng) -> bool {
    let item = engine.form().item(node.item).item.clone();
    for attempt in 0..24 {
        let Some(value) = candidate(engine, node, &item, rng, attempt) else {
            return false;
        };
        if engine.answer(node, &value).is_ok() && !engine.constraint_violated(node) {
            return true;
        }
    }
    let _ = engine.answer(node, "");
    false
}

pub(crate) fn candidate(
    engine: &Engine,
    node: &NodeRef,
    item: &dala_core::Item,
    rng: &Rng,
    attempt: u32,
) -> Option<String> {
    let choices: Vec<String> = engine
        .choices(node)
        .iter()
        .map(|c| c.name.clone())
        .collect();
    // Wider ranges on later attempts, to find what a constraint accepts.
    let scale = [5.0, 20.0, 100.0, 1000.0][(attempt as usize / 6).min(3)];
    Some(match item.item_type {
        ItemType::SelectOne => choices.get(rng.below(choices.len().max(1)))?.clone(),
        ItemType::SelectMultiple => {
            if choices.is_empty() {
                return None;
            }
            let k = 1 + rng.below(choices.len().min(3));
            let mut picked: Vec<&String> = Vec::new();
            for _ in 0..k {
                let c = &choices[rng.below(choices.len())];
                if !picked.contains(&c) {
                    picked.push(c);
                }
            }
            picked
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        }
        ItemType::Rank => choices.join(" "),
        ItemType::Integer => ((rng.unit() * scale) as i64 + i64::from(attempt % 2)).to_string(),
        ItemType::Decimal => format!("{:.1}", rng.unit() * scale),
        ItemType::Range => {
            let p = |k: &str, d: f64| {
                item.parameters
                    .get(k)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(d)
            };
            let (start, end) = (p("start", 0.0), p("end", 10.0));
            format!("{}", (start + rng.unit() * (end - start)).round())
        }
        ItemType::Text => match attempt % 3 {
            0 => ["Inspector", "Sergeant", "Teacher", "Osh", "Bishkek"][rng.below(5)].to_string(),
            1 => format!("{:03}", rng.below(1000)),
            _ => format!("{}", rng.below(100)),
        },
        ItemType::Date => dala_expr::date::format_day(16_511 - rng.below(3 * 365) as i64),
        ItemType::Time => format!("{:02}:{:02}:00", 8 + rng.below(10), rng.below(60)),
        ItemType::DateTime => format!(
            "2015-03-{:02}T{:02}:{:02}:00+06:00",
            1 + rng.below(28),
            8 + rng.below(10),
            rng.below(60)
        ),
        ItemType::Geopoint => format!(
            "{:.5} {:.5} 800 5",
            42.87 + rng.unit() * 0.1,
            74.59 + rng.unit() * 0.1
        ),
        // A walk of three points, and the triangle they make closed as ODK stores it.
        ItemType::Geotrace | ItemType::Geoshape => {
            let mut points: Vec<String> = (0..3)
                .map(|_| {
                    format!(
                        "{:.5} {:.5} 800 5",
                        42.87 + rng.unit() * 0.1,
                        74.59 + rng.unit() * 0.1
                    )
                })
                .collect();
            if item.item_type == ItemType::Geoshape {
                points.push(points[0].clone());
            }
            points.join(dala_core::engine::POINT_SEPARATOR)
        }
        ItemType::Acknowledge => "OK".to_string(),
        _ => return None,
    })
}
