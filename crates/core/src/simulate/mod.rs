//! `sluicectl simulate`: a target's configuration run minute by minute on a demand
//! trace, before it runs for real. Deterministic for a given scenario and seed.
//!
//! The decisions are Sluice's own code: the publisher's backlog (`crate::metrics`),
//! the zero-watcher's `crate::zero::decide`, the prescaler's floors
//! (`crate::profile::Schedule`, `crate::prescale::wanted_bounds`) and the policies
//! `sluicectl apply` would put (`crate::policy::declared`). What AWS does with them
//! is modelled: Application Auto Scaling in [`aas`], ECS in [`ecs`].
//!
//! Each minute: messages arrive; the zero-watcher looks (it polls every few seconds,
//! so it sees this minute's work); every 5 minutes the prescaler sets MinCapacity;
//! ECS starts or stops tasks; running tasks work through the queue; the publisher's
//! metrics are measured; Application Auto Scaling evaluates its alarms.

pub mod aas;
pub mod demand;
pub mod ecs;
pub mod report;
pub mod scenario;

use std::collections::VecDeque;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::config::Target;
use crate::facts::ScalableBounds;
use crate::policy;
use crate::prescale::{Hold, wanted_bounds};
use crate::profile::Schedule;
use crate::zero::{self, Cause, Decision, Facts, WatchState};
use ecs::{Ecs, TaskModel};

/// Which task count BacklogPerTask divides by. The publisher uses `Desired`
/// (docs/metrics.md says why); the others are here to show what they would do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Denominator {
    #[default]
    Desired,
    Running,
    RunningAndPending,
}

/// Everything one run needs besides the demand.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub target: Target,
    /// The target's profile, compiled; None without one.
    pub schedule: Option<Schedule>,
    pub start: Timestamp,
    pub tasks: TaskModel,
    pub denominator: Denominator,
    /// Tasks running when the run starts (0 for a service asleep).
    pub initial_tasks: u32,
    pub seed: u64,
}

/// What happened in one minute.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Minute {
    pub minute: u32,
    pub arrivals: u32,
    /// Waiting at the end of the minute, and being worked on.
    pub visible: u64,
    pub in_flight: u64,
    pub served: u64,
    pub running: u32,
    pub starting: u32,
    pub desired: u32,
    pub min_capacity: u32,
    /// Tasks the minute needed by the configuration's own goals: to keep up with
    /// arrivals (with GPUs at `gpu_utilization`, when set) and hold the backlog at
    /// `backlog_per_task`; at least MinCapacity, at most `capacity.max`.
    pub needed: u32,
    pub backlog_per_task: f64,
    /// Age of the oldest waiting message, in seconds.
    pub oldest_age: u32,
    /// What changed desiredCount or MinCapacity this minute, in order.
    pub changes: Vec<Changed>,
}

/// A change of desiredCount or MinCapacity, and who made it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Changed {
    Woke {
        to: u32,
        reason: String,
    },
    Slept {
        from: u32,
        reason: String,
    },
    ScaledOut {
        from: u32,
        to: u32,
        why: String,
    },
    ScaledIn {
        from: u32,
        to: u32,
        why: String,
    },
    /// The prescaler set MinCapacity (and AWS raised desiredCount to it if below).
    Floor {
        from: u32,
        to: u32,
    },
    RaisedToMin {
        from: u32,
        to: u32,
    },
    /// The prescaler set MaxCapacity: a window's cap, or its end.
    Cap {
        from: u32,
        to: u32,
    },
    /// A MaxCapacity below desired: Application Auto Scaling scales in to it.
    LoweredToMax {
        from: u32,
        to: u32,
    },
}

impl std::fmt::Display for Changed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Changed::Woke { to, reason } => write!(f, "woke 0 -> {to} ({reason})"),
            Changed::Slept { from, reason } => write!(f, "slept {from} -> 0 ({reason})"),
            Changed::ScaledOut { from, to, why } => write!(f, "scaled out {from} -> {to} ({why})"),
            Changed::ScaledIn { from, to, why } => write!(f, "scaled in {from} -> {to} ({why})"),
            Changed::Floor { from, to } => write!(f, "MinCapacity {from} -> {to} (profile)"),
            Changed::RaisedToMin { from, to } => {
                write!(f, "desired {from} -> {to} (MinCapacity)")
            }
            Changed::Cap { from, to } => write!(f, "MaxCapacity {from} -> {to} (profile)"),
            Changed::LoweredToMax { from, to } => {
                write!(f, "desired {from} -> {to} (MaxCapacity)")
            }
        }
    }
}

/// A whole run: every minute, and how long each served message waited.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Run {
    pub minutes: Vec<Minute>,
    /// `waits[w]`: messages served `w` minutes after they arrived.
    pub waits: Vec<u64>,
}

