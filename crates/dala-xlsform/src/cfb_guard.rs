//! A check of an .xls file's compound-file (OLE) structure before calamine reads it.
//!
//! calamine trusts the container: it reserves the sizes written in it up front, and follows
//! sector chains until their end marker, so a chain that loops grows memory without bound (both
//! found by fuzzing: a few kilobytes asked for 2-4 GB). Every size is checked here against the
//! file's length and every chain calamine may follow (DIFAT, directory, mini FAT, mini stream,
//! each stream) is walked with a step bound, so a loop or a dangling link is an error.

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

/// Ok when every size and chain in the container is sound; Err with the reason otherwise.
pub fn check(bytes: &[u8]) -> Result<(), String> {
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
    let mut workbook: Option<Vec<u8>> = None;
    for (name, start, size) in &entries[1..] {
        if name != "Workbook" && name != "Book" {
            continue;
        }
        let stream: Vec<u8> = if *size < MINI_CUTOFF {
            let mini_ids = walk(*start, &mini_fat, mini_sectors, "mini stream")?;
            let root: Vec<u8> = if mini_fat_len > 0 {
                walk(root_start, &fat, sectors_in_file, "mini stream")?
                    .into_iter()
                    .map(sector_at)
                    .collect::<Result<Vec<_>, _>>()?
                    .concat()
            } else {
                Vec::new()
            };
            mini_ids
                .iter()
                .filter_map(|id| root.get(*id as usize * 64..(*id as usize + 1) * 64))
                .flatten()
                .copied()
                .collect()
        } else {
            walk(*start, &fat, sectors_in_file, "stream")?
                .into_iter()
                .map(sector_at)
                .collect::<Result<Vec<_>, _>>()?
                .concat()
        };
        if workbook.is_none() {
            workbook = Some(stream.into_iter().take(*size as usize).collect());
        }
    }
    if let Some(stream) = workbook {
        check_cell_area(&stream)?;
    }
    Ok(())
}

/// Most cells a sheet's bounding box may span: calamine's .xls reader allocates the whole box
/// (rows x columns) as a dense grid, so two cells far apart would cost gigabytes.
const MAX_SHEET_AREA: u64 = 4_000_000;

/// Scans the BIFF records of the workbook stream for cell positions, sheet by sheet.
fn check_cell_area(stream: &[u8]) -> Result<(), String> {
    let mut at = 0usize;
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    let check = |b: Option<(u32, u32, u32, u32)>| -> Result<(), String> {
        if let Some((r0, r1, c0, c1)) = b {
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
        Ok(())
    };
    while at + 4 <= stream.len() {
        let kind = u16_at(stream, at).unwrap_or(0);
        let len = usize::from(u16_at(stream, at + 2).unwrap_or(0));
        let data = stream
            .get(at + 4..(at + 4 + len).min(stream.len()))
            .unwrap_or(&[]);
        at += 4 + len;
        // BOF starts a sheet's substream: the previous one is complete.
        if kind == 0x0809 {
            check(bounds.take())?;
            continue;
        }
        // DIMENSIONS: the reader reserves the claimed rows x columns up front (as calamine
        // reads it: a first column past 0xFF counts as 0; an end before the start is invalid).
        if kind == 0x0200 {
            let claimed = match data.len() {
                10 => Some((
                    u32::from(u16_at(data, 0).unwrap_or(0)),
                    u32::from(u16_at(data, 2).unwrap_or(0)),
                    u16_at(data, 4).unwrap_or(0),
                    u16_at(data, 6).unwrap_or(0),
                )),
                14 => Some((
                    u32_at(data, 0).unwrap_or(0),
                    u32_at(data, 4).unwrap_or(0),
                    u16_at(data, 8).unwrap_or(0),
                    u16_at(data, 10).unwrap_or(0),
                )),
                _ => None,
            };
            if let Some((first_row, row_end, first_col, col_end)) = claimed {
                let first_col = if first_col > 0xFF || col_end < first_col {
                    0
                } else {
                    u32::from(first_col)
                };
                let col_end = u32::from(col_end);
                if row_end >= 1 && col_end >= 1 {
                    if row_end - 1 < first_row || col_end - 1 < first_col {
                        return Err("a sheet's DIMENSIONS record ends before it starts".into());
                    }
                    let area = u64::from(row_end - first_row) * u64::from(col_end - first_col);
                    if area > MAX_SHEET_AREA {
                        return Err(format!(
                            "a sheet claims {area} cells in its DIMENSIONS record; the limit is {MAX_SHEET_AREA}"
                        ));
                    }
                }
            }
            continue;
        }
        let cell = match kind {
            // NUMBER, RK, LABELSST, LABEL, BOOLERR, FORMULA, BLANK, RSTRING: row, column.
            0x0203 | 0x027E | 0x00FD | 0x0204 | 0x0205 | 0x0006 | 0x0201 | 0x00D6 => {
                u16_at(data, 0).zip(u16_at(data, 2)).map(|(r, c)| (r, c, c))
            }
            // MULRK, MULBLANK: row, first column, ..., last column in the record's last 2 bytes.
            0x00BD | 0x00BE if data.len() >= 6 => Some((
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
    check(bounds)
}
