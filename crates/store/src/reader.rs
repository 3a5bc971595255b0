//! What a window reads of a store, as one interface: the timeline's pages, a call's
//! details, the filter menus, the status bar's counts, the overview, the Agents page and the two logs.
//! SQLite ([`Store`]) and PostgreSQL (`calleague-store-pg`, a team's database) both stand
//! behind it, so the app shows either through the same code, and one set of tests holds
//! both to the same answers.

use std::sync::Arc;
use std::time::Duration;

use calleague_events::Timestamp;

use crate::agents_page::AgentsPage;
use crate::breakdown::Breakdown;
use crate::model::{CallDetail, CallRow, Facets, InProgress, QuarantineRow, SecurityRow, StatusCounts};
use crate::overview::Overview;
use crate::query::{CallCursor, CallFilter, Page, PageRequest};
use crate::{AgentName, DimensionStatus, Result, SeenField, Store, StoreError, StoreFuture};

pub trait TimelineReader: Send + Sync {
    /// A page of the call timeline, ordered by each call's earliest `occurredAt`, ties by
    /// call id (byte order).
    fn calls_page(
        &self,
        filter: CallFilter,
        page: PageRequest<CallCursor>,
    ) -> StoreFuture<'_, Page<CallRow, CallCursor>>;
    /// A call with every one of its events (hidden ones included), in timeline order.
    fn call_detail(&self, call_id: String) -> StoreFuture<'_, Option<CallDetail>>;
    /// Distinct agents, directions, ended reasons and languages (at most 200 of each).
    fn facets(&self) -> StoreFuture<'_, Facets>;
    /// The status bar's counts; `since` is the start of "today".
    fn counts(&self, since: Timestamp) -> StoreFuture<'_, StatusCounts>;
    /// Calls in progress now; those started before `stale_before` are stale.
    fn in_progress(&self, stale_before: Timestamp) -> StoreFuture<'_, InProgress>;
    /// The overview of `[from, to)`, both rounded down to whole minutes; a call not ended
    /// after `longest_call` is stale, not in progress.
    fn overview(&self, from: Timestamp, to: Timestamp, longest_call: Duration) -> StoreFuture<'_, Overview>;
    /// The Agents page for `[from, to)`, both rounded down to whole minutes, each agent's
    /// calls grouped `by` a dimension too when given.
    fn agents_page(&self, from: Timestamp, to: Timestamp, by: Option<String>) -> StoreFuture<'_, AgentsPage>;
    /// The calls of `[from, to)` by the values of a dimension (`direction`, `language`,
    /// `metadata.<field>`).
    fn breakdown(&self, from: Timestamp, to: Timestamp, dimension: String) -> StoreFuture<'_, Breakdown>;
    /// Quarantined bodies, newest first, before `before_id` when given.
    fn quarantine_page(&self, before_id: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<QuarantineRow>>;
    /// Rejected requests, newest first, before `before_id` when given.
    fn security_page(&self, before_id: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<SecurityRow>>;
    /// The account's agents by name, as the REST API described them.
    fn agents(&self) -> StoreFuture<'_, Vec<AgentName>>;
    /// The chosen dimensions (metadata fields), in order, with how far each is counted.
    fn dimensions(&self) -> StoreFuture<'_, Vec<DimensionStatus>>;
    /// Top-level metadata fields of the newest `sample` calls, most common first.
    fn metadata_fields_seen(&self, sample: u32) -> StoreFuture<'_, Vec<SeenField>>;
}

/// SQLite's reads block: each runs on tokio's blocking pool, off the async workers.
fn blocking<T: Send + 'static>(
    store: &Arc<Store>,
    read: impl FnOnce(&Store) -> Result<T> + Send + 'static,
) -> StoreFuture<'static, T> {
    let store = store.clone();
    Box::pin(async move {
        tokio::task::spawn_blocking(move || read(&store))
            .await
            .map_err(|e| StoreError::Unavailable(format!("a read stopped: {e}")))?
    })
}

impl TimelineReader for Arc<Store> {
    fn calls_page(
        &self,
        filter: CallFilter,
        page: PageRequest<CallCursor>,
    ) -> StoreFuture<'_, Page<CallRow, CallCursor>> {
        blocking(self, move |store| store.calls_page(&filter, &page))
    }

    fn call_detail(&self, call_id: String) -> StoreFuture<'_, Option<CallDetail>> {
        blocking(self, move |store| store.call_detail(&call_id))
    }

    fn facets(&self) -> StoreFuture<'_, Facets> {
        blocking(self, Store::facets)
    }

    fn counts(&self, since: Timestamp) -> StoreFuture<'_, StatusCounts> {
        blocking(self, move |store| store.counts(since))
    }

    fn in_progress(&self, stale_before: Timestamp) -> StoreFuture<'_, InProgress> {
        blocking(self, move |store| store.in_progress(stale_before))
    }

    fn overview(&self, from: Timestamp, to: Timestamp, longest_call: Duration) -> StoreFuture<'_, Overview> {
        blocking(self, move |store| store.overview(from, to, longest_call))
    }

    fn agents_page(&self, from: Timestamp, to: Timestamp, by: Option<String>) -> StoreFuture<'_, AgentsPage> {
        blocking(self, move |store| store.agents_page(from, to, by.as_deref()))
    }

    fn breakdown(&self, from: Timestamp, to: Timestamp, dimension: String) -> StoreFuture<'_, Breakdown> {
        blocking(self, move |store| store.breakdown(from, to, &dimension))
    }

    fn quarantine_page(&self, before_id: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<QuarantineRow>> {
        blocking(self, move |store| store.quarantine_page(before_id, limit))
    }

    fn security_page(&self, before_id: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<SecurityRow>> {
        blocking(self, move |store| store.security_page(before_id, limit))
    }

    fn agents(&self) -> StoreFuture<'_, Vec<AgentName>> {
        blocking(self, Store::agents)
    }

    fn dimensions(&self) -> StoreFuture<'_, Vec<DimensionStatus>> {
        blocking(self, Store::dimensions)
    }

    fn metadata_fields_seen(&self, sample: u32) -> StoreFuture<'_, Vec<SeenField>> {
        blocking(self, move |store| store.metadata_fields_seen(sample))
    }
}
