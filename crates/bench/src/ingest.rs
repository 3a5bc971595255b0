//! Ingest: a bare axum handler that only answers 200, then the real receiver with durable
//! commits (and its metrics, on as in `calleague-receiver serve`), under the same load;
//! then the receiver at a steady 2,000 deliveries/s; then what the metrics cost: the
//! receiver with them against the receiver without, alternated.

use std::time::Duration;

use axum::routing::post;
use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig, ServiceMetrics};
use calleague_store::{Store, StoreOptions};

use crate::load::{closed_loop, deliveries, steady, LoadResult, CONNECTIONS};
use crate::{ms, percentile};

const KEY: &str = "sk_bench_ingest";
const DELIVERIES: usize = 50_000;
const STEADY_RATE: f64 = 2_000.0;
const STEADY_SECONDS: f64 = 60.0;
const WRK_SECONDS: u32 = 5;
const SUSTAINED_SECONDS: u32 = 30;
/// Metrics on against off: rounds of each, alternated, and their length under wrk.
const METRICS_ROUNDS: usize = 10;
const METRICS_WRK_SECONDS: u32 = 2;
const METRICS_DELIVERIES: usize = 20_000;

pub(crate) fn header() {
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

pub(crate) fn row(name: &str, r: &LoadResult) {
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
    let (receiver_url, store) = server_rt.block_on(start_receiver(&dir.path().join("bench.db"), true))?;

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
    check_stored(&server_rt, &store, (2_000 + DELIVERIES) as i64, (2_000 + DELIVERIES) as i64)?;

    let count = (STEADY_RATE * STEADY_SECONDS) as usize;
    // The disk's own syncs are measured during the bare run (which writes nothing), as the
    // baseline the receiver's p99 is read against.
    let (steady_bare, disk) = crate::disk::probe_while(dir.path(), Duration::from_millis(1), || {
        load_rt.block_on(steady(&bare_url, KEY, deliveries(count, "steady_bare"), STEADY_RATE))
    })?;
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
    println!(
        "the disk alone during the bare run, a 600-byte append synced every millisecond: p50 {}, p99 {}, max {}; {} of {} syncs over 20 ms",
        ms(percentile(&disk.latencies, 0.50)),
        ms(percentile(&disk.latencies, 0.99)),
        ms(*disk.latencies.last().expect("probe_while returns at least one")),
        disk.over(Duration::from_millis(20)),
        disk.latencies.len()
    );
    let acknowledged = (2_000 + DELIVERIES + count) as i64;
    check_stored(&server_rt, &store, acknowledged, acknowledged)?;

    // The same pair under wrk, a generator in a process of its own, alternated twice.
    println!("\nUnder wrk ({WRK_SECONDS} s per run, {CONNECTIONS} connections, 2 threads), alternated:\n");
    if !crate::wrk::available() {
        println!("wrk is not installed (apt install wrk): not measured");
        return Ok(());
    }
    header();
    let scripts = tempfile::tempdir()?;
    let (mut bare_rates, mut real_rates, mut real_requests, mut catch_ups) = (Vec::new(), Vec::new(), 0u64, Vec::new());
    for round in 0..2 {
        let bare =
            crate::wrk::run(&bare_url, KEY, &format!("wrk_bare{round}"), WRK_SECONDS, CONNECTIONS, scripts.path())?;
        wrk_row("bare axum handler (baseline)", &bare);
        let real =
            crate::wrk::run(&receiver_url, KEY, &format!("wrk_real{round}"), WRK_SECONDS, CONNECTIONS, scripts.path())?;
        wrk_row("receiver, durable commit", &real);
        bare_rates.push(bare.rate);
        real_rates.push(real.rate);
        real_requests += real.requests;
        // The projection's backlog is caught up before the next run, so that it does not
        // take CPU from the next bare run (which would flatter the ratio).
        catch_ups.push(settle(&server_rt, &store)?);
    }
    let ratio = real_rates.iter().sum::<f64>() / bare_rates.iter().sum::<f64>();
    println!(
        "\nthe projection caught up {} s after each receiver run",
        catch_ups.iter().map(|d| format!("{:.1}", d.as_secs_f64())).collect::<Vec<_>>().join(" and ")
    );
    println!("receiver / bare rate under wrk: {ratio:.2} (target: at least 0.50) -> {}", verdict(ratio >= 0.5));
    real_requests += sustained(&server_rt, &store, &receiver_url, scripts.path())?;
    // wrk counts the replies it read; up to one request per connection was still in flight
    // when it stopped, and may be stored too.
    let before = acknowledged;
    check_stored(
        &server_rt,
        &store,
        before + real_requests as i64,
        before + real_requests as i64 + 3 * CONNECTIONS as i64,
    )?;
    metrics_cost(&server_rt, &load_rt, scripts.path())
}

/// Only the metrics' cost (`calleague-bench ingest metrics`).
pub fn run_metrics_cost() -> anyhow::Result<()> {
    let server_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let load_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let scripts = tempfile::tempdir()?;
    metrics_cost(&server_rt, &load_rt, scripts.path())
}

/// A receiver on its own store at `db`, with or without metrics; it lives for the run.
async fn start_receiver(db: &std::path::Path, metrics: bool) -> anyhow::Result<(String, std::sync::Arc<Store>)> {
    let store = Store::open(db, StoreOptions::default())?;
    let mut config = ReceiverConfig::new(KeySet::single(ApiKey::new(KEY).expect("a key")));
    config.bind = "127.0.0.1:0".parse()?;
    config.metrics = metrics.then(ServiceMetrics::new);
    let receiver = Receiver::start(config, store.clone()).await?;
    let url = receiver.url().to_owned();
    std::mem::forget(receiver); // lives for the whole run
    Ok((url, store))
}

/// What counting every delivery costs: two receivers, each on a store of its own, one
/// with metrics and one without, under the same load in turns, by our generator and by
/// wrk. Both are warmed up first (a fresh database is faster than one that has grown);
/// the order alternates A B B A, so that a drift of the machine over the run weighs on
/// both alike; each store's backlog is settled before the next run.
fn metrics_cost(
    server_rt: &tokio::runtime::Runtime,
    load_rt: &tokio::runtime::Runtime,
    scripts: &std::path::Path,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (on_url, on_store) = server_rt.block_on(start_receiver(&dir.path().join("on.db"), true))?;
    let (off_url, off_store) = server_rt.block_on(start_receiver(&dir.path().join("off.db"), false))?;
    let on = Side { url: &on_url, store: &on_store, name: "metrics on" };
    let off = Side { url: &off_url, store: &off_store, name: "metrics off (baseline)" };
    println!("\nMetrics cost: the receiver with metrics against the receiver without, {METRICS_ROUNDS} rounds each, A B B A\n");
    header();
    for side in [&off, &on] {
        load_rt.block_on(closed_loop(side.url, KEY, deliveries(METRICS_DELIVERIES, &format!("warm_{}", side.name))));
        settle(server_rt, side.store)?;
    }
    let mut ours = Pairs::default();
    for round in 0..METRICS_ROUNDS {
        for side in if round % 2 == 0 { [&off, &on] } else { [&on, &off] } {
            let prefix = format!("{}{round}", side.name);
            let result = load_rt.block_on(closed_loop(side.url, KEY, deliveries(METRICS_DELIVERIES, &prefix)));
            row(&format!("receiver, {}", side.name), &result);
            anyhow::ensure!(result.failed == 0, "deliveries failed while measuring the metrics' cost");
            settle(server_rt, side.store)?;
            ours.add(std::ptr::eq(side, &on), result.rate());
        }
    }
    if !crate::wrk::available() {
        println!("\nmetrics on / off, our generator: {}; wrk is not installed: not measured under wrk", ours.summary());
        return Ok(());
    }
    println!();
    let mut under_wrk = Pairs::default();
    for side in [&off, &on] {
        crate::wrk::run(side.url, KEY, &format!("wrk_warm_{}", side.name.len()), 3, CONNECTIONS, scripts)?;
        settle(server_rt, side.store)?;
    }
    for round in 0..METRICS_ROUNDS {
        for side in if round % 2 == 0 { [&off, &on] } else { [&on, &off] } {
            let script = format!("wrk_{}_{round}", side.name.len());
            let result = crate::wrk::run(side.url, KEY, &script, METRICS_WRK_SECONDS, CONNECTIONS, scripts)?;
            wrk_row(&format!("receiver, {}, wrk", side.name), &result);
            settle(server_rt, side.store)?;
            under_wrk.add(std::ptr::eq(side, &on), result.rate);
        }
    }
    let ratio = under_wrk.ratio();
    println!(
        "\nmetrics on / off rate, our generator: {}; under wrk: {} (target: at least 0.97 under wrk) -> {}",
        ours.summary(),
        under_wrk.summary(),
        verdict(ratio >= 0.97)
    );
    // The rates above swing by a quarter from run to run on this machine; the metrics'
    // own work, timed alone, says how much of a delivery's CPU they can take at most.
    let rate = under_wrk.off.iter().sum::<f64>() / under_wrk.off.len() as f64;
    let work = metrics_work_per_delivery();
    let budget = 2.0e9 / rate; // ns of CPU per delivery, two cores at the baseline's rate
    println!(
        "the metrics' own work per delivery (a counter, two histograms, two clock reads; 2 threads at once): {:.0} ns, {:.2}% of the {:.0} ns of CPU a delivery takes at {rate:.0}/s on 2 cores",
        work,
        100.0 * work / budget,
        budget
    );
    Ok(())
}

/// Nanoseconds of CPU the receiver's per-delivery metrics work takes, two threads recording
/// into one registry at once as the handlers do.
fn metrics_work_per_delivery() -> f64 {
    const ROUNDS: u32 = 2_000_000;
    let metrics = ServiceMetrics::new();
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let metrics = &metrics;
            scope.spawn(move || {
                for _ in 0..ROUNDS {
                    let arrived = std::time::Instant::now();
                    metrics.committed(arrived.elapsed());
                    metrics.delivery(calleague_metrics::Outcome::stored, arrived.elapsed());
                }
            });
        }
    });
    // Two threads for this long: that much CPU over 2 × ROUNDS deliveries.
    started.elapsed().as_nanos() as f64 * 2.0 / (2.0 * f64::from(ROUNDS))
}

