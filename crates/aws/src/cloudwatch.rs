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

/// The value of the newest datapoint. Chosen by timestamp rather than by position:
/// not every CloudWatch implementation honours `ScanBy` (LocalStack does not).
pub fn latest_value(result: &aws_sdk_cloudwatch::types::MetricDataResult) -> Option<f64> {
    result
        .timestamps()
        .iter()
        .zip(result.values())
        .max_by_key(|(timestamp, _)| (timestamp.secs(), timestamp.subsec_nanos()))
        .map(|(_, value)| *value)
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
        // Bins run from the start time in whole periods and the end is exclusive: end a
        // minute ahead so a datapoint written seconds ago still falls in a bin.
        let now = SystemTime::now();
        let end = now + Duration::from_secs(60);
        let start = now - Duration::from_secs(u64::from(lookback_minutes.max(1)) * 60);
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
                let latest = latest_value(result);
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

impl CloudWatchMetrics {
    /// The latest value of each named Sluice metric of each target within the last
    /// `minutes`, as (target, metric) -> value; absent where there is none.
    pub async fn latest_published(
        &self,
        namespace: &str,
        targets: &[String],
        names: &[&str],
        minutes: u32,
    ) -> Result<std::collections::BTreeMap<(String, String), f64>, AwsError> {
        let pairs: Vec<(&String, &str)> = targets
            .iter()
            .flat_map(|target| names.iter().map(move |name| (target, *name)))
            .collect();
        let end = SystemTime::now() + Duration::from_secs(60);
        let start = end - Duration::from_secs(u64::from(minutes.max(1)) * 60 + 60);
        let mut latest = std::collections::BTreeMap::new();
        for chunk in pairs.chunks(500) {
            let queries = chunk
                .iter()
                .enumerate()
                .map(|(index, (target, name))| {
                    let metric = Metric::builder()
                        .namespace(namespace)
                        .metric_name(*name)
                        .dimensions(
                            Dimension::builder()
                                .name(TARGET_DIMENSION)
                                .value(target.as_str())
                                .build(),
                        )
                        .build();
                    MetricDataQuery::builder()
                        .id(format!("q{index}"))
                        .metric_stat(
                            MetricStat::builder()
                                .metric(metric)
                                .period(60)
                                .stat("Maximum")
                                .build(),
                        )
                        .build()
                })
                .collect::<Vec<_>>();
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
                    let index = result
                        .id()
                        .and_then(|id| id.strip_prefix('q'))
                        .and_then(|i| i.parse::<usize>().ok());
                    if let (Some((target, name)), Some(value)) =
                        (index.and_then(|i| chunk.get(i)), latest_value(result))
                    {
                        latest
                            .entry(((*target).clone(), (*name).to_owned()))
                            .or_insert(value);
                    }
                }
                next_token = output.next_token;
                if next_token.is_none() {
                    break;
                }
            }
        }
        Ok(latest)
    }
}
