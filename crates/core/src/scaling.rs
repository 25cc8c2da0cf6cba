//! How Application Auto Scaling scales a target, as data beside its capacity:
//! `sluicectl apply` turns it into the scalable target's policies (`crate::policy`),
//! and `sluicectl simulate` runs it on a demand trace (`crate::simulate`).
//!
//! Every target gets the target-tracking policy on its published `BacklogPerTask`,
//! whose target value is the target's `backlog_per_task`; the rest is optional.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::capacity::behavior::Behavior;
use crate::problem::Problem;

mod predefined;
mod step_rule;
mod tracked;
pub use predefined::{Predefined, PredefinedPolicy, Requests, Utilization};
pub use step_rule::{Compare, StepRule};
pub use tracked::{MissingMetric, TrackedMetric};

/// `name` in letters, digits, `-` and `_`, lowercased (others as `-`): the default id
/// that names a policy Sluice owns.
pub(crate) fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The problems of a metric's name and place, and its configured id, under `field`.
pub(crate) fn metric_problems(
    field: &str,
    (namespace, metric, dimensions): (&str, &str, &BTreeMap<String, String>),
    id: Option<&str>,
    add: &mut impl FnMut(&str, String),
) {
    let at = |name: &str| format!("{field}.{name}");
    if namespace.trim().is_empty() {
        add(&at("namespace"), "must not be empty".to_owned());
    }
    if metric.trim().is_empty() {
        add(&at("metric"), "must not be empty".to_owned());
    }
    for (name, message) in crate::dimensions::dimension_problems(&at("dimensions"), dimensions) {
        add(&name, message);
    }
    if let Some(message) = id.and_then(id_problem) {
        add(&at("id"), message);
    }
}

/// What is wrong with a configured `id`, if anything.
pub(crate) fn id_problem(id: &str) -> Option<String> {
    let fine = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (!fine).then(|| format!("must be 1 to 64 letters, digits, - or _, got {id:?}"))
}

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

/// Why the zero-watcher leaves scale-in to others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoGiveBack {
    /// `disable_scale_in`: nothing but the sleep removes tasks.
    ScaleInDisabled,
    /// Policies on signals the need does not see (their fields).
    Unseen(Vec<&'static str>),
}

