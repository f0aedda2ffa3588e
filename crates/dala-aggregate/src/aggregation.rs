//! One pass over records from any source (bundles in memory, a wide CSV read row by row),
//! computing every table of a plan at once. Answers are turned into small integer codes per
//! column as they are read, so a record costs a few array additions per table whatever the
//! number of records: memory stays flat for frequency, crosstab and summary moments.
//! Two things do grow: a summary keeps its values for exact quartiles (8 bytes per answer),
//! and a pre/post table keeps one entry per record of its two waves, to pair them at the end.
//!
//! Partial aggregations merge ([`Aggregation::merge`]), so a file can be read in slices, by
//! several threads, or tablet by tablet, and combined in any order: nothing depends on the
//! order records come in (where a unit has two records of one wave, the one saved last is
//! kept, by its [`RecordKey`], not the one read last).

use crate::plan::{Kind, Plan, PlanError, TableSpec, check};
use crate::tables::{Crosstab, Frequency, Summary, paired_change};
use crate::tidy::TidyRow;
use dala_core::{Index, Instrument, Submission};
use dala_expr::SimpleEnv;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const NONE: u32 = u32::MAX;

/// The codes seen in one column, numbered in the order of its choice list, then as met.
#[derive(Clone, Debug, Default)]
struct Codes {
    names: Vec<Box<[u8]>>,
    /// Each name of up to 7 bytes packed into a word with its length (0 for longer names):
    /// choice codes are short, and comparing words beats comparing slices.
    packed: Vec<u64>,
    index: HashMap<Box<[u8]>, u32>,
}

fn pack(code: &[u8]) -> u64 {
    if code.len() > 7 {
        return 0;
    }
    let mut word = [0u8; 8];
    word[..code.len()].copy_from_slice(code);
    word[7] = code.len() as u8;
    u64::from_le_bytes(word)
}

impl Codes {
    fn intern(&mut self, code: &[u8]) -> u32 {
        let key = pack(code);
        if key != 0 {
            if let Some(i) = self.packed.iter().position(|k| *k == key) {
                return i as u32;
            }
        } else if let Some(i) = self.index.get(code) {
            return *i;
        }
        let i = self.names.len() as u32;
        self.names.push(code.into());
        self.packed.push(key);
        if key == 0 {
            self.index.insert(code.into(), i);
        }
        i
    }

    fn name(&self, i: usize) -> String {
        String::from_utf8_lossy(&self.names[i]).into_owned()
    }
}

/// What one record holds in one column, decoded once per record for all tables.
#[derive(Clone, Debug, Default)]
struct Column {
    name: String,
    codes: Codes,
    /// Length of the choice list: codes below it are list codes (and groups of a `by`).
    listed: usize,
    wants_whole: bool,
    wants_tokens: bool,
    wants_number: bool,
    // This record's cell:
    whole: u32,
    tokens: Vec<u32>,
    number: Option<f64>,
}

/// Counts of one frequency table and group, by code number.
#[derive(Clone, Debug, Default)]
struct Tally {
    counts: Vec<f64>,
    hits: Vec<u64>,
    respondents: f64,
    respondents_w2: f64,
    responses: f64,
    missing: f64,
}

impl Tally {
    fn add(&mut self, tokens: &[u32], weight: f64) {
        if tokens.is_empty() {
            self.missing += weight;
            return;
        }
        self.respondents += weight;
        self.respondents_w2 += weight * weight;
        for &t in tokens {
            let t = t as usize;
            if t >= self.counts.len() {
                self.counts.resize(t + 1, 0.0);
                self.hits.resize(t + 1, 0);
            }
            self.counts[t] += weight;
            self.hits[t] += 1;
            self.responses += weight;
        }
    }

    fn frequency(&self, codes: &Codes) -> Frequency {
        let mut f = Frequency {
            respondents: self.respondents,
            respondents_w2: self.respondents_w2,
            responses: self.responses,
            missing: self.missing,
            ..Frequency::default()
        };
        for (i, count) in self.counts.iter().enumerate() {
            if self.hits[i] > 0 {
                f.counts.insert(codes.name(i), *count);
            }
        }
        f
    }
}

/// Counts of one crosstab and group: weighted and unweighted, by row code then column code
/// (dense: a handful of codes each, and a record costs one indexed addition).
#[derive(Clone, Debug, Default)]
struct Grid {
    cells: Vec<Vec<(f64, u64)>>,
}

impl Grid {
    fn add(&mut self, r: u32, c: u32, weight: f64, count: u64) {
        let (r, c) = (r as usize, c as usize);
        if r >= self.cells.len() {
            self.cells.resize_with(r + 1, Vec::new);
        }
        let row = &mut self.cells[r];
        if c >= row.len() {
            row.resize(c + 1, (0.0, 0));
        }
        row[c].0 += weight;
        row[c].1 += count;
    }

