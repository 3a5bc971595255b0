//! Alert rules in the app's engine: the starter rules, rules checked by field and kept over
//! a restart, the chat webhook's address in the keychain (never in the status or the
//! settings file), and a burst of failures over real HTTP that fires a rule once: one
//! desktop note that opens the firing, one chat message, the status bar's line, and a
//! preview that finds it. A real receiver, SQLite file, simulator and chat server; the
//! keychain and the notification server are the in-memory fakes.

use std::sync::Arc;
use std::time::Duration;

use calleague_alerts::{MemoryNotifier, Open};
use calleague_engine::{Comparison, Condition, Engine, Entry, ErrorCode, Keychain, MemoryKeychain, Metric};
use calleague_events::Timestamp;
use calleague_sim::{SimConfig, Simulator};
use calleague_store::{Store, StoreOptions};
use calleague_testkit::Handler;

const KEY: &str = "sk_alert_rules_engine_5b2e";

async fn engine_on(dir: &tempfile::TempDir, keychain: Arc<MemoryKeychain>) -> Arc<Engine> {
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    Arc::new(Engine::new(store, keychain, dir.path().to_path_buf()))
}

async fn deliver(url: &str, event: &str, delivery: &str, call: &str, at: Timestamp) {
    let body = format!(
        r#"{{"event":"{event}","deliveryId":"{delivery}","occurredAt":"{at}","data":{{"callId":"{call}","agentId":"ag_rules","endedReason":"pipeline-error"}}}}"#
    );
    post(url, body).await;
}

/// One delivery, acknowledged.
async fn post(url: &str, body: String) {
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
    for _ in 0..750 {
        if let Some(found) = probe() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_failures_fires_a_rule_once_on_the_desktop_and_in_the_chat() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let engine = engine_on(&dir, keychain.clone()).await;
    let notes = Arc::new(MemoryNotifier::default());
    engine.start_notifications(notes.clone()).await;

    // First run: the starter rules, all off.
    let view = engine.alerts_view().await.unwrap();
    assert_eq!(view.rules.len(), 3);
    assert!(view.rules.iter().all(|r| !r.rule.enabled && r.status.is_none()));
    assert!(view.unavailable.is_some(), "no mode yet: nothing is evaluated");

    // A rule refused by its field changes nothing.
    let mut rules: Vec<_> = view.rules.iter().map(|r| r.rule.clone()).collect();
    rules[0].window_minutes = 3;
    let e = engine.save_alert_rules(rules.clone()).await.unwrap_err();
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::SettingInvalid, Some("rules.0.windowMinutes")));
    assert!(!engine.alerts_view().await.unwrap().rules[0].rule.enabled);

    // The chat webhook: plain http to another computer refused; a loopback one kept in the
    // keychain, its host alone shown.
    let chat = Handler::start(false);
    let e = engine.set_alert_chat(Some("http://chat.example.com/hooks/T0/B0".into())).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("chatUrl"));
    let secret_url = format!("http://127.0.0.1:{}/services/T0/B0/XYZSECRET", chat.port);
    let host = engine.set_alert_chat(Some(secret_url.clone())).await.unwrap();
    assert_eq!(host, Some(format!("127.0.0.1:{}", chat.port)));
    assert_eq!(keychain.load(Entry::AlertChatWebhook).unwrap(), Some(secret_url));

    let _sim = connected(&engine).await;

    rules[0].window_minutes = 15;
    rules[0].enabled = true;
    rules[0].min_calls = 5;
    rules[0].condition = Condition { op: Comparison::Above, threshold: 20.0 };
    assert_eq!(rules[0].metric, Metric::FailureRate);
    engine.save_alert_rules(rules.clone()).await.unwrap();

    let url = engine.status().await.receiver_url.unwrap();
    let now = Timestamp::now().unix_millis();
    for n in 0..8i64 {
        let start = Timestamp::from_unix_millis(now - 5 * 60_000 + n * 10_000).unwrap();
        let end = Timestamp::from_unix_millis(start.unix_millis() + 15_000).unwrap();
        deliver(&url, "call.started", &format!("s{n}"), &format!("c{n}"), start).await;
        let event = if n % 4 == 0 { "call.completed" } else { "call.failed" };
        deliver(&url, event, &format!("e{n}"), &format!("c{n}"), end).await;
    }

    let note = eventually("the alert's note", || {
        notes.shown().into_iter().find(|n| n.summary == "Alert: Failure rate over 20%")
    })
    .await;
    assert!(note.body.starts_with("Failure rate 75% (above 20%) over the last 15 min"), "{}", note.body);
    let Open::AlertFiring(firing) = note.open else { panic!("the note opens {:?}", note.open) };
    let row = engine.alert_firing(firing).unwrap();
    assert_eq!(row.rule_id, "failure-rate");
    assert!(row.window_to_ms - row.window_from_ms == 15 * 60_000 && row.window_from_ms <= now - 5 * 60_000);

    eventually("the chat message", || (!chat.received().is_empty()).then_some(())).await;
    let status = engine.status().await;
    assert_eq!(status.alerts_firing.len(), 1);
    assert_eq!(status.alerts_firing[0].firing, firing);
    let status_json = serde_json::to_string(&status).unwrap();
    assert!(!status_json.contains("XYZSECRET"), "the chat URL is in the status");
    let settings_file = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(!settings_file.contains("XYZSECRET"), "the chat URL is in the settings file");

    // More failures while it fires: no second note, no second message.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(notes.shown().iter().filter(|n| n.summary.starts_with("Alert:")).count(), 1);
    assert_eq!(chat.received().len(), 1);

    // The page shows it, and the preview of the last day finds it.
    let view = engine.alerts_view().await.unwrap();
    let first = &view.rules[0];
    assert_eq!(first.status.as_ref().and_then(|s| s.value), Some(75.0));
    assert_eq!(first.status.as_ref().and_then(|s| s.firing), Some(firing));
    let preview = engine.preview_alert_rule(first.rule.clone(), 1).await.unwrap();
    assert_eq!(preview.firings.len(), 1);
    assert!(preview.values.len() <= 720);
    assert_eq!(engine.alert_firings(None, 10).unwrap().len(), 1);

    // Kept over a restart of the app.
    drop(view);
    let again = engine_on_existing(&dir, keychain).await;
    assert_eq!(again.alerts_view().await.unwrap().rules[0].rule, rules[0]);
    assert!(again.alert_rules_file().await.contains("\"failure-rate\""));
}

