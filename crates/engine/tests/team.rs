//! The engine in team mode over a real PostgreSQL server (Debian's, started for the test):
//! a receiver's store writes, the engine watches with the read-only role of
//! docs/team-mode.md. Only the keychain is the in-memory fake (the real one is tested end
//! to end under GNOME Keyring, tests/e2e/team.test.mjs).

use std::sync::Arc;
use std::time::Duration;

use calleague_alerts::MemoryNotifier;
use calleague_engine::{Engine, Entry, ErrorCode, Keychain, MemoryKeychain, Mode};
use calleague_events::Timestamp;
use calleague_sim::{SimConfig, Simulator};
use calleague_store::{CallFilter, IncomingDelivery, Order, PageRequest, Store, StoreOptions};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::TestPostgres;

const API_KEY: &str = "sk_team_engine_7e3a";

/// The roles block of docs/team-mode.md, as a reader would paste it.
fn roles_sql() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/team-mode.md")).unwrap();
    let marked = doc.split("<!-- roles.sql").nth(1).expect("docs/team-mode.md marks its roles block");
    marked.split("```sql").nth(1).unwrap().split("```").next().unwrap().to_owned()
}

fn delivery(event: &str, delivery_id: &str, call_id: &str) -> IncomingDelivery {
    let body = format!(
        r#"{{"event":"{event}","deliveryId":"{delivery_id}","occurredAt":"{}","data":{{"callId":"{call_id}","agentId":"ag_team","endedReason":"busy"}}}}"#,
        Timestamp::now()
    )
    .into_bytes();
    IncomingDelivery::webhook(body).unwrap()
}

/// A database set up as docs/team-mode.md says, and a receiver's store on it as the
/// writer role (which made the schema).
async fn team_database() -> (TestPostgres, Arc<PgStore>) {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    pg.create_database("calleague").unwrap();
    pg.psql("calleague", &roles_sql()).unwrap();
    let mut writer: DatabaseUrl =
        format!("postgres://calleague_writer@127.0.0.1:{}/calleague", pg.port).parse().unwrap();
    writer.set_password("change-me-writer");
    let receiver = PgStore::connect(&writer, PgOptions::default()).await.unwrap();
    (pg, receiver)
}

