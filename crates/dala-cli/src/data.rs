//! `dala simulate`, `dala export` and `dala aggregate`: data from a form's point of view.

use crate::form::load;
use clap::Args;
use dala_aggregate::export::{Options, codebook, export, to_csv};
use dala_aggregate::merge::Merged;
use dala_aggregate::simulate::{Waves, simulate_each};
use dala_core::record::{BUNDLE_KIND, BundleHeader, RECORD_FORMAT, write_bundle};
use dala_core::{Form, Instrument, ItemType};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn instrument(path: &Path) -> Option<Instrument> {
    let loaded = load(path);
    for message in &loaded.messages {
        eprintln!("{message}");
    }
    if loaded.errors > 0 {
        eprintln!("error: {} has errors", path.display());
        return None;
    }
    loaded.instrument
}

#[derive(Args)]
pub struct SimulateArgs {
    pub form: PathBuf,
    /// Number of submissions (of units, with --waves).
    #[arg(short = 'n', long, default_value_t = 100)]
    pub count: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The bundle to write (.jsonl).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Interview each unit once per wave: the codes of the wave question, e.g. `pre,post`.
    #[arg(long, value_delimiter = ',', requires = "pair_by")]
    pub waves: Vec<String>,
    /// The question that identifies a unit across waves, e.g. `family_id`.
    #[arg(long)]
    pub pair_by: Option<String>,
}

pub fn simulate_command(args: SimulateArgs) -> ExitCode {
    let Some(instrument) = instrument(&args.form) else {
        return ExitCode::FAILURE;
    };
    let Ok(form) = Form::compile(&instrument) else {
        return ExitCode::FAILURE;
    };
    let waves = match (&args.pair_by, args.waves.is_empty()) {
        (Some(pair_by), false) => {
            // The wave question is the select_one whose list holds every wave code.
            let question = instrument.walk().into_iter().find(|(_, item, _)| {
                item.item_type == ItemType::SelectOne
                    && item
                        .list
                        .as_ref()
                        .and_then(|l| instrument.choices.get(l))
                        .is_some_and(|list| {
                            args.waves.iter().all(|w| list.iter().any(|c| &c.name == w))
                        })
            });
            let Some((_, question, _)) = question else {
                eprintln!(
                    "error: no select_one question has the choices {}",
                    args.waves.join(", ")
                );
                return ExitCode::FAILURE;
            };
            Some(Waves {
                question: question.name.clone(),
                codes: args.waves.clone(),
                pair_by: pair_by.clone(),
            })
        }
        _ => None,
    };
    let header = BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: instrument.settings.form_id.clone(),
        instrument_version: instrument.settings.version.clone(),
        device_id: "dala-simulate".into(),
        created: "2015-03-17T10:30:00.000+06:00".into(),
    };
    let file = match std::fs::File::create(&args.output) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", args.output.display());
            return ExitCode::FAILURE;
        }
    };
    // Records are written as they are made: memory stays flat however many are asked for.
    let mut out = std::io::BufWriter::new(file);
    let total = args.count * waves.as_ref().map_or(1, |w| w.codes.len());
    let progress = progress_bar(total as u64, "simulating");
    let mut written = 0usize;
    let mut result = out.write_all(write_bundle(&header, &[]).as_bytes());
    simulate_each(&form, args.count, args.seed, waves.as_ref(), |record| {
        if result.is_ok() {
            let mut line = serde_json::to_string(&record).unwrap_or_default();
            line.push('\n');
            result = out.write_all(line.as_bytes());
            written += 1;
            progress.inc(1);
        }
    });
    progress.finish_and_clear();
    if let Err(e) = result.and_then(|()| out.flush()) {
        eprintln!("error: cannot write {}: {e}", args.output.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {written} submissions to {}", args.output.display());
    ExitCode::SUCCESS
}

/// Reads and merges bundles, reporting what was dropped; None when a file cannot be read.
fn merged(
    instrument: &Instrument,
    bundles: &[PathBuf],
    drafts: bool,
) -> Option<Vec<dala_core::Submission>> {
    let mut merged = Merged::default();
    for path in bundles {
        match std::fs::read_to_string(path) {
            Ok(text) => merged.add_bundle(
                &path.display().to_string(),
                &text,
                &instrument.settings.form_id,
                drafts,
            ),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return None;
            }
        }
    }
    for (bundle, line, message) in &merged.bad_lines {
        eprintln!("warning: {bundle}:{line}: skipped a bad record: {message}");
    }
    for (bundle, reason) in &merged.bad_bundles {
        eprintln!("warning: {bundle}: {reason}");
    }
    eprintln!(
        "{} records ({} duplicates dropped, {} drafts left out, {} of another form)",
        merged.records.len(),
        merged.duplicates,
        merged.drafts_skipped,
        merged.other_instrument
    );
    Some(merged.records.into_values().collect())
}

