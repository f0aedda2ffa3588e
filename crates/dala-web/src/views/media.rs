//! A media question's control: buttons that open the camera or recorder and pick a file,
//! the file shown (a photo), played (a recording) or named with its size, and a way to
//! replace or remove it. What a file is called and how a photo is scaled is `media`; reading
//! it in the browser is `media_browser`.

use super::interview::Ctx;
use crate::i18n::{Msg, file_too_big};
use crate::media::size_words;
use crate::media_browser::{NotTaken, blob_url, object_url, revoke, take};
use crate::widget::MediaInput;
use dala_core::engine::NodeRef;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// What is on screen for the answer: the file it names, with an object URL while there is
/// one to show (revoked when it changes or the question goes).
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    name: String,
    media_type: String,
    size: u64,
    url: Option<String>,
    /// The store has no file of that name for the record (one imported without its files).
    missing: bool,
}

fn forget(shown: RwSignal<Option<Shown>, LocalStorage>) {
    if let Some(url) = shown.try_get_untracked().flatten().and_then(|s| s.url) {
        revoke(&url);
    }
}

#[component]
pub fn MediaControl(
    id: String,
    node: StoredValue<NodeRef>,
    input: MediaInput,
    ctx: Ctx,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] read_only: Signal<bool>,
    refused: RwSignal<Option<String>>,
) -> impl IntoView {
    let app = ctx.app;
    let shown = RwSignal::new_local(None::<Shown>);
    let preparing = RwSignal::new(false);
    on_cleanup(move || forget(shown));

    // The answer changed (a resumed draft, a file taken back, removed): show what it names,
    // read from the store (a file just taken is shown from its bytes when it is taken).
    Effect::new(move |_| {
        let name = value.get();
        if shown.with_untracked(|s| s.as_ref().is_some_and(|s| s.name == name)) {
            return;
        }
        forget(shown);
        if name.is_empty() {
            shown.set(None);
            return;
        }
        let Some((instance_id, described)) = ctx.with(|s| {
            (
                s.engine().instance_id().to_string(),
                s.engine().file(&name).cloned(),
            )
        }) else {
            return;
        };
        shown.set(Some(Shown {
            name: name.clone(),
            media_type: described
                .as_ref()
                .map(|f| f.media_type.clone())
                .unwrap_or_default(),
            size: described.as_ref().map_or(0, |f| f.size),
            url: None,
            missing: false,
        }));
        let Some(store) = crate::app::store() else {
            return;
        };
        spawn_local(async move {
            let found = store.get_blob(&instance_id, &name).await;
            let missing = matches!(found, Ok(None));
            let url = found.ok().flatten().and_then(|blob| blob_url(&blob));
            let current = shown
                .try_with_untracked(|s| s.as_ref().map(|s| s.name == name))
                .flatten();
            if current == Some(true) {
                shown.update(|s| {
                    if let Some(s) = s {
                        s.url = url;
                        s.missing = missing;
                    }
                });
            } else if let Some(url) = url {
                revoke(&url);
            }
        });
    });

    let max_pixels = input.max_pixels;
    let picked = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| {
                let file = input.files().and_then(|f| f.get(0));
                // The same file may be picked again after a removal.
                input.set_value("");
                file
            })
        else {
            return;
        };
        preparing.set(true);
        refused.set(None);
        spawn_local(async move {
            let taken = move |name: &str| {
                ctx.with(|s| s.engine().file(name).is_some())
                    .unwrap_or(false)
            };
            let result = take(file, max_pixels, taken).await;
            preparing.set(false);
            let lang = app.lang.get_untracked();
            match result {
                Ok(captured) => {
                    forget(shown);
                    shown.set(Some(Shown {
                        name: captured.file.name.clone(),
                        media_type: captured.file.media_type.clone(),
                        size: captured.file.size,
                        url: object_url(&captured.bytes, &captured.file.media_type),
                        missing: false,
                    }));
                    if let Err(reason) = ctx.answer_file(&node.get_value(), captured) {
                        refused.set(Some(reason));
                    }
                }
                Err(NotTaken::TooBig { bytes }) => refused.set(Some(file_too_big(lang, bytes))),
                Err(NotTaken::Unreadable(why)) => refused.set(Some(why)),
            }
        });
    };
    let remove = move |_| {
        if let Err(reason) = ctx.answer(&node.get_value(), "") {
            refused.set(Some(reason));
        }
    };

    let capture_label = match input.accept {
        "image/*" => Msg::TakePhoto,
        "audio/*" => Msg::RecordAudio,
        _ => Msg::RecordVideo,
    };
    let accept = input.accept;
    let capture = input.capture;
    let pick = input.pick;
    let disabled = move || read_only.get() || preparing.get();
    let preview = move || {
        let lang = app.lang.get();
        shown.get().map(|s| {
            let kind = s
                .media_type
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let caption = format!("{} · {}", s.name, size_words(s.size, lang));
            let media = match (kind.as_str(), s.url.clone()) {
                ("image", Some(url)) => {
                    view! { <img class="media-preview" src=url alt=s.name.clone()/> }.into_any()
                }
                ("audio", Some(url)) => view! { <audio controls src=url></audio> }.into_any(),
                ("video", Some(url)) => {
                    view! { <video class="media-preview" controls src=url></video> }.into_any()
                }
                _ => ().into_any(),
            };
            let missing = s
                .missing
                .then(|| view! { <p class="hint">{app.t(Msg::FileMissing)}</p> });
            view! {
                <figure class="media-file">
                    {media}
                    <figcaption>{caption}</figcaption>
                    {missing}
                </figure>
            }
        })
    };
    let has_file = move || shown.with(Option::is_some);
    view! {
        <div class="media" id=id>
            {preview}
            <span class="row">
                {capture.map(|capture| view! {
                    <label class="button" class:disabled=disabled>
                        <input type="file" class="visually-hidden" accept=accept capture=capture
                            disabled=disabled on:change=picked/>
                        {move || app.t(capture_label)}
                    </label>
                })}
                {pick.then(|| view! {
                    <label class="button" class:disabled=disabled>
                        <input type="file" class="visually-hidden" accept=accept
                            disabled=disabled on:change=picked/>
                        {move || if has_file() { app.t(Msg::ReplaceFile) } else { app.t(Msg::ChooseFile) }}
                    </label>
                })}
                <Show when=has_file>
                    <button class="button" disabled=disabled on:click=remove>
                        {move || app.t(Msg::RemoveFile)}
                    </button>
                </Show>
            </span>
            <Show when=move || preparing.get()>
                <p class="hint" role="status">{move || app.t(Msg::Preparing)}</p>
            </Show>
        </div>
    }
}
