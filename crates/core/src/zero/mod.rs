//! The zero-watcher's decision: wake a sleeping service on activity, put an idle one
//! to sleep, and otherwise leave it alone. Pure: facts, state and the clock come in,
//! a decision goes out; the handler reads, claims the transition in DynamoDB and acts.

mod decide;
mod facts;
mod gaps;
mod idle;
mod polls;
mod room;
mod state;
#[cfg(test)]
mod tests;
mod why;

pub use decide::{Decision, Early, Verdict, before_facts, decide, push_while_awake, shows_work};
pub use facts::{Cause, Facts, Floor, Polled, Protection, Sizing, sleep_possible};
pub use gaps::IdleGaps;
pub use idle::IdleWait;
pub use polls::Polls;
pub use room::{SLOWER_START_UP_SHARE, wake_room};
pub use state::{
    CLAIM_LEASE_SECONDS, OBSERVATION_TRUST_SECONDS, Transition, WatchState, confirmed, released,
    start_latency, start_overdue, unread, wake_latency, wake_starting,
};
pub use why::{Adjusted, Block, SleepCause, WakeBasis, WakeCause, WakeSize, Why};
