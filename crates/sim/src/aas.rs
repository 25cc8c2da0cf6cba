//! A model of what Application Auto Scaling does with the policies `sluicectl apply`
//! puts (`sluice_core::policy::declared`), minute by minute. The emulators store policies
//! but never act on them, so this is built from AWS's documentation; each rule names
//! the page it comes from, and `tests` below hold one test per rule.
//!
//! Pages (Application Auto Scaling User Guide and the ECS Developer Guide):
//! - [TT] https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
//! - [STEP] https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html
//! - [CONCEPTS] https://docs.aws.amazon.com/autoscaling/application/userguide/getting-started.html
//! - [ECS-TT] https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
//! - [ALARM] https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
//!   (evaluating an alarm: "M out of N" datapoints, missing data not breaching)
//!
//! Each evaluation reads the newest period CloudWatch can give (`crate::cloudwatch`):
//! a datapoint reaches an alarm one to two minutes after it was published.
//!
//! Where the model ends: one evaluation a minute (alarms' period), scaling activities
//! that take effect at once, scale-in by the same proportional rule as scale-out (AWS
//! says only that it is "more gradual"), and no predictive scaling.

use sluice_core::facts::ScalableBounds;
use sluice_core::policy::{
    AlarmAction, AlarmWhen, Declared, MathOp, MetricRef, Rule, Series, Step,
};
use sluice_core::scaling::Compare;

use crate::cloudwatch::{CloudWatch, Statistic};
use crate::levers::{Changed, Levers};

/// Datapoints above target before the high alarm invokes scale-out: the alarm target
/// tracking creates evaluates 3 one-minute periods [TT, "How it works"; the alarm
/// AWS creates, AlarmHigh, has EvaluationPeriods 3].
pub const HIGH_DATAPOINTS: usize = 3;
/// Datapoints below the low threshold before scale-in: AlarmLow evaluates 15 [TT].
pub const LOW_DATAPOINTS: usize = 15;
/// Scale-in waits for the metric "sufficiently below" target, typically more than 10%
/// lower [TT, "How it works"].
pub const LOW_FRACTION: f64 = 0.9;

/// A change Application Auto Scaling makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaled {
    pub to: u32,
    pub why: String,
}

#[derive(Debug, Clone)]
struct Tracking {
    name: String,
    reading: Reading,
    target: f64,
    scale_out_cooldown: i64,
    scale_in_cooldown: i64,
    disable_scale_in: bool,
    history: Vec<Option<f64>>,
}

/// What a policy or an alarm reads, and m0's last minute, for a rate.
#[derive(Debug, Clone)]
struct Reading {
    series: Series,
    previous: Option<f64>,
}

impl Reading {
    fn of(series: Series) -> Reading {
        Reading {
            series,
            previous: None,
        }
    }

    /// The name of what is read, for the reasons of a change.
    fn label(&self) -> &str {
        match &self.series {
            Series::One(metric) => &metric.metric,
            Series::Math { metrics, .. } => metrics.first().map_or("", |m| m.metric.as_str()),
            Series::Predefined { metric_type, .. } => metric_type,
        }
    }

    /// This minute's value; a rate is m0's change since the last minute
    /// (CloudWatch's RATE, per second, times 60).
    fn measure(&mut self, read: &impl Fn(&MetricRef) -> Option<f64>) -> Option<f64> {
        let (metrics, op) = match &self.series {
            Series::One(metric) => return read(metric),
            // The 20-second series is read once a minute like the rest: the model's
            // one evaluation a minute.
            Series::Predefined { metric_type, .. } => {
                return read(&MetricRef {
                    namespace: "AWS/ECS".to_owned(),
                    metric: metric_type.trim_end_matches("HighResolution").to_owned(),
                    dimensions: Default::default(),
                    statistic: "Average".to_owned(),
                });
            }
            Series::Math { metrics, op } => (metrics, op),
        };
        let first = metrics.first().and_then(read);
        let growth = match (first, self.previous) {
            (Some(now), Some(before)) => Some(now - before),
            _ => None,
        };
        self.previous = first;
        let tasks = || metrics.get(1).and_then(read).filter(|t| *t > 0.0);
        match op {
            MathOp::MaxOf => metrics.iter().filter_map(read).reduce(f64::max),
            MathOp::PerTask => Some(first? / tasks()?),
            MathOp::Rate => growth,
            MathOp::RatePerTask => Some(growth? / tasks()?),
        }
    }
}

