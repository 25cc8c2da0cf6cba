use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, ScanBy, StandardUnit,
};
use aws_smithy_types::DateTime;
use sluice_core::config::GpuSource;
use sluice_core::metrics::{Datum, GpuUtilization, TARGET_DIMENSION, Unit};

use crate::{AwsError, GpuMetrics, MetricSink};

/// CloudWatch adapter: GPU readings in, Sluice's metrics out.
#[derive(Debug, Clone)]
pub struct CloudWatchMetrics {
    client: aws_sdk_cloudwatch::Client,
}

impl CloudWatchMetrics {
    /// GetMetricData takes at most 500 queries a call; each source needs two.
    pub const MAX_SOURCES_PER_CALL: usize = 250;

    pub fn new(client: aws_sdk_cloudwatch::Client) -> Self {
        Self { client }
    }
}

fn query(id: String, source: &GpuSource, stat: &str) -> MetricDataQuery {
    let dimensions = source
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    let metric = Metric::builder()
        .namespace(&source.namespace)
        .metric_name(&source.metric)
        .set_dimensions(Some(dimensions))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(60)
        .stat(stat)
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(stat)
        .return_data(true)
        .build()
}

#[async_trait]
impl GpuMetrics for CloudWatchMetrics {
    async fn gpu_utilization(
        &self,
        sources: &[&GpuSource],
        lookback_minutes: u32,
    ) -> Result<Vec<Option<GpuUtilization>>, AwsError> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let mut queries = Vec::with_capacity(sources.len() * 2);
        for (index, source) in sources.iter().enumerate() {
            queries.push(query(format!("avg{index}"), source, "Average"));
            queries.push(query(format!("max{index}"), source, "Maximum"));
        }
        let end = SystemTime::now();
        let start = end - Duration::from_secs(u64::from(lookback_minutes.max(1)) * 60);
        let mut averages = vec![None; sources.len()];
        let mut maxima = vec![None; sources.len()];
        let mut next_token = None;
        loop {
            let output = self
                .client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from(start))
                .end_time(DateTime::from(end))
                .scan_by(ScanBy::TimestampDescending)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CloudWatch.GetMetricData", e))?;
            for result in output.metric_data_results() {
                let id = result.id().unwrap_or_default();
                // Newest first (TimestampDescending): the first value is the latest minute.
                let latest = result.values().first().copied();
                let (slot, index) = match id.split_at(3) {
                    ("avg", index) => (&mut averages, index),
                    ("max", index) => (&mut maxima, index),
                    _ => continue,
                };
                if let Ok(index) = index.parse::<usize>()
                    && let Some(entry) = slot.get_mut(index)
                    && entry.is_none()
                {
                    *entry = latest;
                }
            }
            next_token = output.next_token;
            if next_token.is_none() {
                break;
            }
        }
        Ok(averages
            .into_iter()
            .zip(maxima)
            .map(|pair| match pair {
                (Some(average), Some(max)) => Some(GpuUtilization { average, max }),
                _ => None,
            })
            .collect())
    }
}

#[async_trait]
impl MetricSink for CloudWatchMetrics {
    async fn put_metric_data(&self, namespace: &str, datums: &[Datum]) -> Result<(), AwsError> {
        let now = DateTime::from(SystemTime::now());
        let metric_data = datums
            .iter()
            .map(|datum| {
                MetricDatum::builder()
                    .metric_name(datum.name)
                    .dimensions(
                        Dimension::builder()
                            .name(TARGET_DIMENSION)
                            .value(&datum.target)
                            .build(),
                    )
                    .value(datum.value)
                    .unit(match datum.unit {
                        Unit::Count => StandardUnit::Count,
                        Unit::Percent => StandardUnit::Percent,
                    })
                    .timestamp(now)
                    .build()
            })
            .collect();
        self.client
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(metric_data))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CloudWatch.PutMetricData", e))?;
        Ok(())
    }
}
