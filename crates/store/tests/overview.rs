//! The overview's numbers against a direct computation over the same rows of a real SQLite
//! file: calls in and out of order, repeats, calls that never ended, calls either side of
//! a range's edges, empty ranges, after pruning, and after counting an existing database
//! anew; the calls by direction, language and the user's metadata fields
//! (`overview_dimensions`) the same way, also while a field chosen later is being counted;
//! and the Agents page (`agent_spread`, the day rows) the same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use calleague_error_code::ErrorCode;
use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{
    AgentsPage, Breakdown, CallsScope, CountsQuery, IncomingDelivery, Outcomes, Overview, QuarantineItem,
    SecurityEntry, Source, Spread, Store, StoreOptions, TimeRange, DURATION_EDGES_MS, WAIT_EDGES_MS,
};
use rusqlite::Connection;
use serde_json::{json, Value};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap()
}

/// 2026-11-20T10:00:00Z: the calls are placed in the ten hours after it.
fn base() -> i64 {
    Timestamp::parse("2026-11-20T10:00:00.000Z").unwrap().unix_millis()
}

fn event(name: &str, id: &str, call: &str, ms: i64, mut data: Value) -> IncomingDelivery {
    data["callId"] = call.into();
    let body = json!({"event": name, "deliveryId": id, "occurredAt": at(ms).to_string(), "data": data});
    let raw = body.to_string().into_bytes();
    IncomingDelivery {
        received_at: Timestamp::now(),
        peer: None,
        headers: vec![],
        parsed: parse_delivery(&raw).unwrap(),
        body: raw,
        hidden: false,
        source: Source::Webhook,
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

const REASONS: &[&str] = &["customer-ended-call", "assistant-ended-call", "customer-busy", "silence-timed-out"];
const AGENTS: &[&str] = &["ag_a", "ag_b", "ag_c"];

/// `count` calls with random lifecycles: some only started, some without call.started,
/// some delivered out of order, some delivered twice.
async fn fill(store: &Store, dice: &mut Dice, count: usize, prefix: &str) {
    for n in 0..count {
        let call = format!("{prefix}{n}");
        let start = base() + dice.next(10 * HOUR as u64) as i64;
        let agent = AGENTS[dice.next(AGENTS.len() as u64) as usize];
        let wait = dice.next(40_000) as i64;
        let length = dice.next(2_000_000) as i64;
        let mut events = Vec::new();
        // 1: only started; 0 and 9: no call.started (so no wait); 4 and up: ended.
        let lifecycle = dice.next(10);
        if lifecycle != 0 && lifecycle != 9 {
            // Some calls say no direction or no language (from the call's number: the dice's
            // sequence stays as it was).
            let mut data = json!({"agentId": agent});
            if n % 7 != 0 {
                data["direction"] = ["inbound", "outbound"][n % 2].into();
            }
            if n % 5 != 0 {
                data["language"] = ["en-US", "de-DE", "es-ES"][n % 3].into();
            }
            // What people pass when they start a call: a text, a number, sometimes nothing.
            if n % 3 != 0 {
                data["metadata"] = json!({"campaign": (["spring", "autumn"][n % 2]), "tier": n % 4});
            }
            events.push(event("call.started", &format!("{call}_s"), &call, start, data));
        }
        if lifecycle != 1 {
            events.push(event("call.connected", &format!("{call}_c"), &call, start + wait, json!({"agentId": agent})));
        }
        if lifecycle >= 4 {
            let failed = dice.next(3) == 0;
            let mut data = json!({"agentId": agent, "durationSec": length as f64 / 1000.0});
            // Metadata that changes as the call goes on (the newest wins).
            if n % 11 == 0 {
                data["metadata"] = json!({"campaign": "winter"});
            }
            if dice.next(8) != 0 {
                data["endedReason"] = REASONS[dice.next(REASONS.len() as u64) as usize].into();
            }
            let name = if failed { "call.failed" } else { "call.completed" };
            events.push(event(name, &format!("{call}_e"), &call, start + wait + length, data));
        }
        if dice.next(4) == 0 {
            events.reverse();
        }
        for mut e in events {
            // A fifth of the steps read from the REST API: after a downtime, or while running.
            e.source = match dice.next(10) {
                0 => Source::Catchup,
                1 => Source::Rest,
                _ => Source::Webhook,
            };
            let again = dice.next(10) == 0;
            let copy = again.then(|| e.clone());
            store.ingest(e).await.unwrap();
            if let Some(copy) = copy {
                store.ingest(copy).await.unwrap();
            }
        }
    }
    store.settle().await.unwrap();
}

/// One call as the `calls` table holds it.
struct CallFacts {
    sort_ms: i64,
    phase: String,
    reason: Option<String>,
    agent: Option<String>,
    duration_ms: Option<i64>,
    wait_ms: Option<i64>,
    ended_ms: Option<i64>,
    direction: Option<String>,
    language: Option<String>,
    metadata: Option<Value>,
}

impl CallFacts {
    /// Whether the call was in progress during `minute`: an ended call from its start to its
    /// end (its endedAt, else its start plus its duration, else its start), one not ended
    /// until it is older than `longest`; a call not known to have started never.
    fn in_progress_during(&self, minute: i64, longest: i64) -> bool {
        let floor = |ms: i64| ms.div_euclid(MINUTE) * MINUTE;
        let start = floor(self.sort_ms);
        match self.phase.as_str() {
            "completed" | "failed" => {
                let end = self.ended_ms.or(self.duration_ms.map(|d| self.sort_ms + d)).unwrap_or(self.sort_ms);
                start <= minute && floor(end.max(self.sort_ms)) >= minute
            }
            "started" | "connected" => start <= minute && start >= minute - longest,
            _ => false,
        }
    }

    /// Its value of a dimension as the rollups count it ('' for none).
    fn value_of(&self, dimension: &str) -> String {
        match dimension {
            "direction" => self.direction.clone().unwrap_or_default(),
            "language" => self.language.clone().unwrap_or_default(),
            field => calleague_store::metadata_value(self.metadata.as_ref(), field.trim_start_matches("metadata.")),
        }
    }
}

/// The longest a call lasts in these checks: calls never ended go stale inside the ranges.
const LONGEST_CALL: std::time::Duration = std::time::Duration::from_secs(30 * 60);

fn stored_calls(path: &std::path::Path) -> Vec<CallFacts> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT sort_ms, phase, ended_reason, agent_id, duration_sec, started_at, connected_at, ended_at,
                    direction, language, metadata FROM calls",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            let started: Option<String> = r.get(5)?;
            let connected: Option<String> = r.get(6)?;
            let ms = |t: Option<String>| t.map(|t| Timestamp::parse(&t).unwrap().unix_millis());
            Ok(CallFacts {
                sort_ms: r.get(0)?,
                phase: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                reason: r.get(2)?,
                agent: r.get(3)?,
                duration_ms: r.get::<_, Option<f64>>(4)?.map(|d| (d * 1000.0).round() as i64),
                wait_ms: ms(started).zip(ms(connected)).map(|(s, c)| c - s),
                ended_ms: ms(r.get(7)?),
                direction: r.get(8)?,
                language: r.get(9)?,
                metadata: r.get::<_, Option<String>>(10)?.and_then(|m| serde_json::from_str(&m).ok()),
            })
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn outcomes<'a>(calls: impl Iterator<Item = &'a CallFacts>) -> Outcomes {
    let mut o = Outcomes::default();
    for c in calls {
        o.calls += 1;
        match c.phase.as_str() {
            "completed" => o.completed += 1,
            "failed" => o.failed += 1,
            _ => o.in_progress += 1,
        }
    }
    o
}

fn step_of(edges: &[i64], value: i64) -> usize {
    (0..edges.len()).rev().find(|i| edges[*i] <= value).unwrap_or(0)
}

/// The histogram and nearest-rank percentiles from the raw values.
fn spread_of(edges: &[i64], mut values: Vec<i64>) -> (Vec<i64>, [Option<usize>; 3]) {
    let mut counts = vec![0; edges.len()];
    for v in &values {
        counts[step_of(edges, *v)] += 1;
    }
    values.sort();
    let pick = |p: f64| {
        (!values.is_empty()).then(|| {
            let rank = ((p * values.len() as f64).ceil() as usize).max(1);
            step_of(edges, values[rank - 1])
        })
    };
    (counts, [pick(0.5), pick(0.9), pick(0.99)])
}

fn assert_spread(spread: &Spread, edges: &[i64], values: Vec<i64>, what: &str) {
    let (counts, percentiles) = spread_of(edges, values);
    assert_eq!(spread.steps.iter().map(|s| s.calls).collect::<Vec<_>>(), counts, "{what} histogram");
    assert_eq!(spread.count, counts.iter().sum::<i64>(), "{what} count");
    let found = [spread.p50, spread.p90, spread.p99].map(|p| p.map(|s| step_of(edges, s.from_ms)));
    assert_eq!(found, percentiles, "{what} p50/p90/p99");
}

/// Every number of the overview of `[from, to)` against the stored rows.
fn check(store: &Store, from: i64, to: i64) -> Overview {
    let asked = Timestamp::now().unix_millis();
    let overview = store.overview(at(from), at(to), LONGEST_CALL).unwrap();
    let answered = Timestamp::now().unix_millis();
    // The overview works in whole minutes: both ends rounded down.
    let (from, to) = (from.div_euclid(MINUTE) * MINUTE, to.div_euclid(MINUTE) * MINUTE);
    assert_eq!((overview.from, overview.to), (at(from), at(to)));
    let calls = stored_calls(store.path());
    let inside: Vec<&CallFacts> = calls.iter().filter(|c| c.sort_ms >= from && c.sort_ms < to).collect();
    let label = format!("range {} .. {}", at(from), at(to));

    let totals = outcomes(inside.iter().copied());
    assert_eq!(overview.totals, totals, "{label}: totals");
    let ended = totals.completed + totals.failed;
    let rate = (ended > 0).then(|| totals.failed as f64 / ended as f64);
    assert_eq!(overview.failure_rate, rate, "{label}: failure rate");
    let previous = outcomes(calls.iter().filter(|c| c.sort_ms >= from - (to - from) && c.sort_ms < from));
    assert_eq!(overview.previous, previous, "{label}: previous period");

    // Bars: every bar of the range, each with the calls placed in it.
    let bar = overview.bar_ms;
    assert_eq!(bar, if to - from <= 6 * HOUR { MINUTE } else { HOUR });
    let first_bar = from.div_euclid(bar) * bar;
    assert_eq!(overview.bars.len() as i64, (to - first_bar + bar - 1) / bar, "{label}: bar count");
    for b in &overview.bars {
        let start = b.at.unix_millis();
        let expected = outcomes(inside.iter().copied().filter(|c| c.sort_ms >= start && c.sort_ms < start + bar));
        assert_eq!(b.outcomes, expected, "{label}: bar at {}", b.at);
        // The peak of calls in progress: the most during any of its minutes up to now; none
        // for a bar still to come (either way for one that began while the overview was read).
        let floor = |ms: i64| ms.div_euclid(MINUTE) * MINUTE;
        if start > floor(answered) {
            assert_eq!(b.peak_in_progress, None, "{label}: a bar to come at {}", b.at);
        } else if start <= floor(asked) {
            let longest = LONGEST_CALL.as_millis() as i64;
            let minutes = (start.max(from)..(start + bar).min(to).min(floor(asked) + MINUTE)).step_by(MINUTE as usize);
            let peak = minutes
                .map(|m| calls.iter().filter(|c| c.in_progress_during(m, longest)).count() as i64)
                .max()
                .unwrap_or(0);
            assert_eq!(b.peak_in_progress, Some(peak), "{label}: calls in progress in the bar at {}", b.at);
        }
    }

    let mut reasons: BTreeMap<Option<String>, (i64, i64)> = BTreeMap::new();
    let mut agents: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for c in &inside {
        let is_ended = c.phase == "completed" || c.phase == "failed";
        if c.reason.is_some() || is_ended {
            let entry = reasons.entry(c.reason.clone()).or_default();
            entry.0 += 1;
            entry.1 += i64::from(c.phase == "failed");
        }
        if c.phase == "failed" {
            *agents.entry(c.agent.clone()).or_default() += 1;
        }
    }
    let found: BTreeMap<_, _> = overview.reasons.iter().map(|t| (t.key.clone(), (t.calls, t.failed))).collect();
    assert_eq!(found, reasons, "{label}: by endedReason");
    assert!(overview.reasons.windows(2).all(|w| w[0].calls >= w[1].calls), "{label}: reasons most first");
    let found: BTreeMap<_, _> = overview.failures_by_agent.iter().map(|t| (t.key.clone(), t.failed)).collect();
    assert_eq!(found, agents, "{label}: failures by agent");

    assert_spread(
        &overview.duration,
        DURATION_EDGES_MS,
        inside.iter().filter_map(|c| c.duration_ms).collect(),
        "duration",
    );
    assert_spread(&overview.wait, WAIT_EDGES_MS, inside.iter().filter_map(|c| c.wait_ms).collect(), "wait");

    // Deliveries by the time they were received.
    let conn = Connection::open(store.path()).unwrap();
    let (webhooks, duplicates, late, caught_up, from_rest): (i64, i64, i64, i64, i64) = conn
        .query_row(
            "SELECT coalesce(sum(d.source = 'webhook'), 0), coalesce(sum(d.attempts - 1), 0),
                    coalesce(sum(coalesce(e.late, 0)), 0), coalesce(sum(d.source = 'catchup'), 0),
                    coalesce(sum(d.source = 'rest'), 0)
             FROM deliveries d LEFT JOIN events e ON e.id = d.id WHERE d.received_ms >= ?1 AND d.received_ms < ?2",
            [from, to],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let h = &overview.health;
    assert_eq!(
        (h.webhooks, h.duplicates, h.late, h.caught_up, h.from_rest),
        (webhooks, duplicates, late, caught_up, from_rest),
        "{label}: deliveries"
    );
    overview
}

/// Every number of the Agents page of `[from, to)` against the stored rows.
fn check_agents(store: &Store, from: i64, to: i64) -> AgentsPage {
    check_agents_by(store, from, to, None)
}

/// The same, each agent's calls grouped `by` a dimension too.
fn check_agents_by(store: &Store, from: i64, to: i64, by: Option<&str>) -> AgentsPage {
    let page = store.agents_page(at(from), at(to), by).unwrap();
    assert_eq!(page.by.as_deref(), by);
    let (from, to) = (from.div_euclid(MINUTE) * MINUTE, to.div_euclid(MINUTE) * MINUTE);
    assert_eq!((page.from, page.to), (at(from), at(to)));
    let label = format!("agents, range {} .. {}", at(from), at(to));
    let calls = stored_calls(store.path());
    let mut by_agent: BTreeMap<Option<String>, Vec<&CallFacts>> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.sort_ms >= from && c.sort_ms < to) {
        by_agent.entry(c.agent.clone()).or_default().push(c);
    }
    let listed: std::collections::BTreeSet<_> = page.agents.iter().map(|a| a.agent_id.clone()).collect();
    assert_eq!(listed, by_agent.keys().cloned().collect(), "{label}: the agents with calls, each once");
    assert_eq!(listed.len(), page.agents.len(), "{label}: each agent once");
    assert!(page.agents.windows(2).all(|w| w[0].outcomes.calls >= w[1].outcomes.calls), "{label}: most calls first");

    let bar = page.bar_ms;
    assert_eq!(bar, if to - from <= 6 * HOUR { MINUTE } else { HOUR });
    let first_bar = from.div_euclid(bar) * bar;
    for agent in &page.agents {
        let mine = &by_agent[&agent.agent_id];
        let what = format!("{label}, {:?}", agent.agent_id);
        let totals = outcomes(mine.iter().copied());
        assert_eq!(agent.outcomes, totals, "{what}: outcomes");
        let ended = totals.completed + totals.failed;
        assert_eq!(agent.failure_rate, (ended > 0).then(|| totals.failed as f64 / ended as f64), "{what}: rate");
        let previous = outcomes(
            calls.iter().filter(|c| c.agent == agent.agent_id && c.sort_ms >= from - (to - from) && c.sort_ms < from),
        );
        assert_eq!(agent.previous, previous, "{what}: the period before");

        let mut reasons: BTreeMap<Option<String>, (i64, i64)> = BTreeMap::new();
        for c in mine {
            if c.reason.is_some() || c.phase == "completed" || c.phase == "failed" {
                let entry = reasons.entry(c.reason.clone()).or_default();
                entry.0 += 1;
                entry.1 += i64::from(c.phase == "failed");
            }
        }
        let found: BTreeMap<_, _> = agent.reasons.iter().map(|t| (t.key.clone(), (t.calls, t.failed))).collect();
        assert_eq!(found, reasons, "{what}: by endedReason");
        assert!(agent.reasons.windows(2).all(|w| w[0].calls >= w[1].calls), "{what}: reasons most first");

        for (found, edges, values, measure) in [
            (&agent.duration, DURATION_EDGES_MS, mine.iter().filter_map(|c| c.duration_ms).collect(), "duration"),
            (&agent.wait, WAIT_EDGES_MS, mine.iter().filter_map(|c| c.wait_ms).collect::<Vec<_>>(), "wait"),
        ] {
            let (counts, [p50, p90, _]) = spread_of(edges, values);
            assert_eq!(found.count, counts.iter().sum::<i64>(), "{what}: {measure} count");
            let steps = [found.p50, found.p90].map(|p| p.map(|s| step_of(edges, s.from_ms)));
            assert_eq!(steps, [p50, p90], "{what}: {measure} p50/p90");
        }

        assert_eq!(agent.bars.len() as i64, (to - first_bar + bar - 1) / bar, "{what}: bar count");
        for (i, count) in agent.bars.iter().enumerate() {
            let start = first_bar + i as i64 * bar;
            let expected = mine.iter().filter(|c| c.sort_ms >= start && c.sort_ms < start + bar).count() as i64;
            assert_eq!(*count, expected, "{what}: the bar at {}", at(start));
        }

        let mut by_value: BTreeMap<Option<String>, Vec<&CallFacts>> = BTreeMap::new();
        if let Some(by) = by {
            for c in mine {
                let value = c.value_of(by);
                by_value.entry((!value.is_empty()).then_some(value)).or_default().push(c);
            }
        }
        let values: BTreeMap<_, _> = by_value.into_iter().map(|(v, calls)| (v, outcomes(calls.into_iter()))).collect();
        let found: BTreeMap<_, _> = agent.values.iter().map(|v| (v.value.clone(), v.outcomes)).collect();
        assert_eq!(found, values, "{what}: by {by:?}");
        assert!(agent.values.windows(2).all(|w| w[0].outcomes.calls >= w[1].outcomes.calls), "{what}: most first");
    }
    page
}

/// The calls of `[from, to)` by `dimension`'s values against the stored calls, each value's
/// outcomes read from its rows (the value as the timeline's filter reads it).
fn check_breakdown(store: &Store, from: i64, to: i64, dimension: &str) -> Breakdown {
    let found = store.breakdown(at(from), at(to), dimension).unwrap();
    let (from, to) = (from.div_euclid(MINUTE) * MINUTE, to.div_euclid(MINUTE) * MINUTE);
    let conn = Connection::open(store.path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT direction, language, metadata, phase FROM calls WHERE sort_ms >= ?1 AND sort_ms < ?2")
        .unwrap();
    let mut expected: BTreeMap<Option<String>, Outcomes> = BTreeMap::new();
    let rows = stmt
        .query_map([from, to], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (direction, language, metadata, phase) = row.unwrap();
        let value = match dimension {
            "direction" => direction.unwrap_or_default(),
            "language" => language.unwrap_or_default(),
            field => {
                let metadata: Option<Value> = metadata.and_then(|m| serde_json::from_str(&m).ok());
                calleague_store::metadata_value(metadata.as_ref(), field.trim_start_matches("metadata."))
            }
        };
        let o = expected.entry((!value.is_empty()).then_some(value)).or_default();
        o.calls += 1;
        match phase.as_deref() {
            Some("completed") => o.completed += 1,
            Some("failed") => o.failed += 1,
            _ => o.in_progress += 1,
        }
    }
    let got: BTreeMap<_, _> = found.values.iter().map(|v| (v.value.clone(), v.outcomes)).collect();
    assert_eq!(got, expected, "{dimension} over {} .. {}", at(from), at(to));
    assert!(found.values.windows(2).all(|w| w[0].outcomes.calls >= w[1].outcomes.calls), "most calls first");
    for v in &found.values {
        assert_eq!(v.failure_rate, v.outcomes.failure_rate());
    }
    found
}

/// The status bar's counts against the rows themselves.
fn assert_counts(store: &Store, since: i64) {
    let counts = store.counts(at(since)).unwrap();
    let conn = Connection::open(store.path()).unwrap();
    let (total, repeats, today, last): (i64, i64, i64, Option<i64>) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(attempts - 1), 0), coalesce(sum(received_ms >= ?1), 0), max(received_ms)
             FROM deliveries",
            [since],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((counts.deliveries_total, counts.repeats, counts.deliveries_since), (total, repeats, today));
    assert_eq!(counts.last_delivery_at.map(|t| t.unix_millis()), last);
    let mut phases = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT coalesce(phase, ''), count(*) FROM calls GROUP BY 1").unwrap();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap() {
        let (phase, n) = row.unwrap();
        phases.insert(phase, n);
    }
    let n = |p: &str| phases.get(p).copied().unwrap_or(0);
    assert_eq!(
        (counts.calls, counts.calls_started, counts.calls_connected, counts.calls_completed, counts.calls_failed),
        (phases.values().sum(), n("started"), n("connected"), n("completed"), n("failed"))
    );
}

