//! What alert rules did (migration 0015): firings and the notices the chat webhook is owed.
//! Reads here; the writer's side in `alert_writes.rs`.

use rusqlite::{params, OptionalExtension, Row};

use crate::alert_model::{FiringRecorded, FiringRow, NewFiring, NoticeAttempt, OwedNotice};
use crate::model::IngestOutcome;
use crate::writer::Write;
use crate::{Result, Store, StoreError};

const FIRING_COLUMNS: &str = "id, rule_id, rule_name, severity, started_ms, resolved_ms, value, peak, threshold,
     window_from_ms, window_to_ms, notified";

fn firing_row(row: &Row<'_>) -> rusqlite::Result<FiringRow> {
    Ok(FiringRow {
        id: row.get(0)?,
        rule_id: row.get(1)?,
        rule_name: row.get(2)?,
        severity: row.get(3)?,
        started_ms: row.get(4)?,
        resolved_ms: row.get(5)?,
        value: row.get(6)?,
        peak: row.get(7)?,
        threshold: row.get(8)?,
        window_from_ms: row.get(9)?,
        window_to_ms: row.get(10)?,
        notified: row.get(11)?,
    })
}

fn unexpected(other: IngestOutcome) -> StoreError {
    StoreError::Corrupt(format!("unexpected outcome {other:?}"))
}

impl Store {
    /// Records that a rule began to fire, with its chat notice, in one transaction. A rule
    /// has at most one open firing: recording another while one is open adds nothing.
    pub async fn record_firing(&self, firing: NewFiring) -> Result<FiringRecorded> {
        match self.submit(Write::AlertFired(Box::new(firing))).await? {
            IngestOutcome::Firing(recorded) => Ok(recorded),
            other => Err(unexpected(other)),
        }
    }

    /// Records the worst value a firing has reached (its value when it fired stays).
    pub async fn record_firing_peak(&self, firing: i64, peak: f64) -> Result<()> {
        match self.submit(Write::AlertPeak { firing, peak }).await? {
            IngestOutcome::Logged { .. } => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Ends a firing, with its chat notice when one is due. False when it had already ended.
    pub async fn record_resolved(&self, firing: i64, at_ms: i64, chat: Option<String>) -> Result<bool> {
        match self.submit(Write::AlertResolved { firing, at_ms, chat }).await? {
            IngestOutcome::Logged { id } => Ok(id > 0),
            other => Err(unexpected(other)),
        }
    }

    /// Records an attempt to send a notice to the chat webhook.
    pub async fn record_notice_attempt(&self, notice: i64, at_ms: i64, attempt: NoticeAttempt) -> Result<()> {
        match self.submit(Write::AlertNoticeTried { notice, at_ms, attempt }).await? {
            IngestOutcome::Logged { .. } => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Every firing not yet resolved.
    pub fn open_firings(&self) -> Result<Vec<FiringRow>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {FIRING_COLUMNS} FROM alert_firings WHERE resolved_ms IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map([], firing_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One firing by its id.
    pub fn firing(&self, id: i64) -> Result<Option<FiringRow>> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(&format!("SELECT {FIRING_COLUMNS} FROM alert_firings WHERE id = ?1"))?
                .query_row([id], firing_row)
                .optional()?)
        })
    }

    /// When a rule last started a firing that was notified (its cooldown runs from there).
    pub fn last_notified_firing(&self, rule_id: &str) -> Result<Option<i64>> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached("SELECT max(started_ms) FROM alert_firings WHERE rule_id = ?1 AND notified = 1")?
                .query_row([rule_id], |r| r.get(0))?)
        })
    }

    /// Firings that started in `[from_ms, to_ms)`, newest first; of one rule when given.
    pub fn firings(&self, rule_id: Option<&str>, from_ms: i64, to_ms: i64, limit: u32) -> Result<Vec<FiringRow>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {FIRING_COLUMNS} FROM alert_firings
                 WHERE (?1 IS NULL OR rule_id = ?1) AND started_ms >= ?2 AND started_ms < ?3
                 ORDER BY started_ms DESC, id DESC LIMIT ?4"
            ))?;
            let rows = stmt.query_map(params![rule_id, from_ms, to_ms, limit], firing_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Notices owed to the chat webhook, oldest first, whether due or not.
    pub fn owed_notices(&self, limit: u32) -> Result<Vec<(OwedNotice, i64)>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, firing, kind, text, created_ms, attempts, next_ms FROM alert_notices
                 WHERE sent_ms IS NULL AND gave_up = 0 ORDER BY id LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok((
                    OwedNotice {
                        id: r.get(0)?,
                        firing: r.get(1)?,
                        kind: r.get(2)?,
                        text: r.get(3)?,
                        created_ms: r.get(4)?,
                        attempts: r.get(5)?,
                    },
                    r.get(6)?,
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// How many notices were sent, and how many were given up on.
    pub fn notice_counts(&self) -> Result<(i64, i64)> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT coalesce(sum(sent_ms IS NOT NULL), 0), coalesce(sum(gave_up), 0) FROM alert_notices",
                )?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
        })
    }
}
