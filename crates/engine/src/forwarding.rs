//! Forwarding in the app (docs/forwarding.md): the Settings page's targets (checked field
//! by field, applied all or nothing), the forwarder beside the receiver in account and
//! demo modes, and what the Forwarding page, a call's details and the status bar show:
//! each target's health, the attempts, replays and made-up deliveries.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use calleague_error_code::ErrorCode;
use calleague_forward::{
    check_json, made_up, replay, replay_all, ApiKey, ForwardError, ForwardOptions, ForwardTarget, Forwarder, Sender,
};
use calleague_store::{AttemptFilter, CallFilter, ListedAttempt, Order, PageRequest, ReplaySelection};

use crate::error::{AppError, AppResult};
use crate::forwarding_settings::{validated, ForwardingSettings};
use crate::forwarding_views::{
    short_name, AttemptQuery, AttemptView, FailingTarget, ForwardingOverview, ReplayProgressView, ReplayRequest,
    TargetOverview, TriggerRequest, TriggerResult,
};
use crate::settings::Mode;
use crate::Engine;

const MOST_REPLAYED: u32 = 100_000;

/// The forwarder and the replay in progress, beside the receiver.
#[derive(Default)]
pub(crate) struct ForwardingState {
    pub(crate) forwarder: Option<Forwarder>,
    /// Set by Cancel; one replay of many at a time.
    pub(crate) cancel: Option<Arc<AtomicBool>>,
}

impl Engine {
    pub async fn forwarding_settings(&self) -> ForwardingSettings {
        self.settings.lock().await.forwarding.clone()
    }

    /// Checks every field, saves, and restarts the forwarder with the new targets. Nothing
    /// changes when a field is wrong.
    pub async fn apply_forwarding(&self, settings: ForwardingSettings) -> AppResult<ForwardingSettings> {
        let (settings, _) = validated(settings)?;
        let saved = settings.clone();
        self.update_settings(|s| s.forwarding = saved).await?;
        self.restart_forwarder().await;
        Ok(settings)
    }

    /// Stops the forwarder and starts it again with the settings and the current key,
    /// while a receiver runs (account and demo modes).
    pub(crate) async fn restart_forwarder(&self) {
        self.stop_forwarder().await;
        let settings = self.settings.lock().await.clone();
        if !matches!(settings.mode, Some(Mode::Account | Mode::Demo)) {
            return;
        }
        let running = self.running.lock().await;
        let (Some(key), true) = (running.key.clone(), running.service.is_some()) else { return };
        drop(running);
        let Ok((forwarding, targets)) = validated(settings.forwarding) else { return };
        if !targets.iter().any(|t| t.enabled) {
            return;
        }
        let options = options(&forwarding);
        let forwarder = Forwarder::start(self.store().clone(), targets, Some(ApiKey::new(key)), options).await;
        self.forwarding.lock().await.forwarder = Some(forwarder);
    }

    pub(crate) async fn stop_forwarder(&self) {
        let forwarder = self.forwarding.lock().await.forwarder.take();
        if let Some(forwarder) = forwarder {
            forwarder.stop().await;
        }
    }

    /// The targets that keep failing (two rounds in a row, or not answering at all).
    pub(crate) fn failing_targets(&self) -> Vec<FailingTarget> {
        let Ok(state) = self.forwarding.try_lock() else { return Vec::new() };
        let Some(forwarder) = &state.forwarder else { return Vec::new() };
        forwarder
            .health()
            .into_iter()
            .filter(|h| h.down || h.failing_rounds >= 2)
            .map(|h| FailingTarget {
                name: short_name(&h.target),
                url: h.target,
                down: h.down,
                last_failure: h.last_failure,
                since_ms: h.since_ms,
            })
            .collect()
    }

    pub async fn forwarding_overview(&self) -> AppResult<ForwardingOverview> {
        let settings = self.settings.lock().await.clone();
        let unavailable = match settings.mode {
            Some(Mode::Team) => Some("This desktop watches the team's database and receives nothing itself: forward from the receivers (calleague-receiver serve --forward-to)."),
            None => Some("Connect an account or start the demo: forwarding sends what this app receives."),
            _ => None,
        }
        .map(str::to_owned);
        let health = self.forwarding.lock().await.forwarder.as_ref().map(Forwarder::health).unwrap_or_default();
        let hour_ago = now_ms() - 3_600_000;
        let mut targets = Vec::new();
        for t in &settings.forwarding.targets {
            let stats = self.store().forward_target_stats(&t.url, hour_ago)?;
            let (owed, given_up) = self.store().forward_owed(&t.url)?;
            let mut latencies = stats.latencies_ms.clone();
            latencies.sort_unstable();
            targets.push(TargetOverview {
                name: short_name(&t.url),
                url: t.url.clone(),
                events: t.events.clone(),
                enabled: t.enabled,
                down: health.iter().any(|h| h.target == t.url && h.down),
                last: stats.last.map(|row| AttemptView::of(row, None, None)),
                attempts_last_hour: stats.attempts,
                failures_last_hour: stats.failures,
                p50_ms: percentile(&latencies, 0.50),
                p99_ms: percentile(&latencies, 0.99),
                owed,
                given_up,
            });
        }
        Ok(ForwardingOverview { targets, unavailable })
    }

