//! Telling "no calls" from "no deliveries": the REST API lists calls that no webhook
//! brought here for a while, although a subscription points here.
//!
//! The decision is pure ([`FeedWatch::observe`]), so its rules are tested without a clock;
//! when the last webhook arrived is kept by [`LastWebhook`], which listens to the store.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::{FeedItem, Source};
use serde::Serialize;
use tokio::sync::broadcast;

/// What one reconciliation round saw.
#[derive(Debug, Clone, Copy)]
pub struct RoundFacts {
    pub now: Timestamp,
    /// Calls the REST API listed with a start, connect or end inside the quiet window.
    pub calls_listed: usize,
    /// When the last webhook delivery reached this receiver.
    pub last_webhook: Option<Timestamp>,
    /// Since when this source has been watching (a receiver that just started has not
    /// had the time to hear anything).
    pub watching_since: Timestamp,
    /// A subscription points here: deliveries are expected at all.
    pub expects_webhooks: bool,
}

/// Raised once, cleared once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum WatchChange {
    /// "Webhooks are not arriving": REST listed `calls_listed` calls in the quiet window
    /// and no delivery came.
    NotArriving { since: Timestamp, calls_listed: usize, quiet_minutes: u64 },
    /// Deliveries came back (or webhooks are no longer expected here).
    Cleared { at: Timestamp },
}

#[derive(Debug)]
pub struct FeedWatch {
    quiet_after: Duration,
    /// When the notice was raised, while it stands.
    raised: Option<Timestamp>,
}

impl FeedWatch {
    pub fn new(quiet_after: Duration) -> Self {
        Self { quiet_after, raised: None }
    }

    pub fn is_raised(&self) -> bool {
        self.raised.is_some()
    }

    /// The change this round makes, if any.
    pub fn observe(&mut self, facts: RoundFacts) -> Option<WatchChange> {
        let quiet_ms = self.quiet_after.as_millis() as i64;
        let window_start = facts.now.saturating_add_millis(-quiet_ms);
        match self.raised {
            Some(raised) => {
                let back = facts.last_webhook.is_some_and(|at| at > raised) || !facts.expects_webhooks;
                back.then(|| {
                    self.raised = None;
                    WatchChange::Cleared { at: facts.now }
                })
            }
            None => {
                let heard_lately = facts.last_webhook.is_some_and(|at| at >= window_start);
                let watched_long_enough = facts.watching_since <= window_start;
                let silent = facts.expects_webhooks && facts.calls_listed > 0 && !heard_lately && watched_long_enough;
                silent.then(|| {
                    self.raised = Some(facts.now);
                    WatchChange::NotArriving {
                        since: facts.last_webhook.map_or(window_start, |at| at.max(window_start)),
                        calls_listed: facts.calls_listed,
                        quiet_minutes: self.quiet_after.as_secs().div_ceil(60),
                    }
                })
            }
        }
    }
}

/// When the last webhook delivery (or a repeat of one) was committed, as the store's feed
/// tells it. Deliveries read from the REST API do not count.
#[derive(Debug, Clone, Default)]
pub struct LastWebhook(Arc<AtomicI64>);

impl LastWebhook {
    pub fn get(&self) -> Option<Timestamp> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            ms => Timestamp::from_unix_millis(ms).ok(),
        }
    }

    fn set(&self, at: Timestamp) {
        self.0.fetch_max(at.unix_millis(), Ordering::SeqCst);
    }

    /// Follows `feed` until it closes.
    pub async fn follow(self, mut feed: broadcast::Receiver<FeedItem>) {
        loop {
            match feed.recv().await {
                Ok(FeedItem::Event { event, .. }) if event.source == Source::Webhook => self.set(event.received_at),
                Ok(FeedItem::Repeat { .. }) => self.set(Timestamp::now()),
                Ok(_) => {}
                // Fell behind a burst: deliveries are certainly arriving.
                Err(broadcast::error::RecvError::Lagged(_)) => self.set(Timestamp::now()),
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u32) -> Timestamp {
        Timestamp::from_unix_millis(1_800_000_000_000 + i64::from(s) * 1000).unwrap()
    }

    fn facts(now: u32, calls_listed: usize, last_webhook: Option<u32>) -> RoundFacts {
        RoundFacts {
            now: at(now),
            calls_listed,
            last_webhook: last_webhook.map(at),
            watching_since: at(0),
            expects_webhooks: true,
        }
    }

    #[test]
    fn raised_once_when_calls_are_listed_and_nothing_arrived_for_the_window_then_cleared_once() {
        let mut watch = FeedWatch::new(Duration::from_secs(600));
        assert_eq!(watch.observe(facts(300, 4, Some(100))), None, "watched for less than the window");
        assert_eq!(watch.observe(facts(650, 4, Some(100))), None, "a delivery inside the window");
        let raised = watch.observe(facts(800, 12, Some(100)));
        assert_eq!(raised, Some(WatchChange::NotArriving { since: at(200), calls_listed: 12, quiet_minutes: 10 }));
        assert_eq!(watch.observe(facts(1100, 15, Some(100))), None, "not raised twice");
        assert_eq!(watch.observe(facts(1400, 15, Some(1300))), Some(WatchChange::Cleared { at: at(1400) }));
        assert_eq!(watch.observe(facts(1500, 15, Some(1300))), None);
    }

    #[test]
    fn no_calls_listed_or_no_subscription_here_is_not_a_broken_feed() {
        let mut watch = FeedWatch::new(Duration::from_secs(600));
        assert_eq!(watch.observe(facts(900, 0, None)), None, "no calls: nothing to deliver");
        let mut unsubscribed = facts(900, 5, None);
        unsubscribed.expects_webhooks = false;
        assert_eq!(watch.observe(unsubscribed), None);
        assert!(watch.observe(facts(900, 5, None)).is_some());
        assert_eq!(watch.observe(unsubscribed), Some(WatchChange::Cleared { at: at(900) }), "REST only now: cleared");
    }
}
