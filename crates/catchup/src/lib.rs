//! Catch-up after downtime, and the heartbeat that tells when the receiver was down.
//!
//! Webhooks only reach a receiver that is running. While it is stopped, Calleague retries
//! for a while and then gives up, so the app reads the calls it missed from the REST API:
//! for every window between two runs (with a margin on both sides), every page of calls,
//! each turned into the lifecycle events it implies and merged through the same call fold.
//! Running it twice adds nothing.

mod merge;
mod uptime;

use std::time::Duration;

use calleague_client::{Client, ClientError};
use calleague_error_code::ErrorCode;
use calleague_events::Timestamp;
use calleague_store::{DeliverySink, StoreError, UptimeLog};
use serde::Serialize;

pub use merge::{active_within, call_events, merge_calls, Merged, ReadBy};
pub use uptime::{Uptime, HEARTBEAT_INTERVAL};

#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CatchUpError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Client(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }
}

/// Four hours: longer than any voice-agent call we expect; a setting where it is not.
pub const DEFAULT_LONGEST_CALL: Duration = Duration::from_secs(4 * 3600);

#[derive(Debug, Clone, Copy)]
pub struct CatchUpOptions {
    /// Read this much more on both sides of a window: clocks differ, and a heartbeat is
    /// only written every few seconds.
    pub margin: Duration,
    /// How long the longest call may last. Calleague lists calls by when they started, so
    /// a window is read from this long before it: a call that started hours before the
    /// downtime and ended inside it is found too.
    pub longest_call: Duration,
    /// Gaps between runs shorter than this are not read. Zero by default: even a restart of
    /// a few seconds can miss deliveries Calleague gave up on, and reading a short window
    /// costs one small request.
    pub min_gap: Duration,
}

impl Default for CatchUpOptions {
    fn default() -> Self {
        Self { margin: Duration::from_secs(300), longest_call: DEFAULT_LONGEST_CALL, min_gap: Duration::ZERO }
    }
}

/// Where a catch-up is, for a progress display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// 1-based; 0 before the first window.
    pub window: usize,
    pub windows: usize,
    pub page: u32,
    pub pages: Option<u32>,
    pub calls_read: usize,
    /// Calls that gained at least one event.
    pub calls_merged: usize,
    pub events_added: usize,
    pub done: bool,
}

/// Catches up every downtime window the store knows of and has not caught up yet.
pub async fn catch_up_downtime(
    store: &(impl DeliverySink + UptimeLog + ?Sized),
    client: &Client,
    options: CatchUpOptions,
    mut progress: impl FnMut(Progress),
) -> Result<Progress, CatchUpError> {
    let windows = store.downtime_windows(options.min_gap.as_millis() as i64).await?;
    let mut state = Progress { windows: windows.len(), ..Default::default() };
    for (i, window) in windows.iter().enumerate() {
        state.window = i + 1;
        let merged_before = state.calls_merged;
        let (Some(from), Some(to)) = (window.from, window.to) else { continue };
        let span = widen(from, to, options.margin);
        read_window(store, client, span, options.longest_call, &mut state, &mut progress).await?;
        store.record_catchup(*window, (state.calls_merged - merged_before) as i64).await?;
    }
    state.done = true;
    progress(state);
    Ok(state)
}

/// Catches up one explicit window, e.g. from the command line, into either store.
pub async fn catch_up_window(
    store: &(impl DeliverySink + ?Sized),
    client: &Client,
    from: Timestamp,
    to: Timestamp,
    mut progress: impl FnMut(Progress),
) -> Result<Progress, CatchUpError> {
    let mut state = Progress { window: 1, windows: 1, ..Default::default() };
    read_window(store, client, (from, to), Duration::ZERO, &mut state, &mut progress).await?;
    state.done = true;
    progress(state);
    Ok(state)
}

fn widen(from: Timestamp, to: Timestamp, margin: Duration) -> (Timestamp, Timestamp) {
    let m = margin.as_millis() as i64;
    (from.saturating_add_millis(-m), to.saturating_add_millis(m))
}

/// Merges the calls with a moment (start, connect or end) inside `from..to`; reads the
/// list from `look_back` before `from`, since the API lists calls by their start.
async fn read_window(
    store: &(impl DeliverySink + ?Sized),
    client: &Client,
    (from, to): (Timestamp, Timestamp),
    look_back: Duration,
    state: &mut Progress,
    progress: &mut impl FnMut(Progress),
) -> Result<(), CatchUpError> {
    tracing::info!(%from, %to, "catching up");
    let listed_from = from.saturating_add_millis(-(look_back.as_millis() as i64));
    let calls = client
        .list_calls(listed_from, to, |page| {
            state.page = page.page;
            state.pages = page.pages;
            progress(*state);
        })
        .await?;
    // A call that started before the window counts only if something happened inside it.
    let calls: Vec<_> = calls.into_iter().filter(|c| active_within(c, from, to)).collect();
    let before = *state;
    merge_calls(store, &calls, ReadBy::CatchUp, |merged| {
        state.calls_read = before.calls_read + merged.calls_read;
        state.calls_merged = before.calls_merged + merged.merged.len();
        state.events_added = before.events_added + merged.events_added;
        if merged.calls_read % 50 == 0 {
            progress(*state);
        }
    })
    .await?;
    progress(*state);
    Ok(())
}
