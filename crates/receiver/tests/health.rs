//! `/livez`, `/readyz` and `/metrics` over real HTTP, with a real SQLite store: no key
//! needed, no data told, every outcome counted exactly, draining before the listener closes.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use calleague_receiver::{Receiver, ReceiverError, ServiceMetrics};
use calleague_store::{Store, StoreOptions};
use common::{config, event, start_with, KEY};

const T0: &str = "2026-01-01T12:00:00.000Z";

fn base(url: &str) -> String {
    url.split("/hooks").next().unwrap().to_owned()
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The scrape, parsed by a Prometheus text parser: each sample by its name and labels.
async fn scrape(url: &str) -> HashMap<String, f64> {
    let (status, text) = get(url).await;
    assert_eq!(status, 200, "{text}");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let mut samples = HashMap::new();
    for sample in scrape.samples {
        let mut labels: Vec<String> = sample.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        labels.sort();
        let value = match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map(|b| b.count).unwrap_or(0.0),
            prometheus_parse::Value::Summary(_) => continue,
        };
        samples.insert(format!("{}{{{}}}", sample.metric, labels.join(",")), value);
    }
    samples
}

#[tokio::test]
async fn health_answers_without_the_key_and_tells_nothing_else() {
    let h = start_with(config(), StoreOptions::default()).await;
    let root = base(&h.url());
    assert_eq!(get(&format!("{root}/livez")).await, (200, "ok".to_owned()));
    assert_eq!(get(&format!("{root}/readyz")).await, (200, "ok".to_owned()));
    // Metrics are off unless asked for: nothing there.
    assert_eq!(get(&format!("{root}/metrics")).await.0, 404);
    // The health paths take no deliveries.
    let posted = h.client.post(format!("{root}/readyz")).bearer_auth(KEY).body("{}").send().await.unwrap();
    assert_eq!(posted.status(), 405);
}

#[tokio::test]
async fn each_path_is_one_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.db"), StoreOptions::default()).unwrap();
    let mut taken = config();
    taken.ready_path = taken.path.clone();
    match Receiver::start(taken, store.clone()).await {
        Err(ReceiverError::PathTaken { first, then, .. }) => assert_eq!((first, then), ("webhook", "readiness")),
        other => panic!("expected PathTaken, got {:?}", other.map(|r| r.url().to_owned())),
    }
    let mut bad = config();
    bad.live_path = "livez".into();
    assert!(matches!(Receiver::start(bad, store.clone()).await, Err(ReceiverError::InvalidPath(_))));
    // Two health paths alike would be two routes on one path (axum panics on that).
    let mut twice = config();
    twice.metrics = Some(ServiceMetrics::new());
    twice.metrics_path = twice.ready_path.clone();
    match Receiver::start(twice, store).await {
        Err(ReceiverError::PathTaken { path, first, then }) => {
            assert_eq!((path.as_str(), first, then), ("/readyz", "readiness", "metrics"))
        }
        other => panic!("expected PathTaken, got {:?}", other.map(|r| r.url().to_owned())),
    }
}

#[tokio::test]
async fn metrics_count_every_outcome_exactly() {
    let mut cfg = config();
    cfg.metrics = Some(ServiceMetrics::new());
    cfg.body_limit = 4096;
    let h = start_with(cfg, StoreOptions::default()).await;
    let root = base(&h.url());
    for i in 0..7 {
        assert_eq!(h.deliver(&event("call.started", &format!("dl_{i}"), &format!("cl_{i}"), T0)).await.0, 200);
    }
    for i in 0..3 {
        let (status, reply) = h.deliver(&event("call.started", &format!("dl_{i}"), &format!("cl_{i}"), T0)).await;
        assert_eq!((status, reply["status"].as_str()), (200, Some("duplicate")));
    }
    assert_eq!(h.post(Some(&format!("Bearer {KEY}")), "not json").await.1["status"], "quarantined");
    for _ in 0..4 {
        assert_eq!(h.post(Some("Bearer sk_wrong"), event("call.started", "x", "y", T0).to_string()).await.0, 200);
    }
    assert_eq!(h.post(None, "{}").await.0, 401);
    assert_eq!(h.post(Some("Basic abc"), "{}").await.0, 401);
    assert_eq!(h.post(Some(&format!("Bearer {KEY}")), "x".repeat(5000)).await.0, 413);

    let m = scrape(&format!("{root}/metrics")).await;
    let get = |name: &str| *m.get(name).unwrap_or_else(|| panic!("{name} missing from {m:#?}"));
    assert_eq!(get("calleague_deliveries_total{outcome=stored}"), 7.0);
    assert_eq!(get("calleague_deliveries_total{outcome=duplicate}"), 3.0);
    assert_eq!(get("calleague_deliveries_total{outcome=quarantined}"), 1.0);
    assert_eq!(get("calleague_deliveries_total{outcome=rejected,reason=wrong_token}"), 4.0);
    assert_eq!(get("calleague_deliveries_total{outcome=rejected,reason=unauthenticated}"), 2.0);
    assert_eq!(get("calleague_deliveries_total{outcome=rejected,reason=too_large}"), 1.0);
    assert_eq!(get("calleague_deliveries_total{outcome=rejected,reason=store_unavailable}"), 0.0);
    // One acknowledgement and one commit per delivery that reached the store.
    assert_eq!(get("calleague_acknowledgement_seconds_count{}"), 11.0);
    assert_eq!(get("calleague_store_commit_seconds_count{}"), 11.0);
    assert_eq!(get("calleague_ready{}"), 1.0);
    // Light load: each delivery was projected before its reply.
    assert_eq!(get("calleague_projection_backlog_deliveries{}"), 0.0);
}

