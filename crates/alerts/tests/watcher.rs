//! The watcher over a real SQLite store, its notes caught in memory. (The desktop notifier
//! itself is tested end to end against a D-Bus notification server: tests/e2e.)

use std::sync::Arc;
use std::time::Duration;

use calleague_alerts::{AlertSettings, Alerts, MemoryNotifier, Note, Open, Pause};
use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{IncomingDelivery, Source, Store, StoreOptions};
use serde_json::json;

fn failed(call: &str, delivery: &str, agent: &str, source: Source) -> IncomingDelivery {
    let body = json!({
        "event": "call.failed", "deliveryId": delivery, "occurredAt": Timestamp::now().to_string(),
        "data": {"callId": call, "agentId": agent, "endedReason": "customer-busy", "metadata": {"orderId": format!("o-{call}")}}
    });
    let raw = body.to_string().into_bytes();
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: None,
        headers: Vec::new(),
        parsed: parse_delivery(&raw).unwrap(),
        body: raw,
        hidden: false,
        source,
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    notes: Arc<MemoryNotifier>,
    alerts: Alerts,
}

fn start(settings: AlertSettings) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let notes = Arc::new(MemoryNotifier::default());
    let alerts = Alerts::start(store.clone(), notes.clone(), settings);
    Setup { _dir: dir, store, notes, alerts }
}

/// Waits (up to 15 s) until `check` holds; the pacing's moments are real seconds here.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..300 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Lets the watcher's gathering moment and a margin pass, so that "nothing more" is
/// a real observation.
async fn quiet() {
    tokio::time::sleep(calleague_alerts::pacing::GATHER + Duration::from_millis(700)).await;
}

fn summaries(notes: &[Note]) -> Vec<&str> {
    notes.iter().map(|n| n.summary.as_str()).collect()
}

/// An agent the store has a name for is named; one it has none for (or that the API does
/// not know) keeps its id.
#[tokio::test]
async fn notes_name_the_agent_when_the_store_has_its_name() {
    use calleague_store::AgentName;
    let s = start(AlertSettings::default());
    let named = AgentName::named("ag_sales", "Sales desk");
    s.store.put_agents(vec![named, AgentName::unknown("ag_ghost")], 1).await.unwrap();
    for (i, agent) in ["ag_sales", "ag_ghost", "ag_new"].iter().enumerate() {
        s.store.ingest(failed(&format!("c{i}"), &format!("d{i}"), agent, Source::Webhook)).await.unwrap();
        until("the note", || s.notes.shown().len() == i + 1).await;
    }
    assert_eq!(
        summaries(&s.notes.shown()),
        ["Call failed: Sales desk", "Call failed: ag_ghost", "Call failed: ag_new"]
    );
}

#[tokio::test]
async fn each_failure_spaced_apart_gives_one_note_with_its_details() {
    let s = start(AlertSettings { metadata_field: Some("orderId".into()), ..AlertSettings::default() });
    for (i, agent) in ["sales", "support", "billing"].iter().enumerate() {
        s.store.ingest(failed(&format!("c{i}"), &format!("d{i}"), agent, Source::Webhook)).await.unwrap();
        until("the note", || s.notes.shown().len() == i + 1).await;
    }
    quiet().await;
    let notes = s.notes.shown();
    assert_eq!(summaries(&notes), ["Call failed: sales", "Call failed: support", "Call failed: billing"]);
    assert!(notes[0].body.starts_with("customer-busy · "));
    assert!(notes[0].body.ends_with("\norderId: o-c0"));
    assert_eq!(notes[2].open, Open::Call("c2".into()));
    assert_eq!(s.alerts.status().unseen, 3);
    s.alerts.mark_seen();
    until("unseen reset", || s.alerts.status().unseen == 0).await;
}

