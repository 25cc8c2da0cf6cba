//! The capacity below the tasks: for targets that name their capacity provider's Auto
//! Scaling group, the instances their floors need, ahead of the task floor by the
//! instance warm-up, summed per group; then the one change each group's floor calls
//! for (sluice_core::instances), recorded as the prescaler's own before it is made.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;
use sluice_core::instances::{GroupFacts, GroupFloor, GroupOwn, GroupPlan, plan_group};
use sluice_core::shard::Shard;
use sluice_core::startup;

use super::Ports;
use super::StartUpsRead;
use super::load::Loaded;
use super::outcome::ChangeStatus;
use crate::settings::Settings;
use sluice_core::outcome::Prescale;

/// What became of one group's floor.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub group: String,
    pub floor: GroupFloor,
    /// The targets whose floors it counts, and the instances they need.
    pub targets: Vec<String>,
    pub needed: u32,
    /// (from, to) when the floor changed (or would have).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<(u32, u32)>,
    pub outcome: ChangeStatus,
    pub reason: String,
}

/// Each group (and kind of floor) with the instances its targets need and their names.
type Needs = BTreeMap<(String, GroupFloor), (u32, Vec<String>)>;

/// Instances each group's targets need at `at`, ahead by each one's lead + warm-up:
/// every target naming the group counts, in whatever shard it is planned, but for a
/// `forecast_only` one, which changes nothing.
fn needs(
    loaded: &Loaded,
    starts: &StartUpsRead,
    (at, now): (Timestamp, Timestamp),
    settings: &Settings,
) -> Needs {
    let mut needs = Needs::new();
    for target in loaded
        .selection
        .everyone()
        .iter()
        .filter(|t| !t.paused && !t.forecast_only)
    {
        let Some(instances) = &target.instances else {
            continue;
        };
        let Some(Ok(schedule)) = target
            .profile
            .as_ref()
            .and_then(|p| loaded.schedules.get(p))
        else {
            continue;
        };
        let kept = starts
            .as_ref()
            .map(|all| all.get(&target.name))
            .map_err(|e| e.to_string());
        let lead = startup::lead(schedule, kept, settings.interval_minutes, now.as_second());
        let ahead = lead.minutes + i64::from(instances.warm_up_minutes);
        let tasks = schedule
            .floor_ahead(at, ahead)
            .min_tasks
            .max(target.capacity.min)
            .min(target.capacity.max);
        let entry = needs
            .entry((instances.auto_scaling_group.clone(), instances.floor))
            .or_default();
        entry.0 = entry.0.saturating_add(instances.for_tasks(tasks));
        entry.1.push(target.name.clone());
    }
    needs
}

