//! How Application Auto Scaling scales a target, as data beside its capacity:
//! `sluicectl apply` turns it into the scalable target's policies (`crate::policy`),
//! and `sluicectl simulate` runs it on a demand trace (`crate::simulate`).
//!
//! Every target gets the target-tracking policy on its published `BacklogPerTask`,
//! whose target value is the target's `backlog_per_task`; the rest is optional.

use serde::{Deserialize, Serialize};

use crate::capacity::behavior::Behavior;
use crate::problem::Problem;

mod at_zero;
mod burst;
mod controller;
mod names;
mod predefined;
mod step_rule;
#[cfg(test)]
pub(crate) mod tests;
mod tracked;

pub use burst::{Burst, BurstStep};
pub use controller::{Controller, NoGiveBack, Tracks};
pub(crate) use names::{metric_problems, slug};
pub use predefined::{Predefined, PredefinedPolicy, Requests, Utilization};
pub use step_rule::{Compare, StepRule};
pub use tracked::{MissingMetric, TrackedMetric};

/// A target's `scaling:` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    /// false: `sluicectl apply` leaves the scalable target and its policies alone
    /// (they come from CloudFormation, e.g. infra/examples/worker-stack.yaml).
    #[serde(default = "yes")]
    pub managed: bool,
    /// What the main target-tracking policy tracks: `capacity` (the default),
    /// CapacityUtilization, the need against desired; or `backlog-per-task`, the loop
    /// before the load model (BacklogPerTask at `backlog_per_task`, a GPU policy of its
    /// own, no fast path and no give-back).
    #[serde(default, skip_serializing_if = "Tracks::is_default")]
    pub tracks: Tracks,
    /// Who sets desiredCount between Application Auto Scaling's bounds: `tracking`
    /// (the default: target tracking, with Sluice raising at once and giving back
    /// after a window) or `direct` (Sluice every look, with `behavior`).
    #[serde(default, skip_serializing_if = "Controller::is_default")]
    pub controller: Controller,
    /// Kubernetes HPA `behavior` for `controller: direct` (stabilisation windows, rate
    /// policies, selectPolicy); the HPA's defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<Behavior>,
    /// Percent of each task's time the need plans to keep busy with arrivals.
    #[serde(default = "Scaling::default_utilization")]
    pub utilization: f64,
    /// Seconds the need must stay below desired before Sluice gives capacity back
    /// (`controller: tracking`). Unset: the target's learned start-up, at least 60 s
    /// and at most 180 s (180 until one is learned); see
    /// [`crate::capacity::control::give_back_window`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub give_back_after_seconds: Option<u32>,
    /// Seconds after a scale-out before the next one may add more. Short, because
    /// Application Auto Scaling counts capacity already added during the cooldown,
    /// so a short one follows a surge without piling up tasks.
    #[serde(default = "Scaling::default_scale_out_cooldown")]
    pub scale_out_cooldown: u32,
    /// Seconds after a scale-in before the next one: AWS's default for ECS services.
    #[serde(default = "Scaling::default_scale_in_cooldown")]
    pub scale_in_cooldown: u32,
    /// Target tracking only adds tasks; something else (the zero-watcher, a person)
    /// removes them.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disable_scale_in: bool,
    /// A second target-tracking policy on the published `GpuUtilizationAverage`, in
    /// percent (e.g. 75): scale out when the GPUs are busy even if the backlog is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_utilization: Option<f64>,
    /// A target-tracking policy on SQS's age of the oldest message, in seconds (the
    /// largest over the target's queues): latency as a goal of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_message_age: Option<u32>,
    /// A target-tracking policy on a metric of the team's own (a run queue's depth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<TrackedMetric>,
    /// Several, each a policy of its own (`sluice-metric-<id>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<TrackedMetric>,
    /// "Above X for N minutes => +k tasks" (or below, removing), each a step policy
    /// on an alarm of its own (`sluice-step-<id>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_rules: Vec<StepRule>,
    /// A step policy on `Backlog` for surges, with an alarm that acts on one
    /// datapoint (target tracking waits for three).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<Burst>,
    /// Target tracking on the service's average CPU (`sluice-cpu-utilization`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "predefined::percent_or_long"
    )]
    pub cpu_utilization: Option<Utilization>,
    /// Target tracking on the service's average memory (`sluice-memory-utilization`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "predefined::percent_or_long"
    )]
    pub memory_utilization: Option<Utilization>,
    /// Target tracking on ALB requests per task (`sluice-requests-per-task`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_task: Option<Requests>,
}