/// `overview_dimensions`, row for row, against the stored calls counted here (direction,
/// language and the metadata `fields` chosen).
fn assert_dimensions(path: &std::path::Path, fields: &[&str]) {
    let conn = Connection::open(path).unwrap();
    type Key = (i64, String, String, i64, String, String);
    let mut want: BTreeMap<Key, i64> = BTreeMap::new();
    // And each agent's: span, dimension, bucket, agent, value, phase.
    type AgentKey = (i64, String, i64, String, String, String);
    let mut want_agents: BTreeMap<AgentKey, i64> = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT sort_ms, phase, ended_reason, direction, language, metadata, agent_id FROM calls")
        .unwrap();
    let calls = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                r.get::<_, Option<String>>(5)?.map(|m| serde_json::from_str::<Value>(&m).unwrap()),
                r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            ))
        })
        .unwrap();
    let mut seen = 0;
    for call in calls {
        let (sort_ms, phase, reason, direction, language, metadata, agent) = call.unwrap();
        seen += 1;
        let mut values = vec![("direction".to_owned(), direction), ("language".to_owned(), language)];
        for field in fields {
            let value = match metadata.as_ref().and_then(|m| m.get(field)) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            values.push((format!("metadata.{field}"), value));
        }
        for span in [MINUTE, HOUR] {
            let bucket = sort_ms.div_euclid(span) * span;
            for (dimension, value) in &values {
                let key = (span, dimension.clone(), value.clone(), bucket, phase.clone(), reason.clone());
                *want.entry(key).or_default() += 1;
            }
        }
        for span in [MINUTE, HOUR, 24 * HOUR] {
            let bucket = sort_ms.div_euclid(span) * span;
            for (dimension, value) in &values {
                let key = (span, dimension.clone(), bucket, agent.clone(), value.clone(), phase.clone());
                *want_agents.entry(key).or_default() += 1;
            }
        }
    }
    assert!(seen > 0, "no calls to count");
    let mut stmt = conn
        .prepare("SELECT span, dimension, value, at_ms, phase, ended_reason, calls FROM overview_dimensions")
        .unwrap();
    let got: BTreeMap<Key, i64> = stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?), r.get(6)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(want.keys().any(|k| k.1 == "direction" && k.2.is_empty()), "calls without a direction are counted");
    assert_eq!(got, want, "the calls by dimension");
    let mut stmt =
        conn.prepare("SELECT span, dimension, at_ms, agent_id, value, phase, calls FROM agent_dimensions").unwrap();
    let got: BTreeMap<AgentKey, i64> = stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?), r.get(6)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, want_agents, "each agent's calls by dimension");
}

