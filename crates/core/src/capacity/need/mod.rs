//! The tasks a target needs now: enough to keep up with what arrives at the target
//! utilisation, and enough that what waits now is received within the latency goal.
//! Tasks still starting count as asked for: the need is a count of tasks, not of
//! tasks to add.
//!
//! ```text
//! keep_up = arrival / (service x utilisation)
//! drain   = waiting / (service x latency goal)        (waiting / backlog_per_task
//!                                                      when no goal is declared;
//!                                                      while tasks start, over the
//!                                                      time they have been starting
//!                                                      when that is longer)
//! need    = ceil(max(keep_up, drain))
//! ```
//!
//! On a count of few messages the keep-up term a raise asks for is the count less
//! part of its noise ([`sure_arrival`]): a handful of jobs in three minutes cannot
//! tell a rate from a cluster, and the queue a cluster leaves is the drain term's.
//!
//! With a start-up no longer than the goal, the queue may carry the keep-up term's
//! fraction of a task ([`carried`]): 3.4 tasks' work is served by 3 tasks while a
//! queue the goal allows builds, and a fourth while it drains.
//!
//! The larger, not the sum: messages are received oldest first, so `c` tasks reach the
//! last of `waiting` messages after `waiting / (c x service)` minutes while those
//! arriving meanwhile queue behind it; within the goal once `c` is the drain term, and
//! the queue cannot grow once it is the keep-up term.
//!
//! Before a service rate is known (learned or declared) the need is the backlog's
//! share at `backlog_per_task` (what the configuration always meant), said as such.

use serde::Serialize;

use super::arrival::{Arrival, sure_arrival};
use super::rates::{ARRIVAL_MINUTES, Look, Rates, finite};

/// What a target asks of its capacity (from its configuration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Goal {
    /// Messages a task may have waiting: the latency goal when none is declared
    /// (at a service rate `s`, `backlog_per_task / s` minutes).
    pub backlog_per_task: f64,
    /// Seconds a message may wait, when declared.
    pub latency_seconds: Option<u32>,
    /// The share of each task's time the keep-up term plans to use, 0 to 1.
    pub utilization: f64,
    /// Messages a task finishes a minute, declared, until one is learned.
    pub prior_service: Option<f64>,
}

impl Goal {
    /// Minutes a message may wait: the declared goal, else `backlog_per_task` messages
    /// at `service` a task-minute (what the configuration always meant).
    pub fn latency_minutes(&self, service: f64) -> f64 {
        match self.latency_seconds {
            Some(seconds) => f64::from(seconds.max(1)) / 60.0,
            None => self.backlog_per_task.max(f64::MIN_POSITIVE) / service,
        }
    }
}

/// How the need was reckoned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "basis")]
pub enum Basis {
    /// From the arrival and service rates.
    Rates {
        arrival: f64,
        service: f64,
        keep_up: f64,
        /// The keep-up term the need asks for: on a small count, at its lower bound
        /// ([`sure_arrival`]); `keep_up` otherwise.
        keep_up_sure: f64,
        /// What a raise plans to drain: over the goal or a start-up, the longer.
        drain: f64,
        /// What holding the tasks there are drains: over the goal alone. A give-back
        /// never goes below it (tasks starting are not cancelled while a queue they
        /// would work through within the goal waits).
        drain_within_goal: f64,
        /// Standard deviations of the arrival count's noise a give-back leaves room
        /// for ([`noise_deviations`]).
        deviations: f64,
        /// The fraction of a task's work the queue carries ([`carried`]): the need
        /// asks for the keep-up term's whole tasks only. 0 when it does not.
        carried: f64,
        /// The share of each task's time the keep-up term planned to use (the goal's).
        utilization: f64,
    },
    /// No service rate yet: the backlog at `backlog_per_task`.
    Backlog { per_task: f64 },
}

/// The tasks a target needs now, and why.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Need {
    /// Unrounded: what CapacityUtilization reports against desired.
    pub raw: f64,
    /// Whole tasks.
    pub tasks: u32,
    pub basis: Basis,
}

/// Standard deviations of the arrival count's noise a give-back leaves room for: three
/// keep a steady load steady through the dips a day of Poisson counts makes (two gave
/// a steady 150 a minute back to exactly its three tasks' worth, then asked again).
/// The most: a start-up at least as long as the goal ([`noise_deviations`]).
pub const NOISE_DEVIATIONS: f64 = 3.0;
/// The least share of [`NOISE_DEVIATIONS`] a give-back keeps room for: a start-up
/// short against the goal still pays a start-up's billing for each give-back undone.
pub const LEAST_NOISE_SHARE: f64 = 1.0 / 3.0;

