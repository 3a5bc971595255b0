//! The engine on a real SQLite file, a real receiver on loopback and the simulator in
//! process; only the keychain is the in-memory fake (the real one is tested end to end
//! under GNOME Keyring).

use std::sync::Arc;
use std::time::Duration;

use calleague_engine::{Engine, Entry, ErrorCode, Keychain, KeychainError, MemoryKeychain, Mode};
use calleague_sim::{SimConfig, Simulator};
use calleague_store::{Store, StoreOptions};

const KEY: &str = "sk_engine_test_4d2a";

struct Setup {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    keychain: Arc<MemoryKeychain>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    Setup { dir, store, keychain: Arc::new(MemoryKeychain::default()) }
}

impl Setup {
    fn engine(&self) -> Arc<Engine> {
        Arc::new(Engine::new(self.store.clone(), self.keychain.clone(), self.dir.path().to_path_buf()))
    }
}

async fn simulator() -> Simulator {
    let mut config = SimConfig::new(KEY);
    config.allow_loopback_http = true;
    Simulator::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_checks_the_key_keeps_it_in_the_keychain_and_receives() {
    let s = setup();
    let sim = simulator().await;
    let engine = s.engine();
    engine.set_port(free_port()).await.unwrap();

    assert!(!engine.receiving(), "nothing to receive before connecting");
    let refused = engine.connect_account("sk_wrong".into(), Some(sim.url())).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::KeyRejected);
    assert_eq!(s.keychain.load(Entry::ApiKey).unwrap(), None, "a refused key is not stored");

    engine.connect_account(format!("  {KEY}\n"), Some(sim.url())).await.unwrap();
    assert_eq!(s.keychain.load(Entry::ApiKey).unwrap().as_deref(), Some(KEY), "stored trimmed");
    assert_eq!(s.keychain.load(Entry::ApiBase).unwrap(), Some(sim.url()), "its address beside it");
    let status = engine.status().await;
    assert_eq!(status.mode, Some(Mode::Account));
    assert!(status.key_masked.as_deref().is_some_and(|m| m.ends_with("4d2a") && !m.contains("engine")));
    let url = status.receiver_url.expect("receiving");
    assert!(engine.receiving());

    // A delivery to the receiver lands in the store.
    let reply = reqwest::Client::new()
        .post(&url)
        .bearer_auth(KEY)
        .json(&serde_json::json!({"event": "call.started", "deliveryId": "d1",
            "occurredAt": "2026-01-01T12:00:00.000Z", "data": {"callId": "cl_1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    // On the timeline before the test reads it (the reply may come before the projection).
    s.store.settle().await.unwrap();
    assert!(s.store.call_detail("cl_1").unwrap().is_some());

    engine.shutdown().await;
    assert!(!engine.receiving(), "stopped with the engine");

    // A second engine on the same profile resumes from the keychain, and an edited settings
    // file cannot send the key elsewhere: the address comes from beside the key.
    let settings = s.dir.path().join("settings.json");
    let edited = std::fs::read_to_string(&settings).unwrap().replace(&sim.url(), "https://attacker.example");
    assert!(edited.contains("attacker.example"));
    std::fs::write(&settings, edited).unwrap();
    let store = Store::open(s.dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let again = Arc::new(Engine::new(store, s.keychain.clone(), s.dir.path().to_path_buf()));
    again.resume().await;
    assert!(again.status().await.receiver_url.is_some(), "receiving again after a restart");
    assert_eq!(again.client().await.unwrap().config().base_url, sim.url());
    assert_eq!(again.status().await.api_base_url, sim.url());
    again.remove_key().await.unwrap();
    assert_eq!((s.keychain.load(Entry::ApiKey).unwrap(), s.keychain.load(Entry::ApiBase).unwrap()), (None, None));
    again.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_mode_without_a_key_in_the_keychain_says_so() {
    let s = setup();
    std::fs::write(s.dir.path().join("settings.json"), r#"{"mode": "account"}"#).unwrap();
    let engine = s.engine();
    engine.resume().await;
    let status = engine.status().await;
    assert_eq!(status.keychain_error.map(|e| e.code), Some(ErrorCode::KeyMissing));
    assert!(status.receiver_url.is_none());

    *s.keychain.failure.lock().unwrap() = Some(KeychainError::Locked("locked".into()));
    let engine = s.engine();
    engine.resume().await;
    assert_eq!(engine.status().await.keychain_error.map(|e| e.code), Some(ErrorCode::KeychainLocked));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_reported_and_no_uptime_is_recorded_while_not_receiving() {
    let s = setup();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    std::fs::write(s.dir.path().join("settings.json"), format!(r#"{{"mode": "demo", "port": {port}}}"#)).unwrap();
    let engine = s.engine();
    engine.resume().await;
    let status = engine.status().await;
    assert_eq!(status.receiver_error.map(|e| e.code), Some(ErrorCode::PortInUse));
    assert!(status.receiver_url.is_none());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let suggested = engine.suggest_port().await.expect("a free port nearby");
    assert_ne!(suggested, port);
    engine.set_port(suggested).await.unwrap();
    assert!(engine.status().await.receiver_url.is_some_and(|u| u.contains(&format!(":{suggested}/"))));
    engine.shutdown().await;
    // One uptime session, from when the receiver really started: had the failed start
    // recorded uptime, the 50 ms between the two would show as a window of downtime.
    assert!(s.store.downtime_windows(0).unwrap().is_empty(), "{:?}", s.store.downtime_windows(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_with_their_code_and_change_nothing() {
    let s = setup();
    let engine = s.engine();
    assert_eq!(engine.set_port(80).await.unwrap_err().code, ErrorCode::PortInvalid);
    assert_eq!(
        engine.set_public_url(Some("http://x.example".into())).await.unwrap_err().code,
        ErrorCode::PublicUrlInvalid
    );
    assert_eq!(engine.connect_account("   ".into(), None).await.unwrap_err().code, ErrorCode::KeyEmpty);
    let status = engine.status().await;
    assert_eq!((status.port, status.public_url), (8787, None));
    // A settings folder that cannot be written: the change is refused and not applied.
    let blocked = s.dir.path().join("blocked");
    std::fs::write(&blocked, "a file where the folder should be").unwrap();
    let engine = Engine::new(s.store.clone(), s.keychain.clone(), blocked);
    let err = engine.set_public_url(Some("https://calls.example.dev/hooks".into())).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::SettingsWrite);
    assert_eq!(engine.status().await.public_url, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_settings_are_checked_saved_applied_and_kept_over_a_pause() {
    use calleague_engine::{AlertSettings, Pause};
    let s = setup();
    let engine = s.engine();
    let notes = Arc::new(calleague_alerts::MemoryNotifier::default());
    engine.start_notifications(notes.clone()).await;
    assert_eq!(engine.status().await.notifications, AlertSettings::default());

    let chosen = AlertSettings {
        ended_reasons: vec!["voicemail".into()],
        metadata_field: Some("orderId".into()),
        ..AlertSettings::default()
    };
    engine.set_notifications(chosen.clone()).await.unwrap();
    let refused = engine
        .set_notifications(AlertSettings { events: vec!["not an event".into()], ..AlertSettings::default() })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotificationSettingInvalid);
    assert_eq!(engine.status().await.notifications, chosen, "a refused change changes nothing");

    engine.pause_notifications(Some(60)).await.unwrap();
    let Some(Pause::Until { until }) = engine.status().await.notifications.pause else { panic!("not paused") };
    let left = until.unix_millis() - calleague_events::Timestamp::now().unix_millis();
    assert!((3_590_000..=3_600_000).contains(&left), "{left} ms left");
    // Saving the form while paused keeps the pause.
    engine.set_notifications(chosen.clone()).await.unwrap();
    assert!(engine.status().await.notifications.pause.is_some());
    assert!(engine.pause_notifications(Some(8 * 24 * 60)).await.is_err(), "more than a week");

    // What a restart reads back.
    let restarted = s.engine();
    let saved = restarted.status().await.notifications;
    assert_eq!(saved.ended_reasons, chosen.ended_reasons);
    assert!(saved.pause.is_some());
    restarted.pause_notifications(None).await.unwrap();
    assert_eq!(restarted.status().await.notifications.pause, Some(Pause::UntilResumed));
    restarted.pause_notifications(Some(0)).await.unwrap();
    assert_eq!(restarted.status().await.notifications.pause, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_note_is_shown_the_first_time_only() {
    let s = setup();
    let engine = s.engine();
    let notes = Arc::new(calleague_alerts::MemoryNotifier::default());
    engine.start_notifications(notes.clone()).await;
    engine.note_running_in_background().await;
    engine.note_running_in_background().await;
    s.engine().note_running_in_background().await; // after a restart too
    for _ in 0..100 {
        if !notes.shown().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shown = notes.shown();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].summary, "Calleague Monitor is still receiving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_managed_diagnosed_and_followed_by_the_receivers_filter() {
    use calleague_engine::{SubscriptionDraft, SubscriptionProblem};
    let s = setup();
    let sim = simulator().await;
    let engine = s.engine();
    engine.set_port(free_port()).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    let draft = |url: &str, events: &[&str]| SubscriptionDraft {
        url: url.into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        confirm_private: false,
    };

    // Without a public address nothing can point here.
    let first = engine.subscriptions().await.unwrap();
    assert_eq!(first.problem, Some(SubscriptionProblem::NoPublicUrl));
    assert_eq!(engine.status().await.subscription_problem, Some(SubscriptionProblem::NoPublicUrl));
    let before = first.webhooks.len();

    engine.set_public_url(Some("https://tunnel.example".into())).await.unwrap();
    let here = "https://tunnel.example/hooks/calleague";
    let listed = engine.subscriptions().await.unwrap();
    assert_eq!(listed.this_computer.as_deref(), Some(here));
    assert!(matches!(&listed.problem, Some(SubscriptionProblem::NoneHere { url, .. }) if url == here));

    // The client's own check and the API's 422 both name the field.
    let refused = engine.create_subscription(draft("http://tunnel.example/x", &["call.failed"])).await.unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::Validation, Some("url")));
    let refused = engine.create_subscription(draft("https://x.nowhere.invalid/h", &["call.failed"])).await.unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::InvalidRequest, Some("url")));
    assert!(refused.message.contains("does not resolve"), "{}", refused.message);
    // Credentials in the address, refused; a private host only once confirmed.
    let refused =
        engine.create_subscription(draft("https://u:p@tunnel.example/x", &["call.failed"])).await.unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::Validation, Some("url")));
    let private = draft("https://192.168.1.20/hooks", &["call.failed"]);
    let refused = engine.create_subscription(private.clone()).await.unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::Validation, Some("confirmPrivate")));
    assert!(refused.message.contains("192.168.1.20 is a private network's address"), "{}", refused.message);
    assert_eq!(engine.subscriptions().await.unwrap().webhooks.len(), before, "nothing half-saved");
    let confirmed = engine.create_subscription(SubscriptionDraft { confirm_private: true, ..private }).await.unwrap();
    let private_hook =
        confirmed.webhooks.iter().find(|w| w.url == "https://192.168.1.20/hooks").expect("created").clone();
    engine.delete_subscription(private_hook.webhook_id).await.unwrap();

    // Created pointing here without call.failed: the problem names it, the filter follows.
    let created = engine.create_subscription(draft(here, &["call.started", "call.connected", "call.completed"])).await;
    let created = created.unwrap();
    let ours = created.webhooks.iter().find(|w| w.points_here).expect("one points here").clone();
    assert_eq!(
        created.problem,
        Some(SubscriptionProblem::MissingEvents {
            webhook_id: ours.webhook_id.clone(),
            missing: vec!["call.failed".into()]
        })
    );
    assert_eq!(created.receiving.as_deref().map(<[String]>::len), Some(3));

    // The one-click fix adds it, at the API.
    let fixed = engine.fix_subscriptions().await.unwrap();
    assert_eq!(fixed.problem, None);
    assert_eq!(engine.status().await.subscription_problem, None);
    let at_api = engine.client().await.unwrap().list_webhooks().await.unwrap();
    let hook = at_api.iter().find(|h| h.webhook_id == ours.webhook_id).unwrap();
    assert!(hook.events.contains(&"call.failed".to_string()), "{:?}", hook.events);

    // A delivery of an event the subscriptions here do not ask for is kept but hidden.
    let url = engine.status().await.receiver_url.unwrap();
    let post = |event: &str, id: &str| {
        reqwest::Client::new().post(&url).bearer_auth(KEY).json(&serde_json::json!({"event": event,
            "deliveryId": id, "occurredAt": "2026-01-01T12:00:00.000Z", "data": {"callId": "cl_f"}}))
    };
    assert_eq!(post("call.failed", "d_fail").send().await.unwrap().status(), 200);
    assert_eq!(post("recording.ready", "d_rec").send().await.unwrap().status(), 200);
    // On the timeline before the test reads it (the reply may come before the projection).
    s.store.settle().await.unwrap();
    let detail = s.store.call_detail("cl_f").unwrap().unwrap();
    let hidden: Vec<(&str, bool)> = detail.events.iter().map(|e| (e.event.event.as_str(), e.event.hidden)).collect();
    assert_eq!(hidden, [("call.failed", false), ("recording.ready", true)], "outside the subscriptions: kept, hidden");

    // The filter outlives a restart of the receiver (here: a new port).
    engine.set_port(free_port()).await.unwrap();
    let before_restart = url;
    let url = engine.status().await.receiver_url.unwrap();
    assert_ne!(url, before_restart, "restarted on the new port");
    let reply = reqwest::Client::new()
        .post(&url)
        .bearer_auth(KEY)
        .json(&serde_json::json!({"event": "transcript.ready",
        "deliveryId": "d_tr", "occurredAt": "2026-01-01T12:00:01.000Z", "data": {"callId": "cl_f"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    s.store.settle().await.unwrap();
    let detail = s.store.call_detail("cl_f").unwrap().unwrap();
    let transcript = detail.events.iter().find(|e| e.event.event == "transcript.ready").expect("kept");
    assert!(transcript.event.hidden, "still outside the subscriptions after the restart");

    // Events chosen for notifications are part of what this computer needs: a subscription
    // without one of them is a problem, and the filter lets it through.
    let mut alerts = engine.status().await.notifications;
    alerts.events.push("call.transferred".into());
    engine.set_notifications(alerts).await.unwrap();
    let diagnosed = engine.subscriptions().await.unwrap();
    assert_eq!(
        diagnosed.problem,
        Some(SubscriptionProblem::MissingEvents {
            webhook_id: ours.webhook_id.clone(),
            missing: vec!["call.transferred".into()]
        })
    );
    let fixed = engine.fix_subscriptions().await.unwrap();
    assert_eq!(fixed.problem, None);
    assert!(fixed.receiving.as_ref().unwrap().contains(&"call.transferred".to_string()), "{:?}", fixed.receiving);

    // Editing keeps the id; deleting removes it at the API; a vanished id is "not found".
    let edited = engine.update_subscription(ours.webhook_id.clone(), draft(here, &["call.failed"])).await.unwrap();
    let now = edited.webhooks.iter().find(|w| w.webhook_id == ours.webhook_id).unwrap();
    assert_eq!(now.events, ["call.failed"]);
    let gone = engine.delete_subscription(ours.webhook_id.clone()).await.unwrap();
    assert!(gone.webhooks.iter().all(|w| w.webhook_id != ours.webhook_id));
    let missing = engine.update_subscription(ours.webhook_id.clone(), draft(here, &["call.failed"])).await;
    assert_eq!(missing.unwrap_err().code, ErrorCode::NotFound);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_settings_apply_all_or_nothing_and_survive_a_restart() {
    use calleague_engine::{ReceiverSettings, TlsChoice};
    let s = setup();
    let sim = simulator().await;
    let engine = s.engine();
    engine.set_port(free_port()).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    let port = free_port();
    let wanted = ReceiverSettings {
        port,
        path: "/in/calleague".into(),
        public_url: Some("https://tunnel.example".into()),
        body_limit_kb: 64,
        tls: TlsChoice::Off,
        key_grace_minutes: 5,
    };
    engine.apply_receiver_settings(wanted.clone()).await.unwrap();
    let url = engine.status().await.receiver_url.unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}/in/calleague"), "restarted on the new port and path");
    // The body limit took effect: 70 KiB is refused with 413, a small delivery is not.
    let big = serde_json::json!({"event": "call.started", "deliveryId": "big", "occurredAt": "2026-01-01T12:00:00Z",
        "data": {"callId": "cl_big", "metadata": {"pad": "x".repeat(70 * 1024)}}});
    let reply = reqwest::Client::new().post(&url).bearer_auth(KEY).json(&big).send().await.unwrap();
    assert_eq!(reply.status(), 413);

    // A taken port: refused by its field, the previous settings kept and still receiving.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = ReceiverSettings { port: taken.local_addr().unwrap().port(), path: "/other".into(), ..wanted.clone() };
    let refused = engine.apply_receiver_settings(busy).await.unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::PortInUse, Some("port")));
    assert!(refused.message.contains("previous settings are kept"), "{}", refused.message);
    assert_eq!(engine.receiver_settings().await, wanted);
    assert_eq!(engine.status().await.receiver_url.as_deref(), Some(url.as_str()));
    // A PEM file that is not there: nothing is saved.
    let pem = ReceiverSettings {
        tls: TlsChoice::Pem { cert: "/nonexistent.pem".into(), key: "/x".into() },
        ..wanted.clone()
    };
    assert_eq!(engine.apply_receiver_settings(pem).await.unwrap_err().field.as_deref(), Some("tlsCert"));
    engine.shutdown().await;

    let store = Store::open(s.dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let again = Arc::new(Engine::new(store, s.keychain.clone(), s.dir.path().to_path_buf()));
    assert_eq!(again.receiver_settings().await, wanted, "saved");
    again.resume().await;
    assert_eq!(again.status().await.receiver_url.as_deref(), Some(url.as_str()));
    again.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_key_is_accepted_for_its_grace_period_only() {
    // The simulator accepts both keys: the account's old one and its replacement.
    const NEW: &str = "sk_engine_test_rotated_77";
    let s = setup();
    let mut config = SimConfig::new(KEY);
    config.keys.push(NEW.into());
    let sim = Simulator::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let engine = s.engine();
    engine.set_port(free_port()).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    let url = engine.status().await.receiver_url.unwrap();
    // A wrong token is answered 200 and discarded (Calleague's advice): kept is what counts.
    let kept = |key: &'static str, id: &'static str| {
        let (url, store) = (url.clone(), s.store.clone());
        async move {
            let body = serde_json::json!({"event": "call.started", "deliveryId": id,
                "occurredAt": "2026-01-01T12:00:00Z", "data": {"callId": id}});
            let status = reqwest::Client::new().post(&url).bearer_auth(key).json(&body).send().await.unwrap().status();
            assert_eq!(status, 200);
            // Catch-up writes at the same time: the delivery is on the timeline once settled.
            store.settle().await.unwrap();
            store.call(id).unwrap().is_some()
        }
    };
    engine.connect_account(NEW.into(), Some(sim.url())).await.unwrap();
    assert!(kept(NEW, "d_new").await);
    assert!(kept(KEY, "d_old").await, "the previous key within its grace period");
    assert!(!kept("sk_someone_else", "d_x").await);

    // With no grace period, a replaced key is refused at once.
    let mut settings = engine.receiver_settings().await;
    settings.key_grace_minutes = 0;
    engine.apply_receiver_settings(settings).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    assert!(kept(KEY, "d_back").await);
    assert!(!kept(NEW, "d_new_again").await);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_is_checked_saved_and_prunes_old_calls() {
    use calleague_engine::Retention;
    let s = setup();
    let engine = s.engine();
    let refused = engine.apply_retention(Retention { keep_days: Some(0), max_gb: None }).await.unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::SettingInvalid, Some("keepDays")));
    let day = 86_400_000;
    let now = calleague_events::Timestamp::now().unix_millis();
    for (call, ms) in [("cl_old", now - 2 * day), ("cl_today", now - 60_000)] {
        ingest(&s.store, "call.failed", call, ms).await;
    }
    engine.apply_retention(Retention { keep_days: Some(1), max_gb: None }).await.unwrap();
    let report = engine.prune_now().await;
    assert_eq!((report.calls, report.error), (1, None));
    assert!(s.store.call("cl_old").unwrap().is_none());
    assert!(s.store.call("cl_today").unwrap().is_some());
    // The background task prunes at its start and after each change. Each old call is on
    // the timeline before the task may prune it: a call not projected yet also reads as
    // absent, and a check that saw that passed by chance and then failed (seen once).
    let pruned = |call: &'static str| {
        let store = s.store.clone();
        async move {
            for _ in 0..200 {
                if store.call(call).unwrap().is_none() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    ingest(&s.store, "call.failed", "cl_old_too", now - 3 * day).await;
    assert!(s.store.call("cl_old_too").unwrap().is_some());
    engine.start_retention().await;
    assert!(pruned("cl_old_too").await, "pruned by the background task at its start");
    engine.apply_retention(Retention { keep_days: None, max_gb: None }).await.unwrap();
    ingest(&s.store, "call.failed", "cl_old_three", now - 3 * day).await;
    assert!(s.store.call("cl_old_three").unwrap().is_some());
    engine.apply_retention(Retention { keep_days: Some(1), max_gb: Some(100.0) }).await.unwrap();
    assert!(pruned("cl_old_three").await, "pruned by the background task after a change");
    assert!(s.store.call("cl_today").unwrap().is_some());
    let info = engine.data_info().await.unwrap();
    assert_eq!(info.retention.keep_days, Some(1));
    assert!(info.size.used_bytes > 0 && info.path.ends_with("monitor.db"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_writes_the_range_reports_progress_and_a_cancel_leaves_no_file() {
    use calleague_engine::export::{ExportProgress, ExportRequest};
    use calleague_store::{ExportFormat, ExportWhat, TimeRange};
    use std::sync::atomic::AtomicBool;
    let s = setup();
    let engine = s.engine();
    for i in 0..30 {
        ingest(&s.store, "call.started", &format!("c{i:02}"), 1_767_268_800_000 + i * 1_000).await;
    }
    let ts = |i: i64| Some(calleague_events::Timestamp::from_unix_millis(1_767_268_800_000 + i * 1_000).unwrap());
    let request = ExportRequest {
        what: ExportWhat::Calls,
        format: ExportFormat::Csv,
        range: TimeRange { from: ts(5), to: ts(15) },
    };
    let target = s.dir.path().join("out.csv");
    let seen = Arc::new(std::sync::Mutex::new(Vec::<ExportProgress>::new()));
    let log = seen.clone();
    let rows = engine
        .export_to_file(request, target.clone(), Arc::new(AtomicBool::new(false)), move |p| log.lock().unwrap().push(p))
        .await
        .unwrap();
    assert_eq!(rows, 10);
    let text = std::fs::read_to_string(&target).unwrap();
    assert_eq!(text.lines().count(), 11, "a header and ten rows");
    assert!(text.lines().nth(1).unwrap().starts_with("c05,"), "{text}");
    let reports = seen.lock().unwrap().clone();
    assert_eq!(reports.first(), Some(&ExportProgress { written: 0, total: 10 }));
    assert_eq!(reports.last(), Some(&ExportProgress { written: 10, total: 10 }));

    // Cancelled: no file, not even the part, and an existing file is left alone.
    let cancel = Arc::new(AtomicBool::new(true));
    let err = engine.export_to_file(request, target.clone(), cancel, |_| {}).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Cancelled);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), text);
    assert!(!s.dir.path().join("out.csv.part").exists());
}

/// One delivery of `event` for `call` (its id the delivery id), happened at `ms`.
async fn ingest(store: &Store, event: &str, call: &str, ms: i64) {
    let at = calleague_events::Timestamp::from_unix_millis(ms).unwrap().to_string();
    let body = serde_json::json!({"event": event, "deliveryId": call, "occurredAt": at, "data": {"callId": call}});
    let raw = body.to_string().into_bytes();
    store
        .ingest(calleague_store::IncomingDelivery {
            received_at: calleague_events::Timestamp::now(),
            peer: None,
            headers: vec![],
            parsed: calleague_events::parse_delivery(&raw).unwrap(),
            body: raw,
            hidden: false,
            source: calleague_store::Source::Webhook,
        })
        .await
        .unwrap();
    // On the timeline before the test reads it (the reply may come before the projection).
    store.settle().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_from_the_settings_self_signed_or_pem_files_and_a_bad_key_is_rolled_back() {
    use calleague_engine::TlsChoice;
    let s = setup();
    let sim = simulator().await;
    let engine = s.engine();
    engine.set_port(free_port()).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    let plain = engine.receiver_settings().await;
    let deliver = |url: String, root: String, id: &'static str| async move {
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(root.as_bytes()).unwrap())
            .build()
            .unwrap();
        let body = serde_json::json!({"event": "call.started", "deliveryId": id,
            "occurredAt": "2026-01-01T12:00:00Z", "data": {"callId": id}});
        client.post(url.replace("127.0.0.1", "localhost")).bearer_auth(KEY).json(&body).send().await.unwrap().status()
    };

    // Self-signed: https, and the certificate (never the key) written for clients to trust.
    let mut settings = plain.clone();
    settings.tls = TlsChoice::SelfSigned;
    engine.apply_receiver_settings(settings).await.unwrap();
    let url = engine.status().await.receiver_url.unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let written = std::fs::read_to_string(engine.self_signed_cert_path()).unwrap();
    assert!(written.contains("BEGIN CERTIFICATE") && !written.contains("PRIVATE KEY"));
    assert_eq!(deliver(url, written, "d_self").await, 200);
    // On the timeline before the test reads it (the reply may come before the projection).
    s.store.settle().await.unwrap();
    assert!(s.store.call("d_self").unwrap().is_some());

    // PEM files the person chose.
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (s.dir.path().join("c.pem"), s.dir.path().join("k.pem"));
    std::fs::write(&cert, pair.cert.pem()).unwrap();
    std::fs::write(&key, pair.signing_key.serialize_pem()).unwrap();
    let pem = TlsChoice::Pem { cert: cert.display().to_string(), key: key.display().to_string() };
    let mut settings = plain.clone();
    settings.tls = pem.clone();
    engine.apply_receiver_settings(settings).await.unwrap();
    let url = engine.status().await.receiver_url.unwrap();
    assert_eq!(deliver(url.clone(), pair.cert.pem(), "d_pem").await, 200);

    // A "key" that is a certificate: the TLS field says why; the PEM receiver runs on.
    let mut settings = plain.clone();
    settings.tls = TlsChoice::Pem { cert: cert.display().to_string(), key: cert.display().to_string() };
    let refused = engine.apply_receiver_settings(settings).await.unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::Tls, Some("tls")));
    assert!(refused.message.contains("no PEM private key"), "{}", refused.message);
    assert_eq!(engine.receiver_settings().await.tls, pem);
    assert_eq!(engine.status().await.receiver_url.as_deref(), Some(url.as_str()));
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_demo_mode_the_subscriptions_are_the_simulators_and_point_at_this_receiver() {
    use calleague_engine::SubscriptionDraft;
    let s = setup();
    let engine = s.engine();
    engine.set_port(free_port()).await.unwrap();
    engine.start_demo().await.unwrap();
    let receiver = engine.status().await.receiver_url.unwrap();
    let listed = engine.subscriptions().await.unwrap();
    assert_eq!(listed.this_computer.as_deref(), Some(receiver.as_str()));
    assert_eq!(listed.problem, None);
    assert_eq!(listed.webhooks.len(), 1);
    assert!(listed.webhooks[0].points_here);
    // Plain http to this computer is allowed against the simulator, as the demo delivers.
    let draft = SubscriptionDraft {
        url: "http://127.0.0.1:9/elsewhere".into(),
        events: vec!["call.failed".into()],
        confirm_private: false,
    };
    let created = engine.create_subscription(draft).await.unwrap();
    assert_eq!(created.webhooks.len(), 2);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_public_address_calls_come_from_the_rest_api_and_each_failure_is_notified_once() {
    use calleague_engine::SourceMode;
    use calleague_sim::ScenarioSpec;
    let s = setup();
    // The shortest poll the settings allow, so that two polls take seconds.
    std::fs::write(s.dir.path().join("settings.json"), r#"{"sources": {"pollEverySecs": 5}}"#).unwrap();
    let sim = simulator().await;
    let engine = s.engine();
    let notes = Arc::new(calleague_alerts::MemoryNotifier::default());
    engine.start_notifications(notes.clone()).await;
    engine.set_port(free_port()).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    let source = |status: calleague_engine::AppStatus| status.source.expect("a REST source in account mode");
    assert_eq!(source(engine.status().await).mode, SourceMode::RestOnly, "no public address: REST only");

    sim.play(ScenarioSpec { calls: 6, rate: 20.0, failed_share: 0.5, gap_scale: 0.01, ..ScenarioSpec::default() });
    while !sim.is_idle() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rounds = source(engine.status().await).rounds;
    let mut polls = 0;
    for _ in 0..300 {
        polls = source(engine.status().await).rounds - rounds;
        if polls >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(polls >= 2, "two polls since the calls ended");
    s.store.settle().await.unwrap();
    let calls = sim.calls();
    let failed: Vec<_> = calls.iter().filter(|c| c.phase == "failed").collect();
    assert!(!failed.is_empty() && failed.len() < calls.len(), "both outcomes among {} calls", calls.len());
    for call in &calls {
        let stored = s.store.call_detail(&call.call_id).unwrap().expect("on the timeline");
        assert_eq!(stored.call.record.phase.map(|p| p.as_str()), Some(call.phase.as_str()), "{}", call.call_id);
        let claimed = s.store.alert_claimed(&call.call_id).unwrap();
        let expected = (call.phase == "failed").then(|| "notified".to_owned());
        assert_eq!(claimed, expected, "{} ({})", call.call_id, call.phase);
    }
    for _ in 0..100 {
        if !notes.shown().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!notes.shown().is_empty(), "the failures were shown");
    assert_eq!(engine.status().await.alerts.unseen as usize, failed.len());

    // More polls read the same calls again: nothing is notified twice.
    let (shown, rounds) = (notes.shown().len(), source(engine.status().await).rounds);
    while source(engine.status().await).rounds < rounds + 1 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!((notes.shown().len(), engine.status().await.alerts.unseen as usize), (shown, failed.len()));

    // A subscription pointing here: both sources, without a restart.
    engine.set_public_url(Some("https://tunnel.example".into())).await.unwrap();
    let listed = engine.subscriptions().await.unwrap();
    assert_eq!(source(engine.status().await).mode, SourceMode::RestOnly, "none points here yet: {listed:?}");
    engine.fix_subscriptions().await.unwrap();
    assert_eq!(source(engine.status().await).mode, SourceMode::Both);
    engine.shutdown().await;
}

/// A D-Bus daemon of the test's own, so that signals sent on it reach only this test.
struct PrivateBus {
    daemon: std::process::Child,
    address: String,
}

impl PrivateBus {
    fn start() -> Self {
        use std::io::BufRead;
        let mut daemon = std::process::Command::new("dbus-daemon")
            // The tests' session configuration: nothing installed is started by activation.
            .arg(concat!("--config-file=", env!("CARGO_MANIFEST_DIR"), "/../../tests/e2e/session-bus.conf"))
            .args(["--nofork", "--print-address=1"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("dbus-daemon (package dbus) for the wake test");
        let mut address = String::new();
        std::io::BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut address).unwrap();
        assert!(address.starts_with("unix:"), "dbus-daemon printed {address:?}");
        Self { daemon, address: address.trim().to_owned() }
    }

    fn signal(&self, path: &str, member: &str, arg: &str) {
        let sent = std::process::Command::new("dbus-send")
            .args([&format!("--bus={}", self.address), "--type=signal", path, member, arg])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_from_sleep_or_coming_back_online_reads_at_once() {
    let bus = PrivateBus::start();
    let s = setup();
    // Polls an hour apart: any read after the first comes from a wake.
    std::fs::write(s.dir.path().join("settings.json"), r#"{"sources": {"pollEverySecs": 3600}}"#).unwrap();
    let sim = simulator().await;
    let engine = s.engine();
    engine.set_port(free_port()).await.unwrap();
    engine.connect_account(KEY.into(), Some(sim.url())).await.unwrap();
    engine.follow_wakes(Some(&bus.address)).await.unwrap();
    let rounds = || {
        let engine = engine.clone();
        async move { engine.status().await.source.map_or(0, |s| s.rounds) }
    };
    let calls_read = || sim.api_requests().iter().filter(|r| r.path == "/api/core/voice/agent/call").count();
    let settled = |want: u64| async move {
        for _ in 0..100 {
            if rounds().await >= want {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    assert!(settled(1).await, "the first poll, at start");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = calls_read();

    bus.signal("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", "boolean:true");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!((rounds().await, calls_read()), (1, before), "going to sleep reads nothing");

    bus.signal("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", "boolean:false");
    assert!(settled(2).await, "a read on resume");
    assert!(calls_read() > before, "the calls list was read");

    let network = ("/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager.StateChanged");
    bus.signal(network.0, network.1, "uint32:20"); // offline
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rounds().await, 2, "going offline reads nothing");
    bus.signal(network.0, network.1, "uint32:70"); // online again
    assert!(settled(3).await, "a read when the network is back");
    engine.shutdown().await;
}
