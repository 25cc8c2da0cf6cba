use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, ScanBy, StandardUnit, StatusCode,
};
use aws_smithy_types::DateTime;
use sluice_core::facts::MetricQuery;
use sluice_core::metrics::{Datum, Unit};
use sluice_core::names::TARGET_DIMENSION;

use crate::{AwsError, ErrorKind, MetricReader, MetricSink};

/// CloudWatch adapter: GPU readings in, Sluice's metrics out.
#[derive(Debug, Clone)]
pub struct CloudWatchMetrics {
    client: aws_sdk_cloudwatch::Client,
    /// The same, for reads of more than an hour of history: given
    /// [`HISTORY_READ_SECONDS`] to answer.
    history: aws_sdk_cloudwatch::Client,
}

/// Seconds a read of history (days of one-minute datapoints: `sluicectl profile
/// learn`, a replay) may take to answer. CloudWatch takes longer to gather days than
/// the newest minutes, and an emulator under load longer still: the 5 s that bound a
/// function's per-minute reads failed `profile learn` on LocalStack in CI. A read has
/// no deadline of its own to keep (`write_timeouts` is for writes).
pub const HISTORY_READ_SECONDS: u64 = 30;

/// Look-backs longer than this read history.
const HISTORY_MINUTES: u32 = 60;

impl CloudWatchMetrics {
    /// GetMetricData takes at most 500 queries a call.
    pub const MAX_QUERIES_PER_CALL: usize = 500;

    pub fn new(client: aws_sdk_cloudwatch::Client) -> Self {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .read_timeout(Duration::from_secs(HISTORY_READ_SECONDS))
            .build();
        let history = aws_sdk_cloudwatch::Client::from_conf(
            client
                .config()
                .to_builder()
                .timeout_config(timeouts)
                .build(),
        );
        Self { client, history }
    }

    /// The client for a read `lookback_minutes` back.
    fn reader(&self, lookback_minutes: u32) -> &aws_sdk_cloudwatch::Client {
        if lookback_minutes > HISTORY_MINUTES {
            &self.history
        } else {
            &self.client
        }
    }

    pub(crate) fn client(&self) -> &aws_sdk_cloudwatch::Client {
        &self.client
    }
}

