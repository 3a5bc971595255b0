//! Alert rules over a real SQLite file: every metric against a direct computation over the
//! calls put in, the preview against minute-by-minute evaluation of the same history, and
//! the chat webhook (a real HTTP server on loopback) told once per firing and once per
//! resolution, across a restart and with two evaluators on one store.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calleague_alert_rules::{
    percentile, preview, value, window_at, AlertNotice, AlertNotifier, AlertRule, ChatSender, ChatWebhook, Comparison,
    Condition, Evaluator, Metric, NoticeKind, RunnerOptions, Scope, Severity,
};
use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{
    IncomingDelivery, RejectionTally, SecurityEntry, Source, SpreadKind, Store, StoreOptions, DURATION_EDGES_MS,
    WAIT_EDGES_MS,
};
use calleague_testkit::{Handler, Rng};
use serde_json::{json, Value};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;

/// A number below `below` from the shared deterministic generator.
fn roll(rng: &mut Rng, below: u64) -> u64 {
    rng.next_u64() % below
}

const CAMPAIGNS: &[&str] = &["spring", "autumn"];
const AGENTS: &[&str] = &["ag_a", "ag_b", "ag_c"];
const REASONS: &[&str] = &["customer-busy", "no-answer", "pipeline-error"];
const DIRECTIONS: &[&str] = &["inbound", "outbound"];
const LANGUAGES: &[&str] = &["en-US", "de-DE", "fr-FR"];

