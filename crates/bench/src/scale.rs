//! Scale: a store filled with many calls (six events each): file size, ingest rate at the
//! start against the end, query times, and the receiver's memory while serving it.

use std::time::{Duration, Instant};

use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{CallFilter, IncomingDelivery, Order, PageRequest, Source, Store, StoreOptions};
use serde_json::json;

use crate::{ms, percentile};

const EVENTS: [&str; 6] =
    ["call.started", "call.connected", "call.completed", "recording.ready", "transcript.ready", "call.note"];
const IN_FLIGHT: usize = 2048;
/// The agents the calls are spread over (the Agents page's target is for 200).
const AGENTS: usize = 200;

fn delivery(call: usize, step: usize, base: i64) -> IncomingDelivery {
    let failed = call % 4 == 0;
    let event = if failed && step == 2 { "call.failed" } else { EVENTS[step] };
    let reasons = ["busy", "no-answer", "voicemail", "error"];
    let body = json!({
        "event": event,
        "deliveryId": format!("d{call}_{step}"),
        "occurredAt": Timestamp::from_unix_millis(base + call as i64 * 1_000 + step as i64 * 10_000).unwrap_or_else(|_| Timestamp::now()),
        "data": {
            "callId": format!("cl_{call:08}"),
            "agentId": format!("ag_{:03}", call % AGENTS),
            "direction": if call % 3 == 0 { "outbound" } else { "inbound" },
            "language": (["en", "tr", "de", "fr"])[call % 4],
            "endedReason": if failed { reasons[(call / 4) % 4] } else { "completed" },
            "durationSec": 20 + call % 300,
            "metadata": {"orderId": format!("A-{call}"), "customerTier": (["gold", "silver", "standard"])[call % 3]}
        }
    })
    .to_string()
    .into_bytes();
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: Some("127.0.0.1:40000".into()),
        headers: vec![("content-type".into(), "application/json".into())],
        parsed: parse_delivery(&body).expect("a valid delivery"),
        body,
        hidden: false,
        source: Source::Webhook,
    }
}

/// Fills `store` with `calls` calls ending about now, six events each, through the ingest
/// writer; the ingest rate of each twentieth of the work, on the timeline.
pub fn fill(store: &std::sync::Arc<Store>, calls: usize) -> anyhow::Result<Vec<f64>> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let total = calls * EVENTS.len();
    let base = Timestamp::now().unix_millis() - calls as i64 * 1_000;
    let window = (total / 20).max(1);
    let mut rates = Vec::new();
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        let mut window_start = Instant::now();
        for i in 0..total {
            let item = delivery(i / EVENTS.len(), i % EVENTS.len(), base);
            let writer = store.clone();
            set.spawn(async move { writer.ingest(item).await });
            while set.len() >= IN_FLIGHT {
                set.join_next().await.expect("a task")??;
            }
            if (i + 1) % window == 0 {
                // Each twentieth's rate counts its projection too: a burst is acknowledged
                // ahead of its projection (up to a backlog), so rates of acknowledgements
                // alone would compare the log's speed at the start with the projection's
                // later, not an empty store with a full one.
                while let Some(r) = set.join_next().await {
                    r??;
                }
                store.settle().await?;
                rates.push(window as f64 / window_start.elapsed().as_secs_f64());
                window_start = Instant::now();
                if rates.len() % 4 == 0 {
                    eprintln!("  {} of {total} events, {:.0}/s", i + 1, rates.last().unwrap_or(&0.0));
                }
            }
        }
        while let Some(r) = set.join_next().await {
            r??;
        }
        // The rates are of acknowledgements; what follows reads the timeline, so the
        // projection catches up first.
        let started = Instant::now();
        store.settle().await?;
        eprintln!("  the projection caught up {:.1} s after the last acknowledgement", started.elapsed().as_secs_f64());
        anyhow::Ok(())
    })?;
    Ok(rates)
}

/// `calleague-bench seed DB CALLS`: a database for the UI benchmark.
pub fn seed(db: &std::path::Path, calls: usize) -> anyhow::Result<()> {
    let store = Store::open(db, StoreOptions::default())?;
    fill(&store, calls)?;
    store.close();
    Ok(())
}

