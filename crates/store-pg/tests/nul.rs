//! A NUL character (`\u0000` in the JSON) in any field of a delivery: PostgreSQL's text cannot
//! hold it. The delivery is stored, with U+FFFD in the NUL's place in what is read from it,
//! the raw body kept byte for byte; a retry is a repeat, never an endless failure.

use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{IncomingDelivery, IngestOutcome, Source};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::TestPostgres;

fn incoming(body: &[u8]) -> IncomingDelivery {
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: Some("127.0.0.1:40000".into()),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_vec(),
        parsed: parse_delivery(body).unwrap(),
        hidden: false,
        source: Source::Webhook,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_holding_nul_characters_is_stored_and_its_retry_is_a_repeat() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url: DatabaseUrl = pg.create_database("nul").unwrap().parse().unwrap();
    let store = PgStore::connect(&url, PgOptions::default()).await.unwrap();

    let body = br#"{"event":"call.failed","deliveryId":"dl_\u0000nul","occurredAt":"2026-01-01T12:00:00.000Z",
        "data":{"callId":"cl_\u0000","agentId":"ag\u0000x","endedReason":"busy\u0000","language":"tr",
                "metadata":{"caller\u0000":"Ay\u0000se","note":"\\u0000 is only text here"}}}"#;
    let IngestOutcome::Stored(event) = store.ingest(incoming(body)).await.expect("stored, not refused") else {
        panic!("a new delivery is stored")
    };
    assert_eq!(event.call_id.as_deref(), Some("cl_\u{FFFD}"));
    // Calleague's retry of it: the same delivery, one more attempt.
    match store.ingest(incoming(body)).await.unwrap() {
        IngestOutcome::Duplicate { attempts, .. } => assert_eq!(attempts, 2),
        other => panic!("a retry is a repeat: {other:?}"),
    }

    let detail = store.call_detail("cl_\u{FFFD}").await.unwrap().expect("the call is there");
    let call = &detail.call.record;
    assert_eq!(call.agent_id.as_deref(), Some("ag\u{FFFD}x"));
    assert_eq!(call.ended_reason.as_deref(), Some("busy\u{FFFD}"));
    let metadata = call.metadata.as_ref().unwrap();
    assert_eq!(metadata["caller\u{FFFD}"], "Ay\u{FFFD}se");
    assert_eq!(metadata["note"], "\\u0000 is only text here", "an escaped backslash is no NUL");
    assert_eq!(detail.events.len(), 1);
    assert_eq!(detail.events[0].body.as_bytes(), body, "the raw body as received");
}
