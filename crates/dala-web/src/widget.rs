//! Which control a question gets, from its type and appearance. Plain data, so the choice is
//! tested natively and the view only draws it.

use dala_core::instrument::{Item, ItemType};

/// Lists longer than this get a search box instead of a column of radio buttons.
pub const LONG_LIST: usize = 12;

#[derive(Clone, Debug, PartialEq)]
pub enum Widget {
    Text {
        multiline: bool,
    },
    /// `decimal` selects the keypad with a decimal point.
    Number {
        decimal: bool,
    },
    /// Large radio buttons, or a searchable list for long lists (`search` or `autocomplete`
    /// appearance, or more than [`LONG_LIST`] choices).
    SelectOne {
        searchable: bool,
    },
    SelectMultiple,
    Date,
    Time,
    DateTime,
    Note,
    Range {
        start: f64,
        end: f64,
        step: f64,
    },
    Rank,
    Acknowledge,
    Geopoint,
    /// A list of points taken one at a time; `closed` for a shape (ODK closes it on save).
    GeoPoints {
        closed: bool,
    },
    /// A file captured or picked: a photo, a recording, any file.
    Media(MediaInput),
    /// A code typed in (a browser without a code reader says so beside the box).
    Barcode,
    /// Calculates, groups and repeats are never shown as questions.
    None,
}

/// How a media question takes its file, from its type, appearance and parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaInput {
    /// The file input's `accept`: `image/*`, `audio/*`, `video/*`, or empty for any file.
    pub accept: &'static str,
    /// The `capture` of the button that opens the device's camera or recorder (`environment`
    /// the back camera, `user` the front one); None for a file question.
    pub capture: Option<&'static str>,
    /// A file may be picked as well as captured (not with `new`, which asks for a new one).
    pub pick: bool,
    /// A photo is scaled down before it is stored so that its longest side is at most this
    /// (`max-pixels`); without it a photo is kept as taken, as ODK does.
    pub max_pixels: Option<u32>,
    /// An image drawn on the screen instead of taken (`signature`, `draw`, `annotate`).
    pub drawing: Option<Drawing>,
    /// Audio recorded in the page (MediaRecorder) at this many bits a second, from the
    /// question's `quality`; None where the device's own recorder is asked for (`external`)
    /// or for other types.
    pub record_bits: Option<u32>,
}

/// How an image question is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drawing {
    /// A signature on a blank strip.
    Signature,
    /// A drawing on a blank page.
    Draw,
    /// Marks drawn over a photo or picture picked first.
    Annotate,
}

/// Bits a second of an audio question's `quality` (ODK's voice-only, low and normal are
/// speech-grade, compact and music-grade); `external` asks for the device's own recorder.
fn record_bits(quality: Option<&str>) -> Option<u32> {
    match quality.map(str::trim) {
        Some("external") => None,
        Some("voice-only") => Some(16_000),
        Some("low") => Some(24_000),
        _ => Some(64_000),
    }
}

impl MediaInput {
    pub fn for_item(item: &Item) -> MediaInput {
        let front = has_appearance(item, "selfie") || has_appearance(item, "new-front");
        let new = front || has_appearance(item, "new") || has_appearance(item, "new-rear");
        let (accept, capture) = match item.item_type {
            ItemType::Image => ("image/*", Some(if front { "user" } else { "environment" })),
            ItemType::Audio => ("audio/*", Some("user")),
            ItemType::Video => ("video/*", Some(if front { "user" } else { "environment" })),
            _ => ("", None),
        };
        MediaInput {
            accept,
            capture,
            pick: !new || capture.is_none(),
            max_pixels: match item.item_type {
                ItemType::Image => item
                    .parameters
                    .get("max-pixels")
                    .and_then(|v| dala_core::max_pixels(v)),
                _ => None,
            },
            drawing: match item.item_type {
                ItemType::Image if has_appearance(item, "signature") => Some(Drawing::Signature),
                ItemType::Image if has_appearance(item, "draw") => Some(Drawing::Draw),
                ItemType::Image if has_appearance(item, "annotate") => Some(Drawing::Annotate),
                _ => None,
            },
            record_bits: match item.item_type {
                ItemType::Audio => record_bits(item.parameters.get("quality").map(String::as_str)),
                _ => None,
            },
        }
    }
}