/// A step policy and the alarm that invokes it (the burst, a step rule).
#[derive(Debug, Clone)]
struct StepAlarm {
    name: String,
    reading: Reading,
    compare: Compare,
    threshold: f64,
    /// In alarm when `datapoints` of the latest `periods` breach [ALARM, "M out of N"].
    datapoints: usize,
    periods: usize,
    steps: Vec<Step>,
    cooldown: i64,
    /// Whether each minute's datapoint breached; a missing one does not
    /// (notBreaching).
    breached: Vec<bool>,
    last: Option<i64>,
}

impl StepAlarm {
    fn observe(&mut self, value: Option<f64>) {
        let breach = value.is_some_and(|v| match self.compare {
            Compare::AtLeast => v >= self.threshold,
            Compare::Above => v > self.threshold,
            Compare::Below => v < self.threshold,
        });
        self.breached.push(breach);
    }

    fn in_alarm(&self) -> bool {
        let latest = self.breached.iter().rev().take(self.periods);
        latest.filter(|b| **b).count() >= self.datapoints
    }

    /// [STEP]: in alarm and out of its cooldown, the policy changes capacity by the
    /// step the metric falls in, relative to the threshold (lower bound inclusive,
    /// upper exclusive).
    fn act(&mut self, now: i64, desired: u32, value: Option<f64>) -> Option<Scaled> {
        if !self.in_alarm() || self.last.is_some_and(|at| now - at < self.cooldown) {
            return None;
        }
        let past = value? - self.threshold;
        let step = self
            .steps
            .iter()
            .find(|s| s.lower.is_none_or(|l| past >= l) && s.upper.is_none_or(|u| past < u))?;
        self.last = Some(now);
        let to = i64::from(desired) + i64::from(step.add);
        Some(Scaled {
            to: u32::try_from(to.max(0)).unwrap_or(u32::MAX),
            why: format!(
                "{} ({} {} {:?} {})",
                self.name,
                self.reading.label(),
                value?,
                self.compare,
                self.threshold
            ),
        })
    }
}

/// The policies of one target and what Application Auto Scaling remembers between
/// evaluations (alarm datapoints, when it last scaled).
#[derive(Debug, Clone)]
pub struct Model {
    tracking: Vec<Tracking>,
    steps: Vec<StepAlarm>,
    last_scale_out: Option<i64>,
    last_scale_in: Option<i64>,
}

impl Model {
    pub fn new(declared: &Declared) -> Model {
        let mut tracking = Vec::new();
        let mut step_alarms = Vec::new();
        for policy in &declared.policies {
            match &policy.rule {
                // Memory does not follow from the load here: the run is as if its policy
                // were absent (no data would also block every scale-in), and the report
                // says so (`report::not_modelled`).
                Rule::TargetTracking {
                    series: Series::Predefined { metric_type, .. },
                    ..
                } if !modelled(metric_type) => {}
                Rule::TargetTracking {
                    series,
                    target,
                    scale_out_cooldown,
                    scale_in_cooldown,
                    disable_scale_in,
                } => tracking.push(Tracking {
                    name: policy.name.clone(),
                    reading: Reading::of(series.clone()),
                    target: *target,
                    scale_out_cooldown: i64::from(*scale_out_cooldown),
                    scale_in_cooldown: i64::from(*scale_in_cooldown),
                    disable_scale_in: *disable_scale_in,
                    history: Vec::new(),
                }),
                Rule::Step { steps, cooldown } => {
                    step_alarms.extend(step_alarm(declared, &policy.name, steps, *cooldown));
                }
            }
        }
        Model {
            tracking,
            steps: step_alarms,
            last_scale_out: None,
            last_scale_in: None,
        }
    }

