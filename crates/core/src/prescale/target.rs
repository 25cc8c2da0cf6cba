//! One target's whole prescale decision: the profile's hold with the budgets' cap,
//! the one change ([`plan`]), whether it is carried out (a dry run and a forecast-only
//! target only say it), the record to keep and what is said. The prescaler reads the
//! facts and makes the change; every rule between is here.

use std::fmt;

use serde::Serialize;

use super::{Change, Hold, OwnWrite, PlanReason, PrescaleFacts, demand, plan};
use crate::budget;
use crate::config::Target;

/// What one target's decision is made on.
#[derive(Debug, Clone, Copy)]
pub struct Given<'a> {
    pub target: &'a Target,
    /// The profile's floor and cap a lead ahead.
    pub hold: Hold,
    /// The largest floor of the required windows: no budget holds MaxCapacity below it.
    pub required: u32,
    /// An enforcing budget of the target is spent.
    pub spent: bool,
    /// Some stored budget does not parse: which targets it covers is unknown, so no
    /// cap in force is lifted.
    pub budgets_unread: bool,
    pub facts: &'a PrescaleFacts,
    /// The prescaler's record for this target's name, as stored.
    pub stored: Option<OwnWrite>,
    /// Why the change is only said, if it is.
    pub held_back: Option<HeldBack>,
    /// Epoch seconds.
    pub now: i64,
}

/// Why a decided change is said and not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldBack {
    /// The run, or its event, asks for a dry run.
    DryRun,
    /// The prescaler, or the target, only forecasts.
    ForecastOnly,
}

/// One target's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub change: Change,
    pub reason: TargetReason,
    /// The record to write before the change: Some(None) removes it; None leaves it
    /// (unchanged, or nothing is carried out).
    pub record: Option<Option<OwnWrite>>,
    /// A record made on the service the target named before it moved: not this
    /// service's, planned afresh, and the raise it names left where it is.
    pub left_behind: Option<LeftBehind>,
}

/// Why a target's decision is what it is: the plan's reason, what the budgets add,
/// and whether it is only said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetReason {
    pub held_back: Option<HeldBack>,
    pub plan: PlanReason,
    /// A MaxCapacity the prescaler holds, kept because a stored budget does not parse.
    pub cap_kept: Option<u32>,
    /// A budget is spent, and there is no scalable target to cap.
    pub budget_not_enforced: bool,
}

/// Decides for one target.
pub fn decide(given: &Given<'_>) -> Decided {
    let Given { target, facts, .. } = *given;
    let (hold, cap_kept) = with_budgets(given);
    let own = given.stored.filter(|o| o.is_for(target));
    let planned = plan(target, hold, facts, own, given.now);
    let reason = TargetReason {
        held_back: given.held_back,
        plan: planned.reason,
        cap_kept,
        budget_not_enforced: hold.budget_cap.is_some() && facts.bounds.is_none(),
    };
    let record = (given.held_back.is_none() && planned.own != given.stored).then_some(planned.own);
    Decided {
        change: planned.change,
        reason,
        record,
        left_behind: given.stored.filter(|o| !o.is_for(target)).map(LeftBehind),
    }
}

/// The hold with the budgets' cap: while a budget is spent, MaxCapacity at what runs
/// (never below the required floor); while a stored budget cannot be read, the cap
/// the prescaler holds kept in force (returned, to be said).
fn with_budgets(given: &Given<'_>) -> (Hold, Option<u32>) {
    let required = given.required.max(given.target.capacity.min);
    let mut hold = Hold {
        budget_cap: given
            .spent
            .then(|| budget::cap(given.facts.running, required)),
        ..given.hold
    };
    let kept = given
        .stored
        .and_then(|o| o.capped_to)
        .filter(|_| given.budgets_unread);
    if let Some(in_force) = kept {
        hold = hold.keeping_cap(in_force);
    }
    (hold, kept)
}

/// Task-hours one prescaler interval that the floor in force now (no lead) held above
/// the backlog's need (paid for idle) and below it (left to reactive scaling). Summed
/// in CloudWatch they give the profile's forecast error per day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FloorError {
    pub over_task_hours: f64,
    pub under_task_hours: f64,
}

impl FloorError {
    pub fn of(target: &Target, floor_now: u32, backlog: u64, interval_minutes: i64) -> Self {
        let held = f64::from(floor_now.max(target.capacity.min));
        let need = f64::from(demand(target, backlog));
        let hours = interval_minutes as f64 / 60.0;
        FloorError {
            over_task_hours: (held - need).max(0.0) * hours,
            under_task_hours: (need - held).max(0.0) * hours,
        }
    }
}

/// The prescaler's record of a raise made on the service a target named before it
/// moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftBehind(pub OwnWrite);

impl fmt::Display for HeldBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeldBack::DryRun => "dry run",
            HeldBack::ForecastOnly => "forecast only",
        })
    }
}

impl fmt::Display for TargetReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(held_back) = self.held_back {
            write!(f, "{held_back}: ")?;
        }
        write!(f, "{}", self.plan)?;
        if let Some(in_force) = self.cap_kept {
            write!(
                f,
                "; MaxCapacity {in_force} kept: a stored budget does not parse, and an \
                 unread budget lifts no cap"
            )?;
        }
        if self.budget_not_enforced {
            f.write_str("; a budget is spent but not enforced: no scalable target to cap")?;
        }
        Ok(())
    }
}

impl fmt::Display for LeftBehind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LeftBehind(record) = self;
        write!(
            f,
            "the prescaler's record of a raise (to {}",
            record.raised_to
        )?;
        if let Some(cap) = record.capped_to {
            write!(f, ", MaxCapacity {cap}")?;
        }
        f.write_str(
            ") was made on the service this target named before it moved; that raise is \
             left there: give it back by hand. This service is planned afresh.",
        )
    }
}
