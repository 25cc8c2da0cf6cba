//! Messages arriving a minute, as the keep-up term reads them: SQS's count (a few
//! minutes late), doubted while it is a handful ([`sure_arrival`]), and the queue's
//! own growth while every task works ([`growth`]), fresher, so a surge is met before
//! SQS says so.

use super::rates::{ARRIVAL_MINUTES, Look, Rates, finite};
use crate::queue::STALE_READ_SECONDS;

/// Messages in SQS's count over [`ARRIVAL_MINUTES`] below which a raise doubts it
/// ([`sure_arrival`]). On the NASA iPSC jobs with 4-7 minute start-ups (a job every
/// few minutes, 75 s each; `infra/bench.sh control`) doubting counts below 20 billed
/// 5 % less at the same late minutes; below 10 with the whole deviation, 7 % less
/// but 3 % more late minutes there and on alibaba-genai; counts of web traffic (50 to
/// thousands) are never doubted.
pub const SMALL_COUNT: f64 = 20.0;

/// Seconds each interval a growth reading spans lasts at least: shorter, a few
/// messages more or less read as a rate. Longer where a message takes longer
/// ([`growth_interval`]).
const GROWTH_INTERVAL_SECONDS: i64 = 10;

/// What arrives a minute, read two ways.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// The best reading: the count, or the growth when it shows more.
    pub now: f64,
    /// What a raise keeps up with: the count doubted while small, or the growth.
    pub sure: f64,
}

impl Arrival {
    /// Nothing waiting and nothing in hand: whatever SQS counted a few minutes ago, no
    /// task has work now.
    pub const NONE: Arrival = Arrival {
        now: 0.0,
        sure: 0.0,
    };

    /// The readings for a look at a queue served at `service` messages a task-minute,
    /// growth read once `surge` messages wait.
    pub fn read(rates: &Rates, now: &Look, service: f64, surge: f64) -> Arrival {
        let counted = rates.arrival.map_or(0.0, finite);
        let growing = growth(rates, now, service, surge);
        Arrival {
            now: counted.max(growing),
            sure: sure_arrival(counted).max(growing),
        }
    }
}

/// The arrival rate a raise keeps up with, from SQS's count of `counted` messages a
/// minute over [`ARRIVAL_MINUTES`]: under [`SMALL_COUNT`] messages, the count less its
/// standard deviation (Poisson counts: their square root), the doubt fading as the
/// count grows; from there on, the count. A job every few minutes counts 1 to 5 and
/// the next three minutes may bring none or twice as many; a raise on such a count
/// starts a task that arrives a start-up later to a cluster already served, then is
/// held through the give-back window. The drain term still asks for what the jobs
/// waiting need, so a real rise is met as its queue shows. Never above the count, and
/// never lower for a larger one.
pub fn sure_arrival(counted: f64) -> f64 {
    let minutes = ARRIVAL_MINUTES as f64;
    let messages = finite(counted) * minutes;
    if messages >= SMALL_COUNT {
        return finite(counted);
    }
    let doubt = messages.sqrt() * (1.0 - messages / SMALL_COUNT);
    (messages - doubt).max(0.0) / minutes
}

/// Messages arriving a minute as the queue's growth shows them (0 when it shows
/// nothing): when a queue of at least `surge` messages grows while every task works,
/// fresher than SQS's counts, so a surge is met before SQS says so. The growth is read over
/// the two latest intervals of at least [`growth_interval`] that end now, and
/// the smaller reading taken: a rate shows in both, a batch dropped at once in one
/// only (its messages are the drain term's, not a rate to keep up with). Below
/// `surge` waiting (half a task's acceptable backlog) growth is a bunch of arrivals.
/// Each end of an interval is the queue as [`freshest`] reads it.
pub fn growth(rates: &Rates, now: &Look, service: f64, surge: f64) -> f64 {
    if !now.saturated() || now.waiting < surge {
        return 0.0;
    }
    let interval = growth_interval(service);
    let before = |later: &Look| {
        rates
            .looks
            .iter()
            .rev()
            .find(|l| later.at.saturating_sub(l.at) >= interval)
            .copied()
    };
    let Some(middle) = before(now) else {
        return 0.0;
    };
    let Some(first) = before(&middle) else {
        return 0.0;
    };
    let [first, middle, now] = [first, middle, *now].map(|at| freshest(rates, &at));
    finite(arriving(&first, &middle, service).min(arriving(&middle, &now, service)))
}

