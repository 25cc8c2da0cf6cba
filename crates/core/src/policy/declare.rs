//! A target's configuration as the policies and alarms it declares: bounds, the
//! capacity policy, burst, step rules, tracked metrics and the safety net.

use super::spec::{
    AGE_POLICY, AlarmAction, AlarmSpec, AlarmWhen, BACKLOG_POLICY, BURST_POLICY, CAPACITY_POLICY,
    Declared, GPU_POLICY, METRIC_POLICY, MathOp, MetricRef, OWNED_PREFIX, PolicySpec, Rule,
    SAFETY_NET_POLICY, STEP_POLICY_PREFIX, Series, Step,
};
use crate::config::Target;
use crate::names;
use crate::prescale::{Hold, wanted_bounds};
use crate::queue::AGE_OF_OLDEST_MESSAGE;
use crate::scaling::{Burst, Compare, Controller, Scaling, StepRule, TrackedMetric, Tracks};

/// The prefix of the alarms Sluice owns for `target`.
pub fn alarm_prefix(target: &str) -> String {
    format!("{OWNED_PREFIX}{target}-")
}

/// What the target's configuration declares, with MinCapacity raised to `floor` (the
/// prescaler's floor now, so an apply never undoes a window); None when the target
/// leaves Application Auto Scaling to others (`scaling.managed: false`).
pub fn declared(target: &Target, namespace: &str, hold: Hold) -> Option<Declared> {
    if !target.scaling.managed {
        return None;
    }
    let own = Own { namespace, target };
    let mut policies = main_policies(target, &own);
    policies.extend(tracked_policies(target, &own));
    let mut alarms = Vec::new();
    let tasks = own.metric(names::RUNNING_TASKS, "Average");
    let steps = burst(target, own.metric(names::BACKLOG, "Maximum"))
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

/// A metric Sluice publishes for the target, in the stack's namespace.
struct Own<'a> {
    namespace: &'a str,
    target: &'a Target,
}

impl Own<'_> {
    fn metric(&self, metric: &str, statistic: &str) -> MetricRef {
        MetricRef {
            namespace: self.namespace.to_owned(),
            metric: metric.to_owned(),
            dimensions: [(names::TARGET_DIMENSION.to_owned(), self.target.name.clone())].into(),
            statistic: statistic.to_owned(),
        }
    }
}

/// A target-tracking policy with the target's cooldowns and scale-in setting.
fn tracking(scaling: &Scaling, name: &str, series: Series, value: f64) -> PolicySpec {
    PolicySpec {
        name: name.to_owned(),
        rule: Rule::TargetTracking {
            series,
            target: value,
            scale_out_cooldown: scaling.scale_out_cooldown,
            scale_in_cooldown: scaling.scale_in_cooldown,
            disable_scale_in: scaling.disable_scale_in,
        },
    }
}

/// The policy that sizes the target on what it tracks, by who sets desiredCount.
fn main_policies(target: &Target, own: &Own<'_>) -> Vec<PolicySpec> {
    let scaling = &target.scaling;
    match (scaling.tracks, scaling.controller) {
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
                series: Series::One(own.metric(names::CAPACITY_UTILIZATION, "Average")),
                // Under a utilisation target, the raise's tolerance too: the watcher
                // does not raise within it, and neither does this policy.
                target: tracked_capacity(target),
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
                scaling,
                BACKLOG_POLICY,
                Series::One(own.metric(names::BACKLOG_PER_TASK, "Average")),
                target.backlog_per_task,
            )];
            if let Some(percent) = scaling.gpu_utilization {
                let series = Series::One(own.metric(names::GPU_AVERAGE, "Average"));
                before.push(tracking(scaling, GPU_POLICY, series, percent));
            }
            before
        }
    }
}

/// The policies on the target's other signals: the oldest message's age, its team's
/// metrics, and AWS's predefined metrics.
fn tracked_policies(target: &Target, own: &Own<'_>) -> Vec<PolicySpec> {
    let scaling = &target.scaling;
    let mut policies = Vec::new();
    if let Some(seconds) = scaling.oldest_message_age {
        policies.push(tracking(
            scaling,
            AGE_POLICY,
            oldest_message(target),
            f64::from(seconds),
        ));
    }
    for (name, _, metric) in tracked_metrics(target) {
        let tasks = own.metric(names::RUNNING_TASKS, "Average");
        let series = math_of(
            tracked(metric, &metric.statistic),
            metric.per_task,
            metric.rate,
            &tasks,
        );
        policies.push(tracking(scaling, &name, series, metric.target));
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
    policies
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

/// The CapacityUtilization `sluice-capacity` holds: 100, and the raise's tolerance
/// above it under a utilisation target below 100 % (`capacity::need::raise_tolerance`),
/// to the hundredth, so that what AWS stores reads back as declared.
fn tracked_capacity(target: &Target) -> f64 {
    let tolerance = crate::capacity::need::raise_tolerance(target.goal().utilization);
    (10_000.0 * (1.0 + tolerance)).round() / 100.0
}