/// The groups this invocation's shard owns (by the group's name), each decided once:
/// those its targets declare, and those the prescaler raised that no target declares
/// any more (the target deleted, its `instances` removed, made forecast-only), so
/// their raise is given back. A run for named targets (`only`) decides only the
/// groups those targets declare.
pub async fn groups(
    loaded: &Loaded,
    starts: &StartUpsRead,
    (at, now, shard, only): (Timestamp, Timestamp, Shard, bool),
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<GroupReport> {
    let mut needs = needs(loaded, starts, (at, now), settings);
    needs.retain(|(group, _), _| shard.owns(group));
    if only {
        needs.retain(|(group, _), _| named(loaded, group));
    }
    let owns = ports.group_states.group_owns().await;
    let mut reports = Vec::new();
    if !only && let Ok(owns) = &owns {
        reports = undeclared(&mut needs, owns, shard);
    }
    if needs.is_empty() {
        return reports;
    }
    let mixed = mixed_kinds(&needs);
    for ((group, floor), (needed, targets)) in needs {
        let mut report = GroupReport {
            group,
            floor,
            targets,
            needed,
            change: None,
            outcome: ChangeStatus::Skipped,
            reason: String::new(),
        };
        if mixed.contains(&report.group) {
            report.reason = "not decided, nothing changed: the group is declared with both a \
                             MinSize and a warm pool floor; one group takes one kind of floor"
                .to_owned();
            report.outcome = ChangeStatus::Failed;
            reports.push(report);
            continue;
        }
        let own = match &owns {
            Ok(owns) => owns.get(&report.group).copied(),
            Err(error) => {
                report.reason =
                    format!("not decided, nothing changed: the prescaler's group records: {error}");
                report.outcome = ChangeStatus::Unread;
                reports.push(report);
                continue;
            }
        };
        decide(&mut report, own, settings, ports).await;
        reports.push(report);
    }
    reports
}

/// The groups declared with two kinds of floor. One record of the raise per group: a
/// group declared with both (a table written before validation refused it) would have
/// each kind take the other's record, so neither is changed.
fn mixed_kinds(needs: &Needs) -> Vec<String> {
    let kinds = |group: &str| needs.keys().filter(|(g, _)| g == group).count();
    needs
        .keys()
        .filter(|(group, _)| kinds(group) > 1)
        .map(|(group, _)| group.clone())
        .collect()
}

/// Whether one of the run's own targets declares `group`.
fn named(loaded: &Loaded, group: &str) -> bool {
    loaded.selection.targets.iter().any(|t| {
        t.instances
            .as_ref()
            .is_some_and(|i| i.auto_scaling_group == group)
    })
}

/// Adds to `needs` each group of this shard the prescaler raised that no target
/// declares any more, with a need of 0, so its raise is given back; a record that
/// does not say which floor it raised is reported instead.
fn undeclared(
    needs: &mut Needs,
    owns: &BTreeMap<String, GroupOwn>,
    shard: Shard,
) -> Vec<GroupReport> {
    let mut reports = Vec::new();
    for (group, own) in owns {
        let declared = needs.keys().any(|(g, _)| g == group);
        if declared || !shard.owns(group) {
            continue;
        }
        match own.floor {
            Some(floor) => {
                needs.insert((group.clone(), floor), (0, Vec::new()));
            }
            None => reports.push(unknown_kind(group, own)),
        }
    }
    reports
}

/// A raise no target declares any more, in a record written before the kind of floor
/// was kept: which floor to give back is not known, so nothing is changed, and the
/// run says so (counted failed) until an operator gives it back.
fn unknown_kind(group: &str, own: &GroupOwn) -> GroupReport {
    GroupReport {
        group: group.to_owned(),
        floor: GroupFloor::default(),
        targets: Vec::new(),
        needed: 0,
        change: None,
        outcome: ChangeStatus::Failed,
        reason: format!(
            "not decided, nothing changed: no target declares the group any more, and the \
             prescaler's record of its raise ({} -> {}) does not say which floor it raised: \
             give it back by hand, then delete the record (pk state#groups, sk {group})",
            own.baseline, own.raised_to
        ),
    }
}

/// Reads the group, plans, records the own raise, then changes the floor.
async fn decide(
    report: &mut GroupReport,
    own: Option<GroupOwn>,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let facts = match ports.groups.group(&report.group, report.floor).await {
        Ok(facts) => facts,
        Err(error) => {
            report.reason = format!("not decided, nothing changed: {error}");
            report.outcome = ChangeStatus::Unread;
            return;
        }
    };
    let plan = planned(report, facts, own);
    let Some((from, to)) = plan.change else {
        report.outcome = ChangeStatus::Unchanged;
        if plan.own != own && !(settings.dry_run || settings.forecast_only) {
            // A record of a raise someone else undid is dropped.
            if let Err(error) = ports
                .group_states
                .save_group_own(&report.group, plan.own)
                .await
            {
                tracing::warn!(group = %report.group, %error, "group record not updated");
            }
        }
        return;
    };
    if settings.dry_run || settings.forecast_only {
        report.outcome = ChangeStatus::Would(Prescale);
        return;
    }
    carry_out(report, plan.own, (from, to), ports).await;
}

/// The group's plan, its record naming the floor it raised (what gives it back once no
/// target declares the group), said in the report.
fn planned(report: &mut GroupReport, facts: GroupFacts, own: Option<GroupOwn>) -> GroupPlan {
    let mut plan = plan_group(report.needed, facts, own);
    plan.own = plan.own.map(|o| GroupOwn {
        floor: Some(report.floor),
        ..o
    });
    report.change = plan.change;
    let reason = plan.reason.to_string();
    report.reason = if report.targets.is_empty() {
        format!("no target declares the group any more; {reason}")
    } else {
        reason
    };
    plan
}

/// The floor changed from `from` to `to`, with the record `own`: a raise recorded
/// before it is made, a lowering only after it is made; either way a failure leaves the
/// record of what is ours, so a raise is never stranded.
async fn carry_out(
    report: &mut GroupReport,
    own: Option<GroupOwn>,
    (from, to): (u32, u32),
    ports: &Ports<'_>,
) {
    let raising = to > from;
    if raising && let Err(error) = ports.group_states.save_group_own(&report.group, own).await {
        report.reason =
            format!("not changed: the record of the raise could not be written: {error}");
        report.outcome = ChangeStatus::Failed;
        return;
    }
    if let Err(error) = ports
        .groups
        .set_floor(&report.group, report.floor, to)
        .await
    {
        report.reason = format!("{}; refused: {error}", report.reason);
        report.outcome = ChangeStatus::Failed;
        return;
    }
    report.outcome = ChangeStatus::Done(Prescale);
    if !raising && let Err(error) = ports.group_states.save_group_own(&report.group, own).await {
        // The old record still names the raise: the next run lowers from there.
        tracing::warn!(group = %report.group, %error, "group record not updated");
    }
}
