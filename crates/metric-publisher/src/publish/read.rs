//! Everything the publisher reads, for all targets together: DescribeServices (10
//! services a call), GetMetricData for the GPU sources (500 queries a call) and
//! GetQueueAttributes, each bounded in concurrency. Each target gets its own results,
//! so one failed read fails only the targets it concerned.

use futures::stream::{self, StreamExt};
use sluice_aws::{CloudWatchMetrics, read_backlogs, read_task_counts};
use sluice_core::config::{GpuSource, Target};
use sluice_core::facts::{GpuUtilization, MetricQuery, QueueDepth, TaskCounts};

use super::Ports;
use crate::settings::Settings;

/// What was read for one target.
pub struct Facts {
    pub depth: Result<QueueDepth, String>,
    pub tasks: Result<TaskCounts, String>,
    /// Ok(None) without a GPU source or without a datapoint in the look-back window.
    pub gpu: Result<Option<GpuUtilization>, String>,
}

/// Facts for each target, in order.
pub async fn read(targets: &[Target], settings: &Settings, ports: &Ports<'_>) -> Vec<Facts> {
    let services: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t.cluster.as_str(), t.service.as_str()))
        .collect();
    let queues: Vec<&[String]> = targets.iter().map(|t| t.queues.as_slice()).collect();
    let (counts, gpus, depths) = futures::join!(
        read_task_counts(ports.services, &services, settings.common.concurrency),
        read_gpus(targets, settings, ports),
        read_backlogs(ports.queues, &queues, settings.common.concurrency),
    );
    targets
        .iter()
        .zip(counts.into_iter().zip(gpus).zip(depths))
        .map(|(target, ((tasks, gpu), depth))| Facts {
            depth,
            tasks: tasks.map_err(|e| format!("service {}/{}: {e}", target.cluster, target.service)),
            gpu,
        })
        .collect()
}

/// GetMetricData for every target's GPU source together, 250 sources (500 queries) a
/// call. Per target: Ok(None) when no source or no datapoint, Err on a failed read.
async fn read_gpus(
    targets: &[Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Option<GpuUtilization>, String>> {
    let mut results: Vec<Result<Option<GpuUtilization>, String>> = vec![Ok(None); targets.len()];
    let sourced: Vec<(usize, &GpuSource)> = targets
        .iter()
        .enumerate()
        .filter_map(|(index, target)| target.gpu.as_ref().map(|gpu| (index, gpu)))
        .collect();
    let per_call = CloudWatchMetrics::MAX_QUERIES_PER_CALL / 2;
    let answers: Vec<_> = stream::iter(sourced.chunks(per_call))
        .map(|chunk| async move {
            let queries: Vec<MetricQuery> = chunk
                .iter()
                .flat_map(|(_, source)| source.queries())
                .collect();
            let answer = ports
                .metrics
                .latest(&queries, settings.common.metric_lookback_minutes)
                .await;
            (chunk, answer)
        })
        .buffer_unordered(settings.common.concurrency)
        .collect()
        .await;
    for (chunk, answer) in answers {
        match answer {
            Ok(values) => {
                for ((index, _), pair) in chunk.iter().zip(values.chunks(2)) {
                    results[*index] = Ok(match pair {
                        [Some(average), Some(max)] => Some(GpuUtilization {
                            average: *average,
                            max: *max,
                        }),
                        _ => None,
                    });
                }
            }
            Err(error) => {
                for (index, _) in chunk {
                    results[*index] = Err(format!("GPU metrics not published: {error}"));
                }
            }
        }
    }
    results
}
