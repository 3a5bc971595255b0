//! The store against a real SQLite file in a temporary folder.

use std::sync::Arc;
use std::time::Duration;

use calleague_events::{parse_delivery, CallPhase, Timestamp};
use calleague_store::{
    AlertHow, CallCursor, CallFilter, CallRow, EventFilter, ExportFormat, ExportWhat, FeedItem, IncomingDelivery,
    IngestOutcome, Order, Page, PageRequest, QuarantineItem, SecurityEntry, Source, Store, StoreError, StoreOptions,
    TimeRange,
};
use serde_json::{json, Value};

fn open(dir: &tempfile::TempDir) -> Arc<Store> {
    Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap()
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_767_268_800_000 + ms).unwrap() // 2026-01-01T12:00:00Z + ms
}

fn delivery(body: Value) -> IncomingDelivery {
    let raw = body.to_string().into_bytes();
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: Some("127.0.0.1:5000".into()),
        headers: vec![("content-type".into(), "application/json".into())],
        parsed: parse_delivery(&raw).unwrap(),
        body: raw,
        hidden: false,
        source: Source::Webhook,
    }
}

fn event(name: &str, delivery_id: &str, call: &str, at_ms: i64, data: Value) -> IncomingDelivery {
    let mut d = json!({"callId": call});
    if let (Value::Object(target), Value::Object(extra)) = (&mut d, data) {
        target.extend(extra);
    }
    delivery(json!({"event": name, "deliveryId": delivery_id, "occurredAt": ts(at_ms).to_string(), "data": d}))
}

#[tokio::test]
async fn a_repeat_counts_an_attempt_and_changes_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = store.ingest(event("call.started", "dl_1", "c1", 0, json!({"agentId": "a"}))).await.unwrap();
    let IngestOutcome::Stored(row) = first else { panic!("expected stored, got {first:?}") };
    let again = store.ingest(event("call.started", "dl_1", "c1", 0, json!({"agentId": "CHANGED"}))).await.unwrap();
    assert_eq!(again, IngestOutcome::Duplicate { id: row.id, attempts: 2 });
    let call = store.call("c1").unwrap().unwrap();
    assert_eq!(call.record.agent_id.as_deref(), Some("a"));
    assert_eq!(call.event_count, 1);
    let page = store.events_page(&EventFilter::default(), &PageRequest::first(Order::NewestFirst, 10)).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].attempts, 2);
}

#[tokio::test]
async fn without_a_delivery_id_dedupe_is_on_call_and_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let body = json!({"event": "call.failed", "occurredAt": ts(5).to_string(), "data": {"callId": "c9", "endedReason": "busy"}});
    assert!(matches!(store.ingest(delivery(body.clone())).await.unwrap(), IngestOutcome::Stored(_)));
    assert!(matches!(store.ingest(delivery(body)).await.unwrap(), IngestOutcome::Duplicate { attempts: 2, .. }));
    let other_event = json!({"event": "call.started", "occurredAt": ts(1).to_string(), "data": {"callId": "c9"}});
    assert!(matches!(store.ingest(delivery(other_event)).await.unwrap(), IngestOutcome::Stored(_)));
    let call = store.call("c9").unwrap().unwrap();
    assert_eq!(call.record.phase, Some(CallPhase::Failed));
    assert_eq!(call.event_count, 2);
}

#[tokio::test]
async fn concurrent_deliveries_are_group_committed_and_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut tasks = Vec::new();
    for i in 0..300 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.ingest(event("call.started", &format!("dl_{i}"), &format!("c{}", i % 50), i, json!({}))).await
        }));
    }
    for t in tasks {
        assert!(matches!(t.await.unwrap().unwrap(), IngestOutcome::Stored(_)));
    }
    // All in the log once acknowledged; on the timeline once the projection settles.
    assert_eq!(store.counts(ts(0)).unwrap().deliveries_total, 300);
    store.settle().await.unwrap();
    let counts = store.counts(ts(0)).unwrap();
    assert_eq!(counts.deliveries_total, 300);
    assert_eq!(counts.calls, 50);
}