    /// A page of attempts, newest first.
    pub fn forward_attempt_page(&self, query: AttemptQuery) -> AppResult<Vec<AttemptView>> {
        let filter = AttemptFilter { target: query.target, failed: query.failed, before: query.before, limit: 100 };
        Ok(self
            .store()
            .forward_attempt_list(&filter)?
            .into_iter()
            .map(|ListedAttempt { attempt, call_id, event }| AttemptView::of(attempt, call_id, event))
            .collect())
    }

    /// Every attempt at a call's deliveries, with the answers' bodies.
    pub fn call_forwarding(&self, call_id: &str) -> AppResult<Vec<AttemptView>> {
        Ok(self
            .store()
            .forward_attempts_of_call(call_id)?
            .into_iter()
            .map(|row| AttemptView::of(row, Some(call_id.to_owned()), None))
            .collect())
    }

    /// Sends one stored delivery (or `body`, its edited JSON) to `to`.
    pub async fn replay_delivery(&self, delivery: i64, to: String, body: Option<String>) -> AppResult<AttemptView> {
        let target = replay_target(&to)?;
        if let Some(body) = &body {
            check_json(body.as_bytes()).map_err(|e| field_error(e, "body"))?;
        }
        let sender = self.sender().await?;
        let attempt = replay(self.store(), &sender, &target, delivery, body.map(String::into_bytes))
            .await
            .map_err(|e| field_error(e, "to"))?;
        let row = self.store().forward_attempts(delivery)?.into_iter().rev().find(|r| r.target == target.key());
        Ok(match row {
            Some(row) => AttemptView::of(row, None, None),
            None => AttemptView {
                id: 0,
                target: target.key().to_owned(),
                target_name: target.short_name(),
                delivery,
                attempt: attempt.attempt,
                replay: true,
                at_ms: attempt.at_ms,
                latency_ms: attempt.latency_ms,
                status: attempt.status,
                error: attempt.error,
                response_headers: attempt.response_headers,
                response_body: String::from_utf8_lossy(&attempt.response_body).into_owned(),
                call_id: None,
                event: None,
            },
        })
    }

