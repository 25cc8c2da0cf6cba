//! A target's Application Auto Scaling as data: the scalable target's bounds, the
//! scaling policies and the alarm a burst policy needs, declared from the target's
//! configuration and reconciled against what AWS holds.
//!
//! Sluice owns what carries its prefix (`sluice-` for policy names, `sluice-<target>-`
//! for alarm names) and never touches anything else: a policy a team added by hand
//! stays.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Target;
use crate::facts::ScalableBounds;
use crate::names;
use crate::prescale::{Hold, wanted_bounds};
use crate::queue::AGE_OF_OLDEST_MESSAGE;
use crate::scaling::{Burst, Compare, Controller, StepRule, TrackedMetric, Tracks};

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

/// What AWS holds for one target: the bounds (None: no scalable target), its
/// policies (a rule Sluice cannot read is None, and is replaced if Sluice owns it)
/// and the alarms named with the target's Sluice prefix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    pub bounds: Option<ScalableBounds>,
    pub policies: Vec<LivePolicy>,
    pub alarms: Vec<LiveAlarm>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LivePolicy {
    pub name: String,
    pub arn: String,
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveAlarm {
    pub name: String,
    pub metric: Option<Series>,
    /// None when the alarm is of a shape Sluice does not make (it is then put again).
    pub when: Option<AlarmWhen>,
    pub actions: Vec<String>,
}

/// One change to make; `reason` says why, for `--dry-run` and the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Change {
    Register {
        from: Option<ScalableBounds>,
        to: ScalableBounds,
    },
    PutPolicy {
        spec: PolicySpec,
        reason: String,
    },
    DeletePolicy {
        name: String,
    },
    /// `action` is the policy's ARN; None when the policy is created in this run.
    PutAlarm {
        spec: AlarmSpec,
        action: Option<String>,
        reason: String,
    },
    DeleteAlarm {
        name: String,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Register { from: None, to } => {
                write!(f, "register scalable target {}-{}", to.min, to.max)
            }
            Change::Register {
                from: Some(from),
                to,
            } => write!(
                f,
                "bounds {}-{} -> {}-{}",
                from.min, from.max, to.min, to.max
            ),
            Change::PutPolicy { spec, reason } => write!(f, "put policy {} ({reason})", spec.name),
            Change::DeletePolicy { name } => write!(f, "delete policy {name} (no longer declared)"),
            Change::PutAlarm { spec, reason, .. } => {
                write!(f, "put alarm {} ({reason})", spec.name)
            }
            Change::DeleteAlarm { name } => write!(f, "delete alarm {name} (no longer declared)"),
        }
    }
}

/// The prefix of the alarms Sluice owns for `target`.
pub fn alarm_prefix(target: &str) -> String {
    format!("{OWNED_PREFIX}{target}-")
}

