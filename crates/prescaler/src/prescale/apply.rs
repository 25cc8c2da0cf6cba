//! The changes, bounded in concurrency. The prescaler's own write is recorded before
//! it acts: a write is never made without its record, and a record whose write
//! failed is harmless, since a window's end restores only when ECS still holds
//! exactly that number. A record is forgotten only after the give-back it ends has
//! been made: a refused give-back keeps it, and the next run gives back again.

use futures::stream::{self, StreamExt};
use sluice_aws::{ecs_resource_id, reach};
use sluice_core::config::Target;
use sluice_core::prescale::Change;

use super::Ports;
use super::outcome::ChangeStatus;
use super::plan::Planned;
use crate::settings::Settings;
use sluice_core::outcome::Prescale;

pub async fn apply(
    planned: &mut [Planned],
    targets: &[Target],
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let outcomes: Vec<(usize, Result<(), String>)> = stream::iter(planned.iter().enumerate())
        .filter(|(_, p)| {
            let acts = p.record.is_some() || p.report.change != Change::None;
            std::future::ready(acts && p.report.outcome != ChangeStatus::Would(Prescale))
        })
        .map(|(index, p)| async move {
            let applied = sluice_lambda::isolated(apply_one(p, &targets[index], ports)).await;
            (index, applied.unwrap_or_else(Err))
        })
        .buffer_unordered(settings.common.concurrency)
        .collect()
        .await;
    for (index, result) in outcomes {
        if let Err(error) = result {
            let report = &mut planned[index].report;
            report.outcome = ChangeStatus::Failed;
            report.reason = format!("{}; but {error}", report.reason);
        }
    }
}

async fn apply_one(planned: &Planned, target: &Target, ports: &Ports<'_>) -> Result<(), String> {
    let account = reach(ports.accounts, &target.place())
        .await
        .map_err(|e| e.to_string())?;
    let ports = &ports.in_account(account.as_deref());
    // A record to keep goes first; one to forget waits for the change.
    if let Some(own @ Some(_)) = planned.record {
        ports
            .states
            .save(&target.name, own)
            .await
            .map_err(|e| e.to_string())?;
    }
    change(planned, target, ports).await?;
    if let Some(None) = planned.record {
        ports
            .states
            .save(&target.name, None)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn change(planned: &Planned, target: &Target, ports: &Ports<'_>) -> Result<(), String> {
    match planned.report.change {
        Change::SetBounds { min, max } => {
            let resource_id = ecs_resource_id(&target.cluster, &target.service);
            ports
                .here
                .autoscaling
                .set_bounds(&resource_id, min.1, max.1)
                .await
        }
        Change::SetDesired { to, .. } => {
            ports
                .here
                .scaler
                .set_desired(&target.cluster, &target.service, to)
                .await
        }
        Change::None => Ok(()),
    }
    .map_err(|e| e.to_string())
}
