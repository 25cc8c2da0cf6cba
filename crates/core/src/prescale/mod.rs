//! The prescaler's decision: given a target's floor from its profile, what to change.
//! Pure: facts, the prescaler's own last write and the floor come in, one change
//! goes out. Floors only ever raise capacity; a window's end gives back only what the
//! prescaler itself added and what demand no longer holds.

use serde::Serialize;

mod reason;
mod target;

pub use reason::{Capped, MaxMove, MaxWhy, MinMove, MinWhy, PlanReason};
pub use target::{Decided, FloorError, Given, HeldBack, LeftBehind, TargetReason, decide};

use crate::config::{Capacity, Target};
use crate::facts::ScalableBounds;
use crate::profile::Floor;

/// What was read for a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrescaleFacts {
    pub desired: u32,
    /// Tasks running: what a spent budget holds MaxCapacity at.
    pub running: u32,
    /// Visible + in flight + delayed: what demand holds when a window ends.
    pub backlog: u64,
    /// Application Auto Scaling's bounds when a scalable target is registered.
    pub bounds: Option<ScalableBounds>,
}

/// The desiredCount the prescaler itself last set, kept in the table so that it
/// restores only its own write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OwnWrite {
    pub raised_to: u32,
    /// MaxCapacity a window's cap set, so that its end is known for ours.
    pub capped_to: Option<u32>,
    pub at: i64,
    /// The service the write was made on ([`Target::resource`]): records are kept by
    /// target name, and a target moved to another account, region or service leaves
    /// its record behind; it is not its new service's. None in a record written
    /// before this was kept (taken as the target's service).
    pub resource: Option<u64>,
}

impl OwnWrite {
    /// Whether the record was made on `target`'s service as it is configured now.
    pub fn is_for(&self, target: &Target) -> bool {
        self.resource
            .is_none_or(|made_on| made_on == target.resource())
    }

