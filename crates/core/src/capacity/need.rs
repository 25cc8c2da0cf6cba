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
                let keep_up = arrival / per_task;
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
                let keep_up_sure =
                    (reading.sure / per_task).min(whole_within_rounding(keep_up) - carried);
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
/// rounds to): so the need does not fall by the hair when the next count makes the
/// fraction one the queue carries.
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
/// already asked for a task asked now would work; a raise plans over the longer. While
/// tasks start, a new one works as much later as they have been starting; once they
/// run, a start-up (learned) from now. Planning to drain faster buys tasks that arrive
/// to a queue others have emptied, not shorter waits (a GPU model loading for 5
/// minutes would otherwise be asked for again every minute the queue grows behind it,
/// and given back as soon as it ran).
fn drain_minutes(goal: &Goal, service: f64, rates: &Rates, now: &Look) -> (f64, f64) {
    let goal_minutes = match goal.latency_seconds {
        Some(seconds) => f64::from(seconds.max(1)) / 60.0,
        None => goal.backlog_per_task.max(f64::MIN_POSITIVE) / service,
    };
    // While tasks start, one asked now works that much later than they do; once they
    // run, a start-up from now.
    let start_up = if now.running < now.desired {
        starting_for(rates, now) as f64
    } else {
        rates.start_up.unwrap_or(0.0)
    };
    (goal_minutes, start_up / 60.0)
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
mod tests {
    use super::*;

    fn goal() -> Goal {
        Goal {
            backlog_per_task: 50.0,
            latency_seconds: None,
            utilization: 0.9,
            prior_service: None,
        }
    }

    /// A look; with work waiting every task holds a message, without half do.
    fn look(at: i64, waiting: f64, running: u32) -> Look {
        let busy = if waiting > 0.0 { 1.0 } else { 0.5 };
        let in_flight = f64::from(running) * busy;
        Look {
            at,
            waiting,
            in_flight,
            running,
            desired: running,
        }
    }

    fn learned(arrival: f64, service: f64) -> Rates {
        Rates {
            service: Some(service),
            arrival: Some(arrival),
            samples: 3,
            ..Rates::default()
        }
    }

    #[test]
    fn keep_up_plus_drain_table() {
        // (arrival, service, waiting, tasks, raw) at 90 % utilisation, 50 a task.
        let cases = [
            (150.0, 50.0, 0.0, 4, 150.0 / 45.0), // a steady 3.33 tasks' worth
            (135.0, 50.0, 0.0, 3, 3.0),          // exactly three
            (150.0, 50.0, 500.0, 10, 10.0),      // 500 waiting: ten to reach them in a minute
            (500.0, 50.0, 100.0, 12, 500.0 / 45.0), // arrivals ask for more than the queue
            (0.0, 50.0, 0.0, 1, 0.0),            // nothing arriving, one in hand
            (0.0, 50.0, 1.0, 1, 0.02),           // one message: one task
            (150.0, 50.0, 0.0, 4, 150.0 / 45.0), // busy tasks: the counted rate
        ];
        for (arrival, service, waiting, tasks, raw) in cases {
            let need = Need::of(&goal(), &learned(arrival, service), &look(0, waiting, 1));
            assert_eq!(need.tasks, tasks, "{arrival}/{service}/{waiting}: {need:?}");
            assert!((need.raw - raw).abs() < 1e-9, "{need:?}");
        }
    }

    #[test]
    fn a_hair_over_whole_tasks_is_those_tasks_and_the_need_never_falls_past_it() {
        // A 90 s start-up within a 2-minute goal: the queue may carry a fraction, so
        // 3.005 tasks' work asks for 3; 3 and a hair is 3 too, not more than 3.005's.
        let goal = Goal {
            latency_seconds: Some(120),
            utilization: 1.0,
            ..goal()
        };
        let with = |arrival: f64| Rates {
            start_up: Some(90.0),
            ..learned(arrival, 50.0)
        };
        let hair = Need::of(&goal, &with(150.0 + 2e-5), &look(0, 1.0, 3));
        let more = Need::of(&goal, &with(150.25), &look(0, 1.0, 3));
        assert_eq!((hair.raw, hair.tasks), (3.0, 3), "{hair:?}");
        assert!(more.raw >= hair.raw, "{hair:?} then {more:?}");
    }

    #[test]
    fn nothing_waiting_and_nothing_in_hand_needs_nothing_whatever_was_counted() {
        let idle = Look {
            in_flight: 0.0,
            ..look(0, 0.0, 3)
        };
        let need = Need::of(&goal(), &learned(300.0, 50.0), &idle);
        assert_eq!((need.tasks, need.raw), (0, 0.0));
    }

    #[test]
    fn a_latency_goal_sets_the_drain() {
        let goal = Goal {
            latency_seconds: Some(120),
            ..goal()
        };
        // 200 waiting, 50 a task a minute, 2 minutes: two tasks to drain.
        let need = Need::of(&goal, &learned(0.0, 50.0), &look(0, 200.0, 1));
        assert_eq!(need.tasks, 2);
    }

    #[test]
    fn without_a_service_rate_the_backlog_share_stands_in() {
        let need = Need::of(&goal(), &Rates::default(), &look(0, 120.0, 1));
        assert_eq!(
            (need.tasks, need.basis),
            (3, Basis::Backlog { per_task: 50.0 })
        );
        let prior = Goal {
            prior_service: Some(40.0),
            ..goal()
        };
        let need = Need::of(&prior, &Rates::default(), &look(0, 0.0, 1));
        assert!(matches!(need.basis, Basis::Rates { service, .. } if service == 40.0));
    }

    #[test]
    fn growth_while_saturated_shows_a_surge_before_sqs_counts_it() {
        let mut rates = learned(30.0, 50.0);
        rates.looks = vec![look(0, 100.0, 1), look(15, 237.5, 1)];
        // 150 more wait every 15 s while the one task takes 12.5: 600 a minute.
        let now = look(30, 375.0, 1);
        let need = Need::of(&goal(), &rates, &now);
        let Basis::Rates { arrival, .. } = need.basis else {
            panic!("rates")
        };
        assert!((arrival - 600.0).abs() < 1e-9, "{arrival}");
        let too_soon = Need::of(&goal(), &rates, &look(20, 300.0, 1));
        assert!(
            matches!(too_soon.basis, Basis::Rates { arrival, .. } if arrival == 30.0),
            "two intervals of 10 s do not fit yet: {too_soon:?}"
        );
    }

    #[test]
    fn a_batch_dropped_at_once_is_drained_not_kept_up_with() {
        let mut rates = learned(30.0, 50.0);
        // 1000 messages land between the second and third looks, then nothing more.
        rates.looks = vec![look(0, 10.0, 2), look(15, 10.0, 2)];
        let now = look(30, 1010.0, 2);
        let need = Need::of(&goal(), &rates, &now);
        let Basis::Rates { arrival, drain, .. } = need.basis else {
            panic!("rates")
        };
        assert!(arrival < 150.0, "the batch is not a rate: {arrival}");
        assert_eq!(need.tasks, (drain - 1e-6).ceil() as u32, "{need:?}");
        assert_eq!(need.tasks, 21, "1010 waiting at 50 a task: {need:?}");
    }

    #[test]
    fn a_surge_from_an_idle_queue_reads_its_growth_as_a_floor() {
        let mut rates = learned(30.0, 50.0);
        // The look before the surge: nothing waiting, the task not saturated.
        let idle = Look {
            in_flight: 0.0,
            ..look(0, 0.0, 1)
        };
        rates.looks = vec![idle, look(10, 55.0, 1)];
        let need = Need::of(&goal(), &rates, &look(20, 118.0, 1));
        let Basis::Rates { arrival, .. } = need.basis else {
            panic!("rates")
        };
        // 56 in the first 10 s: 336 a minute (the idle task's take unknown, so not
        // counted); 63 in the next and the busy task's 50 a minute: 428. The smaller.
        assert!((arrival - 336.0).abs() < 1e-9, "{arrival}");
    }

    #[test]
    fn a_give_back_leaves_room_for_a_count_that_came_in_low() {
        let full = Goal {
            utilization: 1.0,
            ..goal()
        };
        let need = Need::of(&full, &learned(150.0, 50.0), &look(0, 0.0, 3));
        // Three minutes of a Poisson count of 150 vary by sqrt(450): 4.7 %, three times.
        let expected = 3.0 * (1.0 + 3.0 / 450f64.sqrt()) * 1.1;
        assert!((need.give_back_level() - expected).abs() < 1e-9, "{need:?}");
        // A queue to drain is not noise: the drain term stands as it is.
        let draining = Need::of(&full, &learned(150.0, 50.0), &look(0, 500.0, 3));
        assert!((draining.give_back_level() - 11.0).abs() < 1e-9);
        let backlog = Need::of(&goal(), &Rates::default(), &look(0, 120.0, 1));
        assert!((backlog.give_back_level() - backlog.raw * 1.1).abs() < 1e-9);
    }

    #[test]
    fn the_room_for_noise_on_a_small_count_is_the_count_a_raise_would_doubt() {
        // Five jobs of 75 s in SQS's three minutes, a start-up not yet learned (three
        // deviations): the count could be 11.7, which a raise would read as 10.3.
        let jobs = Goal {
            backlog_per_task: 4.0,
            latency_seconds: Some(300),
            utilization: 1.0,
            prior_service: None,
        };
        let rates = Rates {
            arrival: Some(5.0 / 3.0),
            service: Some(0.8),
            samples: 3,
            ..Rates::default()
        };
        let need = Need::of(&jobs, &rates, &look(0, 0.0, 3));
        let high = 5.0 + 3.0 * 5f64.sqrt();
        let doubted = high - high.sqrt() * (1.0 - high / 20.0);
        let level = doubted / 3.0 / 0.8 * 1.1;
        assert!((need.give_back_level() - level).abs() < 1e-9, "{need:?}");
        assert_eq!(need.give_back_level().ceil(), 5.0, "undoubted, 6: {need:?}");
    }

    #[test]
    fn a_utilisation_target_leaves_a_tenth_before_a_raise_and_its_headroom_to_noise() {
        // (utilisation, tolerance): the HPA's 10 %, at most the headroom; none at 100 %.
        let cases = [
            (1.0, 0.0),
            (0.75, 0.1),
            (0.95, 1.0 / 0.95 - 1.0),
            (f64::NAN, 0.0),
        ];
        for (utilization, tolerance) in cases {
            let got = raise_tolerance(utilization);
            assert!((got - tolerance).abs() < 1e-9, "{utilization}: {got}");
        }
        // The gold tier's GPUs at 75 %, 50 requests a task-minute, 30 a minute after a
        // surge: 0.8 tasks' worth at the target. Three deviations of the count (90 in
        // three minutes) reach 1.05 at the target but 0.78 of the task's whole time:
        // the target's headroom takes the noise, and the give-back comes down to one.
        let gold = Goal {
            backlog_per_task: 50.0,
            latency_seconds: Some(60),
            utilization: 0.75,
            prior_service: None,
        };
        let after = Need::of(&gold, &learned(30.0, 50.0), &look(0, 0.0, 2));
        assert!(after.give_back_level() < 1.0, "{after:?}");
        // At 100 % the same noise is room: one task would be asked for again.
        let full = Goal {
            utilization: 1.0,
            ..gold
        };
        let steady = Need::of(&full, &learned(45.0, 50.0), &look(0, 0.0, 2));
        assert!(steady.give_back_level() > 1.0, "{steady:?}");
        // 10.5 tasks' worth on 10 is within the tenth; 11.2 is a raise. At 100 %, any.
        let at =
            |arrival: f64, goal: &Goal| Need::of(goal, &learned(arrival, 50.0), &look(0, 0.0, 10));
        assert!(!at(393.75, &gold).asks_more_than(10), "10.5 at 75 %");
        assert!(at(420.0, &gold).asks_more_than(10), "11.2 at 75 %");
        assert!(at(510.0, &full).asks_more_than(10), "10.2 at 100 %");
    }

    #[test]
    fn the_room_for_noise_is_the_start_ups_share_of_the_goal() {
        // (goal minutes, start-up seconds, deviations)
        let cases = [
            (1.0, Some(90.0), 3.0),  // a start-up longer than the goal: all of it
            (2.0, Some(90.0), 2.25), // 1.5 of 2 minutes
            (2.0, Some(60.0), 1.5),
            (5.0, Some(30.0), 1.0), // a tenth: at least a third
            (2.0, None, 3.0),       // unknown: all of it
            (2.0, Some(f64::NAN), 3.0),
            (2.0, Some(-60.0), 3.0),
            (0.0, Some(60.0), 3.0),
        ];
        for (goal_minutes, start_up, want) in cases {
            let got = noise_deviations(goal_minutes, start_up);
            assert!(
                (got - want).abs() < 1e-9,
                "{goal_minutes} {start_up:?}: {got}"
            );
        }
        // A 2-minute goal (100 a task at 50 a minute) and a 30 s start-up: a give-back
        // that noise proves wrong leaves 30 s of shortfall the queue absorbs within the
        // goal, so it leaves room for one deviation, not three.
        let full = Goal {
            utilization: 1.0,
            backlog_per_task: 100.0,
            ..goal()
        };
        let rates = Rates {
            start_up: Some(30.0),
            ..learned(150.0, 50.0)
        };
        let need = Need::of(&full, &rates, &look(0, 0.0, 3));
        let expected = 3.0 * (1.0 + 1.0 / 450f64.sqrt()) * 1.1;
        assert!((need.give_back_level() - expected).abs() < 1e-9, "{need:?}");
    }

    #[test]
    fn while_tasks_start_the_drain_waits_as_long_as_they_have() {
        let start = |at: i64, waiting: f64| Look {
            desired: 4,
            ..look(at, waiting, 1)
        };
        let mut rates = learned(150.0, 50.0);
        // Four asked for at 0; one running since. 600 wait after five minutes.
        rates.looks = (0..5)
            .map(|minute| start(minute * 60, 100.0 * minute as f64))
            .collect();
        let need = Need::of(&goal(), &rates, &start(300, 600.0));
        let Basis::Rates { drain, .. } = need.basis else {
            panic!("rates")
        };
        assert!(
            (drain - 600.0 / (50.0 * 5.0)).abs() < 1e-9,
            "over 5 minutes: {drain}"
        );
        assert!(
            (need.give_back_level() - 12.0 * 1.1).abs() < 1e-9,
            "a give-back keeps what drains the queue within the goal: the starting tasks"
        );
        // Once they run, the goal's minute again.
        let running = Look {
            desired: 4,
            ..look(360, 600.0, 4)
        };
        let need = Need::of(&goal(), &rates, &running);
        assert!(matches!(need.basis, Basis::Rates { drain, .. } if (drain - 12.0).abs() < 1e-9));
    }

    #[test]
    fn the_queue_carries_a_fraction_of_a_task_only_within_the_goal() {
        // 170 a minute at 50 a task (3.4 tasks' work), a 2-minute goal (100 a task),
        // 90 s start-ups: three tasks receive 300 within the goal, 240 of it the
        // queue may fill (CARRY_SHARE), and a start-up of the fraction adds 30.
        // (name, start-up s, desired, running, waiting, tasks)
        let cases = [
            ("three running, nothing waits", Some(90.0), 3, 3, 0.0, 3),
            ("a queue that still fits", Some(90.0), 3, 3, 210.0, 3),
            ("a queue that no longer fits", Some(90.0), 3, 3, 211.0, 4),
            ("four asked for, a queue left", Some(90.0), 4, 4, 30.0, 4),
            (
                "four asked for, the queue drained",
                Some(90.0),
                4,
                4,
                0.0,
                3,
            ),
            ("a start-up longer than the goal", Some(180.0), 3, 3, 0.0, 4),
            ("no start-up learned", None, 3, 3, 0.0, 4),
        ];
        let full = Goal {
            utilization: 1.0,
            backlog_per_task: 100.0,
            ..goal()
        };
        for (name, start_up, desired, running, waiting, tasks) in cases {
            let rates = Rates {
                start_up,
                ..learned(170.0, 50.0)
            };
            let now = Look {
                desired,
                ..look(0, waiting, running)
            };
            let need = Need::of(&full, &rates, &now);
            assert_eq!(need.tasks, tasks, "{name}: {need:?}");
            let Basis::Rates { carried, .. } = need.basis else {
                panic!("{name}: rates")
            };
            let carries = tasks == 3;
            assert_eq!(carried > 0.0, carries, "{name}: {need:?}");
            if carries {
                // A give-back comes down to the whole tasks: the queue is the
                // hysteresis, not a tenth more.
                assert_eq!(need.give_back_level(), need.raw, "{name}");
            }
        }
        // Less than a task's work, or whole tasks exactly: nothing to carry.
        let rates = Rates {
            start_up: Some(90.0),
            ..learned(20.0, 50.0)
        };
        let need = Need::of(&full, &rates, &look(0, 0.0, 1));
        assert!(matches!(need.basis, Basis::Rates { carried, .. } if carried == 0.0));
        let rates = Rates {
            start_up: Some(90.0),
            ..learned(150.0, 50.0)
        };
        let need = Need::of(&full, &rates, &look(0, 0.0, 3));
        assert!(matches!(need.basis, Basis::Rates { carried, .. } if carried == 0.0));
        assert_eq!(need.tasks, 3);
    }

    #[test]
    fn a_cluster_of_jobs_is_drained_not_kept_up_with() {
        // Jobs of 75 s, a 5-minute goal, one task busy and one job behind it.
        let jobs = Goal {
            backlog_per_task: 4.0,
            latency_seconds: Some(300),
            utilization: 0.8,
            prior_service: None,
        };
        let counted = |arrival: f64| Rates {
            arrival: Some(arrival),
            service: Some(0.8),
            samples: 3,
            ..Rates::default()
        };
        // Three jobs in SQS's three minutes read 1.56 tasks' work; doubted, 0.8 of
        // one: the one task works through them within the goal.
        let cluster = Need::of(&jobs, &counted(1.0), &look(0, 1.0, 1));
        assert_eq!(cluster.tasks, 1, "{cluster:?}");
        let Basis::Rates { keep_up, .. } = cluster.basis else {
            panic!("rates")
        };
        assert!(
            (keep_up - 1.5625).abs() < 1e-9,
            "the reading itself stands: {keep_up}"
        );
        // Thirty in three minutes is a rate: 10 a minute keeps 16 tasks busy.
        let rate = Need::of(&jobs, &counted(10.0), &look(0, 1.0, 1));
        assert_eq!(rate.tasks, 16, "{rate:?}");
    }

    #[test]
    fn capacity_utilization_is_the_need_against_desired() {
        let need = Need::of(&goal(), &learned(500.0, 50.0), &look(0, 0.0, 4));
        assert_eq!(need.utilization(4), 100.0 * need.raw / 4.0);
        assert_eq!(need.utilization(0), 100.0 * need.raw);
        // Idle: one task's worth, so a scale-in never asks for zero; asleep, at target.
        let idle = Need::of(&goal(), &learned(0.0, 50.0), &look(0, 0.0, 2));
        assert_eq!(idle.raw, 0.0);
        assert_eq!(idle.utilization(2), 50.0);
        assert_eq!(idle.utilization(0), 100.0);
    }
}
