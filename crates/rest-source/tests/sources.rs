//! The REST source against the simulator over loopback, a real receiver and a real SQLite
//! file: REST-only reading, reconciliation of silently lost deliveries, the "not arriving"
//! notice, and the request budget under the simulator's rate limit.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use calleague_client::{Client, ClientConfig, RequestBudget, SecretKey};
use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig};
use calleague_rest_source::{
    check_causes, PublicAddress, RestSource, RestSourceOptions, SourceMode, SourceNotice, SourceStatus,
};
use calleague_sim::{ScenarioSpec, SimConfig, Simulator};
use calleague_store::{Store, StoreOptions};
use tokio::sync::mpsc;

const KEY: &str = "sk_rest_source_test_77f1";

async fn simulator(tweak: impl FnOnce(&mut SimConfig)) -> Simulator {
    let mut config = SimConfig::new(KEY);
    config.allow_loopback_http = true;
    tweak(&mut config);
    Simulator::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn client(sim: &Simulator, page_size: u32) -> Client {
    let mut config = ClientConfig::with_base_url(sim.url());
    config.page_size = page_size;
    Client::new(config, SecretKey::new(KEY).unwrap()).unwrap()
}

fn quick_calls(calls: u32, rate: f64) -> ScenarioSpec {
    ScenarioSpec { calls, rate, failed_share: 0.4, gap_scale: 0.01, ..ScenarioSpec::default() }
}

/// A store in a fresh directory, and a receiver on loopback the simulator delivers to.
async fn receiving(sim: &Simulator) -> (tempfile::TempDir, Arc<Store>, Receiver) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let mut config = ReceiverConfig::new(KeySet::single(ApiKey::new(KEY).unwrap()));
    config.bind = "127.0.0.1:0".parse().unwrap();
    let receiver = Receiver::start(config, store.clone()).await.unwrap();
    let events =
        ["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"];
    sim.register_webhook(receiver.url(), events.iter().map(|e| e.to_string()).collect());
    (dir, store, receiver)
}