/// One receiver of a comparison.
struct Side<'a> {
    url: &'a str,
    store: &'a Store,
    name: &'static str,
}

/// The rates of the runs with metrics and without.
#[derive(Default)]
struct Pairs {
    on: Vec<f64>,
    off: Vec<f64>,
}

impl Pairs {
    fn add(&mut self, on: bool, rate: f64) {
        if on {
            self.on.push(rate)
        } else {
            self.off.push(rate)
        }
    }

    /// All runs with metrics over all runs without.
    fn ratio(&self) -> f64 {
        self.on.iter().sum::<f64>() / self.off.iter().sum::<f64>()
    }

    fn summary(&self) -> String {
        let mut each: Vec<f64> = self.on.iter().zip(&self.off).map(|(on, off)| on / off).collect();
        each.sort_by(f64::total_cmp);
        let median = each.get(each.len() / 2).copied().unwrap_or(f64::NAN);
        format!(
            "{:.3} (round by round {median:.3} median, {:.3} to {:.3})",
            self.ratio(),
            each[0],
            each[each.len() - 1]
        )
    }
}

/// How long the projection takes to catch up with what was acknowledged.
fn settle(rt: &tokio::runtime::Runtime, store: &Store) -> anyhow::Result<std::time::Duration> {
    let started = std::time::Instant::now();
    rt.block_on(store.settle())?;
    Ok(started.elapsed())
}

