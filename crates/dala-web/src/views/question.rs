//! One question with its control (see `widget` for which), label, hint, required mark and
//! message. Its parts re-render when the engine reports a change of this node, and only
//! then: they read the form language untracked, since a switch of language bumps every
//! question's counter (thousands of effects subscribed to one shared signal would make each
//! re-run pay for unsubscribing from it).

use super::interview::Ctx;
use super::label::rich;
use super::media::MediaControl;
use crate::i18n::{Msg, held_answers, points_problem};
use crate::widget::{Widget, join_date_time, matches_search, rank_move, toggle, widget_for};
use crate::{browser, geopoints};
use dala_core::engine::{NodeRef, ProblemKind};
use leptos::prelude::*;

/// Asks the device for its position once (`locating` while it does), hands the point to
/// `done`, or says why there is none under the question (`failed` is the interface's words).
fn locate(
    locating: RwSignal<bool>,
    refused: RwSignal<Option<String>>,
    failed: &'static str,
    done: impl FnOnce(String) + 'static,
) {
    locating.set(true);
    browser::locate(move |result| {
        locating.set(false);
        match result {
            Ok(point) => done(point),
            Err(e) => refused.set(Some(format!("{failed}: {e}"))),
        }
    });
}

/// A stable DOM id for a node: its name and instance path.
fn dom_id(name: &str, node: &NodeRef) -> String {
    let mut id = format!("q-{name}");
    for p in &node.path {
        id.push_str(&format!("-{p}"));
    }
    id
}

