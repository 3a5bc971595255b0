//! Catch-up on PostgreSQL as on SQLite: a caught-up step the store has is not added again,
//! and a webhook for a step catch-up brought confirms it instead of adding a second one.
//! The same sequence into both stores; outcomes, calls and events compared.

use std::collections::BTreeMap;

use calleague_catchup::{call_events, ReadBy};
use calleague_client::Call;
use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{
    CallFilter, ExportFormat, ExportWhat, IncomingDelivery, IngestOutcome, Order, PageRequest, Source, Store,
    StoreOptions, TimeRange,
};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::{lifecycle_bodies, Rng, TestPostgres};
use serde_json::{json, Value};

fn webhook(body: &[u8]) -> IncomingDelivery {
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: None,
        headers: Vec::new(),
        body: body.to_vec(),
        parsed: parse_delivery(body).unwrap(),
        hidden: false,
        source: Source::Webhook,
    }
}

/// The REST API's record of each call, made from the call's webhooks (as Calleague would
/// list it after the fact).
fn rest_calls(bodies: &[Vec<u8>]) -> Vec<Call> {
    let mut calls: BTreeMap<String, Value> = BTreeMap::new();
    for body in bodies {
        let v: Value = serde_json::from_slice(body).unwrap();
        let data = &v["data"];
        let call = calls.entry(data["callId"].as_str().unwrap().to_owned()).or_insert_with(|| {
            json!({
                "callId": data["callId"], "agentId": data["agentId"], "direction": data["direction"],
                "durationSec": data["durationSec"], "endedReason": data["endedReason"], "language": data["language"],
                "recordingId": data["recordingId"], "transcriptId": data["transcriptId"], "metadata": data["metadata"],
            })
        });
        match v["event"].as_str().unwrap() {
            "call.started" => call["startedAt"] = v["occurredAt"].clone(),
            "call.connected" => call["connectedAt"] = v["occurredAt"].clone(),
            "call.completed" => {
                call["endedAt"] = v["occurredAt"].clone();
                call["status"] = json!("completed");
            }
            "call.failed" => {
                call["endedAt"] = v["occurredAt"].clone();
                call["status"] = json!("failed");
            }
            _ => {}
        }
    }
    calls.into_values().map(|c| serde_json::from_value(c).unwrap()).collect()
}

/// What an outcome says, without the store's own ids and receipt times.
fn summary(outcome: &IngestOutcome) -> String {
    match outcome {
        IngestOutcome::Stored(e) => format!(
            "stored {} {:?} {:?} late={} confirmed={}",
            e.event, e.call_id, e.source, e.late, e.confirmed_by_webhook
        ),
        IngestOutcome::Duplicate { attempts, .. } => format!("duplicate {attempts}"),
        IngestOutcome::AlreadyKnown => "already known".into(),
        other => format!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_and_the_webhooks_after_it_end_as_in_sqlite() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url: DatabaseUrl = pg.create_database("catch_up").unwrap().parse().unwrap();
    let team = PgStore::connect(&url, PgOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(dir.path().join("truth.db"), StoreOptions::default()).unwrap();

    let mut rng = Rng(0xca7c);
    let bodies = lifecycle_bodies(60, &mut rng);
    // Calls 0..30 came whole by webhook; calls 30..60 only started and connected before the
    // receivers went down.
    let (before, after): (Vec<_>, Vec<_>) = bodies.iter().enumerate().partition(|(i, _)| i / 5 < 30 || i % 5 < 2);
    let caught_up: Vec<IncomingDelivery> =
        rest_calls(&bodies).iter().flat_map(|call| call_events(call, Timestamp::now(), ReadBy::CatchUp)).collect();

    let mut outcomes = (Vec::new(), Vec::new());
    for item in before.iter().map(|(_, b)| webhook(b)).chain(caught_up).chain(after.iter().map(|(_, b)| webhook(b))) {
        outcomes.0.push(summary(&team.ingest(item.clone()).await.unwrap()));
        outcomes.1.push(summary(&sqlite.ingest(item).await.unwrap()));
    }
    assert_eq!(outcomes.0, outcomes.1);
    // The sequence did what it is for: steps known, steps added by catch-up, confirmations.
    let count = |what: &str| outcomes.0.iter().filter(|o| o.contains(what)).count();
    assert!(count("already known") >= 30 * 4 + 30 * 2, "{:?}", outcomes.0);
    // Each later webhook confirmed its caught-up step, or, sent without a deliveryId, had
    // catch-up's own key (callId + event) and counted as its repeat.
    assert!(count("confirmed=true") > 0);
    assert_eq!(count("confirmed=true") + count("duplicate 2"), 30 * 3, "{:?}", outcomes.0);
    assert!(count("Catchup") >= 30 * 3);

    sqlite.settle().await.unwrap();
    let truth = sqlite.calls_page(&CallFilter::default(), &PageRequest::first(Order::OldestFirst, 1000)).unwrap().items;
    let mine = team.all_calls().await.unwrap();
    assert_eq!(mine.len(), 60);
    for (a, b) in mine.iter().zip(&truth) {
        assert_eq!(
            (&a.record, a.sort_ms, a.event_count, a.caught_up),
            (&b.record, b.sort_ms, b.event_count, b.caught_up)
        );
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    team.export(ExportWhat::Events, ExportFormat::Csv, TimeRange::default(), &mut a).await.unwrap();
    sqlite.export(ExportWhat::Events, ExportFormat::Csv, TimeRange::default(), &mut b).unwrap();
    // receivedAt differs (two stores, two moments): every other column equal, row by row.
    let without_received = |out: Vec<u8>| -> Vec<String> {
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| l.split(',').enumerate().filter(|(i, _)| *i != 4).map(|(_, c)| c).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(without_received(a), without_received(b));
}
