//! Alert rules: tell people when calls go wrong in aggregate, not only call by call.
//!
//! A rule ([`AlertRule`]) measures a window of calls from the overview's rollups (never a
//! scan of calls): failure rate, failed calls, calls started, an endedReason's count or
//! share, duration and wait p90, calls in progress, rejected deliveries, silence. The
//! [`RuleRunner`] evaluates the rules as deliveries arrive and every 30 s, keeps each
//! firing in the store and tells the desktop ([`AlertNotifier`]) and a chat webhook
//! ([`ChatSender`]) once per firing; [`preview`] tries a rule against the stored history.
//! See `docs/alerts.md`.

mod active;
mod chat;
mod error;
mod evaluator;
mod metric;
mod preview;
mod rule;
mod runner;
mod scope;
mod text;
mod tracker;
mod window_counts;

pub use active::{ActiveHours, Weekday};
pub use chat::{ChatSender, ChatWebhook};
pub use error::AlertRulesError;
pub use evaluator::{
    system_clock, AlertNotice, AlertNotifier, Clock, Evaluator, NoticeKind, RuleStatus, RunnerOptions,
};
pub use metric::{breaks, percentile, query, value, window_at};
pub use preview::{peak as worst, preview, Preview, PreviewFiring};
pub use rule::{
    metadata_fields_of, starter_rules, AlertRule, Comparison, Condition, Metric, RulesFile, Severity,
    MAX_WINDOW_MINUTES, MIN_WINDOW_MINUTES,
};
pub use runner::{RuleRunner, RulesHandle};
pub use scope::Scope;
pub use text::{summary, value as format_value};
pub use tracker::{Change, Tracker};
