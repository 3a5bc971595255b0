//! The writer's side of forwarding (see `forwarding.rs` for the reads and what calls
//! these): a round's attempts with the retries they settle or owe and the target's new
//! position, a person's retry of what was given up, and pruning's part.

use rusqlite::{params, Connection};

use crate::model::{AfterAttempt, ForwardAttempt, ForwardStep};
use crate::Result;

/// The writer's half of [`Store::record_forwarding`].
pub(crate) fn write_forwarded(conn: &Connection, step: &ForwardStep) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO forward_attempts
           (target, delivery, attempt, replay, at_ms, latency_ms, status, error, response_headers, response_body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for attempt in &step.attempts {
        let ForwardAttempt { delivery, attempt: n, replay, at_ms, latency_ms, status, error, .. } = attempt;
        insert.execute(params![
            step.target,
            delivery,
            n,
            replay,
            at_ms,
            latency_ms,
            status,
            error,
            crate::ingest::headers_json(&attempt.response_headers),
            attempt.response_body,
        ])?;
        if *replay {
            // A replay is a person's extra attempt: it neither settles nor owes a retry.
            continue;
        }
        match attempt.then {
            AfterAttempt::Settled => {
                conn.prepare_cached("DELETE FROM forward_retries WHERE target = ?1 AND delivery = ?2")?
                    .execute(params![step.target, delivery])?;
            }
            AfterAttempt::RetryAt(next_ms) => {
                conn.prepare_cached(
                    "INSERT INTO forward_retries (target, delivery, attempts, next_ms, gave_up) VALUES (?1, ?2, ?3, ?4, 0)
                     ON CONFLICT (target, delivery) DO UPDATE SET attempts = ?3, next_ms = ?4, gave_up = 0",
                )?
                .execute(params![step.target, delivery, n, next_ms])?;
            }
            AfterAttempt::GaveUp => {
                conn.prepare_cached(
                    "INSERT INTO forward_retries (target, delivery, attempts, next_ms, gave_up) VALUES (?1, ?2, ?3, ?4, 1)
                     ON CONFLICT (target, delivery) DO UPDATE SET attempts = ?3, gave_up = 1",
                )?
                .execute(params![step.target, delivery, n, at_ms])?;
            }
        }
    }
    if let Some(to) = step.forwarded_to {
        conn.prepare_cached(
            "INSERT INTO forward_targets (target, forwarded_to) VALUES (?1, ?2)
             ON CONFLICT (target) DO UPDATE SET forwarded_to = max(forwarded_to, ?2)",
        )?
        .execute(params![step.target, to])?;
    }
    Ok(())
}

/// The writer's half of [`Store::forward_retry_given_up`].
pub(crate) fn write_retry_given_up(conn: &Connection, target: &str, now_ms: i64) -> Result<i64> {
    Ok(conn.execute(
        "UPDATE forward_retries SET gave_up = 0, next_ms = ?2 WHERE target = ?1 AND gave_up = 1",
        params![target, now_ms],
    )? as i64)
}

/// Pruning's part: the forwarding rows of the deliveries in `prune_deliveries` go with
/// them, and no target's position stays past the end of the log. SQLite gives a new row
/// the largest id plus one, so once the newest deliveries are pruned the next one may get
/// an id a position already passed; held at the log's end, the position lets it through.
pub(crate) fn prune_forwarding(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM forward_attempts WHERE delivery IN (SELECT id FROM prune_deliveries)", [])?;
    conn.execute("DELETE FROM forward_retries WHERE delivery IN (SELECT id FROM prune_deliveries)", [])?;
    conn.execute(
        "UPDATE forward_targets SET forwarded_to = (SELECT coalesce(max(id), 0) FROM deliveries)
         WHERE forwarded_to > (SELECT coalesce(max(id), 0) FROM deliveries)",
        [],
    )?;
    Ok(())
}
