//! The prescaler's decision: given a target's floor from its profile, what to change.
//! Pure: facts, the prescaler's own last write and the floor come in, one change
//! goes out. Floors only ever raise capacity; a window's end gives back only what the
//! prescaler itself added and what demand no longer holds.

use serde::Serialize;

use crate::config::Target;
use crate::facts::ScalableBounds;

/// What was read for a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrescaleFacts {
    pub desired: u32,
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
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Change {
    /// RegisterScalableTarget with a new MinCapacity (target tracking keeps working above it).
    SetMinCapacity {
        from: u32,
        to: u32,
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
    pub reason: String,
    /// What to remember as the prescaler's own write afterwards.
    pub own: Option<OwnWrite>,
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

/// The one change a floor calls for: MinCapacity when a scalable target exists,
/// otherwise desiredCount raised in a window and given back after it.
pub fn plan(
    target: &Target,
    floor: u32,
    facts: &PrescaleFacts,
    own: Option<OwnWrite>,
    now: i64,
) -> PrescalePlan {
    match facts.bounds {
        Some(bounds) => plan_min_capacity(target, floor, bounds),
        None if floor > target.capacity.min => plan_window(target, floor, facts.desired, own, now),
        None => plan_after_window(target, facts, own),
    }
}

/// With a scalable target, the floor is MinCapacity; target tracking works above it.
fn plan_min_capacity(target: &Target, floor: u32, bounds: ScalableBounds) -> PrescalePlan {
    let baseline = target.capacity.min;
    let wanted = floor.max(baseline);
    let to = wanted.min(bounds.max);
    let capped = if wanted > to {
        format!(
            " (capped at MaxCapacity {}; the floor is {wanted})",
            bounds.max
        )
    } else {
        String::new()
    };
    let change = Change::SetMinCapacity {
        from: bounds.min,
        to,
    };
    let (change, why) = if bounds.min == to {
        (Change::None, format!("MinCapacity already {to}"))
    } else if floor > baseline {
        (
            change,
            format!("window floor {floor}: MinCapacity {} -> {to}", bounds.min),
        )
    } else {
        (
            change,
            format!(
                "no window: MinCapacity {} -> the configured min {to}",
                bounds.min
            ),
        )
    };
    PrescalePlan {
        change,
        reason: format!("{why}{capped}"),
        own: None,
    }
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
    let capped = if floor > to {
        format!(" (capped at capacity.max {to}; the floor is {floor})")
    } else {
        String::new()
    };
    if desired < to {
        return PrescalePlan {
            change: Change::SetDesired { from: desired, to },
            reason: format!("window floor {floor}: desiredCount {desired} -> {to}{capped}"),
            own: Some(OwnWrite {
                raised_to: to,
                at: now,
            }),
        };
    }
    // Already at or above the floor: nothing to add. Our earlier write is ours only
    // while it is still what ECS holds.
    PrescalePlan {
        change: Change::None,
        reason: format!("desiredCount {desired} already at or above the floor {to}{capped}"),
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
    let none = |reason: String| PrescalePlan {
        change: Change::None,
        reason,
        own: None,
    };
    let Some(own) = own else {
        return none("no window".to_owned());
    };
    if own.raised_to != desired {
        return none(format!(
            "window over; desiredCount {desired} is not the prescaler's last write ({}): someone else changed it, leaving it",
            own.raised_to
        ));
    }
    let baseline = target.capacity.min;
    let needed = demand(target, facts.backlog);
    let to = baseline.max(needed).min(desired);
    if to >= desired {
        return none(format!(
            "window over, but the backlog still needs {needed} tasks: leaving {desired}"
        ));
    }
    PrescalePlan {
        change: Change::SetDesired { from: desired, to },
        reason: format!(
            "window over: desiredCount {desired} (the prescaler's own write) -> {to} (configured min {baseline}, backlog needs {needed})"
        ),
        own: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn target(min: u32, max: u32) -> Target {
        Target::new("t", "c", "s")
            .with_queues(["q"])
            .with_capacity(min, max)
            .with_backlog_per_task(10.0)
            .with_profile("p")
    }

    fn facts(desired: u32, backlog: u64, bounds: Option<(u32, u32)>) -> PrescaleFacts {
        PrescaleFacts {
            desired,
            backlog,
            bounds: bounds.map(|(min, max)| ScalableBounds { min, max }),
        }
    }

    #[test]
    fn with_a_scalable_target_the_floor_is_min_capacity() {
        let t = target(1, 20);
        let raise = plan(&t, 5, &facts(2, 0, Some((1, 20))), None, NOW);
        assert_eq!(raise.change, Change::SetMinCapacity { from: 1, to: 5 });
        assert_eq!(raise.reason, "window floor 5: MinCapacity 1 -> 5");
        let hold = plan(&t, 5, &facts(7, 0, Some((5, 20))), None, NOW);
        assert_eq!(
            hold.change,
            Change::None,
            "target tracking above the floor is left alone"
        );
        let restore = plan(&t, 0, &facts(7, 0, Some((5, 20))), None, NOW);
        assert_eq!(restore.change, Change::SetMinCapacity { from: 5, to: 1 });
        assert_eq!(
            restore.reason,
            "no window: MinCapacity 5 -> the configured min 1"
        );
    }

    #[test]
    fn a_floor_above_max_capacity_is_capped_and_says_so() {
        let capped = plan(&target(0, 50), 12, &facts(0, 0, Some((0, 8))), None, NOW);
        assert_eq!(capped.change, Change::SetMinCapacity { from: 0, to: 8 });
        assert_eq!(
            capped.reason,
            "window floor 12: MinCapacity 0 -> 8 (capped at MaxCapacity 8; the floor is 12)"
        );
        let no_aas = plan(&target(0, 4), 6, &facts(1, 0, None), None, NOW);
        assert_eq!(no_aas.change, Change::SetDesired { from: 1, to: 4 });
        assert!(
            no_aas
                .reason
                .ends_with("(capped at capacity.max 4; the floor is 6)")
        );
    }

    #[test]
    fn without_a_scalable_target_desired_is_raised_and_remembered() {
        let raise = plan(&target(0, 20), 5, &facts(2, 0, None), None, NOW);
        assert_eq!(raise.change, Change::SetDesired { from: 2, to: 5 });
        assert_eq!(
            raise.own,
            Some(OwnWrite {
                raised_to: 5,
                at: NOW
            })
        );
    }

    #[test]
    fn a_floor_never_lowers_capacity() {
        let above = plan(
            &target(0, 20),
            5,
            &facts(9, 500, None),
            Some(OwnWrite {
                raised_to: 5,
                at: NOW,
            }),
            NOW,
        );
        assert_eq!(above.change, Change::None);
        assert_eq!(above.own, None, "9 is someone else's number now");
    }

    #[test]
    fn the_window_end_restores_only_the_prescalers_own_write() {
        let own = Some(OwnWrite {
            raised_to: 5,
            at: NOW - 3600,
        });
        let restore = plan(&target(1, 20), 0, &facts(5, 0, None), own, NOW);
        assert_eq!(restore.change, Change::SetDesired { from: 5, to: 1 });
        assert_eq!(restore.own, None);
        let changed = plan(&target(1, 20), 0, &facts(7, 0, None), own, NOW);
        assert_eq!(changed.change, Change::None);
        assert!(
            changed.reason.contains("someone else changed it"),
            "{}",
            changed.reason
        );
        let nothing_of_ours = plan(&target(1, 20), 0, &facts(5, 0, None), None, NOW);
        assert_eq!(nothing_of_ours.change, Change::None);
    }

    #[test]
    fn the_window_end_keeps_what_the_backlog_needs() {
        let own = Some(OwnWrite {
            raised_to: 5,
            at: NOW - 3600,
        });
        let partly = plan(&target(0, 20), 0, &facts(5, 25, None), own, NOW);
        assert_eq!(
            partly.change,
            Change::SetDesired { from: 5, to: 3 },
            "25 messages at 10 per task need 3"
        );
        let busy = plan(&target(0, 20), 0, &facts(5, 400, None), own, NOW);
        assert_eq!(busy.change, Change::None);
        assert_eq!(
            busy.reason,
            "window over, but the backlog still needs 40 tasks: leaving 5"
        );
    }
}
