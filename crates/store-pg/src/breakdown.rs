//! A range's calls by a dimension's value, counted from the calls themselves and added up by
//! the SQLite store's own [`BreakdownCounter`], so both show the same numbers.

use calleague_events::Timestamp;
use calleague_store::{Breakdown, BreakdownCounter, Result};

use crate::PgStore;

impl PgStore {
    /// The calls of `[from, to)` by the values of `dimension`: any metadata field, as every
    /// field of the team's calls can be read.
    pub async fn breakdown(&self, from: Timestamp, to: Timestamp, dimension: &str) -> Result<Breakdown> {
        let mut counter = BreakdownCounter::new(from, to, dimension)?;
        let (from, to) = counter.range_ms();
        self.each_call_in(from, to, |call| counter.add_call(call)).await?;
        counter.finish()
    }
}
