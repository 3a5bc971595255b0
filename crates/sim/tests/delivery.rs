//! The delivery engine against a real receiver: the retry schedule, chaos at the configured
//! rates, and the receiver ending with exactly the simulator's ground truth.

mod common;

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use calleague_store::ExportWhat;
use common::{receiver, spawn_sim, BIN, KEY};
use reqwest::Method;
use serde_json::{json, Value};

async fn register(sim: &common::Sim, url: &str, events: &[&str]) -> String {
    let (status, hook) = sim.call(Method::POST, "/api/core/webhook", Some(json!({"url": url, "events": events}))).await;
    assert_eq!(status, 201, "{hook}");
    hook["webhookId"].as_str().unwrap().to_owned()
}

fn millis(v: &Value) -> i64 {
    calleague_events::Timestamp::parse(v.as_str().unwrap()).unwrap().unix_millis()
}

#[tokio::test]
async fn the_retry_schedule_doubles_and_stops_at_the_window() {
    let target = receiver().await;
    // Time runs 20x faster: a 60 s window plays in 3 s.
    let sim = spawn_sim(&["--time-scale", "20", "--retry-window", "60", "--seed", "3"]);
    // A path the receiver does not serve: every attempt gets 404.
    let wrong = target.receiver.url().replace("/hooks/calleague", "/hooks/wrong");
    let hook = register(&sim, &wrong, &["call.started"]).await;
    let (status, _) = sim
        .call(
            Method::POST,
            "/sim/calls",
            Some(json!({"calls": 1, "recordings": false, "transcripts": false, "gapScale": 0.001})),
        )
        .await;
    assert_eq!(status, 202);
    sim.wait_idle(Duration::from_secs(20)).await;
    let attempts = sim.get("/sim/deliveries").await["list"].as_array().unwrap().clone();
    let at: Vec<i64> = attempts.iter().map(|a| millis(&a["at"])).collect();
    assert!(attempts.iter().all(|a| a["status"] == 404));
    // Simulated waits of about 1, 2, 4, 8, 16, 32 s: the next (64 s) would pass the window.
    assert!((5..=7).contains(&attempts.len()), "{} attempts: {attempts:?}", attempts.len());
    let gaps: Vec<i64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    for pair in gaps.windows(2) {
        let ratio = pair[1] as f64 / pair[0] as f64;
        assert!((1.3..=3.2).contains(&ratio), "gaps should roughly double: {gaps:?}");
    }
    let span_simulated = (at.last().unwrap() - at[0]) as f64 * 20.0 / 1000.0;
    assert!(span_simulated <= 60.0 + 2.0, "last attempt at {span_simulated} s, past the window");
    let last = attempts.last().unwrap();
    assert_eq!(last["gaveUp"], true);
    assert!(attempts[..attempts.len() - 1].iter().all(|a| a["gaveUp"] == false));
    let numbers: Vec<u64> = attempts.iter().map(|a| a["attempt"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=attempts.len() as u64).collect::<Vec<_>>());
    assert_eq!(target.export(ExportWhat::Events).len(), 0);

    // Fixing the webhook's URL makes the next delivery land on its first attempt.
    let (status, _) =
        sim.call(Method::PUT, &format!("/api/core/webhook/{hook}"), Some(json!({"url": target.receiver.url()}))).await;
    assert_eq!(status, 200);
    sim.call(
        Method::POST,
        "/sim/calls",
        Some(json!({"calls": 1, "recordings": false, "transcripts": false, "gapScale": 0.001})),
    )
    .await;
    sim.wait_idle(Duration::from_secs(20)).await;
    let attempts = sim.get("/sim/deliveries").await["list"].as_array().unwrap().clone();
    let last = attempts.last().unwrap();
    assert_eq!((last["status"].as_u64(), last["attempt"].as_u64()), (Some(200), Some(1)));
    assert_eq!(target.export(ExportWhat::Events).len(), 1);
}

#[tokio::test]
async fn an_unreachable_or_slow_receiver_is_retried_too() {
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/hooks/calleague", closed.local_addr().unwrap());
    drop(closed);
    // This one accepts connections but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}/hooks/calleague", silent.local_addr().unwrap());
    let sim = spawn_sim(&["--time-scale", "50", "--retry-window", "60", "--reply-timeout", "0.2"]);
    register(&sim, &dead, &["call.started"]).await;
    register(&sim, &silent_url, &["call.started"]).await;
    sim.call(
        Method::POST,
        "/sim/calls",
        Some(json!({"calls": 1, "recordings": false, "transcripts": false, "gapScale": 0.001})),
    )
    .await;
    sim.wait_idle(Duration::from_secs(20)).await;
    let attempts = sim.get("/sim/deliveries").await["list"].as_array().unwrap().clone();
    let errors = |url: &str| -> Vec<String> {
        attempts.iter().filter(|a| a["url"] == url).map(|a| a["error"].as_str().unwrap_or("").to_owned()).collect()
    };
    let dead_errors = errors(&dead);
    let silent_errors = errors(&silent_url);
    assert!(dead_errors.len() >= 2 && dead_errors.iter().all(|e| e == "unreachable"), "{dead_errors:?}");
    assert!(silent_errors.len() >= 2 && silent_errors.iter().all(|e| e == "timed out"), "{silent_errors:?}");
    drop(silent);
}