/// Runs the scenario on `arrivals` (messages per minute).
pub fn run(scenario: &Scenario, arrivals: &[u32]) -> Run {
    let mut state = State::new(scenario);
    let mut run = Run::default();
    for (minute, arrived) in arrivals.iter().enumerate() {
        let minute = u32::try_from(minute).unwrap_or(u32::MAX);
        let row = state.step(minute, *arrived, &mut run.waits);
        run.minutes.push(row);
    }
    run
}

/// What the simulation carries from minute to minute.
struct State<'s> {
    scenario: &'s Scenario,
    queue: VecDeque<(u32, u64)>,
    /// Work a partly used minute of capacity carries over (fractional throughput).
    carry: f64,
    ecs: Ecs,
    autoscaling: aas::Model,
    watch: WatchState,
    /// The last minute messages were received: SQS's NumberOfMessagesReceived, which
    /// the watcher reads as activity between looks.
    last_received: Option<i64>,
    desired: u32,
    min_capacity: u32,
    max_capacity: u32,
}

impl<'s> State<'s> {
    fn new(scenario: &'s Scenario) -> Self {
        // The simulation models Sluice-managed scaling, whatever `managed` says.
        let mut managed = scenario.target.clone();
        managed.scaling.managed = true;
        let declared =
            policy::declared(&managed, "Sluice", Hold::default()).unwrap_or(policy::Declared {
                bounds: wanted_bounds(&managed, Hold::default()),
                policies: Vec::new(),
                alarms: Vec::new(),
            });
        let warm = scenario.initial_tasks.min(managed.capacity.max);
        // Tasks already running when the run starts are warm; registering the scalable
        // target raises desiredCount to MinCapacity at once [aas: CONCEPTS].
        let ecs = Ecs::with_running(scenario.tasks.clone(), scenario.seed, warm);
        let desired = warm.max(declared.bounds.min);
        State {
            scenario,
            queue: VecDeque::new(),
            carry: 0.0,
            ecs,
            autoscaling: aas::Model::new(&declared),
            watch: WatchState::default(),
            last_received: None,
            desired,
            min_capacity: declared.bounds.min,
            max_capacity: declared.bounds.max,
        }
    }

    fn step(&mut self, minute: u32, arrived: u32, waits: &mut Vec<u64>) -> Minute {
        let now = self.seconds(minute);
        if arrived > 0 {
            self.queue.push_back((minute, u64::from(arrived)));
        }
        let mut changes = Vec::new();
        if minute.is_multiple_of(5) {
            self.prescale(minute, &mut changes);
        }
        self.watch(minute, now, &mut changes);
        self.ecs.reconcile(minute, self.desired);
        let running = self.ecs.running(minute);
        let served = self.serve(minute, running, waits);
        if served > 0 {
            self.last_received = Some(now);
        }
        let row = self.measure(minute, arrived, running, served);
        let signals = self.signals(&row, running, served);
        let bounds = ScalableBounds {
            min: self.min_capacity,
            max: self.max_capacity,
        };
        if let Some(scaled) = self
            .autoscaling
            .evaluate(now, self.desired, bounds, &signals)
        {
            let (from, to, why) = (self.desired, scaled.to, scaled.why);
            changes.push(if to > from {
                Changed::ScaledOut { from, to, why }
            } else {
                Changed::ScaledIn { from, to, why }
            });
            self.desired = to;
        }
        Minute {
            desired: self.desired,
            changes,
            ..row
        }
    }

    fn seconds(&self, minute: u32) -> i64 {
        self.scenario.start.as_second() + i64::from(minute) * 60
    }

    /// The prescaler's run: MinCapacity from the profile's floor now; Application
    /// Auto Scaling raises desiredCount to a new minimum at once [CONCEPTS].
    fn prescale(&mut self, minute: u32, changes: &mut Vec<Changed>) {
        let Some(schedule) = &self.scenario.schedule else {
            return;
        };
        let Ok(at) = Timestamp::from_second(self.seconds(minute)) else {
            return;
        };
        let ScalableBounds { min, max } =
            wanted_bounds(&self.scenario.target, schedule.floor_at(at).hold());
        if max != self.max_capacity {
            changes.push(Changed::Cap {
                from: self.max_capacity,
                to: max,
            });
            self.max_capacity = max;
        }
        // "If you specify a new maximum capacity that is less than the current capacity,
        // Application Auto Scaling scales in to the new maximum" (RegisterScalableTarget,
        // https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
        if self.desired > max {
            changes.push(Changed::LoweredToMax {
                from: self.desired,
                to: max,
            });
            self.desired = max;
        }
        if min != self.min_capacity {
            changes.push(Changed::Floor {
                from: self.min_capacity,
                to: min,
            });
            self.min_capacity = min;
        }
        if self.desired < min {
            changes.push(Changed::RaisedToMin {
                from: self.desired,
                to: min,
            });
            self.desired = min;
        }
    }

