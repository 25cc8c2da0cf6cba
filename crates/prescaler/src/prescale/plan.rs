//! Each target's floor at the planned time and the one change it calls for.

use jiff::Timestamp;
use sluice_core::config::Target;
use std::collections::BTreeMap;

use sluice_aws::AwsError;
use sluice_core::prescale::{Change, Decided, FloorError, Given, HeldBack, Hold, OwnWrite, decide};
use sluice_core::profile::{Floor, Schedule};
use sluice_core::startup::{self, StartUps};

use super::budgets::{self, Budgeted};
use super::load::Loaded;
use super::outcome::{ChangeStatus, Skip, TargetReport};
use super::read::Facts;
use crate::settings::Settings;
use sluice_core::outcome::Prescale;

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
                let report = TargetReport::new(target, &profile);
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
    let (facts, stored) = match facts {
        Ok(facts) => facts,
        Err(error) => return unread(report, error),
    };
    let floor_now = schedule.floor_ahead(at, 0).min_tasks;
    let interval = settings.interval_minutes;
    report.floor_error = Some(FloorError::of(target, floor_now, facts.backlog, interval));
    let spent = match spent {
        Ok(spent) => spent,
        Err(error) => return unread(report, error),
    };
    let decided = decide(&Given {
        target,
        hold,
        required: floor.required,
        spent,
        budgets_unread,
        facts: &facts,
        stored,
        held_back: held_back(target, settings),
        now: now.as_second(),
    });
    reported(report, decided)
}

/// The decision in the target's report, in words.
fn reported(mut report: TargetReport, decided: Decided) -> Planned {
    report.change = decided.change;
    report.reason = decided.reason.to_string();
    report.outcome = match (decided.change, decided.reason.held_back) {
        (Change::None, _) => ChangeStatus::Unchanged,
        (_, Some(_)) => ChangeStatus::Would(Prescale),
        (_, None) => ChangeStatus::Done(Prescale),
    };
    if let Some(left) = decided.left_behind {
        tracing::warn!(target = %report.target, "a raise was left on the service it moved from");
        report.left_behind = Some(left.to_string());
    }
    Planned {
        report,
        record: decided.record,
    }
}

/// Why a decided change is only said: a dry run, or a forecast-only prescaler or
/// target.
fn held_back(target: &Target, settings: &Settings) -> Option<HeldBack> {
    if settings.dry_run {
        Some(HeldBack::DryRun)
    } else if settings.forecast_only || target.forecast_only {
        Some(HeldBack::ForecastOnly)
    } else {
        None
    }
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

/// Nothing decided for want of a fact, and which.
fn unread(report: TargetReport, error: impl std::fmt::Display) -> Planned {
    skipped(report, Skip::Unread(error.to_string()))
}

/// Nothing decided, and why.
fn skipped(mut report: TargetReport, skip: Skip) -> Planned {
    report.reason = skip.to_string();
    report.outcome = skip.outcome();
    report.skip = Some(skip);
    Planned {
        report,
        record: None,
    }
}
