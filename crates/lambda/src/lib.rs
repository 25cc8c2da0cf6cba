//! What every Sluice Lambda shares above the adapters, so that a fix lands once:
//! - [`envelope`]: the one parser of the events that reach a function ([`Trigger`]);
//! - [`select`]: loading the stored targets and applying an event's `targets` list;
//! - [`clock`]: the time every decision is given;
//! - [`failure`]: handler errors as Lambda diagnostics that say whether a retry helps.

pub mod clock;
pub mod envelope;
pub mod failure;
pub mod select;

pub use clock::{Clock, FixedClock, SystemClock};
pub use envelope::{AlarmChange, BadEvent, Notification, Schedule, Trigger};
pub use failure::{Failure, Retry};
pub use select::{SelectError, Selection, select};
