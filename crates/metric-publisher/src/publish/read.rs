//! Everything the publisher reads, for all targets of an account together:
//! DescribeServices (10 services a call), GetMetricData for the GPU sources (500
//! queries a call) and GetQueueAttributes, each bounded in concurrency. Each target gets its own results,
//! so one failed read fails only the targets it concerned.

use std::collections::BTreeMap;

use sluice_aws::{AwsError, Bins, read_backlogs, read_latest, read_series, read_task_counts};
use sluice_core::capacity::{QueueCounts, Rates};
use sluice_core::config::Target;
use sluice_core::facts::{GpuUtilization, MetricQuery, TaskCounts};
use sluice_core::metrics::{LoadRead, Read};
use sluice_core::names;
use sluice_core::queue::{AGE_OF_OLDEST_MESSAGE, Backlog, MESSAGES_DELETED, MESSAGES_SENT, Queue};
use sluice_core::startup::StartUps;

use sluice_lambda::per_place;

use super::Ports;
use crate::settings::Settings;

/// What was read for one target.
pub type Facts = Read<AwsError>;

/// What the load model reads of a target under it.
pub type LoadFacts = LoadRead<AwsError>;

/// Minutes of SQS's counts read each run: the newest complete minutes come two to three
/// minutes late, and the rates learn from each minute once.
const QUEUE_COUNT_MINUTES: u32 = 6;

/// Facts for each target, in order: what its own account says (per place, with
/// that account's clients), and the desired counts this publisher wrote (here).
pub async fn read(targets: &[Target], settings: &Settings, ports: &Ports<'_>) -> Vec<Facts> {
    let (theirs, histories, rates, mut start_ups) = futures::join!(
        per_place(
            targets,
            |t| t,
            ports.accounts,
            async |account, mine| read_in_account(mine, settings, &ports.in_account(account)).await,
            |_, error| Theirs::unreachable(error),
        ),
        read_desired_histories(targets, settings, ports),
        read_rates(targets, ports),
        read_start_ups(targets, ports),
    );
    theirs
        .into_iter()
        .zip(histories)
        .zip(rates)
        .zip(targets)
        .map(|(((theirs, desired_history), rates), target)| Facts {
            backlog: theirs.backlog,
            tasks: theirs.tasks,
            gpu: theirs.gpu,
            oldest_age: theirs.oldest_age,
            desired_history,
            load: LoadFacts {
                queue_counts: theirs.queue_counts,
                rates,
                start_ups: start_ups.remove(&target.name).unwrap_or_default(),
            },
        })
        .collect()
}

/// Each target's stored rates, in one read of the records when any target is under
/// the load model; an unreadable store fails those targets' rates (their need is then
/// not published: a guess would be a different law).
async fn read_rates(targets: &[Target], ports: &Ports<'_>) -> Vec<Result<Option<Rates>, AwsError>> {
    if !targets.iter().any(|t| t.scaling.uses_need()) {
        return targets.iter().map(|_| Ok(None)).collect();
    }
    let stored: Result<BTreeMap<String, Rates>, AwsError> =
        ports.rates.rates(ports.clock.now()).await;
    targets
        .iter()
        .map(|target| match &stored {
            _ if !target.scaling.uses_need() => Ok(None),
            Ok(all) => Ok(all.get(&target.name).cloned()),
            Err(error) => Err(error.clone().about("the load records")),
        })
        .collect()
}

/// The start-ups the zero-watcher measured, in one read when any target is under the
/// load model. Unreadable, none (said in the log): the need plans with the start-up
/// the load records hold, a measurement too, only coarser.
async fn read_start_ups(targets: &[Target], ports: &Ports<'_>) -> BTreeMap<String, StartUps> {
    if !targets.iter().any(|t| t.scaling.uses_need()) {
        return BTreeMap::new();
    }
    ports.starts.start_ups().await.unwrap_or_else(|error| {
        tracing::warn!(%error, "measured start-ups not read: the need plans with the load records'");
        BTreeMap::new()
    })
}

/// What the target's own account says about it.
struct Theirs {
    backlog: Result<Backlog, AwsError>,
    tasks: Result<TaskCounts, AwsError>,
    gpu: Result<Option<GpuUtilization>, AwsError>,
    oldest_age: Result<Option<f64>, AwsError>,
    queue_counts: Result<Vec<QueueCounts>, AwsError>,
}

impl Theirs {
    fn unreachable(error: &AwsError) -> Self {
        Theirs {
            backlog: Err(error.clone()),
            tasks: Err(error.clone()),
            gpu: Err(error.clone()),
            oldest_age: Err(error.clone()),
            queue_counts: Err(error.clone()),
        }
    }
}

