//! Forwarding in the app's engine: the Settings page's targets applied all or nothing and
//! kept over a restart, the forwarder beside the receiver, a call's attempts, the
//! Forwarding page's health, replays and made-up deliveries. A real receiver, SQLite file,
//! simulator and handler; only the keychain is the in-memory fake.

use std::sync::Arc;
use std::time::Duration;

use calleague_engine::{
    Engine, ErrorCode, ForwardingSettings, MemoryKeychain, ReplayRequest, TargetSettings, TriggerRequest,
};
use calleague_sim::{SimConfig, Simulator};
use calleague_store::{Store, StoreOptions};
use calleague_testkit::Handler;

const KEY: &str = "sk_forwarding_engine_77c1";

async fn connected(dir: &tempfile::TempDir) -> (Arc<Engine>, Simulator) {
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let engine = Arc::new(Engine::new(store, Arc::new(MemoryKeychain::default()), dir.path().to_path_buf()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    engine.set_port(port).await.unwrap();
    let mut config = SimConfig::new(KEY);
    config.allow_loopback_http = true;
    let sim = Simulator::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    (engine, sim)
}

async fn deliver(engine: &Engine, event: &str, delivery: &str, call: &str) {
    let url = engine.status().await.receiver_url.unwrap();
    let body = format!(
        r#"{{"event":"{event}","deliveryId":"{delivery}","occurredAt":"2026-12-02T10:00:00Z","data":{{"callId":"{call}","agentId":"ag_fwd","endedReason":"no-answer"}}}}"#
    );
    let status = reqwest::Client::new()
        .post(url)
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

async fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..500 {
        if let Some(found) = probe() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn target(url: &str, events: &[&str]) -> TargetSettings {
    TargetSettings { url: url.into(), events: events.iter().map(|e| e.to_string()).collect(), enabled: true }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_follows_its_settings_and_every_attempt_shows_where_the_window_looks() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _sim) = connected(&dir).await;
    let handler = Handler::start(false);
    let dead = format!(
        "http://127.0.0.1:{}/down",
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    );

    // A wrong field refuses the whole form and changes nothing.
    let wrong = ForwardingSettings {
        targets: vec![target(&handler.url(), &[]), target("http://192.168.1.20/hooks", &[])],
        ..ForwardingSettings::default()
    };
    let e = engine.apply_forwarding(wrong).await.unwrap_err();
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::SettingInvalid, Some("targets.1.url")));
    assert!(e.message.contains("Plain http is only for this computer"), "{}", e.message);
    assert_eq!(engine.forwarding_settings().await, ForwardingSettings::default());

    let settings = ForwardingSettings {
        targets: vec![target(&handler.url(), &["call.failed"]), target(&dead, &[])],
        ..ForwardingSettings::default()
    };
    engine.apply_forwarding(settings.clone()).await.unwrap();
    // The forwarder starts from the log's end: give it its position before delivering.
    tokio::time::sleep(Duration::from_millis(300)).await;
    deliver(&engine, "call.started", "dl_e_started", "c_e1").await;
    deliver(&engine, "call.failed", "dl_e_failed", "c_e1").await;
    eventually("the failure at the handler", || (handler.delivery_ids().len() == 1).then_some(())).await;
    assert_eq!(handler.delivery_ids(), ["dl_e_failed"], "only the events it takes");

    // The call's details: the attempt, its status and the handler's body.
    let attempts = eventually("the attempts of the call", || {
        let a = engine.call_forwarding("c_e1").unwrap();
        (a.iter().any(|a| a.target == handler.url()) && a.iter().any(|a| a.target == dead)).then_some(a)
    })
    .await;
    let ok = attempts.iter().find(|a| a.target == handler.url()).unwrap();
    assert_eq!((ok.status, ok.response_body.as_str(), ok.replay), (Some(200), "ok", false));
    assert_eq!(ok.target_name, format!("127.0.0.1:{}", handler.port));
    let refused = attempts.iter().find(|a| a.target == dead).unwrap();
    assert_eq!((refused.status, refused.error.as_deref()), (None, Some("connection refused")));

    // The status bar: the dead target, one line; the working one not.
    let status = engine.status().await;
    assert_eq!(status.forwarding_failing.len(), 1, "{:?}", status.forwarding_failing);
    assert!(status.forwarding_failing[0].down && status.forwarding_failing[0].url == dead);

    // The Forwarding page: each target's health.
    let overview = engine.forwarding_overview().await.unwrap();
    assert_eq!(overview.unavailable, None);
    let working = overview.targets.iter().find(|t| t.url == handler.url()).unwrap();
    assert_eq!((working.attempts_last_hour, working.failures_last_hour, working.down), (1, 0, false));
    assert!(working.p50_ms.is_some() && working.p99_ms >= working.p50_ms);
    assert_eq!(working.last.as_ref().and_then(|l| l.status), Some(200));
    let down = overview.targets.iter().find(|t| t.url == dead).unwrap();
    assert!(down.down && down.failures_last_hour >= 1 && down.owed >= 1, "{down:?}");
    let failures = engine
        .forward_attempt_page(calleague_engine::AttemptQuery { failed: Some(true), ..Default::default() })
        .unwrap();
    assert!(!failures.is_empty() && failures.iter().all(|a| a.target == dead && a.call_id.as_deref() == Some("c_e1")));

    // A replay of the started event, edited, to the working handler.
    let edited =
        r#"{"event":"call.started","deliveryId":"dl_e_started","data":{"callId":"c_e1","agentId":"ag_edited"}}"#;
    // The dead target takes every event: its lowest delivery is the call.started one.
    let delivery = attempts.iter().filter(|a| a.target == dead).map(|a| a.delivery).min().unwrap();
    let replayed = engine.replay_delivery(delivery, handler.url(), Some(edited.into())).await.unwrap();
    assert!(replayed.replay && replayed.status == Some(200));
    assert_eq!(handler.received().last().unwrap().1, edited.as_bytes());
    let e = engine.replay_delivery(delivery, handler.url(), Some("{oops".into())).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("body"));

    // A replay of everything received, with progress.
    let mut seen = Vec::new();
    let done = engine
        .replay_many(ReplayRequest::Received { to: handler.url(), from_ms: 0, to_ms: i64::MAX, events: vec![] }, |p| {
            seen.push((p.sent, p.done))
        })
        .await
        .unwrap();
    assert_eq!((done.total, done.sent, done.answered), (2, 2, 2));
    assert_eq!(seen.last(), Some(&(2, true)));

    // The timeline's filter: the deliveries of the calls it shows.
    let filter = calleague_store::CallFilter { agents: vec!["ag_fwd".into()], ..Default::default() };
    let done = engine.replay_many(ReplayRequest::Calls { to: handler.url(), filter }, |_| {}).await.unwrap();
    assert_eq!((done.total, done.answered), (2, 2), "the two deliveries of c_e1");
    let filter = calleague_store::CallFilter { agents: vec!["ag_nobody".into()], ..Default::default() };
    let done = engine.replay_many(ReplayRequest::Calls { to: handler.url(), filter }, |_| {}).await.unwrap();
    assert_eq!(done.total, 0);

    // A made-up failure to this app's own receiver: stored, its values from the real one.
    let defaults = engine.trigger_defaults("call.failed").unwrap();
    assert!(defaults.contains("ag_fwd"), "{defaults}");
    let result = engine
        .trigger(TriggerRequest {
            event: "call.failed".into(),
            to: None,
            fields: vec![("endedReason".into(), "busy".into())],
        })
        .await
        .unwrap();
    assert_eq!(result.status, Some(200));
    let made: serde_json::Value = serde_json::from_str(&result.body).unwrap();
    let call_id = made["data"]["callId"].as_str().unwrap().to_owned();
    engine.store().settle().await.unwrap();
    let call = engine.store().call(&call_id).unwrap().expect("stored by this app's receiver");
    assert_eq!(call.record.ended_reason.as_deref(), Some("busy"));
    // … and forwarded like any delivery: the handler takes call.failed.
    eventually("the made-up failure at the handler", || {
        handler.delivery_ids().contains(&made["deliveryId"].as_str().unwrap().to_owned()).then_some(())
    })
    .await;

    // Kept over a restart.
    engine.shutdown().await;
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let again = Engine::new(store, Arc::new(MemoryKeychain::default()), dir.path().to_path_buf());
    assert_eq!(again.forwarding_settings().await.targets.len(), 2);
    assert_eq!(again.forwarding_settings().await.targets[0].events, ["call.failed"]);
}
