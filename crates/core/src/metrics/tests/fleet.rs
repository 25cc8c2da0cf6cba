//! The fleet's tallies.

use super::*;

#[test]
fn fleet_tally_counts_targets_at_max_and_asleep_with_work() {
    let sleeper = |activation_backlog, paused| Target {
        paused,
        ..target("sleeper").with_scale_to_zero(crate::config::ScaleToZero {
            activation_backlog,
            ..Default::default()
        })
    };
    let mut tally = FleetTally::default();
    tally.count_published(&target("busy"), &reading(500, 10)); // at max 10
    tally.count_published(&target("fine"), &reading(5, 3));
    tally.count_published(&sleeper(0, false), &reading(1, 0)); // work, asleep
    tally.count_published(&sleeper(5, false), &reading(5, 0)); // under activation
    tally.count_published(&sleeper(0, true), &reading(9, 0)); // paused on purpose
    tally.count_published(&target("no-queue-at-zero"), &reading(3, 0)); // no scale_to_zero
    tally.count_failed();
    assert_eq!(
        tally,
        FleetTally {
            published: 6,
            failed: 1,
            at_max_capacity: 1,
            asleep_with_work: 1,
            // Work waiting, no task: both sleepers and the target without one,
            // not the paused one.
            backlog_without_capacity: 3,
            ..FleetTally::default()
        }
    );
    let datums = tally.datums();
    assert!(datums.iter().all(|d| d.target.is_none()));
    assert_eq!(
        datums.iter().map(|d| (d.name, d.value)).collect::<Vec<_>>(),
        [
            ("TargetsPublished", 6.0),
            ("TargetsFailed", 1.0),
            ("TargetsAtMaxCapacity", 1.0),
            ("TargetsAsleepWithWork", 1.0),
            ("TargetsScalingTooOften", 0.0),
            ("TargetsBacklogWithoutCapacity", 3.0),
        ]
    );
}
