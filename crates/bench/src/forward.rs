//! Forwarding: what it costs the receiver, how soon a handler gets a delivery, and what a
//! handler that is down for a while gets back.
//!
//! 1. Ingest with forwarding on (one target, a bare local handler) against off, each
//!    receiver on a store of its own, alternated, under wrk and under our own generator:
//!    the rate with forwarding on over the rate without (target: at least 0.8).
//! 2. At a steady 500/s, the time from a delivery's acknowledgement to its receipt by the
//!    handler (target: p99 under 50 ms).
//!    And a target that never answers against none: the receiver's acknowledgement p99
//!    (target: within 10%).
//! 3. The handler down for a minute under a steady 200/s, then back: every delivery
//!    arrives, none missing; the repeats are counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use calleague_forward::{ApiKey, ForwardOptions, ForwardTarget, Forwarder};
use calleague_receiver::{KeySet, Receiver, ReceiverConfig};
use calleague_store::{Store, StoreOptions};

use crate::ingest::{header, row, verdict, wrk_row};
use crate::load::{closed_loop, deliveries, steady, CONNECTIONS};
use crate::{ms, percentile};

const KEY: &str = "sk_bench_forward";
const WRK_SECONDS: u32 = 5;
const ROUNDS: usize = 2;
const OWN_DELIVERIES: usize = 20_000;
const LATENCY_RATE: f64 = 500.0;
const LATENCY_SECONDS: f64 = 20.0;
const DOWN_RATE: f64 = 200.0;
const HANG_SECONDS: f64 = 15.0;