    /// One evaluation at `now` on `levers`, carrying out what it decides.
    pub fn act(&mut self, now: i64, cloudwatch: &CloudWatch, levers: &mut Levers) {
        let Some(scaled) = self.evaluate(now, levers.desired, levers.bounds, cloudwatch) else {
            return;
        };
        let (from, to, why) = (levers.desired, scaled.to, scaled.why);
        let change = if to > from {
            Changed::ScaledOut { from, to, why }
        } else {
            Changed::ScaledIn { from, to, why }
        };
        levers.set_desired(to, change);
    }

    /// One evaluation at `now` (seconds, once a minute) on what CloudWatch can give:
    /// the newest readable datapoints are added to the alarms, and the new desired
    /// count returned if the policies change it.
    pub fn evaluate(
        &mut self,
        now: i64,
        desired: u32,
        bounds: ScalableBounds,
        cloudwatch: &CloudWatch,
    ) -> Option<Scaled> {
        let read = |metric: &MetricRef| {
            cloudwatch.newest(&metric.metric, Statistic::named(&metric.statistic), now)
        };
        self.evaluate_with(now, desired, bounds, read)
    }

    /// [`Model::evaluate`] on values read by `read`.
    pub fn evaluate_with(
        &mut self,
        now: i64,
        desired: u32,
        bounds: ScalableBounds,
        read: impl Fn(&MetricRef) -> Option<f64>,
    ) -> Option<Scaled> {
        for policy in &mut self.tracking {
            let value = policy.reading.measure(&read);
            policy.history.push(value);
        }
        let values: Vec<Option<f64>> = self
            .steps
            .iter_mut()
            .map(|a| a.reading.measure(&read))
            .collect();
        for (alarm, value) in self.steps.iter_mut().zip(&values) {
            alarm.observe(*value);
        }
        let (out, step_in) = self.steps_act(now, desired, &values);
        let out = larger_of(self.scale_out(now, desired), out);
        if let Some(mut scaled) = out.filter(|s| s.to > desired) {
            scaled.to = scaled.to.min(bounds.max).max(bounds.min);
            if scaled.to > desired {
                self.last_scale_out = Some(now);
                return Some(scaled);
            }
        }
        let mut scaled = match step_in {
            Some(scaled) => scaled,
            None => self.scale_in(now, desired)?,
        };
        scaled.to = scaled.to.max(bounds.min).min(bounds.max);
        (scaled.to < desired).then(|| {
            self.last_scale_in = Some(now);
            scaled
        })
    }

    /// The largest capacity any tracking policy asks for [TT, "Multiple scaling
    /// policies": scale out if any policy is ready; the largest capacity wins].
    fn scale_out(&self, now: i64, desired: u32) -> Option<Scaled> {
        let mut best: Option<Scaled> = None;
        for policy in &self.tracking {
            // [TT, cooldown]: no scale-out starts within the cooldown of the last one;
            // a scale-in cooldown does not hold a scale-out back.
            let cooling = self
                .last_scale_out
                .is_some_and(|at| now - at < policy.scale_out_cooldown);
            if cooling {
                continue;
            }
            if let Some(to) = tracking_out(policy, desired) {
                let why = format!("{} above target", policy.name);
                best = larger(best, Scaled { to, why });
            }
        }
        best
    }

    /// What the step policies in alarm do this minute: the largest capacity those
    /// adding ask for, and the largest those removing leave (one acts, the one that
    /// keeps the most: Application Auto Scaling favours availability). A removal
    /// waits for a minute without a scale-out.
    fn steps_act(
        &mut self,
        now: i64,
        desired: u32,
        values: &[Option<f64>],
    ) -> (Option<Scaled>, Option<Scaled>) {
        let (mut out, mut inward) = (None, None);
        for (alarm, value) in self.steps.iter_mut().zip(values) {
            let Some(scaled) = alarm.act(now, desired, *value) else {
                continue;
            };
            if scaled.to > desired {
                out = larger(out, scaled);
            } else if scaled.to < desired {
                inward = larger(inward, scaled);
            }
        }
        (out, inward)
    }