async fn until_idle(sim: &Simulator) {
    for _ in 0..600 {
        if sim.is_idle() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the simulator did not finish its calls in 30 s");
}

async fn until(
    status: &mut tokio::sync::watch::Receiver<SourceStatus>,
    what: &str,
    done: impl Fn(&SourceStatus) -> bool,
) {
    let waited = tokio::time::timeout(Duration::from_secs(30), status.wait_for(|s| done(s))).await;
    assert!(waited.is_ok_and(|r| r.is_ok()), "waited 30 s for {what}; status: {:?}", *status.borrow());
}

/// Each call of the simulator's ground truth against the store: its phase, reason, agent
/// and the steps it went through.
fn differences(sim: &Simulator, store: &Store) -> Vec<String> {
    let mut steps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for attempt in sim.attempts() {
        steps.entry(attempt.call_id.clone()).or_default().insert(attempt.event.clone());
    }
    let mut wrong = Vec::new();
    for call in sim.calls() {
        let Some(detail) = store.call_detail(&call.call_id).unwrap() else {
            wrong.push(format!("{}: missing", call.call_id));
            continue;
        };
        let record = &detail.call.record;
        let phase = record.phase.map(|p| p.as_str().to_owned()).unwrap_or_default();
        let stored: BTreeSet<String> = detail.events.iter().map(|e| e.event.event.clone()).collect();
        let expected = steps.get(&call.call_id).cloned().unwrap_or_default();
        if phase != call.phase || record.ended_reason != call.ended_reason || record.agent_id != call.agent_id {
            wrong.push(format!(
                "{}: {phase} {:?} {:?}, simulator {} {:?} {:?}",
                call.call_id, record.ended_reason, record.agent_id, call.phase, call.ended_reason, call.agent_id
            ));
        }
        if stored != expected {
            wrong.push(format!("{}: steps {stored:?}, simulator {expected:?}", call.call_id));
        }
    }
    wrong
}

fn options() -> RestSourceOptions {
    RestSourceOptions {
        poll_every: Duration::from_millis(400),
        reconcile_every: Duration::from_secs(3600),
        ..RestSourceOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_only_shows_every_call_with_its_phase_within_two_polls_and_marks_it_as_read_from_the_api() {
    let sim = simulator(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let source = RestSource::start(store.clone(), client(&sim, 100), options(), SourceMode::RestOnly, None, |_| {});
    let mut status = source.status();

    sim.play(quick_calls(8, 20.0));
    until_idle(&sim).await;
    assert!(sim.attempts().is_empty(), "no webhook: nothing was delivered");
    let rounds_at_end = status.borrow().rounds;
    until(&mut status, "two more polls", |s| s.rounds >= rounds_at_end + 2).await;
    store.settle().await.unwrap();

    // Every step the simulator would have delivered, from the calls list alone.
    let mut steps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for call in sim.calls() {
        let detail = store.call_detail(&call.call_id).unwrap().expect("the call is on the timeline");
        assert_eq!(detail.call.record.phase.map(|p| p.as_str().to_owned()).as_deref(), Some(call.phase.as_str()));
        assert!(detail.call.caught_up, "marked as read from the API");
        for event in &detail.events {
            let header = event.headers.iter().find(|(name, _)| name == "x-calleague-monitor-source");
            assert_eq!(header.map(|(_, v)| v.as_str()), Some("rest-poll"));
            steps.entry(call.call_id.clone()).or_default().insert(event.event.event.clone());
        }
    }
    let failed = sim.calls().iter().filter(|c| c.phase == "failed").count();
    assert!(failed > 0 && failed < 8, "the scenario has both outcomes ({failed} failed)");
    assert!(steps.values().all(|s| s.contains("call.started")));
    let status_now = status.borrow().clone();
    assert_eq!(status_now.mode, SourceMode::RestOnly);
    assert_eq!(status_now.error, None);
    assert_eq!(status_now.calls_found, 0, "polling is not reconciliation");
    source.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_reconciliation_finds_every_delivery_lost_silently_and_counts_its_calls() {
    let sim = simulator(|c| c.lose_rate = 0.3).await;
    let (_dir, store, receiver) = receiving(&sim).await;
    sim.play(quick_calls(20, 20.0));
    until_idle(&sim).await;
    store.settle().await.unwrap();

    let lost: Vec<_> = sim.attempts().into_iter().filter(|a| a.lost).collect();
    let lost_calls: BTreeSet<String> = lost.iter().map(|a| a.call_id.clone()).collect();
    assert!(lost.len() >= 5, "the lose rate lost something to find ({} lost)", lost.len());
    assert!(!differences(&sim, &store).is_empty(), "before reconciling, the store lacks what was lost");

    // Reconciliation waits its interval (an hour here), or is asked to read now.
    let source = RestSource::start(store.clone(), client(&sim, 7), options(), SourceMode::Both, None, |_| {});
    let mut status = source.status();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status.borrow().rounds, 0, "no round before the interval");
    source.read_now();
    until(&mut status, "one reconciliation", |s| s.rounds == 1).await;
    store.settle().await.unwrap();

    assert_eq!(differences(&sim, &store), Vec::<String>::new(), "the store equals the ground truth");
    let after = status.borrow().clone();
    assert_eq!(after.calls_found as usize, lost_calls.len(), "calls found = calls with a lost delivery");
    assert_eq!(after.events_found as usize, lost.len(), "steps found = deliveries lost");
    let round = after.last_round.expect("a round");
    assert_eq!((round.read_by.as_str(), round.calls_listed), ("rest-reconciliation", 20));
    source.stop().await;
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_deliveries_stop_while_calls_go_on_one_notice_is_raised_and_it_clears_when_they_resume() {
    let sim = simulator(|_| {}).await;
    let (_dir, store, receiver) = receiving(&sim).await;
    let (tx, mut notices) = mpsc::unbounded_channel();
    let options = RestSourceOptions {
        reconcile_every: Duration::from_millis(250),
        quiet_after: Duration::from_secs(3),
        settle: Duration::from_millis(200),
        ..options()
    };
    let probes = receiver.probes();
    let public = PublicAddress { url: receiver.url().to_owned(), reached_here: Arc::new(move |n: &str| probes.saw(n)) };
    let source =
        RestSource::start(store.clone(), client(&sim, 100), options, SourceMode::Both, Some(public), move |n| {
            let _ = tx.send(n);
        });
    let mut status = source.status();

    // Calls all along; deliveries stop a second in.
    sim.play(ScenarioSpec { calls: 60, rate: 5.0, ..quick_calls(0, 0.0) });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(sim.attempts().iter().any(|a| a.succeeded()), "deliveries arrived before the stop");
    sim.set_delivery_stopped(true);

    let raised = tokio::time::timeout(Duration::from_secs(20), notices.recv()).await.expect("a notice").unwrap();
    let SourceNotice::NotArriving(notice) = raised else { panic!("expected 'not arriving', got {raised:?}") };
    assert!(notice.calls_listed > 0);
    let checked: Vec<&str> = notice.causes.iter().map(|c| c.what.as_str()).collect();
    assert_eq!(checked, ["The API key", "The subscription", "The public address"]);
    assert!(
        notice.causes.iter().all(|c| c.fine == Some(true)),
        "all fine, the feed simply stopped: {:?}",
        notice.causes
    );
    assert!(status.borrow().not_arriving.is_some(), "the status says so too");

    // Rounds go on; the notice is not said again.
    let rounds = status.borrow().rounds;
    until(&mut status, "four more rounds", |s| s.rounds >= rounds + 4).await;
    assert!(notices.try_recv().is_err(), "one notice, not one per round");

    sim.set_delivery_stopped(false);
    sim.play(quick_calls(3, 10.0));
    let cleared = tokio::time::timeout(Duration::from_secs(20), notices.recv()).await.expect("cleared").unwrap();
    assert!(matches!(cleared, SourceNotice::Cleared { .. }), "got {cleared:?}");
    assert_eq!(status.borrow().not_arriving, None);
    until_idle(&sim).await;
    assert!(notices.try_recv().is_err(), "nothing more after it cleared");
    source.stop().await;
    receiver.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_stay_within_the_request_budget_and_wait_out_a_429_as_the_server_asks() {
    // The simulator allows one request a second; the budget five in any three seconds.
    let sim = simulator(|c| c.rate_limit = Some(1)).await;
    sim.play(quick_calls(12, 50.0));
    until_idle(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let window = Duration::from_secs(3);
    let budget = Arc::new(RequestBudget::new(5, window));
    let client = client(&sim, 4).with_budget(budget);
    let options = RestSourceOptions { poll_every: Duration::from_millis(100), ..options() };
    let source = RestSource::start(store.clone(), client, options, SourceMode::RestOnly, None, |_| {});
    tokio::time::sleep(Duration::from_secs(8)).await;
    source.stop().await;

    let requests = sim.api_requests();
    let at: Vec<i64> = requests.iter().map(|r| r.at.unix_millis()).collect();
    assert!(at.len() >= 8, "it kept reading ({} requests)", at.len());
    // Times are the simulator's, taken as each request arrived: a request slow to arrive
    // (loopback and a busy machine: tens of ms) makes the next window's look shorter than
    // the budget's own clock saw it. A broken budget sends one every 100 ms here.
    let jitter = 250;
    for (i, &t) in at.iter().enumerate() {
        let in_window = at.iter().filter(|&&u| u <= t && t - u < window.as_millis() as i64 - jitter).count();
        assert!(in_window <= 5, "request {i}: {in_window} requests in {window:?} less {jitter} ms");
    }
    let limited: Vec<usize> = requests.iter().enumerate().filter(|(_, r)| r.limited).map(|(i, _)| i).collect();
    assert!(!limited.is_empty(), "the simulator's limit was met at least once");
    for &i in &limited {
        if let Some(&next) = at.get(i + 1) {
            assert!(next - at[i] >= 950, "after the 429 at request {i}, the next came {} ms later", next - at[i]);
        }
    }
    store.settle().await.unwrap();
    assert_eq!(store.call_detail(&sim.calls()[0].call_id).unwrap().map(|d| d.call.caught_up), Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_causes_name_a_tunnel_to_elsewhere_a_removed_subscription_and_a_rejected_key() {
    let sim = simulator(|_| {}).await;
    let (_dir, _store, receiver) = receiving(&sim).await;
    // Another receiver answers at the public address: the tunnel points elsewhere.
    let (_other_dir, _other_store, elsewhere) = receiving(&sim).await;
    let probes = receiver.probes();
    let public =
        PublicAddress { url: elsewhere.url().to_owned(), reached_here: Arc::new(move |n: &str| probes.saw(n)) };
    let causes = check_causes(&client(&sim, 100), Some(&public)).await;
    assert_eq!(causes[1].fine, Some(true), "a webhook sends to that address: {:?}", causes[1]);
    assert_eq!(causes[2].fine, Some(false));
    assert!(causes[2].detail.contains("not from this receiver"), "{}", causes[2].detail);

    // Nothing listens there, and no webhook sends there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let public = PublicAddress {
        url: format!("http://127.0.0.1:{port}/hooks/calleague"),
        reached_here: Arc::new(|_: &str| false),
    };
    let causes = check_causes(&client(&sim, 100), Some(&public)).await;
    assert_eq!(causes[1].fine, Some(false));
    assert!(causes[1].detail.contains("no webhook of the account sends to"), "{}", causes[1].detail);
    assert!(causes[2].detail.contains("does not answer"), "{}", causes[2].detail);

    let wrong_key = Client::new(ClientConfig::with_base_url(sim.url()), SecretKey::new("sk_rotated").unwrap()).unwrap();
    let causes = check_causes(&wrong_key, None).await;
    assert_eq!(causes.len(), 2, "no public address: nothing to probe");
    assert_eq!(causes[0].fine, Some(false));
    assert!(causes[0].detail.contains("rotated or revoked"), "{}", causes[0].detail);
    receiver.shutdown().await;
    elsewhere.shutdown().await;
}
