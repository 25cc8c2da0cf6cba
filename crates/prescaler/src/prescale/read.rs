//! What the plans need, read together: ECS counts, scalable-target bounds, backlogs
//! and the prescaler's own last writes. A target whose facts cannot all be read gets
//! Err and is left as it is.

use sluice_aws::{AwsError, ecs_resource_id, read_backlogs, read_bounds, read_task_counts};
use sluice_core::config::Target;
use sluice_core::prescale::{OwnWrite, PrescaleFacts};

use sluice_lambda::per_place;

use super::Ports;
use crate::settings::Settings;

pub type Facts = Result<(PrescaleFacts, Option<OwnWrite>), AwsError>;

/// Each target's facts: what its own account says (per place, with that account's
/// clients) and the prescaler's last write to it (here).
pub async fn read(targets: &[Target], settings: &Settings, ports: &Ports<'_>) -> Vec<Facts> {
    let (theirs, owns) = futures::join!(
        per_place(
            targets,
            |t| t,
            ports.accounts,
            async |account, mine| read_in_account(mine, settings, &ports.in_account(account)).await,
            |_, error| Err(error.clone()),
        ),
        ports.states.load_all(),
    );
    targets
        .iter()
        .zip(theirs)
        .map(|(target, facts)| {
            let own = owns
                .as_ref()
                .map_err(|e| e.clone().about("the prescaler's records"))?
                .get(&target.name)
                .copied();
            Ok((facts?, own))
        })
        .collect()
}

async fn read_in_account(
    targets: &[Target],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<PrescaleFacts, AwsError>> {
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
    let (counts, bounds, backlogs) = futures::join!(
        read_task_counts(ports.services, &services, concurrency),
        read_bounds(ports.autoscaling, &resource_ids, concurrency),
        read_backlogs(ports.queues, &queues, concurrency),
    );
    let answers = counts.into_iter().zip(bounds).zip(backlogs);
    targets
        .iter()
        .zip(answers)
        .map(|(target, ((counts, bounds), backlog))| {
            let service = format!("service {}/{}", target.cluster, target.service);
            let counts = counts.map_err(|e| e.about(&service))?;
            let bounds = bounds.map_err(|e| e.about(format!("scalable target of {service}")))?;
            Ok(PrescaleFacts {
                desired: counts.desired,
                running: counts.running,
                backlog: backlog?.weighted,
                bounds,
            })
        })
        .collect()
}
