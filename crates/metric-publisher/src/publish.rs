//! One publish: read every target's queues, services and GPUs, then publish its
//! metrics. A failing target is reported and never stops the others.

use std::time::{SystemTime, UNIX_EPOCH};

use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;
use sluice_aws::{
    AwsError, CloudWatchMetrics, ConfigStore, EmfLog, ItemKind, MetricReader, MetricSink,
    QueueDepths, ServiceCounts, read_backlogs, read_task_counts,
};
use sluice_core::config::{GpuSource, Target};
use sluice_core::facts::{GpuUtilization, MetricQuery, QueueDepth, TaskCounts};
use sluice_core::metrics::{self, Datum, FleetTally, Reading, Rollup, embedded_metric_line};

use crate::event::{self, BadEvent};
use crate::settings::{Output, Settings};

/// The capabilities a publish needs.
pub struct Ports<'a> {
    pub store: &'a dyn ConfigStore,
    pub queues: &'a dyn QueueDepths,
    pub services: &'a dyn ServiceCounts,
    pub metrics: &'a dyn MetricReader,
    pub sink: &'a dyn MetricSink,
    pub emf: &'a dyn EmfLog,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    BadEvent(#[from] BadEvent),
    #[error("cannot read targets from table: {0}")]
    Store(AwsError),
    #[error("unknown target(s) in the event: {}; stored targets are: {}", .unknown.join(", "), .known.join(", "))]
    UnknownTargets {
        unknown: Vec<String>,
        known: Vec<String>,
    },
    #[error("nothing could be published: {}", summarise_failures(.0))]
    NothingPublished(Box<Summary>),
}

fn summarise_failures(summary: &Summary) -> String {
    let failures: Vec<String> = summary
        .invalid_targets
        .iter()
        .chain(summary.targets.iter())
        .filter_map(|report| {
            report
                .error
                .as_ref()
                .map(|e| format!("{}: {e}", report.name))
        })
        .collect();
    failures.join("; ")
}

/// What one invocation did, returned to the caller and logged.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub trigger: String,
    pub namespace: String,
    pub output: String,
    pub published_targets: usize,
    pub failed_targets: usize,
    pub datums: usize,
    pub put_metric_data_calls: usize,
    /// Published without dimensions, also when every target failed.
    pub fleet: FleetTally,
    pub targets: Vec<TargetReport>,
    /// Stored targets that do not parse or validate: skipped, named here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_targets: Vec<TargetReport>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TargetReport {
    pub name: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading: Option<ReadingReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Published,
    Failed,
    Invalid,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadingReport {
    #[serde(flatten)]
    pub depth: QueueDepth,
    pub backlog: u64,
    #[serde(flatten)]
    pub tasks: TaskCounts,
    pub backlog_per_task: f64,
    pub gpu: Option<GpuUtilization>,
    pub metrics: usize,
}

/// Parses stored items into targets; bad ones are reported by name and left out.
pub fn parse_targets(items: Vec<sluice_aws::StoredItem>) -> (Vec<Target>, Vec<TargetReport>) {
    let mut targets = Vec::new();
    let mut invalid = Vec::new();
    for item in items {
        match Target::from_stored(&item.name, &item.spec) {
            Ok(target) => targets.push(target),
            Err(error) => invalid.push(TargetReport {
                name: item.name,
                status: Status::Invalid,
                error: Some(error),
                ..TargetReport::default()
            }),
        }
    }
    (targets, invalid)
}

