//! CloudWatch alarms Sluice owns: the one-datapoint alarm that invokes a target's
//! burst step policy, and the alarm on a tracked custom metric going missing. Only alarms under a target's `sluice-<target>-` prefix are read,
//! written or deleted.

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic};
use sluice_core::policy::{AlarmSpec, AlarmWhen, LiveAlarm, MetricRef};

use crate::cloudwatch::CloudWatchMetrics;
use crate::{AlarmStore, AwsError};

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
        let dimensions = spec
            .metric
            .dimensions
            .iter()
            .map(|(name, value)| Dimension::builder().name(name).value(value).build())
            .collect();
        let (description, comparison, periods, threshold, missing_data) = match spec.when {
            // No data is no burst: the publisher's own alarm watches for missing data.
            AlarmWhen::AtLeast(threshold) => (
                "invokes its step policy on one datapoint",
                ComparisonOperator::GreaterThanOrEqualToThreshold,
                1,
                threshold,
                "notBreaching",
            ),
            // Fewer than one sample a minute for `minutes` minutes, missing counted as
            // breaching: the metric a policy tracks stopped arriving.
            AlarmWhen::Missing { minutes } => (
                "the metric a scaling policy tracks is missing",
                ComparisonOperator::LessThanThreshold,
                minutes as i32,
                1.0,
                "breaching",
            ),
        };
        self.client()
            .put_metric_alarm()
            .alarm_name(&spec.name)
            .alarm_description(format!(
                "Sluice: {description}. Managed by sluicectl apply; edits are overwritten."
            ))
            .namespace(&spec.metric.namespace)
            .metric_name(&spec.metric.metric)
            .set_dimensions(Some(dimensions))
            .statistic(Statistic::from(spec.metric.statistic.as_str()))
            .period(60)
            .evaluation_periods(periods)
            .datapoints_to_alarm(periods)
            .threshold(threshold)
            .comparison_operator(comparison)
            .treat_missing_data(missing_data)
            .alarm_actions(action)
            .customize()
            .config_override(crate::write_bound!(aws_sdk_cloudwatch))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(PUT, e))?;
        Ok(())
    }

    async fn delete_alarm(&self, name: &str) -> Result<(), AwsError> {
        // DeleteAlarms of a name that does not exist succeeds: repeatable as it is.
        self.client()
            .delete_alarms()
            .alarm_names(name)
            .customize()
            .config_override(crate::write_bound!(aws_sdk_cloudwatch))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(DELETE, e))?;
        Ok(())
    }
}

fn live_alarm(alarm: &MetricAlarm) -> LiveAlarm {
    let metric = match (alarm.namespace(), alarm.metric_name(), alarm.statistic()) {
        (Some(namespace), Some(metric), Some(statistic)) => Some(MetricRef {
            namespace: namespace.to_owned(),
            metric: metric.to_owned(),
            dimensions: alarm
                .dimensions()
                .iter()
                .filter_map(|d| Some((d.name()?.to_owned(), d.value()?.to_owned())))
                .collect(),
            statistic: statistic.as_str().to_owned(),
        }),
        _ => None,
    };
    LiveAlarm {
        name: alarm.alarm_name().unwrap_or_default().to_owned(),
        metric,
        when: alarm_when(alarm),
        actions: alarm.alarm_actions().to_vec(),
    }
}

/// The condition of an alarm, if it has one of the two shapes Sluice makes.
fn alarm_when(alarm: &MetricAlarm) -> Option<AlarmWhen> {
    let threshold = alarm.threshold()?;
    match alarm.comparison_operator()? {
        ComparisonOperator::GreaterThanOrEqualToThreshold => Some(AlarmWhen::AtLeast(threshold)),
        ComparisonOperator::LessThanThreshold if threshold == 1.0 => Some(AlarmWhen::Missing {
            minutes: u32::try_from(alarm.evaluation_periods()?).ok()?,
        }),
        _ => None,
    }
}
