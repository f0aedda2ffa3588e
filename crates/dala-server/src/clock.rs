//! The server's clock, as the records' times are written (ISO 8601, milliseconds, UTC): text
//! that sorts as time does, so the database compares it as text.

fn epoch_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn format(epoch_ms: i64) -> String {
    dala_expr::date::format_date_time(dala_expr::date::DateTime {
        epoch_ms,
        offset_minutes: 0,
    })
}

pub fn now() -> String {
    format(epoch_ms())
}

/// The server's clock `hours` from now.
pub fn after_hours(hours: i64) -> String {
    after_ms(hours.saturating_mul(3_600_000))
}

/// The server's clock `ms` milliseconds from now (before it, when negative).
pub fn after_ms(ms: i64) -> String {
    format(epoch_ms().saturating_add(ms))
}
