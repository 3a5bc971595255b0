//! The refresher against the real simulator over loopback, into a real SQLite file (and a
//! real PostgreSQL shared by two receivers): names listed on start, a new id looked up once
//! when it arrives, an id the API does not know kept as such, renames picked up by the
//! next listing, look-ups at most once per period, one listing for a fleet.

use std::sync::Arc;
use std::time::{Duration, Instant};

use calleague_agents::{AgentRefresher, RefreshTiming};
use calleague_client::{Client, ClientConfig, SecretKey};
use calleague_events::Timestamp;
use calleague_sim::{Agent, SimConfig, Simulator};
use calleague_store::{AgentName, DeliverySink, IncomingDelivery, Store, StoreOptions, TimelineReader};
use serde_json::json;

const KEY: &str = "sk_test_agents";

async fn sim() -> Simulator {
    Simulator::start(SimConfig::new(KEY), "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn client(sim: &Simulator) -> Client {
    Client::new(ClientConfig::with_base_url(sim.url()), SecretKey::new(KEY).unwrap()).unwrap()
}

fn timing() -> RefreshTiming {
    RefreshTiming {
        listing_every: Duration::from_secs(4),
        listed_lately: Duration::from_secs(1),
        look_up_every: Duration::from_millis(1_500),
        poll: Duration::from_millis(50),
        look_up_limit: 20,
    }
}

async fn call_with(sink: &dyn DeliverySink, call: &str, agent: &str) {
    let body = json!({"event": "call.started", "deliveryId": format!("dl_{call}"),
        "occurredAt": Timestamp::now().to_string(), "data": {"callId": call, "agentId": agent}})
    .to_string()
    .into_bytes();
    sink.ingest(IncomingDelivery::webhook(body).unwrap()).await.unwrap();
}

/// Requests the simulator served whose path is `path`, with when.
fn requests_to(sim: &Simulator, path: &str) -> Vec<Timestamp> {
    sim.api_requests().into_iter().filter(|r| r.path == path).map(|r| r.at).collect()
}

async fn wait_for_names(reader: &dyn TimelineReader, want: &[(&str, Option<&str>)]) -> Vec<AgentName> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let agents = reader.agents().await.unwrap();
        let all_there = want.iter().all(|(id, name)| {
            agents.iter().any(|a| a.agent_id == *id && a.name.as_deref() == *name && a.known == name.is_some())
        });
        if all_there {
            return agents;
        }
        assert!(Instant::now() < deadline, "waited for {want:?}; the store has {agents:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_listed_new_ids_looked_up_once_and_renames_followed() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("agents.db"), StoreOptions::default()).unwrap();
    call_with(store.as_ref(), "c1", "ag_support").await;
    call_with(store.as_ref(), "c2", "ag_ghost").await;

    let refresher = AgentRefresher::start(store.clone(), client(&sim), timing());
    let agents = wait_for_names(
        &store,
        &[("ag_support", Some("Support line")), ("ag_sales", Some("Sales desk")), ("ag_ghost", None)],
    )
    .await;
    assert_eq!(agents.len(), 4, "the three listed and the one the API does not know: {agents:?}");
    assert_eq!(requests_to(&sim, "/api/core/voice/agent").len(), 1, "listed once on start");
    assert_eq!(requests_to(&sim, "/api/core/voice/agent/ag_support").len(), 0, "a listed agent is not looked up");

    // A new agent appears in a call: looked up on its own, once.
    sim.put_agent(Agent { agent_id: "ag_night".into(), name: "Night shift".into(), language: None });
    call_with(store.as_ref(), "c3", "ag_night").await;
    wait_for_names(&store, &[("ag_night", Some("Night shift"))]).await;
    // Three more at once, right after that round: they wait for the next one, taken together.
    for (i, id) in ["ag_x1", "ag_x2", "ag_x3"].iter().enumerate() {
        call_with(store.as_ref(), &format!("cx{i}"), id).await;
    }
    wait_for_names(&store, &[("ag_x1", None), ("ag_x2", None), ("ag_x3", None)]).await;
    let night = requests_to(&sim, "/api/core/voice/agent/ag_night");
    let x = [requests_to(&sim, "/api/core/voice/agent/ag_x1"), requests_to(&sim, "/api/core/voice/agent/ag_x3")];
    assert_eq!((night.len(), x[0].len(), x[1].len()), (1, 1, 1));
    let apart_ms = x[0][0].unix_millis() - night[0].unix_millis();
    // Rounds are claimed a period (1.5 s) apart; each request reaches the simulator after
    // its claim's write and the HTTP exchange, which a loaded machine stretches by a few
    // hundred milliseconds (1,370 ms was seen in a full run). Taken together, with no wait,
    // the look-ups would be milliseconds apart.
    assert!(apart_ms >= 1_000, "look-ups at most once per period: {apart_ms} ms apart");
    assert_eq!(requests_to(&sim, "/api/core/voice/agent/ag_ghost").len(), 1, "an unknown id is asked for once");

    // A rename reaches the store with the next listing.
    sim.put_agent(Agent { agent_id: "ag_support".into(), name: "Support desk".into(), language: None });
    wait_for_names(&store, &[("ag_support", Some("Support desk")), ("ag_ghost", None)]).await;
    assert_eq!(requests_to(&sim, "/api/core/voice/agent/ag_ghost").len(), 1, "still asked for once");
    refresher.stop().await;

    // A restart moments later lists nothing again.
    let before = requests_to(&sim, "/api/core/voice/agent").len();
    let refresher = AgentRefresher::start(store.clone(), client(&sim), timing());
    tokio::time::sleep(Duration::from_millis(300)).await;
    refresher.stop().await;
    assert_eq!(requests_to(&sim, "/api/core/voice/agent").len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_sharing_a_team_database_list_the_agents_once() {
    let sim = sim().await;
    let pg = calleague_testkit::TestPostgres::start().expect("a PostgreSQL server for the test");
    let url: calleague_store_pg::DatabaseUrl = pg.create_database("agents").unwrap().parse().unwrap();
    let first = calleague_store_pg::PgStore::connect(&url, Default::default()).await.unwrap();
    let second = calleague_store_pg::PgStore::connect(&url, Default::default()).await.unwrap();
    call_with(first.as_ref(), "c1", "ag_ghost").await;
    let slow = RefreshTiming { listing_every: Duration::from_secs(3600), ..timing() };
    let refreshers: Vec<AgentRefresher> = [first.clone(), second.clone()]
        .into_iter()
        .map(|store| AgentRefresher::start(store as Arc<_>, client(&sim), slow))
        .collect();
    wait_for_names(first.as_ref(), &[("ag_booking", Some("Booking assistant")), ("ag_ghost", None)]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for refresher in refreshers {
        refresher.stop().await;
    }
    assert_eq!(requests_to(&sim, "/api/core/voice/agent").len(), 1, "one receiver listed for the fleet");
    assert_eq!(requests_to(&sim, "/api/core/voice/agent/ag_ghost").len(), 1);
    assert_eq!(second.agents().await.unwrap().len(), 4);
}
