//! Export of calls and events, in the SQLite store's format and order, read a page at a
//! time (keyset) so that a large export holds neither the whole result in memory nor one
//! long query open.

use std::io::Write;

use calleague_events::Timestamp;
use calleague_store::{ExportFormat, ExportWhat, ExportWriter, Result, StoreError, TimeRange};

use crate::read::{call_row, event_row, CALL_COLUMNS, EVENT_COLUMNS};
use crate::PgStore;

const PAGE: i64 = 1_000;

impl PgStore {
    /// Writes calls or events in `range` (on `occurredAt`) to `out`, ordered by `occurredAt`
    /// (ties as in SQLite: by call id, by delivery id then log id, in byte order). Returns
    /// how many rows were written.
    pub async fn export(
        &self,
        what: ExportWhat,
        format: ExportFormat,
        range: TimeRange,
        out: &mut impl Write,
    ) -> Result<u64> {
        self.export_with(what, format, range, out, |_| true).await
    }

    /// How many rows [`PgStore::export`] would write for `range`: the total for a progress bar.
    pub async fn export_count(&self, what: ExportWhat, range: TimeRange) -> Result<u64> {
        let from = range.from.map_or(i64::MIN, Timestamp::unix_millis);
        let to = range.to.map_or(i64::MAX, Timestamp::unix_millis);
        let sql = match what {
            ExportWhat::Calls => "SELECT count(*) FROM calls WHERE event_count > 0 AND sort_ms >= $1 AND sort_ms < $2",
            ExportWhat::Events => "SELECT count(*) FROM events WHERE occurred_ms >= $1 AND occurred_ms < $2",
        };
        let client = self.client().await?;
        let row = client.query_one(sql, &[&from, &to]).await.map_err(crate::unavailable)?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    /// [`PgStore::export`], telling `on_row` how many rows are written so far after each
    /// one; when it answers false the export stops with [`StoreError::Cancelled`].
    pub async fn export_with(
        &self,
        what: ExportWhat,
        format: ExportFormat,
        range: TimeRange,
        out: &mut impl Write,
        mut on_row: impl FnMut(u64) -> bool,
    ) -> Result<u64> {
        let from = range.from.map_or(i64::MIN, Timestamp::unix_millis);
        let to = range.to.map_or(i64::MAX, Timestamp::unix_millis);
        let agents = match what {
            ExportWhat::Calls => self.agents().await?,
            ExportWhat::Events => Vec::new(),
        };
        // The team's fields, each a column of calls.
        let dimensions = self.dimension_fields().await?;
        let client = self.client().await?;
        let mut writer = ExportWriter::with_names(out, what, format, &agents, &dimensions)?;
        let mut count = 0u64;
        match what {
            ExportWhat::Calls => {
                let page = client
                    .prepare(&format!(
                        "SELECT {CALL_COLUMNS} FROM calls
                         WHERE event_count > 0 AND sort_ms >= $1 AND sort_ms < $2 AND (sort_ms, call_id) > ($3, $4)
                         ORDER BY sort_ms, call_id LIMIT {PAGE}"
                    ))
                    .await
                    .map_err(crate::unavailable)?;
                let mut after = (i64::MIN, String::new());
                loop {
                    let rows =
                        client.query(&page, &[&from, &to, &after.0, &after.1]).await.map_err(crate::unavailable)?;
                    for row in &rows {
                        let call = call_row(row)?;
                        writer.call(&call)?;
                        after = (call.sort_ms, call.record.call_id);
                        count += 1;
                        if !on_row(count) {
                            return Err(StoreError::Cancelled);
                        }
                    }
                    if (rows.len() as i64) < PAGE {
                        break;
                    }
                }
            }
            ExportWhat::Events => {
                let page = client
                    .prepare(&format!(
                        "SELECT {EVENT_COLUMNS}, e.tie FROM events e JOIN deliveries d ON d.id = e.id
                         WHERE e.occurred_ms >= $1 AND e.occurred_ms < $2
                           AND (e.occurred_ms, e.tie COLLATE \"C\", e.id) > ($3, $4 COLLATE \"C\", $5)
                         ORDER BY e.occurred_ms, e.tie COLLATE \"C\", e.id LIMIT {PAGE}"
                    ))
                    .await
                    .map_err(crate::unavailable)?;
                let mut after = (i64::MIN, String::new(), i64::MIN);
                loop {
                    let rows = client
                        .query(&page, &[&from, &to, &after.0, &after.1, &after.2])
                        .await
                        .map_err(crate::unavailable)?;
                    for row in &rows {
                        let event = event_row(row)?;
                        writer.event(&event)?;
                        after = (event.occurred_at.unix_millis(), row.get(15), event.id);
                        count += 1;
                        if !on_row(count) {
                            return Err(StoreError::Cancelled);
                        }
                    }
                    if (rows.len() as i64) < PAGE {
                        break;
                    }
                }
            }
        }
        writer.finish()?;
        Ok(count)
    }
}
