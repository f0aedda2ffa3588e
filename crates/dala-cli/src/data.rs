//! `dala simulate`, `dala export` and `dala aggregate`: data from a form's point of view.

use crate::form::load;
use clap::Args;
use dala_aggregate::aggregation::Aggregation;
use dala_aggregate::export::{Exporter, Options, codebook, to_csv, write_row};
use dala_aggregate::export_zip::{ZipExport, file_path};
use dala_aggregate::merge::{MergeReport, Merger};
use dala_aggregate::plan::Plan;
use dala_aggregate::report::default_plan;
use dala_aggregate::simulate::{Waves, simulate_each};
use dala_aggregate::wide_csv::{WideCsv, WideCsvReport, add_rows};
use dala_core::record::{BUNDLE_KIND, BundleHeader, RECORD_FORMAT, write_bundle};
use dala_core::{Form, Instrument, ItemType};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The instrument, with the lists of its attached files as choice lists, so exports and
/// tables label `select_one_from_file` answers.
fn instrument(path: &Path) -> Option<Instrument> {
    with_lists(path).map(|(instrument, lists)| dala_core::with_lists(&instrument, &lists))
}

/// The instrument and the lists of its attached files (what its engine needs).
fn with_lists(path: &Path) -> Option<(Instrument, dala_core::Lists)> {
    let loaded = load(path);
    for message in &loaded.messages {
        eprintln!("{message}");
    }
    if loaded.errors > 0 {
        eprintln!("error: {} has errors", path.display());
        return None;
    }
    Some((loaded.instrument?, loaded.lists))
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
    let Some((instrument, lists)) = with_lists(&args.form) else {
        return ExitCode::FAILURE;
    };
    let Ok(form) = Form::compile_with(&instrument, lists) else {
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
    let progress = progress_bar(total as u64, "simulating", 10_000);
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

/// Streams the records of the bundles, each instance once, then reports what was dropped;
/// false when a file cannot be read. A progress bar follows the bytes read.
fn each_record(
    instrument: &Instrument,
    bundles: &[PathBuf],
    drafts: bool,
    mut each: impl FnMut(dala_core::Submission),
) -> bool {
    each_record_with_files(instrument, bundles, drafts, false, |record, _| each(record))
}

use dala_core::record::RecordFiles as Files;

/// [`each_record`] with each record's files when `files` (a bundle without them, or
/// `files` false: none; file lines are then passed over unread).
fn each_record_with_files(
    instrument: &Instrument,
    bundles: &[PathBuf],
    drafts: bool,
    files: bool,
    mut each: impl FnMut(dala_core::Submission, Files),
) -> bool {
    let mut merger = Merger::new(&instrument.settings.form_id, drafts);
    let total: u64 = bundles
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let progress = progress_bar(total, "reading", 50_000_000);
    let mut done = 0;
    let mut kept = 0usize;
    let mut each = |record, record_files| {
        kept += 1;
        each(record, record_files);
    };
    for path in bundles {
        let read = std::fs::File::open(path).and_then(|file| {
            let name = path.display().to_string();
            let input = std::io::BufReader::with_capacity(1 << 20, file);
            let at = |bytes| progress.set_position(done + bytes);
            if files {
                merger.read_with_files(&name, input, &mut each, at)
            } else {
                merger.read(&name, input, |record| each(record, Vec::new()), at)
            }
        });
        if let Err(e) = read {
            progress.finish_and_clear();
            eprintln!("error: cannot read {}: {e}", path.display());
            return false;
        }
        done += std::fs::metadata(path).map_or(0, |m| m.len());
    }
    progress.finish_and_clear();
    report_merge(kept, &merger.report);
    true
}

fn report_merge(kept: usize, report: &MergeReport) {
    for (bundle, line, message) in &report.bad_lines {
        eprintln!(
            "warning: {bundle}:{line}: skipped a bad record: {}",
            dala_words::line_problem(message)
        );
    }
    for (bundle, reason) in &report.bad_bundles {
        eprintln!("warning: {bundle}: {}", dala_words::bundle_error(reason));
    }
    eprintln!(
        "{kept} records ({} duplicates dropped, {} drafts left out, {} of another form)",
        report.duplicates, report.drafts_skipped, report.other_instrument
    );
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
    /// Leave the records' files (photos, recordings) out (AttachmentsPresent still counts
    /// those the bundles bring); by default they are written under `files/<instance id>/`,
    /// as ODK Central's export holds them.
    #[arg(long)]
    pub no_files: bool,
}

pub fn export_command(args: ExportArgs) -> ExitCode {
    let Some(instrument) = instrument(&args.form) else {
        return ExitCode::FAILURE;
    };
    let options = Options {
        no_group_paths: args.no_group_paths,
        split_select_multiples: args.split_select_multiples,
        labels: args.labels.clone(),
    };
    let to_zip = args.output.extension().is_some_and(|e| e == "zip");
    let result = if to_zip {
        let written = write_export_zip(&instrument, &args, &options);
        if written.is_err() {
            let _ = std::fs::remove_file(&args.output);
        }
        written
    } else {
        write_export(&instrument, &args, &options, &args.output)
    };
    match result {
        Ok(names) => {
            for name in &names {
                println!("wrote {name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot export to {}: {e}", args.output.display());
            ExitCode::FAILURE
        }
    }
}

/// Writes every table into `dir`, a record at a time; the file names written.
fn write_export(
    instrument: &Instrument,
    args: &ExportArgs,
    options: &Options,
    dir: &Path,
) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let exporter = Exporter::new(instrument, options);
    let mut writers = Vec::new();
    for (name, header) in exporter.tables() {
        let file = std::fs::File::create(dir.join(name))?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
        write_row(&mut writer, header)?;
        writers.push(writer);
    }
    let mut failure = None;
    let mut file_names = Vec::new();
    // The files are read even when left out: AttachmentsPresent counts those the bundles
    // bring whole.
    let read = each_record_with_files(
        instrument,
        &args.bundles,
        args.drafts,
        true,
        |record, files| {
            for (file, bytes) in files.iter().filter(|_| !args.no_files) {
                let name = file_path(&record.instance_id, &file.name);
                let written = match dir.join(&name).parent() {
                    Some(folder) => std::fs::create_dir_all(folder)
                        .and_then(|()| std::fs::write(dir.join(&name), bytes)),
                    None => Ok(()),
                };
                match written {
                    Ok(()) => file_names.push(name),
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
            exporter.rows_with_files(&record, files.len(), &mut |table, row| {
                if failure.is_none()
                    && let Err(e) = write_row(&mut writers[table], &row)
                {
                    failure = Some(e.into());
                }
            });
        },
    );
    if !read {
        return Err(std::io::Error::other("a bundle could not be read"));
    }
    if let Some(e) = failure {
        return Err(e);
    }
    for writer in &mut writers {
        writer.flush()?;
    }
    let mut names: Vec<String> = exporter.tables().iter().map(|(n, _)| n.clone()).collect();
    if let Some(language) = &args.labels {
        let table = codebook(instrument, language);
        std::fs::write(dir.join(&table.name), to_csv(&table))?;
        names.push(table.name);
    }
    names.extend(file_names);
    Ok(names)
}

/// Writes the export's .zip front to back, a record at a time (the repeat tables and the
/// files wait in temporary files until the main table is done): the bytes a server's export
/// of the same records gives. The names of the archive's files, in order.
fn write_export_zip(
    instrument: &Instrument,
    args: &ExportArgs,
    options: &Options,
) -> std::io::Result<Vec<String>> {
    let exporter = Exporter::new(instrument, options);
    let out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&args.output)?);
    let mut zip = ZipExport::new(&exporter, out, tempfile::tempfile)?;
    let mut failure = None;
    let mut file_names = Vec::new();
    let read = each_record_with_files(
        instrument,
        &args.bundles,
        args.drafts,
        true,
        |record, files| {
            if failure.is_some() {
                return;
            }
            let mut kept = Ok(());
            for (file, bytes) in files.iter().filter(|_| !args.no_files) {
                kept = kept.and_then(|()| zip.keep_file(&record.instance_id, &file.name, bytes));
                file_names.push(file_path(&record.instance_id, &file.name));
            }
            if let Err(e) = kept.and_then(|()| zip.add(&record, files.len())) {
                failure = Some(e);
            }
        },
    );
    if !read {
        return Err(std::io::Error::other("a bundle could not be read"));
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let codebook = args.labels.as_ref().map(|l| codebook(instrument, l));
    zip.finish_tables(codebook.as_ref())?.finish()?.flush()?;
    let mut names: Vec<String> = exporter.tables().iter().map(|(n, _)| n.clone()).collect();
    names.extend(codebook.map(|t| t.name));
    names.extend(file_names);
    Ok(names)
}

#[derive(Args)]
pub struct AggregateArgs {
    pub form: PathBuf,
    /// Bundles (.jsonl), or wide CSV exports (.csv: the main table, codes not labels).
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

fn plan(args: &AggregateArgs, instrument: &Instrument) -> Result<Plan, String> {
    match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            dala_aggregate::plan::parse(&text)
                .map_err(|e| format!("{}: {}", path.display(), dala_words::plan_error(&e)))
        }
        None => Ok(default_plan(
            instrument,
            args.by.as_deref(),
            args.weight.as_deref(),
        )),
    }
}

/// Reads a wide CSV: this thread parses rows in batches and a worker per other core
/// aggregates them, the partial aggregates merged at the end (when the plan allows slices).
fn read_wide_csv(
    aggregation: &mut Aggregation,
    instrument: &Instrument,
    file: std::fs::File,
    drafts: bool,
    progress: &indicatif::ProgressBar,
) -> Result<WideCsvReport, String> {
    const BATCH: usize = 4096;
    let mut csv = WideCsv::open(aggregation, instrument, file, drafts)
        .map_err(|e| dala_words::wide_csv_error(&e))?;
    let at = csv.columns();
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if workers < 2 {
        let mut batch = Vec::new();
        while csv
            .next_batch(&mut batch, BATCH)
            .map_err(|e| dala_words::wide_csv_error(&e))?
        {
            add_rows(aggregation, &at, &batch);
            progress.set_position(csv.bytes_read());
        }
        return Ok(csv.report);
    }
    let empty = aggregation.clone();
    std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        // Filled batches go to the workers; emptied ones come back to be refilled.
        let (back, returned) = std::sync::mpsc::channel::<Vec<csv::ByteRecord>>();
        for _ in 0..workers {
            let (send, receive) = std::sync::mpsc::sync_channel::<Vec<csv::ByteRecord>>(2);
            senders.push(send);
            let (mut part, at, back) = (empty.clone(), &at, back.clone());
            handles.push(scope.spawn(move || {
                for batch in receive {
                    add_rows(&mut part, at, &batch);
                    let _ = back.send(batch);
                }
                part
            }));
        }
        let mut result: Result<(), String> = Ok(());
        for turn in 0.. {
            let mut batch = returned.try_recv().unwrap_or_default();
            match csv.next_batch(&mut batch, BATCH) {
                Ok(true) => {
                    if senders[turn % workers].send(batch).is_err() {
                        break;
                    }
                }
                Ok(false) => break,
                Err(e) => {
                    result = Err(dala_words::wide_csv_error(&e));
                    break;
                }
            }
            progress.set_position(csv.bytes_read());
        }
        drop(senders);
        for handle in handles {
            match handle.join() {
                Ok(part) => aggregation.merge(part),
                // A lost slice would make every table wrong: refuse rather than print them.
                Err(_) => result = Err("an aggregation worker stopped; no tables were made".into()),
            }
        }
        result
    })?;
    Ok(csv.report)
}