    /// [TT, "Multiple scaling policies"]: scale in only when every policy with
    /// scale-in enabled is ready to, to the largest capacity among them.
    fn scale_in(&self, now: i64, desired: u32) -> Option<Scaled> {
        let enabled: Vec<&Tracking> = self
            .tracking
            .iter()
            .filter(|p| !p.disable_scale_in)
            .collect();
        if enabled.is_empty() || desired == 0 {
            return None;
        }
        let mut to = 0;
        for policy in &enabled {
            let cooling = self
                .last_scale_in
                .is_some_and(|at| now - at < policy.scale_in_cooldown);
            if cooling {
                return None;
            }
            to = to.max(tracking_in(policy, desired)?);
        }
        let names: Vec<&str> = enabled.iter().map(|p| p.name.as_str()).collect();
        Some(Scaled {
            to,
            why: format!(
                "{} below target for {LOW_DATAPOINTS} minutes",
                names.join(", ")
            ),
        })
    }
}

fn larger_of(a: Option<Scaled>, b: Option<Scaled>) -> Option<Scaled> {
    match b {
        Some(b) => larger(a, b),
        None => a,
    }
}

fn larger(best: Option<Scaled>, candidate: Scaled) -> Option<Scaled> {
    match best {
        Some(best) if best.to >= candidate.to => Some(best),
        _ => Some(candidate),
    }
}

/// The capacity a tracking policy asks for when its high alarm fires: proportional to
/// how far the metric is above target [TT, "How it works"]. From zero, one datapoint
/// showing demand is enough and the step is the minimum possible amount, one task
/// [ECS-TT, considerations].
fn tracking_out(policy: &Tracking, desired: u32) -> Option<u32> {
    let latest = policy.history.last().copied().flatten()?;
    if desired == 0 {
        return (latest > policy.target).then_some(1);
    }
    let recent = policy.history.iter().rev().take(HIGH_DATAPOINTS);
    // A missing datapoint is insufficient data: never scale on it [ECS-TT].
    let breaching = recent
        .filter(|v| v.is_some_and(|v| v > policy.target))
        .count();
    (breaching == HIGH_DATAPOINTS).then(|| proportional(desired, latest, policy.target))
}

/// The capacity a tracking policy would scale in to: only after 15 datapoints below
/// 90% of target, never on missing data [TT; ECS-TT].
fn tracking_in(policy: &Tracking, desired: u32) -> Option<u32> {
    let recent: Vec<Option<f64>> = policy
        .history
        .iter()
        .rev()
        .take(LOW_DATAPOINTS)
        .copied()
        .collect();
    let low = recent.len() == LOW_DATAPOINTS
        && recent
            .iter()
            .all(|v| v.is_some_and(|v| v < policy.target * LOW_FRACTION));
    let latest = recent.first().copied().flatten()?;
    low.then(|| proportional(desired, latest, policy.target))
}

fn proportional(desired: u32, metric: f64, target: f64) -> u32 {
    let wanted = (f64::from(desired) * metric / target).ceil();
    if wanted >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        wanted.max(0.0) as u32
    }
}

/// Whether the engine publishes this predefined metric (`crate::levers::predefined`).
fn modelled(metric_type: &str) -> bool {
    let series = metric_type.trim_end_matches("HighResolution");
    [
        crate::levers::predefined::CPU,
        crate::levers::predefined::REQUESTS,
    ]
    .contains(&series)
}