    /// The cells that were ever added to: (row code, column code, weighted, unweighted).
    fn touched(&self) -> impl Iterator<Item = (u32, u32, f64, u64)> + '_ {
        self.cells.iter().enumerate().flat_map(|(r, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, cell)| cell.1 > 0)
                .map(move |(c, cell)| (r as u32, c as u32, cell.0, cell.1))
        })
    }
}

#[derive(Clone, Debug)]
struct Observation {
    id: String,
    post: bool,
    group: u32,
    value: Option<f64>,
    /// The record's saved time and instance id, which pick the record kept (see RecordKey).
    key: (Box<[u8]>, Box<[u8]>),
}

/// What tells two records apart whatever order they are read in: when the record was saved
/// last (`SubmissionDate` in the wide export: finalized, or updated for a draft; ISO 8601
/// text) and its instance id. A pre/post table keeps, per unit and wave, the record with the
/// greatest key: the later interview, and the same one every time on a tie of times.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordKey<'r> {
    pub saved: &'r [u8],
    pub instance_id: &'r [u8],
}

impl<'r> RecordKey<'r> {
    pub fn of(record: &'r Submission) -> RecordKey<'r> {
        RecordKey {
            saved: record
                .finalized
                .as_deref()
                .unwrap_or(&record.updated)
                .as_bytes(),
            instance_id: record.instance_id.as_bytes(),
        }
    }
}

#[derive(Clone, Debug)]
enum State {
    Frequency(Vec<Tally>),
    Summary(Vec<Summary>),
    Crosstab(Vec<Grid>),
    Prepost(Vec<Observation>),
}

/// A table of the plan with its columns resolved to numbers.
#[derive(Clone, Debug)]
struct Table {
    spec: TableSpec,
    variable: usize,
    columns: usize,
    by: Option<usize>,
    weight: Option<usize>,
    /// Wave and pair id columns of a pre/post table.
    wave: usize,
    pair_by: usize,
    filter: Option<(dala_expr::Expr, Vec<usize>)>,
    state: State,
}

/// The tables of a plan being computed.
#[derive(Clone, Debug)]
pub struct Aggregation {
    columns: Vec<Column>,
    /// The columns' names again, to look answers up while the columns are being updated.
    names: Vec<String>,
    tables: Vec<Table>,
    /// The list codes of each question, for the order of rows.
    orders: BTreeMap<String, Vec<String>>,
}

fn list_codes(instrument: &Instrument, name: &str) -> Vec<String> {
    Index::new(instrument).codes(name)
}

impl Aggregation {
    /// Checks the plan against the instrument and prepares its tables.
    pub fn new(plan: &Plan, instrument: &Instrument) -> Result<Aggregation, PlanError> {
        check(plan, instrument)?;
        let mut aggregation = Aggregation {
            columns: Vec::new(),
            names: Vec::new(),
            tables: Vec::new(),
            orders: BTreeMap::new(),
        };
        for spec in &plan.table {
            let name = |o: &Option<String>| o.clone().unwrap_or_default();
            let variable_name = match spec.kind {
                Kind::Crosstab => name(&spec.rows),
                _ => name(&spec.variable),
            };
            let variable = aggregation.column(instrument, &variable_name);
            match spec.kind {
                Kind::Frequency => aggregation.columns[variable].wants_tokens = true,
                Kind::Crosstab => aggregation.columns[variable].wants_whole = true,
                Kind::Summary | Kind::Prepost => aggregation.columns[variable].wants_number = true,
            }
            let columns = match spec.kind {
                Kind::Crosstab => {
                    let c = aggregation.column(instrument, &name(&spec.columns));
                    aggregation.columns[c].wants_whole = true;
                    c
                }
                _ => 0,
            };
            let by = spec.by.as_ref().map(|b| {
                let c = aggregation.column(instrument, b);
                aggregation.columns[c].wants_whole = true;
                c
            });
            let weight = spec.weight.as_ref().map(|w| {
                let c = aggregation.column(instrument, w);
                aggregation.columns[c].wants_number = true;
                c
            });
            let (wave, pair_by) = match spec.kind {
                Kind::Prepost => {
                    let wave = aggregation.column(instrument, &name(&spec.wave));
                    aggregation.columns[wave].wants_whole = true;
                    (wave, aggregation.column(instrument, &name(&spec.pair_by)))
                }
                _ => (0, 0),
            };
            let filter = spec.filter.as_ref().map(|text| {
                let expr = dala_expr::parse(text).expr;
                let refs: BTreeSet<String> = dala_expr::references(&expr)
                    .into_iter()
                    .map(|r| r.name.to_string())
                    .collect();
                let columns = refs
                    .iter()
                    .map(|r| aggregation.column(instrument, r))
                    .collect();
                (expr, columns)
            });
            let groups = 1 + by.map_or(0, |b| aggregation.columns[b].listed);
            let state = match spec.kind {
                Kind::Frequency => State::Frequency(vec![Tally::default(); groups]),
                Kind::Summary => State::Summary(vec![Summary::default(); groups]),
                Kind::Crosstab => State::Crosstab(vec![Grid::default(); groups]),
                Kind::Prepost => State::Prepost(Vec::new()),
            };
            aggregation.tables.push(Table {
                spec: spec.clone(),
                variable,
                columns,
                by,
                weight,
                wave,
                pair_by,
                filter,
                state,
            });
        }
        Ok(aggregation)
    }

