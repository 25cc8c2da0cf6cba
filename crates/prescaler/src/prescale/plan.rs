//! Each target's floor at the planned time and the one change it calls for.

use jiff::Timestamp;
use sluice_core::config::Target;
use std::collections::BTreeMap;

use sluice_aws::AwsError;
use sluice_core::prescale::{Change, OwnWrite, plan};
use sluice_core::profile::Schedule;
use sluice_core::startup::{self, StartUps};

use super::load::Loaded;
use super::read::Facts;
use super::report::{ChangeStatus, TargetReport};
use crate::settings::Settings;

/// A target's report and, when something is to be done, what.
pub struct Planned {
    pub report: TargetReport,
    /// The prescaler's own write to record first, when it changes.
    pub record: Option<Option<OwnWrite>>,
}

pub fn plan_all(
    loaded: &Loaded,
    facts: Vec<Facts>,
    starts: &Result<BTreeMap<String, StartUps>, AwsError>,
    at: Timestamp,
    now: Timestamp,
    settings: &Settings,
) -> Vec<Planned> {
    loaded
        .selection
        .targets
        .iter()
        .zip(facts)
        .map(|(target, facts)| {
            let profile = target.profile.clone().unwrap_or_default();
            let schedule = loaded.schedules.get(&profile);
            let starts = starts.as_ref().map(|all| all.get(&target.name));
            let mut planned =
                plan_target(target, &profile, schedule, starts, facts, at, now, settings);
            planned.report.start_up = starts
                .ok()
                .flatten()
                .and_then(|s| s.percentiles(now.as_second()));
            planned
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn plan_target(
    target: &Target,
    profile: &str,
    schedule: Option<&Result<Schedule, String>>,
    starts: Result<Option<&StartUps>, &AwsError>,
    facts: Facts,
    at: Timestamp,
    now: Timestamp,
    settings: &Settings,
) -> Planned {
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
    let hold = floor.hold();
    report.lead_minutes = Some(lead.minutes);
    report.lead = lead.why;
    report.floor = Some(floor.min_tasks);
    report.cap = floor.max_tasks;
    report.windows = floor.windows;
    if target.paused {
        return skipped(report, "paused".to_owned());
    }
    let (facts, own) = match facts {
        Ok(facts) => facts,
        Err(error) => return skipped(report, format!("not decided, nothing changed: {error}")),
    };
    let planned = plan(target, hold, &facts, own, now.as_second());
    report.change = planned.change;
    report.reason = planned.reason;
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
    let record = (planned.own != own).then_some(planned.own);
    Planned { report, record }
}

/// Nothing decided, and why.
fn skipped(mut report: TargetReport, reason: String) -> Planned {
    report.reason = reason;
    Planned {
        report,
        record: None,
    }
}
