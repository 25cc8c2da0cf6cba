//! How fast messages arrive and how fast a task serves them, learned from what the
//! functions read: SQS's own per-minute counts (`NumberOfMessagesSent`,
//! `NumberOfMessagesDeleted`) beside the publisher's looks at the queue and the tasks.
//!
//! The service rate comes from two readings of the same minutes:
//!
//! - **Saturated minutes** (at the looks on both sides, messages waiting and every
//!   running task holding one): what the tasks deleted is what they can do. With the
//!   same tasks running throughout, the minute is a sample; a task that started within
//!   it worked part of it, so such a minute only says the rate is at least what the
//!   most tasks could have done.
//! - **Little's law** on every minute no task started or stopped in: messages in hand
//!   = deletions a minute x the minutes each is held, so deletions over messages in
//!   hand (both smoothed over the minutes) is what one task finishes a minute while it
//!   works, whether or not the tasks kept up. It assumes a task holds one message at a
//!   time; a consumer holding several (prefetch) makes it an underestimate, so it only
//!   ever raises the rate. The messages in hand are read at the looks on both sides of
//!   the minute, so a minute in which tasks started reads the work of the tasks that
//!   ran against the few that held a message at a look: with start-ups drawn between
//!   60 and 120 s, tasks started between looks and a steady 150 a minute at 50 a task
//!   read 68 a task, and the need fell below the load's three tasks.
//!
//! A minute the tasks kept up says they can do at least what they did, which may raise
//! an estimate but never start one (a task keeping up with 3 messages a minute may do
//! 50). Until a rate is known the declared `messages_per_task_minute` stands in.

use serde::{Deserialize, Serialize};

/// A look at a target's queue and tasks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Look {
    /// Epoch seconds.
    pub at: i64,
    /// Messages waiting for a consumer: visible and delayed, weighted.
    pub waiting: f64,
    /// Messages received and not yet deleted, weighted.
    pub in_flight: f64,
    pub running: u32,
    pub desired: u32,
}

impl Look {
    /// Whether a stored look can be one taken by now: counts that are counts, a time
    /// not ahead of the clock, and minutes old (one from before yesterday is not this
    /// record's).
    fn plausible(&self, now: i64) -> bool {
        self.waiting.is_finite()
            && self.waiting >= 0.0
            && self.in_flight.is_finite()
            && self.in_flight >= 0.0
            && self.at <= now.saturating_add(crate::limits::CLOCK_SKEW_SECONDS)
            && self.at >= now.saturating_sub(86_400)
    }

    /// A look at `backlog` and `tasks` at `at`.
    pub fn of(at: i64, backlog: &crate::queue::Backlog, tasks: &crate::facts::TaskCounts) -> Look {
        let in_flight = backlog.weighted_in_flight.min(backlog.weighted);
        Look {
            at,
            waiting: (backlog.weighted - in_flight) as f64,
            in_flight: in_flight as f64,
            running: tasks.running,
            desired: tasks.desired,
        }
    }

    /// Every task busy and more waiting: what the tasks do now is what they can do.
    pub fn saturated(&self) -> bool {
        self.running > 0 && self.waiting > 0.0 && self.in_flight >= f64::from(self.running)
    }

    /// No task starting or stopping at this look or at `later`, and the same tasks
    /// running at both: the tasks seen are the tasks that worked between them.
    pub fn steady_with(&self, later: &Look) -> bool {
        self.running == self.desired
            && later.running == later.desired
            && self.running == later.running
    }
}

/// SQS's counts over a target's queues for one complete minute, weighted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QueueMinute {
    /// Epoch seconds of the minute's start.
    pub start: i64,
    pub sent: f64,
    pub deleted: f64,
}

/// What the publisher keeps of a target between runs (the load record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// The publisher's recent looks, oldest first.
    #[serde(default)]
    pub looks: Vec<Look>,
    /// Messages a running task finishes a minute, learned; None until measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<f64>,
    /// Saturated minutes the service rate was learned from.
    #[serde(default)]
    pub samples: u32,
    /// Messages arriving a minute over the newest complete minutes SQS counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<f64>,
    /// The newest minute already learned from: each minute counts once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_through: Option<i64>,
    /// Little's law, smoothed over the minutes: messages in hand, and deleted a minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_hand: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting: Option<f64>,
    /// Minutes Little's law has been smoothed over.
    #[serde(default)]
    pub little_minutes: u32,
    /// Seconds the service's tasks take to start, at least, smoothed over the
    /// start-ups seen: from the first look with fewer running than desired to the look
    /// they all ran at (`learn_start_up`). None until one is seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_up: Option<f64>,
}

