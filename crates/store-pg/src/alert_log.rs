//! Alert rules over the team's database (migration 0005): the counts of a window from the
//! calls themselves (each call counted by `RuleCounts::add_call`, the SQLite rollups' own
//! rule, so both agree), webhook deliveries by the time they arrived, refusals from the
//! security log; and the firings and chat notices, one open firing per rule for the fleet.

use std::collections::BTreeMap;
use std::time::Duration;

use calleague_store::{
    AlertLog, CallsScope, CountsQuery, FiringRecorded, FiringRow, NewFiring, NoticeAttempt, OwedNotice, Result,
    RuleCounts, StoreFuture, Tally,
};
use tokio_postgres::Row;

use crate::read::{call_row, CALL_COLUMNS};
use crate::{unavailable, PgStore};

const MINUTE_MS: i64 = 60_000;

const FIRING_COLUMNS: &str = "id, rule_id, rule_name, severity, started_ms, resolved_ms, value, peak, threshold,
     window_from_ms, window_to_ms, notified";

fn firing_row(row: &Row) -> FiringRow {
    FiringRow {
        id: row.get(0),
        rule_id: row.get(1),
        rule_name: row.get(2),
        severity: row.get(3),
        started_ms: row.get(4),
        resolved_ms: row.get(5),
        value: row.get(6),
        peak: row.get(7),
        threshold: row.get(8),
        window_from_ms: row.get(9),
        window_to_ms: row.get(10),
        notified: row.get(11),
    }
}

impl PgStore {
    /// Counts of `[from_ms, to_ms)`, per minute (or all under 0).
    async fn counts_by_minute(
        &self,
        from_ms: i64,
        to_ms: i64,
        query: &CountsQuery,
        per_minute: bool,
    ) -> Result<BTreeMap<i64, RuleCounts>> {
        let client = self.client().await?;
        let mut counts: BTreeMap<i64, RuleCounts> = BTreeMap::new();
        let bucket = |ms: i64| if per_minute { ms.div_euclid(MINUTE_MS) * MINUTE_MS } else { 0 };
        let agent = match &query.scope {
            CallsScope::Agent(agent) => Some(agent),
            _ => None,
        };
        // Only what the query asks for: a silence or a refusals rule reads no calls.
        let calls = if !query.calls && query.spreads.is_empty() {
            Vec::new()
        } else {
            client
                .query(
                    &format!(
                        "SELECT {CALL_COLUMNS} FROM calls
                     WHERE event_count > 0 AND sort_ms >= $1 AND sort_ms < $2 AND ($3::text IS NULL OR agent_id = $3)"
                    ),
                    // A dimension's value is told apart as each call is counted.
                    &[&from_ms, &to_ms, &agent],
                )
                .await
                .map_err(unavailable)?
        };
        for row in &calls {
            let call = call_row(row)?;
            // A minute with none of the scope's calls is not there (as in the rollups).
            if query.scope.includes(&call.record) {
                counts.entry(bucket(call.sort_ms)).or_default().add_call(&call, query);
            }
        }
        if query.deliveries {
            let rows = client
                .query(
                    "SELECT received_ms / 60000 * 60000, count(*) FROM deliveries
                     WHERE source = 'webhook' AND received_ms >= $1 AND received_ms < $2 GROUP BY 1",
                    &[&from_ms, &to_ms],
                )
                .await
                .map_err(unavailable)?;
            for row in rows {
                counts.entry(bucket(row.get(0))).or_default().deliveries += row.get::<_, i64>(1);
            }
        }
        if query.rejected {
            let rows = client
                .query(
                    "SELECT minute * 60000, sum(count)::bigint FROM security_log WHERE minute >= $1 AND minute < $2 GROUP BY 1",
                    &[&(from_ms / MINUTE_MS), &(to_ms / MINUTE_MS)],
                )
                .await
                .map_err(unavailable)?;
            for row in rows {
                counts.entry(bucket(row.get(0))).or_default().rejected += row.get::<_, i64>(1);
            }
        }
        Ok(counts)
    }