/// What the need must stay under the count a give-back keeps, as a share, so that noise
/// does not flap: a give-back keeps `ceil(need x 1.1)` (not where the queue carries
/// a fraction: there the queue, not the count, is the hysteresis).
pub const GIVE_BACK_TOLERANCE: f64 = 0.1;

/// The share of what the whole tasks receive within the latency goal that the queue
/// may hold, with what the carried fraction adds over a start-up, before the next task
/// is asked for ([`carried`]). The rest is room for a start-up slower than the one
/// learned and for noise. On the real traces with 90 s start-ups and 2-minute goals
/// (`infra/bench.sh control`): 0.3 billed 2-10 % more than 0.8 at the same late
/// minutes; 0.9 within 2 % of 0.8 either way, with p95 waits 5-10 s longer.
pub const CARRY_SHARE: f64 = 0.8;

/// The most a need may stand above desired, as a share, before a raise where a
/// utilisation target leaves headroom ([`raise_tolerance`]): the Kubernetes HPA's
/// default tolerance.
pub const RAISE_TOLERANCE: f64 = 0.1;

/// A hair under a whole task is a whole task's work: sums of rates drift.
const ROUNDING: f64 = 1e-6;

impl Need {
    pub fn of(goal: &Goal, rates: &Rates, now: &Look) -> Need {
        let waiting = finite(now.waiting);
        let in_flight = finite(now.in_flight);
        let (raw, basis) = match rates.service_or(goal.prior_service) {
            Some(service) => {
                let reading = if waiting <= 0.0 && in_flight <= 0.0 {
                    Arrival::NONE
                } else {
                    Arrival::read(rates, now, service, goal.backlog_per_task / 2.0)
                };
                let arrival = reading.now;
                let utilization = goal.utilization.clamp(0.05, 1.0);
                let per_task = service * utilization;
                let keep_up = whole_within_rounding(arrival / per_task);
                let (goal_minutes, start_up_minutes) = drain_minutes(goal, service, rates, now);
                let drain_within_goal = waiting / (service * goal_minutes);
                let drain = waiting / (service * goal_minutes.max(start_up_minutes));
                let queue = Carry {
                    waiting,
                    service,
                    goal_minutes,
                    start_up: rates.start_up,
                    desired: now.desired,
                };
                let carried = carried(keep_up, &queue);
                let keep_up_sure = (reading.sure / per_task).min(keep_up - carried);
                let basis = Basis::Rates {
                    arrival,
                    service,
                    keep_up,
                    keep_up_sure,
                    drain,
                    drain_within_goal,
                    deviations: noise_deviations(goal_minutes, rates.start_up),
                    carried,
                    utilization,
                };
                (keep_up_sure.max(drain), basis)
            }
            None => {
                let per_task = goal.backlog_per_task.max(f64::MIN_POSITIVE);
                (
                    (waiting + in_flight) / per_task,
                    Basis::Backlog { per_task },
                )
            }
        };
        let raw = raw.max(0.0);
        let mut tasks = (raw - ROUNDING).ceil().max(0.0);
        // Work waiting is work for at least one task.
        if tasks < 1.0 && (waiting > 0.0 || in_flight > 0.0) {
            tasks = 1.0;
        }
        Need {
            raw,
            tasks: tasks.min(f64::from(u32::MAX)) as u32,
            basis,
        }
    }

