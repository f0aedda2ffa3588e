//! What an enumerator reads back about an interview: which repeat instance a page is in
//! ("Household member 2 of 3"), and the review of every answer (ODK's hierarchy view: every
//! question asked with its answer, grouped, repeats by instance, each a way to its page).
//! Plain Rust over the session, tested natively; the views draw the lines.

use crate::i18n::{Lang, Msg};
use crate::session::Session;
use dala_core::engine::NodeRef;
use dala_core::instrument::ItemType;
use dala_core::record::Answer;
use dala_core::{Engine, Index, Instrument, Submission};

/// One enclosing repeat instance of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceAt {
    pub instance: NodeRef,
    /// From 1.
    pub position: usize,
    pub count: usize,
}

/// The repeat instances a node is inside, outermost first.
pub fn enclosing_instances(engine: &Engine, node: &NodeRef) -> Vec<InstanceAt> {
    let form = engine.form();
    let scope = form.item(node.item).repeats.clone();
    let mut out = Vec::with_capacity(scope.len());
    for (depth, repeat) in scope.into_iter().enumerate() {
        let (Some(parent), Some(id)) = (node.path.get(..depth), node.path.get(depth)) else {
            break;
        };
        let instances = engine.instances(repeat, parent);
        let Some(index) = instances.iter().position(|i| i.path.last() == Some(id)) else {
            break;
        };
        out.push(InstanceAt {
            count: instances.len(),
            position: index + 1,
            instance: instances[index].clone(),
        });
    }
    out
}

/// "Household member 2 of 3", or, when the repeat's label names answers of the instance
/// (`Member: ${member_name}`) and they are given, that label with them: "Member: Timur (2 of 3)".
pub fn instance_title(engine: &Engine, at: &InstanceAt, form_lang: &str, lang: Lang) -> String {
    let form = engine.form();
    let item = &form.item(at.instance.item).item;
    let plain = item
        .label
        .get(form_lang, form.default_language())
        .unwrap_or(&item.name)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let of = Msg::Of.text(lang);
    let filled = engine.label(&at.instance, form_lang);
    let filled = filled.lines().next().unwrap_or_default().trim();
    if filled != plain && !filled.is_empty() {
        format!("{filled} ({} {of} {})", at.position, at.count)
    } else {
        format!("{plain} {} {of} {}", at.position, at.count)
    }
}

/// The titles of the instances a node is inside, joined outermost first ("House 1 of 2 ›
/// Person 2 of 3"); empty outside repeats.
pub fn where_in_repeats(engine: &Engine, node: &NodeRef, form_lang: &str, lang: Lang) -> String {
    enclosing_instances(engine, node)
        .iter()
        .map(|at| instance_title(engine, at, form_lang, lang))
        .collect::<Vec<_>>()
        .join(" › ")
}

/// An answer as the enumerator reads it: choice labels for selects (in order for rank), the
/// value otherwise; empty when unanswered.
pub fn answer_text(engine: &Engine, node: &NodeRef, form_lang: &str) -> String {
    let value = engine.value(node);
    let form = engine.form();
    let item = &form.item(node.item).item;
    let label_of = |code: &str| {
        form.list(node.item)
            .iter()
            .find(|c| c.name == code)
            .and_then(|c| c.label.get(form_lang, form.default_language()))
            .unwrap_or(code)
            .to_string()
    };
    match item.item_type {
        ItemType::SelectOne if !value.is_empty() => label_of(value),
        ItemType::SelectMultiple | ItemType::Rank => value
            .split_whitespace()
            .map(label_of)
            .collect::<Vec<_>>()
            .join(if item.item_type == ItemType::Rank {
                " › "
            } else {
                ", "
            }),
        _ => value.to_string(),
    }
}