fn open(path: &std::path::Path) -> Arc<Store> {
    Store::open(path, StoreOptions::default()).unwrap()
}

#[tokio::test]
async fn every_aggregate_equals_a_direct_computation_over_the_stored_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let store = open(&path);
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    fill(&store, &mut dice, 600, "call_").await;

    let b = base();
    let now = Timestamp::now().unix_millis();
    let ranges = [
        (b, b + 10 * HOUR),                           // everything, hour bars, aligned
        (b + 7 * MINUTE, b + 2 * HOUR + 13 * MINUTE), // minutes, hours, minutes
        (b + 3 * HOUR + 30 * MINUTE, b + 4 * HOUR),   // calls either side of both edges
        (b + 5 * HOUR, b + 5 * HOUR + MINUTE),        // one minute
        (b - 24 * HOUR, b + 7 * 24 * HOUR),           // a week, the previous period empty
        (b + 30 * 24 * HOUR, b + 31 * 24 * HOUR),     // nothing at all
        (now - HOUR, now + HOUR),                     // when the deliveries were received
    ];
    for (from, to) in ranges {
        check(&store, from, to);
        check_agents(&store, from, to);
    }
    // Whole days in the middle of a range, read from the day rows, and days that start
    // and end inside a day.
    let midnight = b.div_euclid(24 * HOUR) * 24 * HOUR;
    for (from, to) in
        [(midnight - 3 * 24 * HOUR + 17 * MINUTE, midnight + 2 * 24 * HOUR - 5 * MINUTE), (midnight, b + 5 * HOUR)]
    {
        check_agents(&store, from, to);
    }
    for dimension in ["direction", "language"] {
        // Each agent's calls by the dimension: a week (day rows), cut hours.
        let week = check_agents_by(&store, b - 24 * HOUR, b + 6 * 24 * HOUR, Some(dimension));
        assert!(week.agents.iter().all(|a| a.values.len() >= 3), "{:?}", week.agents[0].values);
        check_agents_by(&store, b + 7 * MINUTE, b + 2 * HOUR + 13 * MINUTE, Some(dimension));
        let all = check_breakdown(&store, b, b + 10 * HOUR, dimension);
        assert!(all.values.len() >= 3 && all.values.iter().any(|v| v.value.is_none()), "{all:?}");
        check_breakdown(&store, b + 7 * MINUTE, b + 2 * HOUR + 13 * MINUTE, dimension);
    }
    let unknown = store.breakdown(at(b), at(b + HOUR), "colour").unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::SettingInvalid, "{unknown}");
    let unknown = store.agents_page(at(b), at(b + HOUR), Some("colour")).unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::SettingInvalid, "{unknown}");
    let week = check_agents(&store, b - 24 * HOUR, b + 6 * 24 * HOUR);
    assert_eq!(week.agents.len(), AGENTS.len(), "every agent has calls: {:?}", week.agents);
    assert!(week.agents.iter().all(|a| a.outcomes.failed > 0 && a.duration.p90.is_some() && !a.reasons.is_empty()));
    assert!(check_agents(&store, b + 30 * 24 * HOUR, b + 31 * 24 * HOUR).agents.is_empty());
    let all = check(&store, b, b + 10 * HOUR);
    assert_eq!(all.totals.calls, 600, "every call placed in the ten hours");
    let peaks: Vec<i64> = all.bars.iter().filter_map(|bar| bar.peak_in_progress).collect();
    assert!(peaks.len() == 10 && peaks.iter().all(|p| *p > 5), "calls overlap in every hour: {peaks:?}");
    assert!(all.totals.failed > 0 && all.totals.completed > 0 && all.totals.in_progress > 0);
    assert!(all.reasons.iter().any(|t| t.key.is_none()), "ended calls without a reason are counted");
    assert!(all.wait.count > 0 && all.wait.count < 600, "calls never connected have no wait");
    let empty = check(&store, b + 30 * 24 * HOUR, b + 31 * 24 * HOUR);
    assert_eq!((empty.totals.calls, empty.failure_rate, empty.duration.p50), (0, None, None));
    assert_counts(&store, now - HOUR);
    assert_counts(&store, now + HOUR);
    assert_dimensions(&path, &[]);
    let received = check(&store, now - HOUR, now + HOUR);
    assert!(received.health.webhooks > 1000 && received.health.duplicates > 0 && received.health.late > 0);
    assert!(received.health.caught_up > 50 && received.health.from_rest > 50, "{:?}", received.health);

    // A bare minute range is refused with a clear error rather than an empty page.
    let error = store.overview(at(b + 30_000), at(b + 40_000), LONGEST_CALL).unwrap_err();
    assert!(error.to_string().contains("must end after it starts"), "{error}");
}

