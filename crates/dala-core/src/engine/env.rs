//! The expression environment of one node: `${name}` resolved from where the node sits
//! (siblings in the same repeat instance, every instance from outside), `.`, position(),
//! indexed-repeat(), choice columns in a choice_filter, and the host's clock and randomness.

use super::{Engine, NodeRef};
use crate::compile::ItemId;
use crate::instrument::Choice;
use dala_expr::ast::{Axis, Expr, ExprKind, NodeTest, Path, PathStart};
use dala_expr::date::DateTime;
use dala_expr::{Diagnostic, Env, Problem, Span, Value};

pub(super) struct NodeEnv<'a> {
    engine: &'a Engine,
    node: NodeRef,
    /// The repeats matching `node.path`, outermost first.
    scope: Vec<ItemId>,
    current: Option<&'a str>,
    choice: Option<&'a Choice>,
    /// Inside a predicate of `${t}[...]`: the node being tested and its position, which
    /// `position()` and relative paths read (`${}` and `current()` still read the node).
    context: Option<(NodeRef, usize)>,
}

impl<'a> NodeEnv<'a> {
    pub(super) fn new(engine: &'a Engine, node: &NodeRef) -> NodeEnv<'a> {
        let item = engine.form.item(node.item);
        let mut scope = item.scope(node.item);
        scope.truncate(node.path.len());
        NodeEnv {
            engine,
            node: node.clone(),
            scope,
            current: None,
            choice: None,
            context: None,
        }
    }

    /// The same node with `.` standing for a value not yet stored (a constraint's check).
    pub(super) fn with_current(&self, value: &'a str) -> NodeEnv<'a> {
        NodeEnv {
            current: Some(value),
            scope: self.scope.clone(),
            node: self.node.clone(),
            context: self.context.clone(),
            ..*self
        }
    }

    /// The environment of a choice_filter: bare names are the choice's columns.
    pub(super) fn for_choice(&self, choice: &'a Choice) -> NodeEnv<'a> {
        NodeEnv {
            choice: Some(choice),
            scope: self.scope.clone(),
            node: self.node.clone(),
            context: self.context.clone(),
            ..*self
        }
    }

    /// The value of `${name}` seen from this node.
    pub(super) fn value_of(&self, name: &str) -> Option<Value> {
        let form = &self.engine.form;
        if let Some(earlier) = name.strip_prefix(dala_expr::LAST_SAVED) {
            // A question at the top of the form, as the record saved last holds it; one
            // inside a repeat has no single value there and reads as empty.
            let target = form.item(form.id(earlier)?);
            return Some(match self.engine.last_saved().get(&target.key) {
                Some(crate::record::Answer::Value(v)) if target.repeats.is_empty() => {
                    super::values::typed(target.item.item_type, v)
                }
                _ => Value::empty(),
            });
        }
        let Some(target) = form.id(name) else {
            return (name == crate::record::INSTANCE_ID_NAME)
                .then(|| Value::String(self.engine.instance_id().to_string()));
        };
        let (nodes, single) = self.nodes_of(target);
        if single {
            if form.item(target).item.item_type.is_container() {
                return Some(Value::empty());
            }
            return Some(self.engine.typed_value(&nodes[0]));
        }
        Some(Value::Nodes(
            nodes.iter().map(|n| self.engine.typed_value(n)).collect(),
        ))
    }

    /// The nodes of `target` seen from this node: the one in the same repeat instance (true),
    /// or, for a question inside a repeat this node is not in, one per instance (false).
    pub(super) fn nodes_of(&self, target: ItemId) -> (Vec<NodeRef>, bool) {
        let target_scope = self.engine.form.item(target).scope(target);
        let common = self
            .scope
            .iter()
            .zip(&target_scope)
            .take_while(|(a, b)| a == b)
            .count();
        let base = &self.node.path[..common.min(self.node.path.len())];
        if common == target_scope.len() {
            return (
                vec![NodeRef {
                    item: target,
                    path: base.to_vec(),
                }],
                true,
            );
        }
        (self.engine.nodes_of(target, base), false)
    }

    /// A choice's column as its list's secondary instance holds it: None where the choice
    /// has no value there (pyxform writes no element for a blank cell or a column the list
    /// lacks, so XPath sees an empty node-set: `col = ''` is false, as in ODK).
    fn choice_column(&self, choice: &Choice, column: &str) -> Option<String> {
        match column {
            "name" => Some(choice.name.clone()),
            "label" => Some(
                choice
                    .label
                    .get("", self.engine.form.default_language())
                    .unwrap_or_default()
                    .to_string(),
            ),
            other => choice.extra.get(other).cloned(),
        }
    }
}

impl NodeEnv<'_> {
    /// The position of this node's instance of its `level`-th enclosing repeat.
    fn position_at(&self, level: usize, span: Span) -> Result<f64, Diagnostic> {
        let parent = self.node.path[..level].to_vec();
        let id = self.node.path[level];
        self.engine
            .containers()
            .get(&(self.scope[level], parent))
            .and_then(|ids| ids.iter().position(|i| *i == id))
            .map(|p| (p + 1) as f64)
            .ok_or_else(|| Diagnostic::new(span, Problem::InstanceGone))
    }

    /// `${t}[PREDICATE]/steps`: the nodes of `t` seen from here (for a repeat, all its
    /// instances in the container this node sees: `${t}[position() = 2]` from inside `t`
    /// is a sibling instance), kept where every predicate holds (a number picks by
    /// position), then the steps from each one kept.
    fn filtered(
        &self,
        start: &Expr,
        predicates: &[Expr],
        steps: &[dala_expr::ast::Step],
        span: Span,
    ) -> Result<Value, Diagnostic> {
        let form = &self.engine.form;
        let ExprKind::Ref(name) = &start.kind else {
            return Err(Diagnostic::new(span, Problem::PathsUnavailable));
        };
        let Some(target) = form.id(name) else {
            return Err(Diagnostic::new(
                span,
                Problem::UnknownQuestion {
                    name: name.to_string(),
                },
            ));
        };
        let compiled = form.item(target);
        let candidates = if compiled.item.item_type == crate::ItemType::Repeat {
            let outer = &compiled.repeats;
            let common = self
                .scope
                .iter()
                .zip(outer)
                .take_while(|(a, b)| a == b)
                .count();
            if common == outer.len() {
                self.engine
                    .instances(target, &self.node.path[..common.min(self.node.path.len())])
            } else {
                self.nodes_of(target).0
            }
        } else {
            self.nodes_of(target).0
        };
        let mut kept = Vec::new();
        for (i, candidate) in candidates.into_iter().enumerate() {
            let env = NodeEnv {
                context: Some((candidate.clone(), i + 1)),
                scope: self.scope.clone(),
                node: self.node.clone(),
                ..*self
            };
            let mut keep = true;
            for predicate in predicates {
                keep &= match dala_expr::evaluate(predicate, &env)? {
                    Value::Number(n) => n == (i + 1) as f64,
                    other => other.to_boolean(),
                };
            }
            if keep {
                kept.push(candidate);
            }
        }
        let end = if steps.is_empty() {
            Some(target)
        } else {
            form.resolve_path(
                target,
                &Path {
                    start: PathStart::Relative,
                    steps: steps.to_vec(),
                },
            )
        };
        let Some(end) = end else {
            return Ok(Value::Nodes(Vec::new()));
        };
        let depth = form.item(end).scope(end).len();
        let mut values = Vec::new();
        for node in kept {
            let nodes = if depth <= node.path.len() {
                vec![NodeRef {
                    item: end,
                    path: node.path[..depth].to_vec(),
                }]
            } else {
                self.engine.nodes_of(end, &node.path)
            };
            values.extend(nodes.iter().map(|n| self.engine.typed_value(n)));
        }
        Ok(Value::Nodes(values))
    }

    /// `instance('LIST')/root/item[PREDICATE]/COLUMN`: a lookup in a choice list of the form,
    /// as ODK reads the list's secondary instance. Each predicate is read with the choice's
    /// columns as bare names (a number picks the item at that position); the result is the
    /// column of every item kept. None for a path of another shape.
    fn list_lookup(&self, path: &Path) -> Result<Option<Value>, Diagnostic> {
        let PathStart::Expr(start) = &path.start else {
            return Ok(None);
        };
        let ExprKind::Call(dala_expr::Function::Instance, args) = &start.kind else {
            return Ok(None);
        };
        let Some(ExprKind::String(list)) = args.first().map(|a| &a.kind) else {
            return Ok(None);
        };
        let name_of = |i: usize| match path.steps.get(i).map(|s| (&s.axis, &s.test)) {
            Some((Axis::Child, NodeTest::Name(n))) => Some(n.as_ref()),
            _ => None,
        };
        let (Some("root"), Some("item"), true) = (name_of(0), name_of(1), path.steps.len() <= 3)
        else {
            return Ok(None);
        };
        if !path.steps[0].predicates.is_empty()
            || path.steps.get(2).is_some_and(|s| !s.predicates.is_empty())
        {
            return Ok(None);
        }
        let column = name_of(2).unwrap_or("name");
        let choices = self.engine.form.list_named(list).unwrap_or(&[]);
        let mut kept: Vec<&Choice> = choices.iter().collect();
        for predicate in &path.steps[1].predicates {
            let mut next = Vec::new();
            for (position, choice) in kept.iter().enumerate() {
                let env = self.for_choice(choice);
                let keep = match dala_expr::evaluate(predicate, &env)? {
                    Value::Number(n) => n == (position + 1) as f64,
                    other => other.to_boolean(),
                };
                if keep {
                    next.push(*choice);
                }
            }
            kept = next;
        }
        Ok(Some(Value::Nodes(
            kept.iter()
                .filter_map(|c| self.choice_column(c, column).map(Value::String))
                .collect(),
        )))
    }
}

impl Env for NodeEnv<'_> {
    fn reference(&self, name: &str, span: Span) -> Result<Value, Diagnostic> {
        self.value_of(name).ok_or_else(|| {
            Diagnostic::new(
                span,
                Problem::UnknownQuestion {
                    name: name.to_string(),
                },
            )
        })
    }

    fn current(&self) -> Value {
        match self.current {
            Some(v) => {
                super::values::typed(self.engine.form.item(self.node.item).item.item_type, v)
            }
            None => self.engine.typed_value(&self.node),
        }
    }

    fn path(&self, path: &Path, span: Span) -> Result<Value, Diagnostic> {
        if let (Some(choice), PathStart::Relative, [step]) =
            (self.choice, &path.start, path.steps.as_slice())
            && step.axis == Axis::Child
            && step.predicates.is_empty()
            && let NodeTest::Name(column) = &step.test
        {
            return Ok(self
                .choice_column(choice, column)
                .map_or(Value::Nodes(Vec::new()), Value::String));
        }
        if let Some(value) = self.list_lookup(path)? {
            return Ok(value);
        }
        if let PathStart::Filtered(start, predicates) = &path.start {
            return self.filtered(start, predicates, &path.steps, span);
        }
        // Inside a predicate, a relative path starts from the node being tested.
        if let (Some((tested, _)), PathStart::Relative) = (&self.context, &path.start) {
            return NodeEnv::new(self.engine, tested).path(path, span);
        }
        // `current()/..` in a choice filter starts from the question, as `..` does elsewhere.
        let from_current = matches!(&path.start, PathStart::Expr(e)
            if matches!(e.kind, ExprKind::Call(dala_expr::Function::Current, _)));
        let relative = Path {
            start: PathStart::Relative,
            steps: path.steps.clone(),
        };
        let resolved = if from_current {
            self.engine.form.resolve_path(self.node.item, &relative)
        } else if matches!(path.start, PathStart::Expr(_)) {
            return Err(Diagnostic::new(span, Problem::PathsUnavailable));
        } else {
            self.engine.form.resolve_path(self.node.item, path)
        };
        // A node the form does not have is an empty node-set, as in XPath: `name = 'x'` on a
        // question with no child `name` is false.
        let Some(target) = resolved else {
            if path.steps.iter().any(|s| !s.predicates.is_empty()) {
                return Err(Diagnostic::new(span, Problem::PathsUnavailable));
            }
            return Ok(Value::Nodes(Vec::new()));
        };
        let (nodes, single) = self.nodes_of(target);
        if single {
            return Ok(
                if self.engine.form.item(target).item.item_type.is_container() {
                    Value::empty()
                } else {
                    self.engine.typed_value(&nodes[0])
                },
            );
        }
        Ok(Value::Nodes(
            nodes.iter().map(|n| self.engine.typed_value(n)).collect(),
        ))
    }

    fn position(&self, of: Option<&Expr>, span: Span) -> Result<f64, Diagnostic> {
        // position() and position(..) are the current repeat instance; position(${repeat})
        // an enclosing one by name. Inside a group, `..` is the group, the only one of its
        // name where it is: 1, as in ODK.
        if of.is_none()
            && let Some((_, position)) = &self.context
        {
            return Ok(*position as f64);
        }
        let form = &self.engine.form;
        if let Some(ExprKind::Path(path)) = of.map(|e| &e.kind) {
            // `..`, `current()/../..`: the group or repeat instance the path reaches from
            // this node. A group is the only one of its name where it is: 1, as in ODK.
            let relative = Path {
                start: PathStart::Relative,
                steps: path.steps.clone(),
            };
            let reached = match &path.start {
                PathStart::Relative => form.resolve_path(self.node.item, path),
                PathStart::Expr(e)
                    if matches!(e.kind, ExprKind::Call(dala_expr::Function::Current, _)) =>
                {
                    form.resolve_path(self.node.item, &relative)
                }
                _ => None,
            };
            if let Some(reached) = reached {
                if form.item(reached).item.item_type != crate::ItemType::Repeat {
                    return Ok(1.0);
                }
                if let Some(level) = self.scope.iter().position(|s| *s == reached) {
                    return self.position_at(level, span);
                }
            }
        }
        let level = match of.map(|e| &e.kind) {
            Some(ExprKind::Ref(name)) => self
                .engine
                .form
                .id(name)
                .and_then(|id| self.scope.iter().position(|s| *s == id)),
            _ => self.scope.len().checked_sub(1),
        };
        let Some(level) = level else {
            return Err(Diagnostic::new(span, Problem::PositionOutsideRepeat));
        };
        self.position_at(level, span)
    }

    fn indexed_repeat(
        &self,
        name: &str,
        path: &[(&str, f64)],
        span: Span,
    ) -> Result<Value, Diagnostic> {
        let form = &self.engine.form;
        let mut at: Vec<u32> = Vec::new();
        for (repeat, index) in path {
            let Some(repeat) = form.id(repeat) else {
                return Err(Diagnostic::new(
                    span,
                    Problem::UnknownRepeat {
                        name: repeat.to_string(),
                    },
                ));
            };
            let ids = self.engine.containers().get(&(repeat, at.clone()));
            let position = if index.is_finite() && *index >= 1.0 {
                *index as usize - 1
            } else {
                usize::MAX
            };
            match ids.and_then(|ids| ids.get(position)) {
                Some(id) => at.push(*id),
                None => return Ok(Value::empty()),
            }
        }
        let Some(target) = form.id(name) else {
            return Err(Diagnostic::new(
                span,
                Problem::UnknownQuestion {
                    name: name.to_string(),
                },
            ));
        };
        Ok(self.engine.typed_value(&NodeRef {
            item: target,
            path: at,
        }))
    }

    fn choice_name(&self, question: &str, value: &str) -> Option<String> {
        let bare = question
            .trim()
            .trim_start_matches("${")
            .trim_end_matches('}');
        let bare = bare.rsplit('/').next().unwrap_or(bare);
        let id = self.engine.form.id(bare)?;
        let choice = self.engine.form.list(id).iter().find(|c| c.name == value)?;
        choice
            .label
            .get("", self.engine.form.default_language())
            .map(str::to_string)
    }

    /// The first row of the attached list `source` whose `key_column` is `key`: its
    /// `column`. As ODK's pulldata(), a missing list, column or row gives empty.
    fn pulldata(&self, source: &str, column: &str, key_column: &str, key: &str) -> Option<String> {
        self.engine
            .form
            .list_named(source)?
            .iter()
            .find(|row| self.choice_column(row, key_column).as_deref() == Some(key))
            .and_then(|row| self.choice_column(row, column))
    }

    fn now(&self) -> DateTime {
        self.engine.host().now()
    }

    fn random(&self) -> f64 {
        self.engine.host().random()
    }

    fn uuid(&self) -> String {
        self.engine.host().uuid()
    }
}
