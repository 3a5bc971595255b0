//! The load generator: HTTP/1.1 keep-alive, a fixed number of connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use calleague_events::Timestamp;
use serde_json::json;

pub const CONNECTIONS: usize = 64;

pub struct LoadResult {
    pub sent: usize,
    pub failed: usize,
    pub elapsed: Duration,
    /// Sorted.
    pub latencies: Vec<Duration>,
    /// When each body answered 2xx: its index and the moment.
    pub acked: Vec<(usize, Instant)>,
}

impl LoadResult {
    pub fn rate(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64()
    }
}

/// Realistic deliveries: five lifecycle events per call, with metadata.
pub fn deliveries(count: usize, prefix: &str) -> Vec<String> {
    let events = ["call.started", "call.connected", "call.completed", "recording.ready", "transcript.ready"];
    let base = Timestamp::now().unix_millis() - 86_400_000;
    (0..count)
        .map(|i| {
            let call = i / events.len();
            let at = Timestamp::from_unix_millis(base + (i as i64) * 40).unwrap_or_else(|_| Timestamp::now());
            json!({
                "event": events[i % events.len()],
                "deliveryId": format!("{prefix}_{i}"),
                "occurredAt": at,
                "data": {
                    "callId": format!("{prefix}_call_{call}"),
                    "agentId": format!("ag_{}", call % 7),
                    "direction": if call % 2 == 0 { "inbound" } else { "outbound" },
                    "durationSec": 30 + call % 200,
                    "endedReason": "completed",
                    "language": (["en", "tr", "de"])[call % 3],
                    "metadata": {"orderId": format!("A-{call}"), "customerTier": "gold", "campaign": "spring-renewals-2026", "note": "callback requested after 5pm"}
                }
            })
            .to_string()
        })
        .collect()
}

/// Sends every body as fast as `CONNECTIONS` keep-alive connections allow.
pub async fn closed_loop(url: &str, key: &str, bodies: Vec<String>) -> LoadResult {
    run(url, key, bodies, None, CONNECTIONS).await
}

/// The same with `connections` connections (two generators sharing the 64 between them).
pub async fn closed_loop_with(url: &str, key: &str, bodies: Vec<String>, connections: usize) -> LoadResult {
    run(url, key, bodies, None, connections).await
}

/// Two results taken at the same time as one: all requests over the longer of the times.
pub fn combined(a: LoadResult, b: LoadResult) -> LoadResult {
    let mut latencies = a.latencies;
    latencies.extend(b.latencies);
    latencies.sort();
    let mut acked = a.acked;
    acked.extend(b.acked);
    LoadResult {
        sent: a.sent + b.sent,
        failed: a.failed + b.failed,
        elapsed: a.elapsed.max(b.elapsed),
        latencies,
        acked,
    }
}

/// Sends at a steady `rate` per second (open loop: a slow reply does not slow the schedule).
pub async fn steady(url: &str, key: &str, bodies: Vec<String>, rate: f64) -> LoadResult {
    run(url, key, bodies, Some(rate), CONNECTIONS).await
}

async fn run(url: &str, key: &str, bodies: Vec<String>, rate: Option<f64>, connections: usize) -> LoadResult {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .http1_only()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client");
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let begun = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (client, bodies, next, url, key) =
            (client.clone(), bodies.clone(), next.clone(), url.to_owned(), key.to_owned());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut acked = Vec::new();
            let mut failed = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                if let Some(rate) = rate {
                    let slot = begun + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(slot.into()).await;
                }
                let sent = Instant::now();
                let ok = client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false);
                latencies.push(sent.elapsed());
                if ok {
                    acked.push((i, Instant::now()));
                } else {
                    failed += 1;
                }
            }
            (latencies, acked, failed)
        }));
    }
    let mut latencies = Vec::new();
    let mut acked = Vec::new();
    let mut failed = 0;
    for w in workers {
        let (l, a, f) = w.await.expect("a worker");
        latencies.extend(l);
        acked.extend(a);
        failed += f;
    }
    let elapsed = begun.elapsed();
    latencies.sort();
    LoadResult { sent: latencies.len(), failed, elapsed, latencies, acked }
}
