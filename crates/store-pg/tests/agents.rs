//! The agents' names kept by both stores through the same `AgentBook` and read through the
//! same `TimelineReader`: SQLite (a real file) and PostgreSQL (a real server); and of
//! receivers claiming a round together, one gets it.

use std::sync::Arc;

use calleague_store::{
    AgentBook, AgentName, AgentRound, DeliverySink, IncomingDelivery, Store, StoreOptions, TimelineReader,
};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::TestPostgres;
use serde_json::json;

fn started(call: &str, agent: &str) -> IncomingDelivery {
    let body = json!({"event": "call.started", "deliveryId": format!("dl_{call}"),
        "occurredAt": "2026-12-01T10:00:00.000Z", "data": {"callId": call, "agentId": agent}})
    .to_string()
    .into_bytes();
    IncomingDelivery::webhook(body).unwrap()
}

async fn check(book: &dyn AgentBook, sink: &dyn DeliverySink, reader: &dyn TimelineReader) {
    for (call, agent) in [("c1", "ag_b"), ("c2", "ag_a"), ("c3", "ag_b"), ("c4", "ag\0nul")] {
        sink.ingest(started(call, agent)).await.unwrap();
    }
    let mut unnamed = book.unnamed_agent_ids(10).await.unwrap();
    unnamed.sort();
    assert_eq!(unnamed.len(), 3, "{unnamed:?}");
    let sales = AgentName::named("ag_a", "Sales");
    book.put_agents(vec![sales.clone(), AgentName::unknown("ag_b")], 1).await.unwrap();
    assert_eq!(book.unnamed_agent_ids(10).await.unwrap().len(), 1);
    let renamed = AgentName { name: Some("Sales desk".into()), ..sales };
    book.put_agents(vec![renamed.clone()], 2).await.unwrap();
    let agents = reader.agents().await.unwrap();
    assert_eq!(agents, vec![renamed, AgentName::unknown("ag_b")]);

    assert!(book.claim_agent_round(AgentRound::Listing, 100_000, 3_600_000).await.unwrap());
    assert!(!book.claim_agent_round(AgentRound::Listing, 200_000, 3_600_000).await.unwrap());
    assert!(book.claim_agent_round(AgentRound::LookUp, 200_000, 60_000).await.unwrap());
    assert!(book.claim_agent_round(AgentRound::Listing, 3_700_000, 3_600_000).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_stores_keep_agents_by_name_and_claim_rounds_alike() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(dir.path().join("agents.db"), StoreOptions::default()).unwrap();
    check(sqlite.as_ref(), sqlite.as_ref(), &sqlite).await;

    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url: DatabaseUrl = pg.create_database("agents").unwrap().parse().unwrap();
    let team = PgStore::connect(&url, PgOptions::default()).await.unwrap();
    check(team.as_ref(), team.as_ref(), team.as_ref()).await;

    // Eight receivers claiming the same listing at once: exactly one takes it.
    let others: Vec<Arc<PgStore>> = {
        let mut v = Vec::new();
        for _ in 0..8 {
            v.push(PgStore::connect(&url, PgOptions::default()).await.unwrap());
        }
        v
    };
    let mut claims = tokio::task::JoinSet::new();
    for store in others {
        claims.spawn(async move { store.claim_agent_round(AgentRound::Listing, 10_000_000, 3_600_000).await.unwrap() });
    }
    let won = claims.join_all().await.into_iter().filter(|won| *won).count();
    assert_eq!(won, 1);
}