/// How a record is named in lists and notices: its instance name; else its first answers
/// outside repeats, in form order (up to three, choice labels in the form language); None
/// when nothing is answered yet (a list then shows its time).
pub fn record_title(
    instrument: &Instrument,
    record: &Submission,
    form_lang: &str,
) -> Option<String> {
    if let Some(name) = &record.instance_name {
        return Some(name.clone());
    }
    let index = Index::new(instrument);
    let first: Vec<String> = index
        .top_answers()
        .filter(|entry| entry.item.item_type.takes_input())
        .filter_map(|entry| {
            let item = entry.item;
            let Some(Answer::Value(value)) = record.answers.get(&entry.key) else {
                return None;
            };
            if value.is_empty() {
                return None;
            }
            Some(match (&item.list, item.item_type) {
                (Some(list), ItemType::SelectOne) => {
                    instrument.choice_label(list, value, form_lang).to_string()
                }
                (Some(list), ItemType::SelectMultiple | ItemType::Rank) => value
                    .split_whitespace()
                    .map(|code| instrument.choice_label(list, code, form_lang))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => value.clone(),
            })
        })
        .take(3)
        .collect();
    (!first.is_empty()).then(|| first.join(" · "))
}

/// A line of the review.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A group's label, or a repeat instance's title.
    Heading { depth: usize, text: String },
    /// A question asked, its answer as read (empty: not answered), and the page it is on.
    Answer {
        depth: usize,
        node: NodeRef,
        name: String,
        label: String,
        answer: String,
        page: Option<usize>,
    },
}

/// Every relevant question of the interview in form order with its answer, under the labels
/// of its groups and the titles of its repeat instances. Notes and calculates are left out:
/// nothing was asked.
pub fn review(session: &Session, form_lang: &str, lang: Lang) -> Vec<Line> {
    let engine = session.engine();
    let mut lines = Vec::new();
    let top = engine.form().top.clone();
    walk(session, &top, &[], 0, form_lang, lang, &mut lines);
    lines
}

