//! Scale to zero: when a target sleeps, what wakes it and how many tasks a wake
//! starts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::check::Found;
use super::target::Target;
use crate::dimensions::dimension_problems;
use crate::facts::MetricQuery;
use crate::limits::{MAX_BACKLOG, MAX_IDLE_MINUTES};

/// Scale-to-zero settings, used by the zero-watcher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleToZero {
    /// Minutes without work before the service sleeps. Unset (auto): as long as this
    /// service's last measured start-up, 5 s to 5 minutes, or 5 minutes before one is
    /// measured, or the cheapest wait over the idle gaps it has seen
    /// (crate::zero::IdleWait).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<u32>,
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
    /// The longest idle wait when `idle_minutes` is unset (crate::zero::IdleWait): the
    /// fixed wait `scale_to_zero: {}` meant before it followed the start-up.
    pub const AUTO_IDLE_MOST_MINUTES: u32 = 5;

    /// The minutes of activity the watcher reads back: the longest idle wait it may
    /// apply.
    pub fn activity_minutes(&self) -> u32 {
        self.idle_minutes.unwrap_or(Self::AUTO_IDLE_MOST_MINUTES)
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
    /// What `scale_to_zero: {}` means: sleep once idle for a start-up (5 s to 5 minutes), wake to 1 task on
    /// any backlog.
    fn default() -> Self {
        ScaleToZero {
            idle_minutes: None,
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

impl ScaleToZero {
    pub(super) fn problems(&self, target: &Target, found: &mut Found<'_>) {
        self.wait_and_wake_problems(target, found);
        self.busy_problems(target, found);
        self.reach_problems(target, found);
    }

    /// The idle wait, the wake's size and the topics that wake it.
    fn wait_and_wake_problems(&self, target: &Target, found: &mut Found<'_>) {
        if let Some(minutes) = self
            .idle_minutes
            .filter(|m| !(1..=MAX_IDLE_MINUTES).contains(m))
        {
            found.add(
                "scale_to_zero.idle_minutes",
                format!("must be 1 to {MAX_IDLE_MINUTES} (a week), got {minutes}"),
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
    }

    /// The thresholds and clocks that say the service is busy or starting.
    fn busy_problems(&self, target: &Target, found: &mut Found<'_>) {
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
    }

    /// What else wakes it, and whether it can sleep at all.
    fn reach_problems(&self, target: &Target, found: &mut Found<'_>) {
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
    pub(super) fn problems(&self, found: &mut Found<'_>) {
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
