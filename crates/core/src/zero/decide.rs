//! The decision itself: wake, sleep or leave alone, from the facts, the state and the
//! clock.

use serde::Serialize;

use super::facts::{Cause, Facts, Protection, Sizing};
use super::gaps::IdleGaps;
use super::idle::IdleWait;
use super::room::wake_room;
use super::state::{OBSERVATION_TRUST_SECONDS, Transition, WatchState, claim_in_force};
use super::why::{Adjusted, Block, SleepCause, WakeBasis, WakeCause, WakeSize, Why};
use crate::config::{ScaleToZero, WakeCount};
use crate::queue::STALE_READ_SECONDS;

/// What a look settles before any fact is read.
#[derive(Debug, Clone, PartialEq)]
pub enum Early {
    /// The target is paused: nothing is read, decided or changed.
    Paused,
    /// A push to a service seen awake moments ago: the idle clock is reset and no ECS
    /// call is made (a burst of notifications costs none). `record` is false when
    /// the stored state already says so.
    Absorbed { verdict: Box<Verdict>, record: bool },
}

/// What a look settles before reading facts; None: read them and [`decide`].
pub fn before_facts(paused: bool, cause: &Cause, state: &WatchState, now: i64) -> Option<Early> {
    if paused {
        return Some(Early::Paused);
    }
    if !matches!(cause, Cause::Push(_)) {
        return None;
    }
    let verdict = push_while_awake(state, now)?;
    let record = state.last_activity != Some(now);
    Some(Early::Absorbed {
        verdict: Box::new(verdict),
        record,
    })
}

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
                    reason: Why::SeenAwake {
                        desired,
                        seconds_ago: now.saturating_sub(at),
                    },
                },
                state: WatchState {
                    last_activity: Some(now),
                    idle_gaps: state.gap_until(now),
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
    Wake { to: u32, reason: Why },
    /// Lower desiredCount to 0.
    Sleep { reason: Why },
    /// Change nothing in ECS.
    Stay { reason: Why },
}

impl Decision {
    /// Why, as a value.
    pub fn why(&self) -> &Why {
        match self {
            Decision::Wake { reason, .. }
            | Decision::Sleep { reason }
            | Decision::Stay { reason } => reason,
        }
    }

