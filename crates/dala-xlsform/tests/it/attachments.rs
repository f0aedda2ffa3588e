//! Property tests of the attached-list readers: any bytes give rows or a reason, never a
//! panic; and rows written as CSV (quoted as RFC 4180 says) or as ODK's external XML (escaped
//! as XML says) read back as written.

use dala_xlsform::attachments::read_list;
use proptest::prelude::*;

/// A cell: text with the characters that need quoting or escaping, and Cyrillic.
fn cell() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "Z", "7", " ", ",", "\"", "'", "<", ">", "&", ";", "Ош", "ё", "\n",
        ]),
        0..8,
    )
    .prop_map(|pieces| pieces.concat())
}

/// Rows of (name, label, district): names non-empty, as a list's are.
fn rows() -> impl Strategy<Value = Vec<(String, String, String)>> {
    prop::collection::vec(("[a-z][a-z0-9_]{0,6}", cell(), cell()), 0..30)
}

fn csv_quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

fn xml_escaped(cell: &str) -> String {
    cell.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

proptest! {
    #[test]
    fn any_bytes_give_rows_or_a_reason(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for name in ["list.csv", "list.xml", "list.geojson", "list.txt"] {
            let _ = read_list(name, &bytes);
        }
    }

    #[test]
    fn csv_rows_read_back_as_written(rows in rows()) {
        let mut text = String::from("name,label,district\n");
        for (name, label, district) in &rows {
            text.push_str(&format!("{name},{},{}\n", csv_quoted(label), csv_quoted(district)));
        }
        let read = read_list("villages.csv", text.as_bytes()).expect("a list");
        prop_assert_eq!(read.len(), rows.len());
        for (choice, (name, label, district)) in read.iter().zip(&rows) {
            prop_assert_eq!(&choice.name, name);
            prop_assert_eq!(choice.label.get("default", None).unwrap_or_default(), label.as_str());
            prop_assert_eq!(choice.extra.get("district").map(String::as_str), Some(district.as_str()));
        }
    }

    /// XML text is trimmed (ODK's external XML is indented), so the cells here are compared
    /// trimmed.
    #[test]
    fn xml_rows_read_back_as_written(rows in rows()) {
        let mut text = String::from("<root>\n");
        for (name, label, district) in &rows {
            text.push_str(&format!(
                "  <item><name>{name}</name><label>{}</label><district>{}</district></item>\n",
                xml_escaped(label),
                xml_escaped(district)
            ));
        }
        text.push_str("</root>\n");
        let read = read_list("villages.xml", text.as_bytes()).expect("a list");
        prop_assert_eq!(read.len(), rows.len());
        for (choice, (name, label, district)) in read.iter().zip(&rows) {
            prop_assert_eq!(&choice.name, name);
            prop_assert_eq!(choice.label.get("default", None).unwrap_or_default(), label.trim());
            prop_assert_eq!(choice.extra.get("district").map(String::as_str), Some(district.trim()));
        }
    }
}
