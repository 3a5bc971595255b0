//! The two stages of ingest against a real SQLite file: what is acknowledged is in the
//! log; the projection (events, calls, search) follows in log order, and after a crash
//! between the two it resumes from the log on start.

use std::sync::Arc;

use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{
    CallFilter, FeedItem, IncomingDelivery, IngestOutcome, Order, PageRequest, Source, Store, StoreOptions,
};
use serde_json::json;

fn open(dir: &tempfile::TempDir) -> Arc<Store> {
    Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap()
}

fn body(id: &str, event: &str, call: &str, ms: i64) -> Vec<u8> {
    let at = Timestamp::from_unix_millis(1_767_268_800_000 + ms).unwrap().to_string();
    json!({"event": event, "deliveryId": id, "occurredAt": at,
           "data": {"callId": call, "agentId": "ag", "metadata": {"order": format!("ord-{call}")}}})
    .to_string()
    .into_bytes()
}

fn delivery(id: &str, event: &str, call: &str, ms: i64) -> IncomingDelivery {
    let raw = body(id, event, call, ms);
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: None,
        headers: vec![("content-type".into(), "application/json".into())],
        parsed: parse_delivery(&raw).unwrap(),
        body: raw,
        hidden: false,
        source: Source::Webhook,
    }
}

/// A store that took one delivery (d0, call c0 started) and was closed: the state a crash
/// test then adds to behind the store's back.
async fn one_delivery_then_closed(dir: &tempfile::TempDir) {
    let store = open(dir);
    store.ingest(delivery("d0", "call.started", "c0", 0)).await.unwrap();
    store.close();
}

fn calls(store: &Store) -> Vec<(String, String)> {
    let page = store.calls_page(&CallFilter::default(), &PageRequest::first(Order::OldestFirst, 10_000)).unwrap();
    page.items.into_iter().map(|c| (c.record.call_id, format!("{:?}", c.record.phase))).collect()
}

#[tokio::test]
async fn deliveries_logged_but_not_projected_before_a_crash_are_projected_on_start() {
    let dir = tempfile::tempdir().unwrap();
    one_delivery_then_closed(&dir).await;
    // What a kill -9 between the two stages leaves: deliveries committed to the log (as the
    // first stage writes them, acknowledged) that the projection never reached.
    let conn = rusqlite::Connection::open(dir.path().join("monitor.db")).unwrap();
    for (i, (event, call, ms)) in
        [("call.started", "c1", 1_000), ("call.failed", "c1", 9_000), ("call.completed", "c0", 5_000)]
            .iter()
            .enumerate()
    {
        let raw = body(&format!("dl{i}"), event, call, *ms);
        conn.execute(
            "INSERT INTO deliveries (dedupe_key, delivery_id, source, received_at, received_ms, last_seen_at,
                                     attempts, peer, headers, body, hidden)
             VALUES (?1, ?2, 'webhook', ?3, 0, ?3, 1, NULL, '[]', ?4, 0)",
            rusqlite::params![format!("d:dl{i}"), format!("dl{i}"), Timestamp::now().to_string(), raw],
        )
        .unwrap();
    }
    drop(conn);

    let store = open(&dir);
    let mut feed = store.subscribe();
    store.settle().await.unwrap();
    assert_eq!(calls(&store), [("c0".into(), "Some(Completed)".into()), ("c1".into(), "Some(Failed)".into())]);
    let detail = store.call_detail("c1").unwrap().unwrap();
    assert_eq!(detail.events.len(), 2);
    // The search index has the projected call; the feed told a window about each event.
    let found = store
        .calls_page(
            &CallFilter { text: Some("ord-c1".into()), ..CallFilter::default() },
            &PageRequest::first(Order::NewestFirst, 10),
        )
        .unwrap();
    assert_eq!(found.items.len(), 1);
    let mut announced = 0;
    while let Ok(item) = feed.try_recv() {
        announced += usize::from(matches!(item, FeedItem::Event { .. }));
    }
    assert_eq!(announced, 3);
    // A repeat of a delivery projected from the log is a repeat, and nothing is projected twice.
    assert!(matches!(
        store.ingest(delivery("dl1", "call.failed", "c1", 9_000)).await.unwrap(),
        IngestOutcome::Duplicate { attempts: 2, .. }
    ));
    store.close();
    let store = open(&dir);
    store.settle().await.unwrap();
    assert_eq!(store.call_detail("c1").unwrap().unwrap().events.len(), 2);
    store.integrity_check().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_acknowledgements_go_out_from_the_inbox_before_the_log_and_the_projection_which_then_catch_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut sent = Vec::new();
    for i in 0..8_000 {
        let store = store.clone();
        let event = if i % 2 == 0 { "call.started" } else { "call.completed" };
        sent.push(tokio::spawn(async move {
            store.ingest(delivery(&format!("d{i}"), event, &format!("c{}", i / 2), i)).await
        }));
    }
    // Each is acknowledged as stored: a burst's in the inbox ("accepted"), the rest in the log.
    let mut accepted = 0;
    for s in sent {
        match s.await.unwrap().unwrap() {
            IngestOutcome::Accepted => accepted += 1,
            IngestOutcome::Stored(_) => {}
            other => panic!("expected stored or accepted, got {other:?}"),
        }
    }
    assert!(accepted > 1_000, "8,000 at once are a burst: only {accepted} went to the inbox");
    store.settle().await.unwrap();
    let counts = store.counts(Timestamp::from_unix_millis(0).unwrap()).unwrap();
    assert_eq!((counts.deliveries_total, counts.calls, counts.calls_completed), (8_000, 4_000, 4_000));
}