/// The engine connected to a simulator of its own, its receiver on a free port.
async fn connected(engine: &Engine) -> Simulator {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    engine.set_port(port).await.unwrap();
    let mut config = SimConfig::new(KEY);
    config.allow_loopback_http = true;
    let sim = Simulator::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    sim
}

async fn engine_on_existing(dir: &tempfile::TempDir, keychain: Arc<MemoryKeychain>) -> Arc<Engine> {
    let store = Store::open(dir.path().join("second.db"), StoreOptions::default()).unwrap();
    Arc::new(Engine::new(store, keychain, dir.path().to_path_buf()))
}

/// A call's two deliveries with `metadata.campaign`, failed or completed.
async fn campaign_call(url: &str, id: &str, campaign: &str, failed: bool, start_ms: i64) {
    let at = |ms: i64| Timestamp::from_unix_millis(ms).unwrap();
    let event = if failed { "call.failed" } else { "call.completed" };
    for (event, suffix, ms) in [("call.started", "s", start_ms), (event, "e", start_ms + 15_000)] {
        let body = format!(
            r#"{{"event":"{event}","deliveryId":"{id}_{suffix}","occurredAt":"{}","data":{{"callId":"{id}","agentId":"ag_rules","metadata":{{"campaign":"{campaign}"}}}}}}"#,
            at(ms)
        );
        post(url, body).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_narrowed_by_a_metadata_field_counts_the_field_and_fires_on_its_calls_only() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_on(&dir, Arc::new(MemoryKeychain::default())).await;
    let notes = Arc::new(MemoryNotifier::default());
    engine.start_notifications(notes.clone()).await;
    let _sim = connected(&engine).await;
    let url = engine.status().await.receiver_url.unwrap();

    // Stored before any rule: spring's calls fail, autumn's go well (most calls are autumn's,
    // so all calls together stay under the threshold).
    let now = Timestamp::now().unix_millis();
    for n in 0..24i64 {
        let (campaign, failed) = if n % 4 == 0 { ("spring", n != 0) } else { ("autumn", false) };
        campaign_call(&url, &format!("m{n}"), campaign, failed, now - 8 * 60_000 + n * 10_000).await;
    }
    let dims = engine.dimensions_view().await.unwrap();
    assert!(dims.chosen.is_empty(), "{dims:?}");
    assert_eq!(dims.seen.iter().map(|s| (s.field.as_str(), s.calls)).collect::<Vec<_>>(), [("campaign", 24)]);

    let mut rules: Vec<_> = engine.alerts_view().await.unwrap().rules.into_iter().map(|r| r.rule).collect();
    let mut all = rules[0].clone();
    all.enabled = true;
    all.min_calls = 5;
    all.condition = Condition { op: Comparison::Above, threshold: 40.0 };
    let mut spring = all.clone();
    spring.id = "spring".into();
    spring.name = "Spring failing".into();
    spring.scope.metadata_field = Some(" campaign".into());
    spring.scope.metadata_value = Some("spring".into());
    rules = vec![all, spring.clone()];
    // A field's name is checked like any field of the rule.
    let e = engine.save_alert_rules(rules.clone()).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("rules.1.scope.metadataField"), "{e:?}");
    rules[1].scope.metadata_field = Some("campaign".into());
    engine.save_alert_rules(rules.clone()).await.unwrap();
    // Saving it chose the field; its count runs in the background, then the rule fires.
    assert_eq!(engine.dimensions_view().await.unwrap().chosen[0].field, "campaign");
    let note = eventually("the spring rule's note", || {
        notes.shown().into_iter().find(|n| n.summary == "Alert: Spring failing")
    })
    .await;
    assert!(note.body.contains("campaign = spring"), "{}", note.body);
    let dims = engine.dimensions_view().await.unwrap();
    assert!(dims.chosen[0].ready && dims.chosen[0].calls == 24, "{dims:?}");
    // All calls: 5 failed of 24, under 40%: that rule stays quiet.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(!notes.shown().iter().any(|n| n.summary == "Alert: Failure rate over 20%"));
    let view = engine.alerts_view().await.unwrap();
    let status = view.rules[1].status.clone().unwrap();
    // Spring: five failed of six.
    assert!(status.error.is_none() && (status.value.unwrap() - 500.0 / 6.0).abs() < 0.1, "{status:?}");

    // A field a rule uses stays; bad fields are refused by their place.
    let e = engine.set_dimensions(vec![]).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("fields"));
    assert!(e.message.contains("Spring failing"), "{}", e.message);
    let e = engine.set_dimensions(vec!["campaign".into(), " ".into()]).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("fields.1"));
    let six: Vec<String> = (0..6).map(|n| format!("f{n}")).collect();
    assert_eq!(engine.set_dimensions(six).await.unwrap_err().field.as_deref(), Some("fields"));
    let dims = engine.set_dimensions(vec!["campaign".into(), "region".into()]).await.unwrap();
    assert_eq!(dims.chosen.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["campaign", "region"]);
}
