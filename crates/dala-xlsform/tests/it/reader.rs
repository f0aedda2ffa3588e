//! The reader, one case at a time: formats, aliases, languages, typed cells, hostile files.

use dala_core::Host;
use dala_expr::date::DateTime;

pub struct TestHost;

impl Host for TestHost {
    fn now(&self) -> DateTime {
        DateTime {
            epoch_ms: 1_426_566_600_000,
            offset_minutes: 360,
        }
    }
    fn random(&self) -> f64 {
        0.25
    }
    fn device_id(&self) -> String {
        "test".into()
    }
}

pub fn host() -> Box<dyn Host> {
    Box::new(TestHost)
}

use dala_core::{Instrument, ItemType};
use dala_xlsform::workbook::{Limits, Sheet, Workbook};
use dala_xlsform::writer::{package, sheet_xml, to_workbook, write_xlsx};
use std::collections::BTreeMap;

fn md(text: &str) -> dala_xlsform::Conversion {
    dala_xlsform::read(text.as_bytes(), "test")
}

fn instrument(text: &str) -> Instrument {
    let c = md(text);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| !d.code.is_warning())
        .map(dala_xlsform::XDiagnostic::render)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    c.instrument.expect("an instrument")
}

fn codes(c: &dala_xlsform::Conversion) -> Vec<String> {
    c.diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.place.cell()))
        .collect()
}

#[test]
fn a_markdown_form_in_pyxform_layout() {
    let i = instrument(
        "| survey |          |      |       |
         |        | type     | name | label |
         |        | integer  | age  | Age   |
         |        | select_one yn | ok | OK? |
         | choices |           |      |       |
         |         | list_name | name | label |
         |         | yn        | yes  | Yes   |
         |         | yn        | no   | No    |",
    );
    assert_eq!(i.survey.len(), 2);
    assert_eq!(i.survey[1].item_type, ItemType::SelectOne);
    assert_eq!(i.survey[1].list.as_deref(), Some("yn"));
    assert_eq!(i.choices["yn"].len(), 2);
    assert_eq!(
        i.settings.form_id, "test",
        "the file name is the form_id when settings give none"
    );
}

#[test]
fn old_and_new_spellings_of_types_and_headers() {
    let i = instrument(
        "| SURVEY |                 |       |          |                    |            |
         |        | Type            | Name  | Label    | jr:constraintMsg   | relevance  |
         |        | begin group     | g     | G        |                    |            |
         |        | select one yn   | a     | A        |                    |            |
         |        | end_group       |       |          |                    |            |
         |        | begin_repeat    | r     | R        |                    |            |
         |        | select_multiple yn | b  | B        |                    | ${a} = 'yes' |
         |        | end repeat      |       |          |                    |            |
         |        | integer         | c     | C        | Too big            |            |
         | Choices |          |      |       |
         |         | list name | name | label |
         |         | yn        | yes  | Yes   |",
    );
    assert_eq!(i.survey[0].item_type, ItemType::Group);
    assert_eq!(i.survey[0].children[0].list.as_deref(), Some("yn"));
    assert_eq!(i.survey[1].item_type, ItemType::Repeat);
    assert_eq!(
        i.survey[1].children[0].relevant.as_deref(),
        Some("${a} = 'yes'")
    );
    assert_eq!(
        i.survey[2].constraint_message.get("default", None),
        Some("Too big")
    );
}

/// The household roster of pyxform's `tutorial.xls`, in its column spellings: the bind
/// columns with one colon (`bind:relevant`, `bind:constraint`), which pyxform reads as
/// `bind::relevant`. Before, they were kept as extra columns and the questions were always
/// asked (`cargo xtask difftest` against ODK's engine found it).
#[test]
fn bind_columns_with_one_colon_are_the_columns_they_name() {
    let i = instrument(
        "| survey |               |                 |                  |                            |                  |
         |        | type          | name            | label            | bind:relevant              | bind:constraint  |
         |        | begin repeat  | member          | Member           |                            |                  |
         |        | select_one yn | older_than_five | Older than five? |                            |                  |
         |        | integer       | age_in_months   | Age in months    | ${older_than_five}='no'    | . <= 72          |
         |        | integer       | age_in_years    | Age in years     | ${older_than_five}='yes'   | . >= 5           |
         |        | end repeat    |                 |                  |                            |                  |
         | choices |         |      |       |
         |         | list_name | name | label |
         |         | yn        | yes  | Yes   |
         |         | yn        | no   | No    |",
    );
    let member = &i.survey[0].children;
    assert_eq!(
        member[1].relevant.as_deref(),
        Some("${older_than_five}='no'")
    );
    assert_eq!(member[1].constraint.as_deref(), Some(". <= 72"));
    assert_eq!(
        member[2].relevant.as_deref(),
        Some("${older_than_five}='yes'")
    );
    assert!(
        member[1].attributes.is_empty(),
        "{:?}",
        member[1].attributes
    );
}

#[test]
fn language_columns_in_every_form() {
    let i = instrument(
        "| survey |         |      |                     |                    |                   |
         |        | type    | name | label::English (en) | label:Русский (ru) | hint::Русский (ru) |
         |        | text    | n    | Name                | Имя                | Полностью          |
         | settings |              |
         |          | default_language |
         |          | English (en) |",
    );
    let label = &i.survey[0].label;
    assert_eq!(label.get("English (en)", None), Some("Name"));
    assert_eq!(label.get("Русский (ru)", None), Some("Имя"));
    assert_eq!(
        i.survey[0].hint.get("Русский (ru)", None),
        Some("Полностью")
    );
    assert_eq!(i.settings.default_language.as_deref(), Some("English (en)"));
}

#[test]
fn or_other_adds_the_choice_and_the_question() {
    let i = instrument(
        "| survey |  |  |  |
         |  | type | name | label |
         |  | select_one colour or_other | colour | Colour |
         | choices |  |  |  |
         |  | list_name | name | label |
         |  | colour | red | Red |",
    );
    assert_eq!(i.survey[1].name, "colour_other");
    assert_eq!(
        i.survey[1].relevant.as_deref(),
        Some("selected(${colour}, 'other')")
    );
    assert!(i.choices["colour"].iter().any(|c| c.name == "other"));
}

