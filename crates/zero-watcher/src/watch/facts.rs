//! What the decisions need, read together for many targets: ECS counts (10 services
//! a call), Application Auto Scaling bounds (50 a call), backlogs and activation
//! metrics; and, only for targets a sleep is possible for, task protection and the
//! work done between looks. A target whose facts cannot all be read gets Err (or, for
//! protection, "unknown"): never decide on a guess.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use sluice_aws::{
    AwsError, ecs_resource_id, read_backlogs, read_bounds, read_series, read_task_counts,
};
use sluice_aws::{Bins, ErrorKind};
use sluice_core::config::{Queue, Target};
use sluice_core::facts::{MetricQuery, ScalableBounds, TaskCounts};
use sluice_core::queue::Backlog;
use sluice_core::queue::{MESSAGES_RECEIVED, MESSAGES_SENT};
use sluice_core::zero::{self, Cause, Facts, Protection};

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
    let queues: Vec<&[Queue]> = polled.iter().map(|w| w.target.queues.as_slice()).collect();
    let concurrency = settings.common.concurrency;
    let (counts, bounds, backlogs, metrics) = futures::join!(
        read_task_counts(&*ports.here.services, &services, concurrency),
        read_bounds(&*ports.here.autoscaling, &resource_ids, concurrency),
        read_backlogs(&*ports.here.queues, &queues, concurrency),
        activation_metrics(&polled, settings, ports),
    );
    let mut polled_results = backlogs.into_iter().zip(metrics);
    let mut facts: Vec<Result<Facts, AwsError>> = work
        .iter()
        .zip(counts.into_iter().zip(bounds))
        .map(|((watched, cause), (counts, bounds))| {
            // A push reads no queue: the polled answers are the others', in order.
            let polled = (!matches!(cause, Cause::Push(_))).then(|| polled_results.next());
            assemble(watched.target, counts, bounds, polled)
        })
        .collect();
    add_sleep_facts(work, &mut facts, settings, ports).await;
    facts
}

/// One target's facts from what was read: its counts and bounds, and for a polled
/// target (`polled` is Some) its backlog and activation metric.
fn assemble(
    target: &Target,
    counts: Result<TaskCounts, AwsError>,
    bounds: Result<Option<ScalableBounds>, AwsError>,
    polled: Option<Option<PolledAnswer>>,
) -> Result<Facts, AwsError> {
    let service = format!("service {}/{}", target.cluster, target.service);
    let counts = counts.map_err(|e| e.about(&service))?;
    let bounds = bounds.map_err(|e| e.about(format!("scalable target of {service}")))?;
    let (backlog, metric_active) = match polled {
        None => (Backlog::default(), false),
        Some(None) => {
            let missing = "backlog not read";
            return Err(AwsError::new(
                "SQS.GetQueueAttributes",
                ErrorKind::BadResponse,
                missing,
            ));
        }
        Some(Some((backlog, metric))) => (backlog?, metric?),
    };
    Ok(Facts {
        desired: counts.desired,
        running: counts.running,
        backlog: backlog.weighted,
        in_flight: backlog.weighted_in_flight,
        priority_backlog: backlog.priority,
        priority_in_flight: backlog.priority_in_flight,
        metric_active,
        bounds,
        prescaled: None,
        recent_activity: None,
        protection: Protection::NotRead,
        polled: zero::Polled::default(),
    })
}

/// A polled target's backlog and whether its activation metric is active, as read.
type PolledAnswer = (Result<Backlog, AwsError>, Result<bool, AwsError>);

