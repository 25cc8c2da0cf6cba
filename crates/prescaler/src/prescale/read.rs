//! What the plans need, read together: ECS counts, scalable-target bounds, backlogs
//! and the prescaler's own last writes. A target whose facts cannot all be read gets
//! Err and is left as it is.

use sluice_aws::{ecs_resource_id, read_backlogs, read_task_counts};
use sluice_core::config::Target;
use sluice_core::prescale::{OwnWrite, PrescaleFacts};

use super::Ports;
use crate::settings::Settings;

pub type Facts = Result<(PrescaleFacts, Option<OwnWrite>), String>;

pub async fn read(targets: &[Target], settings: &Settings, ports: &Ports<'_>) -> Vec<Facts> {
    let services: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t.cluster.as_str(), t.service.as_str()))
        .collect();
    let resource_ids: Vec<String> = targets
        .iter()
        .map(|t| ecs_resource_id(&t.cluster, &t.service))
        .collect();
    let queues: Vec<&[String]> = targets.iter().map(|t| t.queues.as_slice()).collect();
    let (counts, bounds, backlogs, owns) = futures::join!(
        read_task_counts(ports.services, &services, settings.common.concurrency),
        ports.autoscaling.bounds(&resource_ids),
        read_backlogs(ports.queues, &queues, settings.common.concurrency),
        ports.states.load_all(),
    );
    targets
        .iter()
        .zip(counts.into_iter().zip(backlogs))
        .zip(&resource_ids)
        .map(|((target, (counts, backlog)), resource_id)| {
            let counts = counts
                .map_err(|e| format!("service {}/{}: {e}", target.cluster, target.service))?;
            let bounds = bounds
                .as_ref()
                .map_err(|e| e.to_string())?
                .get(resource_id)
                .copied();
            let own = owns
                .as_ref()
                .map_err(|e| format!("the prescaler's records: {e}"))?
                .get(&target.name)
                .copied();
            let facts = PrescaleFacts {
                desired: counts.desired,
                backlog: backlog?.backlog(),
                bounds,
            };
            Ok((facts, own))
        })
        .collect()
}
