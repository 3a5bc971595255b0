//! Team mode end to end: real `calleague-receiver serve --database` processes on one real
//! PostgreSQL (Debian's, started for the test), deliveries over HTTP on loopback.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::{lifecycle_bodies, Rng, TestPostgres, WatchedProcess};

const RECEIVER: &str = env!("CARGO_BIN_EXE_calleague-receiver");
const KEY: &str = "sk_team_mode_test_0042";

/// A `calleague-receiver serve` in team mode on `database`, with `extra` arguments.
fn receiver_with(database: &str, extra: &[&str]) -> WatchedProcess {
    let mut command = Command::new(RECEIVER);
    command
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .env("CALLEAGUE_DATABASE_URL", database)
        .env("CALLEAGUE_API_KEY", KEY)
        .env_remove("CALLEAGUE_API_BASE");
    WatchedProcess::spawn(command).expect("the receiver listens")
}

fn receiver(database: &str) -> WatchedProcess {
    receiver_with(database, &[])
}

/// The bodies with every fifth sent again, shuffled.
fn with_repeats(bodies: &[Vec<u8>], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut sends = bodies.to_vec();
    sends.extend(bodies.iter().step_by(5).cloned());
    rng.shuffle(&mut sends);
    sends
}

/// One POST; the status, or `None` when the connection failed.
async fn post(client: &reqwest::Client, url: &str, body: &[u8]) -> Option<u16> {
    let reply =
        client.post(url).bearer_auth(KEY).header("content-type", "application/json").body(body.to_vec()).send().await;
    reply.ok().map(|r| r.status().as_u16())
}

/// `/readyz`'s status and word.
async fn readiness(url: &str) -> (u16, String) {
    let reply = reqwest::get(url).await.unwrap();
    (reply.status().as_u16(), reply.text().await.unwrap())
}

async fn pg_store(url: &str) -> Arc<PgStore> {
    let url: DatabaseUrl = url.parse().unwrap();
    PgStore::connect(&url, PgOptions::default()).await.unwrap()
}

