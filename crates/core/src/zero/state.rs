//! What the watcher keeps of a target between looks (its idle clock, claims and wakes)
//! and how each outcome changes it.

use serde::Serialize;

use super::facts::Cause;
use super::facts::Polled;
use super::gaps::IdleGaps;
use crate::config::ScaleToZero;
use crate::limits::CLOCK_SKEW_SECONDS;

/// Whether a wake's tasks are overdue: woken `start_timeout_minutes` ago or more and
/// no task seen running since. Reported and alarmed (a stuck placement, an image that
/// does not pull), while the idle clock keeps holding: the service is not slept and
/// woken again in a loop.
pub fn start_overdue(settings: &ScaleToZero, state: &WatchState, running: u32, now: i64) -> bool {
    let limit = i64::from(settings.start_timeout_minutes).saturating_mul(60);
    running == 0
        && state.running_at.is_none()
        && state
            .woke_at
            .is_some_and(|woke| now.saturating_sub(woke) >= limit)
}

/// The watcher's memory of a target, kept in DynamoDB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WatchState {
    /// Last time activity was seen (epoch seconds); None before the first look.
    pub last_activity: Option<i64>,
    /// A wake or sleep this watcher claimed, and when: guards against acting twice.
    pub claimed: Option<(Transition, i64)>,
    /// The desired count ECS last showed (or a wake confirmed), and when.
    pub observed: Option<(u32, i64)>,
    /// When a look at the sleeping service first saw the work whose wake it put off
    /// while its latency goal leaves room ([`super::wake_room`]): the wake is due
    /// that room after it. Kept until the wake, or until a look a stale read's
    /// minute later sees the work gone.
    pub waiting_since: Option<i64>,
    /// When a push first asked for a wake that ECS has not shown done yet: kept until
    /// the service is seen awake, so a wake whose call failed is honoured by the next
    /// look even when nothing else (a queue, a metric) would show the work.
    pub wake_requested: Option<i64>,
    /// When this watcher last woke the service: no sleep within
    /// `min_awake_minutes` of it.
    pub woke_at: Option<i64>,
    /// When a look first saw a task running after that wake: the wake's start-up
    /// is measured once, from `woke_at` to here.
    pub running_at: Option<i64>,
    /// The newest idle gaps the watcher saw: what the idle wait learns from.
    pub idle_gaps: IdleGaps,
    /// Looks in a row that decided nothing (a fact or the state could not be read or
    /// written); published so an alarm notices a target the watcher cannot see.
    pub skipped: u32,
}

impl WatchState {
    /// The idle gaps with the one that work seen at `at` ends: from the last activity,
    /// when a look since then saw none. Work seen by every look is no gap, however far
    /// apart the looks (a watcher that looks once a minute saw "gaps" of a minute).
    pub fn gap_until(&self, at: i64) -> IdleGaps {
        let looked_quiet = self
            .observed
            .is_some_and(|(_, seen)| Some(seen) > self.last_activity);
        match self.last_activity {
            Some(last) if looked_quiet => self.idle_gaps.with(at.saturating_sub(last)),
            _ => self.idle_gaps,
        }
    }

    /// The state with what the polls saw folded in: work they saw moves the idle
    /// clock on, the gaps it ended are kept, and a poll that saw none counts as a
    /// quiet look (the next work ends a gap).
    pub fn with_polled(&self, polled: &Polled) -> WatchState {
        let last_activity = self.last_activity.max(polled.busy_at);
        let observed = match (self.observed, polled.quiet_at) {
            (Some((desired, seen)), Some(quiet)) if quiet > seen => Some((desired, quiet)),
            (observed, _) => observed,
        };
        let idle_gaps = polled
            .gaps
            .seconds()
            .iter()
            .fold(self.idle_gaps, |gaps, gap| gaps.with(i64::from(*gap)));
        WatchState {
            last_activity,
            observed,
            idle_gaps,
            ..*self
        }
    }

    /// The state with every time that lies ahead of `now` by more than the clock skew
    /// dropped (a claim or observation) or brought back to `now` (the last activity),
    /// and one note per change: such a record would otherwise block wakes or keep a
    /// service from ever sleeping.
    pub fn sanitized(&self, now: i64) -> (WatchState, Vec<String>) {
        let mut notes = Vec::new();
        let mut ahead = |field: &str, at: i64| {
            let by = at.saturating_sub(now);
            let wrong = by > CLOCK_SKEW_SECONDS;
            if wrong {
                notes.push(format!(
                    "stored {field} is {by}s ahead of the clock: ignored and replaced"
                ));
            }
            wrong
        };
        let clean = WatchState {
            last_activity: match self.last_activity {
                Some(at) if ahead("last_activity", at) => Some(now),
                other => other,
            },
            claimed: self.claimed.filter(|(_, at)| !ahead("claimed_at", *at)),
            observed: self.observed.filter(|(_, at)| !ahead("observed_at", *at)),
            waiting_since: self.waiting_since.filter(|at| !ahead("waiting_since", *at)),
            wake_requested: self
                .wake_requested
                .filter(|at| !ahead("wake_requested", *at)),
            woke_at: self.woke_at.filter(|at| !ahead("woke_at", *at)),
            running_at: self.running_at.filter(|at| !ahead("running_at", *at)),
            idle_gaps: self.idle_gaps,
            skipped: self.skipped,
        };
        (clean, notes)
    }
}