    async fn record_firing(&self, firing: NewFiring) -> Result<FiringRecorded> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        // The unique index decides between receivers: the second one's insert does nothing.
        let inserted = tx
            .query_opt(
                "INSERT INTO alert_firings
                   (rule_id, rule_name, severity, started_ms, value, peak, threshold, window_from_ms, window_to_ms, notified)
                 VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)
                 ON CONFLICT (rule_id) WHERE resolved_ms IS NULL DO NOTHING
                 RETURNING id",
                &[
                    &firing.rule_id,
                    &firing.rule_name,
                    &firing.severity,
                    &firing.at_ms,
                    &firing.value,
                    &firing.threshold,
                    &firing.window_from_ms,
                    &firing.window_to_ms,
                    &firing.notified,
                ],
            )
            .await
            .map_err(unavailable)?;
        let recorded = match inserted {
            Some(row) => {
                let id: i64 = row.get(0);
                if let Some(text) = &firing.chat {
                    tx.execute(
                        "INSERT INTO alert_notices (firing, kind, text, created_ms, next_ms) VALUES ($1, 'firing', $2, $3, 0)",
                        &[&id, text, &firing.at_ms],
                    )
                    .await
                    .map_err(unavailable)?;
                }
                FiringRecorded::New(id)
            }
            None => {
                let row = tx
                    .query_one(
                        "SELECT id FROM alert_firings WHERE rule_id = $1 AND resolved_ms IS NULL",
                        &[&firing.rule_id],
                    )
                    .await
                    .map_err(unavailable)?;
                FiringRecorded::AlreadyOpen(row.get(0))
            }
        };
        tx.commit().await.map_err(unavailable)?;
        Ok(recorded)
    }

    async fn record_resolved(&self, firing: i64, at_ms: i64, chat: Option<String>) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let ended = tx
            .execute(
                "UPDATE alert_firings SET resolved_ms = $2 WHERE id = $1 AND resolved_ms IS NULL",
                &[&firing, &at_ms],
            )
            .await
            .map_err(unavailable)?;
        if ended > 0 {
            if let Some(text) = &chat {
                tx.execute(
                    "INSERT INTO alert_notices (firing, kind, text, created_ms, next_ms) VALUES ($1, 'resolved', $2, $3, 0)",
                    &[&firing, text, &at_ms],
                )
                .await
                .map_err(unavailable)?;
            }
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(ended > 0)
    }

    /// Firings that started in `[from_ms, to_ms)`, newest first.
    pub async fn firings(&self, from_ms: i64, to_ms: i64, limit: i64) -> Result<Vec<FiringRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {FIRING_COLUMNS} FROM alert_firings WHERE started_ms >= $1 AND started_ms < $2
                     ORDER BY started_ms DESC, id DESC LIMIT $3"
                ),
                &[&from_ms, &to_ms, &limit],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(firing_row).collect())
    }

    /// How many chat notices were sent, and how many were given up on.
    pub async fn notice_counts(&self) -> Result<(i64, i64)> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE sent_ms IS NOT NULL), count(*) FILTER (WHERE gave_up) FROM alert_notices",
                &[],
            )
            .await
            .map_err(unavailable)?;
        Ok((row.get(0), row.get(1)))
    }
}

