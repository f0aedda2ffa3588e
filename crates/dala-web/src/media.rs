//! Files a media question takes (a photo, a recording, any file): how a photo is scaled, what
//! a captured file is called, and what is too big to keep. Plain logic, tested natively; the
//! browser's part (decoding and drawing a photo) is `media_browser`, loaded only when a form
//! with a media question is opened.

use dala_core::Attachment;

/// The largest file a question keeps: the file is hashed in the app's memory before it is
/// stored, and a tablet has little of it. A longer video is refused with its size said.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// The size a photo of `width` x `height` is drawn at so that its longest side is at most
/// `max` pixels (ODK's `max-pixels`), the proportions kept; None when it already fits.
pub fn scaled_size(width: u32, height: u32, max: u32) -> Option<(u32, u32)> {
    let longest = width.max(height);
    if longest <= max || max == 0 {
        return None;
    }
    let scale = f64::from(max) / f64::from(longest);
    let side = |n: u32| ((f64::from(n) * scale).round() as u32).clamp(1, max);
    Some((side(width), side(height)))
}

/// The media type a scaled photo is stored as: a PNG stays a PNG (a drawing, a screenshot:
/// sharp edges and transparency), anything else becomes a JPEG as a camera writes it.
pub fn scaled_type(picked: &str) -> &'static str {
    if picked == "image/png" {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// The name a captured file is kept under: the time it was taken in milliseconds, as ODK
/// Collect names its files (`1426585800000.jpg`), with the extension of the file picked or
/// of its media type; `-2`, `-3` ... when the record already has a file of that name.
pub fn file_name(
    millis: u64,
    picked: &str,
    media_type: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let extension = extension_of(picked)
        .or_else(|| extension_for(media_type))
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let mut name = format!("{millis}{extension}");
    let mut n = 2;
    while taken(&name) {
        name = format!("{millis}-{n}{extension}");
        n += 1;
    }
    name
}

/// The extension of a file's name, lowercase, when it has a short plain one.
fn extension_of(name: &str) -> Option<String> {
    let (_, extension) = name.rsplit_once('.')?;
    (!extension.is_empty()
        && extension.len() <= 8
        && extension.chars().all(|c| c.is_ascii_alphanumeric()))
    .then(|| extension.to_ascii_lowercase())
}

/// The usual extension of a media type a browser gives a capture.
fn extension_for(media_type: &str) -> Option<String> {
    let base = media_type.split(';').next().unwrap_or_default().trim();
    Some(
        match base {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "image/webp" => "webp",
            "audio/webm" | "video/webm" => "webm",
            "audio/ogg" => "ogg",
            "audio/mp4" | "video/mp4" => "mp4",
            "audio/mpeg" => "mp3",
            "audio/wav" | "audio/x-wav" => "wav",
            _ => return None,
        }
        .to_string(),
    )
}

/// A captured file, described and ready to be stored with the answer that names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Captured {
    pub file: Attachment,
    pub bytes: Vec<u8>,
}

impl Captured {
    pub fn new(name: &str, media_type: &str, bytes: Vec<u8>) -> Captured {
        let media_type = if media_type.is_empty() {
            "application/octet-stream"
        } else {
            media_type
        };
        Captured {
            file: Attachment::of(name, media_type, &bytes),
            bytes,
        }
    }
}

/// `1.2 MB`, `340 KB`, `12 bytes`: a file's size beside its name.
pub fn size_words(bytes: u64, lang: crate::i18n::Lang) -> String {
    use crate::i18n::Lang;
    if bytes >= 1_000_000 {
        return crate::browser::megabytes(bytes as f64, lang);
    }
    let (kb, unit) = match lang {
        Lang::En => ("KB", "bytes"),
        Lang::Ru => ("КБ", "байт"),
    };
    if bytes >= 1_000 {
        format!("{} {kb}", (bytes as f64 / 1_000.0).round())
    } else {
        format!("{bytes} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// Hand calculations: a 12-megapixel photo (4000 x 3000) to 1024 px is 1024 x 768; a
    /// portrait one keeps its orientation; one that fits is left alone.
    #[test]
    fn a_photo_is_scaled_to_its_longest_side_keeping_proportions() {
        assert_eq!(scaled_size(4000, 3000, 1024), Some((1024, 768)));
        assert_eq!(scaled_size(3000, 4000, 1024), Some((768, 1024)));
        assert_eq!(scaled_size(1024, 700, 1024), None);
        assert_eq!(scaled_size(640, 480, 1024), None);
        assert_eq!(scaled_size(5000, 1, 100), Some((100, 1)));
        assert_eq!(scaled_size(100, 100, 0), None);
    }

    #[test]
    fn a_captured_file_is_named_by_its_time_and_never_twice() {
        let none = |_: &str| false;
        assert_eq!(
            file_name(1_426_585_800_000, "IMG_0042.JPG", "image/jpeg", none),
            "1426585800000.jpg"
        );
        assert_eq!(
            file_name(1_426_585_800_000, "blob", "audio/webm;codecs=opus", none),
            "1426585800000.webm"
        );
        assert_eq!(
            file_name(7, "notes", "application/x-unknown", none),
            "7",
            "no extension is made up"
        );
        let taken = |n: &str| n == "7.pdf" || n == "7-2.pdf";
        assert_eq!(file_name(7, "report.pdf", "", taken), "7-3.pdf");
    }

    #[test]
    fn a_captured_file_is_described_for_its_record() {
        let captured = Captured::new("1.jpg", "", b"abc".to_vec());
        assert_eq!(captured.file.media_type, "application/octet-stream");
        assert_eq!(captured.file.size, 3);
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            captured.file.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn sizes_are_said_in_the_interface_language() {
        assert_eq!(size_words(12, Lang::En), "12 bytes");
        assert_eq!(size_words(340_400, Lang::En), "340 KB");
        assert_eq!(size_words(1_234_567, Lang::En), "1.2 MB");
        assert_eq!(size_words(1_234_567, Lang::Ru), "1,2 МБ");
    }
}
