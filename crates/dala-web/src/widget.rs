//! Which control a question gets, from its type and appearance. Plain data, so the choice is
//! tested natively and the view only draws it.

use dala_core::instrument::{Item, ItemType};

/// Lists longer than this get a search box instead of a column of radio buttons.
pub const LONG_LIST: usize = 12;

#[derive(Clone, Debug, PartialEq)]
pub enum Widget {
    Text {
        multiline: bool,
    },
    /// `decimal` selects the keypad with a decimal point.
    Number {
        decimal: bool,
    },
    /// Large radio buttons, or a searchable list for long lists (`search` or `autocomplete`
    /// appearance, or more than [`LONG_LIST`] choices).
    SelectOne {
        searchable: bool,
    },
    SelectMultiple,
    Date,
    Time,
    DateTime,
    Note,
    Range {
        start: f64,
        end: f64,
        step: f64,
    },
    Rank,
    Acknowledge,
    Geopoint,
    /// A list of points taken one at a time; `closed` for a shape (ODK closes it on save).
    GeoPoints {
        closed: bool,
    },
    /// Calculates, groups and repeats are never shown as questions.
    None,
}

fn has_appearance(item: &Item, word: &str) -> bool {
    item.appearance
        .as_deref()
        .is_some_and(|a| a.split_whitespace().any(|w| w == word))
}

pub fn widget_for(item: &Item, choice_count: usize) -> Widget {
    let parameter = |key: &str, default: f64| {
        item.parameters
            .get(key)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .unwrap_or(default)
    };
    match item.item_type {
        ItemType::Text => Widget::Text {
            multiline: has_appearance(item, "multiline"),
        },
        ItemType::Integer => Widget::Number { decimal: false },
        ItemType::Decimal => Widget::Number { decimal: true },
        ItemType::SelectOne => Widget::SelectOne {
            searchable: has_appearance(item, "search")
                || has_appearance(item, "autocomplete")
                || has_appearance(item, "minimal")
                || choice_count > LONG_LIST,
        },
        ItemType::SelectMultiple => Widget::SelectMultiple,
        ItemType::Date => Widget::Date,
        ItemType::Time => Widget::Time,
        ItemType::DateTime => Widget::DateTime,
        ItemType::Note => Widget::Note,
        ItemType::Range => {
            let step = parameter("step", 1.0);
            Widget::Range {
                start: parameter("start", 0.0),
                end: parameter("end", 10.0),
                step: if step > 0.0 { step } else { 1.0 },
            }
        }
        ItemType::Rank => Widget::Rank,
        ItemType::Acknowledge => Widget::Acknowledge,
        ItemType::Geopoint => Widget::Geopoint,
        ItemType::Geotrace => Widget::GeoPoints { closed: false },
        ItemType::Geoshape => Widget::GeoPoints { closed: true },
        ItemType::Calculate | ItemType::Group | ItemType::Repeat => Widget::None,
    }
}

/// Toggles `code` in a select_multiple answer (space-separated codes), keeping the order the
/// codes were chosen in.
pub fn toggle(answer: &str, code: &str) -> String {
    let mut codes: Vec<&str> = answer.split_whitespace().collect();
    match codes.iter().position(|c| *c == code) {
        Some(at) => {
            codes.remove(at);
        }
        None => codes.push(code),
    }
    codes.join(" ")
}

/// A rank answer with the code at `from` moved to `to` (both within the list). An empty
/// answer starts from the choices in list order.
pub fn rank_move(answer: &str, all_codes: &[&str], from: usize, to: usize) -> String {
    let mut codes: Vec<&str> = if answer.trim().is_empty() {
        all_codes.to_vec()
    } else {
        answer.split_whitespace().collect()
    };
    if from < codes.len() && to < codes.len() {
        let code = codes.remove(from);
        codes.insert(to, code);
    }
    codes.join(" ")
}

/// `date` + `time` inputs -> an answer for a dateTime question (empty while either is).
pub fn join_date_time(date: &str, time: &str) -> String {
    if date.is_empty() || time.is_empty() {
        String::new()
    } else {
        format!("{date}T{time}")
    }
}

/// Choices whose label contains every word typed, ignoring case.
pub fn matches_search(label: &str, query: &str) -> bool {
    let label = label.to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| label.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(t: ItemType, appearance: Option<&str>) -> Item {
        let mut item = Item::new(t, "q");
        item.appearance = appearance.map(str::to_string);
        item
    }

    #[test]
    fn selects_switch_to_search_for_long_lists_or_by_appearance() {
        let one = item(ItemType::SelectOne, None);
        assert_eq!(
            widget_for(&one, 12),
            Widget::SelectOne { searchable: false }
        );
        assert_eq!(widget_for(&one, 13), Widget::SelectOne { searchable: true });
        let minimal = item(ItemType::SelectOne, Some("minimal"));
        assert_eq!(
            widget_for(&minimal, 3),
            Widget::SelectOne { searchable: true }
        );
    }

    #[test]
    fn range_takes_its_parameters_and_refuses_a_zero_step() {
        let mut range = item(ItemType::Range, None);
        range.parameters.insert("start".into(), "1".into());
        range.parameters.insert("end".into(), "5".into());
        range.parameters.insert("step".into(), "0".into());
        assert_eq!(
            widget_for(&range, 0),
            Widget::Range {
                start: 1.0,
                end: 5.0,
                step: 1.0
            }
        );
    }

    #[test]
    fn multiline_text_and_hidden_types() {
        assert_eq!(
            widget_for(&item(ItemType::Text, Some("multiline")), 0),
            Widget::Text { multiline: true }
        );
        assert_eq!(
            widget_for(&item(ItemType::Calculate, None), 0),
            Widget::None
        );
    }

    #[test]
    fn toggling_and_ranking_codes() {
        assert_eq!(toggle("", "a"), "a");
        assert_eq!(toggle("a b", "c"), "a b c");
        assert_eq!(toggle("a b c", "b"), "a c");
        assert_eq!(rank_move("", &["x", "y", "z"], 2, 0), "z x y");
        assert_eq!(rank_move("z x y", &["x", "y", "z"], 0, 1), "x z y");
        assert_eq!(rank_move("x y", &["x", "y"], 5, 0), "x y");
    }

    #[test]
    fn date_time_and_search() {
        assert_eq!(join_date_time("2015-03-17", "10:30"), "2015-03-17T10:30");
        assert_eq!(join_date_time("2015-03-17", ""), "");
        assert!(matches_search(
            "Бишкек, Октябрьский район",
            "октябрьский бишкек"
        ));
        assert!(!matches_search("Ош", "бишкек"));
    }
}