fn yes() -> bool {
    true
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Scaling {
    /// Application Auto Scaling allows at most 20 step adjustments in a policy.
    pub const MAX_STEPS: usize = 20;
    /// Cooldowns above a day are a typo, not a policy.
    pub const MAX_COOLDOWN: u32 = 86_400;

    fn default_scale_out_cooldown() -> u32 {
        60
    }
    fn default_scale_in_cooldown() -> u32 {
        300
    }
    /// All of a task's time: rounding up to whole tasks leaves headroom already (a need
    /// of 3.2 runs 4), and the drain term adds tasks when a queue forms. Measured on
    /// the seed workloads and the real traces (docs/control.md): 90 % cost 4-10 % more
    /// task-hours for waits already well inside the goal.
    fn default_utilization() -> f64 {
        100.0
    }

    /// Whether Sluice's load model drives this target (not the loop before it).
    pub fn uses_need(&self) -> bool {
        self.tracks == Tracks::Capacity
    }

    /// Whether the zero-watcher sets this target's desired count on its need (raising
    /// at once, giving back, or under a behavior): the load model, with the policies
    /// Sluice owns. A target whose policies are someone else's is left to them.
    pub fn sluice_sets_desired(&self) -> bool {
        self.managed && self.uses_need()
    }

    /// The policies that track what the load model does not see (CPU, memory,
    /// requests, a team's own metric, the oldest message's age), by field name.
    pub fn unseen_signals(&self) -> Vec<&'static str> {
        [
            (self.cpu_utilization.is_some(), "cpu_utilization"),
            (self.memory_utilization.is_some(), "memory_utilization"),
            (self.requests_per_task.is_some(), "requests_per_task"),
            (self.metric.is_some(), "metric"),
            (!self.metrics.is_empty(), "metrics"),
            (!self.step_rules.is_empty(), "step_rules"),
            (self.oldest_message_age.is_some(), "oldest_message_age"),
        ]
        .into_iter()
        .filter_map(|(declared, field)| declared.then_some(field))
        .collect()
    }

    /// Whether the zero-watcher gives capacity back below desired. Not when scale-in
    /// is disabled, and not when a policy tracks a signal the need does not see:
    /// giving back what CPU or a team's metric asked for would be asked for again
    /// three minutes later. Then scale-in is Application Auto Scaling's alone, when
    /// every policy agrees (`sluice-capacity` included, its scale-in enabled).
    pub fn gives_back(&self) -> bool {
        self.no_give_back().is_none()
    }

    /// Why the zero-watcher does not give capacity back, when it does not.
    pub fn no_give_back(&self) -> Option<NoGiveBack> {
        let unseen = self.unseen_signals();
        if self.disable_scale_in {
            Some(NoGiveBack::ScaleInDisabled)
        } else if !unseen.is_empty() {
            Some(NoGiveBack::Unseen(unseen))
        } else {
            None
        }
    }

    /// The predefined-metric policies declared, in a fixed order.
    pub fn predefined(&self) -> Vec<PredefinedPolicy> {
        let utilization = |kind, u: &Option<Utilization>| {
            u.as_ref().map(|u| PredefinedPolicy {
                kind,
                metric_type: kind.metric_type(u.high_resolution),
                resource_label: None,
                target: u.target,
                scale_out_cooldown: u.scale_out_cooldown.unwrap_or(self.scale_out_cooldown),
                scale_in_cooldown: u.scale_in_cooldown.unwrap_or(self.scale_in_cooldown),
            })
        };
        let requests = self.requests_per_task.as_ref().map(|r| PredefinedPolicy {
            kind: Predefined::Requests,
            metric_type: Predefined::Requests.metric_type(false),
            resource_label: r.resource_label(),
            target: r.target,
            scale_out_cooldown: r.scale_out_cooldown.unwrap_or(self.scale_out_cooldown),
            scale_in_cooldown: r.scale_in_cooldown.unwrap_or(self.scale_in_cooldown),
        });
        [
            utilization(Predefined::Cpu, &self.cpu_utilization),
            utilization(Predefined::Memory, &self.memory_utilization),
            requests,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    pub fn is_default(&self) -> bool {
        *self == Scaling::default()
    }

    /// The problems of this block, under `path` (e.g. `targets[0].scaling`);
    /// `has_gpu` and `has_queues` say what the target can be tracked on.
    pub fn problems(&self, path: &str, has_gpu: bool, has_queues: bool) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut add = |field: &str, message: String| {
            problems.push(Problem::new(format!("{path}.{field}"), message));
        };
        self.number_problems(&mut add);
        self.controller_problems(has_queues, &mut add);
        self.signal_problems(has_gpu, has_queues, &mut add);
        self.undone_problems(&mut add);
        if !self.managed
            && *self
                != (Scaling {
                    managed: false,
                    ..Scaling::default()
                })
        {
            add(
                "managed",
                "is false, so nothing here would be applied: remove the policies or manage them"
                    .to_owned(),
            );
        }
        problems
    }

    /// Cooldowns, the utilisation the need plans with, the give-back window.
    fn number_problems(&self, add: &mut impl FnMut(&str, String)) {
        for (field, value) in [
            ("scale_out_cooldown", self.scale_out_cooldown),
            ("scale_in_cooldown", self.scale_in_cooldown),
        ] {
            if value > Self::MAX_COOLDOWN {
                add(
                    field,
                    format!("{value} s is more than a day ({})", Self::MAX_COOLDOWN),
                );
            }
        }
        if !(self.utilization.is_finite() && self.utilization >= 10.0 && self.utilization <= 100.0)
        {
            add(
                "utilization",
                format!(
                    "must be a percentage from 10 to 100, got {}",
                    self.utilization
                ),
            );
        }
        if let Some(seconds) = self
            .give_back_after_seconds
            .filter(|s| *s > Self::MAX_COOLDOWN)
        {
            add(
                "give_back_after_seconds",
                format!("{seconds} s is more than a day"),
            );
        }
    }

    /// Who sets desiredCount, and what it would contradict.
    fn controller_problems(&self, has_queues: bool, add: &mut impl FnMut(&str, String)) {
        if let Some(behavior) = &self.behavior {
            for problem in behavior.problems("behavior") {
                add(&problem.path, problem.message);
            }
            if self.controller != Controller::Direct {
                add(
                    "behavior",
                    "is for controller: direct; with target tracking it would do nothing"
                        .to_owned(),
                );
            }
        }
        if self.controller == Controller::Direct && !has_queues {
            add(
                "controller",
                "direct control sets desired from the need, and a target without queues has none"
                    .to_owned(),
            );
        }
        if self.controller == Controller::Direct && self.tracks == Tracks::BacklogPerTask {
            add(
                "controller",
                "direct control sets desired from the need; tracks: backlog-per-task has none"
                    .to_owned(),
            );
        }
    }

    /// A policy that direct control would undo every look.
    fn undone_problems(&self, add: &mut impl FnMut(&str, String)) {
        if let Some(field) = self.unseen_signals().first()
            && self.controller == Controller::Direct
        {
            add(
                field,
                "direct control sets desired from the need every look and would undo what this policy adds: use controller: tracking".to_owned(),
            );
        }
    }

    /// Each signal a policy or rule tracks, and what it needs of the target.
    fn signal_problems(&self, has_gpu: bool, has_queues: bool, add: &mut impl FnMut(&str, String)) {
        if let Some(percent) = self.gpu_utilization {
            if !(percent > 0.0 && percent <= 100.0) {
                add(
                    "gpu_utilization",
                    format!("must be a percentage above 0 and at most 100, got {percent}"),
                );
            }
            if !has_gpu {
                add(
                    "gpu_utilization",
                    "needs the target's gpu source: nothing publishes its utilisation".to_owned(),
                );
            }
        }
        if let Some(seconds) = self.oldest_message_age {
            if seconds == 0 {
                add("oldest_message_age", "must be at least 1 second".to_owned());
            }
            if !has_queues {
                add(
                    "oldest_message_age",
                    "needs queues: it tracks their oldest message".to_owned(),
                );
            }
        }
        tracked::problems(self.metric.as_ref(), &self.metrics, add);
        step_rule::problems(&self.step_rules, add);
        if let Some(burst) = &self.burst {
            burst.problems(add);
        }
        for (field, utilization) in [
            ("cpu_utilization", &self.cpu_utilization),
            ("memory_utilization", &self.memory_utilization),
        ] {
            if let Some(utilization) = utilization {
                utilization.problems(field, add);
            }
        }
        if let Some(requests) = &self.requests_per_task {
            requests.problems("requests_per_task", add);
        }
    }
}

impl Scaling {
    /// What is valid but likely not meant, under `path`; `sleeps`: the target scales
    /// to zero; `has_queues`: it names queues (a need to size it on).
    pub fn warnings(&self, path: &str, sleeps: bool, has_queues: bool) -> Vec<Problem> {
        let mut warnings = Vec::new();
        let mut warn = |field: &str, message: String| {
            warnings.push(Problem::new(format!("{path}.{field}"), message));
        };
        let tracking_in = self.cpu_utilization.is_some()
            || self.memory_utilization.is_some()
            || self.requests_per_task.is_some()
            || self.metric.is_some()
            || !self.metrics.is_empty()
            || self.oldest_message_age.is_some();
        let removes = self.step_rules.iter().any(|r| r.change() < 0);
        let adds_only = !self.step_rules.is_empty() && !removes;
        if self.managed && !has_queues && !sleeps && !tracking_in && adds_only {
            warn(
                "step_rules",
                "nothing scales this target in (no queues to size it on, no rule that removes tasks, no policy that tracks a target): it stays at the most its rules reached".to_owned(),
            );
        }
        if let Some(seconds) = self.give_back_after_seconds
            && self.no_give_back().is_some()
        {
            warn(
                "give_back_after_seconds",
                format!(
                    "{seconds} s is never used: the zero-watcher does not give back on this target"
                ),
            );
        }
        for (field, utilization) in [
            ("cpu_utilization", &self.cpu_utilization),
            ("memory_utilization", &self.memory_utilization),
        ] {
            if utilization.as_ref().is_some_and(|u| u.high_resolution) {
                warn(
                    &format!("{field}.high_resolution"),
                    "needs the service to publish the metric at 20 s (its monitoringConfiguration); without it the policy has no data and never acts".to_owned(),
                );
            }
        }
        let per_task = self.metric.iter().chain(&self.metrics).any(|m| m.per_task);
        if sleeps && per_task {
            warn(
                "metrics",
                "a per-task metric has no tasks to divide by while the service sleeps: it cannot wake it (the zero-watcher does)".to_owned(),
            );
        }
        warnings
    }
}

impl Default for Scaling {
    /// What a target without `scaling:` gets: managed, tracking CapacityUtilization
    /// (the need against desired), raising at once and giving back after a start-up
    /// (one to three minutes), with a 60 s scale-out and 300 s scale-in cooldown.
    fn default() -> Self {
        Scaling {
            managed: true,
            tracks: Tracks::default(),
            controller: Controller::default(),
            behavior: None,
            utilization: Self::default_utilization(),
            give_back_after_seconds: None,
            scale_out_cooldown: Self::default_scale_out_cooldown(),
            scale_in_cooldown: Self::default_scale_in_cooldown(),
            disable_scale_in: false,
            gpu_utilization: None,
            oldest_message_age: None,
            metric: None,
            metrics: Vec::new(),
            step_rules: Vec::new(),
            burst: None,
            cpu_utilization: None,
            memory_utilization: None,
            requests_per_task: None,
        }
    }
}
