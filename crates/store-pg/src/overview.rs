//! The overview of a time range, counted from the calls and deliveries themselves and
//! added up by the SQLite store's own [`OverviewCounter`], so both show the same page.
//!
//! SQLite keeps per-minute and per-hour rollups for it; here each call in the range is
//! read (its place on the timeline is indexed), which is what a team's database of a few
//! hundred thousand calls a day affords. Rollups kept by the receivers are the step for
//! larger ones.

use calleague_events::{CallPhase, Timestamp};
use std::time::Duration;

use calleague_store::{DowntimeGap, InProgressSpan, OverviewCounter, Result, StoreError, GAP_MIN_MS};

use crate::uptime::RUNS;
use crate::{unavailable, PgStore};

const MINUTE_MS: i64 = 60_000;

fn millis(ms: i64) -> Result<Timestamp> {
    Timestamp::from_unix_millis(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl PgStore {
    /// The overview of `[from, to)`, both rounded down to whole minutes; a call not ended
    /// after `longest_call` is stale, not in progress.
    pub async fn overview(
        &self,
        from: Timestamp,
        to: Timestamp,
        longest_call: Duration,
    ) -> Result<calleague_store::Overview> {
        let mut counter = OverviewCounter::new(from, to, longest_call)?;
        let (from, to) = counter.range_ms();
        let (before, _) = counter.previous_range_ms();
        self.each_call_in(from, to, |call| counter.add_call(call)).await?;
        let client = self.client().await?;
        let previous = client
            .query(
                "SELECT phase, count(*) FROM calls WHERE event_count > 0 AND sort_ms >= $1 AND sort_ms < $2 GROUP BY phase",
                &[&before, &from],
            )
            .await
            .map_err(unavailable)?;
        for row in previous {
            let phase: Option<String> = row.get(0);
            counter.add_previous_calls(phase.as_deref().and_then(CallPhase::parse), row.get(1));
        }
        // The calls that can have been in progress in the range: those that ended in it or
        // after it (by their end's index), and those not ended that are not stale in it.
        let in_progress = client
            .query(
                "SELECT sort_ms, end_ms FROM calls WHERE event_count > 0 AND sort_ms < $2
                   AND (end_ms >= $1 OR (end_ms IS NULL AND phase IN ('started', 'connected') AND sort_ms >= $3))",
                &[&from, &to, &counter.in_progress_from_ms()],
            )
            .await
            .map_err(unavailable)?;
        for row in in_progress {
            counter.add_in_progress(&InProgressSpan { start_ms: row.get(0), end_ms: row.get(1) });
        }
        // Each delivery in the range it was received in, with its repeats, as SQLite's
        // rollups count them.
        let health = client
            .query_one(
                "SELECT count(*) FILTER (WHERE d.source = 'webhook'), coalesce(sum(d.attempts - 1), 0)::bigint,
                        count(*) FILTER (WHERE e.late), count(*) FILTER (WHERE d.source = 'catchup'),
                        count(*) FILTER (WHERE d.source = 'rest'),
                        (SELECT coalesce(sum(count), 0)::bigint FROM security_log WHERE minute >= $3 AND minute < $4),
                        (SELECT count(*) FROM quarantine
                          WHERE received_at COLLATE \"C\" >= $5 AND received_at COLLATE \"C\" < $6)
                 FROM deliveries d LEFT JOIN events e ON e.id = d.id
                 WHERE d.received_ms >= $1 AND d.received_ms < $2",
                &[
                    &from,
                    &to,
                    &(from / MINUTE_MS),
                    &(to / MINUTE_MS),
                    &millis(from)?.to_string(),
                    &millis(to)?.to_string(),
                ],
            )
            .await
            .map_err(unavailable)?;
        counter.health.webhooks = health.get(0);
        counter.health.duplicates = health.get(1);
        counter.health.late = health.get(2);
        counter.health.caught_up = health.get(3);
        counter.health.from_rest = health.get(4);
        counter.health.rejected = health.get(5);
        counter.health.quarantined = health.get(6);
        // The fleet's downtime (see uptime.rs) that touches the range, with what catch-up
        // merged for it.
        let gaps = client
            .query(
                &format!(
                    "{RUNS} SELECT covered_until, started_ms,
                        (SELECT sum(c.calls_merged)::bigint FROM catchup_windows c
                          WHERE c.from_ms <= runs.covered_until AND c.to_ms >= runs.started_ms)
                 FROM runs
                 WHERE started_ms - covered_until > $1 AND started_ms > $2 AND covered_until < $3
                 ORDER BY started_ms"
                ),
                &[&GAP_MIN_MS, &from, &to],
            )
            .await
            .map_err(unavailable)?;
        for row in gaps {
            counter.health.gaps.push(DowntimeGap {
                from: millis(row.get(0))?,
                to: millis(row.get(1))?,
                caught_up_calls: row.get(2),
            });
        }
        counter.finish()
    }
}
