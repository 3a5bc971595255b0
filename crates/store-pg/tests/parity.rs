//! Team mode's store against the SQLite store: the same deliveries, in different orders,
//! with repeats, through two PostgreSQL stores at once (as two receivers), end in the same
//! calls as in SQLite, each delivery once, every attempt counted. A real PostgreSQL
//! server (Debian's, started for the test) and a real SQLite file.

use std::collections::{BTreeMap, HashSet};

use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{
    dedupe_key, AlertLog, CallFilter, CallRow, CallsScope, CountsQuery, ExportFormat, ExportWhat, IncomingDelivery,
    IngestOutcome, Order, PageRequest, Source, SpreadKind, Store, StoreError, StoreOptions, TimeRange,
};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::{lifecycle_bodies as bodies, rfc3339_millis, Rng, TestPostgres};
use serde_json::Value;

fn incoming(body: &[u8]) -> IncomingDelivery {
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: Some("127.0.0.1:40000".into()),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_vec(),
        parsed: parse_delivery(body).expect("the generator writes valid events"),
        hidden: false,
        source: Source::Webhook,
    }
}

/// The same deliveries with every fifth sent again, shuffled.
fn with_repeats(bodies: &[Vec<u8>], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut sends: Vec<Vec<u8>> = bodies.to_vec();
    sends.extend(bodies.iter().step_by(5).cloned());
    rng.shuffle(&mut sends);
    sends
}

async fn sqlite_calls(store: &Store) -> Vec<CallRow> {
    let mut calls = Vec::new();
    let mut page = PageRequest::first(Order::OldestFirst, 1000);
    loop {
        let got = store.calls_page(&CallFilter::default(), &page).unwrap();
        calls.extend(got.items);
        match got.next {
            Some(next) => page = PageRequest { after: Some(next), ..PageRequest::first(Order::OldestFirst, 1000) },
            None => return calls,
        }
    }
}