    /// Replays a selection, telling `progress` after each delivery; Cancel stops it.
    pub async fn replay_many(
        &self,
        request: ReplayRequest,
        mut progress: impl FnMut(ReplayProgressView) + Send,
    ) -> AppResult<ReplayProgressView> {
        let (to, ids) = match request {
            ReplayRequest::Received { to, from_ms, to_ms, events } => {
                if from_ms >= to_ms {
                    return Err(
                        AppError::new(ErrorCode::Validation, "The range ends before it starts.").on_field("from")
                    );
                }
                let selection = ReplaySelection::Received { from_ms, to_ms, events };
                (to, self.store().forward_selection(&selection, MOST_REPLAYED)?)
            }
            ReplayRequest::Failures { to, since_ms } => {
                let selection = ReplaySelection::NotAnswered { target: to.trim().to_owned(), since_ms };
                (to, self.store().forward_selection(&selection, MOST_REPLAYED)?)
            }
            ReplayRequest::Calls { to, filter } => (to, self.deliveries_of_filtered_calls(&filter)?),
        };
        let target = replay_target(&to)?;
        let sender = self.sender().await?;
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut state = self.forwarding.lock().await;
            if state.cancel.as_ref().is_some_and(|c| !c.load(Ordering::SeqCst)) {
                return Err(AppError::new(ErrorCode::Validation, "A replay is running: wait for it or cancel it."));
            }
            state.cancel = Some(cancel.clone());
        }
        let result = replay_all(self.store(), &sender, &target, &ids, &cancel, |p, _| {
            progress(ReplayProgressView {
                total: p.total,
                sent: p.sent,
                answered: p.answered,
                failed: p.failed,
                cancelled: p.cancelled,
                done: false,
            })
        })
        .await;
        self.forwarding.lock().await.cancel = None;
        let p = result.map_err(|e| field_error(e, "to"))?;
        let done = ReplayProgressView {
            total: p.total,
            sent: p.sent,
            answered: p.answered,
            failed: p.failed,
            cancelled: p.cancelled,
            done: true,
        };
        progress(done.clone());
        Ok(done)
    }

    /// The deliveries of every call `filter` shows, walked page by page in the timeline's
    /// order, up to [`MOST_REPLAYED`] deliveries.
    fn deliveries_of_filtered_calls(&self, filter: &CallFilter) -> AppResult<Vec<i64>> {
        let mut ids = Vec::new();
        let mut page = PageRequest::first(Order::OldestFirst, 500);
        loop {
            let calls = self.store().calls_page(filter, &page)?;
            let call_ids: Vec<String> = calls.items.iter().map(|c| c.record.call_id.clone()).collect();
            ids.extend(self.store().webhook_deliveries_of_calls(&call_ids)?);
            match calls.next {
                Some(next) if ids.len() < MOST_REPLAYED as usize => page.after = Some(next),
                _ => break,
            }
        }
        ids.truncate(MOST_REPLAYED as usize);
        ids.sort_unstable();
        Ok(ids)
    }

    pub async fn cancel_replay(&self) {
        if let Some(cancel) = &self.forwarding.lock().await.cancel {
            cancel.store(true, Ordering::SeqCst);
        }
    }

    /// Makes every delivery a target gave up on due again now.
    pub async fn retry_given_up(&self, target: String) -> AppResult<u64> {
        Ok(self.store().forward_retry_given_up(&target, now_ms()).await?)
    }

    /// A made-up delivery of `event` with its values from the newest real one, as the
    /// trigger form starts from (the body as JSON text).
    pub fn trigger_defaults(&self, event: &str) -> AppResult<String> {
        let made = made_up(Some(self.store()), event, &[]).map_err(|e| field_error(e, "event"))?;
        Ok(String::from_utf8_lossy(&made.body).into_owned())
    }

    /// Sends a made-up delivery to a target, or to this app's own receiver (where it is
    /// stored and notified like any other).
    pub async fn trigger(&self, request: TriggerRequest) -> AppResult<TriggerResult> {
        let made =
            made_up(Some(self.store()), &request.event, &request.fields).map_err(|e| field_error(e, "fields"))?;
        let to = match request.to {
            Some(to) => replay_target(&to)?,
            None => {
                let running = self.running.lock().await;
                let url = running.service.as_ref().map(|s| s.url().to_owned()).ok_or_else(|| {
                    AppError::new(ErrorCode::NotConnected, "The receiver is not running: nothing here would get it.")
                        .on_field("to")
                })?;
                ForwardTarget::new(&url, Vec::<String>::new()).map_err(|e| field_error(e, "to"))?
            }
        };
        let answer = self.sender().await?.send(&to, &made, &made.body, 1, false).await;
        Ok(TriggerResult {
            body: String::from_utf8_lossy(&made.body).into_owned(),
            status: answer.status,
            error: answer.error,
            latency_ms: answer.latency.as_millis() as i64,
            response_body: String::from_utf8_lossy(&answer.body).into_owned(),
        })
    }

    /// What replays and made-up deliveries are sent with: the key of the running mode.
    async fn sender(&self) -> AppResult<Sender> {
        let key = self.running.lock().await.key.clone().ok_or_else(|| {
            AppError::new(
                ErrorCode::NotConnected,
                "Connect an account or start the demo first: requests carry its key.",
            )
        })?;
        let timeout = Duration::from_secs(u64::from(self.settings.lock().await.forwarding.timeout_secs.clamp(1, 120)));
        Ok(Sender::new(Some(ApiKey::new(key)), timeout))
    }
}

fn options(settings: &ForwardingSettings) -> ForwardOptions {
    ForwardOptions {
        timeout: Duration::from_secs(u64::from(settings.timeout_secs)),
        retry_window: Duration::from_secs(u64::from(settings.retry_window_hours) * 3600),
        ..ForwardOptions::default()
    }
}

/// A replay's address: a target's or one typed once, under the same rules.
fn replay_target(to: &str) -> AppResult<ForwardTarget> {
    ForwardTarget::new(to, Vec::<String>::new()).map_err(|e| field_error(e, "to"))
}

fn field_error(e: ForwardError, field: &str) -> AppError {
    let code = e.code();
    let field = match &e {
        ForwardError::Invalid { field: "body", .. } => "body",
        _ => field,
    };
    AppError::new(code, e.to_string()).on_field(field)
}

fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn now_ms() -> i64 {
    calleague_events::Timestamp::now().unix_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_rank_that_covers_the_share() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&[7], 0.99), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
