//! How long a service waits without work before it sleeps.
//!
//! Declared (`idle_minutes`), it is that. Unset, it is the service's own start-up: a
//! sleep that the next message undoes costs a start-up of billing (tasks are billed
//! while they start) and, when the start-up fits in the latency goal, nothing more.
//! Waiting as long as that costs before giving up is the break-even rule of the
//! ski-rental problem: whenever the next work comes, the task-minutes spent are at most
//! twice the fewest any schedule knowing the future could spend (Karlin, Manasse,
//! Rudolph and Sleator, "Competitive snoopy caching", 1988). A fixed wait longer than
//! the start-up only pays more: five idle minutes for a 90 s start-up bill about 1.5x
//! the task-hours the limit does on the sparse traces (docs/control.md).
//!
//! The start-up is the last one this watcher measured (from its wake to the first task
//! it saw running), at least [`IdleWait::AUTO_LEAST_SECONDS`] (the watcher's polls
//! run its idle clock, [`super::Polls`]) and at most [`IdleWait::AUTO_MOST_SECONDS`],
//! the fixed wait Sluice had before: auto never waits longer than that. Until one is
//! measured, that most.
//!
//! Once the service has seen a few idle gaps, the wait is the cheapest over them
//! ([`super::IdleGaps`]): jobs hours apart sleep after a minute, since the next job
//! pays a start-up whatever the wait; pauses a little longer than the start-up are
//! waited through, cheaper than a sleep and a start-up.

use std::fmt;

use super::gaps::{IdleGaps, Undone};
use super::state::WatchState;
use crate::config::ScaleToZero;
use crate::limits::MAX_START_UP_SECONDS;

/// The idle wait a look applies, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleWait {
    /// `idle_minutes`, as declared.
    Declared { minutes: u32 },
    /// Unset: the service's last measured start-up, in seconds (already bounded).
    StartUp { seconds: i64 },
    /// Unset: other than the start-up, because the idle gaps this service has seen
    /// make that wait the cheapest ([`super::IdleGaps::cheapest_wait`]).
    Learned {
        seconds: i64,
        start_up: i64,
        gaps: usize,
    },
    /// Unset, and no start-up measured yet.
    Unmeasured,
}

impl IdleWait {
    /// The least auto wait: one poll at the stack's default interval
    /// (WatcherPollIntervalSeconds). Until 7 December 2026 it was a minute, one look
    /// at SQS's one-minute counts, when only the minute looks ran the idle clock.
    pub const AUTO_LEAST_SECONDS: i64 = IdleGaps::SHORTEST;
    /// The most auto wait, and the wait before a start-up is measured.
    pub const AUTO_MOST_SECONDS: i64 = ScaleToZero::AUTO_IDLE_MOST_MINUTES as i64 * 60;

    /// The wait for a target with `settings` whose watcher keeps `state`.
    /// `latency_goal` (seconds) says whether a wake's start-up makes work late.
    pub fn of(settings: &ScaleToZero, state: &WatchState, latency_goal: Option<u32>) -> IdleWait {
        if let Some(minutes) = settings.idle_minutes {
            return IdleWait::Declared { minutes };
        }
        // Stored times, so range-checked: a start-up that is negative, longer than
        // Sluice believes, or does not even subtract is no start-up.
        let measured = match (state.woke_at, state.running_at) {
            (Some(woke), Some(running)) => running
                .checked_sub(woke)
                .filter(|seconds| (0..=MAX_START_UP_SECONDS).contains(seconds)),
            _ => None,
        };
        let Some(measured) = measured else {
            return IdleWait::Unmeasured;
        };
        let start_up = measured.clamp(Self::AUTO_LEAST_SECONDS, Self::AUTO_MOST_SECONDS);
        let undone = match latency_goal {
            Some(goal) if measured <= i64::from(goal) => Undone::BillingOnly,
            _ => Undone::WorkLate,
        };
        match state.idle_gaps.cheapest_wait(
            Self::AUTO_LEAST_SECONDS,
            start_up,
            Self::AUTO_MOST_SECONDS,
            undone,
        ) {
            Some(seconds) if seconds != start_up => IdleWait::Learned {
                seconds,
                start_up,
                gaps: state.idle_gaps.seconds().len(),
            },
            _ => IdleWait::StartUp { seconds: start_up },
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            IdleWait::Declared { minutes } => i64::from(minutes).saturating_mul(60),
            IdleWait::StartUp { seconds } | IdleWait::Learned { seconds, .. } => seconds,
            IdleWait::Unmeasured => Self::AUTO_MOST_SECONDS,
        }
    }
}

