//! `serve --api-base` with the REST source, end to end: the real receiver and simulator
//! binaries. REST only within the request budget, and the "not arriving" warning when the
//! simulator stops delivering while calls go on.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

/// `calleague-receiver serve` on `db` and `bind`, reading `sim`'s REST API, with `extra`.
fn serve(db: &Path, bind: &str, sim: &str, extra: &[&str]) -> Proc {
    let mut args = vec!["serve", "--db", db.to_str().unwrap(), "--bind", bind, "--api-base", sim];
    args.extend(extra);
    spawn(Path::new(RECEIVER), &args)
}

fn millis(v: &Value) -> i64 {
    calleague_events::Timestamp::parse(v.as_str().unwrap()).unwrap().unix_millis()
}

#[tokio::test]
async fn rest_only_brings_every_call_without_webhooks_and_within_the_request_budget() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let sim = spawn_sim_that_gives_up(&[]);
    play(&sim.url, 6).await;
    let truth = sim_get(&sim.url, "/sim/calls").await["list"].as_array().unwrap().clone();
    let started = Instant::now();
    let bind = format!("127.0.0.1:{}", free_port());
    let receiver = serve(&db, &bind, &sim.url, &["--poll-every", "300ms", "--api-requests-per-minute", "5"]);
    let lines = receiver.wait_for_line("rest-poll:", Duration::from_secs(30));
    assert!(lines.iter().any(|l| l.contains("REST source: reading the calls list instead of webhooks")), "{lines:?}");
    // Let it go on polling against its budget for a while.
    tokio::time::sleep(Duration::from_secs(6).saturating_sub(started.elapsed())).await;
    stop(receiver);

    let calls = export_calls(&db);
    assert_eq!(calls.len(), truth.len());
    for t in &truth {
        let ours = calls.iter().find(|c| c["callId"] == t["callId"]).expect("every call");
        assert_eq!((&ours["phase"], &ours["endedReason"]), (&t["status"], &t["endedReason"]));
    }
    let requests = sim_get(&sim.url, "/sim/requests").await["list"].as_array().unwrap().clone();
    // The agents were listed once, within the same budget, and every call names its agent.
    assert_eq!(requests.iter().filter(|r| r["path"] == "/api/core/voice/agent").count(), 1);
    let agents = sim_get(&sim.url, "/api/core/voice/agent").await["list"].as_array().unwrap().clone();
    for call in &calls {
        let agent = agents.iter().find(|a| a["agentId"] == call["agentId"]).expect("the simulator's agents");
        assert_eq!(call["agentName"], agent["name"], "{call}");
    }
    let at: Vec<i64> = requests.iter().map(|r| millis(&r["at"])).collect();
    for &t in &at {
        let in_minute = at.iter().filter(|&&u| u <= t && t - u < 60_000).count();
        assert!(in_minute <= 5, "{in_minute} requests in a minute, over the setting of 5");
    }
    assert_eq!(at.len(), 5, "polling every 300 ms used the whole budget and no more");
}

#[tokio::test]
async fn a_receiver_whose_webhooks_stop_says_so_once_and_again_when_they_are_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    // In real time: the calls must go on while deliveries stop and resume.
    let sim = spawn(&sim_bin(), &["serve", "--bind", "127.0.0.1:0", "--key", KEY, "--allow-loopback-http"]);
    let bind = format!("127.0.0.1:{}", free_port());
    let url = format!("http://{bind}/hooks/calleague");
    let receiver = serve(
        &db,
        &bind,
        &sim.url,
        &[
            "--reconcile-every",
            "300ms",
            "--quiet-after",
            "3s",
            "--settle",
            "200ms",
            "--api-requests-per-minute",
            "1000",
            "--public-url",
            &url,
        ],
    );
    receiver.wait_for_line("reconciling webhooks with the calls list", Duration::from_secs(10));
    subscribe(&sim.url, &url, "call.started,call.connected,call.completed,call.failed");
    let admin = reqwest::Client::new();
    let switch = |stopped: bool| {
        admin.post(format!("{}/sim/delivery", sim.url)).bearer_auth(KEY).json(&json!({"stopped": stopped})).send()
    };
    let calls = json!({"calls": 80, "rate": 5, "gapScale": 0.01, "recordings": false, "transcripts": false});
    let reply = admin.post(format!("{}/sim/calls", sim.url)).bearer_auth(KEY).json(&calls).send().await.unwrap();
    assert_eq!(reply.status(), 202);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(switch(true).await.unwrap().status(), 200);

    let lines = receiver.wait_for_line("webhooks are not arriving: ", Duration::from_secs(30));
    let said = lines.iter().find(|l| l.contains("webhooks are not arriving: ")).unwrap();
    assert!(said.contains("none was delivered here"), "{said}");
    receiver.wait_for_line("The subscription: fine", Duration::from_secs(5));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(switch(false).await.unwrap().status(), 200);
    let lines = receiver.wait_for_line("webhooks are arriving again", Duration::from_secs(30));
    assert_eq!(
        lines.iter().filter(|l| l.contains("webhooks are not arriving")).count(),
        0,
        "not said again: {lines:?}"
    );
    // What was lost while deliveries were stopped, reconciliation merged.
    assert!(
        lines.iter().any(|l| l.contains("rest-reconciliation:") && l.contains("no webhook had brought")),
        "{lines:?}"
    );
    stop(receiver);
}
