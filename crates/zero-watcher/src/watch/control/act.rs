//! Carrying out the looks' moves (UpdateService, in each target's account) and keeping
//! the memories of the need.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use sluice_aws::AwsError;
use sluice_core::capacity::Memory;
use sluice_core::config::Target;
use sluice_core::outcome::Resize;

use super::super::Ports;
use super::report::{ControlEffect, ControlReport};
use crate::settings::Settings;

/// Carries out each report's move (UpdateService), or says what it would do.
pub async fn act_all(
    targets: &[&Target],
    reports: Vec<ControlReport>,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<ControlReport> {
    let by_name: BTreeMap<&str, &Target> = targets.iter().map(|t| (t.name.as_str(), *t)).collect();
    let mut done = Vec::with_capacity(reports.len());
    for mut report in reports {
        let (Some(before), Some(after)) = (report.desired_before, report.desired_after) else {
            done.push(report);
            continue;
        };
        let resize = if after > before {
            Resize::Raise
        } else {
            Resize::Lower
        };
        if settings.dry_run {
            report.outcome = ControlEffect::Would(resize);
            done.push(report);
            continue;
        }
        let Some(target) = by_name.get(report.target.as_str()) else {
            done.push(report);
            continue;
        };
        let account = sluice_aws::reach(ports.accounts, &target.place()).await;
        let result = match &account {
            Ok(account) => {
                let ports = ports.in_account(account.as_deref());
                ports
                    .here
                    .scaler
                    .set_desired(&target.cluster, &target.service, after)
                    .await
            }
            Err(error) => Err(error.clone()),
        };
        match result {
            Ok(()) => {
                report.outcome = ControlEffect::Done(resize);
                report.reason = format!("{}; UpdateService to {after} done", report.reason);
            }
            Err(error) => {
                report.outcome = ControlEffect::Failed;
                report.reason = format!("{}; UpdateService failed: {error}", report.reason);
                report.desired_after = Some(before);
                report.error = Some(error);
            }
        }
        done.push(report);
    }
    done
}

/// Keeps each changed memory of the need; one that cannot be written is said in the
/// log (a lost memory delays a give-back by a window, never changes a count).
pub async fn save_memories(
    memories: Vec<(String, Memory)>,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let failures: Vec<(String, AwsError)> = stream::iter(memories)
        .map(|(name, memory)| async move {
            let result = ports.memories.save_memory(&name, &memory).await;
            (name, result)
        })
        .buffer_unordered(settings.common.concurrency.max(1))
        .filter_map(|(name, result)| async move { result.err().map(|e| (name, e)) })
        .collect()
        .await;
    for (name, error) in failures {
        // A lost memory delays a give-back by a window, never changes a count.
        tracing::warn!(target_name = %name, %error, "memory of the need not stored");
    }
}
