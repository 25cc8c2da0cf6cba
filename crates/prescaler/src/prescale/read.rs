//! What the plans need, read together: ECS counts, scalable-target bounds, backlogs
//! and the prescaler's own last writes. A target whose facts cannot all be read gets
//! Err and is left as it is.

use sluice_aws::{AwsError, read_service_facts};
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
    let targets: Vec<&Target> = targets.iter().collect();
    read_service_facts(&targets, ports.here, settings.common.concurrency)
        .await
        .into_iter()
        .map(|facts| {
            let facts = facts?;
            Ok(PrescaleFacts {
                desired: facts.tasks.desired,
                running: facts.tasks.running,
                backlog: facts.backlog.weighted,
                bounds: facts.bounds,
            })
        })
        .collect()
}