fn walk(
    session: &Session,
    items: &[dala_core::compile::ItemId],
    path: &[u32],
    depth: usize,
    form_lang: &str,
    lang: Lang,
    lines: &mut Vec<Line>,
) {
    let engine = session.engine();
    let form = engine.form();
    for &id in items {
        let compiled = form.item(id);
        let node = NodeRef {
            item: id,
            path: path.to_vec(),
        };
        match compiled.item.item_type {
            ItemType::Calculate | ItemType::Note => {}
            ItemType::Group => {
                if !engine.relevant(&node) {
                    continue;
                }
                let label = engine.label(&node, form_lang);
                let label = label.lines().next().unwrap_or_default().trim();
                let inner = if label.is_empty() {
                    depth
                } else {
                    lines.push(Line::Heading {
                        depth,
                        text: label.to_string(),
                    });
                    depth + 1
                };
                walk(
                    session,
                    &compiled.children,
                    path,
                    inner,
                    form_lang,
                    lang,
                    lines,
                );
            }
            ItemType::Repeat => {
                let instances = engine.instances(id, path);
                let count = instances.len();
                for (index, instance) in instances.into_iter().enumerate() {
                    if !engine.relevant(&instance) {
                        continue;
                    }
                    let at = InstanceAt {
                        instance: instance.clone(),
                        position: index + 1,
                        count,
                    };
                    lines.push(Line::Heading {
                        depth,
                        text: instance_title(engine, &at, form_lang, lang),
                    });
                    walk(
                        session,
                        &compiled.children,
                        &instance.path,
                        depth + 1,
                        form_lang,
                        lang,
                        lines,
                    );
                }
            }
            _ => {
                if !engine.relevant(&node) {
                    continue;
                }
                let label = engine.label(&node, form_lang);
                lines.push(Line::Answer {
                    depth,
                    page: session.pages().iter().position(|p| p.nodes.contains(&node)),
                    name: compiled.item.name.clone(),
                    label: label.lines().next().unwrap_or_default().trim().to_string(),
                    answer: answer_text(engine, &node, form_lang),
                    node,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::testing::fast;
    use dala_core::record::Status;

    fn answer(s: &mut Session, name: &str, at: &[usize], value: &str) {
        let node = s.engine().node(name, at).expect(name);
        s.answer(&node, value).expect("answer");
    }

    #[test]
    fn a_page_inside_the_roster_says_which_member_it_is() {
        let mut s = fast();
        answer(&mut s, "hh_size", &[], "3");
        let age = s.engine().node("member_age", &[1]).expect("second member");
        assert_eq!(
            where_in_repeats(s.engine(), &age, "en", Lang::En),
            "Household member 2 of 3"
        );
        assert_eq!(
            where_in_repeats(s.engine(), &age, "ru", Lang::Ru),
            "Член домохозяйства 2 из 3"
        );
        let size = s.engine().node("hh_size", &[]).expect("size");
        assert_eq!(where_in_repeats(s.engine(), &size, "en", Lang::En), "");
    }

    #[test]
    fn the_review_lists_what_was_asked_with_choice_labels_by_instance() {
        let mut s = fast();
        answer(&mut s, "family_id", &[], "042");
        answer(&mut s, "school", &[], "samarkand_52");
        answer(&mut s, "hh_size", &[], "2");
        answer(&mut s, "member_relationship", &[0], "respondent");
        answer(&mut s, "member_sex", &[1], "m");
        let lines = review(&s, "en", Lang::En);
        let answered: Vec<(&str, &str)> = lines
            .iter()
            .filter_map(|l| match l {
                Line::Answer { name, answer, .. } if !answer.is_empty() => {
                    Some((name.as_str(), answer.as_str()))
                }
                _ => None,
            })
            .collect();
        // Labels from the instrument's choice lists (surveys/fast-family-outcomes).
        assert_eq!(
            answered,
            [
                ("family_id", "042"),
                ("school", "School No. 52, Samarkand"),
                ("hh_size", "2"),
                ("member_relationship", "Respondent"),
                ("member_sex", "Male"),
            ]
        );
        let headings: Vec<&str> = lines
            .iter()
            .filter_map(|l| match l {
                Line::Heading { text, .. } => Some(text.as_str()),
                Line::Answer { .. } => None,
            })
            .collect();
        assert!(
            headings.contains(&"Household member 1 of 2"),
            "{headings:?}"
        );
        assert!(
            headings.contains(&"Household member 2 of 2"),
            "{headings:?}"
        );
        // Each answer knows its page; the member's questions sit one level in.
        let Some(Line::Answer { page, depth, .. }) = lines
            .iter()
            .find(|l| matches!(l, Line::Answer { name, .. } if name == "member_sex"))
        else {
            panic!("member_sex is listed");
        };
        assert!(page.is_some());
        assert_eq!(*depth, 1);
        assert!(
            !lines
                .iter()
                .any(|l| matches!(l, Line::Answer { name, .. } if name == "member_intro")),
            "notes are not asked"
        );
    }

    #[test]
    fn a_record_is_named_by_its_instance_name_or_its_first_answers() {
        let mut s = fast();
        let instrument = s.engine().form().instrument.clone();
        assert_eq!(record_title(&instrument, &s.draft(), "en"), None);
        answer(&mut s, "family_id", &[], "042");
        answer(&mut s, "school", &[], "samarkand_52");
        // instance_name is concat(${family_id}, '-', ${wave}): with the wave still missing.
        assert_eq!(
            record_title(&instrument, &s.draft(), "en").as_deref(),
            Some("042-")
        );
        answer(&mut s, "wave", &[], "pre");
        let record = s.engine().record(Status::Finalized);
        assert_eq!(
            record_title(&instrument, &record, "en").as_deref(),
            Some("042-pre")
        );
        // Without an instance name: the first answers, choices by their labels.
        let mut plain = record.clone();
        plain.instance_name = None;
        assert_eq!(
            record_title(&instrument, &plain, "ru").as_deref(),
            Some("042 · Школа № 52, Самарканд · До программы")
        );
    }
}
