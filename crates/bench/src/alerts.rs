//! Alert rules at scale: a store of CALLS calls over 30 days (200 agents), 50 rules of every
//! metric, window and scope. Times an evaluation round (p50/p99 of many) against the same
//! rules counted straight from the calls table in the same run, and a 30-day preview of one
//! rule against reading the span's calls once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use calleague_alert_rules::{
    preview, AlertRule, Comparison, Condition, Evaluator, Metric, RunnerOptions, Scope, Severity,
};
use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{IncomingDelivery, Source, Store, StoreOptions};
use serde_json::json;

use crate::{ms, percentile};

const DAY_MS: i64 = 86_400_000;
const AGENTS: usize = 200;
const IN_FLIGHT: usize = 2048;

/// Call `n`'s three deliveries: started, connected, completed or failed; received as they
/// happened, over the 30 days before `end`.
fn deliveries(n: usize, calls: usize, end: i64) -> [IncomingDelivery; 3] {
    let start = end - 30 * DAY_MS + (n as i64 * 30 * DAY_MS) / calls as i64;
    let failed = n % 5 == 0 || (n % 97 < 12 && (n / 1000) % 7 == 0);
    let reasons = ["no-answer", "busy", "pipeline-error", "voicemail"];
    let agent = format!("ag_{:03}", (n * 7) % AGENTS);
    let wait = 500 + (n % 40) as i64 * 250;
    let length = 20_000 + (n % 600) as i64 * 1_000;
    let step = |event: &str, id: usize, at: i64, extra: serde_json::Value| {
        let mut data = json!({"callId": format!("cl_{n:08}"), "agentId": agent});
        if let (Some(data), serde_json::Value::Object(more)) = (data.as_object_mut(), extra) {
            data.extend(more);
        }
        let at = Timestamp::from_unix_millis(at).expect("a time");
        let body = json!({"event": event, "deliveryId": format!("d{n}_{id}"), "occurredAt": at, "data": data})
            .to_string()
            .into_bytes();
        IncomingDelivery {
            received_at: at,
            peer: None,
            headers: vec![],
            parsed: parse_delivery(&body).expect("a valid delivery"),
            body,
            hidden: false,
            source: Source::Webhook,
        }
    };
    let ended = if failed { "call.failed" } else { "call.completed" };
    let reason = if failed { reasons[n % reasons.len()] } else { "customer-ended-call" };
    [
        step("call.started", 0, start, json!({})),
        step("call.connected", 1, start + wait, json!({})),
        step(ended, 2, start + wait + length, json!({"endedReason": reason, "durationSec": length as f64 / 1000.0})),
    ]
}

fn fill(store: &Arc<Store>, calls: usize, end: i64) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for n in 0..calls {
            for item in deliveries(n, calls, end) {
                let writer = store.clone();
                set.spawn(async move { writer.ingest(item).await });
                while set.len() >= IN_FLIGHT {
                    set.join_next().await.expect("a task")??;
                }
            }
            if (n + 1) % (calls / 10).max(1) == 0 {
                eprintln!("  {} of {calls} calls", n + 1);
            }
        }
        while let Some(r) = set.join_next().await {
            r??;
        }
        store.settle().await?;
        anyhow::Ok(())
    })
}

/// Fifty rules: every metric, windows of 5 minutes to a day, for all calls and per agent.
fn rules() -> Vec<AlertRule> {
    let windows = [5, 15, 60, 240, 1440];
    let metrics = [
        (Metric::FailureRate, 20.0),
        (Metric::FailedCalls, 50.0),
        (Metric::CallsStarted, 10.0),
        (Metric::ReasonCount { reason: "no-answer".into() }, 5.0),
        (Metric::ReasonShare { reason: "busy".into() }, 10.0),
        (Metric::DurationP90, 300.0),
        (Metric::WaitP90, 8.0),
        (Metric::InProgress, 100.0),
        (Metric::RejectedDeliveries, 20.0),
        (Metric::Silence, 0.0),
    ];
    let mut rules = Vec::new();
    for (i, (metric, threshold)) in metrics.iter().enumerate() {
        for (j, window) in windows.iter().enumerate() {
            let per_agent = j % 2 == 1
                && !matches!(
                    metric,
                    Metric::DurationP90 | Metric::WaitP90 | Metric::RejectedDeliveries | Metric::Silence
                );
            rules.push(AlertRule {
                id: format!("r{i}_{j}"),
                name: format!("rule {i} {j}"),
                enabled: true,
                metric: metric.clone(),
                scope: Scope {
                    agent_id: per_agent.then(|| format!("ag_{:03}", (i * 13 + j) % AGENTS)),
                    ..Scope::default()
                },
                window_minutes: *window,
                condition: Condition {
                    op: if i == 2 { Comparison::Below } else { Comparison::Above },
                    threshold: *threshold,
                },
                min_calls: 5,
                severity: Severity::Warning,
                cooldown_minutes: 30,
                active: None,
            });
        }
    }
    rules
}