impl WatchState {
    /// Whether an invocation is carrying out a wake or a sleep now (its claim's lease
    /// runs): nothing else changes the service's count meanwhile.
    pub fn in_transition(&self, now: i64) -> bool {
        claim_in_force(self, Transition::Wake, now) || claim_in_force(self, Transition::Sleep, now)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Wake,
    Sleep,
}

/// How long a claimed transition keeps others from claiming it again. It must outlast
/// the claimant's UpdateService, so that a slow sleep can never land after a newer
/// wake: every write is bounded at 15 s from being asked for, retries and the wait
/// for a turn included (sluice_aws::write_timeouts), and the lease doubles it. A claim whose holder died,
/// or never learnt that its write landed, blocks the next looks for at most this long.
pub const CLAIM_LEASE_SECONDS: i64 = 30;

/// How long a push may trust the last observed desired count instead of asking ECS:
/// a burst of notifications to an awake service then costs no ECS call. The poll
/// refreshes the observation every minute.
pub const OBSERVATION_TRUST_SECONDS: i64 = 120;

/// Whether `transition` is claimed and its lease runs at `now`. A claim dated in the
/// future (a skewed or corrupt record) holds nothing.
pub(super) fn claim_in_force(state: &WatchState, transition: Transition, now: i64) -> bool {
    matches!(state.claimed, Some((claimed, at))
        if claimed == transition && (0..CLAIM_LEASE_SECONDS).contains(&now.saturating_sub(at)))
}

/// The state once the handler's UpdateService to `desired` succeeded: what ECS now
/// holds, so that pushes to a service just woken cost no ECS read.
pub fn confirmed(state: &WatchState, desired: u32, now: i64) -> WatchState {
    WatchState {
        observed: Some((desired, now)),
        wake_requested: if desired > 0 {
            None
        } else {
            state.wake_requested
        },
        ..*state
    }
}

/// The state once the handler's UpdateService failed: the claim is given back so the
/// next look (or Lambda's retry) may try again at once; a wake request stays.
pub fn released(state: &WatchState) -> WatchState {
    WatchState {
        claimed: None,
        ..*state
    }
}

/// The state after a look that decided nothing because a fact could not be read:
/// one more skip in a row, and a push remembered for the next look, which wakes the
/// service (or finds it awake).
pub fn unread(state: &WatchState, cause: &Cause, now: i64) -> WatchState {
    let push = matches!(cause, Cause::Push(_));
    WatchState {
        last_activity: if push { Some(now) } else { state.last_activity },
        wake_requested: if push {
            Some(state.wake_requested.unwrap_or(now))
        } else {
            state.wake_requested
        },
        skipped: state.skipped.saturating_add(1),
        ..*state
    }
}

/// A wake's latency as far as this watcher can know it: from the first moment it
/// could have seen the work to `now`, its UpdateService. For a push that is a push
/// remembered from before, or the push itself. For a poll, it is that remembered push
/// or else the last look that found the service asleep and quiet (the work arrived
/// after it): an upper bound, within one poll interval of the truth when that look
/// is known. 0 when nothing is known.
pub fn wake_latency(state: &WatchState, cause: &Cause, quiet_look: Option<i64>, now: i64) -> i64 {
    let asleep_seen = state.observed.filter(|(d, _)| *d == 0).map(|(_, at)| at);
    let quiet = match cause {
        Cause::Poll => quiet_look.max(asleep_seen),
        Cause::Push(_) | Cause::ManualSleep => None,
    };
    let since = match (state.wake_requested, quiet) {
        (Some(asked), Some(quiet)) => asked.min(quiet),
        (asked, quiet) => asked.or(quiet).unwrap_or(now),
    };
    now.saturating_sub(since).max(0)
}

/// Whether a wake's tasks are still starting (no look has seen one running since):
/// the watcher looks at the service at its polls until one runs, so that the wake's
/// start-up is measured to the poll, not to the next minute.
pub fn wake_starting(state: &WatchState) -> bool {
    state.woke_at.is_some() && state.running_at.is_none()
}

/// A wake's start-up, once: from the wake to the first look that saw a task
/// running, when this look is that look (`after` is the state it stores).
pub fn start_latency(before: &WatchState, after: &WatchState) -> Option<i64> {
    match (before.running_at, after.running_at, after.woke_at) {
        (None, Some(running), Some(woke)) => Some(running.saturating_sub(woke))
            .filter(|seconds| (0..=crate::limits::MAX_START_UP_SECONDS).contains(seconds)),
        _ => None,
    }
}
