//! A check of an .xls file's compound-file (OLE) structure before calamine reads it.
//!
//! calamine trusts the container: it reserves the sizes written in it up front, and follows
//! sector chains until their end marker, so a chain that loops grows memory without bound (both
//! found by fuzzing: a few kilobytes asked for 2-4 GB). Every size is checked here against the
//! file's length and every chain calamine may follow (DIFAT, directory, mini FAT, mini stream,
//! each stream) is walked with a step bound, so a loop or a dangling link is an error.
//!
//! A sheet's DIMENSIONS record is a claim, too: calamine reserves rows x columns cells for it
//! up front, and real files claim far more than they hold (formatting carried down to row
//! 65,536). A claim over the limit is rewritten, in a copy of the file, to the box the sheet's
//! cells really span, so the work is bounded by what is there; only cells that really span too
//! much are refused.

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// Sector ids at or above this are markers, not sectors (calamine's RESERVED_SECTORS).
const MAX_REGULAR: u32 = 0xFFFF_FFFA;
/// Streams shorter than this live in the mini stream.
const MINI_CUTOFF: u64 = 4096;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn words(data: &[u8]) -> impl Iterator<Item = u32> + '_ {
    data.chunks_exact(4)
        .filter_map(|c| c.try_into().ok().map(u32::from_le_bytes))
}

/// Follows `start` through `table` to ENDOFCHAIN; an id outside the table or past `limit`
/// sectors (the reader would grow its buffer to reach it), or more steps than the table has
/// entries (a loop), is an error. Returns the ids visited.
fn walk(start: u32, table: &[u32], limit: u64, what: &str) -> Result<Vec<u32>, String> {
    let mut ids = Vec::new();
    let mut id = start;
    while id != ENDOFCHAIN {
        if ids.len() > table.len() {
            return Err(format!("the {what} chain loops"));
        }
        if u64::from(id) >= limit {
            return Err(format!(
                "the {what} chain names sector {id}, past the end of its data"
            ));
        }
        ids.push(id);
        id = *table
            .get(id as usize)
            .ok_or_else(|| format!("the {what} chain points past its table"))?;
    }
    Ok(ids)
}

/// Where a stream's bytes lie in the file: its chain of sectors, or of 64-byte mini sectors
/// inside the root entry's sectors (`mini_in`).
struct Placement {
    sector: u64,
    ids: Vec<u32>,
    mini_in: Option<Vec<u32>>,
}

impl Placement {
    /// The file offset of the stream's byte `pos`, if its chain reaches it.
    fn offset(&self, pos: u64) -> Option<u64> {
        let in_chain = |ids: &[u32], unit: u64, pos: u64| {
            let id = ids.get(usize::try_from(pos / unit).ok()?)?;
            Some((u64::from(*id), pos % unit))
        };
        match &self.mini_in {
            None => {
                let (id, within) = in_chain(&self.ids, self.sector, pos)?;
                Some((id + 1) * self.sector + within)
            }
            Some(root) => {
                let (mini, within) = in_chain(&self.ids, 64, pos)?;
                let (id, at) = in_chain(root, self.sector, mini * 64 + within)?;
                Some((id + 1) * self.sector + at)
            }
        }
    }
}

