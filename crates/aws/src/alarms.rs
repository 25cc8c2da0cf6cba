//! CloudWatch alarms Sluice owns: those that invoke a target's step policies (its
//! burst, its step rules; on one metric or on metric math), and the alarm on a tracked
//! metric going missing. Only alarms under a target's `sluice-<target>-` prefix are
//! read, written or deleted.

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, Statistic,
};
use sluice_core::policy::{AlarmSpec, AlarmWhen, LiveAlarm, MathOp, MathQuery, MetricRef, Series};
use sluice_core::scaling::Compare;

use crate::cloudwatch::CloudWatchMetrics;
use crate::{AlarmStore, AwsError, ErrorKind};

const DESCRIBE: &str = "CloudWatch.DescribeAlarms";
const PUT: &str = "CloudWatch.PutMetricAlarm";
const DELETE: &str = "CloudWatch.DeleteAlarms";

#[async_trait]
impl AlarmStore for CloudWatchMetrics {
    async fn alarms(&self, prefix: &str) -> Result<Vec<LiveAlarm>, AwsError> {
        let pages: Vec<_> = self
            .client()
            .describe_alarms()
            .alarm_name_prefix(prefix)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(DESCRIBE, e))?;
        Ok(pages
            .iter()
            .flat_map(|page| page.metric_alarms())
            .filter(|alarm| alarm.alarm_name().is_some_and(|n| n.starts_with(prefix)))
            .map(live_alarm)
            .collect())
    }

    async fn put_alarm(&self, spec: &AlarmSpec, action: &str) -> Result<(), AwsError> {
        let shape = Shape::of(spec.when);
        let request = self
            .client()
            .put_metric_alarm()
            .alarm_name(&spec.name)
            .alarm_description(format!(
                "Sluice: {}. Managed by sluicectl apply; edits are overwritten.",
                shape.description
            ))
            .evaluation_periods(shape.periods)
            .datapoints_to_alarm(shape.datapoints)
            .threshold(shape.threshold)
            .comparison_operator(shape.comparison)
            .treat_missing_data(shape.missing_data)
            .alarm_actions(action);
        let request = match &spec.metric {
            Series::One(metric) => request
                .namespace(&metric.namespace)
                .metric_name(&metric.metric)
                .set_dimensions(Some(dimensions(metric)))
                .set_statistic(
                    percentile(&metric.statistic)
                        .is_none()
                        .then(|| Statistic::from(metric.statistic.as_str())),
                )
                .set_extended_statistic(percentile(&metric.statistic))
                .period(60),
            Series::Math { metrics, op } => request.set_metrics(Some(math(metrics, *op))),
            Series::Predefined { .. } => {
                let why = "an alarm cannot read a predefined scaling metric";
                return Err(AwsError::new(
                    PUT,
                    ErrorKind::InvalidRequest,
                    why.to_owned(),
                ));
            }
        };
        crate::send_write!(request, aws_sdk_cloudwatch, PUT)?;
        Ok(())
    }

    async fn delete_alarm(&self, name: &str) -> Result<(), AwsError> {
        // DeleteAlarms of a name that does not exist succeeds: repeatable as it is.
        crate::send_write!(
            self.client().delete_alarms().alarm_names(name),
            aws_sdk_cloudwatch,
            DELETE
        )?;
        Ok(())
    }
}

/// An alarm as CloudWatch takes it.
struct Shape {
    description: &'static str,
    comparison: ComparisonOperator,
    datapoints: i32,
    periods: i32,
    threshold: f64,
    missing_data: &'static str,
}

impl Shape {
    fn of(when: AlarmWhen) -> Shape {
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        match when {
            // No data is no breach: the publisher's own alarm watches for missing data.
            AlarmWhen::Breach {
                compare,
                threshold,
                datapoints,
                periods,
            } => Shape {
                description: "invokes its step policy",
                comparison: match compare {
                    Compare::AtLeast => ComparisonOperator::GreaterThanOrEqualToThreshold,
                    Compare::Above => ComparisonOperator::GreaterThanThreshold,
                    Compare::Below => ComparisonOperator::LessThanThreshold,
                },
                datapoints: count(datapoints),
                periods: count(periods),
                threshold,
                missing_data: "notBreaching",
            },
            // Fewer than one sample a minute for `minutes` minutes, missing counted as
            // breaching: the metric a policy tracks stopped arriving.
            AlarmWhen::Missing { minutes } => Shape {
                description: "the metric a scaling policy tracks is missing",
                comparison: ComparisonOperator::LessThanThreshold,
                datapoints: count(minutes),
                periods: count(minutes),
                threshold: 1.0,
                missing_data: "breaching",
            },
        }
    }
}