#[tokio::test]
async fn an_event_older_than_one_already_seen_is_late_and_does_not_undo_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .ingest(event("call.completed", "d3", "c1", 90_000, json!({"durationSec": 84, "endedReason": "completed"})))
        .await
        .unwrap();
    let IngestOutcome::Stored(started) =
        store.ingest(event("call.started", "d1", "c1", 0, json!({"agentId": "a"}))).await.unwrap()
    else {
        panic!()
    };
    assert!(started.late);
    let call = store.call("c1").unwrap().unwrap();
    assert_eq!(call.record.phase, Some(CallPhase::Completed));
    assert_eq!(call.record.agent_id.as_deref(), Some("a"));
    assert_eq!(call.first_occurred_at, ts(0));
    assert_eq!(call.late_count, 1);
    // Timeline order is occurredAt, not arrival.
    let events = store.events_page(&EventFilter::default(), &PageRequest::first(Order::OldestFirst, 10)).unwrap();
    let names: Vec<_> = events.items.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["call.started", "call.completed"]);
    assert_eq!(events.items.iter().map(|e| e.late).collect::<Vec<_>>(), [true, false]);
}

#[tokio::test]
async fn hidden_and_unknown_events_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut hidden = event("recording.ready", "d1", "c1", 10, json!({"recordingId": "rec"}));
    hidden.hidden = true;
    store.ingest(hidden).await.unwrap();
    store.ingest(event("call.transferred", "d2", "c1", 20, json!({"to": "+1"}))).await.unwrap();
    let visible = store.events_page(&EventFilter::default(), &PageRequest::first(Order::OldestFirst, 10)).unwrap();
    assert_eq!(visible.items.len(), 1);
    assert_eq!(visible.items[0].event, "call.transferred");
    assert!(!visible.items[0].known);
    let all = EventFilter { include_hidden: true, ..Default::default() };
    let everything = store.events_page(&all, &PageRequest::first(Order::OldestFirst, 10)).unwrap();
    assert_eq!(everything.items.len(), 2);
    assert!(everything.items[0].hidden);
    // The hidden event was not folded into the call.
    assert_eq!(store.call("c1").unwrap().unwrap().record.recording_id, None);
}

async fn fill_calls(store: &Store, n: i64) {
    for i in 0..n {
        let (name, reason) = if i % 3 == 0 { ("call.failed", "busy") } else { ("call.completed", "completed") };
        let call = format!("c{i:03}");
        let meta = json!({"metadata": {"orderId": format!("A-{i}"), "note": if i == 7 { "50%_off" } else { "plain" }},
                          "agentId": if i % 2 == 0 { "ag_even" } else { "ag_odd" },
                          "direction": "inbound", "language": "tr"});
        store.ingest(event("call.started", &format!("s{i}"), &call, i * 1000, meta)).await.unwrap();
        store
            .ingest(event(name, &format!("e{i}"), &call, i * 1000 + 500, json!({"endedReason": reason})))
            .await
            .unwrap();
    }
}

/// Every page of calls in `order`, `limit` at a time, following `next`: the ids in the order
/// read, and the pages.
fn walk_pages(store: &Store, order: Order, limit: u32) -> (Vec<String>, Vec<Page<CallRow, CallCursor>>) {
    let (mut seen, mut pages) = (Vec::new(), Vec::new());
    let mut request = PageRequest::first(order, limit);
    loop {
        let page = store.calls_page(&CallFilter::default(), &request).unwrap();
        seen.extend(page.items.iter().map(|c| c.record.call_id.clone()));
        pages.push(page.clone());
        match page.next {
            Some(next) => request.after = Some(next),
            None => return (seen, pages),
        }
    }
}

#[tokio::test]
async fn call_pages_walk_both_ways_in_both_orders() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    fill_calls(&store, 25).await;
    for order in [Order::NewestFirst, Order::OldestFirst] {
        let (seen, pages) = walk_pages(&store, order, 10);
        let mut expected: Vec<String> = (0..25).map(|i| format!("c{i:03}")).collect();
        if order == Order::NewestFirst {
            expected.reverse();
        }
        assert_eq!(seen, expected);
        assert_eq!(pages.len(), 3);
        // Walk back from the last page with `before`.
        let back = PageRequest { order, after: None, before: pages[2].prev.clone(), limit: 10 };
        let previous = store.calls_page(&CallFilter::default(), &back).unwrap();
        assert_eq!(previous.items, pages[1].items);
        assert!(previous.prev.is_some());
        assert!(previous.next.is_some());
    }
}

