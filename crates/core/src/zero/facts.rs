//! What the watcher knows of a target when it looks: why it looks, the counts it read,
//! its tasks' protection and how a wake is sized.

use std::fmt;

use serde::Serialize;

use super::gaps::IdleGaps;
use crate::capacity::Rates;
use crate::facts::ScalableBounds;
use crate::queue::Backlog;

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
    /// The in-flight part of `backlog` ([`Facts::counted`]).
    pub in_flight: u64,
    /// Messages on priority queues: activity whatever the activation threshold.
    pub priority_backlog: u64,
    /// The in-flight part of `priority_backlog`.
    pub priority_in_flight: u64,
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
    /// What this invocation's polls saw since its last full look (nothing on a
    /// scheduled look, a push or a manual sleep).
    pub polled: Polled,
}

/// What the polls since the last full look saw, for the next one to keep: the newest
/// poll that saw work, the idle gaps that work ended, and the newest poll that saw
/// none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Polled {
    pub busy_at: Option<i64>,
    pub quiet_at: Option<i64>,
    /// The newest of them, as the state keeps them.
    pub gaps: IdleGaps,
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

/// What sizes a wake (the target's backlog per task and its configured maximum), and
/// the latency goal a wake's start-up is held against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sizing {
    pub backlog_per_task: f64,
    pub capacity_max: u32,
    /// How long a message may wait, when known: whether a wake makes work late.
    pub latency_goal_seconds: Option<u32>,
    /// How long the service's tasks take to start, as the load model learned it
    /// (`Rates::start_up`): how much of the goal a put-off wake leaves
    /// ([`super::wake_room`]).
    pub start_up_seconds: Option<f64>,
}

impl Sizing {
    /// For `target`, whose tasks serve `rates`' learned service rate (or its declared
    /// one): the latency goal is the load model's (`Goal::latency_minutes`), unknown
    /// when neither the goal nor a service rate is (a wake is then taken to make work
    /// late, the cautious side).
    pub fn of(target: &crate::config::Target, rates: Option<&Rates>) -> Sizing {
        let goal = target.goal();
        let unlearned = Rates::default();
        let service = rates.unwrap_or(&unlearned).service_or(goal.prior_service);
        let latency = match (goal.latency_seconds, service) {
            (Some(seconds), _) => Some(seconds),
            (None, Some(service)) => {
                let seconds = (goal.latency_minutes(service) * 60.0).round();
                // f64 -> u32 saturates; under a second is no goal a start-up meets.
                (seconds >= 1.0).then_some(seconds as u32)
            }
            (None, None) => None,
        };
        Sizing {
            backlog_per_task: target.backlog_per_task,
            capacity_max: target.capacity.max,
            latency_goal_seconds: latency,
            start_up_seconds: rates.and_then(|r| r.start_up),
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
    /// The backlog and the priority backlog a look counts: all of them while the
    /// service is awake (what its tasks hold is work in progress); asleep, what a task
    /// woken now could receive ([`Backlog::receivable`]). A sleeping service holds no
    /// message: one in flight is read staler than the sleep (SQS's counts may lag a
    /// minute), or was held by a task the sleep stopped, and no task woken for it can
    /// receive it before it is visible again, when it wakes the service as it is.
    pub fn counted(&self) -> (u64, u64) {
        if self.desired > 0 {
            return (self.backlog, self.priority_backlog);
        }
        Backlog {
            weighted: self.backlog,
            weighted_in_flight: self.in_flight,
            priority: self.priority_backlog,
            priority_in_flight: self.priority_in_flight,
            ..Backlog::default()
        }
        .receivable()
    }

    /// Whether a sleeping service's queues hold a message in flight: one its stopped
    /// task held (or a read older than the sleep showed), which comes back when its
    /// visibility timeout ends. Its user has waited since it was seen, so that time
    /// counts against the room a wake may be put off for ([`super::wake_room`]):
    /// otherwise the wake for a job a sleep stopped waits out the room on top of the
    /// timeout. On the NASA iPSC jobs with 60-120 s start-ups, over four draws
    /// (`sluicectl simulate --workloads --seed` 7, 1, 2, 3): 53 -> 37 minutes with a
    /// late message at 1.219 -> 1.225 times the limit.
    pub fn holds_returning(&self) -> bool {
        self.desired == 0 && self.in_flight.saturating_add(self.priority_in_flight) > 0
    }

    /// A floor above zero and who holds it: the scalable target's MinCapacity, or the
    /// prescaler's window floor on a service without one. A service with a floor
    /// never sleeps (the floor's owner decides when it ends).
    pub fn floor(&self) -> Option<Floor> {
        if let Some(bounds) = self.bounds
            && bounds.min > 0
        {
            return Some(Floor::MinCapacity(bounds.min));
        }
        self.prescaled
            .filter(|floor| *floor > 0)
            .map(Floor::Prescaled)
    }
}

/// A floor above zero and who holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    MinCapacity(u32),
    /// The prescaler's window floor on a service without a scalable target.
    Prescaled(u32),
}

impl fmt::Display for Floor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Floor::MinCapacity(min) => write!(f, "scalable target MinCapacity {min} > 0"),
            Floor::Prescaled(floor) => {
                write!(
                    f,
                    "the prescaler's window floor {floor} (no scalable target)"
                )
            }
        }
    }
}