    /// Why, in words.
    pub fn reason(&self) -> String {
        self.why().to_string()
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

/// Since when a sleeping service's work has waited for its wake: from the first look
/// that saw it (`work`: a backlog, or a message in flight that comes back,
/// [`Facts::holds_returning`]), kept while looks see it, and past a look that sees
/// none within a stale read's minute of it (that read may be older than the work).
/// None while awake, and once the work is gone.
fn waiting_since(desired: u32, work: bool, stored: Option<i64>, now: i64) -> Option<i64> {
    if desired > 0 {
        return None;
    }
    match stored {
        Some(since) if work => Some(since.min(now)),
        None if work => Some(now),
        Some(since) if now.saturating_sub(since) < STALE_READ_SECONDS => Some(since),
        _ => None,
    }
}

/// What one of SQS's sent and received counts covers: a minute.
const SQS_COUNT_SECONDS: i64 = 60;

/// Decides for one target. `now` is epoch seconds.
pub fn decide(
    settings: &ScaleToZero,
    sizing: Sizing,
    facts: &Facts,
    state: &WatchState,
    cause: &Cause,
    now: i64,
) -> Verdict {
    let state = &state.with_polled(&facts.polled);
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
    /// The backlog and priority backlog counted ([`Facts::counted`]).
    backlog: u64,
    priority: u64,
    active: bool,
    /// Nothing at all: not even a message below the activation threshold or one in
    /// flight.
    idle: bool,
    last_activity: Option<i64>,
    idle_gaps: IdleGaps,
    /// Asleep: since when the work a wake is put off for has been seen.
    waiting_since: Option<i64>,
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
        let (backlog, priority) = facts.counted();
        let work = shows_work(settings, backlog, priority, facts.metric_active);
        let active = match cause {
            Cause::Push(_) => true,
            Cause::Poll => work || (facts.desired == 0 && state.wake_requested.is_some()),
            Cause::ManualSleep => work,
        };
        // Tasks still starting (an instance placed, an image pulled, a model loaded)
        // have not had their chance at the work: the idle clock does not run.
        let starting = facts.running < facts.desired;
        let idle = !active && backlog == 0 && !facts.metric_active && !starting;
        let seen_now = active || state.last_activity.is_none() || backlog > 0 || starting;
        // Work done between looks (a job sent and finished within a minute) restarts
        // the idle clock as if it had been seen; a time ahead of the clock is capped.
        let between = facts.recent_activity.map(|at| at.min(now));
        let last_activity = if seen_now {
            Some(now)
        } else {
            state.last_activity.max(between)
        };
        // Work seen now or between looks ends an idle gap; tasks starting do not. SQS's
        // counts cover whole minutes: work in two minutes in a row may have had no gap
        // at all, so a gap they show is taken a minute shorter.
        let work_at = if active || backlog > 0 {
            Some(now)
        } else {
            between
                .filter(|at| Some(*at) > state.last_activity)
                .map(|at| at.saturating_sub(SQS_COUNT_SECONDS))
        };
        let idle_gaps = work_at.map_or(state.idle_gaps, |at| state.gap_until(at));
        let waiting_since = waiting_since(
            facts.desired,
            work || facts.holds_returning(),
            state.waiting_since,
            now,
        );
        Look {
            settings,
            sizing,
            facts,
            state,
            cause,
            now,
            backlog,
            priority,
            active,
            idle,
            last_activity,
            idle_gaps,
            waiting_since,
        }
    }

    /// desiredCount 0: wake on activity, to the wake count within the bounds.
    fn asleep(&self) -> Verdict {
        if *self.cause == Cause::ManualSleep {
            return self.stay(Why::AlreadyAsleep);
        }
        if !self.active {
            return self.stay(Why::AsleepNoActivity);
        }
        let count = self.wake_count();
        if self.facts.bounds.is_some_and(|bounds| bounds.max == 0) {
            return self.stay(Why::MaxCapacityZero);
        }
        let count = self.within_bounds(count);
        if self.claim_in_force(Transition::Wake) {
            return self.stay(Why::Claimed(Transition::Wake));
        }
        if let Some(put_off) = self.put_off(&count) {
            // The work needs no task until the wake: the idle gap it ends, and the
            // activity it counts as, are the wake's.
            let mut verdict = self.stay(put_off);
            verdict.state.last_activity = self.state.last_activity;
            verdict.state.idle_gaps = self.state.idle_gaps;
            return verdict;
        }
        let by = match self.cause {
            Cause::Push(what) => WakeCause::Push(what.clone()),
            _ if self.facts.metric_active => WakeCause::Metric,
            _ if self.priority > 0 => WakeCause::Priority {
                messages: self.priority,
            },
            _ => WakeCause::Backlog {
                backlog: self.backlog,
                threshold: self.settings.activation_backlog,
            },
        };
        let to = count.to;
        self.act(Decision::Wake {
            to,
            reason: Why::Wake { by, count },
        })
    }

    /// Why this wake waits, while the latency goal leaves room ([`wake_room`]) and
    /// nothing asks for it sooner: only work on the queues below what sizes the wake
    /// above its least count, without a push, a priority message, the activation
    /// metric or a push's asked-for wake.
    fn put_off(&self, count: &WakeSize) -> Option<Why> {
        let only_queued = *self.cause == Cause::Poll
            && !self.facts.metric_active
            && self.priority == 0
            && self.state.wake_requested.is_none()
            && count.to <= self.settings.wake_tasks.max(1);
        let room = wake_room(&self.sizing, self.backlog, count.to).filter(|_| only_queued)?;
        let since = self.waiting_since?;
        let waited = self.now.saturating_sub(since);
        (waited < room).then_some(Why::WakePutOff { waited, room })
    }

    /// The wake count within the bounds: MinCapacity raises it, MaxCapacity and
    /// capacity.max cap it, and the caps win. Bounds read from AWS may be odd: an apply
    /// that lowered capacity.max but failed to register the new bounds leaves a
    /// window's floor as MinCapacity above the max the operator asked for.
    fn within_bounds(&self, mut count: WakeSize) -> WakeSize {
        if let Some(bounds) = self.facts.bounds {
            // Not clamp(): min may be above max, and a decision never panics.
            let bounded = count.to.max(bounds.min.max(1)).min(bounds.max);
            if bounded != count.to {
                count.within_bounds = Some((bounded, bounds.min, bounds.max));
            }
            count.to = bounded;
        }
        // Validation keeps capacity.max at least wake_tasks, so at least 1.
        let max = self.sizing.capacity_max.max(1);
        if count.to > max {
            count.within_max = Some(max);
            count.to = max;
        }
        count
    }

    /// The tasks a wake starts before the scalable target's bounds, and how that
    /// count was derived.
    fn wake_count(&self) -> WakeSize {
        let wake_tasks = self.settings.wake_tasks;
        let per_task = self.sizing.backlog_per_task;
        let (to, basis) = if matches!(self.cause, Cause::Push(_)) {
            (wake_tasks, WakeBasis::Pushed { wake_tasks })
        } else if self.settings.wake == WakeCount::Fixed || !per_task.is_finite() || per_task <= 0.0
        {
            (wake_tasks, WakeBasis::Fixed { wake_tasks })
        } else {
            // f64 -> u32 saturates; a huge backlog is capped by max just below.
            let need = (self.backlog as f64 / per_task).ceil() as u32;
            let max = self.sizing.capacity_max.max(wake_tasks);
            let to = need.max(wake_tasks).min(max);
            let adjusted = if to > need {
                Some(Adjusted::RaisedToWakeTasks(wake_tasks))
            } else if to < need {
                Some(Adjusted::CappedAtMax(max))
            } else {
                None
            };
            let backlog = self.backlog;
            let basis = WakeBasis::Backlog {
                backlog,
                per_task,
                need,
                adjusted,
            };
            (to, basis)
        };
        WakeSize {
            to,
            basis,
            within_bounds: None,
            within_max: None,
        }
    }

    /// desiredCount above 0, at any count: sleep with no floor, after `idle_minutes` of
    /// nothing while no task was starting (or on a manual sleep).
    fn awake(&self) -> Verdict {
        let facts = self.facts;
        if let Some(floor) = facts.floor() {
            return self.stay(Why::Floor(floor));
        }
        if !self.idle {
            return self.stay(if self.backlog > 0 {
                Why::Busy {
                    backlog: self.backlog,
                }
            } else if facts.running < facts.desired {
                Why::Starting {
                    running: facts.running,
                    desired: facts.desired,
                }
            } else {
                Why::BusyActivity
            });
        }
        if self.claim_in_force(Transition::Sleep) {
            return self.stay(Why::Claimed(Transition::Sleep));
        }
        let sleep = match self.sleep_cause() {
            Ok(sleep) => sleep,
            Err(not_yet) => return self.stay(not_yet),
        };
        // Only ECS's own task protection can keep a task from being stopped: a
        // protected task is mid-job, and unknown protection is not "none".
        let by = match &self.facts.protection {
            Protection::Clear => {
                return self.act(Decision::Sleep {
                    reason: Why::Sleep(sleep),
                });
            }
            Protection::Protected(tasks) => Block::Protected { tasks: *tasks },
            Protection::Unknown(why) => Block::ProtectionUnknown(why.clone()),
            Protection::NotRead => Block::ProtectionNotRead,
        };
        self.stay(Why::Blocked { by, sleep })
    }

    /// Why an idle service sleeps now: a manual sleep, or its idle wait over; or why
    /// not yet (the wait, or `min_awake_minutes`, still running).
    fn sleep_cause(&self) -> Result<SleepCause, Why> {
        if *self.cause == Cause::ManualSleep {
            return Ok(SleepCause::Manual);
        }
        let idle_seconds = self
            .now
            .saturating_sub(self.last_activity.unwrap_or(self.now));
        let wait = IdleWait::of(self.settings, self.state, self.sizing.latency_goal_seconds);
        let needed = wait.seconds();
        if idle_seconds < needed {
            return Err(Why::Idle {
                seconds: idle_seconds,
                of: needed,
            });
        }
        if let Some(woke) = self.state.woke_at {
            let awake = self.now.saturating_sub(woke);
            let minimum = i64::from(self.settings.min_awake_minutes).saturating_mul(60);
            if awake < minimum {
                return Err(Why::MinAwake {
                    awake,
                    minutes: self.settings.min_awake_minutes,
                });
            }
        }
        Ok(SleepCause::Idle {
            seconds: idle_seconds,
            wait,
        })
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

    fn stay(&self, reason: Why) -> Verdict {
        Verdict {
            decision: Decision::Stay { reason },
            state: WatchState {
                last_activity: self.last_activity,
                claimed: self.state.claimed,
                observed: Some((self.facts.desired, self.now)),
                waiting_since: self.waiting_since,
                wake_requested: self.wake_requested(),
                woke_at: self.state.woke_at,
                running_at: self.running_at(),
                idle_gaps: self.idle_gaps,
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
        // Kept through a wake until ECS shows the service awake: a wake whose call
        // failed is not put off a second time.
        let waiting_since = match &decision {
            Decision::Wake { .. } => self.waiting_since,
            Decision::Sleep { .. } | Decision::Stay { .. } => None,
        };
        Verdict {
            state: WatchState {
                last_activity: self.last_activity,
                claimed,
                observed: Some((0, self.now)),
                waiting_since,
                wake_requested: self.wake_requested(),
                woke_at,
                running_at: None,
                idle_gaps: self.idle_gaps,
                skipped: 0,
            },
            decision,
        }
    }
}