/// Calls that share their `occurredAt` in fours, so that pages of 10 end inside a group:
/// the ties are broken by call id, the same way in both directions and on both sides of a
/// page's edge (a page that broke them otherwise would skip or repeat a call).
#[tokio::test]
async fn ties_on_occurred_at_across_page_edges_go_by_call_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // Ids out of step with the times' order, so that neither arrival nor id order alone is right.
    let ids =
        ["q", "c", "x", "a", "m", "z", "b", "k", "d", "y", "e", "p", "f", "w", "g", "n", "h", "v", "i", "o", "j", "u"];
    for (i, id) in ids.iter().enumerate() {
        let at = (i as i64 / 4) * 1000;
        store.ingest(event("call.started", &format!("s-{id}"), id, at, json!({}))).await.unwrap();
    }
    let mut oldest: Vec<(i64, &str)> = ids.iter().enumerate().map(|(i, id)| ((i as i64 / 4) * 1000, *id)).collect();
    oldest.sort();
    let oldest: Vec<String> = oldest.into_iter().map(|(_, id)| id.to_string()).collect();
    for order in [Order::NewestFirst, Order::OldestFirst] {
        let mut expected = oldest.clone();
        if order == Order::NewestFirst {
            expected.reverse();
        }
        let (seen, pages) = walk_pages(&store, order, 10);
        assert_eq!(seen, expected, "{order:?}");
        assert_eq!(pages.len(), 3);
        // And back: the page before the last one, read from the last one's start.
        let back = PageRequest { order, after: None, before: pages[2].prev.clone(), limit: 10 };
        let previous = store.calls_page(&CallFilter::default(), &back).unwrap();
        let got: Vec<String> = previous.items.iter().map(|c| c.record.call_id.clone()).collect();
        assert_eq!(got, expected[10..20].to_vec(), "{order:?} backwards");
    }
}

#[tokio::test]
async fn filters_and_search_narrow_the_calls() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    fill_calls(&store, 30).await;
    let count = |filter: CallFilter| {
        store.calls_page(&filter, &PageRequest::first(Order::NewestFirst, 1000)).unwrap().items.len()
    };
    assert_eq!(count(CallFilter::default()), 30);
    assert_eq!(count(CallFilter { phases: vec![CallPhase::Failed], ..Default::default() }), 10);
    assert_eq!(count(CallFilter { ended_reasons: vec!["busy".into()], ..Default::default() }), 10);
    assert_eq!(count(CallFilter { agents: vec!["ag_even".into()], ..Default::default() }), 15);
    assert_eq!(count(CallFilter { directions: vec!["outbound".into()], ..Default::default() }), 0);
    assert_eq!(count(CallFilter { languages: vec!["tr".into()], ..Default::default() }), 30);
    let range = TimeRange { from: Some(ts(10_000)), to: Some(ts(20_000)) };
    assert_eq!(count(CallFilter { range, ..Default::default() }), 10);
    assert_eq!(count(CallFilter { text: Some("A-17".into()), ..Default::default() }), 1);
    assert_eq!(count(CallFilter { text: Some("c02".into()), ..Default::default() }), 10);
    // LIKE wildcards in the search text are literal.
    assert_eq!(count(CallFilter { text: Some("50%_".into()), ..Default::default() }), 1);
    assert_eq!(count(CallFilter { text: Some("%".into()), ..Default::default() }), 1);
    let both = CallFilter { phases: vec![CallPhase::Failed], agents: vec!["ag_even".into()], ..Default::default() };
    assert_eq!(count(both), 5);
    let facets = store.facets().unwrap();
    assert_eq!(facets.agents, ["ag_even", "ag_odd"]);
    assert_eq!(facets.ended_reasons, ["busy", "completed"]);
    assert_eq!(facets.languages, ["tr"]);
    assert_eq!(facets.directions, ["inbound"]);
    let events = EventFilter { events: vec!["call.failed".into()], ..Default::default() };
    assert_eq!(store.events_page(&events, &PageRequest::first(Order::NewestFirst, 1000)).unwrap().items.len(), 10);
}

#[tokio::test]
async fn call_detail_has_every_event_with_its_raw_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    fill_calls(&store, 2).await;
    let detail = store.call_detail("c001").unwrap().unwrap();
    assert_eq!(detail.events.len(), 2);
    assert_eq!(detail.events[0].event.event, "call.started");
    let body: Value = serde_json::from_str(&detail.events[0].body).unwrap();
    assert_eq!(body["data"]["metadata"]["orderId"], "A-1");
    assert_eq!(detail.events[0].headers, vec![("content-type".to_string(), "application/json".to_string())]);
    assert!(store.call_detail("nope").unwrap().is_none());
}