/// Seconds after a minute ends before its SQS counts are taken as complete: CloudWatch
/// gives a minute still filling (or just ended) a part of its count.
pub const SETTLED_SECONDS: i64 = 60;

/// One queue's SQS counts, as CloudWatch gave them: (minute start, value) points.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueCounts {
    /// How much one of its messages counts (the queue's `weight`).
    pub weight: f64,
    pub sent: Vec<(i64, f64)>,
    pub deleted: Vec<(i64, f64)>,
}

/// The complete minutes of a target's queues at `now`: each a minute that ended at
/// least [`SETTLED_SECONDS`] ago with a count from every queue; a queue without a
/// point for a minute it was asked about sent or deleted nothing (CloudWatch gives no
/// datapoint where SQS counted none), a negative or non-finite count makes the minute
/// unknown.
pub fn queue_minutes(queues: &[QueueCounts], now: i64) -> Vec<QueueMinute> {
    let mut starts: Vec<i64> = queues
        .iter()
        .flat_map(|q| {
            q.sent
                .iter()
                .chain(&q.deleted)
                .map(|(at, _)| at.div_euclid(60) * 60)
        })
        .filter(|start| start + 60 + SETTLED_SECONDS <= now)
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let count = |points: &[(i64, f64)], start: i64| -> Option<f64> {
        let found = points
            .iter()
            .find(|(at, _)| at.div_euclid(60) * 60 == start);
        match found {
            None => Some(0.0),
            Some((_, value)) if value.is_finite() && *value >= 0.0 => Some(*value),
            Some(_) => None,
        }
    };
    starts
        .into_iter()
        .filter_map(|start| {
            let mut minute = QueueMinute {
                start,
                sent: 0.0,
                deleted: 0.0,
            };
            for queue in queues {
                minute.sent += count(&queue.sent, start)? * queue.weight;
                minute.deleted += count(&queue.deleted, start)? * queue.weight;
            }
            Some(minute)
        })
        .collect()
}

/// Looks kept: enough to bracket the minutes SQS reports two to three minutes late,
/// and to see a start-up of up to a quarter of an hour.
pub const LOOKS_KEPT: usize = 16;
/// No start-up Sluice plans with is longer than this (a stored one that is, is
/// corrupt): a day.
pub const MAX_START_UP: f64 = 86_400.0;
/// The watcher's poll looks kept beside them (a minute of five-second polls).
pub const POLL_LOOKS_KEPT: usize = 12;
/// No rate Sluice plans with is above this many messages a minute (a stored one that
/// is, is corrupt).
pub const MAX_RATE: f64 = 1e9;
/// The messages a task finishes a minute, declared or learned, lie in this range: one
/// every thousand minutes to a million a minute. Below it the need divides by nearly
/// nothing (a subnormal stored rate made it infinite, and every task up to the max).
pub const SERVICE_RATES: std::ops::RangeInclusive<f64> = 1e-3..=1e6;
/// Minutes of SQS counts the arrival rate averages.
pub const ARRIVAL_MINUTES: usize = 3;
/// Weight of a new saturated minute in the service rate.
const LEARNING_WEIGHT: f64 = 0.3;
/// How far from a minute's edge a look may be and still bracket it.
const BRACKET_SECONDS: i64 = 45;
/// Weight of a minute in Little's smoothed readings.
const LITTLE_WEIGHT: f64 = 0.2;
/// Minutes, and messages in hand on average, before Little's law is trusted.
const LITTLE_MINUTES: u32 = 3;
const LITTLE_IN_HAND: f64 = 0.5;

impl Rates {
    /// The rates after a look at `look` with SQS's complete `minutes` (any order, those
    /// already learned from are skipped).
    pub fn observe(&self, look: Look, minutes: &[QueueMinute]) -> Rates {
        let mut next = self.keeping(look, LOOKS_KEPT);
        let mut ordered: Vec<QueueMinute> = minutes.to_vec();
        ordered.sort_by_key(|m| m.start);
        for minute in &ordered {
            if next
                .learned_through
                .is_some_and(|done| minute.start <= done)
            {
                continue;
            }
            next.learn(minute);
            next.learned_through = Some(minute.start);
        }
        let recent: Vec<f64> = ordered
            .iter()
            .rev()
            .take(ARRIVAL_MINUTES)
            .map(|m| m.sent)
            .collect();
        if !recent.is_empty() {
            next.arrival = Some(recent.iter().sum::<f64>() / recent.len() as f64);
        }
        next
    }

