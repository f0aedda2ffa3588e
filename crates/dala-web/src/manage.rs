//! The Manage workspace's logic, in plain Rust: the parts of a project a manager looks after,
//! who sent what (a sender's label as a name), and the field progress as a table of days
//! (records per device per day, or per district for the police survey).

use crate::account::ProgressRow;
use std::collections::{BTreeMap, BTreeSet};

/// The parts of the workspace, one shown at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Team,
    Devices,
    Instruments,
    Progress,
    Review,
    Audit,
}

impl Part {
    pub const ALL: [Part; 6] = [
        Part::Team,
        Part::Devices,
        Part::Instruments,
        Part::Progress,
        Part::Review,
        Part::Audit,
    ];

    /// Its name in the page (a CSS class and the tests' handle).
    pub fn key(self) -> &'static str {
        match self {
            Part::Team => "team",
            Part::Devices => "devices",
            Part::Instruments => "instruments",
            Part::Progress => "progress",
            Part::Review => "review",
            Part::Audit => "audit",
        }
    }
}

/// The name in a sender's label, as the server writes senders (`device:7:tablet 7`,
/// `user:aida`): the device's or the person's.
pub fn sender_name(sender: &str) -> &str {
    if let Some(rest) = sender.strip_prefix("device:") {
        return rest.split_once(':').map_or(rest, |(_, name)| name);
    }
    sender.strip_prefix("user:").unwrap_or(sender)
}

/// Records by row and day, with totals both ways.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pivot {
    /// The days with records, oldest first.
    pub days: Vec<String>,
    pub rows: Vec<PivotRow>,
    /// Per day, over every row.
    pub totals: Vec<i64>,
    pub total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PivotRow {
    /// The sender's name, or the answer (None: no answer).
    pub label: Option<String>,
    /// Per day, in the order of [`Pivot::days`].
    pub counts: Vec<i64>,
    pub total: i64,
}

/// The progress as a table: a row per sender, or (`by_answer`) per answer summed over the
/// senders; a column per day.
pub fn pivot(progress: &[ProgressRow], by_answer: bool) -> Pivot {
    let days: Vec<String> = progress
        .iter()
        .map(|r| r.day.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let column: BTreeMap<&str, usize> = days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let mut rows: BTreeMap<Option<String>, Vec<i64>> = BTreeMap::new();
    for row in progress {
        let label = if by_answer {
            row.value.clone()
        } else {
            Some(sender_name(&row.sender).to_string())
        };
        let counts = rows.entry(label).or_insert_with(|| vec![0; days.len()]);
        counts[column[row.day.as_str()]] += row.records;
    }
    let mut totals = vec![0; days.len()];
    let rows: Vec<PivotRow> = rows
        .into_iter()
        .map(|(label, counts)| {
            for (t, c) in totals.iter_mut().zip(&counts) {
                *t += c;
            }
            PivotRow {
                label,
                total: counts.iter().sum(),
                counts,
            }
        })
        .collect();
    Pivot {
        days,
        total: totals.iter().sum(),
        totals,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, sender: &str, value: Option<&str>, records: i64) -> ProgressRow {
        ProgressRow {
            day: day.into(),
            sender: sender.into(),
            value: value.map(str::to_string),
            records,
        }
    }

    #[test]
    fn a_senders_label_reads_as_its_name() {
        assert_eq!(sender_name("device:7:tablet 7"), "tablet 7");
        assert_eq!(sender_name("device:7:Osh: north"), "Osh: north");
        assert_eq!(sender_name("user:aida"), "aida");
        assert_eq!(sender_name("cli"), "cli");
    }

    #[test]
    fn progress_is_a_table_of_days_with_totals_both_ways() {
        let progress = [
            row("2015-03-17", "device:1:tablet 1", Some("osh"), 3),
            row("2015-03-17", "device:2:tablet 2", Some("bishkek"), 2),
            row("2015-03-18", "device:1:tablet 1", Some("bishkek"), 4),
            row("2015-03-18", "device:1:tablet 1", None, 1),
        ];
        let by_sender = pivot(&progress, false);
        assert_eq!(by_sender.days, ["2015-03-17", "2015-03-18"]);
        assert_eq!(
            by_sender.rows,
            [
                PivotRow {
                    label: Some("tablet 1".into()),
                    counts: vec![3, 5],
                    total: 8
                },
                PivotRow {
                    label: Some("tablet 2".into()),
                    counts: vec![2, 0],
                    total: 2
                },
            ]
        );
        assert_eq!((by_sender.totals, by_sender.total), (vec![5, 5], 10));
        let by_district = pivot(&progress, true);
        let labels: Vec<Option<&str>> = by_district
            .rows
            .iter()
            .map(|r| r.label.as_deref())
            .collect();
        assert_eq!(labels, [None, Some("bishkek"), Some("osh")]);
        assert_eq!(by_district.rows[1].counts, [2, 4]);
        assert_eq!(by_district.total, 10);
        assert_eq!(pivot(&[], true), Pivot::default());
    }
}
