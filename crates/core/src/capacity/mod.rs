//! Capacity that matches the load: a load model per target and what Sluice does with
//! it. Pure; the metric publisher, the zero-watcher and the simulator call it.
//!
//! - [`rates`]: arrival and service rates, learned from SQS's counts and the looks;
//!   [`arrival`]: what arrives now, as the keep-up term reads it.
//! - [`need`]: the tasks needed now (keep up at a target utilisation, drain within
//!   the latency goal), and CapacityUtilization.
//! - [`control`]: raise at once, give back after a window, or follow an HPA
//!   behaviour ([`behavior`]); [`pass`]: what a poll between the minute's looks may
//!   do and keep.
//! - [`starting`]: a raise's start-up, measured at the watcher's polls.

pub mod arrival;
pub mod behavior;
pub mod control;
pub mod need;
pub mod pass;
pub mod rates;
pub mod starting;

pub use control::{Memory, Move, Situation, Why};
pub use need::{Basis, Goal, Need};
pub use pass::Pass;
pub use rates::{Look, QueueCounts, QueueMinute, Rates, queue_minutes};
pub use starting::{PlannedStartUp, Seen, Starting, measure, planned_start_up};