#[tokio::test]
async fn quarantine_security_log_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    fill_calls(&store, 3).await;
    store.ingest(event("call.started", "s0", "c000", 0, json!({}))).await.unwrap();
    store
        .quarantine(QuarantineItem {
            received_at: Timestamp::now(),
            peer: None,
            headers: vec![],
            body: b"not json".to_vec(),
            reason: "not_json".into(),
        })
        .await
        .unwrap();
    store
        .log_security(
            SecurityEntry { at: Timestamp::now(), peer: Some("10.0.0.9:1".into()), reason: "wrong token".into() }
                .into(),
        )
        .await
        .unwrap();
    let counts = store.counts(ts(0)).unwrap();
    assert_eq!(counts.deliveries_total, 6);
    assert_eq!(counts.repeats, 1);
    assert_eq!(counts.calls, 3);
    assert_eq!(counts.calls_failed, 1);
    assert_eq!(counts.calls_completed, 2);
    assert_eq!(counts.quarantined, 1);
    assert_eq!(counts.rejected, 1);
    assert!(counts.last_delivery_at.is_some());
    assert_eq!(store.quarantine_page(None, 10).unwrap()[0].body, "not json");
    assert_eq!(store.security_page(None, 10).unwrap()[0].entry.reason, "wrong token");
}

#[tokio::test]
async fn export_in_both_formats_ordered_by_occurred_at() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // Arrival order differs from occurredAt order.
    store.ingest(event("call.completed", "d2", "cB", 2_000, json!({}))).await.unwrap();
    store
        .ingest(event("call.started", "d1", "cA", 1_000, json!({"agentId": "ag,1", "metadata": {"k": "v"}})))
        .await
        .unwrap();
    let mut out = Vec::new();
    let n = store.export(ExportWhat::Calls, ExportFormat::Ndjson, TimeRange::default(), &mut out).unwrap();
    assert_eq!(n, 2);
    let lines: Vec<Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        lines[0],
        json!({"callId": "cA", "agentId": "ag,1", "phase": "started", "startedAt": ts(1_000).to_string(), "metadata": {"k": "v"}})
    );
    assert_eq!(lines[1]["phase"], "completed");
    assert!(lines[1].get("agentId").is_none(), "absent fields stay absent");

    let mut out = Vec::new();
    store.export(ExportWhat::Calls, ExportFormat::Csv, TimeRange::default(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "callId,agentId,agentName,direction,phase,startedAt,connectedAt,endedAt,durationSec,endedReason,language,metadata,recordingId,transcriptId");
    assert!(lines.next().unwrap().starts_with("cA,\"ag,1\",,,started,"));

    // With the agent named and a dimension chosen: agentName beside agentId in both
    // formats, the dimension a column of the CSV.
    let named = calleague_store::AgentName::named("ag,1", "=Sales");
    store.put_agents(vec![named], 1).await.unwrap();
    store.set_dimensions(vec!["k".into()]).await.unwrap();
    let mut out = Vec::new();
    store.export(ExportWhat::Calls, ExportFormat::Ndjson, TimeRange::default(), &mut out).unwrap();
    let first: Value = serde_json::from_str(String::from_utf8(out).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!((first["agentName"].as_str(), first.get("metadata.k")), (Some("=Sales"), None));
    let mut out = Vec::new();
    store.export(ExportWhat::Calls, ExportFormat::Csv, TimeRange::default(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(
        rows[0].starts_with("callId,agentId,agentName,direction,") && rows[0].ends_with(",transcriptId,metadata.k")
    );
    assert!(rows[1].starts_with("cA,\"ag,1\",'=Sales,,started,"), "named, made inert: {}", rows[1]);
    assert!(rows[1].ends_with(",v") && rows[2].ends_with(","), "{text}");

    let mut out = Vec::new();
    let range = TimeRange { from: Some(ts(1_500)), to: None };
    store.export(ExportWhat::Events, ExportFormat::Ndjson, range, &mut out).unwrap();
    let only: Value = serde_json::from_slice(out.strip_suffix(b"\n").unwrap()).unwrap();
    assert_eq!(only["deliveryId"], "d2");
    assert_eq!(only["attempts"], 1);
    assert_eq!(only["late"], false);
    assert!(only.get("receivedAt").is_some());
}

#[tokio::test]
async fn data_survives_reopening_and_read_only_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    {
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        store.ingest(event("call.started", "d1", "c1", 0, json!({}))).await.unwrap();
        store.close();
    }
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    assert_eq!(store.counts(ts(0)).unwrap().deliveries_total, 1);
    let ro = Store::open_read_only(&path).unwrap();
    assert_eq!(ro.counts(ts(0)).unwrap().calls, 1);
    assert!(matches!(ro.ingest(event("call.started", "d2", "c2", 0, json!({}))).await, Err(StoreError::WriterStopped)));
    assert!(matches!(Store::open_read_only(dir.path().join("missing.db")), Err(StoreError::Open { .. })));
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(Store::open(&path, StoreOptions::default()), Err(StoreError::TooNew { found: 99, .. })));
}

#[tokio::test]
async fn a_locked_database_reports_unavailable_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let options = StoreOptions { busy_timeout: Duration::from_millis(100), ..Default::default() };
    let store = Store::open(&path, options).unwrap();
    let locker = rusqlite::Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let err = store.ingest(event("call.started", "d1", "c1", 0, json!({}))).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    locker.execute_batch("COMMIT").unwrap();
    assert!(matches!(
        store.ingest(event("call.started", "d1", "c1", 0, json!({}))).await.unwrap(),
        IngestOutcome::Stored(_)
    ));
    assert_eq!(store.counts(ts(0)).unwrap().deliveries_total, 1);
}

