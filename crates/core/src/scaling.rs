//! How Application Auto Scaling scales a target, as data beside its capacity:
//! `sluicectl apply` turns it into the scalable target's policies (`crate::policy`),
//! and `sluicectl simulate` runs it on a demand trace (`crate::simulate`).
//!
//! Every target gets the target-tracking policy on its published `BacklogPerTask`,
//! whose target value is the target's `backlog_per_task`; the rest is optional.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::capacity::behavior::Behavior;
use crate::problem::Problem;

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
    /// A step policy on `Backlog` for surges, with an alarm that acts on one
    /// datapoint (target tracking waits for three).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<Burst>,
}

/// A custom metric to track at a target value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackedMetric {
    pub namespace: String,
    pub metric: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default = "TrackedMetric::default_statistic")]
    pub statistic: String,
    /// The value to keep the metric at or below, e.g. 10 waiting runs.
    pub target: f64,
    /// An alarm when the metric stops arriving: target tracking does nothing on
    /// missing data, so a silent exporter would otherwise freeze the service's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<MissingMetric>,
}

/// Alarm (to an SNS topic) after `minutes` without one datapoint of the metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingMetric {
    /// The SNS topic to notify, e.g. the stack's `AlarmTopic` output.
    pub topic: String,
    #[serde(default = "MissingMetric::default_minutes")]
    pub minutes: u32,
}

impl MissingMetric {
    /// Five minutes: longer than an exporter's restart, shorter than a backlog
    /// piling up unnoticed while the service cannot scale.
    fn default_minutes() -> u32 {
        5
    }

    fn problems(&self, add: &mut impl FnMut(&str, String)) {
        let parts: Vec<&str> = self.topic.split(':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sns" {
            add(
                "metric.missing.topic",
                format!(
                    "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got {:?}",
                    self.topic
                ),
            );
        }
        // CloudWatch: evaluation periods x period at most one day.
        if !(1..=1440).contains(&self.minutes) {
            add(
                "metric.missing.minutes",
                format!("must be 1 to 1440, got {}", self.minutes),
            );
        }
    }
}

/// Step scaling on the target's `Backlog`: at each threshold, add that many tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    pub steps: Vec<BurstStep>,
    /// Seconds after a burst before the next one.
    #[serde(default = "Burst::default_cooldown")]
    pub cooldown: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstStep {
    /// Backlog at or above which this step applies.
    pub backlog: u64,
    /// Tasks to add.
    pub add: u32,
}

fn yes() -> bool {
    true
}

/// What the main target-tracking policy tracks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tracks {
    #[default]
    Capacity,
    BacklogPerTask,
}

impl Tracks {
    fn is_default(&self) -> bool {
        *self == Tracks::default()
    }
}

/// Who sets desiredCount between the bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Controller {
    #[default]
    Tracking,
    Direct,
}

impl Controller {
    fn is_default(&self) -> bool {
        *self == Controller::default()
    }
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
        if self.controller == Controller::Direct && self.tracks == Tracks::BacklogPerTask {
            add(
                "controller",
                "direct control sets desired from the need; tracks: backlog-per-task has none"
                    .to_owned(),
            );
        }
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
        if let Some(metric) = &self.metric {
            metric.problems(&mut add);
        }
        if let Some(burst) = &self.burst {
            burst.problems(&mut add);
        }
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
            burst: None,
        }
    }
}

impl TrackedMetric {
    pub const STATISTICS: [&'static str; 5] =
        ["Average", "Maximum", "Minimum", "Sum", "SampleCount"];

    fn default_statistic() -> String {
        "Average".to_owned()
    }

    fn problems(&self, add: &mut impl FnMut(&str, String)) {
        if self.namespace.trim().is_empty() {
            add("metric.namespace", "must not be empty".to_owned());
        }
        if self.metric.trim().is_empty() {
            add("metric.metric", "must not be empty".to_owned());
        }
        if !Self::STATISTICS.contains(&self.statistic.as_str()) {
            add(
                "metric.statistic",
                format!(
                    "{:?} is not one of {}",
                    self.statistic,
                    Self::STATISTICS.join(", ")
                ),
            );
        }
        if !(self.target.is_finite() && self.target > 0.0) {
            add(
                "metric.target",
                format!("must be a number above 0, got {}", self.target),
            );
        }
        for (field, message) in
            crate::config::dimension_problems("metric.dimensions", &self.dimensions)
        {
            add(&field, message);
        }
        if let Some(missing) = &self.missing {
            missing.problems(add);
        }
    }
}

impl Burst {
    fn default_cooldown() -> u32 {
        60
    }