#[tokio::test]
async fn deliveries_in_the_inbox_at_a_crash_are_logged_once_and_projected_on_start() {
    let dir = tempfile::tempdir().unwrap();
    one_delivery_then_closed(&dir).await;
    // What a kill -9 during a burst leaves: deliveries appended to the inbox (as the burst's
    // first stage writes them, acknowledged) that were never taken into the log. Among them
    // a repeat of a logged delivery, a repeat of one in the inbox, and a body that no longer
    // reads as a delivery.
    let conn = rusqlite::Connection::open(dir.path().join("monitor.db")).unwrap();
    let rows = [
        body("d0", "call.started", "c0", 0),
        body("d1", "call.started", "c1", 1_000),
        body("d2", "call.failed", "c1", 9_000),
        body("d1", "call.started", "c1", 1_000),
        b"{not json".to_vec(),
        body("d3", "call.completed", "c0", 5_000),
    ];
    for raw in &rows {
        conn.execute(
            "INSERT INTO inbox (received_ms, peer, headers, body, hidden) VALUES (?1, NULL, '[]', ?2, 0)",
            rusqlite::params![Timestamp::now().unix_millis(), raw],
        )
        .unwrap();
    }
    drop(conn);

    let store = open(&dir);
    // Counted as deliveries while they wait (the repeats too, until they are taken in).
    let queued = store.counts(Timestamp::from_unix_millis(0).unwrap()).unwrap().deliveries_total;
    assert!(queued >= 4, "the inbox's deliveries are counted before they are taken in: {queued}");
    store.settle().await.unwrap();
    assert_eq!(calls(&store), [("c0".into(), "Some(Completed)".into()), ("c1".into(), "Some(Failed)".into())]);
    assert_eq!(store.call_detail("c1").unwrap().unwrap().events.len(), 2);
    assert_eq!(store.call_detail("c0").unwrap().unwrap().events.len(), 2);
    let counts = store.counts(Timestamp::from_unix_millis(0).unwrap()).unwrap();
    assert_eq!((counts.deliveries_total, counts.repeats, counts.quarantined), (4, 2, 1));
    let conn = rusqlite::Connection::open(dir.path().join("monitor.db")).unwrap();
    let (inbox, attempts): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM inbox), (SELECT attempts FROM deliveries WHERE delivery_id = 'd1')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((inbox, attempts), (0, 2));
    // Taken in once: a restart finds nothing more to do.
    store.close();
    let store = open(&dir);
    store.settle().await.unwrap();
    assert_eq!(store.counts(Timestamp::from_unix_millis(0).unwrap()).unwrap().deliveries_total, 4);
    store.integrity_check().unwrap();
}
