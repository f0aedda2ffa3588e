//! Navigation by pages (a field-list group, or one question) and finalization.

use super::{Engine, NodeRef};
use crate::compile::ItemId;
use crate::instrument::ItemType;
use crate::record::{Status, Submission};

/// One screen of the interview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The field-list group this page shows, or None for a page of one question.
    pub group: Option<NodeRef>,
    /// The relevant questions on it (notes included, calculates not), in form order.
    pub nodes: Vec<NodeRef>,
    /// On the page that closes a repeat the enumerator manages (one without a repeat_count):
    /// the repeat, addressed by the path of its container, so a UI offers to add an instance
    /// or remove one there. Such a page has no questions.
    pub repeat: Option<NodeRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    Required,
    Constraint,
}

/// Something that blocks finalizing, with where to go to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub node: NodeRef,
    /// Index into [`Engine::pages`].
    pub page: usize,
    pub kind: ProblemKind,
    /// The designer's own message, if the form has one (see [`Engine::problem_message`]).
    pub message: Option<String>,
}

fn is_field_list(appearance: Option<&str>) -> bool {
    appearance.is_some_and(|a| a.split_whitespace().any(|w| w == "field-list"))
}

impl Engine {
    /// The pages of the interview as it stands: non-relevant questions and pages left out.
    pub fn pages(&self) -> Vec<Page> {
        let mut pages = Vec::new();
        self.collect_pages(&self.form.top, &[], &mut pages);
        pages
    }

    fn collect_pages(&self, items: &[ItemId], path: &[u32], pages: &mut Vec<Page>) {
        for &id in items {
            let compiled = self.form.item(id);
            match compiled.item.item_type {
                _ if compiled.item.is_calculated_only() => {}
                ItemType::Repeat => {
                    let instances = self.instances(id, path);
                    let mut any_relevant = false;
                    for instance in &instances {
                        if self.relevant(instance) {
                            any_relevant = true;
                            self.collect_pages(&compiled.children, &instance.path, pages);
                        }
                    }
                    // An empty repeat (a warning, V019) has nothing to add an instance of.
                    if compiled.exprs.repeat_count.is_none()
                        && !compiled.children.is_empty()
                        && (instances.is_empty() || any_relevant)
                    {
                        pages.push(Page {
                            group: None,
                            nodes: Vec::new(),
                            repeat: Some(NodeRef {
                                item: id,
                                path: path.to_vec(),
                            }),
                        });
                    }
                }
                ItemType::Group => {
                    let group = NodeRef {
                        item: id,
                        path: path.to_vec(),
                    };
                    if !self.relevant(&group) {
                        continue;
                    }
                    if is_field_list(compiled.item.appearance.as_deref()) {
                        let mut nodes = Vec::new();
                        self.collect_questions(&compiled.children, path, true, &mut nodes);
                        if !nodes.is_empty() {
                            pages.push(Page {
                                group: Some(group),
                                nodes,
                                repeat: None,
                            });
                        }
                    } else {
                        self.collect_pages(&compiled.children, path, pages);
                    }
                }
                _ => {
                    let node = NodeRef {
                        item: id,
                        path: path.to_vec(),
                    };
                    if self.relevant(&node) {
                        pages.push(Page {
                            group: None,
                            nodes: vec![node],
                            repeat: None,
                        });
                    }
                }
            }
        }
    }

    /// Every question a page holds, relevant or not, in form order (calculates left out):
    /// what a screen builds once and then shows or hides as relevance changes, instead of
    /// building questions each time an answer makes them relevant. A page of one question
    /// holds just that question.
    pub fn page_questions(&self, page: &Page) -> Vec<NodeRef> {
        let Some(group) = &page.group else {
            return page.nodes.clone();
        };
        let mut out = Vec::new();
        self.collect_questions(
            &self.form.item(group.item).children,
            &group.path,
            false,
            &mut out,
        );
        out
    }

    fn collect_questions(
        &self,
        items: &[ItemId],
        path: &[u32],
        only_relevant: bool,
        out: &mut Vec<NodeRef>,
    ) {
        let shown = |node: &NodeRef| !only_relevant || self.relevant(node);
        for &id in items {
            let compiled = self.form.item(id);
            match compiled.item.item_type {
                _ if compiled.item.is_calculated_only() => {}
                ItemType::Group => {
                    if shown(&NodeRef {
                        item: id,
                        path: path.to_vec(),
                    }) {
                        self.collect_questions(&compiled.children, path, only_relevant, out);
                    }
                }
                ItemType::Repeat => {
                    for instance in self.instances(id, path) {
                        if shown(&instance) {
                            self.collect_questions(
                                &compiled.children,
                                &instance.path,
                                only_relevant,
                                out,
                            );
                        }
                    }
                }
                _ => {
                    let node = NodeRef {
                        item: id,
                        path: path.to_vec(),
                    };
                    if shown(&node) {
                        out.push(node);
                    }
                }
            }
        }
    }

    /// Where "Next" leads from page `index`: the page after it (`pages().len()` is the closing
    /// screen, where it stays), or, when the page has a required question left empty or an
    /// answer that breaks its constraint, those problems, and the interview stays on the page
    /// as ODK Collect and Enketo do. The jump list still goes anywhere.
    pub fn next_page(&self, index: usize, language: &str) -> Result<usize, Vec<Problem>> {
        let pages = self.pages();
        let Some(page) = pages.get(index) else {
            return Ok(pages.len());
        };
        let mut problems = Vec::new();
        self.page_problems(page, index, language, &mut problems);
        if problems.is_empty() {
            Ok(index + 1)
        } else {
            Err(problems)
        }
    }

    /// What blocks finalizing: required questions without an answer and answers that break
    /// their constraint, on relevant pages, in form order.
    pub fn problems(&self, language: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (index, page) in self.pages().iter().enumerate() {
            self.page_problems(page, index, language, &mut problems);
        }
        problems
    }

    fn page_problems(&self, page: &Page, index: usize, language: &str, out: &mut Vec<Problem>) {
        for node in &page.nodes {
            if self.required(node) && self.value(node).is_empty() {
                out.push(Problem {
                    node: node.clone(),
                    page: index,
                    kind: ProblemKind::Required,
                    message: self.problem_message(node, ProblemKind::Required, language),
                });
            } else if self.constraint_violated(node) {
                out.push(Problem {
                    node: node.clone(),
                    page: index,
                    kind: ProblemKind::Constraint,
                    message: self.problem_message(node, ProblemKind::Constraint, language),
                });
            }
        }
    }

    /// The finalized record, or the problems that block it.
    pub fn finalize(&self, language: &str) -> Result<Submission, Vec<Problem>> {
        let problems = self.problems(language);
        if problems.is_empty() {
            Ok(self.record(Status::Finalized))
        } else {
            Err(problems)
        }
    }
}
