//! `sluicectl simulate`: a target's configuration run on a demand trace before it runs
//! for real, beside the peers it is measured against and the clairvoyant limit; and
//! `sluicectl profile learn`: a profile learned from a target's history ([`learn`]).
//! Deterministic for a given scenario and seed. No Lambda links this crate.
//!
//! Layout:
//! - [`clock`]: five-second ticks; [`queue`]: SQS as the functions see it;
//!   [`ecs`]: tasks that take seconds to start and are billed while they do;
//!   [`cloudwatch`]: one-minute periods readable a minute after they end;
//!   [`aas`]: what Application Auto Scaling does with the policies `sluicectl apply`
//!   puts.
//! - [`controller`]: Sluice's loop (its own code deciding), AWS's documented SQS
//!   recipe, and KEDA's SQS scaler with the HPA.
//! - [`engine`]: the tick loop; [`limit`]: what the load needed, known in advance;
//!   [`report`]: what a run means; [`scenario`], [`demand`]: what is run;
//!   [`workloads`]: the seed workloads and real traces; [`compare`]: controllers side
//!   by side.

pub mod aas;
pub mod attributes;
pub mod clock;
pub mod cloudwatch;
pub mod compare;
pub mod controller;
pub mod demand;
pub mod ecs;
pub mod engine;
pub mod learn;
pub mod levers;
pub mod limit;
pub mod queue;
pub mod report;
pub mod scenario;
pub mod service;
pub mod signals;
pub mod workloads;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sluice_core::config::Target;
use sluice_core::profile::Schedule;

pub use controller::Kind;
use ecs::{Latency, TaskModel};
pub use engine::Minute;
pub use levers::Changed;
use limit::{Limit, LimitSpec};

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
    /// What decides the service's size.
    pub controller: Kind,
    /// What each of the team's own metrics stands for (unsaid: the messages waiting).
    pub signals: signals::Signals,
    /// Seconds into each minute the zero-watcher's scheduled invocation starts, the
    /// metric publisher's starting the minute (0 to 59). The two schedules run a
    /// minute apart in no set order; 0 has the watcher read the record the publisher
    /// has just stored. See docs/simulate.md for how the figures move with it.
    pub watcher_phase_seconds: u32,
    /// How stale a GetQueueAttributes read may be, in seconds: each read returns the
    /// queue as it was at a moment drawn from the last this many (`crate::attributes`;
    /// 0: the queue as it is).
    pub sqs_count_lag_seconds: u32,
}

impl Scenario {
    /// How long a message may wait: the target's `latency_goal_seconds` when it
    /// declares one, else what `backlog_per_task` messages take one task at the
    /// scenario's throughput (AWS's "acceptable backlog per instance" read backwards);
    /// at least a tick.
    pub fn latency_goal_seconds(&self) -> i64 {
        if let Some(seconds) = self.target.latency_goal_seconds {
            return i64::from(seconds).max(clock::TICK_SECONDS);
        }
        let minutes = self.target.backlog_per_task / self.tasks.per_task_per_minute;
        let seconds = (minutes * 60.0).round();
        if seconds.is_finite() {
            (seconds as i64).max(clock::TICK_SECONDS)
        } else {
            clock::TICK_SECONDS
        }
    }

    /// What the clairvoyant limit is computed for: every start-up the fastest draw.
    pub fn limit_spec(&self) -> LimitSpec {
        let startup = match self.tasks.startup_seconds {
            Latency::Fixed(seconds) => seconds,
            Latency::Range([low, _]) => low,
        };
        self.limit_spec_starting_in(startup)
    }

    /// The limit's schedule paying the mean draw for every start-up, when start-ups
    /// are drawn from a range (None: a fixed start-up, the limit's own). Not the limit:
    /// what a clairvoyant whose tasks start as the controllers' do pays on average, so
    /// what no controller can beat on a load whose bill is mostly start-ups.
    pub fn mean_start_up_limit_spec(&self) -> Option<LimitSpec> {
        match self.tasks.startup_seconds {
            Latency::Fixed(_) => None,
            Latency::Range([low, high]) => {
                let mean = (u64::from(low) + u64::from(high.max(low))) / 2;
                Some(self.limit_spec_starting_in(u32::try_from(mean).unwrap_or(low)))
            }
        }
    }

    fn limit_spec_starting_in(&self, startup: u32) -> LimitSpec {
        LimitSpec {
            per_task_per_minute: self.tasks.per_task_per_minute,
            service_cv: self.tasks.service_cv,
            seed: self.seed,
            latency_goal_seconds: self.latency_goal_seconds(),
            startup_seconds: i64::from(startup),
            initial: self.initial_tasks,
            min_tasks: self.target.capacity.min,
        }
    }
}

/// A whole run: every minute, how long served messages waited, and the limit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    pub minutes: Vec<Minute>,
    /// `waits[t]`: messages served `t` ticks after they arrived.
    pub waits: Vec<u64>,
    pub limit: Limit,
}

/// Runs the scenario's controller on `arrivals` (messages per minute).
pub fn run(scenario: &Scenario, arrivals: &[u32]) -> Run {
    let mut controller = scenario.controller.build(scenario);
    let ran = engine::run(controller.as_mut(), scenario, arrivals);
    let limit = limit::limit(arrivals, scenario.limit_spec());
    let mut minutes = ran.minutes;
    for (index, minute) in minutes.iter_mut().enumerate() {
        minute.needed = limit.at_minute(index);
    }
    Run {
        minutes,
        waits: ran.waits,
        limit,
    }
}