#[tokio::test]
async fn chaos_at_the_configured_rates_and_the_receiver_ends_with_the_ground_truth() {
    let target = receiver().await;
    let sim = spawn_sim(&[
        "--time-scale",
        "400",
        "--seed",
        "11",
        "--dup-rate",
        "0.2",
        "--reorder-rate",
        "0.25",
        "--drop-rate",
        "0.1",
        "--legacy-rate",
        "0.2",
    ]);
    register(
        &sim,
        target.receiver.url(),
        &["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"],
    )
    .await;
    let (status, _) = sim.call(Method::POST, "/sim/calls", Some(json!({"calls": 120, "rate": 40}))).await;
    assert_eq!(status, 202);
    sim.wait_idle(Duration::from_secs(60)).await;

    let attempts = sim.get("/sim/deliveries").await["list"].as_array().unwrap().clone();
    let mut by_delivery: HashMap<String, Vec<&Value>> = HashMap::new();
    for a in &attempts {
        by_delivery.entry(a["deliveryId"].as_str().unwrap().to_owned()).or_default().push(a);
    }
    let deliveries = by_delivery.len() as f64;
    let share = |pred: &dyn Fn(&[&Value]) -> bool| by_delivery.values().filter(|v| pred(v)).count() as f64 / deliveries;
    let dup = share(&|v| v.iter().any(|a| a["duplicate"] == true));
    let dropped = share(&|v| v.iter().any(|a| a["error"].as_str().is_some_and(|e| e.starts_with("dropped"))));
    let reordered = share(&|v| v.iter().any(|a| a["reordered"] == true));
    let calls = 120.0;
    // Reordering is drawn only for events that have a later one in their call.
    let reorder_eligible = (deliveries - calls) / deliveries;
    eprintln!("{deliveries} deliveries: dup {dup:.3}, dropped {dropped:.3}, reordered {reordered:.3}");
    assert!((dup - 0.2).abs() < 0.05, "duplicate share {dup}");
    assert!((dropped - 0.1).abs() < 0.04, "dropped share {dropped}");
    assert!((reordered / reorder_eligible - 0.25).abs() < 0.06, "reordered share {reordered}");
    assert!(attempts.iter().all(|a| a["gaveUp"] == false));

    // The receiver counted exactly the sends that reached it, once per delivery.
    let events = target.export(ExportWhat::Events);
    assert_eq!(events.len() as f64, deliveries);
    for e in &events {
        let sent = &by_delivery[e["deliveryId"].as_str().unwrap()];
        let reached = sent.iter().filter(|a| a["status"] == 200).count() as u64;
        assert_eq!(e["attempts"].as_u64().unwrap(), reached, "{e}");
    }
    assert!(events.iter().any(|e| e["late"] == true), "some reordered deliveries arrived late");

    // Every call on the receiver equals the simulator's ground truth.
    let truth = sim.get("/sim/calls").await["list"].as_array().unwrap().clone();
    let stored = target.export(ExportWhat::Calls);
    assert_eq!(stored.len(), truth.len());
    let stored: HashMap<&str, &Value> = stored.iter().map(|c| (c["callId"].as_str().unwrap(), c)).collect();
    for t in &truth {
        let s = stored[t["callId"].as_str().unwrap()];
        for (ours, theirs) in [
            ("agentId", "agentId"),
            ("direction", "direction"),
            ("phase", "status"),
            ("startedAt", "startedAt"),
            ("connectedAt", "connectedAt"),
            ("endedAt", "endedAt"),
            ("durationSec", "durationSec"),
            ("endedReason", "endedReason"),
            ("language", "language"),
            ("metadata", "metadata"),
            ("recordingId", "recordingId"),
            ("transcriptId", "transcriptId"),
        ] {
            assert_eq!(s.get(ours), t.get(theirs), "{ours} of {}", t["callId"]);
        }
    }
    let failed = truth.iter().filter(|t| t["status"] == "failed").count();
    assert!(failed > 10 && failed < 45, "about a fifth fail: {failed}");
}

