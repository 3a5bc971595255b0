//! Calleague's event and call model.
//!
//! Everything here is pure: parsing a delivery body into a [`Delivery`], and folding a
//! call's events into a [`CallFold`] that is the same whatever order (and however many
//! times) the events arrive in. The store and the receiver build on these types.

mod call;
mod delivery;
#[doc(hidden)]
pub mod invariants;
mod kind;
mod timestamp;

pub use call::{CallFold, CallPhase, CallRecord, FoldInput, Stamp};
pub use delivery::{parse_delivery, CallData, Delivery, ParseError};
pub use kind::EventKind;
pub use timestamp::{Timestamp, TimestampError};
