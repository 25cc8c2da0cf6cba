//! Metrics written as agents and AWS services would, and what Sluice published,
//! read back with ListMetrics + GetMetricData.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricDatum, MetricStat, ScanBy,
};
use aws_smithy_types::DateTime;

use crate::Emulators;

impl Emulators {
    /// Writes readings of a metric as an agent or an AWS service would: one
    /// `(minutes ago, value)` per source and minute (GPU utilisation, consumer lag).
    pub async fn put_readings(
        &self,
        namespace: &str,
        metric: &str,
        dimensions: &BTreeMap<String, String>,
        readings: &[(u64, f64)],
    ) -> Result<()> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
        let points: Vec<(i64, f64)> = readings
            .iter()
            .map(|(minutes_ago, value)| (now - 60 * *minutes_ago as i64, *value))
            .collect();
        self.put_points(namespace, metric, dimensions, &points)
            .await
    }

    /// Writes `(epoch seconds, value)` points of one metric, 1000 a call.
    pub async fn put_points(
        &self,
        namespace: &str,
        metric: &str,
        dimensions: &BTreeMap<String, String>,
        points: &[(i64, f64)],
    ) -> Result<()> {
        for chunk in points.chunks(1000) {
            let datums = chunk
                .iter()
                .map(|(at, value)| {
                    MetricDatum::builder()
                        .metric_name(metric)
                        .set_dimensions(Some(
                            dimensions
                                .iter()
                                .map(|(n, v)| Dimension::builder().name(n).value(v).build())
                                .collect(),
                        ))
                        .value(*value)
                        .timestamp(DateTime::from_secs(*at))
                        .build()
                })
                .collect();
            self.clients
                .cloudwatch()
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(datums))
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "PutMetricData: {}",
                        aws_smithy_types::error::display::DisplayErrorContext(&e)
                    )
                })?;
        }
        Ok(())
    }

    /// Every metric in `namespace` whose dimensions are exactly `Target=<target>`,
    /// with its latest value: read with ListMetrics + GetMetricData.
    pub async fn published(&self, namespace: &str, target: &str) -> Result<BTreeMap<String, f64>> {
        self.published_with(namespace, Some(("Target", target)))
            .await
    }

    /// As [`Emulators::published`] for another dimension, e.g. `Budget=<name>`.
    pub async fn published_by(
        &self,
        namespace: &str,
        dimension: &str,
        value: &str,
    ) -> Result<BTreeMap<String, f64>> {
        self.published_with(namespace, Some((dimension, value)))
            .await
    }

    /// The latest value of each fleet-wide (dimensionless) metric in `namespace`.
    pub async fn published_fleet_wide(&self, namespace: &str) -> Result<BTreeMap<String, f64>> {
        self.published_with(namespace, None).await
    }

    async fn published_with(
        &self,
        namespace: &str,
        target: Option<(&str, &str)>,
    ) -> Result<BTreeMap<String, f64>> {
        let metrics = self.listed(namespace, target).await?;
        if metrics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let queries = metrics
            .iter()
            .enumerate()
            .map(|(index, metric)| {
                let stat = MetricStat::builder()
                    .metric(metric.clone())
                    .period(60)
                    .stat("Maximum")
                    .build();
                MetricDataQuery::builder()
                    .id(format!("m{index}"))
                    .metric_stat(stat)
                    .build()
            })
            .collect();
        let now = SystemTime::now();
        let output = self
            .clients
            .cloudwatch()
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(DateTime::from(now - Duration::from_secs(900)))
            .end_time(DateTime::from(now + Duration::from_secs(60)))
            .scan_by(ScanBy::TimestampDescending)
            .send()
            .await
            .context("GetMetricData")?;
        let mut values = BTreeMap::new();
        for result in output.metric_data_results() {
            let index: usize = result
                .id()
                .and_then(|id| id.strip_prefix('m'))
                .and_then(|i| i.parse().ok())
                .context("query id")?;
            if let (Some(metric), Some(value)) =
                (metrics.get(index), sluice_aws::latest_value(result))
            {
                values.insert(metric.metric_name().unwrap_or_default().to_owned(), value);
            }
        }
        Ok(values)
    }

    /// The metrics of `namespace` whose dimensions are exactly `name=<value>` (e.g.
    /// `Target=gold`), or none at all (fleet-wide) when `dimension` is None.
    async fn listed(
        &self,
        namespace: &str,
        dimension: Option<(&str, &str)>,
    ) -> Result<Vec<Metric>> {
        let filter = dimension
            .map(|(name, value)| vec![DimensionFilter::builder().name(name).value(value).build()]);
        let listed = self
            .clients
            .cloudwatch()
            .list_metrics()
            .namespace(namespace)
            .set_dimensions(filter)
            .send()
            .await
            .context("ListMetrics")?;
        let exact = |m: &&Metric| {
            let dims = m.dimensions();
            match dimension {
                Some((name, value)) => {
                    dims.len() == 1
                        && dims[0].name() == Some(name)
                        && dims[0].value() == Some(value)
                }
                None => dims.is_empty(),
            }
        };
        Ok(listed.metrics().iter().filter(exact).cloned().collect())
    }

    /// How many metrics exist in a namespace at all.
    pub async fn metric_count(&self, namespace: &str) -> Result<usize> {
        let listed = self
            .clients
            .cloudwatch()
            .list_metrics()
            .namespace(namespace)
            .send()
            .await
            .context("ListMetrics")?;
        Ok(listed.metrics().len())
    }

    /// Writes a metric's history, `(epoch seconds, value)` points with dimension
    /// `Target=<target>`, as the metric publisher would have over past days.
    pub async fn put_history(
        &self,
        namespace: &str,
        target: &str,
        metric: &str,
        points: &[(i64, f64)],
    ) -> Result<()> {
        let dimensions = BTreeMap::from([("Target".to_owned(), target.to_owned())]);
        self.put_points(namespace, metric, &dimensions, points)
            .await
    }
}
