//! Facts, states and settings the watcher's tests share.

use super::*;
use crate::config::{ScaleToZero, WakeCount};
use crate::facts::ScalableBounds;
use crate::limits::CLOCK_SKEW_SECONDS;

mod cases;
mod polls;
mod table;

const T0: i64 = 1_800_000_000;

fn settings() -> ScaleToZero {
    ScaleToZero {
        idle_minutes: Some(5),
        wake_tasks: 1,
        activation_backlog: 0,
        ..ScaleToZero::default()
    }
}

/// Backlog per task so large that a sized wake is the wake count: the table's
/// cases are about when to act, [`a_wake_is_sized_to_the_backlog`] about how many.
const SIZING: Sizing = Sizing {
    backlog_per_task: 1e12,
    capacity_max: 10,
    latency_goal_seconds: None,
    start_up_seconds: None,
};

fn facts(desired: u32, backlog: u64) -> Facts {
    Facts {
        desired,
        running: desired,
        backlog,
        in_flight: 0,
        priority_backlog: 0,
        priority_in_flight: 0,
        metric_active: false,
        bounds: None,
        prescaled: None,
        recent_activity: None,
        protection: Protection::Clear,
        polled: Polled::default(),
    }
}

fn idle_since(at: i64) -> WatchState {
    WatchState {
        last_activity: Some(at),
        ..WatchState::default()
    }
}

fn action(verdict: &Verdict) -> &'static str {
    match verdict.decision {
        Decision::Wake { .. } => "wake",
        Decision::Sleep { .. } => "sleep",
        Decision::Stay { .. } => "stay",
    }
}

fn asleep_with(backlog: u64, priority: u64) -> Facts {
    Facts {
        priority_backlog: priority,
        ..facts(0, backlog)
    }
}

fn wake_to(verdict: &Verdict) -> Option<u32> {
    match verdict.decision {
        Decision::Wake { to, .. } => Some(to),
        _ => None,
    }
}

/// One look, as a row: what the watcher knows and what it must decide.
struct Case {
    name: &'static str,
    wake_tasks: u32,
    activation_backlog: u64,
    /// desired, backlog, metric active, scalable bounds (min, max)
    facts: (u32, u64, bool, Option<(u32, u32)>),
    state: WatchState,
    cause: Cause,
    /// The action, and the reason it gives or the count it wakes to.
    want: (&'static str, &'static str),
    /// last_activity after the look; None: not checked.
    want_last_activity: Option<Option<i64>>,
}

fn case(name: &'static str, facts: (u32, u64, bool, Option<(u32, u32)>)) -> Case {
    Case {
        name,
        wake_tasks: 1,
        activation_backlog: 0,
        facts,
        state: WatchState::default(),
        cause: Cause::Poll,
        want: ("", ""),
        want_last_activity: None,
    }
}

fn claimed(transition: Transition, at: i64) -> WatchState {
    WatchState {
        claimed: Some((transition, at)),
        ..idle_since(T0)
    }
}
