//! A range's calls by a dimension's value, counted from the calls themselves and added up by
//! the SQLite store's own [`BreakdownCounter`], so both show the same numbers.

use calleague_events::Timestamp;
use calleague_store::{Breakdown, BreakdownCounter, Result};

use crate::read::{call_row, CALL_COLUMNS};
use crate::{unavailable, PgStore};

impl PgStore {
    /// The calls of `[from, to)` by the values of `dimension`: any metadata field, as every
    /// field of the team's calls can be read.
    pub async fn breakdown(&self, from: Timestamp, to: Timestamp, dimension: &str) -> Result<Breakdown> {
        let mut counter = BreakdownCounter::new(from, to, dimension)?;
        let (from, to) = counter.range_ms();
        let client = self.client().await?;
        let calls = client
            .query(
                &format!("SELECT {CALL_COLUMNS} FROM calls WHERE event_count > 0 AND sort_ms >= $1 AND sort_ms < $2"),
                &[&from, &to],
            )
            .await
            .map_err(unavailable)?;
        for row in &calls {
            counter.add_call(&call_row(row)?);
        }
        counter.finish()
    }
}
