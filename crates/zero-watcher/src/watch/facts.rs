//! What the decisions need, read together for many targets: ECS counts (10 services
//! a call), Application Auto Scaling bounds (50 a call), backlogs and activation
//! metrics. A target whose facts cannot all be read gets Err: never decide on a guess.

use sluice_aws::{ecs_resource_id, read_backlogs, read_task_counts};
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
) -> Vec<Result<Facts, String>> {
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
    let (counts, bounds, backlogs, metrics) = futures::join!(
        read_task_counts(ports.services, &services, settings.common.concurrency),
        ports.autoscaling.bounds(&resource_ids),
        read_backlogs(ports.queues, &queues, settings.common.concurrency),
        activation_metrics(&polled, settings, ports),
    );
    let mut polled_results = backlogs.into_iter().zip(metrics);
    work.iter()
        .zip(counts)
        .zip(&resource_ids)
        .map(|(((watched, cause), counts), resource_id)| {
            let target = watched.target;
            let counts = counts
                .map_err(|e| format!("service {}/{}: {e}", target.cluster, target.service))?;
            let bounds = bounds
                .as_ref()
                .map_err(|e| e.to_string())?
                .get(resource_id)
                .copied();
            let (backlog, metric_active) = if matches!(cause, Cause::Push(_)) {
                (0, false)
            } else {
                let (backlog, metric) =
                    polled_results.next().ok_or("internal: backlog not read")?;
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
) -> Vec<Result<bool, String>> {
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
    match ports
        .metrics
        .latest(&queries, settings.common.metric_lookback_minutes)
        .await
    {
        Ok(values) => {
            for ((index, _, threshold), value) in configured.iter().zip(values) {
                results[*index] = Ok(value.is_some_and(|v| v > *threshold));
            }
        }
        Err(error) => {
            for (index, _, _) in &configured {
                results[*index] = Err(format!("activation metric: {error}"));
            }
        }
    }
    results
}