    /// The zero-watcher's look, with the real decision code.
    fn watch(&mut self, minute: u32, now: i64, changes: &mut Vec<Changed>) {
        let Some(settings) = &self.scenario.target.scale_to_zero else {
            return;
        };
        let facts = Facts {
            desired: self.desired,
            running: self.ecs.running(minute),
            backlog: self.backlog(minute),
            // Simulated queues are unweighted, without priority.
            priority_backlog: 0,
            metric_active: false,
            bounds: Some(ScalableBounds {
                min: self.min_capacity,
                max: self.max_capacity,
            }),
            recent_activity: self.last_received,
            // Simulated tasks never protect themselves.
            protection: zero::Protection::Clear,
        };
        let sizing = zero::Sizing::of(&self.scenario.target);
        let verdict = zero::decide(settings, sizing, &facts, &self.watch, &Cause::Poll, now);
        let reason = verdict.decision.reason().to_owned();
        let to = match &verdict.decision {
            Decision::Wake { to, .. } => {
                changes.push(Changed::Woke { to: *to, reason });
                *to
            }
            Decision::Sleep { .. } => {
                changes.push(Changed::Slept {
                    from: self.desired,
                    reason,
                });
                0
            }
            Decision::Stay { .. } => {
                self.watch = verdict.state;
                return;
            }
        };
        self.desired = to;
        self.watch = zero::confirmed(&verdict.state, to, now);
    }

    /// What is waiting (and was being worked on at the end of the last minute).
    fn backlog(&self, _minute: u32) -> u64 {
        self.queue.iter().map(|(_, count)| count).sum()
    }

    /// Running tasks work through the queue, oldest first; each served message's wait
    /// is counted in whole minutes.
    fn serve(&mut self, minute: u32, running: u32, waits: &mut Vec<u64>) -> u64 {
        let capacity = f64::from(running) * self.scenario.tasks.per_task_per_minute + self.carry;
        let mut budget = capacity.floor().max(0.0) as u64;
        self.carry = capacity - budget as f64;
        let mut served = 0;
        while budget > 0 {
            let Some((arrived, count)) = self.queue.front_mut() else {
                self.carry = 0.0;
                break;
            };
            let taken = (*count).min(budget);
            let wait = minute.saturating_sub(*arrived) as usize;
            if waits.len() <= wait {
                waits.resize(wait + 1, 0);
            }
            waits[wait] += taken;
            *count -= taken;
            budget -= taken;
            served += taken;
            if *count == 0 {
                self.queue.pop_front();
            }
        }
        served
    }

    fn measure(&self, minute: u32, arrived: u32, running: u32, served: u64) -> Minute {
        let visible: u64 = self.queue.iter().map(|(_, count)| count).sum();
        // A busy task holds a message in flight when the publisher looks.
        let in_flight = served.min(u64::from(running));
        let backlog = visible + in_flight;
        let starting = self.ecs.starting(minute);
        let denominator = match self.scenario.denominator {
            Denominator::Desired => self.desired,
            Denominator::Running => running,
            Denominator::RunningAndPending => running + starting,
        };
        Minute {
            minute,
            arrivals: arrived,
            visible,
            in_flight,
            served,
            running,
            starting,
            desired: self.desired,
            min_capacity: self.min_capacity,
            needed: self.needed(arrived, backlog),
            backlog_per_task: crate::metrics::backlog_per_task(backlog, denominator),
            oldest_age: self
                .queue
                .front()
                .map_or(0, |(at, _)| minute.saturating_sub(*at).saturating_mul(60)),
            changes: Vec::new(),
        }
    }

    /// See [`Minute::needed`]; a floor is capacity asked for, so it counts as needed.
    fn needed(&self, arrived: u32, backlog: u64) -> u32 {
        let target = &self.scenario.target;
        // A GPU policy asks for GPUs no busier than its target: that much more capacity.
        let busy = target
            .scaling
            .gpu_utilization
            .map_or(1.0, |percent| (percent / 100.0).clamp(0.01, 1.0));
        let per_task = self.scenario.tasks.per_task_per_minute * busy;
        let keep_up = (f64::from(arrived) / per_task).ceil();
        let hold = (backlog as f64 / target.backlog_per_task).ceil();
        let needed = keep_up.max(hold).min(f64::from(target.capacity.max)) as u32;
        needed.max(self.min_capacity)
    }

    fn signals(&self, row: &Minute, running: u32, served: u64) -> aas::Signals {
        let capacity = f64::from(running) * self.scenario.tasks.per_task_per_minute;
        aas::Signals {
            backlog_per_task: Some(row.backlog_per_task),
            // A task's GPU is busy while it works: no reading from no task.
            gpu_utilization: (running > 0).then(|| (served as f64 / capacity * 100.0).min(100.0)),
            oldest_message_age: Some(f64::from(row.oldest_age)),
            custom: Some(row.visible as f64),
            backlog: (row.visible + row.in_flight) as f64,
        }
    }
}
