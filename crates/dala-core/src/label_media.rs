//! Media in labels: XLSForm's `image`, `big-image`, `audio` and `video` columns on the survey
//! and choices sheets (also written `media::image`, and per language `image::Russian (ru)`),
//! kept among an item's attributes and a choice's extra columns. Each names a file among the
//! form's attachments; the app shows it beside the label's text.

use crate::Instrument;
use std::collections::{BTreeMap, BTreeSet};

/// What a label's file is shown as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MediaKind {
    Image,
    /// ODK shows it when the image is tapped; where there is no `image`, it is the image.
    BigImage,
    Audio,
    Video,
}

impl MediaKind {
    fn of(column: &str) -> Option<MediaKind> {
        match column {
            "image" => Some(MediaKind::Image),
            "big-image" => Some(MediaKind::BigImage),
            "audio" => Some(MediaKind::Audio),
            "video" => Some(MediaKind::Video),
            _ => None,
        }
    }
}

/// One file shown with a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelMedia {
    pub kind: MediaKind,
    /// The attachment's name (`police-badge.png`).
    pub file: String,
}

/// A media column's kind and language (None: every language), from its header.
fn media_column(header: &str) -> Option<(MediaKind, Option<&str>)> {
    let header = header.strip_prefix("media::").unwrap_or(header);
    let (kind, language) = match header.split_once("::") {
        Some((kind, language)) => (kind, Some(language.trim())),
        None => (header, None),
    };
    MediaKind::of(kind.trim()).map(|kind| (kind, language))
}

/// The files a label shows in `language`: for each kind, the column in that language, else in
/// `fallback` (the form's default language), else the column without a language, else any
/// language's (as [`crate::Text::get`] falls back). In kind order: image, big image, audio,
/// video.
pub fn label_media(
    columns: &BTreeMap<String, String>,
    language: &str,
    fallback: Option<&str>,
) -> Vec<LabelMedia> {
    let mut by_kind: BTreeMap<MediaKind, (u8, &str)> = BTreeMap::new();
    for (header, value) in columns {
        let Some((kind, column_language)) = media_column(header) else {
            continue;
        };
        let file = value.trim();
        if file.is_empty() {
            continue;
        }
        // Lower is better.
        let rank = match column_language {
            Some(l) if l == language => 0,
            Some(l) if Some(l) == fallback => 1,
            None => 2,
            Some(_) => 3,
        };
        let better = by_kind.get(&kind).is_none_or(|(best, _)| rank < *best);
        if better {
            by_kind.insert(kind, (rank, file));
        }
    }
    by_kind
        .into_iter()
        .map(|(kind, (_, file))| LabelMedia {
            kind,
            file: file.to_string(),
        })
        .collect()
}

/// Whether any media column among `columns` names a file.
pub fn has_label_media(columns: &BTreeMap<String, String>) -> bool {
    columns
        .iter()
        .any(|(header, value)| media_column(header).is_some() && !value.trim().is_empty())
}

/// Where a label names a file: the JSON pointer of the question or choice, the column (as
/// its header is written), and the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaUse {
    pub pointer: String,
    pub column: String,
    pub file: String,
}

impl Instrument {
    /// Every file the labels of questions and choices name, in any language, each with the
    /// first place (form order, then choice lists) that names it.
    pub fn label_media_files(&self) -> Vec<MediaUse> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut note = |pointer: String, columns: &BTreeMap<String, String>| {
            for (header, value) in columns {
                let file = value.trim();
                if media_column(header).is_some()
                    && !file.is_empty()
                    && seen.insert(file.to_string())
                {
                    out.push(MediaUse {
                        pointer: pointer.clone(),
                        column: header.clone(),
                        file: file.to_string(),
                    });
                }
            }
        };
        for (pointer, item, _) in self.walk() {
            note(pointer, &item.attributes);
        }
        for (list, choices) in &self.choices {
            for (i, choice) in choices.iter().enumerate() {
                note(format!("/choices/{list}/{i}"), &choice.extra);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_spelling_of_the_columns_is_read() {
        let c = columns(&[
            ("media::image", "a.png"),
            ("audio", "b.mp3"),
            ("video::English (en)", "c.mp4"),
            ("big-image", "d.jpg"),
            ("constraint", "x"),
        ]);
        let got = label_media(&c, "English (en)", None);
        let kinds: Vec<_> = got.iter().map(|m| (m.kind, m.file.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (MediaKind::Image, "a.png"),
                (MediaKind::BigImage, "d.jpg"),
                (MediaKind::Audio, "b.mp3"),
                (MediaKind::Video, "c.mp4"),
            ]
        );
    }

    #[test]
    fn a_language_picks_its_own_file_then_the_default_then_any() {
        let c = columns(&[
            ("image::Russian (ru)", "ru.png"),
            ("image::English (en)", "en.png"),
            ("audio::English (en)", "en.mp3"),
            ("media::audio", "all.mp3"),
        ]);
        let ru = label_media(&c, "Russian (ru)", Some("English (en)"));
        assert_eq!(ru[0].file, "ru.png");
        // No Russian audio: the default language's comes before the one without a language.
        assert_eq!(ru[1].file, "en.mp3");
        let ky = label_media(&c, "Kyrgyz (ky)", None);
        assert_eq!(ky[0].file, "en.png", "any language's, the first in order");
        assert_eq!(ky[1].file, "all.mp3");
    }

    #[test]
    fn blank_cells_name_nothing() {
        let c = columns(&[("image", "  "), ("label", "x")]);
        assert!(label_media(&c, "default", None).is_empty());
        assert!(!has_label_media(&c));
    }
}
