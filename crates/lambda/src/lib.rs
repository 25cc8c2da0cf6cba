//! What every Sluice Lambda shares above the adapters, so that a fix lands once:
//! - [`envelope`]: the one parser of the events that reach a function ([`Trigger`]);
//! - [`select`]: loading the stored targets and applying an event's `targets` list;
//! - [`clock`]: the time every decision is given;
//! - [`place`]: a stage run per account and region, with that account's clients;
//! - [`failure`]: handler errors as Lambda diagnostics that say whether a retry helps;
//! - [`request`]: the errors every handler can meet before deciding anything;
//! - [`serve`]: what every `main` does around its handler;
//! - [`isolate`]: one target's work run so that a panic ends it alone.

pub mod clock;
pub mod envelope;
pub mod failure;
pub mod isolate;
pub mod place;
pub mod request;
pub mod select;
pub mod serve;

pub use clock::{Clock, FixedClock, SystemClock};
pub use envelope::{AlarmChange, BadEvent, Notification, Schedule, Trigger};
pub use failure::{Failure, Retry};
pub use isolate::{isolated, isolated_now};
pub use place::per_place;
pub use request::RequestError;
pub use select::{SelectError, Selection, select};
pub use serve::{serve, start};