/// The alarm that invokes the step policy `name`, with the policy's steps: what the
/// model evaluates each minute.
fn step_alarm(declared: &Declared, name: &str, steps: &[Step], cooldown: u32) -> Option<StepAlarm> {
    declared
        .alarms
        .iter()
        .find_map(|a| match (&a.action, a.when) {
            (
                AlarmAction::Policy(policy),
                AlarmWhen::Breach {
                    compare,
                    threshold,
                    datapoints,
                    periods,
                },
            ) if policy == name => Some(StepAlarm {
                name: name.to_owned(),
                reading: Reading::of(a.metric.clone()),
                compare,
                threshold,
                datapoints: datapoints as usize,
                periods: periods as usize,
                steps: steps.to_vec(),
                cooldown: i64::from(cooldown),
                breached: Vec::new(),
                last: None,
            }),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::config::Target;
    use sluice_core::scaling::{BurstStep, Scaling};

    const BOUNDS: ScalableBounds = ScalableBounds { min: 0, max: 20 };

    fn model(scaling: Scaling) -> Model {
        let target = Target::new("t", "c", "s")
            .with_queues(["q"])
            .with_capacity(0, 20)
            .with_backlog_per_task(10.0)
            .with_gpu(sluice_core::config::GpuSource::agent([("S", "s")]))
            .with_scaling(Scaling {
                // The mechanics of target tracking, on the policies of the loop before
                // the load model (BacklogPerTask and the GPU, each of its own).
                tracks: sluice_core::scaling::Tracks::BacklogPerTask,
                ..scaling
            });
        Model::new(
            &sluice_core::policy::declared(
                &target,
                "Sluice",
                sluice_core::prescale::Hold::default(),
            )
            .expect("managed"),
        )
    }

    /// What the tests feed the policies, by the metric each reads.
    #[derive(Debug, Clone, Copy, Default)]
    struct Signals {
        backlog_per_task: Option<f64>,
        gpu_utilization: Option<f64>,
        backlog: Option<f64>,
    }

    impl Signals {
        fn read(&self, metric: &MetricRef) -> Option<f64> {
            match metric.metric.as_str() {
                sluice_core::names::BACKLOG_PER_TASK => self.backlog_per_task,
                sluice_core::names::GPU_AVERAGE => self.gpu_utilization,
                sluice_core::names::BACKLOG => self.backlog,
                _ => None,
            }
        }
    }

    fn per_task(value: f64) -> Signals {
        Signals {
            backlog_per_task: Some(value),
            ..Signals::default()
        }
    }

    /// Feeds `minutes` datapoints, returning the minute (from 0) and size of each change.
    fn run(model: &mut Model, desired: &mut u32, signals: &[Signals]) -> Vec<(usize, u32)> {
        let mut changes = Vec::new();
        for (minute, s) in signals.iter().enumerate() {
            let read = |metric: &MetricRef| s.read(metric);
            if let Some(scaled) = model.evaluate_with(minute as i64 * 60, *desired, BOUNDS, read) {
                *desired = scaled.to;
                changes.push((minute, scaled.to));
            }
        }
        changes
    }

    #[test]
    fn scale_out_needs_three_datapoints_above_target_and_is_proportional() {
        let mut m = model(Scaling::default());
        let mut desired = 2;
        let signals = [per_task(30.0), per_task(30.0), per_task(30.0)];
        assert_eq!(run(&mut m, &mut desired, &signals), [(2, 6)], "2 x 30/10");
    }

    #[test]
    fn a_cpu_policy_tracks_the_busy_share_the_engine_publishes() {
        for high_resolution in [false, true] {
            let mut m = model(Scaling {
                cpu_utilization: Some(sluice_core::scaling::Utilization {
                    target: 50.0,
                    high_resolution,
                    scale_out_cooldown: None,
                    scale_in_cooldown: None,
                }),
                ..Scaling::default()
            });
            let mut desired = 2;
            let mut changes = Vec::new();
            for minute in 0..3 {
                let read = |metric: &MetricRef| {
                    (metric.metric == crate::levers::predefined::CPU).then_some(100.0)
                };
                if let Some(scaled) = m.evaluate_with(minute * 60, desired, BOUNDS, read) {
                    desired = scaled.to;
                    changes.push((minute, scaled.to));
                }
            }
            assert_eq!(
                changes,
                [(2, 4)],
                "2 x 100/50, high resolution {high_resolution}"
            );
        }
    }

    /// Minutes of `reads` (metric name -> value) on a fresh model from 2 tasks: the
    /// changes it makes.
    fn feed(scaling: Scaling, reads: &[&[(&str, f64)]]) -> Vec<(i64, u32)> {
        let mut m = model(scaling);
        let mut desired = 2;
        let mut changes = Vec::new();
        for (minute, values) in (0i64..).zip(reads) {
            let read = |metric: &MetricRef| {
                values
                    .iter()
                    .find(|(name, _)| *name == metric.metric)
                    .map(|(_, v)| *v)
            };
            if let Some(scaled) = m.evaluate_with(minute * 60, desired, BOUNDS, read) {
                desired = scaled.to;
                changes.push((minute, scaled.to));
            }
        }
        changes
    }

    #[test]
    fn a_metric_per_task_and_a_rate_are_read_as_metric_math_would() {
        let metric = |per_task, rate, target| sluice_core::scaling::TrackedMetric {
            id: None,
            namespace: "Agents".into(),
            metric: "Lag".into(),
            dimensions: Default::default(),
            statistic: "Maximum".into(),
            target,
            per_task,
            rate,
            missing: None,
        };
        let tasks = sluice_core::names::RUNNING_TASKS;
        let per_task = Scaling {
            metrics: vec![metric(true, false, 70.0)],
            ..Scaling::default()
        };
        // 280 over 2 running tasks: 140 a task, twice the target.
        let minute: &[(&str, f64)] = &[("Lag", 280.0), (tasks, 2.0)];
        assert_eq!(feed(per_task.clone(), &[minute; 3]), [(2, 4)]);
        let no_tasks: &[(&str, f64)] = &[("Lag", 280.0), (tasks, 0.0)];
        assert_eq!(feed(per_task, &[no_tasks; 3]), [], "no task, no datapoint");
        // Lag growing by 300 a minute against a growth target of 200: the first
        // minute has no rate yet, then three above it.
        let rate = Scaling {
            metrics: vec![metric(false, true, 200.0)],
            ..Scaling::default()
        };
        let lags: Vec<[(&str, f64); 1]> = (0..4)
            .map(|m| [("Lag", 1000.0 + 300.0 * f64::from(m))])
            .collect();
        let lags: Vec<&[(&str, f64)]> = lags.iter().map(|l| l.as_slice()).collect();
        assert_eq!(feed(rate, &lags), [(3, 3)], "ceil(2 x 300 / 200)");
    }

    #[test]
    fn a_step_rule_acts_after_its_minutes_and_a_missing_one_is_no_breach() {
        let rules: Scaling = serde_yaml_ng::from_str(
            "step_rules:\n\
             \x20 - { namespace: O, metric: Cpu, above: 65, for_minutes: 3, add: 1, cooldown: 120 }\n\
             \x20 - { namespace: O, metric: Cpu, below: 20, for_minutes: 2, of_minutes: 3, remove: 1, cooldown: 60 }\n",
        )
        .expect("rules");
        let cpu = |v: f64| [("Cpu", v)];
        let minutes = [
            cpu(70.0),
            cpu(70.0),
            cpu(70.0), // three above: +1 at minute 2
            cpu(70.0), // cooling (120 s)
            cpu(70.0), // +1 again
            cpu(10.0),
            cpu(30.0),
            cpu(10.0), // 2 of the last 3 below: -1
        ];
        let minutes: Vec<&[(&str, f64)]> = minutes.iter().map(|m| m.as_slice()).collect();
        assert_eq!(feed(rules.clone(), &minutes), [(2, 3), (4, 4), (7, 3)]);
        let gap: [&[(&str, f64)]; 3] = [&[("Cpu", 70.0)], &[], &[("Cpu", 70.0)]];
        assert_eq!(feed(rules, &gap), [], "a missing minute is not breaching");
    }

    #[test]
    fn a_step_rule_on_a_rate_acts_on_the_growth() {
        let rules: Scaling = serde_yaml_ng::from_str(
            "step_rules: [ { namespace: K, metric: Lag, rate: true, above: 500, for_minutes: 2, add: 2 } ]",
        )
        .expect("rules");
        // A large lag that shrinks, then one growing by 600 a minute.
        let lags = [9000.0, 8000.0, 7000.0, 7600.0, 8200.0];
        let minutes: Vec<[(&str, f64); 1]> = lags.iter().map(|l| [("Lag", *l)]).collect();
        let minutes: Vec<&[(&str, f64)]> = minutes.iter().map(|m| m.as_slice()).collect();
        assert_eq!(feed(rules, &minutes), [(4, 4)], "two minutes growing: +2");
    }

    #[test]
    fn a_missing_datapoint_is_not_a_breach() {
        let mut m = model(Scaling::default());
        let mut desired = 2;
        let signals = [per_task(30.0), Signals::default(), per_task(30.0)];
        assert_eq!(run(&mut m, &mut desired, &signals), []);
    }

    #[test]
    fn from_zero_one_datapoint_starts_the_minimum_possible_amount() {
        let mut m = model(Scaling::default());
        let mut desired = 0;
        assert_eq!(run(&mut m, &mut desired, &[per_task(500.0)]), [(0, 1)]);
    }

    #[test]
    fn the_scale_out_cooldown_holds_the_next_scale_out() {
        let mut m = model(Scaling {
            scale_out_cooldown: 300,
            ..Scaling::default()
        });
        let mut desired = 1;
        let changes = run(&mut m, &mut desired, &[per_task(20.0); 10]);
        assert_eq!(changes, [(2, 2), (7, 4)], "then 5 minutes later");
    }

    #[test]
    fn scale_in_waits_fifteen_datapoints_below_ninety_percent() {
        let mut m = model(Scaling {
            scale_in_cooldown: 0,
            ..Scaling::default()
        });
        let mut desired = 10;
        let mut signals = vec![per_task(9.5); 20];
        assert_eq!(
            run(&mut m, &mut desired, &signals),
            [],
            "within 10% of target"
        );
        signals = vec![per_task(2.0); 15];
        assert_eq!(run(&mut m, &mut desired, &signals), [(14, 2)], "10 x 2/10");
    }

    #[test]
    fn several_policies_scale_out_on_any_and_in_only_on_all() {
        let mut m = model(Scaling {
            gpu_utilization: Some(75.0),
            scale_in_cooldown: 0,
            ..Scaling::default()
        });
        let mut desired = 4;
        let busy_gpus = Signals {
            backlog_per_task: Some(1.0),
            gpu_utilization: Some(150.0),
            ..Signals::default()
        };
        assert_eq!(
            run(&mut m, &mut desired, &[busy_gpus; 3]),
            [(2, 8)],
            "GPU asks 4 x 2"
        );
        let quiet_backlog_busy_gpus = Signals {
            backlog_per_task: Some(0.0),
            gpu_utilization: Some(74.0),
            ..Signals::default()
        };
        assert_eq!(
            run(&mut m, &mut desired, &[quiet_backlog_busy_gpus; 20]),
            [],
            "the GPU policy is not ready to scale in"
        );
    }

    #[test]
    fn a_burst_adds_its_step_on_one_datapoint_then_cools_down() {
        let mut m = model(Scaling {
            burst: Some(sluice_core::scaling::Burst {
                steps: vec![
                    BurstStep {
                        backlog: 100,
                        add: 3,
                    },
                    BurstStep {
                        backlog: 400,
                        add: 8,
                    },
                ],
                cooldown: 120,
            }),
            ..Scaling::default()
        });
        let mut desired = 1;
        let surge = Signals {
            backlog: Some(450.0),
            backlog_per_task: Some(5.0),
            ..Signals::default()
        };
        assert_eq!(
            run(&mut m, &mut desired, &[surge; 4]),
            [(0, 9), (2, 17)],
            "the second step at once, again after the 2-minute cooldown"
        );
    }

    #[test]
    fn bounds_cap_every_change() {
        let mut m = model(Scaling::default());
        let mut desired = 10;
        let changes = run(&mut m, &mut desired, &[per_task(100.0); 3]);
        assert_eq!(changes, [(2, 20)], "MaxCapacity 20");
    }
}