#[component]
pub fn Question(node: NodeRef, ctx: Ctx) -> impl IntoView {
    let app = ctx.app;
    // Copy handles for the closures below, tied to this component; the counters live
    // in the interview's map.
    let revs = ctx.revs(&node);
    let rev = RwSignal::from(revs.content);
    // What never changes for this node, read once (the item itself stays in the form).
    let Some((widget, name, type_name)) = ctx.with(|s| {
        let form = s.engine().form();
        let item = &form.item(node.item).item;
        (
            widget_for(item, form.list(node.item).len()),
            item.name.clone(),
            item.item_type.as_str(),
        )
    }) else {
        return ().into_any();
    };
    let id = dom_id(&name, &node);
    let for_id = id.clone();
    // An answer the engine refused (e.g. letters in a number): shown, not stored.
    let refused = RwSignal::new(None::<String>);
    let node = StoredValue::new(node);

    let value = move || {
        rev.track();
        ctx.with(|s| node.with_value(|n| s.engine().value(n).to_string()))
            .unwrap_or_default()
    };
    let read_only = move || {
        rev.track();
        ctx.with(|s| s.read_only() || node.with_value(|n| s.engine().read_only(n)))
            .unwrap_or(true)
    };
    let set = move |v: String| match ctx.answer(&node.get_value(), &v) {
        Ok(()) => refused.set(None),
        Err(reason) => refused.set(Some(reason)),
    };
    let message = move || {
        rev.track();
        let lang = ctx.form_lang.get_untracked();
        refused.get().or_else(|| {
            ctx.with(|s| {
                let e = s.engine();
                let n = node.get_value();
                if e.constraint_violated(&n) {
                    Some(
                        s.designer_message(&n, ProblemKind::Constraint, &lang)
                            .unwrap_or_else(|| app.t(Msg::NotAllowed).to_string()),
                    )
                } else if ctx.flagged(&n) && e.required(&n) && e.value(&n).is_empty() {
                    // Said once "Next" stopped here or a closing-screen link led here, not
                    // before the enumerator has had a chance to answer.
                    Some(
                        s.designer_message(&n, ProblemKind::Required, &lang)
                            .unwrap_or_else(|| app.t(Msg::RequiresAnswer).to_string()),
                    )
                } else {
                    None
                }
            })
            .flatten()
        })
    };
    // Instances of a counted repeat held back because this answer lowered the count: said
    // beside it, so the enumerator knows their answers are kept and how to get them back.
    let held = move || {
        rev.track();
        let lang = ctx.form_lang.get_untracked();
        ctx.with(|s| {
            let form = s.engine().form();
            s.engine()
                .held_by(&node.get_value())
                .into_iter()
                .map(|(repeat, n)| {
                    let item = &form.item(repeat).item;
                    let label = item
                        .label
                        .get(&lang, form.default_language())
                        .unwrap_or(&item.name);
                    held_answers(app.lang.get_untracked(), label, n)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    // (code, label, media) of the choices as they stand (a choice_filter can change them).
    let choices = move || {
        rev.track();
        let lang = ctx.form_lang.get_untracked();
        ctx.with(|s| {
            let form = s.engine().form();
            // Most lists show no pictures: a 16,000-row list does not look for them.
            let shows_media = form
                .instrument
                .attachments
                .iter()
                .any(|a| !dala_core::is_list_file(&a.name));
            s.engine()
                .choices(&node.get_value())
                .into_iter()
                .map(|c| {
                    let label = c
                        .label
                        .get(&lang, form.default_language())
                        .unwrap_or(&c.name)
                        .to_string();
                    let media: Vec<_> = if shows_media {
                        form.label_media(&c.extra, &lang)
                            .into_iter()
                            .map(|(kind, file)| (kind, file.clone()))
                            .collect()
                    } else {
                        Vec::new()
                    };
                    (c.name.clone(), label, media)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };

    let control = match widget {
        Widget::Note | Widget::None => ().into_any(),
        Widget::Text { multiline: true } => view! {
            <textarea id=id.clone() rows="4" prop:value=value disabled=read_only
                on:input=move |ev| set(event_target_value(&ev))></textarea>
        }
        .into_any(),
        Widget::Text { multiline: false } => view! {
            <input id=id.clone() type="text" prop:value=value disabled=read_only
                on:input=move |ev| set(event_target_value(&ev))/>
        }
        .into_any(),
        Widget::Number { decimal } => {
            // The engine stores a number in canonical form (`1.` is 1, `1.50` is 1.5): while
            // the enumerator types, the field keeps what was typed as long as it still stands
            // for the stored answer, or `1.` could never become `1.5`; leaving it shows the
            // stored form.
            let typed = RwSignal::new(None::<(String, String)>);
            let shown = move || {
                let stored = value();
                match typed.get() {
                    Some((raw, was)) if was == stored => raw,
                    _ => stored,
                }
            };
            view! {
                <input id=id.clone() type="text" inputmode=if decimal { "decimal" } else { "numeric" }
                    prop:value=shown disabled=read_only
                    on:input=move |ev| {
                        let raw = event_target_value(&ev).replace(',', ".");
                        set(raw.clone());
                        typed.set(Some((raw, value())));
                    }
                    on:change=move |_| typed.set(None)/>
            }
            .into_any()
        }
        Widget::Media(input) => view! {
            <MediaControl id=id.clone() node=node input=input ctx=ctx value=Signal::derive(value)
                read_only=Signal::derive(read_only) refused=refused/>
        }
        .into_any(),
        Widget::Barcode => view! {
            <input id=id.clone() type="text" inputmode="text" autocomplete="off" prop:value=value
                disabled=read_only on:change=move |ev| set(event_target_value(&ev))/>
            <super::media::ScanCode app=app read_only=Signal::derive(read_only)
                on_code=Callback::new(move |code: String| set(code))/>
        }
        .into_any(),
        Widget::Date => view! {
            <input id=id.clone() type="date" prop:value=value disabled=read_only
                on:change=move |ev| set(event_target_value(&ev))/>
        }
        .into_any(),
        Widget::Time => view! {
            <input id=id.clone() type="time" prop:value=value disabled=read_only
                on:change=move |ev| set(event_target_value(&ev))/>
        }
        .into_any(),
        Widget::DateTime => {
            let (date, time) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
            Effect::new(move |_| {
                let v = value();
                let (d, t) = v.split_once('T').unwrap_or((&v, ""));
                date.set(d.to_string());
                time.set(t.chars().take(5).collect());
            });
            view! {
                <span class="row">
                    <input id=id.clone() type="date" prop:value=move || date.get() disabled=read_only
                        on:change=move |ev| { date.set(event_target_value(&ev)); set(join_date_time(&date.get_untracked(), &time.get_untracked())); }/>
                    <input type="time" prop:value=move || time.get() disabled=read_only
                        on:change=move |ev| { time.set(event_target_value(&ev)); set(join_date_time(&date.get_untracked(), &time.get_untracked())); }/>
                </span>
            }
            .into_any()
        }
        Widget::Range { start, end, step } => view! {
            <span class="row">
                <input id=id.clone() type="range" min=start max=end step=step
                    prop:value=move || { let v = value(); if v.is_empty() { start.to_string() } else { v } }
                    disabled=read_only
                    on:change=move |ev| set(event_target_value(&ev))/>
                <output>{value}</output>
            </span>
        }
        .into_any(),
        Widget::Acknowledge => view! {
            <label class="choice">
                <input id=id.clone() type="checkbox" prop:checked=move || value() == "OK" disabled=read_only
                    on:change=move |ev| set(if event_target_checked(&ev) { "OK".into() } else { String::new() })/>
                <span>{move || app.t(Msg::Acknowledge)}</span>
            </label>
        }
        .into_any(),
        Widget::Geopoint => {
            let locating = RwSignal::new(false);
            view! {
                <span class="row">
                    <button class="button locate" disabled=move || read_only() || locating.get()
                        on:click=move |_| locate(locating, refused, app.t(Msg::LocationFailed), set)>
                        {move || app.t(Msg::GetLocation)}
                    </button>
                    <output id=id.clone()>{value}</output>
                </span>
            }
            .into_any()
        }
        Widget::GeoPoints { closed } => {
            // The list as the enumerator makes it (a point being typed may be unfinished);
            // the answer is set from it whenever it makes one, and cleared while it does not.
            let points = RwSignal::new(geopoints::from_answer(&value(), closed));
            Effect::new(move |_| {
                let stored = value();
                let shown: Vec<String> = points
                    .get_untracked()
                    .into_iter()
                    .filter(|p| !p.trim().is_empty())
                    .collect();
                if !stored.is_empty() && geopoints::from_answer(&stored, closed) != shown {
                    points.set(geopoints::from_answer(&stored, closed));
                }
            });
            let commit = move |list: Vec<String>| {
                let answer = geopoints::to_answer(&list, closed);
                points.set(list);
                match answer {
                    Ok(answer) => set(answer),
                    Err(problem) => {
                        set(String::new());
                        refused.set(Some(points_problem(app.lang.get_untracked(), problem)));
                    }
                }
            };
            let locating = RwSignal::new(false);
            view! {
                <div class="points" id=id.clone()>
                    <ol>
                        {move || points.get().into_iter().enumerate().map(|(i, point)| view! {
                            <li class="row">
                                <span class="point-number" aria-hidden="true">{i + 1}</span>
                                <input type="text" prop:value=point
                                    placeholder=move || app.t(Msg::PointHint)
                                    aria-label=move || format!("{} {}", app.t(Msg::PointHint), i + 1)
                                    disabled=read_only
                                    on:change=move |ev| {
                                        let mut list = points.get_untracked();
                                        if let Some(p) = list.get_mut(i) {
                                            *p = event_target_value(&ev);
                                        }
                                        commit(list);
                                    }/>
                                <button class="button" disabled=read_only
                                    aria-label=move || format!("{} {}", app.t(Msg::RemovePoint), i + 1)
                                    on:click=move |_| {
                                        let mut list = points.get_untracked();
                                        if i < list.len() {
                                            list.remove(i);
                                        }
                                        commit(list);
                                    }>"✕"</button>
                            </li>
                        }).collect_view()}
                    </ol>
                    <span class="row">
                        <button class="button locate" disabled=move || read_only() || locating.get()
                            on:click=move |_| locate(locating, refused, app.t(Msg::LocationFailed), move |point| {
                                let mut list = points.get_untracked();
                                list.retain(|p| !p.trim().is_empty());
                                list.push(point);
                                commit(list);
                            })>
                            {move || app.t(Msg::AddLocation)}
                        </button>
                        <button class="button" disabled=read_only
                            on:click=move |_| points.update(|list| list.push(String::new()))>
                            {move || app.t(Msg::TypePoint)}
                        </button>
                    </span>
                </div>
            }
            .into_any()
        }
        Widget::SelectOne { searchable } => {
            let query = RwSignal::new(String::new());
            let group = id.clone();
            view! {
                <div class="choices" role="radiogroup" id=id.clone()>
                    {searchable.then(|| view! {
                        <input type="search" class="search" placeholder=move || app.t(Msg::Search)
                            prop:value=move || query.get()
                            on:input=move |ev| query.set(event_target_value(&ev))/>
                    })}
                    {move || {
                        let current = value();
                        let q = query.get();
                        let group = group.clone();
                        choices().into_iter()
                            .filter(|(code, label, _)| !searchable || q.is_empty() || *code == current || matches_search(label, &q))
                            .map(|(code, label, media)| {
                                let checked = code == current;
                                let pick = code.clone();
                                view! {
                                    <label class="choice" class:checked=checked>
                                        <input type="radio" name=group.clone() value=code checked=checked
                                            disabled=read_only
                                            on:change=move |_| set(pick.clone())/>
                                        <span>{rich(&label)}</span>
                                        {super::label_media::label_media(media)}
                                    </label>
                                }
                            }).collect_view()
                    }}
                    <Show when=move || !value().is_empty() && !read_only()>
                        <button class="link clear" on:click=move |_| set(String::new())>
                            {move || app.t(Msg::Clear)}
                        </button>
                    </Show>
                </div>
            }
            .into_any()
        }
        Widget::SelectMultiple => view! {
            <div class="choices" id=id.clone()>
                {move || {
                    let current = value();
                    let selected: Vec<&str> = current.split_whitespace().collect();
                    choices().into_iter().map(|(code, label, media)| {
                        let checked = selected.contains(&code.as_str());
                        let pick = code.clone();
                        view! {
                            <label class="choice" class:checked=checked>
                                <input type="checkbox" value=code checked=checked disabled=read_only
                                    on:change=move |_| set(toggle(&value(), &pick))/>
                                <span>{rich(&label)}</span>
                                {super::label_media::label_media(media)}
                            </label>
                        }
                    }).collect_view()
                }}
            </div>
        }
        .into_any(),
        Widget::Rank => view! {
            <ol class="rank" id=id.clone()>
                {move || {
                    let all = choices();
                    let current = value();
                    let codes: Vec<String> = if current.is_empty() {
                        all.iter().map(|(c, _, _)| c.clone()).collect()
                    } else {
                        current.split_whitespace().map(str::to_string).collect()
                    };
                    let count = codes.len();
                    codes.iter().enumerate().map(|(i, code)| {
                        let label = all.iter().find(|(c, _, _)| c == code).map_or_else(|| code.clone(), |(_, l, _)| l.clone());
                        let all_codes: Vec<String> = all.iter().map(|(c, _, _)| c.clone()).collect();
                        let all_down = all_codes.clone();
                        view! {
                            <li class="rank-item">
                                <span>{rich(&label)}</span>
                                <button class="button" aria-label=move || app.t(Msg::MoveUp) disabled={move || i == 0 || read_only()}
                                    on:click=move |_| {
                                        let refs: Vec<&str> = all_codes.iter().map(String::as_str).collect();
                                        set(rank_move(&value(), &refs, i, i.saturating_sub(1)));
                                    }>"↑"</button>
                                <button class="button" aria-label=move || app.t(Msg::MoveDown) disabled={move || i + 1 >= count || read_only()}
                                    on:click=move |_| {
                                        let refs: Vec<&str> = all_down.iter().map(String::as_str).collect();
                                        set(rank_move(&value(), &refs, i, i + 1));
                                    }>"↓"</button>
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
        }
        .into_any(),
    };

    // Label, required mark and hint re-render together: one effect per question instead of
    // one per part, because a page of hundreds of questions pays for every effect it creates.
    let heading = move || {
        rev.track();
        let lang = ctx.form_lang.get_untracked();
        let (label, hint, required, waiting, media) = ctx
            .with(|s| {
                let e = s.engine();
                let n = node.get_value();
                let media: Vec<_> = e
                    .label_media(&n, &lang)
                    .into_iter()
                    .map(|(kind, file)| (kind, file.clone()))
                    .collect();
                (
                    e.label(&n, &lang),
                    e.hint(&n, &lang),
                    e.required(&n),
                    e.note_awaits_its_values(&n),
                    media,
                )
            })
            .unwrap_or_default();
        // A note that shows answers none of which is given yet says nothing until one is.
        if waiting {
            return None;
        }
        let for_id = for_id.clone();
        Some(view! {
            <label class="question-label" for=for_id>
                {rich(&label)}
                {required.then(|| view! {
                    <span class="required" title=app.t(Msg::Required)>" *"</span>
                })}
            </label>
            {super::label_media::label_media(media)}
            {(!hint.is_empty()).then(|| view! { <p class="hint">{rich(&hint)}</p> })}
        })
    };
    // The page builds every question it holds once; relevance only shows or hides it, on the
    // element itself (Ctx::apply), once the element is known here.
    let hidden = !ctx.relevant(&node.get_value());
    let element = leptos::prelude::NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(div) = element.get() {
            let div = web_sys::HtmlElement::from(div);
            ctx.mounted(node.get_value(), div.clone());
            // The relevance may have changed between the build and now.
            div.set_hidden(!ctx.relevant(&node.get_value()));
            on_cleanup(move || ctx.unmounted(&node.get_value(), &div));
        }
    });
    view! {
        <div class="question" data-name=name.clone() data-type=type_name hidden=hidden node_ref=element>
            {heading}
            {control}
            {move || message().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {move || held().into_iter().map(|m| view! { <p class="held" role="status">{m}</p> }).collect_view()}
        </div>
    }
    .into_any()
}