/// What the target's configuration declares, with MinCapacity raised to `floor` (the
/// prescaler's floor now, so an apply never undoes a window); None when the target
/// leaves Application Auto Scaling to others (`scaling.managed: false`).
pub fn declared(target: &Target, namespace: &str, hold: Hold) -> Option<Declared> {
    let scaling = &target.scaling;
    if !scaling.managed {
        return None;
    }
    let own = |metric: &str, statistic: &str| MetricRef {
        namespace: namespace.to_owned(),
        metric: metric.to_owned(),
        dimensions: [(names::TARGET_DIMENSION.to_owned(), target.name.clone())].into(),
        statistic: statistic.to_owned(),
    };
    let tracking = |name: &str, series: Series, value: f64| PolicySpec {
        name: name.to_owned(),
        rule: Rule::TargetTracking {
            series,
            target: value,
            scale_out_cooldown: scaling.scale_out_cooldown,
            scale_in_cooldown: scaling.scale_in_cooldown,
            disable_scale_in: scaling.disable_scale_in,
        },
    };
    let mut policies = match (scaling.tracks, scaling.controller) {
        // No queues, no need to track: the target's own policies size it.
        (Tracks::Capacity, _) if target.queues.is_empty() => Vec::new(),
        // The need against desired: the proportional step lands on the need; the GPUs
        // are part of the need. Scaling in is the zero-watcher's give-back alone (one
        // owner: a scale-in here, a tenth short of the give-back's, would be raised
        // again at the next look).
        // With a policy on a signal the need does not see, the watcher does not give
        // back (`Scaling::gives_back`) and scale-in is Application Auto Scaling's, when
        // every policy agrees: this one's is enabled then.
        (Tracks::Capacity, Controller::Tracking) => vec![PolicySpec {
            name: CAPACITY_POLICY.to_owned(),
            rule: Rule::TargetTracking {
                series: Series::One(own(names::CAPACITY_UTILIZATION, "Average")),
                target: 100.0,
                scale_out_cooldown: scaling.scale_out_cooldown,
                scale_in_cooldown: scaling.scale_in_cooldown,
                disable_scale_in: scaling.disable_scale_in || scaling.unseen_signals().is_empty(),
            },
        }],
        // Sluice sets desired itself; SQS's own age of the oldest message adds tasks if
        // Sluice stops, and never removes any.
        (Tracks::Capacity, Controller::Direct) => vec![PolicySpec {
            name: SAFETY_NET_POLICY.to_owned(),
            rule: Rule::TargetTracking {
                series: oldest_message(target),
                target: f64::from(safety_net_seconds(target)),
                scale_out_cooldown: scaling.scale_out_cooldown,
                scale_in_cooldown: scaling.scale_in_cooldown,
                disable_scale_in: true,
            },
        }],
        (Tracks::BacklogPerTask, _) => {
            let mut before = vec![tracking(
                BACKLOG_POLICY,
                Series::One(own(names::BACKLOG_PER_TASK, "Average")),
                target.backlog_per_task,
            )];
            if let Some(percent) = scaling.gpu_utilization {
                let series = Series::One(own(names::GPU_AVERAGE, "Average"));
                before.push(tracking(GPU_POLICY, series, percent));
            }
            before
        }
    };
    if let Some(seconds) = scaling.oldest_message_age {
        policies.push(tracking(
            AGE_POLICY,
            oldest_message(target),
            f64::from(seconds),
        ));
    }
    for (name, _, metric) in tracked_metrics(target) {
        let tasks = own(names::RUNNING_TASKS, "Average");
        let series = math_of(
            tracked(metric, &metric.statistic),
            metric.per_task,
            metric.rate,
            &tasks,
        );
        policies.push(tracking(&name, series, metric.target));
    }
    policies.extend(scaling.predefined().into_iter().map(|p| PolicySpec {
        name: p.kind.policy().to_owned(),
        rule: Rule::TargetTracking {
            series: Series::Predefined {
                metric_type: p.metric_type.to_owned(),
                resource_label: p.resource_label,
            },
            target: p.target,
            scale_out_cooldown: p.scale_out_cooldown,
            scale_in_cooldown: p.scale_in_cooldown,
            disable_scale_in: scaling.disable_scale_in,
        },
    }));
    let mut alarms = Vec::new();
    let tasks = own(names::RUNNING_TASKS, "Average");
    let steps = burst(target, own(names::BACKLOG, "Maximum"))
        .into_iter()
        .chain(step_rules(target, &tasks));
    for (policy, alarm) in steps {
        policies.push(policy);
        alarms.push(alarm);
    }
    alarms.extend(missing_metric_alarms(target));
    Some(Declared {
        bounds: wanted_bounds(target, hold),
        policies,
        alarms,
    })
}

/// The age of the oldest message at which the direct controller's safety net adds
/// tasks: four latency goals, or ten minutes without a declared goal.
pub fn safety_net_seconds(target: &Target) -> u32 {
    target
        .latency_goal_seconds
        .map_or(600, |goal| goal.saturating_mul(4))
        .clamp(60, 86_400)
}

/// The burst step policy on `Backlog` and the one-datapoint alarm that invokes it.
fn burst(target: &Target, backlog: MetricRef) -> Option<(PolicySpec, AlarmSpec)> {
    let burst = target.scaling.burst.as_ref()?;
    let first = burst.steps.first()?;
    let when = AlarmWhen::Breach {
        compare: Compare::AtLeast,
        threshold: first.backlog as f64,
        datapoints: 1,
        periods: 1,
    };
    let alarm = format!("{}burst", alarm_prefix(&target.name));
    let rule = Rule::Step {
        steps: steps(burst),
        cooldown: burst.cooldown,
    };
    Some(step_policy(
        BURST_POLICY,
        alarm,
        Series::One(backlog),
        when,
        rule,
    ))
}

