//! The browser's side of media questions: the control web/dala_media.js draws (loaded on
//! first use), a file it reports read into memory (a photo scaled down to its `max-pixels`
//! first), and object URLs to show or play what is stored.

use crate::browser::{js_error, lazy_module, module_function};
use crate::media::{Captured, MAX_FILE_BYTES, file_name, scaled_size, scaled_type};
use crate::widget::{Drawing, MediaInput};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why a file could not be taken, for the question to say.
#[derive(Clone, Debug, PartialEq)]
pub enum NotTaken {
    /// Bigger than [`MAX_FILE_BYTES`].
    TooBig { bytes: u64 },
    /// The browser could not read or decode it (its words).
    Unreadable(String),
}

async fn bytes_of(blob: &web_sys::Blob) -> Result<Vec<u8>, NotTaken> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| NotTaken::Unreadable(js_error(e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A photo scaled so its longest side is at most `max` pixels: the blob to keep and its type,
/// or None when it already fits (the file is kept as it is).
async fn scale_photo(
    file: &web_sys::Blob,
    max: u32,
) -> Result<Option<(web_sys::Blob, &'static str)>, String> {
    let bitmap = call("decode", &[file.clone().into()]).await?;
    let side = |name: &str| {
        js_sys::Reflect::get(&bitmap, &name.into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0) as u32
    };
    let Some((width, height)) = scaled_size(side("width"), side("height"), max) else {
        let _ = call_method(&bitmap, "close").await;
        return Ok(None);
    };
    let media_type = scaled_type(&file.type_());
    let blob = call(
        "encode",
        &[
            bitmap,
            JsValue::from(width),
            JsValue::from(height),
            JsValue::from_str(media_type),
            // A camera's usual JPEG quality: a 1024-px photo of a document stays legible.
            JsValue::from_f64(0.9),
        ],
    )
    .await?;
    Ok(Some((blob.unchecked_into(), media_type)))
}

/// A file picked, captured, drawn or recorded for a question (`picked`: the name it had,
/// empty for one made in the page), read (a photo scaled to `max_pixels` first) and
/// described, named by the time it was taken; `taken` says which names the record has.
pub async fn take(
    file: web_sys::Blob,
    picked: &str,
    max_pixels: Option<u32>,
    taken: impl Fn(&str) -> bool,
) -> Result<Captured, NotTaken> {
    let picked_type = file.type_();
    let scaled = match max_pixels {
        Some(max) if picked_type.starts_with("image/") => scale_photo(&file, max)
            .await
            .map_err(NotTaken::Unreadable)?,
        _ => None,
    };
    // A scaled photo is a new file of its own type: its name takes that type's extension.
    let (blob, media_type, picked_name) = match scaled {
        Some((blob, media_type)) => (blob, media_type.to_string(), ""),
        None => (file, picked_type, picked),
    };
    captured(&blob, picked_name, &media_type, taken).await
}

/// Whether the browser reads codes from pictures (the Shape Detection API's
/// BarcodeDetector): where it does not, a barcode question is typed.
pub fn reads_codes() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::has(&w, &JsValue::from_str("BarcodeDetector")).unwrap_or(false)
    })
}

/// The code a photo shows, read by the browser; None when it finds none.
pub async fn read_code(photo: web_sys::Blob) -> Result<Option<String>, String> {
    let text = call("readCode", &[photo.into()]).await?;
    Ok(text.as_string().filter(|t| !t.is_empty()))
}

/// What a media question shows of its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    pub name: String,
    pub media_type: String,
    pub size: u64,
    /// An object URL while there is one to show (revoked when it changes or goes).
    pub url: Option<String>,
    /// The store has no file of that name for the record (one imported without its files).
    pub missing: bool,
}

fn set(object: &js_sys::Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), &value.into());
}

