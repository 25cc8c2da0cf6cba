//! Batched, bounded reads shared by the functions: many targets, few calls.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use sluice_core::facts::QueueDepth;

use crate::{EcsServices, QueueDepths, ServiceCounts, ServiceResult};

/// Task counts for `(cluster, service)` pairs, in their order: DescribeServices with 10
/// services a call per cluster, at most `concurrency` calls in flight. A failed call
/// fails the services it carried.
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
    let calls: Vec<(&str, Vec<String>)> = by_cluster
        .iter()
        .flat_map(|(cluster, names)| {
            names
                .chunks(EcsServices::MAX_SERVICES_PER_CALL)
                .map(|chunk| (*cluster, chunk.to_vec()))
        })
        .collect();
    let answers: Vec<_> = stream::iter(calls)
        .map(|(cluster, names)| async move {
            let answer = ecs.task_counts(cluster, &names).await;
            (cluster, names, answer)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut found: BTreeMap<(&str, String), ServiceResult> = BTreeMap::new();
    for (cluster, names, answer) in answers {
        match answer {
            Ok(results) => {
                for (service, result) in results {
                    found.insert((cluster, service), result);
                }
            }
            Err(error) => {
                for service in names {
                    found.insert((cluster, service), Err(error.to_string()));
                }
            }
        }
    }
    services
        .iter()
        .map(|(cluster, service)| {
            found
                .get(&(*cluster, (*service).to_owned()))
                .cloned()
                .unwrap_or_else(|| Err("not read".to_owned()))
        })
        .collect()
}

/// Summed queue depth per entry of `queues` (one list of queues per target), with
/// every GetQueueAttributes bounded in flight. An entry fails when any of its queues
/// cannot be read: a partial backlog would mislead.
pub async fn read_backlogs(
    sqs: &dyn QueueDepths,
    queues: &[&[String]],
    concurrency: usize,
) -> Vec<Result<QueueDepth, String>> {
    let reads: Vec<(usize, &str)> = queues
        .iter()
        .enumerate()
        .flat_map(|(index, list)| list.iter().map(move |q| (index, q.as_str())))
        .collect();
    let answers: Vec<_> = stream::iter(reads)
        .map(|(index, queue)| async move { (index, sqs.queue_depth(queue).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut results: Vec<Result<QueueDepth, String>> =
        vec![Ok(QueueDepth::default()); queues.len()];
    for (index, answer) in answers {
        results[index] = match (&results[index], answer) {
            (Err(first), _) => Err(first.clone()),
            (Ok(_), Err(error)) => Err(error.to_string()),
            (Ok(sum), Ok(depth)) => Ok(*sum + depth),
        };
    }
    results
}
