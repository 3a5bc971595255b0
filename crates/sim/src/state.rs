//! What the simulated platform holds: webhooks, calls, recordings, transcripts and every
//! delivery attempt. State only: the routes and the server that use it import it, never
//! the other way round.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use calleague_events::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::{Agent, Call, DeliveryAttempt, Segment, Transcript, Webhook};
use crate::{Clock, SimConfig};

/// A recording's audio, made on demand from these.
#[derive(Debug, Clone)]
pub(crate) struct RecordingAsset {
    pub call_id: String,
    pub duration_sec: f64,
    pub segments: Vec<Segment>,
}

/// Requests counted in the current one-second window (the simulator's rate limit).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateWindow {
    pub started: Instant,
    pub requests: u32,
}

/// The simulated platform's state, shared by its routes and its delivery tasks.
pub(crate) struct Platform {
    pub config: SimConfig,
    pub clock: Clock,
    pub base_url: String,
    pub http: reqwest::Client,
    pub webhooks: Mutex<Vec<Webhook>>,
    pub calls: Mutex<BTreeMap<String, Call>>,
    /// The account's agents by id (`POST /sim/agents` adds or renames one).
    pub agents: Mutex<BTreeMap<String, Agent>>,
    pub recordings: Mutex<HashMap<String, RecordingAsset>>,
    pub transcripts: Mutex<HashMap<String, Transcript>>,
    pub attempts: Mutex<Vec<DeliveryAttempt>>,
    /// Deliveries not yet acknowledged or given up.
    pub pending: AtomicUsize,
    /// Calls whose lifecycle is still playing.
    pub live_calls: AtomicUsize,
    pub planned_calls: AtomicUsize,
    pub sequence: AtomicU64,
    pub rate_window: Mutex<RateWindow>,
    /// Every request to `/api`, as the rate limit saw it: when, and whether it was refused.
    pub api_requests: Mutex<Vec<ApiRequest>>,
    /// While true, no delivery is sent (each is recorded as lost): webhooks stopped.
    pub delivery_stopped: AtomicBool,
    pub url_secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequest {
    pub at: Timestamp,
    pub path: String,
    /// Refused with 429.
    pub limited: bool,
}

impl Platform {
    pub fn next_sequence(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::Relaxed)
    }

    pub fn save_webhooks(&self, webhooks: &[Webhook]) {
        if let Some(path) = &self.config.state_file {
            match serde_json::to_vec_pretty(webhooks) {
                Ok(bytes) => {
                    if let Err(e) = std::fs::write(path, bytes) {
                        tracing::error!(path = %path.display(), error = %e, "cannot save the state file");
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot encode webhooks"),
            }
        }
    }

    /// Every call the simulator made, ordered by start.
    pub fn ground_truth(&self) -> Vec<Call> {
        let mut calls: Vec<Call> = self.calls.lock().map(|c| c.values().cloned().collect()).unwrap_or_default();
        calls.sort_by(|a, b| a.started_at.cmp(&b.started_at).then_with(|| a.call_id.cmp(&b.call_id)));
        calls
    }

    /// Where the simulator is: calls and deliveries, and whether it has settled.
    pub fn status(&self) -> Status {
        let attempts = self.attempts.lock().map(|a| a.clone()).unwrap_or_default();
        let calls_live = self.live_calls.load(Ordering::SeqCst);
        let deliveries_pending = self.pending.load(Ordering::SeqCst);
        Status {
            calls_planned: self.planned_calls.load(Ordering::SeqCst),
            calls_made: self.calls.lock().map(|c| c.len()).unwrap_or(0),
            calls_live,
            deliveries_pending,
            attempts: attempts.len(),
            succeeded: attempts.iter().filter(|a| a.succeeded() && !a.duplicate).count(),
            duplicates: attempts.iter().filter(|a| a.duplicate).count(),
            reordered: attempts.iter().filter(|a| a.reordered && a.attempt == 1).count(),
            gave_up: attempts.iter().filter(|a| a.gave_up).count(),
            lost: attempts.iter().filter(|a| a.lost).count(),
            delivery_stopped: self.delivery_stopped.load(Ordering::SeqCst),
            idle: calls_live == 0 && deliveries_pending == 0,
        }
    }

    /// Adds a webhook (the REST API checked it; the app's demo mode does not need to).
    pub fn insert_webhook(&self, url: String, events: Vec<String>) -> Webhook {
        let now = Timestamp::now();
        let hook = Webhook {
            webhook_id: crate::rng::SimRng::derive(self.config.seed, &format!("webhook-{}", self.next_sequence()))
                .hex_id("wh"),
            url,
            events,
            created_at: now,
            updated_at: now,
        };
        let mut hooks = self.webhooks.lock().unwrap_or_else(|p| p.into_inner());
        hooks.push(hook.clone());
        self.save_webhooks(&hooks);
        hook
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub calls_planned: usize,
    pub calls_made: usize,
    pub calls_live: usize,
    pub deliveries_pending: usize,
    pub attempts: usize,
    pub succeeded: usize,
    pub duplicates: usize,
    pub reordered: usize,
    pub gave_up: usize,
    /// Deliveries never sent (lost, or sent while deliveries were stopped).
    #[serde(default)]
    pub lost: usize,
    #[serde(default)]
    pub delivery_stopped: bool,
    /// No call is playing and no delivery is waiting.
    pub idle: bool,
}
