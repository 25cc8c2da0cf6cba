//! The configuration model: targets (what to scale and how) and profiles (when to
//! pre-scale), as written in a `sluicectl apply -f` file and as stored in the table.
//!
//! Parsing catches shape and type errors (with the path of the offending field);
//! [`Document::validate`] then lists every semantic problem, each named by path.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::budget::Budget;
use crate::facts::MetricQuery;
use crate::instances::Instances;
use crate::place::{
    Home, Place, account_of, external_id_problem, partition_problem, region_problem,
    role_arn_problem,
};
use crate::problem::name_problem;
use crate::problem::{Problem, Problems};
use crate::profile::Profile;
pub use crate::queue::Queue;
use crate::scaling::Scaling;

/// A configuration file: any number of targets and profiles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[serde(default)]
    pub targets: Vec<Target>,
    #[serde(default)]
    pub profiles: Vec<Profile>,
    /// Named lists of holidays, defined once and referenced by profiles
    /// (`profiles[].calendars`); resolved into each profile's `holidays` when the file
    /// is read, so a stored profile carries its dates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<Calendar>,
    /// What targets may spend per day or month (crate::budget).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<Budget>,
}

/// A named list of days off: `YYYY-MM-DD`, or `MM-DD` for every year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    pub name: String,
    pub dates: Vec<String>,
}

/// One ECS service that Sluice scales, and the queues that feed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Unique name; it is the `Target` dimension of every published metric.
    pub name: String,
    pub cluster: String,
    pub service: String,
    /// SQS queues (names or URLs, or `{name, weight, priority}`) whose backlog feeds
    /// the service.
    #[serde(default)]
    pub queues: Vec<Queue>,
    pub capacity: Capacity,
    /// Acceptable backlog per task: messages a task may have waiting. With the
    /// service rate `s` the tasks show, a message may wait `backlog_per_task / s`
    /// minutes: the latency goal when `latency_goal_seconds` is not declared.
    pub backlog_per_task: f64,
    /// How long a message may wait, in seconds: the need drains what waits within it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_goal_seconds: Option<u32>,
    /// Messages one task finishes a minute, declared: what the need plans with until
    /// the publisher has measured it (minutes the tasks were saturated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_task_minute: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_to_zero: Option<ScaleToZero>,
    /// Name of the profile the prescaler follows for this target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A paused target is read and reported, never changed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub paused: bool,
    /// The prescaler computes and publishes this target's floor but changes nothing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub forecast_only: bool,
    /// How Application Auto Scaling scales it: `sluicectl apply` owns the policies.
    #[serde(default, skip_serializing_if = "Scaling::is_default")]
    pub scaling: Scaling,
    /// The EC2 capacity provider's group whose floor the prescaler raises ahead of
    /// this target's windows (crate::instances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<Instances>,
    /// The region the service and queues are in, when not the stack's (crate::place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The IAM role Sluice assumes to reach a service in another account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The external id the role's trust policy asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    pub min: u32,
    pub max: u32,
}

/// Where the GPU utilisation of a service is read from: by default the CloudWatch
/// agent's NVIDIA metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSource {
    #[serde(default = "GpuSource::default_namespace")]
    pub namespace: String,
    #[serde(default = "GpuSource::default_metric")]
    pub metric: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
}

impl GpuSource {
    pub const DEFAULT_NAMESPACE: &'static str = "CWAgent";
    pub const DEFAULT_METRIC: &'static str = "nvidia_smi_utilization_gpu";

    /// The two statistics the publisher reads: average and maximum over the
    /// service's GPUs.
    pub fn queries(&self) -> [MetricQuery; 2] {
        ["Average", "Maximum"].map(|statistic| MetricQuery {
            namespace: self.namespace.clone(),
            metric: self.metric.clone(),
            dimensions: self.dimensions.clone(),
            statistic,
        })
    }

    fn default_namespace() -> String {
        Self::DEFAULT_NAMESPACE.to_owned()
    }
    fn default_metric() -> String {
        Self::DEFAULT_METRIC.to_owned()
    }
}

/// Scale-to-zero settings, used by the zero-watcher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleToZero {
    #[serde(default = "ScaleToZero::default_idle_minutes")]
    pub idle_minutes: u32,
    #[serde(default = "ScaleToZero::default_wake_tasks")]
    pub wake_tasks: u32,
    /// `sized` (default): wake to what the backlog needs at `backlog_per_task`, at
    /// least `wake_tasks`; `fixed`: wake to `wake_tasks`.
    #[serde(default, skip_serializing_if = "WakeCount::is_default")]
    pub wake: WakeCount,
    /// Minutes after a wake before a sleep is allowed, however idle: a GPU model that
    /// took minutes to load is not dropped after one short job. 0: only idle_minutes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_awake_minutes: u32,
    /// Minutes after a wake before tasks not yet running are reported overdue
    /// (`StartOverdue`, alarmed): the idle clock holds while tasks start, so a start
    /// that never ends must be heard of.
    #[serde(
        default = "ScaleToZero::default_start_timeout",
        skip_serializing_if = "ScaleToZero::is_default_start_timeout"
    )]
    pub start_timeout_minutes: u32,
    /// GPU utilisation (percent, the target's `gpu` source) above which the service
    /// is busy: the idle clock restarts even with empty queues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_gpu_percent: Option<f64>,
    /// Backlog at or below this counts as no activity.
    #[serde(default)]
    pub activation_backlog: u64,
    /// SNS topic ARNs whose notifications wake the service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// CloudWatch alarm names whose ALARM state wakes the service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<String>,
    /// A CloudWatch metric whose value above a threshold is activity, for work whose
    /// backlog lives in CloudWatch (MSK consumer lag, SNS publishes, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<ActivationMetric>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationMetric {
    pub namespace: String,
    pub metric: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default = "ActivationMetric::default_statistic")]
    pub statistic: String,
    /// Activity when the newest datapoint is above this (with `rate`: when the metric
    /// grew by more than this a minute).
    #[serde(default)]
    pub threshold: f64,
    /// Activity is the metric's growth a minute between its two newest datapoints,
    /// not its value: a consumer lag that grows, not one that is large and shrinking.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rate: bool,
}

