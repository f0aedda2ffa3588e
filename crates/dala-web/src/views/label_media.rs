//! The pictures, sounds and videos a label shows (XLSForm's `image`, `audio`, `video`
//! columns), read from the form's attached files kept on the device (`form_files`). A file
//! not kept (a form imported without it) shows nothing: the label's text stands alone.

use dala_core::{Attachment, MediaKind};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    /// Object URLs by digest, made once per page load and kept: a form's label media are
    /// few, and a question comes back on every visit to its page.
    static URLS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// The object URL of a kept form file, made on first use.
async fn url_of(file: &Attachment) -> Option<String> {
    if let Some(url) = URLS.with(|urls| urls.borrow().get(&file.sha256).cloned()) {
        return Some(url);
    }
    let blob = crate::app::store()?
        .get_form_blob(file)
        .await
        .ok()
        .flatten()?;
    let url = crate::media_browser::blob_url(&blob)?;
    URLS.with(|urls| urls.borrow_mut().insert(file.sha256.clone(), url.clone()));
    Some(url)
}

/// The media of one label, in kind order (image, big image, audio, video). With both an
/// image and a big image, the image links to the big one, as ODK opens it on a tap.
pub fn label_media(files: Vec<(MediaKind, Attachment)>) -> Option<AnyView> {
    if files.is_empty() {
        return None;
    }
    let big = files
        .iter()
        .find(|(kind, _)| *kind == MediaKind::BigImage)
        .map(|(_, file)| file.clone());
    let has_image = files.iter().any(|(kind, _)| *kind == MediaKind::Image);
    let views = files
        .into_iter()
        .filter(|(kind, _)| !(has_image && *kind == MediaKind::BigImage))
        .map(|(kind, file)| one(kind, file, big.clone().filter(|_| has_image)))
        .collect_view();
    Some(view! { <div class="label-media">{views}</div> }.into_any())
}

fn one(kind: MediaKind, file: Attachment, big: Option<Attachment>) -> AnyView {
    let name = file_stem(&file.name);
    let url = RwSignal::new(None::<String>);
    let big_url = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Some(found) = url_of(&file).await {
            let _ = url.try_set(Some(found));
        }
        if let Some(big) = big
            && let Some(found) = url_of(&big).await
        {
            let _ = big_url.try_set(Some(found));
        }
    });
    let shown = move || -> Option<AnyView> {
        let src = url.get()?;
        Some(match kind {
            MediaKind::Image | MediaKind::BigImage => {
                let image = view! { <img src=src alt=name.clone()/> };
                match big_url.get() {
                    Some(href) => view! {
                        <a href=href target="_blank" rel="noopener">{image}</a>
                    }
                    .into_any(),
                    None => image.into_any(),
                }
            }
            MediaKind::Audio => {
                view! { <audio controls=true preload="metadata" src=src aria-label=name.clone()></audio> }
                    .into_any()
            }
            MediaKind::Video => {
                view! { <video controls=true preload="metadata" src=src aria-label=name.clone()></video> }
                    .into_any()
            }
        })
    };
    shown.into_any()
}

/// What a screen reader says for a label's file: its name without the extension
/// (`police-badge`), the best the form gives.
fn file_stem(name: &str) -> String {
    name.rsplit_once('.')
        .map_or(name, |(stem, _)| stem)
        .replace(['-', '_'], " ")
}
