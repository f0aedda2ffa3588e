//! Loading a form file for the commands: JSON instruments and XLSForms (.xlsx, .xls, markdown),
//! told apart by content, with every diagnostic rendered for the terminal. A form's attached
//! files are in the folder `FORM-media` beside it (ODK's layout), or beside the workbook.

use dala_core::{Form, Instrument, Lists, LoadError};
use dala_xlsform::XDiagnostic;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A loaded form: the instrument if one could be built, the lists of its attached files, the
/// bytes of those files, and the rendered problems.
pub struct Loaded {
    pub instrument: Option<Instrument>,
    pub lists: Lists,
    pub files: BTreeMap<String, Vec<u8>>,
    pub messages: Vec<String>,
    pub errors: usize,
}

impl Loaded {
    fn failed(message: String) -> Loaded {
        Loaded {
            instrument: None,
            lists: Lists::new(),
            files: BTreeMap::new(),
            messages: vec![message],
            errors: 1,
        }
    }

    /// The form compiled with its attached lists.
    pub fn compile(&self, instrument: &Instrument) -> Option<Form> {
        Form::compile_with(instrument, self.lists.clone()).ok()
    }
}

/// Attached files larger than this are not read: a list that size is a mistake, and a
/// photo is not read as a list.
const MAX_ATTACHMENT: u64 = 64 * 1024 * 1024;

/// Where a form's attached files are: `FORM-media` beside it when that folder exists, else
/// the form's own folder.
pub fn media_folder(form: &Path) -> PathBuf {
    let stem = form.file_stem().and_then(|s| s.to_str()).unwrap_or("form");
    // A form named without a folder (`visit.xlsx`) has the empty path as its parent.
    let parent = form
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let media = parent.join(format!("{stem}-media"));
    if media.is_dir() {
        media
    } else {
        parent.to_path_buf()
    }
}

/// The files in `folder` a form may attach, by name: lists (.csv, .xml, .geojson) and the
/// pictures, sounds and videos labels show.
fn list_files(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let small = entry
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() <= MAX_ATTACHMENT);
        if small
            && is_attachable(name)
            && let Ok(bytes) = std::fs::read(&path)
        {
            files.insert(name.to_string(), bytes);
        }
    }
    files
}

/// A list, or a picture, sound or video by its extension.
fn is_attachable(name: &str) -> bool {
    let media_type = dala_xlsform::attachments::media_type(name);
    dala_core::is_list_file(name)
        || ["image/", "audio/", "video/"]
            .iter()
            .any(|kind| media_type.starts_with(kind))
}

/// Of the files given, those the instrument attaches.
fn attached(
    instrument: Option<&Instrument>,
    given: BTreeMap<String, Vec<u8>>,
) -> BTreeMap<String, Vec<u8>> {
    let names: Vec<&str> = instrument
        .map(|i| i.attachments.iter().map(|a| a.name.as_str()).collect())
        .unwrap_or_default();
    given
        .into_iter()
        .filter(|(file, _)| names.contains(&file.as_str()))
        .collect()
}

pub fn load(path: &Path) -> Loaded {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return Loaded::failed(format!("error: cannot read {name}: {e}")),
    };
    let files = list_files(&media_folder(path));
    let looks_like_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if looks_like_json {
        return load_json(&name, &String::from_utf8_lossy(&bytes), files);
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("form");
    let conversion = dala_xlsform::read_with_files(&bytes, stem, &files);
    let errors = conversion
        .diagnostics
        .iter()
        .filter(|d| !d.code.is_warning())
        .count();
    let messages = conversion
        .diagnostics
        .iter()
        .map(|d| render_x(&name, d))
        .collect();
    // Only the files the form reads or shows travel with it.
    let files = attached(conversion.instrument.as_ref(), files);
    Loaded {
        instrument: conversion.instrument,
        lists: conversion.lists,
        files,
        messages,
        errors,
    }
}

fn render_x(file: &str, d: &XDiagnostic) -> String {
    // `error[V004] form.xlsx survey!E6 (relevant): ...` then the expression with a caret.
    let rendered = d.render();
    match rendered.split_once(' ') {
        Some((head, rest)) => format!("{head} {file} {rest}"),
        None => rendered,
    }
}

fn load_json(name: &str, text: &str, given: BTreeMap<String, Vec<u8>>) -> Loaded {
    let instrument = match Instrument::from_json(text) {
        Ok(instrument) => instrument,
        Err(e @ LoadError::Syntax { .. }) => {
            return Loaded::failed(format!("error[J001] {name}: {e}"));
        }
        Err(e) => return Loaded::failed(format!("error[J002] {name}: {e}")),
    };
    // The attached lists the document names, read from the files beside it; a missing one
    // is V022 below, an unreadable one an error naming it and its line.
    let (lists, unreadable) = dala_xlsform::attachments::read_lists(&instrument, &given);
    let files = attached(Some(&instrument), given);
    let list_messages: Vec<String> = unreadable
        .iter()
        .map(|(file, error)| {
            format!(
                "error[X012] {file}{}: {}",
                error.line.map(|l| format!(" line {l}")).unwrap_or_default(),
                dala_xlsform::attachments::problem_words(&error.problem)
            )
        })
        .collect();
    let mut diagnostics = dala_core::validate(&instrument);
    if let Err(refused) = Form::compile_with(&instrument, lists.clone()) {
        diagnostics.extend(
            refused
                .into_iter()
                .filter(|d| d.code == dala_core::VCode::MissingAttachment),
        );
    }
    let errors = diagnostics.iter().filter(|d| !d.code.is_warning()).count();
    let messages = diagnostics
        .iter()
        .map(|d| {
            let severity = if d.code.is_warning() {
                "warning"
            } else {
                "error"
            };
            let mut out = format!(
                "{severity}[{}] {name} {}: {}",
                d.code.as_str(),
                d.location.pointer,
                dala_words::diagnostic(d)
            );
            if let (Some(span), Some(source)) = (
                d.location.span,
                expression_at(&instrument, &d.location.pointer),
            ) {
                out.push_str(&dala_expr::caret_lines(&source, span));
            }
            out
        })
        .collect();
    let errors = errors + list_messages.len();
    let mut messages: Vec<String> = messages;
    messages.extend(list_messages);
    Loaded {
        instrument: Some(instrument),
        lists,
        files,
        messages,
        errors,
    }
}

/// The expression a JSON pointer such as `/survey/2/children/0/relevant` names.
fn expression_at(instrument: &Instrument, pointer: &str) -> Option<String> {
    let value = serde_json::to_value(instrument).ok()?;
    value.pointer(pointer)?.as_str().map(str::to_string)
}

/// The system clock as the expression language wants it, in the given UTC offset.
pub fn system_now(offset_minutes: i32) -> dala_expr::date::DateTime {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    dala_expr::date::DateTime {
        epoch_ms: ms,
        offset_minutes,
    }
}