    /// One minute's deletions against the tasks that ran through it.
    fn learn(&mut self, minute: &QueueMinute) {
        let end = minute.start + 60;
        let before = self.looks.iter().rev().find(|l| {
            l.at <= minute.start + BRACKET_SECONDS && l.at >= minute.start - BRACKET_SECONDS
        });
        let after = self
            .looks
            .iter()
            .find(|l| l.at >= end - BRACKET_SECONDS && l.at <= end + BRACKET_SECONDS);
        let (Some(before), Some(after)) = (before.copied(), after.copied()) else {
            return;
        };
        if !minute.deleted.is_finite() || minute.deleted < 0.0 {
            return;
        }
        if before.steady_with(&after) {
            self.learn_little(minute.deleted, (before.in_flight + after.in_flight) / 2.0);
        }
        let saturated = before.saturated() && after.saturated() && minute.deleted > 0.0;
        if saturated && before.running == after.running {
            let per_task = minute.deleted / f64::from(before.running);
            // A rate too high shows at once (the queue grows, the need rises, more
            // saturated minutes follow); one too low never would (tasks to spare, never
            // saturated again). So a sample above the estimate is taken at once, one
            // below only in part.
            self.service = Some(match self.service {
                Some(rate) if per_task < rate => rate + LEARNING_WEIGHT * (per_task - rate),
                _ => per_task,
            });
            self.samples = self.samples.saturating_add(1);
            return;
        }
        // Keeping up, or tasks starting within the minute, shows a floor of what a task
        // can do: the most tasks that could have done the work. It may raise an
        // estimate, never start one.
        let most = before.running.max(after.running);
        if most > 0 {
            self.raise(minute.deleted / f64::from(most), false);
        }
        if let Some(little) = self.little() {
            self.raise(little, true);
        }
    }

    /// A start-up seen: `look` has every task running, the looks before it a run of
    /// fewer running than desired that began after a look without one (so its start
    /// is known). The run's length is a start-up, at least: tasks asked for during it
    /// start later than its first.
    fn learn_start_up(&mut self, look: &Look) {
        if look.running < look.desired {
            return;
        }
        let starting = |l: &&Look| l.running < l.desired && l.at <= look.at;
        let run: Vec<&Look> = self.looks.iter().rev().take_while(starting).collect();
        let (Some(first), true) = (run.last(), run.len() < self.looks.len()) else {
            return;
        };
        let seconds = look.at.saturating_sub(first.at) as f64;
        if seconds <= 0.0 {
            return;
        }
        self.start_up = Some(match self.start_up {
            Some(old) => old + LEARNING_WEIGHT * (seconds - old),
            None => seconds,
        });
    }

    /// Smooths the minute's deletions and messages in hand into Little's readings.
    fn learn_little(&mut self, deleted: f64, in_hand: f64) {
        if !in_hand.is_finite() || in_hand < 0.0 {
            return;
        }
        let smooth = |old: Option<f64>, new: f64| {
            Some(old.map_or(new, |old| old + LITTLE_WEIGHT * (new - old)))
        };
        self.in_hand = smooth(self.in_hand, in_hand);
        self.deleting = smooth(self.deleting, deleted);
        self.little_minutes = self.little_minutes.saturating_add(1);
    }

    /// What one task finishes a minute while it works, by Little's law, once enough
    /// minutes and messages in hand say so.
    pub fn little(&self) -> Option<f64> {
        let (in_hand, deleting) = (self.in_hand?, self.deleting?);
        (self.little_minutes >= LITTLE_MINUTES && in_hand >= LITTLE_IN_HAND)
            .then(|| deleting / in_hand)
            .filter(|rate| rate.is_finite() && *rate > 0.0)
    }