/// The queue at `at` as the reads up to it show it freshest: of the looks taken within
/// a stale read's minute before it ([`STALE_READ_SECONDS`]), `at` included, the counts
/// of the one that shows the most messages. Each read shows the queue at some moment
/// of the last minute; while it grows, the read showing most is the one nearest now.
/// Two single reads ten seconds apart may show moments a minute apart: a fresh read
/// after a stale one read a 40-message job that came at 20 a minute as 45-66 a minute,
/// and 4-6 tasks for its 2. Where reads are fresh, the largest of the last minute is
/// the queue now while it grows (the reading a raise acts on), and the same at both
/// ends of an interval while it does not. Measured (`infra/bench.sh control`, 8
/// December 2026): the 18 rows' sum 22.91 -> 22.42 times the limit, minutes with a
/// late message 10916 -> 11159; with fresh counts 22.13 -> 22.11. The queue itself
/// read so (the drain term too) planned for queues already served: 24.15-25.54.
fn freshest(rates: &Rates, at: &Look) -> Look {
    let total = |l: &Look| l.waiting + l.in_flight;
    let most = rates
        .looks
        .iter()
        .filter(|l| l.at <= at.at && at.at.saturating_sub(l.at) <= STALE_READ_SECONDS)
        .fold(at, |best, l| if total(l) > total(best) { l } else { best });
    // The counts only: the tasks are ECS's, read fresh at `at`.
    Look {
        waiting: most.waiting,
        in_flight: most.in_flight,
        ..*at
    }
}

/// Seconds each interval of a growth reading spans: [`GROWTH_INTERVAL_SECONDS`], or a
/// message's service time when that is longer. Within less, a task may not have
/// finished a message since the last look, and the queue grows or shrinks by whole
/// messages as they happen to arrive and finish: a queue that grew by a few jobs of
/// 75 s each read as a rate of dozens a minute (12 raises to 5 or more tasks in a
/// fortnight of NASA iPSC jobs, each billed through a start-up and a give-back
/// window). Until 7 December 2026 the least was half a message: on the Alibaba GenAI
/// requests (30 s each, varying by 0.8 of that) two tasks' completions read as growth
/// asked for a third and a fourth task a start-up away, 650 raises in the fortnight.
/// A whole message billed 1.35 -> 1.25 times the limit there with 60-120 s start-ups
/// (minutes with a late message 259 -> 403, p95 1:40 -> 1:55 of a 2-minute goal;
/// KEDA: 1.32, 459, 2:00), 1.22 -> 1.14 with 4-7 minute ones, aws-elb 1.29 -> 1.26
/// with 4-7 minute start-ups (late minutes 3610 -> 3810); the sum over the 18 rows of
/// `infra/bench.sh control` 22.42 -> 22.19, late minutes 7224 -> 7687. Two messages:
/// 22.03 at 8890 late minutes, aws-elb's p95 at its goal.
fn growth_interval(service: f64) -> i64 {
    let a_message = 60.0 / service.max(f64::MIN_POSITIVE);
    (GROWTH_INTERVAL_SECONDS as f64)
        .max(a_message)
        .min(86_400.0)
        .round() as i64
}

