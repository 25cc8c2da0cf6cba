//! The zero-watcher's decision: wake a sleeping service on activity, put an idle one
//! to sleep, and otherwise leave it alone. Pure: facts, state and the clock come in,
//! a decision goes out; the handler reads, claims the transition in DynamoDB and acts.

use serde::Serialize;

use crate::config::{ScaleToZero, WakeCount};
use crate::facts::ScalableBounds;
use crate::limits::CLOCK_SKEW_SECONDS;

/// Why the watcher is looking at a target now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Cause {
    /// A scheduled poll: activity is whatever the facts show.
    Poll,
    /// A push (SNS notification, alarm in ALARM, manual wake): activity by itself.
    Push(String),
    /// A manual `sleep` event: sleep now if allowed, whatever the idle clock says.
    ManualSleep,
}

/// What was read for a target. Every field the decision needs must have been read:
/// the handler passes `Err` for the whole target when any read failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    pub desired: u32,
    /// Tasks ECS reports running: the first one after a wake ends its start-up.
    pub running: u32,
    /// Visible + in flight + delayed over the target's queues, weighted by queue.
    pub backlog: u64,
    /// Messages on priority queues: activity whatever the activation threshold.
    pub priority_backlog: u64,
    /// Whether the configured activation metric is above its threshold.
    pub metric_active: bool,
    pub bounds: Option<ScalableBounds>,
    /// The window floor the prescaler holds as desiredCount on a service without a
    /// scalable target (its own write, kept in the table): a floor as MinCapacity is.
    pub prescaled: Option<u32>,
    /// The newest time work was seen arriving or being done between looks (messages
    /// sent to or received from its queues, the GPU busy); None when nothing showed.
    /// Read only when a sleep is possible ([`sleep_possible`]).
    pub recent_activity: Option<i64>,
    /// Task scale-in protection; read only when a sleep is possible.
    pub protection: Protection,
}

/// ECS task scale-in protection of the service's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Protection {
    /// Not read (no sleep was possible): never enough to sleep on.
    NotRead,
    /// No task protected.
    Clear,
    /// This many tasks protected: they are in the middle of work.
    Protected(u32),
    /// Could not be read (not permitted, failed): never enough to sleep on.
    Unknown(String),
}

/// What sizes a wake: the target's backlog per task and its configured maximum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sizing {
    pub backlog_per_task: f64,
    pub capacity_max: u32,
}

impl Sizing {
    pub fn of(target: &crate::config::Target) -> Sizing {
        Sizing {
            backlog_per_task: target.backlog_per_task,
            capacity_max: target.capacity.max,
        }
    }
}

/// Whether this look could put the service to sleep, so the facts only a sleep needs
/// (task protection, activity between looks) are worth reading: tasks running (at
/// any count: idle means idle), no floor above 0, and an empty backlog.
pub fn sleep_possible(facts: &Facts) -> bool {
    facts.desired >= 1 && facts.backlog == 0 && facts.floor().is_none()
}

impl Facts {
    /// A floor above zero and who holds it: the scalable target's MinCapacity, or the
    /// prescaler's window floor on a service without one. A service with a floor
    /// never sleeps (the floor's owner decides when it ends).
    pub fn floor(&self) -> Option<String> {
        if let Some(bounds) = self.bounds
            && bounds.min > 0
        {
            return Some(format!("scalable target MinCapacity {} > 0", bounds.min));
        }
        self.prescaled
            .filter(|floor| *floor > 0)
            .map(|floor| format!("the prescaler's window floor {floor} (no scalable target)"))
    }
}

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
    /// Looks in a row that decided nothing (a fact or the state could not be read or
    /// written); published so an alarm notices a target the watcher cannot see.
    pub skipped: u32,
}

