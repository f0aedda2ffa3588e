//! The instrument document: XLSForm's concepts as a serde model. JSON is the native format
//! and carries `"format": 2`; XLSForm converts into it without loss. Format 1 (before form
//! attachments) is read as format 2 without them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the instrument document format this crate writes. Format 2 added
/// `attachments`; format 1 documents are read too (see [`Instrument::from_json`]).
pub const FORMAT: u32 = 2;

/// The formats [`Instrument::from_json`] reads.
const READS: std::ops::RangeInclusive<u64> = 1..=2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub format: u32,
    pub settings: Settings,
    pub survey: Vec<Item>,
    /// Choice lists by list name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub choices: BTreeMap<String, Vec<Choice>>,
    /// The files the form reads (XLSForm's form attachments: a CSV of villages behind
    /// `select_one_from_file`, `pulldata()` and `instance()`), described here; their bytes
    /// are kept beside the document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file carried beside a document, as the document names it: a form's attachment (a list
/// of villages, a picture in a label) or a file a record's answer names (a photo taken).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The file name the form uses (`villages.csv`).
    pub name: String,
    /// `text/csv`, `application/xml`, `application/geo+json`, `image/png` ...
    pub media_type: String,
    /// In bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the bytes: the same file is recognised wherever it travels.
    pub sha256: String,
}

impl Attachment {
    /// The description of `bytes` kept as `name`.
    pub fn of(name: &str, media_type: &str, bytes: &[u8]) -> Attachment {
        use sha2::{Digest, Sha256};
        Attachment {
            name: name.to_string(),
            media_type: media_type.to_string(),
            size: bytes.len() as u64,
            sha256: Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub form_id: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub title: Text,
    /// The language used when a text has no translation for the chosen one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_language: Option<String>,
    /// Expression naming each record (`concat(${district}, '-', ${name})`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// XLSForm's `allow_choice_duplicates`: a list may repeat a choice name (cascading lists
    /// where the same name appears under several parents).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_choice_duplicates: bool,
}

/// Text in several languages: language name -> text. XLSForm's `label::Russian (ru)` becomes
/// the key `Russian (ru)`; a column without a language becomes the key `default`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text in `language`, falling back to `fallback` and then to any language.
    pub fn get(&self, language: &str, fallback: Option<&str>) -> Option<&str> {
        self.0
            .get(language)
            .or_else(|| fallback.and_then(|f| self.0.get(f)))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
    }

    pub fn one(language: &str, text: &str) -> Text {
        Text(BTreeMap::from([(language.to_string(), text.to_string())]))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    Text,
    Integer,
    Decimal,
    SelectOne,
    SelectMultiple,
    Date,
    Time,
    #[serde(rename = "dateTime")]
    DateTime,
    Note,
    Calculate,
    Acknowledge,
    Range,
    Rank,
    Geopoint,
    // A line of geopoints (a path walked), at least two; and a closed one (an area's
    // boundary), at least three distinct. (Plain comments: a doc comment on a variant would
    // change the published schema's shape.)
    Geotrace,
    Geoshape,
    // Media: the answer is the name of a file captured on the device (a photo, a recording,
    // any file), kept beside the record; `max-pixels` and `quality` are parameters.
    Image,
    Audio,
    Video,
    File,
    // A code read by the camera, or typed where the browser cannot read one; text.
    Barcode,
    Group,
    Repeat,
}

impl ItemType {
    /// The type as XLSForm and the instrument document spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Text => "text",
            ItemType::Integer => "integer",
            ItemType::Decimal => "decimal",
            ItemType::SelectOne => "select_one",
            ItemType::SelectMultiple => "select_multiple",
            ItemType::Date => "date",
            ItemType::Time => "time",
            ItemType::DateTime => "dateTime",
            ItemType::Note => "note",
            ItemType::Calculate => "calculate",
            ItemType::Acknowledge => "acknowledge",
            ItemType::Range => "range",
            ItemType::Rank => "rank",
            ItemType::Geopoint => "geopoint",
            ItemType::Geotrace => "geotrace",
            ItemType::Geoshape => "geoshape",
            ItemType::Image => "image",
            ItemType::Audio => "audio",
            ItemType::Video => "video",
            ItemType::File => "file",
            ItemType::Barcode => "barcode",
            ItemType::Group => "group",
            ItemType::Repeat => "repeat",
        }
    }

    pub fn is_select(self) -> bool {
        matches!(
            self,
            ItemType::SelectOne | ItemType::SelectMultiple | ItemType::Rank
        )
    }

    /// Types whose answer names a file kept beside the record.
    pub fn is_media(self) -> bool {
        matches!(
            self,
            ItemType::Image | ItemType::Audio | ItemType::Video | ItemType::File
        )
    }

    pub fn is_container(self) -> bool {
        matches!(self, ItemType::Group | ItemType::Repeat)
    }

    /// Types that hold an answer typed by the enumerator.
    pub fn takes_input(self) -> bool {
        !matches!(
            self,
            ItemType::Note | ItemType::Calculate | ItemType::Group | ItemType::Repeat
        )
    }
}

/// When the device fills a question by itself (see [`Item::capture`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capture {
    // Plain comments, as on ItemType: the published schema keeps the shape of a plain enum.
    // Once, when the question's node is made: the interview's start, or the start of the
    // repeat instance it is in.
    Start,
    // Each time the question named in `trigger` changes.
    Trigger,
}