/// Ok when every size and chain in the container is sound, with a copy of the file when a
/// sheet's DIMENSIONS claim had to be brought down to its cells; Err with the reason otherwise.
pub fn check(bytes: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let len = bytes.len() as u64;
    let shift = u16_at(bytes, 0x1E).ok_or("the file is too short for its header")?;
    let sector = match shift {
        9 => 512u64,
        12 => 4096,
        other => return Err(format!("sector shift {other} is not 9 or 12")),
    };
    let sectors_in_file = len / sector;
    let header = |at| u32_at(bytes, at).ok_or_else(|| "short header".to_string());
    let (dir_len, fat_len, dir_start) = (
        u64::from(header(0x28)?),
        u64::from(header(0x2C)?),
        header(0x30)?,
    );
    let (mini_fat_start, mini_fat_len) = (header(0x3C)?, u64::from(header(0x40)?));
    let (difat_start, difat_len) = (header(0x44)?, u64::from(header(0x48)?));
    for (what, count) in [
        ("FAT", fat_len),
        ("directory", dir_len),
        ("mini FAT", mini_fat_len),
        ("DIFAT", difat_len),
    ] {
        if count > sectors_in_file {
            return Err(format!(
                "the header claims {count} {what} sectors; the file has {sectors_in_file}"
            ));
        }
    }
    let sector_at = |id: u32| -> Result<&[u8], String> {
        let start = (u64::from(id) + 1) * sector;
        bytes
            .get(start as usize..(start + sector) as usize)
            .ok_or_else(|| format!("sector {id} lies past the end of the file"))
    };
    // The DIFAT: 109 entries in the header, then a chain of sectors whose last word links on.
    let mut difat: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(bytes, 0x4C + 4 * i))
        .collect();
    let mut id = difat_start;
    let mut steps = 0;
    while id < MAX_REGULAR {
        steps += 1;
        if steps > sectors_in_file {
            return Err("the DIFAT chain loops".into());
        }
        let mut entries: Vec<u32> = words(sector_at(id)?).collect();
        id = entries.pop().unwrap_or(ENDOFCHAIN);
        difat.extend(entries);
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < 0xFFFF_FFFC) {
        fat.extend(words(sector_at(id)?));
    }
    // The directory, and every stream it names.
    let mut entries = Vec::new();
    for id in walk(dir_start, &fat, sectors_in_file, "directory")? {
        let data = sector_at(id)?;
        for entry in data.chunks_exact(128) {
            let size = if shift == 9 {
                u64::from(u32_at(entry, 0x78).unwrap_or(0))
            } else {
                u64_at(entry, 0x78).unwrap_or(0)
            };
            if size > len {
                return Err(format!("a stream claims {size} bytes in a file of {len}"));
            }
            let units: Vec<u16> = entry[..64]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|u| *u != 0)
                .collect();
            entries.push((
                String::from_utf16_lossy(&units),
                u32_at(entry, 0x74).unwrap_or(ENDOFCHAIN),
                size,
            ));
        }
    }
    let Some((_, root_start, root_size)) = entries.first().cloned() else {
        return Err("the directory is empty".into());
    };
    // Mini sectors are 64 bytes of the mini stream, which is the root entry's stream.
    let mini_sectors = root_size.div_ceil(64);
    let mini_fat: Vec<u32> = if mini_fat_len > 0 {
        walk(root_start, &fat, sectors_in_file, "mini stream")?;
        walk(mini_fat_start, &fat, sectors_in_file, "mini FAT")?
            .into_iter()
            .map(sector_at)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flat_map(words)
            .collect()
    } else {
        Vec::new()
    };
    // The reader follows the chain of the workbook stream (`Workbook`, or `Book` in old files)
    // whatever its size says, even 0.
    // The stream, and where its bytes lie in the file.
    let mut workbook: Option<(Vec<u8>, Placement)> = None;
    for (name, start, size) in &entries[1..] {
        if name != "Workbook" && name != "Book" {
            continue;
        }
        let placement = if *size < MINI_CUTOFF {
            Placement {
                sector,
                ids: walk(*start, &mini_fat, mini_sectors, "mini stream")?,
                mini_in: Some(if mini_fat_len > 0 {
                    walk(root_start, &fat, sectors_in_file, "mini stream")?
                } else {
                    Vec::new()
                }),
            }
        } else {
            Placement {
                sector,
                ids: walk(*start, &fat, sectors_in_file, "stream")?,
                mini_in: None,
            }
        };
        let mut stream = Vec::new();
        for pos in 0..*size {
            match placement
                .offset(pos)
                .and_then(|at| bytes.get(usize::try_from(at).ok()?))
            {
                Some(byte) => stream.push(*byte),
                None => break,
            }
        }
        if workbook.is_none() {
            workbook = Some((stream, placement));
        }
    }
    let Some((stream, placement)) = workbook else {
        return Ok(None);
    };
    let patches = check_cell_area(&stream)?;
    if patches.is_empty() {
        return Ok(None);
    }
    let mut patched = bytes.to_vec();
    for (at, data) in patches {
        for (i, byte) in data.into_iter().enumerate() {
            let place = placement
                .offset((at + i) as u64)
                .and_then(|o| usize::try_from(o).ok())
                .and_then(|o| patched.get_mut(o));
            if let Some(place) = place {
                *place = byte;
            }
        }
    }
    Ok(Some(patched))
}

/// Most cells a sheet's bounding box may span: calamine's .xls reader allocates the whole box
/// (rows x columns) as a dense grid, so two cells far apart would cost gigabytes.
const MAX_SHEET_AREA: u64 = 4_000_000;

/// A DIMENSIONS record: where its data starts in the stream, its length (10 or 14 bytes).
type Claim = (usize, usize);