pub fn run(calls: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("scale.db");
    let store = Store::open(&path, StoreOptions::default())?;
    let total = calls * EVENTS.len();
    println!("\nScale: filling a store with {calls} calls ({total} events) through the ingest writer\n");
    let begun = Instant::now();
    let rates = fill(&store, calls)?;
    let fill = begun.elapsed();
    let (first, last) = (rates.first().copied().unwrap_or(0.0), rates.last().copied().unwrap_or(0.0));
    // Every acknowledged delivery stored once, and on the timeline.
    let counts = store.counts(Timestamp::from_unix_millis(0)?)?;
    let on_timeline = store.export_count(calleague_store::ExportWhat::Events, calleague_store::TimeRange::default())?;
    let all_there =
        counts.deliveries_total == total as i64 && on_timeline == total as u64 && counts.calls == calls as i64;
    println!(
        "deliveries stored: {}, events on the timeline: {on_timeline}, calls: {} (sent {total} for {calls} calls) -> {}\n",
        counts.deliveries_total,
        counts.calls,
        if all_there { "met" } else { "MISSED" }
    );
    anyhow::ensure!(all_there, "the store does not hold exactly what was acknowledged");
    let size = std::fs::metadata(&path)?.len()
        + std::fs::metadata(path.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| fill time | {:.0} s ({:.0} events/s) | |", fill.as_secs_f64(), total as f64 / fill.as_secs_f64());
    println!("| database file | {:.0} MB | |", size as f64 / 1e6);
    println!(
        "| ingest rate onto the timeline, first 5% vs last 5% | {first:.0}/s vs {last:.0}/s ({:+.0}%) | no more than 30% slower -> {} |",
        (last / first - 1.0) * 100.0,
        if last >= first * 0.7 { "met" } else { "MISSED" }
    );

    let timed = |name: &str, target: Duration, f: &dyn Fn() -> usize| -> Duration {
        let mut samples = Vec::new();
        let mut rows = 0;
        for _ in 0..40 {
            let t = Instant::now();
            rows = f();
            samples.push(t.elapsed());
        }
        samples.sort();
        let p95 = percentile(&samples, 0.95);
        let judged = if target == Duration::MAX {
            "the baseline".to_string()
        } else {
            format!("under {} -> {}", ms(target), if p95 < target { "met" } else { "MISSED" })
        };
        println!(
            "| {name} (p95 of 40, {rows} rows) | {} (p50 {}) | {judged} |",
            ms(p95),
            ms(percentile(&samples, 0.5))
        );
        p95
    };
    let first_page = PageRequest::first(Order::NewestFirst, 100);
    timed("timeline, first page", Duration::from_millis(20), &|| {
        store.calls_page(&CallFilter::default(), &first_page).map(|p| p.items.len()).unwrap_or(0)
    });
    let busy = CallFilter { ended_reasons: vec!["busy".into()], ..Default::default() };
    timed("filter endedReason=busy, first page", Duration::from_millis(50), &|| {
        store.calls_page(&busy, &first_page).map(|p| p.items.len()).unwrap_or(0)
    });
    let needle = format!("A-{}", calls / 3);
    let search = CallFilter { text: Some(needle), ..Default::default() };
    timed("search in metadata", Duration::from_millis(200), &|| {
        store.calls_page(&search, &first_page).map(|p| p.items.len()).unwrap_or(0)
    });

    // The Overview page: one call reads every number it shows (calls by minute or hour,
    // outcomes, reasons, agents, both histograms, webhook health), from the rollups. The
    // baseline, in the same run: the same range's calls grouped straight from the calls
    // table, which is what the rollups spare.
    let now = Timestamp::now().unix_millis();
    let mut page_7d = Duration::ZERO;
    for (name, span) in [("last hour", 3_600_000), ("last 24 hours", 86_400_000), ("last 7 days", 7 * 86_400_000)] {
        let (from, to) = (Timestamp::from_unix_millis(now - span)?, Timestamp::from_unix_millis(now + 60_000)?);
        let p95 = timed(&format!("overview page, {name}: every query"), Duration::from_millis(100), &|| {
            store.overview(from, to, LONGEST_CALL).map(|o| o.totals.calls as usize).unwrap_or(0)
        });
        page_7d = p95;
    }
    let direct = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let grouped = timed("baseline: the last 7 days grouped from the calls table", Duration::MAX, &|| {
        let mut stmt = direct
            .prepare_cached(
                "SELECT phase, ended_reason, agent_id, count(*), avg(duration_sec) FROM calls
                 WHERE sort_ms >= ?1 AND sort_ms < ?2 GROUP BY 1, 2, 3",
            )
            .expect("the baseline query");
        let rows = stmt.query_map([now - 7 * 86_400_000, now + 60_000], |r| r.get::<_, i64>(3)).expect("rows");
        rows.map(|r| r.unwrap_or(0) as usize).sum()
    });
    println!(
        "| overview, last 7 days, against the baseline | {:.3}x the time of grouping the calls | page under 300 ms -> {} |",
        page_7d.as_secs_f64() / grouped.as_secs_f64(),
        if page_7d < Duration::from_millis(300) { "met" } else { "MISSED" }
    );
    agents_page(&store, &direct, now, &timed);
    drop(direct);
    dimension_count(&store, calls, &timed)?;
    store.close();
    drop(store);
    receiver_memory(&path)?;
    Ok(())
}

/// The Agents page for the last 7 days (every agent's counts, reasons, percentiles and bars,
/// from the rollups) against grouping the same calls by agent straight from the calls table.
fn agents_page(store: &Store, direct: &rusqlite::Connection, now: i64, timed: Timed) {
    let (from, to) = (now - 7 * 86_400_000, now + 60_000);
    let (from_at, to_at) = (
        Timestamp::from_unix_millis(from).unwrap_or_else(|_| Timestamp::now()),
        Timestamp::from_unix_millis(to).unwrap_or_else(|_| Timestamp::now()),
    );
    let page = timed(&format!("Agents page, last 7 days, {AGENTS} agents"), Duration::from_millis(50), &|| {
        store.agents_page(from_at, to_at, None).map(|p| p.agents.len()).unwrap_or(0)
    });
    let grouped = timed("baseline: the last 7 days grouped by agent from the calls table", Duration::MAX, &|| {
        let mut stmt = direct
            .prepare_cached(
                "SELECT agent_id, phase, ended_reason, count(*), avg(duration_sec) FROM calls
                 WHERE sort_ms >= ?1 AND sort_ms < ?2 GROUP BY 1, 2, 3",
            )
            .expect("the baseline query");
        let rows = stmt.query_map([from, to], |r| r.get::<_, i64>(3)).expect("rows");
        rows.map(|r| r.unwrap_or(0) as usize).sum()
    });
    println!(
        "| Agents page, last 7 days, against the baseline | {:.3}x the time of grouping the calls | |",
        page.as_secs_f64() / grouped.as_secs_f64()
    );
}

/// The longest a call can last for the overview's calls in progress (the setting's default).
const LONGEST_CALL: Duration = Duration::from_secs(4 * 3600);

/// Times a read 40 times against a target (`run`'s table row).
type Timed<'a> = &'a dyn Fn(&str, Duration, &dyn Fn() -> usize) -> Duration;

/// A metadata field chosen as a dimension over the filled store: how long its background
/// count takes, and what it costs deliveries meanwhile — each one's acknowledgement (what
/// the receiver waits for before its 200) at 200 a second, during the count against the
/// same load just before it. Then the timeline's menu of the field and a filter by a value.
fn dimension_count(store: &std::sync::Arc<Store>, calls: usize, timed: Timed) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    // The new calls start about now, as the filled ones end.
    let base = Timestamp::now().unix_millis() - calls as i64 * 1_000;
    let (quiet, during, took) = rt.block_on(async {
        let started = Instant::now();
        let quiet = paced(store, calls, base, 200, &|_| started.elapsed() >= Duration::from_secs(5)).await?;
        store.set_dimensions(vec!["customerTier".into()]).await?;
        let counting = Instant::now();
        let ready = || store.dimensions().map(|d| d.iter().all(|d| d.ready)).unwrap_or(false);
        // Readiness is read every 40th delivery (a count of the calls).
        let during = paced(store, calls + 10_000, base, 200, &|n| n % 40 == 0 && ready()).await?;
        anyhow::Ok((quiet, during, counting.elapsed()))
    })?;
    let (mut quiet, mut during) = (quiet, during);
    quiet.sort();
    during.sort();
    let (q99, d99) = (percentile(&quiet, 0.99), percentile(&during, 0.99));
    println!(
        "| one dimension counted over {calls} calls, deliveries arriving at 200/s | {:.1} s | |",
        took.as_secs_f64()
    );
    println!(
        "| a delivery's acknowledgement during the count: p99 (p50) vs the same load before it | {} ({}) vs {} ({}): {:.2}x | |",
        ms(d99),
        ms(percentile(&during, 0.5)),
        ms(q99),
        ms(percentile(&quiet, 0.5)),
        d99.as_secs_f64() / q99.as_secs_f64().max(1e-9)
    );
    timed("the timeline's menu of the dimension, from its rollup", Duration::from_millis(50), &|| {
        store.dimension_facets().map(|f| f.iter().map(|d| d.values.len()).sum()).unwrap_or(0)
    });
    // Every menu at once, as the window asks (agents, directions, reasons, languages too).
    timed("every menu of the timeline's filters", Duration::from_millis(200), &|| {
        store.facets().map(|f| f.agents.len() + f.languages.len()).unwrap_or(0)
    });
    let gold = CallFilter {
        metadata: Some(calleague_store::MetadataMatch { field: "customerTier".into(), value: "gold".into() }),
        ..Default::default()
    };
    let first_page = PageRequest::first(Order::NewestFirst, 100);
    timed("filter customerTier=gold, first page", Duration::from_millis(50), &|| {
        store.calls_page(&gold, &first_page).map(|p| p.items.len()).unwrap_or(0)
    });
    // The Agents page with each agent's calls by the field's values (`agent_dimensions`).
    let now = Timestamp::now().unix_millis();
    let (from, to) = (Timestamp::from_unix_millis(now - 7 * 86_400_000)?, Timestamp::from_unix_millis(now + 60_000)?);
    timed("Agents page, last 7 days, by customerTier", Duration::from_millis(50), &|| {
        store.agents_page(from, to, Some("metadata.customerTier")).map(|p| p.agents.len()).unwrap_or(0)
    });
    Ok(())
}

