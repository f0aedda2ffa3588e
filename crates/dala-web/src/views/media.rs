//! A media question's control. Its buttons, preview, drawing pad and recorder are drawn by
//! web/dala_media.js, loaded only when a media question is first shown (a form without one
//! never downloads them); this component gives it the question's settings and words, shows
//! what the answer names, and takes the files it reports: read, described, named and stored
//! with the answer in Rust (`media`, `media_browser`, `Ctx::answer_file`).

use super::interview::Ctx;
use crate::i18n::{Lang, Msg, file_too_big};
use crate::media::{Captured, size_words};
use crate::media_browser::{self as browser, NotTaken, Shown};
use crate::widget::MediaInput;
use dala_core::engine::NodeRef;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;

fn forget(shown: RwSignal<Option<Shown>, LocalStorage>) {
    if let Some(url) = shown.try_get_untracked().flatten().and_then(|s| s.url) {
        browser::revoke(&url);
    }
}

/// The words the control shows, in the interface language.
fn words(input: &MediaInput, lang: Lang) -> Vec<(&'static str, &'static str)> {
    let capture = match input.accept {
        "image/*" => Msg::TakePhoto,
        "audio/*" => Msg::RecordAudio,
        _ => Msg::RecordVideo,
    };
    [
        ("capture", capture),
        ("record", Msg::RecordAudio),
        ("stop", Msg::StopRecording),
        ("recording", Msg::RecordingNow),
        ("choose", Msg::ChooseFile),
        ("replace", Msg::ReplaceFile),
        ("remove", Msg::RemoveFile),
        ("preparing", Msg::Preparing),
        ("missing", Msg::FileMissing),
        ("keepSignature", Msg::KeepSignature),
        ("keepDrawing", Msg::KeepDrawing),
        ("clear", Msg::ClearDrawing),
        ("drawAgain", Msg::DrawAgain),
        ("choosePicture", Msg::ChoosePicture),
        ("nothingDrawn", Msg::NothingDrawn),
    ]
    .into_iter()
    .map(|(key, msg)| (key, msg.text(lang)))
    .collect()
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
    let root = leptos::prelude::NodeRef::<leptos::html::Div>::new();
    let shown = RwSignal::new_local(None::<Shown>);
    let preparing = RwSignal::new(false);
    // The control the module drew, once it is loaded; the callbacks it holds live as long
    // as the question.
    let control = RwSignal::new_local(None::<JsValue>);
    let callbacks = StoredValue::new_local(Vec::<Closure<dyn FnMut(JsValue, JsValue)>>::new());
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
            let url = found
                .ok()
                .flatten()
                .and_then(|blob| browser::blob_url(&blob));
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
                browser::revoke(&url);
            }
        });
    });

    // A file taken, drawn or recorded: shown at once and given to the question.
    let kept = move |result: Result<Captured, NotTaken>| {
        preparing.set(false);
        let lang = app.lang.get_untracked();
        match result {
            Ok(captured) => {
                forget(shown);
                shown.set(Some(Shown {
                    name: captured.file.name.clone(),
                    media_type: captured.file.media_type.clone(),
                    size: captured.file.size,
                    url: browser::object_url(&captured.bytes, &captured.file.media_type),
                    missing: false,
                }));
                if let Err(reason) = ctx.answer_file(&node.get_value(), captured) {
                    refused.set(Some(reason));
                }
            }
            Err(NotTaken::TooBig { bytes }) => refused.set(Some(file_too_big(lang, bytes))),
            Err(NotTaken::Unreadable(why)) => refused.set(Some(why)),
        }
    };
    let max_pixels = input.max_pixels;
    let on_file = move |blob: JsValue, picked: JsValue| {
        let Ok(blob) = wasm_bindgen::JsCast::dyn_into::<web_sys::Blob>(blob) else {
            return;
        };
        preparing.set(true);
        refused.set(None);
        spawn_local(async move {
            // The names the record has: a new file never takes one of them.
            let taken = move |name: &str| {
                ctx.with(|s| s.engine().file(name).is_some())
                    .unwrap_or(false)
            };
            let picked = picked.as_string().unwrap_or_default();
            kept(browser::take(blob, &picked, max_pixels, taken).await);
        });
    };
    let on_remove = move |_: JsValue, _: JsValue| {
        if let Err(reason) = ctx.answer(&node.get_value(), "") {
            refused.set(Some(reason));
        }
    };
    let on_problem = move |words: JsValue, _: JsValue| {
        refused.set(words.as_string());
    };

    // Loads the module and draws the control once the element is on the page.
    let config = input.clone();
    Effect::new(move |_| {
        let Some(element) = root.get() else {
            return;
        };
        if control.with_untracked(Option::is_some) {
            return;
        }
        let made: Vec<Closure<dyn FnMut(JsValue, JsValue)>> = vec![
            Closure::new(on_file),
            Closure::new(on_remove),
            Closure::new(on_problem),
        ];
        let functions: Vec<JsValue> = made.iter().map(|c| c.as_ref().clone()).collect::<Vec<_>>();
        callbacks.set_value(made);
        let config = config.clone();
        spawn_local(async move {
            match browser::mount(&element, &config, &functions).await {
                Ok(handle) => control.set(Some(handle)),
                Err(why) => refused.set(Some(why)),
            }
        });
    });
    // What the control shows follows the answer, the language and the question's state.
    let words_of = input.clone();
    Effect::new(move |_| {
        let lang = app.lang.get();
        let state = shown.get();
        let disabled = read_only.get();
        let busy = preparing.get();
        control.with(|handle| {
            let Some(handle) = handle else { return };
            browser::show(
                handle,
                &words(&words_of, lang),
                state
                    .as_ref()
                    .map(|s| (s, format!("{} · {}", s.name, size_words(s.size, lang)))),
                disabled,
                busy,
            );
        });
    });

    view! { <div class="media" id=id node_ref=root></div> }
}

/// A barcode question's camera: where the browser reads codes, a photo taken of the code
/// gives the answer (typing stays possible); elsewhere the question says it is typed.
#[component]
pub fn ScanCode(
    app: crate::app::AppState,
    #[prop(into)] read_only: Signal<bool>,
    on_code: Callback<String>,
) -> impl IntoView {
    if !browser::reads_codes() {
        return view! { <p class="hint">{move || app.t(Msg::BarcodeTyped)}</p> }.into_any();
    }
    let problem = RwSignal::new(None::<String>);
    let on_change = move |ev: leptos::ev::Event| {
        let Some(photo) = crate::browser::take_picked(&ev).into_iter().next() else {
            return;
        };
        spawn_local(async move {
            match browser::read_code(photo.into()).await {
                Ok(Some(code)) => {
                    problem.set(None);
                    on_code.run(code);
                }
                Ok(None) => problem.set(Some(app.t(Msg::NoCodeFound).to_string())),
                Err(why) => problem.set(Some(why)),
            }
        });
    };
    view! {
        <Show when=move || !read_only.get()>
            <label class="button scan-code">
                {move || app.t(Msg::ScanCode)}
                <input type="file" accept="image/*" capture="environment" class="visually-hidden"
                    on:change=on_change/>
            </label>
        </Show>
        {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
    }
    .into_any()
}