    fn column(&mut self, instrument: &Instrument, name: &str) -> usize {
        if let Some(i) = self.columns.iter().position(|c| c.name == name) {
            return i;
        }
        let order = list_codes(instrument, name);
        let mut column = Column {
            name: name.to_string(),
            listed: order.len(),
            whole: NONE,
            ..Column::default()
        };
        for code in &order {
            column.codes.intern(code.as_bytes());
        }
        self.orders.insert(name.to_string(), order);
        self.names.push(name.to_string());
        self.columns.push(column);
        self.columns.len() - 1
    }

    /// The question names a source must provide, in the numbering `add` asks for.
    pub fn columns(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Adds one submission record (its top-level answers).
    pub fn add_submission(&mut self, record: &Submission) {
        let names: Vec<String> = std::mem::take(&mut self.names);
        self.add(RecordKey::of(record), |i| {
            crate::plan::value(record, &names[i]).map(str::as_bytes)
        });
        self.names = names;
    }

    /// Adds one record: `cell(i)` is its answer to `columns()[i]` (None or empty: no answer).
    pub fn add<'r>(&mut self, key: RecordKey<'_>, cell: impl Fn(usize) -> Option<&'r [u8]>) {
        for (i, column) in self.columns.iter_mut().enumerate() {
            let value = cell(i).filter(|v| !v.is_empty());
            if column.wants_whole {
                column.whole = value.map_or(NONE, |v| column.codes.intern(v));
            }
            if column.wants_tokens {
                column.tokens.clear();
                if column.wants_whole
                    && value.is_some_and(|v| !v.iter().any(u8::is_ascii_whitespace))
                {
                    // One code (a select_one): the same as the whole value.
                    column.tokens.push(column.whole);
                } else if let Some(v) = value {
                    for token in v.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty()) {
                        let code = column.codes.intern(token);
                        if !column.tokens.contains(&code) {
                            column.tokens.push(code);
                        }
                    }
                }
            }
            if column.wants_number {
                column.number = value
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.parse::<f64>().ok());
            }
        }
        let columns = &self.columns;
        for table in &mut self.tables {
            if let Some((expr, refs)) = &table.filter {
                let mut env = SimpleEnv::default();
                for &r in refs {
                    let text = cell(r).map(String::from_utf8_lossy).unwrap_or_default();
                    env.set(columns[r].name.as_str(), text.as_ref());
                }
                if !dala_expr::evaluate_boolean(expr, &env).unwrap_or(false) {
                    continue;
                }
            }
            let weight = table
                .weight
                .and_then(|w| columns[w].number)
                .filter(|w| *w > 0.0)
                .unwrap_or(1.0);
            // The whole sample, and the group of the `by` answer when it is a list code.
            let group = table.by.map_or(NONE, |b| {
                let code = columns[b].whole;
                if (code as usize) < columns[b].listed {
                    code + 1
                } else {
                    NONE
                }
            });
            let var = &columns[table.variable];
            match &mut table.state {
                State::Frequency(tallies) => {
                    tallies[0].add(&var.tokens, weight);
                    if group != NONE {
                        tallies[group as usize].add(&var.tokens, weight);
                    }
                }
                State::Summary(summaries) => {
                    summaries[0].add(var.number, weight);
                    if group != NONE {
                        summaries[group as usize].add(var.number, weight);
                    }
                }
                State::Crosstab(grids) => {
                    let (r, c) = (var.whole, columns[table.columns].whole);
                    if r == NONE || c == NONE {
                        continue;
                    }
                    grids[0].add(r, c, weight, 1);
                    if group != NONE {
                        grids[group as usize].add(r, c, weight, 1);
                    }
                }
                State::Prepost(observations) => {
                    let wave = &columns[table.wave];
                    if wave.whole == NONE {
                        continue;
                    }
                    let code = wave.codes.names[wave.whole as usize].as_ref();
                    let post = if Some(code) == table.spec.pre.as_deref().map(str::as_bytes) {
                        false
                    } else if Some(code) == table.spec.post.as_deref().map(str::as_bytes) {
                        true
                    } else {
                        continue;
                    };
                    let Some(id) = cell(table.pair_by).filter(|v| !v.is_empty()) else {
                        continue;
                    };
                    observations.push(Observation {
                        id: String::from_utf8_lossy(id).into_owned(),
                        post,
                        group,
                        value: var.number,
                        key: (key.saved.into(), key.instance_id.into()),
                    });
                }
            }
        }
    }

    /// Adds another aggregation of the same plan, as if its records had come after these.
    pub fn merge(&mut self, other: Aggregation) {
        // Code numbers differ between two aggregations: map the other's onto ours by name.
        let maps: Vec<Vec<u32>> = self
            .columns
            .iter_mut()
            .zip(&other.columns)
            .map(|(mine, theirs)| {
                theirs
                    .codes
                    .names
                    .iter()
                    .map(|n| mine.codes.intern(n))
                    .collect()
            })
            .collect();
        for (mine, theirs) in self.tables.iter_mut().zip(other.tables) {
            match (&mut mine.state, theirs.state) {
                (State::Frequency(a), State::Frequency(b)) => {
                    let map = &maps[mine.variable];
                    for (x, y) in a.iter_mut().zip(b) {
                        for (i, count) in y.counts.iter().enumerate() {
                            let t = map[i] as usize;
                            if t >= x.counts.len() {
                                x.counts.resize(t + 1, 0.0);
                                x.hits.resize(t + 1, 0);
                            }
                            x.counts[t] += count;
                            x.hits[t] += y.hits[i];
                        }
                        x.respondents += y.respondents;
                        x.respondents_w2 += y.respondents_w2;
                        x.responses += y.responses;
                        x.missing += y.missing;
                    }
                }
                (State::Summary(a), State::Summary(b)) => {
                    for (x, y) in a.iter_mut().zip(b) {
                        x.merge(&y);
                    }
                }
                (State::Crosstab(a), State::Crosstab(b)) => {
                    let (rows, cols) = (&maps[mine.variable], &maps[mine.columns]);
                    for (x, y) in a.iter_mut().zip(b) {
                        for (r, c, w, n) in y.touched() {
                            x.add(rows[r as usize], cols[c as usize], w, n);
                        }
                    }
                }
                (State::Prepost(a), State::Prepost(b)) => a.extend(b),
                _ => {}
            }
        }
    }

    /// The tables as tidy rows: per table, the whole sample then each group in list order.
    pub fn finish(self) -> Vec<TidyRow> {
        let mut rows = Vec::new();
        for table in &self.tables {
            let t = &table.spec;
            let by_codes =
                t.by.as_ref()
                    .and_then(|b| self.orders.get(b))
                    .cloned()
                    .unwrap_or_default();
            let groups = std::iter::once(String::new()).chain(
                by_codes
                    .iter()
                    .map(|c| format!("{}={c}", t.by.as_deref().unwrap_or_default())),
            );
            let variable = t.variable.clone().unwrap_or_else(|| {
                format!(
                    "{}×{}",
                    t.rows.clone().unwrap_or_default(),
                    t.columns.clone().unwrap_or_default()
                )
            });
            for (g, group) in groups.enumerate() {
                let mut push = |category: String, statistic: &str, value: f64| {
                    rows.push(TidyRow {
                        table: t.id.clone(),
                        variable: variable.clone(),
                        group: group.clone(),
                        category,
                        statistic: statistic.into(),
                        value,
                    });
                };
                let var = &self.columns[table.variable];
                let order = self.orders.get(&var.name).cloned().unwrap_or_default();
                match &table.state {
                    State::Frequency(tallies) => {
                        let f = tallies[g].frequency(&var.codes);
                        frequency_rows(&f, &order, t, &mut push);
                    }
                    State::Summary(summaries) => summary_rows(&summaries[g], &mut push),
                    State::Crosstab(grids) => {
                        let cols = &self.columns[table.columns];
                        let mut c = Crosstab::default();
                        for (r, k, w, n) in grids[g].touched() {
                            let key = (var.codes.name(r as usize), cols.codes.name(k as usize));
                            c.cells.insert(key.clone(), w);
                            c.counts.insert(key, n);
                        }
                        let col_order = self.orders.get(&cols.name).cloned().unwrap_or_default();
                        crosstab_rows(&c, &order, &col_order, &mut push);
                    }
                    State::Prepost(observations) => {
                        prepost_rows(observations, g as u32, &mut push);
                    }
                }
            }
        }
        rows
    }
}