fn has_appearance(item: &Item, word: &str) -> bool {
    item.appearance
        .as_deref()
        .is_some_and(|a| a.split_whitespace().any(|w| w == word))
}

pub fn widget_for(item: &Item, choice_count: usize) -> Widget {
    let parameter = |key: &str, default: f64| {
        item.parameters
            .get(key)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .unwrap_or(default)
    };
    match item.item_type {
        ItemType::Text => Widget::Text {
            multiline: has_appearance(item, "multiline"),
        },
        ItemType::Integer => Widget::Number { decimal: false },
        ItemType::Decimal => Widget::Number { decimal: true },
        ItemType::SelectOne => Widget::SelectOne {
            searchable: has_appearance(item, "search")
                || has_appearance(item, "autocomplete")
                || has_appearance(item, "minimal")
                || choice_count > LONG_LIST,
        },
        ItemType::SelectMultiple => Widget::SelectMultiple,
        ItemType::Date => Widget::Date,
        ItemType::Time => Widget::Time,
        ItemType::DateTime => Widget::DateTime,
        ItemType::Note => Widget::Note,
        ItemType::Range => {
            let step = parameter("step", 1.0);
            Widget::Range {
                start: parameter("start", 0.0),
                end: parameter("end", 10.0),
                step: if step > 0.0 { step } else { 1.0 },
            }
        }
        ItemType::Rank => Widget::Rank,
        ItemType::Acknowledge => Widget::Acknowledge,
        ItemType::Geopoint => Widget::Geopoint,
        ItemType::Geotrace => Widget::GeoPoints { closed: false },
        ItemType::Geoshape => Widget::GeoPoints { closed: true },
        ItemType::Image | ItemType::Audio | ItemType::Video | ItemType::File => {
            Widget::Media(MediaInput::for_item(item))
        }
        ItemType::Barcode => Widget::Barcode,
        ItemType::Calculate | ItemType::Group | ItemType::Repeat => Widget::None,
    }
}

/// Toggles `code` in a select_multiple answer (space-separated codes), keeping the order the
/// codes were chosen in.
pub fn toggle(answer: &str, code: &str) -> String {
    let mut codes: Vec<&str> = answer.split_whitespace().collect();
    match codes.iter().position(|c| *c == code) {
        Some(at) => {
            codes.remove(at);
        }
        None => codes.push(code),
    }
    codes.join(" ")
}

/// A rank answer with the code at `from` moved to `to` (both within the list). An empty
/// answer starts from the choices in list order.
pub fn rank_move(answer: &str, all_codes: &[&str], from: usize, to: usize) -> String {
    let mut codes: Vec<&str> = if answer.trim().is_empty() {
        all_codes.to_vec()
    } else {
        answer.split_whitespace().collect()
    };
    if from < codes.len() && to < codes.len() {
        let code = codes.remove(from);
        codes.insert(to, code);
    }
    codes.join(" ")
}

/// `date` + `time` inputs -> an answer for a dateTime question (empty while either is).
pub fn join_date_time(date: &str, time: &str) -> String {
    if date.is_empty() || time.is_empty() {
        String::new()
    } else {
        format!("{date}T{time}")
    }
}