impl WatchState {
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
            wake_requested: self
                .wake_requested
                .filter(|at| !ahead("wake_requested", *at)),
            woke_at: self.woke_at.filter(|at| !ahead("woke_at", *at)),
            running_at: self.running_at.filter(|at| !ahead("running_at", *at)),
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

/// For a push: when the service was seen awake recently, the push only resets the
/// idle clock and nothing needs reading. None means: read the facts and decide.
pub fn push_while_awake(state: &WatchState, now: i64) -> Option<Verdict> {
    // A sleep being carried out: the push must be decided (and remembered), not absorbed.
    if claim_in_force(state, Transition::Sleep, now) {
        return None;
    }
    match state.observed {
        Some((desired, at))
            if desired > 0 && (0..OBSERVATION_TRUST_SECONDS).contains(&now.saturating_sub(at)) =>
        {
            Some(Verdict {
                decision: Decision::Stay {
                    reason: format!(
                        "awake ({desired} tasks seen {}s ago): idle clock reset",
                        now.saturating_sub(at)
                    ),
                },
                state: WatchState {
                    last_activity: Some(now),
                    ..*state
                },
            })
        }
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Decision {
    /// Raise desiredCount from 0 to `to`.
    Wake { to: u32, reason: String },
    /// Lower desiredCount to 0.
    Sleep { reason: String },
    /// Change nothing in ECS.
    Stay { reason: String },
}

impl Decision {
    pub fn reason(&self) -> &str {
        match self {
            Decision::Wake { reason, .. }
            | Decision::Sleep { reason }
            | Decision::Stay { reason } => reason,
        }
    }

    pub fn transition(&self) -> Option<Transition> {
        match self {
            Decision::Wake { .. } => Some(Transition::Wake),
            Decision::Sleep { .. } => Some(Transition::Sleep),
            Decision::Stay { .. } => None,
        }
    }
}

/// The decision and the state to store with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub state: WatchState,
}

/// Whether `transition` is claimed and its lease runs at `now`. A claim dated in the
/// future (a skewed or corrupt record) holds nothing.
fn claim_in_force(state: &WatchState, transition: Transition, now: i64) -> bool {
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

/// Whether the facts show work to wake for: a backlog above the activation threshold,
/// a message on a priority queue, or the activation metric above its threshold.
pub fn shows_work(
    settings: &ScaleToZero,
    backlog: u64,
    priority_backlog: u64,
    metric_active: bool,
) -> bool {
    backlog > settings.activation_backlog || priority_backlog > 0 || metric_active
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

/// Decides for one target. `now` is epoch seconds.
pub fn decide(
    settings: &ScaleToZero,
    sizing: Sizing,
    facts: &Facts,
    state: &WatchState,
    cause: &Cause,
    now: i64,
) -> Verdict {
    let look = Look::new(settings, sizing, facts, state, cause, now);
    if facts.desired == 0 {
        look.asleep()
    } else {
        look.awake()
    }
}

/// One look at a target: its inputs and what follows from them for every branch.
struct Look<'a> {
    settings: &'a ScaleToZero,
    sizing: Sizing,
    facts: &'a Facts,
    state: &'a WatchState,
    cause: &'a Cause,
    now: i64,
    active: bool,
    /// Nothing at all: not even a message below the activation threshold or one in
    /// flight.
    idle: bool,
    last_activity: Option<i64>,
}

impl<'a> Look<'a> {
    fn new(
        settings: &'a ScaleToZero,
        sizing: Sizing,
        facts: &'a Facts,
        state: &'a WatchState,
        cause: &'a Cause,
        now: i64,
    ) -> Self {
        let work = shows_work(
            settings,
            facts.backlog,
            facts.priority_backlog,
            facts.metric_active,
        );
        let active = match cause {
            Cause::Push(_) => true,
            Cause::Poll => work || (facts.desired == 0 && state.wake_requested.is_some()),
            Cause::ManualSleep => work,
        };
        // Tasks still starting (an instance placed, an image pulled, a model loaded)
        // have not had their chance at the work: the idle clock does not run.
        let starting = facts.running < facts.desired;
        let idle = !active && facts.backlog == 0 && !facts.metric_active && !starting;
        let seen_now = active || state.last_activity.is_none() || facts.backlog > 0 || starting;
        // Work done between looks (a job sent and finished within a minute) restarts
        // the idle clock as if it had been seen; a time ahead of the clock is capped.
        let between = facts.recent_activity.map(|at| at.min(now));
        let last_activity = if seen_now {
            Some(now)
        } else {
            state.last_activity.max(between)
        };
        Look {
            settings,
            sizing,
            facts,
            state,
            cause,
            now,
            active,
            idle,
            last_activity,
        }
    }

    /// desiredCount 0: wake on activity, to the wake count within the bounds.
    fn asleep(&self) -> Verdict {
        if *self.cause == Cause::ManualSleep {
            return self.stay("already asleep: a manual sleep never wakes".to_owned());
        }
        if !self.active {
            return self.stay("asleep, no activity".to_owned());
        }
        let (mut to, mut how) = self.wake_count();
        if let Some(bounds) = self.facts.bounds {
            if bounds.max == 0 {
                return self
                    .stay("activity, but the scalable target's MaxCapacity is 0".to_owned());
            }
            // Not clamp(): bounds read from AWS may be odd (MinCapacity above
            // MaxCapacity), and a decision never panics on what it reads.
            let bounded = to.max(bounds.min.max(1)).min(bounds.max);
            if bounded != to {
                how.push_str(&format!(
                    ", {bounded} within the scalable target's {}-{}",
                    bounds.min, bounds.max
                ));
            }
            to = bounded;
        }
        if self.claim_in_force(Transition::Wake) {
            return self.stay("wake already claimed by another invocation".to_owned());
        }
        let reason = match self.cause {
            Cause::Push(what) => what.clone(),
            _ if self.facts.metric_active => "activation metric above its threshold".to_owned(),
            _ if self.facts.priority_backlog > 0 => format!(
                "{} message(s) on a priority queue",
                self.facts.priority_backlog
            ),
            _ => format!(
                "backlog {} above activation threshold {}",
                self.facts.backlog, self.settings.activation_backlog
            ),
        };
        let reason = format!("{reason}; {to} task(s): {how}");
        self.act(Decision::Wake { to, reason })
    }

    /// The tasks a wake starts before the scalable target's bounds, and how that
    /// count was derived.
    fn wake_count(&self) -> (u32, String) {
        let wake_tasks = self.settings.wake_tasks;
        let per_task = self.sizing.backlog_per_task;
        if matches!(self.cause, Cause::Push(_)) {
            return (
                wake_tasks,
                format!("wake_tasks {wake_tasks} (a push: backlog not read)"),
            );
        }
        if self.settings.wake == WakeCount::Fixed || !per_task.is_finite() || per_task <= 0.0 {
            return (wake_tasks, format!("wake_tasks {wake_tasks}"));
        }
        // f64 -> u32 saturates; a huge backlog is capped by max just below.
        let need = (self.facts.backlog as f64 / per_task).ceil() as u32;
        let max = self.sizing.capacity_max.max(wake_tasks);
        let to = need.max(wake_tasks).min(max);
        let mut how = format!(
            "ceil(backlog {} / {per_task} per task) = {need}",
            self.facts.backlog
        );
        if to > need {
            how.push_str(&format!(", raised to wake_tasks {wake_tasks}"));
        } else if to < need {
            how.push_str(&format!(", capped at capacity.max {max}"));
        }
        (to, how)
    }

    /// desiredCount above 0, at any count: sleep with no floor, after `idle_minutes` of
    /// nothing while no task was starting (or on a manual sleep).
    fn awake(&self) -> Verdict {
        let facts = self.facts;
        if let Some(floor) = facts.floor() {
            return self.stay(format!("{floor}: never sleeps"));
        }
        if !self.idle {
            return self.stay(if facts.backlog > 0 {
                format!("busy: backlog {}", facts.backlog)
            } else if facts.running < facts.desired {
                format!(
                    "starting: {} of {} task(s) running; the idle clock waits",
                    facts.running, facts.desired
                )
            } else {
                "busy: activity".to_owned()
            });
        }
        if self.claim_in_force(Transition::Sleep) {
            return self.stay("sleep already claimed by another invocation".to_owned());
        }
        let reason = if *self.cause == Cause::ManualSleep {
            "manual sleep".to_owned()
        } else {
            let idle_seconds = self
                .now
                .saturating_sub(self.last_activity.unwrap_or(self.now));
            let needed = i64::from(self.settings.idle_minutes).saturating_mul(60);
            if idle_seconds < needed {
                return self.stay(format!("idle for {idle_seconds}s of {needed}s"));
            }
            if let Some(woke) = self.state.woke_at {
                let awake = self.now.saturating_sub(woke);
                let minimum = i64::from(self.settings.min_awake_minutes).saturating_mul(60);
                if awake < minimum {
                    return self.stay(format!(
                        "idle, but woken {awake}s ago: min_awake_minutes {}",
                        self.settings.min_awake_minutes
                    ));
                }
            }
            format!(
                "idle for {} min (idle_minutes {})",
                idle_seconds / 60,
                self.settings.idle_minutes
            )
        };
        // Only ECS's own task protection can keep a task from being stopped: a
        // protected task is mid-job, and unknown protection is not "none".
        match &self.facts.protection {
            Protection::Clear => self.act(Decision::Sleep { reason }),
            Protection::Protected(tasks) => {
                self.stay(format!("blocked: {tasks} task(s) protected ({reason})"))
            }
            Protection::Unknown(why) => self.stay(format!(
                "blocked: task protection unknown: {why} ({reason})"
            )),
            Protection::NotRead => {
                self.stay(format!("blocked: task protection not read ({reason})"))
            }
        }
    }

    fn claim_in_force(&self, transition: Transition) -> bool {
        claim_in_force(self.state, transition, self.now)
    }

    /// A push asks for a wake while the service is at 0, or while a sleep is being
    /// carried out; ECS showing tasks fulfils it.
    fn wake_requested(&self) -> Option<i64> {
        let asked = matches!(self.cause, Cause::Push(_))
            && (self.facts.desired == 0 || self.claim_in_force(Transition::Sleep));
        if asked {
            return Some(self.state.wake_requested.unwrap_or(self.now));
        }
        if self.facts.desired > 0 && !self.claim_in_force(Transition::Sleep) {
            return None;
        }
        self.state.wake_requested
    }

    fn stay(&self, reason: String) -> Verdict {
        Verdict {
            decision: Decision::Stay { reason },
            state: WatchState {
                last_activity: self.last_activity,
                claimed: self.state.claimed,
                observed: Some((self.facts.desired, self.now)),
                wake_requested: self.wake_requested(),
                woke_at: self.state.woke_at,
                running_at: self.running_at(),
                skipped: 0,
            },
        }
    }

    /// The first look with a task running after a wake ends that wake's start-up.
    fn running_at(&self) -> Option<i64> {
        let started = self.state.woke_at.is_some() && self.facts.running > 0;
        self.state
            .running_at
            .or(started.then_some(self.now))
            .filter(|_| self.state.woke_at.is_some())
    }

    /// A wake or a sleep, claimed now. Observed is 0 either way: before a wake ECS
    /// showed 0, and a wake is trusted as done only once the handler confirms its call
    /// ([`confirmed`]); after a sleep no push may be absorbed as "awake".
    fn act(&self, decision: Decision) -> Verdict {
        let claimed = match &decision {
            Decision::Wake { .. } => Some((Transition::Wake, self.now)),
            Decision::Sleep { .. } => Some((Transition::Sleep, self.now)),
            Decision::Stay { .. } => self.state.claimed,
        };
        let woke_at = match &decision {
            Decision::Wake { .. } => Some(self.now),
            Decision::Sleep { .. } => None,
            Decision::Stay { .. } => self.state.woke_at,
        };
        Verdict {
            state: WatchState {
                last_activity: self.last_activity,
                claimed,
                observed: Some((0, self.now)),
                wake_requested: self.wake_requested(),
                woke_at,
                running_at: None,
                skipped: 0,
            },
            decision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000;

    fn settings() -> ScaleToZero {
        ScaleToZero {
            idle_minutes: 5,
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
    };

    #[test]
    fn a_push_to_a_recently_awake_service_needs_no_reads() {
        let awake = WatchState {
            last_activity: Some(T0 - 200),
            claimed: None,
            observed: Some((2, T0 - 30)),
            wake_requested: None,
            woke_at: None,
            running_at: None,
            skipped: 0,
        };
        let outcome = push_while_awake(&awake, T0).expect("trusted");
        assert_eq!(outcome.state.last_activity, Some(T0));
        assert_eq!(
            outcome.decision.reason(),
            "awake (2 tasks seen 30s ago): idle clock reset"
        );
        let stale = WatchState {
            observed: Some((2, T0 - OBSERVATION_TRUST_SECONDS)),
            ..awake
        };
        assert_eq!(push_while_awake(&stale, T0), None, "stale: read ECS");
        let asleep = WatchState {
            observed: Some((0, T0 - 5)),
            ..awake
        };
        assert_eq!(
            push_while_awake(&asleep, T0),
            None,
            "asleep: decide, maybe wake"
        );
    }

    fn facts(desired: u32, backlog: u64) -> Facts {
        Facts {
            desired,
            running: desired,
            backlog,
            priority_backlog: 0,
            metric_active: false,
            bounds: None,
            prescaled: None,
            recent_activity: None,
            protection: Protection::Clear,
        }
    }

    fn idle_since(at: i64) -> WatchState {
        WatchState {
            last_activity: Some(at),
            claimed: None,
            observed: None,
            wake_requested: None,
            woke_at: None,
            running_at: None,
            skipped: 0,
        }
    }

    fn action(verdict: &Verdict) -> &'static str {
        match verdict.decision {
            Decision::Wake { .. } => "wake",
            Decision::Sleep { .. } => "sleep",
            Decision::Stay { .. } => "stay",
        }
    }

    #[test]
    fn activity_during_the_idle_window_resets_the_clock() {
        let busy = decide(
            &settings(),
            SIZING,
            &facts(1, 1),
            &idle_since(T0 - 290),
            &Cause::Poll,
            T0,
        );
        assert_eq!(busy.state.last_activity, Some(T0));
        let later = decide(
            &settings(),
            SIZING,
            &facts(1, 0),
            &busy.state,
            &Cause::Poll,
            T0 + 60,
        );
        assert_eq!(later.decision.reason(), "idle for 60s of 300s");
        let push = decide(
            &settings(),
            SIZING,
            &facts(1, 0),
            &idle_since(T0 - 299),
            &Cause::Push("sns".into()),
            T0,
        );
        assert_eq!(
            (action(&push), push.state.last_activity),
            ("stay", Some(T0))
        );
    }

    #[test]
    fn a_wakes_latency_counts_from_what_the_watcher_could_see() {
        let asleep = WatchState {
            observed: Some((0, T0 - 50)),
            ..idle_since(T0 - 900)
        };
        let poll = |state: &WatchState, quiet| wake_latency(state, &Cause::Poll, quiet, T0);
        assert_eq!(poll(&asleep, None), 50, "the stored quiet look");
        assert_eq!(poll(&asleep, Some(T0 - 5)), 5, "a newer one");
        assert_eq!(
            poll(&asleep, Some(T0 - 500)),
            50,
            "an older one: the stored"
        );
        let asked = WatchState {
            wake_requested: Some(T0 - 120),
            ..asleep
        };
        assert_eq!(poll(&asked, Some(T0 - 5)), 120, "a push before");
        let push = Cause::Push("sns".to_owned());
        assert_eq!(wake_latency(&asked, &push, Some(T0 - 5), T0), 120);
        assert_eq!(
            wake_latency(&asleep, &push, Some(T0 - 5), T0),
            0,
            "the push"
        );
        let awake_seen = WatchState {
            observed: Some((2, T0 - 50)),
            ..idle_since(T0 - 900)
        };
        assert_eq!(poll(&awake_seen, None), 0, "nothing known");
        assert_eq!(poll(&asleep, Some(T0 + 30)), 0, "never negative");
    }

    #[test]
    fn a_wakes_start_up_is_measured_once_at_the_first_running_task() {
        let look = |facts: Facts, state: &WatchState, at: i64| {
            decide(&settings(), SIZING, &facts, state, &Cause::Poll, at).state
        };
        let woke = look(facts(0, 10), &idle_since(T0 - 900), T0);
        assert_eq!((woke.woke_at, woke.running_at), (Some(T0), None));
        let busy = |running| Facts {
            running,
            ..facts(1, 10)
        };
        let starting = look(busy(0), &woke, T0 + 60);
        assert_eq!(start_latency(&woke, &starting), None, "still starting");
        let started = look(busy(1), &starting, T0 + 120);
        assert_eq!(start_latency(&starting, &started), Some(120));
        let later = look(busy(1), &started, T0 + 180);
        assert_eq!(start_latency(&started, &later), None, "measured once");
        // A stored wake at i64::MIN (a corrupt record) measures nothing, never i64::MAX.
        let corrupt = WatchState {
            woke_at: Some(i64::MIN),
            ..starting
        };
        let after = WatchState {
            running_at: Some(T0 + 120),
            ..corrupt
        };
        assert_eq!(start_latency(&corrupt, &after), None);
        assert_eq!(later.running_at, Some(T0 + 120));
        let unknown_wake = look(busy(1), &idle_since(T0), T0 + 60);
        assert_eq!(
            unknown_wake.running_at, None,
            "a wake not ours is not measured"
        );
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

    #[test]
    fn a_wake_is_sized_to_the_backlog() {
        let gold = Sizing {
            backlog_per_task: 50.0,
            capacity_max: 20,
        };
        let look = |settings: &ScaleToZero, facts: &Facts, sizing: Sizing| {
            decide(
                settings,
                sizing,
                facts,
                &WatchState::default(),
                &Cause::Poll,
                T0,
            )
        };
        let burst = look(&settings(), &asleep_with(400, 0), gold);
        assert_eq!(wake_to(&burst), Some(8), "400 at 50 a task: 8 in one step");
        assert!(
            burst
                .decision
                .reason()
                .ends_with("8 task(s): ceil(backlog 400 / 50 per task) = 8"),
            "{}",
            burst.decision.reason()
        );
        let one = look(&settings(), &asleep_with(3, 0), gold);
        assert_eq!(wake_to(&one), Some(1), "never below what a message needs");
        let three = ScaleToZero {
            wake_tasks: 3,
            ..settings()
        };
        assert_eq!(wake_to(&look(&three, &asleep_with(3, 0), gold)), Some(3));
        let flood = look(&settings(), &asleep_with(1_000_000, 0), gold);
        assert_eq!(wake_to(&flood), Some(20), "capped at capacity.max");
        assert!(
            flood
                .decision
                .reason()
                .contains("capped at capacity.max 20")
        );
        let bounded = Facts {
            bounds: Some(ScalableBounds { min: 0, max: 5 }),
            ..asleep_with(400, 0)
        };
        let within = look(&settings(), &bounded, gold);
        assert_eq!(wake_to(&within), Some(5));
        assert!(
            within
                .decision
                .reason()
                .contains("5 within the scalable target's 0-5")
        );
        let floor = Facts {
            bounds: Some(ScalableBounds { min: 12, max: 30 }),
            ..asleep_with(400, 0)
        };
        assert_eq!(
            wake_to(&look(&settings(), &floor, gold)),
            Some(12),
            "a floor in effect"
        );
        let fixed = ScaleToZero {
            wake: WakeCount::Fixed,
            ..settings()
        };
        assert_eq!(wake_to(&look(&fixed, &asleep_with(400, 0), gold)), Some(1));
        // A push with nothing visible yet: the wake count.
        let push = decide(
            &settings(),
            gold,
            &asleep_with(0, 0),
            &WatchState::default(),
            &Cause::Push("sns".into()),
            T0,
        );
        assert_eq!(wake_to(&push), Some(1));
    }

    #[test]
    fn a_priority_message_wakes_whatever_the_threshold() {
        let high = ScaleToZero {
            activation_backlog: 100,
            ..settings()
        };
        let look = |facts: &Facts| {
            decide(
                &high,
                SIZING,
                facts,
                &WatchState::default(),
                &Cause::Poll,
                T0,
            )
        };
        assert_eq!(
            action(&look(&asleep_with(50, 0))),
            "stay",
            "below the threshold"
        );
        let urgent = look(&asleep_with(1, 1));
        assert_eq!(wake_to(&urgent), Some(1));
        assert!(
            urgent
                .decision
                .reason()
                .starts_with("1 message(s) on a priority queue")
        );
    }

    #[test]
    fn work_between_looks_restarts_the_idle_clock() {
        // A job every 3 minutes that takes 20 s: every look finds the queue empty,
        // but SQS counted the messages received in between.
        let mut state = idle_since(T0 - 600);
        for look in 0..20 {
            let now = T0 + look * 60;
            let last_job = now - (look % 3) * 60 - 40;
            let facts = Facts {
                recent_activity: Some(last_job),
                ..facts(1, 0)
            };
            let verdict = decide(&settings(), SIZING, &facts, &state, &Cause::Poll, now);
            assert_eq!(
                action(&verdict),
                "stay",
                "look {look}: {}",
                verdict.decision.reason()
            );
            state = verdict.state;
        }
        // Once the work stops, the idle window runs from the last of it.
        let last = T0 + 19 * 60 - 40;
        let quiet = |now: i64| {
            let facts = Facts {
                recent_activity: Some(last),
                ..facts(1, 0)
            };
            decide(&settings(), SIZING, &facts, &state, &Cause::Poll, now)
        };
        assert_eq!(action(&quiet(last + 299)), "stay");
        assert_eq!(action(&quiet(last + 300)), "sleep");
        // A time ahead of the clock counts as now, not as a far future.
        let ahead = Facts {
            recent_activity: Some(T0 + 86_400),
            ..facts(1, 0)
        };
        let verdict = decide(
            &settings(),
            SIZING,
            &ahead,
            &idle_since(T0 - 600),
            &Cause::Poll,
            T0,
        );
        assert_eq!(verdict.state.last_activity, Some(T0));
    }

    #[test]
    fn protected_or_unknown_tasks_block_a_sleep() {
        let idle = idle_since(T0 - 600);
        let look = |protection: Protection, cause: Cause| {
            let facts = Facts {
                protection,
                ..facts(1, 0)
            };
            decide(&settings(), SIZING, &facts, &idle, &cause, T0)
        };
        let blocked = look(Protection::Protected(2), Cause::Poll);
        assert_eq!(action(&blocked), "stay");
        assert!(
            blocked
                .decision
                .reason()
                .starts_with("blocked: 2 task(s) protected")
        );
        let unknown = look(
            Protection::Unknown("AccessDenied".into()),
            Cause::ManualSleep,
        );
        assert_eq!(action(&unknown), "stay");
        assert!(
            unknown
                .decision
                .reason()
                .starts_with("blocked: task protection unknown")
        );
        assert_eq!(action(&look(Protection::NotRead, Cause::Poll)), "stay");
        assert_eq!(action(&look(Protection::Clear, Cause::Poll)), "sleep");
    }

    #[test]
    fn no_sleep_within_min_awake_minutes_of_a_wake() {
        let settings = ScaleToZero {
            min_awake_minutes: 15,
            ..settings()
        };
        let woke = decide(
            &settings,
            SIZING,
            &asleep_with(1, 0),
            &WatchState::default(),
            &Cause::Poll,
            T0,
        );
        assert_eq!(woke.state.woke_at, Some(T0));
        let state = confirmed(&woke.state, 1, T0);
        let at = |now: i64| decide(&settings, SIZING, &facts(1, 0), &state, &Cause::Poll, now);
        let early = at(T0 + 600);
        assert_eq!(action(&early), "stay", "idle 10 min, but awake only 10");
        assert!(early.decision.reason().contains("min_awake_minutes 15"));
        assert_eq!(action(&at(T0 + 900)), "sleep");
        assert_eq!(at(T0 + 900).state.woke_at, None, "a sleep forgets the wake");
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
            last_activity: Some(T0),
            claimed: Some((transition, at)),
            observed: None,
            wake_requested: None,
            woke_at: None,
            running_at: None,
            skipped: 0,
        }
    }

    #[test]
    fn decide_table() {
        let cases = [
            Case {
                // Backlog counts in-flight messages: 3 being processed, none visible.
                want: ("stay", "busy: backlog 3"),
                state: idle_since(T0 - 3600),
                want_last_activity: Some(Some(T0)),
                ..case(
                    "in-flight work keeps the service awake",
                    (1, 3, false, None),
                )
            },
            Case {
                state: idle_since(T0 - 240),
                want: ("stay", "idle for 240s of 300s"),
                ..case("one minute short of idle stays", (1, 0, false, None))
            },
            Case {
                state: idle_since(T0 - 300),
                want: ("sleep", "idle for 5 min (idle_minutes 5)"),
                ..case("idle_minutes of nothing sleeps", (1, 0, false, None))
            },
            Case {
                want: ("stay", "idle for 0s of 300s"),
                want_last_activity: Some(Some(T0)),
                ..case(
                    "the first look starts the clock rather than assuming idle",
                    (1, 0, false, None),
                )
            },
            Case {
                state: idle_since(T0 - 3600),
                cause: Cause::ManualSleep,
                want: ("stay", "scalable target MinCapacity 1 > 0: never sleeps"),
                ..case(
                    "a floor above zero never sleeps",
                    (1, 0, false, Some((1, 10))),
                )
            },
            Case {
                state: idle_since(T0 - 3600),
                want: ("sleep", "idle for 60 min (idle_minutes 5)"),
                ..case(
                    "idle at any size sleeps: a sized wake to 3 of a wake count of 1",
                    (3, 0, false, None),
                )
            },
            Case {
                wake_tasks: 3,
                activation_backlog: 5,
                state: idle_since(T0 - 10),
                want: ("stay", "asleep, no activity"),
                ..case(
                    "at the activation threshold stays asleep",
                    (0, 5, false, None),
                )
            },
            Case {
                wake_tasks: 3,
                activation_backlog: 5,
                state: idle_since(T0 - 10),
                want: ("wake 3", "backlog 6 above activation threshold 5"),
                ..case(
                    "above the activation threshold wakes to the wake count",
                    (0, 6, false, None),
                )
            },
            Case {
                wake_tasks: 3,
                state: idle_since(T0 - 300),
                want: ("sleep", "idle for 5 min (idle_minutes 5)"),
                ..case(
                    "woken at 3 tasks, idle long enough: sleeps from the wake count",
                    (3, 0, false, None),
                )
            },
            Case {
                wake_tasks: 4,
                want: ("wake 2", "backlog 1 above activation threshold 0"),
                ..case(
                    "the wake count is capped at MaxCapacity",
                    (0, 1, false, Some((0, 2))),
                )
            },
            Case {
                wake_tasks: 4,
                want: (
                    "stay",
                    "activity, but the scalable target's MaxCapacity is 0",
                ),
                ..case("MaxCapacity 0 never wakes", (0, 1, false, Some((0, 0))))
            },
            Case {
                cause: Cause::Push("SNS notification from arn:t".into()),
                want: ("wake 1", "SNS notification from arn:t"),
                ..case("a push wakes a sleeping service", (0, 0, false, None))
            },
            Case {
                want: ("wake 1", "activation metric above its threshold"),
                ..case(
                    "an activation metric wakes a sleeping service",
                    (0, 0, true, None),
                )
            },
            Case {
                state: claimed(Transition::Wake, T0 - 10),
                want: ("stay", "wake already claimed by another invocation"),
                ..case(
                    "a claimed wake is not claimed twice within the lease",
                    (0, 4, false, None),
                )
            },
            Case {
                state: claimed(Transition::Wake, T0 - CLAIM_LEASE_SECONDS),
                want: ("wake 1", "backlog 4 above activation threshold 0"),
                ..case(
                    "after the lease a failed wake is retried",
                    (0, 4, false, None),
                )
            },
            Case {
                state: claimed(Transition::Wake, T0 + 3600),
                want: ("wake 1", "backlog 4 above activation threshold 0"),
                ..case(
                    "a claim dated in the future holds nothing",
                    (0, 4, false, None),
                )
            },
            Case {
                state: idle_since(i64::MIN),
                want: ("sleep", "idle for 153722867280912930 min (idle_minutes 5)"),
                ..case(
                    "an absurdly old activity time saturates, never overflows",
                    (1, 0, false, None),
                )
            },
            Case {
                state: claimed(Transition::Sleep, i64::MIN),
                want: ("wake 1", "backlog 4 above activation threshold 0"),
                ..case(
                    "an absurdly old claim has long run out",
                    (0, 4, false, None),
                )
            },
            Case {
                state: idle_since(T0),
                cause: Cause::ManualSleep,
                want: ("sleep", "manual sleep"),
                ..case("a manual sleep skips the idle clock", (1, 0, false, None))
            },
            Case {
                cause: Cause::ManualSleep,
                want: ("stay", "already asleep: a manual sleep never wakes"),
                ..case(
                    "a manual sleep on a sleeping service with work never wakes it",
                    (0, 5, false, None),
                )
            },
            Case {
                // Work in the queue: a manual sleep would strand it.
                state: idle_since(T0),
                cause: Cause::ManualSleep,
                want: ("stay", "busy: backlog 2"),
                ..case(
                    "a manual sleep does not skip the rules",
                    (1, 2, false, None),
                )
            },
        ];
        for case in cases {
            let settings = ScaleToZero {
                wake_tasks: case.wake_tasks,
                activation_backlog: case.activation_backlog,
                ..settings()
            };
            let (desired, backlog, metric_active, bounds) = case.facts;
            let facts = Facts {
                desired,
                running: desired,
                backlog,
                priority_backlog: 0,
                metric_active,
                bounds: bounds.map(|(min, max)| ScalableBounds { min, max }),
                prescaled: None,
                recent_activity: None,
                protection: Protection::Clear,
            };
            let verdict = decide(&settings, SIZING, &facts, &case.state, &case.cause, T0);
            let action = match verdict.decision {
                Decision::Wake { to, .. } => format!("wake {to}"),
                Decision::Sleep { .. } => "sleep".to_owned(),
                Decision::Stay { .. } => "stay".to_owned(),
            };
            // A wake's reason goes on with how its count was derived: tested apart.
            let reason = verdict.decision.reason().split("; ").next().unwrap_or("");
            assert_eq!((action.as_str(), reason), case.want, "{}", case.name);
            if let Some(transition) = verdict.decision.transition() {
                assert_eq!(
                    verdict.state.claimed,
                    Some((transition, T0)),
                    "{}",
                    case.name
                );
            }
            if let Some(last_activity) = case.want_last_activity {
                assert_eq!(verdict.state.last_activity, last_activity, "{}", case.name);
            }
        }
    }

    /// Issue 23 item 9: on a service without a scalable target the prescaler holds its
    /// window floor as desiredCount; the watcher slept it, the prescaler raised it
    /// again at its next run, and the two took turns through the window.
    #[test]
    fn the_prescalers_floor_without_a_scalable_target_never_sleeps() {
        let facts = Facts {
            prescaled: Some(2),
            ..facts(2, 0)
        };
        assert!(!sleep_possible(&facts));
        for cause in [Cause::Poll, Cause::ManualSleep] {
            let verdict = decide(
                &settings(),
                SIZING,
                &facts,
                &idle_since(T0 - 3600),
                &cause,
                T0,
            );
            assert_eq!(
                verdict.decision.reason(),
                "the prescaler's window floor 2 (no scalable target): never sleeps",
                "{cause:?}"
            );
        }
        let ended = Facts {
            prescaled: Some(0),
            ..facts
        };
        assert!(sleep_possible(&ended), "a record of 0 is no floor");
    }

    #[test]
    fn times_ahead_of_the_clock_are_dropped_and_said() {
        let stored = WatchState {
            last_activity: Some(T0 + 86_400),
            claimed: Some((Transition::Wake, T0 + 86_400)),
            observed: Some((1, T0 + 86_400)),
            wake_requested: Some(T0 + 86_400),
            woke_at: None,
            running_at: None,
            skipped: 0,
        };
        let (clean, notes) = stored.sanitized(T0);
        assert_eq!(
            clean,
            WatchState {
                last_activity: Some(T0),
                ..WatchState::default()
            }
        );
        assert_eq!(notes.len(), 4, "{notes:?}");
        assert!(
            notes[0].contains("last_activity is 86400s ahead of the clock"),
            "{notes:?}"
        );
        let near = WatchState {
            last_activity: Some(T0 + CLOCK_SKEW_SECONDS),
            ..WatchState::default()
        };
        assert_eq!(
            near.sanitized(T0),
            (near, Vec::new()),
            "within clock skew: kept"
        );
    }
}