/// A run longer than a burst: past the projection's bounded backlog the writer projects
/// between batches, and the rate falls to what logging and projecting together sustain.
/// Returns how many deliveries wrk counted as acknowledged.
fn sustained(rt: &tokio::runtime::Runtime, store: &Store, url: &str, scripts: &std::path::Path) -> anyhow::Result<u64> {
    println!(
        "\nSustained: the receiver under wrk for {SUSTAINED_SECONDS} s, longer than a burst the backlog absorbs:\n"
    );
    header();
    let run = crate::wrk::run(url, KEY, "wrk_sustained", SUSTAINED_SECONDS, CONNECTIONS, scripts)?;
    wrk_row("receiver, durable commit", &run);
    let caught_up = settle(rt, store)?;
    println!(
        "\nthe projection caught up {:.1} s after the run: {:.0} deliveries/s onto the timeline over the whole",
        caught_up.as_secs_f64(),
        run.requests as f64 / (f64::from(SUSTAINED_SECONDS) + caught_up.as_secs_f64())
    );
    Ok(run.requests)
}

/// Waits for the projection to take everything in, says how long that took, and checks
/// the store against what was acknowledged: each delivery once, and each on the timeline.
fn check_stored(rt: &tokio::runtime::Runtime, store: &Store, at_least: i64, at_most: i64) -> anyhow::Result<()> {
    let caught_up = settle(rt, store)?;
    let logged = store.counts(calleague_events::Timestamp::from_unix_millis(0)?)?.deliveries_total;
    let on_timeline =
        store.export_count(calleague_store::ExportWhat::Events, calleague_store::TimeRange::default())? as i64;
    println!(
        "\nthe projection caught up {:.2} s after the last acknowledgement; deliveries stored: {logged}, events on the timeline: {on_timeline}, acknowledged: {}",
        caught_up.as_secs_f64(),
        if at_least == at_most { format!("{at_least}") } else { format!("{at_least} (+ up to {} in flight)", at_most - at_least) },
    );
    let ok = (at_least..=at_most).contains(&logged) && on_timeline == logged;
    println!("every acknowledged delivery stored once and on the timeline -> {}", verdict(ok));
    anyhow::ensure!(ok, "stored {logged} (timeline {on_timeline}), acknowledged {at_least}..={at_most}");
    Ok(())
}

pub(crate) fn wrk_row(name: &str, r: &crate::wrk::WrkResult) {
    println!(
        "| {name:<34} | {:>8.0}/s | {:>9} | {:>9} | {:>9} | {:>6} |",
        r.rate,
        ms(r.p50),
        ms(r.p99),
        ms(r.max),
        r.non_2xx + r.errors
    );
}

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}
