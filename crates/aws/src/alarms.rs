//! CloudWatch alarms Sluice owns: the one-datapoint alarm that invokes a target's
//! burst step policy. Only alarms under a target's `sluice-<target>-` prefix are read,
//! written or deleted.

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic};
use sluice_core::policy::{AlarmSpec, LiveAlarm, MetricRef};

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
        self.client()
            .put_metric_alarm()
            .alarm_name(&spec.name)
            .alarm_description(format!(
                "Sluice: invokes the step policy {} on one datapoint. Managed by sluicectl apply; \
                 edits are overwritten.",
                spec.policy
            ))
            .namespace(&spec.metric.namespace)
            .metric_name(&spec.metric.metric)
            .set_dimensions(Some(dimensions))
            .statistic(Statistic::from(spec.metric.statistic.as_str()))
            .period(60)
            .evaluation_periods(1)
            .datapoints_to_alarm(1)
            .threshold(spec.threshold)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            // No data is no burst: the publisher's own alarm watches for missing data.
            .treat_missing_data("notBreaching")
            .alarm_actions(action)
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
        threshold: alarm.threshold().unwrap_or(f64::NAN),
        actions: alarm.alarm_actions().to_vec(),
    }
}