fn dimensions(metric: &MetricRef) -> Vec<Dimension> {
    metric
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect()
}

/// The metric math an alarm reads: m0, m1, ... (one-minute periods, not returned) and
/// the expression `e` over them, returned.
fn math(metrics: &[MetricRef], op: MathOp) -> Vec<MetricDataQuery> {
    let mut queries = Vec::new();
    for (index, metric) in metrics.iter().enumerate() {
        let stat = MetricStat::builder()
            .metric(
                Metric::builder()
                    .namespace(&metric.namespace)
                    .metric_name(&metric.metric)
                    .set_dimensions(Some(dimensions(metric)))
                    .build(),
            )
            .period(60)
            .stat(&metric.statistic)
            .build();
        let query = MetricDataQuery::builder()
            .id(format!("m{index}"))
            .metric_stat(stat)
            .return_data(false)
            .build();
        queries.push(query);
    }
    let expression = MetricDataQuery::builder()
        .id("e")
        .expression(op.expression(metrics.len()))
        .return_data(true)
        .build();
    queries.push(expression);
    queries
}

/// The metric math an alarm reads, when it is what [`math`] writes.
fn read_math(queries: &[MetricDataQuery]) -> Option<Series> {
    Series::from_math(queries.iter().map(|query| {
        if let Some(text) = query.expression() {
            return Some(MathQuery::Expression {
                text: text.to_owned(),
                returned: query.return_data() != Some(false),
            });
        }
        let stat = query.metric_stat()?;
        let metric = stat.metric()?;
        Some(MathQuery::Input {
            id: query.id()?.to_owned(),
            metric: MetricRef {
                namespace: metric.namespace()?.to_owned(),
                metric: metric.metric_name()?.to_owned(),
                dimensions: metric
                    .dimensions()
                    .iter()
                    .filter_map(|d| Some((d.name()?.to_owned(), d.value()?.to_owned())))
                    .collect(),
                statistic: stat.stat()?.to_owned(),
            },
        })
    }))
}

/// `p99` as CloudWatch's ExtendedStatistic; None for a plain statistic.
fn percentile(statistic: &str) -> Option<String> {
    sluice_core::scaling::StepRule::is_percentile(statistic).then(|| statistic.to_owned())
}

fn live_alarm(alarm: &MetricAlarm) -> LiveAlarm {
    let metric = if alarm.metrics().is_empty() {
        one_metric(alarm).map(Series::One)
    } else {
        read_math(alarm.metrics())
    };
    LiveAlarm {
        name: alarm.alarm_name().unwrap_or_default().to_owned(),
        metric,
        when: alarm_when(alarm),
        actions: alarm.alarm_actions().to_vec(),
    }
}

/// The one metric an alarm reads, with its statistic or percentile.
fn one_metric(alarm: &MetricAlarm) -> Option<MetricRef> {
    let statistic = alarm
        .statistic()
        .map(|s| s.as_str().to_owned())
        .or_else(|| alarm.extended_statistic().map(str::to_owned));
    Some(MetricRef {
        namespace: alarm.namespace()?.to_owned(),
        metric: alarm.metric_name()?.to_owned(),
        dimensions: alarm
            .dimensions()
            .iter()
            .filter_map(|d| Some((d.name()?.to_owned(), d.value()?.to_owned())))
            .collect(),
        statistic: statistic?,
    })
}

/// The condition of an alarm, if it has one of the shapes Sluice makes. Missing data
/// breaching is the missing-metric alarm; not breaching, a step policy's.
fn alarm_when(alarm: &MetricAlarm) -> Option<AlarmWhen> {
    let threshold = alarm.threshold()?;
    let periods = u32::try_from(alarm.evaluation_periods()?).ok()?;
    let datapoints = match alarm.datapoints_to_alarm() {
        Some(n) => u32::try_from(n).ok()?,
        None => periods,
    };
    let breaching = alarm.treat_missing_data() == Some("breaching");
    let compare = match alarm.comparison_operator()? {
        ComparisonOperator::LessThanThreshold if breaching && threshold == 1.0 => {
            return (datapoints == periods).then_some(AlarmWhen::Missing { minutes: periods });
        }
        _ if breaching => return None,
        ComparisonOperator::GreaterThanOrEqualToThreshold => Compare::AtLeast,
        ComparisonOperator::GreaterThanThreshold => Compare::Above,
        ComparisonOperator::LessThanThreshold => Compare::Below,
        _ => return None,
    };
    Some(AlarmWhen::Breach {
        compare,
        threshold,
        datapoints,
        periods,
    })
}
