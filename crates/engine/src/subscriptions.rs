//! The account's webhook subscriptions, managed from the app: listed, created, edited and
//! deleted through the REST client (the demo's simulator in demo mode), checked against
//! this computer's address, and followed by the receiver's event filter.

use std::collections::BTreeSet;

use calleague_client::{pointing_at, validate_draft, UrlPolicy, Webhook, WebhookDraft};
use calleague_error_code::ErrorCode;
use calleague_events::EventKind;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::settings::Mode;
use crate::Engine;

/// The events the timeline is built from: a subscription to this computer without one of
/// them leaves calls half told.
const TIMELINE_EVENTS: [&str; 4] = ["call.started", "call.connected", "call.completed", "call.failed"];

/// One webhook as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub webhook_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// It delivers to this computer.
    pub points_here: bool,
}

/// What a create or an edit sends; checked in Rust before anything goes out.
#[derive(Debug, Clone, PartialEq, Deserialize, ts_rs::TS)]
pub struct SubscriptionDraft {
    pub url: String,
    pub events: Vec<String>,
    /// The user confirmed a private, link-local or loopback host (the form asks when the
    /// check refuses one on the field `confirmPrivate`).
    #[serde(rename = "confirmPrivate", default)]
    #[ts(rename = "confirmPrivate")]
    pub confirm_private: bool,
}

/// Why deliveries may not reach this computer, with what the one-click fix does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SubscriptionProblem {
    /// No public address is set, so nothing can be checked or fixed: set one first.
    NoPublicUrl,
    /// No subscription sends to `url`; the fix creates one with `events`.
    #[serde(rename_all = "camelCase")]
    NoneHere { url: String, events: Vec<String> },
    /// A subscription sends here without `missing`; the fix adds them to it.
    #[serde(rename_all = "camelCase")]
    MissingEvents { webhook_id: String, missing: Vec<String> },
}

/// The page's whole state after a read or a change: the server's list, never a guess.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Subscriptions {
    pub webhooks: Vec<Subscription>,
    /// The address "This computer" fills in: the public URL with the receiver's path (the
    /// receiver's own address in demo mode). None without a public URL.
    pub this_computer: Option<String>,
    pub problem: Option<SubscriptionProblem>,
    /// The events the receiver shows, from the subscriptions pointing here (None: all).
    pub receiving: Option<Vec<String>>,
}

/// The webhook URL for a public address and the receiver's path: the address as given
/// when it has a path of its own, else with the receiver's path appended.
pub fn webhook_url(public_url: &str, receiver_path: &str) -> String {
    let base = public_url.trim().trim_end_matches('/');
    let has_path = base.split_once("://").is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        base.to_owned()
    } else {
        format!("{base}{receiver_path}")
    }
}

/// What the subscriptions pointing at `here` mean for this app: the problem to show, if
/// any, and the events the receiver should keep visible.
fn diagnose(
    webhooks: &[Webhook],
    here: Option<&str>,
    watched: &BTreeSet<String>,
) -> (Option<SubscriptionProblem>, Option<BTreeSet<String>>) {
    let Some(here) = here else { return (Some(SubscriptionProblem::NoPublicUrl), None) };
    let pointing = pointing_at(webhooks, here);
    if pointing.is_empty() {
        let events = watched.iter().cloned().collect();
        return (Some(SubscriptionProblem::NoneHere { url: here.to_owned(), events }), None);
    }
    let asked: BTreeSet<String> =
        pointing.iter().flat_map(|h| h.events.iter().map(|e| EventKind::parse(e).as_str().to_owned())).collect();
    let missing: Vec<String> = watched.difference(&asked).cloned().collect();
    let problem = (!missing.is_empty())
        .then(|| SubscriptionProblem::MissingEvents { webhook_id: pointing[0].webhook_id.clone(), missing });
    (problem, Some(asked))
}

