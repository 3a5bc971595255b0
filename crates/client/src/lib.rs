//! The Calleague REST client.
//!
//! Every path is a setting with the contract's default, so a wrong assumption about the
//! API can be corrected without a new build. Errors come as one [`ClientError`] with a
//! stable code. GETs are retried on 429, 5xx and network errors with a bounded backoff;
//! creates, updates and deletes never are, since repeating them blindly could act twice.
//! A [`RequestBudget`] caps the requests per minute of the clients that share it.

mod budget;
mod client;
mod config;
mod error;
mod model;
mod validate;

pub use budget::RequestBudget;
pub use client::{Client, PageProgress};
pub use config::{ApiPaths, ClientConfig, RetryPolicy, SecretKey, DEFAULT_BASE_URL};
pub use error::ClientError;
pub use model::{Agent, Call, Recording, Segment, Transcript, Webhook, WebhookDraft};
pub use validate::{pointing_at, private_host, validate_draft, UrlPolicy, CONFIRM_PRIVATE_FIELD};
