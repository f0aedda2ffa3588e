//! `dala validate`, `dala convert` and `dala show`.

use crate::form::load;
use clap::Args;
use dala_core::{Instrument, Item};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ValidateArgs {
    /// Forms to check: .xlsx, .xls, markdown tables or instrument .json.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn validate(args: ValidateArgs) -> ExitCode {
    let mut failed = false;
    for file in &args.files {
        let loaded = load(file);
        for message in &loaded.messages {
            eprintln!("{message}");
        }
        if loaded.errors > 0 {
            failed = true;
            eprintln!("{}: {} error(s)", file.display(), loaded.errors);
        } else {
            println!("{}: ok", file.display());
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Args)]
pub struct ConvertArgs {
    /// The form to convert.
    pub form: PathBuf,
    /// Where to write: `.json` for an instrument document, `.xlsx` for an XLSForm.
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn convert(args: ConvertArgs) -> ExitCode {
    let loaded = load(&args.form);
    for message in &loaded.messages {
        eprintln!("{message}");
    }
    let Some(instrument) = loaded.instrument.clone().filter(|_| loaded.errors == 0) else {
        eprintln!("error: {} has errors; nothing written", args.form.display());
        return ExitCode::FAILURE;
    };
    let bytes = match args.output.extension().and_then(|e| e.to_str()) {
        Some("json") => instrument.to_json().into_bytes(),
        Some("xlsx") => {
            dala_xlsform::writer::write_xlsx(&dala_xlsform::writer::to_workbook(&instrument))
        }
        _ => {
            eprintln!("error: the output must end in .json or .xlsx");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::write(&args.output, bytes) {
        eprintln!("error: cannot write {}: {e}", args.output.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", args.output.display());
    // The attached files travel beside the form, in its media folder (ODK's layout).
    if !loaded.files.is_empty() {
        let stem = args
            .output
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("form");
        let media = args
            .output
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(format!("{stem}-media"));
        let written = std::fs::create_dir_all(&media).and_then(|()| {
            loaded
                .files
                .iter()
                .try_for_each(|(name, bytes)| std::fs::write(media.join(name), bytes))
        });
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", media.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {} ({} file(s))", media.display(), loaded.files.len());
    }
    ExitCode::SUCCESS
}

#[derive(Args)]
pub struct ShowArgs {
    pub form: PathBuf,
    /// Language of the labels shown (default: the form's default language).
    #[arg(long)]
    pub lang: Option<String>,
}

pub fn show(args: ShowArgs) -> ExitCode {
    let loaded = load(&args.form);
    for message in &loaded.messages {
        eprintln!("{message}");
    }
    let Some(instrument) = loaded.instrument else {
        return ExitCode::FAILURE;
    };
    print!("{}", summary(&instrument, args.lang.as_deref()));
    if loaded.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A readable outline: settings, languages, then the question tree with its logic.
pub fn summary(instrument: &Instrument, lang: Option<&str>) -> String {
    let s = &instrument.settings;
    let default = s.default_language.as_deref();
    let language = lang.or(default).unwrap_or("default");
    let languages = instrument.languages();
    let mut out = format!(
        "{} ({} version {})\nlanguages: {}{}\n",
        s.title.get(language, default).unwrap_or(&s.form_id),
        s.form_id,
        s.version,
        languages.join(", "),
        default
            .map(|d| format!(" (default {d})"))
            .unwrap_or_default()
    );
    let questions = instrument
        .walk()
        .iter()
        .filter(|(_, i, _)| !i.item_type.is_container())
        .count();
    out.push_str(&format!(
        "{questions} questions, {} choice lists\n\n",
        instrument.choices.len()
    ));
    fn walk(items: &[Item], depth: usize, language: &str, default: Option<&str>, out: &mut String) {
        for item in items {
            let indent = "  ".repeat(depth);
            let kind = match &item.list {
                Some(l) if item.item_type.is_select() => format!("{} {l}", item.item_type.as_str()),
                _ => item.item_type.as_str().to_string(),
            };
            let label = item.label.get(language, default).unwrap_or("");
            out.push_str(&format!("{indent}{} [{kind}] {label}\n", item.name));
            for (column, value) in dala_core::Column::expressions_of(item) {
                out.push_str(&format!("{indent}    {}: {value}\n", column.as_str()));
            }
            walk(&item.children, depth + 1, language, default, out);
        }
    }
    walk(&instrument.survey, 0, language, default, &mut out);
    out
}
