//! The clairvoyant limit: what the load needed, known in advance.
//!
//! Defined on the engine's own clock and queue (five-second ticks; a task receives one
//! message at a time and works on it for 60 / `per_task_per_minute` seconds), for a
//! latency goal `L`: every message received within `L` of its arrival.
//!
//! 1. **Ready tasks** (`ready`): a schedule that receives each message as late as
//!    the goal allows unless a task is free for it. Each tick the tasks at work go on,
//!    each taking the next messages when it finishes one; a message that has waited
//!    `L` and finds no free task gets a task of its own, started for it; a task left
//!    with nothing to do for a hold time `h` stops. At least `min_tasks` always run.
//!    So tasks run only while they work (and `h` after), and no more of them at once
//!    than the goal forces.
//! 2. **Start-ups** (`schedule`, `task_hours`): a task is billed while it starts. The
//!    clairvoyant schedule starts each task a start-up (the fastest draw, so that the
//!    limit is never flattered by a slow one) before it is needed, and keeps a task
//!    through a pause shorter than a start-up rather than stopping and starting it
//!    again: the ready tasks taken layer by layer (the k-th task runs while `k` are
//!    ready), each gap shorter than a start-up filled. Tasks warm at the start are
//!    already started.
//!
//! The limit is the cheapest of these schedules over the hold times of [`HOLDS`]
//! (holding a task a little smooths a bursty need into fewer, longer tasks). It is a
//! schedule a clairvoyant could run, the cheapest of a family, not a proof that none
//! is cheaper: `work_task_hours`, the messages' service time alone, is the bound below
//! any schedule whatever its start-ups and packing, and the report shows it beside.

use crate::clock::{TICK_SECONDS, TICKS_PER_MINUTE, spread};
use crate::queue::{Queue, Waits};
use crate::service::ServiceTimes;

/// What the limit is computed for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitSpec {
    pub per_task_per_minute: f64,
    /// The messages' service times vary as the run's do (`crate::service`): the same
    /// coefficient of variation and seed, so the limit meets each message's own size.
    pub service_cv: f64,
    pub seed: u64,
    pub latency_goal_seconds: i64,
    /// The fastest start-up, in seconds.
    pub startup_seconds: i64,
    /// Tasks warm at the start.
    pub initial: u32,
    /// Tasks that always run (the target's `capacity.min`).
    pub min_tasks: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limit {
    /// Ready tasks each tick.
    pub ready: Vec<u32>,
    /// The clairvoyant schedule's tasks each tick: ready ones and those kept through
    /// a short pause (starting ones are counted in `task_hours` only).
    pub schedule: Vec<u32>,
    pub work_task_hours: f64,
    pub task_hours: f64,
    pub starts: u32,
    pub peak: u32,
}

impl Limit {
    /// The schedule's tasks at the end of `minute`.
    pub fn at_minute(&self, minute: usize) -> u32 {
        let last = (minute + 1) * TICKS_PER_MINUTE as usize - 1;
        self.schedule.get(last).copied().unwrap_or(0)
    }
}

/// Seconds an idle task is held before it stops, in the schedules the limit is the
/// cheapest of.
pub const HOLDS: [i64; 8] = [0, 30, 60, 90, 120, 180, 300, 600];

/// The limit for `arrivals` (messages per minute, spread over each minute's ticks as
/// the engine spreads them).
pub fn limit(arrivals: &[u32], spec: LimitSpec) -> Limit {
    HOLDS
        .iter()
        .map(|hold| schedule(arrivals, spec, *hold))
        .min_by(|a, b| a.task_hours.total_cmp(&b.task_hours))
        .unwrap_or_default()
}

/// The clairvoyant schedule that holds an idle task `hold` seconds.
fn schedule(arrivals: &[u32], spec: LimitSpec, hold: i64) -> Limit {
    let (ready, busy_seconds) = ready_tasks(arrivals, spec, hold);
    let (schedule, starts) = fill_gaps(&ready, spec.startup_seconds, spec.initial);
    let hour_ticks = 3600.0 / TICK_SECONDS as f64;
    let on: u64 = schedule.iter().map(|n| u64::from(*n)).sum();
    let startup_hours = f64::from(starts) * spec.startup_seconds as f64 / 3600.0;
    Limit {
        work_task_hours: busy_seconds / 3600.0,
        task_hours: on as f64 / hour_ticks + startup_hours,
        starts,
        peak: ready.iter().copied().max().unwrap_or(0),
        schedule,
        ready,
    }
}

/// The ready tasks each tick (see the module's 1.), and the seconds of work done.
fn ready_tasks(arrivals: &[u32], spec: LimitSpec, hold: i64) -> (Vec<u32>, f64) {
    let goal_ticks = u64::try_from(spec.latency_goal_seconds / TICK_SECONDS).unwrap_or(0);
    let hold_ticks = u64::try_from(hold / TICK_SECONDS).unwrap_or(0);
    let times = ServiceTimes::of(spec.per_task_per_minute, spec.service_cv, spec.seed);
    // The limit stops only idle tasks (`Queue::release_idle`): no draw is made.
    let mut queue = Queue::serving(times, spec.seed);
    let mut waits = Waits::new();
    queue.staff(spec.min_tasks, 0);
    let mut ready = Vec::with_capacity(arrivals.len() * TICKS_PER_MINUTE as usize);
    let mut busy = 0.0;
    for (minute, arrived) in arrivals.iter().enumerate() {
        for within in 0..TICKS_PER_MINUTE {
            let tick = minute as u64 * TICKS_PER_MINUTE + within;
            queue.arrive(tick, spread(*arrived, within));
            busy += queue.work(tick, &mut waits).busy_seconds;
            while queue.due(tick, goal_ticks) > 0 {
                busy += queue.add_worker(tick, &mut waits).busy_seconds;
            }
            ready.push(queue.workers());
            queue.release_idle(spec.min_tasks, hold_ticks, tick);
        }
    }
    (ready, busy)
}