#[tokio::test]
async fn the_feed_announces_each_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut feed = store.subscribe();
    store.ingest(event("call.started", "d1", "c1", 0, json!({"agentId": "a"}))).await.unwrap();
    store.ingest(event("call.started", "d1", "c1", 0, json!({}))).await.unwrap();
    match feed.recv().await.unwrap() {
        FeedItem::Event { event, call } => {
            assert_eq!(event.delivery_id.as_deref(), Some("d1"));
            assert_eq!(call.unwrap().record.agent_id.as_deref(), Some("a"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(feed.recv().await.unwrap(), FeedItem::Repeat { attempts: 2, .. }));
}

#[tokio::test]
async fn downtime_windows_come_from_gaps_between_runs_and_are_caught_up_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = store.start_uptime(ts(0)).await.unwrap();
    store.heartbeat(first, ts(5_000)).await.unwrap();
    store.heartbeat(first, ts(4_000)).await.unwrap(); // an old beat never moves it back
                                                      // A short gap (a restart) is not downtime.
    let second = store.start_uptime(ts(6_000)).await.unwrap();
    store.heartbeat(second, ts(10_000)).await.unwrap();
    let third = store.start_uptime(ts(70_000)).await.unwrap();
    assert_ne!(second, third);
    let windows = store.downtime_windows(15_000).unwrap();
    assert_eq!(windows, vec![TimeRange { from: Some(ts(10_000)), to: Some(ts(70_000)) }]);
    store.record_catchup(windows[0], 3).await.unwrap();
    assert!(store.downtime_windows(15_000).unwrap().is_empty());
}

#[tokio::test]
async fn a_caught_up_event_adds_nothing_when_a_webhook_brought_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.ingest(event("call.started", "d1", "c1", 0, json!({"agentId": "a"}))).await.unwrap();
    let mut caught = event("call.started", "x", "c1", 0, json!({"agentId": "a"}));
    caught.parsed.delivery_id = None;
    caught.source = Source::Catchup;
    assert_eq!(store.ingest(caught.clone()).await.unwrap(), IngestOutcome::AlreadyKnown);
    let mut ended = event("call.completed", "x", "c1", 9_000, json!({"endedReason": "completed"}));
    ended.parsed.delivery_id = None;
    ended.source = Source::Catchup;
    assert!(matches!(store.ingest(ended.clone()).await.unwrap(), IngestOutcome::Stored(_)));
    assert_eq!(store.ingest(ended).await.unwrap(), IngestOutcome::AlreadyKnown);
    let call = store.call("c1").unwrap().unwrap();
    assert!(call.caught_up);
    assert_eq!(call.event_count, 2);
    assert_eq!(call.record.phase, Some(CallPhase::Completed));
}

