//! Scenarios: calls played through their lifecycle with realistic gaps.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use calleague_events::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::audio::transcript_segments;
use crate::delivery::{dispatch, Outgoing};
use crate::model::{Call, Transcript};
use crate::rng::SimRng;
use crate::state::{Platform, RecordingAsset};

/// What `POST /sim/calls` takes. Every field has a sensible default; a field it does not
/// know is an error (a misspelt `count` must not silently play the default ten calls).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ScenarioSpec {
    pub calls: u32,
    /// Calls started per (simulated) second.
    pub rate: f64,
    /// Share of calls that fail instead of completing.
    pub failed_share: f64,
    pub failed_reasons: Vec<String>,
    pub completed_reasons: Vec<String>,
    pub directions: Vec<String>,
    pub agents: Vec<String>,
    pub languages: Vec<String>,
    /// Echoed in every event of every call; when absent each call gets an order id.
    pub metadata: Option<Value>,
    pub recordings: bool,
    pub transcripts: bool,
    pub min_duration_sec: f64,
    pub max_duration_sec: f64,
    /// Stretch (or shrink) every gap inside a call's lifecycle.
    pub gap_scale: f64,
    /// The calls began this long ago: their start and connect carry times from the past
    /// (a long call that is still running), while the rest plays as usual.
    pub started_ago_sec: f64,
}

impl Default for ScenarioSpec {
    fn default() -> Self {
        Self {
            calls: 10,
            rate: 1.0,
            failed_share: 0.2,
            failed_reasons: vec!["no-answer".into(), "busy".into(), "error".into(), "voicemail".into()],
            completed_reasons: vec!["completed".into(), "customer-ended-call".into(), "assistant-ended-call".into()],
            directions: vec!["inbound".into(), "outbound".into()],
            agents: vec!["ag_support".into(), "ag_sales".into(), "ag_booking".into()],
            languages: vec!["en".into(), "tr".into(), "de".into()],
            metadata: None,
            recordings: true,
            transcripts: true,
            min_duration_sec: 15.0,
            max_duration_sec: 180.0,
            gap_scale: 1.0,
            started_ago_sec: 0.0,
        }
    }
}

impl ScenarioSpec {
    pub fn validate(&self) -> Result<(), String> {
        if self.calls == 0 || self.calls > 1_000_000 {
            return Err("calls must be 1 to 1,000,000".into());
        }
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err("rate must be a positive number of calls per second".into());
        }
        if !(0.0..=1.0).contains(&self.failed_share) {
            return Err("failedShare must be between 0 and 1".into());
        }
        if !(self.min_duration_sec > 0.0 && self.max_duration_sec >= self.min_duration_sec) {
            return Err("durations must be positive, with max at least min".into());
        }
        if !(self.gap_scale.is_finite() && self.gap_scale >= 0.0) {
            return Err("gapScale must not be negative".into());
        }
        if !(self.started_ago_sec.is_finite() && (0.0..=7.0 * 86_400.0).contains(&self.started_ago_sec)) {
            return Err("startedAgoSec must be 0 to a week".into());
        }
        for (name, list) in [("agents", &self.agents), ("directions", &self.directions), ("languages", &self.languages)]
        {
            if list.is_empty() {
                return Err(format!("{name} must not be empty"));
            }
        }
        Ok(())
    }
}

/// Plans the calls, starts them in the background, and returns their ids at once.
pub(crate) fn play(inner: &Arc<Platform>, spec: ScenarioSpec) -> Vec<String> {
    let scenario = inner.next_sequence();
    let plans: Vec<CallPlan> = (0..spec.calls).map(|i| CallPlan::new(inner.config.seed, scenario, i, &spec)).collect();
    let ids = plans.iter().map(|p| p.call_id.clone()).collect();
    inner.planned_calls.fetch_add(plans.len(), Ordering::SeqCst);
    inner.live_calls.fetch_add(plans.len(), Ordering::SeqCst);
    let inner = inner.clone();
    let interval = Duration::from_secs_f64(1.0 / spec.rate);
    tokio::spawn(async move {
        for (i, plan) in plans.into_iter().enumerate() {
            if i > 0 {
                inner.clock.sleep(interval).await;
            }
            tokio::spawn(run_call(inner.clone(), plan));
        }
    });
    ids
}

