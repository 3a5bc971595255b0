//! Retention and export progress against a real SQLite file: pruning removes whole calls
//! and nothing else, in steps that let deliveries through, and an export can be counted
//! and cancelled.

use std::sync::Arc;

use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{
    AlertHow, CallFilter, ExportFormat, ExportWhat, IncomingDelivery, IngestOutcome, Order, PageRequest, Pruned,
    Source, Store, StoreError, StoreOptions, TimeRange,
};
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

fn open(dir: &tempfile::TempDir) -> Arc<Store> {
    Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap()
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap()
}

fn delivery(body: Value, source: Source) -> IncomingDelivery {
    let raw = body.to_string().into_bytes();
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: None,
        headers: vec![],
        parsed: parse_delivery(&raw).unwrap(),
        body: raw,
        hidden: false,
        source,
    }
}

fn event(name: &str, id: Option<&str>, call: Option<&str>, ms: i64, data: Value) -> IncomingDelivery {
    let mut d = data;
    if let (Some(call), Value::Object(map)) = (call, &mut d) {
        map.insert("callId".into(), call.into());
    }
    let mut body = json!({"event": name, "occurredAt": at(ms).to_string(), "data": d});
    if let Some(id) = id {
        body["deliveryId"] = id.into();
    }
    delivery(body, if id.is_some() { Source::Webhook } else { Source::Catchup })
}

async fn call(store: &Store, id: &str, start_ms: i64, end_ms: i64, meta: &str) {
    let data = json!({"agentId": "ag", "metadata": {"note": meta}});
    store.ingest(event("call.started", Some(&format!("{id}_s")), Some(id), start_ms, data)).await.unwrap();
    let end = json!({"endedReason": "customer-busy"});
    store.ingest(event("call.failed", Some(&format!("{id}_e")), Some(id), end_ms, end)).await.unwrap();
}

fn call_ids(store: &Store) -> Vec<String> {
    let page = store.calls_page(&CallFilter::default(), &PageRequest::first(Order::OldestFirst, 1000)).unwrap();
    page.items.into_iter().map(|c| c.record.call_id).collect()
}

fn rows(store: &Store, what: ExportWhat) -> usize {
    let mut out = Vec::new();
    store.export(what, ExportFormat::Ndjson, TimeRange::default(), &mut out).unwrap();
    String::from_utf8(out).unwrap().lines().count()
}

