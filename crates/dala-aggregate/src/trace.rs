//! `dala trace`: a seeded sequence of steps played through the real engine (answers that meet
//! the form's constraints and answers that break them, answers cleared, repeat instances added
//! and removed), with the state of every node before the first step and after each one, and
//! the record at the end. The steps name nodes by path, so another engine can replay them:
//! `cargo xtask difftest` replays them in ODK's own engine and compares the states.

use crate::simulate::{Rng, SimHost, candidate};
use dala_core::{Answer, Engine, Form, ItemType, NodeRef, Status};
use serde::Serialize;
use std::collections::BTreeMap;

/// One step, with nodes named by path: group and question names from the top of the form
/// joined by `/`, each repeat instance as `name[position]` (1-based, as in XPath).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum Step {
    /// Answer a question (the empty value clears it). `select` tells a select question from
    /// the others, whose value the replaying engine may need as a list.
    Set {
        path: String,
        value: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        select: bool,
    },
    /// Add an instance at the end of a repeat (the path of the repeat, without a position).
    Add { path: String },
    /// Remove one repeat instance.
    Remove { path: String },
}

/// What another engine is compared on, for one node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeState {
    pub relevant: bool,
    pub required: bool,
    pub read_only: bool,
    /// The constraint holds (or there is none, or the value is empty).
    pub valid: bool,
    pub value: String,
    /// Its value depends on the clock, a random number or the device (`now()`, `random()`,
    /// start, end ...), so two engines cannot agree on it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub volatile: bool,
    /// A group or a repeat instance: only its relevance is compared.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub container: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Trace {
    pub steps: Vec<Step>,
    /// `states[0]` before the first step, `states[i + 1]` after `steps[i]`.
    pub states: Vec<BTreeMap<String, NodeState>>,
    /// The record at the end, flattened: question names (groups left out, as a record keys
    /// them) with repeat instances as `name[position]`, to the value.
    pub record: BTreeMap<String, String>,
    /// Each repeat with a repeat_count, by name, with the questions its count reads.
    pub counted: BTreeMap<String, Vec<String>>,
    /// The questions whose calculation calls `indexed-repeat()`, by name: where engines
    /// differ on a position outside the repeat's instances.
    pub indexed: Vec<String>,
    /// The selects with a choice filter, by name: where Dala clears an answer the filter
    /// stops offering.
    pub filtered: Vec<String>,
}

/// Functions whose value two engines, or two runs, cannot share.
const VOLATILE: [&str; 6] = ["now(", "today(", "random(", "uuid(", "once(", "pulldata("];

/// Plays `steps` seeded steps through a fresh interview of `form`.
pub fn trace(form: &Form, steps: usize, seed: u64) -> Trace {
    let rng = Rng::new(seed);
    let mut engine = Engine::new(form.clone(), Box::new(SimHost::fixed(rng.clone())));
    let volatile = volatile_items(form);
    let mut out = Trace::default();
    for compiled in &form.items {
        if compiled.item.item_type == ItemType::Repeat && compiled.exprs.repeat_count.is_some() {
            let reads = compiled
                .depends_on
                .iter()
                .map(|&d| form.items[d].item.name.clone())
                .collect();
            out.counted.insert(compiled.item.name.clone(), reads);
        }
        if compiled
            .item
            .calculation
            .as_deref()
            .is_some_and(|c| c.contains("indexed-repeat("))
        {
            out.indexed.push(compiled.item.name.clone());
        }
        if compiled.exprs.choice_filter.is_some() {
            out.filtered.push(compiled.item.name.clone());
        }
    }
    out.states.push(snapshot(&engine, &volatile));
    for _ in 0..steps {
        let Some(step) = next_step(&mut engine, &rng) else {
            break;
        };
        out.steps.push(step);
        out.states.push(snapshot(&engine, &volatile));
    }
    flatten_record(&engine.record(Status::Draft).answers, "", &mut out.record);
    out
}

/// Items whose value reads a volatile function, or an item that does, however indirectly.
fn volatile_items(form: &Form) -> Vec<bool> {
    let mut volatile: Vec<bool> = form
        .items
        .iter()
        .map(|c| {
            // A geopoint the device fills holds wherever the device is.
            c.item.capture.is_some()
                || [&c.item.calculation, &c.item.default]
                    .into_iter()
                    .flatten()
                    .any(|e| VOLATILE.iter().any(|f| e.contains(f)))
        })
        .collect();
    // `order` is topological: what an item depends on comes before it.
    for &id in &form.order {
        if form.items[id]
            .depends_on
            .iter()
            .any(|&d| volatile.get(d).copied().unwrap_or(false))
        {
            volatile[id] = true;
        }
    }
    volatile
}

/// Every node of the interview as it stands, by path, in form order.
fn nodes(engine: &Engine) -> Vec<(String, NodeRef)> {
    fn walk(
        engine: &Engine,
        items: &[usize],
        path: &[u32],
        prefix: &str,
        out: &mut Vec<(String, NodeRef)>,
    ) {
        for &id in items {
            let compiled = engine.form().item(id);
            let name = format!("{prefix}{}", compiled.item.name);
            let node = NodeRef {
                item: id,
                path: path.to_vec(),
            };
            match compiled.item.item_type {
                ItemType::Group => {
                    out.push((name.clone(), node));
                    walk(engine, &compiled.children, path, &format!("{name}/"), out);
                }
                ItemType::Repeat => {
                    for (i, instance) in engine.instances(id, path).into_iter().enumerate() {
                        let at = format!("{name}[{}]", i + 1);
                        let inner = instance.path.clone();
                        out.push((at.clone(), instance));
                        walk(engine, &compiled.children, &inner, &format!("{at}/"), out);
                    }
                }
                _ => out.push((name, node)),
            }
        }
    }
    let mut out = Vec::new();
    walk(engine, &engine.form().top, &[], "", &mut out);
    out
}