impl AlertLog for PgStore {
    fn rule_counts(&self, from_ms: i64, to_ms: i64, query: CountsQuery) -> StoreFuture<'_, RuleCounts> {
        Box::pin(async move {
            Ok(self.counts_by_minute(from_ms, to_ms, &query, false).await?.remove(&0).unwrap_or_default())
        })
    }

    fn rule_minutes(&self, from_ms: i64, to_ms: i64, query: CountsQuery) -> StoreFuture<'_, Vec<(i64, RuleCounts)>> {
        Box::pin(async move { Ok(self.counts_by_minute(from_ms, to_ms, &query, true).await?.into_iter().collect()) })
    }

    fn agents(&self) -> StoreFuture<'_, Vec<calleague_store::AgentName>> {
        Box::pin(PgStore::agents(self))
    }

    fn top_tallies(&self, from_ms: i64, to_ms: i64) -> StoreFuture<'_, (Vec<Tally>, Vec<Tally>)> {
        Box::pin(async move {
            let stamp = |ms: i64| {
                calleague_events::Timestamp::from_unix_millis(ms)
                    .map_err(|e| calleague_store::StoreError::InvalidRange(e.to_string()))
            };
            // Only the tallies are used: no call is taken as in progress for the chart's peaks.
            let overview = PgStore::overview(self, stamp(from_ms)?, stamp(to_ms)?, Duration::ZERO).await?;
            Ok((overview.failures_by_agent, overview.reasons))
        })
    }

    fn record_firing(&self, firing: NewFiring) -> StoreFuture<'_, FiringRecorded> {
        Box::pin(PgStore::record_firing(self, firing))
    }

    fn record_firing_peak(&self, firing: i64, peak: f64) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let client = self.client().await?;
            client
                .execute("UPDATE alert_firings SET peak = $2 WHERE id = $1", &[&firing, &peak])
                .await
                .map_err(unavailable)?;
            Ok(())
        })
    }

    fn record_resolved(&self, firing: i64, at_ms: i64, chat: Option<String>) -> StoreFuture<'_, bool> {
        Box::pin(PgStore::record_resolved(self, firing, at_ms, chat))
    }

    fn open_firings(&self) -> StoreFuture<'_, Vec<FiringRow>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!("SELECT {FIRING_COLUMNS} FROM alert_firings WHERE resolved_ms IS NULL ORDER BY id"),
                    &[],
                )
                .await
                .map_err(unavailable)?;
            Ok(rows.iter().map(firing_row).collect())
        })
    }

    fn last_notified_firing(&self, rule_id: String) -> StoreFuture<'_, Option<i64>> {
        Box::pin(async move {
            let client = self.client().await?;
            let row = client
                .query_one("SELECT max(started_ms) FROM alert_firings WHERE rule_id = $1 AND notified", &[&rule_id])
                .await
                .map_err(unavailable)?;
            Ok(row.get(0))
        })
    }

    fn owed_notices(&self, limit: u32) -> StoreFuture<'_, Vec<(OwedNotice, i64)>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT id, firing, kind, text, created_ms, attempts, next_ms FROM alert_notices
                     WHERE sent_ms IS NULL AND NOT gave_up ORDER BY id LIMIT $1",
                    &[&i64::from(limit)],
                )
                .await
                .map_err(unavailable)?;
            Ok(rows
                .iter()
                .map(|r| {
                    (
                        OwedNotice {
                            id: r.get(0),
                            firing: r.get(1),
                            kind: r.get(2),
                            text: r.get(3),
                            created_ms: r.get(4),
                            attempts: r.get(5),
                        },
                        r.get(6),
                    )
                })
                .collect())
        })
    }

    fn record_notice_attempt(&self, notice: i64, at_ms: i64, attempt: NoticeAttempt) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let client = self.client().await?;
            let result = match attempt {
                NoticeAttempt::Sent => {
                    client
                        .execute(
                            "UPDATE alert_notices SET attempts = attempts + 1, sent_ms = $2, last_error = NULL WHERE id = $1",
                            &[&notice, &at_ms],
                        )
                        .await
                }
                NoticeAttempt::RetryAt { next_ms, error } => {
                    client
                        .execute(
                            "UPDATE alert_notices SET attempts = attempts + 1, next_ms = $2, last_error = $3 WHERE id = $1",
                            &[&notice, &next_ms, &error],
                        )
                        .await
                }
                NoticeAttempt::GaveUp { error } => {
                    client
                        .execute(
                            "UPDATE alert_notices SET attempts = attempts + 1, gave_up = true, last_error = $2 WHERE id = $1",
                            &[&notice, &error],
                        )
                        .await
                }
            };
            result.map_err(unavailable)?;
            Ok(())
        })
    }
}