#[test]
fn comments_blank_rows_extra_columns_and_whitespace() {
    let i = instrument(
        "| survey |  |  |  |  |  |
         |  | type | name | label | # note to self | media::image |
         |  | text |  first  | First | check this | a.png |
         |  |  |  |  |  |  |
         |  | # text | skipped | Skipped |  |  |
         |  | text | second | Second |  |  |",
    );
    assert_eq!(i.survey.len(), 2);
    assert_eq!(i.survey[0].name, "first", "names are trimmed");
    assert_eq!(
        i.survey[0]
            .attributes
            .get("media::image")
            .map(String::as_str),
        Some("a.png")
    );
    assert!(
        !i.survey[0].attributes.contains_key("# note to self"),
        "comment columns are dropped"
    );
}

#[test]
fn problems_point_at_sheet_row_and_column() {
    let c = md("| survey |  |  |  |  |
         |  | type | name | label | relevant |
         |  | integer | a | A |  |
         |  | text | b | B | ${a} > |
         |  | selfie | c | C |  |
         |  | select_one_from_file x.csv | d | D |  |
         |  | text |  | E |  |
         |  | end group |  |  |  |");
    let found = codes(&c);
    // In pyxform's markdown layout the line naming the sheet is not a row: the header is row 1.
    assert!(found.contains(&"V003 survey!D3".to_string()), "{found:?}");
    assert!(found.contains(&"X004 survey!A4".to_string()), "{found:?}");
    // Its file was not given (issue 19: lists from attached files).
    assert!(found.contains(&"X011 survey!A5".to_string()), "{found:?}");
    assert!(found.contains(&"X007 survey!B6".to_string()), "{found:?}");
    assert!(found.contains(&"X006 survey!A7".to_string()), "{found:?}");
    let syntax = c
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "V003")
        .expect("V003");
    assert!(
        syntax.render().ends_with("\n  | ${a} >\n  |       ^"),
        "{}",
        syntax.render()
    );
}

#[test]
fn validation_problems_are_traced_to_their_rows_inside_groups() {
    let c = md("| survey |  |  |  |  |
         |  | type | name | label | calculation |
         |  | begin group | g | G |  |
         |  | integer | a | A |  |
         |  | begin group | h | H |  |
         |  | calculate | c |  | ${zzz} + 1 |
         |  | end group |  |  |  |
         |  | end group |  |  |  |
         |  | text | g | again |  |");
    let found = codes(&c);
    assert!(found.contains(&"V004 survey!D5".to_string()), "{found:?}");
    assert!(found.contains(&"V001 survey!B8".to_string()), "{found:?}");
}

#[test]
fn a_workbook_writes_and_reads_back_to_the_same_instrument() {
    let original = instrument(
        "| survey |  |  |  |  |  |  |
         |  | type | name | label::en | label::ru | constraint | parameters |
         |  | begin_repeat | m | Member | Член |  |  |
         |  | range | score | Score | Балл | . > 1 | start=0 end=8 step=1 |
         |  | end_repeat |  |  |  |  |  |
         | choices |  |  |  |  |
         |  | list_name | name | label::en | district |
         |  | d | osh | Osh | south |
         | settings |  |  |  |
         |  | form_id | version | default_language |
         |  | t | 2015030101 | en |",
    );
    let bytes = write_xlsx(&to_workbook(&original));
    let back = dala_xlsform::read(&bytes, "ignored");
    assert_eq!(
        back.instrument.as_ref(),
        Some(&original),
        "{:#?}",
        back.diagnostics
    );
    assert_eq!(
        write_xlsx(&to_workbook(&original)),
        bytes,
        "the same workbook gives the same bytes"
    );
}

fn sheet(name: &str, rows: &[&[&str]]) -> Sheet {
    let mut s = Sheet {
        name: name.into(),
        cells: BTreeMap::new(),
    };
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                s.cells.insert((r as u32, c as u32), v.to_string());
            }
        }
    }
    s
}

fn small_survey() -> Sheet {
    sheet("survey", &[&["type", "name", "label"], &["text", "a", "A"]])
}

#[test]
fn a_sheet_claiming_a_billion_cells_costs_what_its_cells_cost() {
    let xml = sheet_xml(&small_survey(), Some("A1:XFD1048576"));
    let bytes = package(&[("survey".into(), xml)]);
    let started = std::time::Instant::now();
    let c = dala_xlsform::read(&bytes, "t");
    assert!(c.instrument.is_some(), "{:#?}", c.diagnostics);
    // Generous: only a dense walk of the claimed range would come near it.
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn hostile_files_are_refused_with_a_reason() {
    let far = {
        let mut s = small_survey();
        s.cells.insert((2_000_000, 0), "text".into());
        s
    };
    let c = dala_xlsform::read(&write_xlsx(&Workbook { sheets: vec![far] }), "t");
    assert_eq!(codes(&c), ["X003 survey!A2000001"]);

    let many = {
        let mut s = small_survey();
        for r in 2..200 {
            s.cells.insert((r, 0), "text".into());
            s.cells.insert((r, 1), format!("q{r}"));
        }
        s
    };
    let tight = Limits {
        cells: 100,
        ..Limits::default()
    };
    let c = dala_xlsform::read_with(&write_xlsx(&Workbook { sheets: vec![many] }), "t", tight);
    assert_eq!(codes(&c), ["X003 (file)"]);

    // A zip whose entries inflate past the limit is refused from its directory.
    let wide = "x".repeat(4096);
    let padding = sheet("padding", &[&[wide.as_str()]]);
    let mut big = vec![small_survey()];
    for _ in 0..300 {
        big.push(padding.clone());
    }
    let bytes = write_xlsx(&Workbook { sheets: big });
    let small_limit = Limits {
        sheet_bytes: 1 << 20,
        ..Limits::default()
    };
    let c = dala_xlsform::read_with(&bytes, "t", small_limit);
    assert_eq!(codes(&c), ["X003 (file)"], "{:?}", c.diagnostics);
    assert!(c.diagnostics[0].message.contains("worksheets inflate"));
    // The limit on parts read whole does not count the worksheets, which are streamed.
    let whole_limit = Limits {
        inflated_bytes: 1 << 20,
        ..Limits::default()
    };
    let c = dala_xlsform::read_with(&bytes, "t", whole_limit);
    assert!(c.instrument.is_some(), "{:?}", &c.diagnostics[..1]);

    let c = dala_xlsform::read_with(
        &bytes,
        "t",
        Limits {
            file_bytes: 100,
            ..Limits::default()
        },
    );
    assert_eq!(codes(&c), ["X003 (file)"]);
}

#[test]
fn damaged_and_empty_files_are_errors_not_panics() {
    let good = write_xlsx(&Workbook {
        sheets: vec![small_survey()],
    });
    for (name, bytes) in [
        ("empty", Vec::new()),
        ("text", b"type,name,label\ntext,a,A\n".to_vec()),
        ("truncated zip", good[..good.len() / 2].to_vec()),
        ("zip header only", b"PK\x03\x04garbage".to_vec()),
        (
            "ole header only",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0],
        ),
    ] {
        let c = dala_xlsform::read(&bytes, "t");
        assert!(c.instrument.is_none(), "{name}");
        assert_eq!(c.diagnostics.len(), 1, "{name}: {:?}", c.diagnostics);
        assert_eq!(c.diagnostics[0].code.as_str(), "X001", "{name}");
    }
    let no_survey = write_xlsx(&Workbook {
        sheets: vec![
            sheet("Sheet1", &[&["type", "name"]]),
            sheet("Sheet2", &[&["list_name", "name"]]),
        ],
    });
    assert_eq!(
        codes(&dala_xlsform::read(&no_survey, "t")),
        ["X009 Sheet1", "X009 Sheet2", "X002 (file)"]
    );
}