/// The step rules, each a step policy `sluice-step-<id>` on its alarm
/// `sluice-<target>-step-<id>`: one step of the rule's tasks past its threshold
/// (`tasks`: the target's published running tasks, for a rule per task).
fn step_rules(target: &Target, tasks: &MetricRef) -> Vec<(PolicySpec, AlarmSpec)> {
    target
        .scaling
        .step_rules
        .iter()
        .filter_map(|rule| {
            let (compare, threshold) = rule.threshold()?;
            let (datapoints, periods) = rule.datapoints();
            let when = AlarmWhen::Breach {
                compare,
                threshold,
                datapoints,
                periods,
            };
            let id = rule.id();
            let policy = format!("{STEP_POLICY_PREFIX}{id}");
            let alarm = format!("{}step-{id}", alarm_prefix(&target.name));
            let series = math_of(step_metric(rule), rule.per_task, rule.rate, tasks);
            let spec = rule_step(rule, compare, &target.scaling);
            Some(step_policy(&policy, alarm, series, when, spec))
        })
        .collect()
}

/// A step rule's one step, spanning the side of the threshold that fires its alarm,
/// and its cooldown (the block's scale-out one when it adds, scale-in when it removes).
fn rule_step(rule: &StepRule, compare: Compare, scaling: &crate::scaling::Scaling) -> Rule {
    let (lower, upper) = match compare {
        Compare::Below => (None, Some(0.0)),
        Compare::Above | Compare::AtLeast => (Some(0.0), None),
    };
    let add = rule.change();
    let cooldown = rule.cooldown.unwrap_or(if add > 0 {
        scaling.scale_out_cooldown
    } else {
        scaling.scale_in_cooldown
    });
    Rule::Step {
        steps: vec![Step { lower, upper, add }],
        cooldown,
    }
}

/// The series a step rule's alarm reads.
fn step_metric(rule: &StepRule) -> MetricRef {
    MetricRef {
        namespace: rule.namespace.clone(),
        metric: rule.metric.clone(),
        dimensions: rule.dimensions.clone(),
        statistic: rule.statistic.clone(),
    }
}

/// A step policy and the alarm that invokes it.
fn step_policy(
    policy: &str,
    alarm: String,
    metric: Series,
    when: AlarmWhen,
    rule: Rule,
) -> (PolicySpec, AlarmSpec) {
    let spec = PolicySpec {
        name: policy.to_owned(),
        rule,
    };
    let alarm = AlarmSpec {
        name: alarm,
        metric,
        when,
        action: AlarmAction::Policy(policy.to_owned()),
    };
    (spec, alarm)
}

/// The team's metrics with their policy's name and alarm name: `metric` as
/// `sluice-metric`, each of `metrics` as `sluice-metric-<id>`.
fn tracked_metrics(target: &Target) -> Vec<(String, String, &TrackedMetric)> {
    let prefix = alarm_prefix(&target.name);
    let one = target.scaling.metric.iter().map(|metric| {
        let alarm = format!("{prefix}metric-missing");
        (METRIC_POLICY.to_owned(), alarm, metric)
    });
    let several = target.scaling.metrics.iter().map(|metric| {
        let id = metric.id();
        let alarm = format!("{prefix}metric-{id}-missing");
        (format!("{METRIC_POLICY}-{id}"), alarm, metric)
    });
    one.chain(several).collect()
}

/// `value` as it is, over `tasks` (the target's published running tasks), as its
/// growth a minute, or both, as metric math.
fn math_of(value: MetricRef, per_task: bool, rate: bool, tasks: &MetricRef) -> Series {
    let op = match (per_task, rate) {
        (false, false) => return Series::One(value),
        (true, false) => MathOp::PerTask,
        (false, true) => MathOp::Rate,
        (true, true) => MathOp::RatePerTask,
    };
    let metrics = if per_task {
        vec![value, tasks.clone()]
    } else {
        vec![value]
    };
    Series::Math { metrics, op }
}

/// The alarms on the team's metrics going missing, counted in datapoints.
fn missing_metric_alarms(target: &Target) -> Vec<AlarmSpec> {
    tracked_metrics(target)
        .into_iter()
        .filter_map(|(_, name, metric)| {
            let missing = metric.missing.as_ref()?;
            Some(AlarmSpec {
                name,
                metric: Series::One(tracked(metric, "SampleCount")),
                when: AlarmWhen::Missing {
                    minutes: missing.minutes,
                },
                action: AlarmAction::Topic(missing.topic.clone()),
            })
        })
        .collect()
}

/// The custom tracked metric's series, read with `statistic`.
fn tracked(metric: &TrackedMetric, statistic: &str) -> MetricRef {
    MetricRef {
        namespace: metric.namespace.clone(),
        metric: metric.metric.clone(),
        dimensions: metric.dimensions.clone(),
        statistic: statistic.to_owned(),
    }
}