/// New calls' `call.started` at `rate` a second, open loop, until `done(sent)`; each one's
/// time to acknowledgement.
async fn paced(
    store: &std::sync::Arc<Store>,
    first_call: usize,
    base: i64,
    rate: u32,
    done: &dyn Fn(usize) -> bool,
) -> anyhow::Result<Vec<Duration>> {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    let mut set = tokio::task::JoinSet::new();
    let mut sent = 0;
    while !done(sent) {
        ticker.tick().await;
        let item = delivery(first_call + sent, 0, base);
        let writer = store.clone();
        set.spawn(async move {
            let t = Instant::now();
            writer.ingest(item).await.map(|_| t.elapsed())
        });
        sent += 1;
    }
    let mut times = Vec::with_capacity(sent);
    while let Some(r) = set.join_next().await {
        times.push(r??);
    }
    Ok(times)
}

/// Starts the real receiver on the filled database, sends it deliveries, reads its RSS.
fn receiver_memory(db: &std::path::Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?.with_file_name("calleague-receiver");
    let mut child = std::process::Command::new(&exe)
        .args(["serve", "--db"])
        .arg(db)
        .args(["--bind", "127.0.0.1:0"])
        .env("CALLEAGUE_API_KEY", "sk_bench_scale")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", exe.display()))?;
    let url = calleague_testkit::listening_url(&mut child)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let result = rt.block_on(crate::load::closed_loop(&url, "sk_bench_scale", crate::load::deliveries(20_000, "rss")));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    let (rss, peak) = (field("VmRSS:"), field("VmHWM:"));
    println!(
        "| receiver RSS serving it, after {} more deliveries ({} failed) | {rss:.0} MB (peak {peak:.0} MB) | under 150 MB -> {} |",
        result.sent,
        result.failed,
        if peak < 150.0 { "met" } else { "MISSED" }
    );
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}