/// Everything about one call, decided up front from the seed.
struct CallPlan {
    call_id: String,
    rng: SimRng,
    agent: String,
    direction: String,
    language: String,
    metadata: Value,
    failed: Option<String>,
    completed_reason: String,
    duration_sec: f64,
    recording: bool,
    transcript: bool,
    gap_scale: f64,
    started_ago_ms: i64,
}

impl CallPlan {
    fn new(seed: u64, scenario: u64, index: u32, spec: &ScenarioSpec) -> Self {
        let mut rng = SimRng::derive(seed, &format!("scenario-{scenario}-call-{index}"));
        let call_id = rng.hex_id("cl");
        let pick = |rng: &mut SimRng, list: &[String], fallback: &str| {
            rng.pick(list).cloned().unwrap_or_else(|| fallback.into())
        };
        let agent = pick(&mut rng, &spec.agents, "ag_support");
        let direction = pick(&mut rng, &spec.directions, "inbound");
        let language = pick(&mut rng, &spec.languages, "en");
        let failed = rng.chance(spec.failed_share).then(|| pick(&mut rng, &spec.failed_reasons, "error"));
        let completed_reason = pick(&mut rng, &spec.completed_reasons, "completed");
        let duration_sec = rng.between(spec.min_duration_sec, spec.max_duration_sec).round().max(1.0);
        let metadata = spec.metadata.clone().unwrap_or_else(|| {
            let tiers = ["gold", "silver", "standard"];
            json!({"orderId": format!("A-{}", 1000 + rng.next_u64() % 9000), "customerTier": tiers[(rng.next_u64() % 3) as usize]})
        });
        Self {
            call_id,
            agent,
            direction,
            language,
            metadata,
            failed,
            completed_reason,
            duration_sec,
            recording: spec.recordings,
            transcript: spec.transcripts,
            gap_scale: spec.gap_scale,
            started_ago_ms: (spec.started_ago_sec * 1000.0) as i64,
            rng,
        }
    }

    fn gap(&mut self, low: f64, high: f64) -> Duration {
        Duration::from_secs_f64(self.rng.between(low, high) * self.gap_scale)
    }
}

/// What one lifecycle step emits.
enum Step {
    Started,
    Connected,
    Completed,
    Failed,
    RecordingReady,
    TranscriptReady,
}

async fn run_call(inner: Arc<Platform>, mut plan: CallPlan) {
    let mut steps: Vec<(Duration, Step)> = vec![(Duration::ZERO, Step::Started)];
    if plan.failed.is_some() {
        steps.push((plan.gap(5.0, 30.0), Step::Failed));
    } else {
        steps.push((plan.gap(2.0, 8.0), Step::Connected));
        steps.push((Duration::from_secs_f64(plan.duration_sec * plan.gap_scale), Step::Completed));
        if plan.recording {
            steps.push((plan.gap(2.0, 6.0), Step::RecordingReady));
        }
        if plan.transcript {
            steps.push((plan.gap(2.0, 8.0), Step::TranscriptReady));
        }
    }
    let last = steps.len() - 1;
    let mut held: Vec<Outgoing> = Vec::new();
    for (index, (wait, step)) in steps.into_iter().enumerate() {
        inner.clock.sleep(wait).await;
        let outgoing = emit(&inner, &mut plan, step);
        // Reordering: hold this one back until the call's next event has gone out.
        let hold = index < last && plan.rng.chance(inner.config.reorder_rate);
        if hold {
            held.push(outgoing);
        } else {
            dispatch(&inner, outgoing);
            for mut late in held.drain(..) {
                late.reordered = true;
                dispatch(&inner, late);
            }
        }
    }
    inner.live_calls.fetch_sub(1, Ordering::SeqCst);
}

