//! What the plans need, read together: ECS counts, scalable-target bounds, backlogs
//! and the prescaler's own last writes. A target whose facts cannot all be read gets
//! Err and is left as it is.

use sluice_aws::{AwsError, ecs_resource_id, read_backlogs, read_bounds, read_task_counts};
use sluice_core::config::Target;
use sluice_core::prescale::{OwnWrite, PrescaleFacts};

use super::Ports;
use crate::settings::Settings;

pub type Facts = Result<(PrescaleFacts, Option<OwnWrite>), AwsError>;

pub async fn read(targets: &[Target], settings: &Settings, ports: &Ports<'_>) -> Vec<Facts> {
    let services: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t.cluster.as_str(), t.service.as_str()))
        .collect();
    let resource_ids: Vec<String> = targets
        .iter()
        .map(|t| ecs_resource_id(&t.cluster, &t.service))
        .collect();
    let queues: Vec<&[sluice_core::config::Queue]> =
        targets.iter().map(|t| t.queues.as_slice()).collect();
    let concurrency = settings.common.concurrency;
    let (counts, bounds, backlogs, owns) = futures::join!(
        read_task_counts(ports.services, &services, concurrency),
        read_bounds(ports.autoscaling, &resource_ids, concurrency),
        read_backlogs(ports.queues, &queues, concurrency),
        ports.states.load_all(),
    );
    let answers = counts.into_iter().zip(bounds).zip(backlogs);
    targets
        .iter()
        .zip(answers)
        .map(|(target, ((counts, bounds), backlog))| {
            let service = format!("service {}/{}", target.cluster, target.service);
            let counts = counts.map_err(|e| e.about(&service))?;
            let bounds = bounds.map_err(|e| e.about(format!("scalable target of {service}")))?;
            let own = owns
                .as_ref()
                .map_err(|e| e.clone().about("the prescaler's records"))?
                .get(&target.name)
                .copied();
            let facts = PrescaleFacts {
                desired: counts.desired,
                running: counts.running,
                backlog: backlog?.weighted,
                bounds,
            };
            Ok((facts, own))
        })
        .collect()
}