/// For the polled targets a sleep is possible for: their task protection, and the
/// newest activity between looks.
async fn add_sleep_facts(
    work: &[(Watched<'_>, Cause)],
    facts: &mut [Result<Facts, AwsError>],
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let candidates: Vec<usize> = (0..work.len())
        .filter(|&i| {
            let (_, cause) = &work[i];
            !matches!(cause, Cause::Push(_))
                && matches!(&facts[i], Ok(f)
                    if zero::sleep_possible(f))
        })
        .collect();
    if candidates.is_empty() {
        return;
    }
    let watched: Vec<Watched<'_>> = candidates.iter().map(|&i| work[i].0).collect();
    let unbounded = candidates
        .iter()
        .any(|&i| matches!(&facts[i], Ok(f) if f.bounds.is_none()));
    let (protections, activity, prescaled) = futures::join!(
        stream::iter(&watched)
            .map(|w| ports
                .here
                .protections
                .protected_tasks(&w.target.cluster, &w.target.service))
            .buffered(settings.common.concurrency.max(1))
            .collect::<Vec<_>>(),
        recent_activity(&watched, settings, ports),
        prescaler_floors(unbounded, ports),
    );
    for ((index, protection), activity) in candidates.into_iter().zip(protections).zip(activity) {
        let Ok(found) = &mut facts[index] else {
            continue;
        };
        if found.bounds.is_none() {
            match &prescaled {
                Ok(floors) => found.prescaled = floors.get(work[index].0.name()).copied(),
                Err(error) => {
                    facts[index] = Err(error.clone().about("the prescaler's window floors"));
                    continue;
                }
            }
        }
        found.protection = match protection {
            Ok(0) => Protection::Clear,
            Ok(tasks) => Protection::Protected(tasks),
            // Not permitted or failed: unknown, and unknown never sleeps.
            Err(error) => Protection::Unknown(error.to_string()),
        };
        match activity {
            Ok(at) => found.recent_activity = at,
            Err(error) => facts[index] = Err(error.about("activity between looks")),
        }
    }
}

/// The floors the prescaler holds as desiredCount on services without a scalable
/// target (its own writes), by target; read only when such a service could sleep.
/// Unread, those targets are not slept this look.
async fn prescaler_floors(
    needed: bool,
    ports: &Ports<'_>,
) -> Result<BTreeMap<String, u32>, AwsError> {
    if !needed {
        return Ok(BTreeMap::new());
    }
    let writes = ports.prescaled.load_all().await?;
    Ok(writes
        .into_iter()
        .map(|(target, own)| (target, own.raised_to))
        .collect())
}

/// Each target's newest minute of work between looks within its idle window: messages
/// sent to or received from its queues (SQS's own `NumberOfMessagesSent` and
/// `NumberOfMessagesReceived`, which count a job that came and went between two looks)
/// or its GPU above `busy_gpu_percent`. A failed query fails its target.
async fn recent_activity(
    watched: &[Watched<'_>],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Option<i64>, AwsError>> {
    // (target index, query, what counts as work)
    let mut queries: Vec<(usize, MetricQuery, f64)> = Vec::new();
    for (index, w) in watched.iter().enumerate() {
        for queue in &w.target.queues {
            for metric in [MESSAGES_SENT, MESSAGES_RECEIVED] {
                queries.push((index, queue.sqs_metric(metric, "Sum"), 0.0));
            }
        }
        if let (Some(busy), Some(gpu)) = (w.zero.busy_gpu_percent, &w.target.gpu) {
            let [_, maximum] = gpu.queries();
            queries.push((index, maximum, busy));
        }
    }
    let mut results = vec![Ok(None); watched.len()];
    if queries.is_empty() {
        return results;
    }
    let window = watched
        .iter()
        .map(|w| w.zero.activity_minutes())
        .max()
        .unwrap_or(1);
    let only: Vec<MetricQuery> = queries.iter().map(|(_, q, _)| q.clone()).collect();
    let answers = read_series(
        &*ports.here.metrics,
        &only,
        (window, Bins::Minute),
        settings.common.concurrency,
    )
    .await;
    for ((index, _, work), answer) in queries.iter().zip(answers) {
        results[*index] = match (&results[*index], answer) {
            (Err(first), _) => Err(first.clone()),
            (Ok(_), Err(error)) => Err(error),
            (Ok(newest), Ok(points)) => {
                let last = points
                    .iter()
                    .filter(|(_, v)| v > work)
                    .map(|(at, _)| *at)
                    .max();
                Ok((*newest).max(last))
            }
        };
    }
    results
}

/// Of these sleeping targets, those whose backlog (or, when `read_metrics`, whose
/// activation metric) shows work: the cheap read of a poll's later looks.
pub async fn active<'t>(
    asleep: &[Watched<'t>],
    read_metrics: bool,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Watched<'t>> {
    let queues: Vec<&[Queue]> = asleep.iter().map(|w| w.target.queues.as_slice()).collect();
    let (backlogs, metrics) = futures::join!(
        read_backlogs(&*ports.here.queues, &queues, settings.common.concurrency),
        async {
            if read_metrics {
                activation_metrics(asleep, settings, ports).await
            } else {
                vec![Ok(false); asleep.len()]
            }
        },
    );
    let now = ports.clock.now();
    asleep
        .iter()
        .zip(backlogs.into_iter().zip(metrics))
        .filter(|(watched, (backlog, metric))| {
            // Asleep: what a task woken now could receive (`zero::Facts::counted`).
            let (weighted, priority) = backlog.as_ref().map_or((0, 0), Backlog::receivable);
            let active =
                zero::shows_work(watched.zero, weighted, priority, matches!(metric, Ok(true)));
            if !active && backlog.is_ok() && metric.is_ok() {
                ports.looks.saw_quiet(watched.name(), now);
            }
            active
        })
        .map(|(watched, _)| *watched)
        .collect()
}

/// Whether each target's activation metric shows activity (false without one):
/// above its threshold, or growing faster (`ActivationMetric::shows_activity`).
async fn activation_metrics(
    watched: &[Watched<'_>],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<bool, AwsError>> {
    let configured: Vec<(usize, MetricQuery, &sluice_core::config::ActivationMetric)> = watched
        .iter()
        .enumerate()
        .filter_map(|(index, w)| {
            let metric = w.zero.metric.as_ref()?;
            Some((index, metric.query()?, metric))
        })
        .collect();
    let mut results = vec![Ok(false); watched.len()];
    if configured.is_empty() {
        return results;
    }
    let queries: Vec<MetricQuery> = configured.iter().map(|(_, q, _)| q.clone()).collect();
    let common = &settings.common;
    let answers = read_series(
        &*ports.here.metrics,
        &queries,
        (common.metric_lookback_minutes, Bins::Minute),
        common.concurrency,
    )
    .await;
    for ((index, _, metric), answer) in configured.iter().zip(answers) {
        // A failed query is unknown, never "inactive": the target is not decided on it.
        results[*index] = answer
            .map(|points| metric.shows_activity(&points))
            .map_err(|e| e.about("activation metric"));
    }
    results
}