/// Records the step in the ground truth and builds its delivery.
fn emit(inner: &Platform, plan: &mut CallPlan, step: Step) -> Outgoing {
    let now = match step {
        Step::Started | Step::Connected => Timestamp::now().saturating_add_millis(-plan.started_ago_ms),
        _ => Timestamp::now(),
    };
    let mut data = Map::new();
    data.insert("callId".into(), json!(plan.call_id));
    data.insert("agentId".into(), json!(plan.agent));
    data.insert("direction".into(), json!(plan.direction));
    data.insert("language".into(), json!(plan.language));
    data.insert("metadata".into(), plan.metadata.clone());
    let event = match step {
        Step::Started => "call.started",
        Step::Connected => {
            data.insert("connectedAt".into(), json!(now));
            "call.connected"
        }
        Step::Completed => {
            data.insert("durationSec".into(), json!(plan.duration_sec));
            data.insert("endedReason".into(), json!(plan.completed_reason));
            "call.completed"
        }
        Step::Failed => {
            data.insert("endedReason".into(), json!(plan.failed.clone().unwrap_or_default()));
            "call.failed"
        }
        Step::RecordingReady => {
            let id = plan.rng.hex_id("rec");
            let length = (plan.duration_sec / 10.0).clamp(3.0, 12.0).round();
            let segments = transcript_segments(length, &plan.language, plan.rng.next_u64() % 7);
            if let Ok(mut recordings) = inner.recordings.lock() {
                recordings.insert(
                    id.clone(),
                    RecordingAsset { call_id: plan.call_id.clone(), duration_sec: length, segments },
                );
            }
            data.insert("recordingId".into(), json!(id));
            "recording.ready"
        }
        Step::TranscriptReady => {
            let id = plan.rng.hex_id("tr");
            let segments = inner
                .recordings
                .lock()
                .ok()
                .and_then(|r| r.values().find(|a| a.call_id == plan.call_id).map(|a| a.segments.clone()))
                .unwrap_or_else(|| transcript_segments(6.0, &plan.language, 0));
            let transcript = Transcript {
                transcript_id: id.clone(),
                call_id: plan.call_id.clone(),
                language: plan.language.clone(),
                segments,
            };
            if let Ok(mut transcripts) = inner.transcripts.lock() {
                transcripts.insert(id.clone(), transcript);
            }
            data.insert("transcriptId".into(), json!(id));
            "transcript.ready"
        }
    };
    record_truth(inner, plan, event, now, &data);
    let delivery_id = plan.rng.hex_id("dl");
    let legacy = plan.rng.chance(inner.config.legacy_rate);
    Outgoing::new(delivery_id, event, &plan.call_id, now, data, legacy)
}

fn record_truth(inner: &Platform, plan: &CallPlan, event: &str, at: Timestamp, data: &Map<String, Value>) {
    let Ok(mut calls) = inner.calls.lock() else { return };
    let call = calls.entry(plan.call_id.clone()).or_insert_with(|| Call {
        call_id: plan.call_id.clone(),
        agent_id: Some(plan.agent.clone()),
        direction: Some(plan.direction.clone()),
        phase: "started".into(),
        started_at: None,
        connected_at: None,
        ended_at: None,
        duration_sec: None,
        ended_reason: None,
        language: Some(plan.language.clone()),
        metadata: Some(plan.metadata.clone()),
        recording_id: None,
        transcript_id: None,
    });
    let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
    match event {
        "call.started" => call.started_at = Some(at),
        "call.connected" => {
            call.connected_at = Some(at);
            call.phase = "connected".into();
        }
        "call.completed" | "call.failed" => {
            call.ended_at = Some(at);
            call.phase = event.trim_start_matches("call.").into();
            call.ended_reason = text("endedReason");
            call.duration_sec = data.get("durationSec").and_then(Value::as_f64);
        }
        "recording.ready" => call.recording_id = text("recordingId"),
        "transcript.ready" => call.transcript_id = text("transcriptId"),
        _ => {}
    }
}

/// One realistic delivery body for `calleague-sim trigger`.
pub fn trigger_payload(event: &str, call_id: Option<&str>, seed: u64) -> Value {
    let mut rng = SimRng::derive(seed, &format!("trigger-{event}-{}", Timestamp::now().unix_millis()));
    let call_id = call_id.map(str::to_owned).unwrap_or_else(|| rng.hex_id("cl"));
    let mut data = json!({
        "callId": call_id, "agentId": "ag_support", "direction": "inbound", "language": "en",
        "metadata": {"orderId": format!("A-{}", 1000 + rng.next_u64() % 9000)}
    });
    let now = Timestamp::now();
    match calleague_events::EventKind::parse(event) {
        calleague_events::EventKind::CallConnected => data["connectedAt"] = json!(now),
        calleague_events::EventKind::CallCompleted => {
            data["durationSec"] = json!(84);
            data["endedReason"] = json!("completed");
        }
        calleague_events::EventKind::CallFailed => data["endedReason"] = json!("no-answer"),
        calleague_events::EventKind::RecordingReady => data["recordingId"] = json!(rng.hex_id("rec")),
        calleague_events::EventKind::TranscriptReady => data["transcriptId"] = json!(rng.hex_id("tr")),
        _ => {}
    }
    json!({"event": event, "deliveryId": rng.hex_id("dl"), "occurredAt": now, "data": data})
}
