//! One target's whole decision, by named cases: the budgets' cap, a dry run and a
//! forecast-only target, the record kept, and a record left on another service.

use super::super::*;
use crate::facts::ScalableBounds;

const NOW: i64 = 1_800_000_000;

fn target() -> Target {
    Target::new("t", "c", "s").with_capacity(1, 10)
}

/// A record of the prescaler's on `target`'s service.
fn ours(target: &Target, raised_to: u32, capped_to: Option<u32>) -> OwnWrite {
    OwnWrite {
        raised_to,
        capped_to,
        at: NOW - 600,
        resource: Some(target.resource()),
    }
}

/// One decision, as a row: what differs from a target with a scalable target at
/// 1-10, three tasks running, no budget and no record.
struct Case {
    name: &'static str,
    floor: u32,
    required: u32,
    spent: bool,
    budgets_unread: bool,
    bounds: Option<(u32, u32)>,
    stored: Option<OwnWrite>,
    held_back: Option<HeldBack>,
    want_change: Change,
    want_reason: &'static str,
    /// The record written: None, nothing written; Some(None), the record removed.
    want_record: Option<Option<(u32, Option<u32>)>>,
    want_left_behind: bool,
}

fn case(name: &'static str) -> Case {
    Case {
        name,
        floor: 0,
        required: 0,
        spent: false,
        budgets_unread: false,
        bounds: Some((1, 10)),
        stored: None,
        held_back: None,
        want_change: Change::None,
        want_reason: "",
        want_record: None,
        want_left_behind: false,
    }
}

fn cases(t: &Target) -> Vec<Case> {
    let elsewhere = OwnWrite {
        resource: Some(t.resource().wrapping_add(1)),
        ..ours(t, 6, Some(4))
    };
    vec![
        Case {
            floor: 5,
            want_change: Change::SetBounds {
                min: (1, 5),
                max: (10, 10),
            },
            want_reason: "window floor 5: MinCapacity 1 -> 5",
            want_record: Some(Some((5, None))),
            ..case("a window raises MinCapacity and is recorded")
        },
        Case {
            floor: 5,
            held_back: Some(HeldBack::DryRun),
            want_change: Change::SetBounds {
                min: (1, 5),
                max: (10, 10),
            },
            want_reason: "dry run: window floor 5: MinCapacity 1 -> 5",
            ..case("a dry run says the change and records nothing")
        },
        Case {
            held_back: Some(HeldBack::ForecastOnly),
            want_reason: "forecast only: bounds already 1-10",
            ..case("forecast only says so even when nothing changes")
        },
        Case {
            bounds: Some((5, 10)),
            floor: 5,
            stored: Some(ours(t, 5, None)),
            want_reason: "bounds already 5-10",
            ..case("a record that stays as it is is not written again")
        },
        Case {
            spent: true,
            want_change: Change::SetBounds {
                min: (1, 1),
                max: (10, 3),
            },
            want_reason: "budget spent: MaxCapacity 10 -> 3 (what runs, or the required floor)",
            want_record: Some(Some((1, Some(3)))),
            ..case("a spent budget holds MaxCapacity at what runs")
        },
        Case {
            spent: true,
            required: 4,
            want_change: Change::SetBounds {
                min: (1, 1),
                max: (10, 4),
            },
            want_reason: "budget spent: MaxCapacity 10 -> 4 (what runs, or the required floor)",
            want_record: Some(Some((1, Some(4)))),
            ..case("a spent budget never caps below a required window")
        },
        Case {
            spent: true,
            bounds: None,
            want_reason: "no window; a budget is spent but not enforced: no scalable target to cap",
            ..case("a spent budget with no scalable target is said, not enforced")
        },
        Case {
            budgets_unread: true,
            bounds: Some((1, 3)),
            stored: Some(ours(t, 1, Some(3))),
            want_reason: "bounds already 1-3; MaxCapacity 3 kept: a stored budget does not \
                          parse, and an unread budget lifts no cap",
            ..case("an unread budget lifts no cap the prescaler holds")
        },
        Case {
            bounds: Some((1, 3)),
            stored: Some(ours(t, 1, Some(3))),
            want_change: Change::SetBounds {
                min: (1, 1),
                max: (3, 10),
            },
            want_reason: "MaxCapacity 3 -> capacity.max 10",
            want_record: Some(None),
            ..case("with every budget read, a cap no longer in force is lifted")
        },
        Case {
            bounds: None,
            stored: Some(elsewhere),
            want_reason: "no window",
            want_record: Some(None),
            want_left_behind: true,
            ..case("a record from before a move is left there, this service planned afresh")
        },
    ]
}

#[test]
fn one_target_is_decided_as_the_rules_say() {
    let t = target();
    for c in cases(&t) {
        let facts = PrescaleFacts {
            desired: 3,
            running: 3,
            backlog: 0,
            bounds: c.bounds.map(|(min, max)| ScalableBounds { min, max }),
        };
        let decided = decide(&Given {
            target: &t,
            hold: Hold::floor(c.floor),
            required: c.required,
            spent: c.spent,
            budgets_unread: c.budgets_unread,
            facts: &facts,
            stored: c.stored,
            held_back: c.held_back,
            now: NOW,
        });
        assert_eq!(decided.change, c.want_change, "{}", c.name);
        assert_eq!(decided.reason.to_string(), c.want_reason, "{}", c.name);
        let record = decided
            .record
            .map(|r| r.map(|o| (o.raised_to, o.capped_to)));
        assert_eq!(record, c.want_record, "{}", c.name);
        assert_eq!(
            decided.left_behind.is_some(),
            c.want_left_behind,
            "{}",
            c.name
        );
    }
}

#[test]
fn a_record_left_behind_names_its_raise_and_cap() {
    let t = target();
    let left = LeftBehind(OwnWrite {
        resource: Some(t.resource().wrapping_add(1)),
        ..ours(&t, 6, Some(4))
    });
    assert_eq!(
        left.to_string(),
        "the prescaler's record of a raise (to 6, MaxCapacity 4) was made on the service \
         this target named before it moved; that raise is left there: give it back by \
         hand. This service is planned afresh."
    );
}

#[test]
fn the_floor_error_counts_task_hours_above_and_below_the_need() {
    let t = Target::new("t", "c", "s")
        .with_capacity(1, 10)
        .with_backlog_per_task(10.0);
    // Floor 4 against a backlog needing 2, over 5 minutes: 2 tasks x 1/12 h over.
    let over = FloorError::of(&t, 4, 20, 5);
    assert!(
        (over.over_task_hours - 2.0 / 12.0).abs() < 1e-12,
        "{over:?}"
    );
    assert_eq!(over.under_task_hours, 0.0);
    // No window: the configured min 1 held against a need of 3.
    let under = FloorError::of(&t, 0, 30, 60);
    assert_eq!((under.over_task_hours, under.under_task_hours), (0.0, 2.0));
}
