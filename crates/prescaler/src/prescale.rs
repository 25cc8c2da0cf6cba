//! One prescale: for every target with a profile, the floor its profile gives now (or
//! at a what-if time), and the one change that floor calls for
//! (sluice_core::prescale). A failed read or a bad profile changes nothing.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use sluice_aws::{
    AwsError, ConfigStore, ItemKind, MetricSink, PrescaleStates, QueueDepths, ScalableTargets,
    ServiceCounts, ServiceScaler, ecs_resource_id, read_backlogs, read_task_counts,
};
use sluice_core::config::Target;
use sluice_core::metrics::{self, Datum};
use sluice_core::names;
use sluice_core::prescale::{Change, PrescaleFacts, plan};
use sluice_core::profile::Profile;
use sluice_core::profile::Schedule;

use crate::event::{self, BadEvent};
use crate::settings::Settings;

pub struct Ports<'a> {
    pub store: &'a dyn ConfigStore,
    pub states: &'a dyn PrescaleStates,
    pub services: &'a dyn ServiceCounts,
    pub scaler: &'a dyn ServiceScaler,
    pub autoscaling: &'a dyn ScalableTargets,
    pub queues: &'a dyn QueueDepths,
    pub sink: &'a dyn MetricSink,
}

#[derive(Debug, thiserror::Error)]
pub enum PrescaleError {
    #[error(transparent)]
    BadEvent(#[from] BadEvent),
    #[error("cannot read the table: {0}")]
    Store(AwsError),
    #[error("unknown target(s) in the event: {}; targets with a profile: {}", .unknown.join(", "), .known.join(", "))]
    UnknownTargets {
        unknown: Vec<String>,
        known: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Changed,
    /// Dry run or forecast only: what would have changed.
    WouldChange,
    Unchanged,
    /// Nothing decided: a read failed, the profile is bad, or the target is paused.
    Skipped,
    /// Decided, but AWS refused the change.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub target: String,
    pub profile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<u32>,
    /// Indexes of the profile's windows that give the floor.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<usize>,
    pub outcome: Outcome,
    pub change: Change,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub trigger: String,
    /// The time planned for (RFC 3339).
    pub at: String,
    pub dry_run: bool,
    pub forecast_only: bool,
    pub targets: Vec<TargetReport>,
    /// Stored targets and profiles that do not parse or validate, with why.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub invalid: BTreeMap<String, String>,
    pub published_floors: usize,
}

pub async fn prescale(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
    now: Timestamp,
) -> Result<Report, PrescaleError> {
    let invocation = event::parse(event)?;
    let at = invocation.at.unwrap_or(now);
    let (target_items, profile_items) = futures::join!(
        ports.store.list(ItemKind::Target),
        ports.store.list(ItemKind::Profile)
    );
    let target_items = target_items.map_err(PrescaleError::Store)?;
    let profile_items = profile_items.map_err(PrescaleError::Store)?;

    let mut invalid = BTreeMap::new();
    let mut schedules: BTreeMap<String, Result<Schedule, String>> = BTreeMap::new();
    for item in profile_items {
        let schedule = Profile::from_stored(&item.name, &item.spec);
        if let Err(error) = &schedule {
            tracing::warn!(profile = %item.name, %error, "skipping invalid stored profile; its targets are left as they are");
            invalid.insert(format!("profile {}", item.name), error.clone());
        }
        schedules.insert(item.name, schedule);
    }
    let mut targets = Vec::new();
    for item in target_items {
        match Target::from_stored(&item.name, &item.spec) {
            Ok(target) if target.profile.is_some() => targets.push(target),
            Ok(_) => {}
            Err(error) => {
                invalid.insert(format!("target {}", item.name), error);
            }
        }
    }
    if let Some(only) = &invocation.only {
        let unknown: Vec<String> = only
            .iter()
            .filter(|n| !targets.iter().any(|t| &t.name == *n))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(PrescaleError::UnknownTargets {
                unknown,
                known: targets.iter().map(|t| t.name.clone()).collect(),
            });
        }
        targets.retain(|t| only.contains(&t.name));
    }

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
        read_task_counts(ports.services, &services, settings.concurrency),
        ports.autoscaling.bounds(&resource_ids),
        read_backlogs(ports.queues, &queues, settings.concurrency),
        ports.states.load_all(),
    );