/// pyxform reads a workbook of one sheet as its survey, whatever the sheet's name (its
/// survey_no_name.xlsx), and names a note that has no name after its row
/// (`generated_note_name_2`, as in its repeat_date_test.xls).
#[test]
fn one_sheet_is_the_survey_and_a_note_needs_no_name() {
    let one = write_xlsx(&Workbook {
        sheets: vec![sheet(
            "Sheet1",
            &[
                &["type", "name", "label"],
                &["note", "", "Welcome"],
                &["text", "state", "The State"],
            ],
        )],
    });
    let c = dala_xlsform::read(&one, "t");
    assert_eq!(codes(&c), Vec::<String>::new());
    let i = c.instrument.expect("an instrument");
    let names: Vec<&str> = i.survey.iter().map(|item| item.name.as_str()).collect();
    assert_eq!(names, ["generated_note_name_2", "state"]);
}

#[test]
fn cells_typed_in_excel_read_as_the_designer_meant() {
    // A version typed as a number and a default typed as a date, as Excel stores them.
    let survey = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
        <row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>label</t></is></c><c r="D1" t="inlineStr"><is><t>default</t></is></c></row>
        <row r="2"><c r="A2" t="inlineStr"><is><t>integer</t></is></c><c r="B2" t="inlineStr"><is><t>n</t></is></c><c r="C2"><v>7</v></c><c r="D2"><v>8.0</v></c></row>
        </sheetData></worksheet>"#;
    let settings = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
        <row r="1"><c r="A1" t="inlineStr"><is><t>version</t></is></c></row>
        <row r="2"><c r="A2"><v>2015030101</v></c></row>
        </sheetData></worksheet>"#;
    let bytes = package(&[
        ("survey".into(), survey.into()),
        ("settings".into(), settings.into()),
    ]);
    let i = dala_xlsform::read(&bytes, "t")
        .instrument
        .expect("instrument");
    assert_eq!(i.settings.version, "2015030101");
    assert_eq!(i.survey[0].default.as_deref(), Some("8"));
    assert_eq!(i.survey[0].label.get("default", None), Some("7"));
}

