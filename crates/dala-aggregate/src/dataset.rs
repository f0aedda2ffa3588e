//! The records of one instrument held as columns, for the analyst's workspace: paged and
//! filtered views and tables computed again on every change of filter, over 100,000 records,
//! without keeping 100,000 parsed records in memory.
//!
//! Each top-level question (not inside a repeat; notes and groups have no answer) is a column
//! of small numbers into the column's own dictionary of values (0: no answer). A record of 40
//! answers costs 160 bytes plus its new values, where a parsed record costs kilobytes. Repeats
//! stay in the store: the wide export reads them from there.

use crate::aggregation::{Aggregation, RecordKey};
use crate::plan::{Plan, PlanError};
use crate::tidy::TidyRow;
use dala_core::{Answer, Index, Instrument, Status, Submission};
use std::collections::HashMap;

/// One question's answers, as numbers into `values` (0 is no answer).
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    cells: Vec<u32>,
    values: Dict,
}

/// Strings numbered as met, from 1.
#[derive(Clone, Debug, Default)]
struct Dict {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Dict {
    fn intern(&mut self, value: &str) -> u32 {
        if let Some(&i) = self.index.get(value) {
            return i;
        }
        self.names.push(value.to_string());
        let i = self.names.len() as u32;
        self.index.insert(value.to_string(), i);
        i
    }

    fn get(&self, i: u32) -> Option<&str> {
        i.checked_sub(1)
            .and_then(|i| self.names.get(i as usize))
            .map(String::as_str)
    }
}

/// What a view shows: every condition must hold. Dates compare the day the interview started
/// (`YYYY-MM-DD`), both ends included.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// (question, code): the answer to a select_one question.
    pub answers: Vec<(String, String)>,
    pub enumerator: Option<String>,
    pub status: Option<Status>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The records of one instrument, a row each, in the order they were added.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub columns: Vec<Column>,
    by_name: HashMap<String, usize>,
    rows: HashMap<String, usize>,
    ids: Vec<String>,
    status: Vec<Status>,
    enumerator: Vec<u32>,
    enumerators: Dict,
    started: Vec<String>,
    /// When each record was saved last (its finalized time, or updated for a draft): with
    /// the instance id, the key that picks a unit's record in a pre/post table.
    saved: Vec<String>,
}

impl Dataset {
    /// An empty dataset with a column per top-level question of the instrument, named by the
    /// answer's key in a record (its name, or its group path where the name is shared).
    pub fn new(instrument: &Instrument) -> Dataset {
        let mut dataset = Dataset::default();
        for entry in Index::new(instrument).top_answers() {
            dataset
                .by_name
                .insert(entry.key.clone(), dataset.columns.len());
            dataset.columns.push(Column {
                name: entry.key.clone(),
                cells: Vec::new(),
                values: Dict::default(),
            });
        }
        dataset
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds a record; false (and nothing added) when a record of that instance id is in.
    pub fn push(&mut self, record: &Submission) -> bool {
        if self.rows.contains_key(&record.instance_id) {
            return false;
        }
        self.rows.insert(record.instance_id.clone(), self.ids.len());
        self.ids.push(record.instance_id.clone());
        self.status.push(record.status);
        let enumerator = self.enumerators.intern(&record.enumerator);
        self.enumerator.push(enumerator);
        self.started.push(record.started.chars().take(10).collect());
        self.saved.push(
            record
                .finalized
                .as_deref()
                .unwrap_or(&record.updated)
                .to_string(),
        );
        for column in &mut self.columns {
            let cell = match record.answers.get(&column.name) {
                Some(Answer::Value(v)) if !v.is_empty() => column.values.intern(v),
                _ => 0,
            };
            column.cells.push(cell);
        }
        true
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The answer of a row to a column's question.
    pub fn value(&self, row: usize, column: usize) -> Option<&str> {
        let column = self.columns.get(column)?;
        column.values.get(*column.cells.get(row)?)
    }

    pub fn instance_id(&self, row: usize) -> Option<&str> {
        self.ids.get(row).map(String::as_str)
    }

    pub fn status(&self, row: usize) -> Option<Status> {
        self.status.get(row).copied()
    }

    pub fn enumerator(&self, row: usize) -> Option<&str> {
        self.enumerators.get(*self.enumerator.get(row)?)
    }

    pub fn started(&self, row: usize) -> Option<&str> {
        self.started.get(row).map(String::as_str)
    }

    /// Every enumerator met, sorted.
    pub fn enumerators(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.enumerators.names.iter().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The rows the filter keeps, in order. A condition on a question that is not a column
    /// keeps no row: it cannot hold.
    pub fn select(&self, filter: &Filter) -> Vec<usize> {
        // Each condition as a number to compare with, once, rather than strings per row.
        let answers: Option<Vec<(&[u32], u32)>> = filter
            .answers
            .iter()
            .map(|(name, code)| {
                let column = &self.columns[self.column(name)?];
                Some((
                    column.cells.as_slice(),
                    column.values.index.get(code).copied().unwrap_or(u32::MAX),
                ))
            })
            .collect();
        let Some(answers) = answers else {
            return Vec::new();
        };
        // An enumerator not in the data matches no row.
        let enumerator = filter.enumerator.as_ref().map(|name| {
            self.enumerators
                .index
                .get(name)
                .copied()
                .unwrap_or(u32::MAX)
        });
        (0..self.len())
            .filter(|&row| {
                answers.iter().all(|(cells, code)| cells[row] == *code)
                    && enumerator.is_none_or(|e| self.enumerator[row] == e)
                    && filter.status.is_none_or(|s| self.status[row] == s)
                    && filter
                        .from
                        .as_deref()
                        .is_none_or(|from| self.started[row].as_str() >= from)
                    && filter
                        .to
                        .as_deref()
                        .is_none_or(|to| self.started[row].as_str() <= to)
            })
            .collect()
    }

    /// The tables of a plan over the given rows: the same tables `dala aggregate` makes from
    /// the same records.
    pub fn aggregate(
        &self,
        plan: &Plan,
        instrument: &Instrument,
        rows: &[usize],
    ) -> Result<Vec<TidyRow>, PlanError> {
        let mut aggregation = Aggregation::new(plan, instrument)?;
        let at: Vec<Option<usize>> = aggregation
            .columns()
            .iter()
            .map(|name| self.column(name))
            .collect();
        for &row in rows {
            let key = RecordKey {
                saved: self.saved[row].as_bytes(),
                instance_id: self.ids[row].as_bytes(),
            };
            aggregation.add(key, |i| {
                at[i].and_then(|c| self.value(row, c)).map(str::as_bytes)
            });
        }
        Ok(aggregation.finish())
    }
}
