//! A metric of the team's own, tracked at a target value (`scaling.metric`, or several
//! in `scaling.metrics`): as it is, per running task (metric math over Sluice's
//! `RunningTasks`), or as its change a minute (`RATE`), for "lag growth, not lag".
//! <https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html>

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A custom metric to track at a target value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackedMetric {
    /// Names this metric's policy and alarm in `scaling.metrics`
    /// (`sluice-metric-<id>`): letters, digits, `-` and `_`. Default: the metric's
    /// name, lowercased, other characters as `-`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub namespace: String,
    pub metric: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default = "TrackedMetric::default_statistic")]
    pub statistic: String,
    /// The value to keep the metric at or below, e.g. 10 waiting runs.
    pub target: f64,
    /// Track the metric divided by the target's running tasks (Sluice's published
    /// `RunningTasks`): an average per task, as target tracking expects.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_task: bool,
    /// Track how much the metric grows a minute (`RATE(m) * 60`) instead of the
    /// metric: "scale on lag growth, not absolute lag".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rate: bool,
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

    fn problems(&self, field: &str, add: &mut impl FnMut(&str, String)) {
        let parts: Vec<&str> = self.topic.split(':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sns" {
            add(
                &format!("{field}.missing.topic"),
                format!(
                    "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got {:?}",
                    self.topic
                ),
            );
        }
        // CloudWatch: evaluation periods x period at most one day.
        if !(1..=1440).contains(&self.minutes) {
            add(
                &format!("{field}.missing.minutes"),
                format!("must be 1 to 1440, got {}", self.minutes),
            );
        }
    }
}

impl TrackedMetric {
    pub const STATISTICS: [&'static str; 5] =
        ["Average", "Maximum", "Minimum", "Sum", "SampleCount"];

    fn default_statistic() -> String {
        "Average".to_owned()
    }

    /// What names this metric's policy and alarm in `scaling.metrics`.
    pub fn id(&self) -> String {
        self.id.clone().unwrap_or_else(|| super::slug(&self.metric))
    }

    /// The problems of this metric, under `field` (`metric` or `metrics[1]`).
    pub(crate) fn problems(&self, field: &str, add: &mut impl FnMut(&str, String)) {
        let at = |name: &str| format!("{field}.{name}");
        let place = (
            self.namespace.as_str(),
            self.metric.as_str(),
            &self.dimensions,
        );
        super::metric_problems(field, place, self.id.as_deref(), add);
        if !Self::STATISTICS.contains(&self.statistic.as_str()) {
            add(
                &at("statistic"),
                format!(
                    "{:?} is not one of {}",
                    self.statistic,
                    Self::STATISTICS.join(", ")
                ),
            );
        }
        if !(self.target.is_finite() && self.target > 0.0) {
            add(
                &at("target"),
                format!("must be a number above 0, got {}", self.target),
            );
        }
        if let Some(missing) = &self.missing {
            missing.problems(field, add);
        }
    }
}

/// Each tracked metric's problems, and an id used twice.
pub(crate) fn problems(
    one: Option<&TrackedMetric>,
    several: &[TrackedMetric],
    add: &mut impl FnMut(&str, String),
) {
    if let Some(metric) = one {
        metric.problems("metric", add);
    }
    let mut seen = std::collections::BTreeSet::new();
    for (index, metric) in several.iter().enumerate() {
        let field = format!("metrics[{index}]");
        metric.problems(&field, add);
        let id = metric.id();
        if !seen.insert(id.clone()) {
            add(
                &format!("{field}.id"),
                format!("{id:?} names an earlier metric too: give each its own id"),
            );
        }
    }
}