#[tokio::test]
async fn a_failure_delivered_three_times_and_again_after_a_restart_notifies_once() {
    let dir = tempfile::tempdir().unwrap();
    let open = || Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let store = open();
    let notes = Arc::new(MemoryNotifier::default());
    let _alerts = Alerts::start(store.clone(), notes.clone(), AlertSettings::default());
    store.ingest(failed("c1", "d1", "sales", Source::Webhook)).await.unwrap();
    store.ingest(failed("c1", "d1", "sales", Source::Webhook)).await.unwrap(); // a retry
    store.ingest(failed("c1", "d1-again", "sales", Source::Webhook)).await.unwrap(); // a second delivery id
    until("the note", || !notes.shown().is_empty()).await;
    quiet().await;
    assert_eq!(notes.shown().len(), 1);
    store.close();
    drop(store);

    let store = open();
    let after_restart = Arc::new(MemoryNotifier::default());
    let _alerts = Alerts::start(store.clone(), after_restart.clone(), AlertSettings::default());
    store.ingest(failed("c1", "d1-late", "sales", Source::Webhook)).await.unwrap();
    store.ingest(failed("c2", "d2", "sales", Source::Webhook)).await.unwrap();
    until("the new call's note", || !after_restart.shown().is_empty()).await;
    quiet().await;
    assert_eq!(summaries(&after_restart.shown()), ["Call failed: sales"]);
    assert_eq!(after_restart.shown()[0].open, Open::Call("c2".into()));
}

#[tokio::test]
async fn a_burst_of_ten_is_one_summary() {
    let s = start(AlertSettings::default());
    for i in 0..10 {
        let agent = if i % 3 == 0 { "sales" } else { "support" };
        s.store.ingest(failed(&format!("c{i}"), &format!("d{i}"), agent, Source::Webhook)).await.unwrap();
    }
    until("the summary", || !s.notes.shown().is_empty()).await;
    quiet().await;
    let notes = s.notes.shown();
    assert_eq!(summaries(&notes), ["10 calls failed within seconds"]);
    assert_eq!(notes[0].body, "Agents: support (6), sales (4)");
    assert_eq!(s.alerts.status().unseen, 10);
}

#[tokio::test]
async fn failures_merged_by_catch_up_are_one_summary_when_it_is_done() {
    let s = start(AlertSettings::default());
    for i in 0..12 {
        s.store.ingest(failed(&format!("c{i}"), &format!("d{i}"), "sales", Source::Catchup)).await.unwrap();
    }
    quiet().await;
    assert!(s.notes.shown().is_empty(), "nothing singly: {:?}", s.notes.shown());
    s.alerts.catch_up_finished();
    until("the summary", || !s.notes.shown().is_empty()).await;
    quiet().await;
    assert_eq!(summaries(&s.notes.shown()), ["12 calls failed while Calleague Monitor was closed"]);
    // The webhook of one of them arriving late is not news.
    s.store.ingest(failed("c3", "webhook-c3", "sales", Source::Webhook)).await.unwrap();
    quiet().await;
    assert_eq!(s.notes.shown().len(), 1);
}

#[tokio::test]
async fn paused_or_off_shows_nothing_and_resuming_does_not_bring_them_back() {
    let paused = AlertSettings { pause: Some(Pause::UntilResumed), ..AlertSettings::default() };
    let s = start(paused);
    s.store.ingest(failed("c1", "d1", "sales", Source::Webhook)).await.unwrap();
    until("claimed while paused", || s.store.alert_claimed("c1").unwrap().is_some()).await;
    s.alerts.set_settings(AlertSettings { enabled: false, ..AlertSettings::default() });
    s.store.ingest(failed("c2", "d2", "sales", Source::Webhook)).await.unwrap();
    until("both claimed", || s.store.alert_claimed("c2").unwrap().is_some()).await;
    assert_eq!(s.store.alert_claimed("c1").unwrap().as_deref(), Some("paused"));
    assert_eq!(s.store.alert_claimed("c2").unwrap().as_deref(), Some("off"));

    s.alerts.set_settings(AlertSettings::default());
    s.store.ingest(failed("c1", "d1-retry", "sales", Source::Webhook)).await.unwrap();
    s.store.ingest(failed("c3", "d3", "sales", Source::Webhook)).await.unwrap();
    until("the new call's note", || !s.notes.shown().is_empty()).await;
    quiet().await;
    let notes = s.notes.shown();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].open, Open::Call("c3".into()));
    assert_eq!(s.alerts.status().unseen, 3, "paused failures are still unseen failures");
}

#[tokio::test]
async fn a_pause_that_ran_out_notifies_again() {
    let past = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - 1).unwrap();
    let s = start(AlertSettings { pause: Some(Pause::Until { until: past }), ..AlertSettings::default() });
    s.store.ingest(failed("c1", "d1", "sales", Source::Webhook)).await.unwrap();
    until("the note", || s.notes.shown().len() == 1).await;
}

