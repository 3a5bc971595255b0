//! The receiver under faults, in process: slow clients and a retry storm. What got a 2xx
//! is never lost, and nothing is stored twice. (kill -9 and a full disk, which need the
//! `calleague-receiver` process, are in the headless crate's tests.)

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use calleague_store::{ExportFormat, ExportWhat, TimeRange};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_do_not_stop_deliveries_and_are_cut_off() {
    let mut config = common::config();
    config.read_timeout = Duration::from_millis(1500);
    let h = common::start_with(config, Default::default()).await;
    let addr = h.receiver.local_addr();
    // 200 connections that send their headers one byte at a time.
    let trickle_results = Arc::new(Mutex::new(Vec::new()));
    let mut tricklers = Vec::new();
    for i in 0..200 {
        let results = trickle_results.clone();
        tricklers.push(std::thread::spawn(move || {
            let begun = Instant::now();
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            let head = format!("POST /hooks/calleague HTTP/1.1\r\nHost: slow{i}\r\nX-Padding: {}\r\n", "z".repeat(400));
            let mut reply = Vec::new();
            for byte in head.bytes() {
                if stream.write_all(&[byte]).is_err() {
                    break;
                }
                let mut buf = [0u8; 256];
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        reply.extend_from_slice(&buf[..n]);
                        break;
                    }
                    Err(_) => {}
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            results.lock().unwrap().push((begun.elapsed(), String::from_utf8_lossy(&reply).into_owned()));
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut latencies = Vec::new();
    for i in 0..300 {
        let begun = Instant::now();
        let (status, _) = h
            .deliver(&common::event("call.started", &format!("ok_{i}"), &format!("c{i}"), "2026-01-01T12:00:00Z"))
            .await;
        latencies.push(begun.elapsed());
        assert_eq!(status, 200);
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    eprintln!("normal deliveries beside 200 slow clients: p50 {:?}, p99 {p99:?}", latencies[latencies.len() / 2]);
    assert!(p99 < Duration::from_millis(100), "p99 {p99:?}");
    for t in tricklers {
        t.join().unwrap();
    }
    let results = trickle_results.lock().unwrap();
    assert_eq!(results.len(), 200);
    for (elapsed, reply) in results.iter() {
        assert!(*elapsed < Duration::from_secs(6), "a slow client was not cut off: {elapsed:?}");
        assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 408"), "{reply}");
    }
    assert!(results.iter().filter(|(_, r)| r.starts_with("HTTP/1.1 408")).count() > 150);
    assert_eq!(h.counts().deliveries_total, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_storm_ends_with_exactly_the_ground_truth() {
    let h = common::start().await;
    // 20,000 deliveries: ~13,300 distinct, a third of the sends repeats, a third out of order.
    let mut distinct: Vec<(String, String, String, i64)> = Vec::new(); // (deliveryId, callId, event, at)
    let mut expected_phase: HashMap<String, &'static str> = HashMap::new();
    let mut call = 0;
    while distinct.len() < 13_334 {
        let id = format!("storm_{call}");
        let failed = call % 5 == 0;
        let steps: &[(&str, i64)] = if failed {
            &[("call.started", 0), ("call.failed", 9_000)]
        } else {
            &[
                ("call.started", 0),
                ("call.connected", 3_000),
                ("call.completed", 60_000),
                ("recording.ready", 65_000),
                ("transcript.ready", 70_000),
            ]
        };
        for (event, offset) in steps {
            distinct.push((format!("{id}_{event}"), id.clone(), event.to_string(), call * 100_000 + offset));
        }
        expected_phase.insert(id, if failed { "failed" } else { "completed" });
        call += 1;
    }
    let mut sends: Vec<usize> = (0..distinct.len()).collect();
    let mut rng: u64 = 99;
    let mut roll = |n: usize| {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((rng >> 33) as usize) % n
    };
    while sends.len() < 20_000 {
        let pick = roll(distinct.len());
        sends.push(pick);
    }
    // Shuffle a third of the positions so later events often arrive first.
    let len = sends.len();
    for _ in 0..len / 3 {
        let a = roll(len);
        let b = (a + 1 + roll(50)).min(len - 1);
        sends.swap(a, b);
    }
    let mut send_counts: HashMap<String, u64> = HashMap::new();
    for &i in &sends {
        *send_counts.entry(distinct[i].0.clone()).or_default() += 1;
    }
    let bodies: Vec<String> = sends
        .iter()
        .map(|&i| {
            let (id, call, event, at) = &distinct[i];
            delivery(id, call, event, *at)
        })
        .collect();
    let client = reqwest::Client::builder().pool_max_idle_per_host(32).build().unwrap();
    let url = h.url();
    let queue = Arc::new(Mutex::new(bodies));
    let mut workers = Vec::new();
    for _ in 0..32 {
        let (client, url, queue) = (client.clone(), url.clone(), queue.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().unwrap().pop() else { break };
                let status = client.post(&url).bearer_auth(KEY_OF_COMMON).body(body).send().await.unwrap().status();
                assert_eq!(status.as_u16(), 200);
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    // Acknowledged under load means logged; the timeline follows moments later.
    h.store.settle().await.unwrap();
    let events = h.export_events();
    assert_eq!(events.len(), distinct.len());
    for e in &events {
        assert_eq!(e["attempts"].as_u64().unwrap(), send_counts[e["deliveryId"].as_str().unwrap()], "{e}");
    }
    let mut out = Vec::new();
    h.store.export(ExportWhat::Calls, ExportFormat::Ndjson, TimeRange::default(), &mut out).unwrap();
    let calls: Vec<Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(calls.len(), expected_phase.len());
    for c in &calls {
        assert_eq!(c["phase"], expected_phase[c["callId"].as_str().unwrap()], "{c}");
        if c["phase"] == "completed" {
            assert!(c["connectedAt"].is_string() && c["endedAt"].is_string(), "{c}");
        }
    }
    assert!(events.iter().filter(|e| e["late"] == true).count() > 100, "the storm reordered deliveries");
}

const KEY_OF_COMMON: &str = common::KEY;

/// A delivery `at_ms` after a fixed moment, as JSON text.
fn delivery(id: &str, call: &str, event: &str, at_ms: i64) -> String {
    let at = calleague_events::Timestamp::from_unix_millis(1_767_268_800_000 + at_ms).unwrap();
    let at = json!(at);
    common::event(event, id, call, at.as_str().unwrap()).to_string()
}

/// 2,000 idle connections (half of them dribbling an unfinished request) against a cap of
/// 256, held open while real deliveries arrive at 10 a second: each delivery is acknowledged
/// within a second, none refused; the idle ones pay with their own connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_flood_at_the_cap_does_not_refuse_real_deliveries() {
    use tokio::io::AsyncWriteExt;
    let mut config = common::config();
    // Long enough that the idle connections stay for the whole test unless shed.
    config.read_timeout = Duration::from_secs(30);
    let h = common::start_with(config, calleague_store::StoreOptions::default()).await;
    let addr = h.receiver.local_addr();
    let mut idle = Vec::new();
    for i in 0..2_000 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        if i % 2 == 1 {
            stream.write_all(b"POST /hooks/calleague HTTP/1.1\r\nhost: x\r\n").await.unwrap();
        }
        idle.push(stream);
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let mut slowest = Duration::ZERO;
    for i in 0..30 {
        let started = Instant::now();
        let body =
            common::event("call.started", &format!("dl_flood_{i}"), &format!("cl_flood_{i}"), "2026-01-01T12:00:00Z");
        let reply = client
            .post(h.url())
            .bearer_auth(common::KEY)
            .json(&body)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "delivery {i} during the flood");
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(started.elapsed())).await;
    }
    // Within a second by construction: a new connection waits at most that long for the
    // place of the one closed for it, else it gets a 503 (which the status above refuses).
    println!("slowest acknowledgement during the flood: {slowest:?}");
    assert_eq!(h.counts().deliveries_total, 30);
    drop(idle);
}