#[tokio::test]
async fn lost_deliveries_and_stopped_ones_are_never_sent_nor_retried() {
    let target = receiver().await;
    let sim = spawn_sim(&["--time-scale", "400", "--seed", "5", "--lose-rate", "0.3", "--delivery-stopped"]);
    register(&sim, target.receiver.url(), &["call.started", "call.connected", "call.completed", "call.failed"]).await;
    assert_eq!(sim.get("/sim/delivery").await, json!({"stopped": true}));
    let calls = |n: u32| json!({"calls": n, "rate": 50, "recordings": false, "transcripts": false, "gapScale": 0.001});
    assert_eq!(sim.call(Method::POST, "/sim/calls", Some(calls(4))).await.0, 202);
    sim.wait_idle(Duration::from_secs(20)).await;
    let stopped = sim.get("/sim/deliveries").await["list"].as_array().unwrap().clone();
    assert!(stopped.len() >= 8, "four calls' steps were due: {}", stopped.len());
    assert!(stopped.iter().all(|a| a["lost"] == true && a["error"] == "not sent: deliveries are stopped"));
    assert_eq!(target.export(ExportWhat::Events).len(), 0, "nothing reached the receiver");

    let (status, bad) = sim.call(Method::POST, "/sim/delivery", Some(json!({"stop": 1}))).await;
    assert_eq!(status, 422, "{bad}");
    let (status, resumed) = sim.call(Method::POST, "/sim/delivery", Some(json!({"stopped": false}))).await;
    assert_eq!((status, resumed), (200, json!({"stopped": false})));
    assert_eq!(sim.call(Method::POST, "/sim/calls", Some(calls(40))).await.0, 202);
    sim.wait_idle(Duration::from_secs(30)).await;

    let attempts = sim.get("/sim/deliveries").await["list"].as_array().unwrap()[stopped.len()..].to_vec();
    let mut by_delivery: HashMap<&str, Vec<&Value>> = HashMap::new();
    for a in &attempts {
        by_delivery.entry(a["deliveryId"].as_str().unwrap()).or_default().push(a);
    }
    let lost: Vec<&str> =
        by_delivery.iter().filter(|(_, v)| v.iter().any(|a| a["lost"] == true)).map(|(id, _)| *id).collect();
    let share = lost.len() as f64 / by_delivery.len() as f64;
    assert!((share - 0.3).abs() < 0.08, "lost share {share} of {}", by_delivery.len());
    for id in &lost {
        assert_eq!(by_delivery[id].len(), 1, "a lost delivery is never retried: {:?}", by_delivery[id]);
    }
    let status = sim.get("/sim/status").await;
    assert_eq!(status["lost"].as_u64(), Some((stopped.len() + lost.len()) as u64));
    // The receiver heard exactly the deliveries that were not lost.
    assert_eq!(target.export(ExportWhat::Events).len(), by_delivery.len() - lost.len());
    // Every REST request is in the request log, the registration among them.
    let requests = sim.get("/sim/requests").await;
    assert!(requests["list"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["path"] == "/api/core/webhook" && r["limited"] == false));
}

#[tokio::test]
async fn the_same_seed_plays_the_same_calls() {
    let plan = |seed: &str| {
        let seed = seed.to_owned();
        async move {
            let sim = spawn_sim(&["--time-scale", "1000", "--seed", &seed]);
            let (_, reply) = sim.call(Method::POST, "/sim/calls", Some(json!({"calls": 8, "rate": 100}))).await;
            sim.wait_idle(Duration::from_secs(20)).await;
            let calls = sim.get("/sim/calls").await["list"].as_array().unwrap().clone();
            let mut shape: Vec<Value> = calls
                .iter()
                .map(|c| {
                    json!([
                        c["callId"],
                        c["agentId"],
                        c["direction"],
                        c["status"],
                        c["endedReason"],
                        c["durationSec"],
                        c["metadata"]
                    ])
                })
                .collect();
            shape.sort_by_key(|v| v[0].as_str().unwrap().to_owned());
            (reply["callIds"].clone(), shape)
        }
    };
    let a = plan("5").await;
    let b = plan("5").await;
    let c = plan("6").await;
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
}

#[tokio::test]
async fn trigger_sends_one_delivery_and_prints_the_reply() {
    let target = receiver().await;
    let url = target.receiver.url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["trigger", "call.failed", "--to", &url, "--key", KEY, "--call-id", "cl_trig"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("200 OK"), "{stdout}");
    assert!(stdout.contains("\"status\":\"stored\""), "{stdout}");
    let call = target.store.call("cl_trig").unwrap().unwrap();
    assert_eq!(call.record.phase.map(|s| s.as_str()), Some("failed"));
    assert_eq!(call.record.ended_reason.as_deref(), Some("no-answer"));

    let out = Command::new(BIN)
        .args(["trigger", "call.started", "--to", "http://127.0.0.1:9/x", "--key", KEY])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1);
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

#[tokio::test]
async fn the_scenario_command_waits_and_summarizes() {
    let target = receiver().await;
    let sim = spawn_sim(&["--time-scale", "100"]);
    register(&sim, target.receiver.url(), &["call.started", "call.completed", "call.failed"]).await;
    let url = sim.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args([
                "scenario",
                "--sim",
                &url,
                "--key",
                KEY,
                "--calls",
                "5",
                "--rate",
                "50",
                "--gap-scale",
                "0.05",
                "--failed-share",
                "0.4",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("5 calls: "), "{stdout}");
    assert!(stdout.contains("0 given up"), "{stdout}");
    assert_eq!(target.export(ExportWhat::Calls).len(), 5);
}