/// The ready tasks layer by layer, each pause shorter than a start-up kept running;
/// the schedule, and how many starts it pays for (see the module's 2.).
fn fill_gaps(ready: &[u32], startup_seconds: i64, initial: u32) -> (Vec<u32>, u32) {
    let peak = ready.iter().copied().max().unwrap_or(0);
    let mut schedule = vec![0u32; ready.len()];
    let mut starts = 0;
    for layer in 1..=peak {
        // The tick this layer was last on; a warm task was on "before the start".
        let mut last_on: Option<i64> = (layer <= initial).then_some(-1);
        for (tick, needed) in ready.iter().enumerate() {
            if *needed < layer {
                continue;
            }
            let tick = tick as i64;
            match last_on {
                Some(last) if (tick - last - 1) * TICK_SECONDS < startup_seconds => {
                    for kept in (last + 1).max(0)..tick {
                        schedule[kept as usize] += 1;
                    }
                }
                Some(last) if last + 1 == tick => {}
                _ => starts += 1,
            }
            schedule[tick as usize] += 1;
            last_on = Some(tick);
        }
    }
    (schedule, starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> LimitSpec {
        LimitSpec {
            per_task_per_minute: 60.0,
            service_cv: 0.0,
            seed: 7,
            latency_goal_seconds: 60,
            startup_seconds: 90,
            initial: 0,
            min_tasks: 0,
        }
    }

    #[test]
    fn a_steady_load_needs_its_share_and_one_start_per_task() {
        // 120 a minute at 60 a task: two tasks' work. The first message waits its
        // minute, then one task takes everything that waits, and a second joins when
        // the first cannot keep every message within the goal.
        let limit = limit(&[120; 60], spec());
        assert_eq!(&limit.ready[..12], &[0; 12], "the first minute may wait");
        assert_eq!(limit.peak, 2);
        assert_eq!(limit.ready[60..], [2; 660]);
        assert_eq!(limit.starts, 2);
        assert!((limit.work_task_hours - 2.0 * 59.0 / 60.0).abs() < 0.02);
        let startups = 2.0 * 90.0 / 3600.0;
        assert!(limit.task_hours >= limit.work_task_hours + startups);
    }

    #[test]
    fn the_limit_meets_each_message_at_the_size_the_run_does() {
        // Messages varying as the run's do: the limit's work is their drawn sizes.
        let spec = LimitSpec {
            service_cv: 1.0,
            ..spec()
        };
        let mut arrivals = [120; 30];
        arrivals[20..].fill(0);
        let varied = limit(&arrivals, spec);
        let times = ServiceTimes::of(60.0, 1.0, spec.seed);
        let work: f64 = (0..20u64 * 12)
            .map(|tick| {
                let count = spread(120, tick % 12);
                (0..count).map(|i| times.seconds(tick, i)).sum::<f64>()
            })
            .sum();
        assert!((varied.work_task_hours * 3600.0 - work).abs() < 1.0);
        assert!(varied.task_hours >= varied.work_task_hours);
    }

    #[test]
    fn a_long_message_holds_one_task_not_many() {
        // One job of 75 s (arriving in the minute's last tick, 11): one task for
        // fifteen ticks, started when it is due five minutes later.
        let limit = limit(
            &[1, 0, 0, 0, 0, 0, 0, 0],
            LimitSpec {
                per_task_per_minute: 0.8,
                latency_goal_seconds: 300,
                ..spec()
            },
        );
        assert_eq!(limit.peak, 1);
        assert_eq!(limit.ready.iter().sum::<u32>(), 15);
        assert_eq!(
            (limit.ready[70], limit.ready[71]),
            (0, 1),
            "received at its deadline"
        );
    }

    #[test]
    fn a_pause_shorter_than_a_start_up_is_kept_and_a_longer_one_is_not() {
        // A minute's work for one task, a pause, another minute's work, a long pause,
        // a third.
        let arrivals = [60, 0, 60, 0, 0, 0, 0, 0, 60, 0, 0];
        let limit = limit(&arrivals, spec());
        assert_eq!(limit.at_minute(2), 1, "kept through the short pause");
        assert_eq!(limit.at_minute(6), 0, "stopped for the long one");
        assert_eq!(limit.starts, 2);
        let warm = super::limit(
            &arrivals,
            LimitSpec {
                initial: 1,
                ..spec()
            },
        );
        assert_eq!(
            warm.starts, 1,
            "the warm task needs no start; the restart does"
        );
    }

    #[test]
    fn min_tasks_always_run() {
        let limit = limit(
            &[0; 10],
            LimitSpec {
                min_tasks: 2,
                initial: 2,
                ..spec()
            },
        );
        assert_eq!(limit.peak, 2);
        assert_eq!(limit.starts, 0);
        assert!((limit.task_hours - 2.0 * 10.0 / 60.0).abs() < 1e-9);
    }
}