/// Scans the BIFF records of the workbook stream for the cells calamine keeps, sheet by
/// sheet. A sheet whose cells span more than the limit is refused; a DIMENSIONS claim over the
/// limit gets a patch (where in the stream, the new record data) naming the cells' real box.
fn check_cell_area(stream: &[u8]) -> Result<Vec<(usize, Vec<u8>)>, String> {
    let mut at = 0usize;
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    let mut claims: Vec<Claim> = Vec::new();
    let mut patches = Vec::new();
    let mut end_of_sheet = |bounds: Option<(u32, u32, u32, u32)>,
                            claims: &mut Vec<Claim>|
     -> Result<(), String> {
        if let Some((r0, r1, c0, c1)) = bounds {
            let area = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
            if area > MAX_SHEET_AREA {
                return Err(format!(
                    "a sheet spans rows {}-{} and columns {}-{} ({area} cells); the limit is {MAX_SHEET_AREA}",
                    r0 + 1,
                    r1 + 1,
                    c0 + 1,
                    c1 + 1
                ));
            }
        }
        for (data_at, data_len) in claims.drain(..) {
            let data = stream.get(data_at..data_at + data_len).unwrap_or(&[]);
            if claimed_area(data) > MAX_SHEET_AREA {
                let (r0, r1, c0, c1) = bounds.unwrap_or((0, 0, 0, 0));
                patches.push((data_at, dimensions(data_len, r0, r1 + 1, c0, c1 + 1)));
            }
        }
        Ok(())
    };
    while at + 4 <= stream.len() {
        let kind = u16_at(stream, at).unwrap_or(0);
        let len = usize::from(u16_at(stream, at + 2).unwrap_or(0));
        let data_at = at + 4;
        let data = stream
            .get(data_at..(data_at + len).min(stream.len()))
            .unwrap_or(&[]);
        at += 4 + len;
        // BOF starts a sheet's substream: the previous one is complete.
        if kind == 0x0809 {
            end_of_sheet(bounds.take(), &mut claims)?;
            continue;
        }
        if kind == 0x0200 {
            if matches!(data.len(), 10 | 14) {
                claims.push((data_at, data.len()));
            }
            continue;
        }
        let cell = match kind {
            // NUMBER, RK, LABELSST, LABEL, BOOLERR, FORMULA, RSTRING: row, column. (BLANK and
            // MULBLANK, formatting without a value, are passed over by the reader.)
            0x0203 | 0x027E | 0x00FD | 0x0204 | 0x0205 | 0x0006 | 0x00D6 => {
                u16_at(data, 0).zip(u16_at(data, 2)).map(|(r, c)| (r, c, c))
            }
            // MULRK: row, first column, ..., last column in the record's last 2 bytes.
            0x00BD if data.len() >= 6 => Some((
                u16_at(data, 0).unwrap_or(0),
                u16_at(data, 2).unwrap_or(0),
                u16_at(data, data.len() - 2).unwrap_or(0),
            )),
            _ => None,
        };
        if let Some((row, first, last)) = cell {
            let (row, first, last) = (u32::from(row), u32::from(first), u32::from(last.max(first)));
            bounds = Some(match bounds {
                None => (row, row, first, last),
                Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(first), c1.max(last)),
            });
        }
    }
    end_of_sheet(bounds, &mut claims)?;
    Ok(patches)
}

/// The cells a DIMENSIONS record's data claims, as calamine reads it (a first column past
/// 0xFF, or an end before the start, counts from column 0; ends are one past the last).
fn claimed_area(data: &[u8]) -> u64 {
    let (first_row, row_end, first_col, col_end) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0).unwrap_or(0)),
            u32::from(u16_at(data, 2).unwrap_or(0)),
            u32::from(u16_at(data, 4).unwrap_or(0)),
            u32::from(u16_at(data, 6).unwrap_or(0)),
        ),
        14 => (
            u32_at(data, 0).unwrap_or(0),
            u32_at(data, 4).unwrap_or(0),
            u32::from(u16_at(data, 8).unwrap_or(0)),
            u32::from(u16_at(data, 10).unwrap_or(0)),
        ),
        _ => return 0,
    };
    let first_col = if first_col > 0xFF || col_end < first_col {
        0
    } else {
        first_col
    };
    if row_end == 0 || col_end == 0 {
        return 1;
    }
    // The reader reserves (last - first + 1) rows and columns; an end before its start would
    // wrap round to billions there, so it counts as over any limit (and is rewritten).
    match (
        (row_end - 1).checked_sub(first_row),
        (col_end - 1).checked_sub(first_col),
    ) {
        (Some(rows), Some(cols)) => (u64::from(rows) + 1) * (u64::from(cols) + 1),
        _ => u64::MAX,
    }
}

/// A DIMENSIONS record's data of `len` bytes (10: 16-bit rows, 14: 32-bit rows) for rows
/// `first_row..row_end` and columns `first_col..col_end`.
fn dimensions(len: usize, first_row: u32, row_end: u32, first_col: u32, col_end: u32) -> Vec<u8> {
    let col = |c: u32| u16::try_from(c).unwrap_or(u16::MAX).to_le_bytes();
    let mut data = Vec::with_capacity(len);
    if len == 10 {
        let row = |r: u32| u16::try_from(r).unwrap_or(u16::MAX).to_le_bytes();
        data.extend(row(first_row));
        data.extend(row(row_end));
    } else {
        data.extend(first_row.to_le_bytes());
        data.extend(row_end.to_le_bytes());
    }
    data.extend(col(first_col));
    data.extend(col(col_end));
    data.extend([0, 0]);
    data
}