/// A call as the test made it: the truth the rules are checked against.
#[derive(Debug, Clone)]
struct Call {
    start_ms: i64,
    agent: &'static str,
    direction: &'static str,
    /// Not every call says its language.
    language: Option<&'static str>,
    /// The call's `metadata.campaign`, when it has one.
    campaign: Option<&'static str>,
    wait_ms: Option<i64>,
    /// Failed or not, its reason, its duration.
    end: Option<(bool, Option<&'static str>, i64)>,
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap()
}

fn delivery(name: &str, id: String, call: &str, ms: i64, mut data: Value) -> IncomingDelivery {
    data["callId"] = call.into();
    let raw = json!({"event": name, "deliveryId": id, "occurredAt": at(ms).to_string(), "data": data})
        .to_string()
        .into_bytes();
    IncomingDelivery {
        // Received as it happened: deliveries are counted by when they arrived.
        received_at: at(ms),
        peer: None,
        headers: vec![],
        parsed: parse_delivery(&raw).unwrap(),
        body: raw,
        hidden: false,
        source: Source::Webhook,
    }
}

async fn put(store: &Store, calls: &[Call], prefix: &str) {
    for (n, call) in calls.iter().enumerate() {
        let id = format!("{prefix}{n}");
        let agent = json!({"agentId": call.agent});
        let mut started = json!({"agentId": call.agent, "direction": call.direction});
        if let Some(language) = call.language {
            started["language"] = language.into();
        }
        if let Some(campaign) = call.campaign {
            started["metadata"] = json!({ "campaign": campaign, "orderId": id });
        }
        store.ingest(delivery("call.started", format!("{id}_s"), &id, call.start_ms, started)).await.unwrap();
        if let Some(wait) = call.wait_ms {
            store
                .ingest(delivery("call.connected", format!("{id}_c"), &id, call.start_ms + wait, agent.clone()))
                .await
                .unwrap();
        }
        if let Some((failed, reason, length)) = call.end {
            let mut data = json!({"agentId": call.agent, "durationSec": length as f64 / 1000.0});
            if let Some(reason) = reason {
                data["endedReason"] = reason.into();
            }
            let name = if failed { "call.failed" } else { "call.completed" };
            let ended = call.start_ms + call.wait_ms.unwrap_or(0) + length;
            store.ingest(delivery(name, format!("{id}_e"), &id, ended, data)).await.unwrap();
        }
    }
    store.settle().await.unwrap();
}

fn random_calls(dice: &mut Rng, count: usize, from_ms: i64, span_ms: i64) -> Vec<Call> {
    (0..count)
        .map(|_| {
            let start_ms = from_ms + roll(dice, span_ms as u64) as i64;
            let agent = AGENTS[roll(dice, AGENTS.len() as u64) as usize];
            let direction = DIRECTIONS[roll(dice, DIRECTIONS.len() as u64) as usize];
            let language = (roll(dice, 4) != 0).then(|| LANGUAGES[roll(dice, LANGUAGES.len() as u64) as usize]);
            let wait_ms = (roll(dice, 5) != 0).then(|| roll(dice, 30_000) as i64);
            let end = (roll(dice, 6) != 0).then(|| {
                let failed = roll(dice, 3) == 0;
                let reason = (roll(dice, 5) != 0).then(|| REASONS[roll(dice, REASONS.len() as u64) as usize]);
                (failed, reason, roll(dice, 900_000) as i64)
            });
            let campaign = (roll(dice, 3) != 0).then(|| CAMPAIGNS[roll(dice, CAMPAIGNS.len() as u64) as usize]);
            Call { start_ms, agent, direction, language, campaign, wait_ms, end }
        })
        .collect()
}

fn rule(id: &str, metric: Metric, window_minutes: u32, op: Comparison, threshold: f64) -> AlertRule {
    AlertRule {
        id: id.into(),
        name: format!("rule {id}"),
        enabled: true,
        metric,
        scope: Scope::default(),
        window_minutes,
        condition: Condition { op, threshold },
        min_calls: 0,
        severity: Severity::Critical,
        cooldown_minutes: 0,
        active: None,
    }
}

/// The metric computed straight from the calls the test made (and the refusals it logged).
fn direct(rule: &AlertRule, calls: &[Call], refused: &[(i64, u32)], from: i64, to: i64) -> Option<f64> {
    let inside: Vec<&Call> = calls
        .iter()
        .filter(|c| c.start_ms >= from && c.start_ms < to)
        .filter(|c| rule.scope.agent_id.as_deref().is_none_or(|a| a == c.agent))
        .filter(|c| rule.scope.direction.as_deref().is_none_or(|d| d == c.direction))
        .filter(|c| rule.scope.language.is_none() || rule.scope.language.as_deref() == c.language)
        .filter(|c| {
            rule.scope.metadata_field.is_none()
                || rule.scope.metadata_value.as_deref() == Some(c.campaign.unwrap_or(""))
        })
        .collect();
    let ended = inside.iter().filter(|c| c.end.is_some()).count() as f64;
    let failed = inside.iter().filter(|c| matches!(c.end, Some((true, _, _)))).count() as f64;
    let with =
        |reason: &str| inside.iter().filter(|c| matches!(c.end, Some((_, Some(r), _)) if r == reason)).count() as f64;
    let steps = |edges: &[i64], values: Vec<i64>| {
        let mut steps = vec![0i64; edges.len()];
        for v in values {
            steps[edges.partition_point(|e| *e <= v).max(1) - 1] += 1;
        }
        steps
    };
    match &rule.metric {
        Metric::FailureRate => (ended > 0.0).then(|| 100.0 * failed / ended),
        Metric::FailedCalls => Some(failed),
        Metric::CallsStarted => Some(inside.len() as f64),
        Metric::ReasonCount { reason } => Some(with(reason)),
        Metric::ReasonShare { reason } => (ended > 0.0).then(|| 100.0 * with(reason) / ended),
        Metric::DurationP90 => percentile(
            SpreadKind::Duration,
            &steps(DURATION_EDGES_MS, inside.iter().filter_map(|c| c.end.map(|(_, _, d)| d)).collect()),
            0.9,
            0,
        ),
        Metric::WaitP90 => percentile(
            SpreadKind::Wait,
            &steps(WAIT_EDGES_MS, inside.iter().filter_map(|c| c.wait_ms).collect()),
            0.9,
            0,
        ),
        Metric::InProgress => Some(inside.iter().filter(|c| c.end.is_none()).count() as f64),
        Metric::RejectedDeliveries => {
            Some(refused.iter().filter(|(ms, _)| *ms >= from && *ms < to).map(|(_, n)| f64::from(*n)).sum())
        }
        Metric::Silence => {
            // Every step of every call is a delivery, received when it happened.
            let mut n = 0;
            for c in calls {
                let mut times = vec![c.start_ms];
                times.extend(c.wait_ms.map(|w| c.start_ms + w));
                times.extend(c.end.map(|(_, _, d)| c.start_ms + c.wait_ms.unwrap_or(0) + d));
                n += times.iter().filter(|t| **t >= from && **t < to).count();
            }
            Some(n as f64)
        }
    }
}

fn open_store(dir: &tempfile::TempDir) -> Arc<Store> {
    Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap()
}

/// Chooses `metadata.campaign` as a dimension and waits for its count.
async fn count_campaigns(store: &Store) {
    store.set_dimensions(vec!["campaign".into()]).await.unwrap();
    for _ in 0..600 {
        if store.dimensions().unwrap().iter().all(|d| d.ready) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("campaign was not counted in 30 s");
}

/// 2026-11-20T10:00:00Z.
fn base() -> i64 {
    Timestamp::parse("2026-11-20T10:00:00.000Z").unwrap().unix_millis()
}

#[tokio::test]
async fn every_metric_equals_a_direct_computation_over_the_calls() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let mut dice = Rng(0x5eed_a1e7);
    let calls = random_calls(&mut dice, 1_500, base(), 30 * HOUR);
    put(&store, &calls, "c").await;
    count_campaigns(&store).await;
    let mut refused = Vec::new();
    for n in 0..40 {
        let ms = base() + roll(&mut dice, 30 * HOUR as u64) as i64;
        let count = 1 + roll(&mut dice, 30) as u32;
        let entry = SecurityEntry { at: at(ms), peer: Some(format!("10.0.0.{n}")), reason: "wrong_token".into() };
        store.log_security(RejectionTally { entry, count, last: at(ms) }).await.unwrap();
        refused.push((ms, count));
    }
    let metrics = [
        Metric::FailureRate,
        Metric::FailedCalls,
        Metric::CallsStarted,
        Metric::ReasonCount { reason: "no-answer".into() },
        Metric::ReasonShare { reason: "customer-busy".into() },
        Metric::DurationP90,
        Metric::WaitP90,
        Metric::InProgress,
        Metric::RejectedDeliveries,
        Metric::Silence,
    ];
    let mut checked = 0;
    for round in 0..60 {
        // Windows of 5 minutes to 24 hours ending anywhere in the span: across hour edges, so
        // both the minute and the hour rows are read.
        let window = [5, 15, 60, 95, 360, 1440][round % 6];
        let now = base() + roll(&mut dice, 30 * HOUR as u64) as i64;
        for metric in &metrics {
            let mut r = rule("m", metric.clone(), window, Comparison::Above, 1.0);
            // Narrowed by agent, direction, language or a metadata field's value (one no call has too)
            // in four rounds of five.
            if !matches!(metric, Metric::DurationP90 | Metric::WaitP90 | Metric::RejectedDeliveries | Metric::Silence) {
                match round % 5 {
                    0 => r.scope.agent_id = Some(AGENTS[round % AGENTS.len()].into()),
                    1 => r.scope.direction = Some(DIRECTIONS[round % DIRECTIONS.len()].into()),
                    2 => r.scope.language = Some(LANGUAGES[round % LANGUAGES.len()].into()),
                    3 => {
                        r.scope.metadata_field = Some("campaign".into());
                        r.scope.metadata_value = Some(["spring", "autumn", "winter"][round % 3].into());
                    }
                    _ => {}
                }
            }
            r.check().unwrap();
            let (from, to) = window_at(&r, now);
            let counts = store.rule_counts(from, to, &calleague_alert_rules::query(&r)).unwrap();
            let got = value(&r, &counts);
            let want = direct(&r, &calls, &refused, from, to);
            match (got, want) {
                (Some(g), Some(w)) => {
                    assert!((g - w).abs() < 1e-9, "{metric:?} over {window} min at {now}: {g} != {w}")
                }
                (g, w) => assert_eq!(g, w, "{metric:?} over {window} min at {now}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 600);
}

/// Failures in bursts over six hours: quiet spells between.
fn bursts(dice: &mut Rng) -> Vec<Call> {
    let mut calls = Vec::new();
    for hour in 0..6 {
        for n in 0..40 {
            let start_ms = base() + hour * HOUR + roll(dice, HOUR as u64) as i64;
            // Failures cluster in the first quarter of every other hour.
            let burst = hour % 2 == 0 && (start_ms - base()) % HOUR < 15 * MINUTE;
            let failed = if burst { roll(dice, 4) != 0 } else { roll(dice, 10) == 0 };
            let _ = n;
            calls.push(Call {
                start_ms,
                agent: AGENTS[roll(dice, 3) as usize],
                direction: DIRECTIONS[n % 2],
                language: Some("en-US"),
                campaign: (n % 3 != 0).then_some("spring"),
                wait_ms: Some(2_000),
                end: Some((failed, None, 60_000)),
            });
        }
    }
    calls
}

#[tokio::test]
async fn the_preview_is_what_evaluation_over_the_same_history_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let mut dice = Rng(0xb0a7);
    put(&store, &bursts(&mut dice), "b").await;
    // Over all calls, the inbound ones only (their own rollup), and one campaign's (a
    // dimension chosen after the calls were stored).
    let mut all = rule("rate", Metric::FailureRate, 15, Comparison::Above, 40.0);
    all.min_calls = 3;
    all.cooldown_minutes = 90;
    let mut inbound = all.clone();
    inbound.id = "inbound".into();
    inbound.scope.direction = Some("inbound".into());
    let mut spring = all.clone();
    spring.id = "spring".into();
    spring.scope.metadata_field = Some("campaign".into());
    spring.scope.metadata_value = Some("spring".into());
    // Not a dimension yet: refused, never a preview of nothing.
    let (from, to) = (base(), base() + 7 * HOUR);
    let error = preview(store.as_ref(), &spring, from, to).await.unwrap_err();
    assert_eq!(error.code(), calleague_error_code::ErrorCode::DimensionNotCounted, "{error}");
    let mut evaluator = Evaluator::resume(store.clone(), RunnerOptions::default()).await.unwrap();
    let status = evaluator.round_at(std::slice::from_ref(&spring), from + HOUR).await;
    assert!(status[0].error.as_deref().is_some_and(|e| e.contains("Settings → Data")), "{status:?}");
    assert_eq!((status[0].value, status[0].firing, status[0].counting), (None, None, true));
    count_campaigns(&store).await;
    let mut values = Vec::new();
    for r in [all, inbound, spring] {
        let (from, to) = (base(), base() + 7 * HOUR);
        let preview = preview(store.as_ref(), &r, from, to).await.unwrap();
        assert!(preview.firings.len() >= 3, "the bursts should fire {}: {:?}", r.id, preview.firings);
        assert!(preview.firings.iter().any(|f| !f.notified), "a cooldown of 90 min holds a firing back");
        assert_eq!(preview.points.len(), 7 * 60);
        values.push(preview.points.iter().map(|(_, value)| *value).collect::<Vec<_>>());

        let mut evaluator = Evaluator::resume(store.clone(), RunnerOptions::default()).await.unwrap();
        let mut minute = from;
        while minute < to {
            evaluator.round_at(std::slice::from_ref(&r), minute).await;
            minute += MINUTE;
        }
        let mut kept = store.firings(Some(&r.id), from, to, 1000).unwrap();
        kept.reverse();
        let kept: Vec<(i64, Option<i64>, bool, f64)> =
            kept.iter().map(|f| (f.started_ms, f.resolved_ms, f.notified, f.peak)).collect();
        let previewed: Vec<(i64, Option<i64>, bool, f64)> =
            preview.firings.iter().map(|f| (f.started_ms, f.resolved_ms, f.notified, f.peak)).collect();
        assert_eq!(kept, previewed, "{}", r.id);
    }
    assert_ne!(values[0], values[1], "the inbound calls' rate is the rate of all calls");
    assert_ne!(values[0], values[2], "the spring campaign's rate is the rate of all calls");
}

#[tokio::test]
async fn in_progress_cannot_be_tried_against_the_past() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let r = rule("p", Metric::InProgress, 60, Comparison::Above, 5.0);
    assert!(preview(store.as_ref(), &r, base(), base() + HOUR).await.is_err());
}

/// Counts what the desktop would have been told.
#[derive(Default)]
struct Told(Mutex<Vec<AlertNotice>>);

impl AlertNotifier for Told {
    fn alert(&self, notice: &AlertNotice) {
        self.0.lock().unwrap().push(notice.clone());
    }
}

fn now_ms() -> i64 {
    Timestamp::now().unix_millis()
}

/// Twelve calls in the last ten minutes, nine of them failed.
async fn failing_now(store: &Store) {
    let now = now_ms();
    let calls: Vec<Call> = (0..12)
        .map(|n| Call {
            start_ms: now - 10 * MINUTE + n * 30_000,
            agent: if n % 3 == 0 { "ag_b" } else { "ag_a" },
            direction: "inbound",
            language: None,
            campaign: None,
            wait_ms: Some(1_000),
            end: Some((n % 4 != 0, Some(if n % 2 == 0 { "no-answer" } else { "pipeline-error" }), 20_000)),
        })
        .collect();
    put(store, &calls, "now").await;
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn failure_rule() -> AlertRule {
    let mut r = rule("rate", Metric::FailureRate, 15, Comparison::Above, 20.0);
    r.min_calls = 10;
    r
}

#[tokio::test]
async fn one_firing_is_one_chat_message_and_one_desktop_notice_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    failing_now(&store).await;
    // One of the two agents has a name: the texts name it.
    let named = calleague_store::AgentName::named("ag_a", "Sales desk");
    store.put_agents(vec![named], 1).await.unwrap();
    let chat = Handler::start(false);
    // The chat server is failing when the rule fires.
    chat.status.store(503, Ordering::SeqCst);
    let hook = ChatWebhook::parse(&chat.url()).unwrap();
    let sender = ChatSender::start(store.clone(), hook.clone());
    let told = Arc::new(Told::default());
    let options = RunnerOptions {
        chat: Some(sender.waker()),
        notifier: Some(told.clone() as Arc<dyn AlertNotifier>),
        ..RunnerOptions::default()
    };
    let rules = vec![failure_rule()];
    let mut evaluator = Evaluator::resume(store.clone(), options.clone()).await.unwrap();
    let status = evaluator.round(&rules).await;
    assert_eq!(status[0].value, Some(75.0));
    assert!(status[0].firing.is_some());
    wait_for("a first (refused) attempt", || !chat.received().is_empty()).await;

    // A restart in the middle: the notice is still owed, the rule still firing.
    sender.stop().await;
    drop(evaluator);
    let refused = chat.received().len();
    chat.status.store(200, Ordering::SeqCst);
    let sender = ChatSender::start(store.clone(), hook);
    let options = RunnerOptions { chat: Some(sender.waker()), ..options };
    let mut evaluator = Evaluator::resume(store.clone(), options).await.unwrap();
    evaluator.round(&rules).await;
    evaluator.round(&rules).await;
    assert_eq!(store.open_firings().unwrap().len(), 1);
    wait_for("the notice sent", || store.notice_counts().unwrap().0 == 1).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let posts = chat.received();
    assert_eq!(posts.len(), refused + 1, "exactly one more POST once the server takes it");
    let body: Value = serde_json::from_slice(&posts.last().unwrap().1).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("*CRITICAL* rule rate is firing"), "{text}");
    assert!(text.contains("Failure rate 75% (above 20%) over the last 15 min"), "{text}");
    assert!(text.contains("Top agents by failures: Sales desk (6), ag_b (3)"), "{text}");
    assert_eq!(told.0.lock().unwrap().len(), 1, "the desktop is told once, not again after the restart");

    // Half an hour on, the window holds no call: resolved, told once each way.
    let later = now_ms() + 30 * MINUTE;
    let status = evaluator.round_at(&rules, later).await;
    assert_eq!(status[0].firing, None);
    wait_for("the resolution sent", || store.notice_counts().unwrap().0 == 2).await;
    let posts = chat.received();
    let body: Value = serde_json::from_slice(&posts.last().unwrap().1).unwrap();
    assert!(body["text"].as_str().unwrap().starts_with(":white_check_mark: *Resolved* rule rate"), "{body}");
    let kinds: Vec<NoticeKind> = told.0.lock().unwrap().iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NoticeKind::Firing, NoticeKind::Resolved]);
    sender.stop().await;
}

