//! Why a look decides what it decides, as values: the watcher's report, its log, the
//! simulator and `sluicectl why` render them with one `Display`.

use std::fmt;

use serde::Serialize;

use super::facts::Floor;
use super::idle::IdleWait;
use super::state::Transition;

/// Why one look wakes, sleeps or leaves a service as it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// Work to wake for, and how many tasks.
    Wake {
        by: WakeCause,
        count: WakeSize,
    },
    /// Asleep after its idle wait, or on a manual sleep.
    Sleep(SleepCause),
    /// A push to a service seen awake moments ago: the idle clock reset.
    SeenAwake {
        desired: u32,
        seconds_ago: i64,
    },
    /// A manual sleep on a sleeping service.
    AlreadyAsleep,
    AsleepNoActivity,
    /// Activity, but the scalable target's MaxCapacity is 0.
    MaxCapacityZero,
    /// Another invocation claimed the transition.
    Claimed(Transition),
    /// A floor above zero: the service never sleeps.
    Floor(Floor),
    Busy {
        backlog: u64,
    },
    /// Tasks still starting: the idle clock waits.
    Starting {
        running: u32,
        desired: u32,
    },
    /// Activity without a backlog (the activation metric, a push).
    BusyActivity,
    /// Idle, not yet for the whole wait.
    Idle {
        seconds: i64,
        of: i64,
    },
    /// Idle for the wait, but woken less than `min_awake_minutes` ago.
    MinAwake {
        awake: i64,
        minutes: u32,
    },
    /// Work waiting `waited` seconds of the `room` the latency goal leaves before a
    /// wake ([`super::wake_room`]).
    WakePutOff {
        waited: i64,
        room: i64,
    },
    /// A sleep task protection keeps from happening.
    Blocked {
        by: Block,
        sleep: SleepCause,
    },
}

/// What a wake is for.
#[derive(Debug, Clone, PartialEq)]
pub enum WakeCause {
    /// A push (SNS, an alarm, a manual wake), as it names itself.
    Push(String),
    Metric,
    Priority {
        messages: u64,
    },
    Backlog {
        backlog: u64,
        threshold: u64,
    },
}

/// How many tasks a wake starts, and how that count was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct WakeSize {
    pub to: u32,
    pub basis: WakeBasis,
    /// Moved into the scalable target's bounds (min, max) to this count.
    pub within_bounds: Option<(u32, u32, u32)>,
    /// Held at capacity.max.
    pub within_max: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WakeBasis {
    /// A push reads no backlog: `wake_tasks`.
    Pushed { wake_tasks: u32 },
    /// `wake: fixed` (or no usable backlog per task): `wake_tasks`.
    Fixed { wake_tasks: u32 },
    /// The backlog over the backlog per task, raised to `wake_tasks` or held at
    /// capacity.max.
    Backlog {
        backlog: u64,
        per_task: f64,
        need: u32,
        adjusted: Option<Adjusted>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Adjusted {
    RaisedToWakeTasks(u32),
    CappedAtMax(u32),
}

/// Why a sleep is due.
#[derive(Debug, Clone, PartialEq)]
pub enum SleepCause {
    Manual,
    /// Idle for `seconds`, the `wait` over.
    Idle {
        seconds: i64,
        wait: IdleWait,
    },
}

/// What keeps a sleep from happening.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Protected { tasks: u32 },
    ProtectionUnknown(String),
    ProtectionNotRead,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Wake { by, count } => write!(f, "{by}; {} task(s): {count}", count.to),
            Why::Sleep(cause) => write!(f, "{cause}"),
            Why::SeenAwake {
                desired,
                seconds_ago,
            } => write!(
                f,
                "awake ({desired} tasks seen {seconds_ago}s ago): idle clock reset"
            ),
            Why::AlreadyAsleep => f.write_str("already asleep: a manual sleep never wakes"),
            Why::AsleepNoActivity => f.write_str("asleep, no activity"),
            Why::MaxCapacityZero => {
                f.write_str("activity, but the scalable target's MaxCapacity is 0")
            }
            Why::Claimed(Transition::Wake) => {
                f.write_str("wake already claimed by another invocation")
            }
            Why::Claimed(Transition::Sleep) => {
                f.write_str("sleep already claimed by another invocation")
            }
            Why::Floor(floor) => write!(f, "{floor}: never sleeps"),
            Why::Busy { backlog } => write!(f, "busy: backlog {backlog}"),
            Why::Starting { running, desired } => write!(
                f,
                "starting: {running} of {desired} task(s) running; the idle clock waits"
            ),
            Why::BusyActivity => f.write_str("busy: activity"),
            Why::Idle { seconds, of } => write!(f, "idle for {seconds}s of {of}s"),
            Why::MinAwake { awake, minutes } => write!(
                f,
                "idle, but woken {awake}s ago: min_awake_minutes {minutes}"
            ),
            Why::Blocked { by, sleep } => write!(f, "blocked: {by} ({sleep})"),
            Why::WakePutOff { waited, room } => write!(
                f,
                "work waiting {waited}s of the {room}s its latency goal leaves before a wake"
            ),
        }
    }
}

impl fmt::Display for WakeCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WakeCause::Push(what) => f.write_str(what),
            WakeCause::Metric => f.write_str("activation metric above its threshold"),
            WakeCause::Priority { messages } => {
                write!(f, "{messages} message(s) on a priority queue")
            }
            WakeCause::Backlog { backlog, threshold } => {
                write!(
                    f,
                    "backlog {backlog} above activation threshold {threshold}"
                )
            }
        }
    }
}

impl fmt::Display for WakeSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.basis {
            WakeBasis::Pushed { wake_tasks } => {
                write!(f, "wake_tasks {wake_tasks} (a push: backlog not read)")?;
            }
            WakeBasis::Fixed { wake_tasks } => write!(f, "wake_tasks {wake_tasks}")?,
            WakeBasis::Backlog {
                backlog,
                per_task,
                need,
                adjusted,
            } => {
                write!(f, "ceil(backlog {backlog} / {per_task} per task) = {need}")?;
                match adjusted {
                    Some(Adjusted::RaisedToWakeTasks(n)) => {
                        write!(f, ", raised to wake_tasks {n}")?
                    }
                    Some(Adjusted::CappedAtMax(max)) => {
                        write!(f, ", capped at capacity.max {max}")?
                    }
                    None => {}
                }
            }
        }
        if let Some((to, min, max)) = self.within_bounds {
            write!(f, ", {to} within the scalable target's {min}-{max}")?;
        }
        if let Some(max) = self.within_max {
            write!(f, ", {max} within capacity.max {max}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SleepCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SleepCause::Manual => f.write_str("manual sleep"),
            // Seconds while they read better: a poll's sleep comes seconds after its wait.
            SleepCause::Idle { seconds, wait } if *seconds < 120 => {
                write!(f, "idle for {seconds}s ({wait})")
            }
            SleepCause::Idle { seconds, wait } => {
                write!(f, "idle for {} min ({wait})", seconds / 60)
            }
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Block::Protected { tasks } => write!(f, "{tasks} task(s) protected"),
            Block::ProtectionUnknown(why) => write!(f, "task protection unknown: {why}"),
            Block::ProtectionNotRead => f.write_str("task protection not read"),
        }
    }
}

/// Reports and logs carry the words.
impl Serialize for Why {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