/// Feeds the inputs into the aggregation: wide CSVs (by extension) row by row, bundles record
/// by record with duplicates dropped across them.
fn feed(
    aggregation: &mut Aggregation,
    instrument: &Instrument,
    args: &AggregateArgs,
) -> Result<(), String> {
    let (csvs, bundles): (Vec<&PathBuf>, Vec<&PathBuf>) = args
        .bundles
        .iter()
        .partition(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")));
    for path in csvs {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let size = file.metadata().map_or(0, |m| m.len());
        let progress = progress_bar(size, "reading", 50_000_000);
        let report = read_wide_csv(aggregation, instrument, file, args.drafts, &progress)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        progress.finish_and_clear();
        eprintln!(
            "{}: {} rows ({} drafts left out)",
            path.display(),
            report.rows,
            report.drafts_skipped
        );
    }
    if !bundles.is_empty() {
        let bundles: Vec<PathBuf> = bundles.into_iter().cloned().collect();
        if !each_record(instrument, &bundles, args.drafts, |record| {
            aggregation.add_submission(&record);
        }) {
            return Err("a bundle could not be read".into());
        }
    }
    Ok(())
}

pub fn aggregate_command(args: AggregateArgs) -> ExitCode {
    let Some(instrument) = instrument(&args.form) else {
        return ExitCode::FAILURE;
    };
    let result = plan(&args, &instrument).and_then(|plan| {
        let mut aggregation =
            Aggregation::new(&plan, &instrument).map_err(|e| match &args.plan {
                Some(path) => format!("{}: {}", path.display(), dala_words::plan_error(&e)),
                None => dala_words::plan_error(&e),
            })?;
        feed(&mut aggregation, &instrument, &args)?;
        Ok(aggregation.finish())
    });
    let rows = match result {
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

/// A progress bar on standard error for runs of at least `from` (records or bytes); hidden
/// for short runs (indicatif also hides it when standard error is not a terminal).
fn progress_bar(total: u64, what: &str, from: u64) -> indicatif::ProgressBar {
    if total < from {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    let counter = if what == "reading" {
        "{bytes}/{total_bytes}"
    } else {
        "{pos}/{len}"
    };
    if let Ok(style) =
        indicatif::ProgressStyle::with_template(&format!("{what} {{bar:40}} {counter} ({{eta}})"))
    {
        bar.set_style(style);
    }
    bar
}