/// A minimal OLE compound file: header, one FAT sector, one directory sector whose root entry
/// claims a stream of `claimed` bytes.
fn compound_file(claimed: u32) -> Vec<u8> {
    let mut f = vec![0u8; 512 * 3];
    f[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let put16 =
        |f: &mut Vec<u8>, at: usize, v: u16| f[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut f, 0x18, 0x3E);
    put16(&mut f, 0x1A, 3);
    put16(&mut f, 0x1C, 0xFFFE);
    put16(&mut f, 0x1E, 9);
    put16(&mut f, 0x20, 6);
    put32(&mut f, 0x2C, 1); // one FAT sector
    put32(&mut f, 0x30, 1); // directory starts at sector 1
    put32(&mut f, 0x38, 4096);
    put32(&mut f, 0x3C, 0xFFFF_FFFE);
    put32(&mut f, 0x44, 0xFFFF_FFFE);
    put32(&mut f, 0x4C, 0); // the FAT is sector 0
    for i in 1..109 {
        put32(&mut f, 0x4C + 4 * i, 0xFFFF_FFFF);
    }
    // Sector 0 (FAT): sector 0 is the FAT itself, sector 1 ends its chain.
    put32(&mut f, 512, 0xFFFF_FFFD);
    put32(&mut f, 516, 0xFFFF_FFFE);
    for i in 2..128 {
        put32(&mut f, 512 + 4 * i, 0xFFFF_FFFF);
    }
    // Sector 1 (directory): the root entry.
    let root = 1024;
    for (i, c) in "Root Entry".encode_utf16().enumerate() {
        put16(&mut f, root + 2 * i, c);
    }
    put16(&mut f, root + 0x40, 22);
    f[root + 0x42] = 5;
    put32(&mut f, root + 0x74, 0xFFFF_FFFE);
    put32(&mut f, root + 0x78, claimed);
    f
}

#[test]
fn an_xls_claiming_a_huge_stream_is_refused_before_any_allocation() {
    // Found by fuzzing: a few kilobytes claiming a 3.8 GB stream made the .xls reader reserve it.
    let c = dala_xlsform::read(&compound_file(0xE6_00_00_00), "t");
    assert_eq!(codes(&c), ["X001 (file)"]);
    assert!(
        c.diagnostics[0].message.contains("claims 3858759680 bytes"),
        "{}",
        c.diagnostics[0].message
    );
    // A sane size passes the check (and then fails later, as this file holds no workbook).
    let c = dala_xlsform::read(&compound_file(0), "t");
    assert_eq!(codes(&c), ["X001 (file)"]);
    assert!(
        !c.diagnostics[0].message.contains("claims"),
        "{}",
        c.diagnostics[0].message
    );
}

#[test]
fn an_xls_whose_chains_loop_is_refused() {
    // Found by fuzzing: a sector chain that points back on itself made the reader grow a
    // buffer without bound. Make the FAT say that sector 1 (the directory) follows itself.
    let mut f = compound_file(0);
    f[516..520].copy_from_slice(&1u32.to_le_bytes());
    let c = dala_xlsform::read(&f, "t");
    assert_eq!(codes(&c), ["X001 (file)"]);
    assert!(
        c.diagnostics[0].message.contains("directory chain loops"),
        "{}",
        c.diagnostics[0].message
    );
}

#[test]
fn an_xls_whose_workbook_stream_chain_goes_nowhere_is_refused() {
    // Found by fuzzing: a `Workbook` entry of size 0 whose mini chain pointed at itself made the
    // reader grow a buffer to 2 GB. Here the entry points into a mini FAT that does not exist.
    let mut f = compound_file(0);
    let entry = 1024 + 128;
    for (i, c) in "Workbook".encode_utf16().enumerate() {
        f[entry + 2 * i..entry + 2 * i + 2].copy_from_slice(&c.to_le_bytes());
    }
    f[entry + 0x40..entry + 0x42].copy_from_slice(&18u16.to_le_bytes());
    f[entry + 0x42] = 2;
    let c = dala_xlsform::read(&f, "t");
    assert_eq!(codes(&c), ["X001 (file)"]);
    assert!(
        c.diagnostics[0].message.contains("mini stream chain"),
        "{}",
        c.diagnostics[0].message
    );
}

/// Titles in several languages: Dala writes the default language's in pyxform's plain
/// `form_title` and each in a `dala_form_title_LANG` column pyxform ignores (pyxform 4.5 fails
/// on `form_title::ru`, which earlier versions of Dala wrote and which still reads).
#[test]
fn translated_titles_are_written_where_pyxform_reads_past_them() {
    let original = instrument(
        "| survey |  |  |  |  |
         |  | type | name | label::en | label::Русский (ru) |
         |  | text | n | Name | Имя |
         | settings |  |  |  |  |
         |  | form_id | version | default_language | form_title::en | form_title::Русский (ru) |
         |  | t | 1 | en | Staff survey | Опрос сотрудников |",
    );
    assert_eq!(
        original.settings.title.get("Русский (ru)", None),
        Some("Опрос сотрудников")
    );
    let workbook = to_workbook(&original);
    let settings = workbook
        .sheets
        .iter()
        .find(|s| s.name == "settings")
        .expect("a settings sheet");
    let rows = settings.rows();
    let header: Vec<&str> = rows[0].1.values().copied().collect();
    assert!(header.contains(&"form_title"), "{header:?}");
    assert!(
        header.contains(&"dala_form_title_Русский (ru)"),
        "{header:?}"
    );
    assert!(!header.iter().any(|h| h.contains("::")), "{header:?}");
    let back = dala_xlsform::read(&write_xlsx(&workbook), "ignored");
    assert_eq!(
        back.instrument.as_ref(),
        Some(&original),
        "{:#?}",
        back.diagnostics
    );

    // One title in the default language is the plain column alone.
    let plain = instrument(
        "| survey |  |  |  |
         |  | type | name | label |
         |  | text | n | Name |
         | settings |  |  |
         |  | form_id | form_title |
         |  | t | Staff survey |",
    );
    let workbook = to_workbook(&plain);
    let settings = workbook
        .sheets
        .iter()
        .find(|s| s.name == "settings")
        .expect("settings");
    assert!(
        !settings.rows()[0]
            .1
            .values()
            .any(|h| h.starts_with("dala_"))
    );
}

/// A spreadsheet's autocorrect turns quotes typographic; pyxform reads every cell with ‘ ’ as '
/// and “ ” as " (its `clean_text_values`), so the expression parses and the label reads the
/// same (issue 17, V003).
#[test]
fn typographic_quotes_read_as_plain_ones() {
    let c = md("| survey |  |  |  |  |
         |  | type | name | label | relevant |
         |  | text | a | Say “hello” | |
         |  | text | b | B | ${a} = ‘yes’ |");
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let i = c.instrument.expect("an instrument");
    assert_eq!(i.survey[1].relevant.as_deref(), Some("${a} = 'yes'"));
    assert_eq!(
        i.survey[0].label.get("default", None),
        Some("Say \"hello\"")
    );
}

/// Regression (issue 17): geotrace and geoshape were refused as unsupported types. A plot
/// survey as field teams write it, with the area and length ODK computes from the answers.
#[test]
fn a_plot_survey_with_a_path_and_a_boundary_loads_and_computes_its_area() {
    let i = instrument(
        "| survey |           |            |                              |                          |
         |        | type      | name       | label                        | calculation              |
         |        | geopoint  | house      | Where is the household?      |                          |
         |        | geotrace  | path       | Walk the path to the plot    |                          |
         |        | geoshape  | plot       | Walk around the plot         |                          |
         |        | calculate | plot_area  |                              | round(area(${plot}), 1)  |
         |        | calculate | path_len   |                              | distance(${path})        |
         |        | note      | show       | The plot is ${plot_area} m²  |                          |",
    );
    let types: Vec<ItemType> = i.survey.iter().map(|q| q.item_type).collect();
    assert_eq!(
        types[..3],
        [ItemType::Geopoint, ItemType::Geotrace, ItemType::Geoshape]
    );
    let form = dala_core::Form::compile(&i).expect("it compiles");
    let mut engine = dala_core::Engine::new(form, host());
    let plot = engine.node("plot", &[]).expect("plot");
    // A square 0.001 degrees a side at the equator, walked once: by hand,
    // (6378100 m * 0.001 * pi / 180)^2 = 111.318^2 = 12,391.7 m^2 on ODK's sphere.
    engine
        .answer(&plot, "0 0 0 5; 0 0.001 0 5; 0.001 0.001 0 5; 0.001 0 0 5")
        .expect("a plot");
    let area = engine.node("plot_area", &[]).expect("area");
    let square_metres: f64 = engine.value(&area).parse().expect("a number");
    assert!(
        (square_metres - 12_391.7).abs() < 2.0,
        "{square_metres} square metres"
    );
}

/// Regression (issue 17): a real workbook of 300 KB whose survey sheet carries its formatting
/// down a million empty rows inflates to 312 MB, and was refused by the limit on the inflated
/// size. Worksheets are streamed, so such a sheet costs a pass over its rows, not its size in
/// memory; here the same shape at a tenth of a megabyte's limit on the parts read whole.
#[test]
fn a_sheet_formatted_down_to_its_last_row_loads() {
    let mut xml = sheet_xml(&small_survey(), None);
    let end = xml.rfind("</sheetData>").expect("sheet data");
    let mut rows = String::new();
    for r in 3..=200_000 {
        rows.push_str(&format!(
            r#"<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/><c r="B{r}" s="1"/></row>"#
        ));
    }
    xml.insert_str(end, &rows);
    assert!(xml.len() > 10 << 20, "{} bytes", xml.len());
    let bytes = package(&[("survey".into(), xml)]);
    let limits = Limits {
        inflated_bytes: 100 << 10,
        ..Limits::default()
    };
    let c = dala_xlsform::read_with(&bytes, "t", limits);
    let i = c
        .instrument
        .unwrap_or_else(|| panic!("{:#?}", c.diagnostics));
    assert_eq!(i.survey.len(), 1);
    assert_eq!(i.survey[0].name, "a");
}

/// A zip whose directory says a worksheet inflates past the streamed limit (a bomb: 2 MB that
/// would inflate to 630 MB) is refused from the directory, before anything is inflated, with
/// the size it claims.
#[test]
fn a_worksheet_claiming_to_inflate_past_the_limit_is_refused_from_the_directory() {
    let mut bytes = write_xlsx(&Workbook {
        sheets: vec![small_survey()],
    });
    // The central directory entry of the sheet: signature PK\x01\x02, its uncompressed size
    // 24 bytes in, its name 46 bytes in.
    let name = b"xl/worksheets/sheet1.xml";
    let at = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .find(|i| bytes[i + 46..].starts_with(name))
        .expect("the sheet's directory entry");
    bytes[at + 24..at + 28].copy_from_slice(&630_000_000u32.to_le_bytes());
    let c = dala_xlsform::read(&bytes, "t");
    assert_eq!(codes(&c), ["X003 (file)"], "{:?}", c.diagnostics);
    assert!(
        c.diagnostics[0].message.contains("630000000"),
        "{}",
        c.diagnostics[0].message
    );
}

/// `begin loop over LIST` as pyxform expands it (its test_loop.py is the oracle): a group per
/// choice, named and labelled as the choice, each with a copy of the loop's questions and
/// `%(label)s` / `%(name)s` filled in; the same question names in each choice's group, told
/// apart in a record by their path.
#[test]
fn a_loop_over_a_list_is_a_group_per_choice() {
    let i = instrument(
        "| survey |                    |      |                   |                 |
         |        | type               | name | label             | hint            |
         |        | begin_loop over c_1| l1   | Things            |                 |
         |        | integer            | q1   | Age               | of %(name)s     |
         |        | select_one c2      | q2   | Size of %(label)s |                 |
         |        | end_loop           |      |                   |                 |
         |        | integer            | after| After             |                 |
         | choices |           |        |         |
         |         | list_name | name   | label   |
         |         | c_1       | thing1 | Thing 1 |
         |         | c_1       | thing2 | Thing 2 |
         |         | c2        | type1  | Big     |
         |         | c2        | type2  | Small   |",
    );
    let index = dala_core::Index::new(&i);
    let paths: Vec<&str> = index.entries().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "l1",
            "l1/thing1",
            "l1/thing1/q1",
            "l1/thing1/q2",
            "l1/thing2",
            "l1/thing2/q1",
            "l1/thing2/q2",
            "after"
        ]
    );
    let at = |path: &str| index.by_path(path).expect(path).item;
    assert_eq!(at("l1").label.get("default", None), Some("Things"));
    assert_eq!(at("l1/thing2").label.get("default", None), Some("Thing 2"));
    assert_eq!(
        at("l1/thing1/q2").label.get("default", None),
        Some("Size of Thing 1")
    );
    assert_eq!(
        at("l1/thing2/q2").label.get("default", None),
        Some("Size of Thing 2")
    );
    assert_eq!(
        at("l1/thing2/q1").hint.get("default", None),
        Some("of thing2")
    );
    assert_eq!(at("l1/thing2/q2").list.as_deref(), Some("c2"));
    // Record keys: the shared names by their path, the others as they are.
    assert_eq!(
        index.by_path("l1/thing2/q1").expect("q1").key,
        "l1/thing2/q1"
    );
    assert_eq!(index.by_path("after").expect("after").key, "after");

    // A loop over a list the choices sheet lacks is located at the loop's row.
    let c = md("| survey |                   |      |       |
                |        | type              | name | label |
                |        | begin loop over x | l1   |       |
                |        | integer           | q1   | Age   |
                |        | end loop          |      |       |");
    assert!(
        codes(&c).contains(&"X010 survey!A2".to_string()),
        "{:?}",
        codes(&c)
    );
    // An end loop that closes a group is a mismatch, as an end group closing a loop is.
    let c = md("| survey |                   |      |       |
                |        | type              | name | label |
                |        | begin group       | g    | G     |
                |        | integer           | q1   | Age   |
                |        | end loop          |      |       |
                | choices |           |      |       |
                |         | list_name | name | label |
                |         | x         | a    | A     |");
    assert!(
        codes(&c).iter().any(|c| c.starts_with("X006")),
        "{:?}",
        codes(&c)
    );
}

/// pyxform collapses runs of spaces in the survey sheet's values unless the settings say
/// `clean_text_values: no` (its test_clean_text_values: `string-length('abc  def')` is 7 in
/// ODK, 8 with `no`); the choices sheet is left as it is.
#[test]
fn runs_of_spaces_are_collapsed_unless_the_settings_say_no() {
    let form = |clean: &str| {
        format!(
            "| survey   |         |      |        |                           |
             |          | type    | name | label  | calculation               |
             |          | integer | q1   | Q  1   | string-length('abc  def') |
             | settings |                   |
             |          | clean_text_values |
             |          | {clean}           |"
        )
    };
    let yes = instrument(&form("yes"));
    assert_eq!(
        yes.survey[0].calculation.as_deref(),
        Some("string-length('abc def')")
    );
    assert_eq!(yes.survey[0].label.get("default", None), Some("Q 1"));
    let no = instrument(&form("no"));
    assert_eq!(
        no.survey[0].calculation.as_deref(),
        Some("string-length('abc  def')")
    );
}

/// `phone number` is a text of digits, as pyxform writes it (its group.xlsx: the father's
/// phone number gets `regex(., '^\d*$')`, so ODK refuses `Bishkek` there).
#[test]
fn a_phone_number_takes_digits() {
    let i = instrument(
        "| survey |              |              |              |
         |        | type         | name         | label        |
         |        | phone number | phone_number | Phone number |",
    );
    assert_eq!(
        i.survey[0].constraint.as_deref(),
        Some(r"regex(., '^\d*$')")
    );
    let mut e = dala_core::Engine::new(dala_core::Form::compile(&i).expect("compiles"), host());
    let phone = e.node("phone_number", &[]).expect("phone");
    e.answer(&phone, "0555123456").expect("answer");
    assert!(!e.constraint_violated(&phone));
    e.answer(&phone, "Bishkek").expect("answer");
    assert!(e.constraint_violated(&phone));
}

/// Parameter names in any case (pyxform's test_parameter_list__mixed_case__ok): a range of
/// `Start=2 eNd=9` ends at 9, so ODK refuses 10.
#[test]
fn parameter_names_are_read_in_any_case() {
    let i = instrument(
        "| survey |       |      |       |                              |
         |        | type  | name | label | parameters                   |
         |        | range | q1   | Q1    | Start=2 eNd=9 SteP=1         |",
    );
    assert_eq!(
        i.survey[0].parameters.get("end").map(String::as_str),
        Some("9")
    );
    let mut e = dala_core::Engine::new(dala_core::Form::compile(&i).expect("compiles"), host());
    let q1 = e.node("q1", &[]).expect("q1");
    assert!(e.answer(&q1, "10").is_err());
    e.answer(&q1, "9").expect("in range");
}

/// Regression (issue 17): `start-geopoint` and `background-geopoint` were refused as unknown
/// types (X004). A water-point inspection as field teams write it: where the visit started,
/// and where the inspector stood each time the pump's state was recorded. pyxform gives both
/// no control (the label of the start one is not shown) and refuses a background one without
/// a trigger or with a calculation.
#[test]
fn geopoints_the_device_takes_by_itself() {
    let i = instrument(
        "| survey |                     |            |                         |              |
         |        | type                | name       | label                   | trigger      |
         |        | start-geopoint      | visit_at   | Where the visit started |              |
         |        | select_one state    | pump       | Does the pump work?     |              |
         |        | background-geopoint | pump_at    |                         | ${pump}      |
         |        | note                | thanks     | Thank you               |              |
         | choices |           |       |         |
         |         | list_name | name  | label   |
         |         | state     | works | Works   |
         |         | state     | broken| Broken  |",
    );
    let captures: Vec<(&str, ItemType, Option<dala_core::Capture>)> = i
        .survey
        .iter()
        .map(|q| (q.name.as_str(), q.item_type, q.capture))
        .collect();
    assert_eq!(
        captures[..3],
        [
            (
                "visit_at",
                ItemType::Geopoint,
                Some(dala_core::Capture::Start)
            ),
            ("pump", ItemType::SelectOne, None),
            (
                "pump_at",
                ItemType::Geopoint,
                Some(dala_core::Capture::Trigger)
            ),
        ]
    );
    // Written back as the same types, so pyxform and ODK read the workbook again.
    let workbook = to_workbook(&i);
    let survey = &workbook.sheets[0];
    let types: Vec<&str> = (1..=3)
        .filter_map(|row| survey.cells.get(&(row, 0)).map(String::as_str))
        .collect();
    assert_eq!(
        types,
        ["start-geopoint", "select_one state", "background-geopoint"]
    );
    let back = dala_xlsform::read(&write_xlsx(&workbook), "ignored");
    assert_eq!(
        back.instrument.as_ref(),
        Some(&i),
        "{:#?}",
        back.diagnostics
    );

    // pyxform's refusals, with the row they point at.
    let c = md(
        "| survey |                     |          |            |         |             |
                |        | type                | name     | label      | trigger | calculation |
                |        | integer             | temp     | Enter temp |         |             |
                |        | background-geopoint | temp_geo |            |         |             |
                |        | background-geopoint | temp_2   |            | ${temp} | 5 * ${temp} |",
    );
    assert_eq!(codes(&c), ["V021 survey!D3", "V021 survey!E4"]);
}

/// Form attachments (issue 19): a FAST school visit whose schools come from an attached CSV,
/// filtered by region; the director looked up with pulldata() and the number of pupils
/// through instance(); the district from the external_choices sheet (`select_one_external`).
/// Expected values read off the CSV by hand.
#[test]
fn lists_from_attached_files_select_filter_and_look_up() {
    let form = "| survey |                                  |          |                 |                     |                                                               |
         |        | type                             | name     | label           | choice_filter       | calculation                                                   |
         |        | select_one region                | region   | Region          |                     |                                                               |
         |        | select_one_from_file schools.csv | school   | School          | region = ${region}  |                                                               |
         |        | calculate                        | director |                 |                     | pulldata('schools', 'director', 'name', ${school})            |
         |        | calculate                        | pupils   |                 |                     | instance('schools')/root/item[name = ${school}]/pupils        |
         |        | select_one_external district     | district | District        | region = ${region}  |                                                               |
         | choices |           |        |        |
         |         | list_name | name   | label  |
         |         | region    | fergana | Fergana |
         |         | region    | andijan | Andijan |
         | external_choices |           |           |           |        |
         |                  | list_name | name      | label     | region |
         |                  | district  | kokand    | Kokand    | fergana |
         |                  | district  | margilan  | Margilan  | fergana |
         |                  | district  | asaka     | Asaka     | andijan |";
    let schools = "name,label::English (en),label::Russian (ru),region,director,pupils\n\
                   s12,School 12,Школа 12,fergana,D. Yusupova,640\n\
                   s31,School 31,Школа 31,fergana,A. Karimov,415\n\
                   s07,School 7,Школа 7,andijan,N. Tursunova,820\n";
    let files = BTreeMap::from([("schools.csv".to_string(), schools.as_bytes().to_vec())]);
    let c = dala_xlsform::read_with_files(form.as_bytes(), "visit", &files);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let i = c.instrument.clone().expect("instrument");
    assert_eq!(i.attachments.len(), 1);
    assert_eq!(i.attachments[0].name, "schools.csv");
    assert_eq!(i.attachments[0].media_type, "text/csv");
    assert_eq!(i.attachments[0].size, schools.len() as u64);
    assert_eq!(c.lists["schools.csv"].len(), 3);
    // Written back as XLSForm (`select_one_from_file`), it reads again to the same instrument
    // with the same file.
    let workbook = to_workbook(&i);
    assert_eq!(
        workbook.sheets[0].cells.get(&(2, 0)).map(String::as_str),
        Some("select_one_from_file schools.csv")
    );
    let back = dala_xlsform::read_with_files(&write_xlsx(&workbook), "visit", &files);
    assert_eq!(
        back.instrument.as_ref(),
        Some(&i),
        "{:#?}",
        back.diagnostics
    );

    let form = dala_core::Form::compile_with(&i, c.lists.clone()).expect("compiles");
    let mut e = dala_core::Engine::new(form, host());
    let node = |e: &dala_core::Engine, name: &str| e.node(name, &[]).expect(name);
    e.answer(&node(&e, "region"), "fergana").expect("region");
    let offered: Vec<String> = e
        .choices(&node(&e, "school"))
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(offered, ["s12", "s31"]);
    let districts: Vec<String> = e
        .choices(&node(&e, "district"))
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(districts, ["kokand", "margilan"]);
    e.answer(&node(&e, "school"), "s31").expect("school");
    assert_eq!(e.value(&node(&e, "director")), "A. Karimov");
    assert_eq!(e.value(&node(&e, "pupils")), "415");

    // Without the file: an error at the row that needs it, and the form does not compile
    // from a document that names the file without its rows.
    let missing = dala_xlsform::read_with_files(
        b"| survey |                                  |        |        |
          |        | type                             | name   | label  |
          |        | select_one_from_file schools.csv | school | School |",
        "visit",
        &BTreeMap::new(),
    );
    assert_eq!(codes(&missing), ["X011 survey!A2"]);
    assert!(
        dala_core::Form::compile_with(&i, dala_core::Lists::new()).is_err_and(|d| {
            d.iter()
                .any(|d| d.code == dala_core::VCode::MissingAttachment)
        })
    );
}

/// An attached list that cannot be read is an error naming the file and the line.
#[test]
fn attached_lists_in_csv_xml_and_geojson() {
    use dala_xlsform::attachments::{ListProblem, read_list};
    let xml = "<root>\n  <item><name>w1</name><label>Well 1</label><depth>12</depth></item>\n  <item><name>w2</name><label>Well &amp; pump</label><depth/></item>\n</root>";
    let rows = read_list("wells.xml", xml.as_bytes()).expect("xml");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].label.get("default", None), Some("Well & pump"));
    assert_eq!(rows[0].extra["depth"], "12");
    let geojson = r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "p1", "geometry": {"type": "Point", "coordinates": [70.9428, 40.5283]},
         "properties": {"title": "Pump 1", "working": true}}]}"#;
    let rows = read_list("pumps.geojson", geojson.as_bytes()).expect("geojson");
    assert_eq!(rows[0].name, "p1");
    assert_eq!(rows[0].label.get("default", None), Some("Pump 1"));
    assert_eq!(rows[0].extra["geometry"], "40.5283 70.9428 0 0");
    assert_eq!(rows[0].extra["working"], "true");
    let bad = read_list("wells.xml", b"<root>\n<item><name>w1</name></itm>\n</root>")
        .expect_err("mismatched tag");
    assert_eq!(bad.line, Some(2));
    let no_name = read_list("schools.csv", b"code,label\ns1,School 1\n").expect_err("no name");
    assert_eq!(no_name.problem, ListProblem::NoNameColumn);
    let not_utf8 =
        read_list("schools.csv", b"name,label\ns1,School 1\ns2,\xff\xfe\n").expect_err("not UTF-8");
    assert_eq!(not_utf8.line, Some(3));
    assert!(matches!(not_utf8.problem, ListProblem::Unreadable(_)));
}

