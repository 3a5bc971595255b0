//! Catch-up after downtime, end to end: the real receiver and simulator binaries.
//! The receiver runs, is stopped, the simulator makes 200 calls while it is down, the
//! receiver restarts with catch-up, and its export equals the simulator's ground truth.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

/// With the default heartbeat (every 5 s), a downtime of about a second: shorter than
/// three heartbeats, which used to pass for a restart and was never caught up.
#[tokio::test]
async fn a_downtime_of_a_second_is_caught_up_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let port = free_port();
    let sim = spawn_sim_that_gives_up(&[]);
    let serve_default = || {
        let bind = format!("127.0.0.1:{port}");
        spawn(Path::new(RECEIVER), &["serve", "--db", db.to_str().unwrap(), "--bind", &bind, "--api-base", &sim.url])
    };
    let first = serve_default();
    first.wait_for_line("no downtime to catch up", Duration::from_secs(10));
    subscribe(&sim.url, &first.url, "call.started,call.connected,call.completed,call.failed");
    stop(first);
    let down = Instant::now();
    play(&sim.url, 30).await;
    let status = sim_get(&sim.url, "/sim/status").await;
    assert!(status["gaveUp"].as_u64().unwrap() >= 30, "deliveries during downtime were given up: {status}");
    let second = serve_default();
    assert!(down.elapsed() < Duration::from_secs(15), "the downtime was short: {:?}", down.elapsed());
    // Each caught-up event is a commit synced to disk: a generous limit, for a loaded machine.
    let lines = second.wait_for_line("calls merged", Duration::from_secs(120));
    assert!(lines.last().unwrap().contains("30 calls merged"), "{lines:?}");
    stop(second);
    assert_eq!(export_calls(&db).len(), 30);
}