#[derive(Args)]
pub struct ExportArgs {
    pub form: PathBuf,
    #[arg(required = true)]
    pub bundles: Vec<PathBuf>,
    /// A folder, or a .zip file.
    #[arg(short, long)]
    pub output: PathBuf,
    #[arg(long)]
    pub no_group_paths: bool,
    #[arg(long)]
    pub split_select_multiples: bool,
    /// Choice labels in this language instead of codes, and a codebook.
    #[arg(long)]
    pub labels: Option<String>,
    /// Include drafts.
    #[arg(long)]
    pub drafts: bool,
}

pub fn export_command(args: ExportArgs) -> ExitCode {
    let Some(instrument) = instrument(&args.form) else {
        return ExitCode::FAILURE;
    };
    let Some(records) = merged(&instrument, &args.bundles, args.drafts) else {
        return ExitCode::FAILURE;
    };
    let options = Options {
        no_group_paths: args.no_group_paths,
        split_select_multiples: args.split_select_multiples,
        labels: args.labels.clone(),
    };
    let mut tables = export(&instrument, &records, &options);
    if let Some(language) = &args.labels {
        tables.push(codebook(&instrument, language));
    }
    let files: Vec<(String, String)> = tables.iter().map(|t| (t.name.clone(), to_csv(t))).collect();
    let written = if args.output.extension().is_some_and(|e| e == "zip") {
        write_zip(&args.output, &files)
    } else {
        std::fs::create_dir_all(&args.output).and_then(|()| {
            files
                .iter()
                .try_for_each(|(name, text)| std::fs::write(args.output.join(name), text))
        })
    };
    match written {
        Ok(()) => {
            for (name, _) in &files {
                println!("wrote {name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", args.output.display());
            ExitCode::FAILURE
        }
    }
}

fn write_zip(path: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        zip.start_file(name.as_str(), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(text.as_bytes())?;
    }
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

#[derive(Args)]
pub struct AggregateArgs {
    pub form: PathBuf,
    #[arg(required = true)]
    pub bundles: Vec<PathBuf>,
    /// An analysis plan (TOML) naming the tables; without one, every select and number.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Disaggregate every table by this select_one question.
    #[arg(long, conflicts_with = "plan")]
    pub by: Option<String>,
    /// A numeric question holding design weights.
    #[arg(long, conflicts_with = "plan")]
    pub weight: Option<String>,
    /// Write tidy CSV here instead of printing the tables.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[arg(long)]
    pub drafts: bool,
}

fn tables(
    args: &AggregateArgs,
    instrument: &Instrument,
    records: &[dala_core::Submission],
) -> Result<Vec<dala_aggregate::tidy::TidyRow>, String> {
    match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let plan = dala_aggregate::plan::parse(&text)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            dala_aggregate::plan::run(&plan, instrument, records)
                .map_err(|e| format!("{}: {e}", path.display()))
        }
        None => dala_aggregate::report::default_tables(
            instrument,
            records,
            args.by.as_deref(),
            args.weight.as_deref(),
        )
        .map_err(|e| e.to_string()),
    }
}

pub fn aggregate_command(args: AggregateArgs) -> ExitCode {
    let Some(instrument) = instrument(&args.form) else {
        return ExitCode::FAILURE;
    };
    let Some(records) = merged(&instrument, &args.bundles, args.drafts) else {
        return ExitCode::FAILURE;
    };
    let rows = match tables(&args, &instrument, &records) {
        Ok(rows) => rows,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    match &args.output {
        Some(path) => {
            let written = std::fs::File::create(path)
                .map_err(|e| e.to_string())
                .and_then(|f| {
                    dala_aggregate::tidy::write_csv(&rows, std::io::BufWriter::new(f))
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = written {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("wrote {} rows to {}", rows.len(), path.display());
        }
        None => print!("{}", dala_aggregate::report::render(&rows)),
    }
    ExitCode::SUCCESS
}

/// A progress bar on standard error for runs long enough to want one; hidden for short runs
/// (indicatif also hides it when standard error is not a terminal).
fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    if total < 10_000 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{what} {{bar:40}} {{pos}}/{{len}} ({{eta}})"
    )) {
        bar.set_style(style);
    }
    bar
}