async fn read_in_account(
    targets: &[Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Theirs> {
    let services: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t.cluster.as_str(), t.service.as_str()))
        .collect();
    let queues: Vec<&[Queue]> = targets.iter().map(|t| t.queues.as_slice()).collect();
    let (counts, gpus, backlogs, ages, queue_counts) = futures::join!(
        read_task_counts(
            &*ports.here.services,
            &services,
            settings.common.concurrency
        ),
        read_gpus(targets, settings, ports),
        read_backlogs(&*ports.here.queues, &queues, settings.common.concurrency),
        read_oldest_ages(targets, settings, ports),
        read_queue_counts(targets, settings, ports),
    );
    let read = counts
        .into_iter()
        .zip(gpus)
        .zip(backlogs)
        .zip(ages)
        .zip(queue_counts);
    targets
        .iter()
        .zip(read)
        .map(
            |(target, ((((tasks, gpu), backlog), oldest_age), queue_counts))| Theirs {
                backlog,
                tasks: tasks
                    .map_err(|e| e.about(format!("service {}/{}", target.cluster, target.service))),
                gpu,
                oldest_age,
                queue_counts,
            },
        )
        .collect()
}

/// SQS's `NumberOfMessagesSent` and `NumberOfMessagesDeleted` (Sum a minute) of each
/// queue of the targets under the load model, in the GetMetricData path of the GPU
/// readings (500 queries a call); per target Err when any of its queries failed.
async fn read_queue_counts(
    targets: &[Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Vec<QueueCounts>, AwsError>> {
    let modelled = |t: &&Target| t.scaling.uses_need();
    let queries: Vec<MetricQuery> = targets
        .iter()
        .filter(modelled)
        .flat_map(|t| &t.queues)
        .flat_map(|queue| {
            [MESSAGES_SENT, MESSAGES_DELETED].map(|metric| queue.sqs_metric(metric, "Sum"))
        })
        .collect();
    let mut answers = read_series(
        &*ports.here.metrics,
        &queries,
        (QUEUE_COUNT_MINUTES, Bins::Minute),
        settings.common.concurrency,
    )
    .await
    .into_iter();
    targets
        .iter()
        .map(|target| {
            if !target.scaling.uses_need() {
                return Ok(Vec::new());
            }
            let mut counts = Vec::with_capacity(target.queues.len());
            for queue in &target.queues {
                let (sent, deleted) = (answers.next(), answers.next());
                let (Some(sent), Some(deleted)) = (sent, deleted) else {
                    return Err(AwsError::new(
                        "CloudWatch.GetMetricData",
                        sluice_aws::ErrorKind::BadResponse,
                        "fewer answers than queries",
                    ));
                };
                counts.push(QueueCounts {
                    weight: queue.weight,
                    sent: sent?,
                    deleted: deleted?,
                });
            }
            Ok(counts)
        })
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
        ports.own_metrics,
        &queries,
        (minutes, Bins::Minute),
        settings.common.concurrency,
    )
    .await
    .into_iter()
    .map(|history| history.map(|points| Some(points.into_iter().map(|(_, v)| v).collect())))
    .collect()
}

/// The newest value of each query within the look-back window, in order.
async fn read_recent(
    queries: &[MetricQuery],
    settings: &Settings,
    ports: &Ports<'_>,
) -> std::vec::IntoIter<Result<Option<f64>, AwsError>> {
    let common = &settings.common;
    read_latest(
        &*ports.here.metrics,
        queries,
        common.metric_lookback_minutes,
        common.concurrency,
    )
    .await
    .into_iter()
}

/// SQS's ApproximateAgeOfOldestMessage (Maximum) of every queue, in the GetMetricData
/// path of the GPU readings; per target the largest, Err when any of its queries
/// failed.
async fn read_oldest_ages(
    targets: &[Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Option<f64>, AwsError>> {
    let queries: Vec<MetricQuery> = targets
        .iter()
        .flat_map(|t| &t.queues)
        .map(|queue| queue.sqs_metric(AGE_OF_OLDEST_MESSAGE, "Maximum"))
        .collect();
    let mut answers = read_recent(&queries, settings, ports).await;
    targets
        .iter()
        .map(|target| {
            let mine: Vec<_> = answers.by_ref().take(target.queues.len()).collect();
            mine.into_iter()
                .try_fold(None, |oldest: Option<f64>, answer| {
                    Ok(match answer? {
                        Some(age) => Some(oldest.map_or(age, |o| o.max(age))),
                        None => oldest,
                    })
                })
        })
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
    let mut answers = read_recent(&queries, settings, ports).await;
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