#[tokio::test]
async fn csv_cells_that_start_like_a_formula_are_written_inert() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let hostile = ["=HYPERLINK(\"http://x.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"];
    for (i, text) in hostile.iter().enumerate() {
        let data = json!({"agentId": text, "endedReason": "busy", "metadata": {"note": text}});
        store.ingest(event("call.failed", &format!("d{i}"), &format!("c{i}"), 1_000 + i as i64, data)).await.unwrap();
    }
    let mut out = Vec::new();
    store.export(ExportWhat::Calls, ExportFormat::Csv, TimeRange::default(), &mut out).unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(out.as_slice());
    let agent = reader.headers().unwrap().iter().position(|h| h == "agentId").unwrap();
    let agents: Vec<String> = reader.records().map(|r| r.unwrap()[agent].to_owned()).collect();
    assert_eq!(agents.len(), hostile.len());
    // The parser trims whitespace around ids, so "\tTAB" is stored as "TAB": compare with
    // what the store holds, as NDJSON gives it.
    let mut json = Vec::new();
    store.export(ExportWhat::Calls, ExportFormat::Ndjson, TimeRange::default(), &mut json).unwrap();
    let stored: Vec<String> = String::from_utf8(json)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["agentId"].as_str().unwrap().to_owned())
        .collect();
    let mut quoted = 0;
    for (cell, value) in agents.iter().zip(&stored) {
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            assert_eq!(cell, &format!("'{value}"), "a cell that starts like a formula gets a leading quote");
            quoted += 1;
        } else {
            assert_eq!(cell, value);
        }
    }
    assert_eq!(quoted, 4, "=, +, - and @ were quoted: {agents:?}");
    // NDJSON keeps the values exactly: it is not for spreadsheets.
    let mut out = Vec::new();
    store.export(ExportWhat::Calls, ExportFormat::Ndjson, TimeRange::default(), &mut out).unwrap();
    let first: Value = serde_json::from_str(String::from_utf8(out).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["agentId"], hostile[0]);
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_and_a_folder_it_creates_are_the_owner_s_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data/monitor");
    let db = folder.join("monitor.db");
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    store.ingest(event("call.started", "d1", "c1", 1_000, json!({}))).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700);
    for file in ["monitor.db", "monitor.db-wal", "monitor.db-shm"] {
        assert_eq!(mode(&folder.join(file)), 0o600, "{file}");
    }
    // An existing database with the default mode is restricted when opened again.
    store.close();
    drop(store);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _again = Store::open(&db, StoreOptions::default()).unwrap();
    assert_eq!(mode(&db), 0o600);
    // A folder that was already there is left as it was: it may be shared, like /tmp.
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _elsewhere = Store::open(shared.join("m.db"), StoreOptions::default()).unwrap();
    assert_eq!(mode(&shared), 0o755);
}

#[tokio::test]
async fn repeated_rejections_count_on_one_row_and_the_log_keeps_only_the_newest_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let reject = |peer: &str, reason: &str, ms: i64| -> calleague_store::RejectionTally {
        SecurityEntry { at: ts(ms), peer: Some(peer.to_owned()), reason: reason.to_owned() }.into()
    };
    // Same address (other ports), reason and minute: one row. Another minute, reason or
    // address: rows of their own.
    for i in 0..50 {
        store.log_security(reject(&format!("203.0.113.9:{}", 40_000 + i), "wrong token", 1_000 + i)).await.unwrap();
    }
    store.log_security(reject("203.0.113.9:1", "wrong token", 61_000)).await.unwrap();
    store.log_security(reject("203.0.113.9:1", "missing Authorization header", 2_000)).await.unwrap();
    store.log_security(reject("198.51.100.7:1", "wrong token", 2_000)).await.unwrap();
    let rows = store.security_page(None, 100).unwrap();
    let counts: Vec<i64> = rows.iter().rev().map(|r| r.count).collect();
    assert_eq!(counts, [50, 1, 1, 1]);
    assert_eq!(rows.last().unwrap().last_at, ts(1_049));
    assert_eq!(store.counts(ts(0)).unwrap().rejected, 53, "the total still says how many arrived");
    // A tally gathered in memory adds its count to the row, and moves its last moment.
    let gathered = calleague_store::RejectionTally {
        count: 700,
        last: ts(59_000),
        ..reject("203.0.113.9:7", "wrong token", 3_000)
    };
    store.log_security(gathered).await.unwrap();
    let rows = store.security_page(None, 100).unwrap();
    let row = rows.iter().find(|r| r.entry.reason == "wrong token" && r.count > 1).unwrap();
    assert_eq!((row.count, row.last_at), (750, ts(59_000)));
    assert_eq!(store.counts(ts(0)).unwrap().rejected, 753);

    // Beyond the cap, the oldest rows go first.
    for i in 0..10_010 {
        store.log_security(reject("192.0.2.1:1", &format!("reason {i}"), 120_000)).await.unwrap();
    }
    let mut all = Vec::new();
    loop {
        let page = store.security_page(all.last().map(|r: &calleague_store::SecurityRow| r.id), 1000).unwrap();
        if page.is_empty() {
            break;
        }
        all.extend(page);
    }
    assert_eq!(all.len(), 10_000);
    assert_eq!(all[0].entry.reason, "reason 10009");
    assert_eq!(all.last().unwrap().entry.reason, "reason 10");
    assert!(all.iter().all(|r| r.entry.peer.as_deref() == Some("192.0.2.1:1")), "the first rows were removed");
}