    /// The tasks a give-back may come down to on this need (`ceil` of it): the need
    /// with room for the noise of the arrival count it was reckoned on (SQS's counts
    /// over [`ARRIVAL_MINUTES`] minutes vary by their square root, Poisson arrivals,
    /// when the rate does not: the count is taken [`noise_deviations`] standard
    /// deviations high, and read as a raise would read it, a small count doubted: the
    /// room is for counts that would ask for the tasks again), the queue drained
    /// within the goal, and a tenth more
    /// ([`GIVE_BACK_TOLERANCE`]). Capacity is given back when the need fell, not when a
    /// count came in low or while the tasks still starting have a queue to work
    /// through. Where the queue carries a fraction, the need itself: the queue absorbs
    /// the noise, and it asks for the next task again when it has grown.
    pub fn give_back_level(&self) -> f64 {
        let room = 1.0 + GIVE_BACK_TOLERANCE;
        match self.basis {
            Basis::Rates { carried, .. } if carried > 0.0 => self.raw,
            Basis::Rates {
                arrival,
                keep_up,
                drain_within_goal,
                deviations,
                utilization,
                ..
            } if arrival > 0.0 => {
                let spread = 1.0 / (arrival * ARRIVAL_MINUTES as f64).sqrt();
                let high = sure_arrival(arrival * (1.0 + deviations * spread));
                // The noise is room up to the tasks' whole time; below a utilisation
                // target the target's own headroom takes it first.
                let noisy = (keep_up * utilization * high / arrival).max(keep_up);
                noisy.max(drain_within_goal).max(self.raw) * room
            }
            Basis::Rates {
                drain_within_goal, ..
            } => drain_within_goal.max(self.raw) * room,
            Basis::Backlog { .. } => self.raw * room,
        }
    }

    /// Whether this need asks for more than `desired` tasks: more whole tasks, and more
    /// than [`raise_tolerance`] above them.
    pub fn asks_more_than(&self, desired: u32) -> bool {
        let tolerance = match self.basis {
            Basis::Rates { utilization, .. } => raise_tolerance(utilization),
            Basis::Backlog { .. } => 0.0,
        };
        self.tasks > desired && self.raw > f64::from(desired) * (1.0 + tolerance)
    }

    /// 100 x need / desired: what target tracking holds at 100, its proportional step
    /// then landing on the need in one move. Desired 0 counts as 1, so the metric
    /// exists at zero; a need under one task counts as one, so the policy never asks
    /// for fewer than one task. Going to zero is the sleep's alone: where the policy's
    /// scale-in is enabled (beside a CPU policy), a need of 0 would otherwise let
    /// Application Auto Scaling take an idle service to zero, or, from the 15 low
    /// datapoints it saw while the service slept, back to zero just after a wake.
    pub fn utilization(&self, desired: u32) -> f64 {
        100.0 * self.raw.max(1.0) / f64::from(desired.max(1))
    }
}

/// The room for noise a give-back leaves, in standard deviations of the arrival count:
/// [`NOISE_DEVIATIONS`] times the start-up's share of the latency goal (at most all of
/// it, at least [`LEAST_NOISE_SHARE`]). A give-back that noise proves wrong is raised
/// again at once and leaves a start-up of shortfall; a queue the goal allows absorbs a
/// shortfall that lasts less than the goal, so the shorter the start-up against the
/// goal, the less room a give-back needs. Unknown start-up: all of it.
pub fn noise_deviations(goal_minutes: f64, start_up_seconds: Option<f64>) -> f64 {
    let share = match start_up_seconds.filter(|s| s.is_finite() && *s > 0.0) {
        Some(seconds) if goal_minutes > 0.0 => {
            (seconds / 60.0 / goal_minutes).clamp(LEAST_NOISE_SHARE, 1.0)
        }
        _ => 1.0,
    };
    NOISE_DEVIATIONS * share
}

/// The share a need may stand above desired without a raise: the HPA's 10 %
/// ([`RAISE_TOLERANCE`]), and never more than the headroom a utilisation target leaves
/// (none at 100 %: there a need above the tasks is a queue that grows).
pub fn raise_tolerance(utilization: f64) -> f64 {
    if !(utilization.is_finite() && utilization > 0.0) {
        return 0.0;
    }
    (1.0 / utilization - 1.0).clamp(0.0, RAISE_TOLERANCE)
}

/// `tasks` with a hair over whole tasks taken as those tasks (what `Need::tasks`
/// rounds to): the keep-up term is read so at its source, so the need does not fall
/// by the hair when the next count makes the fraction one the queue carries.
fn whole_within_rounding(tasks: f64) -> f64 {
    let whole = tasks.floor();
    if tasks - whole <= ROUNDING {
        whole
    } else {
        tasks
    }
}

/// What [`carried`] weighs: the queue, the rates and the count.
struct Carry {
    waiting: f64,
    service: f64,
    goal_minutes: f64,
    /// Seconds, learned.
    start_up: Option<f64>,
    desired: u32,
}