/// A list read only through pulldata() is declared with `csv-external` (pyxform's way): the
/// row is read as the attachment and written back as the same row.
#[test]
fn a_list_read_through_pulldata_is_declared_and_written_back() {
    let form = "| survey |              |         |              |                                                   |
         |        | type         | name    | label        | calculation                                       |
         |        | csv-external | fruits  |              |                                                   |
         |        | text         | fruit   | Which fruit? |                                                   |
         |        | calculate    | colour  |              | pulldata('fruits', 'colour', 'name', ${fruit})    |";
    let files = BTreeMap::from([(
        "fruits.csv".to_string(),
        b"name,label,colour\napple,Apple,red\npear,Pear,green\n".to_vec(),
    )]);
    let c = dala_xlsform::read_with_files(form.as_bytes(), "fruit", &files);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let i = c.instrument.clone().expect("instrument");
    assert_eq!(i.attachments.len(), 1);
    let workbook = to_workbook(&i);
    assert_eq!(
        [(1, 0), (1, 1)].map(|at| workbook.sheets[0].cells.get(&at).map(String::as_str)),
        [Some("csv-external"), Some("fruits")]
    );
    let back = dala_xlsform::read_with_files(&write_xlsx(&workbook), "fruit", &files);
    assert_eq!(
        back.instrument.as_ref(),
        Some(&i),
        "{:#?}",
        back.diagnostics
    );
    let form = dala_core::Form::compile_with(&i, c.lists).expect("compiles");
    let mut e = dala_core::Engine::new(form, host());
    e.answer(&e.node("fruit", &[]).expect("fruit"), "pear")
        .expect("answer");
    assert_eq!(e.value(&e.node("colour", &[]).expect("colour")), "green");
}

