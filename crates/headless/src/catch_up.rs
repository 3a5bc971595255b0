//! `catch-up`, and the catch-up `serve --api-base` runs on start.

use std::sync::Arc;

use anyhow::Context;
use calleague_catchup::{catch_up_window, CatchUpError, Progress};
use calleague_metrics::{RunResult, ServiceMetrics};
use calleague_store::{Store, StoreOptions};
use calleague_store_pg::{PgOptions, PgStore};

use crate::args::CatchUpArgs;
use crate::key;

/// One line per change of window or page, on stderr.
pub fn reporter() -> impl FnMut(Progress) + Send + 'static {
    let mut last = (usize::MAX, u32::MAX);
    move |p: Progress| {
        if p.done || (p.window, p.page) != last {
            last = (p.window, p.page);
            let pages = p.pages.map(|n| format!("/{n}")).unwrap_or_default();
            say!(
                "catch-up: window {}/{}, page {}{pages}, {} calls read, {} merged{}",
                p.window,
                p.windows,
                p.page,
                p.calls_read,
                p.calls_merged,
                if p.done { " (done)" } else { "" }
            );
        }
    }
}

/// The last line of `serve`'s catch-up, and its count in the metrics.
pub fn outcome_reporter(metrics: Option<Arc<ServiceMetrics>>) -> impl FnOnce(Result<Progress, CatchUpError>) {
    move |result| {
        if let Some(metrics) = metrics {
            match &result {
                Ok(p) => metrics.catch_up_finished(RunResult::ok, p.calls_merged as u64),
                Err(_) => metrics.catch_up_finished(RunResult::failed, 0),
            }
        }
        report_outcome(result)
    }
}

fn report_outcome(result: Result<Progress, CatchUpError>) {
    match result {
        Ok(p) if p.windows == 0 => say!("catch-up: no downtime to catch up"),
        Ok(p) => {
            say!("catch-up: {} calls merged ({} events) from {} window(s)", p.calls_merged, p.events_added, p.windows)
        }
        Err(e) => say!("catch-up failed ({}): {e}", e.code()),
    }
}

pub fn run(args: CatchUpArgs) -> anyhow::Result<()> {
    let client = key::client(&args.api_base, args.key_file.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if let Some(url) = crate::database::from_argument(args.database.as_deref(), args.database_allow_plaintext)? {
        return runtime.block_on(async move {
            let store = PgStore::connect(&url, PgOptions::default()).await?;
            let p = catch_up_window(&store, &client, args.from, args.to, reporter()).await?;
            println!("merged {} calls ({} events) of {} read", p.calls_merged, p.events_added, p.calls_read);
            Ok(())
        });
    }
    let db = args.db.context("--db or --database is required")?;
    runtime.block_on(async move {
        let store = Store::open(&db, StoreOptions::default())?;
        let result = catch_up_window(&store, &client, args.from, args.to, reporter()).await;
        calleague_engine::close_store(store).await;
        let p = result?;
        println!("merged {} calls ({} events) of {} read", p.calls_merged, p.events_added, p.calls_read);
        Ok(())
    })
}
