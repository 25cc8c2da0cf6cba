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
    /// Whether the reason must be exactly `want_reason`.
    want_exact: bool,
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
        want_exact: false,
    }
}

/// Issue found by the control-plane property: a record dated a day ahead kept its
/// cap of 0 through an apply, and MaxCapacity became 0.
#[test]
fn a_record_is_in_force_only_on_its_service_and_not_from_the_future() {
    let target = Target::new("t", "c", "s");
    let now = 1_800_000_000;
    let own = |at, resource| OwnWrite {
        raised_to: 0,
        capped_to: Some(0),
        at,
        resource,
    };
    assert!(own(now - 3600, None).in_force_for(&target, now));
    assert!(
        own(now + 60, Some(target.resource())).in_force_for(&target, now),
        "skew"
    );
    assert!(
        !own(now + 86_400, None).in_force_for(&target, now),
        "a day ahead"
    );
    let moved = Target::new("t", "c", "elsewhere");
    assert!(
        !own(now, Some(moved.resource())).in_force_for(&target, now),
        "another service"
    );
}

#[test]
fn a_windows_cap_lowers_max_capacity_and_its_end_gives_it_back() {
    let target = Target::new("t", "c", "s")
        .with_queues(["q"])
        .with_capacity(1, 10)
        .with_backlog_per_task(10.0);
    let facts = |min, max| PrescaleFacts {
        desired: 4,
        running: 4,
        backlog: 0,
        bounds: Some(ScalableBounds { min, max }),
    };
    let capped = plan(
        &target,
        Hold {
            floor: 0,
            cap: Some(3),
            ..Hold::default()
        },
        &facts(1, 10),
        None,
        NOW,
    );
    assert_eq!(
        capped.change,
        Change::SetBounds {
            min: (1, 1),
            max: (10, 3)
        }
    );
    assert_eq!(
        capped.reason.to_string(),
        "window cap 3: MaxCapacity 10 -> 3"
    );
    assert_eq!(capped.own.and_then(|o| o.capped_to), Some(3));
    // A cap below the floor wins: MinCapacity never passes MaxCapacity.
    let tight = plan(
        &target,
        Hold {
            floor: 5,
            cap: Some(2),
            ..Hold::default()
        },
        &facts(1, 10),
        None,
        NOW,
    );
    assert!(matches!(
        tight.change,
        Change::SetBounds {
            min: (1, 2),
            max: (10, 2)
        }
    ));
    // The window closes: MaxCapacity back to capacity.max, named as ours.
    let after = plan(&target, Hold::default(), &facts(1, 3), capped.own, NOW + 60);
    assert_eq!(after.reason.to_string(), "MaxCapacity 3 -> capacity.max 10");
    assert_eq!(after.own, None);
    // The same MaxCapacity set by hand is named as overridden.
    let by_hand = plan(&target, Hold::default(), &facts(1, 3), None, NOW + 60);
    assert!(
        by_hand.reason.to_string().contains("owns the bounds"),
        "{}",
        by_hand.reason
    );
}

#[test]
fn plan_table() {
    let cases = [
        Case {
            want: Change::SetBounds {
                min: (1, 5),
                max: (20, 20),
            },
            want_reason: "window floor 5: MinCapacity 1 -> 5",
            want_own: Some(5),
            ..case(
                "with a scalable target the floor is MinCapacity",
                (1, 20),
                5,
                (2, 0, Some((1, 20))),
            )
        },
        Case {
            own: Some(5),
            want_reason: "bounds already 5-20",
            want_own: Some(5),
            ..case(
                "target tracking above the floor is left alone",
                (1, 20),
                5,
                (7, 0, Some((5, 20))),
            )
        },
        Case {
            own: Some(5),
            want: Change::SetBounds {
                min: (5, 1),
                max: (20, 20),
            },
            want_reason: "no window: MinCapacity 5 -> the configured min 1",
            want_exact: true,
            ..case(
                "no window gives MinCapacity back to the configured min",
                (1, 20),
                0,
                (7, 0, Some((5, 20))),
            )
        },
        Case {
            want: Change::SetBounds {
                min: (7, 1),
                max: (20, 20),
            },
            want_reason: "(the target's configuration owns the bounds: change capacity with sluicectl apply, or pause the target)",
            ..case(
                "a MinCapacity raised by hand is overridden and said",
                (1, 20),
                0,
                (7, 0, Some((7, 20))),
            )
        },
        Case {
            want_own: Some(12),
            want: Change::SetBounds {
                min: (0, 12),
                max: (8, 50),
            },
            want_reason: "window floor 12: MinCapacity 0 -> 12; MaxCapacity 8 -> capacity.max 50",
            ..case(
                "MaxCapacity follows capacity.max, so a stale max caps nothing",
                (0, 50),
                12,
                (0, 0, Some((0, 8))),
            )
        },
        Case {
            want_own: Some(50),
            want_exact: true,
            want: Change::SetBounds {
                min: (0, 50),
                max: (50, 50),
            },
            want_reason: "window floor 60: MinCapacity 0 -> 50 (capped at capacity.max 50; the floor is 60)",
            ..case(
                "a floor above capacity.max is capped and says so",
                (0, 50),
                60,
                (0, 0, Some((0, 50))),
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
            own: Some(22),
            want: Change::SetDesired { from: 22, to: 4 },
            want_reason: "configured min 3, backlog needs 5",
            ..case(
                "a write made before max was lowered is given back down to max",
                (3, 4),
                0,
                (22, 41, None),
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
            running: desired,
            backlog,
            bounds: bounds.map(|(min, max)| ScalableBounds { min, max }),
        };
        let own = case.own.map(|raised_to| OwnWrite {
            capped_to: None,
            raised_to,
            at: NOW - 3600,
            resource: None,
        });
        let planned = plan(&target, Hold::floor(case.floor), &facts, own, NOW);
        assert_eq!(planned.change, case.want, "{}", case.name);
        let said = planned.reason.to_string();
        assert!(
            said.contains(case.want_reason) && (!case.want_exact || said == case.want_reason),
            "{}: {said}",
            case.name,
        );
        assert_eq!(
            planned.own.map(|o| o.raised_to),
            case.want_own,
            "{}",
            case.name
        );
    }
}

mod target;