#[test]
fn the_writer_runs_with_wal_and_synchronous_full() {
    // Read back from the writer's own connection: weakening either fails here.
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.durability().journal_mode, "wal");
    assert_eq!(store.durability().synchronous, 2, "synchronous=FULL");
}

#[tokio::test]
async fn a_caught_up_step_whose_webhook_arrives_later_shows_once_with_both_sources() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // Catch-up merged the call's start and end (no deliveryId, source catchup)...
    for (name, at) in [("call.started", 1_000), ("call.completed", 9_000)] {
        let mut caught = delivery(json!({"event": name, "occurredAt": ts(at).to_string(), "data": {"callId": "cX"}}));
        caught.source = Source::Catchup;
        store.ingest(caught).await.unwrap();
    }
    // ...then the end's webhook arrives after all (Calleague's retry got through), and a
    // repeat of it; and a recording nobody had yet.
    let webhook = event("call.completed", "dl_end", "cX", 9_000, json!({"endedReason": "customer-ended-call"}));
    assert!(matches!(store.ingest(webhook.clone()).await.unwrap(), IngestOutcome::Stored(_)));
    assert!(matches!(store.ingest(webhook).await.unwrap(), IngestOutcome::Duplicate { attempts: 2, .. }));
    store.ingest(event("recording.ready", "dl_rec", "cX", 9_500, json!({"recordingId": "rec_1"}))).await.unwrap();

    let detail = store.call_detail("cX").unwrap().unwrap();
    let steps: Vec<(&str, Source, bool)> =
        detail.events.iter().map(|e| (e.event.event.as_str(), e.event.source, e.event.confirmed_by_webhook)).collect();
    assert_eq!(
        steps,
        [
            ("call.started", Source::Catchup, false),
            ("call.completed", Source::Catchup, true),
            ("recording.ready", Source::Webhook, false),
        ]
    );
    // The confirmed step shows the webhook's own request, and its data reached the call.
    assert!(detail.events[1].body.contains("dl_end"), "{}", detail.events[1].body);
    assert_eq!(detail.call.record.ended_reason.as_deref(), Some("customer-ended-call"));
    // Every delivery is still kept; the timeline of events has one step each.
    assert_eq!(store.counts(ts(0)).unwrap().deliveries_total, 4);
    let mut out = Vec::new();
    store.export(ExportWhat::Events, ExportFormat::Ndjson, TimeRange::default(), &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 3);
}

#[tokio::test]
async fn a_call_s_failure_is_claimed_once_even_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let calls = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let first = store.claim_alerts(calls(&["c1", "c2", "c1"]), AlertHow::Notified).await.unwrap();
    assert_eq!(first, calls(&["c1", "c2"]), "each call once, in the order given");
    let again = store.claim_alerts(calls(&["c2", "c3"]), AlertHow::CatchUp).await.unwrap();
    assert_eq!(again, calls(&["c3"]));
    assert!(store.claim_alerts(Vec::new(), AlertHow::Notified).await.unwrap().is_empty());
    store.close();
    drop(store);

    let store = open(&dir);
    assert!(store.claim_alerts(calls(&["c1", "c3"]), AlertHow::Notified).await.unwrap().is_empty());
    assert_eq!(store.alert_claimed("c2").unwrap().as_deref(), Some("notified"), "the first claim's way stays");
    assert_eq!(store.alert_claimed("c3").unwrap().as_deref(), Some("catchup"));
    assert_eq!(store.alert_claimed("c4").unwrap(), None);
}

#[tokio::test]
async fn calls_that_failed_before_the_upgrade_are_never_notified_late() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.ingest(event("call.failed", "dl_f", "failed_before", 0, json!({"endedReason": "busy"}))).await.unwrap();
    store.ingest(event("call.completed", "dl_c", "completed_before", 0, json!({}))).await.unwrap();
    store.close();
    drop(store);
    // The database as version 6 left it: no table of alerted calls yet.
    let conn = rusqlite::Connection::open(dir.path().join("monitor.db")).unwrap();
    conn.execute_batch(
        "DROP TABLE alerted_calls; DROP INDEX events_confirmed_by; DROP TABLE projection;
         ALTER TABLE deliveries DROP COLUMN hidden; DROP TABLE overview_calls; DROP TABLE overview_spread;
         DROP TABLE overview_deliveries; DROP TABLE overview_built; DROP INDEX quarantine_received; DROP TABLE inbox;
         DROP TABLE readiness; DROP TABLE forward_targets; DROP TABLE forward_retries; DROP TABLE forward_attempts;
         DROP TABLE alert_firings; DROP TABLE alert_notices; DROP TABLE overview_dimensions;
         DROP TABLE tracked_dimensions; DROP TABLE agents; DROP TABLE agent_rounds; DROP TABLE agent_spread; DROP TABLE agent_calls;
         DROP TABLE agent_dimensions; DROP TABLE in_progress_edges;
         PRAGMA user_version = 6;",
    )
    .unwrap();
    drop(conn);

    let store = open(&dir);
    assert_eq!(store.alert_claimed("failed_before").unwrap().as_deref(), Some("before"));
    assert_eq!(store.alert_claimed("completed_before").unwrap(), None);
    let claimed = store.claim_alerts(vec!["failed_before".into(), "new".into()], AlertHow::Notified).await.unwrap();
    assert_eq!(claimed, vec!["new".to_string()]);
}