fn snapshot(engine: &Engine, volatile: &[bool]) -> BTreeMap<String, NodeState> {
    nodes(engine)
        .into_iter()
        .map(|(path, node)| {
            let state = NodeState {
                relevant: engine.relevant(&node),
                required: engine.required(&node),
                read_only: engine.read_only(&node),
                valid: !engine.constraint_violated(&node),
                value: engine.value(&node).to_string(),
                volatile: volatile.get(node.item).copied().unwrap_or(false),
                container: engine.form().item(node.item).item.item_type.is_container(),
            };
            (path, state)
        })
        .collect()
}

/// Picks and plays one step: mostly an answer to a question that takes one now (a quarter of
/// them on the widest range, where constraints break), sometimes a cleared answer, an
/// instance added (at most four per repeat) or removed. None when nothing can be done.
fn next_step(engine: &mut Engine, rng: &Rng) -> Option<Step> {
    let all = nodes(engine);
    let answerable: Vec<&(String, NodeRef)> = all
        .iter()
        .filter(|(_, n)| {
            let item = &engine.form().item(n.item).item;
            item.item_type.takes_input()
                && !item.is_calculated_only()
                && engine.relevant(n)
                && !engine.read_only(n)
        })
        .collect();
    let uncounted = |n: &NodeRef| {
        let c = engine.form().item(n.item);
        c.item.item_type == ItemType::Repeat && c.exprs.repeat_count.is_none()
    };
    let instances: Vec<&(String, NodeRef)> = all
        .iter()
        .filter(|(path, n)| uncounted(n) && path.ends_with(']') && engine.relevant(n))
        .collect();
    // Repeats that can take an instance: one row per (repeat, enclosing instance).
    let mut repeats: Vec<(String, usize, Vec<u32>)> = Vec::new();
    for &id in &engine.form().order {
        if !uncounted(&NodeRef {
            item: id,
            path: Vec::new(),
        }) {
            continue;
        }
        for parent in enclosing_paths(engine, &all, id) {
            let count = engine.instances(id, &parent.1).len();
            if count < 4 {
                repeats.push((parent.0, id, parent.1));
            }
        }
    }
    for _ in 0..8 {
        let roll = rng.below(100);
        if roll < 12 && !repeats.is_empty() {
            let (prefix, id, parent) = repeats[rng.below(repeats.len())].clone();
            let path = format!("{prefix}{}", engine.form().item(id).item.name);
            if engine.add_instance(id, &parent).is_ok() {
                return Some(Step::Add { path });
            }
        } else if roll < 17 && !instances.is_empty() {
            let (path, node) = instances[rng.below(instances.len())].clone();
            if engine.remove_instance(&node).is_ok() {
                return Some(Step::Remove { path });
            }
        } else if !answerable.is_empty() {
            let (path, node) = answerable[rng.below(answerable.len())].clone();
            let item = engine.form().item(node.item).item.clone();
            let value = if roll < 25 && !engine.value(&node).is_empty() {
                String::new()
            } else {
                let attempt = if rng.below(4) == 0 { 23 } else { 0 };
                match candidate(engine, &node, &item, rng, attempt) {
                    Some(v) => v,
                    None => continue,
                }
            };
            if engine.answer(&node, &value).is_ok() {
                return Some(Step::Set {
                    path,
                    value,
                    select: item.item_type.is_select(),
                });
            }
        }
    }
    None
}

/// The enclosing instances an item's instances live in, as (path prefix, instance path):
/// the top for an item outside repeats, else every instance of its innermost repeat.
fn enclosing_paths(
    engine: &Engine,
    all: &[(String, NodeRef)],
    id: usize,
) -> Vec<(String, Vec<u32>)> {
    let compiled = engine.form().item(id);
    // The groups between the item and its innermost enclosing repeat (or the top).
    let mut groups = Vec::new();
    let mut parent = compiled.parent;
    while let Some(p) = parent {
        let c = engine.form().item(p);
        if c.item.item_type == ItemType::Repeat {
            break;
        }
        groups.push(c.item.name.clone());
        parent = c.parent;
    }
    groups.reverse();
    let inner: String = groups.iter().map(|g| format!("{g}/")).collect();
    match parent {
        None => vec![(inner, Vec::new())],
        Some(repeat) => all
            .iter()
            .filter(|(path, n)| n.item == repeat && path.ends_with(']'))
            .map(|(path, n)| (format!("{path}/{inner}"), n.path.clone()))
            .collect(),
    }
}

fn flatten_record(
    answers: &BTreeMap<String, Answer>,
    prefix: &str,
    out: &mut BTreeMap<String, String>,
) {
    for (name, answer) in answers {
        match answer {
            Answer::Value(v) => {
                out.insert(format!("{prefix}{name}"), v.clone());
            }
            Answer::Repeat(instances) => {
                for (i, instance) in instances.iter().enumerate() {
                    flatten_record(instance, &format!("{prefix}{name}[{}]/", i + 1), out);
                }
            }
        }
    }
}