/// One row of the survey sheet: a question, a group or a repeat (with its children).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    #[serde(rename = "type")]
    pub item_type: ItemType,
    pub name: String,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub label: Text,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub hint: Text,
    /// The choice list of a select question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub required_message: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub constraint_message: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_count: Option<String>,
    /// Recalculate this question's calculation only when the named question changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// A geopoint the device fills without asking: when the interview starts (XLSForm's
    /// `start-geopoint`) or whenever the question named in `trigger` changes
    /// (`background-geopoint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<Capture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<String>,
    /// `start=0 end=8 step=1` for a range, and similar per-type parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Columns XLSForm does not define, kept as they were.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Item>,
}

impl Item {
    /// A question of `item_type` named `name` with nothing else set.
    pub fn new(item_type: ItemType, name: &str) -> Item {
        Item {
            item_type,
            name: name.to_string(),
            label: Text::default(),
            hint: Text::default(),
            list: None,
            relevant: None,
            required: None,
            required_message: Text::default(),
            constraint: None,
            constraint_message: Text::default(),
            calculation: None,
            default: None,
            read_only: None,
            choice_filter: None,
            repeat_count: None,
            trigger: None,
            capture: None,
            appearance: None,
            parameters: BTreeMap::new(),
            attributes: BTreeMap::new(),
            children: Vec::new(),
        }
    }
}

/// One choice of a list; `extra` holds the other columns (used by choice filters).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub name: String,
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub label: Text,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

/// Why a document could not be read, with the line and column of the problem.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LoadError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("this is instrument format {found}; this version of Dala reads formats 1 to {FORMAT}")]
    UnsupportedFormat { found: u64 },
}

impl Instrument {
    /// Reads an instrument document. A newer `format` is refused before anything else, so the
    /// message names the real problem rather than an unknown field.
    pub fn from_json(text: &str) -> Result<Instrument, LoadError> {
        let syntax = |e: serde_json::Error| LoadError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        let raw: serde_json::Value = serde_json::from_str(text).map_err(syntax)?;
        if let Some(found) = raw.get("format").and_then(serde_json::Value::as_u64)
            && !READS.contains(&found)
        {
            return Err(LoadError::UnsupportedFormat { found });
        }
        let mut instrument: Instrument = serde_json::from_str(text).map_err(syntax)?;
        // Format 1 is format 2 without attachments: read, it is the current format.
        instrument.format = FORMAT;
        Ok(instrument)
    }

    /// The JSON Schema of the document, generated from these types (published at
    /// schema/instrument.schema.json).
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Instrument);
        serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The label of choice `code` of `list` in `language` (else in the default language,
    /// else any); the code itself when the list has no such choice or it has no label.
    pub fn choice_label<'s>(&'s self, list: &str, code: &'s str, language: &str) -> &'s str {
        self.choices
            .get(list)
            .and_then(|choices| choices.iter().find(|c| c.name == code))
            .and_then(|c| {
                c.label
                    .get(language, self.settings.default_language.as_deref())
            })
            .unwrap_or(code)
    }

    /// The languages of the instrument in one order, the same everywhere: the default
    /// language first (when it has one), then the others in the order its title lists them,
    /// then any a label uses that the title does not.
    pub fn languages(&self) -> Vec<String> {
        let mut languages: Vec<String> = self.settings.title.0.keys().cloned().collect();
        for (_, item, _) in self.walk() {
            for language in item.label.0.keys() {
                if !languages.contains(language) {
                    languages.push(language.clone());
                }
            }
        }
        if let Some(default) = &self.settings.default_language
            && let Some(at) = languages.iter().position(|l| l == default)
        {
            let default = languages.remove(at);
            languages.insert(0, default);
        }
        languages
    }

    /// Every item, depth first, with its JSON pointer (`/survey/2/children/0`).
    pub fn walk(&self) -> Vec<(String, &Item, Vec<&Item>)> {
        fn visit<'a>(
            items: &'a [Item],
            base: &str,
            parents: &mut Vec<&'a Item>,
            out: &mut Vec<(String, &'a Item, Vec<&'a Item>)>,
        ) {
            for (i, item) in items.iter().enumerate() {
                let pointer = format!("{base}/{i}");
                out.push((pointer.clone(), item, parents.clone()));
                if !item.children.is_empty() {
                    parents.push(item);
                    visit(&item.children, &format!("{pointer}/children"), parents, out);
                    parents.pop();
                }
            }
        }
        let mut out = Vec::new();
        visit(&self.survey, "/survey", &mut Vec::new(), &mut out);
        out
    }
}

impl Item {
    /// A calculate, or a question of another type with a calculation and nothing to show (no
    /// label, no hint): a typed calculate, which pyxform gives no control. Neither is asked.
    /// A question with a trigger and nothing to show is one too: the trigger sets its value.
    /// So is one the device fills by itself (`capture`), label or not, as pyxform gives
    /// `start-geopoint` and `background-geopoint` no control.
    pub fn is_calculated_only(&self) -> bool {
        self.item_type == ItemType::Calculate
            || self.capture.is_some()
            || (self.item_type.takes_input()
                && (self.calculation.is_some() || self.trigger.is_some())
                && self.label.is_empty()
                && self.hint.is_empty()
                && !self.has_media_label())
    }

    /// The question whose answers are this select's choices, for `select_one ${name}`
    /// (XLSForm's choices from a repeat's answers: the names entered in a household roster,
    /// then "who is the head?"): the name inside `${}`.
    pub fn list_from_answers(&self) -> Option<&str> {
        let list = self.list.as_deref()?.trim();
        list.strip_prefix("${")?.strip_suffix('}').map(str::trim)
    }

    /// Whether its label is (or includes) an image, audio or video: XLSForm's `image`,
    /// `media::image` ... columns, per language, kept among the item's attributes. Such a
    /// label needs no text.
    pub fn has_media_label(&self) -> bool {
        crate::label_media::has_label_media(&self.attributes)
    }
}