/// Regression (issue 19): media questions were refused as unsupported types. The types,
/// appearances and parameters of the XLSForm spec's media rows (`photo` is the old name of
/// `image`, as pyxform reads it), written back to a workbook and read again unchanged.
#[test]
fn media_questions_load_and_write_back() {
    let i = instrument(
        "| survey |          |          |                 |            |                |
         |        | type     | name     | label           | appearance | parameters     |
         |        | image    | house    | The house       | new        | max-pixels=1024 |
         |        | photo    | old      | An old name     |            |                |
         |        | image    | sign     | Sign here       | signature  |                |
         |        | audio    | voice    | Say your name   |            | quality=low    |
         |        | video    | clip     | Film the road   |            |                |
         |        | file     | report   | The report      |            |                |
         |        | barcode  | code     | Scan the box    |            |                |",
    );
    let types: Vec<ItemType> = i.survey.iter().map(|q| q.item_type).collect();
    assert_eq!(
        types,
        [
            ItemType::Image,
            ItemType::Image,
            ItemType::Image,
            ItemType::Audio,
            ItemType::Video,
            ItemType::File,
            ItemType::Barcode
        ]
    );
    assert_eq!(
        i.survey[0].parameters.get("max-pixels").map(String::as_str),
        Some("1024")
    );
    assert_eq!(i.survey[2].appearance.as_deref(), Some("signature"));
    assert!(dala_core::validate(&i).is_empty());
    let back = dala_xlsform::read(&write_xlsx(&to_workbook(&i)), "ignored");
    assert_eq!(
        back.instrument.as_ref(),
        Some(&i),
        "{:#?}",
        back.diagnostics
    );
}