/// Draws a media question's control into `root` (see web/dala_media.js's `mount`);
/// `callbacks` are its onFile, onRemove and onProblem. The handle [`show`] drives.
pub async fn mount(
    root: &web_sys::HtmlElement,
    input: &MediaInput,
    callbacks: &[JsValue],
) -> Result<JsValue, String> {
    let config = js_sys::Object::new();
    set(&config, "accept", input.accept);
    set(
        &config,
        "capture",
        input.capture.map_or(JsValue::NULL, JsValue::from_str),
    );
    set(&config, "pick", input.pick);
    set(
        &config,
        "drawing",
        input.drawing.map_or(JsValue::NULL, |d| {
            JsValue::from_str(match d {
                Drawing::Signature => "signature",
                Drawing::Draw => "draw",
                Drawing::Annotate => "annotate",
            })
        }),
    );
    set(
        &config,
        "recordBits",
        input.record_bits.map_or(JsValue::NULL, JsValue::from),
    );
    let mut args = vec![root.clone().into(), config.into()];
    args.extend(callbacks.iter().cloned());
    call("mount", &args).await
}

/// Brings the control up to date: its words, the file the answer names (with its caption)
/// or none, whether it may be used and whether a file is being prepared.
pub fn show(
    handle: &JsValue,
    words: &[(&str, &str)],
    shown: Option<(&Shown, String)>,
    disabled: bool,
    busy: bool,
) {
    let text = js_sys::Object::new();
    for (key, value) in words {
        set(&text, key, *value);
    }
    let state = shown.map_or(JsValue::NULL, |(s, caption)| {
        let state = js_sys::Object::new();
        set(&state, "name", s.name.as_str());
        set(
            &state,
            "url",
            s.url.as_deref().map_or(JsValue::NULL, JsValue::from_str),
        );
        set(
            &state,
            "kind",
            s.media_type.split('/').next().unwrap_or_default(),
        );
        set(&state, "caption", caption);
        set(&state, "missing", s.missing);
        state.into()
    });
    for (method, value) in [
        ("words", JsValue::from(text)),
        ("disabled", JsValue::from_bool(disabled)),
        ("busy", JsValue::from_bool(busy)),
        ("show", state),
    ] {
        if let Ok(f) = module_function(handle, method) {
            let _ = f.call1(handle, &value);
        }
    }
}

/// Calls a function of the media module and waits for the promise it returns.
async fn call(name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let module = lazy_module("__dalaMedia").await?;
    let result = module_function(&module, name)?
        .apply(&JsValue::NULL, &args.iter().collect::<js_sys::Array>())
        .map_err(js_error)?;
    match result.dyn_into::<js_sys::Promise>() {
        Ok(promise) => JsFuture::from(promise).await.map_err(js_error),
        Err(value) => Ok(value),
    }
}

/// Calls a method of a handle the media module gave (a drawing, a recording).
async fn call_method(handle: &JsValue, name: &str) -> Result<JsValue, String> {
    let result = module_function(handle, name)?
        .call0(handle)
        .map_err(js_error)?;
    match result.dyn_into::<js_sys::Promise>() {
        Ok(promise) => JsFuture::from(promise).await.map_err(js_error),
        Err(value) => Ok(value),
    }
}

/// A blob read, described and named by the time it was taken.
async fn captured(
    blob: &web_sys::Blob,
    picked_name: &str,
    media_type: &str,
    taken: impl Fn(&str) -> bool,
) -> Result<Captured, NotTaken> {
    let size = blob.size() as u64;
    if size > MAX_FILE_BYTES {
        return Err(NotTaken::TooBig { bytes: size });
    }
    let bytes = bytes_of(blob).await?;
    let name = file_name(js_sys::Date::now() as u64, picked_name, media_type, taken);
    Ok(Captured::new(&name, media_type, bytes))
}

/// An object URL for bytes of a type (revoke it with [`revoke`] once it is off the screen).
pub fn object_url(bytes: &[u8], media_type: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    blob_url(&blob)
}

/// An object URL for a stored Blob.
pub fn blob_url(blob: &web_sys::Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

pub fn revoke(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}
