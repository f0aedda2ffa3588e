//! The wide export as a .zip written front to back: the main table, a table per repeat, the
//! codebook, then the records' files, as ODK Central's export holds them. Nothing is ever
//! written twice or sought back to, so the same bytes go to a file (`dala export`), to an
//! HTTP response as they are made (the server), or to memory (the app).
//!
//! A record's rows go to several tables at once, but a .zip holds one file after another: the
//! main table goes straight into the archive while the repeat tables (and the files, when the
//! caller has them only as records pass) wait in spools the caller gives (temporary files on a
//! disk, or memory), copied in after the last record. Memory stays bounded by one record.

use crate::export::{Exporter, Table, write_row};
use dala_core::Submission;
use std::io::{Read, Seek, SeekFrom, Write};

/// Where a wide export's .zip holds the records' files, as ODK Central's does:
/// `files/<instance id>/<name>`.
pub const FILES_FOLDER: &str = "files/";

/// The path of a record's file in a wide export's .zip.
pub fn file_path(instance_id: &str, name: &str) -> String {
    format!("{FILES_FOLDER}{instance_id}/{name}")
}

/// The .zip of a wide export, written one entry at a time in any amount of slices: the one
/// way every part of Dala packs an export, so the command line, the app and a server give the
/// same bytes for the same files (deflated, ZIP64 where needed, no timestamps of the machine,
/// each entry's sizes after its data, so nothing is sought back to).
pub struct ExportZip<W: Write> {
    zip: zip::ZipWriter<zip::write::StreamWriter<W>>,
}

impl<W: Write> ExportZip<W> {
    pub fn new(out: W) -> ExportZip<W> {
        ExportZip {
            zip: zip::ZipWriter::new_stream(out),
        }
    }

    /// Starts the next file; what is written after goes into it. A record's file (under
    /// `files/`: a photo, a recording, already compressed) is stored as it is, a table
    /// deflated.
    pub fn start(&mut self, name: &str) -> std::io::Result<()> {
        let method = if name.starts_with(FILES_FOLDER) {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true);
        self.zip
            .start_file(name, options)
            .map_err(std::io::Error::other)
    }

    /// Writes the end of the archive and gives the output back.
    pub fn finish(self) -> std::io::Result<W> {
        Ok(self
            .zip
            .finish()
            .map_err(std::io::Error::other)?
            .into_inner())
    }
}

impl<W: Write> Write for ExportZip<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.zip.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.zip.flush()
    }
}

/// A place to keep bytes until the archive is ready for them: a temporary file, or memory.
pub trait Spool: Read + Write + Seek {}
impl<T: Read + Write + Seek> Spool for T {}

/// A wide export being written into a .zip, a record at a time (see the module's words).
pub struct ZipExport<'a, W: Write, S: Spool> {
    exporter: &'a Exporter<'a>,
    main: csv::Writer<ExportZip<W>>,
    /// The repeat tables, in the exporter's numbering from 1.
    repeats: Vec<csv::Writer<S>>,
    /// The records' files given as records pass, and their paths and sizes, in order.
    files: Option<(S, Vec<(String, u64)>)>,
    spool: Box<dyn FnMut() -> std::io::Result<S> + 'a>,
}

impl<'a, W: Write, S: Spool> ZipExport<'a, W, S> {
    /// Starts the archive with the main table's header; `spool` makes an empty spool.
    pub fn new(
        exporter: &'a Exporter<'a>,
        out: W,
        mut spool: impl FnMut() -> std::io::Result<S> + 'a,
    ) -> std::io::Result<ZipExport<'a, W, S>> {
        let tables = exporter.tables();
        let mut zip = ExportZip::new(out);
        zip.start(&tables[0].0)?;
        let mut main = csv::Writer::from_writer(zip);
        write_row(&mut main, &tables[0].1)?;
        let mut repeats = Vec::with_capacity(tables.len() - 1);
        for (_, header) in &tables[1..] {
            let mut writer = csv::Writer::from_writer(spool()?);
            write_row(&mut writer, header)?;
            repeats.push(writer);
        }
        Ok(ZipExport {
            exporter,
            main,
            repeats,
            files: None,
            spool: Box::new(spool),
        })
    }

    /// Adds a record's rows; `present` of the files it lists are in the export.
    pub fn add(&mut self, record: &Submission, present: usize) -> std::io::Result<()> {
        let mut failure = None;
        let (main, repeats) = (&mut self.main, &mut self.repeats);
        self.exporter
            .rows_with_files(record, present, &mut |table, row| {
                if failure.is_some() {
                    return;
                }
                let written = match table {
                    0 => write_row(main, &row),
                    n => write_row(&mut repeats[n - 1], &row),
                };
                if let Err(e) = written {
                    failure = Some(std::io::Error::from(e));
                }
            });
        failure.map_or(Ok(()), Err)
    }

    /// Keeps a record's file for the end of the archive, where ODK Central's export has them
    /// (for a caller that has the files only as the records pass).
    pub fn keep_file(
        &mut self,
        instance_id: &str,
        name: &str,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let (spool, kept) = match &mut self.files {
            Some(files) => files,
            None => self.files.insert(((self.spool)()?, Vec::new())),
        };
        spool.write_all(bytes)?;
        kept.push((file_path(instance_id, name), bytes.len() as u64));
        Ok(())
    }

    /// Ends the main table and copies in the repeat tables, the codebook and the files kept:
    /// what is left is to add any other files and finish.
    pub fn finish_tables(self, codebook: Option<&Table>) -> std::io::Result<ExportFiles<W>> {
        let mut zip = self
            .main
            .into_inner()
            .map_err(csv::IntoInnerError::into_error)?;
        for ((name, _), writer) in self.exporter.tables()[1..].iter().zip(self.repeats) {
            let mut spool = writer
                .into_inner()
                .map_err(csv::IntoInnerError::into_error)?;
            spool.seek(SeekFrom::Start(0))?;
            zip.start(name)?;
            std::io::copy(&mut spool, &mut zip)?;
        }
        if let Some(table) = codebook {
            zip.start(&table.name)?;
            let mut writer = csv::Writer::from_writer(&mut zip);
            for row in &table.rows {
                write_row(&mut writer, row)?;
            }
            writer.flush()?;
        }
        let mut files = ExportFiles { zip };
        if let Some((mut spool, kept)) = self.files {
            spool.seek(SeekFrom::Start(0))?;
            for (path, size) in kept {
                files.zip.start(&path)?;
                std::io::copy(&mut (&mut spool).take(size), &mut files.zip)?;
            }
        }
        Ok(files)
    }
}

/// The end of a wide export's .zip: the records' files, then the archive's directory.
pub struct ExportFiles<W: Write> {
    zip: ExportZip<W>,
}

impl<W: Write> ExportFiles<W> {
    /// Adds a record's file.
    pub fn add(&mut self, instance_id: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.zip.start(&file_path(instance_id, name))?;
        self.zip.write_all(bytes)
    }

    /// Writes the archive's directory and gives the output back.
    pub fn finish(self) -> std::io::Result<W> {
        self.zip.finish()
    }
}
