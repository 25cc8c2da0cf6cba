//! Each target's floor at the planned time and the one change it calls for.

use jiff::Timestamp;
use sluice_core::config::Target;
use std::collections::BTreeMap;

use sluice_aws::AwsError;
use sluice_core::budget;
use sluice_core::prescale::{Change, Hold, OwnWrite, PrescaleFacts, demand, plan};
use sluice_core::profile::{Floor, Schedule};
use sluice_core::startup::{self, StartUps};

use super::budgets::{self, Budgeted};
use super::load::Loaded;
use super::outcome::{ChangeStatus, FloorError, Skip, TargetReport};
use super::read::Facts;
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

/// Each selected target's plan at `at` (what-if or now), on its facts, its measured
/// start-ups and the budgets' standing at `now`.
pub fn plan_all(
    loaded: &Loaded,
    facts: Vec<Facts>,
    (starts, budgets): (&Result<BTreeMap<String, StartUps>, AwsError>, &[Budgeted]),
    (at, now): (Timestamp, Timestamp),
    settings: &Settings,
) -> Vec<Planned> {
    let shared = Shared {
        at,
        now,
        settings,
        budgets,
        budgets_unread: loaded.invalid_budgets > 0,
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
                skipped(report, Skip::Panicked(panicked.to_string()))
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
    let schedule = match compiled(profile, schedule) {
        Ok(schedule) => schedule,
        Err(skip) => return skipped(report, skip),
    };
    let floor = floor_ahead(schedule, starts, shared, &mut report);
    let hold = Hold::from(&floor);
    let (said, spent) = budgets::verdict(budgets, &target.name);
    report.budgets = said;
    if target.paused {
        return skipped(report, Skip::Paused);
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
    let spent = match spent {
        Ok(spent) => spent,
        Err(error) => return unread(report, error),
    };
    let required = floor.required.max(target.capacity.min);
    let (hold, kept) = with_budgets(hold, spent, (facts.running, required), own, budgets_unread);
    let stored = own;
    let own = stored.filter(|o| o.is_for(target));
    report.left_behind = left_behind(target, stored);
    let planned = plan(target, hold, &facts, own, now.as_second());
    report.change = planned.change;
    report.reason = planned.reason.to_string();
    report.reason.push_str(&budget_notes(kept, hold, &facts));
    settle(
        report,
        (planned.change, planned.own),
        stored,
        target,
        settings,
    )
}

/// The floor the profile gives a lead ahead of `at` (the lead from the measured
/// start-ups), said in the report.
fn floor_ahead(
    schedule: &Schedule,
    starts: Result<Option<&StartUps>, &AwsError>,
    shared: &Shared<'_>,
    report: &mut TargetReport,
) -> Floor {
    let starts = starts.map_err(|e| e.to_string());
    let interval = shared.settings.interval_minutes;
    let lead = startup::lead(schedule, starts, interval, shared.now.as_second());
    let floor = schedule.floor_ahead(shared.at, lead.minutes);
    report.lead_minutes = Some(lead.minutes);
    report.lead = lead.why;
    report.floor = Some(floor.min_tasks);
    report.cap = floor.max_tasks;
    report.windows = floor.windows.clone();
    floor
}

/// The target's profile, compiled, or why the target is left as it is.
fn compiled<'s>(
    profile: &str,
    schedule: Option<&'s Result<Schedule, String>>,
) -> Result<&'s Schedule, Skip> {
    let profile = profile.to_owned();
    match schedule {
        Some(Ok(schedule)) => Ok(schedule),
        Some(Err(error)) => Err(Skip::ProfileInvalid {
            profile,
            error: error.clone(),
        }),
        None => Err(Skip::ProfileMissing { profile }),
    }
}

/// The hold with the budgets' cap: while a budget is spent, MaxCapacity at what runs
/// (never below the `required` floor); while a stored budget cannot be read, the cap
/// the prescaler holds kept in force (returned, to be said).
fn with_budgets(
    hold: Hold,
    spent: bool,
    (running, required): (u32, u32),
    own: Option<OwnWrite>,
    budgets_unread: bool,
) -> (Hold, Option<u32>) {
    let mut hold = Hold {
        budget_cap: spent.then(|| budget::cap(running, required)),
        ..hold
    };
    let kept = own.and_then(|o| o.capped_to).filter(|_| budgets_unread);
    if let Some(in_force) = kept {
        hold = hold.keeping_cap(in_force);
    }
    (hold, kept)
}

/// What a plan's reason adds about budgets: a cap kept because a stored budget does
/// not parse, and a spent budget with no scalable target to cap.
fn budget_notes(kept: Option<u32>, hold: Hold, facts: &PrescaleFacts) -> String {
    let mut notes = String::new();
    if let Some(in_force) = kept {
        notes.push_str(&format!(
            "; MaxCapacity {in_force} kept: a stored budget does not parse, and an unread \
             budget lifts no cap"
        ));
    }
    if hold.budget_cap.is_some() && facts.bounds.is_none() {
        notes.push_str("; a budget is spent but not enforced: no scalable target to cap");
    }
    notes
}

/// The plan's outcome: changed, or what would change on a dry run or a forecast-only
/// target (said first in the reason, and nothing recorded); the record to keep when
/// it differs from the stored one.
fn settle(
    mut report: TargetReport,
    (change, own): (Change, Option<OwnWrite>),
    stored: Option<OwnWrite>,
    target: &Target,
    settings: &Settings,
) -> Planned {
    let hold = settings.dry_run || settings.forecast_only || target.forecast_only;
    report.outcome = match (change, hold) {
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
    let record = (own != stored).then_some(own);
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
fn unread(report: TargetReport, error: impl std::fmt::Display) -> Planned {
    skipped(report, Skip::Unread(error.to_string()))
}

/// Nothing decided, and why.
fn skipped(mut report: TargetReport, skip: Skip) -> Planned {
    report.reason = skip.to_string();
    report.skip = Some(skip);
    Planned {
        report,
        record: None,
    }
}