    /// Whether what the record holds is in force for `target` at `now`: made on its
    /// service, and not dated ahead of the clock by more than the skew (a record from
    /// the future is an odd one, and its cap must not be kept).
    pub fn in_force_for(&self, target: &Target, now: i64) -> bool {
        self.is_for(target) && self.at <= now.saturating_add(crate::limits::CLOCK_SKEW_SECONDS)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Change {
    /// RegisterScalableTarget with these bounds, each (from, to): MinCapacity the floor
    /// (target tracking keeps working above it), MaxCapacity `capacity.max`.
    SetBounds {
        min: (u32, u32),
        max: (u32, u32),
    },
    /// ECS UpdateService (no scalable target).
    SetDesired {
        from: u32,
        to: u32,
    },
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrescalePlan {
    pub change: Change,
    pub reason: PlanReason,
    /// What to remember as the prescaler's own write afterwards.
    pub own: Option<OwnWrite>,
}

/// What a profile holds now: its floor (MinCapacity) and, while a capped window is
/// open, its cap (MaxCapacity).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Hold {
    pub floor: u32,
    pub cap: Option<u32>,
    /// MaxCapacity held by an enforcing budget that is spent (sluice_core::budget::cap).
    pub budget_cap: Option<u32>,
}

/// What a profile's floor holds: its floor and cap, no budget's. Here rather than on
/// [`Floor`]: profiles know nothing of the prescaler that acts on them.
impl From<&Floor> for Hold {
    fn from(floor: &Floor) -> Hold {
        Hold {
            floor: floor.min_tasks,
            cap: floor.max_tasks,
            budget_cap: None,
        }
    }
}

impl Hold {
    /// A floor without a cap.
    pub fn floor(floor: u32) -> Hold {
        Hold {
            floor,
            cap: None,
            budget_cap: None,
        }
    }

    /// This hold with a MaxCapacity the prescaler holds now kept in force: the lower
    /// of it and any budget cap. What `sluicectl apply` keeps, and what a run keeps
    /// while a stored budget cannot be read.
    pub fn keeping_cap(mut self, in_force: u32) -> Hold {
        self.budget_cap = Some(self.budget_cap.map_or(in_force, |cap| cap.min(in_force)));
        self
    }
}

/// Tasks the backlog needs at the target's backlog per task.
pub fn demand(target: &Target, backlog: u64) -> u32 {
    let tasks = (backlog as f64 / target.backlog_per_task).ceil();
    if tasks >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        tasks as u32
    }
}

/// The scalable target's bounds the configuration asks for under `hold`: MaxCapacity
/// `capacity.max`, or a window's cap below it; MinCapacity the floor or
/// `capacity.min`, whichever is higher, at most MaxCapacity. The prescaler sets them;
/// `sluicectl apply` registers them.
pub fn wanted_bounds(target: &Target, hold: Hold) -> ScalableBounds {
    let Capacity { min, max } = target.capacity;
    let max = [hold.cap, hold.budget_cap]
        .into_iter()
        .flatten()
        .fold(max, u32::min);
    ScalableBounds {
        min: hold.floor.max(min).min(max),
        max,
    }
}

/// The one change a floor calls for: MinCapacity when a scalable target exists,
/// otherwise desiredCount raised in a window and given back after it.
pub fn plan(
    target: &Target,
    hold: Hold,
    facts: &PrescaleFacts,
    own: Option<OwnWrite>,
    now: i64,
) -> PrescalePlan {
    let floor = hold.floor;
    match facts.bounds {
        Some(bounds) => plan_bounds(target, hold, bounds, own, now),
        None if floor > target.capacity.min => plan_window(target, floor, facts.desired, own, now),
        None => plan_after_window(target, facts, own),
    }
}

/// With a scalable target, the target's configuration owns its bounds (as a KEDA
/// ScaledObject owns its HPA): MinCapacity is the window floor, or `capacity.min` with
/// no window; MaxCapacity is `capacity.max`. Target tracking works between them. A
/// bound set outside Sluice is overridden, and the reason says from what.
fn plan_bounds(
    target: &Target,
    hold: Hold,
    bounds: ScalableBounds,
    own: Option<OwnWrite>,
    now: i64,
) -> PrescalePlan {
    let baseline = target.capacity.min;
    let ScalableBounds { min: to, max } = wanted_bounds(target, hold);
    // Remembered while a window holds MinCapacity up or MaxCapacity down, so that its
    // end is known for ours.
    let capped_to = (max < target.capacity.max).then_some(max);
    let ours = (to > baseline || capped_to.is_some()).then_some(OwnWrite {
        resource: Some(target.resource()),
        raised_to: to,
        capped_to,
        at: own
            .filter(|o| o.raised_to == to && o.capped_to == capped_to)
            .map_or(now, |o| o.at),
    });
    if (bounds.min, bounds.max) == (to, max) {
        return PrescalePlan {
            change: Change::None,
            reason: PlanReason::BoundsAlready { min: to, max },
            own: ours,
        };
    }
    PrescalePlan {
        change: Change::SetBounds {
            min: (bounds.min, to),
            max: (bounds.max, max),
        },
        reason: PlanReason::Bounds {
            min: min_change(target, hold, bounds.min, (to, max)),
            max: max_change(target, hold, bounds.max, max),
            set_outside: set_outside(target, bounds, (to, max), own),
        },
        own: ours,
    }
}

/// Why MinCapacity moves from `live` to `to` (None: it does not); `max` is the
/// MaxCapacity it is capped at.
fn min_change(target: &Target, hold: Hold, live: u32, (to, max): (u32, u32)) -> Option<MinMove> {
    if live == to {
        return None;
    }
    let (floor, baseline) = (hold.floor, target.capacity.min);
    let wanted = floor.max(baseline);
    let capped = (wanted > to).then_some(Capped {
        wanted,
        max,
        by_cap: max < target.capacity.max,
    });
    let why = if floor > baseline {
        MinWhy::Window { floor, capped }
    } else {
        MinWhy::Configured
    };
    Some(MinMove { live, to, why })
}

/// Why MaxCapacity moves from `live` to `max` (None: it does not).
fn max_change(target: &Target, hold: Hold, live: u32, max: u32) -> Option<MaxMove> {
    if live == max {
        return None;
    }
    let window_cap = hold.cap.filter(|cap| *cap < target.capacity.max);
    let why = match (hold.budget_cap.filter(|cap| *cap == max), window_cap) {
        (Some(_), _) => MaxWhy::BudgetSpent,
        (None, Some(cap)) => MaxWhy::WindowCap { cap },
        (None, None) => MaxWhy::Configured,
    };
    Some(MaxMove { live, to: max, why })
}

/// Whether a live bound was set outside Sluice: neither the configuration nor the
/// prescaler's own last write explains it (a live MaxCapacity is explained by the
/// configuration or by a cap of ours).
fn set_outside(
    target: &Target,
    live: ScalableBounds,
    (to, max): (u32, u32),
    own: Option<OwnWrite>,
) -> bool {
    (live.max != max
        && live.max != target.capacity.max
        && own.and_then(|o| o.capped_to) != Some(live.max))
        || (live.min != to
            && live.min > target.capacity.min
            && own.map(|o| o.raised_to) != Some(live.min))
}

/// In a window without a scalable target: raise desiredCount to the floor and
/// remember it as the prescaler's own write; never lower it.
fn plan_window(
    target: &Target,
    floor: u32,
    desired: u32,
    own: Option<OwnWrite>,
    now: i64,
) -> PrescalePlan {
    let to = floor.min(target.capacity.max);
    if desired < to {
        return PrescalePlan {
            change: Change::SetDesired { from: desired, to },
            reason: PlanReason::WindowRaise { floor, desired, to },
            own: Some(OwnWrite {
                raised_to: to,
                capped_to: None,
                at: now,
                resource: Some(target.resource()),
            }),
        };
    }
    // Already at or above the floor: nothing to add. Our earlier write is ours only
    // while it is still what ECS holds.
    PrescalePlan {
        change: Change::None,
        reason: PlanReason::AtFloor { desired, floor, to },
        own: own.filter(|o| o.raised_to == desired),
    }
}

/// After a window: give back only the prescaler's own write, and only what the
/// backlog no longer needs.
fn plan_after_window(
    target: &Target,
    facts: &PrescaleFacts,
    own: Option<OwnWrite>,
) -> PrescalePlan {
    let desired = facts.desired;
    let none = |reason: PlanReason| PrescalePlan {
        change: Change::None,
        reason,
        own: None,
    };
    let Some(own) = own else {
        return none(PlanReason::NoWindow);
    };
    if own.raised_to != desired {
        return none(PlanReason::ChangedElsewhere {
            desired,
            ours: own.raised_to,
        });
    }
    let Capacity { min: baseline, max } = target.capacity;
    let needed = demand(target, facts.backlog);
    // The backlog never justifies more than capacity.max: a write made before max was
    // lowered is given back down to max, not kept (found by the property tests).
    let to = baseline.max(needed).min(max).min(desired);
    if to >= desired {
        return none(PlanReason::BacklogHolds { needed, desired });
    }
    PrescalePlan {
        change: Change::SetDesired { from: desired, to },
        reason: PlanReason::GiveBack {
            desired,
            to,
            baseline,
            needed,
        },
        own: None,
    }
}

#[cfg(test)]
mod tests;
