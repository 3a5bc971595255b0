//! The writer's side of alert rules (see `alert_firings.rs` for the reads and the calls
//! that lead here): a firing and its chat notice in one transaction, its value as it goes,
//! its end, and each attempt to send a notice.

use rusqlite::{params, Connection, OptionalExtension};

use crate::alert_model::{FiringRecorded, NewFiring, NoticeAttempt};
use crate::Result;

/// The writer's half of [`Store::record_firing`](crate::Store::record_firing). The unique
/// index on open firings decides: a rule already firing (recorded by another receiver, or
/// before a restart) gets nothing new.
pub(crate) fn write_fired(conn: &Connection, firing: &NewFiring) -> Result<FiringRecorded> {
    let open: Option<i64> = conn
        .prepare_cached("SELECT id FROM alert_firings WHERE rule_id = ?1 AND resolved_ms IS NULL")?
        .query_row([&firing.rule_id], |r| r.get(0))
        .optional()?;
    if let Some(id) = open {
        return Ok(FiringRecorded::AlreadyOpen(id));
    }
    conn.prepare_cached(
        "INSERT INTO alert_firings
           (rule_id, rule_name, severity, started_ms, value, peak, threshold, window_from_ms, window_to_ms, notified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        firing.rule_id,
        firing.rule_name,
        firing.severity,
        firing.at_ms,
        firing.value,
        firing.threshold,
        firing.window_from_ms,
        firing.window_to_ms,
        firing.notified,
    ])?;
    let id = conn.last_insert_rowid();
    if let Some(text) = &firing.chat {
        owe_notice(conn, id, "firing", text, firing.at_ms)?;
    }
    Ok(FiringRecorded::New(id))
}

pub(crate) fn write_peak(conn: &Connection, firing: i64, peak: f64) -> Result<()> {
    conn.prepare_cached("UPDATE alert_firings SET peak = ?2 WHERE id = ?1")?.execute(params![firing, peak])?;
    Ok(())
}

/// Returns 1 when the firing ended now, 0 when it had ended before.
pub(crate) fn write_resolved(conn: &Connection, firing: i64, at_ms: i64, chat: Option<&str>) -> Result<i64> {
    let ended = conn
        .prepare_cached("UPDATE alert_firings SET resolved_ms = ?2 WHERE id = ?1 AND resolved_ms IS NULL")?
        .execute(params![firing, at_ms])?;
    if ended == 0 {
        return Ok(0);
    }
    if let Some(text) = chat {
        owe_notice(conn, firing, "resolved", text, at_ms)?;
    }
    Ok(1)
}

fn owe_notice(conn: &Connection, firing: i64, kind: &str, text: &str, at_ms: i64) -> Result<()> {
    conn.prepare_cached(
        // Due at once: a notice waits only for the ones before it.
        "INSERT INTO alert_notices (firing, kind, text, created_ms, next_ms) VALUES (?1, ?2, ?3, ?4, 0)",
    )?
    .execute(params![firing, kind, text, at_ms])?;
    Ok(())
}

pub(crate) fn write_notice_tried(conn: &Connection, notice: i64, at_ms: i64, attempt: &NoticeAttempt) -> Result<()> {
    match attempt {
        NoticeAttempt::Sent => conn
            .prepare_cached(
                "UPDATE alert_notices SET attempts = attempts + 1, sent_ms = ?2, last_error = NULL WHERE id = ?1",
            )?
            .execute(params![notice, at_ms])?,
        NoticeAttempt::RetryAt { next_ms, error } => conn
            .prepare_cached(
                "UPDATE alert_notices SET attempts = attempts + 1, next_ms = ?2, last_error = ?3 WHERE id = ?1",
            )?
            .execute(params![notice, next_ms, error])?,
        NoticeAttempt::GaveUp { error } => conn
            .prepare_cached(
                "UPDATE alert_notices SET attempts = attempts + 1, gave_up = 1, last_error = ?2 WHERE id = ?1",
            )?
            .execute(params![notice, error])?,
    };
    Ok(())
}
