//! Which calls' failures the desktop app has dealt with, so that none is notified twice.
//!
//! A claim is written through the one writer like a delivery, so it is as durable: a call
//! claimed before a crash stays claimed after it.

use calleague_events::Timestamp;
use rusqlite::{params, Connection};

use crate::writer::Write;
use crate::{IngestOutcome, Result, Store, StoreError};

/// How a claimed failure was dealt with; kept for the record (and for support questions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertHow {
    /// A notification of its own.
    Single,
    /// Counted in a burst's summary.
    Burst,
    /// Merged by catch-up after downtime; counted in the "while closed" summary.
    CatchUp,
    /// Notifications were paused.
    Paused,
    /// Notifications were switched off.
    Off,
}

impl AlertHow {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Burst => "burst",
            Self::CatchUp => "catchup",
            Self::Paused => "paused",
            Self::Off => "off",
        }
    }
}

impl Store {
    /// Claims the failures of `calls` for one way of dealing with them and returns the ones
    /// that were not claimed before, in the order given. A call claimed once is never
    /// returned again.
    pub async fn claim_alerts(&self, calls: Vec<String>, how: AlertHow) -> Result<Vec<String>> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        match self.submit(Write::ClaimAlerts { calls, how, at: Timestamp::now() }).await? {
            IngestOutcome::Claimed { calls } => Ok(calls),
            other => Err(StoreError::Corrupt(format!("unexpected outcome {other:?}"))),
        }
    }

    /// Whether a call's failure was claimed (for tests and support).
    pub fn alert_claimed(&self, call_id: &str) -> Result<Option<String>> {
        self.with_reader(|conn| {
            use rusqlite::OptionalExtension;
            Ok(conn
                .prepare_cached("SELECT how FROM alerted_calls WHERE call_id = ?1")?
                .query_row([call_id], |r| r.get(0))
                .optional()?)
        })
    }
}

pub(crate) fn write_claims(conn: &Connection, calls: &[String], how: AlertHow, at: Timestamp) -> Result<Vec<String>> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO alerted_calls (call_id, at_ms, how) VALUES (?1, ?2, ?3) ON CONFLICT (call_id) DO NOTHING",
    )?;
    let mut claimed = Vec::new();
    for call in calls {
        if insert.execute(params![call, at.unix_millis(), how.as_str()])? == 1 {
            claimed.push(call.clone());
        }
    }
    Ok(claimed)
}