#[tokio::test]
async fn two_evaluators_on_one_store_fire_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    failing_now(&store).await;
    let chat = Handler::start(false);
    let sender = ChatSender::start(store.clone(), ChatWebhook::parse(&chat.url()).unwrap());
    let counts = [Arc::new(Told::default()), Arc::new(Told::default())];
    let mut evaluators: Vec<Evaluator> = Vec::new();
    for told in &counts {
        let options = RunnerOptions {
            chat: Some(sender.waker()),
            notifier: Some(told.clone() as Arc<dyn AlertNotifier>),
            ..RunnerOptions::default()
        };
        evaluators.push(Evaluator::resume(store.clone(), options).await.unwrap());
    }
    let rules = vec![failure_rule()];
    for evaluator in &mut evaluators {
        evaluator.round(&rules).await;
    }
    for evaluator in &mut evaluators {
        evaluator.round(&rules).await;
    }
    wait_for("the notice sent", || store.notice_counts().unwrap().0 == 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(chat.received().len(), 1);
    let told: usize = counts.iter().map(|t| t.0.lock().unwrap().len()).sum();
    assert_eq!(told, 1);
    assert_eq!(store.firings(None, 0, i64::MAX, 10).unwrap().len(), 1);
    sender.stop().await;
}

#[tokio::test]
async fn outside_its_active_hours_a_rule_does_not_fire() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    failing_now(&store).await;
    let mut r = failure_rule();
    let now = jiff::Timestamp::from_millisecond(now_ms()).unwrap().to_zoned_datetime(jiff::tz::TimeZone::UTC);
    // Two hours that have just ended, every day.
    let from = (now.hour() as i64 + 21) % 24;
    r.active = Some(calleague_alert_rules::ActiveHours {
        days: vec![
            calleague_alert_rules::Weekday::Mon,
            calleague_alert_rules::Weekday::Tue,
            calleague_alert_rules::Weekday::Wed,
            calleague_alert_rules::Weekday::Thu,
            calleague_alert_rules::Weekday::Fri,
            calleague_alert_rules::Weekday::Sat,
            calleague_alert_rules::Weekday::Sun,
        ],
        from: format!("{from:02}:00"),
        to: format!("{:02}:00", (from + 2) % 24),
        time_zone: Some("UTC".into()),
    });
    let fired = AtomicUsize::new(0);
    let mut evaluator = Evaluator::resume(store.clone(), RunnerOptions::default()).await.unwrap();
    let status = evaluator.round(std::slice::from_ref(&r)).await;
    assert!(status[0].inactive);
    fired.fetch_add(store.open_firings().unwrap().len(), Ordering::SeqCst);
    assert_eq!(fired.load(Ordering::SeqCst), 0);
    // The same rule all day long fires.
    r.active = None;
    evaluator.round(std::slice::from_ref(&r)).await;
    assert_eq!(store.open_firings().unwrap().len(), 1);
}
