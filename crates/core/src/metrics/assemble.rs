//! From what the publisher read for a target to its reading: the backlog and the task
//! counts are needed (without them nothing is published for the target); the GPU,
//! the oldest message's age and the scaling changes are published without when they
//! cannot be read, and said; a target under the load model gets its need on the
//! stored rates, and the rates this look and SQS's complete minutes teach.

use std::fmt;

use crate::capacity::{Look, Need, QueueCounts, Rates, planned_start_up, queue_minutes};
use crate::config::Target;
use crate::facts::{GpuUtilization, TaskCounts};
use crate::queue::Backlog;
use crate::startup::StartUps;

use super::{Reading, scaling_changes};

/// What was read for one target; `E` is why a read failed.
pub struct Read<E> {
    pub backlog: Result<Backlog, E>,
    pub tasks: Result<TaskCounts, E>,
    /// Ok(None) without a GPU source or without a datapoint in the look-back window.
    pub gpu: Result<Option<GpuUtilization>, E>,
    /// The largest age of the oldest message over the target's queues; Ok(None) when
    /// SQS published none in the look-back window.
    pub oldest_age: Result<Option<f64>, E>,
    /// The desired counts the publisher wrote over the scaling-changes window, oldest
    /// first; Ok(None) when that count is off.
    pub desired_history: Result<Option<Vec<f64>>, E>,
    pub load: LoadRead<E>,
}

/// What the load model reads of a target under it (empty otherwise).
pub struct LoadRead<E> {
    /// SQS's per-minute counts of its queues.
    pub queue_counts: Result<Vec<QueueCounts>, E>,
    /// Its stored rates (None: none stored yet).
    pub rates: Result<Option<Rates>, E>,
    /// The start-ups the zero-watcher measured (none when none were, or they cannot be
    /// read: the need then plans with the record's own).
    pub start_ups: StartUps,
}

/// A part of the reading published without, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Left<E> {
    Gpu(E),
    /// A GPU source is configured and had no datapoint: never published as 0, which
    /// would invite a scale-in.
    GpuNoDatapoint,
    ScalingChanges(E),
    OldestAge(E),
    /// The stored rates could not be read: a need from no rates would be a guess.
    Need(E),
    /// SQS's counts could not be read: the need is published, the rates kept as they
    /// were.
    RatesNotRefreshed(E),
}

/// A target's reading, or why there is none, and what it is published without.
pub struct Assembled<E> {
    pub reading: Result<Reading, E>,
    /// The rates to store, for a target under the load model.
    pub rates: Option<Rates>,
    pub left: Vec<Left<E>>,
}

/// Assembles one target's reading at `now` (epoch seconds).
pub fn assemble<E>(target: &Target, read: Read<E>, now: i64) -> Assembled<E> {
    let mut left = Vec::new();
    let no_datapoint = target.gpu.is_some() && matches!(read.gpu, Ok(None));
    let gpu = optional(read.gpu, Left::Gpu, &mut left);
    if no_datapoint {
        left.push(Left::GpuNoDatapoint);
    }
    let history = optional(read.desired_history, Left::ScalingChanges, &mut left);
    let oldest_age = optional(read.oldest_age, Left::OldestAge, &mut left);
    let (backlog, tasks) = match (read.backlog, read.tasks) {
        (Ok(backlog), Ok(tasks)) => (backlog, tasks),
        (Err(error), _) | (_, Err(error)) => {
            return Assembled {
                reading: Err(error),
                rates: None,
                left,
            };
        }
    };
    let learned = learn(
        target,
        Look::of(now, &backlog, &tasks),
        read.load,
        now,
        &mut left,
    );
    let (need, rates) = learned.map_or((None, None), |(n, r)| (Some(n), Some(r)));
    let reading = Reading {
        backlog,
        tasks,
        gpu,
        oldest_age,
        scaling_changes: history.map(|h| scaling_changes(&h, tasks.desired)),
        need,
    };
    Assembled {
        reading: Ok(reading),
        rates,
        left,
    }
}

/// A reading the target is published without when it fails.
fn optional<T, E>(
    read: Result<Option<T>, E>,
    why: fn(E) -> Left<E>,
    left: &mut Vec<Left<E>>,
) -> Option<T> {
    read.unwrap_or_else(|error| {
        left.push(why(error));
        None
    })
}

/// The load model's turn for a target under it: the need now on the rates stored, and
/// the rates this look and SQS's complete minutes teach. None when the rates could not
/// be read.
fn learn<E>(
    target: &Target,
    look: Look,
    load: LoadRead<E>,
    now: i64,
    left: &mut Vec<Left<E>>,
) -> Option<(Need, Rates)> {
    if !target.scaling.uses_need() {
        return None;
    }
    let stored = match load.rates {
        Ok(stored) => stored.unwrap_or_default(),
        Err(error) => {
            left.push(Left::Need(error));
            return None;
        }
    };
    // The need plans with the start-up the watcher measured at its polls; the record
    // keeps the publisher's own, learned from its minute looks.
    let planned = stored.with_start_up(planned_start_up(&load.start_ups, stored.start_up, now));
    let need = Need::of(&target.goal(), &planned, &look);
    let minutes = match load.queue_counts {
        Ok(counts) => queue_minutes(&counts, now),
        Err(error) => {
            left.push(Left::RatesNotRefreshed(error));
            Vec::new()
        }
    };
    Some((need, stored.observe(look, &minutes)))
}

impl<E: fmt::Display> fmt::Display for Left<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Left::Gpu(error) => write!(f, "GPU metrics not published: {error}"),
            Left::GpuNoDatapoint => {
                f.write_str("no GPU datapoint in the look-back window: GPU metrics not published")
            }
            Left::ScalingChanges(error) => write!(f, "ScalingChanges not published: {error}"),
            Left::OldestAge(error) => write!(f, "OldestMessageAge not published: {error}"),
            Left::Need(error) => write!(f, "need not published: {error}"),
            Left::RatesNotRefreshed(error) => {
                write!(f, "SQS's counts not read, rates not refreshed: {error}")
            }
        }
    }
}
