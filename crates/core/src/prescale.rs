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

    /// One plan, as a row.
    struct Case {
        name: &'static str,
        /// capacity (min, max) of the target
        capacity: (u32, u32),
        floor: u32,
        /// desired, backlog, scalable bounds (min, max)
        facts: (u32, u64, Option<(u32, u32)>),
        /// The prescaler's own last write (raised_to), if any.
        own: Option<u32>,
        want: Change,
        /// Part of the reason; empty: not checked.
        want_reason: &'static str,
        /// The own write to remember (raised_to).
        want_own: Option<u32>,
    }

    fn case(
        name: &'static str,
        capacity: (u32, u32),
        floor: u32,
        facts: (u32, u64, Option<(u32, u32)>),
    ) -> Case {
        Case {
            name,
            capacity,
            floor,
            facts,
            own: None,
            want: Change::None,
            want_reason: "",
            want_own: None,
        }
    }

    #[test]
    fn plan_table() {
        let cases = [
            Case {
                want: Change::SetMinCapacity { from: 1, to: 5 },
                want_reason: "window floor 5: MinCapacity 1 -> 5",
                ..case(
                    "with a scalable target the floor is MinCapacity",
                    (1, 20),
                    5,
                    (2, 0, Some((1, 20))),
                )
            },
            Case {
                want_reason: "MinCapacity already 5",
                ..case(
                    "target tracking above the floor is left alone",
                    (1, 20),
                    5,
                    (7, 0, Some((5, 20))),
                )
            },
            Case {
                want: Change::SetMinCapacity { from: 5, to: 1 },
                want_reason: "no window: MinCapacity 5 -> the configured min 1",
                ..case(
                    "no window gives MinCapacity back to the configured min",
                    (1, 20),
                    0,
                    (7, 0, Some((5, 20))),
                )
            },
            Case {
                want: Change::SetMinCapacity { from: 0, to: 8 },
                want_reason: "window floor 12: MinCapacity 0 -> 8 (capped at MaxCapacity 8; the floor is 12)",
                ..case(
                    "a floor above MaxCapacity is capped and says so",
                    (0, 50),
                    12,
                    (0, 0, Some((0, 8))),
                )
            },
            Case {
                want: Change::SetDesired { from: 1, to: 4 },
                want_reason: "(capped at capacity.max 4; the floor is 6)",
                want_own: Some(4),
                ..case(
                    "without a scalable target a floor above max is capped at capacity.max",
                    (0, 4),
                    6,
                    (1, 0, None),
                )
            },
            Case {
                want: Change::SetDesired { from: 2, to: 5 },
                want_reason: "window floor 5: desiredCount 2 -> 5",
                want_own: Some(5),
                ..case(
                    "without a scalable target desired is raised and remembered",
                    (0, 20),
                    5,
                    (2, 0, None),
                )
            },
            Case {
                own: Some(5),
                want_reason: "desiredCount 9 already at or above the floor 5",
                ..case(
                    "a floor never lowers capacity; 9 is someone else's number",
                    (0, 20),
                    5,
                    (9, 500, None),
                )
            },
            Case {
                own: Some(5),
                want: Change::SetDesired { from: 5, to: 1 },
                want_reason: "window over: desiredCount 5 (the prescaler's own write) -> 1",
                ..case(
                    "the window end restores the prescaler's own write",
                    (1, 20),
                    0,
                    (5, 0, None),
                )
            },
            Case {
                own: Some(5),
                want_reason: "someone else changed it",
                ..case(
                    "the window end leaves someone else's change",
                    (1, 20),
                    0,
                    (7, 0, None),
                )
            },
            Case {
                want_reason: "no window",
                ..case(
                    "nothing of the prescaler's to give back",
                    (1, 20),
                    0,
                    (5, 0, None),
                )
            },
            Case {
                own: Some(5),
                want: Change::SetDesired { from: 5, to: 3 },
                want_reason: "backlog needs 3",
                ..case(
                    "the window end keeps what the backlog needs: 25 at 10 per task",
                    (0, 20),
                    0,
                    (5, 25, None),
                )
            },
            Case {
                own: Some(5),
                want_reason: "window over, but the backlog still needs 40 tasks: leaving 5",
                ..case(
                    "the window end leaves a busy service alone",
                    (0, 20),
                    0,
                    (5, 400, None),
                )
            },
        ];
        for case in cases {
            let target = Target::new("t", "c", "s")
                .with_queues(["q"])
                .with_capacity(case.capacity.0, case.capacity.1)
                .with_backlog_per_task(10.0)
                .with_profile("p");
            let (desired, backlog, bounds) = case.facts;
            let facts = PrescaleFacts {
                desired,
                backlog,
                bounds: bounds.map(|(min, max)| ScalableBounds { min, max }),
            };
            let own = case.own.map(|raised_to| OwnWrite {
                raised_to,
                at: NOW - 3600,
            });
            let planned = plan(&target, case.floor, &facts, own, NOW);
            assert_eq!(planned.change, case.want, "{}", case.name);
            assert!(
                planned.reason.contains(case.want_reason),
                "{}: {}",
                case.name,
                planned.reason
            );
            assert_eq!(
                planned.own.map(|o| o.raised_to),
                case.want_own,
                "{}",
                case.name
            );
        }
    }
}