#[tokio::test]
async fn no_notification_server_is_reported_and_the_watcher_goes_on() {
    let s = start(AlertSettings::default());
    s.notes.fail_with(Some("org.freedesktop.Notifications was not provided by any .service files"));
    s.store.ingest(failed("c1", "d1", "sales", Source::Webhook)).await.unwrap();
    until("the failure reported", || s.alerts.status().unavailable.is_some()).await;
    assert!(s.alerts.status().unavailable.unwrap().contains("org.freedesktop.Notifications"));
    s.notes.fail_with(None);
    s.store.ingest(failed("c2", "d2", "sales", Source::Webhook)).await.unwrap();
    until("the next note", || s.notes.shown().len() == 1).await;
    until("the notice cleared", || s.alerts.status().unavailable.is_none()).await;
    // A note of the app's own goes the same way.
    s.alerts.show(Note { summary: "still running".into(), body: String::new(), open: Open::Timeline });
    until("the app's note", || s.notes.shown().len() == 2).await;
}

/// Stores failures of `calls` while the watcher listens elsewhere, and returns their feed items.
async fn stored_unwatched(store: &Store, calls: &[&str]) -> Vec<calleague_store::FeedItem> {
    let mut feed = store.subscribe();
    for call in calls {
        store.ingest(failed(call, &format!("d-{call}"), "sales", Source::Webhook)).await.unwrap();
    }
    let mut items = Vec::new();
    while items.len() < calls.len() {
        items.push(tokio::time::timeout(Duration::from_secs(5), feed.recv()).await.unwrap().unwrap());
    }
    items
}

/// A claim that cannot be written (the database locked by another program) shows nothing:
/// a call is never notified without its claim. Once the database can be written again, the
/// failure is read back from the store and notified, once.
#[tokio::test]
async fn a_failure_whose_claim_failed_is_notified_once_the_claim_can_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let store =
        Store::open(&path, StoreOptions { busy_timeout: Duration::from_millis(100), ..Default::default() }).unwrap();
    let notes = Arc::new(MemoryNotifier::default());
    let alerts = Alerts::start(store.clone(), notes.clone(), AlertSettings::default());
    let (feed, watched) = tokio::sync::broadcast::channel(16);
    alerts.follow(watched, Arc::new(store.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let items = stored_unwatched(&store, &["c-locked"]).await;

    let lock = calleague_testkit::lock_sqlite(&path);
    feed.send(items[0].clone()).unwrap();
    quiet().await;
    assert!(notes.shown().is_empty(), "shown without a claim: {:?}", notes.shown());
    drop(lock);
    assert_eq!(store.alert_claimed("c-locked").unwrap(), None, "not claimed while locked");

    until("the note, once the claim is written", || !notes.shown().is_empty()).await;
    quiet().await;
    assert_eq!(summaries(&notes.shown()), ["Call failed: sales"]);
    assert_eq!(notes.shown()[0].open, Open::Call("c-locked".into()));
    assert_eq!(store.alert_claimed("c-locked").unwrap().as_deref(), Some("notified"));
}

/// The feed is a bounded channel: a watcher that fell behind loses items from it, and reads
/// the failures of unclaimed calls back from the store instead. None is lost, none twice.
#[tokio::test]
async fn a_watcher_that_fell_behind_the_feed_notifies_what_it_dropped() {
    let s = start(AlertSettings::default());
    let (feed, watched) = tokio::sync::broadcast::channel(2);
    s.alerts.follow(watched, Arc::new(s.store.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let calls = ["c1", "c2", "c3", "c4", "c5", "c6"];
    let items = stored_unwatched(&s.store, &calls).await;
    // All at once on this thread, before the watcher runs again: four of six fall out.
    for item in items {
        feed.send(item).unwrap();
    }
    until("the notes", || !s.notes.shown().is_empty()).await;
    quiet().await;
    for call in calls {
        assert_eq!(s.store.alert_claimed(call).unwrap().as_deref(), Some("notified"), "{call}");
    }
    assert_eq!(summaries(&s.notes.shown()), ["6 calls failed within seconds"]);
    assert_eq!(s.alerts.status().unseen, 6);
}