/// The baseline: each rule's calls counted from the calls table itself (its index on the
/// timeline's place), as a store without rollups would.
fn scan(conn: &rusqlite::Connection, rule: &AlertRule, now: i64) -> anyhow::Result<i64> {
    let (from, to) = calleague_alert_rules::window_at(rule, now);
    let agent = rule.scope.agent_id.clone().unwrap_or_default();
    let any_agent = rule.scope.agent_id.is_none();
    let sql = "SELECT count(*), sum(phase = 'failed'), sum(ended_reason = 'no-answer'), sum(coalesce(duration_sec, 0))
               FROM calls WHERE sort_ms >= ?1 AND sort_ms < ?2 AND (?3 OR agent_id = ?4)";
    let (calls, _failed, _reason, _duration): (i64, Option<i64>, Option<i64>, Option<f64>) =
        conn.prepare_cached(sql)?.query_row(rusqlite::params![from, to, any_agent, agent], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    Ok(calls)
}

pub fn run(calls: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // ALERTS_BENCH_DB keeps the filled store for the next run (filling takes minutes).
    let kept = std::env::var_os("ALERTS_BENCH_DB").map(std::path::PathBuf::from);
    let path = kept.clone().unwrap_or_else(|| dir.path().join("alerts.db"));
    let reuse = kept.is_some() && path.exists();
    let store = Store::open(&path, StoreOptions::default())?;
    let end = Timestamp::now().unix_millis();
    println!("\nAlert rules: a store of {calls} calls over 30 days ({AGENTS} agents), 50 rules\n");
    if reuse {
        println!("reusing {} (its calls end when it was filled)\n", path.display());
    } else {
        let begun = Instant::now();
        fill(&store, calls, end)?;
        println!("filled in {:.0} s\n", begun.elapsed().as_secs_f64());
    }
    let rules = rules();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;

    // Rounds at moments spread over the last day, as the clock moves: each reads every
    // rule's window, steps its tracker and writes what changed.
    let mut evaluator = rt.block_on(Evaluator::resume(store.clone(), RunnerOptions::default()))?;
    let moments: Vec<i64> = (0..200).map(|i| end - DAY_MS + i * (DAY_MS / 200)).collect();
    rt.block_on(evaluator.round_at(&rules, moments[0]));
    let mut rounds = Vec::new();
    for at in &moments {
        let t = Instant::now();
        let statuses = rt.block_on(evaluator.round_at(&rules, *at));
        rounds.push(t.elapsed());
        anyhow::ensure!(statuses.iter().all(|s| s.error.is_none()), "a rule could not be evaluated");
    }
    rounds.sort();
    let conn = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut scans = Vec::new();
    for at in &moments {
        let t = Instant::now();
        for rule in &rules {
            scan(&conn, rule, *at)?;
        }
        scans.push(t.elapsed());
    }
    scans.sort();
    let firings = store.firings(None, 0, i64::MAX, 10_000)?.len();

    // One rule over 30 days, against reading the span's calls once.
    let rule =
        rules.iter().find(|r| r.metric == Metric::FailureRate && r.window_minutes == 15).expect("a rule").clone();
    let mut previews = Vec::new();
    let mut fired = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let p = rt.block_on(preview(store.as_ref(), &rule, end - 30 * DAY_MS, end))?;
        previews.push(t.elapsed());
        fired = p.firings.len();
    }
    previews.sort();
    let mut reads = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let n: i64 = conn
            .prepare_cached("SELECT count(*), sum(phase = 'failed') FROM calls WHERE sort_ms >= ?1 AND sort_ms < ?2")?
            .query_row([end - 30 * DAY_MS, end], |r| r.get(0))?;
        anyhow::ensure!(n > 0);
        reads.push(t.elapsed());
    }
    reads.sort();

    let p99 = percentile(&rounds, 0.99);
    let preview_p50 = percentile(&previews, 0.5);
    println!("| measure | value | baseline in the same run | target |");
    println!("|---|---|---|---|");
    println!(
        "| a round of 50 rules (200 rounds) | p50 {} p99 {} | counted from the calls table: p50 {} p99 {} ({:.3}x) | p99 under 20 ms -> {} |",
        ms(percentile(&rounds, 0.5)),
        ms(p99),
        ms(percentile(&scans, 0.5)),
        ms(percentile(&scans, 0.99)),
        p99.as_secs_f64() / percentile(&scans, 0.99).as_secs_f64().max(1e-9),
        if p99 < Duration::from_millis(20) { "met" } else { "MISSED" }
    );
    println!(
        "| a preview of one rule over 30 days (10 runs) | p50 {} max {} ({fired} firings) | the span's calls counted once: p50 {} ({:.3}x) | under 200 ms -> {} |",
        ms(preview_p50),
        ms(*previews.last().expect("runs")),
        ms(percentile(&reads, 0.5)),
        preview_p50.as_secs_f64() / percentile(&reads, 0.5).as_secs_f64().max(1e-9),
        if preview_p50 < Duration::from_millis(200) { "met" } else { "MISSED" }
    );
    println!("| firings recorded over the rounds | {firings} | | |");
    store.close();
    Ok(())
}