/// A handler that answers 200 at once and notes when each delivery arrived (by id).
#[derive(Default)]
struct Handler {
    arrivals: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Handler {
    fn note(&self, body: &[u8]) {
        let at = Instant::now();
        let text = String::from_utf8_lossy(body);
        let Some(start) = text.find("\"deliveryId\":\"").map(|i| i + 14) else { return };
        let Some(len) = text[start..].find('"') else { return };
        self.arrivals.lock().expect("arrivals").entry(text[start..start + len].to_owned()).or_default().push(at);
    }

    fn count(&self, prefix: &str) -> (usize, usize) {
        let arrivals = self.arrivals.lock().expect("arrivals");
        let mine = arrivals.iter().filter(|(id, _)| id.starts_with(prefix));
        mine.fold((0, 0), |(distinct, repeats), (_, times)| (distinct + 1, repeats + times.len() - 1))
    }
}

async fn serve_handler(handler: Arc<Handler>, addr: &str) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/hooks",
        post(move |body: axum::body::Bytes| {
            let handler = handler.clone();
            async move {
                handler.note(&body);
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// Which receiver run `round` measures, A B B A: its URL, its row's name and where its
/// rates go.
fn side<'a>(
    round: usize,
    off: (&'a String, &'a mut Vec<f64>),
    on: (&'a String, &'a mut Vec<f64>),
) -> (&'a String, &'static str, &'a mut Vec<f64>) {
    if round % 4 == 1 || round % 4 == 2 {
        (on.0, "receiver, forwarding to one target", on.1)
    } else {
        (off.0, "receiver, no forwarding (baseline)", off.1)
    }
}

/// After a burst: how far the handler was behind the log (the deliveries of the run, from
/// `before`), and how long it took to have them all.
fn catch_up(rt: &tokio::runtime::Runtime, store: &Store, target: &str, before: i64) -> anyhow::Result<(i64, Duration)> {
    let begun = Instant::now();
    rt.block_on(store.settle())?;
    let end = store.log_end()?;
    let behind = end - store.forward_position(target)?.unwrap_or(0).max(before);
    while store.forward_position(target)?.unwrap_or(0) < end && begun.elapsed() < Duration::from_secs(900) {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((behind, begun.elapsed()))
}

async fn receiver(db: &std::path::Path, forward_to: Option<&str>) -> anyhow::Result<(String, Arc<Store>)> {
    let store = Store::open(db, StoreOptions::default())?;
    let mut config = ReceiverConfig::new(KeySet::single(calleague_receiver::ApiKey::new(KEY).expect("a key")));
    config.bind = "127.0.0.1:0".parse()?;
    let receiver = Receiver::start(config, store.clone()).await?;
    let url = receiver.url().to_owned();
    std::mem::forget(receiver); // lives for the whole run
    if let Some(target) = forward_to {
        let forwarder = Forwarder::start(
            store.clone(),
            vec![ForwardTarget::new(target, Vec::<String>::new())?],
            Some(ApiKey::new(KEY)),
            ForwardOptions::default(),
        )
        .await;
        std::mem::forget(forwarder);
    }
    Ok((url, store))
}

/// Waits until the handler has `expected` distinct deliveries of `prefix`, at most `limit`.
fn wait_for(handler: &Handler, prefix: &str, expected: usize, limit: Duration) -> Duration {
    let begun = Instant::now();
    while handler.count(prefix).0 < expected && begun.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(20));
    }
    begun.elapsed()
}

pub fn run(down_seconds: u64) -> anyhow::Result<()> {
    let server_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let load_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let handler = Arc::new(Handler::default());
    let target = server_rt.block_on(serve_handler(handler.clone(), "127.0.0.1:0"))?;
    let dir = tempfile::tempdir()?;
    let (off_url, off_store) = server_rt.block_on(receiver(&dir.path().join("off.db"), None))?;
    let (on_url, on_store) = server_rt.block_on(receiver(&dir.path().join("on.db"), Some(&target)))?;
    // Before each run both receivers are quiet: their backlogs projected, and the handler
    // caught up with the log (forwarding gives way to a burst and catches up after it: that
    // catch-up must not fall on the next run, whichever receiver it measures).
    let quiet = || -> anyhow::Result<()> {
        server_rt.block_on(off_store.settle())?;
        server_rt.block_on(on_store.settle())?;
        let end = on_store.log_end()?;
        let begun = Instant::now();
        while on_store.forward_position(&target)?.unwrap_or(0) < end && begun.elapsed() < Duration::from_secs(900) {
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    };

    println!("\nForwarding: ingest with one target (a bare local handler) against none, alternated A B B A\n");
    header();
    load_rt.block_on(closed_loop(&off_url, KEY, deliveries(2_000, "warm_off")));
    load_rt.block_on(closed_loop(&on_url, KEY, deliveries(2_000, "warm_on")));
    // A B B A: a drift of the machine over the run (and the stores growing) weighs on both.
    let (mut off_rates, mut on_rates) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS * 2 {
        let (url, name, rates) = side(round, (&off_url, &mut off_rates), (&on_url, &mut on_rates));
        quiet()?;
        let run = load_rt.block_on(closed_loop(url, KEY, deliveries(OWN_DELIVERIES, &format!("own{round}"))));
        row(name, &run);
        rates.push(run.rate());
    }
    let own_ratio = on_rates.iter().sum::<f64>() / off_rates.iter().sum::<f64>();
    println!(
        "\nour generator: forwarding on / off rate: {own_ratio:.2} (target: at least 0.80) -> {}",
        verdict(own_ratio >= 0.8)
    );
    if crate::wrk::available() {
        println!("\nUnder wrk ({WRK_SECONDS} s per run, {CONNECTIONS} connections, 2 threads), alternated A B B A:\n");
        header();
        let scripts = tempfile::tempdir()?;
        let (mut off_rates, mut on_rates, mut catch_ups) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS * 2 {
            let forwarding = round % 4 == 1 || round % 4 == 2;
            let (url, name, rates) = side(round, (&off_url, &mut off_rates), (&on_url, &mut on_rates));
            quiet()?;
            let behind_before = on_store.log_end()?;
            let run = crate::wrk::run(url, KEY, &format!("wrk{round}"), WRK_SECONDS, CONNECTIONS, scripts.path())?;
            wrk_row(name, &run);
            rates.push(run.rate);
            if forwarding {
                catch_ups.push(catch_up(&server_rt, &on_store, &target, behind_before)?);
            }
        }
        let ratio = on_rates.iter().sum::<f64>() / off_rates.iter().sum::<f64>();
        println!("\nwrk: forwarding on / off rate: {ratio:.2} (target: at least 0.80) -> {}", verdict(ratio >= 0.8));
        for (behind, took) in catch_ups {
            println!(
                "after a run with forwarding on, the handler was {behind} deliveries behind; it had them all {:.1} s later ({:.0}/s)",
                took.as_secs_f64(),
                behind as f64 / took.as_secs_f64().max(0.001)
            );
        }
    } else {
        println!("wrk is not installed (apt install wrk): not measured");
    }
    // 2. Acknowledgement to receipt at a steady rate.
    let count = (LATENCY_RATE * LATENCY_SECONDS) as usize;
    let steady_run = load_rt.block_on(steady(&on_url, KEY, deliveries(count, "lat"), LATENCY_RATE));
    wait_for(&handler, "lat_", count, Duration::from_secs(60));
    let arrivals = handler.arrivals.lock().expect("arrivals").clone();
    let mut gaps: Vec<Duration> = steady_run
        .acked
        .iter()
        .filter_map(|(i, acked)| {
            arrivals.get(&format!("lat_{i}")).and_then(|t| t.first()).map(|got| got.saturating_duration_since(*acked))
        })
        .collect();
    gaps.sort();
    let p99 = percentile(&gaps, 0.99);
    println!(
        "\nSteady {LATENCY_RATE:.0}/s for {LATENCY_SECONDS:.0} s: acknowledgement to the handler's receipt, {} of {} deliveries: p50 {}, p99 {}, max {} (target: p99 under 50 ms) -> {}",
        gaps.len(),
        count,
        ms(percentile(&gaps, 0.5)),
        ms(p99),
        ms(*gaps.last().unwrap_or(&Duration::ZERO)),
        verdict(p99 < Duration::from_millis(50) && gaps.len() == count)
    );
    println!(
        "(the receiver's own acknowledgement at that rate: p50 {}, p99 {})",
        ms(percentile(&steady_run.latencies, 0.5)),
        ms(percentile(&steady_run.latencies, 0.99))
    );

    // 2b. A handler that never answers: the acknowledgements do not wait for it.
    let hanging = server_rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hooks", listener.local_addr()?);
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket); // read nothing, answer nothing, close nothing
            }
        });
        anyhow::Ok(url)
    })?;
    let (none_url, _none) = server_rt.block_on(receiver(&dir.path().join("none.db"), None))?;
    let (hung_url, _hung) = server_rt.block_on(receiver(&dir.path().join("hung.db"), Some(&hanging)))?;
    std::thread::sleep(Duration::from_millis(500));
    println!("\nSteady {LATENCY_RATE:.0}/s, {HANG_SECONDS:.0} s per run, alternated: a target that never answers against none\n");
    header();
    let count = (LATENCY_RATE * HANG_SECONDS) as usize;
    let (mut none_p99, mut hung_p99) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let none = load_rt.block_on(steady(&none_url, KEY, deliveries(count, &format!("none{round}")), LATENCY_RATE));
        row("receiver, no forwarding (baseline)", &none);
        let hung = load_rt.block_on(steady(&hung_url, KEY, deliveries(count, &format!("hung{round}")), LATENCY_RATE));
        row("receiver, target never answers", &hung);
        none_p99.push(percentile(&none.latencies, 0.99));
        hung_p99.push(percentile(&hung.latencies, 0.99));
    }
    let (none_p99, hung_p99) = (none_p99.iter().sum::<Duration>(), hung_p99.iter().sum::<Duration>());
    let ratio = hung_p99.as_secs_f64() / none_p99.as_secs_f64().max(1e-9);
    println!(
        "\nacknowledgement p99 with a target that never answers / with none: {ratio:.2} (target: within 10%, at most 1.10) -> {}",
        verdict(ratio <= 1.10)
    );

    // 3. A handler down for a while.
    let down_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let down_target = format!("http://{down_port}/hooks");
    let down_handler = Arc::new(Handler::default());
    let (down_url, _down_store) = server_rt.block_on(receiver(&dir.path().join("down.db"), Some(&down_target)))?;
    std::thread::sleep(Duration::from_millis(500));
    let total_seconds = down_seconds as f64 + 10.0;
    let count = (DOWN_RATE * total_seconds) as usize;
    println!("\nThe handler down for {down_seconds} s of {total_seconds:.0} s at a steady {DOWN_RATE:.0}/s ({count} deliveries), then back:");
    let sending = {
        let down_url = down_url.clone();
        std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime");
            rt.block_on(steady(&down_url, KEY, deliveries(count, "down"), DOWN_RATE))
        })
    };
    std::thread::sleep(Duration::from_secs(down_seconds));
    let back_at = Instant::now();
    server_rt.block_on(serve_handler(down_handler.clone(), &down_port.to_string()))?;
    let sent = sending.join().map_err(|_| anyhow::anyhow!("the sender panicked"))?;
    let took = wait_for(&down_handler, "down_", sent.sent - sent.failed, Duration::from_secs(900));
    let (distinct, repeats) = down_handler.count("down_");
    let missing = (sent.sent - sent.failed).saturating_sub(distinct);
    println!(
        "acknowledged {}, refused {}; the handler got {distinct} distinct ({repeats} repeats), {missing} missing, all in hand {:.1} s after it came back -> {}",
        sent.sent - sent.failed,
        sent.failed,
        (back_at.elapsed().max(took)).as_secs_f64(),
        verdict(missing == 0 && sent.failed == 0)
    );
    Ok(())
}
