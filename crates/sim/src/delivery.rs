//! The delivery engine: every event to every webhook subscribed to it, retried with a
//! doubling wait (with jitter) until the retry window ends.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use calleague_events::{EventKind, Timestamp};
use serde_json::{json, Map, Value};

use crate::model::DeliveryAttempt;
use crate::rng::SimRng;
use crate::state::Platform;

/// A delivery ready to send: the body is fixed, so retries and duplicates are identical.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub delivery_id: String,
    /// The canonical event name, for matching subscriptions.
    pub event: String,
    pub call_id: String,
    pub body: Vec<u8>,
    pub reordered: bool,
}

impl Outgoing {
    pub fn new(
        delivery_id: String,
        event: &str,
        call_id: &str,
        at: Timestamp,
        mut data: Map<String, Value>,
        legacy: bool,
    ) -> Self {
        let mut sent_name = event.to_owned();
        if legacy {
            // The older documentation's spellings.
            if event == "call.completed" {
                sent_name = "call.ended".into();
            }
            if let Some(agent) = data.remove("agentId") {
                data.insert("assistantId".into(), agent);
            }
        }
        let body = json!({"event": sent_name, "deliveryId": delivery_id, "occurredAt": at, "data": data});
        Self {
            delivery_id,
            event: event.to_owned(),
            call_id: call_id.to_owned(),
            body: body.to_string().into_bytes(),
            reordered: false,
        }
    }
}

/// Sends `outgoing` to every webhook subscribed to its event.
pub(crate) fn dispatch(inner: &Arc<Platform>, outgoing: Outgoing) {
    let targets: Vec<(String, String)> = inner
        .webhooks
        .lock()
        .map(|hooks| {
            hooks
                .iter()
                .filter(|h| h.events.iter().any(|e| EventKind::parse(e).as_str() == outgoing.event))
                .map(|h| (h.webhook_id.clone(), h.url.clone()))
                .collect()
        })
        .unwrap_or_default();
    for (webhook_id, url) in targets {
        inner.pending.fetch_add(1, Ordering::SeqCst);
        let inner = inner.clone();
        let outgoing = outgoing.clone();
        tokio::spawn(async move {
            deliver(&inner, &webhook_id, &url, &outgoing).await;
            inner.pending.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

async fn deliver(inner: &Platform, webhook_id: &str, url: &str, outgoing: &Outgoing) {
    let config = &inner.config;
    // From the seed, the delivery and the webhook (whose id the seed makes too), not the
    // URL: a receiver on a random port must not change what the same seed plays.
    let mut rng = SimRng::derive(config.seed, &format!("{}|{webhook_id}", outgoing.delivery_id));
    // Its own stream, so that a lose rate leaves what a seed plays otherwise unchanged.
    let lose =
        SimRng::derive(config.seed, &format!("lose|{}|{webhook_id}", outgoing.delivery_id)).chance(config.lose_rate);
    let drop_first = rng.chance(config.drop_rate);
    let send_twice = rng.chance(config.dup_rate);
    let window = inner.clock.real(config.retry_window);
    let started = Instant::now();
    let mut wait = Duration::from_secs(1);
    for attempt in 1u32.. {
        if inner.delivery_stopped.load(Ordering::SeqCst) {
            return push_lost(inner, outgoing, url, attempt, "not sent: deliveries are stopped");
        }
        if attempt == 1 && lose {
            return push_lost(inner, outgoing, url, attempt, "lost (chaos: never sent, never retried)");
        }
        let mut record = if attempt == 1 && drop_first {
            attempt_record(outgoing, url, attempt, None, Some("dropped (chaos: the first attempt was lost)".into()), 0)
        } else {
            send(inner, url, outgoing, attempt).await
        };
        if record.succeeded() {
            push(inner, record);
            if send_twice {
                let mut again = send(inner, url, outgoing, attempt + 1).await;
                again.duplicate = true;
                push(inner, again);
            }
            return;
        }
        let next = wait.mul_f64(rng.between(0.8, 1.2));
        if started.elapsed() + inner.clock.real(next) > window {
            record.gave_up = true;
            push(inner, record);
            tracing::info!(delivery = %outgoing.delivery_id, url, attempts = attempt, "gave up: the retry window ended");
            return;
        }
        push(inner, record);
        inner.clock.sleep(next).await;
        wait = wait.saturating_mul(2);
    }
}

async fn send(inner: &Platform, url: &str, outgoing: &Outgoing, attempt: u32) -> DeliveryAttempt {
    let key = inner.config.keys.first().cloned().unwrap_or_default();
    let begun = Instant::now();
    let result = inner
        .http
        .post(url)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .header("x-calleague-delivery-attempt", attempt.to_string())
        .body(outgoing.body.clone())
        .send()
        .await;
    let latency = begun.elapsed().as_millis() as u64;
    match result {
        Ok(response) => attempt_record(outgoing, url, attempt, Some(response.status().as_u16()), None, latency),
        Err(e) => {
            let reason = if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "unreachable".to_owned()
            } else {
                e.to_string()
            };
            attempt_record(outgoing, url, attempt, None, Some(reason), latency)
        }
    }
}

fn attempt_record(
    outgoing: &Outgoing,
    url: &str,
    attempt: u32,
    status: Option<u16>,
    error: Option<String>,
    latency_ms: u64,
) -> DeliveryAttempt {
    DeliveryAttempt {
        delivery_id: outgoing.delivery_id.clone(),
        event: outgoing.event.clone(),
        call_id: outgoing.call_id.clone(),
        url: url.to_owned(),
        attempt,
        at: Timestamp::now(),
        status,
        error,
        latency_ms,
        duplicate: false,
        reordered: outgoing.reordered,
        gave_up: false,
        lost: false,
    }
}

fn push_lost(inner: &Platform, outgoing: &Outgoing, url: &str, attempt: u32, why: &str) {
    let mut record = attempt_record(outgoing, url, attempt, None, Some(why.into()), 0);
    record.lost = true;
    push(inner, record);
}

fn push(inner: &Platform, record: DeliveryAttempt) {
    if let Ok(mut attempts) = inner.attempts.lock() {
        attempts.push(record);
    }
}