impl fmt::Display for IdleWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdleWait::Declared { minutes } => write!(f, "idle_minutes {minutes}"),
            IdleWait::StartUp { seconds } => {
                write!(f, "idle wait {seconds}s: the last start-up")
            }
            IdleWait::Learned {
                seconds,
                start_up,
                gaps,
            } => write!(
                f,
                "idle wait {seconds}s: the cheapest over the last {gaps} idle gaps \
                 (start-up {start_up}s)"
            ),
            IdleWait::Unmeasured => write!(
                f,
                "idle wait {}s: no start-up measured yet",
                Self::AUTO_MOST_SECONDS
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(woke: Option<i64>, running: Option<i64>) -> WatchState {
        WatchState {
            woke_at: woke,
            running_at: running,
            ..WatchState::default()
        }
    }

    #[test]
    fn the_wait_is_the_declared_one_or_the_last_start_up_within_its_bounds() {
        let auto = ScaleToZero::default();
        let declared = ScaleToZero {
            idle_minutes: Some(15),
            ..ScaleToZero::default()
        };
        // (settings, woke, running, wait seconds, said)
        type Case<'a> = (&'a ScaleToZero, Option<i64>, Option<i64>, i64, &'a str);
        let cases: [Case; 9] = [
            (&declared, Some(0), Some(90), 900, "idle_minutes 15"),
            (
                &auto,
                Some(0),
                Some(90),
                90,
                "idle wait 90s: the last start-up",
            ),
            (
                &auto,
                Some(0),
                Some(3),
                5,
                "idle wait 5s: the last start-up",
            ),
            (
                &auto,
                Some(0),
                Some(420),
                300,
                "idle wait 300s: the last start-up",
            ),
            (
                &auto,
                Some(0),
                None,
                300,
                "idle wait 300s: no start-up measured yet",
            ),
            (
                &auto,
                None,
                None,
                300,
                "idle wait 300s: no start-up measured yet",
            ),
            // A record whose task ran before its wake measures nothing.
            (
                &auto,
                Some(100),
                Some(40),
                300,
                "idle wait 300s: no start-up measured yet",
            ),
            // Corrupt stored times: no overflow, no start-up.
            (
                &auto,
                Some(i64::MIN),
                Some(100),
                300,
                "idle wait 300s: no start-up measured yet",
            ),
            (
                &auto,
                Some(0),
                Some(3 * 86_400),
                300,
                "idle wait 300s: no start-up measured yet",
            ),
        ];
        for (settings, woke, running, seconds, said) in cases {
            let wait = IdleWait::of(settings, &state(woke, running), None);
            assert_eq!(wait.seconds(), seconds, "{woke:?} {running:?}");
            assert_eq!(wait.to_string(), said);
        }
    }

    #[test]
    fn the_activity_read_back_covers_the_longest_wait() {
        let auto = ScaleToZero::default();
        assert_eq!(
            i64::from(auto.activity_minutes()) * 60,
            IdleWait::AUTO_MOST_SECONDS
        );
        let declared = ScaleToZero {
            idle_minutes: Some(30),
            ..ScaleToZero::default()
        };
        assert_eq!(declared.activity_minutes(), 30);
    }
}
