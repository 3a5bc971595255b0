//! Ingest: a bare axum handler that only answers 200, then the real receiver with durable
//! commits, under the same load; then the receiver at a steady 2,000 deliveries/s.

use std::sync::Arc;

use axum::routing::post;
use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig};
use calleague_store::{Store, StoreOptions};

use crate::load::{closed_loop, deliveries, steady, LoadResult, CONNECTIONS};
use crate::{ms, percentile};

const KEY: &str = "sk_bench_ingest";
const DELIVERIES: usize = 50_000;
const STEADY_RATE: f64 = 2_000.0;
const STEADY_SECONDS: f64 = 10.0;

fn header() {
    println!("| {:<34} | {:>10} | {:>9} | {:>9} | {:>9} | {:>6} |", "server", "rate", "p50", "p99", "max", "failed");
    println!(
        "|{}|{}|{}|{}|{}|{}|",
        "-".repeat(36),
        "-".repeat(12),
        "-".repeat(11),
        "-".repeat(11),
        "-".repeat(11),
        "-".repeat(8)
    );
}

fn row(name: &str, r: &LoadResult) {
    println!(
        "| {name:<34} | {:>8.0}/s | {:>9} | {:>9} | {:>9} | {:>6} |",
        r.rate(),
        ms(percentile(&r.latencies, 0.50)),
        ms(percentile(&r.latencies, 0.99)),
        ms(*r.latencies.last().unwrap_or(&Default::default())),
        r.failed
    );
}

pub fn run() -> anyhow::Result<()> {
    // The servers get their own runtime, as they would in their own process.
    let server_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let load_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;

    let bare_url = server_rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new().route("/hooks/calleague", post(|_body: axum::body::Bytes| async { "ok" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        anyhow::Ok(format!("http://{addr}/hooks/calleague"))
    })?;

    let dir = tempfile::tempdir()?;
    let (receiver_url, store) = server_rt.block_on(async {
        let store = Store::open(dir.path().join("bench.db"), StoreOptions::default())?;
        let mut config = ReceiverConfig::new(KeySet::single(ApiKey::new(KEY).expect("a key")));
        config.bind = "127.0.0.1:0".parse()?;
        let receiver = Receiver::start(config, store.clone()).await?;
        let url = receiver.url().to_owned();
        std::mem::forget(receiver); // lives for the whole run
        anyhow::Ok((url, store))
    })?;

    println!("\nIngest: {DELIVERIES} realistic deliveries, HTTP/1.1 keep-alive, {CONNECTIONS} connections\n");
    header();
    // A short warm-up for both, so neither pays for first connections alone.
    load_rt.block_on(closed_loop(&bare_url, KEY, deliveries(2_000, "warm_bare")));
    load_rt.block_on(closed_loop(&receiver_url, KEY, deliveries(2_000, "warm")));
    let bare = load_rt.block_on(closed_loop(&bare_url, KEY, deliveries(DELIVERIES, "bare")));
    row("bare axum handler (baseline)", &bare);
    let real = load_rt.block_on(closed_loop(&receiver_url, KEY, deliveries(DELIVERIES, "real")));
    row("receiver, durable commit", &real);
    let ratio = real.rate() / bare.rate();
    println!("\nreceiver / bare rate: {ratio:.2} (target: at least 0.50) -> {}", verdict(ratio >= 0.5));

    let count = (STEADY_RATE * STEADY_SECONDS) as usize;
    let steady_bare = load_rt.block_on(steady(&bare_url, KEY, deliveries(count, "steady_bare"), STEADY_RATE));
    let steady_real = load_rt.block_on(steady(&receiver_url, KEY, deliveries(count, "steady"), STEADY_RATE));
    println!("\nSteady {STEADY_RATE:.0} deliveries/s for {STEADY_SECONDS:.0} s:\n");
    header();
    row("bare axum handler (baseline)", &steady_bare);
    row("receiver, durable commit", &steady_real);
    let p99 = percentile(&steady_real.latencies, 0.99);
    println!(
        "\nreceiver p99 at {STEADY_RATE:.0}/s: {} (target: under 10 ms) -> {}",
        ms(p99),
        verdict(p99.as_millis() < 10)
    );
    let stored = store.counts(calleague_events::Timestamp::from_unix_millis(0)?)?.deliveries_total;
    println!("deliveries stored: {stored}");
    drop(Arc::clone(&store));
    Ok(())
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}
