//! Each target's floor at the planned time and the one change it calls for.

use jiff::Timestamp;
use sluice_core::config::Target;
use std::collections::BTreeMap;

use sluice_aws::AwsError;
use sluice_core::budget;
use sluice_core::prescale::{Change, Hold, OwnWrite, demand, plan};
use sluice_core::profile::Schedule;
use sluice_core::startup::{self, StartUps};

use super::budgets::{self, Budgeted};
use super::load::Loaded;
use super::read::Facts;
use super::report::{ChangeStatus, FloorError, TargetReport};
use crate::settings::Settings;

/// A target's report and, when something is to be done, what.
pub struct Planned {
    pub report: TargetReport,
    /// The prescaler's own write to record first, when it changes.
    pub record: Option<Option<OwnWrite>>,
}

/// What every target's plan shares: the planned time, the clock, the settings and
/// where the budgets stand.
struct Shared<'a> {
    at: Timestamp,
    now: Timestamp,
    settings: &'a Settings,
    budgets: &'a [Budgeted],
    /// Some stored budget does not parse: which targets it covers is unknown, so no
    /// cap in force is lifted (unread budgets never lift caps).
    budgets_unread: bool,
}

pub fn plan_all(
    loaded: &Loaded,
    facts: Vec<Facts>,
    starts: &Result<BTreeMap<String, StartUps>, AwsError>,
    budgets: &[Budgeted],
    at: Timestamp,
    now: Timestamp,
    settings: &Settings,
) -> Vec<Planned> {
    let shared = Shared {
        at,
        now,
        settings,
        budgets,
        budgets_unread: loaded.invalid.keys().any(|k| k.starts_with("budget ")),
    };
    loaded
        .selection
        .targets
        .iter()
        .zip(facts)
        .map(|(target, facts)| {
            let profile = target.profile.clone().unwrap_or_default();
            let schedule = loaded.schedules.get(&profile);
            let starts = starts.as_ref().map(|all| all.get(&target.name));
            let planned = sluice_lambda::isolated_now(|| {
                plan_target(target, (&profile, schedule), starts, facts, &shared)
            });
            let mut planned = planned.unwrap_or_else(|panicked| {
                let mut report = TargetReport::new(target, &profile);
                report.outcome = ChangeStatus::Failed;
                skipped(report, format!("not decided, nothing changed: {panicked}"))
            });
            planned.report.start_up = starts
                .ok()
                .flatten()
                .and_then(|s| s.percentiles(now.as_second()));
            planned
        })
        .collect()
}

fn plan_target(
    target: &Target,
    (profile, schedule): (&str, Option<&Result<Schedule, String>>),
    starts: Result<Option<&StartUps>, &AwsError>,
    facts: Facts,
    shared: &Shared<'_>,
) -> Planned {
    let Shared {
        at,
        now,
        settings,
        budgets,
        budgets_unread,
    } = *shared;
    let mut report = TargetReport::new(target, profile);
    let schedule = match schedule {
        Some(Ok(schedule)) => schedule,
        Some(Err(error)) => {
            let reason = format!("profile {profile} is invalid, target left as it is: {error}");
            return skipped(report, reason);
        }
        None => {
            let reason = format!("profile {profile} is not in the table, target left as it is");
            return skipped(report, reason);
        }
    };
    let starts = starts.map_err(|e| e.to_string());
    let lead = startup::lead(schedule, starts, settings.interval_minutes, now.as_second());
    let floor = schedule.floor_ahead(at, lead.minutes);
    let mut hold = Hold::from(&floor);
    report.lead_minutes = Some(lead.minutes);
    report.lead = lead.why;
    report.floor = Some(floor.min_tasks);
    report.cap = floor.max_tasks;
    report.windows = floor.windows;
    let (said, spent) = budgets::verdict(budgets, &target.name);
    report.budgets = said;
    if target.paused {
        return skipped(report, "paused".to_owned());
    }
    let (facts, own) = match facts {
        Ok(facts) => facts,
        Err(error) => return unread(report, error),
    };
    report.floor_error = Some(floor_error(
        target,
        schedule.floor_ahead(at, 0).min_tasks,
        facts.backlog,
        settings.interval_minutes,
    ));
    match spent {
        Err(error) => return unread(report, error),
        Ok(spent) => {
            let required = floor.required.max(target.capacity.min);
            hold.budget_cap = spent.then(|| budget::cap(facts.running, required));
        }
    }
    let kept = own.and_then(|o| o.capped_to).filter(|_| budgets_unread);
    if let Some(in_force) = kept {
        hold = hold.keeping_cap(in_force);
    }
    let stored = own;
    let own = stored.filter(|o| o.is_for(target));
    report.left_behind = left_behind(target, stored);
    let planned = plan(target, hold, &facts, own, now.as_second());
    report.change = planned.change;
    report.reason = planned.reason;
    if let Some(in_force) = kept {
        report.reason.push_str(&format!(
            "; MaxCapacity {in_force} kept: a stored budget does not parse, and an unread \
             budget lifts no cap"
        ));
    }
    if hold.budget_cap.is_some() && facts.bounds.is_none() {
        report
            .reason
            .push_str("; a budget is spent but not enforced: no scalable target to cap");
    }
    let hold = settings.dry_run || settings.forecast_only || target.forecast_only;
    report.outcome = match (planned.change, hold) {
        (Change::None, _) => ChangeStatus::Unchanged,
        (_, true) => ChangeStatus::WouldChange,
        (_, false) => ChangeStatus::Changed,
    };
    if hold {
        let why = if settings.dry_run {
            "dry run"
        } else {
            "forecast only"
        };
        report.reason = format!("{why}: {}", report.reason);
        return Planned {
            report,
            record: None,
        };
    }
    let record = (planned.own != stored).then_some(planned.own);
    Planned { report, record }
}

/// A record made on the service the target named before it moved is not this
/// service's: it is planned afresh, and the raise the record names is said to be left
/// there.
fn left_behind(target: &Target, stored: Option<OwnWrite>) -> Option<String> {
    let elsewhere = stored.filter(|o| !o.is_for(target))?;
    tracing::warn!(target = %target.name, "a raise was left on the service it moved from");
    Some(format!(
        "the prescaler's record of a raise (to {}{}) was made on the service this target \
         named before it moved; that raise is left there: give it back by hand. This \
         service is planned afresh.",
        elsewhere.raised_to,
        elsewhere
            .capped_to
            .map_or(String::new(), |cap| format!(", MaxCapacity {cap}"))
    ))
}

/// The floor in force now (no lead) against the tasks the backlog needs, over one
/// prescaler interval, in task-hours: (over, under). Summed in CloudWatch they give
/// the profile's forecast error per day.
fn floor_error(target: &Target, floor: u32, backlog: u64, interval_minutes: i64) -> FloorError {
    let held = f64::from(floor.max(target.capacity.min));
    let need = f64::from(demand(target, backlog));
    let hours = interval_minutes as f64 / 60.0;
    FloorError {
        over_task_hours: (held - need).max(0.0) * hours,
        under_task_hours: (need - held).max(0.0) * hours,
    }
}

/// Nothing decided for want of a fact, and which.
fn unread(mut report: TargetReport, error: impl std::fmt::Display) -> Planned {
    report.unread = true;
    skipped(report, format!("not decided, nothing changed: {error}"))
}

/// Nothing decided, and why.
fn skipped(mut report: TargetReport, reason: String) -> Planned {
    report.reason = reason;
    Planned {
        report,
        record: None,
    }
}
