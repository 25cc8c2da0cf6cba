//! Everything the publisher reads, for all targets together: DescribeServices (10
//! services a call), GetMetricData for the GPU sources (500 queries a call) and
//! GetQueueAttributes, each bounded in concurrency. Each target gets its own results,
//! so one failed read fails only the targets it concerned.

use sluice_aws::{AwsError, read_backlogs, read_latest, read_series, read_task_counts};
use sluice_core::config::Target;
use sluice_core::facts::{GpuUtilization, MetricQuery, TaskCounts};
use sluice_core::names;
use sluice_core::queue::{Backlog, Queue};

use super::Ports;
use crate::settings::Settings;

/// What was read for one target.
pub struct Facts {
    pub backlog: Result<Backlog, AwsError>,
    pub tasks: Result<TaskCounts, AwsError>,
    /// Ok(None) without a GPU source or without a datapoint in the look-back window.
    pub gpu: Result<Option<GpuUtilization>, AwsError>,
    /// The desired counts this publisher wrote over the scaling-changes window, oldest
    /// first; Ok(None) when that count is off.
    pub desired_history: Result<Option<Vec<f64>>, AwsError>,
}

/// Facts for each target, in order.
pub async fn read(targets: &[Target], settings: &Settings, ports: &Ports<'_>) -> Vec<Facts> {
    let services: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t.cluster.as_str(), t.service.as_str()))
        .collect();
    let queues: Vec<&[Queue]> = targets.iter().map(|t| t.queues.as_slice()).collect();
    let (counts, gpus, backlogs, histories) = futures::join!(
        read_task_counts(ports.services, &services, settings.common.concurrency),
        read_gpus(targets, settings, ports),
        read_backlogs(ports.queues, &queues, settings.common.concurrency),
        read_desired_histories(targets, settings, ports),
    );
    targets
        .iter()
        .zip(counts.into_iter().zip(gpus).zip(backlogs).zip(histories))
        .map(
            |(target, (((tasks, gpu), backlog), desired_history))| Facts {
                backlog,
                tasks: tasks
                    .map_err(|e| e.about(format!("service {}/{}", target.cluster, target.service))),
                gpu,
                desired_history,
            },
        )
        .collect()
}

/// The `DesiredTasks` each target had over the last minutes, as this publisher wrote
/// them (500 queries a call, in the same GetMetricData path as the GPU readings).
async fn read_desired_histories(
    targets: &[Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Option<Vec<f64>>, AwsError>> {
    let minutes = settings.scaling_changes.minutes;
    if minutes == 0 {
        return targets.iter().map(|_| Ok(None)).collect();
    }
    let queries: Vec<MetricQuery> = targets
        .iter()
        .map(|target| MetricQuery {
            namespace: settings.common.namespace.clone(),
            metric: names::DESIRED_TASKS.to_owned(),
            dimensions: [(names::TARGET_DIMENSION.to_owned(), target.name.clone())].into(),
            statistic: "Maximum",
        })
        .collect();
    read_series(
        ports.metrics,
        &queries,
        minutes,
        settings.common.concurrency,
    )
    .await
    .into_iter()
    .map(|history| history.map(|points| Some(points.into_iter().map(|(_, v)| v).collect())))
    .collect()
}

/// GetMetricData for every target's GPU source together (average and maximum, 500
/// queries a call). Per target: Ok(None) when no source or no datapoint, Err when
/// either of its queries failed.
async fn read_gpus(
    targets: &[Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Option<GpuUtilization>, AwsError>> {
    let queries: Vec<MetricQuery> = targets
        .iter()
        .filter_map(|t| t.gpu.as_ref())
        .flat_map(|source| source.queries())
        .collect();
    let common = &settings.common;
    let mut answers = read_latest(
        ports.metrics,
        &queries,
        common.metric_lookback_minutes,
        common.concurrency,
    )
    .await
    .into_iter();
    targets
        .iter()
        .map(|target| {
            target.gpu.as_ref()?;
            let (average, max) = (answers.next()?, answers.next()?);
            Some(match (average, max) {
                (Ok(Some(average)), Ok(Some(max))) => Ok(Some(GpuUtilization { average, max })),
                (Err(error), _) | (_, Err(error)) => Err(error),
                _ => Ok(None),
            })
        })
        .map(|gpu| gpu.unwrap_or(Ok(None)))
        .collect()
}