impl Subscription {
    fn from_webhook(hook: Webhook, here: Option<&str>) -> Self {
        let points_here = here.is_some_and(|here| !pointing_at(std::slice::from_ref(&hook), here).is_empty());
        Self {
            webhook_id: hook.webhook_id,
            url: hook.url,
            events: hook.events,
            created_at: hook.created_at.map(|t| t.to_string()),
            updated_at: hook.updated_at.map(|t| t.to_string()),
            points_here,
        }
    }
}

impl Engine {
    /// The subscriptions as the server has them, what they mean for this computer; the
    /// receiver's event filter follows them and the status bar shows the problem.
    pub async fn subscriptions(&self) -> AppResult<Subscriptions> {
        let client = self.client().await?;
        let webhooks = client.list_webhooks().await?;
        Ok(self.follow(webhooks).await)
    }

    pub async fn create_subscription(&self, draft: SubscriptionDraft) -> AppResult<Subscriptions> {
        let client = self.client().await?;
        let existing = client.list_webhooks().await?;
        let policy = self.url_policy(draft.confirm_private).await;
        let draft = validate_draft(&draft.into(), policy, &existing, None)?;
        client.create_webhook(&draft).await?;
        self.subscriptions().await
    }

    pub async fn update_subscription(&self, webhook_id: String, draft: SubscriptionDraft) -> AppResult<Subscriptions> {
        let client = self.client().await?;
        let existing = client.list_webhooks().await?;
        if !existing.iter().any(|h| h.webhook_id == webhook_id) {
            return Err(AppError::new(ErrorCode::NotFound, format!("Webhook {webhook_id} no longer exists.")));
        }
        let policy = self.url_policy(draft.confirm_private).await;
        let draft = validate_draft(&draft.into(), policy, &existing, Some(&webhook_id))?;
        client.update_webhook(&webhook_id, &draft).await?;
        self.subscriptions().await
    }

    pub async fn delete_subscription(&self, webhook_id: String) -> AppResult<Subscriptions> {
        let client = self.client().await?;
        client.delete_webhook(&webhook_id).await?;
        self.subscriptions().await
    }

    /// The one-click fix of the current problem: a subscription to this computer, or the
    /// missing events added to the one that points here. Read fresh, so it fixes what the
    /// server has now.
    pub async fn fix_subscriptions(&self) -> AppResult<Subscriptions> {
        let current = self.subscriptions().await?;
        match current.problem {
            None => Ok(current),
            Some(SubscriptionProblem::NoPublicUrl) => Err(AppError::new(
                ErrorCode::PublicUrlInvalid,
                "Set this computer's public address first: the tunnel's https:// address.",
            )
            .on_field("publicUrl")),
            Some(SubscriptionProblem::NoneHere { url, events }) => {
                // The address the user gave as this computer's own: confirmed by that.
                self.create_subscription(SubscriptionDraft { url, events, confirm_private: true }).await
            }
            Some(SubscriptionProblem::MissingEvents { webhook_id, missing }) => {
                let hook = current.webhooks.iter().find(|h| h.webhook_id == webhook_id);
                let mut events = hook.map(|h| h.events.clone()).unwrap_or_default();
                events.extend(missing);
                let url = hook.map(|h| h.url.clone()).unwrap_or_default();
                self.update_subscription(webhook_id, SubscriptionDraft { url, events, confirm_private: true }).await
            }
        }
    }

    /// Applies a fresh list: the receiver's event filter and the status bar's problem.
    async fn follow(&self, webhooks: Vec<Webhook>) -> Subscriptions {
        let here = self.this_computer().await;
        let watched = self.watched_events().await;
        let (problem, receiving) = diagnose(&webhooks, here.as_deref(), &watched);
        let mut running = self.running.lock().await;
        if let Some(service) = &running.service {
            service.set_subscriptions(receiving.clone());
        }
        running.subscription_problem = problem.clone();
        running.event_filter = receiving.clone();
        drop(running);
        self.follow_source_mode().await;
        Subscriptions {
            webhooks: webhooks.into_iter().map(|h| Subscription::from_webhook(h, here.as_deref())).collect(),
            this_computer: here,
            problem,
            receiving: receiving.map(|r| r.into_iter().collect()),
        }
    }

