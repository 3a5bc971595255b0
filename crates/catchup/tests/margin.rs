//! Catch-up reads a margin around each downtime window: Calleague's clock and ours differ,
//! and a heartbeat is only written every few seconds. A call whose steps fall just outside
//! the window on both sides (started before the last heartbeat, ended just after the
//! restart, by Calleague's clock) is found; without the margin it would not be.

use std::time::{Duration, Instant};

use calleague_catchup::{catch_up_downtime, CatchUpOptions};
use calleague_client::{Client, ClientConfig, SecretKey};
use calleague_sim::{ScenarioSpec, SimConfig, Simulator};
use calleague_store::{CallFilter, Order, PageRequest, Store, StoreOptions};

const KEY: &str = "sk_test_catch_up_margin";

/// One call that started ten minutes ago and ends now, delivered to nobody.
async fn a_call_that_straddles(sim: &Simulator) -> calleague_sim::Call {
    sim.play(ScenarioSpec {
        calls: 1,
        started_ago_sec: 600.0,
        min_duration_sec: 1.0,
        max_duration_sec: 1.0,
        recordings: false,
        transcripts: false,
        ..Default::default()
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(call) = sim.calls().into_iter().find(|c| c.ended_at.is_some()) {
            return call;
        }
        assert!(Instant::now() < deadline, "the simulator's call did not end: {:?}", sim.calls());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Catches up a store whose one downtime window runs from a minute after the call connected
/// to a minute before it ended: none of the call's steps is inside the window itself.
async fn caught_up_calls(sim: &Simulator, call: &calleague_sim::Call, margin: Duration) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let connected = call.connected_at.expect("the call connected");
    let ended = call.ended_at.unwrap();
    let (from, to) = (connected.saturating_add_millis(60_000), ended.saturating_add_millis(-60_000));
    assert!(from < to, "the call lasted long enough for a window inside it");
    let first = store.start_uptime(connected.saturating_add_millis(-3_600_000)).await.unwrap();
    store.heartbeat(first, from).await.unwrap();
    store.start_uptime(to).await.unwrap();

    let client = Client::new(ClientConfig::with_base_url(sim.url()), SecretKey::new(KEY).unwrap()).unwrap();
    let options = CatchUpOptions { margin, ..Default::default() };
    let done = catch_up_downtime(&*store, &client, options, |_| {}).await.unwrap();
    assert_eq!((done.windows, done.done), (1, true));
    store.settle().await.unwrap();
    let calls =
        store.calls_page(&CallFilter::default(), &PageRequest::first(Order::NewestFirst, 10)).unwrap().items.len();
    assert_eq!(calls, done.calls_merged);
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_steps_straddle_the_window_s_edges_is_found_through_the_margin() {
    let mut config = SimConfig::new(KEY);
    config.time_scale = 20.0;
    let sim = Simulator::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let call = a_call_that_straddles(&sim).await;
    // The default margin (5 minutes) reaches both steps.
    assert_eq!(caught_up_calls(&sim, &call, CatchUpOptions::default().margin).await, 1);
    // The scenario needs the margin: read without one, the window holds none of the call's steps.
    assert_eq!(caught_up_calls(&sim, &call, Duration::ZERO).await, 0);
}