pub async fn publish(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Result<Summary, PublishError> {
    let invocation = event::parse(event)?;
    let items = ports
        .store
        .list(ItemKind::Target)
        .await
        .map_err(PublishError::Store)?;
    let (mut targets, invalid_targets) = parse_targets(items);
    for report in &invalid_targets {
        tracing::warn!(target_name = %report.name, error = ?report.error, "skipping invalid stored target");
    }
    if let Some(only) = &invocation.only {
        let unknown: Vec<String> = only
            .iter()
            .filter(|name| !targets.iter().any(|t| &t.name == *name))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(PublishError::UnknownTargets {
                unknown,
                known: targets.iter().map(|t| t.name.clone()).collect(),
            });
        }
        targets.retain(|t| only.contains(&t.name));
    }
    tracing::info!(trigger = invocation.trigger, schedule = ?invocation.schedule, targets = targets.len(), "publishing");

    let services_of: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t.cluster.as_str(), t.service.as_str()))
        .collect();
    let queues_of: Vec<&[String]> = targets.iter().map(|t| t.queues.as_slice()).collect();
    let (services, gpus, depths) = futures::join!(
        read_task_counts(ports.services, &services_of, settings.concurrency),
        read_gpus(&targets, settings, ports.metrics),
        read_backlogs(ports.queues, &queues_of, settings.concurrency),
    );

    let mut summary = Summary {
        trigger: invocation.trigger.to_owned(),
        namespace: settings.namespace.clone(),
        output: settings.output.as_str().to_owned(),
        invalid_targets,
        ..Summary::default()
    };
    let mut fleet = FleetTally::default();
    for _ in &summary.invalid_targets {
        fleet.count_failed();
    }
    // One group per target (empty when it failed), then the fleet-wide counts: a
    // group is one EMF line, or its share of the PutMetricData batches.
    let mut datum_groups: Vec<Vec<Datum>> = Vec::with_capacity(targets.len() + 1);
    for (index, target) in targets.iter().enumerate() {
        let mut report = TargetReport {
            name: target.name.clone(),
            ..TargetReport::default()
        };
        let depth = depths[index].clone();
        let tasks = services[index]
            .clone()
            .map_err(|e| format!("service {}/{}: {e}", target.cluster, target.service));
        let gpu = match &gpus[index] {
            Ok(gpu) => *gpu,
            Err(warning) => {
                report.warnings.push(warning.clone());
                None
            }
        };
        if target.gpu.is_some() && gpu.is_none() && gpus[index].is_ok() {
            report.warnings.push(
                "no GPU datapoint in the look-back window: GPU metrics not published".to_owned(),
            );
        }
        match (depth, tasks) {
            (Ok(depth), Ok(tasks)) => {
                let reading = Reading { depth, tasks, gpu };
                fleet.count_published(target, &reading);
                let datums = reading.datums(target);
                report.reading = Some(ReadingReport {
                    depth,
                    backlog: reading.backlog(),
                    tasks,
                    backlog_per_task: reading.backlog_per_task(),
                    gpu,
                    metrics: datums.len(),
                });
                datum_groups.push(datums);
            }
            (Err(error), _) | (_, Err(error)) => {
                fleet.count_failed();
                report.status = Status::Failed;
                report.error = Some(error);
                datum_groups.push(Vec::new());
            }
        }
        summary.targets.push(report);
    }
    summary.fleet = fleet;
    datum_groups.push(fleet.datums());

    match settings.output {
        Output::PutMetricData => {
            put_all(&mut summary, &datum_groups, settings, ports.sink).await;
        }
        Output::EmbeddedMetricFormat => {
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0);
            for datums in datum_groups.iter().filter(|d| !d.is_empty()) {
                ports.emf.emit(&embedded_metric_line(
                    &settings.namespace,
                    now_ms,
                    datums,
                    Rollup::PerTargetOnly,
                ));
                summary.datums += datums.len();
            }
        }
    }

    for report in &summary.targets {
        match report.status {
            Status::Published => {
                tracing::info!(target_name = %report.name, reading = ?report.reading, warnings = ?report.warnings, "published")
            }
            _ => {
                tracing::error!(target_name = %report.name, error = ?report.error, "target failed")
            }
        }
    }
    summary.published_targets = summary
        .targets
        .iter()
        .filter(|r| r.status == Status::Published)
        .count();
    summary.failed_targets = summary.targets.len() - summary.published_targets;
    let anything_to_do = !summary.targets.is_empty() || !summary.invalid_targets.is_empty();
    if anything_to_do && summary.published_targets == 0 {
        return Err(PublishError::NothingPublished(Box::new(summary)));
    }
    Ok(summary)
}

/// GetMetricData for every target's GPU source together, 250 sources (500 queries) a
/// call. Per target: Ok(None) when no source or no datapoint, Err on a failed read.
async fn read_gpus(
    targets: &[Target],
    settings: &Settings,
    cloudwatch: &dyn MetricReader,
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
            let answer = cloudwatch
                .latest(&queries, settings.gpu_lookback_minutes)
                .await;
            (chunk, answer)
        })
        .buffer_unordered(settings.concurrency)
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

/// PutMetricData in the fewest calls; a failed call fails the targets it carried.
async fn put_all(
    summary: &mut Summary,
    datum_groups: &[Vec<Datum>],
    settings: &Settings,
    sink: &dyn MetricSink,
) {
    let all: Vec<Datum> = datum_groups.iter().flatten().cloned().collect();
    let batches = metrics::batches(
        &all,
        metrics::MAX_DATUMS_PER_CALL,
        metrics::MAX_BYTES_PER_CALL,
    );
    summary.put_metric_data_calls = batches.len();
    summary.datums = all.len();
    let failures: Vec<(&[Datum], AwsError)> = stream::iter(batches)
        .map(|batch| async move {
            (
                batch,
                sink.put_metric_data(&settings.namespace, batch).await,
            )
        })
        .buffer_unordered(settings.concurrency)
        .filter_map(|(batch, result)| async move { result.err().map(|e| (batch, e)) })
        .collect()
        .await;
    for (batch, error) in failures {
        for report in summary.targets.iter_mut() {
            if report.status == Status::Published && batch.iter().any(|d| d.is_for(&report.name)) {
                report.status = Status::Failed;
                report.error = Some(error.to_string());
            }
        }
    }
}