/// Choices whose label contains every word typed, ignoring case.
pub fn matches_search(label: &str, query: &str) -> bool {
    let label = label.to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| label.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(t: ItemType, appearance: Option<&str>) -> Item {
        let mut item = Item::new(t, "q");
        item.appearance = appearance.map(str::to_string);
        item
    }

    #[test]
    fn selects_switch_to_search_for_long_lists_or_by_appearance() {
        let one = item(ItemType::SelectOne, None);
        assert_eq!(
            widget_for(&one, 12),
            Widget::SelectOne { searchable: false }
        );
        assert_eq!(widget_for(&one, 13), Widget::SelectOne { searchable: true });
        let minimal = item(ItemType::SelectOne, Some("minimal"));
        assert_eq!(
            widget_for(&minimal, 3),
            Widget::SelectOne { searchable: true }
        );
    }

    /// Appearances and parameters as the XLSForm spec documents them for media questions:
    /// `new` asks for a new capture only, `selfie` (and `new-front`) the front camera,
    /// `max-pixels` the longest side of a stored photo.
    #[test]
    fn media_questions_take_their_capture_from_type_appearance_and_parameters() {
        let mut photo = item(ItemType::Image, None);
        photo.parameters.insert("max-pixels".into(), "1024".into());
        assert_eq!(
            widget_for(&photo, 0),
            Widget::Media(MediaInput {
                accept: "image/*",
                capture: Some("environment"),
                pick: true,
                max_pixels: Some(1024),
                drawing: None,
                record_bits: None,
            })
        );
        let Widget::Media(signature) = widget_for(&item(ItemType::Image, Some("signature")), 0)
        else {
            panic!("a signature is a media question");
        };
        assert_eq!(signature.drawing, Some(Drawing::Signature));
        let mut voice = item(ItemType::Audio, None);
        voice
            .parameters
            .insert("quality".into(), "voice-only".into());
        let Widget::Media(voice) = widget_for(&voice, 0) else {
            panic!("an audio question is a media question");
        };
        assert_eq!(voice.record_bits, Some(16_000));
        let mut external = item(ItemType::Audio, None);
        external
            .parameters
            .insert("quality".into(), "external".into());
        let Widget::Media(external) = widget_for(&external, 0) else {
            panic!("an audio question is a media question");
        };
        assert_eq!(
            (external.record_bits, external.capture),
            (None, Some("user"))
        );
        let Widget::Media(selfie) = widget_for(&item(ItemType::Image, Some("selfie")), 0) else {
            panic!("a selfie is a media question");
        };
        assert_eq!((selfie.capture, selfie.pick), (Some("user"), false));
        let Widget::Media(new) = widget_for(&item(ItemType::Video, Some("new")), 0) else {
            panic!("a video is a media question");
        };
        assert_eq!(
            (new.accept, new.capture, new.pick),
            ("video/*", Some("environment"), false)
        );
        let Widget::Media(file) = widget_for(&item(ItemType::File, Some("new")), 0) else {
            panic!("a file is a media question");
        };
        assert_eq!((file.accept, file.capture, file.pick), ("", None, true));
        let mut bad = item(ItemType::Image, None);
        bad.parameters.insert("max-pixels".into(), "foo".into());
        let Widget::Media(bad) = widget_for(&bad, 0) else {
            panic!("an image is a media question");
        };
        assert_eq!(bad.max_pixels, None);
        assert_eq!(
            widget_for(&item(ItemType::Barcode, None), 0),
            Widget::Barcode
        );
    }

    #[test]
    fn range_takes_its_parameters_and_refuses_a_zero_step() {
        let mut range = item(ItemType::Range, None);
        range.parameters.insert("start".into(), "1".into());
        range.parameters.insert("end".into(), "5".into());
        range.parameters.insert("step".into(), "0".into());
        assert_eq!(
            widget_for(&range, 0),
            Widget::Range {
                start: 1.0,
                end: 5.0,
                step: 1.0
            }
        );
    }

    #[test]
    fn multiline_text_and_hidden_types() {
        assert_eq!(
            widget_for(&item(ItemType::Text, Some("multiline")), 0),
            Widget::Text { multiline: true }
        );
        assert_eq!(
            widget_for(&item(ItemType::Calculate, None), 0),
            Widget::None
        );
    }

    #[test]
    fn toggling_and_ranking_codes() {
        assert_eq!(toggle("", "a"), "a");
        assert_eq!(toggle("a b", "c"), "a b c");
        assert_eq!(toggle("a b c", "b"), "a c");
        assert_eq!(rank_move("", &["x", "y", "z"], 2, 0), "z x y");
        assert_eq!(rank_move("z x y", &["x", "y", "z"], 0, 1), "x z y");
        assert_eq!(rank_move("x y", &["x", "y"], 5, 0), "x y");
    }

    #[test]
    fn date_time_and_search() {
        assert_eq!(join_date_time("2015-03-17", "10:30"), "2015-03-17T10:30");
        assert_eq!(join_date_time("2015-03-17", ""), "");
        assert!(matches_search(
            "Бишкек, Октябрьский район",
            "октябрьский бишкек"
        ));
        assert!(!matches_search("Ош", "бишкек"));
    }
}
