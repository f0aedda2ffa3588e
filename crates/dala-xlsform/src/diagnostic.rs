//! Problems in a spreadsheet, located at sheet, row and column.

use dala_core::VCode;
use std::fmt;

/// Stable codes for problems found while reading the spreadsheet itself. Problems found by
/// validating the converted instrument keep their dala-core code (V0xx).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XCode {
    /// X001 not a workbook, or a damaged one.
    Unreadable,
    /// X002 no survey sheet, or a survey sheet without a type/name header.
    NoSurvey,
    /// X003 a file, an inflated size or a sheet larger than the limits.
    TooLarge,
    /// X004 a question type XLSForm does not have.
    UnknownType,
    /// X005 a type Dala does not support yet (media, select_one_from_file, ...).
    Unsupported,
    /// X006 `begin group`/`end group` (or repeat) that do not match.
    UnmatchedGroup,
    /// X007 a row with a type but no name, or a name but no type.
    MissingTypeOrName,
    /// X008 a choices row without list name or name.
    BadChoiceRow,
    /// X009 a sheet that is not survey, choices or settings (ignored; a note).
    IgnoredSheet,
    /// X010 `begin loop over LIST` where the choices sheet has no list LIST.
    UnknownLoopList,
    /// X011 the form reads an attached file that was not given with it.
    MissingAttachment,
    /// X012 an attached file that cannot be read as a list.
    BadAttachment,
    /// X013 a label names a picture, sound or video that was not given with the form (a
    /// warning: the label shows its text without it).
    LabelMediaNotGiven,
}

impl XCode {
    pub fn as_str(self) -> &'static str {
        match self {
            XCode::Unreadable => "X001",
            XCode::NoSurvey => "X002",
            XCode::TooLarge => "X003",
            XCode::UnknownType => "X004",
            XCode::Unsupported => "X005",
            XCode::UnmatchedGroup => "X006",
            XCode::MissingTypeOrName => "X007",
            XCode::BadChoiceRow => "X008",
            XCode::IgnoredSheet => "X009",
            XCode::UnknownLoopList => "X010",
            XCode::MissingAttachment => "X011",
            XCode::BadAttachment => "X012",
            XCode::LabelMediaNotGiven => "X013",
        }
    }

    pub fn is_warning(self) -> bool {
        matches!(self, XCode::IgnoredSheet | XCode::LabelMediaNotGiven)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    Sheet(XCode),
    Instrument(VCode),
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Sheet(c) => c.as_str(),
            Code::Instrument(c) => c.as_str(),
        }
    }

    pub fn is_warning(self) -> bool {
        match self {
            Code::Sheet(c) => c.is_warning(),
            Code::Instrument(c) => c.is_warning(),
        }
    }
}

/// Where in the workbook: a sheet, and a 0-based row and column when known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub sheet: String,
    pub row: Option<u32>,
    pub col: Option<u32>,
    /// The header of the column, as the designer wrote it.
    pub header: Option<String>,
}

impl Place {
    /// `survey!D12`, `survey!12`, `survey` or `(file)`.
    pub fn cell(&self) -> String {
        match (self.sheet.is_empty(), self.row, self.col) {
            (true, _, _) => "(file)".into(),
            (false, Some(r), Some(c)) => format!("{}!{}{}", self.sheet, column_letters(c), r + 1),
            (false, Some(r), None) => format!("{}!{}", self.sheet, r + 1),
            _ => self.sheet.clone(),
        }
    }
}

/// 0 -> A, 25 -> Z, 26 -> AA.
pub fn column_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq)]
pub struct XDiagnostic {
    pub code: Code,
    pub place: Place,
    pub message: String,
    /// The expression and the span in it, for problems inside an expression.
    pub expression: Option<(String, dala_expr::Span)>,
}

impl XDiagnostic {
    pub fn file(code: XCode, message: impl Into<String>) -> XDiagnostic {
        XDiagnostic {
            code: Code::Sheet(code),
            place: Place::default(),
            message: message.into(),
            expression: None,
        }
    }

    pub fn at(
        code: XCode,
        sheet: &str,
        row: u32,
        col: u32,
        message: impl Into<String>,
    ) -> XDiagnostic {
        XDiagnostic {
            code: Code::Sheet(code),
            place: Place {
                sheet: sheet.into(),
                row: Some(row),
                col: Some(col),
                header: None,
            },
            message: message.into(),
            expression: None,
        }
    }

    /// Rendered like a compiler: `error[X004] survey!A7: ...`, then the expression with a caret.
    pub fn render(&self) -> String {
        let severity = if self.code.is_warning() {
            "warning"
        } else {
            "error"
        };
        let header = self
            .place
            .header
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        let mut out = format!(
            "{severity}[{}] {}{header}: {}",
            self.code.as_str(),
            self.place.cell(),
            self.message
        );
        if let Some((source, span)) = &self.expression {
            out.push_str(&dala_expr::caret_lines(source, *span));
        }
        out
    }
}

impl fmt::Display for XDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