impl std::fmt::Display for NoGiveBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoGiveBack::ScaleInDisabled => write!(f, "scale-in is disabled"),
            NoGiveBack::Unseen(fields) => write!(
                f,
                "scale-in is Application Auto Scaling's, when every policy agrees: {} {} what the need does not see",
                fields.join(", "),
                if fields.len() == 1 { "tracks" } else { "track" }
            ),
        }
    }
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
        tracked::problems(self.metric.as_ref(), &self.metrics, &mut add);
        step_rule::problems(&self.step_rules, &mut add);
        if let Some(burst) = &self.burst {
            burst.problems(&mut add);
        }
        for (field, utilization) in [
            ("cpu_utilization", &self.cpu_utilization),
            ("memory_utilization", &self.memory_utilization),
        ] {
            if let Some(utilization) = utilization {
                utilization.problems(field, &mut add);
            }
        }
        if let Some(requests) = &self.requests_per_task {
            requests.problems("requests_per_task", &mut add);
        }
        if let Some(field) = self.unseen_signals().first()
            && self.controller == Controller::Direct
        {
            add(
                field,
                "direct control sets desired from the need every look and would undo what this policy adds: use controller: tracking".to_owned(),
            );
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
            if step.add == 0 || step.add > crate::limits::MAX_TASKS {
                add(
                    &format!("burst.steps[{index}].add"),
                    format!(
                        "must add 1 to {} tasks, got {}",
                        crate::limits::MAX_TASKS,
                        step.add
                    ),
                );
            }
            if step.backlog > crate::limits::MAX_BACKLOG {
                add(
                    &format!("burst.steps[{index}].backlog"),
                    format!(
                        "must be at most {} messages, got {}",
                        crate::limits::MAX_BACKLOG,
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
                id: None,
                namespace: String::new(),
                metric: "Runs".into(),
                dimensions: Default::default(),
                statistic: "Median".into(),
                target: f64::NAN,
                per_task: false,
                rate: false,
                missing: Some(MissingMetric {
                    topic: "alarms".into(),
                    minutes: 0,
                }),
            }),
            metrics: Vec::new(),
            step_rules: Vec::new(),
            burst: Some(Burst {
                steps: vec![
                    BurstStep { backlog: 0, add: 2 },
                    BurstStep { backlog: 0, add: 0 },
                ],
                cooldown: 60,
            }),
            cpu_utilization: Some(Utilization {
                target: 0.0,
                high_resolution: false,
                scale_out_cooldown: None,
                scale_in_cooldown: Some(90_000),
            }),
            memory_utilization: None,
            requests_per_task: None,
        };
        assert_eq!(
            messages(&bad, false, false),
            [
                "s.scale_out_cooldown: 90000 s is more than a day (86400)",
                "s.utilization: must be a percentage from 10 to 100, got 5",
                "s.give_back_after_seconds: 90000 s is more than a day",
                "s.controller: direct control sets desired from the need, and a target without queues has none",
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
                "s.cpu_utilization.target: must be a percentage from 1 to 100, got 0",
                "s.cpu_utilization.scale_in_cooldown: 90000 s is more than a day",
                "s.cpu_utilization: direct control sets desired from the need every look and would undo what this policy adds: use controller: tracking",
            ]
        );
    }

    fn parse(yaml: &str) -> Result<Scaling, String> {
        serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn a_predefined_metric_is_a_percentage_or_the_long_form() {
        let short = parse("cpu_utilization: 70").expect("short");
        let long = parse("cpu_utilization: { target: 70 }").expect("long");
        assert_eq!(short, long);
        let fast = parse(
            "memory_utilization: { target: 80, high_resolution: true, scale_in_cooldown: 600 }",
        )
        .expect("long");
        let policies = fast.predefined();
        assert_eq!(policies.len(), 1);
        assert_eq!(
            policies[0].metric_type,
            "ECSServiceAverageMemoryUtilizationHighResolution"
        );
        assert_eq!(
            (
                policies[0].scale_out_cooldown,
                policies[0].scale_in_cooldown
            ),
            (60, 600),
            "its own scale-in cooldown, the block's scale-out one"
        );
        // Round trip: what `sluicectl get` prints parses to the same.
        let printed = serde_yaml_ng::to_string(&fast).expect("print");
        assert_eq!(parse(&printed).expect("again"), fast);
        // Wrong fields and types are named.
        let typo = parse("cpu_utilization: { targt: 70 }").expect_err("typo");
        assert!(typo.contains("unknown field `targt`"), "{typo}");
        let word = parse("cpu_utilization: high").expect_err("word");
        assert!(
            word.contains("must be a percentage (70) or {target: 70, high_resolution, scale_out_cooldown, scale_in_cooldown}, got high"),
            "{word}"
        );
        let unknown = parse("gpu_memory_utilization: 70").expect_err("unknown metric");
        assert!(
            unknown.contains("unknown field `gpu_memory_utilization`"),
            "{unknown}"
        );
    }

    #[test]
    fn several_metrics_each_name_their_policy_and_their_problems() {
        let scaling = parse(
            "metrics:\n\
             \x20 - { namespace: Agents, metric: ActiveTasks, target: 70, per_task: true }\n\
             \x20 - { namespace: Agents, metric: Active.Requests, target: 50, per_task: true }\n\
             \x20 - { namespace: Agents, metric: ActiveTasks, target: 5, rate: true }\n\
             \x20 - { id: 'no spaces', namespace: Agents, metric: Lag, target: 1 }\n",
        )
        .expect("parses");
        let ids: Vec<String> = scaling.metrics.iter().map(TrackedMetric::id).collect();
        assert_eq!(
            ids,
            ["activetasks", "active-requests", "activetasks", "no spaces"]
        );
        assert_eq!(
            messages(&scaling, false, true),
            [
                "s.metrics[2].id: \"activetasks\" names an earlier metric too: give each its own id",
                "s.metrics[3].id: must be 1 to 64 letters, digits, - or _, got \"no spaces\"",
            ]
        );
        assert_eq!(scaling.unseen_signals(), ["metrics"]);
        let typo = parse("metrics: [ { namespace: A, metric: B, target: 1, per_tasks: true } ]")
            .expect_err("typo");
        assert!(typo.contains("unknown field `per_tasks`"), "{typo}");
    }

    #[test]
    fn step_rules_say_which_side_how_long_and_how_many() {
        let scaling = parse(
            "step_rules:\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, above: 65, for_minutes: 5, add: 1 }\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, below: 20, for_minutes: 15, remove: 1 }\n\
             \x20 - { namespace: Modules, metric: Latency, statistic: p99, above: 2, for_minutes: 3, of_minutes: 5, add: 2 }\n",
        )
        .expect("parses");
        assert!(
            messages(&scaling, false, true).is_empty(),
            "{:?}",
            messages(&scaling, false, true)
        );
        let ids: Vec<String> = scaling.step_rules.iter().map(StepRule::id).collect();
        assert_eq!(
            ids,
            [
                "cpuutilization-above",
                "cpuutilization-below",
                "latency-above"
            ]
        );
        assert_eq!(scaling.step_rules[2].datapoints(), (3, 5));
        assert_eq!(scaling.step_rules[1].change(), -1);
        assert_eq!(scaling.unseen_signals(), ["step_rules"]);
        let bad = parse(
            "step_rules:\n\
             \x20 - { namespace: A, metric: B, above: 1, below: 2, add: 1 }\n\
             \x20 - { namespace: A, metric: B, above: 1, for_minutes: 0, remove: 1 }\n\
             \x20 - { namespace: A, metric: B, below: .nan, for_minutes: 5, of_minutes: 3, remove: 0 }\n\
             \x20 - { namespace: A, metric: C, statistic: p101, above: 1, add: 1, remove: 1, cooldown: 90000 }\n",
        )
        .expect("parses");
        assert_eq!(
            messages(&bad, false, true),
            [
                "s.step_rules[0]: needs exactly one of above or below: the side of the threshold that fires it",
                "s.step_rules[1].for_minutes: must be 1 to 1440 (one-minute datapoints), got 0",
                "s.step_rules[2].below: must be a number, got NaN",
                "s.step_rules[2].remove: must be 1 to 100000 tasks, got 0",
                "s.step_rules[2].of_minutes: 3 is fewer than for_minutes 5: 5 of 3 minutes cannot happen",
                "s.step_rules[2].id: \"b-below\" names an earlier rule too: give each its own id",
                "s.step_rules[3].statistic: \"p101\" is not one of Average, Maximum, Minimum, Sum, SampleCount or a percentile (p99)",
                "s.step_rules[3]: needs exactly one of add or remove: what the rule does to the tasks",
                "s.step_rules[3].cooldown: 90000 s is more than a day",
            ]
        );
    }

    #[test]
    fn what_is_valid_but_not_meant_is_a_warning() {
        let warnings = |yaml: &str, sleeps: bool| -> Vec<String> {
            parse(yaml)
                .expect("parses")
                .warnings("s", sleeps, true)
                .into_iter()
                .map(|p| p.to_string())
                .collect()
        };
        assert!(warnings("cpu_utilization: 70", false).is_empty(), "meant");
        assert_eq!(
            warnings(
                "give_back_after_seconds: 90\ncpu_utilization: { target: 70, high_resolution: true }\nmetrics: [ { namespace: A, metric: B, target: 5, per_task: true } ]",
                true
            ),
            [
                "s.give_back_after_seconds: 90 s is never used: the zero-watcher does not give back on this target",
                "s.cpu_utilization.high_resolution: needs the service to publish the metric at 20 s (its monitoringConfiguration); without it the policy has no data and never acts",
                "s.metrics: a per-task metric has no tasks to divide by while the service sleeps: it cannot wake it (the zero-watcher does)",
            ]
        );
        assert!(
            warnings("give_back_after_seconds: 90", false).is_empty(),
            "used"
        );
        let adds =
            "step_rules: [ { namespace: AWS/ECS, metric: CPUUtilization, above: 65, add: 1 } ]";
        let no_queues = |yaml: &str| -> Vec<String> {
            let scaling = parse(yaml).expect("parses");
            let found = scaling.warnings("s", false, false);
            found.into_iter().map(|p| p.to_string()).collect()
        };
        assert_eq!(
            no_queues(adds),
            [
                "s.step_rules: nothing scales this target in (no queues to size it on, no rule that removes tasks, no policy that tracks a target): it stays at the most its rules reached"
            ]
        );
        assert!(
            warnings(adds, false).is_empty(),
            "with queues, the need gives back"
        );
        let removes = "step_rules: [ { namespace: A, metric: B, above: 65, add: 1 }, { namespace: A, metric: B, below: 20, remove: 1 } ]";
        assert!(no_queues(removes).is_empty());
    }

    #[test]
    fn a_signal_the_need_does_not_see_takes_the_give_back_away() {
        assert!(Scaling::default().gives_back());
        let cpu = parse("cpu_utilization: 70").expect("cpu");
        assert_eq!(cpu.unseen_signals(), ["cpu_utilization"]);
        assert!(!cpu.gives_back());
        let age = parse("oldest_message_age: 300").expect("age");
        assert!(!age.gives_back(), "SQS's age is not the need either");
        let gpu = parse("gpu_utilization: 75").expect("gpu");
        assert!(gpu.gives_back(), "the GPU share is part of the need");
        let off = parse("disable_scale_in: true").expect("off");
        assert!(!off.gives_back());
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