/// Media in labels: the `media::image::LANGUAGE`, `media::audio` and choices' `image` columns
/// (pyxform's test_translations spells them so) name files the form attaches when they are
/// given; one not given is a warning at its row (X013) and the form still loads. The engine
/// gives each label's files in the language asked, as the form describes them.
#[test]
fn label_media_files_are_attached_when_given_and_a_warning_when_not() {
    let form = b"| survey |                 |      |                     |                     |                            |                            |              |
          |        | type            | name | label::English (en) | label::Russian (ru) | media::image::English (en) | media::image::Russian (ru) | media::audio |
          |        | select_one rank | rank | Rank                | \xd0\x97\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xb8\xd0\xb5 | badge-en.png | badge-ru.png | hello.mp3 |
          | choices |           |          |                     |                     |              |
          |         | list_name | name     | label::English (en) | label::Russian (ru) | image        |
          |         | rank      | officer  | Officer             | Officer             | star.png     |
          |         | rank      | sergeant | Sergeant            | Sergeant            |              |";
    let given = BTreeMap::from([
        (
            "badge-en.png".to_string(),
            b"\x89PNG english badge".to_vec(),
        ),
        ("hello.mp3".to_string(), b"ID3 hello".to_vec()),
        ("star.png".to_string(), b"\x89PNG star".to_vec()),
        ("unrelated.png".to_string(), b"\x89PNG not named".to_vec()),
    ]);
    let c = dala_xlsform::read_with_files(form, "ranks", &given);
    assert_eq!(codes(&c), ["X013 survey!F2"], "badge-ru.png was not given");
    assert!(c.diagnostics[0].code.is_warning());
    assert!(c.diagnostics[0].message.contains("badge-ru.png"));
    let i = c.instrument.expect("loads with the warning");
    let mut names: Vec<&str> = i.attachments.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["badge-en.png", "hello.mp3", "star.png"]);
    let star = i.attachments.iter().find(|a| a.name == "star.png");
    // SHA-256 of "\x89PNG star", computed with sha256sum.
    assert_eq!(
        star.map(|a| (a.sha256.as_str(), a.media_type.as_str(), a.size)),
        Some((
            "95f5bab7c04e2dd079a206a0cefa2314f2bdb53239d566f7c1ed2ba97885d2f3",
            "image/png",
            9
        ))
    );
    assert!(c.lists.is_empty(), "pictures are not lists");

    let form = dala_core::Form::compile(&i).expect("compiles");
    let e = dala_core::Engine::new(form.clone(), host());
    let rank = e.node("rank", &[]).expect("rank");
    let shown = |language: &str| -> Vec<(dala_core::MediaKind, String)> {
        e.label_media(&rank, language)
            .into_iter()
            .map(|(kind, file)| (kind, file.name.clone()))
            .collect()
    };
    use dala_core::MediaKind::{Audio, Image};
    assert_eq!(
        shown("English (en)"),
        [
            (Image, "badge-en.png".to_string()),
            (Audio, "hello.mp3".to_string())
        ]
    );
    assert_eq!(
        shown("Russian (ru)"),
        [(Audio, "hello.mp3".to_string())],
        "the Russian picture was not given: none shown"
    );
    let officer = &form.instrument.choices["rank"][0];
    assert_eq!(
        form.label_media(&officer.extra, "Russian (ru)")
            .iter()
            .map(|(kind, file)| (*kind, file.name.as_str()))
            .collect::<Vec<_>>(),
        [(Image, "star.png")]
    );

    // The workbook written back names the same files.
    let back = dala_xlsform::read_with_files(
        &dala_xlsform::writer::write_xlsx(&dala_xlsform::writer::to_workbook(&i)),
        "ranks",
        &given,
    );
    assert_eq!(back.instrument.map(|b| b.attachments), Some(i.attachments));
}