/// Messages a minute that arrived between two looks, at least: what the queue grew
/// by, and what the tasks took when every one was busy at both looks.
fn arriving(from: &Look, to: &Look, service: f64) -> f64 {
    let minutes = to.at.saturating_sub(from.at) as f64 / 60.0;
    let grown = (to.waiting + to.in_flight) - (from.waiting + from.in_flight);
    let taken = if from.saturated() && to.saturated() {
        f64::from(from.running.min(to.running)) * service
    } else {
        0.0
    };
    grown / minutes + taken
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learned(arrival: f64) -> Rates {
        Rates {
            arrival: Some(arrival),
            service: Some(0.8),
            samples: 3,
            ..Rates::default()
        }
    }

    /// One task busy with `waiting` jobs behind it.
    fn busy(at: i64, waiting: f64) -> Look {
        Look {
            at,
            waiting,
            in_flight: 1.0,
            running: 1,
            desired: 1,
        }
    }

    #[test]
    fn a_small_count_is_doubted_a_large_one_is_not() {
        // (messages counted in three minutes, the count a raise keeps up with)
        let cases = [
            (0.0, 0.0),
            (1.0, 0.05),                       // one job: a twentieth of it
            (3.0, 3.0 - 3f64.sqrt() * 0.85),   // a cluster: half of it
            (10.0, 10.0 - 10f64.sqrt() * 0.5), // half the doubt
            (20.0, 20.0),                      // from here on, the count
            (450.0, 450.0),                    // a steady 150 a minute
            (f64::NAN, 0.0),
            (-3.0, 0.0),
        ];
        for (messages, sure) in cases {
            let got = sure_arrival(messages / 3.0) * 3.0;
            assert!((got - sure.max(0.0)).abs() < 1e-9, "{messages}: {got}");
        }
    }

    #[test]
    fn a_doubted_count_never_falls_as_the_count_rises() {
        let mut last = 0.0;
        for tenth in 0..400 {
            let counted = f64::from(tenth) / 30.0;
            let sure = sure_arrival(counted);
            assert!(
                sure >= last && sure <= counted,
                "{counted}: {sure} after {last}"
            );
            last = sure;
        }
    }

    #[test]
    fn jobs_joining_a_queue_are_a_rate_only_over_a_job_each() {
        // Jobs of 75 s (0.8 a task-minute) joining one a look every 10 s: within 75 s
        // a task may not have finished one, so no growth reading: a cluster, not 6 a
        // minute. Nor over 40 s (half a job and more).
        let mut rates = learned(1.0);
        rates.looks = vec![busy(0, 2.0), busy(10, 3.0), busy(20, 4.0)];
        let now = busy(30, 5.0);
        assert_eq!(growth(&rates, &now, 0.8, 2.0), 0.0);
        assert_eq!(Arrival::read(&rates, &now, 0.8, 2.0).now, 1.0);
        rates.looks = vec![busy(0, 2.0), busy(40, 5.0)];
        assert_eq!(growth(&rates, &busy(80, 8.0), 0.8, 2.0), 0.0);
        // The same queue read over two intervals of 80 s each: 6 jobs each, and the
        // busy task's 0.8: a rate of 5.3 a minute, fresher than the count of 1.
        rates.looks = vec![busy(0, 2.0), busy(80, 8.0)];
        let now = busy(160, 14.0);
        let read = Arrival::read(&rates, &now, 0.8, 2.0);
        assert!((read.now - 5.3).abs() < 1e-9, "{read:?}");
        assert_eq!(read.sure, read.now, "a growth reading is not doubted");
        // Messages of a second: the ten-second floor.
        assert_eq!(growth_interval(60.0), GROWTH_INTERVAL_SECONDS);
        assert_eq!(growth_interval(0.8), 75);
        assert_eq!(growth_interval(0.0), 86_400);
    }

    #[test]
    fn growth_is_read_between_the_freshest_reads_not_between_a_stale_and_a_fresh_one() {
        // One task serving 10 a minute, 20 a minute arriving: the queue waiting grows
        // by 10 a minute from 10, read every 5 s for a minute. Reads show the queue
        // `lag` seconds back (SQS's counts may be a minute stale).
        let queue = |t: i64| 10.0 + 10.0 * t as f64 / 60.0;
        let reads = |lag: &dyn Fn(i64) -> i64| -> Vec<Look> {
            (0..=12)
                .map(|i| busy(i * 5, queue(i * 5 - lag(i * 5))))
                .collect()
        };
        let read = |looks: Vec<Look>| {
            let (now, before) = looks.split_last().expect("thirteen looks");
            let mut rates = learned(0.0);
            rates.looks = before.to_vec();
            growth(&rates, now, 10.0, 5.0)
        };
        let fresh = read(reads(&|_| 0));
        assert!((fresh - 20.0).abs() < 1e-9, "fresh reads: {fresh}");
        // The two ends before now read 40 s and 20 s stale, the rest fresh: between
        // those single reads the queue seemed to grow 5 in each 10 s, 40 a minute.
        let stale = read(reads(&|t| match t {
            40 => 40,
            50 => 20,
            _ => 0,
        }));
        assert!((stale - 20.0).abs() < 1e-9, "two stale reads: {stale}");
        // Every read up to a minute stale, in a pattern: never more than the queue
        // grew over the interval and its minute of staleness.
        let lags = [0, 55, 10, 35, 60, 5, 25, 45, 15, 50, 30, 20, 0];
        let patterned = read(reads(&|t| lags[(t / 5) as usize]));
        assert!(
            (0.0..=30.0).contains(&patterned),
            "reads up to a minute stale: {patterned}"
        );
    }
}