    /// Where deliveries to this computer go: in demo mode the receiver itself, else the
    /// public address with the receiver's path.
    pub(crate) async fn this_computer(&self) -> Option<String> {
        let (public_url, path) = {
            let settings = self.settings.lock().await;
            (settings.public_url.clone(), settings.receiver_path.clone())
        };
        let running = self.running.lock().await;
        if running.demo.is_some() {
            return running.service.as_ref().map(|s| s.url().to_owned());
        }
        public_url.map(|p| webhook_url(&p, &path))
    }

    /// The timeline's events and those the user asked to be notified of.
    async fn watched_events(&self) -> BTreeSet<String> {
        let settings = self.settings.lock().await;
        let mut watched: BTreeSet<String> = TIMELINE_EVENTS.iter().map(|e| e.to_string()).collect();
        if settings.notifications.enabled {
            watched.extend(settings.notifications.events.iter().map(|e| EventKind::parse(e).as_str().to_owned()));
        }
        watched
    }

    /// Plain http to this computer only against the demo's simulator; a private host only
    /// once the user confirmed it.
    async fn url_policy(&self, confirm_private: bool) -> UrlPolicy {
        UrlPolicy {
            allow_loopback_http: self.settings.lock().await.mode == Some(Mode::Demo),
            allow_private_host: confirm_private,
        }
    }
}

impl From<SubscriptionDraft> for WebhookDraft {
    fn from(d: SubscriptionDraft) -> Self {
        Self { url: d.url, events: d.events }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(id: &str, url: &str, events: &[&str]) -> Webhook {
        Webhook {
            webhook_id: id.into(),
            url: url.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            created_at: None,
            updated_at: None,
        }
    }

    fn watched(events: &[&str]) -> BTreeSet<String> {
        events.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn the_webhook_url_appends_the_receivers_path_to_a_bare_address() {
        assert_eq!(webhook_url("https://t.example", "/hooks/calleague"), "https://t.example/hooks/calleague");
        assert_eq!(webhook_url("https://t.example/", "/hooks/calleague"), "https://t.example/hooks/calleague");
        assert_eq!(webhook_url(" https://t.example/in ", "/hooks/calleague"), "https://t.example/in");
    }

    #[test]
    fn diagnoses_no_address_none_here_missing_events_and_all_well() {
        let here = "https://t.example/hooks/calleague";
        let want = watched(&["call.completed", "call.failed"]);
        assert_eq!(diagnose(&[], None, &want), (Some(SubscriptionProblem::NoPublicUrl), None));

        let elsewhere = [hook("a", "https://other.example/hooks/calleague", &["call.failed"])];
        let (problem, filter) = diagnose(&elsewhere, Some(here), &want);
        assert_eq!(
            problem,
            Some(SubscriptionProblem::NoneHere {
                url: here.into(),
                events: vec!["call.completed".into(), "call.failed".into()]
            })
        );
        assert_eq!(filter, None, "with nothing pointing here the receiver hides nothing");

        // Two webhooks point here; together they ask for call.completed but not call.failed.
        let partial = [
            hook("b", "https://T.example/hooks/calleague/", &["call.completed"]),
            hook("c", "https://t.example:443/hooks/calleague", &["transcript.ready", "call.ended"]),
            hook("d", "https://other.example/x", &["call.failed"]),
        ];
        let (problem, filter) = diagnose(&partial, Some(here), &want);
        assert_eq!(
            problem,
            Some(SubscriptionProblem::MissingEvents { webhook_id: "b".into(), missing: vec!["call.failed".into()] })
        );
        // `call.ended` is the old name of call.completed: the filter holds canonical names.
        assert_eq!(filter, Some(watched(&["call.completed", "transcript.ready"])));

        let whole = [hook("e", here, &["call.completed", "call.failed", "recording.ready"])];
        let (problem, filter) = diagnose(&whole, Some(here), &want);
        assert_eq!(problem, None);
        assert_eq!(filter, Some(watched(&["call.completed", "call.failed", "recording.ready"])));
    }
}
