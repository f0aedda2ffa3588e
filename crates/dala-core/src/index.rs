//! One index of an instrument: every item in form order with its path, the key its answer
//! has in a record and the repeats around it, found by path, by name or by record key (the
//! languages in one order and a choice's label are the instrument's own: `Instrument::languages`,
//! `Instrument::choice_label`). Built once where an instrument is
//! read many times (the engine's compiler, exports, tables, the record list), so that every
//! reader finds items the same way.
//!
//! Record keys. A record keeps the answers of one *scope* (the top of the form, or one
//! instance of a repeat) in one map, groups flattened. An answer's key is its question's name;
//! where two questions (or repeats) of one scope share a name in different groups, which
//! pyxform and ODK allow (nodes are told apart by their path), both are keyed by the path of
//! groups from the scope down to them, joined with `/` (`respondent/age`,
//! `household/age`). Names cannot contain `/`, so a path key never meets a plain one, and
//! every form without such a pair keeps the records it always had.

use crate::instrument::{Instrument, Item, ItemType};
use std::collections::{HashMap, HashSet};

/// The names shared by several answers of one record scope (questions and repeats, through
/// groups, not into repeats).
#[derive(Clone, Debug, Default)]
pub struct ScopeKeys {
    shared: HashSet<String>,
}

impl ScopeKeys {
    /// The keys of the scope whose items are `items` (the survey, or a repeat's children).
    pub fn of(items: &[Item]) -> ScopeKeys {
        fn count<'a>(items: &'a [Item], seen: &mut HashMap<&'a str, usize>) {
            for item in items {
                match item.item_type {
                    ItemType::Group => count(&item.children, seen),
                    ItemType::Note => {}
                    _ => *seen.entry(item.name.as_str()).or_default() += 1,
                }
            }
        }
        let mut seen = HashMap::new();
        count(items, &mut seen);
        ScopeKeys {
            shared: seen
                .into_iter()
                .filter(|(_, n)| *n > 1)
                .map(|(name, _)| name.to_string())
                .collect(),
        }
    }

    /// The record key of the item `name` reached through `groups` (outermost first) from the
    /// scope.
    pub fn key(&self, groups: &[&str], name: &str) -> String {
        if self.shared.contains(name) {
            let mut key = groups.join("/");
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(name);
            key
        } else {
            name.to_string()
        }
    }
}

/// One item of the index.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub item: &'a Item,
    /// Its JSON pointer in the instrument document (`/survey/2/children/0`).
    pub pointer: String,
    /// The names from the top of the form down to it, joined with `/` (an XForm's path
    /// without the root).
    pub path: String,
    /// The key of its answer among the answers of its scope (see the module's notes).
    pub key: String,
    /// Its parent (a group or repeat), as a position in [`Index::entries`].
    pub parent: Option<usize>,
    /// The repeats around it, outermost first, as positions in [`Index::entries`].
    pub repeats: Vec<usize>,
}

impl Entry<'_> {
    /// Whether its answer is kept at the top of a record (not inside a repeat's instances).
    pub fn at_top(&self) -> bool {
        self.repeats.is_empty()
    }

    /// Whether it holds an answer of its own (not a group, a repeat or a note).
    pub fn answers(&self) -> bool {
        !matches!(
            self.item.item_type,
            ItemType::Group | ItemType::Repeat | ItemType::Note
        )
    }
}

/// An instrument's items, indexed.
#[derive(Clone, Debug)]
pub struct Index<'a> {
    pub instrument: &'a Instrument,
    entries: Vec<Entry<'a>>,
    by_path: HashMap<String, usize>,
    by_name: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Index<'a> {
    pub fn new(instrument: &'a Instrument) -> Index<'a> {
        let mut index = Index {
            instrument,
            entries: Vec::new(),
            by_path: HashMap::new(),
            by_name: HashMap::new(),
        };
        let keys = ScopeKeys::of(&instrument.survey);
        index.visit(&instrument.survey, "/survey", None, &[], &keys, &[]);
        index
    }

    fn visit(
        &mut self,
        items: &'a [Item],
        base: &str,
        parent: Option<usize>,
        repeats: &[usize],
        keys: &ScopeKeys,
        groups: &[&'a str],
    ) {
        for (i, item) in items.iter().enumerate() {
            let at = self.entries.len();
            let path = match parent {
                Some(p) => format!("{}/{}", self.entries[p].path, item.name),
                None => item.name.clone(),
            };
            let pointer = format!("{base}/{i}");
            self.entries.push(Entry {
                item,
                pointer: pointer.clone(),
                path: path.clone(),
                key: keys.key(groups, &item.name),
                parent,
                repeats: repeats.to_vec(),
            });
            self.by_path.entry(path).or_insert(at);
            self.by_name.entry(&item.name).or_default().push(at);
            let children = format!("{pointer}/children");
            match item.item_type {
                ItemType::Repeat => {
                    let mut inner = repeats.to_vec();
                    inner.push(at);
                    let keys = ScopeKeys::of(&item.children);
                    self.visit(&item.children, &children, Some(at), &inner, &keys, &[]);
                }
                _ if !item.children.is_empty() => {
                    let mut inner = groups.to_vec();
                    inner.push(&item.name);
                    self.visit(&item.children, &children, Some(at), repeats, keys, &inner);
                }
                _ => {}
            }
        }
    }

    /// Every item in form order.
    pub fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }

    /// The item at `path` (`household/member/age`).
    pub fn by_path(&self, path: &str) -> Option<&Entry<'a>> {
        self.by_path.get(path).map(|&at| &self.entries[at])
    }

    /// Every item named `name`, in form order.
    pub fn named(&self, name: &str) -> impl Iterator<Item = &Entry<'a>> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&at| &self.entries[at])
    }

    /// The question or repeat a record keeps at its top under `key` (a name, or a path key
    /// where the name is shared).
    pub fn top_key(&self, key: &str) -> Option<&Entry<'a>> {
        let name = key.rsplit('/').next().unwrap_or(key);
        self.named(name)
            .find(|e| e.at_top() && e.key == key && e.item.item_type != ItemType::Group)
    }

    /// The question a plan, a filter or a column names: by its record key at the top of the
    /// form, else the one item of that name. A name several items share names none of them
    /// (each is named by its key, `head/age`).
    pub fn question(&self, name: &str) -> Option<&Entry<'a>> {
        self.top_key(name).or_else(|| {
            let mut named = self.named(name);
            let first = named.next()?;
            named.next().is_none().then_some(first)
        })
    }

    /// The questions whose answers a record keeps at its top, in form order.
    pub fn top_answers(&self) -> impl Iterator<Item = &Entry<'a>> {
        self.entries.iter().filter(|e| e.at_top() && e.answers())
    }

    /// The codes of the choice list of the question a plan or filter names, in order.
    pub fn codes(&self, question: &str) -> Vec<String> {
        self.question(question)
            .and_then(|e| e.item.list.as_ref())
            .and_then(|list| self.instrument.choices.get(list))
            .map(|choices| choices.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default()
    }
}
