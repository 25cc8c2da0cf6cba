//! Step rules with durations, as teams write them: "CPU above 65 % for 5 minutes =>
//! +1 task", "more than 10 requests pending => +1", "below 20 % for 15 minutes => -1".
//! Each is a step policy (`sluice-step-<id>`) invoked by an alarm of its own
//! (`sluice-<target>-step-<id>`) whose EvaluationPeriods and DatapointsToAlarm come
//! from `for_minutes` and `of_minutes`. `burst` is the case of one datapoint on
//! Sluice's own Backlog, with several steps.
//! <https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html>,
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation>

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One rule: a metric above (or below) a threshold for some minutes adds (or removes)
/// tasks. Either side with either change: a cache hit rate below 60 % adds, CPU below
/// 20 % removes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRule {
    /// Names the rule's policy and alarm; default `<metric>-above` or `-below`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub namespace: String,
    pub metric: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    /// `Average`, `Maximum`, `Minimum`, `Sum`, `SampleCount`, or a percentile such as
    /// `p99` (request latency).
    #[serde(default = "StepRule::default_statistic")]
    pub statistic: String,
    /// The metric over the target's running tasks (as in `metrics`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_task: bool,
    /// The metric's growth a minute (as in `metrics`): "lag growing by more than 500
    /// a minute for 3 minutes => +2".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rate: bool,
    /// Fires when the metric is above this (more than).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// Fires when the metric is below this (less than).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    /// Minutes the metric must be past the threshold: one-minute datapoints.
    #[serde(default = "StepRule::default_minutes")]
    pub for_minutes: u32,
    /// Of how many latest minutes (`for_minutes` of `of_minutes`, CloudWatch's "M out
    /// of N"); default `for_minutes`: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_minutes: Option<u32>,
    /// Tasks to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<u32>,
    /// Tasks to remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<u32>,
    /// Seconds after the rule acted before it may act again; the block's
    /// `scale_out_cooldown` (adding) or `scale_in_cooldown` (removing) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<u32>,
}

/// Which side of its threshold fires an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Compare {
    /// At or above (the burst's backlog).
    AtLeast,
    /// More than.
    Above,
    /// Less than.
    Below,
}

impl StepRule {
    pub const STATISTICS: [&'static str; 5] =
        ["Average", "Maximum", "Minimum", "Sum", "SampleCount"];
    /// CloudWatch evaluates at most a day of one-minute periods.
    pub const MAX_MINUTES: u32 = 1440;

    fn default_statistic() -> String {
        "Average".to_owned()
    }

    /// One minute: AWS's alarm default, and the burst's.
    fn default_minutes() -> u32 {
        1
    }

    /// Which way the rule fires, and at what.
    pub fn threshold(&self) -> Option<(Compare, f64)> {
        match (self.above, self.below) {
            (Some(above), None) => Some((Compare::Above, above)),
            (None, Some(below)) => Some((Compare::Below, below)),
            _ => None,
        }
    }

    /// The change in tasks: positive adds, negative removes.
    pub fn change(&self) -> i32 {
        let tasks = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        match (self.add, self.remove) {
            (Some(add), None) => tasks(add),
            (None, Some(remove)) => -tasks(remove),
            _ => 0,
        }
    }

    /// How many of how many latest minutes.
    pub fn datapoints(&self) -> (u32, u32) {
        (
            self.for_minutes,
            self.of_minutes.unwrap_or(self.for_minutes),
        )
    }

    /// What names the rule's policy and alarm.
    pub fn id(&self) -> String {
        self.id.clone().unwrap_or_else(|| {
            let side = if self.below.is_some() {
                "below"
            } else {
                "above"
            };
            format!("{}-{side}", super::slug(&self.metric))
        })
    }

    /// Whether `statistic` is one CloudWatch takes: a plain one or a percentile
    /// (`p0` to `p100`, decimals allowed).
    pub fn is_percentile(statistic: &str) -> bool {
        statistic
            .strip_prefix('p')
            .and_then(|n| n.parse::<f64>().ok())
            .is_some_and(|n| (0.0..=100.0).contains(&n))
    }

    pub(crate) fn problems(&self, field: &str, add: &mut impl FnMut(&str, String)) {
        let at = |name: &str| format!("{field}.{name}");
        let place = (
            self.namespace.as_str(),
            self.metric.as_str(),
            &self.dimensions,
        );
        super::metric_problems(field, place, self.id.as_deref(), add);
        if !(Self::STATISTICS.contains(&self.statistic.as_str())
            || Self::is_percentile(&self.statistic))
        {
            add(
                &at("statistic"),
                format!(
                    "{:?} is not one of {} or a percentile (p99)",
                    self.statistic,
                    Self::STATISTICS.join(", ")
                ),
            );
        }
        self.threshold_problems(field, add);
        self.minutes_problems(field, add);
        if let Some(seconds) = self.cooldown.filter(|s| *s > super::Scaling::MAX_COOLDOWN) {
            add(&at("cooldown"), format!("{seconds} s is more than a day"));
        }
    }

    fn threshold_problems(&self, field: &str, add: &mut impl FnMut(&str, String)) {
        let at = |name: &str| format!("{field}.{name}");
        match (self.above, self.below) {
            (None, None) | (Some(_), Some(_)) => add(
                field,
                "needs exactly one of above or below: the side of the threshold that fires it"
                    .to_owned(),
            ),
            (Some(value), None) | (None, Some(value)) if !value.is_finite() => {
                let side = if self.above.is_some() {
                    "above"
                } else {
                    "below"
                };
                add(&at(side), format!("must be a number, got {value}"));
            }
            _ => {}
        }
        let tasks = crate::limits::MAX_TASKS;
        match (self.add, self.remove) {
            (Some(n), None) | (None, Some(n)) if (1..=tasks).contains(&n) => {}
            (Some(n), None) | (None, Some(n)) => {
                let name = if self.add.is_some() { "add" } else { "remove" };
                add(&at(name), format!("must be 1 to {tasks} tasks, got {n}"));
            }
            _ => add(
                field,
                "needs exactly one of add or remove: what the rule does to the tasks".to_owned(),
            ),
        }
    }

    fn minutes_problems(&self, field: &str, add: &mut impl FnMut(&str, String)) {
        let at = |name: &str| format!("{field}.{name}");
        let most = Self::MAX_MINUTES;
        if !(1..=most).contains(&self.for_minutes) {
            add(
                &at("for_minutes"),
                format!(
                    "must be 1 to {most} (one-minute datapoints), got {}",
                    self.for_minutes
                ),
            );
        }
        if let Some(of) = self.of_minutes {
            if !(1..=most).contains(&of) {
                add(&at("of_minutes"), format!("must be 1 to {most}, got {of}"));
            } else if of < self.for_minutes {
                add(
                    &at("of_minutes"),
                    format!(
                        "{of} is fewer than for_minutes {}: {} of {of} minutes cannot happen",
                        self.for_minutes, self.for_minutes
                    ),
                );
            }
        }
    }
}

/// Each rule's problems, and an id used twice.
pub(crate) fn problems(rules: &[StepRule], add: &mut impl FnMut(&str, String)) {
    let mut seen = std::collections::BTreeSet::new();
    for (index, rule) in rules.iter().enumerate() {
        let field = format!("step_rules[{index}]");
        rule.problems(&field, add);
        let id = rule.id();
        if !seen.insert(id.clone()) {
            add(
                &format!("{field}.id"),
                format!("{id:?} names an earlier rule too: give each its own id"),
            );
        }
    }
}