    let now_seconds = now.as_second();
    let mut reports = Vec::with_capacity(targets.len());
    let mut changes = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        let profile = target.profile.clone().unwrap_or_default();
        let mut report = TargetReport {
            target: target.name.clone(),
            profile: profile.clone(),
            floor: None,
            windows: Vec::new(),
            outcome: Outcome::Skipped,
            change: Change::None,
            reason: String::new(),
        };
        let schedule = match schedules.get(&profile) {
            Some(Ok(schedule)) => schedule,
            Some(Err(error)) => {
                report.reason =
                    format!("profile {profile} is invalid, target left as it is: {error}");
                reports.push(report);
                continue;
            }
            None => {
                report.reason =
                    format!("profile {profile} is not in the table, target left as it is");
                reports.push(report);
                continue;
            }
        };
        let floor = schedule.floor_at(at);
        report.floor = Some(floor.min_tasks);
        report.windows = floor.windows;
        if target.paused {
            report.reason = "paused".to_owned();
            reports.push(report);
            continue;
        }
        let facts =
            (|| -> Result<(PrescaleFacts, Option<sluice_core::prescale::OwnWrite>), String> {
                let counts = counts[index]
                    .clone()
                    .map_err(|e| format!("service {}/{}: {e}", target.cluster, target.service))?;
                let bounds = bounds
                    .as_ref()
                    .map_err(|e| e.to_string())?
                    .get(&resource_ids[index])
                    .copied();
                let backlog = backlogs[index].clone()?.backlog();
                let own = owns
                    .as_ref()
                    .map_err(|e| format!("the prescaler's records: {e}"))?
                    .get(&target.name)
                    .copied();
                Ok((
                    PrescaleFacts {
                        desired: counts.desired,
                        backlog,
                        bounds,
                    },
                    own,
                ))
            })();
        let (facts, own) = match facts {
            Ok(facts) => facts,
            Err(error) => {
                report.reason = format!("not decided, nothing changed: {error}");
                reports.push(report);
                continue;
            }
        };
        let planned = plan(target, floor.min_tasks, &facts, own, now_seconds);
        report.change = planned.change;
        report.reason = planned.reason;
        let hold = settings.dry_run || settings.forecast_only || target.forecast_only;
        report.outcome = match (planned.change, hold) {
            (Change::None, _) => Outcome::Unchanged,
            (_, true) => Outcome::WouldChange,
            (_, false) => Outcome::Changed,
        };
        if hold {
            let why = if settings.dry_run {
                "dry run"
            } else {
                "forecast only"
            };
            report.reason = format!("{why}: {}", report.reason);
        } else if planned.own != own || planned.change != Change::None {
            changes.push((index, reports.len(), planned.own != own, planned.own));
        }
        reports.push(report);
    }

    // Record the prescaler's own write before acting: a write is never made without
    // its record, and a record whose write failed is harmless, since the window's end
    // restores only when ECS still holds exactly that number.
    let outcomes: Vec<(usize, Result<(), String>)> = stream::iter(changes)
        .map(|(index, slot, record, own)| {
            let target = &targets[index];
            let change = reports[slot].change;
            let resource_id = &resource_ids[index];
            async move {
                let result = async {
                    if record {
                        ports
                            .states
                            .save(&target.name, own)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    match change {
                        Change::SetMinCapacity { to, .. } => {
                            ports.autoscaling.set_min_capacity(resource_id, to).await
                        }
                        Change::SetDesired { to, .. } => {
                            ports
                                .scaler
                                .set_desired(&target.cluster, &target.service, to)
                                .await
                        }
                        Change::None => Ok(()),
                    }
                    .map_err(|e| e.to_string())
                }
                .await;
                (slot, result)
            }
        })
        .buffer_unordered(settings.concurrency)
        .collect()
        .await;
    for (slot, result) in outcomes {
        if let Err(error) = result {
            reports[slot].outcome = Outcome::Failed;
            reports[slot].reason = format!("{}; but {error}", reports[slot].reason);
        }
    }

    let mut published_floors = 0;
    if !settings.dry_run {
        let datums: Vec<Datum> = reports
            .iter()
            .filter_map(|r| {
                r.floor
                    .map(|floor| Datum::count(&r.target, names::PRESCALE_FLOOR, f64::from(floor)))
            })
            .collect();
        for batch in metrics::batches(
            &datums,
            metrics::MAX_DATUMS_PER_CALL,
            metrics::MAX_BYTES_PER_CALL,
        ) {
            match ports.sink.put_metric_data(&settings.namespace, batch).await {
                Ok(()) => published_floors += batch.len(),
                Err(error) => tracing::error!(%error, "publishing floors failed"),
            }
        }
    }
    for report in &reports {
        tracing::info!(
            target_name = %report.target,
            profile = %report.profile,
            floor = ?report.floor,
            outcome = ?report.outcome,
            change = ?report.change,
            reason = %report.reason,
            at = %at,
            "prescale decision"
        );
    }
    Ok(Report {
        trigger: invocation.trigger.to_owned(),
        at: at.to_string(),
        dry_run: settings.dry_run,
        forecast_only: settings.forecast_only,
        targets: reports,
        invalid,
        published_floors,
    })
}
