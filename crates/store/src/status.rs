//! The status bar's counts: deliveries (today and in all), repeats, calls by phase, refused
//! and quarantined; and the calls in progress now. The bar asks again as deliveries arrive, so they are read from the
//! overview's rollups (rollup.rs) rather than by counting every row.

use calleague_events::Timestamp;
use rusqlite::{params, Connection};

use crate::model::{InProgress, StatusCounts};
use crate::ranges::pieces;
use crate::ranges::{HOUR_MS, MINUTE_MS};
use crate::{Result, Store};

impl Store {
    /// Counts for a status bar; `since` is the start of "today" in the user's time zone.
    /// Read from the overview's rollups (a few rows per hour, not every delivery: the bar
    /// asks again as deliveries arrive); by scanning only in a database opened read-only
    /// from before them.
    pub fn counts(&self, since: Timestamp) -> Result<StatusCounts> {
        self.with_reader(|conn| match status_counts(conn, since.unix_millis())? {
            Some(counts) => Ok(counts),
            None => counts_by_scan(conn, since),
        })
    }
}

impl Store {
    /// Calls started and not ended, those started before `stale_before` set apart. Reads
    /// only the calls in progress (the index by phase), however many have ended.
    pub fn in_progress(&self, stale_before: Timestamp) -> Result<InProgress> {
        self.with_reader(|conn| {
            let (calls, oldest, stale): (i64, Option<i64>, i64) = conn
                .prepare_cached(
                    "SELECT coalesce(sum(sort_ms >= ?1), 0), min(CASE WHEN sort_ms >= ?1 THEN sort_ms END),
                            coalesce(sum(sort_ms < ?1), 0)
                     FROM calls WHERE phase IN ('started', 'connected')",
                )?
                .query_row([stale_before.unix_millis()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(InProgress {
                calls,
                oldest_started_at: oldest.and_then(|ms| Timestamp::from_unix_millis(ms).ok()),
                stale,
                stale_before,
            })
        })
    }
}

/// The status bar's counts from the rollups plus the deliveries the projection has not
/// reached yet (few: it is at most a moment behind). None when the database has no
/// rollups (opened read-only from before migration 0010).
fn status_counts(conn: &Connection, since_ms: i64) -> Result<Option<StatusCounts>> {
    let built: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE name = 'overview_built'
           AND (SELECT built FROM overview_built WHERE id = 1) = 1",
        [],
        |r| r.get(0),
    )?;
    if built == 0 {
        return Ok(None);
    }
    let mut counts = StatusCounts::default();
    let projected_to: i64 = conn.query_row("SELECT projected_to FROM projection", [], |r| r.get(0))?;
    let (projected, repeats): (i64, i64) = conn.query_row(
        "SELECT coalesce(sum(webhooks + caught_up + from_rest), 0), coalesce(sum(duplicates), 0)
         FROM overview_deliveries WHERE span = ?1",
        [HOUR_MS],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (unprojected, unprojected_since, last_ms): (i64, i64, Option<i64>) = conn.query_row(
        "SELECT count(*), coalesce(sum(received_ms >= ?2), 0), (SELECT max(received_ms) FROM deliveries)
         FROM deliveries WHERE id > ?1",
        [projected_to, since_ms],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    // A burst's deliveries in the inbox, not yet in the log (repeats among them counted
    // as deliveries until then).
    let (queued, queued_since, queued_last_ms): (i64, i64, Option<i64>) = conn.query_row(
        "SELECT count(*), coalesce(sum(received_ms >= ?1), 0), max(received_ms) FROM inbox",
        [since_ms],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let last_ms = last_ms.max(queued_last_ms);
    let unprojected_since = unprojected_since + queued_since;
    counts.deliveries_total = projected + unprojected + queued;
    counts.repeats = repeats;
    counts.last_delivery_at = last_ms.and_then(|ms| Timestamp::from_unix_millis(ms).ok());
    // "Today" to the end of time: whole hours and the minutes before the first of them.
    let since = since_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
    let until = (since.div_euclid(HOUR_MS) + 24 * 366 * 100) * HOUR_MS;
    counts.deliveries_since = unprojected_since;
    for (span, start, end) in pieces(since, until) {
        counts.deliveries_since += conn
            .prepare_cached(
                "SELECT coalesce(sum(webhooks + caught_up + from_rest), 0) FROM overview_deliveries
                 WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3",
            )?
            .query_row(params![span, start, end], |r| r.get::<_, i64>(0))?;
    }
    let mut stmt =
        conn.prepare_cached("SELECT phase, sum(calls) FROM overview_calls WHERE span = ?1 GROUP BY phase")?;
    counts_of_phases(
        &mut counts,
        stmt.query_map([HOUR_MS], |r| {
            let phase: String = r.get(0)?;
            Ok(((!phase.is_empty()).then_some(phase), r.get::<_, i64>(1)?))
        })?,
    )?;
    rejected_and_quarantined(conn, &mut counts)?;
    Ok(Some(counts))
}

/// The status bar's counts straight from the rows: every delivery and call read.
fn counts_by_scan(conn: &Connection, since: Timestamp) -> Result<StatusCounts> {
    let mut counts = StatusCounts::default();
    let (total, repeats, last_ms): (i64, i64, Option<i64>) =
        conn.query_row("SELECT count(*), coalesce(sum(attempts - 1), 0), max(received_ms) FROM deliveries", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    counts.deliveries_total = total;
    counts.repeats = repeats;
    counts.last_delivery_at = last_ms.and_then(|ms| Timestamp::from_unix_millis(ms).ok());
    counts.deliveries_since =
        conn.query_row("SELECT count(*) FROM deliveries WHERE received_ms >= ?1", [since.unix_millis()], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached("SELECT phase, count(*) FROM calls GROUP BY phase")?;
    counts_of_phases(&mut counts, stmt.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?)))?)?;
    rejected_and_quarantined(conn, &mut counts)?;
    Ok(counts)
}

/// Calls by phase into the counts, from `(phase, calls)` rows.
fn counts_of_phases(
    counts: &mut StatusCounts,
    rows: impl Iterator<Item = rusqlite::Result<(Option<String>, i64)>>,
) -> Result<()> {
    for row in rows {
        let (phase, n) = row?;
        counts.calls += n;
        match phase.as_deref() {
            Some("started") => counts.calls_started = n,
            Some("connected") => counts.calls_connected = n,
            Some("completed") => counts.calls_completed = n,
            Some("failed") => counts.calls_failed = n,
            _ => {}
        }
    }
    Ok(())
}

/// Both are small: the security log keeps only its newest rows; quarantine is rare.
fn rejected_and_quarantined(conn: &Connection, counts: &mut StatusCounts) -> Result<()> {
    counts.rejected = conn.query_row("SELECT coalesce(sum(count), 0) FROM security_log", [], |r| r.get(0))?;
    counts.quarantined = conn.query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))?;
    Ok(())
}
