//! A check of an .xls file's compound-file (OLE) structure before calamine reads it.
//!
//! calamine trusts the sizes written in the container (FAT length, mini-FAT length, directory
//! and stream sizes) and reserves that much memory up front: a few kilobytes claiming a 4 GB
//! stream made it ask for 3.8 GB (found by fuzzing). Every size is checked here against the
//! file's own length, following the directory chain through the FAT, with every loop bounded
//! by the number of sectors in the file.

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREESECT: u32 = 0xFFFF_FFFF;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Ok when every size in the container fits in the file; Err with the reason otherwise.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let len = bytes.len() as u64;
    let shift = u16_at(bytes, 0x1E).ok_or("the file is too short for its header")?;
    let sector = match shift {
        9 => 512u64,
        12 => 4096,
        other => return Err(format!("sector shift {other} is not 9 or 12")),
    };
    let sectors_in_file = len / sector;
    let fat_len = u64::from(u32_at(bytes, 0x2C).ok_or("short header")?);
    let dir_len = u64::from(u32_at(bytes, 0x28).ok_or("short header")?);
    let dir_start = u32_at(bytes, 0x30).ok_or("short header")?;
    let mini_fat_len = u64::from(u32_at(bytes, 0x40).ok_or("short header")?);
    let difat_len = u64::from(u32_at(bytes, 0x48).ok_or("short header")?);
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
    let sector_at = |id: u32| -> Option<&[u8]> {
        let start = (u64::from(id) + 1).checked_mul(sector)?;
        bytes.get(start as usize..(start + sector) as usize)
    };
    // The FAT, from the header's DIFAT entries (files with an external DIFAT are large and rare
    // for forms; their extra FAT sectors are simply not followed here).
    let mut fat: Vec<u32> = Vec::new();
    for i in 0..109usize {
        let id = u32_at(bytes, 0x4C + 4 * i).ok_or("short header")?;
        if id == FREESECT || id == ENDOFCHAIN {
            continue;
        }
        let data = sector_at(id).ok_or("a FAT sector lies past the end of the file")?;
        fat.extend(
            data.chunks_exact(4)
                .filter_map(|c| c.try_into().ok().map(u32::from_le_bytes)),
        );
    }
    // Walk the directory chain; each entry's stream size must fit in the file.
    let mut id = dir_start;
    let mut steps = 0u64;
    while id != ENDOFCHAIN {
        steps += 1;
        if steps > sectors_in_file + 1 {
            return Err("the directory chain loops".into());
        }
        let data = sector_at(id).ok_or("a directory sector lies past the end of the file")?;
        for entry in data.chunks_exact(128) {
            let size = if shift == 9 {
                u64::from(u32_at(entry, 0x78).unwrap_or(0))
            } else {
                u64_at(entry, 0x78).unwrap_or(0)
            };
            if size > len {
                return Err(format!("a stream claims {size} bytes in a file of {len}"));
            }
        }
        id = *fat
            .get(id as usize)
            .ok_or("the directory chain leaves the FAT")?;
    }
    Ok(())
}
