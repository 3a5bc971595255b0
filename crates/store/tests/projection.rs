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

fn calls(store: &Store) -> Vec<(String, String)> {
    let page = store.calls_page(&CallFilter::default(), &PageRequest::first(Order::OldestFirst, 10_000)).unwrap();
    page.items.into_iter().map(|c| (c.record.call_id, format!("{:?}", c.record.phase))).collect()
}

#[tokio::test]
async fn deliveries_logged_but_not_projected_before_a_crash_are_projected_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.ingest(delivery("d0", "call.started", "c0", 0)).await.unwrap();
    store.close();
    drop(store);
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
async fn under_load_acknowledgements_go_out_before_the_projection_which_then_catches_up() {
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
    for s in sent {
        assert!(matches!(s.await.unwrap().unwrap(), IngestOutcome::Stored(_)));
    }
    store.settle().await.unwrap();
    let counts = store.counts(Timestamp::from_unix_millis(0).unwrap()).unwrap();
    assert_eq!((counts.deliveries_total, counts.calls, counts.calls_completed), (8_000, 4_000, 4_000));
}
