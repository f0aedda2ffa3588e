//! The XLSForm importer (crates/dala-import) is a wasm module of its own, loaded the first
//! time a workbook is imported or exported: calamine and zip would nearly double every download of the
//! app. boot.js holds the loader, because a dynamic import is JavaScript and the page's
//! Content-Security-Policy forbids building code from strings.

use wasm_bindgen::{JsCast, JsValue};

/// The importer module, loaded on first use.
async fn module() -> Result<JsValue, String> {
    crate::browser::lazy_module("__dalaImporter").await
}

fn function(module: &JsValue, name: &str) -> Result<js_sys::Function, String> {
    crate::browser::module_function(module, name)
}

fn text(value: JsValue) -> String {
    crate::browser::js_error(value)
}

/// An XLSForm's bytes -> the instrument document (JSON), or the first problem with its cell.
pub async fn xlsform_json(bytes: &[u8], file_name: &str) -> Result<String, String> {
    let module = module().await?;
    let array = js_sys::Uint8Array::from(bytes);
    let result = function(&module, "xlsformJson")?
        .call2(&JsValue::NULL, &array, &JsValue::from_str(file_name))
        .map_err(text)?;
    result
        .as_string()
        .ok_or_else(|| "the importer gave no text".to_string())
}

/// An instrument document (JSON) -> an XLSForm workbook's bytes.
pub async fn instrument_xlsx(json: &str) -> Result<Vec<u8>, String> {
    let module = module().await?;
    let result = function(&module, "instrumentXlsx")?
        .call1(&JsValue::NULL, &JsValue::from_str(json))
        .map_err(text)?;
    result
        .dyn_into::<js_sys::Uint8Array>()
        .map(|a| a.to_vec())
        .map_err(|_| "the importer gave no workbook".to_string())
}

/// A form (a workbook or an instrument document) with the files picked beside it -> the
/// instrument and the lists of the attached files it reads (see dala-import's
/// `form_with_files`), or the first problem.
pub async fn form_with_files(
    form: &[u8],
    form_name: &str,
    files: &[(String, Vec<u8>)],
) -> Result<(dala_core::Instrument, dala_core::Lists), String> {
    let module = module().await?;
    let names = js_sys::Array::new();
    let sizes = js_sys::Uint32Array::new_with_length(files.len() as u32);
    let mut bytes = Vec::new();
    for (i, (name, content)) in files.iter().enumerate() {
        names.push(&JsValue::from_str(name));
        sizes.set_index(i as u32, content.len() as u32);
        bytes.extend_from_slice(content);
    }
    let args = js_sys::Array::of5(
        &js_sys::Uint8Array::from(form),
        &JsValue::from_str(form_name),
        &names,
        &sizes,
        &js_sys::Uint8Array::from(bytes.as_slice()),
    );
    let result = function(&module, "formWithFiles")?
        .apply(&JsValue::NULL, &args)
        .map_err(text)?;
    let texts = js_sys::Array::from(&result);
    let (Some(document), Some(lists)) = (texts.get(0).as_string(), texts.get(1).as_string()) else {
        return Err("the importer gave no instrument".to_string());
    };
    let instrument = dala_core::Instrument::from_json(&document).map_err(|e| e.to_string())?;
    let lists = serde_json::from_str(&lists).map_err(|e| e.to_string())?;
    Ok((instrument, lists))
}

/// A version's files fetched from the server the app came from, with a tablet's token or
/// else the session cookie, their lists read by the importer module.
pub struct ServerFormFiles {
    pub token: Option<String>,
}

impl crate::sync::FormFiles for ServerFormFiles {
    async fn bytes(&self, url: String) -> Result<(u16, Vec<u8>), String> {
        crate::browser::get_bytes_from_server(&url, self.token.as_deref()).await
    }

    async fn lists(
        &self,
        instrument: &dala_core::Instrument,
        files: &[(String, Vec<u8>)],
    ) -> Result<dala_core::Lists, String> {
        if !files.iter().any(|(name, _)| dala_core::is_list_file(name)) {
            return Ok(dala_core::Lists::new());
        }
        let document = instrument.to_json();
        form_with_files(document.as_bytes(), "instrument.json", files)
            .await
            .map(|(_, lists)| lists)
    }
}
