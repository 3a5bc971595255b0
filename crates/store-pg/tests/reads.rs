//! One set of tests for what a window reads, run against both stores: SQLite (a real file)
//! and PostgreSQL (a real server, Debian's, started for the test). Each backend is fed the
//! same planned deliveries through `DeliverySink` and read through `TimelineReader`, and
//! every answer is checked against the plan (not against the other store); then the two
//! are compared whole where ids play no part (overview, Agents page, counts, facets).
//!
//! The plan covers what the reads distinguish: calls in every phase, several agents,
//! directions, languages and ended reasons, metadata with mixed case and LIKE's wildcard
//! characters, repeats, a late event, a caught-up step, a hidden event, quarantined bodies,
//! refused requests, and a downtime that was caught up.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use calleague_events::{parse_delivery, CallPhase, Timestamp};
use calleague_store::{
    AgentsPage, Breakdown, CallCursor, CallDetail, CallFilter, CallRow, DeliverySink, IncomingDelivery, IngestOutcome,
    MetadataMatch, Order, Overview, Page, PageRequest, QuarantineItem, SecurityEntry, Source, Store, StoreOptions,
    TimeRange, TimelineReader, UptimeLog,
};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::{rfc3339_millis, TestPostgres};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
/// The plan's first call starts here (a whole hour, so the hour bars are predictable).
const T: i64 = 1_795_000_000_000 - 1_795_000_000_000 % HOUR;
const CALLS: usize = 120;
/// The longest a call lasts for the overview's calls in progress: calls not ended go stale
/// inside the range.
const LONGEST_CALL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// One planned call: what its events say, so the tests know each answer.
#[derive(Debug, Clone)]
struct PlannedCall {
    id: String,
    sort_ms: i64,
    phase: CallPhase,
    agent: String,
    direction: &'static str,
    reason: Option<&'static str>,
    language: &'static str,
    duration_sec: Option<f64>,
    wait_ms: Option<i64>,
    /// When it ended (its last event's occurredAt), once ended.
    end_ms: Option<i64>,
    metadata: String,
}

struct Delivery {
    body: Vec<u8>,
    received_ms: i64,
    hidden: bool,
    source: Source,
}

/// The deliveries, in the order they are sent, and the calls they make.
struct Plan {
    calls: Vec<PlannedCall>,
    sends: Vec<Delivery>,
}

