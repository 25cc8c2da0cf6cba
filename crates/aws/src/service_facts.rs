//! What the watcher's control and the prescaler read of each target before deciding:
//! its service's task counts, its scalable target's bounds and its queues' backlog,
//! read together in batches (`crate::batch`).

use sluice_core::config::Target;
use sluice_core::facts::{ScalableBounds, TaskCounts};
use sluice_core::queue::{Backlog, Queue};

use crate::{Account, AwsError, ecs_resource_id, read_backlogs, read_bounds, read_task_counts};

/// One target's service as read.
#[derive(Debug, Clone, Copy)]
pub struct ServiceFacts {
    pub tasks: TaskCounts,
    /// None: no scalable target is registered.
    pub bounds: Option<ScalableBounds>,
    pub backlog: Backlog,
}

/// Each target's service facts, read in `account` (where the targets live), in order: DescribeServices, DescribeScalableTargets
/// and GetQueueAttributes batched, at most `concurrency` calls of each in flight. A
/// target fails alone, its error naming the service or scalable target it is about.
pub async fn read_service_facts(
    targets: &[&Target],
    account: &Account,
    concurrency: usize,
) -> Vec<Result<ServiceFacts, AwsError>> {
    let services: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t.cluster.as_str(), t.service.as_str()))
        .collect();
    let resource_ids: Vec<String> = targets
        .iter()
        .map(|t| ecs_resource_id(&t.cluster, &t.service))
        .collect();
    let queues: Vec<&[Queue]> = targets.iter().map(|t| t.queues.as_slice()).collect();
    let (counts, bounds, backlogs) = futures::join!(
        read_task_counts(&*account.services, &services, concurrency),
        read_bounds(&*account.autoscaling, &resource_ids, concurrency),
        read_backlogs(&*account.queues, &queues, concurrency),
    );
    targets
        .iter()
        .zip(counts.into_iter().zip(bounds).zip(backlogs))
        .map(|(target, ((tasks, bounds), backlog))| {
            let service = format!("service {}/{}", target.cluster, target.service);
            Ok(ServiceFacts {
                tasks: tasks.map_err(|e| e.about(&service))?,
                bounds: bounds.map_err(|e| e.about(format!("scalable target of {service}")))?,
                backlog: backlog?,
            })
        })
        .collect()
}