fn data_query(id: String, query: &MetricQuery) -> MetricDataQuery {
    let dimensions = query
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    let metric = Metric::builder()
        .namespace(&query.namespace)
        .metric_name(&query.metric)
        .set_dimensions(Some(dimensions))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(60)
        .stat(query.statistic)
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

/// One query's datapoints gathered over the pages: (seconds, value), or its failure.
type Gathered = Result<Vec<(i64, f64)>, AwsError>;

#[async_trait]
impl MetricReader for CloudWatchMetrics {
    async fn points(
        &self,
        queries: &[MetricQuery],
        lookback_minutes: u32,
    ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError> {
        self.binned(queries, lookback_minutes, 60).await
    }

    async fn hourly(
        &self,
        queries: &[MetricQuery],
        lookback_minutes: u32,
    ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError> {
        self.binned(queries, lookback_minutes, 3600).await
    }
}

impl CloudWatchMetrics {
    /// Each query's points over the look-back window in bins of `period` seconds.
    async fn binned(
        &self,
        queries: &[MetricQuery],
        lookback_minutes: u32,
        period: i32,
    ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError> {
        const OPERATION: &str = "CloudWatch.GetMetricData";
        if queries.len() > Self::MAX_QUERIES_PER_CALL {
            return Err(AwsError::new(
                OPERATION,
                ErrorKind::InvalidRequest,
                format!(
                    "{} queries; at most {} a call",
                    queries.len(),
                    Self::MAX_QUERIES_PER_CALL
                ),
            ));
        }
        let mut gathered: Vec<Gathered> = vec![Ok(Vec::new()); queries.len()];
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        let data_queries = period_queries(queries, period);
        // Bins run from the start time in whole periods and the end is exclusive: end a
        // minute ahead so a datapoint written seconds ago still falls in a bin.
        let now = SystemTime::now();
        let end = now + Duration::from_secs(60);
        let start = now - Duration::from_secs(u64::from(lookback_minutes.max(1)) * 60);
        let mut pages = self
            .reader(lookback_minutes)
            .get_metric_data()
            .set_metric_data_queries(Some(data_queries))
            .start_time(DateTime::from(start))
            .end_time(DateTime::from(end))
            .scan_by(ScanBy::TimestampDescending)
            .into_paginator()
            .send();
        while let Some(page) = pages
            .try_next()
            .await
            .map_err(|e| AwsError::from_sdk(OPERATION, e))?
        {
            for result in page.metric_data_results() {
                let index = result
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|i| i.parse::<usize>().ok());
                if let Some(slot) = index.and_then(|i| gathered.get_mut(i)) {
                    merge(slot, result);
                }
            }
        }
        Ok(oldest_first(gathered))
    }
}

/// The queries as GetMetricData takes them, each binned over `period` seconds and
/// named by its position (`q0`, `q1`, ...) so the answers find their query.
fn period_queries(queries: &[MetricQuery], period: i32) -> Vec<MetricDataQuery> {
    queries
        .iter()
        .enumerate()
        .map(|(index, query)| {
            let mut data_query = data_query(format!("q{index}"), query);
            if let Some(stat) = data_query.metric_stat.as_mut() {
                stat.period = Some(period);
            }
            data_query
        })
        .collect()
}

/// Each query's points ordered by timestamp rather than by position: not every
/// CloudWatch implementation honours `ScanBy` (LocalStack does not).
fn oldest_first(gathered: Vec<Gathered>) -> Vec<Gathered> {
    gathered
        .into_iter()
        .map(|points| {
            points.map(|mut points| {
                points.sort_by_key(|(seconds, _)| *seconds);
                points
            })
        })
        .collect()
}

/// Adds one page's answer for a query to what earlier pages said; a query whose own
/// status failed is an error, never "no data".
fn merge(slot: &mut Gathered, result: &aws_sdk_cloudwatch::types::MetricDataResult) {
    match result.status_code() {
        None | Some(StatusCode::Complete) | Some(StatusCode::PartialData) => {
            if let Ok(points) = slot {
                let seconds = result.timestamps().iter().map(|t| t.secs());
                points.extend(seconds.zip(result.values().iter().copied()));
            }
        }
        Some(status) => {
            let kind = if *status == StatusCode::Forbidden {
                ErrorKind::AccessDenied
            } else {
                ErrorKind::Unavailable
            };
            let said: Vec<&str> = result.messages().iter().filter_map(|m| m.value()).collect();
            *slot = Err(AwsError::new(
                "CloudWatch.GetMetricData",
                kind,
                format!("query status {}: {}", status.as_str(), said.join("; ")),
            ));
        }
    }
}

#[async_trait]
impl MetricSink for CloudWatchMetrics {
    async fn put_metric_data(&self, namespace: &str, datums: &[Datum]) -> Result<(), AwsError> {
        let (datums, refused) = sluice_core::metrics::publishable(datums);
        for problem in refused {
            tracing::warn!(%problem, "datum dropped");
        }
        if datums.is_empty() {
            return Ok(());
        }
        let now = DateTime::from(SystemTime::now());
        let metric_data = datums
            .iter()
            .map(|datum| {
                MetricDatum::builder()
                    .metric_name(datum.name)
                    .set_dimensions(datum.target.as_ref().map(|target| {
                        vec![
                            Dimension::builder()
                                .name(datum.dimension)
                                .value(target)
                                .build(),
                        ]
                    }))
                    .value(datum.value)
                    .unit(match datum.unit {
                        Unit::Count => StandardUnit::Count,
                        Unit::Percent => StandardUnit::Percent,
                        Unit::Seconds => StandardUnit::Seconds,
                    })
                    .timestamp(now)
                    .build()
            })
            .collect();
        crate::send_write!(
            self.client
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(metric_data)),
            aws_sdk_cloudwatch,
            "CloudWatch.PutMetricData"
        )?;
        Ok(())
    }
}

impl CloudWatchMetrics {
    /// The latest value of each named Sluice metric of each target within the last
    /// `minutes`, as (target, metric) -> value; absent where there is none. Past an
    /// hour the bins are hours: the value is the largest of the latest hour with one.
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
        let mut latest = std::collections::BTreeMap::new();
        for chunk in pairs.chunks(Self::MAX_QUERIES_PER_CALL) {
            let queries: Vec<MetricQuery> = chunk
                .iter()
                .map(|(target, name)| MetricQuery {
                    namespace: namespace.to_owned(),
                    metric: (*name).to_owned(),
                    dimensions: [(TARGET_DIMENSION.to_owned(), (*target).clone())].into(),
                    statistic: "Maximum",
                })
                .collect();
            // Hour bins past an hour: a day of minute bins is 1440 a query, which some
            // CloudWatch implementations (LocalStack) take many seconds to compute.
            let period = if minutes > 60 { 3600 } else { 60 };
            let values = self.binned(&queries, minutes, period).await?;
            for ((target, name), values) in chunk.iter().zip(values) {
                if let Some((_, value)) = values.ok().and_then(|v| v.last().copied()) {
                    latest.insert(((*target).clone(), (*name).to_owned()), value);
                }
            }
        }
        Ok(latest)
    }
}

impl CloudWatchMetrics {
    /// Every datapoint of one metric statistic between `start` and `end` (epoch
    /// seconds) at `period` seconds, oldest first: history for `sluicectl profile learn`.
    pub async fn series(
        &self,
        query: &MetricQuery,
        start: i64,
        end: i64,
        period: i32,
    ) -> Result<Vec<(i64, f64)>, AwsError> {
        let mut data_query = data_query("s0".to_owned(), query);
        if let Some(stat) = data_query.metric_stat.as_mut() {
            stat.period = Some(period);
        }
        let pages: Vec<_> = self
            .history
            .get_metric_data()
            .metric_data_queries(data_query)
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk("CloudWatch.GetMetricData", e))?;
        let mut points: Vec<(i64, f64)> = pages
            .iter()
            .flat_map(|page| page.metric_data_results())
            .flat_map(|result| {
                result
                    .timestamps()
                    .iter()
                    .map(|t| t.secs())
                    .zip(result.values().iter().copied())
            })
            .collect();
        points.sort_by_key(|(at, _)| *at);
        Ok(points)
    }
}