fn plan() -> Plan {
    let mut calls = Vec::new();
    let mut events: Vec<(String, Vec<u8>, bool, Source)> = Vec::new();
    for i in 0..CALLS {
        let id = format!("call_{i:04}");
        let start = T + i as i64 * 37_000;
        let kind = i % 5;
        let phase = match kind {
            0 => CallPhase::Failed,
            1 | 2 => CallPhase::Completed,
            3 => CallPhase::Connected,
            _ => CallPhase::Started,
        };
        let reason = match kind {
            0 if i % 2 == 0 => Some("no-answer"),
            0 => Some("busy"),
            1 | 2 => Some("customer-ended-call"),
            _ => None,
        };
        let agent = format!("ag_{}", i % 4);
        let direction = if i % 3 == 0 { "outbound" } else { "inbound" };
        let language = ["en", "de", "fr"][i / 2 % 3];
        let note = if i == 7 { "100% done_ok" } else { "Gold Tier" };
        let metadata = format!(r#"{{"orderId":"ORD-{i:04}","note":"{note}","tier":{},"vip":{}}}"#, i % 3, i % 4 == 0);
        let wait = 1_500 + (i as i64 % 4) * 1_000;
        let duration = 30.0 + i as f64;
        let body = |event: &str, step: usize, at: i64, last: bool| {
            let ended =
                if last { reason.map(|r| format!(r#","endedReason":"{r}","durationSec":{duration}"#)) } else { None };
            format!(
                r#"{{"event":"{event}","deliveryId":"dl_{i}_{step}","occurredAt":"{at}","data":{{"callId":"{id}","agentId":"{agent}","direction":"{direction}","language":"{language}"{ended},"metadata":{metadata}}}}}"#,
                at = rfc3339_millis(at),
                ended = ended.unwrap_or_default(),
            )
            .into_bytes()
        };
        let mut steps = vec![("call.started", start)];
        if kind != 4 {
            steps.push(("call.connected", start + wait));
        }
        if kind <= 2 {
            steps.push((if kind == 0 { "call.failed" } else { "call.completed" }, start + 60_000 + i as i64 * 1_000));
        }
        let last = steps.len() - 1;
        let mut call_events: Vec<(String, Vec<u8>, bool, Source)> = steps
            .iter()
            .enumerate()
            .map(|(step, (event, at))| {
                (id.clone(), body(event, step, *at, step == last && kind <= 2), false, Source::Webhook)
            })
            .collect();
        if i == 10 {
            // call.started arrives after call.connected: late.
            call_events.swap(0, 1);
        }
        if i == 11 {
            // The connected step came from catch-up, the started one from the REST source
            // while running; neither from a webhook.
            call_events[1].3 = Source::Catchup;
            call_events[0].3 = Source::Rest;
        }
        if i == 12 {
            // An event outside the subscriptions: kept and shown in details, not folded.
            call_events.push((id.clone(), body("agent.escalated", 9, start + 5_000, false), true, Source::Webhook));
        }
        events.extend(call_events);
        calls.push(PlannedCall {
            id,
            sort_ms: start,
            phase,
            agent,
            direction,
            reason,
            language,
            duration_sec: (kind <= 2).then_some(duration),
            wait_ms: (kind != 4).then_some(wait),
            end_ms: (kind <= 2).then_some(start + 60_000 + i as i64 * 1_000),
            metadata,
        });
    }
    // Every ninth webhook delivery is sent twice (a step read from REST is never sent);
    // receipts 5 s apart from T on.
    let mut sends = Vec::new();
    for (n, (_, body, hidden, source)) in events.into_iter().enumerate() {
        let copies = if n % 9 == 0 && source == Source::Webhook { 2 } else { 1 };
        for _ in 0..copies {
            sends.push(Delivery { body: body.clone(), received_ms: T + sends.len() as i64 * 5_000, hidden, source });
        }
    }
    Plan { calls, sends }
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap()
}

/// The refused requests: two from one address for one reason in one minute (one row).
fn refusals() -> Vec<SecurityEntry> {
    let entry = |ms: i64, peer: &str, reason: &str| SecurityEntry {
        at: at(ms),
        peer: Some(peer.into()),
        reason: reason.into(),
    };
    vec![
        entry(T + MINUTE, "10.0.0.1:5000", "bad signature"),
        entry(T + MINUTE + 10_000, "10.0.0.1:5001", "bad signature"),
        entry(T + 2 * MINUTE, "10.0.0.2:5000", "bad signature"),
        entry(T + 3 * MINUTE, "10.0.0.1:5000", "missing token"),
        entry(T + 20 * MINUTE, "10.0.0.3:5000", "too large"),
    ]
}

/// One store under test: written through the sink, read through the reader.
struct Backend {
    name: &'static str,
    reader: Arc<dyn TimelineReader>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

async fn feed(sink: &dyn DeliverySink, uptime: &dyn UptimeLog, plan: &Plan) {
    // The receiver ran, stopped for eight minutes (caught up: 3 calls), and ran again.
    let first = uptime.start_uptime(at(T - 20 * MINUTE), std::time::Duration::from_secs(10)).await.unwrap();
    uptime.end_uptime(first, at(T - 10 * MINUTE)).await.unwrap();
    let window = TimeRange { from: Some(at(T - 10 * MINUTE)), to: Some(at(T - 2 * MINUTE)) };
    uptime.record_catchup(window, 3).await.unwrap();
    let second = uptime.start_uptime(at(T - 2 * MINUTE), std::time::Duration::from_secs(10)).await.unwrap();
    uptime.end_uptime(second, at(T + 200 * MINUTE)).await.unwrap();

    // What each send is answered: stored the first time, a repeat after (its attempts counted).
    let mut sent: std::collections::HashMap<Option<String>, i64> = Default::default();
    for send in &plan.sends {
        let item = IncomingDelivery {
            received_at: at(send.received_ms),
            peer: Some("192.0.2.7:443".into()),
            headers: vec![("content-type".into(), "application/json".into()), ("x-test".into(), "reads".into())],
            body: send.body.clone(),
            parsed: parse_delivery(&send.body).unwrap(),
            hidden: send.hidden,
            source: send.source,
        };
        let id = item.parsed.delivery_id.clone();
        let outcome = sink.ingest(item).await.unwrap();
        let attempts = sent.entry(id.clone()).and_modify(|n| *n += 1).or_insert(1);
        match outcome {
            IngestOutcome::Stored(event) => assert_eq!((event.delivery_id, *attempts), (id, 1)),
            IngestOutcome::Duplicate { attempts: counted, .. } => {
                assert_eq!((counted, *attempts > 1), (*attempts, true))
            }
            other => panic!("{id:?}: {other:?}"),
        }
    }
    for (n, reason) in ["not JSON", "no event", "not JSON"].into_iter().enumerate() {
        let item = QuarantineItem {
            received_at: at(T + (30 + n as i64) * MINUTE),
            peer: Some("192.0.2.9:443".into()),
            headers: vec![("content-type".into(), "text/plain".into())],
            body: format!("quarantined body {n}").into_bytes(),
            reason: reason.into(),
        };
        sink.quarantine(item).await.unwrap();
    }
    for entry in refusals() {
        sink.log_security(entry.into()).await.unwrap();
    }
}

async fn sqlite(plan: &Plan) -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("reads.db"), StoreOptions::default()).unwrap();
    feed(&store, &store, plan).await;
    store.settle().await.unwrap();
    Backend { name: "SQLite", reader: Arc::new(store.clone()), _keep: Box::new((dir, store)) }
}

async fn postgres(pg: &TestPostgres, plan: &Plan) -> Backend {
    let url: DatabaseUrl = pg.create_database("reads").unwrap().parse().unwrap();
    let store = PgStore::connect(&url, PgOptions::default()).await.unwrap();
    feed(store.as_ref(), store.as_ref(), plan).await;
    Backend { name: "PostgreSQL", reader: store.clone(), _keep: Box::new(store) }
}

/// Every call the filter selects, all pages read.
async fn all(reader: &dyn TimelineReader, filter: &CallFilter) -> Vec<CallRow> {
    let mut calls = Vec::new();
    let mut page = PageRequest::first(Order::OldestFirst, 1000);
    loop {
        let got = reader.calls_page(filter.clone(), page.clone()).await.unwrap();
        calls.extend(got.items);
        match got.next {
            Some(next) => page.after = Some(next),
            None => return calls,
        }
    }
}

fn ids(calls: &[CallRow]) -> Vec<String> {
    calls.iter().map(|c| c.record.call_id.clone()).collect()
}

fn planned_ids<'a>(calls: impl Iterator<Item = &'a PlannedCall>) -> Vec<String> {
    let mut calls: Vec<&PlannedCall> = calls.collect();
    calls.sort_by(|a, b| (a.sort_ms, &a.id).cmp(&(b.sort_ms, &b.id)));
    calls.iter().map(|c| c.id.clone()).collect()
}

async fn the_timeline_pages_every_call_once_in_order_both_ways(b: &Backend, plan: &Plan) {
    let expected = planned_ids(plan.calls.iter());
    let page =
        |order, after: Option<CallCursor>, before: Option<CallCursor>| PageRequest { order, after, before, limit: 7 };
    // Forwards, oldest first, then back from the last page with `prev`.
    let mut forwards = Vec::new();
    let mut pages: Vec<Page<CallRow, CallCursor>> = Vec::new();
    let mut request = page(Order::OldestFirst, None, None);
    loop {
        let got = b.reader.calls_page(CallFilter::default(), request.clone()).await.unwrap();
        assert!(got.items.len() <= 7, "{}: a page holds at most its limit", b.name);
        forwards.extend(ids(&got.items));
        let next = got.next.clone();
        pages.push(got);
        match next {
            Some(next) => request = page(Order::OldestFirst, Some(next), None),
            None => break,
        }
    }
    assert_eq!(forwards, expected, "{}: oldest first, every call once", b.name);
    assert!(pages[0].prev.is_none(), "{}: nothing before the first page", b.name);
    let mut backwards: Vec<String> = ids(&pages.last().unwrap().items);
    let mut before = pages.last().unwrap().prev.clone();
    while let Some(cursor) = before {
        let got =
            b.reader.calls_page(CallFilter::default(), page(Order::OldestFirst, None, Some(cursor))).await.unwrap();
        let mut earlier = ids(&got.items);
        earlier.extend(backwards);
        backwards = earlier;
        before = got.prev;
    }
    assert_eq!(backwards, expected, "{}: walked back with prev, the same calls in the same order", b.name);
    // Newest first is the same order reversed.
    let mut newest = Vec::new();
    let mut request = page(Order::NewestFirst, None, None);
    loop {
        let got = b.reader.calls_page(CallFilter::default(), request.clone()).await.unwrap();
        newest.extend(ids(&got.items));
        match got.next {
            Some(next) => request = page(Order::NewestFirst, Some(next), None),
            None => break,
        }
    }
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(newest, reversed, "{}: newest first", b.name);
}

/// Which planned calls a filter must select.
type Selects = Box<dyn Fn(&PlannedCall) -> bool>;

async fn each_filter_selects_exactly_the_matching_calls(b: &Backend, plan: &Plan) {
    let cases: Vec<(&str, CallFilter, Selects)> = vec![
        (
            "failed",
            CallFilter { phases: vec![CallPhase::Failed], ..Default::default() },
            Box::new(|c| c.phase == CallPhase::Failed),
        ),
        (
            "in progress",
            CallFilter { phases: vec![CallPhase::Started, CallPhase::Connected], ..Default::default() },
            Box::new(|c| matches!(c.phase, CallPhase::Started | CallPhase::Connected)),
        ),
        (
            "two agents",
            CallFilter { agents: vec!["ag_1".into(), "ag_3".into()], ..Default::default() },
            Box::new(|c| c.agent == "ag_1" || c.agent == "ag_3"),
        ),
        (
            "outbound",
            CallFilter { directions: vec!["outbound".into()], ..Default::default() },
            Box::new(|c| c.direction == "outbound"),
        ),
        (
            "busy",
            CallFilter { ended_reasons: vec!["busy".into()], ..Default::default() },
            Box::new(|c| c.reason == Some("busy")),
        ),
        ("German", CallFilter { languages: vec!["de".into()], ..Default::default() }, Box::new(|c| c.language == "de")),
        (
            "a range",
            CallFilter {
                range: TimeRange { from: Some(at(T + 10 * MINUTE)), to: Some(at(T + 40 * MINUTE)) },
                ..Default::default()
            },
            Box::new(|c| c.sort_ms >= T + 10 * MINUTE && c.sort_ms < T + 40 * MINUTE),
        ),
        (
            "completed, inbound, French",
            CallFilter {
                phases: vec![CallPhase::Completed],
                directions: vec!["inbound".into()],
                languages: vec!["fr".into()],
                ..Default::default()
            },
            Box::new(|c| c.phase == CallPhase::Completed && c.direction == "inbound" && c.language == "fr"),
        ),
        // A metadata field's value, as dimensions read it: text, a number, a boolean.
        (
            "note",
            CallFilter {
                metadata: Some(MetadataMatch { field: "note".into(), value: "Gold Tier".into() }),
                ..Default::default()
            },
            Box::new(|c| c.metadata.contains("Gold Tier")),
        ),
        (
            "tier 2",
            CallFilter {
                metadata: Some(MetadataMatch { field: "tier".into(), value: "2".into() }),
                ..Default::default()
            },
            Box::new(|c| c.metadata.contains(r#""tier":2"#)),
        ),
        (
            "vip, in a range",
            CallFilter {
                metadata: Some(MetadataMatch { field: "vip".into(), value: "true".into() }),
                range: TimeRange { from: Some(at(T + 10 * MINUTE)), to: Some(at(T + 40 * MINUTE)) },
                ..Default::default()
            },
            Box::new(|c| {
                c.metadata.contains(r#""vip":true"#) && c.sort_ms >= T + 10 * MINUTE && c.sort_ms < T + 40 * MINUTE
            }),
        ),
    ];
    for (name, filter, matches) in cases {
        let expected = planned_ids(plan.calls.iter().filter(|c| matches(c)));
        assert!(!expected.is_empty() && expected.len() < CALLS, "the plan makes '{name}' select some calls, not all");
        assert_eq!(ids(&all(b.reader.as_ref(), &filter).await), expected, "{}: filter '{name}'", b.name);
    }
}

async fn search_finds_the_text_in_the_id_or_metadata_whatever_its_case(b: &Backend, plan: &Plan) {
    for text in ["ord-0042", "ORD-00", "gold TIER", "call_001", "100%", "e_o", "07", "%", "nothing like it"] {
        let wanted = text.to_lowercase();
        let expected = planned_ids(
            plan.calls
                .iter()
                .filter(|c| c.id.to_lowercase().contains(&wanted) || c.metadata.to_lowercase().contains(&wanted)),
        );
        let filter = CallFilter { text: Some(format!(" {text} ")), ..Default::default() };
        assert_eq!(ids(&all(b.reader.as_ref(), &filter).await), expected, "{}: search '{text}'", b.name);
    }
    // The wildcards are matched as typed: "100%" and "e_o" are in one call only.
    let one = CallFilter { text: Some("e_o".into()), ..Default::default() };
    assert_eq!(ids(&all(b.reader.as_ref(), &one).await), vec!["call_0007".to_string()], "{}", b.name);
}

async fn details_show_every_event_with_its_request(b: &Backend, plan: &Plan) {
    assert!(b.reader.call_detail("call_9999".into()).await.unwrap().is_none(), "{}: no such call", b.name);
    let detail: CallDetail = b.reader.call_detail("call_0012".into()).await.unwrap().expect("call 12");
    let names: Vec<&str> = detail.events.iter().map(|e| e.event.event.as_str()).collect();
    assert_eq!(
        names,
        ["call.started", "call.connected", "agent.escalated", "call.completed"],
        "{}: in occurredAt order, the hidden one included",
        b.name
    );
    let hidden: Vec<bool> = detail.events.iter().map(|e| e.event.hidden).collect();
    assert_eq!(hidden, [false, false, true, false], "{}", b.name);
    assert_eq!(detail.call.record.phase, Some(CallPhase::Completed), "{}: the hidden event is not folded", b.name);
    for e in &detail.events {
        let sent =
            plan.sends.iter().find(|s| parse_delivery(&s.body).unwrap().delivery_id == e.event.delivery_id).unwrap();
        assert_eq!(e.body.as_bytes(), sent.body.as_slice(), "{}: the body as received", b.name);
        assert!(e.headers.contains(&("x-test".into(), "reads".into())), "{}: {:?}", b.name, e.headers);
        assert_eq!(e.peer.as_deref(), Some("192.0.2.7:443"));
    }
    // Each event's attempts: how often the plan sent its delivery.
    for e in &detail.events {
        let copies =
            plan.sends.iter().filter(|s| parse_delivery(&s.body).unwrap().delivery_id == e.event.delivery_id).count()
                as i64;
        assert_eq!(e.event.attempts, copies, "{}: attempts of {:?}", b.name, e.event.delivery_id);
    }
    let late = b.reader.call_detail("call_0010".into()).await.unwrap().unwrap();
    let started = late.events.iter().find(|e| e.event.event == "call.started").unwrap();
    assert!(started.event.late, "{}: call 10's started arrived after its connected", b.name);
    assert_eq!(late.call.late_count, 1, "{}", b.name);
    let caught = b.reader.call_detail("call_0011".into()).await.unwrap().unwrap();
    let sources: Vec<Source> = caught.events.iter().map(|e| e.event.source).collect();
    assert_eq!(sources, [Source::Rest, Source::Catchup, Source::Webhook], "{}: each step with its source", b.name);
}

async fn facets_list_each_value_once_in_byte_order(b: &Backend, plan: &Plan) {
    let facets = b.reader.facets().await.unwrap();
    let distinct = |f: &dyn Fn(&PlannedCall) -> Option<String>| -> Vec<String> {
        plan.calls.iter().filter_map(f).collect::<BTreeSet<_>>().into_iter().collect()
    };
    assert_eq!(facets.agents, distinct(&|c| Some(c.agent.clone())), "{}", b.name);
    assert_eq!(facets.directions, distinct(&|c| Some(c.direction.into())), "{}", b.name);
    assert_eq!(facets.ended_reasons, distinct(&|c| c.reason.map(Into::into)), "{}", b.name);
    assert_eq!(facets.languages, distinct(&|c| Some(c.language.into())), "{}", b.name);
}

/// Distinct deliveries (by deliveryId), each with its first receipt time.
fn first_receipts(plan: &Plan) -> Vec<(String, i64, Source)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for send in &plan.sends {
        let id = parse_delivery(&send.body).unwrap().delivery_id.unwrap();
        if seen.insert(id.clone()) {
            out.push((id, send.received_ms, send.source));
        }
    }
    out
}

/// Events first received after a later event of their call (call 10's started; call 12's
/// escalation, sent after its end).
fn late_events(plan: &Plan) -> i64 {
    let mut latest: std::collections::HashMap<String, Timestamp> = Default::default();
    let mut seen = BTreeSet::new();
    let mut late = 0;
    for send in &plan.sends {
        let parsed = parse_delivery(&send.body).unwrap();
        if !seen.insert(parsed.delivery_id.clone()) {
            continue;
        }
        let (call, occurred) = (parsed.data.call_id.clone().unwrap(), parsed.occurred_at.unwrap());
        let newest = latest.entry(call).or_insert(occurred);
        if *newest > occurred {
            late += 1;
        }
        *newest = (*newest).max(occurred);
    }
    late
}

async fn counts_follow_what_was_sent(b: &Backend, plan: &Plan) {
    let since = T + 10 * MINUTE;
    let counts = b.reader.counts(at(since)).await.unwrap();
    let receipts = first_receipts(plan);
    assert_eq!(counts.deliveries_total, receipts.len() as i64, "{}", b.name);
    assert_eq!(counts.deliveries_since, receipts.iter().filter(|r| r.1 >= since).count() as i64, "{}", b.name);
    assert!(counts.deliveries_since > 0 && counts.deliveries_since < counts.deliveries_total);
    assert_eq!(counts.repeats, (plan.sends.len() - receipts.len()) as i64, "{}", b.name);
    assert_eq!(counts.last_delivery_at, Some(at(receipts.iter().map(|r| r.1).max().unwrap())), "{}", b.name);
    let phase = |p: CallPhase| plan.calls.iter().filter(|c| c.phase == p).count() as i64;
    assert_eq!(counts.calls, CALLS as i64, "{}", b.name);
    assert_eq!(
        (counts.calls_started, counts.calls_connected, counts.calls_completed, counts.calls_failed),
        (phase(CallPhase::Started), phase(CallPhase::Connected), phase(CallPhase::Completed), phase(CallPhase::Failed)),
        "{}",
        b.name
    );
    assert_eq!(counts.rejected, refusals().len() as i64, "{}", b.name);
    assert_eq!(counts.quarantined, 3, "{}", b.name);
}

async fn the_overview_adds_up_to_the_plan(b: &Backend, plan: &Plan) -> (Overview, Overview) {
    let (from, to) = (T - HOUR, T + 3 * HOUR);
    let minutes = b.reader.overview(at(from), at(to), LONGEST_CALL).await.unwrap();
    assert_eq!(minutes.bar_ms, MINUTE, "{}: four hours in minute bars", b.name);
    assert_eq!(minutes.bars.len(), 240);
    let phase = |p: CallPhase| plan.calls.iter().filter(|c| c.phase == p).count() as i64;
    assert_eq!(minutes.totals.calls, CALLS as i64, "{}", b.name);
    assert_eq!(minutes.totals.failed, phase(CallPhase::Failed), "{}", b.name);
    assert_eq!(minutes.totals.completed, phase(CallPhase::Completed), "{}", b.name);
    assert_eq!(minutes.totals.in_progress, phase(CallPhase::Started) + phase(CallPhase::Connected), "{}", b.name);
    let bar_sum: i64 = minutes.bars.iter().map(|bar| bar.outcomes.calls).sum();
    assert_eq!(bar_sum, CALLS as i64, "{}: the bars add up", b.name);
    let call_5 = &plan.calls[5];
    let bar = minutes.bars.iter().find(|bar| bar.at == at(call_5.sort_ms / MINUTE * MINUTE)).unwrap();
    assert!(bar.outcomes.calls >= 1, "{}: call 5 in its minute's bar", b.name);
    // Calls in progress during each minute: ended ones from start to end, the others until
    // they are stale (older than the longest a call lasts).
    let longest = LONGEST_CALL.as_millis() as i64;
    let in_progress = |minute: i64| {
        let floor = |ms: i64| ms / MINUTE * MINUTE;
        plan.calls
            .iter()
            .filter(|c| {
                floor(c.sort_ms) <= minute
                    && match c.end_ms {
                        Some(end) => floor(end) >= minute,
                        None => floor(c.sort_ms) >= minute - longest,
                    }
            })
            .count() as i64
    };
    let peaks: Vec<Option<i64>> = minutes.bars.iter().map(|bar| bar.peak_in_progress).collect();
    let expected: Vec<Option<i64>> = minutes.bars.iter().map(|bar| Some(in_progress(bar.at.unix_millis()))).collect();
    assert_eq!(peaks, expected, "{}: calls in progress, minute by minute", b.name);
    assert!(peaks.iter().flatten().max() > Some(&3), "{}: calls overlap: {peaks:?}", b.name);
    // Ended reasons, most calls first; failures by agent.
    for tally in &minutes.reasons {
        let n = plan.calls.iter().filter(|c| c.reason == tally.key.as_deref()).count() as i64;
        assert_eq!(tally.calls, n, "{}: reason {:?}", b.name, tally.key);
    }
    assert_eq!(minutes.reasons[0].key.as_deref(), Some("customer-ended-call"), "{}", b.name);
    let failed_agents: i64 = minutes.failures_by_agent.iter().map(|t| t.failed).sum();
    assert_eq!(failed_agents, phase(CallPhase::Failed), "{}", b.name);
    assert_eq!(minutes.duration.count, plan.calls.iter().filter(|c| c.duration_sec.is_some()).count() as i64);
    assert_eq!(minutes.wait.count, plan.calls.iter().filter(|c| c.wait_ms.is_some()).count() as i64);
    // Deliveries: webhooks and caught-up ones, repeats, the late one, refusals, quarantine.
    let receipts = first_receipts(plan);
    let health = &minutes.health;
    assert_eq!(health.webhooks, receipts.iter().filter(|r| r.2 == Source::Webhook).count() as i64, "{}", b.name);
    assert_eq!((health.caught_up, health.from_rest), (1, 1), "{}", b.name);
    assert_eq!(health.duplicates, (plan.sends.len() - receipts.len()) as i64, "{}", b.name);
    assert_eq!(health.late, late_events(plan), "{}", b.name);
    assert_eq!(health.rejected, refusals().len() as i64, "{}", b.name);
    assert_eq!(health.quarantined, 3, "{}", b.name);
    assert_eq!(health.gaps.len(), 1, "{}: one downtime: {:?}", b.name, health.gaps);
    assert_eq!((health.gaps[0].from, health.gaps[0].to), (at(T - 10 * MINUTE), at(T - 2 * MINUTE)), "{}", b.name);
    assert_eq!(health.gaps[0].caught_up_calls, Some(3), "{}", b.name);
    // A day: hour bars, the same totals.
    let hours = b.reader.overview(at(T - HOUR), at(T + 23 * HOUR), LONGEST_CALL).await.unwrap();
    assert_eq!((hours.bar_ms, hours.bars.len()), (HOUR, 24), "{}", b.name);
    assert_eq!(hours.totals, minutes.totals, "{}", b.name);
    // An hour's peak: the largest of its minutes'.
    for (hour, bar) in hours.bars.iter().enumerate().take(4) {
        let start = T - HOUR + hour as i64 * HOUR;
        let most = (0..60).map(|m| in_progress(start + m * MINUTE)).max();
        assert_eq!(bar.peak_in_progress, most, "{}: the peak of the hour at {}", b.name, bar.at);
    }
    // The hour after T compared with the hour before it: the calls of each.
    let later = b.reader.overview(at(T + HOUR), at(T + 2 * HOUR), LONGEST_CALL).await.unwrap();
    let in_hour = |h: i64| {
        plan.calls.iter().filter(|c| c.sort_ms >= T + h * HOUR && c.sort_ms < T + (h + 1) * HOUR).count() as i64
    };
    assert_eq!((later.totals.calls, later.previous.calls), (in_hour(1), in_hour(0)), "{}", b.name);
    assert!(b.reader.overview(at(T), at(T), LONGEST_CALL).await.is_err(), "{}: an empty range is refused", b.name);
    (minutes, hours)
}

/// Each agent's row of the Agents page against the plan: a few hours in minute bars, four
/// days in hour bars (whole days in between), and an hour against the hour before it.
async fn the_agents_page_adds_up_to_the_plan(b: &Backend, plan: &Plan) -> Vec<AgentsPage> {
    let mut pages = Vec::new();
    let ranges =
        [(T - HOUR, T + 3 * HOUR), (T - 2 * 24 * HOUR + 7 * MINUTE, T + 2 * 24 * HOUR), (T + HOUR, T + 2 * HOUR)];
    for (from, to) in ranges {
        let page = b.reader.agents_page(at(from), at(to), Some("direction".into())).await.unwrap();
        let inside = |c: &&PlannedCall| c.sort_ms >= from && c.sort_ms < to;
        let agents: BTreeSet<&str> = plan.calls.iter().filter(inside).map(|c| c.agent.as_str()).collect();
        let listed: BTreeSet<&str> = page.agents.iter().filter_map(|a| a.agent_id.as_deref()).collect();
        assert_eq!((listed, page.agents.len()), (agents.clone(), agents.len()), "{}: each agent once", b.name);
        for agent in &page.agents {
            let id = agent.agent_id.as_deref().unwrap();
            let mine: Vec<&PlannedCall> = plan.calls.iter().filter(inside).filter(|c| c.agent == id).collect();
            let phase = |p: CallPhase| mine.iter().filter(|c| c.phase == p).count() as i64;
            assert_eq!(
                (agent.outcomes.calls, agent.outcomes.completed, agent.outcomes.failed),
                (mine.len() as i64, phase(CallPhase::Completed), phase(CallPhase::Failed)),
                "{}: {id}",
                b.name
            );
            assert_eq!(agent.duration.count, mine.iter().filter(|c| c.duration_sec.is_some()).count() as i64);
            assert_eq!(agent.wait.count, mine.iter().filter(|c| c.wait_ms.is_some()).count() as i64);
            assert_eq!(agent.bars.iter().sum::<i64>(), mine.len() as i64, "{}: {id}'s bars add up", b.name);
            for tally in &agent.reasons {
                let n = mine.iter().filter(|c| c.reason == tally.key.as_deref()).count() as i64;
                assert_eq!(tally.calls, n, "{}: {id}, reason {:?}", b.name, tally.key);
            }
            let before = plan
                .calls
                .iter()
                .filter(|c| c.agent == id && c.sort_ms >= from - (to - from) && c.sort_ms < from)
                .count() as i64;
            assert_eq!(agent.previous.calls, before, "{}: {id}, the period before", b.name);
            // Grouped by direction: each value's calls and failures.
            let mut by_direction: BTreeMap<Option<String>, (i64, i64)> = BTreeMap::new();
            for c in &mine {
                let entry = by_direction.entry(Some(c.direction.to_owned())).or_default();
                entry.0 += 1;
                entry.1 += i64::from(c.phase == CallPhase::Failed);
            }
            let found: BTreeMap<_, _> =
                agent.values.iter().map(|v| (v.value.clone(), (v.outcomes.calls, v.outcomes.failed))).collect();
            assert_eq!(found, by_direction, "{}: {id} by direction", b.name);
        }
        assert_eq!(page.by.as_deref(), Some("direction"));
        pages.push(page);
    }
    let plain = b.reader.agents_page(at(T - HOUR), at(T + 3 * HOUR), None).await.unwrap();
    assert!(plain.agents.iter().all(|a| a.values.is_empty()) && plain.by.is_none(), "{}: not grouped", b.name);
    assert!(pages[2].agents.iter().any(|a| a.previous.calls > 0), "the hour before has calls");
    assert!(b.reader.agents_page(at(T), at(T), None).await.is_err(), "{}: an empty range is refused", b.name);
    let unknown = b.reader.agents_page(at(T - HOUR), at(T), Some("colour".into())).await;
    assert!(unknown.unwrap_err().to_string().contains("not by \"colour\""), "{}: an unknown dimension", b.name);
    pages
}

/// The calls by direction and by language against the plan; a metadata field too where the
/// store reads every field (PostgreSQL), and a field SQLite does not count refused there.
async fn the_breakdowns_add_up_to_the_plan(b: &Backend, plan: &Plan, team: bool) -> Vec<Breakdown> {
    let (from, to) = (T - HOUR, T + 3 * HOUR);
    let mut found = Vec::new();
    for dimension in ["direction", "language"] {
        let by = b.reader.breakdown(at(from), at(to), dimension.into()).await.unwrap();
        for v in &by.values {
            let value = v.value.as_deref().unwrap();
            let mine: Vec<&PlannedCall> = plan
                .calls
                .iter()
                .filter(|c| if dimension == "direction" { c.direction == value } else { c.language == value })
                .collect();
            let failed = mine.iter().filter(|c| c.phase == CallPhase::Failed).count() as i64;
            assert_eq!(
                (v.outcomes.calls, v.outcomes.failed),
                (mine.len() as i64, failed),
                "{}: {dimension}={value}",
                b.name
            );
        }
        assert_eq!(by.values.iter().map(|v| v.outcomes.calls).sum::<i64>(), CALLS as i64, "{}: {dimension}", b.name);
        found.push(by);
    }
    let tier = b.reader.breakdown(at(from), at(to), "metadata.tier".into()).await;
    if team {
        let tier = tier.unwrap();
        let values: Vec<(Option<&str>, i64)> =
            tier.values.iter().map(|v| (v.value.as_deref(), v.outcomes.calls)).collect();
        assert_eq!(values, [(Some("0"), 40), (Some("1"), 40), (Some("2"), 40)], "{}", b.name);
    } else {
        assert!(tier.unwrap_err().to_string().contains("Settings → Data"), "{}", b.name);
    }
    assert!(b.reader.breakdown(at(from), at(to), "colour".into()).await.is_err(), "{}", b.name);
    found
}

async fn the_logs_page_newest_first(b: &Backend) {
    let first = b.reader.quarantine_page(None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|q| q.body.as_str()).collect::<Vec<_>>(),
        ["quarantined body 2", "quarantined body 1"],
        "{}",
        b.name
    );
    let rest = b.reader.quarantine_page(Some(first[1].id), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|q| (q.body.as_str(), q.reason.as_str())).collect::<Vec<_>>(),
        [("quarantined body 0", "not JSON")],
        "{}",
        b.name
    );
    assert_eq!(rest[0].received_at, at(T + 30 * MINUTE));
    let rows = b.reader.security_page(None, 10).await.unwrap();
    assert_eq!(rows.len(), 4, "{}: two requests of one address, reason and minute are one row", b.name);
    assert_eq!(rows[0].entry.reason, "too large", "{}: newest first", b.name);
    let grouped = rows.iter().find(|r| r.count == 2).expect("the grouped row");
    assert_eq!((grouped.entry.at, grouped.last_at), (at(T + MINUTE), at(T + MINUTE + 10_000)), "{}", b.name);
    let older = b.reader.security_page(Some(rows[1].id), 10).await.unwrap();
    assert_eq!(older.len(), 2, "{}", b.name);
}

/// The whole suite, on one backend; returns what the other backend must equal.
/// The gauge: the planned calls not ended, cut at the middle one's start (older are stale).
async fn in_progress_counts_the_calls_not_ended(b: &Backend, plan: &Plan) {
    let mut open: Vec<i64> = plan
        .calls
        .iter()
        .filter(|c| matches!(c.phase, CallPhase::Started | CallPhase::Connected))
        .map(|c| c.sort_ms)
        .collect();
    open.sort();
    assert!(open.len() >= 4, "the plan has calls in progress: {open:?}");
    let cut = open[open.len() / 2];
    let got = b.reader.in_progress(at(cut)).await.unwrap();
    assert_eq!(
        (got.calls, got.oldest_started_at.map(|t| t.unix_millis()), got.stale),
        ((open.len() - open.len() / 2) as i64, Some(cut), (open.len() / 2) as i64),
        "{}",
        b.name
    );
    let none_stale = b.reader.in_progress(at(0)).await.unwrap();
    assert_eq!((none_stale.calls, none_stale.stale), (open.len() as i64, 0), "{}", b.name);
}

async fn suite(b: &Backend, plan: &Plan, team: bool) -> ((Overview, Overview), Vec<AgentsPage>, Vec<Breakdown>) {
    in_progress_counts_the_calls_not_ended(b, plan).await;
    the_timeline_pages_every_call_once_in_order_both_ways(b, plan).await;
    each_filter_selects_exactly_the_matching_calls(b, plan).await;
    search_finds_the_text_in_the_id_or_metadata_whatever_its_case(b, plan).await;
    details_show_every_event_with_its_request(b, plan).await;
    facets_list_each_value_once_in_byte_order(b, plan).await;
    counts_follow_what_was_sent(b, plan).await;
    the_logs_page_newest_first(b).await;
    (
        the_overview_adds_up_to_the_plan(b, plan).await,
        the_agents_page_adds_up_to_the_plan(b, plan).await,
        the_breakdowns_add_up_to_the_plan(b, plan, team).await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_answers_as_planned() {
    let plan = plan();
    suite(&sqlite(&plan).await, &plan, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_answers_as_planned_and_as_sqlite_does() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let plan = plan();
    let team = postgres(&pg, &plan).await;
    let team_overviews = suite(&team, &plan, true).await;
    let local = sqlite(&plan).await;
    let local_overviews = suite(&local, &plan, false).await;
    // Where ids play no part, the two are equal whole: every bar, tally and step.
    assert_eq!(team_overviews, local_overviews);
    let since = at(T + 10 * MINUTE);
    assert_eq!(team.reader.counts(since).await.unwrap(), local.reader.counts(since).await.unwrap());
    assert_eq!(team.reader.facets().await.unwrap(), local.reader.facets().await.unwrap());
    let (a, b) = (
        all(team.reader.as_ref(), &CallFilter::default()).await,
        all(local.reader.as_ref(), &CallFilter::default()).await,
    );
    assert_eq!(a, b, "the same call rows");

    // A team database from before the calls' ends were kept (migration 7): each ended call's
    // end filled in from what the call holds, the same peaks read as before.
    pg.psql(
        "reads",
        "ALTER TABLE calls DROP COLUMN end_ms; DROP TABLE dimensions; DELETE FROM schema_migrations WHERE version >= 7;",
    )
    .unwrap();
    let url: DatabaseUrl = pg.url("reads").parse().unwrap();
    let upgraded = PgStore::connect(&url, PgOptions::default()).await.unwrap();
    let minutes = upgraded.overview(at(T - HOUR), at(T + 3 * HOUR), LONGEST_CALL).await.unwrap();
    assert_eq!(minutes, team_overviews.0 .0, "the overview after migration 7 filled the ends in");
    let unfilled =
        pg.psql("reads", "SELECT count(*) FROM calls WHERE phase IN ('completed', 'failed') AND end_ms IS NULL");
    assert_eq!(unfilled.unwrap().trim(), "0");
}
