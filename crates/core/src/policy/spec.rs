//! The shapes of what Sluice declares: the names it owns, metrics and metric math,
//! policies, steps and alarms.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::facts::ScalableBounds;
use crate::scaling::Compare;

/// Names of policies Sluice owns start with this.
pub const OWNED_PREFIX: &str = "sluice-";

pub const CAPACITY_POLICY: &str = "sluice-capacity";

pub const SAFETY_NET_POLICY: &str = "sluice-safety-net";

pub const BACKLOG_POLICY: &str = "sluice-backlog-per-task";

pub const GPU_POLICY: &str = "sluice-gpu-utilization";

pub const AGE_POLICY: &str = "sluice-oldest-message-age";

pub const METRIC_POLICY: &str = "sluice-metric";

pub const BURST_POLICY: &str = "sluice-burst";

/// Step rules' policies: `sluice-step-<id>`.
pub const STEP_POLICY_PREFIX: &str = "sluice-step-";

/// One CloudWatch series a policy or alarm reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRef {
    pub namespace: String,
    pub metric: String,
    pub dimensions: BTreeMap<String, String>,
    pub statistic: String,
}

/// What a target-tracking policy tracks: one series, metric math over several, or a
/// metric AWS defines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Series {
    One(MetricRef),
    /// `metrics` as m0, m1, ... and one expression over them.
    Math {
        metrics: Vec<MetricRef>,
        op: MathOp,
    },
    /// A metric AWS defines (PredefinedMetricType), with its ResourceLabel when it
    /// needs one (ALBRequestCountPerTarget).
    Predefined {
        metric_type: String,
        resource_label: Option<String>,
    },
}

/// The expressions Sluice writes, each over m0, m1, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MathOp {
    /// The largest of all (the oldest message over a target's queues).
    MaxOf,
    /// m0 over m1, the target's running tasks.
    PerTask,
    /// How much m0 grows a minute.
    Rate,
    /// How much m0 grows a minute, over m1, the running tasks.
    RatePerTask,
}

impl MathOp {
    /// The expression over `inputs` metrics, as CloudWatch's metric math takes it.
    pub fn expression(self, inputs: usize) -> String {
        match self {
            MathOp::MaxOf => {
                let ids: Vec<String> = (0..inputs).map(|i| format!("m{i}")).collect();
                format!("MAX([{}])", ids.join(","))
            }
            MathOp::PerTask => "m0 / m1".to_owned(),
            MathOp::Rate => "RATE(m0) * 60".to_owned(),
            MathOp::RatePerTask => "RATE(m0) * 60 / m1".to_owned(),
        }
    }

    /// The op an expression over `inputs` metrics is, when it is one Sluice writes
    /// (spaces aside).
    pub fn read(expression: &str, inputs: usize) -> Option<MathOp> {
        let squeezed: String = expression.chars().filter(|c| !c.is_whitespace()).collect();
        [
            MathOp::MaxOf,
            MathOp::PerTask,
            MathOp::Rate,
            MathOp::RatePerTask,
        ]
        .into_iter()
        .find(|op| {
            let wanted: String = op
                .expression(inputs)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            wanted == squeezed && inputs == op.inputs().unwrap_or(inputs)
        })
    }

    /// How many metrics the op reads, when fixed.
    fn inputs(self) -> Option<usize> {
        match self {
            MathOp::MaxOf => None,
            MathOp::Rate => Some(1),
            MathOp::PerTask | MathOp::RatePerTask => Some(2),
        }
    }
}

/// One query of a metric-math specification as AWS hands it back.
#[derive(Debug, Clone, PartialEq)]
pub enum MathQuery {
    /// A metric read under `id`.
    Input { id: String, metric: MetricRef },
    /// An expression; `returned`: its data is what the policy or alarm reads.
    Expression { text: String, returned: bool },
}

impl Series {
    /// The math as Sluice writes it (inputs `m0`, `m1`, ... in order, one returned
    /// expression of a [`MathOp`]), or None: anything else is unreadable, so a
    /// Sluice-owned policy or alarm holding it is put again. A query an adapter could
    /// not read is None.
    pub fn from_math(queries: impl IntoIterator<Item = Option<MathQuery>>) -> Option<Series> {
        let mut inputs = Vec::new();
        let mut expression = None;
        for query in queries {
            match query? {
                MathQuery::Expression {
                    text,
                    returned: true,
                } => expression = Some(text),
                MathQuery::Input { id, metric } if id == format!("m{}", inputs.len()) => {
                    inputs.push(metric);
                }
                _ => return None,
            }
        }
        let op = MathOp::read(&expression?, inputs.len())?;
        Some(Series::Math {
            metrics: inputs,
            op,
        })
    }
}

/// A step of a step policy, its bounds relative to the alarm's threshold as
/// Application Auto Scaling takes them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    /// None: no lower bound (a step below the threshold, removing tasks).
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub add: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Rule {
    TargetTracking {
        series: Series,
        target: f64,
        scale_out_cooldown: u32,
        scale_in_cooldown: u32,
        disable_scale_in: bool,
    },
    /// ChangeInCapacity steps on the Maximum of the alarm's metric.
    Step { steps: Vec<Step>, cooldown: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicySpec {
    pub name: String,
    pub rule: Rule,
}

/// An alarm Sluice owns: the one that invokes the burst step policy, or the one that
/// says a tracked metric went missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmSpec {
    pub name: String,
    /// One series, or metric math over several (a step rule per task or on a rate).
    pub metric: Series,
    pub when: AlarmWhen,
    pub action: AlarmAction,
}

/// When the alarm fires, on 1-minute periods.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum AlarmWhen {
    /// `datapoints` of the latest `periods` datapoints past `threshold` (a burst:
    /// one of one at or above it); no data is no alarm.
    Breach {
        compare: Compare,
        threshold: f64,
        datapoints: u32,
        periods: u32,
    },
    /// No datapoint for this many consecutive minutes (SampleCount below 1, missing
    /// data breaching).
    Missing { minutes: u32 },
}

/// What the alarm invokes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum AlarmAction {
    /// The ARN of this Sluice policy, known once the policy exists.
    Policy(String),
    /// An SNS topic ARN.
    Topic(String),
}

/// Everything Sluice declares for one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Declared {
    pub bounds: ScalableBounds,
    pub policies: Vec<PolicySpec>,
    pub alarms: Vec<AlarmSpec>,
}
