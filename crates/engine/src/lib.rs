//! Calleague Monitor's engine: everything the desktop app does that needs no window.
//!
//! - [`Engine`]: the app's modes (an account, or the demo), its settings, the API key (in
//!   memory while running, at rest only in the [`Keychain`]), and a REST client for the
//!   current mode.
//! - [`ReceiverService`]: the receiver, its uptime heartbeat and catch-up after downtime,
//!   started and stopped as one. The headless `calleague-receiver serve` runs the same
//!   service, so the app and the server cannot drift apart.
//! - sources: the REST API read beside webhooks or instead of them, its mode following the
//!   subscriptions, and the "webhooks are not arriving" notification.
//! - wake: resume from sleep and the network coming back (D-Bus), which catch up at once.
//! - [`feed`]: the live feed cut into batches for a window.
//! - [`recording`]: recordings downloaded through the REST client, and safe file names.
//! - subscriptions: the account's webhooks managed from the app, checked against this
//!   computer's address, and followed by the receiver's event filter.
//! - [`export`]: calls or events of a time range to a file, with progress and cancel.
//! - dimensions: the metadata fields calls are counted by (Settings → Data), chosen also
//!   by saving an alert rule narrowed by one.
//! - receiver settings and retention: the Settings page's sections, each applied all or
//!   nothing; retention prunes in the background.
//! - team mode: the window on a team's PostgreSQL database (read-only), its address and
//!   password in the keychain, notifications following the team's feed.
//! - forwarding: every delivery sent on to the user's own handlers, replays and made-up
//!   deliveries (the forward crate), as the Settings and Forwarding pages use them.
//! - [`AppError`]: every failure as `{code, message}`, the code one of [`ErrorCode`].
//!
//! `docs/architecture.md` shows where this sits between the crates below and the app above.

mod agents;
mod alert_rules;
mod demo;
mod dimensions;
mod engine;
mod error;
pub mod export;
pub mod feed;
mod forwarding;
mod forwarding_settings;
mod forwarding_views;
mod in_progress;
mod keychain;
mod notifications;
mod reasons;
mod receiver_settings;
pub mod recording;
mod retention;
mod service;
mod settings;
mod sources;
mod subscriptions;
mod team;
mod team_alerts;
mod wake;

pub use alert_rules::{AlertsView, ChartView, FiringAlert, RuleView};
pub use calleague_alert_rules::{
    ActiveHours, AlertRule, Comparison, Condition, Metric, PreviewFiring, RuleStatus, Scope, Severity, Weekday,
};
pub use calleague_alerts::{AlertSettings, AlertStatus, Pause};
pub use calleague_error_code::ErrorCode;
pub use calleague_reasons::{Category, ReasonEntry};
pub use calleague_rest_source::{CauseCheck, NotArriving, ReadFailure, RoundSummary, SourceMode, SourceStatus};
pub use calleague_store::FiringRow;
pub use calleague_store::{AgentName, DimensionStatus, InProgress, SeenField};
pub use dimensions::DimensionsView;
pub use engine::{AppStatus, Engine};
pub use error::{AppError, AppResult};
pub use forwarding_settings::{ForwardingSettings, TargetSettings};
pub use forwarding_views::{
    AttemptQuery, AttemptView, FailingTarget, ForwardingOverview, ReplayProgressView, ReplayRequest, TargetOverview,
    TriggerRequest, TriggerResult,
};
pub use keychain::{mask, Entry, Keychain, KeychainError, MemoryKeychain, OsKeychain};
pub use reasons::{ReasonRow, ReasonsView};
pub use receiver_settings::ReceiverSettings;
pub use retention::{DataInfo, PruneReport, Retention};
pub use service::{close_store, public_address, ReceiverService};
pub use settings::{own_private_dir, AlertRulesSettings, Mode, Settings, SourceSettings, Theme, TlsChoice};
pub use subscriptions::{webhook_url, Subscription, SubscriptionDraft, SubscriptionProblem, Subscriptions};
pub use wake::{watch_wakes, Wake};