/// `select_one_from_file` with `value=` and `label=` parameters (pyxform's
/// test_external_instances_for_selects: the itemset's value and label refs become those
/// columns): the choices' values and labels come from them, a choice filter still reads the
/// other columns, and what reads labels by list (exports, tables) labels the answers so too.
#[test]
fn value_and_label_parameters_pick_the_columns_of_an_attached_list() {
    let form = b"| survey |                                  |          |          |                |                      |
          |        | type                             | name     | label    | choice_filter  | parameters           |
          |        | text                             | region   | Region   |                |                      |
          |        | select_one_from_file cities.csv  | city     | City     | region=${region} | value=val, label=lbl |";
    let csv = "name,label,val,lbl,region\nc1,City one,v1,Label one,north\nc2,City two,v2,Label two,south\nc3,City three,v3,Label three,north\n";
    let given = BTreeMap::from([("cities.csv".to_string(), csv.as_bytes().to_vec())]);
    let c = dala_xlsform::read_with_files(form, "cities", &given);
    assert_eq!(codes(&c), Vec::<String>::new());
    let i = c.instrument.expect("loads");
    let form = dala_core::Form::compile_with(&i, c.lists.clone()).expect("compiles");
    let mut e = dala_core::Engine::new(form, host());
    let node = |e: &dala_core::Engine, name: &str| e.node(name, &[]).expect(name);
    e.answer(&node(&e, "region"), "north").expect("region");
    let offered: Vec<(String, String)> = e
        .choices(&node(&e, "city"))
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.label.get("default", None).unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        offered,
        [
            ("v1".to_string(), "Label one".to_string()),
            ("v3".to_string(), "Label three".to_string())
        ]
    );
    assert!(
        e.answer(&node(&e, "city"), "c1").is_err(),
        "a name is no value here"
    );
    e.answer(&node(&e, "city"), "v3")
        .expect("a value of the val column");
    let labelled = dala_core::with_lists(&i, &c.lists);
    assert_eq!(
        labelled.choice_label(
            labelled.survey[1].list.as_deref().unwrap_or_default(),
            "v3",
            "default"
        ),
        "Label three"
    );
}