#[tokio::test]
async fn a_watcher_that_fell_behind_reads_the_unclaimed_events_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let before = Timestamp::now();
    store.ingest(event("call.started", "dl_1", "c1", 0, json!({"agentId": "a"}))).await.unwrap();
    store.ingest(event("call.failed", "dl_2", "c1", 5, json!({"endedReason": "busy"}))).await.unwrap();
    store.ingest(event("call.failed", "dl_3", "c2", 5, json!({}))).await.unwrap();
    store.claim_alerts(vec!["c2".into()], AlertHow::Notified).await.unwrap();
    let items = store.unclaimed_since(before, 100).unwrap();
    let events: Vec<(String, String)> = items
        .iter()
        .map(|item| match item {
            FeedItem::Event { event, call: Some(call) } => (event.event.clone(), call.record.call_id.clone()),
            other => panic!("expected an event with its call, got {other:?}"),
        })
        .collect();
    assert_eq!(events, vec![("call.started".into(), "c1".into()), ("call.failed".into(), "c1".into())]);
    let FeedItem::Event { call: Some(call), .. } = &items[0] else { unreachable!() };
    assert_eq!(call.record.phase, Some(CallPhase::Failed), "each event comes with its call as it is now");
    assert_eq!(store.unclaimed_since(before, 1).unwrap().len(), 1);
    assert!(store.unclaimed_since(Timestamp::now(), 100).unwrap().is_empty());
}

#[tokio::test]
async fn agents_are_named_replaced_never_dropped_and_unnamed_ids_found_by_seeking() {
    use calleague_store::{AgentName, AgentRound};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for (i, agent) in ["ag_b", "ag_a", "ag_c", "ag_a", ""].iter().enumerate() {
        let data = if agent.is_empty() { json!({}) } else { json!({"agentId": agent}) };
        store.ingest(event("call.started", &format!("dl_{i}"), &format!("c{i}"), i as i64, data)).await.unwrap();
    }
    assert_eq!(store.unnamed_agent_ids(10).unwrap(), ["ag_a", "ag_b", "ag_c"]);
    assert_eq!(store.unnamed_agent_ids(2).unwrap(), ["ag_a", "ag_b"]);

    let named = |id: &str, name: &str| AgentName {
        agent_id: id.into(),
        name: Some(name.into()),
        language: Some("en".into()),
        known: true,
    };
    store.put_agents(vec![named("ag_a", "Sales"), AgentName::unknown("ag_c")], 1_000).await.unwrap();
    assert_eq!(store.unnamed_agent_ids(10).unwrap(), ["ag_b"], "an id the API does not know is not asked again");
    // A later listing renames one and leaves the others as they were.
    store.put_agents(vec![named("ag_a", "Sales desk"), named("ag_b", "Support")], 2_000).await.unwrap();
    let agents = store.agents().unwrap();
    assert_eq!(agents, vec![named("ag_a", "Sales desk"), named("ag_b", "Support"), AgentName::unknown("ag_c")]);
    assert!(store.unnamed_agent_ids(10).unwrap().is_empty());

    // A round is claimed once per period, whoever asks; the kinds apart.
    assert!(store.claim_agent_round(AgentRound::Listing, 10_000, 3_600_000).await.unwrap());
    assert!(!store.claim_agent_round(AgentRound::Listing, 20_000, 3_600_000).await.unwrap());
    assert!(store.claim_agent_round(AgentRound::LookUp, 20_000, 60_000).await.unwrap());
    assert!(store.claim_agent_round(AgentRound::Listing, 3_610_000, 3_600_000).await.unwrap());
    store.close();
    drop(store);
    let store = open(&dir);
    assert_eq!(store.agents().unwrap().len(), 3, "kept across a restart");
    assert!(!store.claim_agent_round(AgentRound::LookUp, 30_000, 60_000).await.unwrap());
}