impl ActivationMetric {
    pub const STATISTICS: [&'static str; 5] =
        ["Average", "Maximum", "Minimum", "Sum", "SampleCount"];

    fn default_statistic() -> String {
        "Maximum".to_owned()
    }

    /// Whether the datapoints (epoch seconds, value; oldest first) show activity: the
    /// newest above the threshold, or, with `rate`, the growth a minute between the two
    /// newest above it (one datapoint is no rate: no activity).
    pub fn shows_activity(&self, points: &[(i64, f64)]) -> bool {
        if !self.rate {
            return points.last().is_some_and(|(_, v)| *v > self.threshold);
        }
        let [.., (before, older), (at, newer)] = points else {
            return false;
        };
        let minutes = at.saturating_sub(*before) as f64 / 60.0;
        minutes > 0.0 && (newer - older) / minutes > self.threshold
    }

    /// The query for the newest datapoint; None for a statistic validation refuses.
    pub fn query(&self) -> Option<MetricQuery> {
        let statistic = Self::STATISTICS
            .into_iter()
            .find(|s| *s == self.statistic)?;
        Some(MetricQuery {
            namespace: self.namespace.clone(),
            metric: self.metric.clone(),
            dimensions: self.dimensions.clone(),
            statistic,
        })
    }
}

impl ScaleToZero {
    fn default_idle_minutes() -> u32 {
        5
    }
    fn default_wake_tasks() -> u32 {
        1
    }
    /// Half an hour: longer than the slowest GPU placement and model load seen, short
    /// enough that a stuck start is heard of the same shift.
    fn default_start_timeout() -> u32 {
        30
    }
    fn is_default_start_timeout(minutes: &u32) -> bool {
        *minutes == Self::default_start_timeout()
    }
}

impl Default for ScaleToZero {
    /// What `scale_to_zero: {}` means: sleep after 5 idle minutes, wake to 1 task on
    /// any backlog.
    fn default() -> Self {
        ScaleToZero {
            idle_minutes: Self::default_idle_minutes(),
            wake_tasks: Self::default_wake_tasks(),
            wake: WakeCount::default(),
            min_awake_minutes: 0,
            start_timeout_minutes: Self::default_start_timeout(),
            busy_gpu_percent: None,
            activation_backlog: 0,
            topics: Vec::new(),
            alarms: Vec::new(),
            metric: None,
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// How many tasks a wake starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WakeCount {
    /// `wake_tasks`.
    Fixed,
    /// What the backlog needs, `ceil(backlog / backlog_per_task)`, at least
    /// `wake_tasks`: one UpdateService instead of minutes of target tracking.
    #[default]
    Sized,
}

impl WakeCount {
    fn is_default(&self) -> bool {
        *self == WakeCount::default()
    }
}

/// The input formats `sluicectl` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// JSON for `.json` files, YAML otherwise (YAML is a superset of JSON anyway).
    pub fn from_path(path: &str) -> Self {
        if path.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

impl Document {
    /// What is valid but likely not meant, by path: each profile's
    /// [`Schedule::warnings`](crate::profile::Schedule::warnings) from `from`, a
    /// target naming a profile the file does not define (valid only if the table
    /// holds it already: the prescaler leaves the target alone until it is applied),
    /// and each target's [`Scaling::warnings`](crate::scaling::Scaling::warnings).
    pub fn warnings(&self, from: jiff::civil::Date) -> Vec<Problem> {
        let schedules = self
            .profiles
            .iter()
            .enumerate()
            .filter_map(|(index, profile)| {
                let path = format!("profiles[{index}]");
                let schedule = crate::profile::Schedule::compile(profile, &path).ok()?;
                Some(schedule.warnings(&path, from))
            });
        let elsewhere = self
            .targets
            .iter()
            .enumerate()
            .filter_map(|(index, target)| {
                let name = target.profile.as_ref()?;
                let defined = self.profiles.iter().any(|p| &p.name == name);
                (!defined).then(|| {
                    Problem::new(
                        format!("targets[{index}].profile"),
                        format!(
                            "{name:?} is not defined in this file: it must be in the table \
                         already, or the prescaler leaves the target alone"
                        ),
                    )
                })
            });
        let scaling = self.targets.iter().enumerate().flat_map(|(index, target)| {
            let path = format!("targets[{index}].scaling");
            let (sleeps, has_queues) = (target.scale_to_zero.is_some(), !target.queues.is_empty());
            target.scaling.warnings(&path, sleeps, has_queues)
        });
        schedules
            .flatten()
            .chain(elsewhere)
            .chain(scaling)
            .collect()
    }

    /// Parses and validates; a type error stops at the first field (the parser cannot
    /// go on), semantic problems are all listed.
    pub fn parse(text: &str, format: Format) -> Result<Document, Problems> {
        // JSON is YAML too: one size check for both.
        crate::yaml::check_size(text)
            .map_err(|message| Problems(vec![Problem::new("(document)", message)]))?;
        let document: Document = match format {
            Format::Json => {
                let mut deserializer = serde_json::Deserializer::from_str(text);
                serde_path_to_error::deserialize(&mut deserializer).map_err(path_error)?
            }
            Format::Yaml => {
                let deserializer = serde_yaml_ng::Deserializer::from_str(text);
                serde_path_to_error::deserialize(deserializer).map_err(path_error)?
            }
        };
        let mut document = document;
        document.resolve_calendars()?;
        document.validate()?;
        Ok(document)
    }

    /// Adds each profile's referenced calendars to its holidays, once each; an unknown
    /// or duplicate calendar name is a problem by path.
    fn resolve_calendars(&mut self) -> Result<(), Problems> {
        let mut problems = Vec::new();
        let mut named: BTreeMap<&str, &Calendar> = BTreeMap::new();
        for (index, calendar) in self.calendars.iter().enumerate() {
            for (at, date) in calendar.dates.iter().enumerate() {
                if let Err(message) = crate::profile::parse_holiday(date) {
                    problems.push(Problem::new(
                        format!("calendars[{index}].dates[{at}]"),
                        message,
                    ));
                }
            }
            if named.insert(calendar.name.as_str(), calendar).is_some() {
                problems.push(Problem::new(
                    format!("calendars[{index}].name"),
                    format!("duplicate calendar name {:?}", calendar.name),
                ));
            }
        }
        let known: Vec<&str> = named.keys().copied().collect();
        for (index, profile) in self.profiles.iter_mut().enumerate() {
            for (at, name) in std::mem::take(&mut profile.calendars).iter().enumerate() {
                let Some(calendar) = named.get(name.as_str()) else {
                    problems.push(Problem::new(
                        format!("profiles[{index}].calendars[{at}]"),
                        format!("no calendar named {name:?} (defined: {})", known.join(", ")),
                    ));
                    continue;
                };
                for date in &calendar.dates {
                    if !profile.holidays.contains(date) {
                        profile.holidays.push(date.clone());
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Problems(problems))
        }
    }

    pub fn to_yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        serde_yaml_ng::to_string(self)
    }

    /// Two targets on one service, with the stack's own account and region `home`
    /// filled in where a target names none: a region spelled out, or a role in the
    /// stack's own account, is the same service as the default. `validate` knows no
    /// home; `sluicectl apply` checks again with the one it runs against.
    pub fn same_service_problems(&self, home: &Home) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (index, target) in self.targets.iter().enumerate() {
            let service = target.service_key();
            if let Some(first) = self.targets[..index]
                .iter()
                .position(|t| t.service_anywhere(home) == target.service_anywhere(home))
            {
                problems.push(Problem::new(
                    format!("targets[{index}].service"),
                    format!(
                        "service {}/{} is already the target {:?} (targets[{first}]); two targets would fight over one service",
                        service.0, service.1, self.targets[first].name
                    ),
                ));
            }
        }
        problems
    }

    pub fn validate(&self) -> Result<(), Problems> {
        let mut problems = Vec::new();
        let mut seen_targets = BTreeMap::new();
        for (index, target) in self.targets.iter().enumerate() {
            let path = format!("targets[{index}]");
            if let Some(first) = seen_targets.insert(target.name.as_str(), index) {
                problems.push(Problem {
                    path: format!("{path}.name"),
                    message: format!(
                        "duplicate target name {:?} (also targets[{first}])",
                        target.name
                    ),
                });
            }
            problems.extend(target.problems(&path));
        }
        problems.extend(self.same_service_problems(&Home::default()));
        let mut seen_profiles = BTreeMap::new();
        for (index, profile) in self.profiles.iter().enumerate() {
            let path = format!("profiles[{index}]");
            if let Some(first) = seen_profiles.insert(profile.name.as_str(), index) {
                problems.push(Problem {
                    path: format!("{path}.name"),
                    message: format!(
                        "duplicate profile name {:?} (also profiles[{first}])",
                        profile.name
                    ),
                });
            }
            problems.extend(profile.problems(&path));
            for (window_index, window) in profile.windows.iter().enumerate() {
                for target in self
                    .targets
                    .iter()
                    .filter(|t| t.profile.as_deref() == Some(profile.name.as_str()))
                {
                    if window.min_tasks > f64::from(target.capacity.max) {
                        problems.push(Problem {
                            path: format!("{path}.windows[{window_index}].min_tasks"),
                            message: format!(
                                "{} is above capacity.max ({}) of target {:?}, which uses this profile",
                                window.min_tasks, target.capacity.max, target.name
                            ),
                        });
                    }
                }
            }
        }
        problems.extend(self.budget_problems());
        problems.extend(self.group_problems());
        Problems::into_result(problems)
    }

    /// Targets that share an Auto Scaling group must raise the same floor of it: the
    /// prescaler keeps one record of its raise per group, so a MinSize raise and a warm
    /// pool raise on one group would take each other's record (MinSize 2 -> 3 -> 0,
    /// below what the group's owners set, and a warm pool stranded).
    fn group_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (index, target) in self.targets.iter().enumerate() {
            let Some(mine) = &target.instances else {
                continue;
            };
            let other = self.targets[..index]
                .iter()
                .enumerate()
                .find_map(|(first, t)| {
                    let theirs = t.instances.as_ref()?;
                    (theirs.auto_scaling_group == mine.auto_scaling_group
                        && theirs.floor != mine.floor
                        && t.region == target.region
                        && t.role_arn == target.role_arn)
                        .then_some((first, theirs.floor))
                });
            if let Some((first, floor)) = other {
                problems.push(Problem::new(
                    format!("targets[{index}].instances.floor"),
                    format!(
                        "group {:?} is raised as {:?} by targets[{first}] and as {:?} here: one \
                         group takes one kind of floor",
                        mine.auto_scaling_group, floor, mine.floor
                    ),
                ));
            }
        }
        problems
    }

    /// Each budget's problems, and duplicate budget names.
    fn budget_problems(&self) -> Vec<Problem> {
        let targets: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        let mut problems = Vec::new();
        let mut seen = BTreeMap::new();
        for (index, budget) in self.budgets.iter().enumerate() {
            let path = format!("budgets[{index}]");
            if let Some(first) = seen.insert(budget.name.as_str(), index) {
                problems.push(Problem::new(
                    format!("{path}.name"),
                    format!(
                        "duplicate budget name {:?} (also budgets[{first}])",
                        budget.name
                    ),
                ));
            }
            problems.extend(budget.problems(&path, &targets));
            if budget.mode == crate::budget::BudgetMode::Enforce {
                for name in &budget.targets {
                    let unplanned = self
                        .targets
                        .iter()
                        .any(|t| &t.name == name && t.profile.is_none());
                    if unplanned {
                        problems.push(Problem::new(
                            format!("{path}.targets"),
                            format!(
                                "target {name:?} has no profile: the prescaler plans only targets \
                                 with one, so an enforcing budget could never cap it (give it a \
                                 profile, or use mode: alert)"
                            ),
                        ));
                    }
                }
            }
        }
        problems
    }
}

fn path_error<E: fmt::Display>(error: serde_path_to_error::Error<E>) -> Problems {
    let path = error.path().to_string();
    // The root, or a key with no name ("": value), has no path of its own to show.
    let path = if path == "." || path.is_empty() {
        "(document)".to_owned()
    } else {
        path
    };
    let message = error.into_inner().to_string();
    // The YAML parser already prefixes its message with the path: say it once.
    let message = match message.split_once(": ") {
        Some((prefix, rest)) if path.starts_with(prefix) => rest.to_owned(),
        _ => message,
    };
    Problems(vec![Problem { path, message }])
}

/// Building a target in code (tests, benchmarks, the demo): the required fields
/// first, then each optional part by name.
impl Target {
    /// A target of `service` in `cluster` with no queues, capacity 0-1 and one message
    /// per task: the smallest valid target.
    pub fn new(name: &str, cluster: &str, service: &str) -> Self {
        Target {
            name: name.to_owned(),
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            queues: Vec::new(),
            capacity: Capacity { min: 0, max: 1 },
            backlog_per_task: 1.0,
            latency_goal_seconds: None,
            messages_per_task_minute: None,
            gpu: None,
            scale_to_zero: None,
            profile: None,
            paused: false,
            forecast_only: false,
            scaling: Scaling::default(),
            instances: None,
            region: None,
            role_arn: None,
            external_id: None,
        }
    }

    /// The same target in another account, reached through `role_arn`.
    pub fn in_account(mut self, role_arn: &str, region: Option<&str>) -> Self {
        self.role_arn = Some(role_arn.to_owned());
        self.region = region.map(str::to_owned);
        self
    }

    pub fn with_queues<S: ToString>(mut self, queues: impl IntoIterator<Item = S>) -> Self {
        self.queues = queues
            .into_iter()
            .map(|q| Queue::new(q.to_string()))
            .collect();
        self
    }

    pub fn with_capacity(mut self, min: u32, max: u32) -> Self {
        self.capacity = Capacity { min, max };
        self
    }

    pub fn with_backlog_per_task(mut self, backlog_per_task: f64) -> Self {
        self.backlog_per_task = backlog_per_task;
        self
    }

    pub fn with_gpu(mut self, gpu: GpuSource) -> Self {
        self.gpu = Some(gpu);
        self
    }

    pub fn with_scale_to_zero(mut self, scale_to_zero: ScaleToZero) -> Self {
        self.scale_to_zero = Some(scale_to_zero);
        self
    }

    pub fn with_profile(mut self, profile: &str) -> Self {
        self.profile = Some(profile.to_owned());
        self
    }

    pub fn paused(mut self) -> Self {
        self.paused = true;
        self
    }

    pub fn with_scaling(mut self, scaling: Scaling) -> Self {
        self.scaling = scaling;
        self
    }
}

impl GpuSource {
    /// The CloudWatch agent's NVIDIA metric with these dimensions.
    pub fn agent<K: ToString, V: ToString>(dimensions: impl IntoIterator<Item = (K, V)>) -> Self {
        GpuSource {
            namespace: Self::DEFAULT_NAMESPACE.to_owned(),
            metric: Self::DEFAULT_METRIC.to_owned(),
            dimensions: dimensions
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

impl Target {
    /// Whether the zero-watcher sets this target's count on its need: the load model
    /// with the policies Sluice owns, and queues to read the need from (a target
    /// without them, an orchestrator on its CPU, has none: its policies size it).
    pub fn sizes_on_need(&self) -> bool {
        self.scaling.sluice_sets_desired() && !self.queues.is_empty()
    }

    /// What the target asks of its capacity (crate::capacity). A GPU target
    /// (`scaling.gpu_utilization`) caps the utilisation the need plans with: a task's
    /// GPU is busy while it works, so planning tasks busy at most that share of their
    /// time holds the GPUs at or under it, without a second, noisier signal minutes
    /// late.
    pub fn goal(&self) -> crate::capacity::Goal {
        let gpu = self.scaling.gpu_utilization.filter(|_| self.gpu.is_some());
        let percent = gpu.map_or(self.scaling.utilization, |g| {
            g.min(self.scaling.utilization)
        });
        crate::capacity::Goal {
            backlog_per_task: self.backlog_per_task,
            latency_seconds: self.latency_goal_seconds,
            utilization: percent / 100.0,
            prior_service: self.messages_per_task_minute,
        }
    }

    /// The ECS service as (cluster name, service name): a cluster may be given by name
    /// or by ARN.
    pub fn service_key(&self) -> (&str, &str) {
        let cluster = self.cluster.rsplit('/').next().unwrap_or(&self.cluster);
        (cluster, &self.service)
    }

    /// The account and region the target's service and queues are in.
    pub fn place(&self) -> Place {
        Place {
            role_arn: self.role_arn.clone(),
            external_id: self.external_id.clone(),
            region: self.region.clone(),
        }
    }

    /// The service as one number, stable across builds (FNV-1a of its account, region,
    /// cluster and service as written): what a record made on it names, so that a
    /// target moved elsewhere does not take its old service's records for its new one's.
    pub fn resource(&self) -> u64 {
        let home = Home::default();
        let (account, region, cluster, service) = self.service_anywhere(&home);
        let key = format!(
            "{}/{}/{cluster}/{service}",
            account.unwrap_or("-"),
            region.unwrap_or("-")
        );
        key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    /// The service as (account, region, cluster, service): two targets may share the
    /// names of a cluster and service in different accounts or regions.
    fn service_anywhere<'a>(
        &'a self,
        home: &'a Home,
    ) -> (Option<&'a str>, Option<&'a str>, &'a str, &'a str) {
        let (cluster, service) = self.service_key();
        let account = self.role_arn.as_deref().and_then(account_of);
        let account = account.or(home.account.as_deref());
        let region = self.region.as_deref().or(home.region.as_deref());
        (account, region, cluster, service)
    }

    /// A target as stored in the table: its spec must parse, validate and carry the
    /// name it is stored under. The error says which, for the function's report.
    pub fn from_stored(name: &str, spec: &str) -> Result<Target, String> {
        let target: Target =
            serde_json::from_str(spec).map_err(|e| format!("stored spec does not parse: {e}"))?;
        target.validate().map_err(|p| p.to_string())?;
        if target.name != name {
            return Err(format!("stored under {name:?} but named {:?}", target.name));
        }
        Ok(target)
    }

    /// Validates one target on its own (as read back from the table).
    pub fn validate(&self) -> Result<(), Problems> {
        Problems::into_result(self.problems("target"))
    }

    fn problems(&self, path: &str) -> Vec<Problem> {
        let mut found = Found::at(path);
        if let Some(message) = name_problem(&self.name) {
            found.add("name", message);
        }
        found.not_blank("cluster", &self.cluster);
        found.not_blank("service", &self.service);
        if self.service.starts_with("arn:") {
            let name = self.service.rsplit('/').next().unwrap_or_default();
            found.add(
                "service",
                format!(
                    "{:?} is an ARN; give the service's name ({name}), its cluster goes in cluster",
                    self.service
                ),
            );
        }
        for (index, queue) in self.queues.iter().enumerate() {
            let name = &queue.name;
            found.not_blank(&format!("queues[{index}]"), name);
            if let Some(first) = self.queues[..index].iter().position(|q| q.name == *name) {
                found.add(
                    &format!("queues[{index}]"),
                    format!("{name:?} is listed twice (also queues[{first}]): its backlog would count twice"),
                );
            }
            if !(queue.weight.is_finite() && queue.weight > 0.0 && queue.weight <= 100.0) {
                found.add(
                    &format!("queues[{index}].weight"),
                    format!("must be above 0 and at most 100, got {}", queue.weight),
                );
            }
        }
        if self.capacity.max < self.capacity.min {
            found.add(
                "capacity.max",
                format!("must be >= min ({})", self.capacity.min),
            );
        }
        if let Some(instances) = &self.instances {
            for problem in instances.problems(&format!("{path}.instances")) {
                found.problems.push(problem);
            }
        }
        if self.capacity.max == 0 {
            found.add("capacity.max", "must be at least 1".to_owned());
        }
        if self.capacity.max > MAX_TASKS {
            found.add(
                "capacity.max",
                format!(
                    "must be at most {MAX_TASKS} (ECS runs 5,000 tasks a service by default), got {}",
                    self.capacity.max
                ),
            );
        }
        if !(self.backlog_per_task.is_finite()
            && (MIN_BACKLOG_PER_TASK..=MAX_BACKLOG_PER_TASK).contains(&self.backlog_per_task))
        {
            found.add(
                "backlog_per_task",
                format!(
                    "must be a number from {MIN_BACKLOG_PER_TASK} to {MAX_BACKLOG_PER_TASK}, got {}",
                    crate::problem::shown(self.backlog_per_task)
                ),
            );
        }
        if let Some(seconds) = self.latency_goal_seconds
            && !(1..=86_400).contains(&seconds)
        {
            found.add(
                "latency_goal_seconds",
                format!("must be 1 to 86400 (a day), got {seconds}"),
            );
        }
        if let Some(rate) = self.messages_per_task_minute
            && !crate::capacity::rates::SERVICE_RATES.contains(&rate)
        {
            found.add(
                "messages_per_task_minute",
                format!("must be a number from 0.001 to 1000000, got {rate}"),
            );
        }
        if let Some(gpu) = &self.gpu {
            found.not_blank("gpu.namespace", &gpu.namespace);
            found.not_blank("gpu.metric", &gpu.metric);
            for (field, message) in dimension_problems("gpu.dimensions", &gpu.dimensions) {
                found.add(&field, message);
            }
        }
        if let Some(zero) = &self.scale_to_zero {
            zero.problems(self, &mut found);
        }
        found.problems.extend(self.scaling.problems(
            &format!("{path}.scaling"),
            self.gpu.is_some(),
            !self.queues.is_empty(),
        ));
        if let Some(profile) = &self.profile
            && let Some(message) = name_problem(profile)
        {
            found.add("profile", message);
        }
        self.place_problems(&mut found);
        found.problems
    }

    /// `role_arn`, `external_id` and `region` (crate::place).
    fn place_problems(&self, found: &mut Found<'_>) {
        if let Some(message) = self.role_arn.as_deref().and_then(role_arn_problem) {
            found.add("role_arn", message);
        }
        if let Some(message) = self.region.as_deref().and_then(region_problem) {
            found.add("region", message);
        } else if let (Some(role), Some(region)) = (&self.role_arn, &self.region)
            && role_arn_problem(role).is_none()
            && let Some(message) = partition_problem(role, region)
        {
            found.add("region", message);
        }
        match (&self.external_id, &self.role_arn) {
            (Some(_), None) => found.add(
                "external_id",
                "is only used with role_arn: name the role that asks for it".to_owned(),
            ),
            (Some(id), Some(_)) => {
                if let Some(message) = external_id_problem(id) {
                    found.add("external_id", message);
                }
            }
            (None, _) => {}
        }
        if self.instances.is_some() && !self.place().is_home() {
            found.add(
                "instances",
                "is not supported yet on a target in another account or region: the \
                 prescaler raises Auto Scaling groups of the stack's own account only"
                    .to_owned(),
            );
        }
    }
}

/// Problems of one part of a document, each under the part's path.
/// The most tasks a target may declare: beyond ECS's adjustable 5,000 a service, and
/// far below the 2^31 - 1 Application Auto Scaling takes.
pub const MAX_TASKS: u32 = 100_000;
/// The most messages a backlog threshold may name: SQS's counts are approximate, and a
/// threshold nearer u64::MAX than any queue ever holds would never trip, unsaid.
pub const MAX_BACKLOG: u64 = 1_000_000_000;
/// `backlog_per_task` between a thousandth of a message and a billion: every division
/// by it stays a number (a subnormal one made the need infinite).
pub const MIN_BACKLOG_PER_TASK: f64 = 1e-3;
pub const MAX_BACKLOG_PER_TASK: f64 = 1e9;
/// `idle_minutes` at most a week: the idle clock reads SQS's 1-minute counts over it,
/// which CloudWatch keeps 15 days.
pub const MAX_IDLE_MINUTES: u32 = 7 * 1440;

/// What CloudWatch refuses in a metric's dimensions (at most 30; each name and value
/// not empty, names at most 255 characters, values at most 1024), as (field, message)
/// under `path`.
pub(crate) fn dimension_problems(
    path: &str,
    dimensions: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if dimensions.len() > 30 {
        problems.push((
            path.to_owned(),
            format!(
                "CloudWatch allows at most 30 dimensions, got {}",
                dimensions.len()
            ),
        ));
    }
    for (name, value) in dimensions {
        if name.trim().is_empty() || name.chars().count() > 255 {
            problems.push((
                path.to_owned(),
                format!("dimension name {name:?} must be 1 to 255 characters"),
            ));
        }
        if value.trim().is_empty() || value.chars().count() > 1024 {
            problems.push((
                format!("{path}.{name}"),
                format!("must be 1 to 1024 characters, got {value:?}"),
            ));
        }
    }
    problems
}

struct Found<'p> {
    path: &'p str,
    problems: Vec<Problem>,
}

impl<'p> Found<'p> {
    fn at(path: &'p str) -> Self {
        Found {
            path,
            problems: Vec::new(),
        }
    }

    fn add(&mut self, field: &str, message: String) {
        self.problems
            .push(Problem::new(format!("{}.{field}", self.path), message));
    }

    fn not_blank(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.add(field, "must not be empty".to_owned());
        }
    }
}

impl ScaleToZero {
    fn problems(&self, target: &Target, found: &mut Found<'_>) {
        if !(1..=MAX_IDLE_MINUTES).contains(&self.idle_minutes) {
            found.add(
                "scale_to_zero.idle_minutes",
                format!(
                    "must be 1 to {MAX_IDLE_MINUTES} (a week), got {}",
                    self.idle_minutes
                ),
            );
        }
        if self.wake_tasks == 0 {
            found.add("scale_to_zero.wake_tasks", "must be at least 1".to_owned());
        }
        if self.wake_tasks > target.capacity.max {
            found.add(
                "scale_to_zero.wake_tasks",
                format!("must be <= capacity.max ({})", target.capacity.max),
            );
        }
        for (index, topic) in self.topics.iter().enumerate() {
            if !topic.starts_with("arn:") || topic.split(':').count() < 6 {
                found.add(
                    &format!("scale_to_zero.topics[{index}]"),
                    format!("{topic:?} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"),
                );
            }
        }
        if let Some(percent) = self.busy_gpu_percent {
            if !(percent.is_finite() && percent > 0.0 && percent <= 100.0) {
                found.add(
                    "scale_to_zero.busy_gpu_percent",
                    format!("must be a percentage above 0 and at most 100, got {percent}"),
                );
            }
            if target.gpu.is_none() {
                found.add(
                    "scale_to_zero.busy_gpu_percent",
                    "needs the target's gpu source: nothing reads its utilisation".to_owned(),
                );
            }
        }
        if self.min_awake_minutes > 1440 {
            found.add(
                "scale_to_zero.min_awake_minutes",
                format!(
                    "must be at most 1440 (a day), got {}",
                    self.min_awake_minutes
                ),
            );
        }
        if !(1..=1440).contains(&self.start_timeout_minutes) {
            found.add(
                "scale_to_zero.start_timeout_minutes",
                format!(
                    "must be 1 to 1440 (a day), got {}",
                    self.start_timeout_minutes
                ),
            );
        }
        if self.activation_backlog > MAX_BACKLOG {
            found.add(
                "scale_to_zero.activation_backlog",
                format!(
                    "must be at most {MAX_BACKLOG} messages, got {}",
                    self.activation_backlog
                ),
            );
        }
        for (index, alarm) in self.alarms.iter().enumerate() {
            found.not_blank(&format!("scale_to_zero.alarms[{index}]"), alarm);
        }
        if let Some(metric) = &self.metric {
            metric.problems(found);
        }
        if target.queues.is_empty()
            && self.topics.is_empty()
            && self.alarms.is_empty()
            && self.metric.is_none()
        {
            found.add(
                "scale_to_zero",
                "nothing could ever wake this service: give it queues, topics, alarms or a metric"
                    .to_owned(),
            );
        }
        if target.capacity.min > 0 {
            found.add(
                "scale_to_zero",
                format!(
                    "needs capacity.min 0, got {} (a service with a floor never sleeps)",
                    target.capacity.min
                ),
            );
        }
    }
}

impl ActivationMetric {
    fn problems(&self, found: &mut Found<'_>) {
        found.not_blank("scale_to_zero.metric.namespace", &self.namespace);
        found.not_blank("scale_to_zero.metric.metric", &self.metric);
        for (field, message) in
            dimension_problems("scale_to_zero.metric.dimensions", &self.dimensions)
        {
            found.add(&field, message);
        }
        if self.query().is_none() {
            found.add(
                "scale_to_zero.metric.statistic",
                format!(
                    "{:?} is not one of {}",
                    self.statistic,
                    Self::STATISTICS.join(", ")
                ),
            );
        }
        if !self.threshold.is_finite() {
            found.add(
                "scale_to_zero.metric.threshold",
                "must be a number".to_owned(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activation_metric_is_its_value_or_its_growth_a_minute() {
        let metric = |rate| ActivationMetric {
            namespace: "AWS/Kafka".into(),
            metric: "SumOffsetLag".into(),
            dimensions: BTreeMap::new(),
            statistic: "Maximum".into(),
            threshold: 100.0,
            rate,
        };
        // (points, as a value, as a rate)
        type Case<'a> = (&'a [(i64, f64)], bool, bool);
        let cases: [Case; 6] = [
            (&[], false, false),
            (&[(0, 5000.0)], true, false), // large, but one point is no rate
            (&[(0, 5000.0), (60, 4000.0)], true, false), // large and shrinking
            (&[(0, 10.0), (60, 50.0)], false, false), // small, growing 40 a minute
            (&[(0, 10.0), (60, 150.0)], true, true), // growing 140 a minute
            (&[(0, 10.0), (300, 400.0)], true, false), // 390 over 5 minutes: 78
        ];
        for (points, value, rate) in cases {
            assert_eq!(metric(false).shows_activity(points), value, "{points:?}");
            assert_eq!(metric(true).shows_activity(points), rate, "rate {points:?}");
        }
        let same_minute = [(60, 10.0), (60, 500.0)];
        assert!(
            !metric(true).shows_activity(&same_minute),
            "no time, no rate"
        );
    }

    const GOOD: &str = r#"
targets:
  - name: gold-inference
    cluster: gaming
    service: gold
    queues: [gold-queue]
    capacity: { min: 0, max: 50 }
    backlog_per_task: 50
    gpu:
      dimensions: { ClusterName: gaming, ServiceName: gold }
    scale_to_zero: { idle_minutes: 5 }
    profile: business-hours
profiles:
  - name: business-hours
    timezone: Europe/Berlin
    lead_minutes: 10
    windows:
      - { days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00", min_tasks: 5 }
      - { days_of_month: "28-L", min_tasks: 8 }
"#;

    fn problems_of(text: &str) -> Vec<String> {
        match Document::parse(text, Format::Yaml) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.0.iter().map(ToString::to_string).collect(),
        }
    }

    /// Issue 23 item 3: the prescaler plans only targets with a profile, so an
    /// enforcing budget over a target without one would never cap it.
    #[test]
    fn an_enforcing_budget_needs_profiled_targets() {
        let with = |mode: &str, profile: &str| {
            format!(
                "targets:\n  - {{ name: gpu, cluster: c, service: s, capacity: {{ min: 0, max: 8 }}, backlog_per_task: 10{profile} }}\n\
                 profiles:\n  - name: office\n    timezone: UTC\n    windows:\n      - {{ days: [mon], start: '08:00', end: '18:00', min_tasks: 3 }}\n\
                 budgets:\n  - {{ name: b, targets: [gpu], period: day, limit: 10, mode: {mode} }}\n"
            )
        };
        let refused = problems_of(&with("enforce", ""));
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].starts_with("budgets[0].targets: target \"gpu\" has no profile"),
            "{refused:?}"
        );
        assert!(problems_of(&with("alert", "")).is_empty());
        assert!(problems_of(&with("enforce", ", profile: office")).is_empty());
    }

    #[test]
    fn one_group_takes_one_kind_of_floor() {
        let text = |second: &str| {
            format!(
                "targets:\n  - {{ name: a, cluster: c, service: a, capacity: {{ min: 0, max: 4 }}, backlog_per_task: 1, instances: {{ auto_scaling_group: g }} }}\n  - {{ name: b, cluster: c, service: b, capacity: {{ min: 0, max: 4 }}, backlog_per_task: 1, instances: {{ auto_scaling_group: g{second} }} }}\n"
            )
        };
        assert_eq!(problems_of(&text("")), Vec::<String>::new(), "both MinSize");
        assert_eq!(
            problems_of(&text(", floor: warm_pool")),
            [
                "targets[1].instances.floor: group \"g\" is raised as MinSize by targets[0] and as WarmPool here: one group takes one kind of floor"
            ]
        );
    }

    /// Values CloudWatch, ECS or the arithmetic cannot honour, refused by path.
    #[test]
    fn values_aws_cannot_honour_are_refused_by_path() {
        let text = r#"
targets:
  - name: t
    cluster: c
    service: s
    queues: [q]
    capacity: { min: 0, max: 4294967295 }
    backlog_per_task: 1e-310
    gpu: { dimensions: { "": gold, ServiceName: "" } }
    profile: p
    instances: { auto_scaling_group: g, tasks_per_instance: 4294967295, warm_up_minutes: 1 }
    scale_to_zero:
      idle_minutes: 4294967295
      activation_backlog: 18446744073709551615
      metric: { namespace: N, metric: M, dimensions: { " ": x } }
    scaling:
      metric: { namespace: N, metric: M, target: 10, dimensions: { Queue: "" } }
      burst: { steps: [ { backlog: 18446744073709551615, add: 4294967295 } ] }
profiles:
  - name: p
    timezone: UTC
    windows:
      - { days: [mon], start: '08:00', end: '18:00', min_tasks: 4294967295, max_tasks: 4294967295 }
"#;
        let problems = problems_of(text);
        for expected in [
            "targets[0].capacity.max: must be at most 100000",
            "targets[0].backlog_per_task: must be a number from 0.001 to 1000000000, got 1e-310",
            "targets[0].gpu.dimensions: dimension name \"\" must be 1 to 255 characters",
            "targets[0].gpu.dimensions.ServiceName: must be 1 to 1024 characters",
            "targets[0].scale_to_zero.idle_minutes: must be 1 to 10080 (a week), got 4294967295",
            "targets[0].scale_to_zero.metric.dimensions: dimension name \" \" must be 1 to 255",
            "targets[0].scaling.metric.dimensions.Queue: must be 1 to 1024 characters",
            "targets[0].scale_to_zero.activation_backlog: must be at most 1000000000 messages",
            "targets[0].scaling.burst.steps[0].add: must add 1 to 100000 tasks, got 4294967295",
            "targets[0].scaling.burst.steps[0].backlog: must be at most 1000000000 messages",
            "targets[0].instances.tasks_per_instance: must be at most 100000",
            "profiles[0].windows[0].min_tasks: must be a whole number of tasks, 0 to 100000",
            "profiles[0].windows[0].max_tasks: must be at most 100000 tasks",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(expected)),
                "{expected} in {problems:#?}"
            );
        }
    }

    #[test]
    fn a_good_document_parses_with_defaults_filled_in() {
        let document = Document::parse(GOOD, Format::Yaml).expect("valid");
        let target = &document.targets[0];
        let gpu = target.gpu.as_ref().expect("gpu");
        assert_eq!(gpu.namespace, "CWAgent");
        assert_eq!(gpu.metric, "nvidia_smi_utilization_gpu");
        let zero = target.scale_to_zero.as_ref().expect("scale_to_zero");
        assert_eq!((zero.idle_minutes, zero.wake_tasks), (5, 1));
        assert!(!target.paused);
    }

    #[test]
    fn targets_in_other_accounts_are_checked_and_may_share_service_names() {
        let two = |first: &str, second: &str| {
            format!(
                "targets:\n  - {{ name: a, cluster: c, service: s, capacity: {{ min: 0, max: 1 }}, backlog_per_task: 1{first} }}\n  - {{ name: b, cluster: c, service: s, capacity: {{ min: 0, max: 1 }}, backlog_per_task: 1{second} }}\n"
            )
        };
        let role = ", role_arn: 'arn:aws:iam::111122223333:role/sluice'";
        assert_eq!(problems_of(&two("", role)), Vec::<String>::new());
        assert_eq!(
            problems_of(&two("", ", region: eu-west-1")),
            Vec::<String>::new()
        );
        assert_eq!(
            problems_of(&two(role, role)).len(),
            1,
            "the same service twice"
        );
        let bad = problems_of(&two(
            ", role_arn: sluice, region: Ireland",
            ", external_id: secret, instances: { auto_scaling_group: g, tasks_per_instance: 1, warm_up_minutes: 1 }, region: eu-west-1",
        ));
        let paths: Vec<&str> = bad.iter().filter_map(|p| p.split(':').next()).collect();
        assert_eq!(
            paths,
            [
                "targets[0].role_arn",
                "targets[0].region",
                "targets[1].external_id",
                "targets[1].instances"
            ],
            "{bad:#?}"
        );
        // The stack's own account and region, spelled out: the same service.
        let home = Home {
            account: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
        };
        for spelled in [role, ", region: eu-west-1"] {
            let text = two("", spelled);
            let document = Document::parse(&text, Format::Yaml).expect("valid offline");
            let problems = document.same_service_problems(&home);
            assert_eq!(problems.len(), 1, "{spelled}: {problems:?}");
            assert_eq!(problems[0].path, "targets[1].service");
            assert!(document.same_service_problems(&Home::default()).is_empty());
        }
        let wild = problems_of(&two(", role_arn: 'arn:aws:iam::111122223333:role/*'", ""));
        assert!(wild[0].starts_with("targets[0].role_arn: "), "{wild:?}");
        let mixed = problems_of(&two(&format!("{role}, region: cn-north-1"), ""));
        assert!(
            mixed[0].starts_with("targets[0].region: region cn-north-1 is in the aws-cn"),
            "{mixed:?}"
        );
    }

    #[test]
    fn json_and_yaml_read_the_same_document() {
        let yaml = Document::parse(GOOD, Format::Yaml).expect("yaml");
        let json = serde_json::to_string(&yaml).expect("serialise");
        assert_eq!(Document::parse(&json, Format::Json).expect("json"), yaml);
    }

    #[test]
    fn semantic_problems_are_all_listed_by_path() {
        let cases: &[(&str, &str)] = &[
            (
                "capacity: { min: 5, max: 2 }",
                "targets[0].capacity.max: must be >= min (5)",
            ),
            (
                "capacity: { min: 0, max: 0 }",
                "targets[0].capacity.max: must be at least 1",
            ),
            (
                "backlog_per_task: 0",
                "targets[0].backlog_per_task: must be a number from 0.001 to 1000000000, got 0",
            ),
            (
                "backlog_per_task: -3",
                "targets[0].backlog_per_task: must be a number from 0.001 to 1000000000, got -3",
            ),
            (
                "name: 'has space'",
                "targets[0].name: \"has space\" may only contain letters, digits, '-', '_' and '.'",
            ),
            (
                "scale_to_zero: { wake_tasks: 0 }",
                "targets[0].scale_to_zero.wake_tasks: must be at least 1",
            ),
            (
                "scale_to_zero: { wake_tasks: 60 }",
                "targets[0].scale_to_zero.wake_tasks: must be <= capacity.max (10)",
            ),
            (
                "scale_to_zero: { idle_minutes: 0 }",
                "targets[0].scale_to_zero.idle_minutes: must be 1 to 10080 (a week), got 0",
            ),
            ("queues: ['']", "targets[0].queues[0]: must not be empty"),
            (
                "queues: [{ name: retries, weight: 0 }]",
                "targets[0].queues[0].weight: must be above 0 and at most 100, got 0",
            ),
            (
                "queues: [{ name: retries, weight: half }]",
                "targets[0].queues[0].weight: invalid type: string \"half\", expected f64 at line 7 column 39",
            ),
            (
                "scale_to_zero: { busy_gpu_percent: 80 }",
                "targets[0].scale_to_zero.busy_gpu_percent: needs the target's gpu source: nothing reads its utilisation",
            ),
            (
                "scale_to_zero: { wake: always }",
                "targets[0].scale_to_zero.wake: unknown variant `always`, expected `fixed` or `sized` at line 8 column 28",
            ),
            (
                "scale_to_zero: { topics: [orders] }",
                "targets[0].scale_to_zero.topics[0]: \"orders\" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
            ),
            (
                "scale_to_zero: { metric: { namespace: AWS/Kafka, metric: SumOffsetLag, statistic: P99 } }",
                "targets[0].scale_to_zero.metric.statistic: \"P99\" is not one of Average, Maximum, Minimum, Sum, SampleCount",
            ),
        ];
        for (override_line, expected) in cases {
            let key = override_line.split(':').next().expect("key");
            let mut lines = vec![
                "name: t".to_owned(),
                "queues: [q]".to_owned(),
                "cluster: c".to_owned(),
                "service: s".to_owned(),
                "capacity: { min: 0, max: 10 }".to_owned(),
                "backlog_per_task: 10".to_owned(),
            ];
            lines.retain(|line| !line.starts_with(&format!("{key}:")));
            lines.push((*override_line).to_owned());
            let text = format!(
                "targets:\n{}",
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("  {} {l}\n", if i == 0 { "-" } else { " " }))
                    .collect::<String>()
            );
            assert_eq!(
                problems_of(&text),
                vec![expected.to_string()],
                "case {override_line}"
            );
        }
    }

    #[test]
    fn several_problems_are_reported_together() {
        let text = r#"
targets:
  - { name: a, cluster: c, service: s, capacity: { min: 3, max: 1 }, backlog_per_task: 5 }
  - { name: a, cluster: '', service: s, capacity: { min: 0, max: 1 }, backlog_per_task: 5 }
profiles:
  - { name: p, timezone: Mars/Olympus }
"#;
        assert_eq!(
            problems_of(text),
            vec![
                "targets[0].capacity.max: must be >= min (3)",
                "targets[1].name: duplicate target name \"a\" (also targets[0])",
                "targets[1].cluster: must not be empty",
                "profiles[0].timezone: unknown IANA time zone \"Mars/Olympus\"",
            ]
        );
    }

    #[test]
    fn type_errors_name_the_field() {
        let text = "targets:\n  - { name: a, cluster: c, service: s, capacity: { min: 0, max: lots }, backlog_per_task: 5 }\n";
        let problems = problems_of(text);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("targets[0].capacity.max: invalid type: string \"lots\""),
            "{problems:?}"
        );
        let problems = problems_of("targets:\n  - { name: a, clusterr: c }\n");
        assert!(
            problems[0].starts_with("targets[0].clusterr: unknown field `clusterr`"),
            "{problems:?}"
        );
        let problems = problems_of("targets:\n  - { name: a, cluster: c }\n");
        assert!(
            problems[0].contains("missing field `service`"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_profile_may_not_ask_more_than_its_targets_allow() {
        let text = r#"
targets:
  - { name: small, cluster: c, service: s, capacity: { min: 0, max: 4 }, backlog_per_task: 5, profile: peaks }
profiles:
  - name: peaks
    timezone: UTC
    windows:
      - { days: [mon], start: "08:00", end: "18:00", min_tasks: 6 }
      - { days_of_month: "28-L", min_tasks: 3 }
"#;
        assert_eq!(
            problems_of(text),
            vec![
                "profiles[0].windows[0].min_tasks: 6 is above capacity.max (4) of target \"small\", which uses this profile"
            ]
        );
    }

    #[test]
    fn a_floor_and_scale_to_zero_contradict() {
        let text = "targets:\n  - { name: a, cluster: c, service: s, queues: [q], capacity: { min: 2, max: 4 }, backlog_per_task: 5, scale_to_zero: {} }\n";
        assert_eq!(
            problems_of(text),
            vec![
                "targets[0].scale_to_zero: needs capacity.min 0, got 2 (a service with a floor never sleeps)"
            ]
        );
    }

    /// A 1 MB document whose aliases make serde_yaml_ng build 20 million queue names:
    /// refused before it is expanded, with the reason said.
    #[test]
    fn an_alias_amplified_document_is_refused_before_it_is_expanded() {
        let mut text = String::from(
            "targets:\n  - name: t0\n    cluster: c\n    service: s0\n    capacity: { min: 0, max: 1 }\n    backlog_per_task: 1\n    queues: &queues [",
        );
        for index in 0..100_000 {
            if index > 0 {
                text.push(',');
            }
            text.push('q');
        }
        text.push_str("]\n");
        for index in 1..200 {
            text.push_str(&format!(
                "  - {{ name: t{index}, cluster: c, service: s{index}, capacity: {{ min: 0, max: 1 }}, backlog_per_task: 1, queues: *queues }}\n"
            ));
        }
        let started = std::time::Instant::now();
        let problems = problems_of(&text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "(document): expands to more than 1000000 YAML nodes through its aliases"
            ),
            "{problems:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn a_few_aliases_are_fine() {
        let text = "defaults: &cap { min: 0, max: 5 }\ntargets: []\n";
        assert!(problems_of(text)[0].contains("unknown field `defaults`"));
        let text = "targets:\n  - { name: a, cluster: c, service: a, capacity: &cap { min: 0, max: 5 }, backlog_per_task: 1 }\n  - { name: b, cluster: c, service: b, capacity: *cap, backlog_per_task: 1 }\n";
        assert_eq!(problems_of(text), Vec::<String>::new());
    }

    #[test]
    fn calendars_are_defined_once_and_resolved_into_each_profile() {
        let text = "calendars:\n  - { name: de, dates: [\"12-25\", \"2026-04-03\"] }\n  - { name: office, dates: [\"12-24\", \"12-25\"] }\nprofiles:\n  - { name: p, timezone: UTC, holidays: [\"01-01\"], calendars: [de, office], windows: [] }\n  - { name: q, timezone: UTC, calendars: [nope] }\n";
        let problems = Document::parse(text, Format::Yaml).expect_err("unknown calendar");
        assert_eq!(
            problems.0[0].to_string(),
            "profiles[1].calendars[0]: no calendar named \"nope\" (defined: de, office)"
        );
        let text = text.replace("calendars: [nope]", "calendars: [de]");
        let document = Document::parse(&text, Format::Yaml).expect("valid");
        assert_eq!(
            document.profiles[0].holidays,
            ["01-01", "12-25", "2026-04-03", "12-24"],
            "each date once"
        );
        let stored = serde_json::to_string(&document.profiles[0]).expect("json");
        assert!(
            !stored.contains("calendars"),
            "stored with its dates: {stored}"
        );
        let bad = "calendars:\n  - { name: de, dates: [\"13-45\"] }\n  - { name: de, dates: [] }\nprofiles:\n  - { name: p, timezone: UTC, calendars: [de] }\n";
        let problems: Vec<String> = Document::parse(bad, Format::Yaml)
            .expect_err("bad")
            .0
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "calendars[0].dates[0]: \"13-45\" is not a date YYYY-MM-DD or a yearly MM-DD",
                "calendars[1].name: duplicate calendar name \"de\""
            ]
        );
    }

    #[test]
    fn holes_that_once_passed_validation() {
        // (document, the one problem it must have)
        let cases = [
            (
                "targets:\n  - { name: a, cluster: c, service: 'arn:aws:ecs:us-east-1:123456789012:service/c/s', capacity: { min: 0, max: 1 }, backlog_per_task: 1 }\n",
                "targets[0].service: \"arn:aws:ecs:us-east-1:123456789012:service/c/s\" is an ARN; give the service's name (s), its cluster goes in cluster",
            ),
            (
                "targets:\n  - { name: a, cluster: c, service: s, capacity: { min: 0, max: 1 }, backlog_per_task: 1 }\n  - { name: b, cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/c', service: s, capacity: { min: 0, max: 1 }, backlog_per_task: 1 }\n",
                "targets[1].service: service c/s is already the target \"a\" (targets[0]); two targets would fight over one service",
            ),
            (
                "targets:\n  - { name: a, cluster: c, service: s, queues: [q1, q2, q1], capacity: { min: 0, max: 1 }, backlog_per_task: 1 }\n",
                "targets[0].queues[2]: \"q1\" is listed twice (also queues[0]): its backlog would count twice",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(problems_of(text), vec![expected.to_owned()], "{text}");
        }
    }
}
