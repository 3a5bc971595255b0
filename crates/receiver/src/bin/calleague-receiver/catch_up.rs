//! `catch-up`, and the catch-up `serve --api-base` runs on start.

use std::sync::Arc;

use calleague_catchup::{catch_up_downtime, catch_up_window, CatchUpOptions, Progress};
use calleague_client::Client;
use calleague_store::{Store, StoreOptions};

use crate::args::CatchUpArgs;
use crate::key;

/// One line per change of window or page, on stderr.
fn reporter() -> impl FnMut(Progress) {
    let mut last = (usize::MAX, u32::MAX);
    move |p: Progress| {
        if p.done || (p.window, p.page) != last {
            last = (p.window, p.page);
            let pages = p.pages.map(|n| format!("/{n}")).unwrap_or_default();
            eprintln!(
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

/// Catches up every downtime window; gaps shorter than `min_gap` are restarts.
pub async fn in_background(store: Arc<Store>, client: Client, min_gap: std::time::Duration) {
    let options = CatchUpOptions { min_gap, ..CatchUpOptions::default() };
    match catch_up_downtime(&store, &client, options, reporter()).await {
        Ok(p) if p.windows == 0 => eprintln!("catch-up: no downtime to catch up"),
        Ok(p) => eprintln!(
            "catch-up: {} calls merged ({} events) from {} window(s)",
            p.calls_merged, p.events_added, p.windows
        ),
        Err(e) => eprintln!("catch-up failed ({}): {e}", e.code()),
    }
}

pub fn run(args: CatchUpArgs) -> anyhow::Result<()> {
    let client = key::client(&args.api_base, args.key_file.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let store = Store::open(&args.db, StoreOptions::default())?;
        let result = catch_up_window(&store, &client, args.from, args.to, reporter()).await;
        tokio::task::spawn_blocking(move || store.close()).await?;
        let p = result?;
        println!("merged {} calls ({} events) of {} read", p.calls_merged, p.events_added, p.calls_read);
        Ok(())
    })
}
