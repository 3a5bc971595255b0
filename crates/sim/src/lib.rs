//! `calleague-sim`: a local stand-in for the Calleague platform.
//!
//! It serves the REST API of `docs/calleague-api.md` (webhooks, calls, recordings, transcripts),
//! plays scenarios of calls, and delivers their webhook events the way Calleague does:
//! a JSON POST with the Bearer key, retried with a growing wait until a window ends, with
//! optional duplicates, reordering, dropped first attempts and the older spellings.
//! Admin routes live under `/sim`.

mod admin;
mod audio;
mod clock;
mod config;
mod delivery;
mod http;
mod model;
mod rest;
mod rng;
mod scenario;
mod server;
mod state;

pub use audio::{synthesize_wav, WAV_SAMPLE_RATE};
pub use clock::Clock;
pub use config::SimConfig;
pub use model::{Agent, Call, DeliveryAttempt, Recording, Segment, Transcript, Webhook};
pub use scenario::{trigger_payload, ScenarioSpec};
pub use server::{SimError, SimPlayer, Simulator};
pub use state::{ApiRequest, Status};