    fn problems(&self, add: &mut impl FnMut(&str, String)) {
        if self.steps.is_empty() {
            add("burst.steps", "must name at least one step".to_owned());
        }
        if self.steps.len() > Scaling::MAX_STEPS {
            add(
                "burst.steps",
                format!(
                    "{} steps; Application Auto Scaling allows at most {}",
                    self.steps.len(),
                    Scaling::MAX_STEPS
                ),
            );
        }
        for (index, step) in self.steps.iter().enumerate() {
            if step.add == 0 || step.add > crate::config::MAX_TASKS {
                add(
                    &format!("burst.steps[{index}].add"),
                    format!(
                        "must add 1 to {} tasks, got {}",
                        crate::config::MAX_TASKS,
                        step.add
                    ),
                );
            }
            if step.backlog > crate::config::MAX_BACKLOG {
                add(
                    &format!("burst.steps[{index}].backlog"),
                    format!(
                        "must be at most {} messages, got {}",
                        crate::config::MAX_BACKLOG,
                        step.backlog
                    ),
                );
            }
            if index > 0 && step.backlog <= self.steps[index - 1].backlog {
                add(
                    &format!("burst.steps[{index}].backlog"),
                    format!(
                        "{} must be above the previous step's {}",
                        step.backlog,
                        self.steps[index - 1].backlog
                    ),
                );
            }
        }
        if self.steps.first().is_some_and(|s| s.backlog == 0) {
            add(
                "burst.steps[0].backlog",
                "must be above 0: a burst at no backlog is no burst".to_owned(),
            );
        }
        if self.cooldown > Scaling::MAX_COOLDOWN {
            add(
                "burst.cooldown",
                format!("{} s is more than a day", self.cooldown),
            );
        }
    }

    /// The tasks to add at `backlog`: the highest step reached, if any.
    pub fn tasks_to_add(&self, backlog: u64) -> Option<u32> {
        self.steps
            .iter()
            .rev()
            .find(|step| backlog >= step.backlog)
            .map(|step| step.add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(scaling: &Scaling, gpu: bool, queues: bool) -> Vec<String> {
        scaling
            .problems("s", gpu, queues)
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn the_default_is_valid_and_every_problem_is_named_by_path() {
        assert!(messages(&Scaling::default(), false, false).is_empty());
        let bad = Scaling {
            managed: true,
            tracks: Tracks::BacklogPerTask,
            controller: Controller::Direct,
            behavior: Some(Behavior::default()),
            utilization: 5.0,
            give_back_after_seconds: Some(90_000),
            scale_out_cooldown: 90_000,
            scale_in_cooldown: 300,
            disable_scale_in: false,
            gpu_utilization: Some(120.0),
            oldest_message_age: Some(0),
            metric: Some(TrackedMetric {
                namespace: String::new(),
                metric: "Runs".into(),
                dimensions: BTreeMap::new(),
                statistic: "Median".into(),
                target: f64::NAN,
                missing: Some(MissingMetric {
                    topic: "alarms".into(),
                    minutes: 0,
                }),
            }),
            burst: Some(Burst {
                steps: vec![
                    BurstStep { backlog: 0, add: 2 },
                    BurstStep { backlog: 0, add: 0 },
                ],
                cooldown: 60,
            }),
        };
        assert_eq!(
            messages(&bad, false, false),
            [
                "s.scale_out_cooldown: 90000 s is more than a day (86400)",
                "s.utilization: must be a percentage from 10 to 100, got 5",
                "s.give_back_after_seconds: 90000 s is more than a day",
                "s.controller: direct control sets desired from the need; tracks: backlog-per-task has none",
                "s.gpu_utilization: must be a percentage above 0 and at most 100, got 120",
                "s.gpu_utilization: needs the target's gpu source: nothing publishes its utilisation",
                "s.oldest_message_age: must be at least 1 second",
                "s.oldest_message_age: needs queues: it tracks their oldest message",
                "s.metric.namespace: must not be empty",
                "s.metric.statistic: \"Median\" is not one of Average, Maximum, Minimum, Sum, SampleCount",
                "s.metric.target: must be a number above 0, got NaN",
                "s.metric.missing.topic: must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got \"alarms\"",
                "s.metric.missing.minutes: must be 1 to 1440, got 0",
                "s.burst.steps[1].add: must add 1 to 100000 tasks, got 0",
                "s.burst.steps[1].backlog: 0 must be above the previous step's 0",
                "s.burst.steps[0].backlog: must be above 0: a burst at no backlog is no burst",
            ]
        );
    }

    #[test]
    fn unmanaged_scaling_with_policies_is_a_contradiction() {
        let unmanaged = Scaling {
            managed: false,
            ..Scaling::default()
        };
        assert!(messages(&unmanaged, false, false).is_empty());
        let contradiction = Scaling {
            gpu_utilization: Some(75.0),
            ..unmanaged
        };
        assert_eq!(
            messages(&contradiction, true, false),
            [
                "s.managed: is false, so nothing here would be applied: remove the policies or manage them"
            ]
        );
    }

    #[test]
    fn a_burst_adds_the_highest_step_reached() {
        let burst = Burst {
            steps: vec![
                BurstStep {
                    backlog: 500,
                    add: 5,
                },
                BurstStep {
                    backlog: 2000,
                    add: 10,
                },
            ],
            cooldown: 60,
        };
        assert_eq!(burst.tasks_to_add(499), None);
        assert_eq!(burst.tasks_to_add(500), Some(5));
        assert_eq!(burst.tasks_to_add(10_000), Some(10));
    }
}
