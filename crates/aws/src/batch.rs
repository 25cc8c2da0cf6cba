//! Batched, bounded reads shared by the functions: many targets, few calls, and one
//! bad item failing only itself. Each read splits its items into calls at the API's
//! limit, runs at most `concurrency` calls at once, and when a call is refused as
//! invalid (one malformed query spoils a GetMetricData call for all 500) splits it in
//! halves until the bad items stand alone. A throttled or failed call fails the items
//! it carried, and only those.

use std::collections::BTreeMap;
use std::future::Future;
use std::ops::Range;

use futures::stream::{self, StreamExt};
use sluice_core::facts::{MetricQuery, QueueDepth, ScalableBounds};
use sluice_core::queue::{Backlog, Queue};

use crate::{
    AutoScaling, AwsError, CloudWatchMetrics, EcsServices, ErrorKind, MetricReader, QueueDepths,
    ScalableTargets, ServiceCounts, ServiceResult,
};

/// A call's answer for a batch: one result per item, or the call's own failure.
type BatchAnswer<R> = Result<Vec<Result<R, AwsError>>, AwsError>;

/// One result per item: `call` answers a batch of at most `size` items, item by item.
async fn isolate<T, R, F, Fut>(
    items: &[T],
    size: usize,
    concurrency: usize,
    operation: &'static str,
    call: F,
) -> Vec<Result<R, AwsError>>
where
    T: Clone,
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = BatchAnswer<R>>,
{
    let mut results: Vec<Option<Result<R, AwsError>>> = items.iter().map(|_| None).collect();
    let size = size.max(1);
    let mut pending: Vec<Range<usize>> = (0..items.len())
        .step_by(size)
        .map(|start| start..(start + size).min(items.len()))
        .collect();
    while !pending.is_empty() {
        let call = &call;
        let answers: Vec<(Range<usize>, BatchAnswer<R>)> =
            stream::iter(std::mem::take(&mut pending))
                .map(|range| async move {
                    let answer = call(items[range.clone()].to_vec()).await;
                    (range, answer)
                })
                .buffer_unordered(concurrency.max(1))
                .collect()
                .await;
        for (range, answer) in answers {
            pending.extend(settle(&mut results, range, answer));
        }
    }
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| {
                Err(AwsError::new(
                    operation,
                    ErrorKind::BadResponse,
                    "no answer for it",
                ))
            })
        })
        .collect()
}

/// One batch's answer into its items' results: each item its own answer, the batch's
/// error for every item, or, for a batch the service refused as a whole (one bad
/// item), its two halves to try again, returned.
fn settle<R>(
    results: &mut [Option<Result<R, AwsError>>],
    range: Range<usize>,
    answer: BatchAnswer<R>,
) -> Vec<Range<usize>> {
    match answer {
        Ok(values) => {
            for (index, value) in range.zip(values) {
                results[index] = Some(value);
            }
            Vec::new()
        }
        Err(error) if error.kind == ErrorKind::InvalidRequest && range.len() > 1 => {
            let middle = range.start + range.len() / 2;
            vec![range.start..middle, middle..range.end]
        }
        Err(error) => {
            for index in range {
                results[index] = Some(Err(error.clone()));
            }
            Vec::new()
        }
    }
}

/// Task counts for `(cluster, service)` pairs, in their order: DescribeServices with 10
/// services a call per cluster, at most `concurrency` calls in flight.
pub async fn read_task_counts(
    ecs: &dyn ServiceCounts,
    services: &[(&str, &str)],
    concurrency: usize,
) -> Vec<ServiceResult> {
    let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (cluster, service) in services {
        let names = by_cluster.entry(cluster).or_default();
        if !names.iter().any(|n| n == service) {
            names.push((*service).to_owned());
        }
    }
    let per_cluster = by_cluster.iter().map(|(cluster, names)| async move {
        let answers = isolate(
            names,
            EcsServices::MAX_SERVICES_PER_CALL,
            concurrency,
            "ECS.DescribeServices",
            |batch| async move {
                let mut found = ecs.task_counts(cluster, &batch).await?;
                Ok(batch
                    .iter()
                    .map(|name| found.remove(name).unwrap_or_else(|| not_answered(name)))
                    .collect())
            },
        )
        .await;
        names
            .iter()
            .cloned()
            .zip(answers)
            .map(move |(name, answer)| ((*cluster, name), answer))
    });
    let found: BTreeMap<(&str, String), ServiceResult> = futures::future::join_all(per_cluster)
        .await
        .into_iter()
        .flatten()
        .collect();
    services
        .iter()
        .map(|(cluster, service)| {
            found
                .get(&(*cluster, (*service).to_owned()))
                .cloned()
                .unwrap_or_else(|| not_answered(service))
        })
        .collect()
}

