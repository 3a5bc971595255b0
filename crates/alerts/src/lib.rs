//! Desktop notifications for failed calls.
//!
//! - [`rules`]: which deliveries announce a failure, by the user's [`AlertSettings`].
//! - [`pacing`]: how a run of failures becomes notes: singly, or a burst as one summary.
//! - [`Note`]: the words of each notification.
//! - [`Notifier`]: where notes go: [`DesktopNotifier`] (notify-rust), or [`MemoryNotifier`]
//!   for fast tests.
//! - [`Alerts`]: the watcher that ties them to the store's live feed, claiming each call in
//!   the store so that none is notified twice, not even after a restart.

mod names;
mod note;
mod notifier;
pub mod pacing;
pub mod rules;
mod watcher;

pub use note::{Note, Open};
pub use notifier::{DesktopNotifier, MemoryNotifier, Notifier, NotifyError, OpenHandler, APP_NAME};
pub use rules::{AlertSettings, Failure, Pause};
pub use watcher::{AlertStatus, Alerts};