#[tokio::test]
async fn pruning_and_counting_an_existing_database_keep_the_numbers_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let store = open(&path);
    let mut dice = Dice(42);
    fill(&store, &mut dice, 300, "p_").await;
    let b = base();
    // Prune the first half of the ten hours (by the calls' last event).
    let pruned = store.prune_before(at(b + 5 * HOUR)).await.unwrap();
    assert!(pruned.calls > 50, "{pruned:?}");
    let after = check(&store, b, b + 10 * HOUR);
    assert_eq!(after.totals.calls, 300 - pruned.calls as i64);
    let agents_after = check_agents_by(&store, b - 2 * 24 * HOUR, b + 2 * 24 * HOUR, Some("language"));
    check_agents(&store, b + 4 * HOUR + 10 * MINUTE, b + 6 * HOUR + 50 * MINUTE);
    assert_dimensions(&path, &[]);
    check(&store, b + 4 * HOUR + 10 * MINUTE, b + 6 * HOUR + 50 * MINUTE);
    let now = Timestamp::now().unix_millis();
    check(&store, now - HOUR, now + HOUR);
    store.close();
    drop(store);

    // A database from before the rollups: its calls and deliveries counted when it opens.
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "DELETE FROM overview_calls; DELETE FROM overview_spread; DELETE FROM overview_deliveries;
             DELETE FROM agent_spread; DELETE FROM agent_calls; DELETE FROM agent_dimensions;
             DELETE FROM in_progress_edges; UPDATE overview_built SET built = 0;",
        )
        .unwrap();
    }
    let store = open(&path);
    let rebuilt = check(&store, b, b + 10 * HOUR);
    assert_eq!(rebuilt, after);
    assert_eq!(check_agents_by(&store, b - 2 * 24 * HOUR, b + 2 * 24 * HOUR, Some("language")), agents_after);
    assert_dimensions(&path, &[]);
    store.close();
    drop(store);

    // A database from before the rollups by dimension: its calls counted by the migration.
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "DROP TABLE overview_dimensions; DROP TABLE tracked_dimensions; DROP TABLE agents; DROP TABLE agent_rounds;
             DROP TABLE agent_spread; DROP TABLE agent_calls; DROP TABLE agent_dimensions; DROP TABLE in_progress_edges;
             PRAGMA user_version = 15;",
        )
        .unwrap();
    let store = open(&path);
    assert_dimensions(&path, &[]);
    check(&store, now - HOUR, now + HOUR);
    assert_counts(&store, now - 10 * MINUTE);
    store.close();
    drop(store);

    // A delivery in the log the projection has not reached (what a kill -9 between the
    // stages leaves), read by a read-only store, which never projects: counted all the same.
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO deliveries (id, dedupe_key, delivery_id, source, received_at, received_ms, last_seen_at,
                                     attempts, peer, headers, body)
             VALUES ((SELECT projected_to FROM projection) + 1, 'd:raw', 'raw', 'webhook', ?1, ?2, ?1, 1, NULL,
                     '{}', x'7b7d')",
            rusqlite::params![at(now).to_string(), now],
        )
        .unwrap();
    }
    let reader = Store::open_read_only(&path).unwrap();
    assert_counts(&reader, now - 10 * MINUTE);
    assert_eq!(reader.counts(at(0)).unwrap().deliveries_total, store_rows(&path));
}

