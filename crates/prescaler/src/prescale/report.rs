//! What the prescaler did, per target: returned to the caller, one log event each.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;
use sluice_core::budget::Standing;

use super::budgets::Budgeted;
use super::groups::GroupReport;
use super::outcome::{Skip, TargetReport};
use super::plan::Planned;
use super::request::Request;
use crate::settings::Settings;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub trigger: String,
    /// The time planned for (RFC 3339).
    pub at: String,
    pub dry_run: bool,
    pub forecast_only: bool,
    pub targets: Vec<TargetReport>,
    /// Every budget's spend this period, or why it cannot be read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetReport>,
    /// Every capacity provider group whose floor the targets' windows move.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupReport>,
    /// Stored targets and profiles that do not parse or validate, with why.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub invalid: BTreeMap<String, String>,
    pub published_floors: usize,
    /// Targets with a profile whose floor could not be computed (published fleet-wide
    /// as TargetsWithoutFloor, which an alarm watches).
    pub targets_without_floor: usize,
    /// Targets not planned for a fact that could not be read, or whose change AWS
    /// refused (published fleet-wide as PrescalerFailed, which an alarm watches).
    pub targets_failed: usize,
}

/// What one run decided and did, for the report.
pub struct Done<'a> {
    pub planned: Vec<Planned>,
    pub budgets: &'a [Budgeted],
    pub groups: Vec<GroupReport>,
    pub invalid: BTreeMap<String, String>,
    pub published_floors: usize,
}

impl Report {
    pub fn new(request: &Request, at: Timestamp, settings: &Settings, done: Done<'_>) -> Self {
        let Done {
            planned,
            budgets,
            groups,
            invalid,
            published_floors,
        } = done;
        let targets_without_floor = without_floor(&planned);
        let targets_failed = failed(&planned);
        let targets: Vec<TargetReport> = planned.into_iter().map(|p| p.report).collect();
        for report in &targets {
            tracing::info!(
                target_name = %report.target,
                profile = %report.profile,
                floor = ?report.floor,
                outcome = %report.outcome,
                change = ?report.change,
                reason = %report.reason,
                at = %at,
                "prescale decision"
            );
        }
        Report {
            trigger: request.trigger.to_owned(),
            at: at.to_string(),
            dry_run: settings.dry_run,
            forecast_only: settings.forecast_only,
            targets,
            budgets: budgets.iter().map(BudgetReport::of).collect(),
            groups,
            invalid,
            published_floors,
            targets_without_floor,
            targets_failed,
        }
    }
}

/// A budget's standing as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetReport {
    pub budget: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standing: Option<Standing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl BudgetReport {
    fn of((budget, standing): &Budgeted) -> Self {
        BudgetReport {
            budget: budget.name.clone(),
            standing: standing.as_ref().ok().cloned(),
            error: standing.as_ref().err().cloned(),
        }
    }
}

/// Targets left undecided by a fact that could not be read, or whose change AWS
/// refused.
pub fn failed(planned: &[Planned]) -> usize {
    planned
        .iter()
        .filter(|p| p.report.outcome.fell_short())
        .count()
}

/// What the PrescalerFailed alarm hears: targets failed, groups whose floor could not
/// be decided or changed, and stored budgets that do not parse (their caps are not
/// enforced while they are invalid).
pub fn failures(planned: &[Planned], groups: &[GroupReport], invalid_budgets: usize) -> usize {
    let groups_failed = groups.iter().filter(|g| g.outcome.fell_short()).count();
    let left_behind = planned
        .iter()
        .filter(|p| p.report.left_behind.is_some())
        .count();
    failed(planned) + groups_failed + invalid_budgets + left_behind
}

/// Targets whose profile gave no floor: it is missing or does not compile.
pub fn without_floor(planned: &[Planned]) -> usize {
    planned
        .iter()
        .filter(|p| p.report.skip.as_ref().is_some_and(Skip::leaves_no_floor))
        .count()
}