#[tokio::test]
async fn pruning_by_age_removes_whole_calls_ended_before_the_cut_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let now = Timestamp::now().unix_millis();
    call(&store, "old", now - 3 * DAY, now - 3 * DAY + 60_000, "old-note").await;
    // Started before the cut, still going after it: kept whole.
    call(&store, "spanning", now - DAY - 60_000, now - DAY + 60_000, "span").await;
    call(&store, "today", now - 60_000, now - 1_000, "today-note").await;
    // An event of no call, old, and one recent; a caught-up step confirmed by its webhook
    // (an event naming another delivery), old.
    store.ingest(event("account.updated", Some("acc_old"), None, now - 2 * DAY, json!({}))).await.unwrap();
    store.ingest(event("account.updated", Some("acc_new"), None, now - 1_000, json!({}))).await.unwrap();
    store.ingest(event("call.completed", None, Some("confirmed"), now - 2 * DAY, json!({}))).await.unwrap();
    let webhook = event("call.completed", Some("conf_w"), Some("confirmed"), now - 2 * DAY, json!({}));
    assert!(matches!(store.ingest(webhook).await.unwrap(), IngestOutcome::Stored(_)));
    assert_eq!(store.claim_alerts(vec!["old".into()], AlertHow::Notified).await.unwrap(), ["old"]);
    let deliveries_before = store.counts(at(0)).unwrap().deliveries_total;

    let pruned = store.prune_before(at(now - DAY)).await.unwrap();
    // Events: old 2, confirmed 1 (its webhook confirmed the caught-up step), acc_old 1.
    assert_eq!(pruned, Pruned { calls: 2, events: 4 });
    assert_eq!(call_ids(&store), ["spanning", "today"]);
    assert_eq!(store.counts(at(0)).unwrap().deliveries_total, deliveries_before - 5, "their 5 deliveries went too");
    assert!(store.call_detail("old").unwrap().is_none());
    assert_eq!(store.alert_claimed("old").unwrap(), None);
    assert_eq!(rows(&store, ExportWhat::Events), 5, "spanning 2, today 2, acc_new 1");
    // The search index forgot the pruned call and still finds the kept ones.
    let search = |text: &str| {
        let filter = CallFilter { text: Some(text.into()), ..CallFilter::default() };
        store.calls_page(&filter, &PageRequest::first(Order::NewestFirst, 10)).unwrap().items.len()
    };
    assert_eq!((search("old-note"), search("today-note")), (0, 1));
    // Again: nothing left to prune.
    assert_eq!(store.prune_before(at(now - DAY)).await.unwrap(), Pruned::default());
    store.close();
    let reopened = open(&dir);
    assert_eq!(call_ids(&reopened), ["spanning", "today"]);
    reopened.integrity_check().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_to_a_size_removes_the_oldest_calls_while_deliveries_keep_arriving() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let padding = "x".repeat(2_000);
    for i in 0..600 {
        call(&store, &format!("c{i:04}"), i * 1_000, i * 1_000 + 500, &padding).await;
    }
    let full = store.size().unwrap();
    assert!(full.used_bytes > 2_000_000 && full.file_bytes >= full.used_bytes, "{full:?}");
    let limit = full.used_bytes / 2;

    // Deliveries sent while pruning runs are all committed.
    let pruning = {
        let store = store.clone();
        tokio::spawn(async move { store.prune_to_size(limit).await.unwrap() })
    };
    let mut sent = Vec::new();
    for i in 0..100 {
        let store = store.clone();
        sent.push(tokio::spawn(async move {
            let late =
                event("call.started", Some(&format!("new{i}")), Some(&format!("n{i:03}")), 10_000_000 + i, json!({}));
            store.ingest(late).await.unwrap()
        }));
    }
    for s in sent {
        assert!(matches!(s.await.unwrap(), IngestOutcome::Stored(_)));
    }
    let pruned = pruning.await.unwrap();
    assert!(pruned.calls > 0);
    assert!(store.size().unwrap().used_bytes <= limit);
    let kept = call_ids(&store);
    assert_eq!(kept.len() as u64, 700 - pruned.calls);
    // The oldest went: what is left is a contiguous newest part, with every new call.
    let first_kept: usize = kept[0][1..].parse().unwrap();
    assert_eq!(first_kept as u64, pruned.calls);
    assert_eq!(kept.iter().filter(|c| c.starts_with('n')).count(), 100);
}

#[tokio::test]
async fn an_export_counts_its_rows_ahead_reports_progress_and_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for i in 0..50 {
        call(&store, &format!("c{i:02}"), i * 1_000, i * 1_000 + 500, "n").await;
    }
    let range = TimeRange { from: Some(at(10_000)), to: Some(at(20_000)) };
    assert_eq!(store.export_count(ExportWhat::Calls, range).unwrap(), 10);
    assert_eq!(store.export_count(ExportWhat::Events, range).unwrap(), 20);
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let written = store.export_with(ExportWhat::Calls, ExportFormat::Csv, range, &mut out, |n| {
        seen.push(n);
        true
    });
    assert_eq!(written.unwrap(), 10);
    assert_eq!(seen, (1..=10).collect::<Vec<u64>>());
    let cancelled = store.export_with(ExportWhat::Events, ExportFormat::Ndjson, range, &mut Vec::new(), |n| n < 5);
    assert!(matches!(cancelled, Err(StoreError::Cancelled)), "{cancelled:?}");
}