fn frequency_rows(
    f: &Frequency,
    order: &[String],
    t: &TableSpec,
    push: &mut impl FnMut(String, &str, f64),
) {
    for row in f.rows(order) {
        for (s, v) in [
            ("count", row.count),
            ("percent", row.percent),
            ("ci_low", row.ci_low),
            ("ci_high", row.ci_high),
        ] {
            push(row.code.clone(), s, v);
        }
        if let (Some(benchmark), Some(category)) = (t.benchmark, &t.category)
            && *category == row.code
        {
            push(row.code.clone(), "benchmark", benchmark);
            push(row.code.clone(), "difference", row.percent - benchmark);
        }
    }
    push(String::new(), "missing", f.missing);
    push(String::new(), "effective_n", f.effective_n());
}

fn summary_rows(s: &Summary, push: &mut impl FnMut(String, &str, f64)) {
    let x = s.row();
    for (name, v) in [
        ("n", x.n as f64),
        ("missing", x.missing as f64),
        ("mean", x.mean),
        ("sd", x.sd),
        ("min", x.min),
        ("q1", x.q1),
        ("median", x.median),
        ("q3", x.q3),
        ("max", x.max),
        ("ci_low", x.ci_low),
        ("ci_high", x.ci_high),
    ] {
        push(String::new(), name, v);
    }
}