/// SQS's age of the oldest message, the largest over the target's queues.
fn oldest_message(target: &Target) -> Series {
    let mut series: Vec<MetricRef> = target
        .queues
        .iter()
        .map(|queue| {
            let query = queue.sqs_metric(AGE_OF_OLDEST_MESSAGE, "Maximum");
            MetricRef {
                namespace: query.namespace,
                metric: query.metric,
                dimensions: query.dimensions,
                statistic: query.statistic.to_owned(),
            }
        })
        .collect();
    if series.len() == 1 {
        Series::One(series.remove(0))
    } else {
        Series::Math {
            metrics: series,
            op: MathOp::MaxOf,
        }
    }
}

/// Burst steps as step adjustments relative to the alarm's threshold (the first
/// step's backlog): [0, next) adds the first step's tasks, and so on.
fn steps(burst: &Burst) -> Vec<Step> {
    let base = burst.steps.first().map_or(0, |s| s.backlog) as f64;
    burst
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| Step {
            lower: Some(step.backlog as f64 - base),
            upper: burst.steps.get(index + 1).map(|n| n.backlog as f64 - base),
            add: i32::try_from(step.add).unwrap_or(i32::MAX),
        })
        .collect()
}

/// The changes that make `live` what `declared` says, bounds first, then policies,
/// then the alarms that invoke them. Policies and alarms Sluice does not own are
/// never in the list.
pub fn reconcile(declared: &Declared, live: &Live) -> Vec<Change> {
    let mut changes = Vec::new();
    if live.bounds != Some(declared.bounds) {
        changes.push(Change::Register {
            from: live.bounds,
            to: declared.bounds,
        });
    }
    let mut replaced = Vec::new();
    for spec in &declared.policies {
        let current = live.policies.iter().find(|p| p.name == spec.name);
        let reason = match current {
            None => "new".to_owned(),
            Some(p) if p.rule.is_none() => "unreadable, replaced".to_owned(),
            Some(p) if p.rule.as_ref() != Some(&spec.rule) => "changed".to_owned(),
            Some(_) => continue,
        };
        replaced.push(spec.name.as_str());
        changes.push(Change::PutPolicy {
            spec: spec.clone(),
            reason,
        });
    }
    for policy in &live.policies {
        let declared_here = declared.policies.iter().any(|p| p.name == policy.name);
        if policy.name.starts_with(OWNED_PREFIX) && !declared_here {
            changes.push(Change::DeletePolicy {
                name: policy.name.clone(),
            });
        }
    }
    changes.extend(reconcile_alarms(declared, live, &replaced));
    changes
}