/// Pruning may remove the newest deliveries (a late step of an old call); a delivery
/// logged after it must still get an id past every one the projection has passed, or a
/// crash before its projection would leave it off the timeline for good.
#[tokio::test]
async fn a_delivery_after_pruning_the_newest_one_gets_an_id_past_the_projection() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let now = Timestamp::now().unix_millis();
    call(&store, "recent", now - 60_000, now - 1_000, "r").await;
    // An old call's last step, delivered last: the newest id in the log.
    call(&store, "old", now - 3 * DAY, now - 3 * DAY + 60_000, "o").await;
    store.settle().await.unwrap();
    let newest = |store: &Store| -> (i64, i64) {
        let conn = rusqlite::Connection::open(store.path()).unwrap();
        conn.query_row("SELECT (SELECT max(id) FROM deliveries), projected_to FROM projection", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    };
    let (max_before, projected_before) = newest(&store);
    assert_eq!(store.prune_before(at(now - DAY)).await.unwrap().calls, 1);
    let (max_after, _) = newest(&store);
    assert!(max_after < projected_before, "the newest delivery went with its call ({max_after} < {projected_before})");
    store.ingest(event("call.started", Some("next_s"), Some("next"), now, json!({}))).await.unwrap();
    let (id, projected) = newest(&store);
    assert!(id > max_before, "a fresh id ({id}), not one at or below {max_before}");
    assert_eq!(projected, id);
    assert_eq!(call_ids(&store), vec!["recent".to_string(), "next".to_string()]);
}

/// A hidden delivery's event names its call but is never folded into it: a call that only
/// ever got hidden events has events and no row. Pruning by age and by size removes them
/// by their own time, with their deliveries; a call with a row keeps its hidden events.
#[tokio::test]
async fn events_of_calls_that_only_got_hidden_events_are_pruned_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let now = Timestamp::now().unix_millis();
    let hidden = |id: &str, call: &str, ms: i64| IncomingDelivery {
        hidden: true,
        ..event("recording.ready", Some(id), Some(call), ms, json!({"recordingId": format!("rec_{id}")}))
    };
    store.ingest(hidden("h_old", "only_hidden_old", now - 3 * DAY)).await.unwrap();
    store.ingest(hidden("h_new", "only_hidden_new", now - 1_000)).await.unwrap();
    call(&store, "kept", now - 60_000, now - 30_000, "kept").await;
    store.ingest(hidden("h_kept", "kept", now - 3 * DAY)).await.unwrap();
    assert_eq!(rows(&store, ExportWhat::Events), 5);

    let pruned = store.prune_before(at(now - DAY)).await.unwrap();
    assert_eq!(pruned, Pruned { calls: 0, events: 1 }, "the old hidden-only call's event");
    assert_eq!(rows(&store, ExportWhat::Events), 4);
    let deliveries = store.counts(at(0)).unwrap().deliveries_total;
    assert_eq!(deliveries, 4, "its delivery went with it");
    assert_eq!(store.call_detail("kept").unwrap().unwrap().events.len(), 3, "a call's own hidden event stays with it");

    // By size: the hidden-only events older than the oldest call that stays go with the calls.
    store.ingest(hidden("h_old_2", "only_hidden_old_2", now - 2 * DAY)).await.unwrap();
    let pruned = store.prune_to_size(0).await.unwrap();
    assert_eq!(pruned.calls, 1);
    assert_eq!(rows(&store, ExportWhat::Events), 0, "nothing left: {pruned:?}");
    store.integrity_check().unwrap();
}