#[tokio::test]
async fn metrics_on_a_listener_of_their_own() {
    let mut cfg = config();
    cfg.metrics = Some(ServiceMetrics::new());
    cfg.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    let h = start_with(cfg, StoreOptions::default()).await;
    let separate = h.receiver.metrics_url().unwrap().to_owned();
    assert!(!separate.starts_with(&base(&h.url())), "{separate} should be another port");
    assert_eq!(h.deliver(&event("call.started", "dl_1", "cl_1", T0)).await.0, 200);
    assert_eq!(scrape(&separate).await["calleague_deliveries_total{outcome=stored}"], 1.0);
    // Not on the webhook's listener then.
    assert_eq!(get(&format!("{}/metrics", base(&h.url()))).await.0, 404);
    h.receiver.shutdown().await;
    assert!(reqwest::get(&separate).await.is_err(), "the metrics listener outlived the receiver");
}

#[tokio::test]
async fn a_stop_turns_readyz_to_draining_while_deliveries_are_still_taken() {
    let mut cfg = config();
    cfg.shutdown_delay = Duration::from_millis(1500);
    let h = start_with(cfg, StoreOptions::default()).await;
    let root = base(&h.url());
    let url = h.url();
    let stopping = tokio::spawn(h.receiver.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(get(&format!("{root}/readyz")).await, (503, "draining".to_owned()));
    assert_eq!(get(&format!("{root}/livez")).await.0, 200);
    // Still taking deliveries while the load balancer notices.
    let reply = h
        .client
        .post(&url)
        .bearer_auth(KEY)
        .header("connection", "close")
        .body(event("call.started", "dl_late", "cl_late", T0).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    stopping.await.unwrap();
    assert!(reqwest::get(format!("{root}/livez")).await.is_err(), "still listening after the stop");
    assert!(h.store.call("cl_late").unwrap().is_some(), "the delivery taken while draining is not stored");
}

#[tokio::test]
async fn liveness_goes_stale_once_the_serving_loop_stops() {
    let h = start_with(config(), StoreOptions::default()).await;
    let liveness = h.receiver.liveness();
    // Idle: the loop still goes round every second.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(liveness.serving_within(Duration::from_millis(1500)));
    h.receiver.shutdown().await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert!(!liveness.serving_within(Duration::from_millis(1500)), "a stopped loop still looks alive");
}

/// A connection accepted just before the stop, its request not yet sent: hyper alone
/// closes such a connection at once, which cut the delivery on its way off unanswered.
/// It is served its request; one that stays silent is closed after a short grace.
#[tokio::test]
async fn a_connection_made_just_before_the_stop_is_served_its_delivery() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = start_with(config(), StoreOptions::default()).await;
    let host = h.url().trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let mut sending = tokio::net::TcpStream::connect(&host).await.unwrap();
    let mut silent = tokio::net::TcpStream::connect(&host).await.unwrap();
    // Both accepted by the loop before the stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = tokio::spawn(h.receiver.shutdown());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let body = event("call.started", "dl_edge", "cl_edge", T0).to_string();
    let request = format!(
        "POST /hooks/calleague HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    sending.write_all(request.as_bytes()).await.unwrap();
    let mut reply = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), sending.read_to_string(&mut reply)).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "the delivery sent after the stop began: {reply:?}");
    assert!(reply.to_ascii_lowercase().contains("connection: close"), "told to close after its answer: {reply:?}");
    // The silent one is closed, not left holding the stop up: at the end of the grace, or
    // with a 408 when its header read timeout (600 ms from its accept here) comes first.
    let mut rest = String::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), silent.read_to_string(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(_))), "the silent connection was not closed: {closed:?}");
    assert!(rest.is_empty() || rest.starts_with("HTTP/1.1 408"), "the silent connection was told {rest:?}");
    tokio::time::timeout(Duration::from_secs(10), stopping).await.expect("the stop never finished").unwrap();
    assert!(h.store.call("cl_edge").unwrap().is_some(), "the answered delivery is not stored");
}