/// Waits for the background count of the chosen dimensions to end.
async fn counted(store: &Store) -> Vec<calleague_store::DimensionStatus> {
    for _ in 0..600 {
        let status = store.dimensions().unwrap();
        if status.iter().all(|d| d.ready) {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the count did not end in 30 s: {:?}", store.dimensions().unwrap());
}

#[tokio::test]
async fn a_dimension_chosen_later_is_counted_in_the_background_exactly_once_per_call() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    // Seven calls per step: the count takes many steps, deliveries and pruning between them.
    let store = Store::open(&path, StoreOptions { dimension_step: 7, ..StoreOptions::default() }).unwrap();
    let mut dice = Dice(7);
    fill(&store, &mut dice, 300, "a_").await;
    let b = base();
    let campaign = |value: &str| CountsQuery {
        calls: true,
        scope: CallsScope::Dimension { dimension: "metadata.campaign".into(), value: value.into() },
        ..CountsQuery::default()
    };
    // Not chosen: refused, never an empty count.
    let error = store.rule_counts(b, b + 10 * HOUR, &campaign("spring")).unwrap_err();
    assert_eq!(error.code(), ErrorCode::DimensionNotCounted, "{error}");
    assert!(error.to_string().contains("Settings → Data"), "{error}");

    store.set_dimensions(vec!["campaign".into(), "tier".into()]).await.unwrap();
    // Some 43 steps of 7, each after the queue was quiet for a moment: not done yet.
    let status = store.dimensions().unwrap();
    assert_eq!(status.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["campaign", "tier"]);
    assert!(!status[0].ready && status[0].calls == 300, "{status:?}");
    let error = store.rule_counts(b, b + 10 * HOUR, &campaign("spring")).unwrap_err();
    assert!(error.to_string().contains("still being counted"), "{error}");
    assert!(store.facets().unwrap().dimensions.is_empty(), "no menu of a field still being counted");
    let error = store.breakdown(at(b), at(b + 10 * HOUR), "metadata.campaign").unwrap_err();
    assert_eq!(error.code(), ErrorCode::DimensionNotCounted, "never a partial breakdown: {error}");
    let error = store.agents_page(at(b), at(b + 10 * HOUR), Some("metadata.campaign")).unwrap_err();
    assert_eq!(error.code(), ErrorCode::DimensionNotCounted, "never a partial grouping: {error}");

    // Calls arriving, changing and pruned while the count runs.
    fill(&store, &mut dice, 200, "b_").await;
    let pruned = store.prune_before(at(b + 2 * HOUR)).await.unwrap();
    assert!(pruned.calls > 10, "{pruned:?}");
    fill(&store, &mut dice, 100, "c_").await;
    let status = counted(&store).await;
    let stored = 600 - pruned.calls as i64;
    assert!(status.iter().all(|d| d.counted_calls == stored && d.calls == stored), "{status:?}");
    assert_dimensions(&path, &["campaign", "tier"]);
    // The timeline's menus: each field's values with their calls, most first.
    let facets = store.facets().unwrap();
    let conn = Connection::open(&path).unwrap();
    for (facet, field) in facets.dimensions.iter().zip(["campaign", "tier"]) {
        assert_eq!(facet.field, field);
        let mut stmt = conn
            .prepare(
                "SELECT CAST(json_extract(metadata, '$.' || ?1) AS TEXT) AS v, count(*) FROM calls
                 WHERE v IS NOT NULL GROUP BY v ORDER BY 2 DESC, 1",
            )
            .unwrap();
        let direct: Vec<(String, i64)> =
            stmt.query_map([field], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
        let got: Vec<(String, i64)> = facet.values.iter().map(|v| (v.value.clone(), v.calls)).collect();
        assert!(direct.len() >= 2, "{direct:?}");
        assert_eq!(got, direct, "{field}");
    }
    assert_eq!(facets.dimensions.len(), 2);

    // A rule's read of a value equals the calls with it.
    let spring = store.rule_counts(b, b + 10 * HOUR, &campaign("spring")).unwrap();
    let direct: i64 = Connection::open(&path)
        .unwrap()
        .query_row("SELECT count(*) FROM calls WHERE json_extract(metadata, '$.campaign') = 'spring'", [], |r| r.get(0))
        .unwrap();
    assert!(direct > 20, "{direct}");
    assert_eq!(spring.completed + spring.failed + spring.in_progress, direct);
    // The overview by each field: every value's calls by outcome.
    for field in ["metadata.campaign", "metadata.tier"] {
        let by = check_breakdown(&store, b, b + 10 * HOUR, field);
        assert!(by.values.len() >= 3, "{by:?}");
        check_breakdown(&store, b + 3 * HOUR + 7 * MINUTE, b + 5 * HOUR, field);
        // The Agents page grouped by it: each agent's calls by the field's values.
        let page = check_agents_by(&store, b - 24 * HOUR, b + 2 * 24 * HOUR, Some(field));
        assert!(page.agents.iter().all(|a| a.values.len() >= 3), "{field}: {:?}", page.agents);
        check_agents_by(&store, b + 3 * HOUR + 7 * MINUTE, b + 5 * HOUR, Some(field));
    }

    // Dropped: its counts go at once; the other stays.
    store.set_dimensions(vec!["campaign".into()]).await.unwrap();
    assert_dimensions(&path, &["campaign"]);
    store.close();
    drop(store);

    // Counted again from scratch (a database from before the rollups): the chosen fields too.
    Connection::open(&path)
        .unwrap()
        .execute_batch("DELETE FROM overview_dimensions; UPDATE overview_built SET built = 0;")
        .unwrap();
    let store = open(&path);
    assert_dimensions(&path, &["campaign"]);
    assert!(store.dimensions().unwrap()[0].ready);
    assert!(store.set_dimensions(vec!["a".into(); 2]).await.unwrap_err().to_string().contains("twice"));
    let six = (0..6).map(|n| format!("f{n}")).collect();
    assert_eq!(store.set_dimensions(six).await.unwrap_err().code(), ErrorCode::SettingInvalid);
    // What rules need, added after the chosen ones: only what is missing, once; never past five.
    assert!(store.add_dimensions(&["campaign".into()]).await.unwrap().is_empty());
    let five: Vec<String> = (0..5).map(|n| format!("f{n}")).collect();
    let error = store.add_dimensions(&five).await.unwrap_err();
    assert!(error.to_string().contains("drop one in Settings → Data"), "{error}");
    let added = store.add_dimensions(&["tier".into(), "campaign".into(), "tier".into()]).await.unwrap();
    assert_eq!(added, ["tier"]);
    let chosen: Vec<String> = store.dimensions().unwrap().into_iter().map(|d| d.field).collect();
    assert_eq!(chosen, ["campaign", "tier"]);
}

fn store_rows(path: &std::path::Path) -> i64 {
    Connection::open(path).unwrap().query_row("SELECT count(*) FROM deliveries", [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn webhook_health_counts_refusals_quarantine_and_downtime() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("monitor.db"));
    let now = Timestamp::now().unix_millis();
    for n in 0..3 {
        let entry =
            SecurityEntry { at: at(now - n * 1000), peer: Some("10.0.0.9".into()), reason: format!("bad token {n}") };
        store.log_security(entry.into()).await.unwrap();
    }
    store
        .quarantine(QuarantineItem {
            received_at: at(now),
            peer: None,
            headers: vec![],
            body: b"not json".to_vec(),
            reason: "not JSON".into(),
        })
        .await
        .unwrap();
    // Three runs: a gap of 10 minutes caught up (4 calls), then one of 5 minutes not.
    let run = store.start_uptime(at(now - 40 * MINUTE)).await.unwrap();
    store.heartbeat(run, at(now - 30 * MINUTE)).await.unwrap();
    let run = store.start_uptime(at(now - 20 * MINUTE)).await.unwrap();
    store.heartbeat(run, at(now - 10 * MINUTE)).await.unwrap();
    store
        .record_catchup(TimeRange { from: Some(at(now - 30 * MINUTE)), to: Some(at(now - 20 * MINUTE)) }, 4)
        .await
        .unwrap();
    store.start_uptime(at(now - 5 * MINUTE)).await.unwrap();

    let health = store.overview(at(now - HOUR), at(now + HOUR), LONGEST_CALL).unwrap().health;
    assert_eq!(health.rejected, 3);
    assert_eq!(health.quarantined, 1);
    let gaps: Vec<_> =
        health.gaps.iter().map(|g| (g.to.unix_millis() - g.from.unix_millis(), g.caught_up_calls)).collect();
    assert_eq!(gaps, vec![(10 * MINUTE, Some(4)), (5 * MINUTE, None)]);
    // Outside the range: none of it.
    let before = store.overview(at(now - 3 * HOUR), at(now - 2 * HOUR), LONGEST_CALL).unwrap().health;
    assert_eq!((before.rejected, before.quarantined, before.gaps.len()), (0, 0, 0));
}