/// Every call holds its five events and ended as the generator made it.
async fn assert_ground_truth(store: &PgStore, calls: usize) {
    let all = store.all_calls().await.unwrap();
    assert_eq!(all.len(), calls);
    for call in all {
        let n: usize = call.record.call_id.trim_start_matches("call_").parse().unwrap();
        let phase = call.record.phase.map(|p| p.as_str().to_owned());
        let expected = if n % 6 == 0 { "failed" } else { "completed" };
        assert_eq!(phase.as_deref(), Some(expected), "{}", call.record.call_id);
        assert_eq!(call.event_count, 5, "{}", call.record.call_id);
        assert_eq!(call.record.recording_id, Some(format!("rec_{n}")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receivers_store_each_delivery_once_and_count_every_attempt() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("two_receivers").unwrap();
    let (a, b) = (receiver(&url), receiver(&url));
    let mut rng = Rng(0x7ea0_0001);
    let bodies = lifecycle_bodies(1_000, &mut rng);
    // Each receiver gets every delivery, in its own order, some twice: as when Calleague
    // sends to two webhook URLs and retries some.
    let client = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut sent = 0;
    for target in [&a, &b] {
        let sends = with_repeats(&bodies, &mut rng);
        sent += sends.len();
        for chunk in sends.chunks(sends.len().div_ceil(8)) {
            let (client, url, chunk) = (client.clone(), target.url.clone(), chunk.to_vec());
            tasks.spawn(async move {
                for body in chunk {
                    assert_eq!(post(&client, &url, &body).await, Some(200));
                }
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let store = pg_store(&url).await;
    let totals = store.totals().await.unwrap();
    assert_eq!(totals.deliveries, 5_000, "each delivery stored once");
    assert_eq!(totals.events, 5_000);
    assert_eq!(totals.attempts, sent as i64, "every attempt counted, across both receivers");
    assert_ground_truth(&store, 1_000).await;

    // `export --database` reads the same calls and events.
    let export = |what: &str, format: &str| {
        let out = Command::new(RECEIVER)
            .args(["export", "--what", what, "--format", format])
            .env("CALLEAGUE_DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let calls = export("calls", "ndjson");
    assert_eq!(calls.lines().count(), 1_000);
    let first: serde_json::Value = serde_json::from_str(calls.lines().next().unwrap()).unwrap();
    assert_eq!((first["callId"].as_str(), first["phase"].as_str()), (Some("call_00000"), Some("failed")));
    let events = export("events", "csv");
    assert_eq!(events.lines().next(), Some("deliveryId,event,callId,occurredAt,receivedAt,attempts,late"));
    assert_eq!(events.lines().count(), 5_001);
}

/// Sends every body until one receiver acknowledges it (200), as Calleague retries:
/// `workers` at once, first to `urls[i % n]`, then to the next one on a failure.
/// Returns how many replies were 503.
async fn deliver_all(
    urls: Arc<Mutex<Vec<String>>>,
    bodies: Arc<Vec<Vec<u8>>>,
    acked: Arc<AtomicUsize>,
    workers: usize,
) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (urls, bodies, acked, next, unavailable, client) =
            (urls.clone(), bodies.clone(), acked.clone(), next.clone(), unavailable.clone(), client.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(body) = bodies.get(i) else { return };
                let mut attempt = i;
                let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
                loop {
                    let url = {
                        let urls = urls.lock().unwrap();
                        urls[attempt % urls.len()].clone()
                    };
                    match post(&client, &url, body).await {
                        Some(200) => break,
                        Some(503) => {
                            unavailable.fetch_add(1, Ordering::SeqCst);
                        }
                        Some(other) => panic!("unexpected status {other}"),
                        None => {}
                    }
                    assert!(tokio::time::Instant::now() < deadline, "delivery {i} never acknowledged");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                acked.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    unavailable.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_during_load_loses_nothing_the_other_keeps_serving() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("kill_one").unwrap();
    let (mut a, b) = (receiver(&url), receiver(&url));
    let mut rng = Rng(0x7ea0_0002);
    let mut bodies = lifecycle_bodies(600, &mut rng);
    rng.shuffle(&mut bodies);
    let bodies = Arc::new(bodies);
    let urls = Arc::new(Mutex::new(vec![a.url.clone(), b.url.clone()]));
    let acked = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn(deliver_all(urls.clone(), bodies.clone(), acked.clone(), 16));
    while acked.load(Ordering::SeqCst) < 1_000 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // kill -9 mid-load: requests in flight on it fail, and are sent again to the other.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let killed_at = acked.load(Ordering::SeqCst);
    load.await.unwrap();
    assert!(killed_at < bodies.len(), "the receiver was killed before the load ended");
    assert_eq!(acked.load(Ordering::SeqCst), bodies.len());

    let store = pg_store(&url).await;
    let totals = store.totals().await.unwrap();
    assert_eq!(totals.deliveries, bodies.len() as i64, "every acknowledged delivery stored, once");
    assert_eq!(totals.events, bodies.len() as i64);
    assert_ground_truth(&store, 600).await;
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_during_load_gives_503s_then_recovers_with_nothing_lost() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("restart").unwrap();
    let a = receiver(&url);
    let mut rng = Rng(0x7ea0_0003);
    let mut bodies = lifecycle_bodies(400, &mut rng);
    rng.shuffle(&mut bodies);
    let bodies = Arc::new(bodies);
    let acked = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn(deliver_all(Arc::new(Mutex::new(vec![a.url.clone()])), bodies.clone(), acked.clone(), 8));
    while acked.load(Ordering::SeqCst) < 500 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pg.stop().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = acked.load(Ordering::SeqCst);
    // A load balancer would take this receiver out now, and see it still alive.
    let readyz = a.url.replace("/hooks/calleague", "/readyz");
    assert_eq!(readiness(&readyz).await, (503, "store".to_owned()));
    let livez = reqwest::get(a.url.replace("/hooks/calleague", "/livez")).await.unwrap();
    assert_eq!(livez.status(), 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(acked.load(Ordering::SeqCst), during, "nothing is acknowledged while the database is down");
    pg.restart().unwrap();
    let mut back = (0, String::new());
    for _ in 0..50 {
        back = readiness(&readyz).await;
        if back.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(back, (200, "ok".to_owned()), "/readyz did not recover with the database");
    let unavailable = load.await.unwrap();
    assert!(unavailable > 0, "the receiver answered 503 while the database was down");
    assert_eq!(acked.load(Ordering::SeqCst), bodies.len());

    let store = pg_store(&url).await;
    let totals = store.totals().await.unwrap();
    assert_eq!(totals.deliveries, bodies.len() as i64, "every acknowledged delivery stored, once");
    assert_ground_truth(&store, 400).await;

    // The receiver's own count of the same: each 200 and each 503 counted.
    let text = reqwest::get(a.url.replace("/hooks/calleague", "/metrics")).await.unwrap().text().await.unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let sample = |name: &str, label: Option<(&str, &str)>| {
        let found =
            scrape.samples.iter().find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)));
        match found.map(|s| &s.value) {
            Some(
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v),
            ) => *v,
            other => panic!("{name} {label:?}: {other:?} in {text}"),
        }
    };
    // Each body got exactly one 200: stored, or a duplicate when an earlier attempt was
    // committed but its reply was a 503 (the connection died after the COMMIT was sent).
    let stored = sample("calleague_deliveries_total", Some(("outcome", "stored")));
    let duplicate = sample("calleague_deliveries_total", Some(("outcome", "duplicate")));
    assert_eq!(stored + duplicate, bodies.len() as f64, "stored {stored}, duplicate {duplicate}");
    assert_eq!(sample("calleague_deliveries_total", Some(("reason", "store_unavailable"))), unavailable as f64);
    let pool = sample("calleague_database_connections", Some(("state", "idle")))
        + sample("calleague_database_connections", Some(("state", "in_use")));
    assert!((1.0..=16.0).contains(&pool), "the pool holds {pool} connections");
}

#[test]
fn a_password_in_an_argument_is_refused_without_showing_it() {
    let out = Command::new(RECEIVER)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database",
            "postgres://writer:hunter2-secret@127.0.0.1:1/calleague",
        ])
        .env("CALLEAGUE_API_KEY", KEY)
        .env_remove("CALLEAGUE_DATABASE_URL")
        .env_remove("CALLEAGUE_API_BASE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("CALLEAGUE_DATABASE_URL") && stderr.contains("PGPASSWORD"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // From the environment it is accepted; the server being absent is then the error, and
    // the password is not in it either.
    let out = Command::new(RECEIVER)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("CALLEAGUE_DATABASE_URL", "postgres://writer:hunter2-secret@127.0.0.1:1/calleague")
        .env("CALLEAGUE_API_KEY", KEY)
        .env_remove("CALLEAGUE_API_BASE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("postgres://writer@127.0.0.1:1/calleague"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");

    let out = Command::new(RECEIVER)
        .args(["serve", "--help"])
        .env("CALLEAGUE_DATABASE_URL", "postgres://w:hunter2@h/db")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"), "--help shows no value of the variable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_into_postgres_brings_the_calls_once() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("catch_up").unwrap();
    // The schema is made by a receiver (or here, a store) first; catch-up adds to it.
    drop(pg_store(&url).await);
    let sim = calleague_testkit::spawn_sim(KEY, &["--time-scale", "200"]).unwrap();
    let truth = sim_calls_while_down(&sim.url, 25).await;
    assert_eq!(truth.len(), 25);

    let catch_up = || {
        let out = Command::new(RECEIVER)
            .args([
                "catch-up",
                "--from",
                "2000-01-01T00:00:00Z",
                "--to",
                "2100-01-01T00:00:00Z",
                "--api-base",
                &sim.url,
            ])
            .env("CALLEAGUE_DATABASE_URL", &url)
            .env("CALLEAGUE_API_KEY", KEY)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert!(catch_up().starts_with("merged 25 calls"), "all 25 calls merged");
    let store = pg_store(&url).await;
    let calls = store.all_calls().await.unwrap();
    assert_eq!(calls.len(), 25);
    for call in &calls {
        let expected =
            truth.iter().find(|t| t["callId"] == call.record.call_id.as_str()).expect("a call of the simulator");
        assert_eq!(call.record.phase.map(|p| p.as_str().to_owned()), expected["status"].as_str().map(str::to_owned));
        assert!(call.caught_up);
    }
    // Again: nothing new, nothing twice.
    assert_eq!(catch_up(), "merged 0 calls (0 events) of 25 read");
    assert_eq!(store.all_calls().await.unwrap().len(), 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_starting_together_after_a_downtime_catch_it_up_once() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("fleet_downtime").unwrap();
    let sim = calleague_testkit::spawn_sim(KEY, &["--time-scale", "200"]).unwrap();
    let serve_args = ["--api-base", sim.url.as_str(), "--heartbeat-interval", "5s"];
    // A first run: nothing to catch up; then the whole fleet is down.
    let mut first = receiver_with(&url, &serve_args);
    first.wait_for_line("no downtime to catch up", Duration::from_secs(20));
    assert!(Command::new("kill").args(["-TERM", &first.child.id().to_string()]).status().unwrap().success());
    assert!(first.child.wait().unwrap().success());

    assert_eq!(sim_calls_while_down(&sim.url, 20).await.len(), 20);

    // Two receivers start at once: one reads the downtime back, the other finds it done.
    let (a, b) = (receiver_with(&url, &serve_args), receiver_with(&url, &serve_args));
    // Each one's last line of catch-up (progress lines come before it).
    let outcome = |receiver: &WatchedProcess| loop {
        let line = receiver.wait_for_line("catch-up", Duration::from_secs(60)).pop().expect("a line");
        if line.contains("no downtime") || line.contains("calls merged") || line.contains("failed") {
            return line;
        }
    };
    let mut said = [outcome(&a), outcome(&b)];
    said.sort();
    assert!(said[0].contains("20 calls merged"), "{said:?}");
    assert!(said[1].contains("no downtime to catch up"), "{said:?}");
    let store = pg_store(&url).await;
    assert_eq!(store.all_calls().await.unwrap().len(), 20);
    // The agents' names, in the team's database for every viewer: listed once for the
    // fleet (by the first run; the two that started a moment later found it listed lately).
    let agents = store.agents().await.unwrap();
    let named: Vec<(&str, Option<&str>)> = agents.iter().map(|a| (a.agent_id.as_str(), a.name.as_deref())).collect();
    assert_eq!(
        named,
        [
            ("ag_booking", Some("Booking assistant")),
            ("ag_sales", Some("Sales desk")),
            ("ag_support", Some("Support line"))
        ]
    );
    let requests: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/sim/requests", sim.url))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listings = requests["list"].as_array().unwrap().iter().filter(|r| r["path"] == "/api/core/voice/agent").count();
    assert_eq!(listings, 1, "{requests}");
    drop((a, b));
}

#[tokio::test]
async fn one_receiver_of_the_fleet_reconciles_and_another_takes_over_when_it_stops() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("fleet_reconcile").unwrap();
    let sim = calleague_testkit::spawn_sim(KEY, &["--time-scale", "200"]).unwrap();
    let serve_args = ["--api-base", sim.url.as_str(), "--reconcile-every", "300ms"];
    let reading = "REST source: reconciling webhooks with the calls list";
    let mut a = receiver_with(&url, &serve_args);
    a.wait_for_line(reading, Duration::from_secs(20));
    let b = receiver_with(&url, &serve_args);
    b.wait_for_line("catch-up", Duration::from_secs(20));
    // Calls that no webhook delivers: `a`, which holds the fleet's lock, finds them; `b`
    // waits and reads nothing.
    sim_calls_while_down(&sim.url, 5).await;
    let found = a.wait_for_line("rest-reconciliation:", Duration::from_secs(20));
    assert!(found.last().unwrap().contains("5 gained steps"), "{found:?}");
    assert!(Command::new("kill").args(["-TERM", &a.child.id().to_string()]).status().unwrap().success());
    assert!(a.child.wait().unwrap().success());
    let lines = b.wait_for_line(reading, Duration::from_secs(20));
    assert!(lines.iter().all(|l| !l.contains("rest-reconciliation:")), "b read nothing while a led: {lines:?}");
    let store = pg_store(&url).await;
    assert_eq!(store.all_calls().await.unwrap().len(), 5);
    drop(b);
}

/// The simulator makes `calls` calls (with no webhook to deliver them to: as while every
/// receiver is down) and settles; returns its list of calls.
async fn sim_calls_while_down(sim: &str, calls: u32) -> Vec<serde_json::Value> {
    let client = reqwest::Client::new();
    let get = |path: &str| {
        let request = client.get(format!("{sim}{path}")).bearer_auth(KEY);
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let reply = client
        .post(format!("{sim}/sim/calls"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"calls": calls, "rate": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 202);
    for _ in 0..600 {
        if get("/sim/status").await["idle"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    get("/sim/calls").await["list"].as_array().unwrap().clone()
}

/// A team receiver's JSON logs at trace level, with the database's password in its URL
/// (a role that needs it: SCRAM), the key in every request, and a body of our own: none
/// of the three in any line.
#[tokio::test]
async fn team_logs_at_trace_level_hold_no_password_no_key_and_no_body() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("logs").unwrap();
    let password = "pw-never-logged-7731";
    pg.psql("postgres", &format!("CREATE ROLE writer LOGIN PASSWORD '{password}'")).unwrap();
    pg.psql("postgres", "ALTER DATABASE logs OWNER TO writer").unwrap();
    let url = url.replace("postgres://postgres@", &format!("postgres://writer:{password}@"));
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("stderr.log");
    let mut child = Command::new(RECEIVER)
        .args(["--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
        .env("CALLEAGUE_DATABASE_URL", &url)
        .env("CALLEAGUE_API_KEY", KEY)
        .env("RUST_LOG", "trace")
        .env_remove("CALLEAGUE_API_BASE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let receiver = calleague_testkit::listening_url(&mut child).unwrap();
    let marker = "team-body-marker-19fe";
    let client = reqwest::Client::new();
    for i in 0..5 {
        let body = serde_json::json!({"event": "call.started", "deliveryId": format!("dl_{i}"),
            "occurredAt": "2026-01-01T12:00:00Z", "data": {"callId": format!("cl_{i}"), "metadata": {"note": marker}}});
        assert_eq!(post(&client, &receiver, body.to_string().as_bytes()).await, Some(200));
    }
    let wrong = client.post(&receiver).bearer_auth("sk_wrong").body(marker).send().await.unwrap();
    assert_eq!(wrong.status(), 200);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
    let said = std::fs::read_to_string(&stderr_path).unwrap();
    let lines: Vec<&str> = said.lines().collect();
    assert!(lines.iter().any(|l| l.contains("calleague_store_pg")), "the store said nothing: {said}");
    assert!(lines.iter().any(|l| l.contains("team mode: deliveries go to")), "{said}");
    for line in lines {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not JSON: {line}");
        assert!(!line.contains(password), "the database password in a log line: {line}");
        assert!(!line.contains(KEY), "the API key in a log line: {line}");
        assert!(!line.contains(marker), "a delivery's body in a log line: {line}");
    }
}

/// A flood of wrong tokens costs no database write each (they are counted in memory and
/// written once a second): 20,000 of them, 128 at a time, while real deliveries arrive at a
/// steady 100 a second; not one of those gets a 503, and the security log counts them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_wrong_tokens_does_not_hold_real_deliveries_up() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("wrong_token_flood").unwrap();
    // This test is about what a wrong token costs, not about how idle connections end: the
    // receiver closes a keep-alive connection idle for its read timeout, or the oldest idle
    // one at its connection cap, and a client that sends on it in that instant gets a reset
    // (CI saw one, at 128 flooders plus a pile-up of real deliveries on a loaded machine).
    // So the client lets idle connections go well before the receiver would, and the cap is
    // far above what the test opens. Both closings are tested on their own in the receiver.
    let receiver = receiver_with(&url, &["--max-connections", "2048", "--read-timeout", "30s"]);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut flood = tokio::task::JoinSet::new();
    let flooders = 128;
    for i in 0..flooders {
        let (client, target) = (client.clone(), receiver.url.clone());
        let requests = 20_000 / flooders + usize::from(i < 20_000 % flooders);
        flood.spawn(async move {
            for _ in 0..requests {
                let reply = client.post(&target).bearer_auth("sk_not_the_key").body("{}").send().await.unwrap();
                assert_eq!(reply.status(), 200, "a wrong token is acknowledged and discarded");
            }
        });
    }
    // The real deliveries: one every 10 ms, each on its own task, while the flood lasts.
    let bodies = lifecycle_bodies(2_000, &mut Rng(0xf100d));
    let mut real = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut sent = 0;
    while !flood.is_empty() && sent < bodies.len() {
        tick.tick().await;
        let (client, target, body) = (client.clone(), receiver.url.clone(), bodies[sent].clone());
        real.spawn(async move { post(&client, &target, &body).await });
        sent += 1;
        while let Some(done) = flood.try_join_next() {
            done.unwrap();
        }
    }
    while let Some(done) = flood.join_next().await {
        done.unwrap();
    }
    let mut statuses = std::collections::BTreeMap::new();
    while let Some(status) = real.join_next().await {
        *statuses.entry(status.unwrap()).or_insert(0) += 1;
    }
    assert!(sent >= 100, "the flood lasted a second at least: {sent} deliveries during it");
    assert_eq!(statuses, [(Some(200), sent)].into(), "every real delivery acknowledged during the flood");
    let store = pg_store(&url).await;
    assert_eq!(store.totals().await.unwrap().deliveries, sent as i64);
    // Written within a second, without a stop.
    let mut rejected = 0;
    for _ in 0..50 {
        rejected = store.counts(calleague_events::Timestamp::from_unix_millis(0).unwrap()).await.unwrap().rejected;
        if rejected == 20_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rejected, 20_000, "the security log counts every wrong token");
    // The cause itself: rows written to the security log, far fewer than requests (a few a
    // second of flood, not one each). The server's own statistics, a moment after.
    std::thread::sleep(Duration::from_secs(2));
    let written: i64 = pg
        .psql(
            "wrong_token_flood",
            "SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables WHERE relname = 'security_log'",
        )
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    println!("security log rows written for 20,000 wrong tokens: {written}");
    assert!(written < 1_000, "a write per rejected request: {written}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_and_trigger_read_the_team_database() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("replay").unwrap();
    let receiver = receiver(&url);
    let client = reqwest::Client::new();
    let failed = br#"{"event":"call.failed","deliveryId":"dl_team_failed","occurredAt":"2026-12-02T10:00:00Z","data":{"callId":"c_team","agentId":"ag_team","endedReason":"busy"}}"#;
    let started = br#"{"event":"call.started","deliveryId":"dl_team_started","occurredAt":"2026-12-02T09:59:00Z","data":{"callId":"c_team","agentId":"ag_team"}}"#;
    assert_eq!(post(&client, &receiver.url, started).await, Some(200));
    assert_eq!(post(&client, &receiver.url, failed).await, Some(200));
    let handler = calleague_testkit::Handler::start(false);
    let cli = |args: &[&str]| {
        let out = Command::new(RECEIVER)
            .args(args)
            .env("CALLEAGUE_DATABASE_URL", &url)
            .env("CALLEAGUE_API_KEY", KEY)
            .env_remove("CALLEAGUE_API_BASE")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // One delivery by its deliveryId, from the team's database: the stored body, as a replay.
    let (ok, out, stderr) = cli(&["replay", "--to", &handler.url(), "--delivery", "dl_team_failed"]);
    assert!(ok, "{stderr}");
    assert!(out.starts_with(&format!("dl_team_failed call.failed → 127.0.0.1:{} 200 in ", handler.port)), "{out}");
    assert_eq!(handler.received()[0].1, failed);
    assert!(handler.received()[0].0.contains(&("calleague-monitor-replay".into(), "1".into())));
    // Everything of one event received in the last hour.
    let (ok, out, stderr) = cli(&["replay", "--to", &handler.url(), "--since", "1h", "--event", "call.started"]);
    assert!(ok, "{stderr}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(handler.delivery_ids(), ["dl_team_failed", "dl_team_started"]);
    // Team mode keeps no attempts: --not-answered is refused, not silently empty.
    let (ok, _, stderr) = cli(&["replay", "--to", &handler.url(), "--since", "1h", "--not-answered"]);
    assert!(!ok && stderr.contains("--not-answered"), "{stderr}");
    // A made-up failure with its values from the team's newest real one.
    let (ok, made, stderr) = cli(&["trigger", "call.failed", "--to", &handler.url(), "--set", "durationSec=3"]);
    assert!(ok, "{stderr}");
    let made: serde_json::Value = serde_json::from_str(made.trim()).unwrap();
    assert_eq!(made["data"]["agentId"], "ag_team");
    assert_eq!(made["data"]["endedReason"], "busy");
    assert_eq!(made["data"]["durationSec"], 3);
    assert_eq!(handler.received().len(), 3);
}

/// Failed calls that started a few minutes ago, `count` of them, through `url`.
async fn failed_calls(client: &reqwest::Client, url: &str, prefix: &str, count: usize) {
    let now = calleague_events::Timestamp::now().unix_millis();
    for n in 0..count {
        let at = calleague_events::Timestamp::from_unix_millis(now - 4 * 60_000 + n as i64 * 5_000).unwrap();
        let body = format!(
            r#"{{"event":"call.failed","deliveryId":"{prefix}_{n}","occurredAt":"{at}","data":{{"callId":"{prefix}_{n}","agentId":"ag_fleet","endedReason":"pipeline-error"}}}}"#
        );
        assert_eq!(post(client, url, body.as_bytes()).await, Some(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_receiver_of_the_fleet_evaluates_the_alert_rules_and_posts_once() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("fleet_alerts").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"[{"id": "failed", "name": "Failed calls in the fleet", "metric": {"kind": "failedCalls"},
             "windowMinutes": 15, "condition": {"op": "above", "threshold": 5}, "severity": "critical", "cooldownMinutes": 0}]"#,
    )
    .unwrap();
    let chat = calleague_testkit::Handler::start(false);
    let hook = dir.path().join("hook");
    std::fs::write(&hook, chat.url()).unwrap();
    let args = ["--alerts", rules.to_str().unwrap(), "--alert-webhook-file", hook.to_str().unwrap()];
    let leading = "this receiver evaluates the fleet's alert rules";
    let mut a = receiver_with(&url, &args);
    a.wait_for_line(leading, Duration::from_secs(20));
    // Listening once spawned; it waits for `a`'s lock.
    let b = receiver_with(&url, &args);

    // Failures arrive at both receivers: one firing, one message, from `a`.
    let client = reqwest::Client::new();
    failed_calls(&client, &a.url, "fa", 4).await;
    failed_calls(&client, &b.url, "fb", 4).await;
    for _ in 0..200 {
        if !chat.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let posts = chat.received();
    assert_eq!(posts.len(), 1, "one firing, one message");
    let text: serde_json::Value = serde_json::from_slice(&posts[0].1).unwrap();
    assert!(text["text"].as_str().unwrap().contains("Failed calls 8 (above 5) over the last 15 min"), "{text}");

    // `a` stops: `b` takes the lock, finds the firing open and says nothing new.
    assert!(Command::new("kill").args(["-TERM", &a.child.id().to_string()]).status().unwrap().success());
    assert!(a.child.wait().unwrap().success());
    b.wait_for_line(leading, Duration::from_secs(20));
    failed_calls(&client, &b.url, "fc", 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(chat.received().len(), 1, "the firing goes on: no second message");
    let store = pg_store(&url).await;
    let firings = store.firings(0, i64::MAX, 10).await.unwrap();
    assert_eq!(firings.len(), 1);
    assert!(firings[0].resolved_ms.is_none() && firings[0].value > 5.0 && firings[0].peak >= 10.0, "{firings:?}");
    assert_eq!(store.notice_counts().await.unwrap(), (1, 0));
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_s_dimensions_are_chosen_once_and_read_by_every_window() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("dimensions").unwrap();
    let receiver = receiver(&url);
    let client = reqwest::Client::new();
    for (n, campaign) in ["spring", "spring", "autumn"].iter().enumerate() {
        let body = format!(
            r#"{{"event":"call.started","deliveryId":"dl_dim_{n}","occurredAt":"2026-12-02T10:0{n}:00Z","data":{{"callId":"c_dim_{n}","agentId":"ag_team","metadata":{{"campaign":"{campaign}","tier":{n}}}}}}}"#
        );
        assert_eq!(post(&client, &receiver.url, body.as_bytes()).await, Some(200));
    }
    let cli = |args: &[&str]| {
        let out =
            Command::new(RECEIVER).arg("dimensions").args(args).env("CALLEAGUE_DATABASE_URL", &url).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(cli(&[]).1, "no dimensions chosen\n");
    let (ok, out, stderr) = cli(&["campaign", "tier"]);
    assert!(ok, "{stderr}");
    assert_eq!(out, "campaign\tready\ntier\tready\n");
    assert_eq!(cli(&[]).1, out, "shown again as chosen");

    // Every window of the fleet (a reader of the team's database): the fields as chosen, the
    // timeline's menus of their values, and their columns in an export.
    let viewer = PgStore::connect_reader(&url.parse().unwrap(), PgOptions::default()).await.unwrap();
    let chosen: Vec<(String, bool)> =
        viewer.dimensions().await.unwrap().into_iter().map(|d| (d.field, d.ready)).collect();
    assert_eq!(chosen, [("campaign".into(), true), ("tier".into(), true)]);
    let facets = viewer.facets().await.unwrap();
    let menus: Vec<(String, Vec<(String, i64)>)> = facets
        .dimensions
        .into_iter()
        .map(|d| (d.field, d.values.into_iter().map(|v| (v.value, v.calls)).collect()))
        .collect();
    assert_eq!(
        menus,
        [
            ("campaign".into(), vec![("spring".into(), 2), ("autumn".into(), 1)]),
            ("tier".into(), vec![("0".into(), 1), ("1".into(), 1), ("2".into(), 1)]),
        ]
    );
    let mut csv = Vec::new();
    let range = calleague_store::TimeRange::default();
    viewer
        .export(calleague_store::ExportWhat::Calls, calleague_store::ExportFormat::Csv, range, &mut csv)
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert!(header.ends_with(&["metadata.campaign", "metadata.tier"]), "{header:?}");
    assert!(csv.lines().nth(1).unwrap().ends_with(",spring,0"), "{csv}");
    let seen: Vec<String> = viewer.metadata_fields_seen(100).await.unwrap().into_iter().map(|f| f.field).collect();
    assert_eq!(seen, ["campaign", "tier"]);

    // Refused with a reason, changing nothing; then none.
    let (ok, _, stderr) = cli(&["a", "b", "c", "d", "e", "f"]);
    assert!(!ok && stderr.contains("At most 5"), "{stderr}");
    let (ok, _, stderr) = cli(&["campaign", "campaign"]);
    assert!(!ok && stderr.contains("chosen twice"), "{stderr}");
    assert_eq!(cli(&[]).1, "campaign\tready\ntier\tready\n");
    assert_eq!(cli(&["--clear"]).1, "no dimensions chosen\n");
    assert!(viewer.facets().await.unwrap().dimensions.is_empty());
}
