//! Replays: a stored delivery sent again to a target (as stored, or edited first), one or
//! a selection of many, outside the retries. Each is an attempt like any other, marked as
//! a replay.

use std::sync::atomic::{AtomicBool, Ordering};

use calleague_store::{AfterAttempt, ForwardAttempt, ForwardStep, Store};

use crate::{now_ms, ForwardError, ForwardTarget, Sender};

/// How a replay of many is going.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayProgress {
    pub total: u64,
    pub sent: u64,
    /// Answered 2xx.
    pub answered: u64,
    /// Not answered 2xx (or not at all).
    pub failed: u64,
    pub cancelled: bool,
}

/// Sends delivery `id` (its stored body, or `body` instead: JSON, checked) to `target`
/// and records the attempt as a replay.
pub async fn replay(
    store: &Store,
    sender: &Sender,
    target: &ForwardTarget,
    id: i64,
    body: Option<Vec<u8>>,
) -> Result<ForwardAttempt, ForwardError> {
    if let Some(body) = &body {
        check_json(body)?;
    }
    let delivery = store.forward_delivery(id)?.ok_or(ForwardError::NoDelivery(id))?;
    let number = store.forward_attempt_count(target.key(), id)? + 1;
    let at_ms = now_ms();
    let answer = sender.send(target, &delivery, body.as_deref().unwrap_or(&delivery.body), number, true).await;
    let attempt = answer.into_attempt(id, number, true, at_ms, AfterAttempt::Settled);
    store
        .record_forwarding(ForwardStep {
            target: target.key().to_owned(),
            attempts: vec![attempt.clone()],
            forwarded_to: None,
        })
        .await?;
    Ok(attempt)
}

/// Replays each of `ids` in turn, telling `progress` after each, until done or `cancel`
/// is set (what was sent stays recorded).
pub async fn replay_all(
    store: &Store,
    sender: &Sender,
    target: &ForwardTarget,
    ids: &[i64],
    cancel: &AtomicBool,
    mut progress: impl FnMut(&ReplayProgress, Option<&ForwardAttempt>),
) -> Result<ReplayProgress, ForwardError> {
    let mut state = ReplayProgress { total: ids.len() as u64, ..ReplayProgress::default() };
    progress(&state, None);
    for &id in ids {
        if cancel.load(Ordering::SeqCst) {
            state.cancelled = true;
            break;
        }
        let attempt = match replay(store, sender, target, id, None).await {
            Ok(attempt) => attempt,
            // Pruned meanwhile: nothing to send.
            Err(ForwardError::NoDelivery(_)) => continue,
            Err(e) => return Err(e),
        };
        state.sent += 1;
        if attempt.status.is_some_and(|s| (200..300).contains(&s)) {
            state.answered += 1;
        } else {
            state.failed += 1;
        }
        progress(&state, Some(&attempt));
    }
    progress(&state, None);
    Ok(state)
}

/// An edited body must still be JSON: a handler under test gets what Calleague could send.
pub fn check_json(body: &[u8]) -> Result<(), ForwardError> {
    serde_json::from_slice::<serde_json::Value>(body)
        .map(|_| ())
        .map_err(|e| ForwardError::Invalid { field: "body", message: format!("The body is not JSON: {e}.") })
}