    /// Raises the service rate to `floor`; `may_start` lets it set a first estimate.
    fn raise(&mut self, floor: f64, may_start: bool) {
        if !floor.is_finite() || floor <= 0.0 {
            return;
        }
        match self.service {
            Some(rate) if floor > rate => self.service = Some(floor),
            None if may_start => self.service = Some(floor),
            _ => {}
        }
    }

    /// The service rate to plan with: the learned one, else the declared prior.
    pub fn service_or(&self, prior: Option<f64>) -> Option<f64> {
        // A learned rate outside the range (a minute's odd counts) is clamped into it:
        // planned with, it never divides the need by nearly nothing.
        let (low, high) = (*SERVICE_RATES.start(), *SERVICE_RATES.end());
        self.service
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| r.clamp(low, high))
            .or(prior)
            .filter(|r| SERVICE_RATES.contains(r))
    }

    /// The record planning with `start_up` (`starting::planned_start_up`).
    pub fn with_start_up(&self, start_up: Option<f64>) -> Rates {
        Rates {
            start_up,
            ..self.clone()
        }
    }

    /// When the publisher stored this record: its newest look (None: none yet).
    pub fn stored_at(&self) -> Option<i64> {
        self.looks.last().map(|l| l.at)
    }

    /// The record with a look taken between the publisher's (the watcher's poll): kept
    /// for the growth of the queue, never learned from, never stored.
    pub fn with_look(&self, look: Look) -> Rates {
        self.keeping(look, LOOKS_KEPT + POLL_LOOKS_KEPT)
    }

    fn keeping(&self, look: Look, kept: usize) -> Rates {
        let mut next = self.clone();
        next.learn_start_up(&look);
        next.looks.push(look);
        let excess = next.looks.len().saturating_sub(kept);
        next.looks.drain(..excess);
        next
    }

    /// The record as stored, with what cannot be right about it dropped (a look with
    /// counts that are not counts, a rate that is not a rate, a time ahead of `now`)
    /// and one note per thing dropped: a corrupt record costs what it held, never a
    /// run.
    pub fn sanitized(&self, now: i64) -> (Rates, Vec<String>) {
        let mut notes = Vec::new();
        let rate = |name: &str, value: Option<f64>, notes: &mut Vec<String>| {
            let fine = |v: f64| v.is_finite() && (0.0..=MAX_RATE).contains(&v);
            kept(
                value,
                fine,
                |v| format!("stored {name} {v} is not a rate: ignored"),
                notes,
            )
        };
        let looks: Vec<Look> = self
            .looks
            .iter()
            .filter(|look| {
                let fine = look.plausible(now);
                if !fine {
                    notes.push(format!("stored look at {} is not a look: ignored", look.at));
                }
                fine
            })
            .copied()
            .collect();
        let service = kept(
            self.service,
            |r| SERVICE_RATES.contains(&r),
            |r| format!("stored service rate {r} is not a service rate: ignored"),
            &mut notes,
        );
        let ahead = now.saturating_add(crate::limits::CLOCK_SKEW_SECONDS);
        let clean = Rates {
            looks,
            service,
            samples: if service.is_some() { self.samples } else { 0 },
            arrival: rate("arrival rate", self.arrival, &mut notes),
            learned_through: kept(
                self.learned_through,
                |at| at <= ahead,
                |at| format!("stored minute {at} is ahead of the clock: ignored"),
                &mut notes,
            ),
            in_hand: rate("messages in hand", self.in_hand, &mut notes),
            deleting: rate("deletions", self.deleting, &mut notes),
            little_minutes: self.little_minutes,
            start_up: kept(
                self.start_up,
                |s| s.is_finite() && s > 0.0 && s <= MAX_START_UP,
                |s| format!("stored start-up {s}s is not a start-up: ignored"),
                &mut notes,
            ),
        };
        (clean, notes)
    }
}

/// `value` when it is `fine`; otherwise none, and a note of what was dropped.
fn kept<T: Copy>(
    value: Option<T>,
    fine: impl Fn(T) -> bool,
    note: impl Fn(T) -> String,
    notes: &mut Vec<String>,
) -> Option<T> {
    value.filter(|v| {
        let ok = fine(*v);
        if !ok {
            notes.push(note(*v));
        }
        ok
    })
}

/// A count or rate as the load model reads it: finite and not negative, else 0 (an
/// odd reading plans nothing rather than a negative or infinite need).
pub(super) fn finite(value: f64) -> f64 {
    if value.is_finite() {
        value.max(0.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;