fn not_answered<T>(service: &str) -> Result<T, AwsError> {
    Err(AwsError::new(
        "ECS.DescribeServices",
        ErrorKind::BadResponse,
        format!("no answer for service {service}"),
    ))
}

/// The backlog of each entry of `queues` (one list of queues per target), with every
/// GetQueueAttributes bounded in flight. An entry fails when any of its queues cannot
/// be read: a partial backlog would mislead.
pub async fn read_backlogs(
    sqs: &dyn QueueDepths,
    queues: &[&[Queue]],
    concurrency: usize,
) -> Vec<Result<Backlog, AwsError>> {
    let reads: Vec<(usize, usize, &str)> = queues
        .iter()
        .enumerate()
        .flat_map(|(index, list)| {
            list.iter()
                .enumerate()
                .map(move |(at, q)| (index, at, q.name.as_str()))
        })
        .collect();
    let answers: Vec<_> = stream::iter(reads)
        .map(|(index, at, queue)| async move { (index, at, sqs.queue_depth(queue).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut depths: Vec<Result<Vec<QueueDepth>, AwsError>> = queues
        .iter()
        .map(|list| Ok(vec![QueueDepth::default(); list.len()]))
        .collect();
    for (index, at, answer) in answers {
        match (&mut depths[index], answer) {
            (Err(_), _) => {}
            (Ok(_), Err(error)) => depths[index] = Err(error),
            (Ok(list), Ok(depth)) => list[at] = depth,
        }
    }
    depths
        .into_iter()
        .zip(queues)
        .map(|(depths, list)| depths.map(|d| sluice_core::queue::backlog(list, &d)))
        .collect()
}

/// The newest datapoint of each query, in order: GetMetricData with 500 queries a
/// call. Ok(None) where CloudWatch has none; Err where the query (or its call) failed,
/// which a caller must read as unknown, never as zero.
pub async fn read_latest(
    reader: &dyn MetricReader,
    queries: &[MetricQuery],
    lookback_minutes: u32,
    concurrency: usize,
) -> Vec<Result<Option<f64>, AwsError>> {
    read_series(
        reader,
        queries,
        (lookback_minutes, Bins::Minute),
        concurrency,
    )
    .await
    .into_iter()
    .map(|series| series.map(|points| points.last().map(|(_, value)| *value)))
    .collect()
}

/// The bins CloudWatch is asked to sum or average the points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bins {
    /// One minute: what the functions decide on.
    Minute,
    /// One hour: a month of spend without 44,640 points a query, and past the 15 days
    /// CloudWatch keeps one-minute points (budgets).
    Hour,
}

/// Each query's (bin start, value) points within the look-back window, oldest first,
/// in order. GetMetricData with 500 queries a call; a query that failed fails only
/// itself.
pub async fn read_series(
    reader: &dyn MetricReader,
    queries: &[MetricQuery],
    (lookback_minutes, bins): (u32, Bins),
    concurrency: usize,
) -> Vec<Result<Vec<(i64, f64)>, AwsError>> {
    isolate(
        queries,
        CloudWatchMetrics::MAX_QUERIES_PER_CALL,
        concurrency,
        "CloudWatch.GetMetricData",
        |batch| async move {
            match bins {
                Bins::Minute => reader.points(&batch, lookback_minutes).await,
                Bins::Hour => reader.hourly(&batch, lookback_minutes).await,
            }
        },
    )
    .await
}

/// Each resource's scalable-target bounds, in order: Ok(None) when none is
/// registered. DescribeScalableTargets with 50 resource IDs a call.
pub async fn read_bounds(
    autoscaling: &dyn ScalableTargets,
    resource_ids: &[String],
    concurrency: usize,
) -> Vec<Result<Option<ScalableBounds>, AwsError>> {
    isolate(
        resource_ids,
        AutoScaling::MAX_RESOURCES_PER_CALL,
        concurrency,
        "ApplicationAutoScaling.DescribeScalableTargets",
        |batch| async move {
            let found = autoscaling.bounds(&batch).await?;
            Ok(batch.iter().map(|id| Ok(found.get(id).copied())).collect())
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;

    /// CloudWatch as it treats a malformed query: the whole call is refused.
    #[derive(Default)]
    struct Picky {
        calls: Mutex<Vec<usize>>,
    }

    #[async_trait]
    impl MetricReader for Picky {
        async fn points(
            &self,
            queries: &[MetricQuery],
            _: u32,
        ) -> Result<Vec<Result<Vec<(i64, f64)>, AwsError>>, AwsError> {
            self.calls.lock().unwrap().push(queries.len());
            if queries.iter().any(|q| q.metric == "bad") {
                return Err(AwsError::new(
                    "CloudWatch.GetMetricData",
                    ErrorKind::InvalidRequest,
                    "ValidationError",
                ));
            }
            if queries.len() > CloudWatchMetrics::MAX_QUERIES_PER_CALL {
                return Err(AwsError::new(
                    "CloudWatch.GetMetricData",
                    ErrorKind::InvalidRequest,
                    "too many",
                ));
            }
            Ok(queries
                .iter()
                .map(|_| Ok(vec![(0, 0.0), (60, 1.0)]))
                .collect())
        }
    }

    fn query(metric: &str) -> MetricQuery {
        MetricQuery {
            namespace: "N".into(),
            metric: metric.into(),
            dimensions: Default::default(),
            statistic: "Maximum",
        }
    }

    #[tokio::test]
    async fn a_malformed_query_fails_only_itself() {
        let mut queries: Vec<MetricQuery> = (0..8).map(|i| query(&format!("m{i}"))).collect();
        queries[5] = query("bad");
        let picky = Picky::default();
        let answers = read_latest(&picky, &queries, 5, 4).await;
        for (index, answer) in answers.iter().enumerate() {
            assert_eq!(answer.is_err(), index == 5, "query {index}: {answer:?}");
        }
        let calls = picky.calls.lock().unwrap().clone();
        assert!(
            calls.len() <= 7,
            "halves, not one call per query: {calls:?}"
        );
    }

    #[tokio::test]
    async fn queries_go_in_calls_of_at_most_500() {
        let queries: Vec<MetricQuery> = (0..1001).map(|i| query(&format!("m{i}"))).collect();
        let picky = Picky::default();
        let answers = read_latest(&picky, &queries, 5, 4).await;
        assert!(answers.iter().all(|a| matches!(a, Ok(Some(_)))));
        let mut calls = picky.calls.lock().unwrap().clone();
        calls.sort_unstable();
        assert_eq!(calls, vec![1, 500, 500]);
    }

    #[tokio::test]
    async fn a_throttled_call_fails_the_items_it_carried_and_is_not_split() {
        let aws = crate::memory::MemoryAws::new();
        aws.fail_next("CloudWatch.GetMetricData", None, ErrorKind::Throttled, 1);
        let queries: Vec<MetricQuery> = (0..600).map(|i| query(&format!("m{i}"))).collect();
        let answers = read_latest(&aws, &queries, 5, 1).await;
        let failed = answers.iter().filter(|a| a.is_err()).count();
        assert_eq!(
            failed, 500,
            "the first call's 500, not the second call's 100"
        );
        assert_eq!(aws.calls("CloudWatch.GetMetricData"), 2);
    }
}
