//! The REST API as a second, continuous source of calls.
//!
//! Webhooks are the live source, but they only reach a computer with a public address and
//! they can stop without a word: a tunnel dies, a laptop sleeps, a subscription is edited.
//! This crate reads Calleague's calls list beside them (see `docs/sources.md`):
//!
//! - **REST only** ([`SourceMode::RestOnly`]): no webhook reaches this computer, so the
//!   calls list is read every few seconds and merged through the same fold as deliveries;
//! - **both** ([`SourceMode::Both`]): webhooks live, and every few minutes a
//!   reconciliation merges what they never brought and counts it, and a [`FeedWatch`] says
//!   when the API lists calls that no delivery brought for a while.
//!
//! Every read goes through the client's [`calleague_client::RequestBudget`], so the
//! requests per minute stay under the user's setting whatever the mode.

mod causes;
mod cursor;
mod source;
mod watch;

pub use causes::{check_causes, CauseCheck, PublicAddress};
pub use source::{
    NotArriving, ReadFailure, RestSource, RestSourceOptions, RoundSummary, SourceMode, SourceNotice, SourceStatus,
};
pub use watch::{FeedWatch, LastWebhook, RoundFacts, WatchChange};