/// What must be equal whatever the order of arrival (`late_count` and `last_received_at`
/// depend on it).
fn order_free(call: &CallRow) -> impl PartialEq + std::fmt::Debug {
    (call.record.clone(), call.sort_ms, call.first_occurred_at, call.last_occurred_at, call.event_count, call.caught_up)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_database_hold_what_sqlite_holds() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url: DatabaseUrl = pg.create_database("parity").unwrap().parse().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let bodies = bodies(1_000, &mut rng);
    assert_eq!(bodies.len(), 5_000);

    // Two stores, as two receivers: each with its own connections, both migrating at once.
    let (a, b) =
        tokio::join!(PgStore::connect(&url, PgOptions::default()), PgStore::connect(&url, PgOptions::default()));
    let (a, b) = (a.unwrap(), b.unwrap());
    // Every delivery reaches both, in different orders, and some reach one twice.
    let sends_a = with_repeats(&bodies, &mut rng);
    let sends_b = with_repeats(&bodies, &mut rng);
    let sent = (sends_a.len() + sends_b.len()) as i64;
    let mut tasks = tokio::task::JoinSet::new();
    for (store, sends) in [(a.clone(), sends_a), (b.clone(), sends_b)] {
        // Eight deliveries at once through each store.
        for chunk in sends.chunks(sends.len().div_ceil(8)) {
            let (store, chunk) = (store.clone(), chunk.to_vec());
            tasks.spawn(async move {
                let mut outcomes = Vec::new();
                for body in chunk {
                    outcomes.push(store.ingest(incoming(&body)).await.expect("stored"));
                }
                outcomes
            });
        }
    }
    let mut stored = HashSet::new();
    let mut repeats = 0;
    while let Some(outcomes) = tasks.join_next().await {
        for outcome in outcomes.unwrap() {
            match outcome {
                IngestOutcome::Stored(event) => assert!(stored.insert(event.id), "stored twice: {event:?}"),
                IngestOutcome::Duplicate { .. } => repeats += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
    }
    assert_eq!(stored.len(), 5_000, "each delivery stored once, by one of the two");
    assert_eq!(stored.len() as i64 + repeats, sent);

    let totals = a.totals().await.unwrap();
    assert_eq!(totals.deliveries, 5_000);
    assert_eq!(totals.events, 5_000);
    assert_eq!(totals.attempts, sent, "every attempt counted, across both stores");

    // The ground truth: the SQLite store, fed the same deliveries in yet another order.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(dir.path().join("truth.db"), StoreOptions::default()).unwrap();
    for body in with_repeats(&bodies, &mut rng) {
        sqlite.ingest(incoming(&body)).await.unwrap();
    }
    sqlite.settle().await.unwrap();
    // Two metadata fields as dimensions, counted in the background over what is stored.
    sqlite.set_dimensions(vec!["tier".into(), "orderId".into()]).await.unwrap();
    for _ in 0..600 {
        if sqlite.dimensions().unwrap().iter().all(|d| d.ready) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(sqlite.dimensions().unwrap().iter().all(|d| d.ready && d.calls == 1_000));
    let truth = sqlite_calls(&sqlite).await;
    assert_eq!(truth.len(), 1_000);

    let team = a.all_calls().await.unwrap();
    assert_eq!(team.len(), truth.len());
    let truth: BTreeMap<_, _> = truth.iter().map(|c| (c.record.call_id.clone(), c)).collect();
    for call in &team {
        let expected = truth.get(&call.record.call_id).expect("the same calls");
        assert_eq!(order_free(call), order_free(expected), "call {}", call.record.call_id);
        assert_eq!(call.event_count, 5);
    }
    // Timeline order as SQLite's: by first occurredAt, then call id.
    let team_order: Vec<_> = team.iter().map(|c| &c.record.call_id).collect();
    let mut truth_order: Vec<_> = truth.values().collect();
    truth_order.sort_by(|x, y| (x.sort_ms, &x.record.call_id).cmp(&(y.sort_ms, &y.record.call_id)));
    assert_eq!(team_order, truth_order.iter().map(|c| &c.record.call_id).collect::<Vec<_>>());
    // Exports: the same format and order as SQLite's. Calls whole (every other agent named
    // in both stores); events by what does not depend on arrival (received time, attempts
    // and lateness do).
    let ids = sqlite.unnamed_agent_ids(100).unwrap();
    assert!(ids.len() >= 2, "{ids:?}");
    let names: Vec<calleague_store::AgentName> =
        ids.iter().step_by(2).map(|id| calleague_store::AgentName::named(id.clone(), format!("Agent {id}"))).collect();
    sqlite.put_agents(names.clone(), 1).await.unwrap();
    a.put_agents(names, 1).await.unwrap();
    for format in [ExportFormat::Ndjson, ExportFormat::Csv] {
        let (mut team_out, mut truth_out) = (Vec::new(), Vec::new());
        let written = a.export(ExportWhat::Calls, format, TimeRange::default(), &mut team_out).await.unwrap();
        sqlite.export(ExportWhat::Calls, format, TimeRange::default(), &mut truth_out).unwrap();
        assert_eq!(written, 1_000);
        let mut truth_out = String::from_utf8(truth_out).unwrap();
        assert!(truth_out.contains("Agent "), "agents named in the export");
        if format == ExportFormat::Csv {
            // SQLite's CSV has a column for each of its dimensions (the team chooses none):
            // the two last ones, whose values here hold no comma.
            assert!(truth_out.lines().next().unwrap().ends_with(",transcriptId,metadata.tier,metadata.orderId"));
            truth_out = truth_out.lines().map(|line| line.rsplitn(3, ',').nth(2).unwrap().to_owned() + "\n").collect();
        }
        let team_out = String::from_utf8(team_out).unwrap();
        let differ = team_out.lines().zip(truth_out.lines()).find(|(a, b)| a != b);
        assert_eq!(differ, None, "{format:?}");
        assert_eq!(team_out, truth_out, "{format:?}");
    }
    let arrival_free = |out: Vec<u8>| -> Vec<(Value, Value, Value, Value)> {
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).unwrap();
                (v["deliveryId"].clone(), v["event"].clone(), v["callId"].clone(), v["occurredAt"].clone())
            })
            .collect()
    };
    // A window in the middle, so that both edges cut through the calls.
    let range = TimeRange {
        from: Some(Timestamp::from_unix_millis(1_795_000_200_000).unwrap()),
        to: Some(Timestamp::from_unix_millis(1_795_000_700_000).unwrap()),
    };
    let (mut team_out, mut truth_out) = (Vec::new(), Vec::new());
    let written = a.export(ExportWhat::Events, ExportFormat::Ndjson, range, &mut team_out).await.unwrap();
    sqlite.export(ExportWhat::Events, ExportFormat::Ndjson, range, &mut truth_out).unwrap();
    let (team_events, truth_events) = (arrival_free(team_out), arrival_free(truth_out));
    assert!(written > 2_000 && written as usize == team_events.len(), "{written}");
    assert_eq!(team_events, truth_events);

    // Alert rules count the same numbers: SQLite from its rollups, PostgreSQL from the calls.
    let sample = truth.values().find(|c| c.record.ended_reason.is_some() && c.record.agent_id.is_some()).unwrap();
    let (reason, agent) = (sample.record.ended_reason.clone(), sample.record.agent_id.clone());
    let direction = truth.values().find_map(|c| c.record.direction.clone());
    let language = truth.values().find_map(|c| c.record.language.clone());
    let order_id = truth.values().find_map(|c| c.record.metadata.as_ref()?["orderId"].as_str().map(str::to_owned));
    let minute = |ms: i64| ms.div_euclid(60_000) * 60_000;
    let (first, last) =
        (truth.values().map(|c| c.sort_ms).min().unwrap(), truth.values().map(|c| c.sort_ms).max().unwrap());
    let windows = [
        (minute(first), minute(last) + 60_000),
        (minute(first + (last - first) / 3), minute(first + (last - first) / 2)),
        (minute(first) + 120_000, minute(first) + 180_000),
    ];
    let reasons: std::collections::BTreeSet<String> = reason.into_iter().collect();
    let queries = [
        CountsQuery {
            calls: true,
            reasons: reasons.clone(),
            spreads: [SpreadKind::Duration].into(),
            ..CountsQuery::default()
        },
        CountsQuery { spreads: [SpreadKind::Wait].into(), ..CountsQuery::default() },
        // Histograms are kept over all calls only (a rule's check refuses an agent with them).
        CountsQuery {
            calls: true,
            scope: CallsScope::Agent(agent.unwrap()),
            reasons: reasons.clone(),
            ..CountsQuery::default()
        },
        // A dimension's value: its own rollup in SQLite, the calls' own field in PostgreSQL.
        CountsQuery {
            calls: true,
            scope: CallsScope::Dimension { dimension: "direction".into(), value: direction.unwrap() },
            reasons: reasons.clone(),
            ..CountsQuery::default()
        },
        CountsQuery {
            calls: true,
            scope: CallsScope::Dimension { dimension: "language".into(), value: language.unwrap() },
            ..CountsQuery::default()
        },
        // A metadata field's value: a dimension chosen in SQLite, the calls' JSON in PostgreSQL.
        CountsQuery {
            calls: true,
            scope: CallsScope::Dimension { dimension: "metadata.tier".into(), value: "gold".into() },
            reasons: reasons.clone(),
            ..CountsQuery::default()
        },
        CountsQuery {
            calls: true,
            scope: CallsScope::Dimension { dimension: "metadata.orderId".into(), value: order_id.unwrap() },
            ..CountsQuery::default()
        },
        // Several rules' questions in one: two reasons (one that no call has), both histograms.
        CountsQuery {
            calls: true,
            reasons: reasons.iter().cloned().chain(["no-such-reason".to_owned()]).collect(),
            spreads: [SpreadKind::Duration, SpreadKind::Wait].into(),
            deliveries: true,
            rejected: true,
            ..CountsQuery::default()
        },
    ];
    for (from, to) in windows {
        for query in &queries {
            let team_counts = AlertLog::rule_counts(a.as_ref(), from, to, query.clone()).await.unwrap();
            let sqlite_counts = sqlite.rule_counts(from, to, query).unwrap();
            assert_eq!(team_counts, sqlite_counts, "{from}..{to} {query:?}");
            let team_minutes = AlertLog::rule_minutes(a.as_ref(), from, to, query.clone()).await.unwrap();
            assert_eq!(team_minutes, sqlite.rule_minutes(from, to, query).unwrap(), "{from}..{to} {query:?} by minute");
        }
    }
    let (from, to) = windows[0];
    assert_eq!(
        AlertLog::rule_counts(a.as_ref(), from, to, CountsQuery { calls: true, ..CountsQuery::default() })
            .await
            .unwrap()
            .calls(),
        1_000
    );
    let now = Timestamp::now().unix_millis();
    let deliveries = CountsQuery { deliveries: true, ..CountsQuery::default() };
    let received = AlertLog::rule_counts(a.as_ref(), now - 3_600_000, now + 60_000, deliveries.clone()).await.unwrap();
    assert_eq!(received.deliveries, 5_000);
    assert_eq!(
        sqlite.rule_counts(minute(now - 3_600_000), minute(now) + 60_000, &deliveries).unwrap().deliveries,
        5_000
    );

    // The dedupe key is the shared one: a delivery without deliveryId is keyed on its call.
    let keyless =
        incoming(&bodies.iter().find(|b| !String::from_utf8_lossy(b).contains("deliveryId")).unwrap().clone());
    assert!(dedupe_key(&keyless).starts_with("c:call_"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_is_down_is_unavailable_then_recovers_without_a_restart() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url: DatabaseUrl = pg.create_database("downtime").unwrap().parse().unwrap();
    let options = PgOptions { connect_timeout: std::time::Duration::from_secs(2), ..PgOptions::default() };
    let store = PgStore::connect(&url, options).await.unwrap();
    let mut rng = Rng(7);
    let bodies = bodies(3, &mut rng);
    assert!(matches!(store.ingest(incoming(&bodies[0])).await.unwrap(), IngestOutcome::Stored(_)));

    pg.stop().unwrap();
    let down = store.ingest(incoming(&bodies[1])).await;
    match down {
        Err(StoreError::Unavailable(reason)) => {
            assert!(!reason.contains("password"), "{reason}");
        }
        other => panic!("expected unavailable while the server is down, got {other:?}"),
    }

    pg.restart().unwrap();
    // The pool's dead connections are replaced: the same store works again (a delivery
    // that meets a connection the pool has not yet seen die is refused, and sent again, as
    // Calleague would).
    let mut stored = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    for body in &bodies[1..] {
        loop {
            match store.ingest(incoming(body)).await {
                Ok(IngestOutcome::Stored(_)) => break stored += 1,
                Ok(other) => panic!("unexpected {other:?}"),
                Err(StoreError::Unavailable(_)) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await
                }
                Err(e) => panic!("the store did not recover: {e}"),
            }
        }
    }
    assert_eq!(stored, bodies.len() - 1);
    let totals = store.totals().await.unwrap();
    assert_eq!(totals.deliveries, bodies.len() as i64, "nothing acknowledged lost, nothing unacknowledged kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_the_password_never_shows() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url = pg.create_database("newer").unwrap();
    let store = PgStore::connect(&url.parse().unwrap(), PgOptions::default()).await.unwrap();
    drop(store);
    pg.psql("newer", "INSERT INTO schema_migrations (version) VALUES (999)").unwrap();
    let err = PgStore::connect(&url.parse().unwrap(), PgOptions::default()).await.err().expect("refused");
    assert!(matches!(err, StoreError::TooNew { found: 999, .. }), "{err}");

    let secret: DatabaseUrl = format!("postgres://postgres:s3cret-pw@127.0.0.1:{}/nosuchdb", pg.port).parse().unwrap();
    assert_eq!(secret.to_string(), format!("postgres://postgres@127.0.0.1:{}/nosuchdb", pg.port));
    let err = PgStore::connect(&secret, PgOptions::default()).await.err().expect("no such database");
    let message = err.to_string();
    assert!(message.contains("nosuchdb") && !message.contains("s3cret-pw"), "{message}");
    let bad = "postgres://postgres:s3cret-pw@127.0.0.1:notaport/db".parse::<DatabaseUrl>().err().unwrap();
    assert!(!bad.contains("s3cret-pw"), "{bad}");
}

#[test]
fn the_generator_writes_times_as_calleague_does() {
    for ms in [0, 951_782_400_123, 1_795_000_000_000, 1_795_000_428_067, 4_102_444_799_999] {
        assert_eq!(rfc3339_millis(ms), Timestamp::from_unix_millis(ms).unwrap().to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_stops_waiting_leaves_nothing_half_written() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url: DatabaseUrl = pg.create_database("cancelled").unwrap().parse().unwrap();
    // Few connections, so that a connection a cancelled delivery left behind is reused.
    let store = PgStore::connect(&url, PgOptions { max_connections: 2, ..PgOptions::default() }).await.unwrap();
    let mut rng = Rng(99);
    let bodies = bodies(200, &mut rng);
    // As hyper does when a client hangs up: the request's future is dropped midway.
    for (i, body) in bodies.iter().enumerate() {
        let wait = std::time::Duration::from_micros(50 * (i as u64 % 40));
        let _ = tokio::time::timeout(wait, store.ingest(incoming(body))).await;
    }
    // Whatever was cut off, sent again (as Calleague retries), is complete.
    for body in &bodies {
        store.ingest(incoming(body)).await.unwrap();
    }
    let totals = store.totals().await.unwrap();
    assert_eq!(totals.deliveries, bodies.len() as i64);
    assert_eq!(totals.events, totals.deliveries, "every stored delivery has its event");
    for call in store.all_calls().await.unwrap() {
        assert_eq!(call.event_count, 5, "{}", call.record.call_id);
    }
}
