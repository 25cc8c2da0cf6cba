//! What the decisions need, read together for many targets: ECS counts (10 services
//! a call), Application Auto Scaling bounds (50 a call), backlogs and activation
//! metrics. A target whose facts cannot all be read gets Err: never decide on a guess.

use sluice_aws::ErrorKind;
use sluice_aws::{
    AwsError, ecs_resource_id, read_backlogs, read_bounds, read_latest, read_task_counts,
};
use sluice_core::facts::MetricQuery;
use sluice_core::zero::{Cause, Facts};

use super::Ports;
use super::work::Watched;
use crate::settings::Settings;

/// Facts for each (target, cause), in order. A push is activity by itself: its
/// backlog and activation metric are not read.
pub async fn read(
    work: &[(Watched<'_>, Cause)],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Facts, AwsError>> {
    let services: Vec<(&str, &str)> = work
        .iter()
        .map(|(w, _)| (w.target.cluster.as_str(), w.target.service.as_str()))
        .collect();
    let resource_ids: Vec<String> = work
        .iter()
        .map(|(w, _)| ecs_resource_id(&w.target.cluster, &w.target.service))
        .collect();
    let polled: Vec<Watched<'_>> = work
        .iter()
        .filter(|(_, cause)| !matches!(cause, Cause::Push(_)))
        .map(|(w, _)| *w)
        .collect();
    let queues: Vec<&[String]> = polled.iter().map(|w| w.target.queues.as_slice()).collect();
    let concurrency = settings.common.concurrency;
    let (counts, bounds, backlogs, metrics) = futures::join!(
        read_task_counts(ports.services, &services, concurrency),
        read_bounds(ports.autoscaling, &resource_ids, concurrency),
        read_backlogs(ports.queues, &queues, concurrency),
        activation_metrics(&polled, settings, ports),
    );
    let mut polled_results = backlogs.into_iter().zip(metrics);
    work.iter()
        .zip(counts.into_iter().zip(bounds))
        .map(|((watched, cause), (counts, bounds))| {
            let target = watched.target;
            let service = format!("service {}/{}", target.cluster, target.service);
            let counts = counts.map_err(|e| e.about(&service))?;
            let bounds = bounds.map_err(|e| e.about(format!("scalable target of {service}")))?;
            let (backlog, metric_active) = if matches!(cause, Cause::Push(_)) {
                (0, false)
            } else {
                let Some((backlog, metric)) = polled_results.next() else {
                    let missing = "backlog not read";
                    return Err(AwsError::new(
                        "SQS.GetQueueAttributes",
                        ErrorKind::BadResponse,
                        missing,
                    ));
                };
                (backlog?.backlog(), metric?)
            };
            Ok(Facts {
                desired: counts.desired,
                backlog,
                metric_active,
                bounds,
            })
        })
        .collect()
}

/// Of these sleeping targets, those whose backlog (or, when `read_metrics`, whose
/// activation metric) shows work: the cheap read of a poll's later looks.
pub async fn active<'t>(
    asleep: &[Watched<'t>],
    read_metrics: bool,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Watched<'t>> {
    let queues: Vec<&[String]> = asleep.iter().map(|w| w.target.queues.as_slice()).collect();
    let (backlogs, metrics) = futures::join!(
        read_backlogs(ports.queues, &queues, settings.common.concurrency),
        async {
            if read_metrics {
                activation_metrics(asleep, settings, ports).await
            } else {
                vec![Ok(false); asleep.len()]
            }
        },
    );
    asleep
        .iter()
        .zip(backlogs.into_iter().zip(metrics))
        .filter(|(watched, (backlog, metric))| {
            let busy =
                matches!(backlog, Ok(depth) if depth.backlog() > watched.zero.activation_backlog);
            busy || matches!(metric, Ok(true))
        })
        .map(|(watched, _)| *watched)
        .collect()
}

/// Whether each target's activation metric is above its threshold (false without one).
async fn activation_metrics(
    watched: &[Watched<'_>],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<bool, AwsError>> {
    let configured: Vec<(usize, MetricQuery, f64)> = watched
        .iter()
        .enumerate()
        .filter_map(|(index, w)| {
            let metric = w.zero.metric.as_ref()?;
            Some((index, metric.query()?, metric.threshold))
        })
        .collect();
    let mut results = vec![Ok(false); watched.len()];
    if configured.is_empty() {
        return results;
    }
    let queries: Vec<MetricQuery> = configured.iter().map(|(_, q, _)| q.clone()).collect();
    let common = &settings.common;
    let answers = read_latest(
        ports.metrics,
        &queries,
        common.metric_lookback_minutes,
        common.concurrency,
    )
    .await;
    for ((index, _, threshold), answer) in configured.iter().zip(answers) {
        // A failed query is unknown, never "inactive": the target is not decided on it.
        results[*index] = answer
            .map(|value| value.is_some_and(|v| v > *threshold))
            .map_err(|e| e.about("activation metric"));
    }
    results
}