/// Lets the notifications' gathering moment pass, and a margin: a second note held in the
/// gathering would show only after it, so "nothing more" is a real observation only now.
async fn past_the_gathering() {
    tokio::time::sleep(calleague_alerts::pacing::GATHER + Duration::from_millis(700)).await;
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..250 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: not within 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_watches_the_team_database_and_notifies_each_failure_once_here() {
    let (pg, receiver) = team_database().await;
    let port = pg.port;
    receiver.ingest(delivery("call.started", "dl_before", "cl_before")).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let local = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let engine = Arc::new(Engine::new(local.clone(), keychain.clone(), dir.path().to_path_buf()));
    let notes = Arc::new(MemoryNotifier::default());
    engine.start_notifications(notes.clone()).await;
    let address = format!("postgres://calleague_viewer@127.0.0.1:{port}/calleague");

    // A password in the address, a wrong password: refused, nothing kept, nothing shown.
    let e = engine
        .connect_team(
            format!("postgres://calleague_viewer:change-me-viewer@127.0.0.1:{port}/calleague"),
            String::new(),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TeamDatabaseInvalid);
    assert!(!e.message.contains("change-me-viewer"), "{}", e.message);
    let e = engine.connect_team(address.clone(), "wrong".into(), false).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::TeamDatabaseUnavailable);
    assert!(e.message.contains("password authentication failed"), "{}", e.message);
    assert_eq!(keychain.load(Entry::TeamPassword).unwrap(), None);
    assert_eq!(engine.status().await.mode, None);

    // An account mode's key from before is not the team's: neither used nor removed.
    keychain.save(Entry::ApiKey, "sk_account_from_before").unwrap();
    keychain.save(Entry::ApiBase, "https://api.example.test").unwrap();
    engine.connect_team(format!(" {address} "), "change-me-viewer".into(), false).await.unwrap();
    assert_eq!(engine.status().await.key_masked, None);
    assert_eq!(keychain.load(Entry::TeamDatabase).unwrap().as_deref(), Some(address.as_str()));
    assert_eq!(keychain.load(Entry::TeamPassword).unwrap().as_deref(), Some("change-me-viewer"));
    let status = engine.status().await;
    assert_eq!(status.mode, Some(Mode::Team));
    assert_eq!(status.team_database.as_deref(), Some(address.as_str()), "shown without a password");
    assert!(engine.receiving(), "watching keeps the app running without its window");
    let Err(no_key) = engine.client().await else { panic!("no API key in team mode yet") };
    assert_eq!(no_key.code, ErrorCode::NotConnected);
    assert!(no_key.message.contains("team's database"), "{}", no_key.message);

    // The account's key, for recordings and transcripts: checked, kept, used; no receiver.
    let mut sim_config = SimConfig::new(API_KEY);
    sim_config.allow_loopback_http = true;
    let sim = Simulator::start(sim_config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let refused = engine.set_team_api_key(Some("sk_wrong".into()), Some(sim.url())).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::KeyRejected);
    assert_eq!(keychain.load(Entry::TeamApiKey).unwrap(), None);
    engine.set_team_api_key(Some(format!(" {API_KEY} ")), Some(sim.url())).await.unwrap();
    assert_eq!(keychain.load(Entry::TeamApiKey).unwrap().as_deref(), Some(API_KEY));
    assert_eq!(keychain.load(Entry::ApiKey).unwrap().as_deref(), Some("sk_account_from_before"), "apart from it");
    engine.client().await.unwrap().check_key().await.unwrap();
    // With a key in hand, a receiver setting changed (say, over IPC) still starts none.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    engine.set_port(port).await.unwrap();
    let status = engine.status().await;
    assert!(status.key_masked.as_deref().is_some_and(|m| m.ends_with("7e3a")), "{:?}", status.key_masked);
    assert_eq!((status.mode, status.receiver_url), (Some(Mode::Team), None), "watching, not receiving");
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(
        !settings.contains("change-me-viewer") && !settings.contains(&address),
        "the settings hold neither: {settings}"
    );

    // The window reads the team's calls, and follows its commits.
    let page =
        engine.reader().calls_page(CallFilter::default(), PageRequest::first(Order::OldestFirst, 10)).await.unwrap();
    assert_eq!(page.items.iter().map(|c| c.record.call_id.as_str()).collect::<Vec<_>>(), ["cl_before"]);
    let mut feed = engine.subscribe_feed();
    receiver.ingest(delivery("call.failed", "dl_failed", "cl_team")).await.unwrap();
    let item = tokio::time::timeout(Duration::from_secs(5), feed.recv()).await.expect("the commit, live").unwrap();
    assert!(
        matches!(item, calleague_store::FeedItem::Event { ref call, .. } if call.as_ref().is_some_and(|c| c.record.call_id == "cl_team"))
    );

    // The failure is notified once, and remembered in this computer's own store.
    eventually("the note", async || notes.shown().len() == 1).await;
    receiver.ingest(delivery("call.failed", "dl_failed_again", "cl_team")).await.unwrap();
    past_the_gathering().await;
    assert_eq!(notes.shown().iter().map(|n| n.summary.as_str()).collect::<Vec<_>>(), ["Call failed: ag_team"]);
    assert_eq!(local.alert_claimed("cl_team").unwrap().as_deref(), Some("notified"));
    assert!(local.call("cl_team").unwrap().is_none(), "the team's calls stay in its database");

    // Restarted: watching again, from the keychain, in the background.
    let again = Arc::new(Engine::new(local.clone(), keychain.clone(), dir.path().to_path_buf()));
    again.resume().await;
    eventually("watching again", async || again.status().await.team_database.is_some()).await;
    again.client().await.expect("the key for recordings, from the keychain").check_key().await.unwrap();
    let counts = again.reader().counts(Timestamp::from_unix_millis(0).unwrap()).await.unwrap();
    assert_eq!((counts.calls, counts.calls_failed, counts.deliveries_total), (2, 1, 3));

    // Leaving: back to this computer's store; the address and password leave the keychain.
    again.leave_team().await.unwrap();
    assert_eq!(keychain.load(Entry::TeamDatabase).unwrap(), None);
    assert_eq!(keychain.load(Entry::TeamPassword).unwrap(), None);
    assert_eq!(keychain.load(Entry::TeamApiKey).unwrap(), None, "the key added for recordings goes too");
    assert_eq!(keychain.load(Entry::ApiKey).unwrap().as_deref(), Some("sk_account_from_before"));
    let status = again.status().await;
    assert_eq!((status.mode, status.team_database), (None, None));
    let page =
        again.reader().calls_page(CallFilter::default(), PageRequest::first(Order::OldestFirst, 10)).await.unwrap();
    assert!(page.items.is_empty(), "this computer's own store: empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_down_at_start_is_retried_and_the_status_says_why() {
    let (pg, receiver) = team_database().await;
    drop(receiver);
    let port = pg.port;

    let dir = tempfile::tempdir().unwrap();
    let local = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let engine = Arc::new(Engine::new(local.clone(), keychain.clone(), dir.path().to_path_buf()));
    engine
        .connect_team(
            format!("postgres://calleague_viewer@127.0.0.1:{port}/calleague"),
            "change-me-viewer".into(),
            false,
        )
        .await
        .unwrap();

    pg.stop().unwrap();
    let again = Arc::new(Engine::new(local, keychain, dir.path().to_path_buf()));
    again.resume().await;
    eventually("the reason, in the status", async || again.status().await.team_error.is_some()).await;
    let status = again.status().await;
    assert_eq!(status.mode, Some(Mode::Team));
    assert_eq!(status.team_error.unwrap().code, ErrorCode::TeamDatabaseUnavailable);
    assert!(status.team_database.is_none());
    pg.restart().unwrap();
    for _ in 0..150 {
        if again.status().await.team_database.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = again.status().await;
    assert!(status.team_database.is_some(), "watching once the database is back: {:?}", status.team_error);
    assert!(status.team_error.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_while_closed_are_one_summary_at_the_next_start_and_never_again() {
    let (pg, receiver) = team_database().await;
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let open = || {
        let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
        Arc::new(Engine::new(store, keychain.clone(), dir.path().to_path_buf()))
    };
    // History from before this desktop ever watched is not "missed".
    receiver.ingest(delivery("call.failed", "dl_history", "cl_history")).await.unwrap();
    let engine = open();
    let notes = Arc::new(MemoryNotifier::default());
    engine.start_notifications(notes.clone()).await;
    let address = format!("postgres://calleague_viewer@127.0.0.1:{}/calleague", pg.port);
    engine.connect_team(address, "change-me-viewer".into(), false).await.unwrap();
    engine.shutdown().await;
    drop(engine);

    // Closed: two calls fail, one of them delivered twice.
    for (delivery_id, call_id) in
        [("dl_night_1", "cl_night_1"), ("dl_night_2", "cl_night_2"), ("dl_night_2b", "cl_night_2")]
    {
        receiver.ingest(delivery("call.failed", delivery_id, call_id)).await.unwrap();
    }

    let again = open();
    let notes = Arc::new(MemoryNotifier::default());
    again.start_notifications(notes.clone()).await;
    again.resume().await;
    eventually("the summary", async || !notes.shown().is_empty()).await;
    past_the_gathering().await;
    let shown: Vec<String> = notes.shown().iter().map(|n| n.summary.clone()).collect();
    assert_eq!(shown, ["2 calls failed while Calleague Monitor was closed"]);
    again.shutdown().await;
    drop(again);

    // Started again: nothing new happened, nothing is shown.
    let third = open();
    let notes = Arc::new(MemoryNotifier::default());
    third.start_notifications(notes.clone()).await;
    third.resume().await;
    eventually("watching", async || third.status().await.team_database.is_some()).await;
    past_the_gathering().await;
    assert!(notes.shown().is_empty(), "{:?}", notes.shown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_in_team_mode_evaluates_alert_rules_over_the_team_database_for_its_own_notes() {
    let (pg, receiver) = team_database().await;
    let address = format!("postgres://calleague_viewer@127.0.0.1:{}/calleague", pg.port);
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let start = |notes: Arc<MemoryNotifier>| {
        let (dir, keychain) = (dir.path().to_path_buf(), keychain.clone());
        async move {
            let local = Store::open(dir.join("monitor.db"), StoreOptions::default()).unwrap();
            let engine = Arc::new(Engine::new(local, keychain, dir));
            engine.start_notifications(notes).await;
            engine
        }
    };
    let notes = Arc::new(MemoryNotifier::default());
    let engine = start(notes.clone()).await;
    engine.connect_team(address, "change-me-viewer".into(), false).await.unwrap();
    let mut rules: Vec<_> = engine.alerts_view().await.unwrap().rules.into_iter().map(|r| r.rule).collect();
    rules[0].enabled = true; // failure rate over 20% in 15 min, at least 10 calls
    engine.save_alert_rules(rules).await.unwrap();
    let view = engine.alerts_view().await.unwrap();
    assert_eq!(view.unavailable, None);
    assert!(view.chat_note.as_deref().is_some_and(|n| n.contains("receivers post")), "{:?}", view.chat_note);

    // A receiver of the team stores twelve failed calls.
    for n in 0..12 {
        receiver.ingest(delivery("call.failed", &format!("dl_alert_{n}"), &format!("cl_alert_{n}"))).await.unwrap();
    }
    let alert = |notes: &MemoryNotifier| notes.shown().into_iter().filter(|n| n.summary.starts_with("Alert:")).count();
    eventually("the alert's note", async || alert(&notes) == 1).await;
    let view = engine.alerts_view().await.unwrap();
    let status = view.rules[0].status.clone().unwrap();
    assert_eq!(status.value, Some(100.0));
    assert!(status.firing.is_some());
    assert_eq!(
        view.rules[0].day.as_ref().map(|d| d.firings.len()),
        Some(1),
        "the day's preview reads the team's calls"
    );

    // The app restarts: the firing is this desktop's, kept in its own store; no second note.
    engine.leave_team().await.ok();
    drop(engine);
    let notes_again = Arc::new(MemoryNotifier::default());
    let again = start(notes_again.clone()).await;
    let address = format!("postgres://calleague_viewer@127.0.0.1:{}/calleague", pg.port);
    again.connect_team(address, "change-me-viewer".into(), false).await.unwrap();
    eventually("the rule evaluated again", async || {
        again.alerts_view().await.unwrap().rules[0].status.as_ref().is_some_and(|s| s.firing.is_some())
    })
    .await;
    past_the_gathering().await;
    assert_eq!(alert(&notes_again), 0, "still the same firing: not notified again");
}