/// The fraction of a task's work the queue carries, 0 when it does not. A need of
/// 3.4 tasks' work costs 4 tasks all the time if each look rounds it up; with a
/// start-up no longer than the latency goal, 3 tasks and a queue the goal allows,
/// then a fourth while the queue drains, cost about 3.4 and a start-up a cycle (what
/// KEDA's queue-length scaling does by accident, here within the goal by design).
/// At most the whole tasks running, the queue carries the fraction while what waits,
/// and what the fraction adds over a start-up (the next task's lead time), fits in
/// [`CARRY_SHARE`] of what the whole tasks receive within the goal; above them, until
/// nothing waits: the next task drains the queue it was asked for before it is
/// given back. A start-up longer than the goal (a GPU model's load), none learned, or
/// less than a task's work: never (the steady hold stands). With 4-7 minute start-ups
/// against 1-2 minute goals, carrying billed 8-14 % less on the real traces but had up
/// to ten times the minutes with a late message (nasa-http: 107 -> 1069): a start-up
/// slower than the one learned leaves the queue past the goal.
fn carried(keep_up: f64, queue: &Carry) -> f64 {
    let Some(start_up) = queue
        .start_up
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| s / 60.0)
    else {
        return 0.0;
    };
    let whole = keep_up.floor();
    let fraction = keep_up - whole;
    if start_up > queue.goal_minutes || whole < 1.0 || fraction <= ROUNDING {
        return 0.0;
    }
    let carries = if f64::from(queue.desired) <= whole {
        let by_then = queue.waiting + fraction * queue.service * start_up;
        by_then <= CARRY_SHARE * whole * queue.service * queue.goal_minutes
    } else {
        queue.waiting <= 0.0
    };
    if carries { fraction } else { 0.0 }
}

/// The minutes the drain term plans to receive what waits in: the latency goal
/// (`backlog_per_task / service` without one), and how much later than the tasks
/// already asked for a task asked now would work ([`later_than_asked`]); a raise plans
/// over the longer. Planning to drain faster buys tasks that arrive to a queue others
/// have emptied, not shorter waits (a GPU model loading for 5 minutes would otherwise
/// be asked for again every minute the queue grows behind it, and given back as soon
/// as it ran).
fn drain_minutes(goal: &Goal, service: f64, rates: &Rates, now: &Look) -> (f64, f64) {
    let goal_minutes = goal.latency_minutes(service);
    (goal_minutes, later_than_asked(rates, now) / 60.0)
}

/// Seconds later than the tasks already asked for a task asked now works: a start-up
/// (learned) from now, less when, on average over them, the tasks asked work. Running
/// ones work now; one that has been starting for `s` seconds works a start-up less `s`
/// from now (or at once, when later than learned). All starting, that is as much later
/// as they have been starting; all running, a whole start-up. No start-up learned: as
/// long as the tasks starting have been starting. Until 8 December 2026 any task
/// starting counted as all of them: a raise of ten running tasks to eleven made the
/// next poll plan over the latency goal alone, as if the ten were starting with it,
/// and a surge with 4-7 minute start-ups and a 1-minute goal asked for 44 tasks for
/// a queue ten would drain by the time they ran (`--seed 2`: 1.47 -> 1.25 times the
/// limit; over four draws 1.32 -> 1.26, 65 -> 69 minutes with a late message; the
/// 18 rows' sum 22.59 -> 22.52 on average).
fn later_than_asked(rates: &Rates, now: &Look) -> f64 {
    let since = starting_for(rates, now) as f64;
    let starting = now.desired.saturating_sub(now.running);
    let Some(start_up) = rates.start_up.filter(|s| s.is_finite() && *s > 0.0) else {
        return since;
    };
    if starting == 0 {
        return start_up;
    }
    let asked_work_in = f64::from(starting) * (start_up - since).max(0.0) / f64::from(now.desired);
    start_up - asked_work_in
}

/// Seconds the tasks starting now have been starting at least: back through the
/// looks while each showed fewer running than desired.
fn starting_for(rates: &Rates, now: &Look) -> i64 {
    if now.running >= now.desired {
        return 0;
    }
    let since = rates
        .looks
        .iter()
        .rev()
        .filter(|l| l.at <= now.at)
        .take_while(|l| l.running < l.desired)
        .last()
        .map_or(now.at, |l| l.at);
    now.at.saturating_sub(since)
}

#[cfg(test)]
mod tests;
