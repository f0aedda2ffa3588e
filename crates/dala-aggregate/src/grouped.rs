//! The tidy rows of one table laid out as every reader of them needs: its groups in the order
//! they came, in each its categories in the order they came with their statistics, and the
//! group's own figures (category empty: missing, effective n, chi-square) apart. The terminal
//! report, the app's tables and the charts all read tables through this.

use crate::tidy::TidyRow;

/// One table's rows by group and category.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grouped<'r> {
    pub groups: Vec<Group<'r>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group<'r> {
    /// As in the tidy rows: `district=osh`, or empty for the whole sample.
    pub key: &'r str,
    pub categories: Vec<Category<'r>>,
    /// Statistics of the group as a whole, in order.
    pub figures: Vec<(&'r str, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Category<'r> {
    pub code: &'r str,
    /// (statistic, value) in the order they came.
    pub statistics: Vec<(&'r str, f64)>,
}

impl Category<'_> {
    pub fn get(&self, statistic: &str) -> Option<f64> {
        self.statistics
            .iter()
            .find(|(s, _)| *s == statistic)
            .map(|(_, v)| *v)
    }
}

impl<'r> Group<'r> {
    pub fn category(&self, code: &str) -> Option<&Category<'r>> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// A statistic of a category, or of the group itself for an empty code.
    pub fn get(&self, code: &str, statistic: &str) -> Option<f64> {
        if code.is_empty() {
            self.figures
                .iter()
                .find(|(s, _)| *s == statistic)
                .map(|(_, v)| *v)
        } else {
            self.category(code)?.get(statistic)
        }
    }
}

impl<'r> Grouped<'r> {
    /// The rows of table `table` among `rows`.
    pub fn table(rows: &'r [TidyRow], table: &str) -> Grouped<'r> {
        Grouped::of(rows.iter().filter(|r| r.table == table))
    }

    /// Rows already of one table, in their order.
    pub fn of(rows: impl IntoIterator<Item = &'r TidyRow>) -> Grouped<'r> {
        let mut grouped = Grouped::default();
        for r in rows {
            let at = match grouped.groups.iter().position(|g| g.key == r.group) {
                Some(at) => at,
                None => {
                    grouped.groups.push(Group {
                        key: &r.group,
                        categories: Vec::new(),
                        figures: Vec::new(),
                    });
                    grouped.groups.len() - 1
                }
            };
            let group = &mut grouped.groups[at];
            if r.category.is_empty() {
                group.figures.push((&r.statistic, r.value));
                continue;
            }
            let at = match group.categories.iter().position(|c| c.code == r.category) {
                Some(at) => at,
                None => {
                    group.categories.push(Category {
                        code: &r.category,
                        statistics: Vec::new(),
                    });
                    group.categories.len() - 1
                }
            };
            group.categories[at]
                .statistics
                .push((&r.statistic, r.value));
        }
        grouped
    }

    pub fn group(&self, key: &str) -> Option<&Group<'r>> {
        self.groups.iter().find(|g| g.key == key)
    }

    /// A statistic of a group's category (or of the group itself for an empty code).
    pub fn get(&self, group: &str, code: &str, statistic: &str) -> Option<f64> {
        self.group(group)?.get(code, statistic)
    }

    /// Every statistic given for a category, in the order first seen.
    pub fn statistics(&self) -> Vec<&'r str> {
        let mut out: Vec<&str> = Vec::new();
        for c in self.groups.iter().flat_map(|g| &g.categories) {
            for (s, _) in &c.statistics {
                if !out.contains(s) {
                    out.push(s);
                }
            }
        }
        out
    }
}

/// The tables among `rows`, each with its rows, in the order they came.
pub fn tables(rows: &[TidyRow]) -> Vec<(&str, Grouped<'_>)> {
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        if !names.contains(&r.table.as_str()) {
            names.push(&r.table);
        }
    }
    names
        .into_iter()
        .map(|name| (name, Grouped::table(rows, name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(table: &str, group: &str, category: &str, statistic: &str, value: f64) -> TidyRow {
        TidyRow::new(table, group, category, statistic, value)
    }

    #[test]
    fn rows_fall_into_groups_and_categories_in_their_order() {
        let rows = [
            row("t", "", "m", "count", 3.0),
            row("t", "", "f", "count", 2.0),
            row("t", "", "m", "percent", 60.0),
            row("t", "", "", "missing", 1.0),
            row("u", "", "", "n", 9.0),
            row("t", "d=osh", "f", "count", 1.0),
        ];
        let t = Grouped::table(&rows, "t");
        assert_eq!(t.groups.len(), 2);
        let whole = &t.groups[0];
        assert_eq!(whole.key, "");
        assert_eq!(
            whole.categories.iter().map(|c| c.code).collect::<Vec<_>>(),
            ["m", "f"]
        );
        assert_eq!(whole.figures, [("missing", 1.0)]);
        assert_eq!(t.get("", "m", "percent"), Some(60.0));
        assert_eq!(t.get("", "", "missing"), Some(1.0));
        assert_eq!(t.get("d=osh", "f", "count"), Some(1.0));
        assert_eq!(t.get("d=osh", "m", "count"), None);
        assert_eq!(t.statistics(), ["count", "percent"]);
        assert_eq!(
            tables(&rows).iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            ["t", "u"]
        );
    }
}