fn reconcile_alarms(declared: &Declared, live: &Live, replaced: &[&str]) -> Vec<Change> {
    let mut changes = Vec::new();
    for spec in &declared.alarms {
        let arn = match &spec.action {
            AlarmAction::Topic(topic) => Some(topic.clone()),
            AlarmAction::Policy(policy) => live
                .policies
                .iter()
                .find(|p| &p.name == policy && !replaced.contains(&p.name.as_str()))
                .map(|p| p.arn.clone()),
        };
        let current = live.alarms.iter().find(|a| a.name == spec.name);
        let reason = match (current, &arn) {
            (None, _) => "new",
            (Some(_), None) => "its policy is put in this run",
            (Some(a), Some(arn)) if !a.actions.contains(arn) => "action changed",
            (Some(a), _) if a.metric.as_ref() != Some(&spec.metric) => "metric changed",
            (Some(a), _) if a.when != Some(spec.when) => "condition changed",
            (Some(_), _) => continue,
        };
        changes.push(Change::PutAlarm {
            spec: spec.clone(),
            action: arn,
            reason: reason.to_owned(),
        });
    }
    for alarm in &live.alarms {
        if !declared.alarms.iter().any(|a| a.name == alarm.name) {
            changes.push(Change::DeleteAlarm {
                name: alarm.name.clone(),
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaling::{BurstStep, Scaling};

    fn gold() -> Target {
        Target::new("gold", "c", "gold-svc")
            .with_queues(["q1", "https://sqs.us-east-1.amazonaws.com/1/q2"])
            .with_capacity(1, 10)
            .with_backlog_per_task(50.0)
            .with_gpu(crate::config::GpuSource::agent([(
                "ServiceName",
                "gold-svc",
            )]))
            .with_scaling(Scaling {
                gpu_utilization: Some(75.0),
                oldest_message_age: Some(300),
                burst: Some(Burst {
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
                }),
                ..Scaling::default()
            })
    }

    fn live_of(declared: &Declared) -> Live {
        Live {
            bounds: Some(declared.bounds),
            policies: declared
                .policies
                .iter()
                .map(|p| LivePolicy {
                    name: p.name.clone(),
                    arn: format!("arn:{}", p.name),
                    rule: Some(p.rule.clone()),
                })
                .collect(),
            alarms: declared
                .alarms
                .iter()
                .map(|a| LiveAlarm {
                    name: a.name.clone(),
                    metric: Some(a.metric.clone()),
                    when: Some(a.when),
                    actions: vec![match &a.action {
                        AlarmAction::Policy(policy) => format!("arn:{policy}"),
                        AlarmAction::Topic(topic) => topic.clone(),
                    }],
                })
                .collect(),
        }
    }

    #[test]
    fn a_missing_tracked_metric_alarms_to_its_topic() {
        let target = Target::new("runs", "ml", "runners").with_scaling(Scaling {
            metric: Some(crate::scaling::TrackedMetric {
                id: None,
                namespace: "Orchestrator".into(),
                metric: "WaitingRuns".into(),
                dimensions: BTreeMap::new(),
                statistic: "Maximum".into(),
                target: 10.0,
                per_task: false,
                rate: false,
                missing: Some(crate::scaling::MissingMetric {
                    topic: "arn:aws:sns:us-east-1:1:alarms".into(),
                    minutes: 5,
                }),
            }),
            ..Scaling::default()
        });
        let declared = declared(&target, "Sluice", Hold::default()).expect("managed");
        let alarm = &declared.alarms[0];
        assert_eq!(alarm.name, "sluice-runs-metric-missing");
        assert_eq!(alarm.when, AlarmWhen::Missing { minutes: 5 });
        assert!(matches!(&alarm.metric, Series::One(m) if m.statistic == "SampleCount"));
        assert_eq!(
            alarm.action,
            AlarmAction::Topic("arn:aws:sns:us-east-1:1:alarms".into())
        );
        let live = live_of(&declared);
        assert!(reconcile(&declared, &live).is_empty(), "in sync once made");
    }

    /// What a target `t` with queue `q` and this `scaling:` block declares, and the
    /// names of its policies.
    fn declared_from(yaml: &str) -> (Declared, Vec<String>) {
        let scaling: Scaling = serde_yaml_ng::from_str(yaml).expect("scaling");
        let target = Target::new("t", "c", "s")
            .with_queues(["q"])
            .with_scaling(scaling);
        let declared = declared(&target, "Sluice", Hold::default()).expect("managed");
        let names = declared.policies.iter().map(|p| p.name.clone()).collect();
        (declared, names)
    }

    #[test]
    fn several_metrics_are_policies_per_task_or_as_their_growth() {
        let (declared, names) = declared_from(
            "metrics:\n\
             \x20 - { namespace: Agents, metric: ActiveTasks, target: 70, per_task: true }\n\
             \x20 - id: lag-growth\n\
             \x20   namespace: Pipestream/Kafka\n\
             \x20   metric: ConsumerLag\n\
             \x20   statistic: Maximum\n\
             \x20   dimensions: { ConsumerGroup: engine }\n\
             \x20   target: 200\n\
             \x20   rate: true\n\
             \x20   missing: { topic: 'arn:aws:sns:us-east-1:123456789012:alarms' }\n",
        );
        assert_eq!(
            names,
            [
                CAPACITY_POLICY,
                "sluice-metric-activetasks",
                "sluice-metric-lag-growth"
            ]
        );
        let series = |index: usize| match &declared.policies[index].rule {
            Rule::TargetTracking { series, .. } => series.clone(),
            other => panic!("{other:?}"),
        };
        let Series::Math { metrics, op } = series(1) else {
            panic!("math")
        };
        assert_eq!(op, MathOp::PerTask);
        assert_eq!(
            (metrics[0].metric.as_str(), metrics[1].metric.as_str()),
            ("ActiveTasks", "RunningTasks"),
            "over the tasks Sluice publishes"
        );
        assert_eq!(metrics[1].dimensions["Target"], "t");
        let Series::Math { metrics, op } = series(2) else {
            panic!("math")
        };
        assert_eq!((op, metrics.len()), (MathOp::Rate, 1));
        assert_eq!(
            declared.alarms[0].name,
            "sluice-t-metric-lag-growth-missing"
        );
    }

    #[test]
    fn a_target_without_queues_has_no_need_to_track() {
        let scaling: Scaling = serde_yaml_ng::from_str("cpu_utilization: 65").expect("scaling");
        let target = Target::new("t", "c", "s").with_scaling(scaling);
        assert!(
            !target.sizes_on_need(),
            "the watcher leaves its count to its policies"
        );
        let declared = declared(&target, "Sluice", Hold::default()).expect("managed");
        let names: Vec<&str> = declared.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["sluice-cpu-utilization"],
            "no sluice-capacity: its need would always be zero and drag the count to one"
        );
    }

    #[test]
    fn a_step_rule_is_a_step_policy_on_an_alarm_of_its_own() {
        let (declared, names) = declared_from(
            "scale_in_cooldown: 600\n\
             step_rules:\n\
             \x20 - { id: cpu-high, namespace: AWS/ECS, metric: CPUUtilization, above: 65, for_minutes: 5, add: 1, cooldown: 120 }\n\
             \x20 - { namespace: AWS/ECS, metric: CPUUtilization, below: 20, for_minutes: 10, of_minutes: 15, remove: 2 }\n\
             \x20 - { namespace: Gpu, metric: CacheHitRate, below: 60, add: 1 }\n",
        );
        assert_eq!(
            names,
            [
                CAPACITY_POLICY,
                "sluice-step-cpu-high",
                "sluice-step-cpuutilization-below",
                "sluice-step-cachehitrate-below"
            ]
        );
        assert_eq!(
            declared.policies[3].rule,
            Rule::Step {
                steps: vec![Step {
                    lower: None,
                    upper: Some(0.0),
                    add: 1
                }],
                cooldown: 60
            },
            "a low cache hit rate adds: below the threshold, the scale-out cooldown"
        );
        assert_eq!(
            declared.policies[1].rule,
            Rule::Step {
                steps: vec![Step {
                    lower: Some(0.0),
                    upper: None,
                    add: 1
                }],
                cooldown: 120
            }
        );
        assert_eq!(
            declared.policies[2].rule,
            Rule::Step {
                steps: vec![Step {
                    lower: None,
                    upper: Some(0.0),
                    add: -2
                }],
                cooldown: 600
            },
            "removing: below the threshold, the scale-in cooldown"
        );
        let alarm = &declared.alarms[1];
        assert_eq!(alarm.name, "sluice-t-step-cpuutilization-below");
        assert_eq!(
            alarm.when,
            AlarmWhen::Breach {
                compare: Compare::Below,
                threshold: 20.0,
                datapoints: 10,
                periods: 15
            }
        );
        assert_eq!(
            alarm.action,
            AlarmAction::Policy("sluice-step-cpuutilization-below".into())
        );
        let live = live_of(&declared);
        assert!(reconcile(&declared, &live).is_empty(), "in sync once made");
    }

    #[test]
    fn a_step_rule_on_a_rate_or_per_task_alarms_on_metric_math() {
        let (declared, _) = declared_from(
            "step_rules:\n\
             \x20 - { id: growth, namespace: Kafka, metric: Lag, statistic: Maximum, rate: true, above: 500, for_minutes: 3, add: 2 }\n\
             \x20 - { id: busy, namespace: Agents, metric: Active, statistic: Sum, per_task: true, above: 70, add: 1 }\n",
        );
        let Series::Math { metrics, op } = &declared.alarms[0].metric else {
            panic!("math: {:?}", declared.alarms[0].metric)
        };
        assert_eq!((*op, metrics[0].metric.as_str()), (MathOp::Rate, "Lag"));
        let Series::Math { metrics, op } = &declared.alarms[1].metric else {
            panic!("math: {:?}", declared.alarms[1].metric)
        };
        assert_eq!(*op, MathOp::PerTask);
        assert_eq!(metrics[1].metric, "RunningTasks");
        let live = live_of(&declared);
        assert!(reconcile(&declared, &live).is_empty(), "in sync once made");
    }

    #[test]
    fn metric_math_reads_back_only_as_sluice_writes_it() {
        let metric = |name: &str| MetricRef {
            namespace: "N".into(),
            metric: name.into(),
            dimensions: BTreeMap::new(),
            statistic: "Sum".into(),
        };
        let input = |id: &str, name: &str| {
            Some(MathQuery::Input {
                id: id.into(),
                metric: metric(name),
            })
        };
        let expression = |text: &str, returned: bool| {
            Some(MathQuery::Expression {
                text: text.into(),
                returned,
            })
        };
        assert_eq!(
            Series::from_math([
                input("m0", "Lag"),
                input("m1", "Tasks"),
                expression("m0 / m1", true)
            ]),
            Some(Series::Math {
                metrics: vec![metric("Lag"), metric("Tasks")],
                op: MathOp::PerTask
            })
        );
        let unreadable = [
            vec![input("m1", "Lag"), expression("RATE(m1) * 60", true)], // not m0
            vec![input("m0", "Lag"), expression("RATE(m0) * 60", false)], // nothing returned
            vec![input("m0", "Lag"), expression("m0 * 2", true)],        // not Sluice's
            vec![input("m0", "Lag"), None, expression("RATE(m0) * 60", true)], // a query unread
        ];
        for queries in unreadable {
            assert_eq!(Series::from_math(queries.clone()), None, "{queries:?}");
        }
    }

    #[test]
    fn the_expressions_sluice_writes_read_back_as_written() {
        let cases = [
            (MathOp::MaxOf, 3, "MAX([m0,m1,m2])"),
            (MathOp::PerTask, 2, "m0 / m1"),
            (MathOp::Rate, 1, "RATE(m0) * 60"),
            (MathOp::RatePerTask, 2, "RATE(m0) * 60 / m1"),
        ];
        for (op, inputs, text) in cases {
            assert_eq!(op.expression(inputs), text);
            assert_eq!(MathOp::read(text, inputs), Some(op), "{text}");
            assert_eq!(MathOp::read(&text.replace(' ', ""), inputs), Some(op));
        }
        assert_eq!(
            MathOp::read("m0 / m1", 3),
            None,
            "a third input is not ours"
        );
        assert_eq!(MathOp::read("m0 * 2", 1), None);
        assert_eq!(MathOp::read("MAX([m0,m1])", 3), None);
    }

    #[test]
    fn predefined_metrics_are_policies_and_take_scale_in_to_application_auto_scaling() {
        let plain = declared(
            &Target::new("t", "c", "s").with_queues(["q"]),
            "Sluice",
            Hold::default(),
        )
        .expect("managed");
        assert!(
            matches!(
                plain.policies[0].rule,
                Rule::TargetTracking {
                    disable_scale_in: true,
                    ..
                }
            ),
            "the give-back is the watcher's"
        );
        let (declared, names) = declared_from(
            "scale_in_cooldown: 600\n\
             cpu_utilization: { target: 70, high_resolution: true, scale_out_cooldown: 30 }\n\
             requests_per_task:\n\
             \x20 target: 1000\n\
             \x20 load_balancer: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188\n\
             \x20 target_group: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/943f017f100becff\n",
        );
        assert_eq!(
            names,
            [
                CAPACITY_POLICY,
                "sluice-cpu-utilization",
                "sluice-requests-per-task"
            ]
        );
        assert!(
            matches!(
                declared.policies[0].rule,
                Rule::TargetTracking {
                    disable_scale_in: false,
                    ..
                }
            ),
            "scale-in when every policy agrees, the need's included"
        );
        assert_eq!(
            declared.policies[1].rule,
            Rule::TargetTracking {
                series: Series::Predefined {
                    metric_type: "ECSServiceAverageCPUUtilizationHighResolution".into(),
                    resource_label: None,
                },
                target: 70.0,
                scale_out_cooldown: 30,
                scale_in_cooldown: 600,
                disable_scale_in: false,
            }
        );
        assert!(matches!(
            &declared.policies[2].rule,
            Rule::TargetTracking { series: Series::Predefined { metric_type, resource_label: Some(label) }, target, .. }
                if metric_type == "ALBRequestCountPerTarget"
                    && label == "app/web/50dc6c495c0c9188/targetgroup/web-tg/943f017f100becff"
                    && *target == 1000.0
        ));
    }

    #[test]
    fn a_target_declares_its_bounds_policies_and_burst_alarm() {
        let declared = declared(&gold(), "Sluice", Hold::default()).expect("managed");
        assert_eq!(declared.bounds, ScalableBounds { min: 1, max: 10 });
        let names: Vec<&str> = declared.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [CAPACITY_POLICY, AGE_POLICY, BURST_POLICY],
            "the GPUs are part of the need: no policy of their own"
        );
        let Rule::TargetTracking { series, target, .. } = &declared.policies[0].rule else {
            panic!("tracking")
        };
        assert_eq!(*target, 100.0);
        assert!(
            matches!(series, Series::One(m) if m.metric == "CapacityUtilization" && m.namespace == "Sluice")
        );
        let Rule::TargetTracking { series, .. } = &declared.policies[1].rule else {
            panic!("tracking")
        };
        assert!(
            matches!(series, Series::Math { metrics: queues, op: MathOp::MaxOf } if queues[1].dimensions["QueueName"] == "q2"),
            "the oldest message over both queues, by name: {series:?}"
        );
        let mut before = gold();
        before.scaling.tracks = Tracks::BacklogPerTask;
        let before = super::declared(&before, "Sluice", Hold::default()).expect("managed");
        let names: Vec<&str> = before.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [BACKLOG_POLICY, GPU_POLICY, AGE_POLICY, BURST_POLICY]
        );
        assert!(
            matches!(&before.policies[0].rule, Rule::TargetTracking { target, .. } if *target == 50.0)
        );
        let mut direct = gold();
        direct.scaling.controller = Controller::Direct;
        direct.latency_goal_seconds = Some(120);
        let direct = super::declared(&direct, "Sluice", Hold::default()).expect("managed");
        assert_eq!(direct.policies[0].name, SAFETY_NET_POLICY);
        assert!(
            matches!(&direct.policies[0].rule, Rule::TargetTracking { target, disable_scale_in: true, .. } if *target == 480.0),
            "four latency goals of the oldest message, adding only: {:?}",
            direct.policies[0].rule
        );
        let declared = super::declared(&gold(), "Sluice", Hold::default()).expect("managed");
        assert_eq!(
            declared.policies[2].rule,
            Rule::Step {
                steps: vec![
                    Step {
                        lower: Some(0.0),
                        upper: Some(1500.0),
                        add: 5
                    },
                    Step {
                        lower: Some(1500.0),
                        upper: None,
                        add: 10
                    },
                ],
                cooldown: 60
            }
        );
        assert_eq!(declared.alarms[0].name, "sluice-gold-burst");
        assert_eq!(
            declared.alarms[0].when,
            AlarmWhen::Breach {
                compare: Compare::AtLeast,
                threshold: 500.0,
                datapoints: 1,
                periods: 1
            }
        );
    }

    #[test]
    fn a_floor_the_prescaler_holds_is_kept_and_unmanaged_targets_declare_nothing() {
        let held = declared(&gold(), "Sluice", Hold::floor(6)).expect("managed");
        assert_eq!(held.bounds, ScalableBounds { min: 6, max: 10 });
        let unmanaged = gold().with_scaling(Scaling {
            managed: false,
            ..Scaling::default()
        });
        assert_eq!(declared(&unmanaged, "Sluice", Hold::default()), None);
    }

    #[test]
    fn reconcile_changes_only_what_differs_and_never_what_it_does_not_own() {
        let declared = declared(&gold(), "Sluice", Hold::default()).expect("managed");
        let mut live = live_of(&declared);
        assert_eq!(reconcile(&declared, &live), [], "in sync: nothing to do");

        live.policies.push(LivePolicy {
            name: "team-cpu".into(),
            arn: "arn:team".into(),
            rule: None,
        });
        live.policies.push(LivePolicy {
            name: "sluice-old".into(),
            arn: "arn:old".into(),
            rule: None,
        });
        live.bounds = Some(ScalableBounds { min: 3, max: 10 });
        if let Some(Rule::TargetTracking { target, .. }) = live.policies[0].rule.as_mut() {
            *target = 40.0;
        }
        live.alarms[0].actions = vec!["arn:elsewhere".into()];
        let changes: Vec<String> = reconcile(&declared, &live)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            changes,
            [
                "bounds 3-10 -> 1-10",
                "put policy sluice-capacity (changed)",
                "delete policy sluice-old (no longer declared)",
                "put alarm sluice-gold-burst (action changed)",
            ]
        );
    }

    #[test]
    fn a_burst_policy_put_in_this_run_puts_its_alarm_after_it() {
        let declared = declared(&gold(), "Sluice", Hold::default()).expect("managed");
        let mut live = live_of(&declared);
        live.policies.retain(|p| p.name != BURST_POLICY);
        let changes = reconcile(&declared, &live);
        assert!(
            matches!(&changes[0], Change::PutPolicy { spec, reason } if spec.name == BURST_POLICY && reason == "new")
        );
        assert!(
            matches!(&changes[1], Change::PutAlarm { action: None, reason, .. } if reason == "its policy is put in this run")
        );
        live.policies.clear();
        live.alarms.clear();
        live.bounds = None;
        let fresh: Vec<String> = reconcile(&declared, &live)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(fresh[0], "register scalable target 1-10");
        assert_eq!(fresh.len(), 1 + 3 + 1);
    }

    #[test]
    fn removing_the_burst_deletes_its_policy_and_alarm() {
        let before = declared(&gold(), "Sluice", Hold::default()).expect("managed");
        let live = live_of(&before);
        let mut target = gold();
        target.scaling.burst = None;
        let after = declared(&target, "Sluice", Hold::default()).expect("managed");
        let changes: Vec<String> = reconcile(&after, &live)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            changes,
            [
                "delete policy sluice-burst (no longer declared)",
                "delete alarm sluice-gold-burst (no longer declared)"
            ]
        );
    }
}