/// A call that began two hours ago (its start and connect carry times from then) and ends
/// while the receiver is down: Calleague lists calls by start, far before the downtime.
#[tokio::test]
async fn a_two_hour_call_that_ends_while_down_is_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let port = free_port();
    let sim = spawn_sim_that_gives_up(&[]);
    let first = serve(&db, port, &sim.url);
    first.wait_for_line("no downtime to catch up", Duration::from_secs(10));
    subscribe(&sim.url, &first.url, "call.started,call.connected,call.completed,call.failed");
    // Ends 1,000 simulated seconds (5 s here) after it is played, two hours after its start.
    let spec = json!({"calls": 1, "rate": 100, "startedAgoSec": 7200, "minDurationSec": 1000, "maxDurationSec": 1000,
        "failedShare": 0, "recordings": false, "transcripts": false});
    let reply = reqwest::Client::new()
        .post(format!("{}/sim/calls", sim.url))
        .bearer_auth(KEY)
        .json(&spec)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 202);
    // Started and connected reach the receiver; then it stops.
    for _ in 0..100 {
        if export_calls(&db).first().is_some_and(|c| c["phase"] == "connected") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = export_calls(&db);
    assert_eq!(before[0]["phase"], "connected", "{before:?}");
    stop(first);
    for _ in 0..300 {
        if sim_get(&sim.url, "/sim/status").await["idle"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let truth = sim_get(&sim.url, "/sim/calls").await["list"][0].clone();
    assert_eq!(truth["status"], "completed");
    let started = calleague_events::Timestamp::parse(truth["startedAt"].as_str().unwrap()).unwrap();
    assert!(
        calleague_events::Timestamp::now().unix_millis() - started.unix_millis() > 7_000_000,
        "it began 2 h ago: {truth}"
    );

    let second = serve(&db, port, &sim.url);
    // Each caught-up event is a commit synced to disk: a generous limit, for a loaded machine.
    let lines = second.wait_for_line("calls merged", Duration::from_secs(120));
    assert!(lines.last().unwrap().contains(": 1 calls merged"), "{lines:?}");
    stop(second);
    let after = export_calls(&db);
    assert_eq!(after[0]["phase"], "completed", "{after:?}");
    assert_eq!(after[0]["endedAt"], truth["endedAt"]);
}

fn serve(db: &Path, port: u16, sim: &str) -> Proc {
    let bind = format!("127.0.0.1:{port}");
    let db = db.to_str().unwrap();
    spawn(
        Path::new(RECEIVER),
        &["serve", "--db", db, "--bind", &bind, "--api-base", sim, "--heartbeat-interval", "200ms"],
    )
}

#[tokio::test]
async fn calls_missed_while_down_are_caught_up_and_equal_the_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let port = free_port();
    // Deliveries that fail are given up after 2 simulated seconds, so only catch-up can
    // bring the calls made while the receiver is down.
    let sim = spawn_sim_that_gives_up(&["--seed", "42"]);

    let first = serve(&db, port, &sim.url);
    first.wait_for_line("no downtime to catch up", Duration::from_secs(10));
    subscribe(
        &sim.url,
        &first.url,
        "call.started,call.connected,call.completed,call.failed,recording.ready,transcript.ready",
    );
    let listed = receiver_cli(&["webhooks", "list", "--api-base", &sim.url]);
    assert!(String::from_utf8(listed.stdout).unwrap().contains(&first.url));

    play(&sim.url, 20).await;
    assert_eq!(export_calls(&db).len(), 20, "delivered by webhooks while up");
    stop(first);

    tokio::time::sleep(Duration::from_millis(800)).await;
    play(&sim.url, 200).await;
    let status = sim_get(&sim.url, "/sim/status").await;
    assert!(status["gaveUp"].as_u64().unwrap() > 200, "deliveries during downtime were given up: {status}");
    tokio::time::sleep(Duration::from_millis(800)).await;

    let second = serve(&db, port, &sim.url);
    // Each caught-up event is a commit synced to disk: a generous limit, for a loaded machine.
    let lines = second.wait_for_line("calls merged", Duration::from_secs(120));
    assert!(lines.iter().any(|l| l.starts_with("catch-up: window 1/1, page")), "progress is shown: {lines:?}");
    assert!(lines.last().unwrap().contains("200 calls merged"), "{lines:?}");
    stop(second);

    let truth = sim_get(&sim.url, "/sim/calls").await["list"].as_array().unwrap().clone();
    assert_eq!(truth.len(), 220);
    let stored = export_calls(&db);
    assert_eq!(stored.len(), 220);
    let stored_by_id: HashMap<&str, &Value> = stored.iter().map(|c| (c["callId"].as_str().unwrap(), c)).collect();
    // `serve --api-base` listed the simulator's agents: every call is exported with its name.
    let agents = sim_get(&sim.url, "/api/core/voice/agent").await["list"].as_array().unwrap().clone();
    let name_of = |id: &Value| agents.iter().find(|a| &a["agentId"] == id).map(|a| a["name"].clone());
    for t in &truth {
        let s = stored_by_id[t["callId"].as_str().unwrap()];
        let mut expected = t.clone();
        let obj = expected.as_object_mut().unwrap();
        let status = obj.remove("status").unwrap();
        obj.insert("phase".into(), status);
        obj.insert("agentName".into(), name_of(&t["agentId"]).expect("the simulator names its agents"));
        assert_eq!(s, &expected, "call {}", t["callId"]);
    }

    // Running it again changes nothing: on start (only the moment between the two runs is
    // read, and nothing is new there) and by hand.
    let third = serve(&db, port, &sim.url);
    let lines = third.wait_for_line("calls merged", Duration::from_secs(10));
    assert!(lines.last().unwrap().contains(": 0 calls merged (0 events) from 1 window(s)"), "{lines:?}");
    stop(third);
    let from = "2020-01-01T00:00:00Z";
    let to = "2099-01-01T00:00:00Z";
    let again =
        receiver_cli(&["catch-up", "--db", db.to_str().unwrap(), "--from", from, "--to", to, "--api-base", &sim.url]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(String::from_utf8(again.stdout).unwrap().trim(), "merged 0 calls (0 events) of 220 read");
    assert_eq!(export_calls(&db), stored);
}

#[test]
fn catch_up_and_webhooks_errors_are_one_line() {
    let closed = free_port();
    let api = format!("http://127.0.0.1:{closed}");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let out = receiver_cli(&[
        "catch-up",
        "--db",
        db.to_str().unwrap(),
        "--from",
        "2026-01-01T00:00:00Z",
        "--to",
        "2026-01-02T00:00:00Z",
        "--api-base",
        &api,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.lines().last().unwrap().starts_with("error: cannot reach Calleague"), "{stderr}");
    let out = receiver_cli(&[
        "webhooks",
        "create",
        "--api-base",
        &api,
        "--url",
        "http://example.com",
        "--events",
        "call.started",
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
