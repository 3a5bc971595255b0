//! What a window reads: the timeline's pages with their filters and search, a call's
//! details, the filter menus, the status bar's counts and the two logs; the same answers
//! as the SQLite store's (`calleague_store::TimelineReader`), in PostgreSQL's terms.
//!
//! Text is ordered byte by byte (`COLLATE "C"`), as SQLite orders it, whatever the
//! database's locale.

use calleague_events::{CallPhase, Timestamp};
use calleague_store::{
    headers_from_json, like_pattern, CallCursor, CallDetail, CallFilter, CallRow, EventDetail, Facets, InProgress,
    Page, PageRequest, QuarantineRow, Result, SecurityEntry, SecurityRow, StatusCounts, StoreError,
};
use tokio_postgres::types::ToSql;

use crate::read::{call_row, event_row, CALL_COLUMNS, EVENT_COLUMNS};
use crate::{unavailable, PgStore};

/// A WHERE clause under construction, its parameters numbered as they are pushed.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Where {
    /// The next parameter's placeholder, for a clause that uses it.
    fn param(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    fn any_of(&mut self, column: &str, values: &[String]) {
        if !values.is_empty() {
            let p = self.param(values.to_vec());
            self.clauses.push(format!("{column} = ANY({p})"));
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

fn millis(ms: i64) -> Result<Timestamp> {
    Timestamp::from_unix_millis(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl PgStore {
    /// A page of the call timeline, ordered by each call's earliest `occurredAt`, ties by
    /// call id.
    pub async fn calls_page(
        &self,
        filter: &CallFilter,
        page: &PageRequest<CallCursor>,
    ) -> Result<Page<CallRow, CallCursor>> {
        let mut w = Where { clauses: vec!["event_count > 0".into()], params: Vec::new() };
        let phases: Vec<String> = filter.phases.iter().map(|p| p.as_str().to_owned()).collect();
        w.any_of("phase", &phases);
        w.any_of("agent_id", &filter.agents);
        w.any_of("direction", &filter.directions);
        w.any_of("ended_reason", &filter.ended_reasons);
        w.any_of("language", &filter.languages);
        if let Some(from) = filter.range.from {
            let p = w.param(from.unix_millis());
            w.clauses.push(format!("sort_ms >= {p}"));
        }
        if let Some(to) = filter.range.to {
            let p = w.param(to.unix_millis());
            w.clauses.push(format!("sort_ms < {p}"));
        }
        if let Some(m) = &filter.metadata {
            // As SQLite's `metadata_value`: text as it is (cut to 200 characters), a number or
            // boolean as JSON writes it, nothing else.
            let (field, value) = (w.param(m.field.clone()), w.param(m.value.clone()));
            w.clauses.push(format!("{} = {value}", crate::dimensions::metadata_value_sql(&field)));
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // The trigram indexes (migration 0004) answer it for three characters or more.
            let p = w.param(like_pattern(text));
            w.clauses.push(format!("(call_id ILIKE {p} OR metadata ILIKE {p})"));
        }
        let walk = page.walk();
        if let Some(c) = page.cursor() {
            let op = if walk.descending { "<" } else { ">" };
            let (ms, id) = (w.param(c.sort_ms), w.param(c.call_id.clone()));
            w.clauses.push(format!("(sort_ms, call_id) {op} ({ms}, {id})"));
        }
        let dir = if walk.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE {} ORDER BY sort_ms {dir}, call_id {dir} LIMIT {}",
            w.clauses.join(" AND "),
            page.clamped_limit() + 1
        );
        let client = self.client().await?;
        let rows = client.query(&sql, &w.params()).await.map_err(unavailable)?;
        let items = rows.iter().map(call_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page, |c: &CallRow| CallCursor {
            sort_ms: c.sort_ms,
            call_id: c.record.call_id.clone(),
        }))
    }

    /// A call with every one of its events (hidden ones included), in timeline order; a
    /// step catch-up brought and a webhook confirmed shows the webhook's request.
    pub async fn call_detail(&self, call_id: &str) -> Result<Option<CallDetail>> {
        let Some(call) = self.call(call_id).await? else { return Ok(None) };
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {EVENT_COLUMNS}, coalesce(w.peer, d.peer), coalesce(w.headers, d.headers),
                            coalesce(w.body, d.body)
                     FROM events e JOIN deliveries d ON d.id = e.id LEFT JOIN deliveries w ON w.id = e.confirmed_by
                     WHERE e.call_id = $1 ORDER BY e.occurred_ms, e.tie COLLATE \"C\", e.id"
                ),
                &[&call_id],
            )
            .await
            .map_err(unavailable)?;
        let events = rows
            .iter()
            .map(|row| {
                let headers: String = row.get(16);
                let body: Vec<u8> = row.get(17);
                Ok(EventDetail {
                    event: event_row(row)?,
                    peer: row.get(15),
                    headers: headers_from_json(&headers),
                    body: String::from_utf8_lossy(&body).into_owned(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(CallDetail { call, events }))
    }

    /// Distinct agents, directions, ended reasons and languages: at most 200 of each.
    pub async fn facets(&self) -> Result<Facets> {
        let client = self.client().await?;
        let mut lists = Vec::with_capacity(4);
        for column in ["agent_id", "direction", "ended_reason", "language"] {
            let rows = client
                .query(
                    &format!(
                        "SELECT DISTINCT {column} COLLATE \"C\" AS v FROM calls
                         WHERE {column} IS NOT NULL AND event_count > 0 ORDER BY v LIMIT 200"
                    ),
                    &[],
                )
                .await
                .map_err(unavailable)?;
            lists.push(rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>());
        }
        let [agents, directions, ended_reasons, languages]: [Vec<String>; 4] =
            lists.try_into().map_err(|_| StoreError::Corrupt("facets".into()))?;
        drop(client);
        // The team's fields, read from the calls themselves.
        let dimensions = self.dimension_facets().await?;
        Ok(Facets { agents, directions, ended_reasons, languages, dimensions })
    }

    /// The status bar's counts; `since` is the start of "today" (counted from its minute,
    /// as the SQLite store counts from its per-minute rollups).
    pub async fn counts(&self, since: Timestamp) -> Result<StatusCounts> {
        let since_minute = since.unix_millis().div_euclid(60_000) * 60_000;
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE received_ms >= $1), coalesce(sum(attempts - 1), 0)::bigint,
                        max(received_ms),
                        (SELECT coalesce(sum(count), 0)::bigint FROM security_log),
                        (SELECT count(*) FROM quarantine)
                 FROM deliveries",
                &[&since_minute],
            )
            .await
            .map_err(unavailable)?;
        let last: Option<i64> = row.get(3);
        let mut counts = StatusCounts {
            deliveries_total: row.get(0),
            deliveries_since: row.get(1),
            repeats: row.get(2),
            rejected: row.get(4),
            quarantined: row.get(5),
            last_delivery_at: last.map(millis).transpose()?,
            ..StatusCounts::default()
        };
        let phases = client
            .query("SELECT phase, count(*) FROM calls WHERE event_count > 0 GROUP BY phase", &[])
            .await
            .map_err(unavailable)?;
        for row in phases {
            let (phase, n): (Option<String>, i64) = (row.get(0), row.get(1));
            counts.calls += n;
            match phase.as_deref().and_then(CallPhase::parse) {
                Some(CallPhase::Started) => counts.calls_started = n,
                Some(CallPhase::Connected) => counts.calls_connected = n,
                Some(CallPhase::Completed) => counts.calls_completed = n,
                Some(CallPhase::Failed) => counts.calls_failed = n,
                None => {}
            }
        }
        Ok(counts)
    }

    /// Calls started and not ended, those started before `stale_before` set apart.
    pub async fn in_progress(&self, stale_before: Timestamp) -> Result<InProgress> {
        let cut = stale_before.unix_millis();
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT count(*) FILTER (WHERE sort_ms >= $1), min(sort_ms) FILTER (WHERE sort_ms >= $1),
                        count(*) FILTER (WHERE sort_ms < $1)
                 FROM calls WHERE event_count > 0 AND phase IN ('started', 'connected')",
                &[&cut],
            )
            .await
            .map_err(unavailable)?;
        let oldest: Option<i64> = row.get(1);
        Ok(InProgress {
            calls: row.get(0),
            oldest_started_at: oldest.map(millis).transpose()?,
            stale: row.get(2),
            stale_before,
        })
    }

    /// Quarantined bodies, newest first, before `before_id` when given.
    pub async fn quarantine_page(&self, before_id: Option<i64>, limit: u32) -> Result<Vec<QuarantineRow>> {
        let rows =
            self.newest_first("SELECT id, received_at, peer, reason, headers, body FROM quarantine", before_id, limit);
        rows.await?
            .iter()
            .map(|row| {
                let received: String = row.get(1);
                let headers: String = row.get(4);
                let body: Vec<u8> = row.get(5);
                Ok(QuarantineRow {
                    id: row.get(0),
                    received_at: Timestamp::parse(&received)
                        .map_err(|e| StoreError::Corrupt(format!("quarantine.received_at: {e}")))?,
                    peer: row.get(2),
                    reason: row.get(3),
                    headers: headers_from_json(&headers),
                    body: String::from_utf8_lossy(&body).into_owned(),
                })
            })
            .collect()
    }

    /// Rejected requests, newest first, before `before_id` when given.
    pub async fn security_page(&self, before_id: Option<i64>, limit: u32) -> Result<Vec<SecurityRow>> {
        let rows =
            self.newest_first("SELECT id, at_ms, peer, reason, count, last_ms FROM security_log", before_id, limit);
        rows.await?
            .iter()
            .map(|row| {
                Ok(SecurityRow {
                    id: row.get(0),
                    entry: SecurityEntry { at: millis(row.get(1))?, peer: row.get(2), reason: row.get(3) },
                    count: row.get(4),
                    last_at: millis(row.get(5))?,
                })
            })
            .collect()
    }

    /// A log's rows (`select`, its id first) newest first, before `before_id` when given.
    async fn newest_first(&self, select: &str, before_id: Option<i64>, limit: u32) -> Result<Vec<tokio_postgres::Row>> {
        let client = self.client().await?;
        client
            .query(
                &format!("{select} WHERE id < $1 ORDER BY id DESC LIMIT $2"),
                &[&before_id.unwrap_or(i64::MAX), &i64::from(limit.clamp(1, 1000))],
            )
            .await
            .map_err(unavailable)
    }
}
