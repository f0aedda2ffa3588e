//! The browser's side of media questions: a picked or captured file read into memory, a photo
//! scaled down to its `max-pixels` first (by web/dala_media.js, loaded on first use), and
//! object URLs to show or play what is stored.

use crate::browser::{js_error, lazy_module, module_function};
use crate::media::{Captured, MAX_FILE_BYTES, file_name, scaled_size, scaled_type};
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
    file: &web_sys::File,
    max: u32,
) -> Result<Option<(web_sys::Blob, &'static str)>, String> {
    let module = lazy_module("__dalaMedia").await?;
    let decoded = module_function(&module, "decode")?
        .call1(&JsValue::NULL, file)
        .map_err(js_error)?;
    let bitmap = JsFuture::from(js_sys::Promise::from(decoded))
        .await
        .map_err(js_error)?;
    let side = |name: &str| {
        js_sys::Reflect::get(&bitmap, &name.into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0) as u32
    };
    let Some((width, height)) = scaled_size(side("width"), side("height"), max) else {
        let _ = js_sys::Reflect::get(&bitmap, &"close".into())
            .ok()
            .and_then(|close| close.dyn_into::<js_sys::Function>().ok())
            .map(|close| close.call0(&bitmap));
        return Ok(None);
    };
    let media_type = scaled_type(&file.type_());
    let args = js_sys::Array::of5(
        &bitmap,
        &JsValue::from(width),
        &JsValue::from(height),
        &JsValue::from_str(media_type),
        // A camera's usual JPEG quality: a 1024-px photo of a document stays legible.
        &JsValue::from_f64(0.9),
    );
    let encoded = module_function(&module, "encode")?
        .apply(&JsValue::NULL, &args)
        .map_err(js_error)?;
    let blob = JsFuture::from(js_sys::Promise::from(encoded))
        .await
        .map_err(js_error)?;
    Ok(Some((blob.unchecked_into(), media_type)))
}

/// A file picked or captured for a question, read (a photo scaled to `max_pixels` first) and
/// described, named by the time it was taken; `taken` says which names the record has.
pub async fn take(
    file: web_sys::File,
    max_pixels: Option<u32>,
    taken: impl Fn(&str) -> bool,
) -> Result<Captured, NotTaken> {
    let picked = file.type_();
    let scaled = match max_pixels {
        Some(max) if picked.starts_with("image/") => scale_photo(&file, max)
            .await
            .map_err(NotTaken::Unreadable)?,
        _ => None,
    };
    // A scaled photo is a new file of its own type: its name takes that type's extension.
    let (blob, media_type, picked_name): (web_sys::Blob, String, String) = match scaled {
        Some((blob, media_type)) => (blob, media_type.to_string(), String::new()),
        None => (file.clone().into(), picked, file.name()),
    };
    let size = blob.size() as u64;
    if size > MAX_FILE_BYTES {
        return Err(NotTaken::TooBig { bytes: size });
    }
    let bytes = bytes_of(&blob).await?;
    let name = file_name(js_sys::Date::now() as u64, &picked_name, &media_type, taken);
    Ok(Captured::new(&name, &media_type, bytes))
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