/// Pruning while a burst's deliveries are acknowledged (in the inbox) but not yet on the
/// timeline: the old calls go, every call of the burst arrives whole, and the counts (from
/// the rollups) equal the rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_while_a_burst_waits_to_be_projected_loses_none_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let now = Timestamp::now().unix_millis();
    for i in 0..200 {
        call(&store, &format!("old{i:03}"), now - 3 * DAY + i, now - 3 * DAY + 500 + i, "old").await;
    }
    let mut sent = Vec::new();
    for i in 0..8_000i64 {
        let store = store.clone();
        let name = if i % 2 == 0 { "call.started" } else { "call.completed" };
        let delivery =
            event(name, Some(&format!("b{i}")), Some(&format!("burst{:04}", i / 2)), now - 60_000 + i, json!({}));
        sent.push(tokio::spawn(async move { store.ingest(delivery).await.unwrap() }));
    }
    // Pruning starts while the burst is still arriving and being projected.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let pruned = store.prune_before(at(now - DAY)).await.unwrap();
    let mut accepted = 0;
    for s in sent {
        accepted += usize::from(matches!(s.await.unwrap(), IngestOutcome::Accepted));
    }
    store.settle().await.unwrap();
    println!("pruned {pruned:?}; {accepted} of the burst acknowledged from the inbox");
    assert_eq!(pruned.calls, 200);
    // Oldest first, the first call is the burst's: no old call is left.
    let ids = call_ids(&store);
    assert!(ids.iter().all(|id| id.starts_with("burst")), "{:?}", &ids[..3]);
    let counts = store.counts(at(0)).unwrap();
    assert_eq!((counts.deliveries_total, counts.calls, counts.calls_completed), (8_000, 4_000, 4_000));
    assert_eq!(rows(&store, ExportWhat::Events), 8_000);
    store.integrity_check().unwrap();
}

#[tokio::test]
async fn pruning_takes_forwarding_rows_with_their_deliveries_and_holds_positions_at_the_log_end() {
    use calleague_store::{AfterAttempt, ForwardAttempt, ForwardStep};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let now = Timestamp::now().unix_millis();
    call(&store, "c_old", now - 40 * DAY, now - 40 * DAY + 1_000, "old").await;
    let end = store.log_end().unwrap();
    assert_eq!(end, 2);
    // A REST-sourced event and a hidden one are in the log, but no target gets them.
    store.ingest(event("call.started", None, Some("c_rest"), now - 40 * DAY, json!({}))).await.unwrap();
    let mut hidden = event("transcript.ready", Some("dl_hidden"), Some("c_old"), now - 40 * DAY, json!({}));
    hidden.hidden = true;
    store.ingest(hidden).await.unwrap();
    let batch = store.forward_candidates(0, 100).unwrap();
    assert_eq!(batch.deliveries.iter().map(|d| d.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(batch.read_to, store.log_end().unwrap(), "the read went past what no target gets");

    let attempt = |delivery, then| ForwardAttempt {
        delivery,
        attempt: 1,
        replay: false,
        at_ms: now,
        latency_ms: 3,
        status: Some(500),
        error: None,
        response_headers: vec![("content-type".into(), "text/plain".into())],
        response_body: b"no".to_vec(),
        then,
    };
    let target = "http://localhost:3000/hooks";
    store
        .record_forwarding(ForwardStep {
            target: target.into(),
            attempts: vec![attempt(1, AfterAttempt::GaveUp), attempt(2, AfterAttempt::RetryAt(now + 1_000))],
            forwarded_to: Some(batch.read_to),
        })
        .await
        .unwrap();
    assert_eq!(store.forward_owed(target).unwrap(), (1, 1));
    assert_eq!(store.forward_attempts(1).unwrap()[0].response_body, b"no");
    assert_eq!(store.forward_due(target, now + 1_000, 10).unwrap().len(), 1);
    assert_eq!(store.forward_due(target, now + 999, 10).unwrap().len(), 0);

    // Everything is old: pruned whole, forwarding rows with it, and the position comes
    // back to the log's end so that the next delivery (which reuses an id) is sent.
    store.prune_before(at(now - DAY)).await.unwrap();
    assert_eq!(store.log_end().unwrap(), 0);
    assert!(store.forward_attempts(1).unwrap().is_empty());
    assert_eq!(store.forward_owed(target).unwrap(), (0, 0));
    assert_eq!(store.forward_position(target).unwrap(), Some(0));
    call(&store, "c_new", now, now + 1_000, "new").await;
    let next = store.forward_candidates(0, 100).unwrap();
    assert_eq!(next.deliveries.len(), 2, "the new call's deliveries are after the position");
}
