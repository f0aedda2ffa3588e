//! Column headers as designers write them: case, spaces, old spellings and language suffixes.

/// The columns of the survey and choices sheets: dala-core's one model of them, with their
/// XLSForm spellings.
pub use dala_core::Column;

fn canonical(name: &str) -> Option<Column> {
    Column::from_header(name)
}

/// A parsed header: a known column (with its language for translatable ones), or an extra
/// column kept as an attribute under its name as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Header {
    Known(Column, Option<String>),
    Extra(String),
    /// A column whose header starts with `#`: a designer's comment.
    Comment,
}

/// `label::Русский (ru)`, `label:English`, `jr:constraintMsg::English (en)`, `Label`, `relevance`.
pub fn parse(header: &str) -> Header {
    let h = header.trim();
    if h.starts_with('#') {
        return Header::Comment;
    }
    if let Some(column) = canonical(h) {
        return Header::Known(column, None);
    }
    if let Some((base, language)) = h.split_once("::")
        && let Some(column) = canonical(base)
    {
        return if column.translatable() {
            Header::Known(column, Some(language.trim().to_string()))
        } else {
            Header::Extra(h.to_string())
        };
    }
    if let Some((base, language)) = h.rsplit_once(':')
        && let Some(column) = canonical(base)
        && column.translatable()
    {
        return Header::Known(column, Some(language.trim().to_string()));
    }
    Header::Extra(h.to_string())
}