fn crosstab_rows(
    c: &Crosstab,
    row_codes: &[String],
    col_codes: &[String],
    push: &mut impl FnMut(String, &str, f64),
) {
    for a in row_codes {
        for b in col_codes {
            let cell = format!("{a}|{b}");
            push(cell.clone(), "count", c.cell(a, b));
            push(cell.clone(), "row_percent", c.row_percent(a, b));
            push(cell, "col_percent", c.col_percent(a, b));
        }
    }
    if let Some(chi) = c.chi_square() {
        push(String::new(), "chi_square", chi.statistic);
        push(String::new(), "df", chi.df);
        push(String::new(), "p", chi.p);
    }
}

/// Group 0 is the whole sample. A unit belongs to the group it was in at the pre wave (a unit
/// seen only after, to its post-wave group), so a family that changed school between waves
/// is still paired. Of two records of the same unit and wave, the one with the greater
/// [`RecordKey`] is kept (with its answer, even an empty one), in whatever order they came.
fn prepost_rows(
    observations: &[Observation],
    group: u32,
    push: &mut impl FnMut(String, &str, f64),
) {
    let mut kept: BTreeMap<(&str, bool), &Observation> = BTreeMap::new();
    for o in observations {
        let slot = kept.entry((o.id.as_str(), o.post)).or_insert(o);
        if o.key > slot.key {
            *slot = o;
        }
    }
    let observations: Vec<&Observation> = kept.into_values().collect();
    let here = |o: &Observation| group == 0 || o.group == group;
    let values = |post: bool, only_here: bool| -> BTreeMap<&str, f64> {
        observations
            .iter()
            .filter(|o| o.post == post && (!only_here || here(o)))
            .filter_map(|o| Some((o.id.as_str(), o.value?)))
            .collect()
    };
    let pre_values = values(false, true);
    let pre_elsewhere: BTreeSet<&str> = values(false, false)
        .into_keys()
        .filter(|id| !pre_values.contains_key(id))
        .collect();
    let post_here: BTreeSet<&str> = observations
        .iter()
        .filter(|o| o.post && here(o))
        .map(|o| o.id.as_str())
        .collect();
    let post_values: BTreeMap<String, f64> = values(true, false)
        .into_iter()
        .filter(|(id, _)| {
            pre_values.contains_key(id) || (!pre_elsewhere.contains(id) && post_here.contains(id))
        })
        .map(|(id, v)| (id.to_string(), v))
        .collect();
    let pre_values: BTreeMap<String, f64> = pre_values
        .into_iter()
        .map(|(id, v)| (id.to_string(), v))
        .collect();
    let p = paired_change(&pre_values, &post_values);
    for (name, v) in [
        ("pairs", p.pairs as f64),
        ("pre_only", p.pre_only as f64),
        ("post_only", p.post_only as f64),
        ("mean_change", p.mean_change),
        ("ci_low", p.ci_low),
        ("ci_high", p.ci_high),
        ("cohens_d", p.cohens_d),
    ] {
        push(String::new(), name, v);
    }
}
